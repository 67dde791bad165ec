//! Secret hygiene across every crate (issue 10): every type that holds key bytes or a plaintext key —
//! wherever it lives — prints no key material through `Debug` (plain or pretty), and owns drop glue (the
//! key bytes sit in zeroizing storage, asserted at compile time beside each type: `ZeroizeOnDrop` in
//! `crates/crypto/tests/secret_hygiene.rs`, not-`Serialize` there and in `crates/ledger/tests/` and
//! `crates/transfer/tests/regression_secret_hygiene.rs`; this facade crate has no `serde` or `zeroize` to name).
//!
//! The redaction check knows the key bytes where the API lets a test choose or expose them, and for keys it
//! cannot see it refuses every long run of hex digits, every long decimal byte list and every long base64
//! run in the output, which is how key bytes print.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia::crypto::{
    BlindIndexConfig, BlindIndexer, DataKey, InMemoryKeyStore, Keyring, KeyringConfig, RecipientKeyPair,
    SigningKey, TransferKey,
};
use custodia::ledger::{NoteSigner, SignatureKind};
use custodia::model::{CustomerId, TransferId};
use custodia::transfer::Buyer;
use custodia::transfer::package::PackageWriter;

/// How key bytes would look if they leaked: lower and upper hex, and the first bytes as Rust prints a
/// byte array or slice.
fn renderings(secret: &[u8]) -> Vec<String> {
    let window = &secret[..secret.len().min(8)];
    let lower: String = window.iter().map(|b| format!("{b:02x}")).collect();
    let decimal = window.iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
    // Base64 of a whole number of 3-byte groups, so the prefix renders the same whatever follows.
    let b64 = base64(&secret[..secret.len().min(6)]);
    vec![lower.clone(), lower.to_uppercase(), decimal, b64]
}

/// Standard base64 of `bytes` without padding (enough to spot a leaked prefix).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// The longest run of characters satisfying `class` in `text`.
fn longest_run(text: &str, class: impl Fn(char) -> bool) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if class(c) { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Asserts that `shown` (a `Debug` rendering of `what`) leaks none of `secrets` and nothing shaped like a
/// key: no run of 24+ hex digits (a 12-byte prefix; ids print as 8-byte key ids or hyphenated UUIDs), no
/// list of 8+ numbers (a byte array), no run of 40+ base64 characters.
fn assert_redacted(what: &str, shown: &str, secrets: &[&[u8]]) {
    assert_redacted_but(what, shown, secrets, &[]);
}

/// [`assert_redacted`], after removing the `public` strings (a verifier key, which is meant to be shown).
fn assert_redacted_but(what: &str, shown: &str, secrets: &[&[u8]], public: &[&str]) {
    let shown = public
        .iter()
        .fold(shown.to_owned(), |s, p| s.replace(p, "<public>"));
    let shown = shown.as_str();
    for secret in secrets {
        for r in renderings(secret) {
            assert!(
                !shown.contains(&r),
                "{what}: Debug shows key bytes ({r}): {shown}"
            );
        }
    }
    let hex = longest_run(shown, |c| c.is_ascii_hexdigit());
    assert!(hex < 24, "{what}: Debug has a {hex}-digit hex run: {shown}");
    let list = shown
        .split(|c: char| !(c.is_ascii_digit() || c == ',' || c == ' ' || c == '\n'))
        .map(|s| s.split(',').filter(|n| !n.trim().is_empty()).count())
        .max()
        .unwrap_or(0);
    assert!(list < 8, "{what}: Debug has a list of {list} numbers: {shown}");
    let b64 = longest_run(shown, |c| c.is_ascii_alphanumeric() || c == '+' || c == '/');
    assert!(
        b64 < 40,
        "{what}: Debug has a {b64}-character base64 run: {shown}"
    );
}

fn both<T: std::fmt::Debug>(value: &T) -> String {
    format!("{value:?}\n{value:#?}")
}

/// Every owning secret type has drop glue: its key bytes live in zeroizing storage (checked at compile
/// time in the crates that can name `ZeroizeOnDrop`), and a type with no drop glue could not wipe them.
#[test]
fn every_secret_owner_has_drop_glue() {
    assert!(std::mem::needs_drop::<DataKey>());
    assert!(std::mem::needs_drop::<Keyring>());
    assert!(std::mem::needs_drop::<TransferKey>());
    assert!(std::mem::needs_drop::<RecipientKeyPair>());
    assert!(std::mem::needs_drop::<SigningKey>());
    assert!(std::mem::needs_drop::<NoteSigner>());
    assert!(std::mem::needs_drop::<PackageWriter<'static, Vec<u8>>>());
}

#[test]
fn crypto_secrets_print_no_key_bytes() {
    let material = [0xA7u8; 32];
    let ring = Keyring::from_key_material(1, &material, KeyringConfig::default()).unwrap();
    assert_redacted("Keyring (key material)", &both(&ring), &[&material]);
    let master = [0x5Cu8; 32];
    let derived = Keyring::derive_from_master(&master, 3, KeyringConfig::default()).unwrap();
    assert_redacted("Keyring (master)", &both(&derived), &[&master]);

    let customer = CustomerId::new_v7();
    let (dek, wrapped) = derived.generate_dek(customer).unwrap();
    assert_redacted("DataKey", &both(&dek), &[]);
    // The wrapped key is public, but its Debug should still not be the raw sealed bytes' hex dump.
    let _ = format!("{wrapped:?}");

    let recipient = RecipientKeyPair::derive_from_ikm(&[0x3Du8; 32]).unwrap();
    let private = *recipient.expose_private_bytes();
    assert_redacted("RecipientKeyPair", &both(&recipient), &[&private]);

    let transfer = TransferKey::generate(TransferId::new_v7()).unwrap();
    assert_redacted("TransferKey", &both(&transfer), &[]);

    let signing = SigningKey::generate().unwrap();
    let pkcs8 = signing.expose_pkcs8().to_vec();
    // RFC 8410 PKCS#8 v2: the 32-byte seed follows a 16-byte prefix; the public key sits at the end.
    let seed = &pkcs8[16..48];
    assert_redacted("SigningKey", &both(&signing), &[seed]);

    let root = [0x91u8; 32];
    let indexer = BlindIndexer::new(&root, BlindIndexConfig::with_bits(16).unwrap()).unwrap();
    assert_redacted("BlindIndexer", &both(&indexer), &[&root]);
}

#[test]
fn secrets_held_by_other_crates_print_no_key_bytes() {
    // custodia-ledger: the log's checkpoint signer owns a signing key.
    let key = SigningKey::generate().unwrap();
    let seed = key.expose_pkcs8()[16..48].to_vec();
    let signer = NoteSigner::new("broker.example/log", SignatureKind::Ed25519, key).unwrap();
    let vkey = signer.verifier().to_vkey();
    assert_redacted_but("NoteSigner", &both(&signer), &[&seed], &[&vkey]);

    // custodia-transfer: the buyer's side of an import holds the recipient key pair and keyring.
    let recipient = RecipientKeyPair::derive_from_ikm(&[0x44u8; 32]).unwrap();
    let private = *recipient.expose_private_bytes();
    let material = [0x6Bu8; 32];
    let keyring = Keyring::from_key_material(1, &material, KeyringConfig::default()).unwrap();
    let keys = InMemoryKeyStore::new();
    let sections = custodia::crypto::InMemoryVault::new();
    let buyer = Buyer {
        recipient: &recipient,
        keyring: &keyring,
        keys: &keys,
        sections: &sections,
    };
    assert_redacted("transfer Buyer", &both(&buyer), &[&private, &material]);
}

/// The key hierarchy (custodia-crypto) and the application layer (custodia-brokerage): the root secret,
/// everything derived from it, a brokerage holding them, a key source, and the trusted read's plaintext.
#[test]
fn the_key_hierarchy_and_the_brokerage_print_no_key_bytes() {
    use custodia::brokerage::{Brokerage, BrokerageConfig, KeySource, StaticKeySource, TrustedRead};
    use custodia::crypto::{KeyHierarchy, PackageRandomness, RootSecret, TransferSecret};
    assert!(std::mem::needs_drop::<RootSecret>());
    assert!(std::mem::needs_drop::<KeyHierarchy>());
    assert!(std::mem::needs_drop::<TransferSecret>());
    assert!(std::mem::needs_drop::<StaticKeySource>());
    assert!(std::mem::needs_drop::<TrustedRead>());

    let root = [0xE5u8; 32];
    let source = StaticKeySource::new(root);
    assert_redacted("StaticKeySource", &both(&source), &[&root]);
    let secret = source.root_secret().unwrap();
    assert_redacted("RootSecret", &both(&secret), &[&root]);
    let keys = KeyHierarchy::new(RootSecret::from_slice(&root).unwrap());
    assert_redacted("KeyHierarchy", &both(&keys), &[&root]);
    let case = keys.transfer_secret(&[0x12; 32]).unwrap();
    assert_redacted("TransferSecret", &both(&case), &[&root]);
    let randomness = PackageRandomness::derived(case);
    assert_redacted("PackageRandomness", &both(&randomness), &[&root]);
    let party = keys.party_signing_key().unwrap();
    let seed = party.expose_pkcs8()[16..48].to_vec();
    assert_redacted("derived party key", &both(&party), &[&seed, &root]);

    // A brokerage holds the hierarchy, the keyring, the party key and the ledger signer.
    let dir = tempfile::tempdir().unwrap();
    let config = BrokerageConfig::sqlite(dir.path().join("b.db"));
    assert_redacted("BrokerageConfig", &both(&config), &[&root]);
    let brokerage = Brokerage::open(config, &StaticKeySource::new(root)).unwrap();
    assert_redacted("Brokerage", &both(&brokerage), &[&root, &seed]);
}

#[test]
fn the_redaction_check_catches_leaks() {
    let secret = [0xC3u8, 0x01, 0xFE, 0x22, 0x90, 0x7B, 0x11, 0x00, 0x42];
    for leaked in [
        format!("Key({secret:?})"),
        format!(
            "Key({})",
            secret.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        format!("Key({})", base64(&secret)),
    ] {
        let caught = std::panic::catch_unwind(|| assert_redacted("probe", &leaked, &[&secret]));
        assert!(caught.is_err(), "not caught: {leaked}");
    }
    let caught = std::panic::catch_unwind(|| assert_redacted("probe", &format!("{:?}", [7u8; 32]), &[]));
    assert!(caught.is_err(), "an unknown byte array is caught");
    assert_eq!(base64(b"Man"), "TWFu");
    assert_eq!(base64(b"Ma"), "TWE");
}
