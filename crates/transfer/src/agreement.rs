//! The transfer agreement: its terms, their exact canonical bytes, and the typestate from draft to fully signed.
//!
//! The canonical bytes, the signed message and the envelope are specified language-neutrally in
//! `spec/agreement.md` (vectors in `spec/vectors/transfer/`).

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use custodia_consent::TransferPath;
use custodia_crypto::{Signature, SigningKey};
use custodia_model::{ByteReader, Citation, DataCategory, Jurisdiction, ModelError, Purpose, TransferId};
use serde::{Deserialize, Serialize};

use crate::codec::{hex, sha256, unhex};
use crate::error::TransferError;
use crate::party::TransferParty;

/// The first line of the canonical agreement bytes: format name and version. A new version of the
/// encoding gets a new line; old bytes keep verifying under the version they name.
pub const AGREEMENT_FORMAT: &str = "custodia-transfer-agreement/1\n";

/// Magic of the encoded [`SignedAgreement`] envelope.
pub const SIGNED_AGREEMENT_MAGIC: &[u8; 8] = b"CUSTAGR1";

/// Longest canonical terms accepted when decoding an envelope (1 MiB): bounds the allocation a length field
/// can cause.
pub const MAX_AGREEMENT_LEN: usize = 1 << 20;

const SIGNATURE_DOMAIN: &[u8] = b"custodia-transfer/agreement-signature/v1\0";

/// Longest free-text term, in characters.
const MAX_TERM_TEXT: usize = 1024;

/// One purpose the buyer continues, and the categories it continues it for (PIPL Art 22: the recipient
/// continues the obligations; a new purpose would need consent again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeItem {
    /// The purpose continued.
    pub purpose: Purpose,
    /// The categories moved for it.
    pub categories: BTreeSet<DataCategory>,
}

/// What kind of deal the market's "licence transfer" (保险经纪牌照转让) is. The licence itself may not be
/// sold: the Broker Rule 2018 forbids transferring the business licence (the rule's text is not in the
/// project's folder and its article number is not verified here, so it is cited as the rule, without an
/// article). What changes hands is the company or its business.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DealKind {
    /// A share acquisition of the licensed company: the processor of the data stays the same, so no personal
    /// information moves and no package is planned. The new owner's access is governed by the access
    /// policies; the notice changes only if the controller's name or contact does (PIPL Art 17,
    /// second paragraph: a change of the notified items is told).
    ShareAcquisition,
    /// A transfer of the business or the book to another company: the data moves, on the legal path the
    /// agreement names (PIPL Art 22 with a merger, division or similar; Art 23 otherwise).
    #[default]
    BookTransfer,
}

impl DealKind {
    fn is_book_transfer(&self) -> bool {
        *self == DealKind::BookTransfer
    }
}

/// Who keeps, after the transfer, the records the law says must be kept (Broker Rule 2018 Art 51 business
/// files, AML Law 2024 Art 34 records): an open question, so a term with a cautious default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordKeeper {
    /// The seller keeps its records under the floors, restricted (the cautious default): the seller's copy
    /// becomes storage only after the transfer, and data the seller has already restricted to storage
    /// (PIPL Art 47(2)) does not move at all.
    #[default]
    Seller,
    /// The buyer keeps them (PIPL Art 22: the recipient continues the processor's obligations): the seller
    /// destroys its copy of what moved, and data restricted to storage at the seller may move to be kept
    /// by the buyer.
    Buyer,
}

impl RecordKeeper {
    fn is_seller(&self) -> bool {
        *self == RecordKeeper::Seller
    }
}

/// What becomes of the seller after the transfer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SellerAfterTransfer {
    /// The seller goes on (the default).
    #[default]
    Continues,
    /// The seller is dissolved, its licence revoked or it is declared bankrupt: its AML due-diligence and
    /// transaction records go to the body the State Council designates, neither destroyed nor handed to the
    /// buyer (AML Law 2024 Art 34).
    Dissolves,
}

impl SellerAfterTransfer {
    fn is_continues(&self) -> bool {
        *self == SellerAfterTransfer::Continues
    }
}

/// The disposal-plan report to the provincial authority that a processor of the personal information of
/// 10 million people or more files on a merger, division, dissolution or bankruptcy (NDSR Arts 28 and 32:
/// the disposal plan and the recipient's name and contact). See [`crate::DisposalPlanRule`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisposalPlanReport {
    /// The filing's reference.
    pub reference: String,
    /// The authority it was filed with.
    pub authority: String,
    /// The day it was filed.
    pub filed_on: NaiveDate,
}

/// Which customers the agreement covers.
///
/// `Active` is judged on the plan date: a customer whose relationship has ended by the day the data would
/// move is no longer active (the cautious reading; a relationship ending on the plan date itself has
/// ended). `LapsedWithinYears` is counted back from the **effective date**, so that the book the parties
/// signed for does not shrink while notices run: a relationship that ended on or after the effective date
/// minus N years is selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CustomerSelection {
    /// Only customers whose relationship has not ended on the plan date.
    Active,
    /// Customers whose relationship has not ended, and those whose relationship ended on or after the day
    /// this many years before the effective date.
    LapsedWithinYears(u32),
    /// Every customer on the book.
    All,
}

/// What happens to sensitive categories (PIPL Arts 28, 29).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SensitiveRule {
    /// Sensitive categories move on the legal path with what it requires. Either path requires the
    /// customer's separate consent for a sensitive category (PIPL Art 29), so this now behaves as
    /// `RequireSeparateConsent`; it is kept so that agreements that name it still read.
    FollowPath,
    /// Sensitive categories move only with the customer's separate consent to the transfer (PIPL Art 29).
    RequireSeparateConsent,
    /// Sensitive categories never move.
    Exclude,
}

/// What happens to the data of minors under 14, all of which is sensitive (PIPL Arts 28, 31).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MinorRule {
    /// A minor's data moves only with a parent's or guardian's separate consent to the transfer (PIPL Art 31).
    RequireGuardianConsent,
    /// A minor's data never moves.
    Exclude,
}

/// The legal mechanism for a transfer abroad (PIPL Art 38), weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mechanism {
    /// No mechanism and no exemption claimed: allowed only while this year's exports stay below every
    /// threshold of the CAC 2024 provisions (fewer than 100,000 people's non-sensitive information, no
    /// sensitive information, not a critical information infrastructure operator).
    None,
    /// An exemption the parties claim, with its ground ([`CrossBorderTerms::exemption`]): the provisions then
    /// ask for none of the three mechanisms. PIPL Art 39's separate consent and Art 55's impact assessment
    /// still apply.
    Exempt,
    /// A standard contract filed with the provincial CAC (PIPL Art 38(1)(3)).
    StandardContract,
    /// Personal-information protection certification (PIPL Art 38(1)(2)).
    Certification,
    /// A security assessment by the CAC (PIPL Arts 38(1)(1), 40).
    SecurityAssessment,
}

impl Mechanism {
    /// Strength for comparison: none 0; a standard contract and a certification stand at the same level
    /// under the CAC 2024 rules (1); a security assessment above both (2). An exemption is not a strength:
    /// see [`Mechanism::satisfies`].
    pub fn strength(self) -> u8 {
        match self {
            Mechanism::None | Mechanism::Exempt => 0,
            Mechanism::StandardContract | Mechanism::Certification => 1,
            Mechanism::SecurityAssessment => 2,
        }
    }

    /// Whether relying on this mechanism meets what the thresholds require: a claimed exemption meets any
    /// requirement (its ground is the parties' legal claim, reported with its article); otherwise the
    /// strength must be at least the required one's.
    pub fn satisfies(self, required: Mechanism) -> bool {
        self == Mechanism::Exempt || self.strength() >= required.strength()
    }

    /// The stable code used in reports.
    pub fn code(self) -> &'static str {
        match self {
            Mechanism::None => "none",
            Mechanism::Exempt => "exempt",
            Mechanism::StandardContract => "standard_contract",
            Mechanism::Certification => "certification",
            Mechanism::SecurityAssessment => "security_assessment",
        }
    }
}

/// The ground of a claimed exemption from the cross-border mechanisms (CAC 2024 provisions Art 5; NDSR
/// Art 35). Customers of a broker are not employees, so the human-resources ground is not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExemptionGround {
    /// Necessary to conclude or perform a contract to which the person is a party (NDSR Art 35(4)).
    ContractNecessity,
    /// Necessary in an emergency to protect a person's life, health or property (NDSR Art 35(7)).
    Emergency,
}

impl ExemptionGround {
    /// The article the ground rests on.
    pub fn citation(self) -> Citation {
        match self {
            ExemptionGround::ContractNecessity => Citation::new(custodia_model::Instrument::Ndsr, "35(4)"),
            ExemptionGround::Emergency => Citation::new(custodia_model::Instrument::Ndsr, "35(7)"),
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether the seller is a critical information infrastructure operator (关键信息基础设施运营者, CIIO): one
/// needs a CAC security assessment for any export at all (PIPL Art 40; CAC 2024 Art 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
// Not `#[non_exhaustive]`: PIPL Art 40 draws one line, an operator is on one side of it.
pub enum OperatorStatus {
    /// The seller operates critical information infrastructure.
    CriticalInformationInfrastructure,
    /// The seller does not; the CAC 2024 volume thresholds decide.
    Ordinary,
}

/// The canonical bytes keep the boolean `ciio` they have always had.
mod operator_flag {
    use super::OperatorStatus;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(status: &OperatorStatus, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*status == OperatorStatus::CriticalInformationInfrastructure)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OperatorStatus, D::Error> {
        Ok(if bool::deserialize(d)? {
            OperatorStatus::CriticalInformationInfrastructure
        } else {
            OperatorStatus::Ordinary
        })
    }
}

/// Terms for a buyer that processes the data outside mainland China (PIPL Arts 38–39). The overseas
/// recipient is the buyer: its name, contact and registration are the buyer's, and the notice names them.
///
/// The people the seller already exported this year are no term: they change with every plan of every
/// case, so the planner takes them as an input ([`crate::CrossBorderYear`]), kept by the caller's durable
/// counter. (Agreements that carried `prior_people_*` counts do not read any more: re-sign them.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossBorderTerms {
    /// Where the data goes; must be outside the mainland.
    pub destination: Jurisdiction,
    /// The mechanism relied on: [`Mechanism::None`] is its own value, distinct from a claimed exemption.
    pub mechanism: Mechanism,
    /// Its reference (filing number, certificate number, assessment approval); required for a standard
    /// contract, certification or assessment, empty otherwise.
    pub reference: String,
    /// The ground of a claimed exemption; required with [`Mechanism::Exempt`], absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<ExemptionGround>,
    /// Whether the seller operates critical information infrastructure, so that any export needs a security
    /// assessment (PIPL Art 40). Written `"ciio": true | false` in the canonical bytes.
    #[serde(rename = "ciio", with = "operator_flag")]
    pub operator: OperatorStatus,
}

/// What the buyer undertakes (PIPL Art 22; NDSR Art 14).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerObligations {
    /// The buyer continues the seller's retention duties (Broker Rule Art 51, AML Law 2024 Art 34).
    pub continue_retention_duties: bool,
    /// The buyer uses the data only for the purposes in scope (PIPL Art 22: a new purpose needs consent).
    pub purpose_limitation: bool,
    /// The security measures the buyer keeps (PIPL Art 51; NDSR Art 14), as agreed text.
    pub security_measures: String,
}

/// Every term of an agreement, as plain data. [`DraftAgreement::new`] checks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgreementTerms {
    /// The transfer this agreement governs.
    pub transfer_id: TransferId,
    /// The seller (the brokerage whose licence and book are sold).
    pub seller: TransferParty,
    /// The buyer.
    pub buyer: TransferParty,
    /// The legal path: an open legal question, so a term the parties choose (PIPL Art 22 or Art 23).
    pub legal_path: TransferPath,
    /// The purposes the buyer continues and the categories moved for each.
    pub scope: Vec<ScopeItem>,
    /// Which customers.
    pub selection: CustomerSelection,
    /// Days after a notice is served during which a customer may object (notice path).
    pub objection_window_days: u32,
    /// The rule for sensitive categories.
    pub sensitive: SensitiveRule,
    /// The rule for minors.
    pub minors: MinorRule,
    /// Terms for processing abroad, if the buyer processes outside the mainland.
    pub cross_border: Option<CrossBorderTerms>,
    /// The buyer's obligations.
    pub obligations: BuyerObligations,
    /// The reference of the personal-information impact assessment (PIPL Art 55: required before providing
    /// data to another processor; kept at least 3 years, Art 56).
    pub impact_assessment: String,
    /// The day the agreement takes effect; plans are judged on or after it.
    pub effective: NaiveDate,
    /// The kind of deal and what follows from it. Omitted from the canonical bytes when every part is its
    /// default (a book transfer, records kept by the seller, the seller continuing, no disposal-plan report):
    /// the terms agreements had before, whose bytes stay valid.
    #[serde(default, skip_serializing_if = "DealTerms::is_default")]
    pub deal: DealTerms,
}

/// The kind of deal and the terms that follow from it, each with a cautious default
/// ([`DealTerms::default`]: a book transfer, the seller keeping its records, the seller continuing).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealTerms {
    /// The kind of deal; a share acquisition plans no package.
    #[serde(default, skip_serializing_if = "DealKind::is_book_transfer")]
    pub kind: DealKind,
    /// Who keeps the records the law says must be kept after the transfer.
    #[serde(default, skip_serializing_if = "RecordKeeper::is_seller")]
    pub records_kept_by: RecordKeeper,
    /// What becomes of the seller.
    #[serde(default, skip_serializing_if = "SellerAfterTransfer::is_continues")]
    pub seller_after: SellerAfterTransfer,
    /// The NDSR Art 32 disposal-plan report, when it was filed before signing; a case may record it later
    /// ([`crate::DisposalPlanRule::check`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposal_plan_report: Option<DisposalPlanReport>,
}

impl DealTerms {
    fn is_default(&self) -> bool {
        *self == DealTerms::default()
    }
}

fn term_text(field: &'static str, value: &str) -> Result<(), TransferError> {
    if value.trim().is_empty() {
        return Err(TransferError::invalid(field, "empty"));
    }
    if value.chars().count() > MAX_TERM_TEXT || value.chars().any(char::is_control) {
        return Err(TransferError::invalid(
            field,
            format!("longer than {MAX_TERM_TEXT} characters or has a control character"),
        ));
    }
    Ok(())
}

impl AgreementTerms {
    /// Checks the terms. Every refusal names the term.
    pub fn validate(&self) -> Result<(), TransferError> {
        if self.seller.same_registration(&self.buyer) {
            return Err(TransferError::invalid(
                "agreement.buyer",
                "same registration as the seller",
            ));
        }
        if self.seller.party_id() == self.buyer.party_id() {
            return Err(TransferError::invalid(
                "agreement.buyer",
                "same party id as the seller",
            ));
        }
        if self.scope.is_empty() {
            return Err(TransferError::invalid("agreement.scope", "no purpose"));
        }
        for pair in self.scope.windows(2) {
            if let [a, b] = pair
                && a.purpose >= b.purpose
            {
                return Err(TransferError::invalid(
                    "agreement.scope",
                    "purposes must be sorted and unique",
                ));
            }
        }
        if self.scope.iter().any(|s| s.categories.is_empty()) {
            return Err(TransferError::invalid(
                "agreement.scope",
                "a purpose with no category",
            ));
        }
        if self
            .scope
            .iter()
            .any(|s| crate::notice::purpose_name(&s.purpose, crate::notice::Language::English).is_err())
        {
            return Err(TransferError::invalid(
                "agreement.scope",
                "a purpose the notice cannot name in words (PIPL Art 17): use a built-in purpose",
            ));
        }
        if self.scope.iter().any(|s| s.purpose == Purpose::Transfer) {
            return Err(TransferError::invalid(
                "agreement.scope",
                "the transfer itself is not a purpose the buyer continues",
            ));
        }
        if let CustomerSelection::LapsedWithinYears(years) = self.selection
            && !(1..=60).contains(&years)
        {
            return Err(TransferError::invalid(
                "agreement.selection",
                "years from 1 to 60",
            ));
        }
        if self.legal_path == TransferPath::MergerNotice && !(1..=365).contains(&self.objection_window_days) {
            return Err(TransferError::invalid(
                "agreement.objection_window_days",
                "from 1 to 365 days on the notice path (PIPL Art 22)",
            ));
        }
        if self.objection_window_days > 365 {
            return Err(TransferError::invalid(
                "agreement.objection_window_days",
                "at most 365",
            ));
        }
        if let Some(cb) = &self.cross_border {
            if !cb.destination.is_outside_mainland() {
                return Err(TransferError::invalid(
                    "agreement.cross_border.destination",
                    "must be outside mainland China",
                ));
            }
            if crate::notice::jurisdiction_name(cb.destination, crate::notice::Language::SimplifiedChinese)
                .is_none()
            {
                return Err(TransferError::invalid(
                    "agreement.cross_border.destination",
                    "a jurisdiction the notice can name in words (add it to the notice's table)",
                ));
            }
            match cb.mechanism {
                Mechanism::None | Mechanism::Exempt => {
                    if !cb.reference.is_empty() {
                        return Err(TransferError::invalid(
                            "agreement.cross_border.reference",
                            "no reference without a standard contract, certification or assessment",
                        ));
                    }
                }
                _ => term_text("agreement.cross_border.reference", &cb.reference)?,
            }
            match (cb.mechanism, cb.exemption) {
                (Mechanism::Exempt, None) => {
                    return Err(TransferError::invalid(
                        "agreement.cross_border.exemption",
                        "an exemption names its ground (CAC 2024 Art 5; NDSR Art 35)",
                    ));
                }
                (Mechanism::Exempt, Some(_)) | (_, None) => {}
                (_, Some(_)) => {
                    return Err(TransferError::invalid(
                        "agreement.cross_border.exemption",
                        "a ground only with the exempt mechanism",
                    ));
                }
            }
        } else if self.buyer.jurisdiction().is_outside_mainland() {
            return Err(TransferError::invalid(
                "agreement.cross_border",
                "the buyer processes outside the mainland: cross-border terms are required (PIPL Art 38)",
            ));
        }
        if !self.obligations.continue_retention_duties || !self.obligations.purpose_limitation {
            return Err(TransferError::invalid(
                "agreement.obligations",
                "the buyer must continue retention duties and purpose limitation (PIPL Art 22; NDSR Art 14)",
            ));
        }
        term_text(
            "agreement.obligations.security_measures",
            &self.obligations.security_measures,
        )?;
        term_text("agreement.impact_assessment", &self.impact_assessment)?;
        if let Some(report) = &self.deal.disposal_plan_report {
            term_text("agreement.disposal_plan_report.reference", &report.reference)?;
            term_text("agreement.disposal_plan_report.authority", &report.authority)?;
        }
        Ok(())
    }

    /// Whether the selection covers a customer whose relationship ended on `relationship_end` (`None`: it
    /// has not), judged on `today` (the plan date). See [`CustomerSelection`] for what each selection is
    /// measured against: `Active` against `today`, the lapsed cutoff against the effective date.
    pub fn selects(&self, relationship_end: Option<NaiveDate>, today: NaiveDate) -> bool {
        match (self.selection, relationship_end) {
            (CustomerSelection::All, _) | (_, None) => true,
            (CustomerSelection::Active, Some(end)) => end > today,
            (CustomerSelection::LapsedWithinYears(years), Some(end)) => self
                .effective
                .checked_sub_months(chrono::Months::new(years.saturating_mul(12)))
                .is_none_or(|cutoff| end >= cutoff),
        }
    }

    /// The categories in scope, over all purposes.
    pub fn categories(&self) -> BTreeSet<DataCategory> {
        self.scope
            .iter()
            .flat_map(|s| s.categories.iter().copied())
            .collect()
    }

    /// The purposes continued for `category`.
    pub fn purposes_for(&self, category: DataCategory) -> impl Iterator<Item = &Purpose> {
        self.scope
            .iter()
            .filter(move |s| s.categories.contains(&category))
            .map(|s| &s.purpose)
    }

    /// The article the legal path rests on.
    pub fn path_citation(&self) -> Citation {
        match self.legal_path {
            TransferPath::MergerNotice => Citation::pipl("22"),
            _ => Citation::pipl("23"),
        }
    }

    /// The purposes continued for any of `categories`, in the scope's order: what one customer's notice lists
    /// (a customer holding no health data is not told of proposal preparation).
    pub fn purposes_for_categories(&self, categories: &BTreeSet<DataCategory>) -> Vec<&Purpose> {
        self.scope
            .iter()
            .filter(|s| s.categories.iter().any(|c| categories.contains(c)))
            .map(|s| &s.purpose)
            .collect()
    }

    /// The canonical bytes: [`AGREEMENT_FORMAT`] and then the terms as compact JSON, fields in declaration
    /// order, sets sorted. These exact bytes are signed and stored; they are never re-serialized to verify.
    fn encode(&self) -> Result<Vec<u8>, TransferError> {
        let mut out = AGREEMENT_FORMAT.as_bytes().to_vec();
        serde_json::to_writer(&mut out, self)
            .map_err(|e| TransferError::invalid("agreement", e.to_string()))?;
        Ok(out)
    }
}

/// SHA-256 of an agreement's canonical bytes: what a package is bound to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgreementDigest([u8; 32]);

impl AgreementDigest {
    /// A digest from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for AgreementDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for AgreementDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgreementDigest({self})")
    }
}

impl TryFrom<String> for AgreementDigest {
    type Error = TransferError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        unhex::<32>(&value)
            .map(Self)
            .ok_or_else(|| TransferError::invalid("agreement_digest", "not 64 hex digits"))
    }
}

impl From<AgreementDigest> for String {
    fn from(value: AgreementDigest) -> Self {
        value.to_string()
    }
}

/// The canonical bytes and the terms they decode to, always in agreement with each other.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Canonical {
    terms: AgreementTerms,
    bytes: Vec<u8>,
    /// The envelope's length prefix of `bytes`, checked when the bytes are made, so that encoding cannot fail.
    len: u32,
    digest: AgreementDigest,
}

impl Canonical {
    fn from_terms(terms: AgreementTerms) -> Result<Self, TransferError> {
        terms.validate()?;
        let bytes = terms.encode()?;
        if bytes.len() > MAX_AGREEMENT_LEN {
            return Err(TransferError::TooLongToEncode {
                field: "agreement terms",
                bytes: bytes.len() as u64,
                limit: MAX_AGREEMENT_LEN as u64,
            });
        }
        let len = TransferError::length("agreement terms", bytes.len(), MAX_AGREEMENT_LEN as u64)?;
        let digest = AgreementDigest(sha256(&bytes));
        Ok(Self {
            terms,
            bytes,
            len,
            digest,
        })
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, TransferError> {
        let Some(json) = bytes.strip_prefix(AGREEMENT_FORMAT.as_bytes()) else {
            let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
            return Err(TransferError::NonCanonicalAgreement {
                format: String::from_utf8_lossy(first).chars().take(64).collect(),
            });
        };
        let terms: AgreementTerms =
            serde_json::from_slice(json).map_err(|e| TransferError::invalid("agreement", e.to_string()))?;
        let canonical = Self::from_terms(terms)?;
        if canonical.bytes != bytes {
            return Err(TransferError::NonCanonicalAgreement {
                format: AGREEMENT_FORMAT.trim_end().to_owned(),
            });
        }
        Ok(canonical)
    }

    fn message(&self, role: Role) -> Vec<u8> {
        let mut m = SIGNATURE_DOMAIN.to_vec();
        m.extend_from_slice(role.label().as_bytes());
        m.push(0);
        m.extend_from_slice(&self.digest.0);
        m
    }

    fn sign(&self, role: Role, key: &SigningKey) -> Result<Signature, TransferError> {
        let expected = match role {
            Role::Seller => self.terms.seller.verifying_key(),
            Role::Buyer => self.terms.buyer.verifying_key(),
        };
        if key.verifying_key() != *expected {
            return Err(TransferError::WrongSigner { role: role.label() });
        }
        Ok(key.sign(&self.message(role)))
    }

    fn verify(&self, role: Role, signature: &Signature) -> Result<(), TransferError> {
        let (key, what) = match role {
            Role::Seller => (self.terms.seller.verifying_key(), "agreement seller"),
            Role::Buyer => (self.terms.buyer.verifying_key(), "agreement buyer"),
        };
        key.verify(&self.message(role), signature)
            .map_err(|_| TransferError::BadSignature { what })
    }
}

#[derive(Clone, Copy)]
enum Role {
    Seller,
    Buyer,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::Seller => "seller",
            Role::Buyer => "buyer",
        }
    }
}

/// An agreement nobody has signed yet. It cannot be planned with: only a [`SignedAgreement`] can.
///
/// ```compile_fail,E0308
/// # fn demo(draft: custodia_transfer::DraftAgreement, facts: &custodia_transfer::PlanContext<'_>) {
/// // A draft is not a signed agreement: this does not compile.
/// let _planner = custodia_transfer::Planner::new(&draft, facts);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftAgreement {
    canonical: Canonical,
}

impl DraftAgreement {
    /// Validates `terms` and fixes their canonical bytes.
    pub fn new(terms: AgreementTerms) -> Result<Self, TransferError> {
        Ok(Self {
            canonical: Canonical::from_terms(terms)?,
        })
    }

    /// Parses canonical bytes as the other party sent them; refuses bytes that are not exactly what this
    /// version would write for the same terms.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TransferError> {
        Ok(Self {
            canonical: Canonical::from_bytes(bytes)?,
        })
    }

    /// The terms.
    pub fn terms(&self) -> &AgreementTerms {
        &self.canonical.terms
    }

    /// The canonical bytes, to send to the other party.
    pub fn as_bytes(&self) -> &[u8] {
        &self.canonical.bytes
    }

    /// The digest of the canonical bytes.
    pub fn digest(&self) -> AgreementDigest {
        self.canonical.digest
    }

    /// The seller signs. Refused if `key` is not the seller's key in the terms.
    pub fn sign_as_seller(self, key: &SigningKey) -> Result<SellerSigned, TransferError> {
        let signature = self.canonical.sign(Role::Seller, key)?;
        Ok(SellerSigned {
            canonical: self.canonical,
            seller: signature,
        })
    }

    /// The buyer signs. Refused if `key` is not the buyer's key in the terms.
    pub fn sign_as_buyer(self, key: &SigningKey) -> Result<BuyerSigned, TransferError> {
        let signature = self.canonical.sign(Role::Buyer, key)?;
        Ok(BuyerSigned {
            canonical: self.canonical,
            buyer: signature,
        })
    }
}

/// An agreement the seller has signed and the buyer has not: still not usable.
///
/// ```compile_fail,E0308
/// # fn demo(half: custodia_transfer::SellerSigned, facts: &custodia_transfer::PlanContext<'_>) {
/// // Half-signed is not signed: this does not compile.
/// let _planner = custodia_transfer::Planner::new(&half, facts);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SellerSigned {
    canonical: Canonical,
    seller: Signature,
}

impl SellerSigned {
    /// The terms.
    pub fn terms(&self) -> &AgreementTerms {
        &self.canonical.terms
    }

    /// The seller's signature, to send with the canonical bytes.
    pub fn seller_signature(&self) -> &Signature {
        &self.seller
    }

    /// The half-signed agreement as it arrives at the buyer: the draft's canonical bytes
    /// ([`DraftAgreement::from_bytes`]) and the seller's signature, checked here against the seller key the
    /// terms name ([`TransferError::BadSignature`] otherwise). How a buyer in another process receives it.
    pub fn from_parts(draft: DraftAgreement, seller: Signature) -> Result<Self, TransferError> {
        draft.canonical.verify(Role::Seller, &seller)?;
        Ok(Self {
            canonical: draft.canonical,
            seller,
        })
    }

    /// The buyer countersigns, after checking the seller's signature.
    pub fn countersign_as_buyer(self, key: &SigningKey) -> Result<SignedAgreement, TransferError> {
        self.canonical.verify(Role::Seller, &self.seller)?;
        let buyer = self.canonical.sign(Role::Buyer, key)?;
        Ok(SignedAgreement {
            canonical: self.canonical,
            seller: self.seller,
            buyer,
        })
    }
}

/// An agreement the buyer has signed and the seller has not: still not usable.
///
/// ```compile_fail,E0308
/// # fn demo(half: custodia_transfer::BuyerSigned, facts: &custodia_transfer::PlanContext<'_>) {
/// let _planner = custodia_transfer::Planner::new(&half, facts);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuyerSigned {
    canonical: Canonical,
    buyer: Signature,
}

impl BuyerSigned {
    /// The terms.
    pub fn terms(&self) -> &AgreementTerms {
        &self.canonical.terms
    }

    /// The buyer's signature.
    pub fn buyer_signature(&self) -> &Signature {
        &self.buyer
    }

    /// The seller countersigns, after checking the buyer's signature.
    pub fn countersign_as_seller(self, key: &SigningKey) -> Result<SignedAgreement, TransferError> {
        self.canonical.verify(Role::Buyer, &self.buyer)?;
        let seller = self.canonical.sign(Role::Seller, key)?;
        Ok(SignedAgreement {
            canonical: self.canonical,
            seller,
            buyer: self.buyer,
        })
    }
}

/// An agreement both parties signed, with both signatures verified: the only form a plan, a package or an
/// import accepts.
///
/// Envelope format ([`SignedAgreement::encode`]): magic `CUSTAGR1` (8 bytes), length of the canonical bytes
/// (u32 big-endian), the canonical bytes, the seller's Ed25519 signature (64), the buyer's (64). Each
/// signature is over `"custodia-transfer/agreement-signature/v1\0" ‖ role ‖ 0x00 ‖ SHA-256(canonical bytes)`
/// with role `seller` or `buyer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedAgreement {
    canonical: Canonical,
    seller: Signature,
    buyer: Signature,
}

impl SignedAgreement {
    /// The terms.
    pub fn terms(&self) -> &AgreementTerms {
        &self.canonical.terms
    }

    /// The canonical bytes both parties signed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.canonical.bytes
    }

    /// The digest a package is bound to.
    pub fn digest(&self) -> AgreementDigest {
        self.canonical.digest
    }

    /// The transfer id.
    pub fn transfer_id(&self) -> TransferId {
        self.canonical.terms.transfer_id
    }

    /// The envelope: canonical bytes and both signatures.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = SIGNED_AGREEMENT_MAGIC.to_vec();
        out.extend_from_slice(&self.canonical.len.to_be_bytes());
        out.extend_from_slice(&self.canonical.bytes);
        out.extend_from_slice(self.seller.as_bytes());
        out.extend_from_slice(self.buyer.as_bytes());
        out
    }

    /// Decodes an envelope and verifies both signatures: a missing, truncated or wrong signature is refused
    /// with [`TransferError::BadSignature`] naming whose.
    pub fn decode(bytes: &[u8]) -> Result<Self, TransferError> {
        let bad = |reason: &str| TransferError::invalid("signed_agreement", reason.to_owned());
        let mut r = ByteReader::new(bytes, "signed agreement");
        if r.take(SIGNED_AGREEMENT_MAGIC.len(), "magic").ok() != Some(SIGNED_AGREEMENT_MAGIC.as_slice()) {
            return Err(bad("magic"));
        }
        let terms = match r.u32_prefixed("terms", MAX_AGREEMENT_LEN) {
            Ok(terms) => terms,
            Err(ModelError::TooLong { .. }) => return Err(bad("canonical bytes longer than 1 MiB")),
            Err(ModelError::Truncated {
                field: "terms",
                offset,
                ..
            }) if offset == SIGNED_AGREEMENT_MAGIC.len() => {
                return Err(bad("length"));
            }
            Err(_) => return Err(bad("truncated terms")),
        };
        let canonical = Canonical::from_bytes(terms)?;
        let seller = r
            .take(64, "seller signature")
            .map_err(|_| TransferError::BadSignature {
                what: "agreement seller",
            })?;
        let buyer = r
            .take(64, "buyer signature")
            .map_err(|_| TransferError::BadSignature {
                what: "agreement buyer",
            })?;
        if r.finish().is_err() {
            return Err(bad("trailing bytes"));
        }
        let seller = Signature::from_bytes(seller).map_err(|_| TransferError::BadSignature {
            what: "agreement seller",
        })?;
        let buyer = Signature::from_bytes(buyer).map_err(|_| TransferError::BadSignature {
            what: "agreement buyer",
        })?;
        canonical.verify(Role::Seller, &seller)?;
        canonical.verify(Role::Buyer, &buyer)?;
        Ok(Self {
            canonical,
            seller,
            buyer,
        })
    }
}
