//! Consent events: notice served, granted, refused, withdrawn, objected, granted by a guardian (PIPL Arts
//! 14–17, 31), and data provided to a recipient; bitemporal (effective and recorded times).

use chrono::{DateTime, Utc};
use custodia_model::{ActorId, Citation, CustomerId};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::ConsentError;
use crate::ids::{EventId, GuardianId};
use crate::notice::NoticeRef;
use crate::scope::ConsentScope;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// The notice was shown or delivered to the customer (PIPL Art 17; for a successor, Art 22).
    NoticeServed,
    /// The customer consented (PIPL Art 14).
    Granted,
    /// The customer declined a request for consent. Like a withdrawal it is the customer's latest word on
    /// the scope, so it ends earlier grants from its effective time (PIPL Art 14: consent is voluntary).
    Refused,
    /// The customer withdrew consent; effective from its effective time, never retroactively (PIPL Art 15).
    Withdrawn,
    /// The customer objected to or opted out of a processing (PIPL Art 44; PIPL Art 24 for marketing).
    Objected,
    /// A parent or guardian consented for a minor under 14 (PIPL Art 31). It counts only for a person under
    /// the guardian age when it took effect, on the calendar of the person's jurisdiction.
    GuardianGranted {
        /// Who consented, pseudonymously.
        guardian: GuardianId,
    },
    /// The controller provided data in the scope to its recipient at the effective time, on whatever basis
    /// the policy gives the purposes (a contract with an insurer, a legal duty, a consent). It grants and
    /// ends nothing; it records who holds the data, so that a withdrawal, refusal or objection reaches every
    /// recipient that received it, on consent or not (PIPL Art 23; GDPR Arts 17(2), 19).
    Provided,
}

impl EventKind {
    /// Whether the event grants consent (by the customer or a guardian).
    pub fn is_grant(self) -> bool {
        matches!(self, EventKind::Granted | EventKind::GuardianGranted { .. })
    }

    /// Whether the event ends earlier grants for what its scope covers: refusal, withdrawal, objection.
    pub fn ends_grants(self) -> bool {
        matches!(
            self,
            EventKind::Refused | EventKind::Withdrawn | EventKind::Objected
        )
    }

    /// The article that gives the event its effect.
    pub fn citation(self) -> Citation {
        Citation::pipl(match self {
            EventKind::NoticeServed => "17",
            EventKind::Granted | EventKind::Refused => "14",
            EventKind::Withdrawn => "15",
            EventKind::Objected => "44",
            EventKind::GuardianGranted { .. } => "31",
            EventKind::Provided => "23",
        })
    }
}

/// Whether consent was given separately from everything else (单独同意), as PIPL Arts 23, 29 and 39 require
/// for provision to a third party, sensitive data and transfers abroad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Not `#[non_exhaustive]`: PIPL knows two forms, separate (单独同意) or not; a third would be a new law.
pub enum ConsentForm {
    /// A consent asked for on its own, for this scope only.
    Separate,
    /// A consent given together with other matters (a general privacy policy acceptance).
    Bundled,
}

/// How the event reached the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Channel {
    /// A web form.
    Web,
    /// A mobile application.
    MobileApp,
    /// A signed paper form, often recorded later than it took effect.
    Paper,
    /// A recorded phone call.
    Phone,
    /// In person at a branch or with an agent.
    InPerson,
    /// E-mail.
    Email,
    /// SMS.
    Sms,
    /// A channel not listed here.
    Other,
}

/// Every field of an event, as plain data: the input of [`ConsentEvent::new`] and its stored form. It holds
/// ids, categories, purposes and digests only, never a name, number or address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDraft {
    /// This event's id; a consent receipt is identified by it.
    pub id: EventId,
    /// The customer, by pseudonymous id.
    pub customer: CustomerId,
    /// What happened.
    pub kind: EventKind,
    /// What it is about.
    pub scope: ConsentScope,
    /// Separate or bundled consent.
    pub form: ConsentForm,
    /// The notice version the customer was shown.
    pub notice: NoticeRef,
    /// How it reached the controller.
    pub channel: Channel,
    /// SHA-256 of the evidence kept by the controller (form scan, session log, call recording).
    pub evidence: Digest,
    /// When it took effect: valid time.
    pub effective_at: DateTime<Utc>,
    /// When the controller recorded it: transaction time.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it: a member of staff or a system account, by directory id (never a name).
    pub recorded_by: ActorId,
    /// When a grant lapses, if it does.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A validated consent event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "EventDraft", into = "EventDraft")]
pub struct ConsentEvent {
    draft: EventDraft,
}

impl ConsentEvent {
    /// Checks the draft: an expiry only on a grant, and strictly after the effective time. Effective time may
    /// precede recording (a paper form entered later) or follow it (a withdrawal dated ahead); both are real.
    pub fn new(draft: EventDraft) -> Result<Self, ConsentError> {
        if let Some(expiry) = draft.expires_at {
            if !draft.kind.is_grant() {
                return Err(ConsentError::InvalidTime {
                    field: "event.expires_at",
                    detail: "only a grant can expire",
                });
            }
            if expiry <= draft.effective_at {
                return Err(ConsentError::InvalidTime {
                    field: "event.expires_at",
                    detail: "must be after effective_at",
                });
            }
        }
        Ok(Self { draft })
    }

    /// All fields, read-only.
    pub fn fields(&self) -> &EventDraft {
        &self.draft
    }

    /// The event id.
    pub fn id(&self) -> EventId {
        self.draft.id
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.draft.customer
    }

    /// What happened.
    pub fn kind(&self) -> EventKind {
        self.draft.kind
    }

    /// What it is about.
    pub fn scope(&self) -> &ConsentScope {
        &self.draft.scope
    }

    /// Separate or bundled.
    pub fn form(&self) -> ConsentForm {
        self.draft.form
    }

    /// The notice version shown.
    pub fn notice(&self) -> NoticeRef {
        self.draft.notice
    }

    /// When it took effect.
    pub fn effective_at(&self) -> DateTime<Utc> {
        self.draft.effective_at
    }

    /// When it was recorded.
    pub fn recorded_at(&self) -> DateTime<Utc> {
        self.draft.recorded_at
    }

    /// When a grant lapses.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.draft.expires_at
    }
}

impl TryFrom<EventDraft> for ConsentEvent {
    type Error = ConsentError;

    fn try_from(draft: EventDraft) -> Result<Self, Self::Error> {
        ConsentEvent::new(draft)
    }
}

impl From<ConsentEvent> for EventDraft {
    fn from(e: ConsentEvent) -> Self {
        e.draft
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::NoticeId;
    use crate::scope::Recipient;
    use chrono::{Duration, TimeZone};
    use custodia_model::{DataCategory, Purpose};

    fn draft(kind: EventKind) -> EventDraft {
        let t = Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap();
        EventDraft {
            id: EventId::new_v7(),
            customer: CustomerId::new_v7(),
            kind,
            scope: ConsentScope::new(
                [Purpose::Marketing],
                [DataCategory::Contact],
                Recipient::Controller,
                [],
            )
            .unwrap(),
            form: ConsentForm::Bundled,
            notice: NoticeRef {
                id: NoticeId::new_v7(),
                version: 1,
            },
            channel: Channel::Paper,
            evidence: Digest::of(b"scan"),
            effective_at: t,
            recorded_at: t + Duration::days(10),
            recorded_by: ActorId::new("clerk-7").unwrap(),
            expires_at: None,
        }
    }

    #[test]
    fn expiry_must_follow_effect_and_belong_to_a_grant() {
        let mut d = draft(EventKind::Granted);
        d.expires_at = Some(d.effective_at);
        assert_eq!(
            ConsentEvent::new(d).unwrap_err(),
            ConsentError::InvalidTime {
                field: "event.expires_at",
                detail: "must be after effective_at"
            }
        );
        let mut d = draft(EventKind::Withdrawn);
        d.expires_at = Some(d.effective_at + Duration::days(1));
        assert!(ConsentEvent::new(d).is_err());
        let mut d = draft(EventKind::Granted);
        d.expires_at = Some(d.effective_at + Duration::days(1));
        assert!(ConsentEvent::new(d).is_ok());
    }

    #[test]
    fn polarity_and_citations() {
        assert!(
            EventKind::GuardianGranted {
                guardian: GuardianId::new_v7()
            }
            .is_grant()
        );
        assert!(EventKind::Objected.ends_grants());
        assert!(!EventKind::NoticeServed.ends_grants());
        assert_eq!(EventKind::Withdrawn.citation().to_string(), "PIPL Art 15");
    }

    #[test]
    fn stored_form_round_trips_and_holds_no_free_text() {
        let e = ConsentEvent::new(draft(EventKind::Granted)).unwrap();
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<ConsentEvent>(&json).unwrap(), e);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert!(keys.iter().all(|k| !k.contains("name") && !k.contains("phone")));
    }
}
