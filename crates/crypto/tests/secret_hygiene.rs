//! Secret hygiene, proven: secret types implement neither `Serialize` nor an unredacted `Debug`, and
//! they zeroize their key bytes on drop.
//!
//! The "does not implement" checks are compile-time: the trick (as in `static_assertions`'
//! `assert_not_impl_any!`, written out here) is a trait with two blanket impls, one for every type and
//! one for types that implement the forbidden trait. Naming the method is only unambiguous if exactly one
//! impl applies, so if a secret type ever gains `Serialize`, this file stops compiling.

use custodia_crypto::{
    BlindIndexConfig, BlindIndexer, DataKey, Keyring, KeyringConfig, RecipientKeyPair, SigningKey,
    TransferKey,
};
use custodia_model::{CustomerId, TransferId};
use zeroize::ZeroizeOnDrop;

trait AmbiguousIfSerialize<A> {
    fn some_item() {}
}
impl<T: ?Sized> AmbiguousIfSerialize<()> for T {}
#[allow(dead_code)]
struct ImplementsSerialize;
impl<T: ?Sized + serde::Serialize> AmbiguousIfSerialize<ImplementsSerialize> for T {}

macro_rules! assert_not_serialize {
    ($($t:ty),* $(,)?) => {
        $( const _: fn() = || { let _ = <$t as AmbiguousIfSerialize<_>>::some_item; }; )*
    };
}

assert_not_serialize!(
    custodia_crypto::Plaintext,
    DataKey,
    Keyring,
    TransferKey,
    RecipientKeyPair,
    SigningKey,
    BlindIndexer
);

/// Types whose key bytes are held in `ZeroizeOnDrop` storage (checked by the trait bound).
fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}

#[test]
fn secret_types_zeroize_on_drop() {
    assert_zeroize_on_drop::<DataKey>();
    assert_zeroize_on_drop::<TransferKey>();
    assert_zeroize_on_drop::<RecipientKeyPair>();
    assert_zeroize_on_drop::<Keyring>();
    assert_zeroize_on_drop::<SigningKey>();
    // Opened plaintext comes back in a buffer that wipes itself too.
    assert_zeroize_on_drop::<custodia_crypto::Plaintext>();
}

fn assert_send_sync<T: Send + Sync>() {}

/// Services share keyrings, keys and stores between threads.
#[test]
fn shared_types_are_send_and_sync() {
    assert_send_sync::<Keyring>();
    assert_send_sync::<DataKey>();
    assert_send_sync::<TransferKey>();
    assert_send_sync::<BlindIndexer>();
    assert_send_sync::<custodia_crypto::InMemoryKeyStore>();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// No four consecutive secret bytes, as hex in either case, or as a decimal array fragment, appear.
#[allow(clippy::panic)] // an assertion helper outside `#[test]`
fn assert_redacted(shown: &str, secret: &[u8]) {
    assert!(shown.contains("REDACTED"), "{shown}");
    let lower = hex(secret);
    for i in 0..secret.len().saturating_sub(3) {
        let window = &lower[2 * i..2 * i + 8];
        assert!(!shown.to_lowercase().contains(window), "{shown} leaks {window}");
        let decimal = format!(
            "{}, {}, {}, {}",
            secret[i],
            secret[i + 1],
            secret[i + 2],
            secret[i + 3]
        );
        assert!(!shown.contains(&decimal), "{shown} leaks {decimal}");
    }
}

#[test]
fn debug_output_is_redacted_for_every_secret_type() {
    let master = [0xA7u8; 32];
    let kr = Keyring::derive_from_master(&master, 2, KeyringConfig::default()).unwrap();
    assert_redacted(&format!("{kr:?}"), &master);
    assert_redacted(&format!("{kr:#?}"), &master);

    let material = [0x3Cu8; 32];
    let explicit = Keyring::from_key_material(1, &material, KeyringConfig::default()).unwrap();
    assert_redacted(&format!("{explicit:?}"), &material);

    let (dek, _) = kr.generate_dek(CustomerId::new_v7()).unwrap();
    let shown = format!("{dek:?}");
    assert!(shown.contains("REDACTED") && shown.contains(&dek.id().to_string()));

    let root = [0x5Eu8; 32];
    let ix = BlindIndexer::new(&root, BlindIndexConfig::with_bits(16).unwrap()).unwrap();
    assert_redacted(&format!("{ix:?}"), &root);

    let pair = RecipientKeyPair::generate().unwrap();
    assert_redacted(&format!("{pair:?}"), pair.expose_private_bytes());

    let tk = TransferKey::generate(TransferId::new_v7()).unwrap();
    assert!(format!("{tk:?}").contains("REDACTED"));

    let sk = SigningKey::generate().unwrap();
    // The first 48 bytes of a ring PKCS#8 v2 Ed25519 document hold the header and the 32-byte seed.
    assert_redacted(&format!("{sk:?}"), &sk.expose_pkcs8()[16..48]);
}

/// The data key's bytes never show up in anything public about it: its wrapped form is ciphertext.
#[test]
fn wrapped_keys_and_errors_carry_no_key_bytes() {
    let kr = Keyring::derive_from_master(&[1; 32], 1, KeyringConfig::default()).unwrap();
    let (_, wrapped) = kr.generate_dek(CustomerId::new_v7()).unwrap();
    let err = kr
        .unwrap(
            &custodia_crypto::WrappedKey::decode(&{
                let mut b = wrapped.encode();
                let n = b.len() - 1;
                b[n] ^= 1;
                b
            })
            .unwrap(),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "decryption failed");
}
