//! Simulated answers of customers to a transfer notice, seeded and deterministic, chosen so that a plan over
//! them exercises every rule the transfer planner has for answers (issue 15): objections inside and after
//! the window, refusals on the notice path, answers addressed to the seller, to the buyer as successor and
//! to the buyer as third party, separate and bundled consents, late consents, consents withdrawn, a minor's
//! own consent and a guardian's, cross-border consents with and without the destination.
//!
//! One customer gets one [`Scenario`], by a hash of the seed and its position, with the shares of
//! [`AnswerConfig`]; [`answers`] turns it into the consent events to record on the seller's ledger, all
//! with purpose `transfer`. Nothing here decides: the planner does, and a test can compare its answer with
//! the scenario's.
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
use custodia_model::{ActorId, CustomerId, DataCategory, Jurisdiction, Purpose};

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
    let event = |kind, categories: &BTreeSet<DataCategory>, to, dests: &[Jurisdiction], form, at| {
        ConsentEvent::new(EventDraft {
            id: EventId::new_v7(),
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
            guardian: GuardianId::new_v7(),
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
