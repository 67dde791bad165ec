//! Consent events from a synthetic book's consent facts: the one conversion the examples, tests and benches
//! share (it was written three times before the test kit existed).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use custodia_consent::{
    Channel, ConsentError, ConsentEvent, ConsentForm, ConsentScope, Digest, EventDraft, EventId, EventKind,
    GuardianId, NoticeRef, Recipient,
};
use custodia_model::{ActorId, CustomerId, Purpose};

use crate::book::ConsentFact;

/// 09:00 UTC on `date`: the time of day every synthetic event takes effect.
pub fn at_nine(date: NaiveDate) -> Result<DateTime<Utc>, ConsentError> {
    date.and_hms_opt(9, 0, 0)
        .map(|t| t.and_utc())
        .ok_or(ConsentError::InvalidTime {
            field: "fact.date",
            detail: "09:00 on that day is not a time",
        })
}

/// How the events of consent facts are recorded: under which notice, by whom, with which evidence digest,
/// and how long after taking effect each was keyed in (paper forms arrive late; `permits` is bitemporal).
#[derive(Clone, Debug)]
pub struct Recording {
    /// The notice version the customer was shown.
    pub notice: NoticeRef,
    /// Who keyed the events in.
    pub recorded_by: ActorId,
    /// The digest of the evidence kept (a form scan).
    pub evidence: Digest,
    /// How long after it took effect a grant was recorded.
    pub grant_delay: Duration,
    /// How long after it took effect a withdrawal was recorded.
    pub withdrawal_delay: Duration,
}

impl Recording {
    /// Events recorded on the day they take effect, under `notice`, by `recorded_by`, with `evidence`.
    pub fn on_the_day(notice: NoticeRef, recorded_by: ActorId, evidence: Digest) -> Self {
        Self {
            notice,
            recorded_by,
            evidence,
            grant_delay: Duration::zero(),
            withdrawal_delay: Duration::zero(),
        }
    }
}

/// The events a fact stands for: a grant by the customer or, for a minor, by a guardian, and, if the fact
/// was withdrawn, a withdrawal of the same scope. Both take effect at 09:00 UTC of their day, on paper, for
/// the controller itself; the event and guardian ids are fresh UUID v7.
pub fn consent_events(
    customer: CustomerId,
    fact: &ConsentFact,
    recording: &Recording,
) -> Result<Vec<ConsentEvent>, ConsentError> {
    let scope = ConsentScope::new(
        [fact.purpose.clone()],
        fact.categories.iter().copied(),
        Recipient::Controller,
        [],
    )?;
    let event = |kind, date: NaiveDate, delay: Duration| -> Result<ConsentEvent, ConsentError> {
        let effective_at = at_nine(date)?;
        ConsentEvent::new(EventDraft {
            id: EventId::new_v7(),
            customer,
            kind,
            scope: scope.clone(),
            form: if fact.separate {
                ConsentForm::Separate
            } else {
                ConsentForm::Bundled
            },
            notice: recording.notice,
            channel: Channel::Paper,
            evidence: recording.evidence,
            effective_at,
            recorded_at: effective_at + delay,
            recorded_by: recording.recorded_by.clone(),
            expires_at: None,
        })
    };
    let grant = if fact.by_guardian {
        EventKind::GuardianGranted {
            guardian: GuardianId::new_v7(),
        }
    } else {
        EventKind::Granted
    };
    let mut out = vec![event(grant, fact.granted_at, recording.grant_delay)?];
    if let Some(withdrawn) = fact.withdrawn_at {
        out.push(event(
            EventKind::Withdrawn,
            withdrawn,
            recording.withdrawal_delay,
        )?);
    }
    Ok(out)
}

/// The withdrawals among `consents`, as the purpose and the day, for
/// `custodia_transfer::facts::retention_facts`.
pub fn withdrawals(consents: &[ConsentFact]) -> Vec<(Purpose, NaiveDate)> {
    consents
        .iter()
        .filter_map(|f| f.withdrawn_at.map(|w| (f.purpose.clone(), w)))
        .collect()
}

/// A brokerage's general privacy notice (PIPL Art 17), version 1 in Simplified Chinese, published at
/// `published_at` by the controller `name` reachable at `contact`: every built-in purpose but the transfer,
/// every category, no recipients or destinations. The notice customers of a synthetic book were shown at
/// collection.
pub fn privacy_notice(
    name: &str,
    contact: &str,
    published_at: DateTime<Utc>,
) -> Result<custodia_consent::Notice, ConsentError> {
    custodia_consent::Notice::new(custodia_consent::NoticeDraft {
        id: custodia_consent::NoticeId::new_v7(),
        version: 1,
        controller_name: name.to_owned(),
        controller_contact: contact.to_owned(),
        purposes: Purpose::BUILTIN
            .into_iter()
            .filter(|p| *p != Purpose::Transfer)
            .collect(),
        categories: custodia_model::DataCategory::ALL.into_iter().collect(),
        recipients: vec![],
        destinations: std::collections::BTreeSet::new(),
        retention: "policy term plus 5 or 10 years (Broker Rule 2018 Art 51); AML records 10 years (AML Law 2024 Art 34)"
            .into(),
        rights: format!("access, copy, correct, delete, withdraw: {contact}"),
        language: "zh-CN".into(),
        text_digest: Digest::of(b"the privacy notice as shown at onboarding"),
        published_at,
        recorded_at: published_at,
    })
}
