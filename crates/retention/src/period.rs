//! Calendar periods (years, months, days) and the day on which a period counted from an event ends.
//!
//! The counting rule is that of the Civil Code of the PRC (民法典), because every period in the
//! `cn-insurance-broker` profile is set by Chinese law:
//!
//! - Art 201: the day of the event is not counted; counting starts on the next day.
//! - Art 202: a period in years or months ends on the corresponding day of the last month; where that
//!   month has no corresponding day, it ends on the last day of that month.
//!
//! So a period of `P5Y` counted from a contract that ended on 2020-03-15 ends on 2025-03-15: the data is
//! protected up to and including that day and may be destroyed from 2025-03-16. **29 February**: one year
//! from 2020-02-29 ends on 2021-02-28 (February 2021 has no 29th, so its last day), not on 1 March; four
//! years from it end on 2024-02-29. Years and months are added together as months first, then days.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::RetentionError;

/// The largest number of years a period may have; far beyond any retention law, small enough that no
/// arithmetic on it can overflow.
const MAX_YEARS: u32 = 1000;

/// A calendar period such as 10 years or 6 months, written in ISO 8601 as `P10Y` or `P6M`.
///
/// A value that exists has at most 1000 years, 12 000 months and 366 000 days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    years: u32,
    months: u32,
    days: u32,
}

impl Period {
    /// The empty period: the period ends on the day of the event.
    pub const ZERO: Period = Period {
        years: 0,
        months: 0,
        days: 0,
    };

    /// A period of `years`, `months` and `days`; refused if any part exceeds 1000 years' worth.
    pub fn new(years: u32, months: u32, days: u32) -> Result<Self, RetentionError> {
        if years > MAX_YEARS || months > MAX_YEARS * 12 || days > MAX_YEARS * 366 {
            return Err(RetentionError::InvalidPeriod {
                rule: "-".to_owned(),
                field: "period",
                value: format!("{years}y {months}m {days}d"),
            });
        }
        Ok(Self { years, months, days })
    }

    /// A period of whole years.
    pub fn years(years: u32) -> Result<Self, RetentionError> {
        Self::new(years, 0, 0)
    }

    /// The years part.
    pub fn year_part(&self) -> u32 {
        self.years
    }

    /// The months part.
    pub fn month_part(&self) -> u32 {
        self.months
    }

    /// The days part.
    pub fn day_part(&self) -> u32 {
        self.days
    }

    /// Whether the period is empty.
    pub fn is_zero(&self) -> bool {
        *self == Self::ZERO
    }

    /// The last day of this period counted from an event on `event` (民法典 Arts 201, 202; see the module
    /// docs for 29 February). `None` only if the date leaves chrono's calendar (beyond year 262 000).
    pub fn end_from(&self, event: NaiveDate) -> Option<NaiveDate> {
        // `new` bounds the parts, so `years * 12 + months` fits in a u32.
        let months = self.years.checked_mul(12)?.checked_add(self.months)?;
        event
            .checked_add_months(Months::new(months))?
            .checked_add_days(Days::new(u64::from(self.days)))
    }

    /// Whether this period ends before `other` for some event date. Y/M/D periods are not totally ordered
    /// (one month is 28 to 31 days), so this checks every start day of a four-year cycle, which covers
    /// every month length and the leap day.
    pub fn can_end_before(&self, other: &Period) -> bool {
        let Some(base) = NaiveDate::from_ymd_opt(2023, 1, 1) else {
            return false;
        };
        (0..(4 * 366)).any(|offset| {
            let Some(start) = base.checked_add_days(Days::new(offset)) else {
                return false;
            };
            match (self.end_from(start), other.end_from(start)) {
                (Some(a), Some(b)) => a < b,
                _ => false,
            }
        })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("P0D");
        }
        f.write_str("P")?;
        if self.years > 0 {
            write!(f, "{}Y", self.years)?;
        }
        if self.months > 0 {
            write!(f, "{}M", self.months)?;
        }
        if self.days > 0 {
            write!(f, "{}D", self.days)?;
        }
        Ok(())
    }
}

impl FromStr for Period {
    type Err = RetentionError;

    /// Parses an ISO 8601 date duration: `P`, then any of `nY`, `nM`, `nD` in that order, at least one.
    /// Weeks and times are refused: retention law counts in years, months and days.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || RetentionError::InvalidPeriod {
            rule: "-".to_owned(),
            field: "period",
            value: s.to_owned(),
        };
        let rest = s.strip_prefix('P').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        let (mut years, mut months, mut days) = (None, None, None);
        let mut number = String::new();
        let mut last_unit = 0u8;
        for ch in rest.chars() {
            if ch.is_ascii_digit() {
                number.push(ch);
                continue;
            }
            let value: u32 = number.parse().map_err(|_| bad())?;
            number.clear();
            let (slot, order) = match ch {
                'Y' => (&mut years, 1),
                'M' => (&mut months, 2),
                'D' => (&mut days, 3),
                _ => return Err(bad()),
            };
            if order <= last_unit {
                return Err(bad());
            }
            last_unit = order;
            *slot = Some(value);
        }
        if !number.is_empty() {
            return Err(bad());
        }
        Self::new(years.unwrap_or(0), months.unwrap_or(0), days.unwrap_or(0)).map_err(|_| bad())
    }
}

impl TryFrom<String> for Period {
    type Error = RetentionError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Period> for String {
    fn from(value: Period) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn leap_day_plus_one_year_is_28_february() {
        let p: Period = "P1Y".parse().unwrap();
        assert_eq!(p.end_from(d(2020, 2, 29)), Some(d(2021, 2, 28)));
        let four: Period = "P4Y".parse().unwrap();
        assert_eq!(four.end_from(d(2020, 2, 29)), Some(d(2024, 2, 29)));
        let five: Period = "P5Y".parse().unwrap();
        assert_eq!(five.end_from(d(2020, 2, 29)), Some(d(2025, 2, 28)));
    }

    #[test]
    fn month_end_clamps_to_the_last_day() {
        let p: Period = "P1M".parse().unwrap();
        assert_eq!(p.end_from(d(2021, 1, 31)), Some(d(2021, 2, 28)));
        assert_eq!(p.end_from(d(2024, 1, 31)), Some(d(2024, 2, 29)));
        let mixed: Period = "P1Y1M1D".parse().unwrap();
        assert_eq!(mixed.end_from(d(2020, 2, 29)), Some(d(2021, 3, 30)));
    }

    #[test]
    fn parse_and_display_round_trip() {
        for text in ["P10Y", "P3Y", "P1Y6M", "P30D", "P0D", "P2Y3M4D"] {
            let p: Period = text.parse().unwrap();
            assert_eq!(p.to_string(), text);
        }
        assert_eq!("P0Y".parse::<Period>().unwrap(), Period::ZERO);
        for bad in [
            "", "P", "10Y", "P1W", "PT1H", "P1M1Y", "P1Y1Y", "P1", "PY", "P1001Y", "p1y", "P-1Y",
        ] {
            assert!(
                matches!(bad.parse::<Period>(), Err(RetentionError::InvalidPeriod { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn ordering_checks_every_month_length() {
        let month: Period = "P1M".parse().unwrap();
        let thirty: Period = "P30D".parse().unwrap();
        // Some months are 31 days (30 days ends first), February is shorter (one month ends first).
        assert!(month.can_end_before(&thirty));
        assert!(thirty.can_end_before(&month));
        let ten: Period = "P10Y".parse().unwrap();
        let five: Period = "P5Y".parse().unwrap();
        assert!(five.can_end_before(&ten));
        assert!(!ten.can_end_before(&five));
        assert!(!ten.can_end_before(&ten));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Civil Code Art 202 for every start day and whole-year or whole-month period: the end is the
        /// corresponding day, or the last day of the month where there is none.
        #[test]
        fn the_end_is_the_corresponding_day_or_the_month_end(
            offset in 0u64..40_000,
            years in 0u32..30,
            months in 0u32..24,
        ) {
            let start = d(1990, 1, 1).checked_add_days(Days::new(offset)).unwrap();
            let end = Period::new(years, months, 0).unwrap().end_from(start).unwrap();
            let total = i64::from(years) * 12 + i64::from(months);
            let month_index = i64::from(start.year()) * 12 + i64::from(start.month0()) + total;
            proptest::prop_assert_eq!(i64::from(end.year()) * 12 + i64::from(end.month0()), month_index);
            let last_day = (28..=31u32)
                .rev()
                .find(|day| NaiveDate::from_ymd_opt(end.year(), end.month(), *day).is_some())
                .unwrap();
            proptest::prop_assert_eq!(end.day(), start.day().min(last_day));
        }
    }

    #[test]
    fn the_largest_period_still_computes() {
        let p = Period::new(1000, 12_000, 366_000).unwrap();
        assert!(p.end_from(d(2020, 1, 1)).is_some());
        assert!(Period::new(1001, 0, 0).is_err());
    }
}
