//! Fuzz-only fixtures shared by the targets: fixed test keys and the agreement, package and keys that
//! `cargo run --bin seeds` wrote to `fixtures/`, embedded so the seeds stay valid inputs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use custodia_crypto::{
    DataKey, Keyring, KeyringConfig, RecipientKeyPair, SealedTransferKey, SigningKey, TransferKey, WrappedKey,
};
use custodia_ledger::{NoteSigner, NoteVerifier, SignatureKind, TrustPolicy};
use custodia_transfer::SignedAgreement;

/// The buyer's X25519 key is derived from this fixed input (the same constant as in `seeds.rs`).
pub const RECIPIENT_IKM: &[u8] = b"custodia-fuzz recipient key, never used outside fuzzing";

pub static SELLER_RING: LazyLock<Keyring> =
    LazyLock::new(|| Keyring::derive_from_master(&[0x11; 32], 1, KeyringConfig::default()).unwrap());
pub static BUYER_RING: LazyLock<Keyring> =
    LazyLock::new(|| Keyring::derive_from_master(&[0x22; 32], 1, KeyringConfig::default()).unwrap());
pub static RECIPIENT: LazyLock<RecipientKeyPair> =
    LazyLock::new(|| RecipientKeyPair::derive_from_ikm(RECIPIENT_IKM).unwrap());
pub static SELLER: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::from_pkcs8(include_bytes!("../fixtures/seller.pk8")).unwrap());
pub static BUYER: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::from_pkcs8(include_bytes!("../fixtures/buyer.pk8")).unwrap());
pub static LOG_SIGNER: LazyLock<NoteSigner> = LazyLock::new(|| {
    let key = SigningKey::from_pkcs8(include_bytes!("../fixtures/log.pk8")).unwrap();
    NoteSigner::new("fuzz.example/log", SignatureKind::Ed25519, key).unwrap()
});
pub static LOG_VERIFIER: LazyLock<NoteVerifier> = LazyLock::new(|| LOG_SIGNER.verifier().clone());
pub static LOG_POLICY: LazyLock<TrustPolicy> =
    LazyLock::new(|| TrustPolicy::log_only(LOG_VERIFIER.name(), vec![LOG_VERIFIER.clone()]).unwrap());
pub static AGREEMENT: LazyLock<SignedAgreement> =
    LazyLock::new(|| SignedAgreement::decode(include_bytes!("../fixtures/agreement.bin")).unwrap());
pub static PACKAGE: &[u8] = include_bytes!("../fixtures/package.bin");
pub static WRAPPED: LazyLock<WrappedKey> =
    LazyLock::new(|| WrappedKey::decode(include_bytes!("../fixtures/wrapped_key.bin")).unwrap());
/// The seller's data key of the seed customer (`01…01`), which sealed the `sealed_section` seeds.
pub static DEK: LazyLock<DataKey> = LazyLock::new(|| SELLER_RING.unwrap(&WRAPPED).unwrap());
pub static SEALED_TRANSFER_KEY: LazyLock<SealedTransferKey> = LazyLock::new(|| {
    SealedTransferKey::decode(include_bytes!("../fixtures/sealed_transfer_key.bin")).unwrap()
});
/// The transfer key of the fixture package, opened with the buyer's key.
pub static TRANSFER_KEY: LazyLock<TransferKey> = LazyLock::new(|| {
    RECIPIENT
        .open_transfer_key(&SEALED_TRANSFER_KEY, SEALED_TRANSFER_KEY.transfer_id())
        .unwrap()
});
