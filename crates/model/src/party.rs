//! Parties: natural persons and organizations, their names, identity documents and guardians.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::contact::{MobileNumber, text_newtype_impls};
use crate::error::ModelError;
use crate::identity::{Gender, ResidentIdNumber, UnifiedSocialCreditCode};
use crate::jurisdiction::Jurisdiction;
use crate::mask::mask_middle;

/// The age under which a person's consent must come from a parent or guardian (PIPL Art 31) and all of
/// whose personal information is sensitive (PIPL Art 28).
pub const MINOR_AGE: u32 = 14;

fn check_text(
    value: &str,
    field: &'static str,
    max_chars: usize,
    expected: &'static str,
) -> Result<(), ModelError> {
    if value.trim().is_empty() {
        return Err(ModelError::Empty { field });
    }
    if value.trim() != value {
        return Err(ModelError::InvalidCharacter {
            field,
            position: 1,
            expected: "no leading or trailing space",
        });
    }
    if let Some(position) = value.chars().position(char::is_control) {
        return Err(ModelError::InvalidCharacter {
            field,
            position: position + 1,
            expected: "no control character",
        });
    }
    let count = value.chars().count();
    if count > max_chars {
        return Err(ModelError::InvalidLength {
            field,
            expected,
            actual: count,
        });
    }
    Ok(())
}

/// A person's name: 1 to 64 characters, no control characters, no surrounding space.
///
/// `Debug` and `Display` show the mask `张*` (first character, a star per further character).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    /// The field name used in errors.
    pub const FIELD: &'static str = "identity.name";

    /// Checks and wraps a name.
    pub fn new(value: &str) -> Result<Self, ModelError> {
        check_text(value, Self::FIELD, 64, "at most 64 characters")?;
        Ok(Self(value.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mask: the first character kept, every other non-space character a star (`张*`, `欧阳**`→`欧***`).
    /// A one-character name is all star (`*`): keeping its first character would show all of it.
    pub fn mask(&self) -> String {
        if self.0.chars().count() == 1 {
            return "*".to_owned();
        }
        self.0
            .chars()
            .enumerate()
            .map(|(i, c)| if i == 0 || c == ' ' { c } else { '*' })
            .collect()
    }
}

text_newtype_impls!(PersonName);

/// An organization's registered name: 1 to 200 characters. It is registration data, not personal
/// information, so it displays in full.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrganizationName(String);

impl OrganizationName {
    /// The field name used in errors.
    pub const FIELD: &'static str = "identity.organization_name";

    /// Checks and wraps a name.
    pub fn new(value: &str) -> Result<Self, ModelError> {
        check_text(value, Self::FIELD, 200, "at most 200 characters")?;
        Ok(Self(value.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrganizationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OrganizationName {
    type Error = ModelError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<OrganizationName> for String {
    fn from(value: OrganizationName) -> Self {
        value.0
    }
}

/// A passport or travel-permit number: 5 to 20 upper-case ASCII letters and digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentNumber(String);

impl DocumentNumber {
    /// The field name used in errors.
    pub const FIELD: &'static str = "identity.document_number";

    /// Checks and wraps a number.
    pub fn new(value: &str) -> Result<Self, ModelError> {
        let field = Self::FIELD;
        let chars = value.chars().count();
        if !(5..=20).contains(&chars) {
            return Err(ModelError::InvalidLength {
                field,
                expected: "5 to 20",
                actual: chars,
            });
        }
        if let Some(p) = value
            .chars()
            .position(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit()))
        {
            return Err(ModelError::InvalidCharacter {
                field,
                position: p + 1,
                expected: "A-Z or 0-9",
            });
        }
        Ok(Self(value.to_owned()))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The mask: first character and last three.
    pub fn mask(&self) -> String {
        mask_middle(&self.0, 1, 3)
    }
}

text_newtype_impls!(DocumentNumber);

/// The identity document a person was identified with (AML Law 2024 Art 28 customer due diligence).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[serde(deny_unknown_fields)]
pub enum IdentityDocument {
    /// A mainland resident identity card (GB 11643 number).
    ResidentId(ResidentIdNumber),
    /// A passport issued by `country`.
    Passport {
        /// The issuing country.
        country: Jurisdiction,
        /// The passport number.
        number: DocumentNumber,
    },
}

impl IdentityDocument {
    /// The mask of the document number, for display.
    pub fn mask(&self) -> String {
        match self {
            IdentityDocument::ResidentId(id) => id.mask(),
            IdentityDocument::Passport { country, number } => format!("{country} {}", number.mask()),
        }
    }
}

/// How a guardian is related to a minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GuardianRelationship {
    /// Father or mother.
    Parent,
    /// Another guardian appointed under the Civil Code.
    OtherGuardian,
}

/// The parent or guardian who consents for a person under 14 (PIPL Art 31).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardian {
    /// The guardian's name.
    pub name: PersonName,
    /// How the guardian is related to the minor.
    pub relationship: GuardianRelationship,
    /// A mobile number to reach the guardian.
    pub mobile: Option<MobileNumber>,
}

/// The fields of a [`Person`] before the cross-field checks, also its serialized form. Its `Debug` masks
/// the birth date (see the impl).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonFields {
    /// Full name.
    pub name: PersonName,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Gender.
    pub gender: Gender,
    /// Nationality.
    pub nationality: Jurisdiction,
    /// The identity document.
    pub document: IdentityDocument,
    /// The parent or guardian, required in practice for minors (PIPL Art 31); quality checks flag its absence.
    pub guardian: Option<Guardian>,
}

/// Not derived: the birth date is the middle of a resident identity number (GB 11643 digits 7 to 14), so
/// printed beside the number's mask (`110105********002X`, region and last four) it would give the whole
/// number back. `Debug` shows neither the date nor anything else the mask hides; the gender it shows is
/// in the mask's last four already.
impl fmt::Debug for PersonFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonFields")
            .field("name", &self.name)
            .field("birth_date", &"****-**-**")
            .field("gender", &self.gender)
            .field("nationality", &self.nationality)
            .field("document", &self.document)
            .field("guardian", &self.guardian)
            .finish()
    }
}

/// A natural person. A value that exists has a resident identity number consistent with its birth date and
/// gender (GB 11643).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PersonFields", into = "PersonFields")]
pub struct Person {
    fields: PersonFields,
}

impl Person {
    /// Checks the cross-field rules: a resident identity number must embed the recorded birth date and gender.
    pub fn new(fields: PersonFields) -> Result<Self, ModelError> {
        if let IdentityDocument::ResidentId(id) = &fields.document {
            id.check_consistent(fields.birth_date, fields.gender)?;
        }
        Ok(Self { fields })
    }

    /// Full name.
    pub fn name(&self) -> &PersonName {
        &self.fields.name
    }

    /// Date of birth.
    pub fn birth_date(&self) -> NaiveDate {
        self.fields.birth_date
    }

    /// Gender.
    pub fn gender(&self) -> Gender {
        self.fields.gender
    }

    /// Nationality.
    pub fn nationality(&self) -> Jurisdiction {
        self.fields.nationality
    }

    /// The identity document.
    pub fn document(&self) -> &IdentityDocument {
        &self.fields.document
    }

    /// The parent or guardian, if recorded.
    pub fn guardian(&self) -> Option<&Guardian> {
        self.fields.guardian.as_ref()
    }

    /// Completed years of age at `date`, or `None` if `date` is before the birth date.
    pub fn age_at(&self, date: NaiveDate) -> Option<u32> {
        date.years_since(self.fields.birth_date)
    }

    /// Whether the person is under 14 at `date` (PIPL Art 31). A date before birth counts as not a minor:
    /// there is no person yet, and quality checks report such dates separately.
    pub fn is_minor_at(&self, date: NaiveDate) -> bool {
        matches!(self.age_at(date), Some(age) if age < MINOR_AGE)
    }

    /// The fields, for building an updated copy.
    pub fn to_fields(&self) -> PersonFields {
        self.fields.clone()
    }
}

impl TryFrom<PersonFields> for Person {
    type Error = ModelError;

    fn try_from(value: PersonFields) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Person> for PersonFields {
    fn from(value: Person) -> Self {
        value.fields
    }
}

/// An organization customer (a company buying group or property cover), registered in mainland China.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Registered name.
    pub name: OrganizationName,
    /// Unified social credit code (GB 32100).
    pub credit_code: UnifiedSocialCreditCode,
    /// The legal representative, whose identity AML due diligence also records (AML Law 2024 Art 28).
    pub legal_representative: Option<PersonName>,
    /// The person the brokerage deals with.
    pub contact_person: Option<PersonName>,
}

/// Whether a customer is a natural person or an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// A natural person, whose data is personal information under PIPL Art 4.
    Person,
    /// An organization; personal information in its record is that of its representatives and contacts.
    Organization,
}

/// The party a customer record is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// A natural person.
    Person(Person),
    /// An organization.
    Organization(Organization),
}

impl Party {
    /// Person or organization.
    pub fn kind(&self) -> PartyKind {
        match self {
            Party::Person(_) => PartyKind::Person,
            Party::Organization(_) => PartyKind::Organization,
        }
    }

    /// The person, if the party is one.
    pub fn as_person(&self) -> Option<&Person> {
        match self {
            Party::Person(p) => Some(p),
            Party::Organization(_) => None,
        }
    }

    /// The organization, if the party is one.
    pub fn as_organization(&self) -> Option<&Organization> {
        match self {
            Party::Organization(o) => Some(o),
            Party::Person(_) => None,
        }
    }

    /// The masked display name: `张*` for a person, the registered name for an organization.
    pub fn display_name(&self) -> String {
        match self {
            Party::Person(p) => p.name().mask(),
            Party::Organization(o) => o.name.as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn fields() -> PersonFields {
        PersonFields {
            name: PersonName::new("张三").unwrap(),
            birth_date: date(1949, 12, 31),
            gender: Gender::Female,
            nationality: Jurisdiction::MAINLAND_CHINA,
            document: IdentityDocument::ResidentId(ResidentIdNumber::new("11010519491231002X").unwrap()),
            guardian: None,
        }
    }

    #[test]
    fn names_mask_and_validate() {
        assert_eq!(PersonName::new("张").unwrap().mask(), "*");
        assert_eq!(format!("{:?}", PersonName::new("张").unwrap()), "PersonName(*)");
        assert_eq!(PersonName::new("张三").unwrap().mask(), "张*");
        assert_eq!(PersonName::new("张三丰").unwrap().to_string(), "张**");
        assert_eq!(PersonName::new("Anna Schmidt").unwrap().mask(), "A*** *******");
        assert_eq!(
            PersonName::new(""),
            Err(ModelError::Empty {
                field: "identity.name"
            })
        );
        assert!(matches!(
            PersonName::new(" 张三"),
            Err(ModelError::InvalidCharacter { .. })
        ));
        assert!(matches!(
            PersonName::new("张\n三"),
            Err(ModelError::InvalidCharacter { position: 2, .. })
        ));
        assert!(matches!(
            PersonName::new(&"a".repeat(65)),
            Err(ModelError::InvalidLength { .. })
        ));
        assert!(DocumentNumber::new("E1234567").is_ok());
        assert!(DocumentNumber::new("e1234567").is_err());
    }

    #[test]
    fn person_checks_identity_number_against_record() {
        let p = Person::new(fields()).unwrap();
        assert_eq!(p.age_at(date(2025, 1, 1)), Some(75));
        let mut wrong = fields();
        wrong.birth_date = date(1950, 1, 1);
        assert_eq!(
            Person::new(wrong),
            Err(ModelError::Inconsistent {
                field: "identity.resident_id",
                other: "identity.birth_date"
            })
        );
        // Deserialization goes through the same check.
        let mut json: serde_json::Value = serde_json::to_value(fields()).unwrap();
        json["gender"] = "male".into();
        assert!(serde_json::from_value::<Person>(json).is_err());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Person>(&json).unwrap(), p);
    }

    #[test]
    fn debug_of_a_person_cannot_be_combined_into_the_identity_number() {
        let p = Person::new(fields()).unwrap();
        let shown = format!("{p:?}");
        assert!(shown.contains("110105********002X"), "{shown}");
        for secret in ["11010519491231002X", "19491231", "1949-12-31", "张三"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn minors_are_under_fourteen_on_the_day() {
        let mut f = fields();
        f.birth_date = date(2012, 3, 1);
        f.document = IdentityDocument::ResidentId(
            ResidentIdNumber::from_parts("110105", date(2012, 3, 1), 2, Gender::Female).unwrap(),
        );
        let p = Person::new(f).unwrap();
        assert!(p.is_minor_at(date(2026, 2, 28)));
        assert!(!p.is_minor_at(date(2026, 3, 1)));
        assert!(!p.is_minor_at(date(2000, 1, 1)), "before birth is not a minor");
    }
}
