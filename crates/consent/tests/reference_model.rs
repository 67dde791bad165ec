//! A proptest state machine: random sequences of notices and events, and after every step random
//! bitemporal questions, answered by the index and by a small reference model written straight from the
//! rules, with no bit masks, no backward pass and no interning. They must agree on the outcome, the basis
//! and the evidence, under the PIPL, the GDPR, and the GDPR with the book sale on legitimate interests.
//! A second property appends entries recorded after K and checks that no answer as of K changes.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::*;
use custodia_consent::*;
use custodia_model::{
    BalancingTest, BalancingTestFields, DataCategory, GdprBasis, Jurisdiction, LegalBasis, Purpose,
    SpecialCategoryCondition, TransferGround,
};
use proptest::prelude::*;

const PURPOSES: [Purpose; 3] = [Purpose::Marketing, Purpose::Analytics, Purpose::PolicyServicing];
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

/// Home for the PIPL first; Germany is home for the GDPR and abroad for the PIPL; mainland China is abroad
/// for the GDPR.
fn destinations() -> [Jurisdiction; 4] {
    [
        Jurisdiction::MAINLAND_CHINA,
        Jurisdiction::HONG_KONG,
        Jurisdiction::new("US").unwrap(),
        Jurisdiction::new("DE").unwrap(),
    ]
}

/// The GDPR policies under test: mainland China on standard clauses, Hong Kong on explicit consent
/// (Art 49(1)(a)), the United States on nothing; `book_sale` puts the transfer on legitimate interests.
fn gdpr_policy(book_sale: bool) -> BasisPolicy {
    let base = if book_sale {
        BasisPolicy::gdpr_book_sale(
            BalancingTest::new(BalancingTestFields {
                reference: "LIA-7".into(),
                interest: "sale of the business".into(),
                concluded_on: NaiveDate::from_ymd_opt(2024, 12, 1).unwrap(),
            })
            .unwrap(),
        )
    } else {
        BasisPolicy::gdpr()
    };
    base.with_transfer_rule(TransferRule {
        destination: Jurisdiction::MAINLAND_CHINA,
        ground: TransferGround::StandardContractualClauses {
            reference: "SCC-1".into(),
        },
    })
    .unwrap()
    .with_transfer_rule(TransferRule {
        destination: Jurisdiction::HONG_KONG,
        ground: TransferGround::ExplicitConsent,
    })
    .unwrap()
}

fn policy_of(choice: u8) -> BasisPolicy {
    match choice {
        0 => BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent),
        1 => gdpr_policy(false),
        _ => gdpr_policy(true),
    }
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
        published: i64,
        recorded_delay: i64,
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
        /// Hours after 00:00 UTC of the effective day (16:00 and later is the next day in Beijing).
        hour: i64,
        recorded_delay: i64,
        expires: Option<i64>,
    },
}

/// A set as a bit mask, full half of the time so that notices and grants overlap often enough for the
/// interesting rules (withdrawal, expiry, guardians, successors) to decide real cases.
fn mask(full: u8) -> impl Strategy<Value = u8> {
    prop_oneof![1 => Just(full), 1 => 1..=full]
}

/// Grants weigh most; every other kind (provisions included) still shows up in most sequences.
fn event_kind() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => Just(1u8),
        1 => Just(2u8),
        1 => Just(0u8),
        1 => Just(3u8),
        1 => Just(4u8),
        1 => Just(5u8),
        1 => Just(6u8),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (
            1u32..=3,
            mask(7),
            mask(7),
            mask(3),
            mask(15),
            prop_oneof![3 => Just(0i64), 1 => 0i64..20],
            prop_oneof![3 => Just(0i64), 1 => -3i64..10],
        )
            .prop_map(
                |(version, purposes, categories, recipients, destinations, published, recorded_delay)| Op::Notice {
                    version,
                    purposes,
                    categories,
                    // Recipients other than the controller: third party (bit 0), successor (bit 1).
                    recipients,
                    // Destinations: CN (bit 0), HK (bit 1), US (bit 2), DE (bit 3).
                    destinations,
                    published,
                    recorded_delay,
                }
            ),
        5 => (
            (0u8..2, event_kind(), mask(7), mask(7), 0u8..3, prop_oneof![Just(0u8), 0u8..16]),
            (
                any::<bool>(),
                1u32..=3,
                0i64..30,
                prop_oneof![3 => Just(12i64), 1 => 0i64..24],
                -3i64..10,
                proptest::option::of(1i64..20),
            ),
        )
            .prop_map(
                |(
                    (customer, kind, purposes, categories, recipient, destinations),
                    (separate, notice, effective, hour, recorded_delay, expires),
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
                    hour,
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
            0usize..4,
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

fn places(mask: u8) -> Vec<Jurisdiction> {
    pick(&destinations(), mask)
}

/// `day(d)` is noon UTC; this is `h` hours after midnight UTC of that day.
fn at_hour(d: i64, h: i64) -> DateTime<Utc> {
    day(d) - Duration::hours(12) + Duration::hours(h)
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
        5 => EventKind::Objected,
        _ => EventKind::Provided,
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
            published: p,
            recorded_delay,
        } => {
            if published.contains(version) {
                return None;
            }
            published.push(*version);
            Some(ConsentRecord::Notice(notice_at(
                NoticeSpec {
                    version: *version,
                    purposes: pick(&PURPOSES, *purposes),
                    categories: pick(&CATEGORIES, *categories),
                    recipients: pick(&recipients()[1..], *r),
                    destinations: places(*d),
                },
                day(*p),
                day((*p + *recorded_delay).max(0)),
            )))
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
            hour,
            recorded_delay,
            expires,
        } => {
            let kind = kind(*k);
            let effective_at = at_hour(*effective, *hour);
            let spec = EventSpec {
                customer: customer(u128::from(*c)),
                kind,
                purposes: pick(&PURPOSES, *purposes),
                categories: pick(&CATEGORIES, *categories),
                recipient: recipients()[usize::from(*recipient)],
                destinations: places(*d),
                separate: *separate,
                notice_version: *notice,
                effective: effective_at,
                recorded: day((*effective + *recorded_delay).max(0)),
                expires: expires
                    .filter(|_| kind.is_grant())
                    .map(|x| effective_at + Duration::days(x)),
            };
            Some(ConsentRecord::Event(spec.build()))
        }
    }
}

fn subject(c: u8, birth: u8) -> Subject {
    let id = customer(u128::from(c));
    match (c, birth) {
        (_, 0) => Subject::new(id),
        // Turns 14 on 2025-01-16 (from 16:00 UTC on 15 January, Beijing time), inside the timeline.
        (_, 1) => Subject::born(id, NaiveDate::from_ymd_opt(2011, 1, 16).unwrap()),
        // A child throughout.
        (_, 2) => Subject::born(id, NaiveDate::from_ymd_opt(2018, 5, 5).unwrap()),
        // Turns 16 (the GDPR's guardian age) on 2025-01-20; past 14 throughout.
        (_, 4) => Subject::born(id, NaiveDate::from_ymd_opt(2009, 1, 20).unwrap()),
        // An adult throughout.
        _ => Subject::born(id, NaiveDate::from_ymd_opt(1980, 5, 5).unwrap()),
    }
}

/// The person's age at `t` against `years`, straight from the rule: the birthday is reached from midnight of
/// that calendar date in Beijing (UTC+8), the subjects' jurisdiction. `None`: no birth date.
fn under_age(subject: &Subject, t: DateTime<Utc>, years: u32) -> Option<bool> {
    let born = subject.birth_date()?;
    let birthday = born.checked_add_months(chrono::Months::new(years * 12)).unwrap();
    let beijing_date = (t + Duration::hours(8)).date_naive();
    Some(beijing_date < birthday)
}

/// What the reference says: permitted or not, the basis, and (on the consent path) the covering grants.
struct Answer {
    permitted: bool,
    basis: Option<LegalBasis>,
    evidence: Vec<u64>,
    by_consent: bool,
}

fn answer(permitted: bool, basis: Option<LegalBasis>) -> Answer {
    Answer {
        permitted,
        basis,
        evidence: vec![],
        by_consent: false,
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
) -> Answer {
    let gdpr = policy.regime() == Regime::Gdpr;
    let Some(rule) = policy.rule(u.purpose()) else {
        return answer(false, None);
    };
    let basis = Some(rule.basis);
    // Notices are known only as recorded by `as_of`.
    let notice_of = |r: NoticeRef| {
        records.iter().find_map(|(_, rec)| match rec {
            ConsentRecord::Notice(n) if n.reference() == r && n.fields().recorded_at <= as_of => {
                Some(n.clone())
            }
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
    let served_naming = |r: Recipient| {
        events
            .iter()
            .find(|(_, e)| {
                e.kind() == EventKind::NoticeServed
                    && notice_of(e.notice()).is_some_and(|n| {
                        n.fields().published_at <= e.effective_at()
                            && names(&n, r)
                            && r != Recipient::Controller
                    })
            })
            .map(|(i, _)| *i)
    };
    let reaches = |e: &ConsentEvent| {
        let s = e.scope();
        let abroad = policy.is_cross_border(u.destination());
        s.purposes().contains(u.purpose())
            && s.categories().contains(&u.category())
            && (s.destinations().is_empty() || (abroad && s.destinations().contains(&u.destination())))
            && (s.recipient() == u.recipient() || s.recipient() == Recipient::Controller)
    };

    let abroad = if gdpr {
        !u.destination().is_eea_member()
    } else {
        u.destination() != Jurisdiction::MAINLAND_CHINA
    };
    // What consent must satisfy, per regime.
    let mut consent_needed = rule.basis == LegalBasis::Consent;
    let mut grant_names_destination = !gdpr;
    let mut evidence_extra = Vec::new();
    if gdpr {
        let g = policy.gdpr_rule(u.purpose()).unwrap();
        consent_needed = g.basis == GdprBasis::Consent;
        let special = matches!(u.category(), DataCategory::Health | DataCategory::Claims);
        if special {
            match &g.special_categories {
                None => return answer(false, basis),
                Some(SpecialCategoryCondition::ExplicitConsent) => consent_needed = true,
                Some(_) => {}
            }
        }
        if abroad {
            match policy.transfer_ground(u.destination()) {
                None => return answer(false, basis),
                Some(TransferGround::ExplicitConsent) => {
                    consent_needed = true;
                    grant_names_destination = true;
                }
                Some(_) => {}
            }
        }
        if let GdprBasis::LegitimateInterests { .. } = g.basis {
            if events
                .iter()
                .any(|(_, e)| e.kind() == EventKind::Objected && reaches(e))
            {
                return answer(false, basis);
            }
            if u.recipient() != Recipient::Controller {
                match served_naming(u.recipient()) {
                    Some(i) => evidence_extra.push(i),
                    None => return answer(false, basis),
                }
            }
        }
        if !consent_needed {
            return Answer {
                evidence: evidence_extra,
                ..answer(true, basis)
            };
        }
    } else if !consent_needed {
        return answer(true, basis);
    }

    let successor_notified =
        !gdpr && matches!(u.recipient(), Recipient::Successor(_)) && served_naming(u.recipient()).is_some();
    let mut in_force: Vec<(u64, ConsentEvent)> = Vec::new();
    for (i, e) in events {
        let s = e.scope();
        let reaches_use = s.purposes().contains(u.purpose()) && s.categories().contains(&u.category());
        if e.kind().is_grant() {
            let recipient_ok = s.recipient() == u.recipient()
                || (matches!(u.recipient(), Recipient::Successor(_))
                    && s.recipient() == Recipient::Controller
                    && successor_notified);
            let destination_ok =
                !abroad || !grant_names_destination || s.destinations().contains(&u.destination());
            let notice_ok = notice_of(e.notice()).is_some_and(|n| {
                let f = n.fields();
                f.published_at <= e.effective_at()
                    && f.purposes.contains(u.purpose())
                    && f.categories.contains(&u.category())
                    && names(&n, s.recipient())
                    && (!abroad || f.destinations.contains(&u.destination()))
            });
            // Who could give the grant, and whether it had to be separate, is judged on the person's age
            // when it took effect (PIPL Art 31): invalid when given, invalid for ever.
            let minor_then = under_age(subject, e.effective_at(), age);
            let by_guardian = matches!(e.kind(), EventKind::GuardianGranted { .. });
            let giver_ok = if by_guardian {
                minor_then == Some(true)
            } else {
                minor_then != Some(true)
            };
            let separate_ok = if gdpr {
                e.form() == ConsentForm::Separate
            } else {
                let needs_separate = u.category().is_sensitive()
                    || minor_then == Some(true)
                    || matches!(u.recipient(), Recipient::ThirdParty(_))
                    || abroad;
                !needs_separate || e.form() == ConsentForm::Separate
            };
            if reaches_use && recipient_ok && destination_ok && notice_ok && separate_ok && giver_ok {
                in_force.push((i, e));
            }
        } else if e.kind().ends_grants() && reaches(&e) {
            // An ending reaches every grant that could cover this use: the use's recipient's own, and the
            // controller's that a successor inherits.
            in_force.clear();
        }
    }
    in_force.retain(|(_, g)| g.expires_at().is_none_or(|x| x > at));
    let mut evidence: Vec<u64> = in_force.iter().map(|(i, _)| *i).collect();
    let permitted = !evidence.is_empty();
    evidence.extend(evidence_extra);
    evidence.sort_unstable();
    Answer {
        permitted,
        basis,
        evidence,
        by_consent: true,
    }
}

/// Who must hear of the ending event `w` at `w_index`, and what each must do: recipients that got
/// overlapping data before it took effect, by a grant (stop), by a recorded provision (stop when the
/// provided purposes rest on consent, or on legitimate interests for an objection; otherwise inform), or as a
/// successor served an Art 22 notice while a controller grant overlapping it existed (stop).
fn reference_propagation(
    records: &[(u64, ConsentRecord)],
    policy: &BasisPolicy,
    w_index: u64,
    w: &ConsentEvent,
) -> Vec<(Recipient, Vec<u64>, PropagationDuty)> {
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
    let ends_basis = |e: &ConsentEvent| {
        e.scope()
            .purposes()
            .iter()
            .filter(|p| ws.purposes().contains(*p))
            .any(|p| {
                policy.rule(p).is_some_and(|r| r.basis == LegalBasis::Consent)
                    || (w.kind() == EventKind::Objected
                        && policy
                            .gdpr_rule(p)
                            .is_some_and(|r| matches!(r.basis, GdprBasis::LegitimateInterests { .. })))
            })
    };
    let mut out: BTreeMap<Recipient, (Vec<u64>, PropagationDuty)> = BTreeMap::new();
    let mut add = |r: Recipient, because: Vec<u64>, duty: PropagationDuty| {
        let entry = out.entry(r).or_insert((vec![], duty));
        entry.0.extend(because);
        if duty == PropagationDuty::StopProcessing {
            entry.1 = duty;
        }
    };
    for (i, e) in &earlier {
        let r = e.scope().recipient();
        let received = e.kind().is_grant() || e.kind() == EventKind::Provided;
        if received && r != Recipient::Controller && overlaps(e) && (to_controller || r == ws.recipient()) {
            let duty = if e.kind().is_grant() || ends_basis(e) {
                PropagationDuty::StopProcessing
            } else {
                PropagationDuty::Inform
            };
            add(r, vec![*i], duty);
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
                    let mut because = vec![*i];
                    because.extend(&controller_grants);
                    add(nr.recipient, because, PropagationDuty::StopProcessing);
                }
            }
        }
    }
    out.into_iter()
        .map(|(r, (mut v, duty))| {
            v.sort_unstable();
            v.dedup();
            (r, v, duty)
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

/// Ops recorded after `k`: each notice and event moved to be recorded a day or more after `k`, as an append
/// made after the question was asked.
fn recorded_after(op: &Op, k: i64) -> Op {
    let mut op = op.clone();
    match &mut op {
        Op::Notice {
            published,
            recorded_delay,
            ..
        } => *recorded_delay = (*recorded_delay).max(k + 1 - *published),
        Op::Event {
            effective,
            recorded_delay,
            ..
        } => *recorded_delay = (*recorded_delay).max(k + 1 - *effective),
    }
    op
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_index_agrees_with_the_reference_model(
        ops in proptest::collection::vec(op(), 1..30),
        questions in proptest::collection::vec(question(), 8),
        birth in 0u8..5,
        policy_choice in 0u8..3,
    ) {
        let policy = policy_of(policy_choice);
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
            // Every ending event: the recipients to tell, and what each must do, agree with the reference.
            if let Some((w_index, ConsentRecord::Event(w))) = records.last()
                && w.kind().ends_grants()
            {
                let got: Vec<(Recipient, Vec<u64>, PropagationDuty)> = index
                    .recipients_to_tell(w.customer(), *w_index)
                    .unwrap()
                    .into_iter()
                    .map(|p| (p.recipient, p.because, p.duty))
                    .collect();
                prop_assert_eq!(got, reference_propagation(&records, &policy, *w_index, w));
            }
            for q in &questions {
                let (s, u, at, as_of) = aimed(q, &records, birth);
                let got = index.permits(&s, &u, at, as_of);
                let want = reference(&records, &policy, &s, &u, at, as_of);
                prop_assert_eq!(got.is_permitted(), want.permitted, "{:?} {:?} at {} as of {}: {:?}", s, u, at, as_of, got.reasons());
                prop_assert_eq!(got.basis(), want.basis);
                if want.permitted && want.by_consent {
                    prop_assert_eq!(got.evidence(), want.evidence.as_slice());
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
        birth in 0u8..5,
    ) {
        // Bitemporal invariant: the answer as of K depends only on entries recorded at or before K — events
        // and notices alike.
        let policy = cn_policy();
        let mut published = Vec::new();
        let records: Vec<ConsentRecord> = ops.iter().filter_map(|o| record(o, &mut published)).collect();
        let as_of = day(q.as_of);
        let full = index_of(&records);
        let known: Vec<ConsentRecord> = records
            .iter()
            .filter(|r| match r {
                ConsentRecord::Event(e) => e.recorded_at() <= as_of,
                ConsentRecord::Notice(n) => n.fields().recorded_at <= as_of,
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

    /// For any sequence of appends recorded after K, every answer for (T, K) is exactly what it was before
    /// them: outcome, basis, evidence and reasons, under each policy.
    #[test]
    fn appends_after_k_never_change_an_answer_as_of_k(
        before in proptest::collection::vec(op(), 0..15),
        after in proptest::collection::vec(op(), 1..15),
        questions in proptest::collection::vec(question(), 6),
        birth in 0u8..5,
        policy_choice in 0u8..3,
    ) {
        let policy = policy_of(policy_choice);
        let mut index = ConsentIndex::new(policy.clone());
        let mut published = Vec::new();
        let mut records: Vec<(u64, ConsentRecord)> = Vec::new();
        for op in &before {
            if let Some(rec) = record(op, &mut published) {
                let i = records.len() as u64;
                index.insert(i, &rec).unwrap();
                records.push((i, rec));
            }
        }
        let asked: Vec<_> = questions
            .iter()
            .map(|q| {
                let (s, u, at, as_of) = aimed(q, &records, birth);
                let k = q.as_of.min(40);
                let as_of = as_of.min(day(k));
                let then = index.permits(&s, &u, at, as_of);
                (s, u, at, as_of, k, then)
            })
            .collect();
        let k_max = asked.iter().map(|a| a.4).max().unwrap_or(0);
        for op in &after {
            if let Some(rec) = record(&recorded_after(op, k_max), &mut published) {
                let i = records.len() as u64;
                index.insert(i, &rec).unwrap();
                records.push((i, rec));
            }
        }
        for (s, u, at, as_of, _, then) in &asked {
            let now = index.permits(s, u, *at, *as_of);
            prop_assert_eq!(&now, then, "{:?} {:?} at {} as of {}", s, u, at, as_of);
        }
    }
}
