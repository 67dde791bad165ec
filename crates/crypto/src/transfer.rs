//! Sealing to a buyer: recipient X25519 key pairs, a transfer key sealed once with HPKE, DEKs re-wrapped under it.
//!
//! The exact bytes — the HPKE suite, `info` (`"custodia/transfer-key/v1"` ‖ transfer id) and `aad` (`0x01` ‖
//! transfer id), and the transfer-wrap AAD (`"custodia/transfer-wrap/v1"` ‖ transfer id ‖ customer id ‖ DEK
//! id) — are specified in `spec/crypto.md`.

use std::convert::Infallible;
use std::fmt;

use custodia_model::{CustomerId, TransferId};
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use ring::aead::LessSafeKey;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::aead::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::codec::Reader;
use crate::error::CryptoError;
use crate::keyring::{DataKey, DekId, Keyring, WrappedKey};
use crate::signature::KeyId;

/// The HPKE KEM: DHKEM(X25519, HKDF-SHA256), RFC 9180 §7.1, kem_id 0x0020.
pub(crate) type HpkeKem = hpke::kem::X25519HkdfSha256;
/// The HPKE KDF: HKDF-SHA256, kdf_id 0x0001.
pub(crate) type HpkeKdf = hpke::kdf::HkdfSha256;
/// The HPKE AEAD: AES-256-GCM, aead_id 0x0002.
pub(crate) type HpkeAead = hpke::aead::AesGcm256;

/// Length of an X25519 public or private key.
pub const RECIPIENT_KEY_LEN: usize = 32;

/// Version byte of the [`SealedTransferKey`] format.
pub const SEALED_TRANSFER_KEY_FORMAT_VERSION: u8 = 1;
/// Length of an encoded [`SealedTransferKey`].
pub const SEALED_TRANSFER_KEY_LEN: usize = 1 + 16 + RECIPIENT_KEY_LEN + KEY_LEN + TAG_LEN;

/// Version byte of the [`TransferWrappedKey`] format.
pub const TRANSFER_WRAPPED_KEY_FORMAT_VERSION: u8 = 1;
/// Length of an encoded [`TransferWrappedKey`].
pub const TRANSFER_WRAPPED_KEY_LEN: usize = 1 + 16 + 16 + 16 + NONCE_LEN + KEY_LEN + TAG_LEN;

const HPKE_INFO_LABEL: &[u8; 24] = b"custodia/transfer-key/v1";
const TRANSFER_WRAP_AAD_LABEL: &[u8; 25] = b"custodia/transfer-wrap/v1";

/// A buyer's static X25519 key pair. The public half is published to sellers; the private half opens
/// sealed transfer keys.
///
/// Secret: `Debug` shows only the public key id, there is no `Serialize`, and the private key bytes are
/// zeroized on drop (the HPKE crate's own private-key value, made only for the duration of one open, is
/// zeroized on drop by x25519-dalek).
#[derive(ZeroizeOnDrop)]
pub struct RecipientKeyPair {
    private: Zeroizing<[u8; RECIPIENT_KEY_LEN]>,
    #[zeroize(skip)]
    public: RecipientPublicKey,
}

impl RecipientKeyPair {
    /// A fresh key pair from the system random generator (RFC 9180 `DeriveKeyPair` over 32 random bytes).
    pub fn generate() -> Result<Self, CryptoError> {
        let mut ikm = Zeroizing::new([0u8; 32]);
        crate::random::fill(ikm.as_mut())?;
        Self::derive_from_ikm(ikm.as_ref())
    }

    /// The key pair RFC 9180 `DeriveKeyPair(ikm)` gives, for keys kept as a seed; `ikm` needs at least 32
    /// bytes of entropy.
    pub fn derive_from_ikm(ikm: &[u8]) -> Result<Self, CryptoError> {
        if ikm.len() < 32 {
            return Err(CryptoError::InvalidKey {
                what: "x25519 seed (at least 32 bytes)",
            });
        }
        let (sk, pk) = HpkeKem::derive_keypair(ikm);
        Self::from_parts(&sk, &pk)
    }

    /// A key pair from its 32-byte private key, as [`RecipientKeyPair::expose_private_bytes`] exports it.
    pub fn from_private_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let sk =
            <HpkeKem as hpke::Kem>::PrivateKey::from_bytes(bytes).map_err(|_| CryptoError::InvalidKey {
                what: "x25519 private (32 bytes)",
            })?;
        let pk = HpkeKem::sk_to_pk(&sk);
        Self::from_parts(&sk, &pk)
    }

    fn from_parts(
        sk: &<HpkeKem as hpke::Kem>::PrivateKey,
        pk: &<HpkeKem as hpke::Kem>::PublicKey,
    ) -> Result<Self, CryptoError> {
        let mut sk_bytes = sk.to_bytes();
        let mut private = Zeroizing::new([0u8; RECIPIENT_KEY_LEN]);
        let copied = copy_exact(&mut private[..], &sk_bytes, "x25519 private");
        sk_bytes.as_mut_slice().zeroize();
        copied?;
        let public = RecipientPublicKey::from_bytes(&pk.to_bytes())?;
        Ok(Self { private, public })
    }

    /// The 32-byte private key, clamped, for the caller's own secret store. Greppable on purpose.
    pub fn expose_private_bytes(&self) -> &[u8; RECIPIENT_KEY_LEN] {
        &self.private
    }

    /// The public half, to publish.
    pub fn public_key(&self) -> RecipientPublicKey {
        self.public
    }

    /// Opens a transfer key sealed to this key pair for `transfer`. Fails with
    /// [`CryptoError::TransferMismatch`] if the bytes name another transfer, and with the opaque
    /// [`CryptoError::DecryptionFailed`] if it was sealed to another key or for another transfer, or was
    /// altered.
    pub fn open_transfer_key(
        &self,
        sealed: &SealedTransferKey,
        transfer: TransferId,
    ) -> Result<TransferKey, CryptoError> {
        if sealed.transfer != transfer {
            return Err(CryptoError::TransferMismatch {
                expected: transfer,
                found: sealed.transfer,
            });
        }
        let plain = hpke_open::<HpkeAead>(
            &self.private,
            &sealed.enc,
            &hpke_info(transfer),
            &sealed_header(transfer),
            &sealed.ciphertext,
        )?;
        let bytes: [u8; KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::DecryptionFailed)?;
        TransferKey::new(transfer, Zeroizing::new(bytes))
    }
}

impl fmt::Debug for RecipientKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RecipientKeyPair {{ public: {}, private: [REDACTED] }}",
            self.public.key_id()
        )
    }
}

/// A buyer's X25519 public key, as published.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecipientPublicKey([u8; RECIPIENT_KEY_LEN]);

impl RecipientPublicKey {
    /// A public key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let bytes: [u8; RECIPIENT_KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::InvalidKey {
            what: "x25519 public (32 bytes)",
        })?;
        Ok(Self(bytes))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; RECIPIENT_KEY_LEN] {
        &self.0
    }

    /// A short stable id: the first 8 bytes of SHA-256 over the key, as for signature keys.
    pub fn key_id(&self) -> KeyId {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.0);
        let mut id = [0u8; 8];
        id.copy_from_slice(digest.as_ref().get(..8).unwrap_or(&[0u8; 8]));
        KeyId::from_bytes(id)
    }
}

impl fmt::Debug for RecipientPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecipientPublicKey({})", self.key_id())
    }
}

/// The AES-256 key of one transfer: every included customer's DEK is re-wrapped under it, and it is
/// sealed once to the buyer. Sections travel as they are, so the cost grows with customers, not bytes.
///
/// Secret: `Debug` shows only the transfer id, there is no `Serialize`, and the key bytes are zeroized on
/// drop (ring's AES key schedule keeps its own copy, not zeroized by ring).
///
/// ```
/// use custodia_crypto::{Keyring, KeyringConfig, RecipientKeyPair, TransferKey};
/// use custodia_model::{CustomerId, TransferId};
///
/// // Buyer publishes a key; seller seals a transfer key to it and re-wraps a DEK.
/// let buyer = RecipientKeyPair::generate()?;
/// let seller_ring = Keyring::derive_from_master(&[1u8; 32], 1, KeyringConfig::default())?;
/// let transfer = TransferId::new_v7();
/// let customer = CustomerId::new_v7();
/// let (_, wrapped) = seller_ring.generate_dek(customer)?;
/// let transfer_key = TransferKey::generate(transfer)?;
/// let sealed = transfer_key.seal_to(&buyer.public_key())?;
/// let moved = seller_ring.rewrap_for_transfer(&wrapped, &transfer_key)?;
///
/// // Buyer opens the transfer key and re-wraps the DEK under its own keyring.
/// let buyer_ring = Keyring::derive_from_master(&[2u8; 32], 1, KeyringConfig::default())?;
/// let opened = buyer.open_transfer_key(&sealed, transfer)?;
/// let imported = buyer_ring.import_transfer_wrapped(&opened, &moved)?;
/// assert_eq!(imported.dek_id(), wrapped.dek_id());
/// # Ok::<(), custodia_crypto::CryptoError>(())
/// ```
#[derive(ZeroizeOnDrop)]
pub struct TransferKey {
    #[zeroize(skip)]
    transfer: TransferId,
    bytes: Zeroizing<[u8; KEY_LEN]>,
    #[zeroize(skip)]
    aead: LessSafeKey,
}

impl TransferKey {
    /// A fresh random transfer key for `transfer`.
    pub fn generate(transfer: TransferId) -> Result<Self, CryptoError> {
        Self::new(transfer, aead::random_key()?)
    }

    pub(crate) fn new(transfer: TransferId, bytes: Zeroizing<[u8; KEY_LEN]>) -> Result<Self, CryptoError> {
        let aead = aead::aes_key(&bytes, "transfer")?;
        Ok(Self {
            transfer,
            bytes,
            aead,
        })
    }

    /// The transfer this key belongs to.
    pub fn transfer_id(&self) -> TransferId {
        self.transfer
    }

    /// Seals this key to the buyer's public key with HPKE base mode (DHKEM(X25519, HKDF-SHA256),
    /// HKDF-SHA256, AES-256-GCM), with an `info` that binds the transfer id and an AAD that
    /// authenticates the header (format version and transfer id).
    pub fn seal_to(&self, recipient: &RecipientPublicKey) -> Result<SealedTransferKey, CryptoError> {
        self.seal_to_with(recipient, &mut RingRng::default())
    }

    /// [`TransferKey::seal_to`] with the HPKE ephemeral key drawn from `rng` (system randomness, or a
    /// case's derived bytes for a reproducible package).
    pub(crate) fn seal_to_with(
        &self,
        recipient: &RecipientPublicKey,
        rng: &mut impl FallibleRng,
    ) -> Result<SealedTransferKey, CryptoError> {
        let (enc, ciphertext) = hpke_seal::<HpkeAead>(
            recipient.as_bytes(),
            &hpke_info(self.transfer),
            &sealed_header(self.transfer),
            self.bytes.as_ref(),
            rng,
        )?;
        if rng.failed() {
            return Err(CryptoError::Random);
        }
        let ciphertext: [u8; KEY_LEN + TAG_LEN] = ciphertext
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Random)?;
        Ok(SealedTransferKey {
            transfer: self.transfer,
            enc,
            ciphertext,
        })
    }

    /// The key sealing this transfer's entry records (package format 2; see [`EntryKey`]).
    pub fn entry_key(&self) -> Result<EntryKey, CryptoError> {
        let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, ENTRY_SALT).extract(self.bytes.as_ref());
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        hkdf_expand(&prk, &[ENTRY_KEY_LABEL, self.transfer.as_bytes()], key.as_mut())?;
        Ok(EntryKey {
            transfer: self.transfer,
            aead: aead::aes_key(&key, "entry")?,
            prk,
        })
    }

    /// Wraps a data key under this transfer key; the AAD binds transfer id, customer id and DEK id.
    pub fn wrap_data_key(&self, key: &DataKey) -> Result<TransferWrappedKey, CryptoError> {
        self.wrap_data_key_with_nonce(key, aead::fresh_nonce()?)
    }

    /// [`TransferKey::wrap_data_key`] under a given nonce: a case's derived nonce, unique to the customer
    /// and DEK (see `PackageRandomness`).
    pub(crate) fn wrap_data_key_with_nonce(
        &self,
        key: &DataKey,
        nonce: [u8; NONCE_LEN],
    ) -> Result<TransferWrappedKey, CryptoError> {
        let aad = transfer_wrap_aad(self.transfer, key.customer(), key.id());
        let sealed = aead::seal_key(&self.aead, nonce, &aad, key.bytes())?;
        Ok(TransferWrappedKey {
            transfer: self.transfer,
            customer: key.customer(),
            dek_id: key.id(),
            nonce,
            sealed,
        })
    }

    /// Unwraps a data key moved under this transfer key. A key labelled with another transfer fails with
    /// [`CryptoError::TransferMismatch`]; one wrapped for another transfer, customer or DEK id fails with
    /// [`CryptoError::DecryptionFailed`].
    pub fn unwrap_data_key(&self, wrapped: &TransferWrappedKey) -> Result<DataKey, CryptoError> {
        if wrapped.transfer != self.transfer {
            return Err(CryptoError::TransferMismatch {
                expected: self.transfer,
                found: wrapped.transfer,
            });
        }
        let aad = transfer_wrap_aad(self.transfer, wrapped.customer, wrapped.dek_id);
        let bytes = aead::open_key(&self.aead, wrapped.nonce, &aad, &wrapped.sealed)?;
        DataKey::new(wrapped.customer, wrapped.dek_id, bytes)
    }
}

/// HKDF-Extract salt of the entry-sealing key (package format 2).
const ENTRY_SALT: &[u8] = b"custodia/package-entries/v2";
/// HKDF-Expand label of the entry-sealing key.
const ENTRY_KEY_LABEL: &[u8] = b"entry key";
/// HKDF-Expand label of an entry's nonce.
const ENTRY_NONCE_LABEL: &[u8] = b"entry nonce";
/// AAD label of a sealed entry.
const ENTRY_AAD_LABEL: &[u8; 25] = b"custodia/package-entry/v2";

/// Length added to an entry body by [`EntryKey::seal_entry`]: the nonce and the tag.
pub const SEALED_ENTRY_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// An HKDF output length (ring asks for it as a "key type").
struct HkdfLen(usize);

impl ring::hkdf::KeyType for HkdfLen {
    fn len(&self) -> usize {
        self.0
    }
}

fn hkdf_expand(prk: &ring::hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), CryptoError> {
    prk.expand(info, HkdfLen(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| CryptoError::Internal { what: "hkdf expand" })
}

/// The key that seals a package's per-customer entry records (package format 2: who is in the package,
/// which categories each customer has, their versions and lengths are readable only with the transfer
/// key), derived from the transfer key with HKDF-SHA256 (RFC 5869):
///
/// ```text
/// PRK         = HKDF-Extract(salt = "custodia/package-entries/v2", transfer key)
/// entry key   = HKDF-Expand(PRK, "entry key" ‖ transfer id, 32)
/// entry nonce = HKDF-Expand(PRK, "entry nonce" ‖ transfer id ‖ index (u64) ‖ SHA-256(body), 12)
/// AAD         = "custodia/package-entry/v2" ‖ transfer id ‖ index (u64) ‖ body length (u32)
/// sealed      = nonce (12) ‖ AES-256-GCM(entry key, nonce, AAD, body) ‖ tag (16)
/// ```
///
/// The nonce is deterministic (a package written again from the same case and the same entries has the
/// same bytes) and depends on the body, so one (key, nonce) pair never seals two different bodies even if
/// a re-run's entries differ (NIST SP 800-38D §8). The AAD binds the entry to its transfer, its place in the
/// package and its length. Secret: `Debug` shows only the transfer id, and it is not `Serialize`; the derived
/// key bytes are `Zeroizing` until ring's AES key and HKDF PRK are made from them, which ring does not wipe.
pub struct EntryKey {
    transfer: TransferId,
    aead: LessSafeKey,
    prk: ring::hkdf::Prk,
}

impl fmt::Debug for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryKey {{ transfer: {}, key: [REDACTED] }}", self.transfer)
    }
}

impl EntryKey {
    /// The transfer this key belongs to.
    pub fn transfer_id(&self) -> TransferId {
        self.transfer
    }

    fn aad(&self, index: u64, len: usize) -> Result<Vec<u8>, CryptoError> {
        let len = u32::try_from(len).map_err(|_| CryptoError::InvalidInput {
            field: "entry body",
            reason: "longer than 4 GiB",
        })?;
        let mut aad = Vec::with_capacity(ENTRY_AAD_LABEL.len() + 16 + 8 + 4);
        aad.extend_from_slice(ENTRY_AAD_LABEL);
        aad.extend_from_slice(self.transfer.as_bytes());
        aad.extend_from_slice(&index.to_be_bytes());
        aad.extend_from_slice(&len.to_be_bytes());
        Ok(aad)
    }

    /// Seals entry `index`'s body: `nonce ‖ ciphertext ‖ tag` ([`SEALED_ENTRY_OVERHEAD`] bytes longer).
    pub fn seal_entry(&self, index: u64, body: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let aad = self.aad(index, body.len())?;
        let digest = ring::digest::digest(&ring::digest::SHA256, body);
        let mut nonce = [0u8; NONCE_LEN];
        hkdf_expand(
            &self.prk,
            &[
                ENTRY_NONCE_LABEL,
                self.transfer.as_bytes(),
                &index.to_be_bytes(),
                digest.as_ref(),
            ],
            &mut nonce,
        )?;
        let mut out = Vec::with_capacity(body.len() + SEALED_ENTRY_OVERHEAD);
        out.extend_from_slice(&nonce);
        aead::seal_append(&self.aead, nonce, &aad, body, &mut out)?;
        Ok(out)
    }

    /// Opens entry `index`'s sealed body. Any failure — another transfer, another index, a changed byte,
    /// a truncation — is the opaque [`CryptoError::DecryptionFailed`].
    pub fn open_entry(&self, index: u64, sealed: &[u8]) -> Result<crate::Plaintext, CryptoError> {
        let (nonce, rest) = sealed
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(CryptoError::DecryptionFailed)?;
        let len = rest
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(CryptoError::DecryptionFailed)?;
        let aad = self.aad(index, len)?;
        aead::open_to_vec(&self.aead, *nonce, &aad, rest)
    }
}

impl fmt::Debug for TransferKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TransferKey {{ transfer: {}, key: [REDACTED] }}",
            self.transfer
        )
    }
}

impl Keyring {
    /// Seller side: moves a stored wrapped key under `transfer_key`, never handing the plaintext DEK to
    /// the caller.
    pub fn rewrap_for_transfer(
        &self,
        wrapped: &WrappedKey,
        transfer_key: &TransferKey,
    ) -> Result<TransferWrappedKey, CryptoError> {
        let key = self.unwrap(wrapped)?;
        transfer_key.wrap_data_key(&key)
    }

    /// Buyer side: re-wraps a received data key under this keyring's primary KEK, never handing the
    /// plaintext DEK to the caller.
    pub fn import_transfer_wrapped(
        &self,
        transfer_key: &TransferKey,
        wrapped: &TransferWrappedKey,
    ) -> Result<WrappedKey, CryptoError> {
        let key = transfer_key.unwrap_data_key(wrapped)?;
        self.wrap(&key)
    }
}

/// A transfer key sealed to a buyer with HPKE. Not secret.
///
/// Binary format v1, [`SEALED_TRANSFER_KEY_LEN`] = 97 bytes: format version `0x01` (1), transfer id (16),
/// HPKE encapsulated key `enc` (32), HPKE ciphertext of the 32-byte key (32) and its tag (16). The
/// transfer id is bound twice: in the HPKE `info` the opener supplies, and in the AAD over the header.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SealedTransferKey {
    transfer: TransferId,
    enc: [u8; RECIPIENT_KEY_LEN],
    ciphertext: [u8; KEY_LEN + TAG_LEN],
}

impl SealedTransferKey {
    /// The transfer it claims to belong to.
    pub fn transfer_id(&self) -> TransferId {
        self.transfer
    }

    /// The binary form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SEALED_TRANSFER_KEY_LEN);
        out.push(SEALED_TRANSFER_KEY_FORMAT_VERSION);
        out.extend_from_slice(self.transfer.as_bytes());
        out.extend_from_slice(&self.enc);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parses the binary form. Total: malformed input is an error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self, CryptoError> {
        const WHAT: &str = "sealed transfer key";
        let mut r = Reader::new(bytes, WHAT);
        let version = r.byte("format version")?;
        if version != SEALED_TRANSFER_KEY_FORMAT_VERSION {
            return Err(CryptoError::UnsupportedFormatVersion { what: WHAT, version });
        }
        let transfer =
            TransferId::from_bytes(r.array("transfer id")?).map_err(|_| CryptoError::Malformed {
                what: WHAT,
                reason: "transfer id",
            })?;
        let enc = r.array("enc")?;
        let ciphertext = r.array("ciphertext")?;
        r.finish()?;
        Ok(Self {
            transfer,
            enc,
            ciphertext,
        })
    }
}

/// A data key wrapped under a transfer key. Not secret.
///
/// Binary format v1, [`TRANSFER_WRAPPED_KEY_LEN`] = 109 bytes: format version `0x01` (1), transfer id
/// (16), customer id (16), DEK id (16), nonce (12), encrypted DEK (32), tag (16). The AAD binds transfer
/// id, customer id and DEK id.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TransferWrappedKey {
    transfer: TransferId,
    customer: CustomerId,
    dek_id: DekId,
    nonce: [u8; NONCE_LEN],
    sealed: [u8; KEY_LEN + TAG_LEN],
}

impl TransferWrappedKey {
    /// The transfer.
    pub fn transfer_id(&self) -> TransferId {
        self.transfer
    }

    /// The customer whose key this is.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The data key's id (unchanged by the transfer, so sections still name it).
    pub fn dek_id(&self) -> DekId {
        self.dek_id
    }

    /// The binary form.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(TRANSFER_WRAPPED_KEY_LEN);
        out.push(TRANSFER_WRAPPED_KEY_FORMAT_VERSION);
        out.extend_from_slice(self.transfer.as_bytes());
        out.extend_from_slice(self.customer.as_bytes());
        out.extend_from_slice(self.dek_id.as_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.sealed);
        out
    }

    /// Parses the binary form. Total: malformed input is an error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self, CryptoError> {
        const WHAT: &str = "transfer wrapped key";
        let malformed = |reason| CryptoError::Malformed { what: WHAT, reason };
        let mut r = Reader::new(bytes, WHAT);
        let version = r.byte("format version")?;
        if version != TRANSFER_WRAPPED_KEY_FORMAT_VERSION {
            return Err(CryptoError::UnsupportedFormatVersion { what: WHAT, version });
        }
        let transfer =
            TransferId::from_bytes(r.array("transfer id")?).map_err(|_| malformed("transfer id"))?;
        let customer =
            CustomerId::from_bytes(r.array("customer id")?).map_err(|_| malformed("customer id"))?;
        let dek_id = DekId::from_bytes(r.array("dek id")?).map_err(|_| malformed("dek id"))?;
        let nonce = r.array("nonce")?;
        let sealed = r.array("sealed key")?;
        r.finish()?;
        Ok(Self {
            transfer,
            customer,
            dek_id,
            nonce,
            sealed,
        })
    }
}

fn hpke_info(transfer: TransferId) -> [u8; 24 + 16] {
    let mut info = [0u8; 24 + 16];
    let (label, id) = info.split_at_mut(24);
    label.copy_from_slice(HPKE_INFO_LABEL);
    id.copy_from_slice(transfer.as_bytes());
    info
}

/// The header of a sealed transfer key (format version and transfer id), authenticated as HPKE AAD so
/// that the label in the bytes cannot be changed either.
fn sealed_header(transfer: TransferId) -> [u8; 17] {
    let mut header = [0u8; 17];
    let (version, id) = header.split_at_mut(1);
    version.copy_from_slice(&[SEALED_TRANSFER_KEY_FORMAT_VERSION]);
    id.copy_from_slice(transfer.as_bytes());
    header
}

fn transfer_wrap_aad(transfer: TransferId, customer: CustomerId, dek_id: DekId) -> [u8; 25 + 48] {
    let mut aad = [0u8; 25 + 48];
    let (label, rest) = aad.split_at_mut(25);
    label.copy_from_slice(TRANSFER_WRAP_AAD_LABEL);
    let (t, rest) = rest.split_at_mut(16);
    t.copy_from_slice(transfer.as_bytes());
    let (c, d) = rest.split_at_mut(16);
    c.copy_from_slice(customer.as_bytes());
    d.copy_from_slice(dek_id.as_bytes());
    aad
}

fn copy_exact(dst: &mut [u8], src: &[u8], what: &'static str) -> Result<(), CryptoError> {
    if dst.len() != src.len() {
        return Err(CryptoError::InvalidKey { what });
    }
    dst.copy_from_slice(src);
    Ok(())
}

/// HPKE base-mode single-shot seal to `pk_r` with the given randomness source for the ephemeral key.
pub(crate) fn hpke_seal<A: hpke::aead::Aead>(
    pk_r: &[u8; RECIPIENT_KEY_LEN],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl TryCryptoRng<Error = Infallible>,
) -> Result<([u8; RECIPIENT_KEY_LEN], Vec<u8>), CryptoError> {
    let pk = <HpkeKem as hpke::Kem>::PublicKey::from_bytes(pk_r).map_err(|_| CryptoError::InvalidKey {
        what: "x25519 public (32 bytes)",
    })?;
    let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<A, HpkeKdf, HpkeKem>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        aad,
        rng,
    )
    // An all-zero shared secret (a low-order recipient key) is the only failure; the key is unusable.
    .map_err(|_| CryptoError::InvalidKey {
        what: "x25519 public (low order point)",
    })?;
    let mut enc_bytes = [0u8; RECIPIENT_KEY_LEN];
    copy_exact(&mut enc_bytes, &enc.to_bytes(), "hpke enc")?;
    Ok((enc_bytes, ciphertext))
}

/// HPKE base-mode single-shot open with the recipient's private key; any failure is opaque.
pub(crate) fn hpke_open<A: hpke::aead::Aead>(
    sk_r: &[u8; RECIPIENT_KEY_LEN],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let sk = <HpkeKem as hpke::Kem>::PrivateKey::from_bytes(sk_r).map_err(|_| CryptoError::InvalidKey {
        what: "x25519 private (32 bytes)",
    })?;
    let enc =
        <HpkeKem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| CryptoError::DecryptionFailed)?;
    hpke::single_shot_open::<A, HpkeKdf, HpkeKem>(&OpModeR::Base, &sk, &enc, info, ciphertext, aad)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::DecryptionFailed)
}

/// A randomness source for HPKE that records a failure it could not report through `rand_core`'s
/// infallible interface.
pub(crate) trait FallibleRng: TryCryptoRng<Error = Infallible> {
    /// Whether any draw failed (the sealed result must then be discarded).
    fn failed(&self) -> bool;
}

impl FallibleRng for RingRng {
    fn failed(&self) -> bool {
        self.failed
    }
}

/// Adapts [`crate::random::fill`] to the `rand_core` interface the HPKE crate asks for. `rand_core`'s
/// infallible interface cannot report a failure, so a failure is recorded in `failed` and the caller
/// discards the result; it never panics.
#[derive(Default)]
struct RingRng {
    failed: bool,
}

impl TryRng for RingRng {
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
        if crate::random::fill(dst).is_err() {
            self.failed = true;
        }
        Ok(())
    }
}

impl TryCryptoRng for RingRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_sealed_under_the_transfer_key_opens_only_at_its_place_in_its_transfer() {
        let transfer = TransferId::new_v7();
        let key = TransferKey::generate(transfer).unwrap();
        let entries = key.entry_key().unwrap();
        let body = b"customer id, categories, versions and lengths";
        let sealed = entries.seal_entry(3, body).unwrap();
        assert_eq!(sealed.len(), body.len() + SEALED_ENTRY_OVERHEAD);
        assert!(!sealed.windows(8).any(|w| body.windows(8).any(|b| b == w)));
        assert_eq!(entries.open_entry(3, &sealed).unwrap().as_slice(), body);
        // Deterministic: the same body at the same place seals to the same bytes; another body to others.
        assert_eq!(key.entry_key().unwrap().seal_entry(3, body).unwrap(), sealed);
        let other = entries
            .seal_entry(3, b"another body of the same length as the first one")
            .unwrap();
        assert_ne!(
            other.get(..NONCE_LEN),
            sealed.get(..NONCE_LEN),
            "a nonce is never reused"
        );
        // Another index, another transfer key, any flipped bit or a truncation: opaque failure.
        assert!(matches!(
            entries.open_entry(4, &sealed),
            Err(CryptoError::DecryptionFailed)
        ));
        let stranger = TransferKey::generate(transfer).unwrap().entry_key().unwrap();
        assert!(matches!(
            stranger.open_entry(3, &sealed),
            Err(CryptoError::DecryptionFailed)
        ));
        for at in 0..sealed.len() {
            for bit in 0..8 {
                let mut flipped = sealed.clone();
                flipped[at] ^= 1 << bit;
                assert!(entries.open_entry(3, &flipped).is_err(), "byte {at} bit {bit}");
            }
        }
        for len in 0..sealed.len() {
            assert!(
                entries.open_entry(3, &sealed[..len]).is_err(),
                "truncated to {len}"
            );
        }
        assert!(!format!("{entries:?}").contains(&hex::encode(key.bytes.as_ref())));
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Replays fixed bytes as "randomness", to inject the vector's ephemeral seed.
    struct FixedRng(Vec<u8>);

    impl TryRng for FixedRng {
        type Error = Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            unreachable!("hpke asks for bytes only")
        }
        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            unreachable!("hpke asks for bytes only")
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            let taken: Vec<u8> = self.0.drain(..dst.len()).collect();
            dst.copy_from_slice(&taken);
            Ok(())
        }
    }
    impl TryCryptoRng for FixedRng {}

    fn vector(name: &str) -> serde_json::Value {
        let text = match name {
            "a11" => include_str!("../tests/vectors/hpke_rfc9180_a11_x25519_sha256_aes128gcm_base.json"),
            _ => include_str!("../tests/vectors/hpke_cfrg_x25519_sha256_aes256gcm_base.json"),
        };
        serde_json::from_str(text).unwrap()
    }

    fn clamp(mut sk: Vec<u8>) -> Vec<u8> {
        sk[0] &= 248;
        sk[31] &= 127;
        sk[31] |= 64;
        sk
    }

    /// Opens every listed encryption in sequence-number order with one receiver context.
    fn open_all_in_sequence<A: hpke::aead::Aead>(v: &serde_json::Value, sk_r: &[u8], enc: &[u8]) {
        let f = |name: &str| hex(v[name].as_str().unwrap());
        let sk = <HpkeKem as hpke::Kem>::PrivateKey::from_bytes(sk_r).unwrap();
        let enc = <HpkeKem as hpke::Kem>::EncappedKey::from_bytes(enc).unwrap();
        let mut ctx =
            hpke::setup_receiver::<A, HpkeKdf, HpkeKem>(&OpModeR::Base, &sk, &enc, &f("info")).unwrap();
        for (i, e) in v["encryptions"].as_array().unwrap().iter().enumerate() {
            assert_eq!(e["seq"].as_u64(), Some(i as u64));
            let pt = ctx
                .open(&hex(e["ct"].as_str().unwrap()), &hex(e["aad"].as_str().unwrap()))
                .unwrap();
            assert_eq!(pt, hex(e["pt"].as_str().unwrap()));
        }
    }

    /// RFC 9180 A.1.1 (X25519, HKDF-SHA256, AES-128-GCM): a full sender-side known-answer test of the
    /// KEM, DeriveKeyPair and key schedule this module uses. The ephemeral key is injected as the
    /// vector's ikmE, so `enc` and the ciphertext must match byte for byte.
    #[test]
    fn rfc9180_a11_full_known_answer() {
        let v = vector("a11");
        let f = |name: &str| hex(v[name].as_str().unwrap());
        let recipient = RecipientKeyPair::derive_from_ikm(&f("ikmR")).unwrap();
        assert_eq!(recipient.public_key().as_bytes().as_slice(), f("pkRm").as_slice());
        assert_eq!(recipient.expose_private_bytes().to_vec(), clamp(f("skRm")));

        let first = &v["encryptions"][0];
        let (pt, aad, ct) = (
            hex(first["pt"].as_str().unwrap()),
            hex(first["aad"].as_str().unwrap()),
            hex(first["ct"].as_str().unwrap()),
        );
        let mut rng = FixedRng(f("ikmE"));
        let (enc, sealed) = hpke_seal::<hpke::aead::AesGcm128>(
            recipient.public_key().as_bytes(),
            &f("info"),
            &aad,
            &pt,
            &mut rng,
        )
        .unwrap();
        assert_eq!(enc.as_slice(), f("enc").as_slice());
        assert_eq!(sealed, ct);
        let opened =
            hpke_open::<hpke::aead::AesGcm128>(recipient.expose_private_bytes(), &enc, &f("info"), &aad, &ct)
                .unwrap();
        assert_eq!(opened.as_slice(), pt.as_slice());
        open_all_in_sequence::<hpke::aead::AesGcm128>(&v, &f("skRm"), &f("enc"));
    }

    /// CFRG vector for the suite custodia uses (X25519, HKDF-SHA256, AES-256-GCM): receiver side.
    /// The recipient key and the ephemeral public key are checked, the first ciphertext opens through
    /// this module's single-shot open, all listed ones open in sequence, and any flipped bit or a later
    /// sequence number is rejected.
    #[test]
    fn cfrg_x25519_sha256_aes256gcm_receiver_known_answer() {
        let v = vector("aes256");
        let f = |name: &str| hex(v[name].as_str().unwrap());
        assert_eq!(
            (v["kem_id"].as_u64(), v["kdf_id"].as_u64(), v["aead_id"].as_u64()),
            (Some(32), Some(1), Some(2))
        );
        let recipient = RecipientKeyPair::from_private_bytes(&f("skRm")).unwrap();
        assert_eq!(recipient.public_key().as_bytes().as_slice(), f("pkRm").as_slice());
        let ephemeral = RecipientKeyPair::from_private_bytes(&f("skEm")).unwrap();
        assert_eq!(ephemeral.public_key().as_bytes().as_slice(), f("pkEm").as_slice());

        let enc = f("pkEm");
        let info = f("info");
        let e0 = &v["encryptions"][0];
        let (pt, aad, ct) = (
            hex(e0["pt"].as_str().unwrap()),
            hex(e0["aad"].as_str().unwrap()),
            hex(e0["ct"].as_str().unwrap()),
        );
        let sk = recipient.expose_private_bytes();
        let opened = hpke_open::<HpkeAead>(sk, &enc, &info, &aad, &ct).unwrap();
        assert_eq!(opened.as_slice(), pt.as_slice());
        // Exhaustive bit flips of whole sealed transfer keys are in tests/transfer.rs; here one each.
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert!(hpke_open::<HpkeAead>(sk, &enc, &info, &aad, &bad).is_err());
        let mut bad = enc.clone();
        bad[31] ^= 0x40;
        assert!(hpke_open::<HpkeAead>(sk, &bad, &info, &aad, &ct).is_err());
        let e1 = &v["encryptions"][1];
        assert!(
            hpke_open::<HpkeAead>(
                sk,
                &enc,
                &info,
                &hex(e1["aad"].as_str().unwrap()),
                &hex(e1["ct"].as_str().unwrap())
            )
            .is_err()
        );
        open_all_in_sequence::<HpkeAead>(&v, &f("skRm"), &enc);

        // Our own sealing in this suite round-trips through the vector's recipient key.
        let (enc2, ct2) = hpke_seal::<HpkeAead>(
            recipient.public_key().as_bytes(),
            &info,
            &aad,
            &pt,
            &mut RingRng::default(),
        )
        .unwrap();
        assert_eq!(
            hpke_open::<HpkeAead>(sk, &enc2, &info, &aad, &ct2)
                .unwrap()
                .as_slice(),
            pt.as_slice()
        );
    }
}
