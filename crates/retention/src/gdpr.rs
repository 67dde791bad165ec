//! The GDPR ground on which an EEA customer's data is kept under a floor: a legal obligation only where Union
//! or member-state law imposes it (GDPR Art 6(3), Art 17(3)(b)); legal claims (Art 17(3)(e)); or, for a duty
//! of a third country's law (a Chinese broker's floors), legitimate interests weighed in a recorded balancing
//! test (Art 6(1)(f)) or legal claims — never Art 6(1)(c) or 17(3)(b).

use custodia_model::{BalancingTest, Citation, Instrument, Jurisdiction, LawOrigin};
use serde::{Deserialize, Serialize};

use crate::decision::{RetentionDecision, RuleEffect};
use crate::rule::{RetentionRule, RuleId};

/// GDPR articles that are grounds only through the law that imposes the duty: a rule cites that law (for
/// example Directive (EU) 2015/849 Art 40), and its GDPR ground is derived from it.
const OBLIGATION_GROUNDS: [&str; 2] = ["6(1)(c)", "17(3)(b)"];

/// Whether `citation` names GDPR Art 6(1)(c) or 17(3)(b) itself. A rule may not: those are grounds only when
/// Union or member-state law imposes the duty (Art 6(3)), so a rule cites that law, and a profile cannot
/// present a duty of any other law (a Chinese floor) as such a ground. Checked when a rule is loaded.
pub(crate) fn cites_obligation_ground(citation: &Citation) -> bool {
    citation.instrument() == Instrument::Gdpr
        && OBLIGATION_GROUNDS
            .iter()
            .any(|g| citation.article().trim_start().starts_with(g))
}

/// How the controller grounds, under the GDPR, keeping an EEA customer's data that a third country's law
/// requires it to keep (the AML Law 2024, the Broker Rule, the PIPL's record duties): its own recorded
/// answer, because the GDPR gives none by default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ForeignFloorGround {
    /// Nothing recorded: such floors are reported without a GDPR ground, for the controller to decide (the
    /// default, because only the controller can weigh the interests).
    #[default]
    NotRecorded,
    /// The data is kept for the establishment, exercise or defence of legal claims (Art 17(3)(e); for
    /// special categories Art 9(2)(f)).
    LegalClaims,
    /// Keeping it is necessary for the controller's legitimate interest in complying with the law it is
    /// subject to, and the assessment recorded in the test found that interest not overridden (Art 6(1)(f)).
    LegitimateInterests(BalancingTest),
}

/// The GDPR ground a floor rests on for an EEA customer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GdprRetentionGround {
    /// A legal obligation under Union or member-state law, which `law` names (Art 6(1)(c), 17(3)(b)).
    LegalObligation {
        /// The Union or member-state law.
        law: Citation,
    },
    /// Legal claims (Art 17(3)(e)).
    LegalClaims,
    /// Legitimate interests with a recorded balancing test (Art 6(1)(f)).
    LegitimateInterests {
        /// The recorded assessment.
        test: BalancingTest,
    },
}

impl GdprRetentionGround {
    /// The GDPR articles of the ground, and for a legal obligation the law that imposes it.
    pub fn citations(&self) -> Vec<Citation> {
        match self {
            GdprRetentionGround::LegalObligation { law } => {
                vec![Citation::gdpr("6(1)(c)"), Citation::gdpr("17(3)(b)"), law.clone()]
            }
            GdprRetentionGround::LegalClaims => vec![Citation::gdpr("17(3)(e)")],
            GdprRetentionGround::LegitimateInterests { .. } => vec![Citation::gdpr("6(1)(f)")],
        }
    }
}

/// One floor that keeps an EEA customer's holding, and the GDPR ground it rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GdprFloorGround {
    /// The rule.
    pub rule: RuleId,
    /// The rule's citation: the law that sets the floor.
    pub floor: Citation,
    /// Whose law it is.
    pub origin: LawOrigin,
    /// The GDPR ground, or `None` where the floor is a third country's law and the controller has recorded
    /// no ground for such floors: the holding is then kept without a GDPR ground, which the controller must
    /// resolve.
    pub ground: Option<GdprRetentionGround>,
}

/// The GDPR ground of one rule that keeps a holding: its own for the GDPR's floors and Union law; the
/// controller's recorded choice for a third country's.
fn ground_of(rule: &RetentionRule, foreign: &ForeignFloorGround) -> Option<GdprRetentionGround> {
    let citation = rule.citation();
    let origin = citation.instrument().law_origin();
    if citation.instrument() == Instrument::Gdpr {
        return citation
            .article()
            .starts_with("17(3)(e)")
            .then_some(GdprRetentionGround::LegalClaims);
    }
    if origin.founds_gdpr_obligation() {
        return Some(GdprRetentionGround::LegalObligation {
            law: citation.clone(),
        });
    }
    match foreign {
        ForeignFloorGround::NotRecorded => None,
        ForeignFloorGround::LegalClaims => Some(GdprRetentionGround::LegalClaims),
        ForeignFloorGround::LegitimateInterests(test) => {
            Some(GdprRetentionGround::LegitimateInterests { test: test.clone() })
        }
    }
}

impl RetentionDecision {
    /// For a customer living in `jurisdiction`, when it is in the EEA: every floor in force on the decision
    /// date that keeps the holding, with the GDPR ground it rests on. A floor of Union law rests on
    /// Art 6(1)(c) and 17(3)(b); the GDPR's legal-claims floor on Art 17(3)(e); a floor of a third country's
    /// law never on 6(1)(c) or 17(3)(b) (Art 6(3)), but on what `foreign` records — legitimate interests with
    /// a balancing test, or legal claims — or on nothing, reported as such. Empty outside the EEA.
    pub fn gdpr_grounds(
        &self,
        jurisdiction: Jurisdiction,
        foreign: &ForeignFloorGround,
    ) -> Vec<GdprFloorGround> {
        if !jurisdiction.is_eea_member() {
            return Vec::new();
        }
        self.reasons()
            .iter()
            .filter(|r| matches!(r.effect(), RuleEffect::FloorInForce { .. }))
            .map(|r| GdprFloorGround {
                rule: r.rule_id().clone(),
                floor: r.citation().clone(),
                origin: r.citation().instrument().law_origin(),
                ground: ground_of(r.rule(), foreign),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_law_itself_is_cited_for_an_obligation() {
        assert!(cites_obligation_ground(&Citation::gdpr("17(3)(b)")));
        assert!(cites_obligation_ground(&Citation::gdpr("6(1)(c)")));
        assert!(!cites_obligation_ground(&Citation::gdpr("17(3)(e)")));
        assert!(!cites_obligation_ground(&Citation::new(
            Instrument::EuAmlDirective2015,
            "40(1)"
        )));
        assert_eq!(
            GdprRetentionGround::LegalObligation {
                law: Citation::new(Instrument::EuAmlDirective2015, "40(1)")
            }
            .citations()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
            [
                "GDPR Art 6(1)(c)",
                "GDPR Art 17(3)(b)",
                "AMLD (EU) 2015/849 Art 40(1)"
            ]
        );
    }
}
