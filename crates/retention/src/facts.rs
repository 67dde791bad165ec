//! The facts about one customer that retention decisions are made from; the crate's own input types.
//!
//! These are deliberately not `custodia_model::Customer`: retention needs dates and purposes, not names or
//! identity numbers, and a caller can fill them from any source (a database row, a synthetic book).

use std::fmt;

use chrono::NaiveDate;
use custodia_model::{CategorySet, CustomerId, DataCategory, Jurisdiction, LegalBasis, PolicyId, Purpose};
use serde::{Deserialize, Serialize};

use crate::error::RetentionError;

/// A kind of record the brokerage keeps besides a customer's data sections: records about its own
/// processing (PIPL Art 56, NDSR Art 12), records of the sales process and of its business (Broker Rule 2018
/// Art 51, the 2017 traceability rules, accounting archives), and the minimal records that make a
/// customer's choices stick (a suppression record, consent evidence). The law sets their periods
/// separately, and a customer's event (a withdrawal, the end of the relationship) does not delete the
/// records about the book: they run from the end of the processing they document.
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
    /// An audio-video recording of the sale (双录) under the 2017 traceability rules; biometric information
    /// (PIPL Art 28) when it is used to recognize the person.
    SalesRecording,
    /// The customer notice (客户告知书) the broker gives before the business (Broker Rule 2018 Art 51).
    CustomerNotice,
    /// The entrustment contract (委托合同) between the customer and the broker (its business file, Broker Rule
    /// 2018 Art 51).
    EntrustmentContract,
    /// Accounting and tax records: commission vouchers, ledgers (Broker Rule 2018 Art 51; accounting archive
    /// rules).
    AccountingRecord,
    /// A complaint and its handling.
    ComplaintRecord,
    /// Network and system logs (Cybersecurity Law 2016 Art 21(3): at least six months).
    NetworkLog,
    /// The minimal record that a person said no (an opt-out, a withdrawal), kept so that the broker does not
    /// ask again and again (NDSR Art 22(5)) after the data itself is deleted.
    SuppressionRecord,
    /// The evidence of a consent and its withdrawal, kept so that processing before the withdrawal can be
    /// shown to have been lawful (PIPL Art 15; the processor bears the burden of proof, PIPL Art 69).
    ConsentEvidence,
}

impl RecordKind {
    /// Every record kind, in a stable order.
    pub const ALL: [RecordKind; 11] = [
        RecordKind::ImpactAssessment,
        RecordKind::ProcessingRecord,
        RecordKind::ProvisionRecord,
        RecordKind::SalesRecording,
        RecordKind::CustomerNotice,
        RecordKind::EntrustmentContract,
        RecordKind::AccountingRecord,
        RecordKind::ComplaintRecord,
        RecordKind::NetworkLog,
        RecordKind::SuppressionRecord,
        RecordKind::ConsentEvidence,
    ];

    /// The stable code used in profiles and certificates.
    pub fn code(self) -> &'static str {
        match self {
            RecordKind::ImpactAssessment => "impact_assessment",
            RecordKind::ProcessingRecord => "processing_record",
            RecordKind::ProvisionRecord => "provision_record",
            RecordKind::SalesRecording => "sales_recording",
            RecordKind::CustomerNotice => "customer_notice",
            RecordKind::EntrustmentContract => "entrustment_contract",
            RecordKind::AccountingRecord => "accounting_record",
            RecordKind::ComplaintRecord => "complaint_record",
            RecordKind::NetworkLog => "network_log",
            RecordKind::SuppressionRecord => "suppression_record",
            RecordKind::ConsentEvidence => "consent_evidence",
        }
    }

    /// Whether the record documents the brokerage's processing rather than one customer's choices: such a
    /// record runs from the end of the processing it documents ([`HeldData::processing_ended`]).
    pub fn documents_processing(self) -> bool {
        matches!(
            self,
            RecordKind::ImpactAssessment | RecordKind::ProcessingRecord | RecordKind::ProvisionRecord
        )
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

/// A holding of a customer: what it is, when it was collected (or, for a record, made), and what for;
/// optionally which contracts it concerns (so that each contract's floor counts from its own end) and, for
/// a record about the book, when the processing it documents ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldData {
    holding: Holding,
    collected: NaiveDate,
    uses: Vec<PurposeBasis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    concerns: Option<Vec<PolicyId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    processing_ended: Option<NaiveDate>,
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
            concerns: None,
            processing_ended: None,
        })
    }

    /// The same holding, concerning only the contracts `policies`: a floor counted from contract ends
    /// (Broker Rule 2018 Art 51) then counts from these contracts' own ends, not from the latest end of all
    /// the customer's contracts. For claims, the policies claimed under; for beneficiaries, the policies that
    /// name them. Contracts given without a policy id ([`Contract::ending`]) never match a list.
    pub fn concerning(mut self, policies: Vec<PolicyId>) -> Self {
        self.concerns = Some(policies);
        self
    }

    /// The same record, documenting processing that ended on `on` (PIPL Art 56, NDSR Art 12: the periods
    /// run from the end of the processing; while it goes on they have not started).
    pub fn processing_ended(mut self, on: NaiveDate) -> Self {
        self.processing_ended = Some(on);
        self
    }

    /// The contracts the holding concerns, if it concerns only some.
    pub fn concerns(&self) -> Option<&[PolicyId]> {
        self.concerns.as_deref()
    }

    /// When the processing a record documents ended, if it has.
    pub fn processing_end(&self) -> Option<NaiveDate> {
        self.processing_ended
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy: Option<PolicyId>,
}

impl Contract {
    /// A contract still in force, with no end date known: its floor has not started counting.
    pub fn in_force(term: ContractTerm) -> Self {
        Self {
            term,
            ended: None,
            policy: None,
        }
    }

    /// A contract that ends (or ended) on `ended`; the day counting starts from (Broker Rule Art 51).
    pub fn ending(term: ContractTerm, ended: NaiveDate) -> Self {
        Self {
            term,
            ended: Some(ended),
            policy: None,
        }
    }

    /// The same contract, named by its policy id, so that a holding [`HeldData::concerning`] it counts its
    /// floor from this contract's own end.
    pub fn for_policy(mut self, policy: PolicyId) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The policy id, if given.
    pub fn policy(&self) -> Option<PolicyId> {
        self.policy
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
    relationship_started: Option<NaiveDate>,
    due_diligence: Option<NaiveDate>,
    relationship_ended: Option<NaiveDate>,
    last_transaction: Option<NaiveDate>,
    consent_withdrawn: Vec<PurposeEvent>,
    purpose_fulfilled: Vec<PurposeEvent>,
    transfer_completed: Option<NaiveDate>,
    record_duties_passed: CategorySet,
    claims: Closures,
    complaints: Closures,
    account_closed: Option<NaiveDate>,
    processed_unlawfully: Option<NaiveDate>,
    entrustment_ended: Option<NaiveDate>,
    institution_dissolved: Option<NaiveDate>,
}

/// How a set of matters (claims, complaints) stands: none, some still open, or all closed by a day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Closures {
    /// There are none.
    #[default]
    None,
    /// At least one is still open.
    Open,
    /// All are closed; the last closed on this day.
    AllClosed(NaiveDate),
}

impl Closures {
    fn from_list(list: &[Option<NaiveDate>]) -> Self {
        if list.is_empty() {
            return Closures::None;
        }
        if list.iter().any(Option::is_none) {
            return Closures::Open;
        }
        list.iter()
            .flatten()
            .max()
            .map_or(Closures::None, |d| Closures::AllClosed(*d))
    }
}

impl RetentionFacts {
    /// Starts the facts of `customer`, who lives in `jurisdiction`.
    pub fn builder(customer: CustomerId, jurisdiction: Jurisdiction) -> FactsBuilder {
        FactsBuilder {
            customer,
            jurisdiction,
            held: Vec::new(),
            contracts: Vec::new(),
            relationship_started: Vec::new(),
            due_diligence: Vec::new(),
            relationship_ended: Vec::new(),
            transactions: Vec::new(),
            consent_withdrawn: Vec::new(),
            purpose_fulfilled: Vec::new(),
            transfer_completed: Vec::new(),
            record_duties_passed: CategorySet::EMPTY,
            claims: Vec::new(),
            complaints: Vec::new(),
            account_closed: Vec::new(),
            processed_unlawfully: Vec::new(),
            entrustment_ended: Vec::new(),
            institution_dissolved: Vec::new(),
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

    /// When the business relationship began, if one was recorded.
    pub fn relationship_started(&self) -> Option<NaiveDate> {
        self.relationship_started
    }

    /// When customer due diligence was done, if it was (AML Law 2024 Art 29).
    pub fn due_diligence(&self) -> Option<NaiveDate> {
        self.due_diligence
    }

    /// Whether a business relationship or customer due diligence exists: only then does the AML Law 2024
    /// Art 34 identity floor open. A prospect (a lead with neither) has no such floor.
    pub fn has_business_relationship(&self) -> bool {
        self.relationship_started.is_some()
            || self.due_diligence.is_some()
            || self.relationship_ended.is_some()
    }

    /// The categories whose records the recipient of a completed transfer keeps (PIPL Art 22: the recipient
    /// continues the obligations), so that the seller's floors no longer hold the seller's copy of them.
    pub fn record_duties_passed(&self) -> CategorySet {
        self.record_duties_passed
    }

    /// How the customer's claims stand.
    pub fn claims(&self) -> Closures {
        self.claims
    }

    /// How the customer's complaints stand.
    pub fn complaints(&self) -> Closures {
        self.complaints
    }

    /// When the customer closed their account (NDSR Art 24), if they did.
    pub fn account_closed(&self) -> Option<NaiveDate> {
        self.account_closed
    }

    /// When processing was found to breach the law or the agreement (PIPL Art 47(1)(4)), if it was.
    pub fn processed_unlawfully(&self) -> Option<NaiveDate> {
        self.processed_unlawfully
    }

    /// When the entrustment under which the broker processes this customer's data for another processor
    /// ended (PIPL Art 21), if it did.
    pub fn entrustment_ended(&self) -> Option<NaiveDate> {
        self.entrustment_ended
    }

    /// When the institution was dissolved, revoked or declared bankrupt (AML Law 2024 Art 34), if it was.
    pub fn institution_dissolved(&self) -> Option<NaiveDate> {
        self.institution_dissolved
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    relationship_started: Vec<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    due_diligence: Vec<NaiveDate>,
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
    #[serde(default, skip_serializing_if = "no_categories")]
    record_duties_passed: CategorySet,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    claims: Vec<Option<NaiveDate>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    complaints: Vec<Option<NaiveDate>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    account_closed: Vec<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    processed_unlawfully: Vec<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    entrustment_ended: Vec<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    institution_dissolved: Vec<NaiveDate>,
}

fn no_categories(set: &CategorySet) -> bool {
    set.is_empty()
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

    /// Records that a business relationship began on `on`; given at most once. Without it (or due
    /// diligence, or an end) the holder is a prospect and the AML Law 2024 Art 34 identity floor does not
    /// open: a lead's identity data can be deleted once its consent is withdrawn.
    pub fn relationship_started(mut self, on: NaiveDate) -> Self {
        self.relationship_started.push(on);
        self
    }

    /// Records customer due diligence done on `on` (AML Law 2024 Art 29); given at most once. It opens the
    /// AML Law 2024 Art 34 identity floor like a business relationship does.
    pub fn due_diligence(mut self, on: NaiveDate) -> Self {
        self.due_diligence.push(on);
        self
    }

    /// Adds a claim, closed on `closed` (`None`: still open).
    pub fn claim(mut self, closed: Option<NaiveDate>) -> Self {
        self.claims.push(closed);
        self
    }

    /// Adds a complaint, closed on `closed` (`None`: still open).
    pub fn complaint(mut self, closed: Option<NaiveDate>) -> Self {
        self.complaints.push(closed);
        self
    }

    /// Records that the customer closed their account (NDSR Art 24); at most once.
    pub fn account_closed(mut self, on: NaiveDate) -> Self {
        self.account_closed.push(on);
        self
    }

    /// Records that processing breached the law or the agreement (PIPL Art 47(1)(4)); at most once.
    pub fn processed_unlawfully(mut self, on: NaiveDate) -> Self {
        self.processed_unlawfully.push(on);
        self
    }

    /// Records that the entrustment under which the broker processed this data ended (PIPL Art 21: return
    /// or delete it); at most once.
    pub fn entrustment_ended(mut self, on: NaiveDate) -> Self {
        self.entrustment_ended.push(on);
        self
    }

    /// Records that the institution was dissolved, revoked or declared bankrupt (AML Law 2024 Art 34: hand
    /// identity and transaction records to the body the State Council designates); at most once.
    pub fn institution_dissolved(mut self, on: NaiveDate) -> Self {
        self.institution_dissolved.push(on);
        self
    }

    /// Records that the recipient of a completed transfer keeps the records the law says must be kept for
    /// `categories` (the ones that moved; PIPL Art 22: it continues the obligations), so the seller's floors
    /// no longer hold its copy of them. Without it the seller keeps them (the cautious default). Only
    /// meaningful with [`FactsBuilder::transfer_completed`].
    pub fn record_duties_passed_to_recipient(mut self, categories: CategorySet) -> Self {
        self.record_duties_passed = self.record_duties_passed.union(categories);
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
            relationship_started: single("relationship_started", &self.relationship_started)?,
            due_diligence: single("due_diligence", &self.due_diligence)?,
            relationship_ended: single("relationship_ended", &self.relationship_ended)?,
            transfer_completed: single("transfer_completed", &self.transfer_completed)?,
            record_duties_passed: self.record_duties_passed,
            claims: Closures::from_list(&self.claims),
            complaints: Closures::from_list(&self.complaints),
            account_closed: single("account_closed", &self.account_closed)?,
            processed_unlawfully: single("processed_unlawfully", &self.processed_unlawfully)?,
            entrustment_ended: single("entrustment_ended", &self.entrustment_ended)?,
            institution_dissolved: single("institution_dissolved", &self.institution_dissolved)?,
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
        let closures = |c: Closures| match c {
            Closures::None => Vec::new(),
            Closures::Open => vec![None],
            Closures::AllClosed(d) => vec![Some(d)],
        };
        FactsBuilder {
            customer: f.customer,
            jurisdiction: f.jurisdiction,
            held: f.held,
            contracts: f.contracts,
            relationship_started: f.relationship_started.into_iter().collect(),
            due_diligence: f.due_diligence.into_iter().collect(),
            relationship_ended: f.relationship_ended.into_iter().collect(),
            transactions: f.last_transaction.into_iter().collect(),
            consent_withdrawn: f.consent_withdrawn,
            purpose_fulfilled: f.purpose_fulfilled,
            transfer_completed: f.transfer_completed.into_iter().collect(),
            record_duties_passed: f.record_duties_passed,
            claims: closures(f.claims),
            complaints: closures(f.complaints),
            account_closed: f.account_closed.into_iter().collect(),
            processed_unlawfully: f.processed_unlawfully.into_iter().collect(),
            entrustment_ended: f.entrustment_ended.into_iter().collect(),
            institution_dissolved: f.institution_dissolved.into_iter().collect(),
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
