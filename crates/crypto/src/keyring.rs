//! Versioned key-encryption keys (KEKs), per-customer data keys (DEKs) and the wrapped form a DEK is stored in.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use custodia_model::CustomerId;
use ring::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
use ring::hkdf;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::aead::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::codec::Reader;
use crate::error::CryptoError;

/// The most keys one KEK version wraps before it refuses and asks for rotation: 2³⁰.
///
/// Every wrap uses a random 96-bit nonce. NIST SP 800-38D §8.3 allows at most 2³² random-nonce seals per
/// key; at 2³⁰ the chance that any two wraps share a nonce is below 2⁶⁰ / 2⁹⁷ = 2⁻³⁷. A keyring may be
/// configured lower with [`KeyringConfig::new`], never higher.
pub const MAX_WRAPS_PER_KEK: u64 = 1 << 30;

/// Shortest master secret [`Keyring::derive_from_master`] accepts: 256 bits.
pub const MIN_MASTER_SECRET_LEN: usize = 32;

/// Version byte of the [`WrappedKey`] binary format.
pub const WRAPPED_KEY_FORMAT_VERSION: u8 = 1;

/// Length of an encoded [`WrappedKey`]: version, customer id, DEK id, KEK version, nonce, sealed key, tag.
pub const WRAPPED_KEY_LEN: usize = 1 + 16 + 16 + 4 + NONCE_LEN + KEY_LEN + TAG_LEN;

const WRAP_AAD_LABEL: &[u8] = b"custodia/dek-wrap/v1";
const KEK_HKDF_SALT: &[u8] = b"custodia/kek/v1";

custodia_model::typed_id!(
    /// The id of one data key (DEK) of one customer. A customer has one DEK, and more after the DEK itself is
    /// rotated; each sealed section names the DEK that sealed it.
    DekId,
    "dek_id"
);

/// Settings of a [`Keyring`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyringConfig {
    wrap_limit: u64,
}

impl KeyringConfig {
    /// A configuration whose KEKs each wrap at most `wrap_limit` keys (1 ..= [`MAX_WRAPS_PER_KEK`]).
    pub fn new(wrap_limit: u64) -> Result<Self, CryptoError> {
        if wrap_limit == 0 || wrap_limit > MAX_WRAPS_PER_KEK {
            return Err(CryptoError::InvalidInput {
                field: "wrap_limit",
                reason: "must be between 1 and MAX_WRAPS_PER_KEK (2^30)",
            });
        }
        Ok(Self { wrap_limit })
    }

    /// The most keys one KEK version wraps.
    pub fn wrap_limit(&self) -> u64 {
        self.wrap_limit
    }
}

impl Default for KeyringConfig {
    fn default() -> Self {
        Self {
            wrap_limit: MAX_WRAPS_PER_KEK,
        }
    }
}

/// One KEK version: the AES-256-GCM key and how many keys it has wrapped.
struct Kek {
    key: LessSafeKey,
    wraps: AtomicU64,
}

/// A customer's data key (DEK): the AES-256-GCM key that seals that customer's sections.
///
/// Secret: `Debug` shows only the ids, there is no `Serialize`, and the key bytes are zeroized on drop.
/// (ring's expanded AES key schedule inside keeps its own copy, which ring does not zeroize; it lives
/// exactly as long as this value.) The plaintext key never leaves the crate: DEKs are stored wrapped
/// ([`WrappedKey`]) and moved to a buyer re-wrapped under a transfer key.
pub struct DataKey {
    customer: CustomerId,
    id: DekId,
    bytes: Zeroizing<[u8; KEY_LEN]>,
    aead: LessSafeKey,
}

/// The only key bytes a `DataKey` owns are in a `Zeroizing` buffer, which wipes itself on drop. (A
/// derived `ZeroizeOnDrop` would wipe them twice on the sealing hot path.)
impl ZeroizeOnDrop for DataKey {}

impl DataKey {
    #[inline]
    pub(crate) fn new(
        customer: CustomerId,
        id: DekId,
        bytes: Zeroizing<[u8; KEY_LEN]>,
    ) -> Result<Self, CryptoError> {
        let aead = aead::aes_key(&bytes, "data key")?;
        Ok(Self {
            customer,
            id,
            bytes,
            aead,
        })
    }

    /// The customer this key belongs to.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The key's id, written into every section it seals.
    pub fn id(&self) -> DekId {
        self.id
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    pub(crate) fn aead(&self) -> &LessSafeKey {
        &self.aead
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DataKey {{ customer: {}, id: {}, key: [REDACTED] }}",
            self.customer, self.id
        )
    }
}

/// A data key encrypted under one KEK version, as stored. Not secret.
///
/// The wrap's AAD binds customer id, DEK id and KEK version, so a wrapped key copied to another
/// customer's row, relabelled with another DEK id, or claimed for another KEK version does not open.
///
/// Binary format v1 ([`WrappedKey::encode`]), [`WRAPPED_KEY_LEN`] = 97 bytes:
///
/// | bytes | field |
/// |---|---|
/// | 1 | format version, `0x01` |
/// | 16 | customer id (UUID bytes) |
/// | 16 | DEK id (UUID bytes) |
/// | 4 | KEK version, big-endian |
/// | 12 | nonce |
/// | 32 | encrypted DEK |
/// | 16 | GCM tag |
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct WrappedKey {
    customer: CustomerId,
    dek_id: DekId,
    kek_version: u32,
    nonce: [u8; NONCE_LEN],
    sealed: [u8; KEY_LEN + TAG_LEN],
}

impl WrappedKey {
    /// The customer whose key this is.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The id of the wrapped data key.
    pub fn dek_id(&self) -> DekId {
        self.dek_id
    }

    /// The KEK version that wrapped it.
    pub fn kek_version(&self) -> u32 {
        self.kek_version
    }

    /// The binary form (format v1), for storage.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(WRAPPED_KEY_LEN);
        out.push(WRAPPED_KEY_FORMAT_VERSION);
        out.extend_from_slice(self.customer.as_bytes());
        out.extend_from_slice(self.dek_id.as_bytes());
        out.extend_from_slice(&self.kek_version.to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.sealed);
        out
    }

    /// Parses the binary form. Total: any malformed input is an error, never a panic. Whether the key
    /// authenticates is only known when it is unwrapped.
    pub fn decode(bytes: &[u8]) -> Result<Self, CryptoError> {
        const WHAT: &str = "wrapped key";
        let mut r = Reader::new(bytes, WHAT);
        let version = r.byte("format version")?;
        if version != WRAPPED_KEY_FORMAT_VERSION {
            return Err(CryptoError::UnsupportedFormatVersion { what: WHAT, version });
        }
        let customer =
            CustomerId::from_bytes(r.array("customer id")?).map_err(|_| CryptoError::Malformed {
                what: WHAT,
                reason: "customer id",
            })?;
        let dek_id = DekId::from_bytes(r.array("dek id")?).map_err(|_| CryptoError::Malformed {
            what: WHAT,
            reason: "dek id",
        })?;
        let kek_version = r.u32_be("kek version")?;
        let nonce = r.array("nonce")?;
        let sealed = r.array("sealed key")?;
        r.finish()?;
        Ok(Self {
            customer,
            dek_id,
            kek_version,
            nonce,
            sealed,
        })
    }
}

/// The keyring of key-encryption keys (KEKs): versioned, one primary that wraps, and a minimum version
/// below which nothing is unwrapped any more.
///
/// Secret: `Debug` shows versions only, there is no `Serialize`, and the master secret is zeroized on
/// drop (explicit key material is copied only transiently, into zeroizing buffers; ring's expanded AES
/// key schedules are not zeroized by ring).
///
/// KEKs come either from explicit key material (for example from an HSM or KMS export) or are derived
/// from one master secret with HKDF-SHA256, one per version. Rotation adds a version and makes it
/// primary; old versions keep opening what they wrapped until [`Keyring::set_min_decrypt_version`] rises
/// past them, which is the point of rotation: rewrap ([`Keyring::rewrap`]) first, then retire. Rotation
/// re-wraps keys, never data. Each KEK counts its wraps and refuses past [`KeyringConfig::wrap_limit`].
/// PIPL Art 51 asks for encryption as a security measure; key rotation is how it stays one.
///
/// ```
/// use custodia_crypto::{Keyring, KeyringConfig};
/// use custodia_model::CustomerId;
///
/// let mut keyring = Keyring::derive_from_master(&[7u8; 32], 1, KeyringConfig::default())?;
/// let customer = CustomerId::new_v7();
/// let (dek, wrapped) = keyring.generate_dek(customer)?;
/// assert_eq!(wrapped.kek_version(), 1);
///
/// keyring.rotate()?;                       // version 2 is primary now
/// let moved = keyring.rewrap(&wrapped)?;   // the plaintext key never reaches the caller
/// assert_eq!(moved.kek_version(), 2);
/// keyring.set_min_decrypt_version(2)?;     // version 1 retired
/// assert!(keyring.unwrap(&wrapped).is_err());
/// assert_eq!(keyring.unwrap(&moved)?.id(), dek.id());
/// # Ok::<(), custodia_crypto::CryptoError>(())
/// ```
#[derive(ZeroizeOnDrop)]
pub struct Keyring {
    // ring's expanded KEK schedules are not zeroizable from outside ring; see the crate docs.
    #[zeroize(skip)]
    keks: BTreeMap<u32, Kek>,
    #[zeroize(skip)]
    primary: u32,
    #[zeroize(skip)]
    min_decrypt: u32,
    master: Option<Zeroizing<Vec<u8>>>,
    #[zeroize(skip)]
    config: KeyringConfig,
}

impl Keyring {
    /// A keyring with one KEK, `version` (≥ 1), from 32 bytes of explicit key material.
    pub fn from_key_material(version: u32, key: &[u8], config: KeyringConfig) -> Result<Self, CryptoError> {
        check_version(version)?;
        let mut keks = BTreeMap::new();
        keks.insert(version, kek_from_material(key)?);
        Ok(Self {
            keks,
            primary: version,
            min_decrypt: version,
            master: None,
            config,
        })
    }

    /// A keyring whose versions `1..=versions` are derived from `master` (at least
    /// [`MIN_MASTER_SECRET_LEN`] bytes) with HKDF-SHA256; the highest is primary. The same master always
    /// gives the same KEKs, so only the master needs safekeeping.
    pub fn derive_from_master(
        master: &[u8],
        versions: u32,
        config: KeyringConfig,
    ) -> Result<Self, CryptoError> {
        if master.len() < MIN_MASTER_SECRET_LEN {
            return Err(CryptoError::InvalidKey {
                what: "master secret (at least 32 bytes)",
            });
        }
        check_version(versions)?;
        let master = Zeroizing::new(master.to_vec());
        let mut keks = BTreeMap::new();
        for version in 1..=versions {
            keks.insert(version, kek_from_master(&master, version)?);
        }
        Ok(Self {
            keks,
            primary: versions,
            min_decrypt: 1,
            master: Some(master),
            config,
        })
    }

    /// Adds an older KEK version (below the primary) from explicit key material, to open keys it wrapped,
    /// for example when a keyring is restored from a KMS export. If the version is below the minimum
    /// decryption version, the minimum falls to it: supplying old key material is an explicit decision to
    /// open what it wrapped.
    pub fn add_key_material(&mut self, version: u32, key: &[u8]) -> Result<(), CryptoError> {
        check_version(version)?;
        if self.keks.contains_key(&version) {
            return Err(CryptoError::DuplicateKekVersion { version });
        }
        if version > self.primary {
            return Err(CryptoError::InvalidInput {
                field: "version",
                reason: "above the primary: use rotate_with_key_material",
            });
        }
        self.keks.insert(version, kek_from_material(key)?);
        self.min_decrypt = self.min_decrypt.min(version);
        Ok(())
    }

    /// Derives the next KEK version from the master secret and makes it primary. Only for keyrings made
    /// by [`Keyring::derive_from_master`]; others use [`Keyring::rotate_with_key_material`].
    pub fn rotate(&mut self) -> Result<u32, CryptoError> {
        let next = self.next_version()?;
        let kek = match &self.master {
            Some(master) => kek_from_master(master, next)?,
            None => {
                return Err(CryptoError::InvalidInput {
                    field: "keyring",
                    reason: "has no master secret: use rotate_with_key_material",
                });
            }
        };
        self.keks.insert(next, kek);
        self.primary = next;
        Ok(next)
    }

    /// Adds the next KEK version from explicit key material and makes it primary.
    pub fn rotate_with_key_material(&mut self, key: &[u8]) -> Result<u32, CryptoError> {
        let next = self.next_version()?;
        self.keks.insert(next, kek_from_material(key)?);
        self.primary = next;
        Ok(next)
    }

    /// Raises the minimum decryption version: keys wrapped under lower versions fail with
    /// [`CryptoError::KekRetired`] from now on, and the retired KEKs are dropped from memory. The minimum
    /// never falls and never passes the primary.
    pub fn set_min_decrypt_version(&mut self, version: u32) -> Result<(), CryptoError> {
        if version < self.min_decrypt {
            return Err(CryptoError::InvalidInput {
                field: "min_decrypt_version",
                reason: "can only rise",
            });
        }
        if version > self.primary {
            return Err(CryptoError::InvalidInput {
                field: "min_decrypt_version",
                reason: "above the primary version",
            });
        }
        self.min_decrypt = version;
        self.keks.retain(|v, _| *v >= version);
        Ok(())
    }

    /// Restores a persisted wrap count of `version` after a restart, so the cap counts every wrap the
    /// KEK ever made. Counts only go up.
    pub fn restore_wrap_count(&mut self, version: u32, count: u64) -> Result<(), CryptoError> {
        let kek = self
            .keks
            .get(&version)
            .ok_or(CryptoError::UnknownKekVersion { version })?;
        kek.wraps.fetch_max(count, Ordering::SeqCst);
        Ok(())
    }

    /// The version that wraps new keys.
    pub fn primary_version(&self) -> u32 {
        self.primary
    }

    /// The lowest version still allowed to unwrap.
    pub fn min_decrypt_version(&self) -> u32 {
        self.min_decrypt
    }

    /// Every version held, ascending.
    pub fn versions(&self) -> Vec<u32> {
        self.keks.keys().copied().collect()
    }

    /// How many keys `version` has wrapped (persist it; see [`Keyring::restore_wrap_count`]).
    pub fn wrap_count(&self, version: u32) -> Option<u64> {
        self.keks.get(&version).map(|k| k.wraps.load(Ordering::SeqCst))
    }

    /// The configuration in force.
    pub fn config(&self) -> KeyringConfig {
        self.config
    }

    /// Generates a fresh data key for `customer` and wraps it under the primary KEK. Store the wrapped
    /// key; keep the data key only as long as you seal or open with it.
    pub fn generate_dek(&self, customer: CustomerId) -> Result<(DataKey, WrappedKey), CryptoError> {
        let key = DataKey::new(customer, DekId::new_v7(), aead::random_key()?)?;
        let wrapped = self.wrap(&key)?;
        Ok((key, wrapped))
    }

    /// Wraps a data key under the primary KEK (counts toward its wrap limit).
    pub fn wrap(&self, key: &DataKey) -> Result<WrappedKey, CryptoError> {
        let version = self.primary;
        let kek = self
            .keks
            .get(&version)
            .ok_or(CryptoError::UnknownKekVersion { version })?;
        let limit = self.config.wrap_limit;
        kek.wraps
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < limit).then_some(n + 1)
            })
            .map_err(|_| CryptoError::WrapLimitReached { version, limit })?;
        let nonce = aead::fresh_nonce()?;
        let aad = wrap_aad(key.customer, key.id, version);
        let sealed = aead::seal_key(&kek.key, nonce, &aad, key.bytes())?;
        Ok(WrappedKey {
            customer: key.customer,
            dek_id: key.id,
            kek_version: version,
            nonce,
            sealed,
        })
    }

    /// Unwraps a stored key. Fails with [`CryptoError::KekRetired`] below the minimum version,
    /// [`CryptoError::UnknownKekVersion`] for a version not held, and the opaque
    /// [`CryptoError::DecryptionFailed`] for anything that does not authenticate.
    pub fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey, CryptoError> {
        let version = wrapped.kek_version;
        if version < self.min_decrypt {
            return Err(CryptoError::KekRetired {
                version,
                minimum: self.min_decrypt,
            });
        }
        let kek = self
            .keks
            .get(&version)
            .ok_or(CryptoError::UnknownKekVersion { version })?;
        let aad = wrap_aad(wrapped.customer, wrapped.dek_id, version);
        let bytes = aead::open_key(&kek.key, wrapped.nonce, &aad, &wrapped.sealed)?;
        DataKey::new(wrapped.customer, wrapped.dek_id, bytes)
    }

    /// Moves a wrapped key to the primary KEK without handing the plaintext key to the caller.
    pub fn rewrap(&self, wrapped: &WrappedKey) -> Result<WrappedKey, CryptoError> {
        let key = self.unwrap(wrapped)?;
        self.wrap(&key)
    }

    fn next_version(&self) -> Result<u32, CryptoError> {
        let highest = self.keks.keys().next_back().copied().unwrap_or(self.primary);
        highest
            .max(self.primary)
            .checked_add(1)
            .ok_or(CryptoError::InvalidInput {
                field: "version",
                reason: "no version left above the highest",
            })
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("versions", &self.versions())
            .field("primary", &self.primary)
            .field("min_decrypt", &self.min_decrypt)
            .field("derived", &self.master.is_some())
            .field("keys", &"[REDACTED]")
            .finish()
    }
}

fn check_version(version: u32) -> Result<(), CryptoError> {
    if version == 0 {
        return Err(CryptoError::InvalidInput {
            field: "version",
            reason: "versions start at 1",
        });
    }
    Ok(())
}

fn kek_from_material(key: &[u8]) -> Result<Kek, CryptoError> {
    let key: Zeroizing<[u8; KEY_LEN]> =
        Zeroizing::new(key.try_into().map_err(|_| CryptoError::InvalidKey {
            what: "key-encryption (32 bytes)",
        })?);
    Ok(Kek {
        key: aead::aes_key(&key, "key-encryption")?,
        wraps: AtomicU64::new(0),
    })
}

fn kek_from_master(master: &[u8], version: u32) -> Result<Kek, CryptoError> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, KEK_HKDF_SALT).extract(master);
    let version_bytes = version.to_be_bytes();
    let info: [&[u8]; 2] = [b"custodia kek version ", &version_bytes];
    let okm = prk
        .expand(&info, &AES_256_GCM)
        .map_err(|_| CryptoError::InvalidKey {
            what: "derived key-encryption",
        })?;
    Ok(Kek {
        key: LessSafeKey::new(UnboundKey::from(okm)),
        wraps: AtomicU64::new(0),
    })
}

fn wrap_aad(customer: CustomerId, dek_id: DekId, version: u32) -> [u8; 20 + 16 + 16 + 4] {
    let mut aad = [0u8; 20 + 16 + 16 + 4];
    let (label, rest) = aad.split_at_mut(20);
    label.copy_from_slice(WRAP_AAD_LABEL);
    let (c, rest) = rest.split_at_mut(16);
    c.copy_from_slice(customer.as_bytes());
    let (d, v) = rest.split_at_mut(16);
    d.copy_from_slice(dek_id.as_bytes());
    v.copy_from_slice(&version.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> Keyring {
        Keyring::derive_from_master(&[9u8; 32], 1, KeyringConfig::default()).unwrap()
    }

    #[test]
    fn wrapped_key_round_trips_and_decoding_is_total() {
        let kr = keyring();
        let (dek, wrapped) = kr.generate_dek(CustomerId::new_v7()).unwrap();
        let bytes = wrapped.encode();
        assert_eq!(bytes.len(), WRAPPED_KEY_LEN);
        let back = WrappedKey::decode(&bytes).unwrap();
        assert_eq!(back, wrapped);
        assert_eq!(kr.unwrap(&back).unwrap().bytes(), dek.bytes());
        for len in 0..bytes.len() {
            assert!(WrappedKey::decode(&bytes[..len]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(WrappedKey::decode(&longer).is_err());
        let mut v2 = bytes;
        v2[0] = 2;
        assert_eq!(
            WrappedKey::decode(&v2),
            Err(CryptoError::UnsupportedFormatVersion {
                what: "wrapped key",
                version: 2
            })
        );
    }

    #[test]
    fn every_bit_flip_of_a_wrapped_key_is_rejected() {
        let kr = keyring();
        let (_, wrapped) = kr.generate_dek(CustomerId::new_v7()).unwrap();
        let bytes = wrapped.encode();
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            if let Ok(w) = WrappedKey::decode(&flipped) {
                assert!(kr.unwrap(&w).is_err(), "bit {bit} accepted");
            }
        }
    }

    #[test]
    fn wrap_limit_refuses_and_asks_for_rotation() {
        let mut kr = Keyring::derive_from_master(&[1u8; 32], 1, KeyringConfig::new(2).unwrap()).unwrap();
        let c = CustomerId::new_v7();
        kr.generate_dek(c).unwrap();
        kr.generate_dek(c).unwrap();
        assert_eq!(
            kr.generate_dek(c).unwrap_err(),
            CryptoError::WrapLimitReached { version: 1, limit: 2 }
        );
        assert_eq!(kr.wrap_count(1), Some(2));
        kr.rotate().unwrap();
        kr.generate_dek(c).unwrap();
        assert_eq!(kr.wrap_count(2), Some(1));
        assert!(KeyringConfig::new(0).is_err());
        assert!(KeyringConfig::new(MAX_WRAPS_PER_KEK + 1).is_err());
    }

    #[test]
    fn restored_wrap_counts_count_toward_the_cap() {
        let mut kr = Keyring::from_key_material(3, &[5u8; 32], KeyringConfig::new(10).unwrap()).unwrap();
        kr.restore_wrap_count(3, 10).unwrap();
        assert!(matches!(
            kr.generate_dek(CustomerId::new_v7()),
            Err(CryptoError::WrapLimitReached { version: 3, .. })
        ));
        assert!(kr.restore_wrap_count(4, 1).is_err());
    }

    #[test]
    fn explicit_keyrings_rotate_with_new_material_only() {
        let mut kr = Keyring::from_key_material(1, &[5u8; 32], KeyringConfig::default()).unwrap();
        assert!(kr.rotate().is_err());
        assert_eq!(kr.rotate_with_key_material(&[6u8; 32]).unwrap(), 2);
        assert_eq!(kr.primary_version(), 2);
        assert!(kr.add_key_material(2, &[7u8; 32]).is_err());
        assert!(kr.add_key_material(5, &[7u8; 32]).is_err());
        assert!(Keyring::from_key_material(0, &[5u8; 32], KeyringConfig::default()).is_err());
        assert!(Keyring::from_key_material(1, &[5u8; 31], KeyringConfig::default()).is_err());
        assert!(Keyring::derive_from_master(&[5u8; 31], 1, KeyringConfig::default()).is_err());
    }

    #[test]
    fn same_master_derives_the_same_keks() {
        let a = keyring();
        let b = keyring();
        let (_, wrapped) = a.generate_dek(CustomerId::new_v7()).unwrap();
        assert!(b.unwrap(&wrapped).is_ok());
        let other = Keyring::derive_from_master(&[8u8; 32], 1, KeyringConfig::default()).unwrap();
        assert_eq!(other.unwrap(&wrapped).unwrap_err(), CryptoError::DecryptionFailed);
    }

    #[test]
    fn min_decrypt_version_only_rises_and_not_past_primary() {
        let mut kr = Keyring::derive_from_master(&[1u8; 32], 3, KeyringConfig::default()).unwrap();
        assert!(kr.set_min_decrypt_version(4).is_err());
        kr.set_min_decrypt_version(2).unwrap();
        assert!(kr.set_min_decrypt_version(1).is_err());
        assert_eq!(kr.versions(), vec![2, 3]);
        let shown = format!("{kr:?}");
        assert!(shown.contains("REDACTED"));
    }
}
