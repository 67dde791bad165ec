//! # custodia-crypto (in progress)
//!
//! The only crate that touches key bytes. So far: Ed25519 signatures over exact bytes.

mod error;
pub mod signature;

pub use error::CryptoError;
pub use signature::{KeyId, Signature, SigningKey, VerifyingKey};
