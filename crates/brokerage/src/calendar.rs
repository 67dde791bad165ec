//! The working-day calendar in force, kept in the store: deadlines counted in days end on a working day
//! (Civil Code Arts 201, 203), rights requests are answered within working days (PIPL Art 50; 15 working days
//! under GB/T 35273 8.7), and the objection window of a transfer notice is counted over it (PIPL Art 22).
//!
//! The shipped calendar knows one year. Past its last day every deadline is an error, never a guess, so the
//! operator records the next year's calendar when the State Council publishes its holiday arrangements, with
//! [`Brokerage::set_calendar`] or [`Brokerage::extend_calendar`] (the CLI's `custodia calendar`). A calendar
//! once recorded is what every process opening the store counts over, and its change is on the ledger with
//! the digest of the calendar, so a deadline can be recounted later over the same days (PIPL Art 54 audits).

use custodia_consent::Digest;
use custodia_model::{WorkingDayCalendar, beijing_date};
use custodia_store::Records;

use crate::brokerage::Brokerage;
use crate::error::BrokerageError;
use crate::records::{self, SETTINGS};

/// The settings record of the calendar in force.
const MAINLAND_CALENDAR: &[u8] = b"mainland_calendar";

impl Brokerage {
    /// The mainland working-day calendar in force: the one last recorded with [`Brokerage::set_calendar`],
    /// else the one the configuration gave ([`crate::BrokerageConfig::with_calendar`]), else the shipped
    /// `WorkingDayCalendar::mainland_2026`.
    pub fn calendar(&self) -> Result<WorkingDayCalendar, BrokerageError> {
        Ok(records::get_json(&self.store, SETTINGS, MAINLAND_CALENDAR)?
            .unwrap_or_else(|| self.calendar.clone()))
    }

    /// Records `calendar` as the one in force, with a `calendar_set` entry on the ledger (its name, first and
    /// last day and the SHA-256 of its JSON). Deadlines already running were counted over the days up to
    /// today, so the new calendar must keep them: refused with [`BrokerageError::InvalidInput`] naming
    /// `calendar.first` if it starts later than the calendar in force, `calendar.last` if it does not know
    /// today (Beijing date), and `calendar` if it classifies a day up to today differently from the calendar in
    /// force.
    pub fn set_calendar(&self, calendar: &WorkingDayCalendar) -> Result<(), BrokerageError> {
        let today = beijing_date(self.now());
        self.write(|log| {
            let current = self.calendar()?;
            if calendar.first() > current.first() {
                return Err(BrokerageError::InvalidInput {
                    field: "calendar.first",
                    reason: format!(
                        "calendar {} starts on {}, after the first day {} of calendar {} in force",
                        calendar.name(),
                        calendar.first(),
                        current.first(),
                        current.name()
                    ),
                });
            }
            if !calendar.covers(today) {
                return Err(BrokerageError::InvalidInput {
                    field: "calendar.last",
                    reason: format!(
                        "calendar {} runs from {} to {} and does not know today, {today}",
                        calendar.name(),
                        calendar.first(),
                        calendar.last()
                    ),
                });
            }
            if let Some(day) = current.first_disagreement(calendar, today) {
                return Err(BrokerageError::InvalidInput {
                    field: "calendar",
                    reason: format!(
                        "calendar {} and calendar {} in force disagree on {day}, a day already counted over",
                        calendar.name(),
                        current.name()
                    ),
                });
            }
            let bytes = records::to_json(calendar)?;
            self.store.put_record(SETTINGS, MAINLAND_CALENDAR, &bytes)?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "calendar_set",
                "name": calendar.name(),
                "first": calendar.first(),
                "last": calendar.last(),
                "digest": Digest::of(&bytes),
                "at": self.now(),
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })
    }

    /// Joins `next` to the end of the calendar in force (it must start on the day after that one's last day)
    /// and records the result as [`Brokerage::set_calendar`] does. Returns the calendar now in force.
    pub fn extend_calendar(&self, next: &WorkingDayCalendar) -> Result<WorkingDayCalendar, BrokerageError> {
        let joined = self.calendar()?.followed_by(next)?;
        self.set_calendar(&joined)?;
        Ok(joined)
    }
}
