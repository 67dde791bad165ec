//! Consent receipts (ISO/IEC TS 27560 fields) with inclusion proofs and a signed checkpoint, verifiable
//! offline with only the controller's public log key.
//!
//! # Field mapping
//!
//! [`ReceiptFields`] carries the content of a TS 27560 consent receipt, named after its elements, and maps
//! onto the Kantara Consent Receipt v1.1 as follows. (TS 27560:2023 clause 6 element names are taken from
//! public summaries of the standard; check them against the text before claiming conformance.)
//!
//! | `ReceiptFields` | ISO/IEC TS 27560 element | Kantara CR v1.1 field |
//! |---|---|---|
//! | `schema_version` | schema version | `version` |
//! | `record_id` (event id) | record / receipt identifier | `consentReceiptID` |
//! | `pii_principal_id` (pseudonymous) | PII principal identifier | `piiPrincipalId` |
//! | `event_type` | event type (given, refused, withdrawn, …) | — (CR records only grants) |
//! | `event_time` | event time | `consentTimestamp` |
//! | `recorded_at`, `ledger_index` | record timestamps / audit trail | — |
//! | `event_by` (guardian, if any) | entity that gave the consent | — |
//! | `collection_method` | collection method | `collectionMethod` |
//! | `consent_form` | explicit / separate consent | `services[].purposes[].consentType` |
//! | `notice` (id, version), `notice_digest` | notice identifier and version | `policyUrl` |
//! | `language` | notice language | `language` |
//! | `pii_controller` (name, contact) | PII controller | `piiControllers[]` |
//! | `purposes` | purposes | `services[].purposes[].purpose` |
//! | `pii_categories` | PII categories | `services[].purposes[].piiCategory` |
//! | `sensitive_categories` | sensitive PII categories | `sensitive`, `spiCat` |
//! | `recipients` | recipients / third parties | `thirdPartyDisclosure`, `thirdPartyName` |
//! | `jurisdictions` (cross-border destinations) | processing locations / jurisdictions | `jurisdiction` |
//! | `validity_end` | validity / expiry | `services[].purposes[].termination` |
//! | `retention`, `rights` (from the notice) | retention; rights and withdrawal method | `termination`, `policyUrl` |
//! | `evidence_digest` | evidence of the consent | — |
//!
//! The checkpoint's Ed25519 signature stands where Kantara puts `publicKey` and a JWS: the receipt is
//! proven by the ledger, not by a signature over the receipt itself, so every receipt ever issued stays
//! consistent with one append-only history.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use custodia_ledger::{
    InclusionProof, Log, LogStore, NoteVerifier, Salt, SignedCheckpoint, TrustPolicy, leaf_hash,
};
use custodia_model::{CustomerId, DataCategory, Jurisdiction, Purpose};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::ConsentError;
use crate::event::{Channel, ConsentEvent, ConsentForm, EventKind};
use crate::ids::{EventId, GuardianId};
use crate::index::ConsentIndex;
use crate::notice::{Notice, NoticeRef};
use crate::record::ConsentRecord;
use crate::scope::Recipient;

/// The receipt schema this crate writes.
pub const RECEIPT_SCHEMA: &str = "custodia-consent-receipt/1";

/// The controller named in the notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Controller {
    /// Its name.
    pub name: String,
    /// How to reach it.
    pub contact: String,
}

/// A recipient, with its name when the notice gives one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReceiptRecipient {
    /// Who.
    pub recipient: Recipient,
    /// Its name from the notice, if the notice names it.
    pub name: Option<String>,
}

/// The human- and machine-readable content of a receipt (ISO/IEC TS 27560; see the module docs for the
/// mapping to the Kantara Consent Receipt). Every field is derived from the proven ledger entries; a
/// verifier recomputes them and refuses a receipt whose fields differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReceiptFields {
    /// [`RECEIPT_SCHEMA`].
    pub schema_version: String,
    /// The event id.
    pub record_id: EventId,
    /// The pseudonymous customer id.
    pub pii_principal_id: CustomerId,
    /// What happened.
    pub event_type: EventKind,
    /// When it took effect.
    pub event_time: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The guardian who consented for a minor, if one did (PIPL Art 31).
    pub event_by: Option<GuardianId>,
    /// How it was collected.
    pub collection_method: Channel,
    /// Separate or bundled (PIPL Arts 23, 29, 39).
    pub consent_form: ConsentForm,
    /// The notice version shown.
    pub notice: NoticeRef,
    /// SHA-256 of the notice text shown, when the notice is on the ledger.
    pub notice_digest: Option<Digest>,
    /// The notice's language.
    pub language: Option<String>,
    /// The controller.
    pub pii_controller: Option<Controller>,
    /// Purposes.
    pub purposes: BTreeSet<Purpose>,
    /// Categories.
    pub pii_categories: BTreeSet<DataCategory>,
    /// The sensitive ones among them (PIPL Art 28).
    pub sensitive_categories: BTreeSet<DataCategory>,
    /// The recipient of the scope.
    pub recipients: Vec<ReceiptRecipient>,
    /// Cross-border destinations.
    pub jurisdictions: BTreeSet<Jurisdiction>,
    /// When a grant lapses.
    pub validity_end: Option<DateTime<Utc>>,
    /// The notice's retention statement.
    pub retention: Option<String>,
    /// The notice's statement of rights and how to use them, withdrawal included.
    pub rights: Option<String>,
    /// SHA-256 of the evidence the controller keeps.
    pub evidence_digest: Digest,
    /// Where the event sits in the ledger.
    pub ledger_index: u64,
}

impl ReceiptFields {
    fn derive(index: u64, event: &ConsentEvent, notice: Option<&Notice>) -> Self {
        let f = event.fields();
        let scope = &f.scope;
        let n = notice.map(Notice::fields);
        let recipient_name = n.and_then(|n| {
            n.recipients
                .iter()
                .find(|r| r.recipient == scope.recipient())
                .map(|r| r.name.clone())
                .or_else(|| (scope.recipient() == Recipient::Controller).then(|| n.controller_name.clone()))
        });
        Self {
            schema_version: RECEIPT_SCHEMA.to_owned(),
            record_id: f.id,
            pii_principal_id: f.customer,
            event_type: f.kind,
            event_time: f.effective_at,
            recorded_at: f.recorded_at,
            event_by: match f.kind {
                EventKind::GuardianGranted { guardian } => Some(guardian),
                _ => None,
            },
            collection_method: f.channel,
            consent_form: f.form,
            notice: f.notice,
            notice_digest: n.map(|n| n.text_digest),
            language: n.map(|n| n.language.clone()),
            pii_controller: n.map(|n| Controller {
                name: n.controller_name.clone(),
                contact: n.controller_contact.clone(),
            }),
            purposes: scope.purposes().clone(),
            pii_categories: scope.categories().clone(),
            sensitive_categories: scope
                .categories()
                .iter()
                .copied()
                .filter(|c| c.is_sensitive())
                .collect(),
            recipients: vec![ReceiptRecipient {
                recipient: scope.recipient(),
                name: recipient_name,
            }],
            jurisdictions: scope.destinations().clone(),
            validity_end: f.expires_at,
            retention: n.map(|n| n.retention.clone()),
            rights: n.map(|n| n.rights.clone()),
            evidence_digest: f.evidence,
            ledger_index: index,
        }
    }
}

/// One ledger entry with what it takes to prove it: salt, exact payload and inclusion proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// A consent receipt: the readable fields, the event's ledger entry and its notice's, each with an
/// inclusion proof, and a checkpoint signed by the controller's log key. A customer or regulator checks it
/// offline with [`ConsentReceipt::verify`] and the controller's public key alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConsentReceipt {
    fields: ReceiptFields,
    event: ProvenLedgerEntry,
    notice: Option<ProvenLedgerEntry>,
    checkpoint: SignedCheckpoint,
}

/// A receipt that verified: what it proves.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedReceipt {
    fields: ReceiptFields,
    event: ConsentEvent,
    notice: Option<Notice>,
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

    /// The notice as stored, when the receipt carries it.
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
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
    /// cover the entry: its size is greater than the index). The notice entry is included when the index
    /// knows where the event's notice version was recorded and that entry is inside the checkpoint.
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
        let notice_entry = match index.notice_entry(event.notice()) {
            Some(i) if i < size => Some(ProvenLedgerEntry::read(log, i, size)?),
            _ => None,
        };
        let notice = match &notice_entry {
            Some(e) => match ConsentRecord::decode(e.index, e.payload.as_bytes())? {
                ConsentRecord::Notice(n) => Some(n),
                ConsentRecord::Event(_) | ConsentRecord::Propagation(_) => None,
            },
            None => None,
        };
        Ok(Self {
            fields: ReceiptFields::derive(event_index, &event, notice.as_ref()),
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

    /// Verifies with only the controller's public log key. See [`ConsentReceipt::verify_with`].
    pub fn verify(&self, log_key: &NoteVerifier) -> Result<VerifiedReceipt, ConsentError> {
        let policy = TrustPolicy::log_only(log_key.name(), vec![log_key.clone()])
            .map_err(|_| ConsentError::ReceiptInvalid)?;
        self.verify_with(&policy)
    }

    /// Verifies: the checkpoint's signatures satisfy `policy`; each entry's salt and exact payload hash to
    /// a leaf that the inclusion proof places under the checkpoint's root; the event entry holds a consent
    /// event and the notice entry the notice version it names; and the stated fields equal the fields
    /// derived from those entries. Any failure is [`ConsentError::ReceiptInvalid`], opaque on purpose.
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
        let notice = match &self.notice {
            None => None,
            Some(entry) => match entry.verify(root, size)? {
                ConsentRecord::Notice(n) if n.reference() == event.notice() => Some(n),
                _ => return Err(ConsentError::ReceiptInvalid),
            },
        };
        let derived = ReceiptFields::derive(self.event.index, &event, notice.as_ref());
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
