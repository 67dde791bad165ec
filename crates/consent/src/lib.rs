//! custodia-consent (being built).

mod decision;
mod digest;
mod error;
mod event;
mod ids;
mod index;
mod ledger;
mod notice;
mod policy;
mod receipt;
mod record;
mod scope;

pub use decision::{Decision, Dimension, Outcome, Reason, Rule, SeparateBecause, Subject};
pub use digest::{Digest, DigestParseError};
pub use error::ConsentError;
pub use event::{Channel, ConsentEvent, ConsentForm, EventDraft, EventKind};
pub use ids::{ActorId, EventId, GuardianId, NoticeId, PartyId};
pub use index::{ConsentIndex, IndexStats, MAX_PURPOSES, Propagation};
pub use ledger::{ConsentLedger, REBUILD_BATCH};
pub use notice::{MAX_TEXT, Notice, NoticeChange, NoticeDraft, NoticeRecipient, NoticeRef};
pub use policy::{BasisPolicy, BasisPolicyDraft, PurposeRule, Regime, TransferPath};
pub use receipt::{
    ConsentReceipt, Controller, ProvenEntry, RECEIPT_SCHEMA, ReceiptFields, ReceiptRecipient, VerifiedReceipt,
};
pub use record::{ConsentRecord, FORMAT_VERSION, PAYLOAD_PREFIX};
pub use scope::{Recipient, Scope, Use};
