//! Secret hygiene of the ledger's one secret-holding type (issue 10): `NoteSigner` owns the log's (or a
//! witness's) signing key, so it must not be `Serialize` — checked at compile time — and its `Debug`
//! shows the public verifier and key id only.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used)]

use custodia_crypto::SigningKey;
use custodia_ledger::{NoteSigner, SignatureKind};

// The `static_assertions::assert_not_impl_any!` trick written out: naming `some_item` is ambiguous, and
// the file stops compiling, as soon as the type implements `Serialize`.
trait AmbiguousIfSerialize<A> {
    fn some_item() {}
}
impl<T: ?Sized> AmbiguousIfSerialize<()> for T {}
#[allow(dead_code)]
struct ImplementsSerialize;
impl<T: ?Sized + serde::Serialize> AmbiguousIfSerialize<ImplementsSerialize> for T {}

const _: fn() = || {
    let _ = <NoteSigner as AmbiguousIfSerialize<_>>::some_item;
};

#[test]
fn a_note_signer_prints_no_key_bytes_and_drops_its_key() {
    let key = SigningKey::generate().unwrap();
    let seed: String = key.expose_pkcs8()[16..48]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let signer = NoteSigner::new("broker.example/log", SignatureKind::Ed25519, key).unwrap();
    for shown in [format!("{signer:?}"), format!("{signer:#?}")] {
        assert!(shown.contains("[REDACTED]"), "{shown}");
        assert!(!shown.to_lowercase().contains(&seed[..16]), "{shown}");
    }
    // The signing key inside zeroizes its PKCS#8 bytes on drop (`ZeroizeOnDrop`, asserted in
    // custodia-crypto's tests); a signer without drop glue could not pass that on.
    assert!(std::mem::needs_drop::<NoteSigner>());
}
