//! The facts about one customer that retention decisions are made from; the crate's own input types.
//!
//! These are deliberately not `custodia_model::Customer`: retention needs dates and purposes, not names or
//! identity numbers, and a caller can fill them from any source (a database row, a synthetic book).

use std::fmt;

use chrono::NaiveDate;
use custodia_model::{CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose};
use serde::{Deserialize, Serialize};

use crate::error::RetentionError;

/// A kind of record the brokerage keeps about its own processing rather than a customer data section.
/// The law sets floors for these separately (PIPL Art 56, NDSR Art 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordKind {
    /// A personal information protection impact assessment report (PIPL Arts 55, 56).
    ImpactAssessment,
    /// A record of the processing an impact assessment covered (PIPL Art 56, last paragraph).
    ProcessingRecord,
    /// A record of personal information provided to or entrusted with another processor (NDSR Art 12).
    ProvisionRecord,
}

impl RecordKind {
    /// Every record kind, in a stable order.
    pub const ALL: [RecordKind; 3] = [
        RecordKind::ImpactAssessment,
        RecordKind::ProcessingRecord,
        RecordKind::ProvisionRecord,
    ];

    /// The stable code used in profiles and certificates.
    pub fn code(self) -> &'static str {
        match self {
            RecordKind::ImpactAssessment => "impact_assessment",
            RecordKind::ProcessingRecord => "processing_record",
            RecordKind::ProvisionRecord => "provision_record",
        }
    }

    /// The record kind with the given code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// What a retention decision is about: one data category of a customer, or one kind of record that
/// concerns the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Not `#[non_exhaustive]`: a holding is a data category or a record kind, both of which may grow instead.
pub enum Holding {
    /// A data category (one encrypted section per customer, so one shredding unit).
    Category(DataCategory),
    /// A record kind.
    Record(RecordKind),
}

impl fmt::Display for Holding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holding::Category(c) => f.write_str(c.code()),
            Holding::Record(r) => write!(f, "record:{}", r.code()),
        }
    }
}

/// One purpose a holding is kept for, and the legal basis of that purpose (PIPL Art 13).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PurposeBasis {
    purpose: Purpose,
    basis: LegalBasis,
}

impl PurposeBasis {
    /// Data kept for `purpose` on `basis`.
    pub fn new(purpose: Purpose, basis: LegalBasis) -> Self {
        Self { purpose, basis }
    }

    /// The purpose.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// The legal basis; only a consent basis ends when consent is withdrawn (PIPL Art 15).
    pub fn basis(&self) -> LegalBasis {
        self.basis
    }
}

/// A holding of a customer: what it is, when it was collected (or, for a record, made), and what for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldData {
    holding: Holding,
    collected: NaiveDate,
    uses: Vec<PurposeBasis>,
}

impl HeldData {
    /// A holding collected on `collected` and kept for `uses`. At least one use is required: PIPL Art 19
    /// allows keeping data only as long as a purpose needs it, so data with no purpose has no standing.
    pub fn new(
        customer: CustomerId,
        holding: Holding,
        collected: NaiveDate,
        uses: Vec<PurposeBasis>,
    ) -> Result<Self, RetentionError> {
        if uses.is_empty() {
            return Err(RetentionError::NoPurpose {
                customer: customer.to_string(),
                holding: holding.to_string(),
            });
        }
        Ok(Self {
            holding,
            collected,
            uses,
        })
    }

    /// What is held.
    pub fn holding(&self) -> Holding {
        self.holding
    }

    /// When it was collected or made.
    pub fn collected(&self) -> NaiveDate {
        self.collected
    }

    /// The purposes it is kept for.
    pub fn uses(&self) -> &[PurposeBasis] {
        &self.uses
    }
}

/// How long an insurance contract runs, which decides the broker rule's floor (Broker Rule 2018 Art 51:
/// one year or less → 5 years, more than one year → 10 years).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Not `#[non_exhaustive]`: Broker Rule 2018 Art 51 knows exactly these two terms.
pub enum ContractTerm {
    /// 保险期间在1年以下: a term of one year or less.
    OneYearOrLess,
    /// 保险期间超过1年: a term of more than one year.
    MoreThanOneYear,
}

impl ContractTerm {
    /// The stable code used in profiles.
    pub fn code(self) -> &'static str {
        match self {
            ContractTerm::OneYearOrLess => "one_year_or_less",
            ContractTerm::MoreThanOneYear => "more_than_one_year",
        }
    }

    /// The term with the given code.
    pub fn from_code(code: &str) -> Option<Self> {
        [ContractTerm::OneYearOrLess, ContractTerm::MoreThanOneYear]
            .into_iter()
            .find(|t| t.code() == code)
    }
}

/// An insurance contract the broker placed for the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    term: ContractTerm,
    ended: Option<NaiveDate>,
}

impl Contract {
    /// A contract still in force, with no end date known: its floor has not started counting.
    pub fn in_force(term: ContractTerm) -> Self {
        Self { term, ended: None }
    }

    /// A contract that ends (or ended) on `ended`; the day counting starts from (Broker Rule Art 51).
    pub fn ending(term: ContractTerm, ended: NaiveDate) -> Self {
        Self {
            term,
            ended: Some(ended),
        }
    }

    /// The term.
    pub fn term(&self) -> ContractTerm {
        self.term
    }

    /// The end date, if known.
    pub fn ended(&self) -> Option<NaiveDate> {
        self.ended
    }
}

/// Something that happened to one purpose on a date: a consent withdrawn, or a purpose fulfilled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeEvent {
    purpose: Purpose,
    on: NaiveDate,
}

impl PurposeEvent {
    /// The purpose.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// The date.
    pub fn on(&self) -> NaiveDate {
        self.on
    }
}

/// Everything retention needs to know about one customer. Built with [`RetentionFacts::builder`];
/// a value that exists has no duplicate holding and no fact given twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FactsBuilder", into = "FactsBuilder")]
pub struct RetentionFacts {
    customer: CustomerId,
    jurisdiction: Jurisdiction,
    held: Vec<HeldData>,
    contracts: Vec<Contract>,
    relationship_ended: Option<NaiveDate>,
    last_transaction: Option<NaiveDate>,
    consent_withdrawn: Vec<PurposeEvent>,
    purpose_fulfilled: Vec<PurposeEvent>,
    transfer_completed: Option<NaiveDate>,
}

impl RetentionFacts {
    /// Starts the facts of `customer`, who lives in `jurisdiction`.
    pub fn builder(customer: CustomerId, jurisdiction: Jurisdiction) -> FactsBuilder {
        FactsBuilder {
            customer,
            jurisdiction,
            held: Vec::new(),
            contracts: Vec::new(),
            relationship_ended: Vec::new(),
            transactions: Vec::new(),
            consent_withdrawn: Vec::new(),
            purpose_fulfilled: Vec::new(),
            transfer_completed: Vec::new(),
        }
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// Where the customer lives, which selects rules scoped by jurisdiction (GDPR Art 3).
    pub fn jurisdiction(&self) -> Jurisdiction {
        self.jurisdiction
    }

    /// What the brokerage holds about the customer.
    pub fn held(&self) -> &[HeldData] {
        &self.held
    }

    /// The customer's contracts.
    pub fn contracts(&self) -> &[Contract] {
        &self.contracts
    }

    /// When the business relationship ended (AML Law 2024 Art 34), if it has.
    pub fn relationship_ended(&self) -> Option<NaiveDate> {
        self.relationship_ended
    }

    /// The date of the latest transaction; AML Law 2024 Art 34 counts transaction data from each
    /// transaction, and a category is one shredding unit, so the latest one decides.
    pub fn last_transaction(&self) -> Option<NaiveDate> {
        self.last_transaction
    }

    /// Consents withdrawn, one per purpose (PIPL Art 15).
    pub fn consent_withdrawn(&self) -> &[PurposeEvent] {
        &self.consent_withdrawn
    }

    /// Purposes fulfilled or no longer necessary (PIPL Art 47(1)(1)).
    pub fn purpose_fulfilled(&self) -> &[PurposeEvent] {
        &self.purpose_fulfilled
    }

    /// When the customer's data was handed over in a completed licence transfer, if it was.
    pub fn transfer_completed(&self) -> Option<NaiveDate> {
        self.transfer_completed
    }

    /// When consent for `purpose` was withdrawn, if it was.
    pub fn withdrawn_on(&self, purpose: &Purpose) -> Option<NaiveDate> {
        self.consent_withdrawn
            .iter()
            .find(|e| &e.purpose == purpose)
            .map(|e| e.on)
    }

    /// When `purpose` was fulfilled, if it was.
    pub fn fulfilled_on(&self, purpose: &Purpose) -> Option<NaiveDate> {
        self.purpose_fulfilled
            .iter()
            .find(|e| &e.purpose == purpose)
            .map(|e| e.on)
    }
}

/// Collects one customer's facts; [`FactsBuilder::build`] checks them. It is also the serialized form of
/// [`RetentionFacts`], so facts read from JSON are checked the same way.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FactsBuilder {
    customer: CustomerId,
    jurisdiction: Jurisdiction,
    #[serde(default)]
    held: Vec<HeldData>,
    #[serde(default)]
    contracts: Vec<Contract>,
    #[serde(default)]
    relationship_ended: Vec<NaiveDate>,
    #[serde(default)]
    transactions: Vec<NaiveDate>,
    #[serde(default)]
    consent_withdrawn: Vec<PurposeEvent>,
    #[serde(default)]
    purpose_fulfilled: Vec<PurposeEvent>,
    #[serde(default)]
    transfer_completed: Vec<NaiveDate>,
}

impl FactsBuilder {
    /// Adds a holding (see [`HeldData::new`]).
    pub fn held(mut self, data: HeldData) -> Self {
        self.held.push(data);
        self
    }

    /// Adds a contract.
    pub fn contract(mut self, contract: Contract) -> Self {
        self.contracts.push(contract);
        self
    }

    /// Records the end of the business relationship; given at most once.
    pub fn relationship_ended(mut self, on: NaiveDate) -> Self {
        self.relationship_ended.push(on);
        self
    }

    /// Adds a transaction date; only the latest is kept.
    pub fn transaction(mut self, on: NaiveDate) -> Self {
        self.transactions.push(on);
        self
    }

    /// Records that consent for `purpose` was withdrawn; at most once per purpose.
    pub fn consent_withdrawn(mut self, purpose: Purpose, on: NaiveDate) -> Self {
        self.consent_withdrawn.push(PurposeEvent { purpose, on });
        self
    }

    /// Records that `purpose` was fulfilled or became unnecessary; at most once per purpose.
    pub fn purpose_fulfilled(mut self, purpose: Purpose, on: NaiveDate) -> Self {
        self.purpose_fulfilled.push(PurposeEvent { purpose, on });
        self
    }

    /// Records the completion of a licence transfer that handed the customer's data over; at most once.
    /// If the seller's business relationship with the customer ended with the transfer, record
    /// [`FactsBuilder::relationship_ended`] too: until then the AML Law 2024 Art 34 floor stays open.
    pub fn transfer_completed(mut self, on: NaiveDate) -> Self {
        self.transfer_completed.push(on);
        self
    }

    /// Checks the facts: no holding twice, no purpose withdrawn or fulfilled twice, no single-valued fact
    /// given twice, every holding kept for at least one purpose. A duplicate is an error, never merged.
    pub fn build(self) -> Result<RetentionFacts, RetentionError> {
        let customer = self.customer;
        let dup = |field: String| RetentionError::DuplicateFact {
            customer: customer.to_string(),
            field,
        };
        for (i, h) in self.held.iter().enumerate() {
            if h.uses.is_empty() {
                return Err(RetentionError::NoPurpose {
                    customer: customer.to_string(),
                    holding: h.holding.to_string(),
                });
            }
            if self.held.iter().skip(i + 1).any(|o| o.holding == h.holding) {
                return Err(dup(format!("holding {}", h.holding)));
            }
        }
        for (name, events) in [
            ("consent_withdrawn", &self.consent_withdrawn),
            ("purpose_fulfilled", &self.purpose_fulfilled),
        ] {
            for (i, e) in events.iter().enumerate() {
                if events.iter().skip(i + 1).any(|o| o.purpose == e.purpose) {
                    return Err(dup(format!("{name} {}", e.purpose)));
                }
            }
        }
        let single = |name: &str, values: &[NaiveDate]| match values {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(dup(name.to_owned())),
        };
        Ok(RetentionFacts {
            customer,
            jurisdiction: self.jurisdiction,
            relationship_ended: single("relationship_ended", &self.relationship_ended)?,
            transfer_completed: single("transfer_completed", &self.transfer_completed)?,
            last_transaction: self.transactions.iter().copied().max(),
            held: self.held,
            contracts: self.contracts,
            consent_withdrawn: self.consent_withdrawn,
            purpose_fulfilled: self.purpose_fulfilled,
        })
    }
}

impl TryFrom<FactsBuilder> for RetentionFacts {
    type Error = RetentionError;

    fn try_from(value: FactsBuilder) -> Result<Self, Self::Error> {
        value.build()
    }
}

impl From<RetentionFacts> for FactsBuilder {
    fn from(f: RetentionFacts) -> Self {
        FactsBuilder {
            customer: f.customer,
            jurisdiction: f.jurisdiction,
            held: f.held,
            contracts: f.contracts,
            relationship_ended: f.relationship_ended.into_iter().collect(),
            transactions: f.last_transaction.into_iter().collect(),
            consent_withdrawn: f.consent_withdrawn,
            purpose_fulfilled: f.purpose_fulfilled,
            transfer_completed: f.transfer_completed.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn servicing() -> Vec<PurposeBasis> {
        vec![PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract)]
    }

    #[test]
    fn duplicates_are_refused_with_the_field() {
        let c = CustomerId::new_v7();
        let h = HeldData::new(
            c,
            Holding::Category(DataCategory::Identity),
            d(2020, 1, 1),
            servicing(),
        )
        .unwrap();
        let err = RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
            .held(h.clone())
            .held(h)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, RetentionError::DuplicateFact { ref field, .. } if field == "holding identity")
        );
        let err = RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
            .relationship_ended(d(2020, 1, 1))
            .relationship_ended(d(2021, 1, 1))
            .build()
            .unwrap_err();
        assert!(
            matches!(err, RetentionError::DuplicateFact { ref field, .. } if field == "relationship_ended")
        );
        let err = RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
            .consent_withdrawn(Purpose::Marketing, d(2020, 1, 1))
            .consent_withdrawn(Purpose::Marketing, d(2021, 1, 1))
            .build()
            .unwrap_err();
        assert!(matches!(err, RetentionError::DuplicateFact { .. }));
    }

    #[test]
    fn a_holding_needs_a_purpose() {
        let c = CustomerId::new_v7();
        let err = HeldData::new(
            c,
            Holding::Record(RecordKind::ImpactAssessment),
            d(2020, 1, 1),
            vec![],
        )
        .unwrap_err();
        assert!(
            matches!(err, RetentionError::NoPurpose { ref holding, .. } if holding == "record:impact_assessment")
        );
    }

    #[test]
    fn the_latest_transaction_is_kept_and_json_round_trips() {
        let c = CustomerId::new_v7();
        let facts = RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
            .held(
                HeldData::new(
                    c,
                    Holding::Category(DataCategory::KycAml),
                    d(2019, 5, 1),
                    servicing(),
                )
                .unwrap(),
            )
            .transaction(d(2021, 3, 1))
            .transaction(d(2023, 7, 9))
            .transaction(d(2022, 1, 1))
            .contract(Contract::ending(ContractTerm::OneYearOrLess, d(2022, 12, 31)))
            .consent_withdrawn(Purpose::Marketing, d(2022, 2, 2))
            .build()
            .unwrap();
        assert_eq!(facts.last_transaction(), Some(d(2023, 7, 9)));
        assert_eq!(facts.withdrawn_on(&Purpose::Marketing), Some(d(2022, 2, 2)));
        let json = serde_json::to_string(&facts).unwrap();
        let back: RetentionFacts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, facts);
    }

    #[test]
    fn facts_from_json_are_checked() {
        let c = CustomerId::new_v7();
        let json = format!(
            r#"{{"customer":"{c}","jurisdiction":"CN","relationship_ended":["2020-01-01","2020-02-01"]}}"#
        );
        assert!(serde_json::from_str::<RetentionFacts>(&json).is_err());
    }
}
