//! What each kind does, as decisions over inputs the brokerage supplies: a deletion asks retention and lists
//! what is erased and what is kept and why; a correction becomes a new record version; a withdrawal,
//! restriction or objection becomes a consent event whose propagation consent computes; portability checks
//! NDSR Art 25's conditions.

use chrono::{DateTime, NaiveDate, Utc};
use custodia_consent::{
    ConsentEvent, ConsentForm, ConsentIndex, ConsentScope, Digest, EventDraft, EventId, EventKind, NoticeRef,
    Recipient, Regime,
};
use custodia_model::{ActorId, DataCategory, RecordVersion};
use custodia_retention::{
    ForeignFloorGround, GdprRetentionGround, Holding, Holds, Profile, RetentionDecision, RetentionFacts,
    RetentionOutcome,
};
use serde::Serialize;

use crate::error::RightsError;
use crate::kind::{FieldPath, KindCode, RequestKind};
use crate::refusal::{ComplaintContacts, Language, Refusal, RefusalCode};
use crate::request::{Action, AnswerPart, ErasureMethod, VerifiedRequest};

/// What a deletion does to one holding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "disposition", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Disposition {
    /// Erase it: retention says it must go.
    Erase {
        /// How.
        method: ErasureMethod,
    },
    /// Keep it for storage and security only: a legal floor or hold keeps it (PIPL Art 47(2); NDSR Art 24).
    StorageOnly {
        /// The floor's last day, if known.
        until: Option<NaiveDate>,
    },
    /// Keep it as it is: no ground for deletion applies yet (PIPL Art 47(1)).
    Keep,
    /// Hand it to the designated body (AML Law 2024 Art 34): kept, not erased.
    HandOver,
}

/// One holding of a deletion plan with the retention decision behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeletionItem {
    /// The holding.
    pub holding: Holding,
    /// What happens to it.
    pub disposition: Disposition,
    /// The retention decision, with its rules and citations.
    pub decision: RetentionDecision,
}

/// What to delete, from retention's decisions: every holding in the request's scope, erased only when
/// retention says `Destroy`. When every held category is to be erased the method is crypto-shredding (the
/// customer's data key goes); otherwise each category's sections are deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeletionPlan {
    items: Vec<DeletionItem>,
}

/// What a deletion decision needs.
#[derive(Clone, Copy, Debug)]
pub struct DeletionInput<'a> {
    /// The retention profile.
    pub profile: &'a Profile,
    /// The customer's facts.
    pub facts: &'a RetentionFacts,
    /// Legal holds.
    pub holds: &'a Holds,
    /// The day of the decision.
    pub on: NaiveDate,
    /// For an EEA customer, how the controller grounds third-country floors (GDPR Art 17(3)).
    pub foreign: &'a ForeignFloorGround,
}

impl DeletionPlan {
    /// Asks retention about every holding in the request's scope.
    pub fn decide(request: &VerifiedRequest<'_>, input: DeletionInput<'_>) -> Result<Self, RightsError> {
        let request = request.request();
        let RequestKind::Deletion { categories } = request.kind() else {
            return Err(RightsError::AnswerMismatch {
                request: request.id(),
                what: "a deletion plan for a request that is not a deletion",
            });
        };
        if input.facts.customer() != request.customer() {
            return Err(RightsError::OtherCustomer {
                customer: request.customer(),
                what: "retention facts",
            });
        }
        let decisions = input.profile.decide(input.facts, input.holds, input.on)?;
        let in_scope = |h: &Holding| match h {
            Holding::Category(c) => categories.is_empty() || categories.contains(c),
            Holding::Record(_) => categories.is_empty(),
        };
        let all_categories_go = decisions
            .iter()
            .filter(|d| matches!(d.holding(), Holding::Category(_)))
            .all(|d| d.outcome().is_destroy() && in_scope(&d.holding()));
        let items = decisions
            .into_iter()
            .filter(|d| in_scope(&d.holding()))
            .map(|decision| {
                let disposition = match decision.outcome() {
                    RetentionOutcome::Destroy { .. } => Disposition::Erase {
                        method: match decision.holding() {
                            Holding::Record(_) => ErasureMethod::DeleteRecord,
                            Holding::Category(_) if all_categories_go => ErasureMethod::CryptoShred,
                            Holding::Category(_) => ErasureMethod::DeleteCategory,
                        },
                    },
                    RetentionOutcome::StorageOnly { until } => Disposition::StorageOnly { until },
                    RetentionOutcome::HandOver { .. } => Disposition::HandOver,
                    // `RetentionOutcome` may grow; anything not known to allow erasure keeps the holding.
                    _ => Disposition::Keep,
                };
                DeletionItem {
                    holding: decision.holding(),
                    disposition,
                    decision,
                }
            })
            .collect();
        Ok(Self { items })
    }

    /// Every holding in scope.
    pub fn items(&self) -> &[DeletionItem] {
        &self.items
    }

    /// The holdings to erase, with how.
    pub fn erasures(&self) -> impl Iterator<Item = (Holding, ErasureMethod)> + '_ {
        self.items.iter().filter_map(|i| match i.disposition {
            Disposition::Erase { method } => Some((i.holding, method)),
            _ => None,
        })
    }

    /// Whether the customer's data key may be destroyed (every category erased).
    pub fn crypto_shred(&self) -> bool {
        self.erasures().any(|(_, m)| m == ErasureMethod::CryptoShred)
    }

    /// The answer's parts once the erasures are done: each erased holding done, each kept one refused with
    /// its reason — the floors that keep it to storage (PIPL Art 47(2), NDSR Art 24 and the floor's own law;
    /// under the GDPR Art 17(3)(b) for a Union or member-state obligation, 17(3)(e) for legal claims), or no
    /// ground for deletion yet (PIPL Art 47(1); GDPR Art 17(1)).
    pub fn answer_parts(
        &self,
        request: &VerifiedRequest<'_>,
        language: Language,
        contacts: &ComplaintContacts,
        foreign: &ForeignFloorGround,
    ) -> Result<Vec<AnswerPart>, RightsError> {
        let request = request.request();
        let regime = request.regime();
        let refuse = |code| {
            Refusal::new(code, KindCode::Deletion, regime, language, contacts).map(AnswerPart::Refused)
        };
        let jurisdiction = request.jurisdiction();
        self.items
            .iter()
            .map(|item| {
                let holding = item.holding;
                match (&item.disposition, regime) {
                    (Disposition::Erase { method }, _) => Ok(AnswerPart::Done(Action::Erased {
                        holding,
                        method: *method,
                    })),
                    (Disposition::Keep, Regime::Gdpr) => refuse(RefusalCode::NoErasureGround { holding }),
                    (Disposition::Keep, _) => refuse(RefusalCode::NoDeletionGround { holding }),
                    (_, Regime::Gdpr) => {
                        let grounds = item.decision.gdpr_grounds(jurisdiction, foreign);
                        let law: Vec<_> = grounds
                            .iter()
                            .filter_map(|g| match &g.ground {
                                Some(GdprRetentionGround::LegalObligation { law }) => Some(law.clone()),
                                _ => None,
                            })
                            .collect();
                        if !law.is_empty() {
                            refuse(RefusalCode::ErasureLegalObligation { holding, law })
                        } else if !item.decision.holds().is_empty()
                            || grounds
                                .iter()
                                .any(|g| matches!(g.ground, Some(GdprRetentionGround::LegalClaims)))
                        {
                            // A legal hold keeps data for proceedings: legal claims.
                            refuse(RefusalCode::ErasureLegalClaims { holding })
                        } else {
                            // A third country's floor with no GDPR ground recorded: no Art 17(3) exemption
                            // the crate may claim; the controller must record one (ForeignFloorGround).
                            Err(RightsError::AnswerMismatch {
                                request: request.id(),
                                what: "a holding kept under a third country's floor with no GDPR ground recorded",
                            })
                        }
                    }
                    _ => refuse(RefusalCode::RetentionFloor {
                        holding,
                        floors: item.decision.citations(),
                    }),
                }
            })
            .collect()
    }
}

/// The action of a correction: the new record version, which must be newer than 1 and change only fields
/// the request named (PIPL Art 46; GDPR Art 16). The older versions stay (`custodia_model::VersionHistory`).
pub fn correction_action(
    request: &VerifiedRequest<'_>,
    version: &RecordVersion,
) -> Result<Action, RightsError> {
    let request = request.request();
    let RequestKind::Correction { fields } = request.kind() else {
        return Err(RightsError::AnswerMismatch {
            request: request.id(),
            what: "a correction for a request that is not one",
        });
    };
    let changed: Result<std::collections::BTreeSet<FieldPath>, _> = version
        .changed_fields()
        .iter()
        .map(|f| FieldPath::new(f))
        .collect();
    let changed = changed?;
    if version.number() < 2 || changed.is_empty() || !changed.is_subset(fields) {
        return Err(RightsError::AnswerMismatch {
            request: request.id(),
            what: "a new version that changes only the fields asked for",
        });
    }
    Ok(Action::Corrected {
        version: version.number(),
        fields: changed,
    })
}

/// What a withdrawal, restriction or objection event needs besides the request.
#[derive(Clone, Debug)]
pub struct ConsentChange {
    /// The notice version the customer's consent cites.
    pub notice: NoticeRef,
    /// SHA-256 of the request's record (the form, the session log), as the event's evidence.
    pub evidence: Digest,
    /// When it takes effect (never before the request: PIPL Art 15, not retroactive).
    pub effective_at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: ActorId,
}

/// The consent event that carries out a withdrawal (PIPL Art 15: `Withdrawn`), a restriction or an
/// objection (PIPL Art 44; GDPR Arts 18, 21: `Objected`), addressed to the controller so that it reaches
/// every recipient. The caller records it on the consent ledger, then asks the consent index for the
/// propagation ([`consent_action`]).
pub fn consent_event(
    request: &VerifiedRequest<'_>,
    change: ConsentChange,
) -> Result<ConsentEvent, RightsError> {
    let request = request.request();
    let all: Vec<DataCategory> = DataCategory::ALL.to_vec();
    let (kind, purposes, categories) = match request.kind() {
        RequestKind::WithdrawConsent { purposes, categories } => (EventKind::Withdrawn, purposes, categories),
        RequestKind::Object { purposes } | RequestKind::Restrict { purposes } => {
            (EventKind::Objected, purposes, &Default::default())
        }
        _ => {
            return Err(RightsError::AnswerMismatch {
                request: request.id(),
                what: "a consent event for a request that is not a withdrawal, restriction or objection",
            });
        }
    };
    if purposes.is_empty() {
        return Err(RightsError::InvalidInput {
            field: "kind.purposes",
            expected: "the purposes to restrict, at least one",
        });
    }
    if change.effective_at < request.intake().received_at {
        return Err(RightsError::InvalidInput {
            field: "consent.effective_at",
            expected: "no earlier than the request (PIPL Art 15: not retroactive)",
        });
    }
    let categories: Vec<DataCategory> = if categories.is_empty() {
        all
    } else {
        categories.iter().copied().collect()
    };
    let scope = ConsentScope::new(purposes.iter().cloned(), categories, Recipient::Controller, [])?;
    Ok(ConsentEvent::new(EventDraft {
        id: EventId::new_v7(),
        customer: request.customer(),
        kind,
        scope,
        form: ConsentForm::Separate,
        notice: change.notice,
        channel: request.intake().channel,
        evidence: change.evidence,
        effective_at: change.effective_at,
        recorded_at: change.recorded_at,
        recorded_by: change.recorded_by,
        expires_at: None,
    })?)
}

/// The action once the consent event is on the ledger at `entry`: with how many recipients consent says
/// must be told (PIPL Arts 15, 23; GDPR Arts 17(2), 19). The propagation tasks themselves come from
/// `ConsentIndex::propagation_tasks` and are stored and advanced by the caller.
pub fn consent_action(
    request: &VerifiedRequest<'_>,
    index: &ConsentIndex,
    entry: u64,
) -> Result<Action, RightsError> {
    let tasks = index.propagation_tasks(request.request().customer(), entry)?;
    Ok(Action::ConsentEnded {
        consent_entry: entry,
        recipients: u32::try_from(tasks.len()).unwrap_or(u32::MAX),
    })
}

/// On what the data to be moved was collected (NDSR Art 25(1)(2); GDPR Art 20(1)(a)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CollectedOn {
    /// The customer's consent or a contract with them.
    ConsentOrContract,
    /// Another basis (a legal duty, for example).
    OtherBasis,
}

/// Whether moving the data is technically feasible (NDSR Art 25(1)(3)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Feasibility {
    /// It is (the recipient accepts the package's JSON).
    Feasible,
    /// It is not.
    NotFeasible,
}

/// Whether moving it would harm others' rights (NDSR Art 25(1)(4); GDPR Art 20(4)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OthersRights {
    /// It would not (or their data was left out).
    Unaffected,
    /// It would.
    Harmed,
}

/// The conditions of a portability request (NDSR Art 25(1)); identity (25(1)(1)) is the request's own
/// verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PortabilityConditions {
    /// What the data was collected on.
    pub collected_on: CollectedOn,
    /// Whether it can be moved.
    pub feasibility: Feasibility,
    /// Whether others would be harmed.
    pub others: OthersRights,
}

impl PortabilityConditions {
    /// The reasons, if any, why the conditions refuse portability under `regime`: empty means it must be
    /// provided.
    pub fn refusals(&self, regime: Regime) -> Vec<RefusalCode> {
        let mut out = Vec::new();
        match regime {
            Regime::Gdpr => {
                if self.collected_on != CollectedOn::ConsentOrContract
                    || self.feasibility != Feasibility::Feasible
                {
                    out.push(RefusalCode::PortabilityNotApplicable);
                }
                if self.others == OthersRights::Harmed {
                    out.push(RefusalCode::CopyAffectsOthers);
                }
            }
            _ => {
                if self.collected_on != CollectedOn::ConsentOrContract {
                    out.push(RefusalCode::PortabilityNotConsentOrContract);
                }
                if self.feasibility != Feasibility::Feasible {
                    out.push(RefusalCode::PortabilityNotFeasible);
                }
                if self.others == OthersRights::Harmed {
                    out.push(RefusalCode::PortabilityHarmsOthers);
                }
            }
        }
        out
    }
}
