//! People other than the policyholder: insured persons and beneficiaries, each a person with their own id and
//! their own rights, and the legal basis on which the broker processes each one's data.
//!
//! A customer (the policyholder, 投保人) entrusts the broker; the people a policy covers or benefits
//! (被保险人, 受益人) are not parties to that entrustment. So:
//!
//! - the **contract basis** (PIPL Art 13(1)(2): necessary for a contract *to which the individual is a party*)
//!   covers the policyholder only;
//! - an **insured person's** data rests on their own consent (PIPL Art 13(1)(1)), given by a parent or guardian
//!   for a child under 14 (PIPL Art 31), unless the insured is the policyholder;
//! - a **beneficiary's** identity is identified and verified as a legal obligation where the broker is
//!   AML-obligated (PIPL Art 13(1)(3); AML Law 2024 Art 31: a life-insurance beneficiary who is not the
//!   customer), and otherwise rests on consent like an insured person's.
//!
//! A person under 14 makes the whole [`DataCategory::Beneficiaries`](crate::DataCategory::Beneficiaries)
//! section sensitive (PIPL Art 28), counts as one person in cross-border thresholds, and can make requests
//! of their own (through a guardian) in the rights desk, by their [`PersonId`].

use std::fmt;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::citation::{Citation, Instrument};
use crate::error::ModelError;
use crate::ids::{CustomerId, PolicyId};
use crate::jurisdiction::Jurisdiction;
use crate::party::{MINOR_AGE, PersonName};
use crate::policy::BeneficiaryRelationship;
use crate::purpose::LegalBasis;
use crate::typed_id;

typed_id!(
    /// A natural person the broker holds data about who is not (or not only) a customer: an insured person
    /// or a beneficiary. Pseudonymous, like every id.
    PersonId,
    "person_id"
);

/// The part a person plays in a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PersonRole {
    /// The policyholder (投保人), who entrusted the broker: the customer.
    Policyholder,
    /// The insured person (被保险人), whose life, health or property the policy covers.
    InsuredPerson,
    /// A beneficiary (受益人), who receives the benefit.
    Beneficiary,
}

/// One legal basis for processing a person's data, what it covers, and the article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PersonBasis {
    /// The basis (PIPL Art 13).
    pub basis: LegalBasis,
    /// The article or articles that give it.
    pub citations: Vec<Citation>,
    /// What it covers, in a few words.
    pub covers: &'static str,
}

impl PersonRole {
    /// The bases the broker processes a person in this role on (see the module docs). `aml_obligated` is the
    /// profile setting of AML Law 2024 Art 63 (an open legal question; default yes).
    pub fn bases(self, aml: AmlDuty) -> Vec<PersonBasis> {
        let consent = |covers| PersonBasis {
            basis: LegalBasis::Consent,
            citations: vec![Citation::pipl("13(1)(1)"), Citation::pipl("31")],
            covers,
        };
        match self {
            PersonRole::Policyholder => vec![PersonBasis {
                basis: LegalBasis::Contract,
                citations: vec![Citation::pipl("13(1)(2)")],
                covers: "the entrustment of the broker and the policies it places",
            }],
            PersonRole::InsuredPerson => vec![consent(
                "the insured person's data, by their own or their guardian's consent",
            )],
            PersonRole::Beneficiary => match aml {
                AmlDuty::Obligated => vec![
                    PersonBasis {
                        basis: LegalBasis::LegalObligation,
                        citations: vec![
                            Citation::pipl("13(1)(3)"),
                            Citation::new(Instrument::AmlLaw2024, "31"),
                        ],
                        covers: "identifying and verifying the beneficiary",
                    },
                    consent("anything beyond identification, such as contacting the beneficiary"),
                ],
                AmlDuty::NotObligated => vec![consent("the beneficiary's data")],
            },
        }
    }
}

/// Whether the broker carries AML duties (AML Law 2024 Art 63): an open legal question, so a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Not `#[non_exhaustive]`: an institution either carries the duties or does not.
pub enum AmlDuty {
    /// The broker is an AML-obligated institution (the cautious default).
    Obligated,
    /// It is not.
    NotObligated,
}

/// The fields of a [`CoveredPerson`], also its serialized form.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoveredPersonFields {
    /// The person's own id.
    pub id: PersonId,
    /// Insured person or beneficiary.
    pub role: PersonRole,
    /// The policy naming the person; must be one of the customer's policies.
    pub policy_id: PolicyId,
    /// The person's name.
    pub name: PersonName,
    /// Date of birth, if known: decides PIPL Arts 28 and 31 for the person.
    pub birth_date: Option<NaiveDate>,
    /// Where the person lives, if known (cross-border counts, GDPR Art 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence: Option<Jurisdiction>,
    /// How the person is related to the policyholder. A child of the policyholder has the policyholder
    /// as parent and guardian (Civil Code Art 27), who may consent for them under PIPL Art 31.
    pub relationship: BeneficiaryRelationship,
    /// The person's customer id, when they are a customer of the broker too: then they count once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerId>,
}

/// An insured person or beneficiary: a person with their own id. `Debug` shows the id, role and policy,
/// and the masked name (`张*`), never the birth date.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CoveredPersonFields", into = "CoveredPersonFields")]
pub struct CoveredPerson {
    fields: CoveredPersonFields,
}

impl fmt::Debug for CoveredPersonFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoveredPersonFields")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("policy_id", &self.policy_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for CoveredPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoveredPerson")
            .field("id", &self.fields.id)
            .field("role", &self.fields.role)
            .field("policy_id", &self.fields.policy_id)
            .field("name", &self.fields.name)
            .finish_non_exhaustive()
    }
}

impl CoveredPerson {
    /// Checks the fields: the role is an insured person or a beneficiary (the policyholder is the customer
    /// record itself).
    pub fn new(fields: CoveredPersonFields) -> Result<Self, ModelError> {
        if fields.role == PersonRole::Policyholder {
            return Err(ModelError::OutOfRange {
                field: "covered_people.role",
                allowed: "insured_person or beneficiary (the policyholder is the customer)",
            });
        }
        Ok(Self { fields })
    }

    /// The person's id.
    pub fn id(&self) -> PersonId {
        self.fields.id
    }

    /// Insured person or beneficiary.
    pub fn role(&self) -> PersonRole {
        self.fields.role
    }

    /// The policy naming the person.
    pub fn policy_id(&self) -> PolicyId {
        self.fields.policy_id
    }

    /// The person's name.
    pub fn name(&self) -> &PersonName {
        &self.fields.name
    }

    /// Date of birth, if known.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        self.fields.birth_date
    }

    /// Where the person lives, if known.
    pub fn residence(&self) -> Option<Jurisdiction> {
        self.fields.residence
    }

    /// How the person is related to the policyholder.
    pub fn relationship(&self) -> BeneficiaryRelationship {
        self.fields.relationship
    }

    /// The person's customer id, when they are a customer too.
    pub fn customer(&self) -> Option<CustomerId> {
        self.fields.customer
    }

    /// The fields, for building an updated copy.
    pub fn to_fields(&self) -> CoveredPersonFields {
        self.fields.clone()
    }

    /// Whether the person is under 14 at `date` (PIPL Arts 28, 31). An unknown birth date is not a minor:
    /// quality checks report the missing date.
    pub fn is_minor_at(&self, date: NaiveDate) -> bool {
        self.fields.birth_date.is_some_and(|born| {
            born.checked_add_months(Months::new(MINOR_AGE * 12))
                .is_none_or(|adult| date < adult)
        })
    }

    /// Whether the policyholder is the person's parent, and so their guardian who may consent for them
    /// under PIPL Art 31 (Civil Code Art 27).
    pub fn policyholder_is_parent(&self) -> bool {
        self.fields.relationship == BeneficiaryRelationship::Child
    }

    /// The bases the broker processes this person's data on (see the module docs).
    pub fn bases(&self, aml: AmlDuty) -> Vec<PersonBasis> {
        self.fields.role.bases(aml)
    }
}

impl TryFrom<CoveredPersonFields> for CoveredPerson {
    type Error = ModelError;

    fn try_from(fields: CoveredPersonFields) -> Result<Self, Self::Error> {
        Self::new(fields)
    }
}

impl From<CoveredPerson> for CoveredPersonFields {
    fn from(person: CoveredPerson) -> Self {
        person.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(role: PersonRole) -> CoveredPersonFields {
        CoveredPersonFields {
            id: PersonId::new_v7(),
            role,
            policy_id: PolicyId::new_v7(),
            name: PersonName::new("李小明").unwrap(),
            birth_date: NaiveDate::from_ymd_opt(2015, 3, 1),
            residence: None,
            relationship: BeneficiaryRelationship::Child,
            customer: None,
        }
    }

    #[test]
    fn the_contract_basis_covers_the_policyholder_only() {
        let holder = PersonRole::Policyholder.bases(AmlDuty::Obligated);
        assert_eq!(holder[0].basis, LegalBasis::Contract);
        for role in [PersonRole::InsuredPerson, PersonRole::Beneficiary] {
            assert!(
                role.bases(AmlDuty::Obligated)
                    .iter()
                    .all(|b| b.basis != LegalBasis::Contract),
                "{role:?}"
            );
        }
        let beneficiary = PersonRole::Beneficiary.bases(AmlDuty::Obligated);
        assert_eq!(beneficiary[0].basis, LegalBasis::LegalObligation);
        assert!(
            beneficiary[0]
                .citations
                .contains(&Citation::new(Instrument::AmlLaw2024, "31"))
        );
        assert_eq!(
            PersonRole::Beneficiary.bases(AmlDuty::NotObligated)[0].basis,
            LegalBasis::Consent
        );
    }

    #[test]
    fn a_child_beneficiary_is_a_minor_and_debug_masks_the_name() {
        let p = CoveredPerson::new(fields(PersonRole::Beneficiary)).unwrap();
        assert!(p.is_minor_at(NaiveDate::from_ymd_opt(2029, 2, 28).unwrap()));
        assert!(!p.is_minor_at(NaiveDate::from_ymd_opt(2029, 3, 1).unwrap()));
        assert!(p.policyholder_is_parent());
        let shown = format!("{p:?}");
        assert!(
            shown.contains("李**") && !shown.contains("小明") && !shown.contains("2015"),
            "{shown}"
        );
        assert!(CoveredPerson::new(fields(PersonRole::Policyholder)).is_err());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<CoveredPerson>(&json).unwrap(), p);
    }
}
