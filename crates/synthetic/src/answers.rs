//! Simulated answers of a synthetic book's customers to a transfer notice: objections inside and after the window, and separate consents (some late, withdrawn, refused, bundled, or given by a minor alone).
//!
//! Reproducible from a seed and the customer's position in the book, event ids included, so that a
//! program that records them again after a crash records nothing twice.

use chrono::{DateTime, Duration, Utc};
use custodia_consent::{
    Channel, ConsentError, ConsentEvent, ConsentForm, ConsentScope, Digest, EventDraft, EventId, EventKind,
    GuardianId, NoticeRef, Recipient,
};
use custodia_model::{ActorId, Customer, DataCategory, ModelError, Purpose};
use custodia_transfer::AgreementTerms;

/// How the answers are simulated and recorded.
#[derive(Clone, Debug)]
pub struct AnswerPlan {
    /// The seed of the simulation.
    pub seed: u64,
    /// When the notice was served; answers take effect days after it.
    pub served_at: DateTime<Utc>,
    /// The notice the answers respond to.
    pub notice: NoticeRef,
    /// Who keys the answers in.
    pub recorded_by: ActorId,
}

impl AnswerPlan {
    /// Answers simulated from `seed` to the notice `notice` served at `served_at`, keyed in by `recorded_by`.
    pub fn new(seed: u64, served_at: DateTime<Utc>, notice: NoticeRef, recorded_by: ActorId) -> Self {
        Self {
            seed,
            served_at,
            notice,
            recorded_by,
        }
    }
}

/// SplitMix64 of the seed and a position.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed
        ^ index
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0x632B_E59B_D9B4_E019);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A UUID from a seed, a position and a slot: stable across runs, never nil.
fn stable_uuid(seed: u64, n: u64, slot: u64) -> uuid::Uuid {
    let high = u128::from(mix(seed ^ 0x5eed, n.wrapping_mul(8).wrapping_add(slot)));
    let low = u128::from(mix(seed, n.wrapping_mul(8).wrapping_add(slot)) | 1);
    uuid::Uuid::from_u128((high << 64) | low)
}

/// The answers customer number `n` of the book gives to the transfer of `terms`, each with its effective
/// (and recorded) time: about 3% object within the window and 1% after it (day 40); of those whose
/// sensitive categories or minor's data need a separate consent, 55% give it on day 5, 10% on day 38,
/// 5% give it and withdraw it on day 25, 5% give a bundled consent, 3% consent themselves though a
/// guardian should (minors) and 2% refuse; the rest are silent. Customers outside the selection or holding
/// nothing in scope give none.
pub fn transfer_answers(
    plan: &AnswerPlan,
    n: u64,
    customer: &Customer,
    terms: &AgreementTerms,
) -> Result<Vec<ConsentEvent>, ConsentError> {
    let effective = terms.effective;
    if !terms.selects(customer.relationship_end(), effective) {
        return Ok(Vec::new());
    }
    let scope = terms.categories();
    let held: Vec<DataCategory> = customer
        .categories_held()
        .into_iter()
        .filter(|k| scope.contains(k))
        .collect();
    let minor = customer.is_minor_at(effective);
    let needing: Vec<DataCategory> = held
        .iter()
        .copied()
        .filter(|k| minor || k.is_sensitive())
        .collect();
    let buyer = terms.buyer.party_id();
    let h = mix(plan.seed, n);
    let mut answers: Vec<(i64, EventKind, ConsentForm, Recipient, &[DataCategory])> = Vec::new();
    match h % 100 {
        0..=2 if !held.is_empty() => answers.push((
            1 + ((h >> 8) % 25) as i64,
            EventKind::Objected,
            ConsentForm::Separate,
            Recipient::Successor(buyer),
            &held,
        )),
        3 if !held.is_empty() => answers.push((
            40,
            EventKind::Objected,
            ConsentForm::Separate,
            Recipient::Successor(buyer),
            &held,
        )),
        _ => {}
    }
    if !needing.is_empty() {
        let grant = if minor {
            let guardian = GuardianId::from_uuid(stable_uuid(plan.seed, n, 7)).map_err(model)?;
            EventKind::GuardianGranted { guardian }
        } else {
            EventKind::Granted
        };
        let consent = |day, kind, form| (day, kind, form, Recipient::ThirdParty(buyer), needing.as_slice());
        match (h >> 16) % 100 {
            0..=54 => answers.push(consent(5, grant, ConsentForm::Separate)),
            55..=64 => answers.push(consent(38, grant, ConsentForm::Separate)),
            65..=69 => {
                answers.push(consent(5, grant, ConsentForm::Separate));
                answers.push(consent(25, EventKind::Withdrawn, ConsentForm::Separate));
            }
            70..=74 => answers.push(consent(5, grant, ConsentForm::Bundled)),
            75..=77 => answers.push(consent(5, EventKind::Granted, ConsentForm::Separate)),
            78..=79 => answers.push(consent(5, EventKind::Refused, ConsentForm::Separate)),
            _ => {}
        }
    }
    answers
        .into_iter()
        .enumerate()
        .map(|(slot, (day, kind, form, recipient, categories))| {
            let at = plan.served_at + Duration::days(day);
            ConsentEvent::new(EventDraft {
                id: EventId::from_uuid(stable_uuid(plan.seed, n, slot as u64)).map_err(model)?,
                customer: customer.id(),
                kind,
                scope: ConsentScope::new([Purpose::Transfer], categories.iter().copied(), recipient, [])?,
                form,
                notice: plan.notice,
                channel: Channel::MobileApp,
                evidence: Digest::of(format!("response {} {n} {slot}", customer.id()).as_bytes()),
                effective_at: at,
                recorded_at: at,
                recorded_by: plan.recorded_by.clone(),
                expires_at: None,
            })
        })
        .collect()
}

fn model(e: ModelError) -> ConsentError {
    ConsentError::from(e)
}
