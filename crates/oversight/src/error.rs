//! The one error type of the crate: every variant names the field or id at fault, never a personal value.

use thiserror::Error;

use crate::incident::IncidentId;

/// What an oversight input got wrong.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OversightError {
    /// A field of an input is out of range or malformed.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field (`thresholds.major`, `incident.systems[2]`).
        field: &'static str,
        /// Why, without the value.
        reason: &'static str,
    },
    /// A step was asked of an incident in a state that does not allow it.
    #[error("incident {incident}: {problem}")]
    Step {
        /// The incident.
        incident: IncidentId,
        /// What is out of order.
        problem: &'static str,
    },
    /// PIPL 57: the authority's notice is never skipped, and a decision not to notify individuals needs
    /// the measures that avoided harm and a reason.
    #[error("incident {incident}: {problem} (PIPL Art 57)")]
    Pipl57 {
        /// The incident.
        incident: IncidentId,
        /// What the decision lacks.
        problem: &'static str,
    },
    /// An impact assessment is incomplete or not approved.
    #[error("assessment {assessment}: {problem} (PIPL Arts 55, 56)")]
    Assessment {
        /// The assessment's id.
        assessment: uuid::Uuid,
        /// What it lacks.
        problem: &'static str,
    },
}
