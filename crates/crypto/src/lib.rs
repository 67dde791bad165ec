//! # custodia-crypto (in progress)
//!
//! The only crate that touches key bytes.

mod aead;
mod blind_index;
mod codec;
mod error;
mod keyring;
mod keystore;
mod section;
mod transfer;
pub mod signature;

pub use blind_index::{
    BlindIndex, BlindIndexConfig, BlindIndexField, BlindIndexer, MIN_BLIND_INDEX_ROOT_KEY_LEN,
    NORMALIZATION_VERSION, normalize,
};
pub use error::CryptoError;
pub use keyring::{
    DataKey, DekId, Keyring, KeyringConfig, MAX_WRAPS_PER_KEK, MIN_MASTER_SECRET_LEN,
    WRAPPED_KEY_FORMAT_VERSION, WRAPPED_KEY_LEN, WrappedKey,
};
pub use keystore::{DestructionEvidence, InMemoryKeyStore, KeyStore};
pub use section::{
    SECTION_FORMAT_VERSION, SECTION_HEADER_LEN, SECTION_OVERHEAD, SealedSection, open_section,
    seal_section,
};
pub use signature::{KeyId, Signature, SigningKey, VerifyingKey};
pub use transfer::{
    RECIPIENT_KEY_LEN, RecipientKeyPair, RecipientPublicKey, SEALED_TRANSFER_KEY_FORMAT_VERSION,
    SEALED_TRANSFER_KEY_LEN, SealedTransferKey, TRANSFER_WRAPPED_KEY_FORMAT_VERSION,
    TRANSFER_WRAPPED_KEY_LEN, TransferKey, TransferWrappedKey,
};
