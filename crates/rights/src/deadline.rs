//! Deadlines as data: the period each regime gives (a setting where the law names none), counted over a
//! working-day calendar loaded as data, paused while identity evidence is awaited if the setting says so,
//! extended once with a recorded reason; past a calendar's last day a typed error, never a guess.
//!
//! - **PIPL**: Arts 45(2) and 46(2) and NDSR Art 23 say "promptly" (及时) and set no number. The default is
//!   what privacy policies following GB/T 35273-2020 promise: 15 working days from receipt, 30 days for a
//!   complex case. Working days come from the calendar (the 2026 mainland calendar with the State Council's
//!   holidays and make-up working days, `custodia_model::WorkingDayCalendar::mainland_2026`); a period in days
//!   starts the day after receipt and its last day, if a rest day, moves to the next working day (Civil Code
//!   Arts 201, 203); it closes at 24:00 Beijing time.
//! - **GDPR** Art 12(3): one month from receipt, extendable by two more months, the requester told of the
//!   extension and its reasons within the first month. A month is counted as Regulation 1182/71 counts it
//!   (Art 3(2)(c): to the same date of the last month, or that month's last day; Art 3(4): a last day on a
//!   public holiday, Saturday or Sunday moves to the next working day) over the calendar of the controller's
//!   EEA establishment, which the caller loads (none is shipped); it closes at local midnight there.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use custodia_consent::Regime;
use custodia_model::{
    Citation, Instrument, Jurisdiction, WorkingDayCalendar, beijing_date, beijing_end_of_day,
};
use serde::{Deserialize, Serialize};

use crate::error::RightsError;

/// A response period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Period {
    /// This many working days after the day of receipt.
    WorkingDays(u32),
    /// This many days after the day of receipt, a last day on a rest day moved to the next working day.
    Days(u32),
    /// This many months after the day of receipt, a last day on a rest day moved to the next working day.
    Months(u32),
}

/// Whether the clock stops while the brokerage waits for identity evidence it asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentityWait {
    /// The clock runs on (the default, and the cautious reading: neither the PIPL nor GDPR Art 12(3) says it
    /// stops, and a brokerage that asks for evidence late must not gain time by it).
    #[default]
    ClockRuns,
    /// The clock stops from the day after the brokerage asked for evidence to the day the evidence arrived,
    /// both included, and runs on the next day (the EDPB's reading in Guidelines 01/2022 that time starts
    /// once the controller can identify the requester). While it is stopped the request has no deadline.
    Paused,
}

/// The deadline settings (settings, because the PIPL names no number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DeadlineSettings {
    /// The PIPL period. Default: 15 working days (GB/T 35273-2020 practice).
    pub pipl: Period,
    /// The PIPL period of a complex case, from receipt, once extended. Default: 30 days. An extension never
    /// ends before the period it extends.
    pub pipl_extended: Period,
    /// The GDPR period. Default: one month (Art 12(3)).
    pub gdpr: Period,
    /// The most the GDPR period may be extended by. Default: two months (Art 12(3)).
    pub gdpr_extension: Period,
    /// Whether waiting for identity evidence stops the clock. Default: it does not.
    pub identity_wait: IdentityWait,
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        Self {
            pipl: Period::WorkingDays(15),
            pipl_extended: Period::Days(30),
            gdpr: Period::Months(1),
            gdpr_extension: Period::Months(2),
            identity_wait: IdentityWait::ClockRuns,
        }
    }
}

/// The working-day calendar of the controller's EEA establishment and the country whose civil time it keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EeaCalendar {
    /// Which days are working days there.
    pub calendar: WorkingDayCalendar,
    /// The member state (its civil time gives the day of receipt and the closing midnight).
    pub jurisdiction: Jurisdiction,
}

impl EeaCalendar {
    /// A calendar for the establishment in `jurisdiction`, which must be an EEA state.
    pub fn new(calendar: WorkingDayCalendar, jurisdiction: Jurisdiction) -> Result<Self, RightsError> {
        if !jurisdiction.is_eea_member() {
            return Err(RightsError::InvalidInput {
                field: "calendars.eea.jurisdiction",
                expected: "an EEA member state",
            });
        }
        Ok(Self {
            calendar,
            jurisdiction,
        })
    }
}

/// The calendars deadlines are counted over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Calendars {
    /// The mainland calendar, for PIPL requests.
    pub mainland: WorkingDayCalendar,
    /// The EEA establishment's calendar, for GDPR requests; without it a GDPR deadline is
    /// [`RightsError::NoCalendar`].
    pub eea: Option<EeaCalendar>,
}

impl Calendars {
    /// The shipped 2026 mainland calendar and no EEA calendar.
    pub fn mainland_2026() -> Result<Self, RightsError> {
        Ok(Self {
            mainland: WorkingDayCalendar::mainland_2026()?,
            eea: None,
        })
    }

    /// The same calendars with `eea` for GDPR requests.
    pub fn with_eea(mut self, eea: EeaCalendar) -> Self {
        self.eea = Some(eea);
        self
    }

    fn for_regime(&self, regime: Regime) -> Result<Clock<'_>, RightsError> {
        match regime {
            Regime::Gdpr => {
                let eea = self.eea.as_ref().ok_or(RightsError::NoCalendar { regime })?;
                Ok(Clock {
                    calendar: &eea.calendar,
                    zone: Zone::Local(eea.jurisdiction),
                })
            }
            _ => Ok(Clock {
                calendar: &self.mainland,
                zone: Zone::Beijing,
            }),
        }
    }

    /// The local date of `at` under `regime`'s calendar (Beijing time for the PIPL, the establishment's for
    /// the GDPR).
    pub fn local_date(&self, regime: Regime, at: DateTime<Utc>) -> Result<NaiveDate, RightsError> {
        self.for_regime(regime)?.date(at)
    }

    /// The deadline of a request received at `received_at` under `regime`, for `period`, with the days of
    /// `pauses` not counted. An open pause (no end yet) gives `None`: while the clock is stopped there is no
    /// deadline.
    pub fn deadline(
        &self,
        regime: Regime,
        received_at: DateTime<Utc>,
        period: Period,
        pauses: &[Pause],
    ) -> Result<Option<ResponseDeadline>, RightsError> {
        let clock = self.for_regime(regime)?;
        let mut paused = BTreeSet::new();
        for pause in pauses {
            let Some(to) = pause.to else { return Ok(None) };
            let mut day = pause.from;
            while day < to {
                day = day.succ_opt().ok_or(RightsError::InvalidInput {
                    field: "pause",
                    expected: "dates chrono can represent",
                })?;
                paused.insert(day);
            }
        }
        let start = clock.date(received_at)?;
        let cal = clock.calendar;
        let too_far = || RightsError::InvalidInput {
            field: "period",
            expected: "a period chrono can represent",
        };
        let extra = Days::new(paused.len() as u64);
        let (nominal, last_day) = match period {
            Period::WorkingDays(n) => {
                let mut day = start;
                let mut left = n;
                while left > 0 {
                    day = day.succ_opt().ok_or_else(too_far)?;
                    if !paused.contains(&day) && cal.is_working_day(day)? {
                        left -= 1;
                    }
                }
                (day, day)
            }
            Period::Days(n) => {
                let nominal = start
                    .checked_add_days(Days::new(u64::from(n)))
                    .and_then(|d| d.checked_add_days(extra))
                    .ok_or_else(too_far)?;
                (nominal, cal.period_last_day(nominal)?)
            }
            Period::Months(n) => {
                let nominal = start
                    .checked_add_months(Months::new(n))
                    .and_then(|d| d.checked_add_days(extra))
                    .ok_or_else(too_far)?;
                (nominal, cal.period_last_day(nominal)?)
            }
        };
        let closes_at = clock.end_of(last_day)?;
        Ok(Some(ResponseDeadline {
            period,
            nominal_last_day: nominal,
            last_day,
            closes_at,
            calendar: cal.name().to_owned(),
            citations: citations(regime, period),
        }))
    }
}

fn citations(regime: Regime, period: Period) -> Vec<Citation> {
    match regime {
        Regime::Gdpr => vec![
            Citation::gdpr("12(3)"),
            Citation::new(Instrument::EuTimeLimits1971, "3(2)(c)"),
            Citation::new(Instrument::EuTimeLimits1971, "3(4)"),
        ],
        _ => {
            let mut out = vec![
                Citation::pipl("45(2)"),
                Citation::new(Instrument::Ndsr, "23"),
                Citation::whole(Instrument::GbT35273),
            ];
            if !matches!(period, Period::WorkingDays(_)) {
                out.push(Citation::new(Instrument::CivilCode2020, "201"));
                out.push(Citation::new(Instrument::CivilCode2020, "203"));
            }
            out
        }
    }
}

enum Zone {
    Beijing,
    Local(Jurisdiction),
}

struct Clock<'a> {
    calendar: &'a WorkingDayCalendar,
    zone: Zone,
}

impl Clock<'_> {
    fn date(&self, at: DateTime<Utc>) -> Result<NaiveDate, RightsError> {
        match self.zone {
            Zone::Beijing => Ok(beijing_date(at)),
            Zone::Local(j) => j.local_date(at).ok_or(RightsError::InvalidInput {
                field: "calendars.eea.jurisdiction",
                expected: "a jurisdiction whose civil time is known",
            }),
        }
    }

    fn end_of(&self, day: NaiveDate) -> Result<DateTime<Utc>, RightsError> {
        let end = match self.zone {
            Zone::Beijing => beijing_end_of_day(day),
            Zone::Local(j) => day.succ_opt().and_then(|next| j.start_of_day(next)),
        };
        end.ok_or(RightsError::InvalidInput {
            field: "deadline",
            expected: "a day whose end chrono can represent",
        })
    }
}

/// A stop of the clock: from the day the brokerage asked for identity evidence (`from`, still counted) to the
/// day it arrived (`to`, not counted); `to` is `None` while the brokerage is still waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Pause {
    /// The day evidence was asked for.
    pub from: NaiveDate,
    /// The day it arrived, once it has.
    pub to: Option<NaiveDate>,
}

/// When a request must be answered, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseDeadline {
    /// The period counted.
    pub period: Period,
    /// Where counting alone ends.
    pub nominal_last_day: NaiveDate,
    /// The last day, after a rest day is skipped.
    pub last_day: NaiveDate,
    /// The end of the last day (24:00 local time), in UTC: an answer at or after it is late.
    pub closes_at: DateTime<Utc>,
    /// The calendar's name.
    pub calendar: String,
    /// The articles and settings behind it.
    pub citations: Vec<Citation>,
}

impl ResponseDeadline {
    /// Whether an answer at `at` is late.
    pub fn is_late(&self, at: DateTime<Utc>) -> bool {
        at >= self.closes_at
    }
}

/// Why a deadline was extended. GDPR Art 12(3) names the complexity and the number of requests; GB/T
/// 35273-style policies name complex cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExtensionReason {
    /// The request is complex (many records, archives to search, several systems).
    Complexity,
    /// The requester made many requests (GDPR Art 12(3)).
    NumberOfRequests,
    /// Other people's rights must be weighed before anything is released (GDPR Art 15(4); NDSR Art 25(4)).
    ThirdPartyRights,
}

impl ExtensionReason {
    /// The reason's code.
    pub fn code(self) -> &'static str {
        match self {
            ExtensionReason::Complexity => "complexity",
            ExtensionReason::NumberOfRequests => "number_of_requests",
            ExtensionReason::ThirdPartyRights => "third_party_rights",
        }
    }
}
