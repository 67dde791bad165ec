//! Consent receipts as ISO/IEC TS 27560 records, with the ledger entries they are derived from, inclusion
//! proofs and a signed checkpoint: verifiable offline with only the controller's public log key.
//!
//! The format (`custodia-consent-receipt/2`), the element-by-element mapping to ISO/IEC TS 27560:2023 and
//! the Kantara Consent Receipt v1.1, and the verification steps are specified in
//! `spec/consent-receipt.md` at the repository root; this module implements it.
//!
//! Receipts of format 1 (`custodia-consent-receipt/1`, with the fields that format mapped wrongly) no
//! longer deserialize: a holder asks the controller to issue the receipt again, which it can, since the
//! ledger entries a receipt is derived from never change.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use custodia_ledger::{
    InclusionProof, Log, LogStore, NoteVerifier, Salt, SignedCheckpoint, TrustPolicy, leaf_hash,
};
use custodia_model::{Citation, CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::ConsentError;
use crate::event::{Channel, ConsentEvent, ConsentForm, EventKind};
use crate::ids::EventId;
use crate::index::ConsentIndex;
use crate::notice::{Notice, NoticeRef, WithdrawalMethod};
use crate::policy::Regime;
use crate::record::ConsentRecord;
use crate::scope::Recipient;

/// The receipt schema this crate writes and verifies (`schema_version`, ISO/IEC TS 27560).
pub const RECEIPT_SCHEMA: &str = "custodia-consent-receipt/2";

/// The prefix of the hash a receipt id is taken from (see `spec/consent-receipt.md`).
const RECEIPT_ID_DOMAIN: &[u8] = b"custodia-consent-receipt/2 receipt-id\0";

custodia_model::typed_id!(
    /// The id of one receipt (ISO/IEC TS 27560 `receipt_id`), distinct from the id of the record it
    /// proves: a UUID version 8 taken from SHA-256 over the record id and the signed checkpoint, so that
    /// the same record proven under another checkpoint is another receipt, and a verifier recomputes it.
    ReceiptId,
    "receipt_id"
);

impl ReceiptId {
    /// The id of the receipt for `record` under `checkpoint`: the first 16 bytes of SHA-256 of the domain,
    /// the record id's 16 bytes and the checkpoint's exact note bytes, with the UUID version 8 and variant
    /// bits set (RFC 9562 §5.8).
    pub fn derive(record: EventId, checkpoint: &SignedCheckpoint) -> Self {
        let mut preimage = RECEIPT_ID_DOMAIN.to_vec();
        preimage.extend_from_slice(record.as_bytes());
        preimage.extend_from_slice(&checkpoint.to_bytes());
        let digest = Digest::of(&preimage);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest.as_bytes()[..16]);
        // Version 8 and the RFC variant are set, so the UUID is never nil.
        let uuid = custodia_model::uuid::Builder::from_custom_bytes(bytes).into_uuid();
        Self(uuid)
    }
}

/// An organization's name and contact as a notice gives them (a controller, or a recipient in a
/// propagation task).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Controller {
    /// Its name.
    pub name: String,
    /// How to reach it.
    pub contact: String,
}

/// Which kind of record a receipt proves. Only a grant or a withdrawal of consent is a consent record;
/// a served notice, an objection, a refusal and a provision are records of other events, named as such,
/// and carry no consent elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordKind {
    /// Consent given (by the person or a guardian) or withdrawn (PIPL Arts 14, 15, 31).
    ConsentRecord,
    /// A notice served to the person (PIPL Arts 17, 22).
    NoticeRecord,
    /// The person objected to or opted out of a processing (PIPL Art 44; GDPR Art 21).
    ObjectionRecord,
    /// The person declined a request for consent (PIPL Art 14: consent is voluntary).
    RefusalRecord,
    /// Data in the scope was provided to its recipient (PIPL Art 23; GDPR Art 19).
    ProvisionRecord,
}

impl RecordKind {
    fn of(kind: EventKind) -> Self {
        match kind {
            EventKind::Granted | EventKind::GuardianGranted { .. } | EventKind::Withdrawn => {
                RecordKind::ConsentRecord
            }
            EventKind::NoticeServed => RecordKind::NoticeRecord,
            EventKind::Objected => RecordKind::ObjectionRecord,
            EventKind::Refused => RecordKind::RefusalRecord,
            EventKind::Provided => RecordKind::ProvisionRecord,
        }
    }
}

/// The role of a party in a receipt (ISO/IEC TS 27560 `party_role`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PartyRole {
    /// The PII controller.
    Controller,
    /// A third party the data is provided to (PIPL Art 23).
    ThirdParty,
    /// A successor in a merger, division or sale (PIPL Art 22).
    Successor,
}

/// A party named in a receipt (ISO/IEC TS 27560 party fields). Organizations only, never the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ReceiptParty {
    /// `party_id`: the controller's registration identifier, or a recipient's party id. `None` only for a
    /// controller whose notice was recorded in consent-record format 1 or 2.
    pub party_id: Option<String>,
    /// `party_role`.
    pub party_role: PartyRole,
    /// `party_name`, from the notice; `None` for a recipient the notice does not name.
    pub party_name: Option<String>,
    /// `party_contact`, from the notice; `None` for a recipient the notice does not name.
    pub party_contact: Option<String>,
    /// `party_address`, the controller's; `None` for a recipient (notices give a contact) and for a
    /// controller whose notice predates format 3.
    pub party_address: Option<String>,
}

/// One category of personal information in the record (ISO/IEC TS 27560 `pii_information`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PiiInformation {
    /// `pii_type`: the category.
    pub pii_type: DataCategory,
    /// `sensitive_pii_category`: whether it is sensitive under the law of the processing's jurisdiction.
    pub sensitive: bool,
    /// The article that makes it sensitive (`PIPL Art 28`, `GDPR Art 9`), when it is.
    pub sensitive_because: Option<String>,
}

/// Who expressed or performed the event (ISO/IEC TS 27560 `entity_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntityRole {
    /// The person the data is about.
    PiiPrincipal,
    /// A parent or guardian, for a minor (PIPL Art 31; GDPR Art 8).
    Guardian,
    /// The controller (it serves notices and provides data).
    Controller,
}

/// The event the record is about (ISO/IEC TS 27560 event fields that every record kind has).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ReceiptEvent {
    /// `event_time`: when the event took effect (valid time).
    pub event_time: DateTime<Utc>,
    /// When the controller recorded it (transaction time).
    pub recorded_at: DateTime<Utc>,
    /// `entity_id`: the person's pseudonymous id, the guardian's, or the controller's registration id
    /// (`None` for a controller whose notice predates format 3).
    pub entity_id: Option<String>,
    /// Whose id `entity_id` is.
    pub entity_role: EntityRole,
    /// How the event reached the controller, or was delivered by it.
    pub expression_method: Channel,
    /// The article that gives the event its effect, under the law of the processing's jurisdiction.
    pub legal_reference: String,
}

/// ISO/IEC TS 27560 `event_type` for consent: the form it was given in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentType {
    /// Given on its own for this scope: PIPL separate consent (单独同意, Arts 23, 29, 39), the GDPR's explicit
    /// consent (Arts 9(2)(a), 49(1)(a)).
    Explicit,
    /// Given by a direct action together with other matters.
    Expressed,
}

/// ISO/IEC TS 27560 `event_state` for consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentState {
    /// Consent given, by the person or a guardian.
    Given,
    /// Consent withdrawn (PIPL Art 15; GDPR Art 7(3)).
    Withdrawn,
}

/// What ends the state a consent record describes, besides `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ValidityEnd {
    /// A given consent lasts until the person withdraws, refuses or objects (or `until`, if set).
    OnWithdrawal,
    /// A withdrawal lasts: nothing ends it (a new grant is a new record).
    Indefinite,
}

/// ISO/IEC TS 27560 `validity_duration`: from when, until when, and what else ends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Validity {
    /// From the event's effective time.
    pub from: DateTime<Utc>,
    /// A grant's expiry, if it has one.
    pub until: Option<DateTime<Utc>>,
    /// What else ends it.
    pub ends: ValidityEnd,
}

/// ISO/IEC TS 27560 `lawful_basis`: consent, with the articles it rests on under the law of the
/// processing's jurisdiction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LawfulBasis {
    /// Always [`LegalBasis::Consent`] in a consent record.
    pub basis: LegalBasis,
    /// The articles, such as `PIPL Art 13`, `PIPL Art 29`.
    pub citations: Vec<String>,
}

/// The elements only a consent record has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ReceiptConsent {
    /// `event_type`.
    pub consent_type: ConsentType,
    /// `event_state`.
    pub consent_state: ConsentState,
    /// `lawful_basis`.
    pub lawful_basis: LawfulBasis,
    /// `validity_duration`.
    pub validity: Validity,
}

/// The content of a receipt: one ISO/IEC TS 27560 record, element by element (the mapping is in
/// `spec/consent-receipt.md`). Every field is derived from the proven ledger entries and the checkpoint; a
/// verifier derives them again and refuses a receipt whose fields differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ReceiptFields {
    /// `schema_version`: [`RECEIPT_SCHEMA`].
    pub schema_version: String,
    /// `receipt_id`.
    pub receipt_id: ReceiptId,
    /// Which kind of record this is.
    pub record_kind: RecordKind,
    /// `record_id`: the event's id.
    pub record_id: EventId,
    /// `pii_principal_id`: the pseudonymous customer id.
    pub pii_principal_id: CustomerId,
    /// `privacy_notice`: the notice version shown.
    pub privacy_notice: NoticeRef,
    /// SHA-256 of the exact notice text shown.
    pub notice_digest: Digest,
    /// `language` of the notice (BCP 47).
    pub language: String,
    /// `pii_controllers`.
    pub pii_controllers: Vec<ReceiptParty>,
    /// `purposes`.
    pub purposes: BTreeSet<Purpose>,
    /// `pii_information`, one per category, in category order.
    pub pii_information: Vec<PiiInformation>,
    /// `storage_locations`, from the notice (empty only for a notice that predates format 3).
    pub storage_locations: BTreeSet<Jurisdiction>,
    /// `retention_period`, the notice's statement.
    pub retention_period: String,
    /// `processing_locations`: the processing's jurisdiction and the destinations abroad the scope names.
    pub processing_locations: BTreeSet<Jurisdiction>,
    /// `jurisdiction`: whose law governs the processing (`None` only for a notice that predates format 3).
    pub jurisdiction: Option<Jurisdiction>,
    /// `recipient_third_parties`: the scope's recipient unless it is the controller itself.
    pub recipient_third_parties: Vec<ReceiptParty>,
    /// `withdrawal_method` (`None` only for a notice that predates format 3).
    pub withdrawal_method: Option<WithdrawalMethod>,
    /// `privacy_rights`, the notice's statement.
    pub privacy_rights: String,
    /// The event fields.
    pub event: ReceiptEvent,
    /// The consent fields: present exactly when `record_kind` is a consent record.
    pub consent: Option<ReceiptConsent>,
    /// SHA-256 of the evidence the controller keeps.
    pub evidence_digest: Digest,
    /// Where the event sits in the ledger.
    pub ledger_index: u64,
}

/// The law the receipt cites: an EEA jurisdiction is the GDPR's, any other the PIPL's (custodia's two
/// regimes); a notice that names no jurisdiction (before format 3) is read under the PIPL, custodia's default.
fn regime(jurisdiction: Option<Jurisdiction>) -> Regime {
    match jurisdiction {
        Some(j) if j.is_eea_member() => Regime::Gdpr,
        _ => Regime::Pipl,
    }
}

fn cite(regime: Regime, pipl: &str, gdpr: &str) -> String {
    match regime {
        Regime::Gdpr => Citation::gdpr(gdpr).to_string(),
        _ => Citation::pipl(pipl).to_string(),
    }
}

/// Whether `category` is sensitive, and why: under the PIPL the categories Art 28 names (medical health —
/// claims carry medical records —, financial accounts, and the specific identity of AML due diligence), and
/// every category of a minor whose guardian consented (Art 28: a minor's information is sensitive); under the
/// GDPR the special categories (Art 9: health, and claims, which may carry medical records — the cautious
/// reading). The lists are part of receipt format 2 (`spec/consent-receipt.md`), written out here rather than
/// taken from the model, so that a receipt issued today verifies tomorrow: a change is a new receipt version.
fn sensitivity(regime: Regime, category: DataCategory, guardian: bool) -> Option<String> {
    match regime {
        Regime::Gdpr => matches!(category, DataCategory::Health | DataCategory::Claims)
            .then(|| Citation::gdpr("9").to_string()),
        _ => (guardian
            || matches!(
                category,
                DataCategory::FinancialAccounts
                    | DataCategory::Health
                    | DataCategory::Claims
                    | DataCategory::KycAml
            ))
        .then(|| Citation::pipl("28").to_string()),
    }
}

fn legal_reference(regime: Regime, kind: EventKind) -> String {
    match kind {
        EventKind::NoticeServed => cite(regime, "17", "13"),
        EventKind::Granted => cite(regime, "14", "7"),
        EventKind::Refused => cite(regime, "14", "7(3)"),
        EventKind::Withdrawn => cite(regime, "15", "7(3)"),
        EventKind::Objected => cite(regime, "44", "21"),
        EventKind::GuardianGranted { .. } => cite(regime, "31", "8"),
        EventKind::Provided => cite(regime, "23", "19"),
    }
}

/// The articles a consent rests on: the basis (PIPL Art 13(1)(1); GDPR Art 6(1)(a)), and for a separate
/// consent the rules that ask for one, by what the scope holds.
fn consent_citations(regime: Regime, event: &ConsentEvent, guardian: bool) -> Vec<String> {
    let scope = event.scope();
    let separate = event.form() == ConsentForm::Separate;
    let mut out = Vec::new();
    let mut add = |pipl: &str, gdpr: &str| {
        let c = cite(regime, pipl, gdpr);
        if !out.contains(&c) {
            out.push(c);
        }
    };
    add("13", "6(1)(a)");
    add("14", "7");
    if guardian {
        add("31", "8");
    }
    if separate {
        if matches!(scope.recipient(), Recipient::ThirdParty(_)) {
            add("23", "7");
        }
        if scope
            .categories()
            .iter()
            .any(|c| sensitivity(regime, *c, false).is_some())
        {
            add("29", "9(2)(a)");
        }
        if !scope.destinations().is_empty() {
            add("39", "49(1)(a)");
        }
    }
    if event.kind() == EventKind::Withdrawn {
        add("15", "7(3)");
    }
    out
}

impl ReceiptFields {
    fn derive(index: u64, event: &ConsentEvent, notice: &Notice, checkpoint: &SignedCheckpoint) -> Self {
        let f = event.fields();
        let scope = &f.scope;
        let n = notice.fields();
        let processing = n.processing.as_ref();
        let jurisdiction = processing.map(|p| p.jurisdiction);
        let regime = regime(jurisdiction);
        let guardian = match f.kind {
            EventKind::GuardianGranted { guardian } => Some(guardian),
            _ => None,
        };
        let controller_id = processing.map(|p| p.controller_id.clone());
        let (entity_id, entity_role) = match f.kind {
            EventKind::GuardianGranted { guardian } => (Some(guardian.to_string()), EntityRole::Guardian),
            EventKind::NoticeServed | EventKind::Provided => (controller_id.clone(), EntityRole::Controller),
            _ => (Some(f.customer.to_string()), EntityRole::PiiPrincipal),
        };
        let recipient_third_parties = match scope.recipient() {
            Recipient::Controller => Vec::new(),
            other => {
                let named = n.recipients.iter().find(|r| r.recipient == other);
                vec![ReceiptParty {
                    party_id: other.party().map(|p| p.to_string()),
                    party_role: match other {
                        Recipient::Successor(_) => PartyRole::Successor,
                        _ => PartyRole::ThirdParty,
                    },
                    party_name: named.map(|r| r.name.clone()),
                    party_contact: named.map(|r| r.contact.clone()),
                    party_address: None,
                }]
            }
        };
        let record_kind = RecordKind::of(f.kind);
        let consent = (record_kind == RecordKind::ConsentRecord).then(|| ReceiptConsent {
            consent_type: match f.form {
                ConsentForm::Separate => ConsentType::Explicit,
                ConsentForm::Bundled => ConsentType::Expressed,
            },
            consent_state: if f.kind.is_grant() {
                ConsentState::Given
            } else {
                ConsentState::Withdrawn
            },
            lawful_basis: LawfulBasis {
                basis: LegalBasis::Consent,
                citations: consent_citations(regime, event, guardian.is_some()),
            },
            validity: Validity {
                from: f.effective_at,
                until: f.expires_at,
                ends: if f.kind.is_grant() {
                    ValidityEnd::OnWithdrawal
                } else {
                    ValidityEnd::Indefinite
                },
            },
        });
        let mut processing_locations: BTreeSet<Jurisdiction> = scope.destinations().clone();
        processing_locations.extend(jurisdiction);
        Self {
            schema_version: RECEIPT_SCHEMA.to_owned(),
            receipt_id: ReceiptId::derive(f.id, checkpoint),
            record_kind,
            record_id: f.id,
            pii_principal_id: f.customer,
            privacy_notice: f.notice,
            notice_digest: n.text_digest,
            language: n.language.clone(),
            pii_controllers: vec![ReceiptParty {
                party_id: controller_id,
                party_role: PartyRole::Controller,
                party_name: Some(n.controller_name.clone()),
                party_contact: Some(n.controller_contact.clone()),
                party_address: processing.map(|p| p.controller_address.clone()),
            }],
            purposes: scope.purposes().clone(),
            pii_information: scope
                .categories()
                .iter()
                .map(|c| {
                    let because = sensitivity(regime, *c, guardian.is_some());
                    PiiInformation {
                        pii_type: *c,
                        sensitive: because.is_some(),
                        sensitive_because: because,
                    }
                })
                .collect(),
            storage_locations: processing
                .map(|p| p.storage_locations.clone())
                .unwrap_or_default(),
            retention_period: n.retention.clone(),
            processing_locations,
            jurisdiction,
            recipient_third_parties,
            withdrawal_method: processing.map(|p| p.withdrawal.clone()),
            privacy_rights: n.rights.clone(),
            event: ReceiptEvent {
                event_time: f.effective_at,
                recorded_at: f.recorded_at,
                entity_id,
                entity_role,
                expression_method: f.channel,
                legal_reference: legal_reference(regime, f.kind),
            },
            consent,
            evidence_digest: f.evidence,
            ledger_index: index,
        }
    }
}

/// One ledger entry with what it takes to prove it: salt, exact payload and inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProvenLedgerEntry {
    /// The ledger index.
    pub index: u64,
    /// The blinding salt of the leaf.
    pub salt: Salt,
    /// The exact stored payload (consent payloads are UTF-8 JSON).
    pub payload: String,
    /// The inclusion proof against the checkpoint's tree.
    pub proof: InclusionProof,
}

impl ProvenLedgerEntry {
    fn read<S: LogStore>(log: &Log<S>, index: u64, size: u64) -> Result<Self, ConsentError> {
        let entry = log.entry(index)?;
        let (salt, payload) = match entry.content() {
            custodia_ledger::EntryContent::Present { salt, payload } => (*salt, payload.clone()),
            _ => {
                return Err(ConsentError::NotIndexed {
                    index,
                    expected: "unredacted entry",
                });
            }
        };
        let payload = String::from_utf8(payload).map_err(|_| ConsentError::Payload {
            index,
            reason: "not utf-8".to_owned(),
        })?;
        Ok(Self {
            index,
            salt,
            payload,
            proof: log.inclusion_proof(index, size)?,
        })
    }

    /// Checks the proof against `root` of the tree of `size` leaves and decodes the payload.
    fn verify(&self, root: &custodia_ledger::MerkleHash, size: u64) -> Result<ConsentRecord, ConsentError> {
        if self.proof.index() != self.index || self.proof.size() != size {
            return Err(ConsentError::ReceiptInvalid);
        }
        let leaf = leaf_hash(&self.salt, self.payload.as_bytes());
        self.proof
            .verify(&leaf, root)
            .map_err(|_| ConsentError::ReceiptInvalid)?;
        ConsentRecord::decode(self.index, self.payload.as_bytes()).map_err(|_| ConsentError::ReceiptInvalid)
    }
}

/// A consent receipt: the record's fields, the event's ledger entry and its notice's, each with an
/// inclusion proof, and a checkpoint signed by the controller's log key. A customer or regulator checks it
/// offline with [`ConsentReceipt::verify`] and the controller's public key alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ConsentReceipt {
    fields: ReceiptFields,
    event: ProvenLedgerEntry,
    notice: ProvenLedgerEntry,
    checkpoint: SignedCheckpoint,
}

/// A receipt that verified: what it proves.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedReceipt {
    fields: ReceiptFields,
    event: ConsentEvent,
    notice: Notice,
    origin: String,
    tree_size: u64,
}

impl VerifiedReceipt {
    /// The receipt's fields, now proven.
    pub fn fields(&self) -> &ReceiptFields {
        &self.fields
    }

    /// The event as stored.
    pub fn event(&self) -> &ConsentEvent {
        &self.event
    }

    /// The notice as stored.
    pub fn notice(&self) -> &Notice {
        &self.notice
    }

    /// The log that signed the checkpoint.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size the proofs are against.
    pub fn tree_size(&self) -> u64 {
        self.tree_size
    }
}

impl ConsentReceipt {
    /// Builds the receipt for the event at `event_index`, with proofs against `checkpoint` (which must
    /// cover the entry: its size is greater than the index). The event's notice version must be on the
    /// ledger inside the checkpoint too: the receipt's notice, controller, retention, rights and withdrawal
    /// elements come from it.
    pub fn issue<S: LogStore>(
        log: &Log<S>,
        index: &ConsentIndex,
        event_index: u64,
        checkpoint: &SignedCheckpoint,
    ) -> Result<Self, ConsentError> {
        let size = checkpoint.checkpoint().size();
        if event_index >= size {
            return Err(ConsentError::NotIndexed {
                index: event_index,
                expected: "entry inside the checkpoint",
            });
        }
        let event_entry = ProvenLedgerEntry::read(log, event_index, size)?;
        let ConsentRecord::Event(event) = ConsentRecord::decode(event_index, event_entry.payload.as_bytes())?
        else {
            return Err(ConsentError::NotIndexed {
                index: event_index,
                expected: "consent event",
            });
        };
        let notice_index = match index.notice_entry(event.notice()) {
            Some(i) if i < size => i,
            _ => {
                return Err(ConsentError::NotIndexed {
                    index: event_index,
                    expected: "an event whose notice is inside the checkpoint",
                });
            }
        };
        let notice_entry = ProvenLedgerEntry::read(log, notice_index, size)?;
        let ConsentRecord::Notice(notice) =
            ConsentRecord::decode(notice_index, notice_entry.payload.as_bytes())?
        else {
            return Err(ConsentError::NotIndexed {
                index: notice_index,
                expected: "notice",
            });
        };
        Ok(Self {
            fields: ReceiptFields::derive(event_index, &event, &notice, checkpoint),
            event: event_entry,
            notice: notice_entry,
            checkpoint: checkpoint.clone(),
        })
    }

    /// The fields as the receipt states them (unverified until [`ConsentReceipt::verify`]).
    pub fn fields(&self) -> &ReceiptFields {
        &self.fields
    }

    /// The signed checkpoint.
    pub fn checkpoint(&self) -> &SignedCheckpoint {
        &self.checkpoint
    }

    /// Verifies with only the controller's public log key, for the log whose origin is the key's name. See
    /// [`ConsentReceipt::verify_with`].
    pub fn verify(&self, log_key: &NoteVerifier) -> Result<VerifiedReceipt, ConsentError> {
        let policy = TrustPolicy::log_only(log_key.name(), vec![log_key.clone()])
            .map_err(|_| ConsentError::ReceiptInvalid)?;
        self.verify_with(&policy)
    }

    /// Verifies as `spec/consent-receipt.md` says: the checkpoint's signatures satisfy `policy`; each
    /// entry's salt and exact payload hash to a leaf that the inclusion proof places under the checkpoint's
    /// root, at the checkpoint's size; the event entry holds a consent event and the notice entry the notice
    /// version it names; and the stated fields equal the fields derived from those entries and the
    /// checkpoint. Any failure is [`ConsentError::ReceiptInvalid`], opaque on purpose.
    pub fn verify_with(&self, policy: &TrustPolicy) -> Result<VerifiedReceipt, ConsentError> {
        let verified = self
            .checkpoint
            .verify(policy)
            .map_err(|_| ConsentError::ReceiptInvalid)?;
        let checkpoint = verified.checkpoint();
        let (root, size) = (checkpoint.root(), checkpoint.size());
        let ConsentRecord::Event(event) = self.event.verify(root, size)? else {
            return Err(ConsentError::ReceiptInvalid);
        };
        let ConsentRecord::Notice(notice) = self.notice.verify(root, size)? else {
            return Err(ConsentError::ReceiptInvalid);
        };
        if notice.reference() != event.notice() {
            return Err(ConsentError::ReceiptInvalid);
        }
        let derived = ReceiptFields::derive(self.event.index, &event, &notice, &self.checkpoint);
        if derived != self.fields {
            return Err(ConsentError::ReceiptInvalid);
        }
        Ok(VerifiedReceipt {
            fields: derived,
            event,
            notice,
            origin: checkpoint.origin().to_owned(),
            tree_size: size,
        })
    }
}
