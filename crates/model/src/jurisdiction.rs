//! Jurisdictions as ISO 3166-1 alpha-2 codes; mainland China, Hong Kong, Macao and Taiwan are distinct, because
//! data leaving the mainland for any of the others is a cross-border provision (PIPL Art 38).

use std::fmt;
use std::str::FromStr;

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
        EU_MEMBERS.as_bytes().chunks_exact(2).any(|c| c == self.0)
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
    fn serde_round_trip_validates() {
        let j: Jurisdiction = serde_json::from_str("\"HK\"").unwrap();
        assert_eq!(j, Jurisdiction::HONG_KONG);
        assert_eq!(serde_json::to_string(&j).unwrap(), "\"HK\"");
        assert!(serde_json::from_str::<Jurisdiction>("\"ZZ\"").is_err());
    }
}
