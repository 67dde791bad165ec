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
    /// 中华人民共和国民法典 (Civil Code, 2020): how periods are counted (Arts 201–203), guardians (Art 27),
    /// limitation periods (Art 188). Its text is not in the project's folder; cite only what it is known for.
    CivilCode2020,
    /// 中华人民共和国网络安全法 (Cybersecurity Law, 2016): network logs kept at least six months (Art 21(3)).
    CybersecurityLaw2016,
    /// 保险销售行为可回溯管理暂行办法 (CIRC, 2017), the sales-recording (双录) traceability rules. Text not in the
    /// project's folder: rules citing it name no article, and their periods are settings.
    SalesTraceability2017,
    /// 会计档案管理办法 (Ministry of Finance and National Archives, 2015), accounting archives. Text not in the
    /// project's folder: periods are settings.
    AccountingArchives2015,
    /// 保险中介机构信息化工作监管办法 (CBIRC, 2021): system logs and data of insurance intermediaries. Text not in
    /// the project's folder.
    IntermediaryIt2021,
    /// GB/T 35273-2020 信息安全技术 个人信息安全规范, the recommended national standard whose response period
    /// (15 working days; 30 days for complex cases, as privacy policies that follow it promise) and grounds for
    /// not answering a request custodia-rights ships as settings. Text not in the project's folder: cited whole.
    GbT35273,
    /// Regulation (EEC, Euratom) No 1182/71 on periods, dates and time limits: how the GDPR's one month is
    /// counted (Art 3(2)(c): to the same date of the next month; Art 3(4): a last day on a public holiday,
    /// Saturday or Sunday moves to the next working day).
    EuTimeLimits1971,
}

/// Where an instrument stands in the hierarchy of Chinese legal sources (立法法). It matters: PIPL Art 47,
/// last paragraph, restricts data to storage only while a period set by a **law or administrative
/// regulation** runs (法律、行政法规规定的保存期限); a period set by a departmental rule (部门规章) is kept as a
/// legal obligation instead (PIPL Art 13(1)(3)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rank {
    /// A law of the National People's Congress or its Standing Committee (法律).
    Law,
    /// An administrative regulation of the State Council (行政法规).
    AdministrativeRegulation,
    /// A departmental rule of a ministry or regulator (部门规章).
    DepartmentalRule,
    /// A normative document of a regulator (规范性文件).
    NormativeDocument,
    /// A national standard (国家标准).
    NationalStandard,
    /// A law outside the PRC (the GDPR).
    ForeignLaw,
    /// A rule a user wrote.
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
            Instrument::CivilCode2020 => "Civil Code",
            Instrument::CybersecurityLaw2016 => "Cybersecurity Law 2016",
            Instrument::SalesTraceability2017 => "Sales Traceability Rules 2017",
            Instrument::AccountingArchives2015 => "Accounting Archives Rules 2015",
            Instrument::IntermediaryIt2021 => "Intermediary IT Rules 2021",
            Instrument::GbT35273 => "GB/T 35273-2020",
            Instrument::EuTimeLimits1971 => "Regulation 1182/71",
        }
    }

    /// Where the instrument stands among legal sources (see [`Rank`]).
    pub fn rank(self) -> Rank {
        match self {
            Instrument::Pipl
            | Instrument::AmlLaw2024
            | Instrument::InsuranceLaw2015
            | Instrument::CivilCode2020
            | Instrument::CybersecurityLaw2016 => Rank::Law,
            Instrument::Ndsr => Rank::AdministrativeRegulation,
            Instrument::BrokerRule2018
            | Instrument::CacCrossBorder2024
            | Instrument::AccountingArchives2015 => Rank::DepartmentalRule,
            Instrument::SalesTraceability2017 | Instrument::IntermediaryIt2021 => Rank::NormativeDocument,
            Instrument::Gb11643 | Instrument::Gb32100 | Instrument::GbT35273 => Rank::NationalStandard,
            Instrument::Gdpr | Instrument::EuAmlDirective2015 | Instrument::EuTimeLimits1971 => {
                Rank::ForeignLaw
            }
            Instrument::Custom => Rank::Custom,
        }
    }

    /// Whether a retention period the instrument sets restricts data to storage only once a duty to delete
    /// arises (PIPL Art 47, last paragraph; NDSR Art 24): only laws and administrative regulations do.
    pub fn sets_statutory_periods(self) -> bool {
        matches!(self.rank(), Rank::Law | Rank::AdministrativeRegulation)
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

    /// A citation of a whole instrument, with no article: for rules whose text is not in the project's folder,
    /// where guessing an article number would be worse than naming none. Displays as the instrument's name.
    pub fn whole(instrument: Instrument) -> Self {
        Self::new(instrument, "")
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
        if self.article.is_empty() {
            return f.write_str(self.instrument.short_name());
        }
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
        assert_eq!(
            Citation::whole(Instrument::SalesTraceability2017).to_string(),
            "Sales Traceability Rules 2017"
        );
    }

    #[test]
    fn only_laws_and_administrative_regulations_set_statutory_periods() {
        assert!(Instrument::AmlLaw2024.sets_statutory_periods());
        assert!(Instrument::Ndsr.sets_statutory_periods());
        assert!(!Instrument::BrokerRule2018.sets_statutory_periods());
        assert!(!Instrument::SalesTraceability2017.sets_statutory_periods());
        assert_eq!(Instrument::BrokerRule2018.rank(), Rank::DepartmentalRule);
    }
}
