//! Financial data: bank card numbers (Luhn), bank accounts and amounts of money.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::contact::text_newtype_impls;
use crate::error::ModelError;
use crate::ids::AccountId;
use crate::mask::mask_middle;

/// A bank card number: 13 to 19 digits with a valid Luhn check digit (ISO/IEC 7812-1 Annex B).
///
/// Financial account data is sensitive personal information (PIPL Art 28). `Debug` and `Display` show the
/// mask of PCI DSS (first six, last four: `622202******1234`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BankCardNumber(String);

/// Whether an ASCII digit string passes the Luhn check: double every second digit from the right, subtract 9
/// from results above 9, and the total must be divisible by 10.
pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    luhn_sum(digits, false).is_multiple_of(10)
}

/// The Luhn sum of `digits`; with `for_check_digit` the digits are those before a missing check digit, so the
/// doubling starts at the rightmost given digit.
fn luhn_sum(digits: &[u8], for_check_digit: bool) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            if (i % 2 == 1) != for_check_digit {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum()
}

impl BankCardNumber {
    /// The field name used in errors.
    pub const FIELD: &'static str = "financial_accounts.card_number";

    /// Checks and wraps a number written as digits only.
    pub fn new(value: &str) -> Result<Self, ModelError> {
        let field = Self::FIELD;
        if let Some(p) = value.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(ModelError::InvalidCharacter {
                field,
                position: p + 1,
                expected: "a digit",
            });
        }
        if !(13..=19).contains(&value.len()) {
            return Err(ModelError::InvalidLength {
                field,
                expected: "13 to 19 digits",
                actual: value.len(),
            });
        }
        if !luhn_valid(value.as_bytes()) {
            return Err(ModelError::ChecksumMismatch {
                field,
                masked: mask_middle(value, 6, 4),
            });
        }
        Ok(Self(value.to_owned()))
    }

    /// The Luhn check digit to append to `payload` (ASCII digits), or `None` if `payload` is not digits.
    pub fn check_digit(payload: &[u8]) -> Option<u8> {
        if payload.is_empty() || !payload.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let sum = luhn_sum(payload, true);
        // `(10 - sum % 10) % 10` is a single digit.
        u8::try_from((10 - sum % 10) % 10).ok().map(|d| b'0' + d)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mask: first six (the issuer) and last four digits.
    pub fn mask(&self) -> String {
        mask_middle(&self.0, 6, 4)
    }
}

text_newtype_impls!(BankCardNumber);

/// An amount of money in minor units (fen for CNY) with its ISO 4217 currency code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "MoneyFields", into = "MoneyFields")]
pub struct Money {
    minor_units: u64,
    currency: [u8; 3],
}

/// The serialized form of [`Money`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyFields {
    /// The amount in the currency's minor unit.
    pub minor_units: u64,
    /// The ISO 4217 alphabetic code, three upper-case letters.
    pub currency: String,
}

impl Money {
    /// An amount in fen (1/100 yuan).
    pub fn cny(fen: u64) -> Self {
        Self {
            minor_units: fen,
            currency: *b"CNY",
        }
    }

    /// An amount in `currency` (three upper-case letters, ISO 4217).
    pub fn new(minor_units: u64, currency: &str) -> Result<Self, ModelError> {
        match currency.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self {
                minor_units,
                currency: [a, b, c],
            }),
            _ => Err(ModelError::InvalidFormat {
                field: "money.currency",
                expected: "ISO 4217 currency code",
                masked: currency.chars().take(3).collect(),
            }),
        }
    }

    /// The amount in minor units.
    pub fn minor_units(&self) -> u64 {
        self.minor_units
    }

    /// The currency code.
    pub fn currency(&self) -> &str {
        // Three ASCII upper-case letters, checked in `new` (or the CNY constant).
        std::str::from_utf8(&self.currency).unwrap_or("???")
    }
}

impl TryFrom<MoneyFields> for Money {
    type Error = ModelError;

    fn try_from(value: MoneyFields) -> Result<Self, Self::Error> {
        Self::new(value.minor_units, &value.currency)
    }
}

impl From<Money> for MoneyFields {
    fn from(value: Money) -> Self {
        Self {
            minor_units: value.minor_units,
            currency: value.currency().to_owned(),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}.{:02}",
            self.currency(),
            self.minor_units / 100,
            self.minor_units % 100
        )
    }
}

/// What an account is used for in the brokerage's business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccountUse {
    /// Premiums are debited from it.
    PremiumPayment,
    /// Claim money is paid into it.
    ClaimPayout,
    /// Both.
    PremiumAndClaims,
}

/// A bank account of a customer, identified by its card number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankAccount {
    /// The account's id.
    pub id: AccountId,
    /// The issuing bank's name.
    pub bank: String,
    /// The card number.
    pub card: BankCardNumber,
    /// What the account is used for.
    pub usage: AccountUse,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known_answers() {
        // The ISO/IEC 7812 worked example 7992739871 with check digit 3, and common test card numbers.
        assert_eq!(BankCardNumber::check_digit(b"7992739871"), Some(b'3'));
        assert!(BankCardNumber::new("4111111111111111").is_ok());
        assert!(BankCardNumber::new("6011111111111117").is_ok());
        assert!(BankCardNumber::new("378282246310005").is_ok());
        let err = BankCardNumber::new("4111111111111112").unwrap_err();
        assert!(matches!(
            err,
            ModelError::ChecksumMismatch {
                field: "financial_accounts.card_number",
                ..
            }
        ));
        assert!(!err.to_string().contains("4111111111111112"));
        assert!(matches!(
            BankCardNumber::new("411111111111"),
            Err(ModelError::InvalidLength { .. })
        ));
        assert!(matches!(
            BankCardNumber::new("4111 1111"),
            Err(ModelError::InvalidCharacter { position: 5, .. })
        ));
        assert_eq!(
            BankCardNumber::new("4111111111111111").unwrap().mask(),
            "411111******1111"
        );
    }

    #[test]
    fn money() {
        assert_eq!(Money::cny(12_345).to_string(), "CNY 123.45");
        assert!(Money::new(1, "eur").is_err());
        let m = Money::new(5, "EUR").unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        assert!(serde_json::from_str::<Money>(r#"{"minor_units":1,"currency":"EURO"}"#).is_err());
    }
}
