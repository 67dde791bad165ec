//! A proptest state machine: random sequences of notices and events, and after every step random
//! bitemporal questions, answered by the index and by a small reference model written straight from the
//! rules, with no bit masks, no backward pass and no interning. They must agree on the outcome, the basis
//! and the evidence.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use common::*;
use custodia_consent::*;
use custodia_model::{DataCategory, Jurisdiction, LegalBasis, Purpose};
use proptest::prelude::*;

const PURPOSES: [Purpose; 2] = [Purpose::Marketing, Purpose::Analytics];
const QUERY_PURPOSES: [Purpose; 4] = [
    Purpose::Marketing,
    Purpose::Analytics,
    Purpose::Transfer,
    Purpose::PolicyServicing,
];
const CATEGORIES: [DataCategory; 3] = [
    DataCategory::Contact,
    DataCategory::Identity,
    DataCategory::Health,
];

fn recipients() -> [Recipient; 3] {
    [
        Recipient::Controller,
        Recipient::ThirdParty(party(1)),
        Recipient::Successor(party(2)),
    ]
}

fn destinations() -> [Jurisdiction; 3] {
    [
        Jurisdiction::MAINLAND_CHINA,
        Jurisdiction::HONG_KONG,
        Jurisdiction::new("US").unwrap(),
    ]
}

fn pick<T: Clone>(all: &[T], mask: u8) -> Vec<T> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, v)| v.clone())
        .collect()
}

#[derive(Debug, Clone)]
enum Op {
    Notice {
        version: u32,
        purposes: u8,
        categories: u8,
        recipients: u8,
        destinations: u8,
    },
    Event {
        customer: u8,
        kind: u8,
        purposes: u8,
        categories: u8,
        recipient: u8,
        destinations: u8,
        separate: bool,
        notice: u32,
        effective: i64,
        recorded_delay: i64,
        expires: Option<i64>,
    },
}

/// A set as a bit mask, full half of the time so that notices and grants overlap often enough for the
/// interesting rules (withdrawal, expiry, guardians, successors) to decide real cases.
fn mask(full: u8) -> impl Strategy<Value = u8> {
    prop_oneof![1 => Just(full), 1 => 1..=full]
}

/// Grants weigh most; every other kind still shows up in most sequences.
fn event_kind() -> impl Strategy<Value = u8> {
    prop_oneof![3 => Just(1u8), 1 => Just(2u8), 1 => Just(0u8), 1 => Just(3u8), 1 => Just(4u8), 1 => Just(5u8)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (1u32..=3, mask(3), mask(7), mask(3), mask(3)).prop_map(
            |(version, purposes, categories, recipients, destinations)| Op::Notice {
                version,
                purposes,
                categories,
                // Recipients other than the controller: third party (bit 0), successor (bit 1).
                recipients,
                // Destinations abroad only: HK (bit 0), US (bit 1).
                destinations,
            }
        ),
        5 => (
            (0u8..2, event_kind(), mask(3), mask(7), 0u8..3, prop_oneof![Just(0u8), 0u8..4]),
            (any::<bool>(), 1u32..=3, 0i64..30, -3i64..10, proptest::option::of(1i64..20)),
        )
            .prop_map(
                |(
                    (customer, kind, purposes, categories, recipient, destinations),
                    (separate, notice, effective, recorded_delay, expires),
                )| Op::Event {
                    customer,
                    kind,
                    purposes,
                    categories,
                    recipient,
                    destinations,
                    separate,
                    notice,
                    effective,
                    recorded_delay,
                    expires,
                }
            ),
    ]
}

#[derive(Debug, Clone)]
struct Question {
    /// When set, the question is re-aimed at the scope of the n-th grant recorded so far (modulo their
    /// number), at a time shortly after it took effect, so that many questions hit a grant.
    aim: Option<(usize, i64, bool)>,
    customer: u8,
    purpose: usize,
    category: usize,
    recipient: usize,
    destination: usize,
    at: i64,
    as_of: i64,
}

fn question() -> impl Strategy<Value = Question> {
    (
        proptest::option::weighted(0.7, (0usize..64, 0i64..12, any::<bool>())),
        (
            0u8..2,
            0usize..4,
            0usize..3,
            0usize..3,
            0usize..3,
            0i64..36,
            0i64..45,
        ),
    )
        .prop_map(
            |(aim, (customer, purpose, category, recipient, destination, at, as_of))| Question {
                aim,
                customer,
                purpose,
                category,
                recipient,
                destination,
                at,
                as_of,
            },
        )
}

fn abroad(mask: u8) -> Vec<Jurisdiction> {
    pick(&destinations()[1..], mask)
}

fn kind(k: u8) -> EventKind {
    match k {
        0 => EventKind::NoticeServed,
        1 => EventKind::Granted,
        2 => EventKind::GuardianGranted {
            guardian: GuardianId::from_uuid(uuid::Uuid::from_u128(0x6a)).unwrap(),
        },
        3 => EventKind::Refused,
        4 => EventKind::Withdrawn,
        _ => EventKind::Objected,
    }
}

/// Turns an op into a record, or `None` for a notice version already published (re-publishing a version
/// with different content is refused by the index; that has its own test).
fn record(op: &Op, published: &mut Vec<u32>) -> Option<ConsentRecord> {
    match op {
        Op::Notice {
            version,
            purposes,
            categories,
            recipients: r,
            destinations: d,
        } => {
            if published.contains(version) {
                return None;
            }
            published.push(*version);
            Some(ConsentRecord::Notice(notice(NoticeSpec {
                version: *version,
                purposes: pick(&PURPOSES, *purposes),
                categories: pick(&CATEGORIES, *categories),
                recipients: pick(&recipients()[1..], *r),
                destinations: abroad(*d),
            })))
        }
        Op::Event {
            customer: c,
            kind: k,
            purposes,
            categories,
            recipient,
            destinations: d,
            separate,
            notice,
            effective,
            recorded_delay,
            expires,
        } => {
            let kind = kind(*k);
            let spec = EventSpec {
                customer: customer(u128::from(*c)),
                kind,
                purposes: pick(&PURPOSES, *purposes),
                categories: pick(&CATEGORIES, *categories),
                recipient: recipients()[usize::from(*recipient)],
                destinations: abroad(*d),
                separate: *separate,
                notice_version: *notice,
                effective: day(*effective),
                recorded: day((*effective + *recorded_delay).max(0)),
                expires: expires.filter(|_| kind.is_grant()).map(|x| day(*effective + x)),
            };
            Some(ConsentRecord::Event(spec.build()))
        }
    }
}

fn subject(c: u8, birth: u8) -> Subject {
    let id = customer(u128::from(c));
    match (c, birth) {
        (_, 0) => Subject::new(id),
        // Turns 14 on 2025-01-16, inside the timeline.
        (_, 1) => Subject::born(id, NaiveDate::from_ymd_opt(2011, 1, 16).unwrap()),
        // A child throughout.
        (_, 2) => Subject::born(id, NaiveDate::from_ymd_opt(2018, 5, 5).unwrap()),
        // An adult throughout.
        _ => Subject::born(id, NaiveDate::from_ymd_opt(1980, 5, 5).unwrap()),
    }
}

/// The reference model: replays the customer's known events in the order they took effect, keeping the
/// set of grants in force for this one use.
fn reference(
    records: &[(u64, ConsentRecord)],
    policy: &BasisPolicy,
    subject: &Subject,
    u: &ProposedUse,
    at: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> (bool, Option<LegalBasis>, Vec<u64>) {
    let Some(rule) = policy.rule(u.purpose()) else {
        return (false, None, vec![]);
    };
    if rule.basis != LegalBasis::Consent {
        return (true, Some(rule.basis), vec![]);
    }
    let notice_of = |r: NoticeRef| {
        records.iter().find_map(|(_, rec)| match rec {
            ConsentRecord::Notice(n) if n.reference() == r => Some(n.clone()),
            _ => None,
        })
    };
    let names = |n: &Notice, r: Recipient| {
        r == Recipient::Controller || n.fields().recipients.iter().any(|x| x.recipient == r)
    };
    let age = policy.guardian_age_years();
    let mut events: Vec<(u64, ConsentEvent)> = records
        .iter()
        .filter_map(|(i, rec)| match rec {
            ConsentRecord::Event(e)
                if e.customer() == subject.customer()
                    && e.recorded_at() <= as_of
                    && e.effective_at() <= at =>
            {
                Some((*i, e.clone()))
            }
            _ => None,
        })
        .collect();
    events.sort_by_key(|(i, e)| (e.effective_at(), *i));

    let abroad = u.destination() != Jurisdiction::MAINLAND_CHINA;
    let needs_separate = u.category().is_sensitive()
        || subject.is_minor_at(at, age)
        || matches!(u.recipient(), Recipient::ThirdParty(_))
        || abroad;
    let successor_notified = matches!(u.recipient(), Recipient::Successor(_))
        && events.iter().any(|(_, e)| {
            e.kind() == EventKind::NoticeServed
                && notice_of(e.notice()).is_some_and(|n| names(&n, u.recipient()))
        });

    let mut in_force: Vec<(u64, ConsentEvent)> = Vec::new();
    for (i, e) in events {
        let s = e.scope();
        let reaches_use = s.purposes().contains(u.purpose()) && s.categories().contains(&u.category());
        if e.kind().is_grant() {
            let recipient_ok = s.recipient() == u.recipient()
                || (matches!(u.recipient(), Recipient::Successor(_))
                    && s.recipient() == Recipient::Controller
                    && successor_notified);
            let destination_ok = !abroad || s.destinations().contains(&u.destination());
            let notice_ok = notice_of(e.notice()).is_some_and(|n| {
                let f = n.fields();
                f.purposes.contains(u.purpose())
                    && f.categories.contains(&u.category())
                    && names(&n, s.recipient())
                    && (!abroad || f.destinations.contains(&u.destination()))
            });
            let separate_ok = !needs_separate || e.form() == ConsentForm::Separate;
            let guardian_ok = !subject.is_minor_at(e.effective_at(), age)
                || matches!(e.kind(), EventKind::GuardianGranted { .. });
            if reaches_use && recipient_ok && destination_ok && notice_ok && separate_ok && guardian_ok {
                in_force.push((i, e));
            }
        } else if e.kind().ends_grants() {
            let destination_reached =
                s.destinations().is_empty() || (abroad && s.destinations().contains(&u.destination()));
            if reaches_use && destination_reached {
                in_force.retain(|(_, g)| {
                    !(s.recipient() == u.recipient() || s.recipient() == g.scope().recipient())
                });
            }
        }
    }
    in_force.retain(|(_, g)| g.expires_at().is_none_or(|x| x > at));
    let mut evidence: Vec<u64> = in_force.iter().map(|(i, _)| *i).collect();
    evidence.sort_unstable();
    (!evidence.is_empty(), Some(LegalBasis::Consent), evidence)
}

/// Who must hear of the ending event `w` at `w_index`: recipients that got overlapping data before it
/// took effect, directly by a grant or as a successor served an Art 22 notice while a controller grant
/// overlapping it existed.
fn reference_propagation(
    records: &[(u64, ConsentRecord)],
    w_index: u64,
    w: &ConsentEvent,
) -> Vec<(Recipient, Vec<u64>)> {
    use std::collections::BTreeMap;
    let ws = w.scope();
    let overlaps = |e: &ConsentEvent| {
        e.scope().purposes().iter().any(|p| ws.purposes().contains(p))
            && e.scope().categories().iter().any(|c| ws.categories().contains(c))
    };
    let earlier: Vec<(u64, &ConsentEvent)> = records
        .iter()
        .filter_map(|(i, r)| match r {
            ConsentRecord::Event(e)
                if e.customer() == w.customer() && (e.effective_at(), *i) < (w.effective_at(), w_index) =>
            {
                Some((*i, e))
            }
            _ => None,
        })
        .collect();
    let to_controller = ws.recipient() == Recipient::Controller;
    let controller_grants: Vec<u64> = earlier
        .iter()
        .filter(|(_, e)| e.kind().is_grant() && e.scope().recipient() == Recipient::Controller && overlaps(e))
        .map(|(i, _)| *i)
        .collect();
    let mut out: BTreeMap<Recipient, Vec<u64>> = BTreeMap::new();
    for (i, e) in &earlier {
        let r = e.scope().recipient();
        if e.kind().is_grant()
            && r != Recipient::Controller
            && overlaps(e)
            && (to_controller || r == ws.recipient())
        {
            out.entry(r).or_default().push(*i);
        }
        if e.kind() == EventKind::NoticeServed && !controller_grants.is_empty() {
            let notice = records.iter().find_map(|(_, rec)| match rec {
                ConsentRecord::Notice(n) if n.reference() == e.notice() => Some(n),
                _ => None,
            });
            for nr in notice.map(|n| n.fields().recipients.clone()).unwrap_or_default() {
                if matches!(nr.recipient, Recipient::Successor(_))
                    && (to_controller || nr.recipient == ws.recipient())
                {
                    let because = out.entry(nr.recipient).or_default();
                    because.push(*i);
                    because.extend(&controller_grants);
                }
            }
        }
    }
    out.into_iter()
        .map(|(r, mut v)| {
            v.sort_unstable();
            v.dedup();
            (r, v)
        })
        .collect()
}

/// The question as asked: either as generated, or aimed at a grant's scope.
fn aimed(
    q: &Question,
    records: &[(u64, ConsentRecord)],
    birth: u8,
) -> (Subject, ProposedUse, DateTime<Utc>, DateTime<Utc>) {
    let grants: Vec<&ConsentEvent> = records
        .iter()
        .filter_map(|(_, r)| match r {
            ConsentRecord::Event(e) if e.kind().is_grant() => Some(e),
            _ => None,
        })
        .collect();
    let plain = ProposedUse::new(
        QUERY_PURPOSES[q.purpose].clone(),
        CATEGORIES[q.category],
        recipients()[q.recipient],
        destinations()[q.destination],
    );
    let customer_of = |c: custodia_model::CustomerId| u8::from(c != customer(0));
    match q.aim {
        Some((n, delay, as_successor)) if !grants.is_empty() => {
            let g = grants[n % grants.len()];
            let scope = g.scope();
            let recipient = if as_successor && scope.recipient() == Recipient::Controller {
                Recipient::Successor(party(2))
            } else {
                scope.recipient()
            };
            let u = ProposedUse::new(
                scope.purposes().iter().next().unwrap().clone(),
                *scope.categories().iter().next().unwrap(),
                recipient,
                scope
                    .destinations()
                    .iter()
                    .next()
                    .copied()
                    .unwrap_or(Jurisdiction::MAINLAND_CHINA),
            );
            let at = g.effective_at() + chrono::Duration::days(delay);
            (
                subject(customer_of(g.customer()), birth),
                u,
                at,
                day(q.as_of).max(at),
            )
        }
        _ => (subject(q.customer, birth), plain, day(q.at), day(q.as_of)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_index_agrees_with_the_reference_model(
        ops in proptest::collection::vec(op(), 1..30),
        questions in proptest::collection::vec(question(), 8),
        birth in 0u8..4,
        policy_choice in 0u8..2,
    ) {
        let policy = if policy_choice == 0 {
            BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent)
        } else {
            BasisPolicy::gdpr()
        };
        let mut index = ConsentIndex::new(policy.clone());
        let mut records: Vec<(u64, ConsentRecord)> = Vec::new();
        let mut published = Vec::new();
        let mut next = 0u64;
        for op in &ops {
            let Some(rec) = record(op, &mut published) else { continue };
            // Every third index is taken by some other crate's entry, as in a shared ledger.
            if next % 3 == 2 {
                prop_assert!(!index.insert_payload(next, b"retention: not ours").unwrap());
                next += 1;
            }
            // The stored form is canonical and decodes to exactly what was recorded.
            let bytes = rec.encode().unwrap();
            prop_assert_eq!(&rec.encode().unwrap(), &bytes);
            prop_assert_eq!(&ConsentRecord::decode(next, &bytes).unwrap(), &rec);
            index.insert_payload(next, &bytes).unwrap();
            records.push((next, rec));
            next += 1;
            // Every ending event: the recipients to tell agree with the reference.
            if let Some((w_index, ConsentRecord::Event(w))) = records.last()
                && w.kind().ends_grants()
            {
                let got: Vec<(Recipient, Vec<u64>)> = index
                    .recipients_to_tell(w.customer(), *w_index)
                    .unwrap()
                    .into_iter()
                    .map(|p| (p.recipient, p.because))
                    .collect();
                prop_assert_eq!(got, reference_propagation(&records, *w_index, w));
            }
            for q in &questions {
                let (s, u, at, as_of) = aimed(q, &records, birth);
                let got = index.permits(&s, &u, at, as_of);
                let (permitted, basis, evidence) = reference(&records, &policy, &s, &u, at, as_of);
                prop_assert_eq!(got.is_permitted(), permitted, "{:?} {:?} at {} as of {}: {:?}", s, u, at, as_of, got.reasons());
                prop_assert_eq!(got.basis(), basis);
                if permitted && basis == Some(LegalBasis::Consent) {
                    prop_assert_eq!(got.evidence(), evidence.as_slice());
                }
                // Every reason carries a citation of the policy's regime.
                let prefix = if policy_choice == 0 { "PIPL Art " } else { "GDPR Art " };
                for r in got.reasons() {
                    prop_assert!(r.citation.to_string().starts_with(prefix), "{}", r.citation);
                }
                prop_assert!(!got.reasons().is_empty());
            }
        }
    }

    #[test]
    fn nothing_recorded_after_as_of_changes_the_answer(
        ops in proptest::collection::vec(op(), 1..25),
        q in question(),
        birth in 0u8..4,
    ) {
        // Bitemporal invariant: the answer as of K depends only on events recorded at or before K.
        let policy = cn_policy();
        let mut published = Vec::new();
        let records: Vec<ConsentRecord> = ops.iter().filter_map(|o| record(o, &mut published)).collect();
        let as_of = day(q.as_of);
        let full = index_of(&records);
        let known: Vec<ConsentRecord> = records
            .iter()
            .filter(|r| match r {
                ConsentRecord::Event(e) => e.recorded_at() <= as_of,
                _ => true,
            })
            .cloned()
            .collect();
        let past = index_of(&known);
        let indexed: Vec<(u64, ConsentRecord)> = records.iter().cloned().enumerate().map(|(i, r)| (i as u64, r)).collect();
        let (s, u, at, _) = aimed(&q, &indexed, birth);
        let a = full.permits_under(&policy, &s, &u, at, as_of);
        let b = past.permits_under(&policy, &s, &u, at, as_of);
        prop_assert_eq!(a.is_permitted(), b.is_permitted());
    }
}
