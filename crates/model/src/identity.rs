//! National identifiers with their check characters: resident identity numbers (GB 11643) and unified social
//! credit codes (GB 32100), written from the standards.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::mask::mask_middle;

/// A person's gender as recorded on an identity document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Gender {
    /// Female; an even 17th digit in a resident identity number (GB 11643).
    Female,
    /// Male; an odd 17th digit in a resident identity number (GB 11643).
    Male,
}

/// GB 11643-1999 weights for positions 1 to 17: 2^(18-i) mod 11.
const RESIDENT_ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// GB 11643-1999 check characters indexed by the weighted sum mod 11.
const RESIDENT_ID_CHECK: &[u8; 11] = b"10X98765432";

/// The two leading digits a resident identity number may have: the province-level codes of GB/T 2260, 81/82/83
/// (residence permits of Hong Kong, Macao and Taiwan residents, which follow GB 11643), and 91 to 98: the 2023
/// foreigners' permanent residence identity card puts `9` before the province code, so its second digit is the
/// province code's first. (That last reading comes from secondary descriptions of the 2023 card, not from a
/// standard text in `shared/regulations/`; the check character and birth date are verified either way.)
const PROVINCE_CODES: [u8; 43] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
    61, 62, 63, 64, 65, 71, 81, 82, 83, 91, 92, 93, 94, 95, 96, 97, 98,
];

/// The 18 bytes of an 18-character ASCII value. Lengths are counted in characters, as the error says: a
/// full-width digit is one character of the wrong kind (reported at its position), not a wrong length.
fn eighteen_ascii(value: &str, field: &'static str, expected: &'static str) -> Result<[u8; 18], ModelError> {
    let chars = value.chars().count();
    if chars != 18 {
        return Err(ModelError::InvalidLength {
            field,
            expected: "18",
            actual: chars,
        });
    }
    if let Some(position) = value.chars().position(|c| !c.is_ascii()) {
        return Err(ModelError::InvalidCharacter {
            field,
            position: position + 1,
            expected,
        });
    }
    // 18 ASCII characters are 18 bytes; map the impossible failure instead of panicking.
    value
        .as_bytes()
        .try_into()
        .map_err(|_| ModelError::InvalidLength {
            field,
            expected: "18",
            actual: chars,
        })
}

/// A citizen identity number (公民身份号码) under GB 11643-1999: six digits of address code, eight of birth
/// date, three of sequence (odd for men, even for women) and a mod 11-2 check character (`0`-`9` or `X`).
///
/// A value that exists has a valid check character, a real birth date and a known province code. Its `Debug`
/// and `Display` show only the mask (`110105********1234`); the full number is read with [`Self::as_str`],
/// so that a log line or an error never carries it by accident.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentIdNumber {
    digits: [u8; 18],
    // Parsed once by `new`, so that `birth_date` needs no fallback: a value that exists has a real date.
    birth_date: NaiveDate,
}

impl ResidentIdNumber {
    /// The field name used in errors.
    pub const FIELD: &'static str = "identity.resident_id";

    /// Parses and checks a number. Lower-case `x` is refused, not fixed: GB 11643 writes the check character
    /// as upper-case `X`, and a silent fix would hide a data-entry problem.
    pub fn new(value: &str) -> Result<Self, ModelError> {
        let field = Self::FIELD;
        let bytes = eighteen_ascii(value, field, "a digit")?;
        let mut sum = 0u32;
        for (i, (&b, &w)) in bytes.iter().zip(RESIDENT_ID_WEIGHTS.iter()).enumerate() {
            if !b.is_ascii_digit() {
                return Err(ModelError::InvalidCharacter {
                    field,
                    position: i + 1,
                    expected: "a digit",
                });
            }
            sum += u32::from(b - b'0') * w;
        }
        let check = bytes[17];
        if !(check.is_ascii_digit() || check == b'X') {
            return Err(ModelError::InvalidCharacter {
                field,
                position: 18,
                expected: "a digit or X",
            });
        }
        let province = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        if !PROVINCE_CODES.contains(&province) {
            return Err(ModelError::InvalidCharacter {
                field,
                position: 1,
                expected: "a GB/T 2260 province code",
            });
        }
        let Some(birth_date) = embedded_birth_date(&bytes) else {
            return Err(ModelError::InvalidEmbeddedDate { field });
        };
        let id = Self {
            digits: bytes,
            birth_date,
        };
        // `sum % 11` is below 11, the length of the table; `.get` keeps that visible without a panic path.
        let expected = RESIDENT_ID_CHECK.get((sum % 11) as usize).copied();
        if expected != Some(check) {
            return Err(ModelError::ChecksumMismatch {
                field,
                masked: mask_middle(value, 6, 4),
            });
        }
        Ok(id)
    }

    /// Computes the check character of the first 17 digits, for generators and for repairing a record by
    /// hand; returns `None` if `first17` is not 17 ASCII digits.
    pub fn check_character(first17: &[u8]) -> Option<u8> {
        if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let sum: u32 = first17
            .iter()
            .zip(RESIDENT_ID_WEIGHTS.iter())
            .map(|(&b, &w)| u32::from(b - b'0') * w)
            .sum();
        RESIDENT_ID_CHECK.get((sum % 11) as usize).copied()
    }

    fn digits(&self, range: std::ops::Range<usize>) -> u32 {
        digits(&self.digits, range)
    }

    /// The birth date embedded in positions 7 to 14, parsed and checked when the number was.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The gender given by the parity of the 17th digit (odd: male).
    pub fn gender(&self) -> Gender {
        if self.digits(16..17) % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// The six-digit administrative division code (GB/T 2260) of the registered address at issue.
    pub fn region_code(&self) -> &str {
        self.as_str().get(0..6).unwrap_or("")
    }

    /// The full number. It is personal information: call this only to store or encrypt it, never to log it.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII digits and `X` (checked in `new`), so they are valid UTF-8.
        std::str::from_utf8(&self.digits).unwrap_or("")
    }

    /// The display mask: the region code, eight stars over the birth date, and the last four characters.
    pub fn mask(&self) -> String {
        mask_middle(self.as_str(), 6, 4)
    }

    /// Checks the number against a record's birth date and gender (GB 11643 embeds both).
    pub fn check_consistent(&self, birth_date: NaiveDate, gender: Gender) -> Result<(), ModelError> {
        if self.birth_date() != birth_date {
            return Err(ModelError::Inconsistent {
                field: Self::FIELD,
                other: "identity.birth_date",
            });
        }
        if self.gender() != gender {
            return Err(ModelError::Inconsistent {
                field: Self::FIELD,
                other: "identity.gender",
            });
        }
        Ok(())
    }

    /// Assembles a valid number from its parts, for the synthetic generator and tests: `region` is a six-digit
    /// GB/T 2260 code, `sequence` 0 to 999; the gender digit is forced to match `gender`.
    pub fn from_parts(
        region: &str,
        birth_date: NaiveDate,
        sequence: u16,
        gender: Gender,
    ) -> Result<Self, ModelError> {
        let odd = matches!(gender, Gender::Male);
        let mut seq = sequence % 1000;
        if (seq % 2 == 1) != odd {
            seq = if seq == 999 { 998 } else { seq + 1 };
        }
        let mut text = format!(
            "{region}{:04}{:02}{:02}{seq:03}",
            birth_date.year(),
            birth_date.month(),
            birth_date.day()
        );
        let check = Self::check_character(text.as_bytes()).ok_or(ModelError::InvalidCharacter {
            field: Self::FIELD,
            position: 1,
            expected: "a six-digit region code",
        })?;
        text.push(char::from(check));
        Self::new(&text)
    }
}

fn digits(bytes: &[u8; 18], range: std::ops::Range<usize>) -> u32 {
    // Positions 1 to 17 are ASCII digits (checked in `new` before any call); ranges used here lie inside them.
    bytes
        .get(range)
        .unwrap_or_default()
        .iter()
        .fold(0, |acc, &b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
}

fn embedded_birth_date(bytes: &[u8; 18]) -> Option<NaiveDate> {
    let year = i32::try_from(digits(bytes, 6..10)).ok()?;
    if year < 1800 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, digits(bytes, 10..12), digits(bytes, 12..14))
}

impl fmt::Debug for ResidentIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentIdNumber({})", self.mask())
    }
}

impl fmt::Display for ResidentIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mask())
    }
}

impl FromStr for ResidentIdNumber {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for ResidentIdNumber {
    type Error = ModelError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<ResidentIdNumber> for String {
    fn from(value: ResidentIdNumber) -> Self {
        value.as_str().to_owned()
    }
}

/// The 31 characters of GB 32100-2015 in value order: digits, then upper-case letters without I, O, Z, S, V.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// GB 32100-2015 weights for positions 1 to 17: 3^(i-1) mod 31.
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn uscc_value(c: u8) -> Option<u32> {
    USCC_ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// A unified social credit code (统一社会信用代码) under GB 32100-2015: registration authority and organization
/// type, six digits of administrative division, nine characters of organization identifier (GB 11714) and a
/// mod 31 check character.
///
/// Organizations' codes are public registration data, not personal information, so `Display` shows the
/// whole code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnifiedSocialCreditCode([u8; 18]);

impl UnifiedSocialCreditCode {
    /// The field name used in errors.
    pub const FIELD: &'static str = "identity.credit_code";

    /// The 31 characters a code is written in (GB 32100-2015), in value order: digits, then upper-case
    /// letters without I, O, Z, S, V.
    pub const ALPHABET: &'static [u8; 31] = USCC_ALPHABET;

    /// Parses and checks a code: 18 characters of the GB 32100 alphabet, digits in positions 3 to 8, and the
    /// check character. Lower case is refused, not fixed.
    pub fn new(value: &str) -> Result<Self, ModelError> {
        let field = Self::FIELD;
        let bytes = eighteen_ascii(value, field, "0-9 or A-Z without I, O, Z, S, V")?;
        for (i, &b) in bytes.iter().enumerate() {
            if (2..8).contains(&i) && !b.is_ascii_digit() {
                return Err(ModelError::InvalidCharacter {
                    field,
                    position: i + 1,
                    expected: "a digit of the administrative division code",
                });
            }
            if uscc_value(b).is_none() {
                return Err(ModelError::InvalidCharacter {
                    field,
                    position: i + 1,
                    expected: "0-9 or A-Z without I, O, Z, S, V",
                });
            }
        }
        let expected = Self::check_character(bytes.get(..17).unwrap_or_default());
        if expected != Some(bytes[17]) {
            return Err(ModelError::ChecksumMismatch {
                field,
                // Harder than the code's display mask (8 and 3): a value that fails the check may be
                // something else typed into the field — a resident identity number, whose first eight
                // characters are the region and the birth year.
                masked: mask_middle(value, 2, 2),
            });
        }
        Ok(Self(bytes))
    }

    /// The check character of the first 17 characters (GB 32100-2015, 4.3): `31 - (Σ Cᵢ·Wᵢ mod 31)`, where 31
    /// becomes 0. Returns `None` if `first17` is not 17 characters of the alphabet.
    pub fn check_character(first17: &[u8]) -> Option<u8> {
        if first17.len() != 17 {
            return None;
        }
        let mut sum = 0u32;
        for (&c, &w) in first17.iter().zip(USCC_WEIGHTS.iter()) {
            sum += uscc_value(c)? * w;
        }
        let value = (31 - sum % 31) % 31;
        USCC_ALPHABET.get(value as usize).copied()
    }

    /// The whole code.
    pub fn as_str(&self) -> &str {
        // All bytes are from the ASCII alphabet (checked in `new`).
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The six-digit administrative division code (positions 3 to 8).
    pub fn region_code(&self) -> &str {
        self.as_str().get(2..8).unwrap_or("")
    }

    /// A display mask for lists where even public codes are cut short: `913501********Y43`-style.
    pub fn mask(&self) -> String {
        mask_middle(self.as_str(), 8, 3)
    }
}

impl fmt::Debug for UnifiedSocialCreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnifiedSocialCreditCode({})", self.as_str())
    }
}

impl fmt::Display for UnifiedSocialCreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UnifiedSocialCreditCode {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for UnifiedSocialCreditCode {
    type Error = ModelError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<UnifiedSocialCreditCode> for String {
    fn from(value: UnifiedSocialCreditCode) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// GB 11643-1999, Appendix A examples: 11010519491231002X (Beijing Chaoyang, born 1949-12-31, female)
    /// and 440524188001010014 (Guangdong Shantou Chaoyang, born 1880-01-01, male). Both check characters were
    /// also recomputed independently by hand/script before being written here.
    #[test]
    fn gb11643_known_answers() {
        let a = ResidentIdNumber::new("11010519491231002X").unwrap();
        assert_eq!(a.birth_date(), date(1949, 12, 31));
        assert_eq!(a.gender(), Gender::Female);
        assert_eq!(a.region_code(), "110105");
        assert_eq!(a.mask(), "110105********002X");
        let b = ResidentIdNumber::new("440524188001010014").unwrap();
        assert_eq!(b.birth_date(), date(1880, 1, 1));
        assert_eq!(b.gender(), Gender::Male);
        assert_eq!(
            ResidentIdNumber::check_character(b"11010519491231002"),
            Some(b'X')
        );
    }

    #[test]
    fn gb11643_rejections_name_the_field_and_do_not_leak() {
        let err = ResidentIdNumber::new("110105194912310021").unwrap_err();
        assert!(matches!(
            err,
            ModelError::ChecksumMismatch {
                field: "identity.resident_id",
                ..
            }
        ));
        assert!(!err.to_string().contains("110105194912310021"));
        assert!(matches!(
            ResidentIdNumber::new("11010519491231002x"),
            Err(ModelError::InvalidCharacter { position: 18, .. })
        ));
        assert!(matches!(
            ResidentIdNumber::new("1101051949123100"),
            Err(ModelError::InvalidLength { .. })
        ));
        // 1949-02-30 is not a date; the check character is made valid so that only the date can fail.
        let mut bad = b"11010519490230002".to_vec();
        bad.push(ResidentIdNumber::check_character(&bad).unwrap());
        assert_eq!(
            ResidentIdNumber::new(std::str::from_utf8(&bad).unwrap()),
            Err(ModelError::InvalidEmbeddedDate {
                field: "identity.resident_id"
            })
        );
        let mut province = b"00010519491231002".to_vec();
        province.push(ResidentIdNumber::check_character(&province).unwrap());
        assert!(matches!(
            ResidentIdNumber::new(std::str::from_utf8(&province).unwrap()),
            Err(ModelError::InvalidCharacter { position: 1, .. })
        ));
    }

    #[test]
    fn lengths_count_characters_and_a_full_width_digit_is_a_bad_character() {
        // A full-width digit (３, three bytes) in place of the 7th digit: 18 characters, 20 bytes.
        let full_width = "110105１9491231002X";
        assert_eq!(full_width.chars().count(), 18);
        assert_eq!(
            ResidentIdNumber::new(full_width),
            Err(ModelError::InvalidCharacter {
                field: ResidentIdNumber::FIELD,
                position: 7,
                expected: "a digit",
            })
        );
        // 19 characters in 21 bytes: the length reported is the characters'.
        let err = ResidentIdNumber::new("11010519491231002X２").unwrap_err();
        assert!(
            matches!(err, ModelError::InvalidLength { actual: 19, .. }),
            "{err:?}"
        );
        assert!(err.to_string().ends_with("got 19 characters"), "{err}");
        assert!(matches!(
            UnifiedSocialCreditCode::new("９1350100M000100Y43"),
            Err(ModelError::InvalidCharacter { position: 1, .. })
        ));
    }

    #[test]
    fn the_birth_date_is_parsed_once_at_construction() {
        let id = ResidentIdNumber::new("11010519491231002X").unwrap();
        assert_eq!(id.birth_date(), date(1949, 12, 31));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(
            serde_json::from_str::<ResidentIdNumber>(&json)
                .unwrap()
                .birth_date(),
            date(1949, 12, 31)
        );
    }

    #[test]
    fn consistency_with_the_record() {
        let a = ResidentIdNumber::new("11010519491231002X").unwrap();
        assert!(a.check_consistent(date(1949, 12, 31), Gender::Female).is_ok());
        assert_eq!(
            a.check_consistent(date(1949, 12, 30), Gender::Female),
            Err(ModelError::Inconsistent {
                field: "identity.resident_id",
                other: "identity.birth_date"
            })
        );
        assert_eq!(
            a.check_consistent(date(1949, 12, 31), Gender::Male),
            Err(ModelError::Inconsistent {
                field: "identity.resident_id",
                other: "identity.gender"
            })
        );
    }

    #[test]
    fn from_parts_builds_valid_numbers_of_either_gender() {
        for (seq, gender) in [
            (0, Gender::Male),
            (999, Gender::Female),
            (999, Gender::Male),
            (2, Gender::Female),
        ] {
            let id = ResidentIdNumber::from_parts("310104", date(2015, 2, 28), seq, gender).unwrap();
            assert_eq!(id.gender(), gender);
            assert_eq!(id.birth_date(), date(2015, 2, 28));
        }
    }

    /// GB 32100-2015 worked example (reproduced in the standard's explanatory material): for
    /// `91350100M000100Y4?` the weighted sum is 1640, 1640 mod 31 = 28, check value 31 - 28 = 3, so
    /// `91350100M000100Y43` is valid and `91350100M000100Y4Z` is not.
    #[test]
    fn gb32100_known_answers() {
        assert_eq!(
            UnifiedSocialCreditCode::check_character(b"91350100M000100Y4"),
            Some(b'3')
        );
        let code = UnifiedSocialCreditCode::new("91350100M000100Y43").unwrap();
        assert_eq!(code.region_code(), "350100");
        // `Z` is outside the GB 32100 alphabet, so it fails before the check character is compared.
        let err = UnifiedSocialCreditCode::new("91350100M000100Y4Z").unwrap_err();
        assert!(matches!(
            err,
            ModelError::InvalidCharacter {
                field: "identity.credit_code",
                position: 18,
                ..
            }
        ));
        let err = UnifiedSocialCreditCode::new("91350100M000100Y44").unwrap_err();
        assert!(matches!(
            err,
            ModelError::ChecksumMismatch {
                field: "identity.credit_code",
                ..
            }
        ));
    }

    #[test]
    fn gb32100_alphabet_excludes_i_o_z_s_v() {
        for bad in [b'I', b'O', b'Z', b'S', b'V', b'a'] {
            let mut code = *b"91350100M000100Y43";
            code[9] = bad;
            let err = UnifiedSocialCreditCode::new(std::str::from_utf8(&code).unwrap()).unwrap_err();
            assert!(
                matches!(err, ModelError::InvalidCharacter { position: 10, .. }),
                "{err}"
            );
        }
        assert!(matches!(
            UnifiedSocialCreditCode::new("9135A100M000100Y43"),
            Err(ModelError::InvalidCharacter { position: 5, .. })
        ));
        assert_eq!(USCC_ALPHABET.len(), 31);
        let weights: Vec<u32> = (0..17).map(|i| 3u32.pow(i) % 31).collect();
        assert_eq!(weights, USCC_WEIGHTS);
    }

    #[test]
    fn serde_goes_through_validation() {
        let id: ResidentIdNumber = serde_json::from_str("\"11010519491231002X\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"11010519491231002X\"");
        assert!(serde_json::from_str::<ResidentIdNumber>("\"110105194912310021\"").is_err());
        assert!(serde_json::from_str::<UnifiedSocialCreditCode>("\"91350100M000100Y4Z\"").is_err());
        assert_eq!(format!("{id:?}"), "ResidentIdNumber(110105********002X)");
    }
}
