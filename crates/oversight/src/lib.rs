//! # custodia-oversight
//!
//! The oversight rules of a brokerage's personal information, as data and pure functions (no I/O; the
//! brokerage layer stores, ledgers and executes them — `custodia_brokerage`'s `oversight` module):
//!
//! - [`incident`]: the register — discovery, kind, systems, categories, cause, remedies, a timeline of
//!   every step — with the CAC 2025 levels for personal-information leaks ([`LevelThresholds`]) and the
//!   reporting clocks by operator type ([`ReportingSettings`]), GDPR Art 33's 72 hours, the notice to
//!   individuals (PIPL Art 57, GDPR Art 34) and the list of overdue clocks ([`Incident::clocks`]).
//! - [`affected`]: the affected customers derived from facts and counted as people — data keys wrapped
//!   under an exposed KEK version, sections an exposed principal read, a stated list — with the
//!   customers found not affected listed separately with the reason.
//! - [`notice`]: the PIPL Art 57 notice in zh-CN and en.
//! - [`assessment`]: impact assessments (PIPL Arts 55, 56): when required, content, approval, three years.
//! - [`audit`]: the compliance-audit schedule by size and the PI protection officer (PIPL Arts 52, 54).
//! - [`processing`]: records of processing (GDPR Art 30) and the Chinese inventory, with the accountable
//!   department and role of every category and step.
//!
//! Texts not in `shared/regulations/`: the CAC 国家网络安全事件报告管理办法 (2025-11-01) and the CAC
//! 个人信息保护合规审计管理办法 (2025-05-01); their figures come from the folder's README and are settings.

pub mod affected;
pub mod assessment;
pub mod audit;
mod error;
pub mod incident;
pub mod notice;
pub mod processing;

pub use affected::{
    Affected, AffectedReason, CustomerFacts, Exposure, KekHistory, KekRotationMark, UnaffectedReason,
};
pub use assessment::{Activity, Assessment, AssessmentContent, AssessmentTrigger, Measure, Risk, Severity};
pub use audit::{AuditDue, AuditSettings};
pub use error::OversightError;
pub use incident::{
    AffectedCount, Cause, ClockState, Duty, Incident, IncidentId, IncidentKind, IndividualsDecision, Level,
    LevelThresholds, NewIncident, NoNoticeReason, OperatorType, Remedy, ReportSent, ReportingSettings,
    SystemCode, TimelineStep,
};
pub use notice::{Contact, IncidentNotice, NoticeLanguage, incident_notice};
pub use processing::{
    Accountable, Holdings, Recipient, RecordsOfProcessing, Responsibilities, records_of_processing,
};
