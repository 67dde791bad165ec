//! Legal citations: every decision in custodia names the article that is its reason.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A legal instrument whose articles custodia encodes (texts in `shared/regulations/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Instrument {
    /// 中华人民共和国个人信息保护法 (Personal Information Protection Law, 2021).
    Pipl,
    /// 网络数据安全管理条例 (Network Data Security Management Regulation, 2024).
    Ndsr,
    /// 中华人民共和国反洗钱法 (Anti-Money Laundering Law, 2024 revision).
    AmlLaw2024,
    /// 保险经纪人监管规定 (CIRC Order 2018 No. 3), the broker rule.
    BrokerRule2018,
    /// 保险法 (Insurance Law, 2015).
    InsuranceLaw2015,
    /// 促进和规范数据跨境流动规定 (CAC, 2024-03-22), the cross-border thresholds.
    CacCrossBorder2024,
    /// GB 11643-1999, citizen identification number.
    Gb11643,
    /// GB 32100-2015, unified social credit code.
    Gb32100,
    /// Regulation (EU) 2016/679, the GDPR.
    Gdpr,
    /// Directive (EU) 2015/849, the fourth anti-money-laundering directive as amended (Art 40: keep customer
    /// due diligence and transaction records five years after the relationship ends), Union law for GDPR
    /// Art 6(3). Regulation (EU) 2024/1624 Art 77 replaces it from 10 July 2027.
    EuAmlDirective2015,
    /// A rule the user wrote into a profile themselves.
    Custom,
}

impl Instrument {
    /// The short name used in citations and reports.
    pub fn short_name(self) -> &'static str {
        match self {
            Instrument::Pipl => "PIPL",
            Instrument::Ndsr => "NDSR",
            Instrument::AmlLaw2024 => "AML Law 2024",
            Instrument::BrokerRule2018 => "Broker Rule 2018",
            Instrument::InsuranceLaw2015 => "Insurance Law 2015",
            Instrument::CacCrossBorder2024 => "CAC Cross-Border Rules 2024",
            Instrument::Gb11643 => "GB 11643",
            Instrument::Gb32100 => "GB 32100",
            Instrument::Gdpr => "GDPR",
            Instrument::EuAmlDirective2015 => "AMLD (EU) 2015/849",
            Instrument::Custom => "Custom",
        }
    }
}

/// An article (or article and paragraph) of an instrument, such as `PIPL Art 47`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Citation {
    instrument: Instrument,
    article: String,
}

impl Citation {
    /// A citation of `article` (for example `"47"` or `"6(1)(a)"`) in `instrument`.
    pub fn new(instrument: Instrument, article: impl Into<String>) -> Self {
        Self {
            instrument,
            article: article.into(),
        }
    }

    /// Shorthand for a PIPL article.
    pub fn pipl(article: impl Into<String>) -> Self {
        Self::new(Instrument::Pipl, article)
    }

    /// Shorthand for a GDPR article.
    pub fn gdpr(article: impl Into<String>) -> Self {
        Self::new(Instrument::Gdpr, article)
    }

    /// The instrument cited.
    pub fn instrument(&self) -> Instrument {
        self.instrument
    }

    /// The article, as written after "Art".
    pub fn article(&self) -> &str {
        &self.article
    }
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Art {}", self.instrument.short_name(), self.article)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_the_regulations_readme() {
        assert_eq!(Citation::pipl("47").to_string(), "PIPL Art 47");
        assert_eq!(
            Citation::new(Instrument::AmlLaw2024, "34").to_string(),
            "AML Law 2024 Art 34"
        );
    }
}
