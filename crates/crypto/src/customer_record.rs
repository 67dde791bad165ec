//! Application records of one customer sealed under that customer's data key: what the brokerage must know about a customer to plan and keep their data (facts), erased with them by crypto-shredding.
//!
//! The bytes have the format of a [`SealedSection`] (version, DEK id, nonce, ciphertext, tag), but the AAD
//! binds a different label (`custodia/customer-record/v1`), the customer, the record's kind, its version
//! and the DEK id, so a record never opens as a section or as a record of another kind, customer or
//! version, and a section never opens as a record.

use crate::plaintext::Plaintext;
use custodia_model::CustomerId;

use crate::aead::{self, NONCE_LEN};
use crate::error::CryptoError;
use crate::keyring::DataKey;
use crate::section::{SECTION_FORMAT_VERSION, SECTION_HEADER_LEN, SealedSection};

const RECORD_AAD_LABEL: &[u8] = b"custodia/customer-record/v1";

/// The longest record kind: 64 bytes.
const MAX_KIND_LEN: usize = 64;

fn record_aad(customer: CustomerId, kind: &str, version: u64, key: &DataKey) -> Result<Vec<u8>, CryptoError> {
    let kind_len = u8::try_from(kind.len())
        .ok()
        .filter(|n| *n > 0 && usize::from(*n) <= MAX_KIND_LEN)
        .ok_or(CryptoError::InvalidInput {
            field: "record kind",
            reason: "must be 1 to 64 bytes",
        })?;
    let mut aad = Vec::with_capacity(RECORD_AAD_LABEL.len() + 1 + 16 + 1 + kind.len() + 8 + 16);
    aad.extend_from_slice(RECORD_AAD_LABEL);
    aad.push(SECTION_FORMAT_VERSION);
    aad.extend_from_slice(customer.as_bytes());
    aad.push(kind_len);
    aad.extend_from_slice(kind.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad.extend_from_slice(key.id().as_bytes());
    Ok(aad)
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

/// Seals `plaintext`, the record of kind `kind` (1 to 64 bytes, such as `facts`) and version `version`
/// of `customer`, under the customer's data key.
///
/// ```
/// use custodia_crypto::{Keyring, KeyringConfig, open_customer_record, seal_customer_record};
/// use custodia_model::CustomerId;
///
/// let keyring = Keyring::derive_from_master(&[7u8; 32], 1, KeyringConfig::default())?;
/// let customer = CustomerId::new_v7();
/// let (dek, _) = keyring.generate_dek(customer)?;
/// let sealed = seal_customer_record(&dek, customer, "facts", 1, b"{\"born\":\"1990-01-01\"}")?;
/// assert_eq!(open_customer_record(&dek, customer, "facts", 1, &sealed)?.as_slice(), b"{\"born\":\"1990-01-01\"}");
/// assert!(open_customer_record(&dek, customer, "facts", 2, &sealed).is_err());
/// assert!(open_customer_record(&dek, customer, "other", 1, &sealed).is_err());
/// # Ok::<(), custodia_crypto::CryptoError>(())
/// ```
pub fn seal_customer_record(
    key: &DataKey,
    customer: CustomerId,
    kind: &str,
    version: u64,
    plaintext: &[u8],
) -> Result<SealedSection, CryptoError> {
    check_customer(key, customer)?;
    let aad = record_aad(customer, kind, version, key)?;
    let nonce = aead::fresh_nonce()?;
    let mut bytes = Vec::with_capacity(SECTION_HEADER_LEN + plaintext.len() + 16);
    bytes.push(SECTION_FORMAT_VERSION);
    bytes.extend_from_slice(key.id().as_bytes());
    bytes.extend_from_slice(&nonce);
    aead::seal_append(key.aead(), nonce, &aad, plaintext, &mut bytes)?;
    SealedSection::from_vec(bytes)
}

/// Opens a record sealed by [`seal_customer_record`] with the same customer, kind and version. The
/// plaintext is zeroized when dropped; any mismatch or alteration is the opaque
/// [`CryptoError::DecryptionFailed`].
pub fn open_customer_record(
    key: &DataKey,
    customer: CustomerId,
    kind: &str,
    version: u64,
    sealed: &SealedSection,
) -> Result<Plaintext, CryptoError> {
    check_customer(key, customer)?;
    if sealed.dek_id() != key.id() {
        return Err(CryptoError::WrongDataKey {
            needed: sealed.dek_id(),
            given: key.id(),
        });
    }
    let aad = record_aad(customer, kind, version, key)?;
    let bytes = sealed.as_bytes();
    let nonce: [u8; NONCE_LEN] = bytes
        .get(17..SECTION_HEADER_LEN)
        .and_then(|n| n.try_into().ok())
        .ok_or(CryptoError::DecryptionFailed)?;
    let body = bytes
        .get(SECTION_HEADER_LEN..)
        .ok_or(CryptoError::DecryptionFailed)?;
    aead::open_to_vec(key.aead(), nonce, &aad, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::{Keyring, KeyringConfig};
    use crate::section::open_section;

    #[test]
    fn a_record_never_opens_as_a_section_nor_for_another_customer() {
        let keyring = Keyring::derive_from_master(&[3u8; 32], 1, KeyringConfig::default()).unwrap();
        let customer = CustomerId::new_v7();
        let (dek, _) = keyring.generate_dek(customer).unwrap();
        let sealed = seal_customer_record(&dek, customer, "facts", 1, b"x").unwrap();
        for category in custodia_model::DataCategory::ALL {
            assert!(open_section(&dek, customer, category, 1, &sealed).is_err());
        }
        let other = CustomerId::new_v7();
        let (other_dek, _) = keyring.generate_dek(other).unwrap();
        assert!(open_customer_record(&other_dek, other, "facts", 1, &sealed).is_err());
        assert!(seal_customer_record(&dek, customer, "", 1, b"x").is_err());
        assert!(seal_customer_record(&dek, customer, &"k".repeat(65), 1, b"x").is_err());
        let mut bytes = sealed.as_bytes().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let flipped = SealedSection::from_vec(bytes).unwrap();
        assert_eq!(
            open_customer_record(&dek, customer, "facts", 1, &flipped).unwrap_err(),
            CryptoError::DecryptionFailed
        );
    }
}
