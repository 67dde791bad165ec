//! The decision for one customer's holding on one date: retain, storage only, or destroy, with reasons.

use std::sync::Arc;

use chrono::{Days, NaiveDate};
use custodia_model::{Citation, Instrument, LegalBasis};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::error::RetentionError;
use crate::facts::{HeldData, Holding, RetentionFacts};
use crate::hold::{HoldId, Holds};
use crate::profile::Profile;
use crate::rule::{OnDue, RetentionRule, RuleId, Trigger};

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
    /// The institution was dissolved, revoked or declared bankrupt: the holding goes to the body the State
    /// Council designates, neither destroyed nor handed to a buyer (AML Law 2024 Art 34).
    HandOver {
        /// The first day the hand-over was due.
        since: NaiveDate,
    },
}

impl RetentionOutcome {
    /// Whether this is `Destroy`.
    pub fn is_destroy(&self) -> bool {
        matches!(self, RetentionOutcome::Destroy { .. })
    }

    /// Whether this is `HandOver`.
    pub fn is_hand_over(&self) -> bool {
        matches!(self, RetentionOutcome::HandOver { .. })
    }

    /// The articles that define the outcome itself when a statutory period is what keeps the holding: for
    /// `StorageOnly`, PIPL Art 47 paragraph 2 and NDSR Art 24 (stop all processing but storage and necessary
    /// security measures); for `HandOver`, AML Law 2024 Art 34; none for the others. A decision kept only by
    /// a departmental rule's floor cites PIPL Art 13(1)(3) instead ([`RetentionDecision::kept_under`]).
    pub fn defining_citations(&self) -> Vec<Citation> {
        match self {
            RetentionOutcome::StorageOnly { .. } => vec![
                Citation::pipl("47(2)"),
                Citation::new(custodia_model::Instrument::Ndsr, "24"),
            ],
            RetentionOutcome::HandOver { .. } => vec![Citation::new(Instrument::AmlLaw2024, "34")],
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
    /// A legal floor would apply, but the holding was handed over in a completed transfer and the recipient
    /// keeps the records the law says must be kept (PIPL Art 22: it continues the obligations); the seller's
    /// copy is no longer held by it.
    FloorPassedToRecipient,
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
    kept_under: Vec<Citation>,
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

    /// What keeps a holding that must otherwise go, named by its article: for `StorageOnly` under a floor
    /// a law or administrative regulation sets (AML Law 2024 Art 34) or under a legal hold, PIPL Art 47(2)
    /// and NDSR Art 24 (storage only); under floors of departmental rules alone (Broker Rule 2018 Art 51,
    /// whose article is in the reasons), PIPL Art 13(1)(3): kept as a legal obligation, because PIPL Art 47(2)
    /// speaks of periods set by laws and administrative regulations; for `HandOver`, AML Law 2024 Art 34.
    /// Empty for `Retain` and `Destroy`.
    pub fn kept_under(&self) -> &[Citation] {
        &self.kept_under
    }

    /// The citations behind the decision, without repeats, in order: what keeps it
    /// ([`RetentionDecision::kept_under`]), then each reason's.
    pub fn citations(&self) -> Vec<Citation> {
        let mut out = self.kept_under.clone();
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

fn on_or_absent(date: Option<NaiveDate>) -> Event {
    date.map_or(Event::Absent, Event::On)
}

fn closures(c: crate::facts::Closures) -> Event {
    match c {
        crate::facts::Closures::AllClosed(d) => Event::On(d),
        crate::facts::Closures::Open => Event::Pending,
        _ => Event::Absent,
    }
}

fn event(trigger: Trigger, facts: &RetentionFacts, held: &HeldData, purposes: &PurposeState) -> Event {
    match trigger {
        Trigger::Collection => Event::On(held.collected()),
        Trigger::ContractEnd { term } => {
            let mut any = false;
            let mut open = false;
            let mut latest: Option<NaiveDate> = None;
            let concerned = |c: &&crate::facts::Contract| match held.concerns() {
                None => true,
                Some(policies) => c.policy().is_some_and(|p| policies.contains(&p)),
            };
            for c in facts
                .contracts()
                .iter()
                .filter(|c| term.is_none_or(|t| c.term() == t))
                .filter(concerned)
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
        Trigger::RelationshipEnd => match facts.relationship_ended() {
            Some(end) => Event::On(end),
            None if facts.has_business_relationship() => Event::Pending,
            // A prospect: no relationship, no due diligence, so nothing for this floor to count from.
            None => Event::Absent,
        },
        Trigger::RelationshipEndOrCollection => match facts.relationship_ended() {
            Some(end) => Event::On(end),
            None if facts.has_business_relationship() => Event::Pending,
            None => Event::On(held.collected()),
        },
        Trigger::ClaimClosed => closures(facts.claims()),
        Trigger::ComplaintClosed => closures(facts.complaints()),
        Trigger::AccountClosed => on_or_absent(facts.account_closed()),
        Trigger::UnlawfulProcessing => on_or_absent(facts.processed_unlawfully()),
        Trigger::EntrustmentEnded => on_or_absent(facts.entrustment_ended()),
        Trigger::InstitutionDissolved => on_or_absent(facts.institution_dissolved()),
        Trigger::ProcessingEnded => held.processing_end().map_or(Event::Pending, Event::On),
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

/// How far past a period's nominal last day a rest-day extension can reach (Civil Code Art 203). No run of
/// rest days in the mainland calendar has been longer than nine days; a month is a bound no arrangement
/// comes near, used only to know when a day outside the calendar cannot change a decision.
const MAX_EXTENSION_DAYS: u64 = 31;

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

    /// The last day of a period whose counting ends on `nominal` (Civil Code Art 203 with the profile's
    /// calendar). Outside the calendar the nominal day stands where the answer on `on` cannot depend on it
    /// (`on` is not after it, or is more than a month after it); otherwise it is an error, never a guess.
    fn last_day(
        &self,
        rule: &RetentionRule,
        nominal: NaiveDate,
        on: NaiveDate,
    ) -> Result<NaiveDate, RetentionError> {
        let Some(calendar) = self.calendar() else {
            return Ok(nominal);
        };
        match calendar.period_last_day(nominal) {
            Ok(day) => Ok(day),
            Err(source) => {
                let far = nominal
                    .checked_add_days(Days::new(MAX_EXTENSION_DAYS))
                    .is_none_or(|limit| on > limit);
                if on <= nominal || far {
                    Ok(nominal)
                } else {
                    Err(RetentionError::Calendar {
                        rule: rule.id().to_string(),
                        source,
                    })
                }
            }
        }
    }

    fn decide_one(
        &self,
        facts: &RetentionFacts,
        held: &HeldData,
        holds: &Holds,
        on: NaiveDate,
    ) -> Result<RetentionDecision, RetentionError> {
        let holding = held.holding();
        if !self.shared_rules().iter().any(|r| r.scope().covers(holding)) {
            return Err(RetentionError::NoRule {
                customer: facts.customer().to_string(),
                holding: holding.to_string(),
                profile: self.name().to_owned(),
            });
        }
        let settings = self.settings();
        let purposes = purpose_state(facts, held);
        let floors_passed = facts.transfer_completed().is_some()
            && match holding {
                Holding::Category(c) => facts.record_duties_passed().contains(c),
                Holding::Record(_) => false,
            };
        let mut reasons = Vec::new();
        let mut floor_open = false;
        let mut floor_end: Option<NaiveDate> = None;
        let mut statutory_floor = false;
        let mut duty_due: Option<NaiveDate> = None;
        let mut hand_over_due: Option<NaiveDate> = None;
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
                let statutory = rule.citation().instrument().sets_statutory_periods();
                match ev {
                    Event::Absent => {}
                    Event::Pending | Event::On(_) if floors_passed => {
                        reasons.push(RetentionReason {
                            rule: Arc::clone(rule),
                            effect: RuleEffect::FloorPassedToRecipient,
                        });
                    }
                    Event::Pending => {
                        floor_open = true;
                        statutory_floor |= statutory;
                        reasons.push(RetentionReason {
                            rule: Arc::clone(rule),
                            effect: RuleEffect::FloorInForce { until: None },
                        });
                    }
                    Event::On(t) => {
                        let nominal = rule
                            .minimum()
                            .resolve(&settings)
                            .end_from(t)
                            .ok_or_else(|| out_of_range(t))?;
                        let end = self.last_day(rule, nominal, on)?;
                        floor_end = Some(floor_end.map_or(end, |f| f.max(end)));
                        let effect = if end >= on {
                            statutory_floor |= statutory;
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
                        let nominal = max
                            .resolve(&settings)
                            .end_from(t)
                            .ok_or_else(|| out_of_range(t))?;
                        let due = self
                            .last_day(rule, nominal, on)?
                            .succ_opt()
                            .ok_or_else(|| out_of_range(t))?;
                        match rule.on_due() {
                            OnDue::HandToDesignatedBody => {
                                hand_over_due = Some(hand_over_due.map_or(due, |d| d.min(due)));
                            }
                            _ => duty_due = Some(duty_due.map_or(due, |d| d.min(due))),
                        }
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
                until: hand_over_due.map_or(due, |h| h.min(due)).pred_opt(),
            },
            None => RetentionOutcome::Retain {
                until: hand_over_due.and_then(|h| h.pred_opt()),
            },
        };
        // A hand-over to the designated body (AML Law 2024 Art 34) replaces destruction and storage alike.
        let mut destroyable_from = destroyable_from;
        if let Some(since) = hand_over_due.filter(|d| *d <= on) {
            outcome = RetentionOutcome::HandOver { since };
            destroyable_from = None;
        }

        let hold_ids: Vec<HoldId> = holds
            .covering(facts.customer(), holding, on)
            .map(|h| h.id())
            .collect();
        if !hold_ids.is_empty() {
            // A hold always wins over destruction; how long it lasts is not known until it is released.
            destroyable_from = None;
            if let RetentionOutcome::Destroy { .. } | RetentionOutcome::StorageOnly { .. } = outcome {
                outcome = RetentionOutcome::StorageOnly { until: None };
            }
        }
        let kept_under = match outcome {
            RetentionOutcome::StorageOnly { .. } if statutory_floor || !hold_ids.is_empty() => {
                outcome.defining_citations()
            }
            // Only departmental rules' floors keep it (PIPL Art 47(2) speaks of laws and administrative
            // regulations): kept as a legal obligation.
            RetentionOutcome::StorageOnly { .. } => vec![Citation::pipl("13(1)(3)")],
            RetentionOutcome::HandOver { .. } => outcome.defining_citations(),
            _ => Vec::new(),
        };
        Ok(RetentionDecision {
            holding,
            on,
            outcome,
            reasons,
            holds: hold_ids,
            destroyable_from,
            kept_under,
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
