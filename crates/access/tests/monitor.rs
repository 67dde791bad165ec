//! Bulk-read monitors: a planted bulk read fires, normal traffic does not; off-hours and first sensitive
//! reads are seen; the state is a record that resumes, and a replay of the log gives the same alerts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use custodia_access::{
    AccessLog, AccessRequest, Action, AlertKind, Gate, LoggedAccess, Monitor, MonitorSettings, Severity,
};
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{CategorySet, CustomerId, DataCategory, Purpose};

struct Traffic {
    gate: Gate,
    log: Log<MemoryStore>,
}

impl Traffic {
    fn new() -> Self {
        Self {
            gate: Gate::cn_insurance_broker().unwrap(),
            log: Log::new(MemoryStore::new()).unwrap(),
        }
    }

    fn read(
        &mut self,
        who: &Staff,
        purpose: &Purpose,
        customer: CustomerId,
        category: DataCategory,
        at: DateTime<Utc>,
    ) -> LoggedAccess {
        let request = AccessRequest {
            principal: &who.principal,
            action: Action::Read,
            customer,
            categories: CategorySet::from([category]),
            purpose,
            at,
            ticket: None,
            approval: None,
        };
        let entry = self
            .gate
            .decide(&request, &plain_facts(&[category]))
            .unwrap()
            .entry()
            .clone();
        let index = AccessLog::append(&mut self.log, std::slice::from_ref(&entry))
            .unwrap()
            .first_index();
        logged(&self.log, index)
    }
}

/// The access entry at `index`, read back from the ledger.
fn logged(log: &Log<MemoryStore>, index: u64) -> LoggedAccess {
    AccessLog::scan(log, index..index + 1, &mut |_| true)
        .unwrap()
        .remove(0)
}

#[test]
fn a_planted_bulk_read_fires_and_normal_traffic_does_not() {
    let mut traffic = Traffic::new();
    let mut monitor = Monitor::new(MonitorSettings::default()).unwrap();
    let normal = staff("emp-0601", &["account_manager"], &[Purpose::PolicyServicing]);
    let insider = staff("emp-0666", &["account_manager"], &[Purpose::PolicyServicing]);
    let book: Vec<CustomerId> = (0..200).map(|_| CustomerId::new_v7()).collect();
    let start = monday_morning();
    let mut alerts = Vec::new();
    // A normal day: 30 customers an hour, some twice, from 08:00 to 18:00 Beijing time (two hours before
    // monday_morning's 10:00 to eight hours after).
    for hour in 0..10 {
        for i in 0..30 {
            let at = start - Duration::hours(2) + Duration::hours(hour) + Duration::minutes(i * 2);
            let customer = book[((hour * 17 + i) % 120) as usize];
            let logged = traffic.read(
                &normal,
                &Purpose::PolicyServicing,
                customer,
                DataCategory::Contact,
                at,
            );
            alerts.extend(monitor.observe(&logged));
        }
    }
    assert!(alerts.is_empty(), "{alerts:?}");
    // The insider reads 60 distinct customers' identity sections in twelve minutes.
    let mut first_bulk_index = None;
    for (i, customer) in book.iter().take(60).enumerate() {
        let at = start + Duration::seconds(12 * i as i64);
        let logged = traffic.read(
            &insider,
            &Purpose::PolicyServicing,
            *customer,
            DataCategory::Identity,
            at,
        );
        first_bulk_index.get_or_insert(logged.index);
        alerts.extend(monitor.observe(&logged));
    }
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert.principal, *insider.principal.id());
    assert_eq!(alert.severity, Severity::High);
    assert_eq!(
        alert.kind,
        AlertKind::DistinctCustomers {
            count: 51,
            threshold: 50
        }
    );
    assert_eq!(alert.entries.len(), 51);
    assert_eq!(alert.entries[0], first_bulk_index.unwrap());
    // Each index behind the alert is an allowed read by the insider on the ledger.
    for index in &alert.entries {
        let logged = logged(&traffic.log, *index);
        assert_eq!(logged.entry.principal(), insider.principal.id());
    }
    // A replay of the log from scratch raises the same alert; a resumed monitor double counts nothing.
    let (replayed, replay_alerts) = Monitor::replay(&traffic.log, MonitorSettings::default()).unwrap();
    assert_eq!(replay_alerts, alerts);
    assert_eq!(replayed, monitor);
    let stored = serde_json::to_string(&monitor).unwrap();
    let mut resumed: Monitor = serde_json::from_str(&stored).unwrap();
    assert!(resumed.catch_up(&traffic.log).unwrap().is_empty());
}

#[test]
fn off_hours_sensitive_and_first_sensitive_reads_are_seen() {
    let mut traffic = Traffic::new();
    let settings = MonitorSettings {
        max_sensitive_reads: 3,
        ..MonitorSettings::default()
    };
    let mut monitor = Monitor::new(settings).unwrap();
    let handler = staff("emp-0700", &["claims_handler"], &[Purpose::ClaimsAssistance]);
    let at = monday_morning();
    // 23:30 in Beijing: off hours.
    let night = at + Duration::hours(13) + Duration::minutes(30);
    let logged = traffic.read(
        &handler,
        &Purpose::ClaimsAssistance,
        CustomerId::new_v7(),
        DataCategory::Contact,
        night,
    );
    let alerts = monitor.observe(&logged);
    assert_eq!(
        alerts.iter().map(|a| &a.kind).collect::<Vec<_>>(),
        vec![&AlertKind::OffHours]
    );
    assert_eq!(alerts[0].entries, vec![logged.index]);
    // Saturday morning is off hours too.
    let saturday = at + Duration::days(5);
    let logged = traffic.read(
        &handler,
        &Purpose::ClaimsAssistance,
        CustomerId::new_v7(),
        DataCategory::Contact,
        saturday,
    );
    assert_eq!(monitor.observe(&logged).len(), 1);
    // The first health read is noted once; the fourth sensitive read in the hour is an alert.
    let mut kinds = Vec::new();
    for i in 0..4 {
        let logged = traffic.read(
            &handler,
            &Purpose::ClaimsAssistance,
            CustomerId::new_v7(),
            DataCategory::Health,
            at + Duration::days(7) + Duration::minutes(i),
        );
        kinds.extend(monitor.observe(&logged).into_iter().map(|a| a.kind));
    }
    assert_eq!(
        kinds,
        vec![
            AlertKind::FirstSensitiveAccess {
                category: DataCategory::Health
            },
            AlertKind::SensitiveReads {
                count: 4,
                threshold: 3
            },
        ]
    );
    // Denied requests are not reads: a marketer denied health raises nothing.
    let marketer = staff("emp-0701", &["marketing"], &[Purpose::Marketing]);
    let logged = traffic.read(
        &marketer,
        &Purpose::Marketing,
        CustomerId::new_v7(),
        DataCategory::Health,
        night,
    );
    assert!(monitor.observe(&logged).is_empty());
}

#[test]
fn settings_are_checked() {
    let zero = MonitorSettings {
        window_seconds: 0,
        ..MonitorSettings::default()
    };
    assert!(Monitor::new(zero).is_err());
    let zero = MonitorSettings {
        max_distinct_customers: 0,
        ..MonitorSettings::default()
    };
    assert!(Monitor::new(zero).is_err());
    let json = serde_json::to_string(&MonitorSettings::default()).unwrap();
    assert_eq!(
        serde_json::from_str::<MonitorSettings>(&json).unwrap(),
        MonitorSettings::default()
    );
}

#[test]
fn a_principal_far_above_their_own_baseline_is_seen() {
    let mut traffic = Traffic::new();
    // Distinct-customer and sensitive thresholds out of the way: only the baseline speaks.
    let settings = MonitorSettings {
        max_distinct_customers: 10_000,
        ..MonitorSettings::default()
    };
    let mut monitor = Monitor::new(settings).unwrap();
    let clerk = staff("emp-0800", &["account_manager"], &[Purpose::PolicyServicing]);
    let customer = CustomerId::new_v7();
    let start = monday_morning();
    let mut alerts = Vec::new();
    // Six hours of 5 reads an hour: the baseline.
    for hour in 0..6 {
        for i in 0..5 {
            let at = start + Duration::hours(hour) + Duration::minutes(i * 10);
            let logged = traffic.read(
                &clerk,
                &Purpose::PolicyServicing,
                customer,
                DataCategory::Contact,
                at,
            );
            alerts.extend(monitor.observe(&logged));
        }
    }
    assert!(alerts.is_empty(), "{alerts:?}");
    // Then 26 in one hour: more than 5 × 5 and above the floor of 20.
    for i in 0..26 {
        let at = start + Duration::hours(6) + Duration::minutes(i * 2);
        let logged = traffic.read(
            &clerk,
            &Purpose::PolicyServicing,
            customer,
            DataCategory::Contact,
            at,
        );
        alerts.extend(monitor.observe(&logged));
    }
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        alerts[0].kind,
        AlertKind::AboveBaseline {
            count: 26,
            baseline: 5,
            multiple: 5
        }
    );
    assert_eq!(alerts[0].entries.len(), 26);
    // The forwarding callback sees the same alert on a replay.
    let mut forwarded = Vec::new();
    let mut fresh = Monitor::new(monitor.settings().clone()).unwrap();
    fresh
        .catch_up_with(&traffic.log, &mut |a| forwarded.push(a))
        .unwrap();
    assert_eq!(forwarded, alerts);
}
