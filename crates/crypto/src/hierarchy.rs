//! The key hierarchy of one brokerage: every key derived with HKDF-SHA256 from one 32-byte root secret, and the per-case secret that makes a transfer package reproducible.
//!
//! A brokerage keeps exactly one secret outside its database — the [`RootSecret`] — and [`KeyHierarchy`]
//! derives every other key from it with HKDF-SHA256 (RFC 5869) and a distinct label, so no two keys can
//! ever coincide and the database never holds key material:
//!
//! | key | label (HKDF `info`) | used for |
//! |---|---|---|
//! | KEK keyring master | `custodia/kek-master/v1` | the versioned KEKs that wrap every customer's DEK ([`Keyring`]) |
//! | ledger signing key | `custodia/ledger-signing/v1` | Ed25519, the C2SP checkpoints of the brokerage's ledger |
//! | party signing key | `custodia/party-signing/v1` | Ed25519, agreements, packages, receipts, approvals |
//! | recipient key pair | `custodia/recipient/v1` | X25519, packages sealed to this brokerage (RFC 9180 `DeriveKeyPair`) |
//! | blind-index root | `custodia/blind-index/v1` | the HMAC keys of identity-number, phone and e-mail lookups |
//! | link-token key | `custodia/link-token/v1` | reserved for the service's signed links (a later issue) |
//! | transfer case secret | `custodia/transfer-case/v1` ‖ agreement digest | [`TransferSecret`]: a package's randomness |
//!
//! The extract step uses the salt `custodia/key-hierarchy/v1`. Key bytes never leave this crate: the
//! hierarchy hands out keyrings, signing keys, key pairs and indexers, never bytes.
//!
//! **A reproducible package.** A transfer step re-run after a crash must write the same bytes, so that a
//! buyer, a receipt and a customer's proof never see two packages for one agreement. The transfer key,
//! the HPKE ephemeral key, each customer's re-wrap nonce and each manifest salt are therefore derived from
//! the case's [`TransferSecret`] (itself derived from the root secret and the signed agreement's digest)
//! instead of drawn fresh: [`PackageRandomness::derived`]. The nonce of a customer's re-wrapped DEK is
//! derived from the customer id *and* the DEK id, so one (transfer key, nonce) pair only ever seals one
//! DEK — the same plaintext on every re-run, never two different ones (NIST SP 800-38D §8: a repeated
//! nonce is only harmless for a repeated plaintext).

use std::convert::Infallible;
use std::fmt;

use custodia_model::{CustomerId, TransferId};
use hpke::rand_core::{TryCryptoRng, TryRng};
use ring::hkdf;
use ring::signature::{Ed25519KeyPair, KeyPair};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::aead::{KEY_LEN, NONCE_LEN};
use crate::blind_index::{BlindIndexConfig, BlindIndexer};
use crate::error::CryptoError;
use crate::keyring::{Keyring, KeyringConfig, WrappedKey};
use crate::random::BulkRandom;
use crate::signature::SigningKey;
use crate::transfer::{
    RecipientKeyPair, RecipientPublicKey, SealedTransferKey, TransferKey, TransferWrappedKey,
};

/// Length of a root secret: 256 bits.
pub const ROOT_SECRET_LEN: usize = 32;

const HIERARCHY_SALT: &[u8] = b"custodia/key-hierarchy/v1";
const KEK_MASTER: &[u8] = b"custodia/kek-master/v1";
const LEDGER_SIGNING: &[u8] = b"custodia/ledger-signing/v1";
const PARTY_SIGNING: &[u8] = b"custodia/party-signing/v1";
const RECIPIENT: &[u8] = b"custodia/recipient/v1";
const BLIND_INDEX: &[u8] = b"custodia/blind-index/v1";
const LINK_TOKEN: &[u8] = b"custodia/link-token/v1";
const TRANSFER_CASE: &[u8] = b"custodia/transfer-case/v1";

const TRANSFER_SALT: &[u8] = b"custodia/transfer-secret/v1";
const TRANSFER_KEY: &[u8] = b"transfer key";
const HPKE_EPHEMERAL: &[u8] = b"hpke ephemeral";
const REWRAP_NONCE: &[u8] = b"re-wrap nonce";
const MANIFEST_SALT: &[u8] = b"manifest salt";

/// An HKDF output length (ring asks for it as a "key type").
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand of `prk` with `info` into `out`.
fn expand(prk: &hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError> {
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| CryptoError::Internal { what: "hkdf expand" })
}

/// The one secret a brokerage keeps outside its database: 32 bytes from which [`KeyHierarchy`] derives
/// every key.
///
/// Secret: `Debug` prints `RootSecret([REDACTED])`, there is no `Serialize`, and the bytes are zeroized on
/// drop. Reading them is the explicit [`RootSecret::expose_secret`], for writing a key file.
#[derive(ZeroizeOnDrop)]
pub struct RootSecret(Zeroizing<[u8; ROOT_SECRET_LEN]>);

impl RootSecret {
    /// A fresh secret from the operating system's generator.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; ROOT_SECRET_LEN]);
        crate::random::fill(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    /// A secret from exactly 32 bytes (a key file, a KMS response, an environment variable). The caller
    /// wipes its own copy.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; ROOT_SECRET_LEN] = bytes.try_into().map_err(|_| CryptoError::InvalidKey {
            what: "root secret (32 bytes)",
        })?;
        let secret = Self(Zeroizing::new(array));
        // `array` is a copy on the stack; wipe it too.
        let mut array = array;
        zeroize::Zeroize::zeroize(&mut array);
        Ok(secret)
    }

    /// The 32 bytes, to write into a key file. Greppable on purpose.
    pub fn expose_secret(&self) -> &[u8; ROOT_SECRET_LEN] {
        &self.0
    }
}

impl fmt::Debug for RootSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootSecret([REDACTED])")
    }
}

/// Every key of one brokerage, derived on demand from its [`RootSecret`] (see the module documentation
/// for the labels).
///
/// Secret: `Debug` is redacted, there is no `Serialize`, and the root secret it holds is zeroized on drop.
/// The keys it hands out are the crate's own secret types, each with the same hygiene.
///
/// ```
/// use custodia_crypto::{KeyHierarchy, KeyringConfig, RootSecret};
///
/// let keys = KeyHierarchy::new(RootSecret::from_slice(&[7u8; 32])?);
/// // The same root gives the same keys, on every machine and after every restart.
/// let again = KeyHierarchy::new(RootSecret::from_slice(&[7u8; 32])?);
/// assert_eq!(keys.party_signing_key()?.verifying_key(), again.party_signing_key()?.verifying_key());
/// assert_eq!(keys.recipient_key_pair()?.public_key(), again.recipient_key_pair()?.public_key());
/// // Different labels, different keys.
/// assert_ne!(keys.party_signing_key()?.verifying_key(), keys.ledger_signing_key()?.verifying_key());
/// let keyring = keys.keyring(2, 1, KeyringConfig::default())?;
/// assert_eq!((keyring.primary_version(), keyring.min_decrypt_version()), (2, 1));
/// # Ok::<(), custodia_crypto::CryptoError>(())
/// ```
#[derive(ZeroizeOnDrop)]
pub struct KeyHierarchy {
    root: RootSecret,
}

impl KeyHierarchy {
    /// The hierarchy of `root`.
    pub fn new(root: RootSecret) -> Self {
        Self { root }
    }

    fn prk(&self) -> hkdf::Prk {
        hkdf::Salt::new(hkdf::HKDF_SHA256, HIERARCHY_SALT).extract(self.root.expose_secret())
    }

    fn derive<const N: usize>(&self, info: &[&[u8]]) -> Result<Zeroizing<[u8; N]>, CryptoError> {
        let mut out = Zeroizing::new([0u8; N]);
        expand(&self.prk(), info, out.as_mut())?;
        Ok(out)
    }

    /// The KEK keyring: versions `1..=primary` derived from the keyring master, the highest primary, and
    /// nothing below `min_decrypt` unwrapped (the stored KEK state says which; `rotate_kek` moves them).
    pub fn keyring(
        &self,
        primary: u32,
        min_decrypt: u32,
        config: KeyringConfig,
    ) -> Result<Keyring, CryptoError> {
        let master = self.derive::<32>(&[KEK_MASTER])?;
        let mut keyring = Keyring::derive_from_master(master.as_ref(), primary, config)?;
        keyring.set_min_decrypt_version(min_decrypt)?;
        Ok(keyring)
    }

    /// The Ed25519 key that signs the brokerage's ledger checkpoints.
    pub fn ledger_signing_key(&self) -> Result<SigningKey, CryptoError> {
        signing_key_from_seed(&*self.derive::<32>(&[LEDGER_SIGNING])?)
    }

    /// The Ed25519 key the brokerage signs as a party with: agreements, packages, receipts, approvals.
    pub fn party_signing_key(&self) -> Result<SigningKey, CryptoError> {
        signing_key_from_seed(&*self.derive::<32>(&[PARTY_SIGNING])?)
    }

    /// The X25519 key pair packages are sealed to when this brokerage is the buyer.
    pub fn recipient_key_pair(&self) -> Result<RecipientKeyPair, CryptoError> {
        RecipientKeyPair::derive_from_ikm(self.derive::<32>(&[RECIPIENT])?.as_ref())
    }

    /// The blind indexer (identity number, phone, e-mail) with `config`.
    pub fn blind_indexer(&self, config: BlindIndexConfig) -> Result<BlindIndexer, CryptoError> {
        BlindIndexer::new(self.derive::<32>(&[BLIND_INDEX])?.as_ref(), config)
    }

    /// The HMAC-SHA256 key of the service's signed links (reserved for a later issue; derived here so
    /// that its label is taken).
    pub fn link_token_key(&self) -> Result<ring::hmac::Key, CryptoError> {
        let bytes = self.derive::<32>(&[LINK_TOKEN])?;
        Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, bytes.as_ref()))
    }

    /// The secret of the transfer case under the signed agreement whose SHA-256 digest is
    /// `agreement_digest`: the same agreement always gives the same secret, another agreement another.
    pub fn transfer_secret(&self, agreement_digest: &[u8; 32]) -> Result<TransferSecret, CryptoError> {
        Ok(TransferSecret(
            self.derive::<32>(&[TRANSFER_CASE, agreement_digest])?,
        ))
    }
}

impl fmt::Debug for KeyHierarchy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHierarchy { root: [REDACTED] }")
    }
}

/// An Ed25519 signing key from a 32-byte seed, through ring's PKCS#8 v2 form (RFC 8410 §7: the fixed
/// prefix, the seed, and the public key).
fn signing_key_from_seed(seed: &[u8; 32]) -> Result<SigningKey, CryptoError> {
    const PREFIX: [u8; 16] = [
        0x30, 0x53, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ];
    const PUBLIC_TAG: [u8; 5] = [0xa1, 0x23, 0x03, 0x21, 0x00];
    let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| CryptoError::InvalidKey {
        what: "ed25519 seed (32 bytes)",
    })?;
    let mut pkcs8 = Zeroizing::new(Vec::with_capacity(85));
    pkcs8.extend_from_slice(&PREFIX);
    pkcs8.extend_from_slice(seed);
    pkcs8.extend_from_slice(&PUBLIC_TAG);
    pkcs8.extend_from_slice(pair.public_key().as_ref());
    SigningKey::from_pkcs8(&pkcs8)
}

/// The secret of one transfer case: the root of every random value of its package
/// ([`PackageRandomness::derived`]), so that writing the package again after a crash gives the same bytes.
///
/// Secret: `Debug` is redacted, there is no `Serialize`, and the bytes are zeroized on drop.
#[derive(ZeroizeOnDrop)]
pub struct TransferSecret(Zeroizing<[u8; 32]>);

impl TransferSecret {
    fn prk(&self) -> hkdf::Prk {
        hkdf::Salt::new(hkdf::HKDF_SHA256, TRANSFER_SALT).extract(self.0.as_ref())
    }

    fn derive<const N: usize>(&self, info: &[&[u8]]) -> Result<Zeroizing<[u8; N]>, CryptoError> {
        let mut out = Zeroizing::new([0u8; N]);
        expand(&self.prk(), info, out.as_mut())?;
        Ok(out)
    }
}

impl fmt::Debug for TransferSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransferSecret([REDACTED])")
    }
}

/// Where a package's random values come from: fresh from the system ([`PackageRandomness::fresh`]) or
/// derived from a case's [`TransferSecret`] so that the package is reproducible
/// ([`PackageRandomness::derived`]). Either way the values are as unguessable as the source.
///
/// Secret when derived: `Debug` shows only which source it is.
pub struct PackageRandomness(Source);

enum Source {
    Fresh(BulkRandom),
    Derived(TransferSecret),
}

impl fmt::Debug for PackageRandomness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Source::Fresh(_) => f.write_str("PackageRandomness::Fresh"),
            Source::Derived(_) => f.write_str("PackageRandomness::Derived([REDACTED])"),
        }
    }
}

impl PackageRandomness {
    /// Fresh system randomness for every value: each package is new.
    pub fn fresh() -> Self {
        Self(Source::Fresh(BulkRandom::new()))
    }

    /// Every value derived from `secret`: the same case always writes the same package.
    pub fn derived(secret: TransferSecret) -> Self {
        Self(Source::Derived(secret))
    }

    /// The transfer key of `transfer`.
    pub fn transfer_key(&self, transfer: TransferId) -> Result<TransferKey, CryptoError> {
        match &self.0 {
            Source::Fresh(_) => TransferKey::generate(transfer),
            Source::Derived(secret) => TransferKey::new(
                transfer,
                secret.derive::<KEY_LEN>(&[TRANSFER_KEY, transfer.as_bytes()])?,
            ),
        }
    }

    /// `key` sealed to `recipient` with HPKE, the ephemeral key from this source.
    pub fn seal_transfer_key(
        &self,
        key: &TransferKey,
        recipient: &RecipientPublicKey,
    ) -> Result<SealedTransferKey, CryptoError> {
        match &self.0 {
            Source::Fresh(_) => key.seal_to(recipient),
            Source::Derived(secret) => {
                let seed = secret.derive::<64>(&[
                    HPKE_EPHEMERAL,
                    key.transfer_id().as_bytes(),
                    recipient.as_bytes(),
                ])?;
                let mut rng = SeededRng {
                    bytes: seed,
                    next: 0,
                    failed: false,
                };
                key.seal_to_with(recipient, &mut rng)
            }
        }
    }

    /// `wrapped` (under `keyring`) re-wrapped under `key`, without the DEK reaching the caller; the nonce
    /// from this source (derived from the customer and the DEK id).
    pub fn rewrap_for_transfer(
        &self,
        keyring: &Keyring,
        wrapped: &WrappedKey,
        key: &TransferKey,
    ) -> Result<TransferWrappedKey, CryptoError> {
        match &self.0 {
            Source::Fresh(_) => keyring.rewrap_for_transfer(wrapped, key),
            Source::Derived(secret) => {
                let nonce = secret.derive::<NONCE_LEN>(&[
                    REWRAP_NONCE,
                    key.transfer_id().as_bytes(),
                    wrapped.customer().as_bytes(),
                    wrapped.dek_id().as_bytes(),
                ])?;
                let dek = keyring.unwrap(wrapped)?;
                key.wrap_data_key_with_nonce(&dek, *nonce)
            }
        }
    }

    /// The 32-byte manifest salt of `customer`'s entry.
    pub fn salt(&mut self, customer: CustomerId) -> Result<[u8; 32], CryptoError> {
        match &mut self.0 {
            Source::Fresh(bulk) => bulk.array::<32>(),
            Source::Derived(secret) => Ok(*secret.derive::<32>(&[MANIFEST_SALT, customer.as_bytes()])?),
        }
    }
}

/// Hands out a fixed buffer of derived bytes as the "randomness" HPKE asks for its ephemeral key (32
/// bytes); asking for more than the buffer is recorded as a failure, never a panic.
struct SeededRng {
    bytes: Zeroizing<[u8; 64]>,
    next: usize,
    failed: bool,
}

impl TryRng for SeededRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        match self.bytes.get(self.next..self.next.saturating_add(dst.len())) {
            Some(src) => {
                dst.copy_from_slice(src);
                self.next += dst.len();
            }
            None => self.failed = true,
        }
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

impl crate::transfer::FallibleRng for SeededRng {
    fn failed(&self) -> bool {
        self.failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hierarchy() -> KeyHierarchy {
        KeyHierarchy::new(RootSecret::from_slice(&[0x01; 32]).unwrap())
    }

    /// Known answers: the public keys and key ids the fixed root `[0x01; 32]` derives. A change here
    /// changes every brokerage's keys, so it must be a new label version, never an edit.
    #[test]
    fn known_answers_for_a_fixed_root() {
        let keys = hierarchy();
        let party = keys.party_signing_key().unwrap().verifying_key();
        let ledger = keys.ledger_signing_key().unwrap().verifying_key();
        let recipient = keys.recipient_key_pair().unwrap().public_key();
        let answers = [
            hex::encode(party.as_bytes()),
            hex::encode(ledger.as_bytes()),
            hex::encode(recipient.as_bytes()),
        ];
        assert_eq!(answers, KNOWN_ANSWERS.map(str::to_owned), "{answers:#?}");
        // The keyring master: a DEK wrapped by this root opens with a keyring from the same root only.
        let ring = keys.keyring(1, 1, KeyringConfig::default()).unwrap();
        let (_, wrapped) = ring.generate_dek(CustomerId::new_v7()).unwrap();
        assert!(
            hierarchy()
                .keyring(1, 1, KeyringConfig::default())
                .unwrap()
                .unwrap(&wrapped)
                .is_ok()
        );
        let other = KeyHierarchy::new(RootSecret::from_slice(&[0x02; 32]).unwrap());
        assert!(
            other
                .keyring(1, 1, KeyringConfig::default())
                .unwrap()
                .unwrap(&wrapped)
                .is_err()
        );
    }

    const KNOWN_ANSWERS: [&str; 3] = [
        "77eb5dee2cd3b8c16bea4c650e2e09bceb4e75d368d6e38d3bd09168509d8c75",
        "e1089d708d6edaee2fca709e39ddd07974344eabd788f4c9a480824dd8fee756",
        "c7d769d283d08df84c1056fa215a66ea6899d12aed9ffd07f5bcc31f24daff21",
    ];

    /// RFC 5869 appendix A.1 (HKDF-SHA256, test case 1) through this module's `expand`.
    #[test]
    fn hkdf_matches_rfc_5869_test_case_1() {
        let ikm = [0x0b_u8; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &salt).extract(&ikm);
        let mut okm = [0u8; 42];
        expand(&prk, &[&info], &mut okm).unwrap();
        assert_eq!(
            hex::encode(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    /// The party key's seed, computed independently with HMAC-SHA256 as RFC 5869 §2.2 and §2.3 define
    /// HKDF (one block of output), gives the same Ed25519 key.
    #[test]
    fn the_party_key_is_hkdf_of_the_root_with_its_label() {
        use ring::hmac;
        let prk = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, HIERARCHY_SALT), &[0x01; 32]);
        let mut block = PARTY_SIGNING.to_vec();
        block.push(0x01);
        let okm = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, prk.as_ref()), &block);
        let seed: [u8; 32] = okm.as_ref().try_into().unwrap();
        let independent = signing_key_from_seed(&seed).unwrap().verifying_key();
        assert_eq!(
            independent,
            hierarchy().party_signing_key().unwrap().verifying_key()
        );
    }

    #[test]
    fn a_derived_package_source_repeats_and_a_fresh_one_does_not() {
        let keys = hierarchy();
        let digest = [9u8; 32];
        let transfer = TransferId::new_v7();
        let customer = CustomerId::new_v7();
        let recipient = keys.recipient_key_pair().unwrap();
        let ring = keys.keyring(1, 1, KeyringConfig::default()).unwrap();
        let (_, wrapped) = ring.generate_dek(customer).unwrap();
        let run = |source: &mut PackageRandomness| {
            let key = source.transfer_key(transfer).unwrap();
            let sealed = source.seal_transfer_key(&key, &recipient.public_key()).unwrap();
            let moved = source.rewrap_for_transfer(&ring, &wrapped, &key).unwrap();
            let salt = source.salt(customer).unwrap();
            // The buyer opens what a derived source sealed, as it opens a fresh one.
            let opened = recipient.open_transfer_key(&sealed, transfer).unwrap();
            assert_eq!(opened.unwrap_data_key(&moved).unwrap().id(), wrapped.dek_id());
            (sealed.encode(), moved.encode(), salt)
        };
        let first = run(&mut PackageRandomness::derived(
            keys.transfer_secret(&digest).unwrap(),
        ));
        let again = run(&mut PackageRandomness::derived(
            keys.transfer_secret(&digest).unwrap(),
        ));
        assert_eq!(first, again);
        let other_case = run(&mut PackageRandomness::derived(
            keys.transfer_secret(&[8u8; 32]).unwrap(),
        ));
        assert_ne!(first.0, other_case.0);
        assert_ne!(first.1, other_case.1);
        assert_ne!(first.2, other_case.2);
        let fresh = run(&mut PackageRandomness::fresh());
        assert_ne!(first, fresh);
        assert_ne!(fresh, run(&mut PackageRandomness::fresh()));
        // A second DEK of the same customer gets another nonce under the same transfer key.
        let (_, second) = ring.generate_dek(customer).unwrap();
        let source = PackageRandomness::derived(keys.transfer_secret(&digest).unwrap());
        let key = source.transfer_key(transfer).unwrap();
        let a = source
            .rewrap_for_transfer(&ring, &wrapped, &key)
            .unwrap()
            .encode();
        let b = source.rewrap_for_transfer(&ring, &second, &key).unwrap().encode();
        let nonce = |bytes: &[u8]| bytes[49..61].to_vec();
        assert_ne!(nonce(&a), nonce(&b));
    }

    #[test]
    fn secrets_are_redacted() {
        let root = RootSecret::from_slice(&[0xab; 32]).unwrap();
        assert_eq!(format!("{root:?}"), "RootSecret([REDACTED])");
        let keys = KeyHierarchy::new(root);
        assert!(!format!("{keys:?}").contains("ab"));
        let secret = keys.transfer_secret(&[0; 32]).unwrap();
        assert_eq!(format!("{secret:?}"), "TransferSecret([REDACTED])");
        let source = PackageRandomness::derived(secret);
        assert_eq!(format!("{source:?}"), "PackageRandomness::Derived([REDACTED])");
        assert!(RootSecret::from_slice(&[0; 31]).is_err());
    }
}
