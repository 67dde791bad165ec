//! Versioned key-encryption keys (KEKs), per-customer data keys (DEKs) and the wrapped form a DEK is stored in.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use custodia_model::CustomerId;
use ring::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
use ring::{hkdf, hmac};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

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
/// HKDF info of one step of the KEK chain (see [`Keyring::derive_from_master`]).
const KEK_CHAIN_INFO: &[u8] = b"custodia/kek-chain/v1 next";
/// Version byte of the [`KeyringState`] binary format.
pub const KEYRING_STATE_FORMAT_VERSION: u8 = 1;

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
/// from one master secret with HKDF-SHA256, along a one-way chain: the master's chain secret derives KEK
/// 1 and the next chain secret, which derives KEK 2 and the next, and so on ([`KekChainSecret`]). A
/// keyring rebuilt from the chain secret of version `m` has versions `m..` and can never derive an
/// earlier one, which is how a retired KEK is destroyed for good, backups included. Rotation adds a version and makes it
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
    /// For a derived keyring, the chain secret of its lowest derivable version; `None` for explicit key
    /// material.
    chain: Option<Chain>,
    #[zeroize(skip)]
    config: KeyringConfig,
}

/// The KEK chain of a derived keyring at version `base`: `secret` derives KEK `base` and, step by step,
/// every later version, and no earlier one.
#[derive(Zeroize)]
struct Chain {
    #[zeroize(skip)]
    base: u32,
    secret: Zeroizing<[u8; KEY_LEN]>,
}

impl Chain {
    /// The chain secret of `version` (≥ base), walking forward.
    fn secret_at(&self, version: u32) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
        if version < self.base {
            return Err(CryptoError::KekRetired {
                version,
                minimum: self.base,
            });
        }
        let mut secret = self.secret.clone();
        for _ in self.base..version {
            secret = chain_next(&secret)?;
        }
        Ok(secret)
    }
}

/// The secret a derived keyring is rebuilt from, at a version: the operator's master secret is the chain
/// secret of version 1, and after KEK versions are retired ([`Keyring::retire_shredded`]) the chain
/// secret of the new minimum version replaces it. From it, that version and every later one are derived;
/// no earlier one can be, because each step of the chain is one-way (HKDF). Destroying the older secret
/// is what destroys the retired KEKs — and with them every wrapped key they wrapped, in the live store and
/// in every backup.
///
/// Secret: no `Debug` of its bytes, no `Serialize`, zeroized on drop; [`KekChainSecret::expose_secret`]
/// is the one way to the bytes (to put them in the operator's secret store).
pub struct KekChainSecret {
    version: u32,
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl KekChainSecret {
    /// The chain secret of version 1 for a master secret (at least [`MIN_MASTER_SECRET_LEN`] bytes): what
    /// [`Keyring::derive_from_master`] starts from.
    pub fn from_master(master: &[u8]) -> Result<Self, CryptoError> {
        if master.len() < MIN_MASTER_SECRET_LEN {
            return Err(CryptoError::InvalidKey {
                what: "master secret (at least 32 bytes)",
            });
        }
        Ok(Self {
            version: 1,
            bytes: chain_start(master),
        })
    }

    /// A chain secret as the operator stored it: its version and its 32 bytes.
    pub fn from_bytes(version: u32, bytes: [u8; KEY_LEN]) -> Result<Self, CryptoError> {
        check_version(version)?;
        Ok(Self {
            version,
            bytes: Zeroizing::new(bytes),
        })
    }

    /// The version this secret derives first.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The secret bytes, for the operator's secret store. Greppable on purpose.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl fmt::Debug for KekChainSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KekChainSecret {{ version: {}, secret: [REDACTED] }}",
            self.version
        )
    }
}

impl ZeroizeOnDrop for KekChainSecret {}

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
            chain: None,
            config,
        })
    }

    /// A keyring whose versions `1..=versions` are derived from `master` (at least
    /// [`MIN_MASTER_SECRET_LEN`] bytes) with HKDF-SHA256 along the KEK chain; the highest is primary. The
    /// same master always gives the same KEKs, so only the master needs safekeeping — until versions are
    /// retired, when the chain secret of the new minimum replaces it ([`Keyring::chain_secret`]).
    pub fn derive_from_master(
        master: &[u8],
        versions: u32,
        config: KeyringConfig,
    ) -> Result<Self, CryptoError> {
        Self::from_chain_secret(&KekChainSecret::from_master(master)?, versions, config)
    }

    /// A keyring rebuilt from a chain secret of version `m` ([`Keyring::chain_secret`] after a
    /// retirement): versions `m..=highest`, the highest primary, `m` the minimum decryption version.
    pub fn from_chain_secret(
        secret: &KekChainSecret,
        highest: u32,
        config: KeyringConfig,
    ) -> Result<Self, CryptoError> {
        check_version(highest)?;
        if highest < secret.version {
            return Err(CryptoError::InvalidInput {
                field: "versions",
                reason: "below the chain secret's version",
            });
        }
        let chain = Chain {
            base: secret.version,
            secret: secret.bytes.clone(),
        };
        let mut keks = BTreeMap::new();
        let mut current = chain.secret.clone();
        for version in secret.version..=highest {
            keks.insert(version, kek_from_chain(&current, version)?);
            if version < highest {
                current = chain_next(&current)?;
            }
        }
        Ok(Self {
            keks,
            primary: highest,
            min_decrypt: secret.version,
            chain: Some(chain),
            config,
        })
    }

    /// For a derived keyring, the chain secret of its lowest derivable version: after
    /// [`Keyring::retire_shredded`] (or [`Keyring::set_min_decrypt_version`]) raised the minimum, store
    /// this in place of the master secret and destroy the master — that is the destruction of the
    /// retired KEKs. `None` for a keyring of explicit key material (destroy retired versions in the KMS).
    pub fn chain_secret(&self) -> Option<KekChainSecret> {
        self.chain.as_ref().map(|chain| KekChainSecret {
            version: chain.base,
            bytes: chain.secret.clone(),
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
        let kek = match &self.chain {
            Some(chain) => {
                let secret = chain.secret_at(next)?;
                kek_from_chain(&secret, next)?
            }
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
    /// [`CryptoError::KekRetired`] from now on, and the retired KEKs are dropped from memory — for a
    /// derived keyring the chain moves forward too, so that [`Keyring::chain_secret`] can no longer
    /// derive them. The minimum never falls and never passes the primary.
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
        if let Some(chain) = &mut self.chain
            && version > chain.base
        {
            *chain = Chain {
                base: version,
                secret: chain.secret_at(version)?,
            };
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

/// What a keyring must find again after a restart, kept in the store beside the keys it wrapped
/// ([`KeyringStore`]): the primary version, the minimum decryption version and every version's wrap
/// count. Not secret. Without it a keyring derived again from its master comes back with every version
/// and minimum 1, so a retirement would last only until the next restart.
///
/// Binary format v1 ([`KeyringState::encode`]): version byte `0x01`, primary (u32, big-endian), minimum
/// (u32), the number of counts (u32), then per count the version (u32) and the wraps (u64).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyringState {
    /// The primary version.
    pub primary: u32,
    /// The minimum decryption version.
    pub min_decrypt: u32,
    /// How many keys each version has wrapped.
    pub wrap_counts: BTreeMap<u32, u64>,
}

impl KeyringState {
    /// The binary form, for storage.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(13 + self.wrap_counts.len() * 12);
        out.push(KEYRING_STATE_FORMAT_VERSION);
        out.extend_from_slice(&self.primary.to_be_bytes());
        out.extend_from_slice(&self.min_decrypt.to_be_bytes());
        // A keyring holds far fewer than 2^32 versions (each one is a rotation).
        out.extend_from_slice(
            &u32::try_from(self.wrap_counts.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        for (version, wraps) in &self.wrap_counts {
            out.extend_from_slice(&version.to_be_bytes());
            out.extend_from_slice(&wraps.to_be_bytes());
        }
        out
    }

    /// Parses the binary form. Total: malformed input is an error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self, CryptoError> {
        const WHAT: &str = "keyring state";
        let mut r = Reader::new(bytes, WHAT);
        let version = r.byte("format version")?;
        if version != KEYRING_STATE_FORMAT_VERSION {
            return Err(CryptoError::UnsupportedFormatVersion { what: WHAT, version });
        }
        let primary = r.u32_be("primary")?;
        let min_decrypt = r.u32_be("minimum")?;
        let count = r.u32_be("count")?;
        let mut wrap_counts = BTreeMap::new();
        for _ in 0..count {
            let version = r.u32_be("version")?;
            let wraps = u64::from_be_bytes(r.array("wraps")?);
            if wrap_counts.insert(version, wraps).is_some() {
                return Err(CryptoError::Malformed {
                    what: WHAT,
                    reason: "a version twice",
                });
            }
        }
        r.finish()?;
        if primary == 0 || min_decrypt == 0 || min_decrypt > primary {
            return Err(CryptoError::Malformed {
                what: WHAT,
                reason: "versions",
            });
        }
        Ok(Self {
            primary,
            min_decrypt,
            wrap_counts,
        })
    }
}

/// When the KEK versions that wrapped a shredded customer's keys are retired and destroyed: at the first
/// [`Keyring::retire_shredded`] run at least `delay` after the shred. The delay is the window in which a
/// destruction can still be undone by restoring a backup (a wrong erasure, PIPL Art 47's "technically
/// impossible" aside); after it the data is gone from every backup. Default: 7 days. Run
/// `retire_shredded` at least daily; the guarantee's delay is then `delay` plus a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetirementPolicy {
    delay: TimeDelta,
}

impl RetirementPolicy {
    /// A policy retiring `delay` (0 to 90 days) after a shred.
    pub fn new(delay: TimeDelta) -> Result<Self, CryptoError> {
        if delay < TimeDelta::zero() || delay > TimeDelta::days(90) {
            return Err(CryptoError::InvalidInput {
                field: "delay",
                reason: "must be between 0 and 90 days",
            });
        }
        Ok(Self { delay })
    }

    /// How long after a shred its KEK versions are retired.
    pub fn delay(&self) -> TimeDelta {
        self.delay
    }
}

impl Default for RetirementPolicy {
    fn default() -> Self {
        Self {
            delay: TimeDelta::days(7),
        }
    }
}

/// A KEK version that wrapped a key destroyed by crypto-shredding, and when the first such key was
/// destroyed: what a store records at [`crate::KeyStore::destroy_customer`] so that the version can be
/// retired on schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShreddedUnder {
    /// The KEK version.
    pub kek_version: u32,
    /// The first destruction of a key it wrapped.
    pub first_destroyed_at: DateTime<Utc>,
}

impl ShreddedUnder {
    /// A record, as a store reads it back.
    pub fn new(kek_version: u32, first_destroyed_at: DateTime<Utc>) -> Self {
        Self {
            kek_version,
            first_destroyed_at,
        }
    }
}

/// Where a keyring's persistent half lives, beside the wrapped keys: its [`KeyringState`], the KEK
/// versions that wrapped shredded keys, and a bulk rewrap. Implemented by custodia-store's SQLite and
/// PostgreSQL stores (the state is one row of their `keyring_state` table).
pub trait KeyringStore {
    /// The stored state, if one was ever saved.
    fn keyring_state(&self) -> Result<Option<KeyringState>, CryptoError>;

    /// Saves the state. Refuses ([`CryptoError::KeyringStateRegressed`]) a state whose minimum or
    /// primary version is below the stored one's: a stale keyring must not undo a retirement.
    fn save_keyring_state(&self, state: &KeyringState) -> Result<(), CryptoError>;

    /// Every KEK version at or above `from` that wrapped a destroyed key, with its first destruction.
    fn shredded_kek_versions(&self, from: u32) -> Result<Vec<ShreddedUnder>, CryptoError>;

    /// Rewraps every stored wrapped key whose KEK version is below `below` with `keyring`'s primary, in
    /// one atomic step, and returns how many moved.
    fn rewrap_keys_below(&self, keyring: &Keyring, below: u32) -> Result<u64, CryptoError>;
}

/// What a [`Keyring::retire_shredded`] run did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Retirement {
    /// Every version up to this one is retired (the minimum decryption version is one above).
    pub retired_through: u32,
    /// The primary after the run (a new version, if the retired one was primary).
    pub primary: u32,
    /// How many live keys were rewrapped to the primary.
    pub rewrapped: u64,
    /// For a derived keyring, the chain secret to store in place of the master, which must then be
    /// destroyed (with every copy) for the retired KEKs to be gone.
    pub chain_secret: Option<KekChainSecret>,
}

impl Keyring {
    /// The state to persist ([`KeyringStore::save_keyring_state`]).
    pub fn state(&self) -> KeyringState {
        KeyringState {
            primary: self.primary,
            min_decrypt: self.min_decrypt,
            wrap_counts: self
                .keks
                .iter()
                .map(|(v, k)| (*v, k.wraps.load(Ordering::SeqCst)))
                .collect(),
        }
    }

    /// Applies a persisted state after a restart: the minimum decryption version rises to the stored
    /// one (retired versions are dropped, and a derived keyring's chain moves past them), and the wrap
    /// counts are restored. Refuses a state whose primary is above this keyring's
    /// ([`CryptoError::KeyringStateRegressed`]: the store holds keys wrapped under versions this keyring
    /// was not given).
    pub fn apply_state(&mut self, state: &KeyringState) -> Result<(), CryptoError> {
        if state.primary > self.primary {
            return Err(CryptoError::KeyringStateRegressed {
                field: "primary version",
                stored: state.primary,
                given: self.primary,
            });
        }
        if state.min_decrypt > self.min_decrypt {
            self.set_min_decrypt_version(state.min_decrypt)?;
        }
        for (version, count) in &state.wrap_counts {
            if let Some(kek) = self.keks.get(version) {
                kek.wraps.fetch_max(*count, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    /// The scheduled retirement of the KEK versions that wrapped shredded keys (PIPL Art 47: deletion
    /// that holds against backups). When some version `v` at or above the minimum wrapped a key
    /// destroyed at least `policy.delay()` before `now`, the run: rotates to a new primary if `v` is the
    /// primary (a derived keyring does it itself; one of explicit key material must have been given a
    /// newer version with [`Keyring::rotate_with_key_material`] first); rewraps every live key under a
    /// version up to `v` to the primary ([`KeyringStore::rewrap_keys_below`]); raises the minimum
    /// decryption version to `v + 1`, so the retired KEKs leave memory and the chain; and saves the
    /// state. Returns `None` when nothing is due.
    ///
    /// After it, store [`Retirement::chain_secret`] in place of the master secret and destroy the
    /// master; then every backup taken before the run holds the shredded customer's wrapped key under a
    /// KEK nobody can derive any more. (It also holds other customers' keys under those versions, which
    /// that backup can then no longer open: take a backup after every run, and restore the newest.)
    pub fn retire_shredded(
        &mut self,
        store: &dyn KeyringStore,
        now: DateTime<Utc>,
        policy: &RetirementPolicy,
    ) -> Result<Option<Retirement>, CryptoError> {
        let due = store
            .shredded_kek_versions(self.min_decrypt)?
            .into_iter()
            .filter(|s| s.first_destroyed_at + policy.delay <= now)
            .map(|s| s.kek_version)
            .max();
        let Some(through) = due else {
            return Ok(None);
        };
        if through >= self.primary {
            if self.chain.is_none() {
                return Err(CryptoError::InvalidInput {
                    field: "keyring",
                    reason: "the version to retire is primary: add a newer one with rotate_with_key_material",
                });
            }
            self.rotate()?;
        }
        let below = through.checked_add(1).ok_or(CryptoError::InvalidInput {
            field: "version",
            reason: "no version left above the highest",
        })?;
        let rewrapped = store.rewrap_keys_below(self, below)?;
        self.set_min_decrypt_version(below)?;
        store.save_keyring_state(&self.state())?;
        Ok(Some(Retirement {
            retired_through: through,
            primary: self.primary,
            rewrapped,
            chain_secret: self.chain_secret(),
        }))
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("versions", &self.versions())
            .field("primary", &self.primary)
            .field("min_decrypt", &self.min_decrypt)
            .field("derived", &self.chain.is_some())
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

/// The chain secret of version 1: HKDF-Extract(salt, master), which is HMAC-SHA256 keyed by the salt.
fn chain_start(master: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, KEK_HKDF_SALT), master);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    // HMAC-SHA256 gives 32 bytes, KEY_LEN.
    out.copy_from_slice(tag.as_ref().get(..KEY_LEN).unwrap_or(&[0; KEY_LEN]));
    out
}

/// 32 bytes of HKDF output.
struct ChainLen;

impl hkdf::KeyType for ChainLen {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

/// One step of the chain: HKDF-Expand(secret, "custodia/kek-chain/v1 next"). One-way: the next secret
/// tells nothing of this one.
fn chain_next(secret: &[u8; KEY_LEN]) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, secret);
    let info: [&[u8]; 1] = [KEK_CHAIN_INFO];
    let okm = prk.expand(&info, ChainLen).map_err(|_| CryptoError::InvalidKey {
        what: "derived key-encryption chain",
    })?;
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    okm.fill(out.as_mut()).map_err(|_| CryptoError::InvalidKey {
        what: "derived key-encryption chain",
    })?;
    Ok(out)
}

/// KEK `version` from its chain secret: HKDF-Expand(secret, "custodia kek version " ‖ version). For
/// version 1 the secret is HKDF-Extract of the master, so KEK 1 is exactly what earlier builds derived.
fn kek_from_chain(secret: &[u8; KEY_LEN], version: u32) -> Result<Kek, CryptoError> {
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, secret);
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
    fn version_one_is_the_kek_earlier_builds_derived() {
        // The derivation before the chain: KEK v = HKDF(salt, master, "custodia kek version " || v).
        let master = [4u8; 32];
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, KEK_HKDF_SALT).extract(&master);
        let version = 1u32.to_be_bytes();
        let info: [&[u8]; 2] = [b"custodia kek version ", &version];
        let old = Kek {
            key: LessSafeKey::new(UnboundKey::from(prk.expand(&info, &AES_256_GCM).unwrap())),
            wraps: AtomicU64::new(0),
        };
        let old_ring = Keyring {
            keks: BTreeMap::from([(1, old)]),
            primary: 1,
            min_decrypt: 1,
            chain: None,
            config: KeyringConfig::default(),
        };
        let (_, wrapped) = old_ring.generate_dek(CustomerId::new_v7()).unwrap();
        let ring = Keyring::derive_from_master(&master, 1, KeyringConfig::default()).unwrap();
        assert!(
            ring.unwrap(&wrapped).is_ok(),
            "stored keys of version 1 still open"
        );
    }

    #[test]
    fn a_chain_secret_derives_its_version_and_later_ones_never_earlier() {
        let master = [6u8; 32];
        let mut ring = Keyring::derive_from_master(&master, 1, KeyringConfig::default()).unwrap();
        let c = CustomerId::new_v7();
        let (_, under1) = ring.generate_dek(c).unwrap();
        ring.rotate().unwrap();
        let (_, under2) = ring.generate_dek(c).unwrap();
        ring.rotate().unwrap();
        assert_eq!(ring.chain_secret().unwrap().version(), 1);
        ring.set_min_decrypt_version(2).unwrap();
        let secret = ring.chain_secret().unwrap();
        assert_eq!(secret.version(), 2);
        // What the operator keeps now: the version-2 chain secret, the master destroyed.
        let rebuilt = Keyring::from_chain_secret(
            &KekChainSecret::from_bytes(2, *secret.expose_secret()).unwrap(),
            3,
            KeyringConfig::default(),
        )
        .unwrap();
        assert_eq!(rebuilt.versions(), vec![2, 3]);
        assert!(rebuilt.unwrap(&under2).is_ok());
        assert!(matches!(
            rebuilt.unwrap(&under1),
            Err(CryptoError::KekRetired {
                version: 1,
                minimum: 2
            })
        ));
        // The same KEKs as the master gives for those versions.
        let from_master = Keyring::derive_from_master(&master, 3, KeyringConfig::default()).unwrap();
        assert!(from_master.unwrap(&under2).is_ok());
        let (_, under3) = rebuilt.generate_dek(c).unwrap();
        assert!(from_master.unwrap(&under3).is_ok());
        assert!(format!("{secret:?}").contains("REDACTED"));
        assert!(!format!("{secret:?}").contains(&format!("{:?}", secret.expose_secret())));
        assert!(Keyring::from_chain_secret(&secret, 1, KeyringConfig::default()).is_err());
    }

    #[test]
    fn keyring_state_round_trips_decodes_totally_and_is_applied_after_a_restart() {
        let mut ring = Keyring::derive_from_master(&[3u8; 32], 2, KeyringConfig::default()).unwrap();
        ring.generate_dek(CustomerId::new_v7()).unwrap();
        ring.set_min_decrypt_version(2).unwrap();
        let state = ring.state();
        assert_eq!((state.primary, state.min_decrypt), (2, 2));
        let bytes = state.encode();
        assert_eq!(KeyringState::decode(&bytes).unwrap(), state);
        for len in 0..bytes.len() {
            assert!(KeyringState::decode(&bytes[..len]).is_err());
        }
        // A keyring derived again from the master after a restart comes back with version 1...
        let mut again = Keyring::derive_from_master(&[3u8; 32], 2, KeyringConfig::default()).unwrap();
        assert_eq!(again.min_decrypt_version(), 1);
        // ...and the persisted state takes it back to where it was.
        again.apply_state(&state).unwrap();
        assert_eq!(again.min_decrypt_version(), 2);
        assert_eq!(again.versions(), vec![2]);
        assert_eq!(again.wrap_count(2), Some(1));
        // A keyring that lacks versions the store used is refused.
        let mut behind = Keyring::derive_from_master(&[3u8; 32], 1, KeyringConfig::default()).unwrap();
        assert!(matches!(
            behind.apply_state(&state),
            Err(CryptoError::KeyringStateRegressed { .. })
        ));
        assert!(RetirementPolicy::new(TimeDelta::days(-1)).is_err());
        assert_eq!(RetirementPolicy::default().delay(), TimeDelta::days(7));
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
