//! The access log: every decision, allow or deny, as a pseudonymous ledger entry (principal id, action,
//! purpose code, customer id, categories, effect, deciding policy ids, ticket id, approval id, time), with
//! the queries the rights desk and incident response need and inclusion proofs.

use std::ops::Range;

use chrono::{DateTime, Utc};
use custodia_ledger::{Appended, InclusionProof, Log, LogStore, MerkleHash};
use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory, Purpose};
use serde::{Deserialize, Serialize};

use crate::approval::ApprovalId;
use crate::engine::{Effect, EngineVerdict, PolicyRef};
use crate::error::AccessError;
use crate::gate::Action;
use crate::principal::Ticket;

/// Every access-log payload starts with these bytes; other crates' entries on a shared ledger do not.
pub const PAYLOAD_PREFIX: &[u8] = br#"{"schema":"custodia-access","#;
const SCHEMA: &str = "custodia-access";
const FORMAT: u32 = 1;

/// Entries read from the store per call in a scan.
pub const SCAN_BATCH: u64 = 4096;

/// One category's outcome in a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryOutcome {
    category: DataCategory,
    sensitive: bool,
    effect: Effect,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    policies: Vec<PolicyRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    failed: Vec<PolicyRef>,
}

impl CategoryOutcome {
    pub(crate) fn new(category: DataCategory, sensitive: bool, verdict: EngineVerdict) -> Self {
        Self {
            category,
            sensitive,
            effect: verdict.effect,
            policies: verdict.policies,
            failed: verdict.failed,
        }
    }

    /// The category.
    pub fn category(&self) -> DataCategory {
        self.category
    }

    /// Whether the section was sensitive personal information when decided (PIPL Art 28).
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// Allow or deny.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// The deciding policies: the permits of an allow, the forbids of a deny; empty for a default deny.
    pub fn policies(&self) -> &[PolicyRef] {
        &self.policies
    }

    /// Policies whose evaluation failed (the engine then denied, failing closed).
    pub fn failed(&self) -> &[PolicyRef] {
        &self.failed
    }

    /// Whether this is Cedar's default deny: denied, and no policy decided it.
    pub fn is_default_deny(&self) -> bool {
        self.effect == Effect::Deny && self.policies.is_empty() && self.failed.is_empty()
    }
}

pub(crate) struct EntryFields {
    pub principal: ActorId,
    pub action: Action,
    pub customer: CustomerId,
    pub purpose: Purpose,
    pub at: DateTime<Utc>,
    pub ticket: Option<Ticket>,
    pub approval: Option<ApprovalId>,
    pub outcomes: Vec<CategoryOutcome>,
}

/// One decision on the access log. It holds ids and codes only — the principal's directory id, the
/// customer's pseudonymous id, category and purpose codes, policy ids and citations, a ticket id, an approval
/// id, the time — never a name, number or any section's content (the ledger's invariant: no plaintext
/// personal information).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessEntry {
    principal: ActorId,
    action: Action,
    customer: CustomerId,
    purpose: Purpose,
    at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ticket: Option<Ticket>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    approval: Option<ApprovalId>,
    outcomes: Vec<CategoryOutcome>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    schema: String,
    format: u32,
    entry: AccessEntry,
}

impl AccessEntry {
    pub(crate) fn new(f: EntryFields) -> Self {
        Self {
            principal: f.principal,
            action: f.action,
            customer: f.customer,
            purpose: f.purpose,
            at: f.at,
            ticket: f.ticket,
            approval: f.approval,
            outcomes: f.outcomes,
        }
    }

    /// Who asked.
    pub fn principal(&self) -> &ActorId {
        &self.principal
    }

    /// What they asked to do.
    pub fn action(&self) -> Action {
        self.action
    }

    /// Whose data.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }

    /// The asserted purpose.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// When.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The ticket named.
    pub fn ticket(&self) -> Option<&Ticket> {
        self.ticket.as_ref()
    }

    /// The approval that elevated the read, if one did.
    pub fn approval(&self) -> Option<ApprovalId> {
        self.approval
    }

    /// Per category, the outcome.
    pub fn outcomes(&self) -> &[CategoryOutcome] {
        &self.outcomes
    }

    /// Allow if every category was allowed.
    pub fn effect(&self) -> Effect {
        if !self.outcomes.is_empty() && self.outcomes.iter().all(|o| o.effect == Effect::Permit) {
            Effect::Permit
        } else {
            Effect::Deny
        }
    }

    /// The categories asked for.
    pub fn categories(&self) -> CategorySet {
        self.outcomes.iter().map(|o| o.category).collect()
    }

    /// The categories allowed.
    pub fn permitted(&self) -> CategorySet {
        self.outcomes
            .iter()
            .filter(|o| o.effect == Effect::Permit)
            .map(|o| o.category)
            .collect()
    }

    /// The ledger payload: `{"schema":"custodia-access","format":1,"entry":{…}}` (JSON, fields in declaration
    /// order, so the same entry always encodes to the same bytes).
    pub fn payload(&self) -> Result<Vec<u8>, AccessError> {
        serde_json::to_vec(&Envelope {
            schema: SCHEMA.to_owned(),
            format: FORMAT,
            entry: self.clone(),
        })
        .map_err(|_| AccessError::Encode)
    }

    /// Whether `bytes` claim to be an access-log payload.
    pub fn is_access_payload(bytes: &[u8]) -> bool {
        bytes.starts_with(PAYLOAD_PREFIX)
    }

    /// Decodes the payload of ledger entry `index`: `Ok(None)` for another crate's entry, an error naming the
    /// index for an access payload that does not decode (the error never repeats the bytes).
    pub fn decode(index: u64, bytes: &[u8]) -> Result<Option<Self>, AccessError> {
        if !Self::is_access_payload(bytes) {
            return Ok(None);
        }
        let envelope: Envelope = serde_json::from_slice(bytes).map_err(|_| AccessError::Decode { index })?;
        if envelope.schema != SCHEMA || envelope.format != FORMAT {
            return Err(AccessError::Decode { index });
        }
        Ok(Some(envelope.entry))
    }
}

/// An access-log entry with its ledger index.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedAccess {
    /// Its index on the ledger.
    pub index: u64,
    /// The entry.
    pub entry: AccessEntry,
}

impl LoggedAccess {
    /// The entry just appended at `index` (a caller that appended it observes it without reading it back).
    pub fn new(index: u64, entry: AccessEntry) -> Self {
        Self { index, entry }
    }
}

/// An access-log entry with what proves it: its leaf hash and its inclusion proof in the tree of a given size
/// (check it against a signed checkpoint of that size with `custodia_ledger::verify_inclusion`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AccessProof {
    /// The entry and its index.
    pub logged: LoggedAccess,
    /// Its RFC 9162 leaf hash.
    pub leaf_hash: MerkleHash,
    /// Its inclusion proof.
    pub proof: InclusionProof,
}

/// Settings of the access log: data with documented defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// How long entries are kept, in months. Default 36 (three years, as PIPL Art 56 keeps processing
    /// records); at least 6 (Cybersecurity Law 2016 Art 21(3): network logs ≥ 6 months; the insurance
    /// intermediaries' IT rules, CBIRC 2021: system logs ≥ 6 months).
    pub retention_months: u32,
}

impl LogSettings {
    /// The shortest retention the law allows, in months.
    pub const MINIMUM_MONTHS: u32 = 6;

    /// Settings with `retention_months`; refused below [`LogSettings::MINIMUM_MONTHS`].
    pub fn new(retention_months: u32) -> Result<Self, AccessError> {
        if retention_months < Self::MINIMUM_MONTHS {
            return Err(AccessError::InvalidSettings {
                field: "retention_months",
                problem: "below the 6 months of Cybersecurity Law Art 21(3)",
            });
        }
        Ok(Self { retention_months })
    }
}

impl LogSettings {
    /// The oldest time an entry may carry at `now` and still be kept: `now` less the retention months
    /// (calendar months, clamped to the month's last day).
    pub fn kept_from(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        now.checked_sub_months(chrono::Months::new(self.retention_months))
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { retention_months: 36 }
    }
}

/// The access log over a ledger: appends decisions' entries in one batch, scans them back, answers "who read
/// this customer's data and why" and "what did this principal read in a window", and proves an entry.
/// It borrows the ledger for each call, so the brokerage keeps one `Log` for every crate's entries.
pub struct AccessLog;

impl AccessLog {
    /// Appends `entries` in one ledger batch (one transaction in a database store); returns what was
    /// appended. A brokerage that must write the read and its entry together appends [`AccessEntry::payload`]
    /// in its own unit of work instead.
    pub fn append<S: LogStore>(log: &mut Log<S>, entries: &[AccessEntry]) -> Result<Appended, AccessError> {
        let payloads = entries
            .iter()
            .map(AccessEntry::payload)
            .collect::<Result<Vec<_>, _>>()?;
        let slices: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        Ok(log.append(&slices)?)
    }

    /// Every access entry in `range` of the ledger that `keep` accepts, in ledger order, read in batches of
    /// [`SCAN_BATCH`]. Redacted entries and other crates' entries are skipped.
    pub fn scan<S: LogStore>(
        log: &Log<S>,
        range: Range<u64>,
        keep: &mut dyn FnMut(&AccessEntry) -> bool,
    ) -> Result<Vec<LoggedAccess>, AccessError> {
        let end = range.end.min(log.size());
        let mut start = range.start;
        let mut out = Vec::new();
        while start < end {
            let stop = start.saturating_add(SCAN_BATCH).min(end);
            for stored in log.entries(start..stop)? {
                let Some(payload) = stored.payload() else { continue };
                if let Some(entry) = AccessEntry::decode(stored.index(), payload)?
                    && keep(&entry)
                {
                    out.push(LoggedAccess {
                        index: stored.index(),
                        entry,
                    });
                }
            }
            start = stop;
        }
        Ok(out)
    }

    /// The access entries past their retention at `now` under `settings` (their time before
    /// [`LogSettings::kept_from`]), in ledger order: what [`AccessLog::redact_expired`] erases.
    pub fn expired<S: LogStore>(
        log: &Log<S>,
        settings: &LogSettings,
        now: DateTime<Utc>,
    ) -> Result<Vec<u64>, AccessError> {
        // The field is public: settings made without `LogSettings::new` are checked here too.
        LogSettings::new(settings.retention_months)?;
        let Some(from) = settings.kept_from(now) else {
            return Ok(Vec::new());
        };
        Ok(Self::scan(log, 0..log.size(), &mut |e| e.at < from)?
            .into_iter()
            .map(|l| l.index)
            .collect())
    }

    /// Enforces the log's retention on an append-only ledger: the expired entries' payloads and salts are
    /// erased through the ledger's redactable leaves (custodia-ledger `Log::redact_many`), each with a
    /// redaction record naming `reason`; their leaf hashes stay, so the tree, its signed checkpoints and
    /// every other entry's proofs still verify. Returns the redaction records appended, or `None` when
    /// nothing had expired. Cybersecurity Law 2016 Art 21(3) and the insurance intermediaries' IT rules
    /// set the floor of six months that [`LogSettings::new`] enforces; beyond the setting, PIPL Art 19
    /// (the shortest time necessary) asks that the entries go.
    pub fn redact_expired<S: LogStore>(
        log: &mut Log<S>,
        settings: &LogSettings,
        now: DateTime<Utc>,
        reason: &[u8],
    ) -> Result<Option<Appended>, AccessError> {
        let expired = Self::expired(log, settings, now)?;
        if expired.is_empty() {
            return Ok(None);
        }
        Ok(Some(log.redact_many(&expired, reason)?))
    }

    /// Who asked for this customer's data, when, why and with what outcome (the rights desk's "explain").
    pub fn of_customer<S: LogStore>(
        log: &Log<S>,
        customer: CustomerId,
    ) -> Result<Vec<LoggedAccess>, AccessError> {
        Self::scan(log, 0..log.size(), &mut |e| e.customer == customer)
    }

    /// What `principal` was allowed to read in `[from, until)` (incident response's "affected customers").
    pub fn read_by<S: LogStore>(
        log: &Log<S>,
        principal: &ActorId,
        window: Range<DateTime<Utc>>,
    ) -> Result<Vec<LoggedAccess>, AccessError> {
        Self::scan(log, 0..log.size(), &mut |e| {
            &e.principal == principal && window.contains(&e.at) && !e.permitted().is_empty()
        })
    }

    /// The entry at `index` with its inclusion proof in the tree of `size` entries.
    pub fn prove<S: LogStore>(log: &Log<S>, index: u64, size: u64) -> Result<AccessProof, AccessError> {
        let stored = log.entry(index)?;
        let entry = stored
            .payload()
            .map(|p| AccessEntry::decode(index, p))
            .transpose()?
            .flatten()
            .ok_or(AccessError::Decode { index })?;
        let proof = log.inclusion_proof(index, size)?;
        Ok(AccessProof {
            logged: LoggedAccess { index, entry },
            leaf_hash: *stored.leaf_hash(),
            proof,
        })
    }
}
