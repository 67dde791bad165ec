//! Customer records: a party and its data sections by category, with relationship dates and a record version.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::account::{BankAccount, Money};
use crate::actor::ActorId;
use crate::category::DataCategory;
use crate::citation::Citation;
use crate::contact::{EmailAddress, MobileNumber, PhoneNumber, PostalAddress};
use crate::error::ModelError;
use crate::ids::{CustomerId, PolicyId};
use crate::jurisdiction::Jurisdiction;
use crate::party::{Party, PartyKind};
use crate::people::CoveredPerson;
use crate::policy::{Beneficiary, Claim, Policy};
use crate::version::RecordVersion;

/// The contact section (category [`DataCategory::Contact`]). Every field is optional because records from
/// real books are incomplete; data-quality reports say what is missing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSection {
    /// Mainland mobile number.
    pub mobile: Option<MobileNumber>,
    /// Another phone, in E.164 form (foreign residents, company switchboards).
    pub phone: Option<PhoneNumber>,
    /// E-mail address.
    pub email: Option<EmailAddress>,
    /// Postal address.
    pub address: Option<PostalAddress>,
}

impl ContactSection {
    /// Whether no field is filled.
    pub fn is_empty(&self) -> bool {
        self.mobile.is_none() && self.phone.is_none() && self.email.is_none() && self.address.is_none()
    }
}

/// A health declaration made when applying for cover (category [`DataCategory::Health`], sensitive under
/// PIPL Art 28, processed on separate consent under PIPL Art 29). Its `Debug` shows the date and how many
/// conditions were declared, never the health facts themselves.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthDeclaration {
    /// The day the declaration was signed.
    pub declared_on: NaiveDate,
    /// Whether the person smokes.
    pub smoker: bool,
    /// Height in centimetres.
    pub height_cm: Option<u16>,
    /// Weight in kilograms.
    pub weight_kg: Option<u16>,
    /// Declared pre-existing conditions, as the insurer's condition codes or short texts.
    pub conditions: Vec<String>,
}

impl std::fmt::Debug for HealthDeclaration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthDeclaration")
            .field("declared_on", &self.declared_on)
            .field("conditions", &self.conditions.len())
            .finish_non_exhaustive()
    }
}

/// Marketing preferences (category [`DataCategory::MarketingPreferences`]). A `false` is an opt-out the
/// brokerage must honour (PIPL Art 24 for automated marketing, Art 15 for withdrawn consent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketingPreferences {
    /// Marketing by SMS allowed.
    pub sms: bool,
    /// Marketing by e-mail allowed.
    pub email: bool,
    /// Marketing by phone call allowed.
    pub phone: bool,
    /// When the preferences were last set.
    pub updated_on: NaiveDate,
}

/// A customer's money-laundering risk rating from due diligence (AML Law 2024 Art 28 ff.).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AmlRisk {
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk: enhanced due diligence.
    High,
}

/// The kind of a transaction kept for AML purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransactionKind {
    /// A premium paid.
    Premium,
    /// A claim paid out.
    ClaimPayout,
    /// A surrender value paid out.
    SurrenderPayout,
    /// A premium refunded.
    Refund,
}

/// A transaction record. AML Law 2024 Art 34 keeps it at least 10 years after the transaction, so its date
/// matters to retention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmlTransaction {
    /// The day of the transaction.
    pub date: NaiveDate,
    /// What it was.
    pub kind: TransactionKind,
    /// How much.
    pub amount: Money,
}

/// Customer due diligence and transaction records (category [`DataCategory::KycAml`]). AML Law 2024 Art 34
/// keeps identity data at least 10 years after the relationship ends.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KycRecord {
    /// When due diligence was last done.
    pub verified_on: NaiveDate,
    /// The risk rating.
    pub risk: AmlRisk,
    /// Occupation (persons) or business scope (organizations), as due diligence records it.
    pub occupation: Option<String>,
    /// Transactions, oldest first.
    pub transactions: Vec<AmlTransaction>,
}

/// The fields of a [`Customer`] before the cross-field checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerFields {
    /// The customer's id.
    pub id: CustomerId,
    /// The person or organization (category [`DataCategory::Identity`]).
    pub party: Party,
    /// Where the customer lives or is established: decides whether providing the data is cross-border
    /// (PIPL Art 38) and whether the GDPR applies (GDPR Art 3).
    pub residence: Jurisdiction,
    /// Contact data.
    pub contact: ContactSection,
    /// Bank accounts (sensitive, PIPL Art 28).
    pub accounts: Vec<BankAccount>,
    /// Health declaration (sensitive, PIPL Art 28).
    pub health: Option<HealthDeclaration>,
    /// Policies placed for the customer.
    pub policies: Vec<Policy>,
    /// Claims under those policies.
    pub claims: Vec<Claim>,
    /// Beneficiaries named in those policies.
    pub beneficiaries: Vec<Beneficiary>,
    /// Insured persons and beneficiaries as people with their own ids and rights (PIPL Arts 28, 31, 44):
    /// section [`DataCategory::Beneficiaries`] with [`CustomerFields::beneficiaries`]. Absent in records
    /// written before people had ids (serde default: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covered_people: Vec<CoveredPerson>,
    /// Marketing preferences.
    pub marketing: Option<MarketingPreferences>,
    /// AML due diligence and transactions.
    pub kyc: Option<KycRecord>,
    /// When the business relationship began.
    pub relationship_start: NaiveDate,
    /// When it ended, if it has (AML Law 2024 Art 34 counts from here).
    pub relationship_end: Option<NaiveDate>,
    /// When the data was last verified with the customer (PIPL Art 8: accurate and complete).
    pub last_verified: NaiveDate,
}

/// A customer record. A value that exists passes the cross-field checks of [`Customer::new`] and carries its
/// current [`RecordVersion`]; it changes only through [`Customer::update`], which makes the next version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredCustomer", into = "StoredCustomer")]
pub struct Customer {
    fields: CustomerFields,
    version: RecordVersion,
}

/// The serialized form of a [`Customer`]: its fields and current version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredCustomer {
    /// The fields.
    pub fields: CustomerFields,
    /// The current version.
    pub version: RecordVersion,
}

fn check_fields(f: &CustomerFields) -> Result<(), ModelError> {
    if let Some(end) = f.relationship_end
        && end < f.relationship_start
    {
        return Err(ModelError::DateOrder {
            field: "relationship_end",
            earlier: f.relationship_start,
            later: end,
        });
    }
    let mut policy_ids = BTreeSet::new();
    for p in &f.policies {
        if !policy_ids.insert(p.id()) {
            return Err(ModelError::Duplicate {
                field: "policies.id",
                id: p.id().to_string(),
            });
        }
    }
    let mut account_ids = BTreeSet::new();
    for a in &f.accounts {
        if !account_ids.insert(a.id) {
            return Err(ModelError::Duplicate {
                field: "financial_accounts.id",
                id: a.id.to_string(),
            });
        }
        if a.bank.trim().is_empty() {
            return Err(ModelError::Empty {
                field: "financial_accounts.bank",
            });
        }
    }
    for c in &f.claims {
        if !policy_ids.contains(&c.policy_id) {
            return Err(ModelError::DanglingReference {
                field: "claims.policy_id",
                id: c.policy_id.to_string(),
            });
        }
        c.check()?;
    }
    let mut shares: BTreeMap<PolicyId, u32> = BTreeMap::new();
    for b in &f.beneficiaries {
        if !policy_ids.contains(&b.policy_id) {
            return Err(ModelError::DanglingReference {
                field: "beneficiaries.policy_id",
                id: b.policy_id.to_string(),
            });
        }
        let total = shares.entry(b.policy_id).or_default();
        *total += u32::from(b.share_percent);
        if b.share_percent == 0 || *total > 100 {
            return Err(ModelError::OutOfRange {
                field: "beneficiaries.share_percent",
                allowed: "1 to 100, at most 100 per policy in total",
            });
        }
    }
    let mut people = BTreeSet::new();
    for p in &f.covered_people {
        if !people.insert(p.id()) {
            return Err(ModelError::Duplicate {
                field: "covered_people.id",
                id: p.id().to_string(),
            });
        }
        if !policy_ids.contains(&p.policy_id()) {
            return Err(ModelError::DanglingReference {
                field: "covered_people.policy_id",
                id: p.policy_id().to_string(),
            });
        }
    }
    Ok(())
}

/// The field paths that differ between two versions of a record.
fn changed_fields(old: &CustomerFields, new: &CustomerFields) -> Vec<String> {
    let mut changed: Vec<&str> = Vec::new();
    let mut check = |differs: bool, path: &'static str| {
        if differs {
            changed.push(path);
        }
    };
    match (&old.party, &new.party) {
        (Party::Person(a), Party::Person(b)) => {
            check(a.name() != b.name(), "identity.name");
            check(a.birth_date() != b.birth_date(), "identity.birth_date");
            check(a.gender() != b.gender(), "identity.gender");
            check(a.nationality() != b.nationality(), "identity.nationality");
            check(a.document() != b.document(), "identity.document");
            check(a.guardian() != b.guardian(), "identity.guardian");
        }
        (Party::Organization(a), Party::Organization(b)) => {
            check(a.name != b.name, "identity.organization_name");
            check(a.credit_code != b.credit_code, "identity.credit_code");
            check(
                a.legal_representative != b.legal_representative,
                "identity.legal_representative",
            );
            check(a.contact_person != b.contact_person, "identity.contact_person");
        }
        _ => check(true, "identity"),
    }
    check(old.residence != new.residence, "residence");
    check(old.contact.mobile != new.contact.mobile, "contact.mobile");
    check(old.contact.phone != new.contact.phone, "contact.phone");
    check(old.contact.email != new.contact.email, "contact.email");
    check(old.contact.address != new.contact.address, "contact.address");
    check(old.accounts != new.accounts, "financial_accounts");
    check(old.health != new.health, "health");
    check(old.policies != new.policies, "policies");
    check(old.claims != new.claims, "claims");
    check(old.beneficiaries != new.beneficiaries, "beneficiaries");
    check(old.covered_people != new.covered_people, "covered_people");
    check(old.marketing != new.marketing, "marketing_preferences");
    check(old.kyc != new.kyc, "kyc_aml");
    check(
        old.relationship_start != new.relationship_start,
        "relationship_start",
    );
    check(old.relationship_end != new.relationship_end, "relationship_end");
    check(old.last_verified != new.last_verified, "last_verified");
    changed.into_iter().map(str::to_owned).collect()
}

/// The field paths a record holds, listed as the changes of its first version.
fn held_paths(f: &CustomerFields) -> Vec<String> {
    [
        (true, "identity"),
        (true, "residence"),
        (f.contact.mobile.is_some(), "contact.mobile"),
        (f.contact.phone.is_some(), "contact.phone"),
        (f.contact.email.is_some(), "contact.email"),
        (f.contact.address.is_some(), "contact.address"),
        (!f.accounts.is_empty(), "financial_accounts"),
        (f.health.is_some(), "health"),
        (!f.policies.is_empty(), "policies"),
        (!f.claims.is_empty(), "claims"),
        (!f.beneficiaries.is_empty(), "beneficiaries"),
        (!f.covered_people.is_empty(), "covered_people"),
        (f.marketing.is_some(), "marketing_preferences"),
        (f.kyc.is_some(), "kyc_aml"),
        (true, "relationship_start"),
        (f.relationship_end.is_some(), "relationship_end"),
        (true, "last_verified"),
    ]
    .into_iter()
    .filter(|(held, _)| *held)
    .map(|(_, path)| path.to_owned())
    .collect()
}

impl Customer {
    /// Creates a record at version 1. Checks: the relationship does not end before it starts; policy and
    /// account ids are unique; every claim and beneficiary refers to a policy the customer holds; claim dates
    /// are in order; beneficiary shares are 1 to 100 and at most 100 per policy.
    pub fn new(fields: CustomerFields, at: DateTime<Utc>, by: ActorId) -> Result<Self, ModelError> {
        check_fields(&fields)?;
        let all = held_paths(&fields);
        Ok(Self {
            fields,
            version: RecordVersion::new(1, at, by, all),
        })
    }

    /// Makes the next version from edited fields (start from [`Customer::to_fields`]). The id must stay, the
    /// time must not go back, and at least one field must change; the new version lists what did.
    pub fn update(&self, fields: CustomerFields, at: DateTime<Utc>, by: ActorId) -> Result<Self, ModelError> {
        if fields.id != self.fields.id {
            return Err(ModelError::Inconsistent {
                field: "id",
                other: "version.customer",
            });
        }
        if at < self.version.at() {
            return Err(ModelError::VersionConflict {
                field: "version.at",
                current: self.version.number(),
            });
        }
        check_fields(&fields)?;
        let changed = changed_fields(&self.fields, &fields);
        if changed.is_empty() {
            return Err(ModelError::NoChange { field: "customer" });
        }
        let number = self
            .version
            .number()
            .checked_add(1)
            .ok_or(ModelError::VersionConflict {
                field: "version.number",
                current: self.version.number(),
            })?;
        Ok(Self {
            fields,
            version: RecordVersion::new(number, at, by, changed),
        })
    }

    /// A copy of the fields, to edit and pass to [`Customer::update`].
    pub fn to_fields(&self) -> CustomerFields {
        self.fields.clone()
    }

    /// The fields, read-only.
    pub fn fields(&self) -> &CustomerFields {
        &self.fields
    }

    /// The current version.
    pub fn version(&self) -> &RecordVersion {
        &self.version
    }

    /// The customer's id.
    pub fn id(&self) -> CustomerId {
        self.fields.id
    }

    /// The party.
    pub fn party(&self) -> &Party {
        &self.fields.party
    }

    /// Person or organization.
    pub fn kind(&self) -> PartyKind {
        self.fields.party.kind()
    }

    /// Where the customer lives or is established.
    pub fn residence(&self) -> Jurisdiction {
        self.fields.residence
    }

    /// Contact section.
    pub fn contact(&self) -> &ContactSection {
        &self.fields.contact
    }

    /// Bank accounts.
    pub fn accounts(&self) -> &[BankAccount] {
        &self.fields.accounts
    }

    /// Health declaration.
    pub fn health(&self) -> Option<&HealthDeclaration> {
        self.fields.health.as_ref()
    }

    /// Policies.
    pub fn policies(&self) -> &[Policy] {
        &self.fields.policies
    }

    /// Claims.
    pub fn claims(&self) -> &[Claim] {
        &self.fields.claims
    }

    /// Beneficiaries.
    pub fn beneficiaries(&self) -> &[Beneficiary] {
        &self.fields.beneficiaries
    }

    /// Insured persons and beneficiaries, each with their own id.
    pub fn covered_people(&self) -> &[CoveredPerson] {
        &self.fields.covered_people
    }

    /// Marketing preferences.
    pub fn marketing(&self) -> Option<&MarketingPreferences> {
        self.fields.marketing.as_ref()
    }

    /// AML due diligence record.
    pub fn kyc(&self) -> Option<&KycRecord> {
        self.fields.kyc.as_ref()
    }

    /// Start of the business relationship.
    pub fn relationship_start(&self) -> NaiveDate {
        self.fields.relationship_start
    }

    /// End of the business relationship, if it has ended.
    pub fn relationship_end(&self) -> Option<NaiveDate> {
        self.fields.relationship_end
    }

    /// When the data was last verified.
    pub fn last_verified(&self) -> NaiveDate {
        self.fields.last_verified
    }

    /// Whether the customer is a person under 14 at `date` (PIPL Art 31). Organizations never are.
    pub fn is_minor_at(&self, date: NaiveDate) -> bool {
        self.fields.party.as_person().is_some_and(|p| p.is_minor_at(date))
    }

    /// The data categories the record holds data in, in [`DataCategory::ALL`] order. Identity is always held.
    pub fn categories_held(&self) -> Vec<DataCategory> {
        let f = &self.fields;
        DataCategory::ALL
            .into_iter()
            .filter(|c| match c {
                DataCategory::Identity => true,
                DataCategory::Contact => !f.contact.is_empty(),
                DataCategory::FinancialAccounts => !f.accounts.is_empty(),
                DataCategory::Health => f.health.is_some(),
                DataCategory::Policies => !f.policies.is_empty(),
                DataCategory::Claims => !f.claims.is_empty(),
                DataCategory::Beneficiaries => !f.beneficiaries.is_empty() || !f.covered_people.is_empty(),
                DataCategory::MarketingPreferences => f.marketing.is_some(),
                // No wildcard: a new category must decide here which section holds it.
                DataCategory::KycAml => f.kyc.is_some(),
            })
            .collect()
    }

    /// Whether `category` of this customer is sensitive personal information at `date`, cautiously and
    /// without a book's settings: when the category is (health, financial accounts, claims, KYC/AML), when
    /// the customer is a minor under 14, all of whose personal information is sensitive, or, for the insured
    /// persons and beneficiaries section, when one of them is a minor (PIPL Art 28). A book's
    /// [`crate::SensitivityPolicy`] refines claims by line of business.
    pub fn is_sensitive_at(&self, category: DataCategory, date: NaiveDate) -> bool {
        category.is_sensitive()
            || self.is_minor_at(date)
            || (category == DataCategory::Beneficiaries
                && self.fields.covered_people.iter().any(|p| p.is_minor_at(date)))
    }

    /// The categories held that are sensitive at `date`, with the article that makes them so.
    pub fn sensitive_categories_at(&self, date: NaiveDate) -> Vec<(DataCategory, Citation)> {
        self.categories_held()
            .into_iter()
            .filter(|c| self.is_sensitive_at(*c, date))
            .map(|c| (c, Citation::pipl("28")))
            .collect()
    }

    /// The policy with `id`, if the customer holds it.
    pub fn policy(&self, id: PolicyId) -> Option<&Policy> {
        self.fields.policies.iter().find(|p| p.id() == id)
    }

    /// The last day any of the customer's contracts ended or will end, if it holds any.
    pub fn last_contract_end(&self) -> Option<NaiveDate> {
        self.fields.policies.iter().map(Policy::contract_end).max()
    }
}

impl TryFrom<StoredCustomer> for Customer {
    type Error = ModelError;

    fn try_from(value: StoredCustomer) -> Result<Self, Self::Error> {
        check_fields(&value.fields)?;
        if value.version.number() == 0 {
            return Err(ModelError::OutOfRange {
                field: "version.number",
                allowed: "1 or more",
            });
        }
        Ok(Self {
            fields: value.fields,
            version: value.version,
        })
    }
}

impl From<Customer> for StoredCustomer {
    fn from(value: Customer) -> Self {
        Self {
            fields: value.fields,
            version: value.version,
        }
    }
}
