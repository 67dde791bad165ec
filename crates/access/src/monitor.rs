//! Bulk-read monitors: per-principal sliding windows over the access log against thresholds as data —
//! many distinct customers, many sensitive reads, many more reads than the principal's own baseline, a first
//! read of a sensitive category, reads outside working hours — raising typed alerts that name the ledger entries behind them (the practice's §3.1
//! intrusion detection and §15 internal supervision; PIPL Art 51).

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Datelike, FixedOffset, NaiveTime, Utc, Weekday};
use custodia_ledger::{Log, LogStore};
use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory};
use serde::{Deserialize, Serialize};

use crate::engine::Effect;
use crate::error::AccessError;
use crate::log::{AccessLog, LoggedAccess};

/// Working hours, in the brokerage's own time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// The offset from UTC in seconds. Default +8 hours (Beijing time).
    pub utc_offset_seconds: i32,
    /// When the working day starts (inclusive). Default 08:00.
    pub start: NaiveTime,
    /// When it ends (exclusive). Default 20:00.
    pub end: NaiveTime,
    /// The working days. Default Monday to Friday. (Public holidays and make-up days are the calendar's;
    /// a brokerage that wants them passes only reads of its working days or lists them here.)
    pub days: Vec<Weekday>,
}

impl Default for WorkingHours {
    fn default() -> Self {
        Self {
            utc_offset_seconds: 8 * 3600,
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(20, 0, 0).unwrap_or(NaiveTime::MIN),
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
        }
    }
}

impl WorkingHours {
    /// Whether `at` falls inside working hours.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let Some(offset) = FixedOffset::east_opt(self.utc_offset_seconds) else {
            return false;
        };
        let local = at.with_timezone(&offset);
        let time = local.time();
        self.days.contains(&local.weekday()) && self.start <= time && time < self.end
    }
}

/// Thresholds of the monitors: data with documented defaults, to be tuned to a brokerage's traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSettings {
    /// The sliding window, in seconds. Default 3600 (one hour).
    pub window_seconds: i64,
    /// Alert when one principal reads more distinct customers than this within the window. Default 50.
    pub max_distinct_customers: usize,
    /// Alert when one principal reads more sensitive sections than this within the window. Default 20.
    pub max_sensitive_reads: usize,
    /// Alert when one principal's reads in a window exceed this multiple of their own baseline (the mean
    /// of their earlier active windows). Default 5.
    pub baseline_multiple: usize,
    /// Windows of history a baseline needs before it is used. Default 5.
    pub baseline_min_windows: u64,
    /// A baseline alert needs at least this many reads in the window, so that a quiet principal's third
    /// read is not an alert. Default 20.
    pub baseline_floor: usize,
    /// Working hours; a read outside them raises an alert.
    pub working_hours: WorkingHours,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            window_seconds: 3600,
            max_distinct_customers: 50,
            max_sensitive_reads: 20,
            baseline_multiple: 5,
            baseline_min_windows: 5,
            baseline_floor: 20,
            working_hours: WorkingHours::default(),
        }
    }
}

impl MonitorSettings {
    fn check(&self) -> Result<(), AccessError> {
        if self.window_seconds <= 0 {
            return Err(AccessError::InvalidSettings {
                field: "window_seconds",
                problem: "must be positive",
            });
        }
        if self.max_distinct_customers == 0 || self.max_sensitive_reads == 0 || self.baseline_multiple == 0 {
            return Err(AccessError::InvalidSettings {
                field: "thresholds",
                problem: "must be positive",
            });
        }
        Ok(())
    }
}

/// How urgent an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Severity {
    /// Worth a look in the weekly review.
    Low,
    /// Worth a look today.
    Medium,
    /// Look now: a bulk read may be under way.
    High,
}

/// What a monitor saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AlertKind {
    /// More distinct customers within the window than the threshold.
    DistinctCustomers {
        /// Distinct customers read in the window.
        count: usize,
        /// The threshold.
        threshold: usize,
    },
    /// More sensitive sections within the window than the threshold.
    SensitiveReads {
        /// Sensitive sections read in the window.
        count: usize,
        /// The threshold.
        threshold: usize,
    },
    /// More reads in a window than a multiple of the principal's own baseline.
    AboveBaseline {
        /// Reads in the current window.
        count: usize,
        /// The principal's mean reads per earlier active window, rounded up.
        baseline: u64,
        /// The multiple of the settings.
        multiple: usize,
    },
    /// The principal's first read of a sensitive category.
    FirstSensitiveAccess {
        /// The category.
        category: DataCategory,
    },
    /// A read outside working hours.
    OffHours,
}

/// An alert: what, how urgent, whose reads, when, and the ledger indices of the access entries behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Alert {
    /// What was seen.
    pub kind: AlertKind,
    /// How urgent.
    pub severity: Severity,
    /// Whose reads.
    pub principal: ActorId,
    /// The time of the entry that raised it.
    pub at: DateTime<Utc>,
    /// The access entries behind it, by ledger index.
    pub entries: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    index: u64,
    at: DateTime<Utc>,
    customer: CustomerId,
    sensitive: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Window {
    events: VecDeque<Seen>,
    customers: BTreeMap<CustomerId, usize>,
    sensitive: usize,
    seen_sensitive: CategorySet,
    distinct_alert_at: Option<DateTime<Utc>>,
    sensitive_alert_at: Option<DateTime<Utc>>,
    /// The baseline's fixed windows: where the current one starts, its reads and their ledger indices.
    bucket_start: Option<DateTime<Utc>>,
    bucket: Vec<u64>,
    baseline_alerted: bool,
    /// Earlier active windows and the reads in them.
    history_windows: u64,
    history_reads: u64,
}

/// The monitors' state: one sliding window per principal. It is a public record (serde, pseudonymous ids and
/// ledger indices only), so the brokerage stores it and resumes; or it is rebuilt from the log
/// ([`Monitor::replay`]). Each access event costs O(log n) in the customers of one window: every event enters
/// and leaves its window once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitor {
    settings: MonitorSettings,
    windows: BTreeMap<ActorId, Window>,
    last_index: Option<u64>,
}

impl Monitor {
    /// A monitor with no history; refused with a zero window or threshold.
    pub fn new(settings: MonitorSettings) -> Result<Self, AccessError> {
        settings.check()?;
        Ok(Self {
            settings,
            windows: BTreeMap::new(),
            last_index: None,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &MonitorSettings {
        &self.settings
    }

    /// The index of the last entry observed.
    pub fn last_index(&self) -> Option<u64> {
        self.last_index
    }

    /// Observes one access entry, returning the alerts it raises. Only allowed reads and exports count; an
    /// entry at or before the last index observed is ignored (so a replay after a restart never double
    /// counts). A distinct-customer or sensitive-read alert is raised once, then not again until a window
    /// has passed since it.
    pub fn observe(&mut self, logged: &LoggedAccess) -> Vec<Alert> {
        if self.last_index.is_some_and(|last| logged.index <= last) {
            return Vec::new();
        }
        self.last_index = Some(logged.index);
        let entry = &logged.entry;
        if entry.effect() != Effect::Permit && entry.permitted().is_empty() {
            return Vec::new();
        }
        let settings = &self.settings;
        let at = entry.at();
        let principal = entry.principal().clone();
        let window = self.windows.entry(principal.clone()).or_default();
        let horizon = at - chrono::Duration::seconds(settings.window_seconds);
        while window.events.front().is_some_and(|e| e.at <= horizon) {
            if let Some(old) = window.events.pop_front() {
                window.sensitive = window.sensitive.saturating_sub(old.sensitive);
                if let Some(n) = window.customers.get_mut(&old.customer) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        window.customers.remove(&old.customer);
                    }
                }
            }
        }
        let sensitive: Vec<DataCategory> = entry
            .outcomes()
            .iter()
            .filter(|o| o.effect() == Effect::Permit && o.is_sensitive())
            .map(|o| o.category())
            .collect();
        window.events.push_back(Seen {
            index: logged.index,
            at,
            customer: entry.customer(),
            sensitive: sensitive.len(),
        });
        *window.customers.entry(entry.customer()).or_insert(0) += 1;
        window.sensitive += sensitive.len();

        let mut alerts = Vec::new();
        let alert = |kind, severity, entries| Alert {
            kind,
            severity,
            principal: principal.clone(),
            at,
            entries,
        };
        let quiet = |last: Option<DateTime<Utc>>| last.is_none_or(|t| t <= horizon);
        let in_window = |w: &Window| w.events.iter().map(|e| e.index).collect::<Vec<_>>();
        for category in sensitive {
            if window.seen_sensitive.insert(category) {
                alerts.push(alert(
                    AlertKind::FirstSensitiveAccess { category },
                    Severity::Low,
                    vec![logged.index],
                ));
            }
        }
        // The baseline runs over fixed windows (one bucket at a time, O(1) per event): a read past the
        // current bucket's end closes it into the history.
        let length = chrono::Duration::seconds(settings.window_seconds);
        if window.bucket_start.is_none_or(|start| at >= start + length) {
            if !window.bucket.is_empty() {
                window.history_windows += 1;
                window.history_reads += window.bucket.len() as u64;
            }
            window.bucket_start = Some(at);
            window.bucket.clear();
            window.baseline_alerted = false;
        }
        window.bucket.push(logged.index);
        if window.history_windows >= settings.baseline_min_windows && !window.baseline_alerted {
            let baseline = window.history_reads.div_ceil(window.history_windows.max(1));
            let count = window.bucket.len();
            let limit = baseline.saturating_mul(settings.baseline_multiple as u64);
            if count >= settings.baseline_floor && count as u64 > limit {
                window.baseline_alerted = true;
                alerts.push(alert(
                    AlertKind::AboveBaseline {
                        count,
                        baseline,
                        multiple: settings.baseline_multiple,
                    },
                    Severity::Medium,
                    window.bucket.clone(),
                ));
            }
        }
        let distinct = window.customers.len();
        if distinct > settings.max_distinct_customers && quiet(window.distinct_alert_at) {
            window.distinct_alert_at = Some(at);
            alerts.push(alert(
                AlertKind::DistinctCustomers {
                    count: distinct,
                    threshold: settings.max_distinct_customers,
                },
                Severity::High,
                in_window(window),
            ));
        }
        if window.sensitive > settings.max_sensitive_reads && quiet(window.sensitive_alert_at) {
            window.sensitive_alert_at = Some(at);
            let behind = window
                .events
                .iter()
                .filter(|e| e.sensitive > 0)
                .map(|e| e.index)
                .collect();
            alerts.push(alert(
                AlertKind::SensitiveReads {
                    count: window.sensitive,
                    threshold: settings.max_sensitive_reads,
                },
                Severity::High,
                behind,
            ));
        }
        if !settings.working_hours.contains(at) {
            alerts.push(alert(AlertKind::OffHours, Severity::Medium, vec![logged.index]));
        }
        alerts
    }

    /// Observes every access entry of `log` after the last one observed, returning the alerts raised.
    pub fn catch_up<S: LogStore>(&mut self, log: &Log<S>) -> Result<Vec<Alert>, AccessError> {
        let mut alerts = Vec::new();
        self.catch_up_with(log, &mut |alert| alerts.push(alert))?;
        Ok(alerts)
    }

    /// Like [`Monitor::catch_up`], handing each alert to `forward` as it is raised (a service forwards it
    /// to its alerting; the brokerage stores it).
    pub fn catch_up_with<S: LogStore>(
        &mut self,
        log: &Log<S>,
        forward: &mut dyn FnMut(Alert),
    ) -> Result<(), AccessError> {
        let start = self.last_index.map_or(0, |i| i.saturating_add(1));
        for logged in AccessLog::scan(log, start..log.size(), &mut |_| true)? {
            for alert in self.observe(&logged) {
                forward(alert);
            }
        }
        Ok(())
    }

    /// A monitor rebuilt from the whole log, with the alerts the log raises.
    pub fn replay<S: LogStore>(
        log: &Log<S>,
        settings: MonitorSettings,
    ) -> Result<(Self, Vec<Alert>), AccessError> {
        let mut monitor = Self::new(settings)?;
        let alerts = monitor.catch_up(log)?;
        Ok((monitor, alerts))
    }
}
