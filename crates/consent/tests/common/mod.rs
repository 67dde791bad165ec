//! Shared fixtures for the integration tests: notices, events and times, built by hand and kept small.
// Fixtures are test code: a panic here is a failed test, as clippy.toml allows inside #[test] functions.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use custodia_consent::*;
use custodia_model::{ActorId, CustomerId, DataCategory, Jurisdiction, Purpose};
use uuid::Uuid;

/// Day `d` of 2025 at noon UTC (day 0 = 1 January).
pub fn day(d: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap() + Duration::days(d)
}

pub fn notice_id() -> NoticeId {
    NoticeId::from_uuid(Uuid::from_u128(0x4e07)).unwrap()
}

pub fn party(n: u128) -> PartyId {
    PartyId::from_uuid(Uuid::from_u128(0xbeef_0000 + n)).unwrap()
}

pub fn customer(n: u128) -> CustomerId {
    CustomerId::from_uuid(Uuid::from_u128(0xc000_0000 + n)).unwrap()
}

pub fn actor() -> ActorId {
    ActorId::new("clerk-0ac70").unwrap()
}

pub struct NoticeSpec {
    pub version: u32,
    pub purposes: Vec<Purpose>,
    pub categories: Vec<DataCategory>,
    pub recipients: Vec<Recipient>,
    pub destinations: Vec<Jurisdiction>,
}

/// A notice version published and recorded on day 0.
pub fn notice(spec: NoticeSpec) -> Notice {
    notice_at(spec, day(0), day(0))
}

/// A notice version published at `published` and recorded at `recorded`.
pub fn notice_at(spec: NoticeSpec, published: DateTime<Utc>, recorded: DateTime<Utc>) -> Notice {
    Notice::new(NoticeDraft {
        id: notice_id(),
        version: spec.version,
        controller_name: "示例保险经纪有限公司".into(),
        controller_contact: "privacy@seller.invalid".into(),
        purposes: spec.purposes.into_iter().collect(),
        categories: spec.categories.into_iter().collect(),
        recipients: spec
            .recipients
            .into_iter()
            .map(|r| NoticeRecipient {
                recipient: r,
                name: format!("recipient {r}"),
                contact: "dpo@recipient.invalid".into(),
            })
            .collect(),
        destinations: spec.destinations.into_iter().collect(),
        retention: "policy term plus 10 years (Broker Rule Art 51)".into(),
        rights: "access, copy, correct, delete, withdraw at privacy@seller.invalid".into(),
        language: "zh-CN".into(),
        text_digest: Digest::of(format!("notice text v{}", spec.version).as_bytes()),
        published_at: published,
        recorded_at: recorded,
        processing: Some(custodia_synthetic::notices::processing_details(
            "privacy@seller.invalid",
        )),
    })
    .unwrap()
}

/// A broad first notice: marketing and analytics on contact, identity and health, no recipients.
pub fn notice_v1() -> Notice {
    notice(NoticeSpec {
        version: 1,
        purposes: vec![Purpose::Marketing, Purpose::Analytics, Purpose::Transfer],
        categories: vec![
            DataCategory::Contact,
            DataCategory::Identity,
            DataCategory::Health,
        ],
        recipients: vec![],
        destinations: vec![],
    })
}

#[derive(Clone)]
pub struct EventSpec {
    pub customer: CustomerId,
    pub kind: EventKind,
    pub purposes: Vec<Purpose>,
    pub categories: Vec<DataCategory>,
    pub recipient: Recipient,
    pub destinations: Vec<Jurisdiction>,
    pub separate: bool,
    pub notice_version: u32,
    pub effective: DateTime<Utc>,
    pub recorded: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
}

impl EventSpec {
    /// A bundled grant of marketing on contact data by the controller, under notice v1, effective and
    /// recorded at `t`.
    pub fn grant(customer: CustomerId, t: DateTime<Utc>) -> Self {
        Self {
            customer,
            kind: EventKind::Granted,
            purposes: vec![Purpose::Marketing],
            categories: vec![DataCategory::Contact],
            recipient: Recipient::Controller,
            destinations: vec![],
            separate: false,
            notice_version: 1,
            effective: t,
            recorded: t,
            expires: None,
        }
    }

    pub fn kind(mut self, kind: EventKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn recorded(mut self, t: DateTime<Utc>) -> Self {
        self.recorded = t;
        self
    }

    pub fn build(self) -> ConsentEvent {
        ConsentEvent::new(EventDraft {
            id: EventId::new_v7(),
            customer: self.customer,
            kind: self.kind,
            scope: ConsentScope::new(
                self.purposes,
                self.categories,
                self.recipient,
                self.destinations.into_iter().collect::<BTreeSet<_>>(),
            )
            .unwrap(),
            form: if self.separate {
                ConsentForm::Separate
            } else {
                ConsentForm::Bundled
            },
            notice: NoticeRef {
                id: notice_id(),
                version: self.notice_version,
            },
            channel: Channel::Paper,
            evidence: Digest::of(b"signed form scan"),
            effective_at: self.effective,
            recorded_at: self.recorded,
            recorded_by: actor(),
            expires_at: self.expires,
        })
        .unwrap()
    }
}

pub fn cn_policy() -> BasisPolicy {
    BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent)
}

/// An index holding `records` at ledger indices 0, 1, 2, ...
pub fn index_of(records: &[ConsentRecord]) -> ConsentIndex {
    let mut index = ConsentIndex::new(cn_policy());
    for (i, r) in records.iter().enumerate() {
        index.insert(i as u64, r).unwrap();
    }
    index
}
