//! Sealed sections: one data category of one customer, encrypted under that customer's data key.
//!
//! The bytes and the AAD (`"custodia/section/v1"` ‖ `0x01` ‖ customer id ‖ category tag ‖ record version
//! (`u64`) ‖ DEK id, 61 bytes) are specified in `spec/crypto.md`.

use std::fmt;

use crate::plaintext::Plaintext;
use custodia_model::{CustomerId, DataCategory};

use crate::aead::{self, NONCE_LEN, TAG_LEN};
use crate::codec::Reader;
use crate::error::CryptoError;
use crate::keyring::{DataKey, DekId};

/// Version byte of the sealed-section format; it is also bound into the AAD.
pub const SECTION_FORMAT_VERSION: u8 = 1;

/// Bytes before the ciphertext: format version, DEK id, nonce.
pub const SECTION_HEADER_LEN: usize = 1 + 16 + NONCE_LEN;

/// Bytes a sealed section adds to its plaintext: header and tag.
pub const SECTION_OVERHEAD: usize = SECTION_HEADER_LEN + TAG_LEN;

const SECTION_AAD_LABEL: &[u8; 19] = b"custodia/section/v1";
const SECTION_AAD_LEN: usize = 19 + 1 + 16 + 1 + 8 + 16;
const WHAT: &str = "sealed section";

/// One category section of one customer, sealed with AES-256-GCM under the customer's data key.
///
/// The AAD binds the format version, customer id, category, record version and DEK id, so a ciphertext
/// moved to another customer, category or record version fails to open (PIPL Art 51: encryption;
/// consent and retention are scoped by category, PIPL Arts 14, 17, 28).
///
/// Byte format v1 ([`SealedSection::as_bytes`]):
///
/// | bytes | field |
/// |---|---|
/// | 1 | format version, `0x01` |
/// | 16 | DEK id (UUID bytes): which of the customer's data keys sealed it |
/// | 12 | nonce (random, see the crate docs) |
/// | n | ciphertext, as long as the plaintext |
/// | 16 | GCM tag |
///
/// Customer, category and record version are not in the bytes: they come from where the section is
/// stored, and the AAD makes them must-match.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSection {
    bytes: Vec<u8>,
    dek_id: DekId,
}

impl SealedSection {
    /// Parses a sealed section from outside bytes. Total: malformed input is an error, never a panic;
    /// authenticity is only known on [`open_section`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        Self::from_vec(bytes.to_vec())
    }

    /// Like [`SealedSection::from_bytes`], taking ownership of the buffer.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Self, CryptoError> {
        let mut r = Reader::new(&bytes, WHAT);
        let version = r.byte("format version")?;
        if version != SECTION_FORMAT_VERSION {
            return Err(CryptoError::UnsupportedFormatVersion { what: WHAT, version });
        }
        let dek_id = DekId::from_bytes(r.array("dek id")?).map_err(|_| CryptoError::Malformed {
            what: WHAT,
            reason: "dek id",
        })?;
        r.take(NONCE_LEN, "nonce")?;
        if r.rest().len() < TAG_LEN {
            return Err(CryptoError::Malformed {
                what: WHAT,
                reason: "tag",
            });
        }
        Ok(Self { bytes, dek_id })
    }

    /// The encoded bytes, for storage.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A copy of the encoded bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The encoded bytes, without copying.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The id of the data key that sealed this section: look it up to open it.
    pub fn dek_id(&self) -> DekId {
        self.dek_id
    }

    /// The format version.
    pub fn format_version(&self) -> u8 {
        SECTION_FORMAT_VERSION
    }

    /// Length of the plaintext inside.
    pub fn plaintext_len(&self) -> usize {
        self.bytes.len().saturating_sub(SECTION_OVERHEAD)
    }

    fn nonce(&self) -> Result<[u8; NONCE_LEN], CryptoError> {
        self.bytes
            .get(17..SECTION_HEADER_LEN)
            .and_then(|n| n.try_into().ok())
            .ok_or(CryptoError::Malformed {
                what: WHAT,
                reason: "nonce",
            })
    }
}

impl fmt::Debug for SealedSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SealedSection {{ version: {SECTION_FORMAT_VERSION}, dek_id: {}, len: {} }}",
            self.dek_id,
            self.bytes.len()
        )
    }
}

/// Seals one category section of `customer` under `key`, the customer's own data key.
///
/// Fails with [`CryptoError::CustomerMismatch`] if `key` belongs to another customer.
///
/// ```
/// use custodia_crypto::{Keyring, KeyringConfig, open_section, seal_section, SealedSection};
/// use custodia_model::{CustomerId, DataCategory};
///
/// let keyring = Keyring::derive_from_master(&[7u8; 32], 1, KeyringConfig::default())?;
/// let customer = CustomerId::new_v7();
/// let (dek, _wrapped) = keyring.generate_dek(customer)?;
/// let sealed = seal_section(&dek, customer, DataCategory::Health, 3, b"{\"smoker\":false}")?;
///
/// let stored = sealed.as_bytes().to_vec();
/// let parsed = SealedSection::from_bytes(&stored)?;
/// let plain = open_section(&dek, customer, DataCategory::Health, 3, &parsed)?;
/// assert_eq!(plain.as_slice(), b"{\"smoker\":false}");
/// // Another record version (or category, or customer) does not open.
/// assert!(open_section(&dek, customer, DataCategory::Health, 4, &parsed).is_err());
/// # Ok::<(), custodia_crypto::CryptoError>(())
/// ```
pub fn seal_section(
    key: &DataKey,
    customer: CustomerId,
    category: DataCategory,
    record_version: u64,
    plaintext: &[u8],
) -> Result<SealedSection, CryptoError> {
    check_customer(key, customer)?;
    let nonce = aead::fresh_nonce()?;
    let aad = section_aad(customer, category, record_version, key.id());
    let mut bytes = Vec::with_capacity(SECTION_OVERHEAD + plaintext.len());
    bytes.push(SECTION_FORMAT_VERSION);
    bytes.extend_from_slice(key.id().as_bytes());
    bytes.extend_from_slice(&nonce);
    aead::seal_append(key.aead(), nonce, &aad, plaintext, &mut bytes)?;
    Ok(SealedSection {
        bytes,
        dek_id: key.id(),
    })
}

/// Opens a sealed section with the customer's data key and the context it was sealed in. The plaintext
/// is zeroized when dropped.
///
/// Fails with [`CryptoError::WrongDataKey`] if the section names another DEK, with
/// [`CryptoError::CustomerMismatch`] if `key` is not `customer`'s, and with the opaque
/// [`CryptoError::DecryptionFailed`] if the bytes or the context (customer, category, record version)
/// do not match.
pub fn open_section(
    key: &DataKey,
    customer: CustomerId,
    category: DataCategory,
    record_version: u64,
    sealed: &SealedSection,
) -> Result<Plaintext, CryptoError> {
    check_customer(key, customer)?;
    if sealed.dek_id != key.id() {
        return Err(CryptoError::WrongDataKey {
            needed: sealed.dek_id,
            given: key.id(),
        });
    }
    let aad = section_aad(customer, category, record_version, key.id());
    let body = sealed
        .bytes
        .get(SECTION_HEADER_LEN..)
        .ok_or(CryptoError::DecryptionFailed)?;
    aead::open_to_vec(key.aead(), sealed.nonce()?, &aad, body)
}

fn check_customer(key: &DataKey, customer: CustomerId) -> Result<(), CryptoError> {
    if key.customer() != customer {
        return Err(CryptoError::CustomerMismatch {
            key_customer: key.customer(),
            customer,
        });
    }
    Ok(())
}

fn section_aad(
    customer: CustomerId,
    category: DataCategory,
    record_version: u64,
    dek_id: DekId,
) -> [u8; SECTION_AAD_LEN] {
    let mut aad = [0u8; SECTION_AAD_LEN];
    let (label, rest) = aad.split_at_mut(SECTION_AAD_LABEL.len());
    label.copy_from_slice(SECTION_AAD_LABEL);
    let (version, rest) = rest.split_at_mut(1);
    version.copy_from_slice(&[SECTION_FORMAT_VERSION]);
    let (c, rest) = rest.split_at_mut(16);
    c.copy_from_slice(customer.as_bytes());
    let (cat, rest) = rest.split_at_mut(1);
    cat.copy_from_slice(&[category.tag()]);
    let (rv, d) = rest.split_at_mut(8);
    rv.copy_from_slice(&record_version.to_be_bytes());
    d.copy_from_slice(dek_id.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::{Keyring, KeyringConfig};

    #[test]
    fn every_bit_flip_is_rejected() {
        let kr = Keyring::derive_from_master(&[3u8; 32], 1, KeyringConfig::default()).unwrap();
        let c = CustomerId::new_v7();
        let (dek, _) = kr.generate_dek(c).unwrap();
        let sealed = seal_section(&dek, c, DataCategory::Contact, 1, b"138 0013 8000").unwrap();
        let bytes = sealed.as_bytes();
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.to_vec();
            flipped[bit / 8] ^= 1 << (bit % 8);
            if let Ok(s) = SealedSection::from_bytes(&flipped) {
                assert!(
                    open_section(&dek, c, DataCategory::Contact, 1, &s).is_err(),
                    "bit {bit}"
                );
            }
        }
    }

    #[test]
    fn short_and_foreign_bytes_are_errors() {
        for len in 0..SECTION_OVERHEAD {
            let mut bytes = vec![0u8; len];
            if let Some(b) = bytes.first_mut() {
                *b = SECTION_FORMAT_VERSION;
            }
            assert!(SealedSection::from_bytes(&bytes).is_err());
        }
        let mut v9 = vec![9u8; 64];
        v9[0] = 9;
        assert_eq!(
            SealedSection::from_bytes(&v9),
            Err(CryptoError::UnsupportedFormatVersion {
                what: WHAT,
                version: 9
            })
        );
    }

    #[test]
    fn wrong_key_and_wrong_customer_are_named() {
        let kr = Keyring::derive_from_master(&[3u8; 32], 1, KeyringConfig::default()).unwrap();
        let c = CustomerId::new_v7();
        let other = CustomerId::new_v7();
        let (dek, _) = kr.generate_dek(c).unwrap();
        let (dek2, _) = kr.generate_dek(c).unwrap();
        let sealed = seal_section(&dek, c, DataCategory::Identity, 1, b"x").unwrap();
        assert!(matches!(
            open_section(&dek2, c, DataCategory::Identity, 1, &sealed),
            Err(CryptoError::WrongDataKey { .. })
        ));
        assert!(matches!(
            seal_section(&dek, other, DataCategory::Identity, 1, b"x"),
            Err(CryptoError::CustomerMismatch { .. })
        ));
        assert_eq!(sealed.plaintext_len(), 1);
    }
}
