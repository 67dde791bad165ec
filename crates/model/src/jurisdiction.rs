//! Jurisdictions as ISO 3166-1 alpha-2 codes; mainland China, Hong Kong, Macao and Taiwan are distinct, because
//! data leaving the mainland for any of the others is a cross-border provision (PIPL Art 38); the EEA, where the
//! GDPR applies and data moves without a Chapter V transfer; and the civil time that dates a customer's age.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, concatenated, sorted.
const ISO_3166_ALPHA2: &str = "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ\
CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGS\
GTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMH\
MKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSD\
SESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

/// EU member states, for choosing the `gdpr` profile (GDPR Art 3).
const EU_MEMBERS: &str = "ATBEBGHRCYCZDKEEFIFRDEGRHUIEITLVLTLUMTNLPLPTROSKSIESSE";

/// The EEA states outside the EU: Iceland, Liechtenstein and Norway apply the GDPR through the EEA Agreement
/// (Decision of the EEA Joint Committee No 154/2018, in force there since 20 July 2018), so data moving to them
/// is not a transfer to a third country under GDPR Chapter V.
const EEA_EFTA_MEMBERS: &str = "ISLINO";

/// EEA states on Western European Time (UTC+0 in winter), by their metropolitan territory.
const WESTERN_EUROPEAN: &str = "IEISPT";

/// EEA states on Eastern European Time (UTC+2 in winter). Every other EEA state is on Central European Time
/// (UTC+1 in winter).
const EASTERN_EUROPEAN: &str = "BGCYEEFIGRLTLVRO";

fn listed(table: &str, code: [u8; 2]) -> bool {
    table.as_bytes().chunks_exact(2).any(|c| c == code)
}

/// A country or territory, by its ISO 3166-1 alpha-2 code. A value that exists is an assigned code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Jurisdiction([u8; 2]);

impl Jurisdiction {
    /// Mainland China (CN). Hong Kong, Macao and Taiwan are other jurisdictions for data export.
    pub const MAINLAND_CHINA: Jurisdiction = Jurisdiction(*b"CN");
    /// Hong Kong SAR (HK).
    pub const HONG_KONG: Jurisdiction = Jurisdiction(*b"HK");
    /// Macao SAR (MO).
    pub const MACAO: Jurisdiction = Jurisdiction(*b"MO");
    /// Taiwan (TW).
    pub const TAIWAN: Jurisdiction = Jurisdiction(*b"TW");

    /// Parses an alpha-2 code; upper case only, so that `cn` is caught as a data-entry error, not fixed.
    pub fn new(code: &str) -> Result<Self, ModelError> {
        let bytes = code.as_bytes();
        let assigned = bytes.len() == 2
            && bytes.iter().all(u8::is_ascii_uppercase)
            && ISO_3166_ALPHA2.as_bytes().chunks_exact(2).any(|c| c == bytes);
        match (assigned, bytes) {
            (true, [a, b]) => Ok(Jurisdiction([*a, *b])),
            _ => Err(ModelError::InvalidCountryCode {
                value: code.to_owned(),
            }),
        }
    }

    /// The two-letter code.
    pub fn code(&self) -> &str {
        // The bytes are two ASCII upper-case letters: `new` and the constants are the only constructors.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Whether this is mainland China, the jurisdiction of PIPL's cross-border rules.
    pub fn is_mainland_china(&self) -> bool {
        *self == Self::MAINLAND_CHINA
    }

    /// Whether data held in mainland China and sent here leaves the mainland (PIPL Art 38): true for every
    /// jurisdiction but CN itself, including Hong Kong, Macao and Taiwan.
    pub fn is_outside_mainland(&self) -> bool {
        !self.is_mainland_china()
    }

    /// Whether this is an EU member state, where the GDPR applies (GDPR Art 3).
    pub fn is_eu_member(&self) -> bool {
        listed(EU_MEMBERS, self.0)
    }

    /// Whether this is a state of the European Economic Area: the EU-27 and Iceland, Liechtenstein and Norway,
    /// which apply the GDPR through the EEA Agreement. For an EU customer, data used anywhere in the EEA has not
    /// left it; data used anywhere else (mainland China included) is a transfer to a third country that needs
    /// a ground of GDPR Arts 45 to 49 (Chapter V, Art 44).
    pub fn is_eea_member(&self) -> bool {
        self.is_eu_member() || listed(EEA_EFTA_MEMBERS, self.0)
    }

    /// The offset of civil time from UTC at `at` in this jurisdiction, where custodia knows it without a
    /// time-zone database:
    ///
    /// - mainland China, Hong Kong, Macao and Taiwan: UTC+8 all year (Beijing time for the mainland; none of
    ///   the four has observed summer time since 1992);
    /// - EEA states, for their metropolitan territory: Western (UTC+0: IE, IS, PT), Central (UTC+1) or Eastern
    ///   (UTC+2: BG, CY, EE, FI, GR, LT, LV, RO) European Time, one hour more during summer time, which runs from
    ///   01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October (Directive 2000/84/EC
    ///   Arts 2 and 3, applied in the EEA); Iceland keeps UTC+0 all year. Outlying territories on other times
    ///   (the Azores, the Canary Islands, overseas France) are not told apart by a country code: a caller with
    ///   such a customer must not rely on this answer;
    /// - anywhere else: `None` (unknown, never a guess).
    pub fn utc_offset_at(&self, at: DateTime<Utc>) -> Option<FixedOffset> {
        let hours = |h: i32| FixedOffset::east_opt(h * 3600);
        if matches!(
            *self,
            Self::MAINLAND_CHINA | Self::HONG_KONG | Self::MACAO | Self::TAIWAN
        ) {
            return hours(8);
        }
        if !self.is_eea_member() {
            return None;
        }
        let standard = if listed(WESTERN_EUROPEAN, self.0) {
            0
        } else if listed(EASTERN_EUROPEAN, self.0) {
            2
        } else {
            1
        };
        let summer = *self != Jurisdiction(*b"IS") && in_eu_summer_time(at);
        hours(standard + i32::from(summer))
    }

    /// The calendar date in this jurisdiction at `at` (a 14th birthday begins at local midnight, not at
    /// midnight UTC); `None` where [`Jurisdiction::utc_offset_at`] does not know the civil time.
    pub fn local_date(&self, at: DateTime<Utc>) -> Option<NaiveDate> {
        let offset = self.utc_offset_at(at)?;
        Some(at.with_timezone(&offset).date_naive())
    }

    /// The instant at which `date` begins in this jurisdiction (local midnight, in UTC); `None` where the civil
    /// time is unknown or the date is at the edge of what chrono represents. Summer time in the EEA changes at
    /// 01:00 UTC, never at a local midnight, so every local midnight exists exactly once.
    pub fn start_of_day(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let midnight = date.and_hms_opt(0, 0, 0)?.and_utc();
        // Local midnight is `midnight - offset` for the offset in force at that instant. The offsets in force
        // within a day of it are the only candidates; the right one is the one that agrees with itself.
        let day = Duration::days(1);
        let around = [
            midnight.checked_sub_signed(day)?,
            midnight,
            midnight.checked_add_signed(day)?,
        ];
        for probe in around {
            let offset = self.utc_offset_at(probe)?;
            let candidate =
                midnight.checked_sub_signed(Duration::seconds(i64::from(offset.local_minus_utc())))?;
            if self.utc_offset_at(candidate) == Some(offset) {
                return Some(candidate);
            }
        }
        None
    }
}

/// The last Sunday of `month` in `year`, at 01:00 UTC: when EU summer time begins (March) or ends (October).
fn last_sunday_one_utc(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut day = next_month.pred_opt()?;
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt()?;
    }
    Some(Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0)?))
}

/// Whether `at` falls in EU summer time (Directive 2000/84/EC Arts 2, 3): from 01:00 UTC on the last Sunday of
/// March (inclusive) to 01:00 UTC on the last Sunday of October (exclusive).
fn in_eu_summer_time(at: DateTime<Utc>) -> bool {
    let year = at.year();
    match (last_sunday_one_utc(year, 3), last_sunday_one_utc(year, 10)) {
        (Some(begins), Some(ends)) => begins <= at && at < ends,
        _ => false,
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jurisdiction({})", self.code())
    }
}

impl FromStr for Jurisdiction {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for Jurisdiction {
    type Error = ModelError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<Jurisdiction> for String {
    fn from(value: Jurisdiction) -> Self {
        value.code().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_table_is_sorted_and_complete() {
        let codes: Vec<&[u8]> = ISO_3166_ALPHA2.as_bytes().chunks_exact(2).collect();
        assert_eq!(codes.len(), 249);
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        for eu in EU_MEMBERS.as_bytes().chunks_exact(2) {
            assert!(codes.contains(&eu));
        }
        assert_eq!(EU_MEMBERS.len(), 27 * 2);
    }

    #[test]
    fn greater_china_is_four_jurisdictions() {
        for j in [Jurisdiction::HONG_KONG, Jurisdiction::MACAO, Jurisdiction::TAIWAN] {
            assert!(j.is_outside_mainland(), "{j}");
        }
        assert!(!Jurisdiction::MAINLAND_CHINA.is_outside_mainland());
    }

    #[test]
    fn bad_codes_are_refused_not_fixed() {
        for bad in ["cn", "XX", "C", "CHN", "", "C1"] {
            assert!(
                matches!(Jurisdiction::new(bad), Err(ModelError::InvalidCountryCode { .. })),
                "{bad}"
            );
        }
        assert!(Jurisdiction::new("DE").unwrap().is_eu_member());
        assert!(!Jurisdiction::new("GB").unwrap().is_eu_member());
    }

    #[test]
    fn the_eea_is_the_eu_and_iceland_liechtenstein_norway() {
        let eea: Vec<&[u8]> = ISO_3166_ALPHA2
            .as_bytes()
            .chunks_exact(2)
            .filter(|c| {
                Jurisdiction::new(std::str::from_utf8(c).unwrap())
                    .unwrap()
                    .is_eea_member()
            })
            .collect();
        assert_eq!(eea.len(), 30);
        for code in ["DE", "FR", "IS", "LI", "NO"] {
            assert!(Jurisdiction::new(code).unwrap().is_eea_member(), "{code}");
        }
        for code in ["CH", "GB", "CN", "HK", "US"] {
            assert!(!Jurisdiction::new(code).unwrap().is_eea_member(), "{code}");
        }
        assert!(!Jurisdiction::new("NO").unwrap().is_eu_member());
        for table in [EEA_EFTA_MEMBERS, WESTERN_EUROPEAN, EASTERN_EUROPEAN] {
            for c in table.as_bytes().chunks_exact(2) {
                assert!(codes_contain(c), "{c:?}");
            }
        }
    }

    fn codes_contain(code: &[u8]) -> bool {
        ISO_3166_ALPHA2.as_bytes().chunks_exact(2).any(|c| c == code)
    }

    #[test]
    fn a_beijing_day_begins_at_16_00_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let start = Jurisdiction::MAINLAND_CHINA.start_of_day(day).unwrap();
        assert_eq!(start, Utc.with_ymd_and_hms(2025, 2, 28, 16, 0, 0).unwrap());
        assert_eq!(Jurisdiction::MAINLAND_CHINA.local_date(start), Some(day));
        assert_eq!(
            Jurisdiction::MAINLAND_CHINA.local_date(start - Duration::seconds(1)),
            day.pred_opt()
        );
        assert_eq!(Jurisdiction::new("US").unwrap().utc_offset_at(start), None);
        assert_eq!(Jurisdiction::new("US").unwrap().start_of_day(day), None);
    }

    #[test]
    fn eu_summer_time_follows_directive_2000_84() {
        let de = Jurisdiction::new("DE").unwrap();
        let at = |m, d, h| Utc.with_ymd_and_hms(2025, m, d, h, 0, 0).unwrap();
        let hours = |o: Option<FixedOffset>| o.unwrap().local_minus_utc() / 3600;
        // 2025: last Sunday of March is 30 March, of October 26 October.
        assert_eq!(hours(de.utc_offset_at(at(3, 30, 0))), 1);
        assert_eq!(hours(de.utc_offset_at(at(3, 30, 1))), 2);
        assert_eq!(hours(de.utc_offset_at(at(10, 26, 0))), 2);
        assert_eq!(hours(de.utc_offset_at(at(10, 26, 1))), 1);
        assert_eq!(
            hours(Jurisdiction::new("FI").unwrap().utc_offset_at(at(7, 1, 0))),
            3
        );
        assert_eq!(
            hours(Jurisdiction::new("PT").unwrap().utc_offset_at(at(1, 1, 0))),
            0
        );
        assert_eq!(
            hours(Jurisdiction::new("IS").unwrap().utc_offset_at(at(7, 1, 0))),
            0
        );
        // Local midnights on both change days, and in summer and winter.
        for (m, d, start) in [
            (3, 30, at(3, 29, 23)),
            (3, 31, at(3, 30, 22)),
            (10, 26, at(10, 25, 22)),
            (10, 27, at(10, 26, 23)),
        ] {
            let day = NaiveDate::from_ymd_opt(2025, m, d).unwrap();
            assert_eq!(de.start_of_day(day), Some(start), "{day}");
            assert_eq!(de.local_date(start), Some(day));
        }
    }

    #[test]
    fn serde_round_trip_validates() {
        let j: Jurisdiction = serde_json::from_str("\"HK\"").unwrap();
        assert_eq!(j, Jurisdiction::HONG_KONG);
        assert_eq!(serde_json::to_string(&j).unwrap(), "\"HK\"");
        assert!(serde_json::from_str::<Jurisdiction>("\"ZZ\"").is_err());
    }
}
