//! Simulated answers of customers to a transfer notice, seeded and deterministic, chosen so that a plan over
//! them exercises every rule the transfer planner has for answers (issue 15): objections inside and after
//! the window, refusals on the notice path, answers addressed to the seller, to the buyer as successor and
//! to the buyer as third party, separate and bundled consents, late consents, consents withdrawn, a minor's
//! own consent and a guardian's, cross-border consents with and without the destination.
//!
//! One customer gets one [`Scenario`], by a hash of the seed and its position, with the shares of
//! [`AnswerConfig`]; [`answers`] turns it into the consent events to record on the seller's ledger, all
//! with purpose `transfer`. Nothing here decides: the planner does, and a test can compare its answer with
//! the scenario's. Event and guardian ids are derived from the seed and the position too, so a program
//! that records the answers again (after a crash, or simply twice) records nothing twice; [`transfer_answers`]
//! derives the target from a customer and the agreement's terms, for a driver over a whole book.
//!
//! ```
//! use custodia_synthetic::answers::{AnswerConfig, Scenario, scenario};
//!
//! let config = AnswerConfig { seed: 7, ..AnswerConfig::default() };
//! let chosen: Vec<Scenario> = (0..200).map(|i| scenario(&config, i)).collect();
//! assert!(chosen.contains(&Scenario::ObjectionAfterWindow));
//! assert!(chosen.contains(&Scenario::RefusalOnNotice));
//! // The same seed and position give the same scenario.
//! assert_eq!(scenario(&config, 42), scenario(&config, 42));
//! ```

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use custodia_consent::{
    Channel, ConsentError, ConsentEvent, ConsentForm, ConsentScope, Digest, EventDraft, EventId, EventKind,
    GuardianId, NoticeRef, Recipient,
};
use custodia_model::{ActorId, Customer, CustomerId, DataCategory, Jurisdiction, ModelError, Purpose};
use custodia_transfer::AgreementTerms;

use crate::book::SplitMix64;

/// What one customer does with the notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scenario {
    /// Nothing: silence, which the notice path takes as no objection once the window closes.
    Silent,
    /// Objects inside the window.
    ObjectionInWindow,
    /// Objects after the window, before the data is packaged: still honoured (PIPL Art 44).
    ObjectionAfterWindow,
    /// Refuses the notice: on the notice path a refusal is an objection.
    RefusalOnNotice,
    /// A separate consent to the transfer of every category that needs one (sensitive, a minor's, abroad).
    SeparateConsent,
    /// The same consent, bundled with other matters: no separate consent (PIPL Arts 23, 29, 39).
    BundledConsent,
    /// A separate consent given after the plan date.
    LateConsent,
    /// A separate consent, withdrawn before the plan (PIPL Art 15).
    ConsentThenWithdrawal,
    /// A minor under 14 consents themself, not the guardian (PIPL Art 31). For an adult, a plain separate
    /// consent.
    MinorsOwnConsent,
    /// Abroad: a separate consent that does not name the destination (PIPL Art 39).
    ConsentWithoutDestination,
}

/// Who an answer is addressed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Addressed {
    /// The seller, the party the customer deals with.
    Seller,
    /// The buyer, as successor (PIPL Art 22).
    BuyerAsSuccessor,
    /// The buyer, as third party (PIPL Art 23).
    BuyerAsThirdParty,
}

/// The shares of each scenario, in percent of customers (the rest are silent), and the seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnswerConfig {
    /// The seed; with a customer's position it decides the scenario.
    pub seed: u64,
    /// Percent objecting inside the window.
    pub objection_in_window: u8,
    /// Percent objecting after it.
    pub objection_after_window: u8,
    /// Percent refusing.
    pub refusal: u8,
    /// Percent consenting separately.
    pub separate_consent: u8,
    /// Percent consenting bundled.
    pub bundled_consent: u8,
    /// Percent consenting late.
    pub late_consent: u8,
    /// Percent consenting and withdrawing.
    pub consent_then_withdrawal: u8,
    /// Percent whose consent, if a minor's, is their own.
    pub minors_own_consent: u8,
    /// Percent consenting abroad without the destination.
    pub consent_without_destination: u8,
}

impl Default for AnswerConfig {
    /// Seed 1; 3 % object in the window, 2 % after it, 2 % refuse, 50 % consent separately, 5 % bundled,
    /// 8 % late, 5 % withdraw, 3 % a minor's own, 2 % without the destination; the rest (20 %) are silent.
    fn default() -> Self {
        Self {
            seed: 1,
            objection_in_window: 3,
            objection_after_window: 2,
            refusal: 2,
            separate_consent: 50,
            bundled_consent: 5,
            late_consent: 8,
            consent_then_withdrawal: 5,
            minors_own_consent: 3,
            consent_without_destination: 2,
        }
    }
}

/// The scenario of the customer at `index`.
pub fn scenario(config: &AnswerConfig, index: u64) -> Scenario {
    let mut rng = SplitMix64::new(config.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5);
    let roll = rng.below(100);
    let order = [
        (config.objection_in_window, Scenario::ObjectionInWindow),
        (config.objection_after_window, Scenario::ObjectionAfterWindow),
        (config.refusal, Scenario::RefusalOnNotice),
        (config.separate_consent, Scenario::SeparateConsent),
        (config.bundled_consent, Scenario::BundledConsent),
        (config.late_consent, Scenario::LateConsent),
        (config.consent_then_withdrawal, Scenario::ConsentThenWithdrawal),
        (config.minors_own_consent, Scenario::MinorsOwnConsent),
        (
            config.consent_without_destination,
            Scenario::ConsentWithoutDestination,
        ),
    ];
    let mut upper = 0u64;
    for (share, s) in order {
        upper += u64::from(share);
        if roll < upper {
            return s;
        }
    }
    Scenario::Silent
}

/// Who the customer at `index` addresses their answers to: the three conventions in turn.
pub fn addressed(index: u64) -> Addressed {
    match index % 3 {
        0 => Addressed::Seller,
        1 => Addressed::BuyerAsSuccessor,
        _ => Addressed::BuyerAsThirdParty,
    }
}

/// The transfer the answers are about, and when things happen.
#[derive(Clone, Debug)]
pub struct AnswerTimes {
    /// The buyer's consent-ledger party id.
    pub buyer: custodia_consent::PartyId,
    /// The published transfer notice the answers refer to.
    pub notice: NoticeRef,
    /// When the notice was served.
    pub served_at: DateTime<Utc>,
    /// When the objection window closes.
    pub window_closes: DateTime<Utc>,
    /// When the final plan is made (a late consent comes after it).
    pub plan_at: DateTime<Utc>,
    /// Where the data goes abroad, if it does.
    pub destination: Option<Jurisdiction>,
    /// Who records the answers.
    pub recorded_by: ActorId,
}

/// One customer, as the generator needs them.
#[derive(Clone, Debug)]
pub struct AnswerTarget {
    /// The position in the book (decides the scenario and the addressee).
    pub index: u64,
    /// The customer.
    pub customer: CustomerId,
    /// The categories in scope the customer holds.
    pub categories: BTreeSet<DataCategory>,
    /// Which of them need a consent on the notice path (sensitive ones, a minor's, or all when abroad); on
    /// the consent path pass all of them.
    pub needing_consent: BTreeSet<DataCategory>,
    /// Whether the customer is under 14 (a guardian consents, PIPL Art 31).
    pub minor: bool,
}

/// The events the customer's scenario stands for, to record on the seller's ledger.
pub fn answers(
    config: &AnswerConfig,
    times: &AnswerTimes,
    target: &AnswerTarget,
) -> Result<Vec<ConsentEvent>, ConsentError> {
    let s = scenario(config, target.index);
    let recipient = match addressed(target.index) {
        Addressed::Seller => Recipient::Controller,
        Addressed::BuyerAsSuccessor => Recipient::Successor(times.buyer),
        Addressed::BuyerAsThirdParty => Recipient::ThirdParty(times.buyer),
    };
    // A consent names the buyer (as successor or third party, in turn); it is addressed to whom it concerns.
    let consent_to = match addressed(target.index) {
        Addressed::BuyerAsSuccessor => Recipient::Successor(times.buyer),
        _ => Recipient::ThirdParty(times.buyer),
    };
    let destinations: Vec<Jurisdiction> = times.destination.into_iter().collect();
    let slot = std::cell::Cell::new(0u64);
    let event = |kind, categories: &BTreeSet<DataCategory>, to, dests: &[Jurisdiction], form, at| {
        let id = EventId::from_uuid(stable_uuid(config.seed, target.index, slot.get())).map_err(model)?;
        slot.set(slot.get() + 1);
        ConsentEvent::new(EventDraft {
            id,
            customer: target.customer,
            kind,
            scope: ConsentScope::new(
                [Purpose::Transfer],
                categories.iter().copied(),
                to,
                dests.iter().copied(),
            )?,
            form,
            notice: times.notice,
            channel: Channel::MobileApp,
            evidence: Digest::of(format!("answer {} {}", target.customer, target.index).as_bytes()),
            effective_at: at,
            recorded_at: at,
            recorded_by: times.recorded_by.clone(),
            expires_at: None,
        })
    };
    let early = times.served_at + Duration::days(5);
    let grant = if target.minor {
        EventKind::GuardianGranted {
            guardian: GuardianId::from_uuid(stable_uuid(config.seed, target.index, 7)).map_err(model)?,
        }
    } else {
        EventKind::Granted
    };
    let all = &target.categories;
    let needing = &target.needing_consent;
    let mut out = Vec::new();
    match s {
        Scenario::Silent => {}
        Scenario::ObjectionInWindow | Scenario::ObjectionAfterWindow | Scenario::RefusalOnNotice
            if all.is_empty() => {}
        Scenario::ObjectionInWindow => out.push(event(
            EventKind::Objected,
            all,
            recipient,
            &[],
            ConsentForm::Separate,
            early,
        )?),
        Scenario::ObjectionAfterWindow => {
            let after = times.window_closes + (times.plan_at - times.window_closes) / 2;
            out.push(event(
                EventKind::Objected,
                all,
                recipient,
                &[],
                ConsentForm::Separate,
                after,
            )?);
        }
        Scenario::RefusalOnNotice => out.push(event(
            EventKind::Refused,
            all,
            recipient,
            &[],
            ConsentForm::Separate,
            early,
        )?),
        _ if needing.is_empty() => {}
        Scenario::SeparateConsent => out.push(event(
            grant,
            needing,
            consent_to,
            &destinations,
            ConsentForm::Separate,
            early,
        )?),
        Scenario::BundledConsent => out.push(event(
            grant,
            needing,
            consent_to,
            &destinations,
            ConsentForm::Bundled,
            early,
        )?),
        Scenario::LateConsent => {
            let late = times.plan_at + Duration::days(3);
            out.push(event(
                grant,
                needing,
                consent_to,
                &destinations,
                ConsentForm::Separate,
                late,
            )?);
        }
        Scenario::ConsentThenWithdrawal => {
            out.push(event(
                grant,
                needing,
                consent_to,
                &destinations,
                ConsentForm::Separate,
                early,
            )?);
            let withdrawn = times.served_at + Duration::days(10);
            out.push(event(
                EventKind::Withdrawn,
                needing,
                consent_to,
                &destinations,
                ConsentForm::Separate,
                withdrawn,
            )?);
        }
        Scenario::MinorsOwnConsent => {
            out.push(event(
                EventKind::Granted,
                needing,
                consent_to,
                &destinations,
                ConsentForm::Separate,
                early,
            )?);
        }
        Scenario::ConsentWithoutDestination => {
            out.push(event(
                grant,
                needing,
                consent_to,
                &[],
                ConsentForm::Separate,
                early,
            )?);
        }
    }
    Ok(out)
}

/// A UUID from a seed, a position and a slot: stable across runs, never nil.
fn stable_uuid(seed: u64, index: u64, slot: u64) -> uuid::Uuid {
    let position = index.wrapping_mul(8).wrapping_add(slot);
    let mut rng = SplitMix64::new(seed ^ position.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x5EED);
    let high = u128::from(rng.next_u64());
    let low = u128::from(rng.next_u64() | 1);
    uuid::Uuid::from_u128((high << 64) | low)
}

fn model(e: ModelError) -> ConsentError {
    ConsentError::from(e)
}

/// A driver's view of the answers to one transfer: the shares and seed, when the notice was served and the
/// final plan is made, and who keys the answers in. The buyer, the window and the destination come from
/// the agreement's terms.
#[derive(Clone, Debug)]
pub struct AnswerPlan {
    /// The shares of each scenario and the seed.
    pub config: AnswerConfig,
    /// When the notice was served.
    pub served_at: DateTime<Utc>,
    /// When the final plan is made (late consents come 3 days after it).
    pub plan_at: DateTime<Utc>,
    /// The published notice the answers refer to.
    pub notice: NoticeRef,
    /// Who records the answers.
    pub recorded_by: ActorId,
}

impl AnswerPlan {
    /// The default shares with `seed`, for a notice served at `served_at` and a final plan 45 days later.
    pub fn new(seed: u64, served_at: DateTime<Utc>, notice: NoticeRef, recorded_by: ActorId) -> Self {
        Self {
            config: AnswerConfig {
                seed,
                ..AnswerConfig::default()
            },
            served_at,
            plan_at: served_at + Duration::days(45),
            notice,
            recorded_by,
        }
    }
}

/// The answers customer number `index` of the book gives to the transfer of `terms`: the categories in
/// scope it holds, those needing a consent (sensitive ones and a minor's; all of them when the data goes
/// abroad), and whether it is a minor, all judged on the agreement's effective day. A customer outside the
/// selection, or holding nothing in scope, gives none.
pub fn transfer_answers(
    plan: &AnswerPlan,
    index: u64,
    customer: &Customer,
    terms: &AgreementTerms,
) -> Result<Vec<ConsentEvent>, ConsentError> {
    let effective = terms.effective;
    if !terms.selects(customer.relationship_end(), effective) {
        return Ok(Vec::new());
    }
    let scope = terms.categories();
    let categories: BTreeSet<DataCategory> = customer
        .categories_held()
        .into_iter()
        .filter(|k| scope.contains(k))
        .collect();
    let minor = customer.is_minor_at(effective);
    let abroad = terms.cross_border.as_ref().map(|c| c.destination);
    let needing_consent = categories
        .iter()
        .copied()
        .filter(|k| minor || abroad.is_some() || k.is_sensitive())
        .collect();
    let window_closes = plan.served_at + Duration::days(i64::from(terms.objection_window_days));
    let times = AnswerTimes {
        buyer: terms.buyer.party_id(),
        notice: plan.notice,
        served_at: plan.served_at,
        window_closes,
        plan_at: plan.plan_at,
        destination: abroad,
        recorded_by: plan.recorded_by.clone(),
    };
    let target = AnswerTarget {
        index,
        customer: customer.id(),
        categories,
        needing_consent,
        minor,
    };
    answers(&plan.config, &times, &target)
}
