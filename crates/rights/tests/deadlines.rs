//! Deadlines over the 2026 mainland calendar (GB/T 35273-style 15 working days; 30 days with Civil Code
//! Arts 201, 203 once extended), the GDPR's month (Art 12(3); Regulation 1182/71 Art 3) over a loaded
//! calendar, the identity-wait setting both ways, extensions and the overdue list.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use custodia_consent::{Channel, Digest, Regime};
use custodia_model::{ActorId, CalendarFields, CustomerId, Jurisdiction, WorkingDayCalendar};
use custodia_rights::*;

/// (month, day) of 2026.
type MonthDay = (u32, u32);

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

/// 10:00 Beijing time on the day.
fn beijing(m: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, day, 2, 0, 0).unwrap()
}

fn clerk() -> ActorId {
    ActorId::new("desk-1").unwrap()
}

fn receive(
    kind: RequestKind,
    at: DateTime<Utc>,
    settings: &RightsSettings,
    calendars: &Calendars,
) -> Request {
    let customer = KnownCustomer::new(CustomerId::new_v7(), Jurisdiction::MAINLAND_CHINA);
    let intake = Intake::new(customer.customer, kind, Channel::Web, at, clerk());
    Request::receive(intake, Some(&customer), &[], settings, calendars)
        .unwrap()
        .0
}

/// The 15-working-day deadline (GB/T 35273-style default) for a request received on each day around every
/// 2026 holiday and make-up working day: the day before, the first and last day off, the day after, and each
/// make-up day with its neighbours.
#[test]
fn fifteen_working_days_around_every_holiday_and_make_up_day_of_2026() {
    let calendars = Calendars::mainland_2026().unwrap();
    let settings = RightsSettings::default();
    // Counted by hand and cross-checked against a second implementation of the calendar (a Python script
    // over the same State Council dates): holidays 元旦 1–3 Jan, 春节 15–23 Feb, 清明 4–6 Apr, 劳动节 1–5 May,
    // 端午 19–21 Jun, 中秋 25–27 Sep, 国庆 1–7 Oct; make-up days Sun 4 Jan, Sat 14 and 28 Feb, Sat 9 May,
    // Sun 20 Sep, Sat 10 Oct.
    let table: &[(MonthDay, MonthDay)] = &[
        ((1, 1), (1, 22)),
        ((1, 3), (1, 22)),
        ((1, 4), (1, 23)),
        ((1, 5), (1, 26)),
        ((2, 12), (3, 11)),
        ((2, 13), (3, 12)),
        ((2, 14), (3, 13)),
        ((2, 15), (3, 13)),
        ((2, 23), (3, 13)),
        ((2, 24), (3, 16)),
        ((2, 27), (3, 19)),
        ((2, 28), (3, 20)),
        ((3, 1), (3, 20)),
        ((4, 3), (4, 27)),
        ((4, 4), (4, 27)),
        ((4, 6), (4, 27)),
        ((4, 7), (4, 28)),
        ((4, 30), (5, 25)),
        ((5, 1), (5, 25)),
        ((5, 5), (5, 25)),
        ((5, 6), (5, 26)),
        ((5, 8), (5, 28)),
        ((5, 9), (5, 29)),
        ((5, 10), (5, 29)),
        ((6, 18), (7, 10)),
        ((6, 19), (7, 10)),
        ((6, 21), (7, 10)),
        ((6, 22), (7, 13)),
        ((9, 19), (10, 15)),
        ((9, 20), (10, 16)),
        ((9, 21), (10, 19)),
        ((9, 24), (10, 22)),
        ((9, 25), (10, 22)),
        ((9, 30), (10, 27)),
        ((10, 1), (10, 27)),
        ((10, 7), (10, 27)),
        ((10, 8), (10, 28)),
        ((10, 9), (10, 29)),
        ((10, 10), (10, 30)),
        ((10, 11), (10, 30)),
    ];
    for &((rm, rd), (lm, ld)) in table {
        let request = receive(RequestKind::Access, beijing(rm, rd), &settings, &calendars);
        let deadline = request.deadline().unwrap();
        assert_eq!(deadline.last_day, d(lm, ld), "received {rm}-{rd}");
        assert_eq!(deadline.period, Period::WorkingDays(15));
        assert!(calendars.mainland.is_working_day(deadline.last_day).unwrap());
        // 24:00 Beijing time is 16:00 UTC of the last day.
        assert_eq!(
            deadline.closes_at,
            Utc.with_ymd_and_hms(2026, lm, ld, 16, 0, 0).unwrap()
        );
        let cited: Vec<String> = deadline.citations.iter().map(ToString::to_string).collect();
        assert!(cited.contains(&"GB/T 35273-2020".to_owned()), "{cited:?}");
    }
}

#[test]
fn a_request_late_in_the_evening_utc_counts_from_the_beijing_date() {
    let calendars = Calendars::mainland_2026().unwrap();
    // 17:00 UTC on Thursday 30 April is 01:00 on Friday 1 May in Beijing: counting starts after 1 May.
    let late = Utc.with_ymd_and_hms(2026, 4, 30, 17, 0, 0).unwrap();
    let request = receive(RequestKind::Access, late, &RightsSettings::default(), &calendars);
    assert_eq!(request.deadline().unwrap().last_day, d(5, 25));
    // 15:59 UTC on 29 April is still 29 April in Beijing.
    let early = Utc.with_ymd_and_hms(2026, 4, 29, 15, 59, 0).unwrap();
    let request = receive(RequestKind::Access, early, &RightsSettings::default(), &calendars);
    assert_eq!(request.deadline().unwrap().last_day, d(5, 22));
}

#[test]
fn past_the_calendars_end_the_deadline_is_a_typed_error_not_a_guess() {
    let calendars = Calendars::mainland_2026().unwrap();
    let customer = KnownCustomer::new(CustomerId::new_v7(), Jurisdiction::MAINLAND_CHINA);
    let intake = Intake::new(
        customer.customer,
        RequestKind::Access,
        Channel::Web,
        beijing(12, 15),
        clerk(),
    );
    let err = Request::receive(
        intake,
        Some(&customer),
        &[],
        &RightsSettings::default(),
        &calendars,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            RightsError::Calendar(custodia_model::ModelError::OutsideCalendar { .. })
        ),
        "{err}"
    );
    // 1 December: 15 working days end on 21 December, inside the calendar.
    let request = receive(
        RequestKind::Access,
        beijing(12, 1),
        &RightsSettings::default(),
        &calendars,
    );
    assert_eq!(request.deadline().unwrap().last_day, d(12, 22));
}

/// The complex-case period: 30 days from receipt, counting from the next day (Civil Code Art 201), a last
/// day on a rest day moved to the next working day (Art 203).
#[test]
fn an_extension_to_thirty_days_moves_a_last_day_off_a_holiday() {
    let calendars = Calendars::mainland_2026().unwrap();
    let settings = RightsSettings::default();
    let mut request = receive(RequestKind::Copy, beijing(9, 1), &settings, &calendars);
    // 15 working days: the worked Sunday 20 September counts, so Monday 21 September.
    assert_eq!(request.deadline().unwrap().last_day, d(9, 21));
    request
        .extend(ExtensionReason::Complexity, beijing(9, 10), &calendars)
        .unwrap();
    let deadline = request.deadline().unwrap();
    // 1 Sep + 30 days = 1 Oct, National Day: the period runs to Thursday 8 October.
    assert_eq!(deadline.nominal_last_day, d(10, 1));
    assert_eq!(deadline.last_day, d(10, 8));
    let cited: Vec<String> = deadline.citations.iter().map(ToString::to_string).collect();
    assert!(cited.contains(&"Civil Code Art 203".to_owned()), "{cited:?}");
    // Only once.
    assert!(matches!(
        request.extend(ExtensionReason::Complexity, beijing(9, 11), &calendars),
        Err(RightsError::ExtensionRefused { .. })
    ));
}

#[test]
fn an_extension_never_shortens_and_never_comes_after_the_close() {
    let calendars = Calendars::mainland_2026().unwrap();
    let settings = RightsSettings::default();
    // Received 12 February: 15 working days across Spring Festival end on 11 March; 30 days would end on
    // 14 March, a Saturday, so Monday 16 March.
    let mut request = receive(RequestKind::Access, beijing(2, 12), &settings, &calendars);
    request
        .extend(ExtensionReason::NumberOfRequests, beijing(2, 13), &calendars)
        .unwrap();
    assert_eq!(request.deadline().unwrap().last_day, d(3, 16));
    // With an extension shorter than the period, the period stays.
    let mut short = settings.clone();
    short.deadlines.pipl_extended = Period::Days(5);
    let mut request = receive(RequestKind::Access, beijing(2, 12), &short, &calendars);
    request
        .extend(ExtensionReason::Complexity, beijing(2, 13), &calendars)
        .unwrap();
    assert_eq!(request.deadline().unwrap().last_day, d(3, 11));
    // After the close: refused.
    let mut request = receive(RequestKind::Access, beijing(6, 1), &settings, &calendars);
    let after = request.deadline().unwrap().closes_at;
    assert!(matches!(
        request.extend(ExtensionReason::Complexity, after, &calendars),
        Err(RightsError::ExtensionRefused { .. })
    ));
}

/// A test calendar for an establishment in Germany: weekends and the 2026 federal holidays (a caller loads
/// the real one; none ships).
fn german_2026() -> EeaCalendar {
    let holidays: BTreeSet<NaiveDate> = [
        (1, 1),
        (4, 3),
        (4, 6),
        (5, 1),
        (5, 14),
        (5, 25),
        (10, 3),
        (12, 25),
        (12, 26),
    ]
    .iter()
    .map(|(m, day)| d(*m, *day))
    .collect();
    let calendar = WorkingDayCalendar::new(CalendarFields {
        name: "de-federal-2026 (test)".into(),
        first: d(1, 1),
        last: d(12, 31),
        holidays,
        working_weekends: BTreeSet::new(),
    })
    .unwrap();
    EeaCalendar::new(calendar, Jurisdiction::new("DE").unwrap()).unwrap()
}

fn receive_eu(at: DateTime<Utc>, calendars: &Calendars) -> Request {
    let customer = KnownCustomer::new(CustomerId::new_v7(), Jurisdiction::new("FR").unwrap());
    let intake = Intake::new(
        customer.customer,
        RequestKind::Access,
        Channel::Email,
        at,
        clerk(),
    );
    Request::receive(
        intake,
        Some(&customer),
        &[],
        &RightsSettings::default(),
        calendars,
    )
    .unwrap()
    .0
}

#[test]
fn gdpr_one_month_ends_on_the_same_date_or_the_next_working_day() {
    let calendars = Calendars::mainland_2026().unwrap().with_eea(german_2026());
    let noon = |m, day| Utc.with_ymd_and_hms(2026, m, day, 10, 0, 0).unwrap();
    // Tuesday 10 March → Friday 10 April.
    let r = receive_eu(noon(3, 10), &calendars);
    assert_eq!(r.regime(), Regime::Gdpr);
    assert_eq!(r.deadline().unwrap().last_day, d(4, 10));
    // 31 January → 28 February (no 31st), a Saturday → Monday 2 March (Art 3(2)(c), 3(4)).
    let r = receive_eu(noon(1, 31), &calendars);
    assert_eq!(r.deadline().unwrap().nominal_last_day, d(2, 28));
    assert_eq!(r.deadline().unwrap().last_day, d(3, 2));
    // 3 March → 3 April, Good Friday → Tuesday 7 April (Easter Monday 6 April off).
    let r = receive_eu(noon(3, 3), &calendars);
    assert_eq!(r.deadline().unwrap().last_day, d(4, 7));
    // Closes at local midnight: 7 April ends at 22:00 UTC in summer time (UTC+2).
    assert_eq!(
        r.deadline().unwrap().closes_at,
        Utc.with_ymd_and_hms(2026, 4, 7, 22, 0, 0).unwrap()
    );
    // Without an EEA calendar: a typed error.
    let customer = KnownCustomer::new(CustomerId::new_v7(), Jurisdiction::new("FR").unwrap());
    let intake = Intake::new(
        customer.customer,
        RequestKind::Access,
        Channel::Email,
        noon(3, 10),
        clerk(),
    );
    let cn_only = Calendars::mainland_2026().unwrap();
    assert!(matches!(
        Request::receive(intake, Some(&customer), &[], &RightsSettings::default(), &cn_only),
        Err(RightsError::NoCalendar { regime: Regime::Gdpr })
    ));
}

#[test]
fn gdpr_extension_adds_two_months_and_must_be_sent_within_the_first() {
    let calendars = Calendars::mainland_2026().unwrap().with_eea(german_2026());
    let at = Utc.with_ymd_and_hms(2026, 3, 10, 10, 0, 0).unwrap();
    let mut r = receive_eu(at, &calendars);
    r.extend(
        ExtensionReason::Complexity,
        Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap(),
        &calendars,
    )
    .unwrap();
    // 10 March + 3 months = Wednesday 10 June.
    assert_eq!(r.deadline().unwrap().last_day, d(6, 10));
    assert_eq!(r.extension().unwrap().period, Period::Months(3));
    let mut late = receive_eu(at, &calendars);
    let after_month = Utc.with_ymd_and_hms(2026, 4, 11, 9, 0, 0).unwrap();
    assert!(matches!(
        late.extend(ExtensionReason::Complexity, after_month, &calendars),
        Err(RightsError::ExtensionRefused { .. })
    ));
}

fn check(at: DateTime<Utc>) -> IdentityVerification {
    IdentityVerification::verified(
        VerifiedParty::Requester,
        IdentityMethod::DocumentInspected,
        Digest::of(b"record of the check"),
        clerk(),
        at,
    )
}

/// The identity-wait setting both ways: by default the clock runs on; paused, the days from the day after
/// the evidence was asked for to the day it arrived are not counted, and no deadline runs meanwhile.
#[test]
fn waiting_for_identity_evidence_stops_the_clock_only_if_the_setting_says_so() {
    let calendars = Calendars::mainland_2026().unwrap();
    let mut runs = receive(
        RequestKind::Access,
        beijing(6, 1),
        &RightsSettings::default(),
        &calendars,
    );
    assert_eq!(runs.deadline().unwrap().last_day, d(6, 23));
    runs.ask_for_evidence(beijing(6, 2), &calendars).unwrap();
    assert_eq!(runs.state(), StateCode::AwaitingEvidence);
    assert_eq!(runs.deadline().unwrap().last_day, d(6, 23));
    runs.record_identity(check(beijing(6, 9)), &calendars).unwrap();
    assert_eq!(runs.deadline().unwrap().last_day, d(6, 23));

    let mut settings = RightsSettings::default();
    settings.deadlines.identity_wait = IdentityWait::Paused;
    let mut paused = receive(RequestKind::Access, beijing(6, 1), &settings, &calendars);
    paused.ask_for_evidence(beijing(6, 2), &calendars).unwrap();
    assert!(
        paused.deadline().is_none(),
        "no deadline while the clock is stopped"
    );
    assert!(!paused.is_overdue(beijing(12, 30)));
    assert!(matches!(
        paused.extend(ExtensionReason::Complexity, beijing(6, 3), &calendars),
        Err(RightsError::ExtensionRefused { .. })
    ));
    // Evidence arrives Tuesday 9 June: 3–9 June not counted (5 working days), so 23 June + 5 working days,
    // across the Dragon Boat holiday (19–21 June): 30 June.
    paused.record_identity(check(beijing(6, 9)), &calendars).unwrap();
    assert_eq!(paused.deadline().unwrap().last_day, d(6, 30));
}

#[test]
fn overdue_requests_are_listed_earliest_first() {
    let calendars = Calendars::mainland_2026().unwrap();
    let settings = RightsSettings::default();
    let a = receive(RequestKind::Access, beijing(3, 2), &settings, &calendars);
    let b = receive(RequestKind::Copy, beijing(3, 1), &settings, &calendars);
    let c = receive(RequestKind::ExplainRules, beijing(6, 1), &settings, &calendars);
    let now = beijing(4, 1);
    let list = overdue([&a, &b, &c], now);
    assert_eq!(
        list.iter().map(|o| o.request).collect::<Vec<_>>(),
        vec![b.id(), a.id()]
    );
    assert_eq!(list[0].kind, KindCode::Copy);
    assert!(overdue([&c], now).is_empty());
}
