//! Secret hygiene of the transfer crate's secret-holding types (issue 10): the package writer owns the
//! transfer key, and the buyer's import side borrows the recipient key pair and keyring. Neither is
//! `Serialize` (compile time), and their `Debug` shows no key bytes.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

mod common;

use common::*;
use custodia_consent::TransferPath;
use custodia_crypto::{InMemoryKeyStore, InMemoryVault};
use custodia_transfer::package::PackageWriter;
use custodia_transfer::{Buyer, ProofTree};

trait AmbiguousIfSerialize<A> {
    fn some_item() {}
}
impl<T: ?Sized> AmbiguousIfSerialize<()> for T {}
struct ImplementsSerialize;
impl<T: ?Sized + serde::Serialize> AmbiguousIfSerialize<ImplementsSerialize> for T {}

const _: fn() = || {
    let _ = <PackageWriter<'static, Vec<u8>> as AmbiguousIfSerialize<_>>::some_item;
    let _ = <Buyer<'static, InMemoryKeyStore, InMemoryVault> as AmbiguousIfSerialize<_>>::some_item;
};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_package_writer_and_the_buyer_print_no_key_bytes() {
    let keys = Keys::generate().unwrap();
    let agreement = signed(&keys, terms(&keys, TransferPath::MergerNotice));
    let writer = PackageWriter::start(
        Vec::new(),
        &agreement,
        &keys.seller_sign,
        at(2026, 7, 15),
        ProofTree::Discard,
    )
    .unwrap();
    let seller_seed = hex(&keys.seller_sign.expose_pkcs8()[16..48]);
    for shown in [format!("{writer:?}"), format!("{writer:#?}")] {
        assert!(!shown.contains(&seller_seed[..16]), "{shown}");
        // The transfer key is never exposed; no long hex or byte list may stand in for it.
        assert!(
            !shown.contains(", ") || shown.matches(", ").count() < 8,
            "{shown}"
        );
        let longest_hex = shown
            .split(|c: char| !c.is_ascii_hexdigit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_hex < 24, "{shown}");
    }
    assert!(std::mem::needs_drop::<PackageWriter<'static, Vec<u8>>>());

    let staged = InMemoryKeyStore::new();
    let sections = InMemoryVault::new();
    let buyer = Buyer {
        recipient: &keys.buyer_recipient,
        keyring: &keys.buyer_ring,
        keys: &staged,
        sections: &sections,
    };
    let private = hex(keys.buyer_recipient.expose_private_bytes());
    for shown in [format!("{buyer:?}"), format!("{buyer:#?}")] {
        assert!(shown.contains("[REDACTED]"), "{shown}");
        assert!(!shown.contains(&private[..16]), "{shown}");
    }
}
