//! The one error type of custodia-crypto. Failures of decryption and authentication are deliberately opaque.

/// What went wrong in a cryptographic operation. Decryption and signature failures say only *that* they
/// failed, never why, so that no oracle leaks through error messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Key material could not be parsed or has the wrong length.
    #[error("invalid {what} key material")]
    InvalidKey {
        /// Which kind of key was expected.
        what: &'static str,
    },
    /// A signature did not verify over the given bytes.
    #[error("signature verification failed")]
    BadSignature,
    /// The system random generator failed.
    #[error("system random generator failed")]
    Random,
}
