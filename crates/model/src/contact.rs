//! Contact data: mainland mobile numbers, E.164 phone numbers, e-mail addresses and postal addresses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use validator::ValidateEmail;

use crate::error::ModelError;
use crate::jurisdiction::Jurisdiction;
use crate::mask::mask_middle;

macro_rules! text_newtype_impls {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.mask())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.mask())
            }
        }

        impl FromStr for $name {
            type Err = ModelError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ModelError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}
pub(crate) use text_newtype_impls;

/// A mainland China mobile number: 11 digits, `1` then `3`-`9` (the numbering plan of the MIIT).
///
/// `Debug` and `Display` show the mask `138****5678`; [`Self::as_str`] gives the number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobileNumber(String);

impl MobileNumber {
    /// The field name used in errors.
    pub const FIELD: &'static str = "contact.mobile";

    /// Parses a number written as 11 digits, without spaces or a `+86` prefix (use [`PhoneNumber`] for that).
    pub fn new(value: &str) -> Result<Self, ModelError> {
        let field = Self::FIELD;
        let len = value.chars().count();
        if len != 11 {
            return Err(ModelError::InvalidLength {
                field,
                expected: "11 digits",
                actual: len,
            });
        }
        if let Some(position) = value.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(ModelError::InvalidCharacter {
                field,
                position: position + 1,
                expected: "a digit",
            });
        }
        match value.as_bytes() {
            [b'1', b'3'..=b'9', ..] => Ok(Self(value.to_owned())),
            _ => Err(ModelError::InvalidFormat {
                field,
                expected: "mainland mobile number starting 13-19",
                masked: mask_middle(value, 3, 4),
            }),
        }
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mask `138****5678`.
    pub fn mask(&self) -> String {
        mask_middle(&self.0, 3, 4)
    }

    /// The same number in E.164 form, `+86` followed by the 11 digits.
    pub fn to_e164(&self) -> PhoneNumber {
        PhoneNumber(format!("+86{}", self.0))
    }
}

text_newtype_impls!(MobileNumber);

/// A phone number in ITU-T E.164 form: `+`, a country code not starting with 0, at most 15 digits in all.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// The field name used in errors.
    pub const FIELD: &'static str = "contact.phone";

    /// Parses `+` followed by 8 to 15 digits, the first not 0 (E.164 allows at most 15; shorter than 8 is not
    /// a diallable subscriber number anywhere we serve).
    pub fn new(value: &str) -> Result<Self, ModelError> {
        let field = Self::FIELD;
        let Some(digits) = value.strip_prefix('+') else {
            return Err(ModelError::InvalidCharacter {
                field,
                position: 1,
                expected: "+",
            });
        };
        if let Some(position) = digits.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(ModelError::InvalidCharacter {
                field,
                position: position + 2,
                expected: "a digit",
            });
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(ModelError::InvalidLength {
                field,
                expected: "8 to 15 digits",
                actual: digits.len(),
            });
        }
        if digits.starts_with('0') {
            return Err(ModelError::InvalidCharacter {
                field,
                position: 2,
                expected: "a country code digit 1-9",
            });
        }
        Ok(Self(value.to_owned()))
    }

    /// The number with its leading `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the number is in the mainland China country code (+86).
    pub fn is_mainland_china(&self) -> bool {
        self.0.starts_with("+86")
    }

    /// The mask: `+` and the first two digits, stars, the last four digits (`+86*******5678`).
    pub fn mask(&self) -> String {
        mask_middle(&self.0, 3, 4)
    }
}

text_newtype_impls!(PhoneNumber);

/// An e-mail address, checked with `validator` (the HTML5 address syntax, with length limits of RFC 5321).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// The field name used in errors.
    pub const FIELD: &'static str = "contact.email";

    /// Parses an address. Surrounding whitespace is refused, not trimmed. The error repeats no part of
    /// the value: what looks like a domain after an `@` of a mistyped address may be a phone number or a
    /// name.
    pub fn new(value: &str) -> Result<Self, ModelError> {
        if value.validate_email() && value.len() <= 254 {
            Ok(Self(value.to_owned()))
        } else {
            Err(ModelError::InvalidFormat {
                field: Self::FIELD,
                expected: "e-mail address",
                masked: "***".to_owned(),
            })
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mask: the first character of the local part, `***`, and the domain if it is a common mail
    /// provider's (`z***@qq.com`), else only its top-level domain (`z***@***.cn`): a personal or a small
    /// company's domain names its owner.
    pub fn mask(&self) -> String {
        mask_email(&self.0)
    }
}

/// Mail providers so widely used that their domain identifies no one (lower case).
const COMMON_MAIL_DOMAINS: &[&str] = &[
    "qq.com",
    "foxmail.com",
    "163.com",
    "126.com",
    "yeah.net",
    "sina.com",
    "sina.cn",
    "sohu.com",
    "139.com",
    "189.cn",
    "wo.cn",
    "aliyun.com",
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "web.de",
    "example.com",
    "example.org",
    "example.net",
];

fn mask_email(value: &str) -> String {
    match value.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            let lower = domain.to_ascii_lowercase();
            if COMMON_MAIL_DOMAINS.contains(&lower.as_str()) {
                format!("{first}***@{domain}")
            } else {
                match domain.rsplit_once('.') {
                    Some((_, tld)) if !tld.is_empty() && tld.len() <= 6 => format!("{first}***@***.{tld}"),
                    _ => format!("{first}***@***"),
                }
            }
        }
        None => mask_middle(value, 1, 0),
    }
}

text_newtype_impls!(EmailAddress);

/// A postal address. Free text by nature, so only its country is a checked code; the lines are non-empty.
/// Its `Debug` shows the mask (country and first line), like the identifiers.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PostalAddressFields", into = "PostalAddressFields")]
pub struct PostalAddress {
    country: Jurisdiction,
    region_code: Option<String>,
    lines: Vec<String>,
    postal_code: Option<String>,
}

/// The fields of a [`PostalAddress`] before validation, also its serialized form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostalAddressFields {
    /// The country or territory.
    pub country: Jurisdiction,
    /// For mainland addresses, the six-digit GB/T 2260 division code, which lets quality checks compare the
    /// address with the region of an identity number.
    pub region_code: Option<String>,
    /// Address lines, most general first (province, city, district, street, building).
    pub lines: Vec<String>,
    /// The postal code, if any.
    pub postal_code: Option<String>,
}

impl PostalAddress {
    /// The field name used in errors.
    pub const FIELD: &'static str = "contact.address";

    /// Checks the fields: at least one non-blank line, a six-digit region code, a postal code of letters,
    /// digits, spaces and hyphens.
    pub fn new(fields: PostalAddressFields) -> Result<Self, ModelError> {
        if fields.lines.is_empty()
            || fields
                .lines
                .iter()
                .any(|l| l.trim().is_empty() || l.chars().any(char::is_control))
        {
            return Err(ModelError::Empty {
                field: "contact.address.lines",
            });
        }
        if let Some(code) = &fields.region_code
            && (code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ModelError::InvalidFormat {
                field: "contact.address.region_code",
                expected: "six-digit GB/T 2260 code",
                // Nothing of it: a code that fails may be anything typed into the field.
                masked: mask_middle(code, 0, 0),
            });
        }
        if let Some(code) = &fields.postal_code
            && (code.is_empty()
                || code.len() > 12
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-'))
        {
            return Err(ModelError::InvalidFormat {
                field: "contact.address.postal_code",
                expected: "postal code",
                masked: mask_middle(code, 0, 0),
            });
        }
        Ok(Self {
            country: fields.country,
            region_code: fields.region_code,
            lines: fields.lines,
            postal_code: fields.postal_code,
        })
    }

    /// The country or territory.
    pub fn country(&self) -> Jurisdiction {
        self.country
    }

    /// The GB/T 2260 division code, for mainland addresses that have one.
    pub fn region_code(&self) -> Option<&str> {
        self.region_code.as_deref()
    }

    /// The address lines, most general first.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The postal code.
    pub fn postal_code(&self) -> Option<&str> {
        self.postal_code.as_deref()
    }

    /// The mask: only the most general part, the rest replaced by `***`. For an address on several
    /// lines that is the first line (`CN 北京市 ***`); for one written on a single line, the same part
    /// is cut out of it — the leading province or municipality up to its `省`, `市` or `自治区` when
    /// that comes early (`CN 北京市 ***` for `北京市朝阳区建国路88号`) — and otherwise nothing
    /// (`CN ***`): a line whose general part cannot be told apart is shown not at all.
    pub fn mask(&self) -> String {
        match self.lines.as_slice() {
            [first, _, ..] => format!("{} {first} ***", self.country),
            [only] => match leading_region(only) {
                Some(region) => format!("{} {region} ***", self.country),
                None => format!("{} ***", self.country),
            },
            [] => format!("{} ***", self.country),
        }
    }
}

/// The province, autonomous region or municipality at the start of a one-line mainland address: the text
/// up to and including the first `省`, `自治区` or `市` within its first eight characters, provided
/// something follows (else the whole line would show).
fn leading_region(line: &str) -> Option<&str> {
    let mut end = None;
    for (position, (index, c)) in line.char_indices().enumerate() {
        if position >= 8 {
            break;
        }
        if c == '省' || c == '市' {
            end = Some(index + c.len_utf8());
            break;
        }
        if c == '区' && line.get(..index).is_some_and(|head| head.ends_with("自治")) {
            end = Some(index + c.len_utf8());
            break;
        }
    }
    let end = end?;
    (end < line.len()).then(|| line.get(..end)).flatten()
}

impl fmt::Debug for PostalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostalAddress({})", self.mask())
    }
}

impl TryFrom<PostalAddressFields> for PostalAddress {
    type Error = ModelError;

    fn try_from(value: PostalAddressFields) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<PostalAddress> for PostalAddressFields {
    fn from(value: PostalAddress) -> Self {
        Self {
            country: value.country,
            region_code: value.region_code,
            lines: value.lines,
            postal_code: value.postal_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers() {
        let m = MobileNumber::new("13812345678").unwrap();
        assert_eq!(m.mask(), "138****5678");
        assert_eq!(m.to_string(), "138****5678");
        assert_eq!(m.to_e164().as_str(), "+8613812345678");
        assert!(matches!(
            MobileNumber::new("1381234567"),
            Err(ModelError::InvalidLength { .. })
        ));
        assert!(matches!(
            MobileNumber::new("12812345678"),
            Err(ModelError::InvalidFormat { .. })
        ));
        assert!(matches!(
            MobileNumber::new("138 1234567"),
            Err(ModelError::InvalidCharacter {
                field: "contact.mobile",
                position: 4,
                ..
            })
        ));
        let err = MobileNumber::new("12812345678").unwrap_err().to_string();
        assert!(!err.contains("12812345678"), "{err}");
    }

    #[test]
    fn e164_phone_numbers() {
        assert!(PhoneNumber::new("+8613812345678").unwrap().is_mainland_china());
        assert!(PhoneNumber::new("+4930123456").is_ok());
        assert!(matches!(
            PhoneNumber::new("8613812345678"),
            Err(ModelError::InvalidCharacter { position: 1, .. })
        ));
        assert!(matches!(
            PhoneNumber::new("+0613812345"),
            Err(ModelError::InvalidCharacter { position: 2, .. })
        ));
        assert!(matches!(
            PhoneNumber::new("+1234567890123456"),
            Err(ModelError::InvalidLength { .. })
        ));
        assert!(matches!(
            PhoneNumber::new("+86-138"),
            Err(ModelError::InvalidCharacter { position: 4, .. })
        ));
    }

    #[test]
    fn email_addresses() {
        let e = EmailAddress::new("zhang.san@example.com").unwrap();
        assert_eq!(e.mask(), "z***@example.com");
        assert_eq!(
            EmailAddress::new("zhangsan@QQ.com").unwrap().mask(),
            "z***@QQ.com"
        );
        // A personal domain names its owner: only its top-level domain shows.
        let own = EmailAddress::new("me@zhangsan-family.cn").unwrap();
        assert_eq!(own.mask(), "m***@***.cn");
        assert!(!format!("{own:?} {own}").contains("zhangsan"));
        // An invalid address repeats nothing of itself, not even what follows its last `@`.
        let err = EmailAddress::new("zhang@@13812345678").unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("13812345678") && !shown.contains("zhang"),
            "{shown}"
        );
        for bad in [
            "",
            "no-at-sign",
            "a@",
            "@example.com",
            " a@example.com",
            "a b@example.com",
        ] {
            let err = EmailAddress::new(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    ModelError::InvalidFormat {
                        field: "contact.email",
                        ..
                    }
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn postal_addresses() {
        let fields = PostalAddressFields {
            country: Jurisdiction::MAINLAND_CHINA,
            region_code: Some("110105".into()),
            lines: vec!["北京市".into(), "朝阳区建国路88号".into()],
            postal_code: Some("100022".into()),
        };
        let a = PostalAddress::new(fields.clone()).unwrap();
        assert_eq!(a.mask(), "CN 北京市 ***");
        // The same address on one line is masked the same way, and a line with no early region not at all.
        let mut one_line = fields.clone();
        one_line.lines = vec!["北京市朝阳区建国路88号".into()];
        assert_eq!(PostalAddress::new(one_line).unwrap().mask(), "CN 北京市 ***");
        let mut western = fields.clone();
        western.lines = vec!["Flat 3, 88 Jianguo Road, Chaoyang, Beijing".into()];
        let western = PostalAddress::new(western).unwrap();
        assert_eq!(western.mask(), "CN ***");
        assert!(!format!("{western:?}").contains("Jianguo"));
        let mut region = fields.clone();
        region.lines = vec!["内蒙古自治区呼和浩特市新城区".into()];
        assert_eq!(PostalAddress::new(region).unwrap().mask(), "CN 内蒙古自治区 ***");
        let mut bare = fields.clone();
        bare.lines = vec!["上海市".into()];
        assert_eq!(PostalAddress::new(bare).unwrap().mask(), "CN ***");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<PostalAddress>(&json).unwrap(), a);
        let mut empty = fields.clone();
        empty.lines = vec![" ".into()];
        assert_eq!(
            PostalAddress::new(empty),
            Err(ModelError::Empty {
                field: "contact.address.lines"
            })
        );
        let mut region = fields;
        region.region_code = Some("1101".into());
        assert!(PostalAddress::new(region).is_err());
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let m = MobileNumber::new("13812345678").unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<MobileNumber>(&json).unwrap(), m);
        assert!(serde_json::from_str::<MobileNumber>("\"12345\"").is_err());
        assert!(serde_json::from_str::<EmailAddress>("\"nope\"").is_err());
        assert!(serde_json::from_str::<PhoneNumber>("\"+0\"").is_err());
    }
}
