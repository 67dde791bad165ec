//! The incident register: what happened, how big it is by the CAC 2025 levels, which reports are due when,
//! what was done, and a timeline of every step.
//!
//! Sources. PIPL Art 57 (act at once; notify the authority and the individuals; the content of a notice;
//! individuals may be left out when the measures effectively avoid harm), NDSR Art 11 (start the plan,
//! tell affected parties promptly), GDPR Arts 33 (72 hours to the supervisory authority) and 34 (notice to
//! individuals; 34(3)(a): not needed where encryption made the data unintelligible). The CAC
//! 国家网络安全事件报告管理办法 (in force 2025-11-01) sets the levels for personal-information leaks and the
//! reporting clocks; its text is **not** in `shared/regulations/` — the figures here are those the folder's
//! README records ("Operations rules"), and every one of them is a setting ([`LevelThresholds`],
//! [`ReportingSettings`]), never a constant in the logic.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use custodia_model::{ActorId, CategorySet};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::OversightError;

/// The CAC 2025 incident-reporting measures, cited whole: their text is not in the project's folder.
pub const CAC_INCIDENT_2025: &str = "CAC 国家网络安全事件报告管理办法 (2025-11-01)";

/// An incident's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(Uuid);

impl IncidentId {
    /// A new time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// The id of these bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    /// The id's bytes (record keys).
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inc-{}", self.0)
    }
}

/// What happened to the data (PIPL Art 57: 泄露、篡改、丢失; the CAC measures add loss of availability).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IncidentKind {
    /// 泄露: the data reached someone it should not have.
    Leak,
    /// 篡改: the data was altered.
    Tampering,
    /// 丢失: the data was lost.
    Loss,
    /// The systems or data were unavailable (a network-security incident; not a PIPL 57 event by itself).
    Unavailability,
}

impl IncidentKind {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            IncidentKind::Leak => "leak",
            IncidentKind::Tampering => "tampering",
            IncidentKind::Loss => "loss",
            IncidentKind::Unavailability => "unavailability",
        }
    }

    /// Whether PIPL Art 57 (and GDPR Arts 33, 34) apply: leak, tampering, loss of personal information.
    pub fn is_personal_information_incident(self) -> bool {
        !matches!(self, IncidentKind::Unavailability)
    }
}

/// The CAC 2025 levels (一般, 较大, 重大, 特别重大), in increasing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 一般: below every threshold.
    General,
    /// 较大 (relatively major).
    Larger,
    /// 重大 (major).
    Major,
    /// 特别重大 (especially major).
    EspeciallyMajor,
}

impl Level {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Level::General => "general",
            Level::Larger => "larger",
            Level::Major => "major",
            Level::EspeciallyMajor => "especially_major",
        }
    }

    /// The level's Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Level::General => "一般",
            Level::Larger => "较大",
            Level::Major => "重大",
            Level::EspeciallyMajor => "特别重大",
        }
    }

    /// Whether the CAC measures require a report to the cyberspace office: from 较大 up.
    pub fn is_reportable(self) -> bool {
        self >= Level::Larger
    }
}

/// The people counts at which a personal-information leak reaches each level (CAC 2025; the README of
/// `shared/regulations/`): 1,000,000 → 较大, 10,000,000 → 重大, 100,000,000 → 特别重大, each "or more".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelThresholds {
    /// People at or above which the leak is 较大.
    pub larger: u64,
    /// People at or above which it is 重大.
    pub major: u64,
    /// People at or above which it is 特别重大.
    pub especially_major: u64,
}

impl Default for LevelThresholds {
    fn default() -> Self {
        Self {
            larger: 1_000_000,
            major: 10_000_000,
            especially_major: 100_000_000,
        }
    }
}

impl LevelThresholds {
    /// Refuses thresholds that are zero or not strictly increasing.
    pub fn validate(&self) -> Result<(), OversightError> {
        if self.larger == 0 {
            return Err(OversightError::Invalid {
                field: "thresholds.larger",
                reason: "must be at least one person",
            });
        }
        if self.major <= self.larger {
            return Err(OversightError::Invalid {
                field: "thresholds.major",
                reason: "must be above thresholds.larger",
            });
        }
        if self.especially_major <= self.major {
            return Err(OversightError::Invalid {
                field: "thresholds.especially_major",
                reason: "must be above thresholds.major",
            });
        }
        Ok(())
    }

    /// The level of a leak of `people` people's personal information ("or more" at each threshold).
    pub fn classify(&self, people: u64) -> Level {
        if people >= self.especially_major {
            Level::EspeciallyMajor
        } else if people >= self.major {
            Level::Major
        } else if people >= self.larger {
            Level::Larger
        } else {
            Level::General
        }
    }
}

/// Who the brokerage is, for the CAC clock: the first report is due 1, 2 or 4 hours after discovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorType {
    /// A critical-information-infrastructure operator (关键信息基础设施运营者).
    CriticalInfrastructure,
    /// A central state organ (中央和国家机关).
    CentralStateOrgan,
    /// Every other network operator — an insurance broker, normally.
    Other,
}

/// The reporting clocks, as settings (defaults: the CAC 2025 figures, GDPR Art 33).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportingSettings {
    /// What kind of operator the brokerage is.
    pub operator: OperatorType,
    /// Hours to the first report for a critical-information-infrastructure operator (CAC: 1).
    pub cii_hours: u32,
    /// Hours for a central state organ (CAC: 2).
    pub central_organ_hours: u32,
    /// Hours for every other operator (CAC: 4), to the provincial cyberspace office.
    pub other_hours: u32,
    /// Days after handling ends within which the summary report is due (CAC: 30).
    pub summary_days: u32,
    /// Hours to the supervisory authority after becoming aware, for EU customers (GDPR Art 33(1): 72).
    pub gdpr_authority_hours: u32,
    /// The level thresholds.
    pub thresholds: LevelThresholds,
}

impl Default for ReportingSettings {
    fn default() -> Self {
        Self {
            operator: OperatorType::Other,
            cii_hours: 1,
            central_organ_hours: 2,
            other_hours: 4,
            summary_days: 30,
            gdpr_authority_hours: 72,
            thresholds: LevelThresholds::default(),
        }
    }
}

impl ReportingSettings {
    /// Refuses a zero clock and bad thresholds.
    pub fn validate(&self) -> Result<(), OversightError> {
        for (field, value) in [
            ("reporting.cii_hours", self.cii_hours),
            ("reporting.central_organ_hours", self.central_organ_hours),
            ("reporting.other_hours", self.other_hours),
            ("reporting.summary_days", self.summary_days),
            ("reporting.gdpr_authority_hours", self.gdpr_authority_hours),
        ] {
            if value == 0 {
                return Err(OversightError::Invalid {
                    field,
                    reason: "a clock of zero cannot be met",
                });
            }
        }
        self.thresholds.validate()
    }

    /// Hours to the first CAC report for this operator.
    pub fn first_report_hours(&self) -> u32 {
        match self.operator {
            OperatorType::CriticalInfrastructure => self.cii_hours,
            OperatorType::CentralStateOrgan => self.central_organ_hours,
            OperatorType::Other => self.other_hours,
        }
    }
}

/// The cause as known, as a code (the free-text detail stays in the register, never on the ledger).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cause {
    /// Not yet known.
    Unknown,
    /// A principal's credentials or signing key were compromised.
    CredentialCompromise,
    /// Key material (a KEK version) was exposed.
    KeyExposure,
    /// Data sent to the wrong recipient.
    Misdelivery,
    /// An insider's misuse.
    Insider,
    /// Malicious software or an intrusion.
    Intrusion,
    /// A system failure.
    SystemFailure,
}

impl Cause {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Cause::Unknown => "unknown",
            Cause::CredentialCompromise => "credential_compromise",
            Cause::KeyExposure => "key_exposure",
            Cause::Misdelivery => "misdelivery",
            Cause::Insider => "insider",
            Cause::Intrusion => "intrusion",
            Cause::SystemFailure => "system_failure",
        }
    }
}

/// A system's code (`vault-db`, `crm.web`): ASCII lower-case letters, digits, `.`, `-`, `_`, 1 to 64 long.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SystemCode(String);

impl SystemCode {
    /// Checks the code.
    pub fn new(code: &str) -> Result<Self, OversightError> {
        let ok = !code.is_empty()
            && code.len() <= 64
            && code
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_'));
        if ok {
            Ok(Self(code.to_owned()))
        } else {
            Err(OversightError::Invalid {
                field: "system",
                reason: "expected 1 to 64 of a-z, 0-9, '.', '-', '_'",
            })
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SystemCode {
    type Error = OversightError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<SystemCode> for String {
    fn from(s: SystemCode) -> Self {
        s.0
    }
}

/// What the register takes when an incident is discovered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewIncident {
    /// When the brokerage became aware (the clocks start here).
    pub discovered_at: DateTime<Utc>,
    /// What happened.
    pub kind: IncidentKind,
    /// The systems involved (at least one).
    pub systems: Vec<SystemCode>,
    /// The categories involved (at least one).
    pub categories: CategorySet,
    /// The cause as known.
    pub cause: Cause,
    /// A level the responder assessed on other criteria than people counted (an outage's length), if any;
    /// the incident's level is the higher of it and the counted one.
    pub stated_level: Option<Level>,
    /// Who registers it.
    pub by: ActorId,
}

/// What the remedies were (PIPL Art 57(2): 采取的补救措施).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "remedy")]
#[non_exhaustive]
pub enum Remedy {
    /// The KEK was rotated and every data key re-wrapped; the versions before `to` retired or kept.
    KekRotated {
        /// The version exposed (the primary before).
        from: u32,
        /// The new primary.
        to: u32,
        /// Data keys re-wrapped.
        rewrapped: u64,
        /// Whether the old versions stopped unwrapping.
        retired: bool,
    },
    /// A principal's access was revoked.
    PrincipalRevoked {
        /// Who.
        principal: ActorId,
    },
    /// Customers must verify their identity again before their next request is answered.
    ReverificationForced {
        /// How many customers.
        customers: u64,
    },
}

/// How many people are affected, and why (filled from [`crate::Affected`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedCount {
    /// Distinct customers affected.
    pub people: u64,
    /// Of them, customers resident in the EU (GDPR Arts 33, 34 apply).
    pub eu_people: u64,
    /// Of them, customers whose sections an exposed principal read in clear.
    pub read_in_clear: u64,
    /// Of them, customers whose data keys were wrapped under an exposed KEK version.
    pub under_exposed_kek: u64,
    /// Of them, customers on a stated list (their data left in clear).
    pub stated: u64,
    /// Of them, customers whose data left only sealed under keys that were not exposed.
    pub sealed_only: u64,
    /// Customers examined and found not affected (listed with their reasons in the affected set).
    pub unaffected: u64,
}

/// A reporting or notice duty of an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// CAC 2025: the first report to the provincial cyberspace office (1, 2 or 4 hours), from 较大 up.
    CacFirstReport,
    /// CAC 2025: the items not in the first report, "sent later" (no figure: open until sent).
    CacRemainingItems,
    /// CAC 2025: the summary report within 30 days after handling ends.
    CacSummary,
    /// PIPL Art 57: the notice to the department performing PI protection duties — never skipped. The
    /// law sets no hours: for a reportable level it falls due with the CAC first report, else it is open
    /// (立即) until sent.
    Pipl57Authority,
    /// GDPR Art 33: the supervisory authority within 72 hours, when EU customers are affected.
    GdprAuthority,
    /// PIPL Art 57 and GDPR Art 34: the individuals, unless a recorded decision says the measures
    /// effectively avoided harm.
    Individuals,
}

impl Duty {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Duty::CacFirstReport => "cac_first_report",
            Duty::CacRemainingItems => "cac_remaining_items",
            Duty::CacSummary => "cac_summary",
            Duty::Pipl57Authority => "pipl57_authority",
            Duty::GdprAuthority => "gdpr_authority",
            Duty::Individuals => "individuals",
        }
    }

    /// Where the duty comes from.
    pub fn source(self) -> &'static str {
        match self {
            Duty::CacFirstReport | Duty::CacRemainingItems | Duty::CacSummary => CAC_INCIDENT_2025,
            Duty::Pipl57Authority => "PIPL Art 57",
            Duty::GdprAuthority => "GDPR Art 33",
            Duty::Individuals => "PIPL Art 57; GDPR Art 34",
        }
    }
}

/// A report or notice sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSent {
    /// Which duty it meets.
    pub duty: Duty,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// The authority's or the brokerage's reference for it (a code, not free text).
    pub reference: String,
}

/// Why individuals were not notified (PIPL Art 57 second paragraph; GDPR Art 34(3)(a)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoNoticeReason {
    /// The data that left was sealed under keys that were not exposed: unintelligible to whoever has it.
    SealedUnderUnexposedKeys,
    /// The data was crypto-shredded before the exposure.
    ShreddedBeforeExposure,
}

/// The decision about notifying individuals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum IndividualsDecision {
    /// They were notified.
    Notified {
        /// When the notices went out.
        at: DateTime<Utc>,
        /// How many people were notified.
        people: u64,
    },
    /// They were not: the measures effectively avoid harm. The authority may still require notice.
    NotNotified {
        /// Why.
        reason: NoNoticeReason,
        /// Who decided.
        by: ActorId,
        /// When.
        at: DateTime<Utc>,
    },
}

/// One step of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineStep {
    /// When.
    pub at: DateTime<Utc>,
    /// What (a code: `registered`, `affected_derived`, `remedy`, `report_sent`, `individuals`, `handled`).
    pub step: String,
    /// Who.
    pub by: ActorId,
}

/// One incident in the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// The id.
    pub id: IncidentId,
    /// When the brokerage became aware.
    pub discovered_at: DateTime<Utc>,
    /// What happened.
    pub kind: IncidentKind,
    /// The systems involved.
    pub systems: Vec<SystemCode>,
    /// The categories involved.
    pub categories: CategorySet,
    /// The cause as known (updated as it becomes known).
    pub cause: Cause,
    /// A level assessed on other criteria, if any.
    pub stated_level: Option<Level>,
    /// Who is affected, once derived.
    pub affected: Option<AffectedCount>,
    /// What was done.
    pub remedies: Vec<(DateTime<Utc>, Remedy)>,
    /// Reports and notices sent.
    pub reports: Vec<ReportSent>,
    /// The decision about individuals.
    pub individuals: Option<IndividualsDecision>,
    /// When handling ended (the summary clock starts).
    pub handled_at: Option<DateTime<Utc>>,
    /// Every step, in order.
    pub timeline: Vec<TimelineStep>,
}

/// A duty's clock at a moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    /// The duty.
    pub duty: Duty,
    /// When it falls due; `None` when the source sets no figure (立即, "without undue delay") or its start
    /// (the end of handling) has not come.
    pub due: Option<DateTime<Utc>>,
    /// When it was met (the first report sent for it, or the decision not to notify).
    pub met: Option<DateTime<Utc>>,
    /// Whether it is past due and not met, at the moment asked.
    pub overdue: bool,
    /// Whether it was met after it fell due.
    pub late: bool,
    /// Where it comes from.
    pub source: String,
}

impl Incident {
    /// Registers an incident; refused without a system or a category.
    pub fn register(id: IncidentId, new: NewIncident) -> Result<Self, OversightError> {
        if new.systems.is_empty() {
            return Err(OversightError::Invalid {
                field: "incident.systems",
                reason: "name at least one system",
            });
        }
        if new.categories.is_empty() {
            return Err(OversightError::Invalid {
                field: "incident.categories",
                reason: "name at least one category",
            });
        }
        Ok(Self {
            id,
            discovered_at: new.discovered_at,
            kind: new.kind,
            systems: new.systems,
            categories: new.categories,
            cause: new.cause,
            stated_level: new.stated_level,
            affected: None,
            remedies: Vec::new(),
            reports: Vec::new(),
            individuals: None,
            handled_at: None,
            timeline: vec![TimelineStep {
                at: new.discovered_at,
                step: "registered".into(),
                by: new.by,
            }],
        })
    }

    fn before_discovery(&self, at: DateTime<Utc>) -> Result<(), OversightError> {
        if at < self.discovered_at {
            return Err(OversightError::Step {
                incident: self.id,
                problem: "a step cannot come before the discovery",
            });
        }
        Ok(())
    }

    /// The level: the higher of the counted one (personal-information incidents, by people affected; a
    /// count not yet derived counts as none) and the stated one.
    pub fn level(&self, thresholds: &LevelThresholds) -> Level {
        let counted = match (self.kind.is_personal_information_incident(), self.affected) {
            (true, Some(a)) => thresholds.classify(a.people),
            _ => Level::General,
        };
        self.stated_level.map_or(counted, |s| s.max(counted))
    }

    /// Records who is affected (derived again replaces the count; the timeline keeps both steps).
    pub fn set_affected(
        &mut self,
        count: AffectedCount,
        at: DateTime<Utc>,
        by: ActorId,
    ) -> Result<(), OversightError> {
        self.before_discovery(at)?;
        self.affected = Some(count);
        self.step(at, "affected_derived", by);
        Ok(())
    }

    /// Records a new cause as it becomes known.
    pub fn set_cause(&mut self, cause: Cause, at: DateTime<Utc>, by: ActorId) -> Result<(), OversightError> {
        self.before_discovery(at)?;
        self.cause = cause;
        self.step(at, "cause", by);
        Ok(())
    }

    /// Records a remedy carried out.
    pub fn add_remedy(
        &mut self,
        remedy: Remedy,
        at: DateTime<Utc>,
        by: ActorId,
    ) -> Result<(), OversightError> {
        self.before_discovery(at)?;
        self.remedies.push((at, remedy));
        self.step(at, "remedy", by);
        Ok(())
    }

    /// Records a report sent; the reference is a code (1 to 64 of `A-Za-z0-9.-_/`).
    pub fn record_report(&mut self, report: ReportSent, by: ActorId) -> Result<(), OversightError> {
        self.before_discovery(report.at)?;
        let ok = !report.reference.is_empty()
            && report.reference.len() <= 64
            && report
                .reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/'));
        if !ok {
            return Err(OversightError::Invalid {
                field: "report.reference",
                reason: "expected 1 to 64 of A-Z, a-z, 0-9, '.', '-', '_', '/'",
            });
        }
        if report.duty == Duty::Individuals {
            return Err(OversightError::Step {
                incident: self.id,
                problem: "notices to individuals are recorded as the individuals decision",
            });
        }
        if report.duty == Duty::CacSummary && self.handled_at.is_none() {
            return Err(OversightError::Step {
                incident: self.id,
                problem: "the summary report comes after handling ends",
            });
        }
        let at = report.at;
        self.reports.push(report);
        self.step(at, "report_sent", by);
        Ok(())
    }

    /// Records the decision about individuals. A decision not to notify (PIPL Art 57 second paragraph) is
    /// refused unless the affected set is derived and no affected person's data was read in clear or
    /// left under an exposed key or in clear on a stated list — every affected person's data left sealed
    /// under keys that were not exposed, the case where the facts show the measures avoided harm — and it
    /// never touches the authority's duties.
    pub fn decide_individuals(
        &mut self,
        decision: IndividualsDecision,
        by: ActorId,
    ) -> Result<(), OversightError> {
        let at = match &decision {
            IndividualsDecision::Notified { at, .. } | IndividualsDecision::NotNotified { at, .. } => *at,
        };
        self.before_discovery(at)?;
        if let IndividualsDecision::NotNotified { .. } = decision {
            let Some(affected) = self.affected else {
                return Err(OversightError::Pipl57 {
                    incident: self.id,
                    problem: "derive the affected customers before deciding not to notify them",
                });
            };
            if affected.read_in_clear > 0 || affected.under_exposed_kek > 0 || affected.stated > 0 {
                return Err(OversightError::Pipl57 {
                    incident: self.id,
                    problem: "some affected people's data was readable: the measures did not avoid harm",
                });
            }
        }
        self.individuals = Some(decision);
        self.step(at, "individuals", by);
        Ok(())
    }

    /// Records that handling ended (the summary clock starts).
    pub fn handled(&mut self, at: DateTime<Utc>, by: ActorId) -> Result<(), OversightError> {
        self.before_discovery(at)?;
        if self.handled_at.is_some() {
            return Err(OversightError::Step {
                incident: self.id,
                problem: "handling already ended",
            });
        }
        self.handled_at = Some(at);
        self.step(at, "handled", by);
        Ok(())
    }

    fn step(&mut self, at: DateTime<Utc>, step: &str, by: ActorId) {
        self.timeline.push(TimelineStep {
            at,
            step: step.into(),
            by,
        });
    }

    fn first_sent(&self, duty: Duty) -> Option<DateTime<Utc>> {
        self.reports.iter().filter(|r| r.duty == duty).map(|r| r.at).min()
    }

    /// Every duty of the incident with its clock at `now`.
    pub fn clocks(&self, settings: &ReportingSettings, now: DateTime<Utc>) -> Vec<ClockState> {
        let level = self.level(&settings.thresholds);
        let first_due = self.discovered_at + Duration::hours(i64::from(settings.first_report_hours()));
        let mut duties: Vec<(Duty, Option<DateTime<Utc>>)> = Vec::new();
        if level.is_reportable() {
            duties.push((Duty::CacFirstReport, Some(first_due)));
            duties.push((Duty::CacRemainingItems, None));
            let summary = self
                .handled_at
                .map(|h| h + Duration::days(i64::from(settings.summary_days)));
            duties.push((Duty::CacSummary, summary));
        }
        if self.kind.is_personal_information_incident() {
            duties.push((Duty::Pipl57Authority, level.is_reportable().then_some(first_due)));
            if self.affected.is_some_and(|a| a.eu_people > 0) {
                let due = self.discovered_at + Duration::hours(i64::from(settings.gdpr_authority_hours));
                duties.push((Duty::GdprAuthority, Some(due)));
            }
            if self.affected.is_none_or(|a| a.people > 0) {
                duties.push((Duty::Individuals, None));
            }
        }
        duties
            .into_iter()
            .map(|(duty, due)| {
                let met = match duty {
                    Duty::Individuals => self.individuals.as_ref().map(|d| match d {
                        IndividualsDecision::Notified { at, .. }
                        | IndividualsDecision::NotNotified { at, .. } => *at,
                    }),
                    other => self.first_sent(other),
                };
                ClockState {
                    duty,
                    due,
                    met,
                    overdue: met.is_none() && due.is_some_and(|d| now > d),
                    late: matches!((met, due), (Some(m), Some(d)) if m > d),
                    source: duty.source().to_owned(),
                }
            })
            .collect()
    }
}
