//! The working-day calendar in force is kept in the store: past the shipped 2026 calendar a rights deadline is refused, never guessed; the operator extends the calendar with the next year's arrangements and every later opening counts over it; a calendar that would change days already counted over is refused with the field it breaks.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia_brokerage::{
    Brokerage, BrokerageConfig, BrokerageError, Clock, ManualClock, Onboarding, StaticKeySource,
};
use custodia_consent::{Channel, Digest};
use custodia_model::{ActorId, CalendarFields, ModelError, WorkingDayCalendar};
use custodia_rights::{Intake, RequestKind, RightsError};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, consent_events, privacy_notice};

const KEY: [u8; 32] = [0x5c; 32];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// 10:00 Beijing time (02:00 UTC).
fn beijing(y: i32, m: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, 2, 0, 0).unwrap()
}

fn actor(id: &str) -> ActorId {
    ActorId::new(id).unwrap()
}

fn open(path: &Path, clock: &ManualClock) -> Brokerage {
    let config = BrokerageConfig::sqlite(path).with_clock(clock.clone());
    Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap()
}

/// A made-up January 2027 for the test (1 January off, no make-up day): not the State Council's notice.
fn january_2027() -> WorkingDayCalendar {
    WorkingDayCalendar::new(CalendarFields {
        name: "test-2027-01".into(),
        first: d(2027, 1, 1),
        last: d(2027, 1, 31),
        holidays: [d(2027, 1, 1)].into_iter().collect(),
        working_weekends: BTreeSet::new(),
    })
    .unwrap()
}

fn onboard_one(b: &Brokerage) -> custodia_model::CustomerId {
    let config = BookConfig {
        seed: 7,
        customers: 1,
        share_foreign: 0.0,
        ..BookConfig::default()
    };
    let book = SyntheticBook::generate(&config, d(2026, 5, 31)).unwrap();
    let c = book.customers()[0].clone();
    let notice = privacy_notice(
        "示例保险经纪有限公司",
        "privacy@broker.example",
        beijing(2026, 5, 31),
    )
    .unwrap();
    b.publish_notice(&notice).unwrap();
    let recording = Recording::on_the_day(notice.reference(), actor("clerk"), Digest::of(b"form"));
    let consents = c
        .consents
        .iter()
        .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
        .collect();
    let onboarding = Onboarding::new(c.customer.clone(), notice.reference()).with_consents(consents);
    b.onboard_batch([onboarding], &mut |_| {}).unwrap();
    c.customer.id()
}

/// Monday 21 December 2026: 15 working days (PIPL Art 50, GB/T 35273 8.7) run past 31 December, so on the
/// shipped calendar the request is refused as outside the calendar. Extended with January 2027 (1 January
/// off), they end on Tuesday 12 January 2027 — 22–25 and 28–31 December, 4–8 and 11–12 January — and a
/// brokerage opened afresh counts over the extended calendar.
#[test]
fn a_deadline_past_the_shipped_calendar_is_refused_until_the_calendar_is_extended() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.db");
    let clock = ManualClock::at(beijing(2026, 12, 21));
    let customer = {
        let b = open(&path, &clock);
        assert_eq!(b.calendar().unwrap().name(), "cn-mainland-2026");
        let customer = onboard_one(&b);
        let intake = Intake::new(
            customer,
            RequestKind::Access,
            Channel::Web,
            clock.now(),
            actor("desk-1"),
        );
        let refused = b.receive_request(intake).unwrap_err();
        assert!(
            matches!(
                &refused,
                BrokerageError::Rights(RightsError::Calendar(ModelError::OutsideCalendar { date, .. }))
                    if *date == d(2027, 1, 1)
            ),
            "{refused:?}"
        );
        let joined = b.extend_calendar(&january_2027()).unwrap();
        assert_eq!(joined.name(), "cn-mainland-2026+test-2027-01");
        assert_eq!(joined.last(), d(2027, 1, 31));
        customer
    };
    let b = open(&path, &clock);
    assert_eq!(
        b.calendar().unwrap().last(),
        d(2027, 1, 31),
        "recorded in the store"
    );
    let intake = Intake::new(
        customer,
        RequestKind::Access,
        Channel::Web,
        clock.now(),
        actor("desk-1"),
    );
    let request = b.receive_request(intake).unwrap();
    assert_eq!(request.deadline().unwrap().last_day, d(2027, 1, 12));
}

/// A new calendar must keep every day already counted over: it may not start later than the one in force,
/// must know today, and must classify every day up to today as the one in force does. A refused calendar
/// changes nothing.
#[test]
fn a_calendar_that_would_change_days_already_counted_is_refused_with_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker.db");
    let clock = ManualClock::at(beijing(2026, 12, 21));
    let b = open(&path, &clock);
    let shipped = WorkingDayCalendar::mainland_2026().unwrap();
    let field_of = |e: BrokerageError| match e {
        BrokerageError::InvalidInput { field, .. } => field,
        other => panic!("{other:?}"),
    };

    let mut later = shipped.fields().clone();
    later.first = d(2026, 2, 1);
    later.holidays.retain(|day| *day >= later.first);
    later.working_weekends.retain(|day| *day >= later.first);
    let later = WorkingDayCalendar::new(later).unwrap();
    assert_eq!(field_of(b.set_calendar(&later).unwrap_err()), "calendar.first");

    let mut ends_early = shipped.fields().clone();
    ends_early.last = d(2026, 12, 20);
    let ends_early = WorkingDayCalendar::new(ends_early).unwrap();
    assert_eq!(
        field_of(b.set_calendar(&ends_early).unwrap_err()),
        "calendar.last"
    );

    let mut rewrites_the_past = shipped.fields().clone();
    rewrites_the_past.holidays.insert(d(2026, 11, 2)); // a Monday already counted as a working day
    let rewrites_the_past = WorkingDayCalendar::new(rewrites_the_past).unwrap();
    assert_eq!(
        field_of(b.set_calendar(&rewrites_the_past).unwrap_err()),
        "calendar"
    );

    // A change to a day still ahead is allowed (the State Council may move a holiday before it comes).
    let mut ahead = shipped.fields().clone();
    ahead.holidays.insert(d(2026, 12, 28));
    ahead.name = "cn-mainland-2026-corrected".into();
    let ahead = WorkingDayCalendar::new(ahead).unwrap();

    assert_eq!(
        b.calendar().unwrap(),
        shipped,
        "refused calendars changed nothing"
    );
    b.set_calendar(&ahead).unwrap();
    assert_eq!(b.calendar().unwrap(), ahead);

    // A gap between the calendars is refused by the model, naming the field.
    let mut gap = january_2027().fields().clone();
    gap.first = d(2027, 1, 2);
    gap.holidays.clear();
    let gap = WorkingDayCalendar::new(gap).unwrap();
    assert!(matches!(
        b.extend_calendar(&gap),
        Err(BrokerageError::Model(ModelError::OutOfRange {
            field: "calendar.first",
            ..
        }))
    ));
    assert_eq!(b.calendar().unwrap(), ahead);
}

/// With nothing recorded, the configured calendar is the one in force.
#[test]
fn the_configured_calendar_is_in_force_until_one_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(beijing(2026, 12, 21));
    let joined = WorkingDayCalendar::mainland_2026()
        .unwrap()
        .followed_by(&january_2027())
        .unwrap();
    let config = BrokerageConfig::sqlite(dir.path().join("broker.db"))
        .with_clock(clock.clone())
        .with_calendar(joined.clone());
    let b = Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap();
    assert_eq!(b.calendar().unwrap(), joined);
}
