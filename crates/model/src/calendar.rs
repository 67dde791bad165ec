//! Working-day calendars (mainland public holidays and make-up working days, 调休) and the Civil Code's way of
//! counting periods in days: from the day after the event, to 24:00 Beijing time of the last day, a last day
//! on a rest day moved to the next working day.
//!
//! The rules (民法典 Civil Code 2020; its text is not in the project's folder, the articles are quoted as the
//! regulations README and the issues give them):
//!
//! - Art 201: a period counted in days starts on the day after the event (开始的当日不计入).
//! - Art 202: a period in months or years ends on the corresponding day (see `custodia-retention`'s `Period`).
//! - Art 203: a last day that is a statutory rest day (法定休假日) moves to the day after the rest ends; the
//!   last day ends at 24:00 (截止时间为二十四时).
//!
//! 法定休假日 is read, as Chinese courts read it, as every day that is not a working day: weekends and public
//! holidays, but not a weekend day the State Council made a working day (调休上班). Whether a day is a working
//! day is data ([`WorkingDayCalendar`]), shipped for 2026 from the State Council's notice on the 2026 holiday
//! arrangements (国务院办公厅关于2026年部分节假日安排的通知); a day outside a calendar is
//! [`ModelError::OutsideCalendar`], never a guess.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// Beijing time is UTC+8 all year (no daylight saving since 1991).
const BEIJING_OFFSET_SECONDS: i32 = 8 * 3600;

fn beijing() -> Option<FixedOffset> {
    FixedOffset::east_opt(BEIJING_OFFSET_SECONDS)
}

/// The calendar date in Beijing at the instant `at`: the day a notice served at `at` was served on.
pub fn beijing_date(at: DateTime<Utc>) -> NaiveDate {
    match beijing() {
        Some(offset) => at.with_timezone(&offset).date_naive(),
        // UTC+8 is a valid offset; `east_opt` cannot fail for it.
        None => at.date_naive(),
    }
}

/// The instant 24:00 Beijing time ends `date` (Civil Code Art 203: the last day ends at 24:00), as UTC:
/// 16:00 UTC of `date`. `None` only at the end of chrono's calendar.
pub fn beijing_end_of_day(date: NaiveDate) -> Option<DateTime<Utc>> {
    let next = date.succ_opt()?;
    let midnight = next.and_hms_opt(0, 0, 0)?;
    midnight
        .and_local_timezone(beijing()?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The editable, serialized form of a [`WorkingDayCalendar`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarFields {
    /// A name for errors and reports, such as `cn-mainland-2026`.
    pub name: String,
    /// The first day the calendar knows.
    pub first: NaiveDate,
    /// The last day the calendar knows.
    pub last: NaiveDate,
    /// Public holidays (and the days off the State Council adds to them), weekend or not.
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days the State Council made working days (调休上班).
    pub working_weekends: BTreeSet<NaiveDate>,
}

/// Which days are working days, between a first and a last day. A value that exists has every listed day
/// inside its range, no day both a holiday and a working weekend, and every working weekend on a Saturday or
/// Sunday. Outside the range every question is [`ModelError::OutsideCalendar`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarFields", into = "CalendarFields")]
pub struct WorkingDayCalendar {
    fields: CalendarFields,
}

/// The end of a period counted in days: its last day (after Civil Code Art 203) and the instant it closes,
/// 24:00 Beijing time of that day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Deadline {
    /// The day the period would end by counting alone (Civil Code Arts 201, 202).
    pub nominal_last_day: NaiveDate,
    /// The last day after a rest day is skipped (Civil Code Art 203).
    pub last_day: NaiveDate,
    /// 24:00 Beijing time of `last_day`, in UTC. An act at or after this instant is late.
    pub closes_at: DateTime<Utc>,
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The 2026 arrangements: (first day off, last day off) of each holiday, and the make-up working days.
const MAINLAND_2026_HOLIDAYS: [((u32, u32), (u32, u32)); 7] = [
    ((1, 1), (1, 3)),   // 元旦
    ((2, 15), (2, 23)), // 春节
    ((4, 4), (4, 6)),   // 清明节
    ((5, 1), (5, 5)),   // 劳动节
    ((6, 19), (6, 21)), // 端午节
    ((9, 25), (9, 27)), // 中秋节
    ((10, 1), (10, 7)), // 国庆节
];
const MAINLAND_2026_WORKING_WEEKENDS: [(u32, u32); 6] = [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)];

impl WorkingDayCalendar {
    /// Checks and wraps a calendar.
    pub fn new(fields: CalendarFields) -> Result<Self, ModelError> {
        if fields.name.trim().is_empty() {
            return Err(ModelError::Empty {
                field: "calendar.name",
            });
        }
        if fields.last < fields.first {
            return Err(ModelError::DateOrder {
                field: "calendar.last",
                earlier: fields.first,
                later: fields.last,
            });
        }
        let inside = |d: &NaiveDate| (fields.first..=fields.last).contains(d);
        if !fields.holidays.iter().all(inside) {
            return Err(ModelError::OutOfRange {
                field: "calendar.holidays",
                allowed: "days from the calendar's first to its last day",
            });
        }
        if !fields.working_weekends.iter().all(inside) {
            return Err(ModelError::OutOfRange {
                field: "calendar.working_weekends",
                allowed: "days from the calendar's first to its last day",
            });
        }
        if !fields.working_weekends.iter().all(|d| is_weekend(*d)) {
            return Err(ModelError::OutOfRange {
                field: "calendar.working_weekends",
                allowed: "Saturdays and Sundays only",
            });
        }
        if fields
            .holidays
            .intersection(&fields.working_weekends)
            .next()
            .is_some()
        {
            return Err(ModelError::Inconsistent {
                field: "calendar.working_weekends",
                other: "calendar.holidays",
            });
        }
        Ok(Self { fields })
    }

    /// The mainland calendar for 2026 (1 January to 31 December), from the State Council's notice on the
    /// 2026 holiday arrangements: 元旦 1–3 January (4 January worked); 春节 15–23 February (14 and 28 February
    /// worked); 清明节 4–6 April; 劳动节 1–5 May (9 May worked); 端午节 19–21 June; 中秋节 25–27 September;
    /// 国庆节 1–7 October (20 September and 10 October worked). Check it against the published notice
    /// before relying on it in a filing; load another with [`WorkingDayCalendar::new`] or serde.
    pub fn mainland_2026() -> Result<Self, ModelError> {
        let bad = || ModelError::OutOfRange {
            field: "calendar.mainland_2026",
            allowed: "the shipped 2026 dates",
        };
        let mut holidays = BTreeSet::new();
        for ((m1, d1), (m2, d2)) in MAINLAND_2026_HOLIDAYS {
            let (mut day, last) = (
                date(2026, m1, d1).ok_or_else(bad)?,
                date(2026, m2, d2).ok_or_else(bad)?,
            );
            while day <= last {
                holidays.insert(day);
                day = day.succ_opt().ok_or_else(bad)?;
            }
        }
        let working_weekends = MAINLAND_2026_WORKING_WEEKENDS
            .iter()
            .map(|(m, d)| date(2026, *m, *d).ok_or_else(bad))
            .collect::<Result<BTreeSet<_>, _>>()?;
        Self::new(CalendarFields {
            name: "cn-mainland-2026".into(),
            first: date(2026, 1, 1).ok_or_else(bad)?,
            last: date(2026, 12, 31).ok_or_else(bad)?,
            holidays,
            working_weekends,
        })
    }

    /// The calendar's name.
    pub fn name(&self) -> &str {
        &self.fields.name
    }

    /// The first day the calendar knows.
    pub fn first(&self) -> NaiveDate {
        self.fields.first
    }

    /// The last day the calendar knows.
    pub fn last(&self) -> NaiveDate {
        self.fields.last
    }

    /// Whether the calendar knows `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        (self.fields.first..=self.fields.last).contains(&date)
    }

    /// The fields, for saving or editing.
    pub fn fields(&self) -> &CalendarFields {
        &self.fields
    }

    fn outside(&self, date: NaiveDate) -> ModelError {
        ModelError::OutsideCalendar {
            calendar: self.fields.name.clone(),
            date,
            first: self.fields.first,
            last: self.fields.last,
        }
    }

    /// Whether `date` is a working day: a weekday that is not a holiday, or a working weekend (调休上班).
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, ModelError> {
        if !self.covers(date) {
            return Err(self.outside(date));
        }
        Ok(self.fields.working_weekends.contains(&date)
            || (!is_weekend(date) && !self.fields.holidays.contains(&date)))
    }

    /// `date` if it is a working day, else the next working day.
    pub fn working_day_on_or_after(&self, date: NaiveDate) -> Result<NaiveDate, ModelError> {
        let mut day = date;
        while !self.is_working_day(day)? {
            day = day.succ_opt().ok_or_else(|| self.outside(day))?;
        }
        Ok(day)
    }

    /// The last day of a period whose counting ends on `nominal`: `nominal` itself, or, when it is a rest
    /// day, the next working day (Civil Code Art 203).
    pub fn period_last_day(&self, nominal: NaiveDate) -> Result<NaiveDate, ModelError> {
        self.working_day_on_or_after(nominal)
    }

    /// The deadline of a period of `days` days after an event on `event` (a Beijing date): counting starts
    /// the next day (Civil Code Art 201), so the nominal last day is `event + days`; a rest day moves it to the
    /// next working day (Art 203), and it closes at 24:00 Beijing time. `days` of 0 closes at the end of the
    /// event's own day.
    pub fn deadline(&self, event: NaiveDate, days: u32) -> Result<Deadline, ModelError> {
        let nominal = event
            .checked_add_days(Days::new(u64::from(days)))
            .ok_or_else(|| self.outside(event))?;
        let last_day = self.period_last_day(nominal)?;
        let closes_at = beijing_end_of_day(last_day).ok_or_else(|| self.outside(last_day))?;
        Ok(Deadline {
            nominal_last_day: nominal,
            last_day,
            closes_at,
        })
    }

    /// The day `n` working days after `from` (`from` itself not counted), for deadlines set in working days
    /// (for example a rights request answered within 15 working days).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Result<NaiveDate, ModelError> {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().ok_or_else(|| self.outside(day))?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }
}

impl WorkingDayCalendar {
    /// This calendar followed by `next`, which must start on the day after this one's last day: how a
    /// calendar grows when the State Council publishes the next year's arrangements. The joined calendar is
    /// named `"<this>+<next>"`; every day keeps the classification of the calendar it came from.
    pub fn followed_by(&self, next: &WorkingDayCalendar) -> Result<WorkingDayCalendar, ModelError> {
        if self.fields.last.succ_opt() != Some(next.fields.first) {
            return Err(ModelError::OutOfRange {
                field: "calendar.first",
                allowed: "the day after the last day of the calendar it extends",
            });
        }
        let mut fields = self.fields.clone();
        fields.name = format!("{}+{}", self.fields.name, next.fields.name);
        fields.last = next.fields.last;
        fields.holidays.extend(next.fields.holidays.iter().copied());
        fields
            .working_weekends
            .extend(next.fields.working_weekends.iter().copied());
        WorkingDayCalendar::new(fields)
    }

    /// The first day, up to and including `until`, that both calendars know and classify differently (one a
    /// working day, the other not); `None` when they agree on every such day.
    pub fn first_disagreement(&self, other: &WorkingDayCalendar, until: NaiveDate) -> Option<NaiveDate> {
        let from = self.fields.first.max(other.fields.first);
        let to = until.min(self.fields.last).min(other.fields.last);
        from.iter_days()
            .take_while(|day| *day <= to)
            .find(|day| self.is_working_day(*day).ok() != other.is_working_day(*day).ok())
    }
}

impl TryFrom<CalendarFields> for WorkingDayCalendar {
    type Error = ModelError;

    fn try_from(fields: CalendarFields) -> Result<Self, Self::Error> {
        Self::new(fields)
    }
}

impl From<WorkingDayCalendar> for CalendarFields {
    fn from(calendar: WorkingDayCalendar) -> Self {
        calendar.fields
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_2026_calendar_knows_holidays_and_make_up_days() {
        let cal = WorkingDayCalendar::mainland_2026().unwrap();
        assert!(!cal.is_working_day(d(2026, 10, 1)).unwrap(), "National Day");
        assert!(cal.is_working_day(d(2026, 10, 10)).unwrap(), "a Saturday worked");
        assert!(cal.is_working_day(d(2026, 1, 4)).unwrap(), "a Sunday worked");
        assert!(
            !cal.is_working_day(d(2026, 3, 7)).unwrap(),
            "an ordinary Saturday"
        );
        assert!(cal.is_working_day(d(2026, 3, 9)).unwrap(), "an ordinary Monday");
        assert!(
            !cal.is_working_day(d(2026, 2, 23)).unwrap(),
            "the Monday closing Spring Festival"
        );
        assert!(matches!(
            cal.is_working_day(d(2027, 1, 1)),
            Err(ModelError::OutsideCalendar { .. })
        ));
        assert!(cal.is_working_day(d(2025, 12, 31)).is_err());
    }

    #[test]
    fn a_last_day_on_a_holiday_moves_to_the_next_working_day() {
        let cal = WorkingDayCalendar::mainland_2026().unwrap();
        // Served 1 September; 30 days end on 1 October, National Day: the period runs to 8 October.
        let dl = cal.deadline(d(2026, 9, 1), 30).unwrap();
        assert_eq!(dl.nominal_last_day, d(2026, 10, 1));
        assert_eq!(dl.last_day, d(2026, 10, 8));
        assert_eq!(dl.closes_at, Utc.with_ymd_and_hms(2026, 10, 8, 16, 0, 0).unwrap());
        // A last day on a working day stays; it closes at 24:00 Beijing, 16:00 UTC.
        let dl = cal.deadline(d(2026, 6, 1), 30).unwrap();
        assert_eq!(dl.last_day, d(2026, 7, 1));
        assert_eq!(dl.closes_at, Utc.with_ymd_and_hms(2026, 7, 1, 16, 0, 0).unwrap());
        // Past the calendar: an error, not a guess.
        assert!(cal.deadline(d(2026, 12, 20), 30).is_err());
    }

    #[test]
    fn beijing_dates_differ_from_utc_dates_in_the_evening() {
        let late = Utc.with_ymd_and_hms(2026, 6, 1, 17, 0, 0).unwrap();
        assert_eq!(beijing_date(late), d(2026, 6, 2));
        let morning = Utc.with_ymd_and_hms(2026, 6, 1, 1, 0, 0).unwrap();
        assert_eq!(beijing_date(morning), d(2026, 6, 1));
    }

    #[test]
    fn working_days_are_counted_after_the_first_day() {
        let cal = WorkingDayCalendar::mainland_2026().unwrap();
        // Thursday 30 April + 1 working day: 1–5 May are off, so Wednesday 6 May.
        assert_eq!(cal.add_working_days(d(2026, 4, 30), 1).unwrap(), d(2026, 5, 6));
        // Saturday 9 May is worked.
        assert_eq!(cal.add_working_days(d(2026, 5, 8), 1).unwrap(), d(2026, 5, 9));
        assert_eq!(cal.add_working_days(d(2026, 5, 8), 0).unwrap(), d(2026, 5, 8));
    }

    fn year_2027_start() -> WorkingDayCalendar {
        WorkingDayCalendar::new(CalendarFields {
            name: "cn-mainland-2027-january".into(),
            first: d(2027, 1, 1),
            last: d(2027, 1, 31),
            holidays: [d(2027, 1, 1)].into_iter().collect(),
            working_weekends: BTreeSet::new(),
        })
        .unwrap()
    }

    #[test]
    fn a_calendar_is_extended_by_the_next_one() {
        let cal = WorkingDayCalendar::mainland_2026().unwrap();
        let joined = cal.followed_by(&year_2027_start()).unwrap();
        assert_eq!(joined.name(), "cn-mainland-2026+cn-mainland-2027-january");
        assert_eq!((joined.first(), joined.last()), (d(2026, 1, 1), d(2027, 1, 31)));
        assert!(!joined.is_working_day(d(2026, 10, 1)).unwrap(), "2026 kept");
        assert!(!joined.is_working_day(d(2027, 1, 1)).unwrap(), "2027's holiday");
        // 20 December 2026 + 30 days: past the 2026 calendar alone, inside the joined one.
        assert!(cal.deadline(d(2026, 12, 20), 30).is_err());
        assert_eq!(
            joined.deadline(d(2026, 12, 20), 30).unwrap().last_day,
            d(2027, 1, 19)
        );
        assert_eq!(joined.first_disagreement(&cal, d(2027, 1, 31)), None);
    }

    #[test]
    fn only_the_next_day_continues_a_calendar() {
        let cal = WorkingDayCalendar::mainland_2026().unwrap();
        let mut gap = year_2027_start().fields().clone();
        gap.first = d(2027, 1, 2);
        gap.holidays.clear();
        let gap = WorkingDayCalendar::new(gap).unwrap();
        assert!(matches!(
            cal.followed_by(&gap),
            Err(ModelError::OutOfRange {
                field: "calendar.first",
                ..
            })
        ));
        assert!(matches!(
            cal.followed_by(&cal),
            Err(ModelError::OutOfRange {
                field: "calendar.first",
                ..
            })
        ));
    }

    #[test]
    fn disagreements_are_found_up_to_a_day() {
        let cal = WorkingDayCalendar::mainland_2026().unwrap();
        let mut other = cal.fields().clone();
        other.holidays.insert(d(2026, 11, 2)); // a Monday made a holiday
        let other = WorkingDayCalendar::new(other).unwrap();
        assert_eq!(
            cal.first_disagreement(&other, d(2026, 12, 31)),
            Some(d(2026, 11, 2))
        );
        assert_eq!(cal.first_disagreement(&other, d(2026, 11, 1)), None);
    }

    #[test]
    fn bad_calendars_are_refused() {
        let fields = |working: &[NaiveDate], holidays: &[NaiveDate]| CalendarFields {
            name: "x".into(),
            first: d(2026, 1, 1),
            last: d(2026, 12, 31),
            holidays: holidays.iter().copied().collect(),
            working_weekends: working.iter().copied().collect(),
        };
        assert!(
            WorkingDayCalendar::new(fields(&[d(2026, 3, 9)], &[])).is_err(),
            "a Monday"
        );
        assert!(WorkingDayCalendar::new(fields(&[], &[d(2027, 1, 1)])).is_err());
        assert!(WorkingDayCalendar::new(fields(&[d(2026, 3, 7)], &[d(2026, 3, 7)])).is_err());
        let cal = WorkingDayCalendar::mainland_2026().unwrap();
        let json = serde_json::to_string(&cal).unwrap();
        assert_eq!(serde_json::from_str::<WorkingDayCalendar>(&json).unwrap(), cal);
    }
}
