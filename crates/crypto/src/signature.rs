//! Ed25519 signing and verifying keys (ring), signatures over exact bytes: sign what you store, store what you sign.

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::CryptoError;

/// Length of an Ed25519 public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 signing key. Its `Debug` shows only the key id; it has no `Serialize`; its PKCS#8 bytes are
/// zeroized on drop. (ring's parsed key pair keeps its own copy of the private scalar and does not zeroize
/// it; that copy lives exactly as long as this value.)
///
/// ```
/// use custodia_crypto::{SigningKey, VerifyingKey};
///
/// let key = SigningKey::generate()?;
/// let stored = b"checkpoint 42"; // sign what you store, store what you sign
/// let signature = key.sign(stored);
/// let public = VerifyingKey::from_bytes(key.verifying_key().as_bytes())?;
/// public.verify(stored, &signature)?;
/// assert!(public.verify(b"checkpoint 43", &signature).is_err());
///
/// let reloaded = SigningKey::from_pkcs8(key.expose_pkcs8())?;
/// assert_eq!(reloaded.verifying_key().key_id(), public.key_id());
/// # Ok::<(), custodia_crypto::CryptoError>(())
/// ```
#[derive(ZeroizeOnDrop)]
pub struct SigningKey {
    pkcs8: Zeroizing<Vec<u8>>,
    #[zeroize(skip)]
    pair: Ed25519KeyPair,
}

impl SigningKey {
    /// Generates a fresh key from the system random generator.
    pub fn generate() -> Result<Self, CryptoError> {
        let rng = SystemRandom::new();
        let document = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| CryptoError::Random)?;
        Self::from_pkcs8(document.as_ref())
    }

    /// Loads a key from its PKCS#8 v2 encoding (RFC 8410), as [`SigningKey::expose_pkcs8`] exports it.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, CryptoError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| CryptoError::InvalidKey {
            what: "ed25519 pkcs8",
        })?;
        Ok(Self {
            pkcs8: Zeroizing::new(pkcs8.to_vec()),
            pair,
        })
    }

    /// The PKCS#8 encoding of the private key, for the caller to store in its own secret store.
    /// Greppable on purpose: every export of a private key goes through this call.
    pub fn expose_pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        let mut bytes = [0u8; PUBLIC_KEY_LEN];
        bytes.copy_from_slice(self.pair.public_key().as_ref());
        VerifyingKey(bytes)
    }

    /// Signs exactly `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        let mut bytes = [0u8; SIGNATURE_LEN];
        bytes.copy_from_slice(self.pair.sign(message).as_ref());
        Signature(bytes)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey {{ key_id: {}, secret: [REDACTED] }}",
            self.verifying_key().key_id()
        )
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VerifyingKey([u8; PUBLIC_KEY_LEN]);

impl VerifyingKey {
    /// A public key from its 32 raw bytes. Any 32 bytes are accepted here; a malformed point simply never
    /// verifies a signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let bytes: [u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::InvalidKey {
            what: "ed25519 public",
        })?;
        Ok(Self(bytes))
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// A stable, short id for this key: the first 8 bytes of SHA-256 over the public key.
    pub fn key_id(&self) -> KeyId {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.0);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest.as_ref()[..8]);
        KeyId(id)
    }

    /// Verifies `signature` over exactly `message`. Failure is opaque.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), CryptoError> {
        UnparsedPublicKey::new(&ED25519, &self.0)
            .verify(message, &signature.0)
            .map_err(|_| CryptoError::BadSignature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({})", self.key_id())
    }
}

/// A stable identifier of a verifying key (8 bytes, shown as hex).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The raw 8 bytes.
    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// A key id from its 8 raw bytes.
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// An Ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// A signature from its 64 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let bytes: [u8; SIGNATURE_LEN] = bytes.try_into().map_err(|_| CryptoError::BadSignature)?;
        Ok(Self(bytes))
    }

    /// The 64 raw bytes.
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(")?;
        self.0.iter().take(8).try_for_each(|b| write!(f, "{b:02x}"))?;
        f.write_str("…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_reject_changes() {
        let key = SigningKey::generate().unwrap();
        let public = key.verifying_key();
        let sig = key.sign(b"exact bytes");
        public.verify(b"exact bytes", &sig).unwrap();
        assert_eq!(
            public.verify(b"exact bytez", &sig),
            Err(CryptoError::BadSignature)
        );
        let mut flipped = *sig.as_bytes();
        flipped[0] ^= 1;
        let flipped = Signature::from_bytes(&flipped).unwrap();
        assert_eq!(
            public.verify(b"exact bytes", &flipped),
            Err(CryptoError::BadSignature)
        );
        let other = SigningKey::generate().unwrap().verifying_key();
        assert_eq!(other.verify(b"exact bytes", &sig), Err(CryptoError::BadSignature));
    }

    #[test]
    fn pkcs8_round_trip_keeps_the_key_id() {
        let key = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8(key.expose_pkcs8()).unwrap();
        assert_eq!(key.verifying_key(), again.verifying_key());
        assert!(SigningKey::from_pkcs8(b"not a key").is_err());
        assert!(VerifyingKey::from_bytes(&[0u8; 31]).is_err());
        assert!(Signature::from_bytes(&[0u8; 63]).is_err());
    }

    #[test]
    fn debug_shows_no_secret_bytes() {
        let key = SigningKey::generate().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("REDACTED"));
        let pkcs8 = key.expose_pkcs8();
        // The last 32 bytes of a ring PKCS#8 v2 document are the public key; the seed sits before it.
        // No run of 4 secret bytes, in hex, may appear in the output.
        let hex: String = pkcs8.iter().map(|b| format!("{b:02x}")).collect();
        for window in hex.as_bytes().chunks(8).take(pkcs8.len() / 4 - 8) {
            assert!(!shown.contains(std::str::from_utf8(window).unwrap()));
        }
    }
}
