//! Bulk-read alerts (issue 17): custodia-access's monitors run on every gated read, in the read's unit of work; their alerts are stored in the records table and listed, and a service may register a callback to forward them.
//!
//! | namespace | key | value |
//! |---|---|---|
//! | `access/monitor` | `state` | the `Monitor`'s state (JSON: pseudonymous ids, times, ledger indices) |
//! | `access/alert` | ledger index of the entry that raised it (u64, big-endian) ‖ the alert kind's code | the `Alert` (JSON) |
//!
//! The monitor lives in memory; its state is saved with every read that raises an alert and at least every
//! [`SNAPSHOT_EVERY`] reads, so that reopening resumes from the saved state and catches up with the access
//! entries after it on the ledger (re-raising an alert of those entries stores it under the same key, so it
//! is stored once). Each read costs the monitor O(1) amortized (custodia-access's `Monitor::observe`); a
//! catch-up runs once per opening. PIPL Art 51 (internal management, security measures); the practice's
//! §3.1 (intrusion detection) and §15 (internal supervision against misuse).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use custodia_access::{Alert, AlertKind, LoggedAccess, Monitor, MonitorSettings};
use custodia_store::{KeyRange, Namespace};

use crate::brokerage::{Brokerage, Ledger};
use crate::error::BrokerageError;
use crate::records;

pub(crate) const MONITOR: Namespace = Namespace::new("access/monitor");
pub(crate) const ALERTS: Namespace = Namespace::new("access/alert");
const STATE_KEY: &[u8] = b"state";

/// The monitor's state is saved at least once every this many observed reads.
pub const SNAPSHOT_EVERY: u64 = 1024;

/// A callback that forwards alerts (to a pager, a SIEM): called after the read that raised them committed,
/// with no brokerage lock held, once per alert — and again for an alert re-raised by a catch-up after a
/// crash (at-least-once).
pub type AlertSink = Arc<dyn Fn(&Alert) + Send + Sync>;

/// The brokerage's monitor: loaded on the first gated read of a process.
pub(crate) struct MonitorState {
    monitor: Option<Monitor>,
    since_snapshot: u64,
}

/// The monitor and the registered callback.
pub(crate) struct Monitoring {
    pub(crate) settings: MonitorSettings,
    state: Mutex<MonitorState>,
    sink: RwLock<Option<AlertSink>>,
}

impl Monitoring {
    /// Monitoring with `settings`, checked now (a zero window or threshold is refused at open).
    pub(crate) fn new(settings: MonitorSettings) -> Result<Self, BrokerageError> {
        Monitor::new(settings.clone())?;
        Ok(Self {
            settings,
            state: Mutex::new(MonitorState {
                monitor: None,
                since_snapshot: 0,
            }),
            sink: RwLock::new(None),
        })
    }
}

/// The code of an alert kind, in its record key.
fn kind_code(kind: &AlertKind) -> &'static str {
    match kind {
        AlertKind::DistinctCustomers { .. } => "distinct_customers",
        AlertKind::SensitiveReads { .. } => "sensitive_reads",
        AlertKind::AboveBaseline { .. } => "above_baseline",
        AlertKind::FirstSensitiveAccess { .. } => "first_sensitive_access",
        AlertKind::OffHours => "off_hours",
        _ => "other",
    }
}

fn alert_key(alert: &Alert) -> Vec<u8> {
    let trigger = alert.entries.iter().copied().max().unwrap_or(0);
    let mut key = trigger.to_be_bytes().to_vec();
    key.extend_from_slice(kind_code(&alert.kind).as_bytes());
    if let AlertKind::FirstSensitiveAccess { category } = &alert.kind {
        key.push(b':');
        key.extend_from_slice(category.code().as_bytes());
    }
    key
}

impl Brokerage {
    /// Registers `forward`, called with every alert a gated read raises from now on (replacing a callback
    /// registered before). Alerts are stored whether or not a callback is registered.
    pub fn on_alert(&self, forward: impl Fn(&Alert) + Send + Sync + 'static) {
        let mut sink = self
            .monitoring
            .sink
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *sink = Some(Arc::new(forward));
    }

    /// Every stored alert, in the order of the ledger entries that raised them: what, how urgent, whose
    /// reads, and the ledger indices of the access entries behind it (each provable with its inclusion
    /// proof).
    pub fn alerts(&self) -> Result<Vec<Alert>, BrokerageError> {
        let mut alerts = Vec::new();
        records::scan_pages(&self.store, ALERTS, KeyRange::all(), 256, &mut |page| {
            for record in page {
                alerts.push(records::decode_json(ALERTS, &record.key, &record.value)?);
            }
            Ok(())
        })?;
        Ok(alerts)
    }

    /// The monitor's settings.
    pub fn monitor_settings(&self) -> &MonitorSettings {
        &self.monitoring.settings
    }

    /// Locks the monitor; a gated read holds it across its unit of work, so entries are observed in ledger
    /// order.
    pub(crate) fn monitor_state(&self) -> MutexGuard<'_, MonitorState> {
        self.monitoring
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// After a failed unit of work: the in-memory monitor may have observed an entry that was rolled back,
    /// so it is dropped and the next read reloads it from the saved state and the ledger.
    pub(crate) fn forget_monitor(state: &mut MonitorState) {
        state.monitor = None;
        state.since_snapshot = 0;
    }

    /// Observes the access entry just appended at `logged.index`, inside the read's unit of work: loads
    /// the monitor if needed (the saved state, caught up with the ledger), stores the alerts raised and,
    /// when due, the state. Returns the alerts, for the callback after commit.
    pub(crate) fn observe_access(
        &self,
        state: &mut MonitorState,
        log: &Ledger,
        logged: &LoggedAccess,
    ) -> Result<Vec<Alert>, BrokerageError> {
        let mut raised = Vec::new();
        let monitor = match &mut state.monitor {
            Some(m) => m,
            None => {
                let saved: Option<Monitor> = records::get_json(&self.store, MONITOR, STATE_KEY)?;
                let mut m = match saved {
                    Some(m) if m.settings() == &self.monitoring.settings => m,
                    // New settings: the state is rebuilt from the whole access log under them.
                    _ => Monitor::new(self.monitoring.settings.clone())?,
                };
                m.catch_up_with(log, &mut |a| raised.push(a))?;
                state.since_snapshot = SNAPSHOT_EVERY;
                state.monitor.insert(m)
            }
        };
        raised.extend(monitor.observe(logged));
        state.since_snapshot += 1;
        for alert in &raised {
            records::put_json(&self.store, ALERTS, &alert_key(alert), alert)?;
        }
        if !raised.is_empty() || state.since_snapshot >= SNAPSHOT_EVERY {
            records::put_json(&self.store, MONITOR, STATE_KEY, &*monitor)?;
            state.since_snapshot = 0;
        }
        Ok(raised)
    }

    /// Hands `alerts` to the registered callback, if any (no lock of the brokerage held).
    pub(crate) fn forward_alerts(&self, alerts: &[Alert]) {
        if alerts.is_empty() {
            return;
        }
        let sink = self
            .monitoring
            .sink
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(sink) = sink {
            for alert in alerts {
                sink(alert);
            }
        }
    }
}
