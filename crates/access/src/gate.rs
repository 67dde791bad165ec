//! The gate: one decision per request over each asked category, with the deciding policies and their law,
//! turned into a [`Permit`] only when every category is allowed.

use std::fmt;

use chrono::{DateTime, Utc};
use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory, Purpose};
use serde::{Deserialize, Serialize};

use crate::approval::VerifiedApproval;
use crate::engine::{CedarEngine, Effect, EngineQuery, PolicyEngine, PolicyRef};
use crate::error::AccessError;
use crate::log::{AccessEntry, CategoryOutcome};
use crate::principal::{Course, Principal, Ticket};

/// What a principal wants to do with a section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Open and read the plaintext.
    Read,
    /// Write a new record version (PIPL 46).
    Update,
    /// Take the plaintext out of the brokerage's systems (a report to a regulator, a copy for a customer).
    Export,
}

impl Action {
    /// The stable code used in policies and on the log.
    pub fn code(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Update => "update",
            Action::Export => "export",
        }
    }
}

/// Whether the asserted purpose has a legal basis for a category now, as the caller established it
/// (custodia-consent's `permits`, or a basis that needs no consent, PIPL Art 13). The gate never guesses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurposeBasis {
    /// The purpose has a basis for this category (consent in force, contract, legal obligation, …).
    Permitted,
    /// It has none: no consent, withdrawn, or outside the consent's scope.
    NotPermitted,
}

/// What is known about one section of the customer, as the brokerage establishes it from its stores:
/// sensitivity (never below the category's own, PIPL Art 28), retention's storage-only restriction, legal
/// holds, a completed transfer, and the purpose's basis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionFacts {
    category: DataCategory,
    basis: PurposeBasis,
    sensitive: bool,
    storage_only: bool,
    legal_hold: bool,
    transferred: bool,
}

impl SectionFacts {
    /// Facts of a section with the purpose's basis; sensitive if the category is (PIPL Art 28), nothing
    /// else restricted.
    pub fn new(category: DataCategory, basis: PurposeBasis) -> Self {
        Self {
            category,
            basis,
            sensitive: category.is_sensitive(),
            storage_only: false,
            legal_hold: false,
            transferred: false,
        }
    }

    /// The facts make this section sensitive although its category is not (a child beneficiary, a
    /// claim with medical documents; custodia-model's `SensitivityPolicy`). There is no way down.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Retention restricted the section to storage (PIPL Art 47(2), NDSR Art 24).
    pub fn storage_only(mut self) -> Self {
        self.storage_only = true;
        self
    }

    /// The section is under a legal hold.
    pub fn under_legal_hold(mut self) -> Self {
        self.legal_hold = true;
        self
    }

    /// The customer's book has moved to a buyer (PIPL Arts 22, 23).
    pub fn transferred(mut self) -> Self {
        self.transferred = true;
        self
    }

    /// The category.
    pub fn category(&self) -> DataCategory {
        self.category
    }

    /// Whether the section is sensitive personal information.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// Whether it is restricted to storage.
    pub fn is_storage_only(&self) -> bool {
        self.storage_only
    }

    /// Whether it is under a legal hold.
    pub fn is_under_legal_hold(&self) -> bool {
        self.legal_hold
    }

    /// Whether the customer was transferred.
    pub fn is_transferred(&self) -> bool {
        self.transferred
    }

    /// Whether the asserted purpose has a basis.
    pub fn purpose_permitted(&self) -> bool {
        self.basis == PurposeBasis::Permitted
    }
}

/// The facts of one customer for one request: whether they are a minor under 14 (every category then
/// sensitive, PIPL Arts 28, 31) and the facts of each section asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessFacts {
    minor: bool,
    sections: Vec<SectionFacts>,
}

impl AccessFacts {
    /// No sections yet, not a minor.
    pub fn new() -> Self {
        Self::default()
    }

    /// The customer is a minor under 14 on the day of the request.
    pub fn minor(mut self) -> Self {
        self.minor = true;
        self
    }

    /// Adds one section's facts.
    pub fn section(mut self, facts: SectionFacts) -> Self {
        self.sections.push(facts);
        self
    }

    fn of(&self, category: DataCategory) -> Result<&SectionFacts, AccessError> {
        let mut found = self.sections.iter().filter(|s| s.category == category);
        let first = found.next().ok_or(AccessError::MissingFacts { category })?;
        if found.next().is_some() {
            return Err(AccessError::DuplicateCategory { category });
        }
        Ok(first)
    }
}

/// One request to the gate: who, what, whose, which categories, why, when, for which ticket, and the
/// approval that elevates it, if any.
#[derive(Clone, Copy, Debug)]
pub struct AccessRequest<'a> {
    /// Who asks (looked up by the brokerage from its records; the gate trusts the record, not a claim).
    pub principal: &'a Principal,
    /// What they want to do.
    pub action: Action,
    /// Whose data.
    pub customer: CustomerId,
    /// Which categories; at least one.
    pub categories: CategorySet,
    /// The asserted purpose (PIPL Art 6: one purpose per read).
    pub purpose: &'a Purpose,
    /// When (the caller's clock; the gate reads none).
    pub at: DateTime<Utc>,
    /// The ticket, case or incident the read is for.
    pub ticket: Option<&'a Ticket>,
    /// A verified approval by a second principal ([`crate::SignedApproval::verify`]); it elevates the read
    /// only if it covers it (requester, customer, categories, purpose, window).
    pub approval: Option<&'a VerifiedApproval>,
}

/// Settings of the gate: data with documented cautious defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSettings {
    /// The training course whose valid record every read of personal information needs (PIPL Art 51(4)).
    /// Default `pi-protection`.
    pub required_course: Course,
}

impl Default for GateSettings {
    fn default() -> Self {
        Self {
            required_course: Course::known(DEFAULT_COURSE),
        }
    }
}

/// The default required course.
pub const DEFAULT_COURSE: &str = "pi-protection";

/// The gate: asks the policy engine once per category and returns a typed [`Decision`]. It holds no database
/// and reads no clock; the brokerage records every decision's [`AccessEntry`] on the ledger in the same unit
/// of work as the read.
#[derive(Clone, Debug)]
pub struct Gate<E: PolicyEngine = CedarEngine> {
    engine: E,
    settings: GateSettings,
}

impl Gate<CedarEngine> {
    /// The gate over the shipped `cn-insurance-broker` policies with the default settings.
    pub fn cn_insurance_broker() -> Result<Self, AccessError> {
        Ok(Self::new(
            CedarEngine::cn_insurance_broker()?,
            GateSettings::default(),
        ))
    }
}

impl<E: PolicyEngine> Gate<E> {
    /// A gate over `engine`.
    pub fn new(engine: E, settings: GateSettings) -> Self {
        Self { engine, settings }
    }

    /// The engine.
    pub fn engine(&self) -> &E {
        &self.engine
    }

    /// The settings.
    pub fn settings(&self) -> &GateSettings {
        &self.settings
    }

    /// Decides `request` with `facts`. An `Err` is a malformed request (no category, missing facts); every
    /// well-formed request gets a [`Decision`], allow or deny, which the caller must log.
    pub fn decide(&self, request: &AccessRequest<'_>, facts: &AccessFacts) -> Result<Decision, AccessError> {
        if request.categories.is_empty() {
            return Err(AccessError::NoCategory);
        }
        let training_valid_until = request
            .principal
            .training_valid_until(&self.settings.required_course, request.at);
        let approval = request.approval.filter(|a| a.covers(request)).map(|a| a.id());
        let elevation = approval.map(|id| id.to_string());
        let mut outcomes = Vec::new();
        for category in request.categories.iter() {
            let section = facts.of(category)?;
            let query = EngineQuery {
                principal: request.principal,
                training_valid_until,
                action: request.action,
                customer: request.customer,
                section,
                minor: facts.minor,
                purpose: request.purpose,
                at: request.at,
                ticket: request.ticket.is_some(),
                elevation: elevation.as_deref(),
            };
            let verdict = self.engine.evaluate(&query)?;
            outcomes.push(CategoryOutcome::new(
                category,
                section.is_sensitive() || facts.minor,
                verdict,
            ));
        }
        let entry = AccessEntry::new(crate::log::EntryFields {
            principal: request.principal.id().clone(),
            action: request.action,
            customer: request.customer,
            purpose: request.purpose.clone(),
            at: request.at,
            ticket: request.ticket.cloned(),
            approval,
            outcomes,
        });
        Ok(Decision { entry })
    }
}

/// The gate's answer: per category allow or deny with the deciding policies, the whole request allowed only
/// if every category is. Its [`AccessEntry`] goes on the access log, allow or deny.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decision {
    entry: AccessEntry,
}

impl Decision {
    /// Allow if every category is allowed, else deny.
    pub fn effect(&self) -> Effect {
        self.entry.effect()
    }

    /// The access-log entry of this decision (pseudonymous: ids, codes, policy ids, time).
    pub fn entry(&self) -> &AccessEntry {
        &self.entry
    }

    /// The categories allowed.
    pub fn permitted(&self) -> CategorySet {
        self.entry.permitted()
    }

    /// The categories denied, each with its deciding policies (an empty list: no permit applied, the
    /// default deny).
    pub fn denied(&self) -> impl Iterator<Item = &CategoryOutcome> {
        self.entry
            .outcomes()
            .iter()
            .filter(|o| o.effect() == Effect::Deny)
    }

    /// The permit to open the sections, or the typed denial naming the categories and policies. The caller
    /// logs [`Decision::entry`] first: the permit and the denial both carry it.
    pub fn into_permit(self) -> Result<Permit, AccessDenied> {
        match self.effect() {
            Effect::Permit => Ok(Permit { entry: self.entry }),
            Effect::Deny => Err(AccessDenied {
                entry: Box::new(self.entry),
            }),
        }
    }
}

/// Proof that the gate allowed a request: the only value the brokerage's gated read accepts before it opens
/// a section. It can be made only by [`Decision::into_permit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permit {
    entry: AccessEntry,
}

impl Permit {
    /// The access-log entry behind it.
    pub fn entry(&self) -> &AccessEntry {
        &self.entry
    }

    /// Whose data it opens.
    pub fn customer(&self) -> CustomerId {
        self.entry.customer()
    }

    /// Who it is for.
    pub fn principal(&self) -> &ActorId {
        self.entry.principal()
    }

    /// The categories it opens.
    pub fn categories(&self) -> CategorySet {
        self.entry.permitted()
    }
}

/// A denied request, as an error: the denied categories and the policy ids that decided, never the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessDenied {
    // Boxed: an error travels up many frames and should stay small.
    entry: Box<AccessEntry>,
}

impl AccessDenied {
    /// The access-log entry behind it.
    pub fn entry(&self) -> &AccessEntry {
        &self.entry
    }

    /// The denied categories with their deciding policies.
    pub fn denied(&self) -> impl Iterator<Item = &CategoryOutcome> {
        self.entry
            .outcomes()
            .iter()
            .filter(|o| o.effect() == Effect::Deny)
    }

    /// Every policy id behind the denial, each once, in order.
    pub fn policies(&self) -> Vec<&PolicyRef> {
        let mut all: Vec<&PolicyRef> = self
            .denied()
            .flat_map(|o| o.policies().iter().chain(o.failed()))
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

impl fmt::Display for AccessDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "access denied to {} for {}:",
            self.entry.principal(),
            self.entry.purpose()
        )?;
        for outcome in self.denied() {
            write!(f, " {}", outcome.category())?;
            let ids: Vec<&str> = outcome
                .policies()
                .iter()
                .chain(outcome.failed())
                .map(PolicyRef::id)
                .collect();
            if ids.is_empty() {
                f.write_str(" (no permit)")?;
            } else {
                write!(f, " ({})", ids.join(", "))?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for AccessDenied {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::ApprovalSettings;

    #[test]
    fn default_codes_pass_their_own_checks() {
        assert_eq!(
            Course::new(DEFAULT_COURSE).ok(),
            Some(GateSettings::default().required_course)
        );
        let role = ApprovalSettings::default().approver_role;
        assert_eq!(crate::principal::Role::new(role.as_str()).ok(), Some(role));
    }
}
