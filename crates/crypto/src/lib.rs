//! # custodia-crypto (in progress)
//!
//! The only crate that touches key bytes.

mod aead;
mod codec;
mod error;
mod keyring;
mod section;
pub mod signature;

pub use error::CryptoError;
pub use keyring::{
    DataKey, DekId, Keyring, KeyringConfig, MAX_WRAPS_PER_KEK, MIN_MASTER_SECRET_LEN,
    WRAPPED_KEY_FORMAT_VERSION, WRAPPED_KEY_LEN, WrappedKey,
};
pub use section::{
    SECTION_FORMAT_VERSION, SECTION_HEADER_LEN, SECTION_OVERHEAD, SealedSection, open_section,
    seal_section,
};
pub use signature::{KeyId, Signature, SigningKey, VerifyingKey};
