//! Blind indexes: keyed HMAC-SHA256 over normalized identity numbers, phones and e-mail, truncated to size.

use std::fmt;

use ring::{hkdf, hmac};
use serde::{Deserialize, Serialize};

use crate::error::CryptoError;

mod ascii;

/// Version of the normalization rules below. It is part of every index value and of the HMAC input, so
/// changing the rules (as a new version) never silently matches old entries.
pub const NORMALIZATION_VERSION: u8 = 1;

/// Shortest root key [`BlindIndexer::new`] accepts: 256 bits.
pub const MIN_BLIND_INDEX_ROOT_KEY_LEN: usize = 32;

const BLIND_INDEX_HKDF_SALT: &[u8] = b"custodia/blind-index/v1";

/// A field that can be found by blind index without decrypting any section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BlindIndexField {
    /// A resident identity number, passport or other document number: trimmed, inner spaces and
    /// hyphens removed, ASCII upper-cased (the check character `x` becomes `X`).
    IdentityNumber,
    /// A phone number, normalized to E.164 (`+8613800138000`); numbers without a country code get the
    /// configured default one.
    Phone,
    /// An e-mail address: trimmed and lower-cased.
    Email,
}

impl BlindIndexField {
    /// Every field, in a stable order.
    pub const ALL: [BlindIndexField; 3] = [
        BlindIndexField::IdentityNumber,
        BlindIndexField::Phone,
        BlindIndexField::Email,
    ];

    /// The stable code used in key derivation and storage.
    pub fn code(self) -> &'static str {
        match self {
            BlindIndexField::IdentityNumber => "identity_number",
            BlindIndexField::Phone => "phone",
            BlindIndexField::Email => "email",
        }
    }

    /// The field with the given [`BlindIndexField::code`], as read back from storage.
    pub fn from_code(code: &str) -> Result<Self, CryptoError> {
        Self::ALL
            .into_iter()
            .find(|f| f.code() == code)
            .ok_or(CryptoError::InvalidInput {
                field: "blind_index_field",
                reason: "unknown field code",
            })
    }
}

/// Output length and normalization settings of a [`BlindIndexer`].
///
/// # Sizing (the CipherSweet rule)
///
/// A blind index is deliberately short so that it has collisions: with `R` rows and an `L`-bit index,
/// each value shares its index with about `C = R / 2^L` other rows (the coincidence count). CipherSweet's
/// blind index planning asks for `2 ≤ C < √R`: at least two rows per index value, so that an index
/// value never pins down one person, and fewer than `√R`, so that a lookup stays a lookup. That gives
/// `log₂(R) / 2 < L ≤ log₂(R) − 1`. When several indexes describe the same row and could be combined by
/// an attacker, their lengths add up and the sum must respect the bound. A lookup therefore returns
/// candidates, which the caller confirms by opening their sections.
/// [`BlindIndexConfig::for_population`] applies the rule; [`BlindIndexConfig::with_bits`] takes an
/// explicit length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlindIndexConfig {
    bits: u16,
    default_country_code: u16,
}

impl BlindIndexConfig {
    /// An explicit index length in bits (1 ..= 256), with China's `+86` as the default country code.
    pub fn with_bits(bits: u16) -> Result<Self, CryptoError> {
        if bits == 0 || bits > 256 {
            return Err(CryptoError::InvalidInput {
                field: "bits",
                reason: "must be between 1 and 256",
            });
        }
        Ok(Self {
            bits,
            default_country_code: 86,
        })
    }

    /// The CipherSweet-sized length for `rows` customers with `indexes_per_row` blind indexes each:
    /// the total `⌊log₂(rows)⌋ − 1` bits (so the coincidence count is at least 2) split evenly across the
    /// indexes, at least 1 bit each.
    pub fn for_population(rows: u64, indexes_per_row: u16) -> Result<Self, CryptoError> {
        if rows < 4 {
            return Err(CryptoError::InvalidInput {
                field: "rows",
                reason: "need at least 4 rows for a blind index with coincidences",
            });
        }
        if indexes_per_row == 0 {
            return Err(CryptoError::InvalidInput {
                field: "indexes_per_row",
                reason: "must be at least 1",
            });
        }
        // rows ≥ 4, so ilog2 ≥ 2 and the subtraction cannot underflow.
        let total = u16::try_from(rows.ilog2().saturating_sub(1)).unwrap_or(u16::MAX);
        Self::with_bits((total / indexes_per_row).max(1))
    }

    /// The same settings with another default country calling code (1 ..= 999) for phone numbers written
    /// without one.
    pub fn with_default_country_code(self, code: u16) -> Result<Self, CryptoError> {
        if code == 0 || code > 999 {
            return Err(CryptoError::InvalidInput {
                field: "default_country_code",
                reason: "must be an ITU country calling code, 1 to 999",
            });
        }
        Ok(Self {
            default_country_code: code,
            ..self
        })
    }

    /// Index length in bits.
    pub fn bits(&self) -> u16 {
        self.bits
    }

    /// Country calling code given to phone numbers without one.
    pub fn default_country_code(&self) -> u16 {
        self.default_country_code
    }
}

/// One blind index value: which field, which normalization version, how many bits, and the bits
/// (big-endian, trailing bits of the last byte zero). Pseudonymous, not secret: it is stored in clear.
/// Deserializing checks the same invariants as [`BlindIndex::from_parts`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "BlindIndexParts")]
pub struct BlindIndex {
    field: BlindIndexField,
    normalization_version: u8,
    bits: u16,
    value: Vec<u8>,
}

/// The unchecked serde form of a [`BlindIndex`].
#[derive(Deserialize)]
struct BlindIndexParts {
    field: BlindIndexField,
    normalization_version: u8,
    bits: u16,
    value: Vec<u8>,
}

impl TryFrom<BlindIndexParts> for BlindIndex {
    type Error = CryptoError;

    fn try_from(p: BlindIndexParts) -> Result<Self, Self::Error> {
        BlindIndex::from_parts(p.field, p.normalization_version, p.bits, p.value)
    }
}

impl BlindIndex {
    /// A blind index read back from storage (field, normalization version, bit length, bytes). Checks
    /// that the length is 1 ..= 256 bits, that there are exactly `⌈bits / 8⌉` bytes and that the spare
    /// trailing bits are zero, so a stored value compares equal to a freshly computed one.
    pub fn from_parts(
        field: BlindIndexField,
        normalization_version: u8,
        bits: u16,
        value: Vec<u8>,
    ) -> Result<Self, CryptoError> {
        let invalid = |reason| CryptoError::InvalidInput {
            field: "blind_index",
            reason,
        };
        if bits == 0 || bits > 256 {
            return Err(invalid("bits must be between 1 and 256"));
        }
        let len = usize::from(bits).div_ceil(8);
        if value.len() != len {
            return Err(invalid("value length does not match bits"));
        }
        let spare = len * 8 - usize::from(bits);
        if value.last().is_some_and(|b| b & !(0xffu8 << spare) != 0) {
            return Err(invalid("spare trailing bits must be zero"));
        }
        Ok(Self {
            field,
            normalization_version,
            bits,
            value,
        })
    }

    /// The indexed field.
    pub fn field(&self) -> BlindIndexField {
        self.field
    }

    /// The normalization version used.
    pub fn normalization_version(&self) -> u8 {
        self.normalization_version
    }

    /// Length in bits.
    pub fn bits(&self) -> u16 {
        self.bits
    }

    /// The index bytes (`⌈bits / 8⌉` of them).
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// Lower-case hex of the index bytes.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.value)
    }
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BlindIndex({}/v{}/{}b:{})",
            self.field.code(),
            self.normalization_version,
            self.bits,
            self.to_hex()
        )
    }
}

/// Computes blind indexes: a separate HMAC-SHA256 key per field, each derived from one root key with
/// HKDF-SHA256, over the versioned normalization of the value.
///
/// Secret: `Debug` is redacted and there is no `Serialize`. It keeps no copy of the root key: only the
/// three derived HMAC keys, whose state lives inside ring, which does not zeroize it (a known limit of
/// ring, noted in the crate docs).
///
/// ```
/// use custodia_crypto::{BlindIndexConfig, BlindIndexField, BlindIndexer};
///
/// let indexer = BlindIndexer::new(&[42u8; 32], BlindIndexConfig::with_bits(16)?)?;
/// let a = indexer.index(BlindIndexField::Phone, "+86 138-0013-8000")?;
/// let b = indexer.index(BlindIndexField::Phone, "13800138000")?;
/// assert_eq!(a, b);                       // same person, same index
/// assert_eq!(a.value().len(), 2);
/// let e = indexer.index(BlindIndexField::Email, "  Zhang.San@Example.COM ")?;
/// assert_eq!(e, indexer.index(BlindIndexField::Email, "zhang.san@example.com")?);
/// # Ok::<(), custodia_crypto::CryptoError>(())
/// ```
pub struct BlindIndexer {
    keys: [hmac::Key; 3],
    config: BlindIndexConfig,
}

impl BlindIndexer {
    /// An indexer whose per-field keys are derived from `root_key` (at least 32 bytes; keep it apart
    /// from the keyring's master secret).
    pub fn new(root_key: &[u8], config: BlindIndexConfig) -> Result<Self, CryptoError> {
        if root_key.len() < MIN_BLIND_INDEX_ROOT_KEY_LEN {
            return Err(CryptoError::InvalidKey {
                what: "blind index root (at least 32 bytes)",
            });
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, BLIND_INDEX_HKDF_SALT).extract(root_key);
        let derive = |field: BlindIndexField| -> Result<hmac::Key, CryptoError> {
            let info: [&[u8]; 2] = [b"custodia blind index key ", field.code().as_bytes()];
            prk.expand(&info, hmac::HMAC_SHA256)
                .map(hmac::Key::from)
                .map_err(|_| CryptoError::InvalidKey {
                    what: "derived blind index",
                })
        };
        Ok(Self {
            keys: [
                derive(BlindIndexField::IdentityNumber)?,
                derive(BlindIndexField::Phone)?,
                derive(BlindIndexField::Email)?,
            ],
            config,
        })
    }

    /// The settings in force.
    pub fn config(&self) -> BlindIndexConfig {
        self.config
    }

    /// The blind index of `value` in `field`. Fails with [`CryptoError::InvalidInput`] naming the field
    /// if the value cannot be normalized (empty, wrong characters, too short or long a phone number).
    pub fn index(&self, field: BlindIndexField, value: &str) -> Result<BlindIndex, CryptoError> {
        // Short ASCII input (nearly all of it) is normalized on the stack; the rest, and every error, comes
        // from the general path.
        let mut stack = ascii::StackText::new();
        let general;
        let normalized = match ascii::normalize(field, value, self.config.default_country_code, &mut stack) {
            Some(bytes) => bytes,
            None => {
                general = normalize_for_blind_index(field, value, self.config.default_country_code)?;
                general.as_bytes()
            }
        };
        let key = match field {
            BlindIndexField::IdentityNumber => &self.keys[0],
            BlindIndexField::Phone => &self.keys[1],
            BlindIndexField::Email => &self.keys[2],
        };
        let mut ctx = hmac::Context::with_key(key);
        ctx.update(&[NORMALIZATION_VERSION]);
        ctx.update(normalized);
        let tag = ctx.sign();
        let bits = usize::from(self.config.bits);
        let len = bits.div_ceil(8);
        let mut value = tag.as_ref().get(..len).unwrap_or(tag.as_ref()).to_vec();
        let spare = len * 8 - bits;
        if let Some(last) = value.last_mut() {
            // Keep only the top `8 - spare` bits of the last byte; spare < 8 by construction.
            *last &= 0xffu8 << spare;
        }
        Ok(BlindIndex {
            field,
            normalization_version: NORMALIZATION_VERSION,
            bits: self.config.bits,
            value,
        })
    }
}

impl fmt::Debug for BlindIndexer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BlindIndexer {{ bits: {}, keys: [REDACTED] }}",
            self.config.bits
        )
    }
}

/// The normalization (version [`NORMALIZATION_VERSION`]) applied before indexing, exposed so callers can
/// show or store the canonical form. Full-width ASCII forms (`１３８`, `＠`), common in Chinese input, are
/// first mapped to ASCII.
pub fn normalize_for_blind_index(
    field: BlindIndexField,
    value: &str,
    default_country_code: u16,
) -> Result<String, CryptoError> {
    let value: String = value.chars().map(halfwidth).collect();
    let value = value.trim();
    let field_name = match field {
        BlindIndexField::IdentityNumber => "identity_number",
        BlindIndexField::Phone => "phone",
        BlindIndexField::Email => "email",
    };
    let invalid = |reason| CryptoError::InvalidInput {
        field: field_name,
        reason,
    };
    match field {
        BlindIndexField::IdentityNumber => {
            let out: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect();
            if out.is_empty() || out.len() > 64 {
                return Err(invalid("must be 1 to 64 characters"));
            }
            if !out.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(invalid("only letters and digits allowed"));
            }
            Ok(out)
        }
        BlindIndexField::Phone => {
            let compact: String = value
                .chars()
                .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '(' | ')' | '.' | '/')))
                .collect();
            let digits = if let Some(rest) = compact.strip_prefix('+') {
                rest.to_owned()
            } else if let Some(rest) = compact.strip_prefix("00") {
                rest.to_owned()
            } else {
                let national = compact.strip_prefix('0').unwrap_or(&compact);
                format!("{default_country_code}{national}")
            };
            if !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid(
                    "only digits, spaces, hyphens, dots, parentheses and a leading + allowed",
                ));
            }
            if digits.starts_with('0') {
                return Err(invalid("country code cannot start with 0"));
            }
            if !(8..=15).contains(&digits.len()) {
                return Err(invalid("E.164 numbers have 8 to 15 digits"));
            }
            Ok(format!("+{digits}"))
        }
        BlindIndexField::Email => {
            let out = value.to_lowercase();
            let (local, domain) = out.rsplit_once('@').ok_or_else(|| invalid("must contain @"))?;
            if local.is_empty() || domain.is_empty() || out.chars().any(char::is_whitespace) {
                return Err(invalid("must be local@domain without spaces"));
            }
            Ok(out)
        }
    }
}

/// Maps a full-width ASCII variant (U+FF01 ..= U+FF5E) and the ideographic space to ASCII.
fn halfwidth(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexer(bits: u16) -> BlindIndexer {
        BlindIndexer::new(&[7u8; 32], BlindIndexConfig::with_bits(bits).unwrap()).unwrap()
    }

    #[test]
    fn normalization_v1_examples() {
        let n = |f, v| normalize_for_blind_index(f, v, 86);
        assert_eq!(
            n(BlindIndexField::IdentityNumber, " 11010519491231002x ").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            n(BlindIndexField::IdentityNumber, "E1234-5678").unwrap(),
            "E12345678"
        );
        for phone in [
            "13800138000",
            "+86 138 0013 8000",
            "0086-138-0013-8000",
            "１３８００１３８０００",
            "(+86) 138.0013.8000",
        ] {
            assert_eq!(
                n(BlindIndexField::Phone, phone).unwrap(),
                "+8613800138000",
                "{phone}"
            );
        }
        assert_eq!(
            n(BlindIndexField::Phone, "010-12345678").unwrap(),
            "+861012345678"
        );
        assert_eq!(
            normalize_for_blind_index(BlindIndexField::Phone, "030 1234567", 49).unwrap(),
            "+49301234567"
        );
        assert_eq!(
            n(BlindIndexField::Email, " Li.Si＠Example.COM ").unwrap(),
            "li.si@example.com"
        );
        for (f, bad) in [
            (BlindIndexField::IdentityNumber, ""),
            (BlindIndexField::IdentityNumber, "身份证"),
            (BlindIndexField::Phone, "12"),
            (BlindIndexField::Phone, "+86 138 abc"),
            (BlindIndexField::Phone, "+0123456789"),
            (BlindIndexField::Email, "no-at-sign"),
            (BlindIndexField::Email, "@example.com"),
            (BlindIndexField::Email, "a b@example.com"),
        ] {
            assert!(
                matches!(n(f, bad), Err(CryptoError::InvalidInput { field, .. }) if field == f.code()),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fields_use_separate_keys_and_lengths_are_masked() {
        let ix = indexer(256);
        let id = ix.index(BlindIndexField::IdentityNumber, "ABC12345").unwrap();
        let mail = ix.index(BlindIndexField::Email, "abc12345@x").unwrap();
        assert_ne!(id.value(), mail.value());
        let short = indexer(13)
            .index(BlindIndexField::IdentityNumber, "ABC12345")
            .unwrap();
        assert_eq!(short.value().len(), 2);
        assert_eq!(short.value()[1] & 0b0000_0111, 0);
        assert_eq!(short.value()[0], id.value()[0]);
        assert_eq!(short.value()[1], id.value()[1] & 0b1111_1000);
    }

    #[test]
    fn stored_indexes_are_checked_when_read_back() {
        let ix = indexer(13).index(BlindIndexField::Phone, "13800138000").unwrap();
        let back = BlindIndex::from_parts(
            BlindIndexField::from_code(ix.field().code()).unwrap(),
            ix.normalization_version(),
            ix.bits(),
            ix.value().to_vec(),
        )
        .unwrap();
        assert_eq!(back, ix);
        let json = serde_json::to_string(&ix).unwrap();
        assert_eq!(serde_json::from_str::<BlindIndex>(&json).unwrap(), ix);
        let mut spare_set = ix.value().to_vec();
        spare_set[1] |= 1;
        assert!(BlindIndex::from_parts(BlindIndexField::Phone, 1, 13, spare_set).is_err());
        assert!(BlindIndex::from_parts(BlindIndexField::Phone, 1, 13, vec![0; 3]).is_err());
        assert!(BlindIndex::from_parts(BlindIndexField::Phone, 1, 0, vec![]).is_err());
        assert!(
            serde_json::from_str::<BlindIndex>(
                r#"{"field":"phone","normalization_version":1,"bits":8,"value":[1,2]}"#
            )
            .is_err()
        );
        assert!(BlindIndexField::from_code("fax").is_err());
    }

    #[test]
    fn sizing_follows_the_ciphersweet_rule() {
        let c = BlindIndexConfig::for_population(1_000_000, 1).unwrap();
        assert_eq!(c.bits(), 18); // 10^6 / 2^18 ≈ 3.8 ≥ 2, and < √10^6
        let c3 = BlindIndexConfig::for_population(1_000_000, 3).unwrap();
        assert_eq!(c3.bits(), 6);
        assert!(BlindIndexConfig::for_population(3, 1).is_err());
        assert!(BlindIndexConfig::with_bits(0).is_err());
        assert!(BlindIndexConfig::with_bits(257).is_err());
        assert!(c.with_default_country_code(0).is_err());
        assert!(BlindIndexer::new(&[0u8; 31], c).is_err());
    }
}
