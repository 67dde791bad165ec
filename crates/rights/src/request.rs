//! A request's life: received → (awaiting evidence) → verified → answered. Each step is a method that checks
//! the state, changes nothing when it fails (a typed error names the state), and returns the pseudonymous
//! ledger entry the caller appends in the same unit of work as the stored request.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use custodia_consent::{Digest, Regime};
use custodia_model::{ActorId, CustomerId, Jurisdiction};
use custodia_retention::Holding;
use serde::{Deserialize, Serialize};

use crate::deadline::{
    Calendars, DeadlineSettings, ExtensionReason, IdentityWait, Pause, Period, ResponseDeadline,
};
use crate::error::RightsError;
use crate::ids::RequestId;
use crate::intake::{
    CheckResult, DeathArrangement, IdentityPolicy, IdentityVerification, Intake, KnownCustomer, OpenRequest,
    Requester, VerifiedParty,
};
use crate::kind::{FieldPath, KindCode, Reference, RequestKind};
use crate::ledger::{RightsEntry, Step};
use crate::package::ResponsePackage;
use crate::refusal::{ComplaintContacts, Refusal, RefusalCode};

/// The brokerage's settings for requests: deadlines, identity checks, complaint contacts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RightsSettings {
    /// Periods and the pause rule.
    pub deadlines: DeadlineSettings,
    /// How strong an identity check each kind needs.
    pub identity: IdentityPolicy,
    /// Where a refused requester may complain.
    pub contacts: ComplaintContacts,
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StateCode {
    /// Received; identity not yet verified.
    AwaitingIdentity,
    /// The brokerage asked the requester for identity evidence and waits for it.
    AwaitingEvidence,
    /// Every identity the request claims is verified: it may be fulfilled.
    Verified,
    /// Answered (fulfilled, partly fulfilled or refused): nothing more happens to it.
    Answered,
}

impl StateCode {
    /// The state's code.
    pub fn code(self) -> &'static str {
        match self {
            StateCode::AwaitingIdentity => "awaiting_identity",
            StateCode::AwaitingEvidence => "awaiting_evidence",
            StateCode::Verified => "verified",
            StateCode::Answered => "answered",
        }
    }
}

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How a deletion was carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErasureMethod {
    /// The customer's data key was destroyed, so every section sealed under it is unreadable
    /// (crypto-shredding): used when every category is to go.
    CryptoShred,
    /// The category's sections were deleted.
    DeleteCategory,
    /// The record was deleted.
    DeleteRecord,
}

/// What the brokerage did for the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Action {
    /// The response package with the customer's data went out (access, copy, portability).
    Released {
        /// Its digest.
        package: Digest,
    },
    /// The response package with an explanation went out (the rules, an automated decision).
    Explained {
        /// Its digest.
        package: Digest,
    },
    /// A new record version holds the corrected fields (PIPL Art 46; GDPR Art 16); older versions stay.
    Corrected {
        /// The new version's number.
        version: u32,
        /// The fields it corrected.
        fields: BTreeSet<FieldPath>,
    },
    /// A holding was erased (PIPL Art 47; GDPR Art 17).
    Erased {
        /// What.
        holding: Holding,
        /// How.
        method: ErasureMethod,
    },
    /// A consent event (withdrawal, objection or restriction) is on the consent ledger and its propagation
    /// to the recipients that hold the data has started (PIPL Arts 15, 44; GDPR Arts 7(3), 18, 19, 21).
    ConsentEnded {
        /// The consent ledger entry.
        consent_entry: u64,
        /// How many recipients must be told.
        recipients: u32,
    },
    /// A person reviewed the automated decision (PIPL Art 24(3); GDPR Art 22(3)).
    HumanReview {
        /// The decision.
        decision: Reference,
        /// Who reviewed it.
        reviewed_by: ActorId,
    },
}

impl Action {
    /// A release of `package`.
    pub fn released(package: &ResponsePackage) -> Self {
        Action::Released {
            package: package.digest(),
        }
    }

    /// An explanation in `package`.
    pub fn explained(package: &ResponsePackage) -> Self {
        Action::Explained {
            package: package.digest(),
        }
    }

    /// The action's code.
    pub fn code(&self) -> &'static str {
        match self {
            Action::Released { .. } => "released",
            Action::Explained { .. } => "explained",
            Action::Corrected { .. } => "corrected",
            Action::Erased { .. } => "erased",
            Action::ConsentEnded { .. } => "consent_ended",
            Action::HumanReview { .. } => "human_review",
        }
    }

    fn fits(&self, kind: &RequestKind) -> bool {
        use KindCode as K;
        match self {
            Action::Released { .. } => matches!(kind.code(), K::Access | K::Copy | K::Portability),
            Action::Explained { .. } => {
                matches!(
                    kind.code(),
                    K::ExplainRules | K::ExplainAutomatedDecision | K::RefuseAutomatedDecision
                )
            }
            Action::Corrected { fields, .. } => match kind {
                RequestKind::Correction { fields: asked } => !fields.is_empty() && fields.is_subset(asked),
                _ => false,
            },
            Action::Erased { holding, .. } => match kind {
                RequestKind::Deletion { categories } => match holding {
                    Holding::Category(c) => categories.is_empty() || categories.contains(c),
                    Holding::Record(_) => categories.is_empty(),
                },
                _ => false,
            },
            Action::ConsentEnded { .. } => {
                matches!(kind.code(), K::WithdrawConsent | K::Restrict | K::Object)
            }
            Action::HumanReview { decision, .. } => match kind {
                RequestKind::RefuseAutomatedDecision { decision: d } => d == decision,
                _ => false,
            },
        }
    }

    fn package(&self) -> Option<Digest> {
        match self {
            Action::Released { package } | Action::Explained { package } => Some(*package),
            _ => None,
        }
    }
}

/// One part of an answer: done, or refused with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AnswerPart {
    /// Done.
    Done(Action),
    /// Refused, with reason and remedies.
    Refused(Refusal),
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Everything asked was done.
    Fulfilled,
    /// Some parts were done, some refused (a deletion where floors keep some categories to storage).
    PartlyFulfilled,
    /// Nothing was done; every part was refused.
    Refused,
}

impl Outcome {
    /// The outcome's code.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Fulfilled => "fulfilled",
            Outcome::PartlyFulfilled => "partly_fulfilled",
            Outcome::Refused => "refused",
        }
    }
}

/// The answer to a request: at least one part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Answer {
    parts: Vec<AnswerPart>,
}

impl Answer {
    /// An answer of `parts`; an empty answer is refused.
    pub fn new(parts: Vec<AnswerPart>) -> Result<Self, RightsError> {
        if parts.is_empty() {
            return Err(RightsError::InvalidInput {
                field: "answer.parts",
                expected: "at least one part",
            });
        }
        Ok(Self { parts })
    }

    /// A refusal of the whole request.
    pub fn refused(refusal: Refusal) -> Self {
        Self {
            parts: vec![AnswerPart::Refused(refusal)],
        }
    }

    /// A request fulfilled by one action.
    pub fn done(action: Action) -> Self {
        Self {
            parts: vec![AnswerPart::Done(action)],
        }
    }

    /// The parts.
    pub fn parts(&self) -> &[AnswerPart] {
        &self.parts
    }

    /// The outcome the parts make.
    pub fn outcome(&self) -> Outcome {
        let done = self
            .parts
            .iter()
            .filter(|p| matches!(p, AnswerPart::Done(_)))
            .count();
        match done {
            0 => Outcome::Refused,
            n if n == self.parts.len() => Outcome::Fulfilled,
            _ => Outcome::PartlyFulfilled,
        }
    }

    /// The refusals among the parts.
    pub fn refusals(&self) -> impl Iterator<Item = &Refusal> {
        self.parts.iter().filter_map(|p| match p {
            AnswerPart::Refused(r) => Some(r),
            AnswerPart::Done(_) => None,
        })
    }

    /// The actions among the parts.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.parts.iter().filter_map(|p| match p {
            AnswerPart::Done(a) => Some(a),
            AnswerPart::Refused(_) => None,
        })
    }

    /// The answer's exact bytes as the customer receives them: compact JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain data into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads an answer's bytes back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RightsError> {
        serde_json::from_slice(bytes).map_err(|_| RightsError::InvalidInput {
            field: "answer",
            expected: "an answer's JSON",
        })
    }

    /// SHA-256 of [`Answer::to_bytes`], which the ledger and the receipt name.
    pub fn digest(&self) -> Digest {
        Digest::of(&self.to_bytes())
    }

    /// The digest of the response package the answer sent, if it sent one.
    pub fn package(&self) -> Option<Digest> {
        self.actions().find_map(Action::package)
    }
}

/// An extension of the deadline, with its reason and when the requester was told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Extension {
    /// Why.
    pub reason: ExtensionReason,
    /// When the requester was told, with the reason (GDPR Art 12(3): within the first month).
    pub notified_at: DateTime<Utc>,
    /// The period now counted from receipt.
    pub period: Period,
}

/// The answer as the request keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Answered {
    /// The answer.
    pub answer: Answer,
    /// When it was given.
    pub at: DateTime<Utc>,
    /// Whether it came at or after the deadline's close (`false` when no deadline ran).
    pub late: bool,
}

/// A customer's request: the public record the brokerage stores (ids, codes, digests, dates and actor
/// ids only — serde, so it goes into the records table as it is) and advances step by step. Read back, a
/// record is checked like a new one: a state that its checks and answer do not bear out is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RequestRecord")]
pub struct Request {
    intake: Intake,
    jurisdiction: Jurisdiction,
    regime: Regime,
    state: StateCode,
    relatives_excluded: bool,
    deadlines: DeadlineSettings,
    identity: IdentityPolicy,
    period: Period,
    verifications: Vec<IdentityVerification>,
    pauses: Vec<Pause>,
    extension: Option<Extension>,
    deadline: Option<ResponseDeadline>,
    answered: Option<Answered>,
}

/// The stored form of a [`Request`], checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestRecord {
    intake: Intake,
    jurisdiction: Jurisdiction,
    regime: Regime,
    state: StateCode,
    relatives_excluded: bool,
    deadlines: DeadlineSettings,
    identity: IdentityPolicy,
    period: Period,
    verifications: Vec<IdentityVerification>,
    pauses: Vec<Pause>,
    extension: Option<Extension>,
    deadline: Option<ResponseDeadline>,
    answered: Option<Answered>,
}

impl TryFrom<RequestRecord> for Request {
    type Error = RightsError;

    fn try_from(r: RequestRecord) -> Result<Self, Self::Error> {
        r.intake.kind.check()?;
        let request = Self {
            intake: r.intake,
            jurisdiction: r.jurisdiction,
            regime: r.regime,
            state: r.state,
            relatives_excluded: r.relatives_excluded,
            deadlines: r.deadlines,
            identity: r.identity,
            period: r.period,
            verifications: r.verifications,
            pauses: r.pauses,
            extension: r.extension,
            deadline: r.deadline,
            answered: r.answered,
        };
        let consistent = match request.state {
            StateCode::Answered => request.answered.is_some(),
            StateCode::Verified => request.answered.is_none() && request.missing_party().is_none(),
            _ => request.answered.is_none() && request.missing_party().is_some(),
        };
        if !consistent {
            return Err(RightsError::InvalidInput {
                field: "request.state",
                expected: "a state its identity checks and answer bear out",
            });
        }
        Ok(request)
    }
}

/// A request whose identities are all verified: the only thing a response package can be built from, so
/// that no package is ever released without a verified identity entry.
#[derive(Clone, Copy, Debug)]
pub struct VerifiedRequest<'a> {
    request: &'a Request,
}

impl<'a> VerifiedRequest<'a> {
    /// The request.
    pub fn request(&self) -> &'a Request {
        self.request
    }
}

/// An overdue request, for the list of what is late.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Overdue {
    /// The request.
    pub request: RequestId,
    /// Its customer.
    pub customer: CustomerId,
    /// Its kind.
    pub kind: KindCode,
    /// Its state.
    pub state: StateCode,
    /// When its deadline closed.
    pub closed_at: DateTime<Utc>,
}

impl Request {
    /// Receives a request: checks the customer is known and the request is open to the requester under
    /// the customer's regime, refuses a duplicate of an open request (the requester is pointed to it, and
    /// the new one cannot inherit its identity check), and computes the deadline. Returns the request and
    /// its first ledger entry.
    pub fn receive(
        intake: Intake,
        customer: Option<&KnownCustomer>,
        open: &[OpenRequest],
        settings: &RightsSettings,
        calendars: &Calendars,
    ) -> Result<(Self, RightsEntry), RightsError> {
        let unknown = RightsError::UnknownCustomer {
            customer: intake.customer,
        };
        let customer = customer.ok_or(unknown)?;
        if customer.customer != intake.customer {
            return Err(RightsError::UnknownCustomer {
                customer: intake.customer,
            });
        }
        intake.kind.check()?;
        let kind = intake.kind.code();
        let regime = if customer.jurisdiction.is_eea_member() {
            Regime::Gdpr
        } else {
            Regime::Pipl
        };
        if let Requester::CloseRelative { .. } = intake.requester {
            if regime == Regime::Gdpr {
                return Err(RightsError::NotAvailable {
                    what: "a close relative's request",
                    regime,
                });
            }
            if customer.deceased_on.is_none() {
                return Err(RightsError::InvalidInput {
                    field: "requester",
                    expected: "a close relative only of a deceased customer (PIPL Art 49)",
                });
            }
            if !kind.open_to_close_relatives() {
                return Err(RightsError::NotAvailable {
                    what: "this kind for a close relative (PIPL Art 49)",
                    regime,
                });
            }
        }
        if let Some(dup) = open
            .iter()
            .find(|o| o.customer == intake.customer && o.kind == kind)
        {
            return Err(RightsError::Duplicate { open: dup.id, kind });
        }
        let period = match regime {
            Regime::Gdpr => settings.deadlines.gdpr,
            _ => settings.deadlines.pipl,
        };
        let deadline = calendars.deadline(regime, intake.received_at, period, &[])?;
        let request = Self {
            jurisdiction: customer.jurisdiction,
            regime,
            state: StateCode::AwaitingIdentity,
            relatives_excluded: customer.arrangement == DeathArrangement::RelativesExcluded,
            deadlines: settings.deadlines,
            identity: settings.identity,
            period,
            verifications: Vec::new(),
            pauses: Vec::new(),
            extension: None,
            deadline,
            answered: None,
            intake,
        };
        let entry = request.entry(
            request.intake.received_at,
            Step::Received {
                kind,
                regime: request.regime,
                channel: request.intake.channel,
                requester: request.intake.requester.code().to_owned(),
                recorded_by: request.intake.recorded_by.clone(),
                closes_at: request.deadline.as_ref().map(|d| d.closes_at),
            },
        );
        Ok((request, entry))
    }

    fn entry(&self, at: DateTime<Utc>, step: Step) -> RightsEntry {
        RightsEntry::new(self.intake.id, self.intake.customer, at, step)
    }

    fn out_of_order(&self, step: &'static str) -> RightsError {
        RightsError::OutOfOrder {
            request: self.intake.id,
            state: self.state,
            step,
        }
    }

    /// The request's id.
    pub fn id(&self) -> RequestId {
        self.intake.id
    }

    /// The customer it concerns.
    pub fn customer(&self) -> CustomerId {
        self.intake.customer
    }

    /// The intake as received.
    pub fn intake(&self) -> &Intake {
        &self.intake
    }

    /// What is asked.
    pub fn kind(&self) -> &RequestKind {
        &self.intake.kind
    }

    /// Where the customer lives, as the brokerage knew it at intake.
    pub fn jurisdiction(&self) -> Jurisdiction {
        self.jurisdiction
    }

    /// The regime it is answered under.
    pub fn regime(&self) -> Regime {
        self.regime
    }

    /// Where it stands.
    pub fn state(&self) -> StateCode {
        self.state
    }

    /// The identity checks recorded, failed ones included.
    pub fn verifications(&self) -> &[IdentityVerification] {
        &self.verifications
    }

    /// The current deadline; `None` while the clock is stopped.
    pub fn deadline(&self) -> Option<&ResponseDeadline> {
        self.deadline.as_ref()
    }

    /// The extension, if one was made.
    pub fn extension(&self) -> Option<&Extension> {
        self.extension.as_ref()
    }

    /// The answer, once given.
    pub fn answered(&self) -> Option<&Answered> {
        self.answered.as_ref()
    }

    /// Whether an open request's deadline has closed by `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state != StateCode::Answered && self.deadline.as_ref().is_some_and(|d| d.is_late(now))
    }

    /// The request as an open request, for the duplicate check of later intakes; `None` once answered.
    pub fn as_open(&self) -> Option<OpenRequest> {
        (self.state != StateCode::Answered)
            .then(|| OpenRequest::new(self.id(), self.customer(), self.intake.kind.code()))
    }

    fn parties_needed(&self) -> &'static [VerifiedParty] {
        if self.intake.requester.acts_for_another() {
            &[VerifiedParty::Requester, VerifiedParty::Authority]
        } else {
            &[VerifiedParty::Requester]
        }
    }

    fn missing_party(&self) -> Option<VerifiedParty> {
        self.parties_needed().iter().copied().find(|party| {
            !self
                .verifications
                .iter()
                .any(|v| v.party == *party && v.result == CheckResult::Verified)
        })
    }

    /// The request as verified, if every identity it claims is verified (and it is not yet answered).
    pub fn verified(&self) -> Result<VerifiedRequest<'_>, RightsError> {
        match (self.state, self.missing_party()) {
            (StateCode::Verified, None) => Ok(VerifiedRequest { request: self }),
            (StateCode::Answered, _) => Err(self.out_of_order("build a response")),
            (_, missing) => Err(RightsError::IdentityNotVerified {
                request: self.id(),
                missing: match missing {
                    Some(VerifiedParty::Authority) => "the authority to act for the customer",
                    _ => "the requester",
                },
            }),
        }
    }

    /// Records that the brokerage asked the requester for identity evidence at `at`. Under
    /// [`IdentityWait::Paused`] the clock stops until the evidence arrives.
    pub fn ask_for_evidence(
        &mut self,
        at: DateTime<Utc>,
        calendars: &Calendars,
    ) -> Result<RightsEntry, RightsError> {
        if self.state != StateCode::AwaitingIdentity {
            return Err(self.out_of_order("ask for identity evidence"));
        }
        let paused = self.deadlines.identity_wait == IdentityWait::Paused;
        if paused {
            let from = calendars.local_date(self.regime, at)?;
            self.pauses.push(Pause { from, to: None });
            self.deadline = None;
        }
        self.state = StateCode::AwaitingEvidence;
        Ok(self.entry(at, Step::EvidenceRequested { clock_paused: paused }))
    }

    /// Records an identity check. It must have been made for this request (at or after its receipt: a
    /// check is never carried over from another request, a duplicate included), and a successful one must
    /// meet the identity policy for the kind and party. A request for another person is verified only once
    /// the requester and the authority are each verified on their own.
    pub fn record_identity(
        &mut self,
        check: IdentityVerification,
        calendars: &Calendars,
    ) -> Result<RightsEntry, RightsError> {
        if !matches!(
            self.state,
            StateCode::AwaitingIdentity | StateCode::AwaitingEvidence
        ) {
            return Err(self.out_of_order("record an identity check"));
        }
        if check.verified_at < self.intake.received_at {
            return Err(RightsError::InvalidInput {
                field: "identity.verified_at",
                expected: "a check made for this request, at or after its receipt",
            });
        }
        if !self.parties_needed().contains(&check.party) {
            return Err(RightsError::InvalidInput {
                field: "identity.party",
                expected: "an authority only for a request made on another's behalf",
            });
        }
        let kind = self.intake.kind.code();
        if check.result == CheckResult::Verified
            && check.method.assurance() < self.identity.required(kind, check.party)
        {
            return Err(RightsError::IdentityTooWeak {
                request: self.id(),
                method: check.method.code(),
                kind,
            });
        }
        // Compute everything that can fail before changing anything.
        let mut pauses = self.pauses.clone();
        let mut deadline = self.deadline.clone();
        if let Some(open) = pauses.iter_mut().find(|p| p.to.is_none()) {
            open.to = Some(
                calendars
                    .local_date(self.regime, check.verified_at)?
                    .max(open.from),
            );
            deadline = calendars.deadline(self.regime, self.intake.received_at, self.period, &pauses)?;
        }
        let entry = self.entry(
            check.verified_at,
            Step::IdentityChecked {
                party: check.party,
                method: check.method,
                evidence: check.evidence,
                verified_by: check.verified_by.clone(),
                result: check.result,
            },
        );
        self.pauses = pauses;
        self.deadline = deadline;
        self.verifications.push(check);
        self.state = if self.missing_party().is_none() {
            StateCode::Verified
        } else {
            StateCode::AwaitingIdentity
        };
        Ok(entry)
    }

    /// Extends the deadline once, for `reason`, the requester told at `notified_at`: before the deadline
    /// closes (GDPR Art 12(3): within the first month), never while the clock is stopped. Under the PIPL the
    /// period becomes the complex-case period from receipt (never shorter than the one it extends); under
    /// the GDPR the month gains the extension's months.
    pub fn extend(
        &mut self,
        reason: ExtensionReason,
        notified_at: DateTime<Utc>,
        calendars: &Calendars,
    ) -> Result<RightsEntry, RightsError> {
        if self.state == StateCode::Answered {
            return Err(self.out_of_order("extend the deadline"));
        }
        let refused = |why| RightsError::ExtensionRefused {
            request: self.intake.id,
            why,
        };
        if self.extension.is_some() {
            return Err(refused("already extended once"));
        }
        let Some(current) = self.deadline.clone() else {
            return Err(refused("the clock is stopped while identity evidence is awaited"));
        };
        if current.is_late(notified_at) {
            return Err(refused("the deadline has closed"));
        }
        let period = match (self.regime, self.period, self.deadlines.gdpr_extension) {
            (Regime::Gdpr, Period::Months(a), Period::Months(b)) => Period::Months(a.saturating_add(b)),
            (Regime::Gdpr, _, _) => return Err(refused("the GDPR periods must be counted in months")),
            _ => self.deadlines.pipl_extended,
        };
        let Some(extended) =
            calendars.deadline(self.regime, self.intake.received_at, period, &self.pauses)?
        else {
            return Err(refused("the clock is stopped while identity evidence is awaited"));
        };
        let (period, deadline) = if extended.closes_at < current.closes_at {
            (self.period, current)
        } else {
            (period, extended)
        };
        let entry = self.entry(
            notified_at,
            Step::Extended {
                reason,
                closes_at: deadline.closes_at,
            },
        );
        self.extension = Some(Extension {
            reason,
            notified_at,
            period,
        });
        self.period = period;
        self.deadline = Some(deadline);
        Ok(entry)
    }

    /// Answers the request at `at`. Anything done needs every identity verified; before that only a
    /// refusal about identity may be given. Every part must fit the kind (a refusal's code its kind and
    /// regime, an erasure the categories asked for, a correction the fields asked for), a deceased
    /// customer's exclusion of relatives is refused as such, and at most one response package is named.
    pub fn answer(&mut self, answer: Answer, at: DateTime<Utc>) -> Result<RightsEntry, RightsError> {
        if self.state == StateCode::Answered {
            return Err(self.out_of_order("answer"));
        }
        if at < self.intake.received_at {
            return Err(RightsError::InvalidInput {
                field: "answer.at",
                expected: "a time at or after the request was received",
            });
        }
        let mismatch = |what| RightsError::AnswerMismatch {
            request: self.intake.id,
            what,
        };
        let kind = self.intake.kind.code();
        let verified = self.missing_party().is_none();
        for part in answer.parts() {
            match part {
                AnswerPart::Done(action) => {
                    if !verified {
                        self.verified()?;
                    }
                    if !action.fits(&self.intake.kind) {
                        return Err(mismatch("an action of another kind or scope"));
                    }
                }
                AnswerPart::Refused(refusal) => {
                    if refusal.code().regime() != self.regime || !refusal.code().applies_to(kind) {
                        return Err(RightsError::RefusalNotApplicable {
                            code: refusal.code().code(),
                            kind,
                            regime: self.regime,
                        });
                    }
                    if !verified && !refusal.code().is_about_identity() {
                        self.verified()?;
                    }
                }
            }
        }
        let excluded =
            matches!(self.intake.requester, Requester::CloseRelative { .. }) && self.relatives_excluded;
        if excluded
            && (answer.outcome() != Outcome::Refused
                || !answer.refusals().any(|r| {
                    *r.code() == RefusalCode::DeceasedArrangedOtherwise || r.code().is_about_identity()
                }))
        {
            return Err(mismatch(
                "the deceased excluded relatives: the answer is that refusal (PIPL Art 49)",
            ));
        }
        if answer.actions().filter_map(Action::package).count() > 1 {
            return Err(mismatch("more than one response package"));
        }
        let late = self.deadline.as_ref().is_some_and(|d| d.is_late(at));
        let entry = self.entry(
            at,
            Step::Answered {
                outcome: answer.outcome(),
                answer: answer.digest(),
                actions: answer.actions().map(|a| a.code().to_owned()).collect(),
                refusals: answer.refusals().map(|r| r.code().code().to_owned()).collect(),
                package: answer.package(),
                late,
            },
        );
        self.answered = Some(Answered { answer, at, late });
        self.state = StateCode::Answered;
        Ok(entry)
    }
}

/// The open requests among `requests` whose deadline has closed by `now`, earliest first.
pub fn overdue<'a>(requests: impl IntoIterator<Item = &'a Request>, now: DateTime<Utc>) -> Vec<Overdue> {
    let mut out: Vec<Overdue> = requests
        .into_iter()
        .filter(|r| r.is_overdue(now))
        .filter_map(|r| {
            r.deadline().map(|d| Overdue {
                request: r.id(),
                customer: r.customer(),
                kind: r.kind().code(),
                state: r.state(),
                closed_at: d.closes_at,
            })
        })
        .collect();
    out.sort_by_key(|o| (o.closed_at, o.request));
    out
}
