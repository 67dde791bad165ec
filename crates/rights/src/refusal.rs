//! Refusals: each refusal (or refused part) carries a reason from a coded list with its citation, and the
//! complaint route and the right to sue (PIPL Art 50(2), Art 65; GDPR Arts 12(4), 77, 79). A [`Refusal`] can
//! only be built with both, so no refusal ever lacks them.

use custodia_consent::Regime;
use custodia_model::{Citation, Instrument};
use custodia_retention::Holding;
use serde::{Deserialize, Serialize};

use crate::error::RightsError;
use crate::kind::KindCode;

/// The GB/T 35273-2020-style grounds on which a controller need not answer a request, as privacy policies
/// following the standard list them. A standard is not a law: under the PIPL each ground stands only with
/// a law behind it in the case, which the refusal's note names (a setting of the brokerage's policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StandardGround {
    /// 与个人信息控制者履行法律法规规定的义务相关的: the controller's legal duties.
    ControllerLegalDuty,
    /// 与国家安全、国防安全直接相关的: national security or defence.
    NationalSecurity,
    /// 与公共安全、公共卫生、重大公共利益直接相关的: public safety, public health, major public interest.
    PublicSafetyOrHealth,
    /// 与刑事侦查、起诉、审判和执行判决等直接相关的: criminal investigation, prosecution, trial, enforcement.
    CriminalProceedings,
    /// 有充分证据表明个人信息主体存在主观恶意或滥用权利的: proven malice or abuse of rights.
    MaliceOrAbuse,
    /// 出于维护个人信息主体或其他个人的生命、财产等重大合法权益但又很难得到本人授权同意的: protecting life or
    /// property where the person's consent is hard to obtain.
    LifeOrProperty,
    /// 响应请求将导致个人信息主体或其他个人、组织的合法权益受到严重损害的: serious harm to the person or others.
    SeriousHarm,
    /// 涉及商业秘密的: trade secrets.
    TradeSecrets,
}

impl StandardGround {
    /// The whole list, as shipped data.
    pub const ALL: [StandardGround; 8] = [
        StandardGround::ControllerLegalDuty,
        StandardGround::NationalSecurity,
        StandardGround::PublicSafetyOrHealth,
        StandardGround::CriminalProceedings,
        StandardGround::MaliceOrAbuse,
        StandardGround::LifeOrProperty,
        StandardGround::SeriousHarm,
        StandardGround::TradeSecrets,
    ];
}

/// A coded reason for refusing a request or a part of it. Each has its citation ([`RefusalCode::citations`]),
/// the regime it belongs to, and the kinds it may refuse ([`RefusalCode::applies_to`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum RefusalCode {
    /// A law or administrative regulation requires confidentiality or no notice (PIPL Art 18(1), applied to
    /// access and copy by Art 45(1)).
    ConfidentialByLaw,
    /// A state organ's statutory duties (PIPL Art 35, applied by Art 45(1)).
    StateOrganDuty,
    /// A retention period set by law keeps the holding: it is restricted to storage and necessary security
    /// measures instead of deleted (PIPL Art 47(2); NDSR Art 24), under the floors named.
    RetentionFloor {
        /// The holding kept.
        holding: Holding,
        /// The floors that keep it (AML Law 2024 Art 34, Broker Rule 2018 Art 51, …) and what keeps it
        /// (PIPL Art 47(2) or 13(1)(3)).
        floors: Vec<Citation>,
    },
    /// None of the grounds of PIPL Art 47(1) applies yet (the purpose is not achieved, the contract is in
    /// force): the holding is kept and used as before.
    NoDeletionGround {
        /// The holding kept.
        holding: Holding,
    },
    /// The information was checked and is accurate and complete (PIPL Art 46(2): the processor verifies).
    AlreadyAccurate,
    /// The requester's identity cannot be verified (NDSR Art 25(1)(1) for portability; PIPL Art 50(1)
    /// generally: the mechanism for receiving requests includes verifying who asks).
    IdentityNotVerifiable,
    /// The data was neither given with consent nor collected under a contract (NDSR Art 25(1)(2)).
    PortabilityNotConsentOrContract,
    /// Moving it is not technically feasible (NDSR Art 25(1)(3)).
    PortabilityNotFeasible,
    /// Moving it would harm others' lawful rights and interests (NDSR Art 25(1)(4)).
    PortabilityHarmsOthers,
    /// The deceased customer arranged otherwise (PIPL Art 49).
    DeceasedArrangedOtherwise,
    /// A law or administrative regulation provides otherwise for the restriction or refusal (PIPL Art 44).
    LawProvidesOtherwise,
    /// A GB/T 35273-style ground.
    Standard {
        /// Which.
        ground: StandardGround,
    },
    /// The controller cannot identify the person (GDPR Art 11(2), 12(2)).
    NotIdentifiable,
    /// The request is manifestly unfounded or excessive (GDPR Art 12(5)(b)).
    ManifestlyUnfoundedOrExcessive,
    /// A copy would adversely affect others' rights and freedoms (GDPR Art 15(4)).
    CopyAffectsOthers,
    /// Erasure is refused because a legal obligation under Union or member-state law requires keeping the
    /// holding (GDPR Art 17(3)(b)).
    ErasureLegalObligation {
        /// The holding kept.
        holding: Holding,
        /// The Union or member-state law.
        law: Vec<Citation>,
    },
    /// Erasure is refused for the establishment, exercise or defence of legal claims (GDPR Art 17(3)(e)).
    ErasureLegalClaims {
        /// The holding kept.
        holding: Holding,
    },
    /// No ground of GDPR Art 17(1) applies.
    NoErasureGround {
        /// The holding kept.
        holding: Holding,
    },
    /// Portability does not apply: processing not on consent or contract, or not automated (GDPR Art 20(1)).
    PortabilityNotApplicable,
    /// The controller shows compelling legitimate grounds that override the objection, or legal claims
    /// (GDPR Art 21(1)).
    CompellingLegitimateGrounds,
    /// A Union or member-state law restricts the right (GDPR Art 23), named in the note.
    RestrictedByLaw,
    /// The automated decision is permitted (contract, law, explicit consent: GDPR Art 22(2)); the person may
    /// still obtain human intervention and contest it (Art 22(3)).
    AutomatedDecisionPermitted,
}

impl RefusalCode {
    /// The code as serialized.
    pub fn code(&self) -> &'static str {
        match self {
            RefusalCode::ConfidentialByLaw => "confidential_by_law",
            RefusalCode::StateOrganDuty => "state_organ_duty",
            RefusalCode::RetentionFloor { .. } => "retention_floor",
            RefusalCode::NoDeletionGround { .. } => "no_deletion_ground",
            RefusalCode::AlreadyAccurate => "already_accurate",
            RefusalCode::IdentityNotVerifiable => "identity_not_verifiable",
            RefusalCode::PortabilityNotConsentOrContract => "portability_not_consent_or_contract",
            RefusalCode::PortabilityNotFeasible => "portability_not_feasible",
            RefusalCode::PortabilityHarmsOthers => "portability_harms_others",
            RefusalCode::DeceasedArrangedOtherwise => "deceased_arranged_otherwise",
            RefusalCode::LawProvidesOtherwise => "law_provides_otherwise",
            RefusalCode::Standard { .. } => "standard",
            RefusalCode::NotIdentifiable => "not_identifiable",
            RefusalCode::ManifestlyUnfoundedOrExcessive => "manifestly_unfounded_or_excessive",
            RefusalCode::CopyAffectsOthers => "copy_affects_others",
            RefusalCode::ErasureLegalObligation { .. } => "erasure_legal_obligation",
            RefusalCode::ErasureLegalClaims { .. } => "erasure_legal_claims",
            RefusalCode::NoErasureGround { .. } => "no_erasure_ground",
            RefusalCode::PortabilityNotApplicable => "portability_not_applicable",
            RefusalCode::CompellingLegitimateGrounds => "compelling_legitimate_grounds",
            RefusalCode::RestrictedByLaw => "restricted_by_law",
            RefusalCode::AutomatedDecisionPermitted => "automated_decision_permitted",
        }
    }

    /// The regime whose law gives the reason.
    pub fn regime(&self) -> Regime {
        match self {
            RefusalCode::NotIdentifiable
            | RefusalCode::ManifestlyUnfoundedOrExcessive
            | RefusalCode::CopyAffectsOthers
            | RefusalCode::ErasureLegalObligation { .. }
            | RefusalCode::ErasureLegalClaims { .. }
            | RefusalCode::NoErasureGround { .. }
            | RefusalCode::PortabilityNotApplicable
            | RefusalCode::CompellingLegitimateGrounds
            | RefusalCode::RestrictedByLaw
            | RefusalCode::AutomatedDecisionPermitted => Regime::Gdpr,
            _ => Regime::Pipl,
        }
    }

    /// The articles that are the reason.
    pub fn citations(&self) -> Vec<Citation> {
        let ndsr = |a: &str| Citation::new(Instrument::Ndsr, a);
        match self {
            RefusalCode::ConfidentialByLaw => vec![Citation::pipl("18(1)"), Citation::pipl("45(1)")],
            RefusalCode::StateOrganDuty => vec![Citation::pipl("35"), Citation::pipl("45(1)")],
            RefusalCode::RetentionFloor { floors, .. } => {
                let mut out = vec![Citation::pipl("47(2)"), ndsr("24")];
                out.extend(
                    floors
                        .iter()
                        .filter(|c| !out.contains(c))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                out
            }
            RefusalCode::NoDeletionGround { .. } => vec![Citation::pipl("47(1)")],
            RefusalCode::AlreadyAccurate => vec![Citation::pipl("46(2)")],
            RefusalCode::IdentityNotVerifiable => vec![Citation::pipl("50(1)"), ndsr("25(1)(1)")],
            RefusalCode::PortabilityNotConsentOrContract => vec![ndsr("25(1)(2)")],
            RefusalCode::PortabilityNotFeasible => vec![ndsr("25(1)(3)")],
            RefusalCode::PortabilityHarmsOthers => vec![ndsr("25(1)(4)")],
            RefusalCode::DeceasedArrangedOtherwise => vec![Citation::pipl("49")],
            RefusalCode::LawProvidesOtherwise => vec![Citation::pipl("44")],
            RefusalCode::Standard { .. } => vec![Citation::whole(Instrument::GbT35273)],
            RefusalCode::NotIdentifiable => vec![Citation::gdpr("11(2)"), Citation::gdpr("12(2)")],
            RefusalCode::ManifestlyUnfoundedOrExcessive => vec![Citation::gdpr("12(5)(b)")],
            RefusalCode::CopyAffectsOthers => vec![Citation::gdpr("15(4)")],
            RefusalCode::ErasureLegalObligation { law, .. } => {
                let mut out = vec![Citation::gdpr("17(3)(b)")];
                out.extend(law.iter().cloned());
                out
            }
            RefusalCode::ErasureLegalClaims { .. } => vec![Citation::gdpr("17(3)(e)")],
            RefusalCode::NoErasureGround { .. } => vec![Citation::gdpr("17(1)")],
            RefusalCode::PortabilityNotApplicable => vec![Citation::gdpr("20(1)")],
            RefusalCode::CompellingLegitimateGrounds => vec![Citation::gdpr("21(1)")],
            RefusalCode::RestrictedByLaw => vec![Citation::gdpr("23")],
            RefusalCode::AutomatedDecisionPermitted => vec![Citation::gdpr("22(2)"), Citation::gdpr("22(3)")],
        }
    }

    /// Whether the code may refuse a request of `kind`.
    pub fn applies_to(&self, kind: KindCode) -> bool {
        use KindCode as K;
        match self {
            RefusalCode::ConfidentialByLaw | RefusalCode::StateOrganDuty => {
                matches!(kind, K::Access | K::Copy | K::Portability)
            }
            RefusalCode::RetentionFloor { .. }
            | RefusalCode::NoDeletionGround { .. }
            | RefusalCode::ErasureLegalObligation { .. }
            | RefusalCode::ErasureLegalClaims { .. }
            | RefusalCode::NoErasureGround { .. } => kind == K::Deletion,
            RefusalCode::AlreadyAccurate => kind == K::Correction,
            RefusalCode::PortabilityNotConsentOrContract
            | RefusalCode::PortabilityNotFeasible
            | RefusalCode::PortabilityHarmsOthers
            | RefusalCode::PortabilityNotApplicable => kind == K::Portability,
            RefusalCode::LawProvidesOtherwise => matches!(kind, K::Restrict | K::Object),
            RefusalCode::CopyAffectsOthers => matches!(kind, K::Copy | K::Access | K::Portability),
            RefusalCode::CompellingLegitimateGrounds => kind == K::Object,
            RefusalCode::AutomatedDecisionPermitted => kind == K::RefuseAutomatedDecision,
            // A withdrawal of consent is never refused: PIPL Art 15 and GDPR Art 7(3) allow it at any time.
            // The general grounds apply to every other kind.
            RefusalCode::IdentityNotVerifiable
            | RefusalCode::DeceasedArrangedOtherwise
            | RefusalCode::Standard { .. }
            | RefusalCode::NotIdentifiable
            | RefusalCode::ManifestlyUnfoundedOrExcessive
            | RefusalCode::RestrictedByLaw => kind != K::WithdrawConsent,
        }
    }

    /// Whether the code says the requester could not be identified, the only refusals that may be given
    /// before identity is verified (anything else would tell an unverified requester about the customer).
    pub fn is_about_identity(&self) -> bool {
        matches!(
            self,
            RefusalCode::IdentityNotVerifiable
                | RefusalCode::NotIdentifiable
                | RefusalCode::ManifestlyUnfoundedOrExcessive
        )
    }

    /// A one-line statement of the reason in `language` (`zh` for Chinese, anything else English).
    pub fn statement(&self, language: Language) -> &'static str {
        let zh = language == Language::Zh;
        macro_rules! say {
            ($zh:expr, $en:expr) => {
                if zh { $zh } else { $en }
            };
        }
        match self {
            RefusalCode::ConfidentialByLaw => say!(
                "法律、行政法规规定应当保密或者不需要告知",
                "a law requires confidentiality"
            ),
            RefusalCode::StateOrganDuty => say!("国家机关履行法定职责", "a state organ's statutory duties"),
            RefusalCode::RetentionFloor { .. } => say!(
                "法律、行政法规规定的保存期限未届满，已停止除存储和必要的安全保护措施之外的处理",
                "a statutory retention period has not expired: all processing but storage and security has stopped"
            ),
            RefusalCode::NoDeletionGround { .. } => say!(
                "尚无应当删除的情形（处理目的尚未实现）",
                "no ground for deletion applies yet"
            ),
            RefusalCode::AlreadyAccurate => say!(
                "经核实，个人信息准确、完整",
                "the information was checked and is accurate"
            ),
            RefusalCode::IdentityNotVerifiable => say!(
                "无法验证请求人的真实身份",
                "the requester's identity could not be verified"
            ),
            RefusalCode::PortabilityNotConsentOrContract => say!(
                "所请求转移的信息并非基于同意或合同收集",
                "the data was not given by consent or under a contract"
            ),
            RefusalCode::PortabilityNotFeasible => say!(
                "转移个人信息不具备技术可行性",
                "moving the data is not technically feasible"
            ),
            RefusalCode::PortabilityHarmsOthers => say!(
                "转移个人信息将损害他人合法权益",
                "moving the data would harm others' rights"
            ),
            RefusalCode::DeceasedArrangedOtherwise => {
                say!("死者生前另有安排", "the deceased arranged otherwise")
            }
            RefusalCode::LawProvidesOtherwise => say!("法律、行政法规另有规定", "a law provides otherwise"),
            RefusalCode::Standard { .. } => {
                say!("属于不予响应的法定情形", "a ground for not responding applies")
            }
            RefusalCode::NotIdentifiable => say!("无法识别请求人", "the requester cannot be identified"),
            RefusalCode::ManifestlyUnfoundedOrExcessive => say!(
                "请求明显缺乏根据或过度",
                "the request is manifestly unfounded or excessive"
            ),
            RefusalCode::CopyAffectsOthers => say!(
                "提供副本将损害他人的权利和自由",
                "a copy would affect others' rights and freedoms"
            ),
            RefusalCode::ErasureLegalObligation { .. } => {
                say!("法定义务要求保存", "a legal obligation requires keeping it")
            }
            RefusalCode::ErasureLegalClaims { .. } => {
                say!("为提起、行使或抗辩法律主张所必需", "needed for legal claims")
            }
            RefusalCode::NoErasureGround { .. } => {
                say!("不存在应当删除的理由", "no ground for erasure applies")
            }
            RefusalCode::PortabilityNotApplicable => say!(
                "该处理不适用可携带权",
                "portability does not apply to this processing"
            ),
            RefusalCode::CompellingLegitimateGrounds => say!(
                "存在令人信服的正当理由",
                "compelling legitimate grounds override the objection"
            ),
            RefusalCode::RestrictedByLaw => say!("法律限制该权利", "a law restricts the right"),
            RefusalCode::AutomatedDecisionPermitted => say!(
                "该自动化决定依法允许；您仍可要求人工介入并提出异议",
                "the automated decision is permitted; you may still obtain human intervention and contest it"
            ),
        }
    }
}

/// The language of what the customer receives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Language {
    /// Simplified Chinese (the default).
    #[default]
    Zh,
    /// English.
    En,
}

/// The routes a refused requester has: a complaint to the authority, and the courts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Remedies {
    /// The complaint route, with the authority's contact as the brokerage's settings give it.
    pub complaint: String,
    /// The right to sue.
    pub court: String,
    /// The articles (PIPL Arts 50(2), 65; GDPR Arts 12(4), 77, 79).
    pub citations: Vec<Citation>,
}

/// Where complaints go: the contacts the brokerage publishes (PIPL Art 65(2): the departments publish their
/// complaint contacts; GDPR Art 77: the supervisory authority). Settings, not personal information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ComplaintContacts {
    /// The department performing personal-information protection duties and its contact (for the PIPL).
    pub pipl_authority: String,
    /// The lead supervisory authority and its contact (for the GDPR).
    pub gdpr_authority: String,
}

impl Default for ComplaintContacts {
    fn default() -> Self {
        Self {
            pipl_authority: "履行个人信息保护职责的部门（国家网信部门 12377.cn）".into(),
            gdpr_authority: "the supervisory authority of your habitual residence, place of work or of the alleged infringement".into(),
        }
    }
}

impl Remedies {
    /// The remedies under `regime`, in `language`.
    pub fn of(regime: Regime, language: Language, contacts: &ComplaintContacts) -> Self {
        match (regime, language) {
            (Regime::Gdpr, Language::Zh) => Self {
                complaint: format!("您可以向{}投诉。", contacts.gdpr_authority),
                court: "您可以向法院寻求司法救济。".into(),
                citations: vec![
                    Citation::gdpr("12(4)"),
                    Citation::gdpr("77"),
                    Citation::gdpr("79"),
                ],
            },
            (Regime::Gdpr, _) => Self {
                complaint: format!("You may lodge a complaint with {}.", contacts.gdpr_authority),
                court: "You may seek a judicial remedy before the courts.".into(),
                citations: vec![
                    Citation::gdpr("12(4)"),
                    Citation::gdpr("77"),
                    Citation::gdpr("79"),
                ],
            },
            (_, Language::En) => Self {
                complaint: format!("You may complain to {}.", contacts.pipl_authority),
                court: "You may sue in a people's court.".into(),
                citations: vec![Citation::pipl("50(2)"), Citation::pipl("65")],
            },
            _ => Self {
                complaint: format!("您可以向{}投诉、举报。", contacts.pipl_authority),
                court: "您可以依法向人民法院提起诉讼。".into(),
                citations: vec![Citation::pipl("50(2)"), Citation::pipl("65")],
            },
        }
    }
}

/// A refusal of a request or of one part of it: the coded reason, its citations, a statement, and the
/// remedies. Built only through [`Refusal::new`], which checks that the code belongs to the regime and the
/// kind and attaches the remedies, so that every refusal has a reason and the complaint route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Refusal {
    code: RefusalCode,
    citations: Vec<Citation>,
    statement: String,
    remedies: Remedies,
}

impl Refusal {
    /// A refusal of a `kind` request under `regime` for `code`, in `language`.
    pub fn new(
        code: RefusalCode,
        kind: KindCode,
        regime: Regime,
        language: Language,
        contacts: &ComplaintContacts,
    ) -> Result<Self, RightsError> {
        if code.regime() != regime || !code.applies_to(kind) {
            return Err(RightsError::RefusalNotApplicable {
                code: code.code(),
                kind,
                regime,
            });
        }
        Ok(Self {
            citations: code.citations(),
            statement: code.statement(language).to_owned(),
            remedies: Remedies::of(regime, language, contacts),
            code,
        })
    }

    /// The coded reason.
    pub fn code(&self) -> &RefusalCode {
        &self.code
    }

    /// The articles.
    pub fn citations(&self) -> &[Citation] {
        &self.citations
    }

    /// The reason, in the customer's language.
    pub fn statement(&self) -> &str {
        &self.statement
    }

    /// The complaint route and the right to sue.
    pub fn remedies(&self) -> &Remedies {
        &self.remedies
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custodia_model::DataCategory;

    #[test]
    fn each_code_cites_its_article() {
        let h = Holding::Category(DataCategory::KycAml);
        let cases: Vec<(RefusalCode, &str)> = vec![
            (RefusalCode::ConfidentialByLaw, "PIPL Art 18(1)"),
            (RefusalCode::StateOrganDuty, "PIPL Art 35"),
            (
                RefusalCode::RetentionFloor {
                    holding: h,
                    floors: vec![Citation::new(Instrument::AmlLaw2024, "34")],
                },
                "PIPL Art 47(2)",
            ),
            (RefusalCode::PortabilityNotFeasible, "NDSR Art 25(1)(3)"),
            (RefusalCode::NotIdentifiable, "GDPR Art 11(2)"),
            (RefusalCode::ManifestlyUnfoundedOrExcessive, "GDPR Art 12(5)(b)"),
            (RefusalCode::CopyAffectsOthers, "GDPR Art 15(4)"),
            (
                RefusalCode::ErasureLegalClaims { holding: h },
                "GDPR Art 17(3)(e)",
            ),
            (RefusalCode::PortabilityNotApplicable, "GDPR Art 20(1)"),
            (RefusalCode::CompellingLegitimateGrounds, "GDPR Art 21(1)"),
            (RefusalCode::RestrictedByLaw, "GDPR Art 23"),
            (
                RefusalCode::Standard {
                    ground: StandardGround::TradeSecrets,
                },
                "GB/T 35273-2020",
            ),
        ];
        for (code, first) in cases {
            assert_eq!(code.citations()[0].to_string(), first, "{}", code.code());
        }
        let floor = RefusalCode::RetentionFloor {
            holding: h,
            floors: vec![Citation::new(Instrument::AmlLaw2024, "34")],
        };
        let cited: Vec<String> = floor.citations().iter().map(ToString::to_string).collect();
        assert_eq!(cited, ["PIPL Art 47(2)", "NDSR Art 24", "AML Law 2024 Art 34"]);
    }

    #[test]
    fn a_refusal_carries_the_route_to_court_and_fits_its_kind() {
        let contacts = ComplaintContacts::default();
        let r = Refusal::new(
            RefusalCode::PortabilityHarmsOthers,
            KindCode::Portability,
            Regime::Pipl,
            Language::Zh,
            &contacts,
        )
        .unwrap();
        assert_eq!(r.remedies().citations[0].to_string(), "PIPL Art 50(2)");
        assert!(r.remedies().court.contains("人民法院"));
        let g = Refusal::new(
            RefusalCode::NotIdentifiable,
            KindCode::Access,
            Regime::Gdpr,
            Language::En,
            &contacts,
        )
        .unwrap();
        assert_eq!(g.remedies().citations[0].to_string(), "GDPR Art 12(4)");
        // A PIPL code under the GDPR, a portability code on a deletion, any refusal of a withdrawal: refused.
        assert!(
            Refusal::new(
                RefusalCode::PortabilityNotFeasible,
                KindCode::Portability,
                Regime::Gdpr,
                Language::En,
                &contacts
            )
            .is_err()
        );
        assert!(
            Refusal::new(
                RefusalCode::PortabilityNotFeasible,
                KindCode::Deletion,
                Regime::Pipl,
                Language::En,
                &contacts
            )
            .is_err()
        );
        for ground in StandardGround::ALL {
            assert!(
                Refusal::new(
                    RefusalCode::Standard { ground },
                    KindCode::WithdrawConsent,
                    Regime::Pipl,
                    Language::Zh,
                    &contacts
                )
                .is_err()
            );
            assert!(
                Refusal::new(
                    RefusalCode::Standard { ground },
                    KindCode::Access,
                    Regime::Pipl,
                    Language::Zh,
                    &contacts
                )
                .is_ok()
            );
        }
    }
}
