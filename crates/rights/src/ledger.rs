//! The ledger entries of a request's life: one per step, pseudonymous (request and customer ids, codes,
//! digests, staff ids and times — never a name, a number, an address or a field's value), as versioned
//! canonical bytes that a receipt proves exactly as stored.
//!
//! Format: the line `custodia-rights/1` and a newline, then the [`RightsEntry`] as compact JSON (serde's
//! field order). [`RightsEntry::decode`] refuses anything else.

use chrono::{DateTime, Utc};
use custodia_consent::{Channel, Digest, Regime};
use custodia_ledger::{Log, LogStore};
use custodia_model::{ActorId, CustomerId};
use serde::{Deserialize, Serialize};

use crate::deadline::ExtensionReason;
use crate::error::RightsError;
use crate::ids::RequestId;
use crate::intake::{CheckResult, IdentityMethod, VerifiedParty};
use crate::kind::KindCode;
use crate::request::Outcome;

/// The first line of every rights ledger payload.
pub const ENTRY_FORMAT: &str = "custodia-rights/1\n";

/// What happened at one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Step {
    /// The request was received.
    Received {
        /// Its kind.
        kind: KindCode,
        /// The regime it is answered under.
        regime: Regime,
        /// How it arrived.
        channel: Channel,
        /// In what capacity the requester asks (`customer`, `guardian`, `agent`, `close_relative`).
        requester: String,
        /// Who recorded it.
        recorded_by: ActorId,
        /// When its deadline closes, if one runs.
        closes_at: Option<DateTime<Utc>>,
    },
    /// Identity evidence was asked for.
    EvidenceRequested {
        /// Whether the clock stopped (the setting [`crate::IdentityWait`]).
        clock_paused: bool,
    },
    /// An identity check was recorded.
    IdentityChecked {
        /// Whose identity.
        party: VerifiedParty,
        /// How.
        method: IdentityMethod,
        /// SHA-256 of the brokerage's record of the check.
        evidence: Digest,
        /// Who checked.
        verified_by: ActorId,
        /// The result.
        result: CheckResult,
    },
    /// The deadline was extended.
    Extended {
        /// Why.
        reason: ExtensionReason,
        /// The new close.
        closes_at: DateTime<Utc>,
    },
    /// The request was answered.
    Answered {
        /// How it ended.
        outcome: Outcome,
        /// SHA-256 of the answer's bytes (its parts, refusals with reasons and remedies).
        answer: Digest,
        /// The codes of what was done.
        actions: Vec<String>,
        /// The codes of the refusals.
        refusals: Vec<String>,
        /// The digest of the response package sent, if one was.
        package: Option<Digest>,
        /// Whether the answer came after the deadline closed.
        late: bool,
    },
}

impl Step {
    /// The step's code.
    pub fn code(&self) -> &'static str {
        match self {
            Step::Received { .. } => "received",
            Step::EvidenceRequested { .. } => "evidence_requested",
            Step::IdentityChecked { .. } => "identity_checked",
            Step::Extended { .. } => "extended",
            Step::Answered { .. } => "answered",
        }
    }
}

/// One ledger entry of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RightsEntry {
    /// The request.
    pub request: RequestId,
    /// Its customer, by pseudonymous id.
    pub customer: CustomerId,
    /// When the step happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub step: Step,
}

impl RightsEntry {
    pub(crate) fn new(request: RequestId, customer: CustomerId, at: DateTime<Utc>, step: Step) -> Self {
        Self {
            request,
            customer,
            at,
            step,
        }
    }

    /// The payload's exact bytes: [`ENTRY_FORMAT`] and compact JSON.
    pub fn encode(&self) -> Result<Vec<u8>, RightsError> {
        let mut out = ENTRY_FORMAT.as_bytes().to_vec();
        serde_json::to_writer(&mut out, self).map_err(|_| RightsError::Encoding { what: "rights entry" })?;
        Ok(out)
    }

    /// Decodes the payload of the ledger entry at `index`; anything but a rights entry is refused.
    pub fn decode(index: u64, payload: &[u8]) -> Result<Self, RightsError> {
        let json = payload
            .strip_prefix(ENTRY_FORMAT.as_bytes())
            .ok_or(RightsError::Payload {
                index,
                why: "not a custodia-rights/1 entry",
            })?;
        serde_json::from_slice(json).map_err(|_| RightsError::Payload {
            index,
            why: "not a well-formed rights entry",
        })
    }

    /// Appends the entry to `log` and returns its index. A brokerage that commits the request and the entry
    /// in one unit of work appends [`RightsEntry::encode`]'s bytes there instead.
    pub fn append_to<S: LogStore>(&self, log: &mut Log<S>) -> Result<u64, RightsError> {
        Ok(log.append(&[&self.encode()?])?.first_index())
    }
}
