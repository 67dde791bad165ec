//! The decision for one customer's holding on one date: retain, storage only, or destroy, with reasons.

use std::sync::Arc;

use chrono::NaiveDate;
use custodia_model::{Citation, LegalBasis};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::error::RetentionError;
use crate::facts::{HeldData, Holding, RetentionFacts};
use crate::hold::{HoldId, Holds};
use crate::profile::Profile;
use crate::rule::{RetentionRule, RuleId, Trigger};

/// What the brokerage must do with a holding on the evaluation date.
///
/// Dates are inclusive last days: `Retain { until: Some(d) }` means the holding may be used as before up
/// to and including `d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RetentionOutcome {
    /// No duty to delete has arisen: the brokerage may keep and use the holding for its purposes, up to
    /// and including `until`, the day before the earliest known duty to delete falls due (`None`: no
    /// duty is scheduled yet, for example while the relationship lasts). If no rule of the profile
    /// covers the holding at all, the decision is `Retain { until: None }` with no reasons: the profile
    /// is silent, which a reviewer can see from the empty reason list.
    Retain {
        /// The last day of unrestricted retention, if known.
        until: Option<NaiveDate>,
    },
    /// A duty to delete has arisen but a legal floor has not expired, or a legal hold applies: only
    /// storage and necessary security measures may continue (PIPL Art 47, last paragraph; NDSR Art 24).
    /// `until` is the last day of the floor; `None` while the floor is still open (a contract in force)
    /// or a hold applies.
    StorageOnly {
        /// The last day the floor requires keeping, if known.
        until: Option<NaiveDate>,
    },
    /// A duty to delete has arisen and no floor or hold stands in the way: destroy.
    Destroy {
        /// The first day destruction was due.
        due_since: NaiveDate,
    },
}

impl RetentionOutcome {
    /// Whether this is `Destroy`.
    pub fn is_destroy(&self) -> bool {
        matches!(self, RetentionOutcome::Destroy { .. })
    }

    /// The articles that define the outcome itself, beyond the rules in the reasons: for `StorageOnly`,
    /// PIPL Art 47 paragraph 2 and NDSR Art 24 (stop all processing but storage and necessary security
    /// measures); none for the others.
    pub fn defining_citations(&self) -> Vec<Citation> {
        match self {
            RetentionOutcome::StorageOnly { .. } => vec![
                Citation::pipl("47(2)"),
                Citation::new(custodia_model::Instrument::Ndsr, "24"),
            ],
            _ => Vec::new(),
        }
    }
}

/// What one rule says about one holding on the evaluation date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RuleEffect {
    /// A legal floor requires keeping the holding up to and including `until`; `None` while the event
    /// that starts its clock has not happened (a contract in force, a relationship not ended).
    FloorInForce {
        /// The last day of the floor, if known.
        until: Option<NaiveDate>,
    },
    /// A legal floor applied and ended on `ended`.
    FloorExpired {
        /// Its last day.
        ended: NaiveDate,
    },
    /// A duty to delete has been due since `since`.
    DutyDue {
        /// The first day it was due.
        since: NaiveDate,
    },
    /// A duty to delete will fall due on `due`.
    DutyScheduled {
        /// The first day it will be due.
        due: NaiveDate,
    },
    /// A duty to delete applies to the holding but its trigger has not happened.
    DutyNotTriggered,
}

/// One reason of a decision: a rule, its citation, and what it says here.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetentionReason {
    rule: Arc<RetentionRule>,
    effect: RuleEffect,
}

impl RetentionReason {
    /// The rule.
    pub fn rule(&self) -> &RetentionRule {
        &self.rule
    }

    /// The rule's id.
    pub fn rule_id(&self) -> &RuleId {
        self.rule.id()
    }

    /// The article that is the reason.
    pub fn citation(&self) -> &Citation {
        self.rule.citation()
    }

    /// What the rule says about the holding.
    pub fn effect(&self) -> RuleEffect {
        self.effect
    }
}

impl Serialize for RetentionReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("RetentionReason", 3)?;
        s.serialize_field("rule", self.rule.id())?;
        s.serialize_field("citation", &self.rule.citation().to_string())?;
        s.serialize_field("effect", &self.effect)?;
        s.end()
    }
}

/// The decision for one holding on one date, with every rule that bears on it and every active hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RetentionDecision {
    holding: Holding,
    on: NaiveDate,
    outcome: RetentionOutcome,
    reasons: Vec<RetentionReason>,
    holds: Vec<HoldId>,
    destroyable_from: Option<NaiveDate>,
}

impl RetentionDecision {
    /// The holding decided on.
    pub fn holding(&self) -> Holding {
        self.holding
    }

    /// The evaluation date.
    pub fn on(&self) -> NaiveDate {
        self.on
    }

    /// The outcome.
    pub fn outcome(&self) -> RetentionOutcome {
        self.outcome
    }

    /// The rules that bear on the holding, in profile order.
    pub fn reasons(&self) -> &[RetentionReason] {
        &self.reasons
    }

    /// The active legal holds covering the holding; if any, the outcome is never `Destroy`.
    pub fn holds(&self) -> &[HoldId] {
        &self.holds
    }

    /// The first day the holding is (or becomes) destroyable on the current facts, if that is known:
    /// a duty is triggered and every floor has a known end, and no hold applies.
    pub fn destroyable_from(&self) -> Option<NaiveDate> {
        self.destroyable_from
    }

    /// The next day the outcome changes on the current facts (end of `Retain` or `StorageOnly`), if known.
    pub fn next_change(&self) -> Option<NaiveDate> {
        match self.outcome {
            RetentionOutcome::Retain { until: Some(u) }
            | RetentionOutcome::StorageOnly { until: Some(u) } => u.succ_opt(),
            _ => None,
        }
    }

    /// The citations behind the decision, without repeats, in order: the outcome's own (see
    /// [`RetentionOutcome::defining_citations`]), then each reason's.
    pub fn citations(&self) -> Vec<Citation> {
        let mut out = self.outcome.defining_citations();
        for r in &self.reasons {
            if !out.contains(r.citation()) {
                out.push(r.citation().clone());
            }
        }
        out
    }
}

/// When a rule's clock starts for a holding.
enum Event {
    /// The rule's event does not concern this holding (no such contract, no transaction, no transfer).
    Absent,
    /// The event will happen but has not (a contract in force, a relationship going on): a floor counted
    /// from it holds open.
    Pending,
    /// The event happened (or is scheduled) on this date.
    On(NaiveDate),
}

/// How a holding's purposes stand: all ended (when, and whether by withdrawal or fulfilment) or not.
struct PurposeState {
    ended_on: Option<NaiveDate>,
    by_withdrawal: bool,
    by_fulfilment: bool,
}

fn purpose_state(facts: &RetentionFacts, held: &HeldData) -> PurposeState {
    let mut state = PurposeState {
        ended_on: None,
        by_withdrawal: false,
        by_fulfilment: false,
    };
    let mut last: Option<NaiveDate> = None;
    for u in held.uses() {
        // Withdrawal ends only a use that rests on consent (PIPL Art 15): a contract or a legal
        // obligation is a basis of its own.
        let withdrawn = if u.basis() == LegalBasis::Consent {
            facts.withdrawn_on(u.purpose())
        } else {
            None
        };
        let fulfilled = facts.fulfilled_on(u.purpose());
        let end = match (withdrawn, fulfilled) {
            (Some(w), Some(f)) => w.min(f),
            (Some(w), None) => w,
            (None, Some(f)) => f,
            (None, None) => return state,
        };
        state.by_withdrawal |= withdrawn == Some(end);
        state.by_fulfilment |= fulfilled == Some(end);
        last = Some(last.map_or(end, |l| l.max(end)));
    }
    state.ended_on = last;
    state
}

fn event(trigger: Trigger, facts: &RetentionFacts, held: &HeldData, purposes: &PurposeState) -> Event {
    match trigger {
        Trigger::Collection => Event::On(held.collected()),
        Trigger::ContractEnd { term } => {
            let mut any = false;
            let mut open = false;
            let mut latest: Option<NaiveDate> = None;
            for c in facts
                .contracts()
                .iter()
                .filter(|c| term.is_none_or(|t| c.term() == t))
            {
                any = true;
                match c.ended() {
                    None => open = true,
                    Some(e) => latest = Some(latest.map_or(e, |l| l.max(e))),
                }
            }
            match (any, open, latest) {
                (false, _, _) => Event::Absent,
                (true, true, _) | (true, false, None) => Event::Pending,
                (true, false, Some(e)) => Event::On(e),
            }
        }
        Trigger::RelationshipEnd => facts.relationship_ended().map_or(Event::Pending, Event::On),
        Trigger::Transaction => facts.last_transaction().map_or(Event::Absent, Event::On),
        Trigger::TransferCompleted => facts.transfer_completed().map_or(Event::Absent, Event::On),
        Trigger::ConsentWithdrawn => match purposes.ended_on {
            Some(d) if purposes.by_withdrawal => Event::On(d),
            _ => Event::Absent,
        },
        Trigger::PurposeFulfilled => match purposes.ended_on {
            Some(d) if purposes.by_fulfilment => Event::On(d),
            _ => Event::Absent,
        },
    }
}

impl Profile {
    /// Decides every holding of one customer on `on`.
    ///
    /// For each holding, the rules that cover it (by category or record kind, the customer's
    /// jurisdiction, the holding's purposes, and the profile's settings) are evaluated:
    ///
    /// - no duty to delete due → `Retain`, until the day before the earliest scheduled duty;
    /// - a duty due (PIPL Art 47) and a legal floor unexpired or open → `StorageOnly` until the floor's
    ///   last day (PIPL Art 47, last paragraph);
    /// - a duty due and every floor expired → `Destroy`, due since the later of the duty and the day after
    ///   the last floor;
    /// - an active legal hold turns `Destroy` into `StorageOnly { until: None }`; a hold always wins.
    ///
    /// Facts are taken as given, including dates after `on` (a contract's known end date), so the same
    /// facts never move a later date from `Destroy` back to `Retain`.
    pub fn decide(
        &self,
        facts: &RetentionFacts,
        holds: &Holds,
        on: NaiveDate,
    ) -> Result<Vec<RetentionDecision>, RetentionError> {
        facts
            .held()
            .iter()
            .map(|held| self.decide_one(facts, held, holds, on))
            .collect()
    }

    fn decide_one(
        &self,
        facts: &RetentionFacts,
        held: &HeldData,
        holds: &Holds,
        on: NaiveDate,
    ) -> Result<RetentionDecision, RetentionError> {
        let holding = held.holding();
        let settings = self.settings();
        let purposes = purpose_state(facts, held);
        let mut reasons = Vec::new();
        let mut floor_open = false;
        let mut floor_end: Option<NaiveDate> = None;
        let mut duty_due: Option<NaiveDate> = None;
        for rule in self.shared_rules() {
            let scope = rule.scope();
            let applies = scope.covers(holding)
                && (scope.jurisdictions().is_empty()
                    || scope.jurisdictions().contains(&facts.jurisdiction()))
                && (scope.purposes().is_empty()
                    || held.uses().iter().any(|u| scope.purposes().contains(u.purpose())))
                && settings.allows(rule.condition());
            if !applies {
                continue;
            }
            let out_of_range = |from: NaiveDate| RetentionError::DateOutOfRange {
                rule: rule.id().to_string(),
                from,
            };
            let ev = event(rule.trigger(), facts, held, &purposes);
            if rule.is_floor() {
                match ev {
                    Event::Absent => {}
                    Event::Pending => {
                        floor_open = true;
                        reasons.push(RetentionReason {
                            rule: Arc::clone(rule),
                            effect: RuleEffect::FloorInForce { until: None },
                        });
                    }
                    Event::On(t) => {
                        let end = rule.minimum().end_from(t).ok_or_else(|| out_of_range(t))?;
                        floor_end = Some(floor_end.map_or(end, |f| f.max(end)));
                        let effect = if end >= on {
                            RuleEffect::FloorInForce { until: Some(end) }
                        } else {
                            RuleEffect::FloorExpired { ended: end }
                        };
                        reasons.push(RetentionReason {
                            rule: Arc::clone(rule),
                            effect,
                        });
                    }
                }
            }
            if let Some(max) = rule.maximum() {
                let effect = match ev {
                    Event::On(t) => {
                        let due = max
                            .end_from(t)
                            .and_then(|end| end.succ_opt())
                            .ok_or_else(|| out_of_range(t))?;
                        duty_due = Some(duty_due.map_or(due, |d| d.min(due)));
                        if due <= on {
                            RuleEffect::DutyDue { since: due }
                        } else {
                            RuleEffect::DutyScheduled { due }
                        }
                    }
                    Event::Absent | Event::Pending => RuleEffect::DutyNotTriggered,
                };
                reasons.push(RetentionReason {
                    rule: Arc::clone(rule),
                    effect,
                });
            }
        }

        let after_floor = match floor_end {
            Some(f) => Some(f.succ_opt().ok_or(RetentionError::DateOutOfRange {
                rule: "-".to_owned(),
                from: f,
            })?),
            None => None,
        };
        // The day destruction becomes due: the duty, pushed past every floor. Unknown while a floor is open.
        let destroyable_from = match (duty_due, floor_open) {
            (Some(due), false) => Some(after_floor.map_or(due, |a| a.max(due))),
            _ => None,
        };
        let mut outcome = match duty_due {
            Some(due) if due <= on => match destroyable_from {
                Some(from) if from <= on => RetentionOutcome::Destroy { due_since: from },
                // A floor still runs (or is open): storage only until its last day.
                _ => RetentionOutcome::StorageOnly {
                    until: if floor_open { None } else { floor_end },
                },
            },
            Some(due) => RetentionOutcome::Retain {
                until: due.pred_opt(),
            },
            None => RetentionOutcome::Retain { until: None },
        };

        let hold_ids: Vec<HoldId> = holds
            .covering(facts.customer(), holding, on)
            .map(|h| h.id())
            .collect();
        let mut destroyable_from = destroyable_from;
        if !hold_ids.is_empty() {
            // A hold always wins over destruction; how long it lasts is not known until it is released.
            destroyable_from = None;
            if let RetentionOutcome::Destroy { .. } | RetentionOutcome::StorageOnly { .. } = outcome {
                outcome = RetentionOutcome::StorageOnly { until: None };
            }
        }
        Ok(RetentionDecision {
            holding,
            on,
            outcome,
            reasons,
            holds: hold_ids,
            destroyable_from,
        })
    }
}

#[cfg(test)]
mod tests {
    use custodia_model::{CustomerId, DataCategory, Jurisdiction, Purpose};

    use super::*;
    use crate::facts::PurposeBasis;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn state(
        uses: Vec<PurposeBasis>,
        build: impl FnOnce(crate::FactsBuilder) -> crate::FactsBuilder,
    ) -> PurposeState {
        let c = CustomerId::new_v7();
        let held = HeldData::new(c, Holding::Category(DataCategory::Contact), d(2020, 1, 1), uses).unwrap();
        let facts = build(RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA).held(held.clone()))
            .build()
            .unwrap();
        purpose_state(&facts, &held)
    }

    #[test]
    fn a_withdrawal_ends_only_consent_uses() {
        let contract = vec![PurposeBasis::new(Purpose::Marketing, LegalBasis::Contract)];
        let s = state(contract, |b| {
            b.consent_withdrawn(Purpose::Marketing, d(2021, 1, 1))
        });
        assert_eq!(s.ended_on, None);

        let consent = vec![PurposeBasis::new(Purpose::Marketing, LegalBasis::Consent)];
        let s = state(consent, |b| {
            b.consent_withdrawn(Purpose::Marketing, d(2021, 1, 1))
        });
        assert_eq!(s.ended_on, Some(d(2021, 1, 1)));
        assert!(s.by_withdrawal && !s.by_fulfilment);
    }

    #[test]
    fn all_uses_must_end_and_the_last_end_counts() {
        let uses = vec![
            PurposeBasis::new(Purpose::Marketing, LegalBasis::Consent),
            PurposeBasis::new(Purpose::PolicyServicing, LegalBasis::Contract),
        ];
        let s = state(uses.clone(), |b| {
            b.consent_withdrawn(Purpose::Marketing, d(2021, 1, 1))
        });
        assert_eq!(s.ended_on, None, "servicing goes on");
        let s = state(uses, |b| {
            b.consent_withdrawn(Purpose::Marketing, d(2021, 1, 1))
                .purpose_fulfilled(Purpose::PolicyServicing, d(2022, 6, 30))
        });
        assert_eq!(s.ended_on, Some(d(2022, 6, 30)));
        assert!(s.by_withdrawal && s.by_fulfilment);
    }

    #[test]
    fn the_earlier_of_withdrawal_and_fulfilment_ends_a_use() {
        let consent = vec![PurposeBasis::new(Purpose::Marketing, LegalBasis::Consent)];
        let s = state(consent, |b| {
            b.consent_withdrawn(Purpose::Marketing, d(2021, 5, 1))
                .purpose_fulfilled(Purpose::Marketing, d(2021, 3, 1))
        });
        assert_eq!(s.ended_on, Some(d(2021, 3, 1)));
        assert!(s.by_fulfilment && !s.by_withdrawal);
    }
}
