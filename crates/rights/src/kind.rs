//! What a customer may ask for: every right of PIPL Arts 44–49 and 15, 24(3), and the GDPR Arts 15–22
//! counterparts, each with the articles behind it under either regime.

use std::collections::BTreeSet;
use std::fmt;

use custodia_consent::Regime;
use custodia_model::{Citation, DataCategory, Instrument, Purpose};
use serde::{Deserialize, Serialize};

use crate::error::RightsError;

/// The longest field path a correction may name, in characters.
pub const MAX_FIELD_PATH: usize = 96;
/// The most field paths one correction request may name.
pub const MAX_FIELDS: usize = 64;

/// A reference to something the brokerage keeps about the request (an automated decision's id, a
/// document number in its own records): 1 to 128 printable characters with no surrounding space. It is a
/// reference, never a personal value, so it may sit on the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reference(String);

impl Reference {
    /// Checks and wraps a reference.
    pub fn new(text: &str) -> Result<Self, RightsError> {
        let chars = text.chars().count();
        let bad = text.trim() != text || text.is_empty() || chars > 128 || text.chars().any(char::is_control);
        if bad {
            return Err(RightsError::InvalidInput {
                field: "reference",
                expected: "1 to 128 printable characters with no surrounding space",
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Reference {
    type Error = RightsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<Reference> for String {
    fn from(value: Reference) -> Self {
        value.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One segment of a field path: a name (`[a-z][a-z0-9_]*`) and an optional index of at most four digits,
/// so that a path cannot carry a value such as a phone number.
fn segment_ok(segment: &str) -> bool {
    let (name, index) = match segment.split_once('[') {
        Some((name, rest)) => match rest.strip_suffix(']') {
            Some(index) => (name, Some(index)),
            None => return false,
        },
        None => (segment, None),
    };
    let name_ok = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let index_ok = index.is_none_or(|i| (1..=4).contains(&i.len()) && i.bytes().all(|b| b.is_ascii_digit()));
    name_ok && index_ok
}

/// The path of a field of the customer record a correction concerns (`contact.mobile`,
/// `policies[2].beneficiaries`): dot-separated names of lower-case ASCII letters, digits and `_`, each
/// starting with a letter and optionally indexed by at most four digits, at most [`MAX_FIELD_PATH`]
/// characters. A correction request names the fields, never their new values: those come
/// with the fulfilment and go straight into a new record version, so the request (which the brokerage
/// stores and the ledger records) holds no personal value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldPath(String);

impl FieldPath {
    /// Checks and wraps a path.
    pub fn new(path: &str) -> Result<Self, RightsError> {
        let ok = !path.is_empty() && path.len() <= MAX_FIELD_PATH && path.split('.').all(segment_ok);
        if !ok {
            return Err(RightsError::InvalidInput {
                field: "correction.fields",
                expected: "field paths of lower-case letters, digits, '_', '.', '[' and ']'",
            });
        }
        Ok(Self(path.to_owned()))
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FieldPath {
    type Error = RightsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<FieldPath> for String {
    fn from(value: FieldPath) -> Self {
        value.0
    }
}

/// What the customer asks for. Each kind names its articles under both regimes ([`RequestKind::citations`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum RequestKind {
    /// To see the personal information held (查阅; PIPL Art 45(1); GDPR Art 15(1)).
    Access,
    /// To receive a copy of it (复制; PIPL Art 45(1), (2); GDPR Art 15(3)).
    Copy,
    /// To have it moved to another processor the customer names (PIPL Art 45(3) on the conditions of NDSR
    /// Art 25; GDPR Art 20), machine-readable.
    Portability {
        /// Who is to receive it, as the brokerage's reference for that processor (never sent to the ledger
        /// as a name).
        recipient: Reference,
    },
    /// To correct or complete inaccurate or incomplete information (更正、补充; PIPL Art 46; GDPR Art 16).
    Correction {
        /// The fields the customer says are wrong or missing.
        fields: BTreeSet<FieldPath>,
    },
    /// To delete (PIPL Art 47; GDPR Art 17), the whole record or the listed categories.
    Deletion {
        /// Only these categories; empty means everything held.
        categories: BTreeSet<DataCategory>,
    },
    /// To have the processing rules explained (PIPL Art 48; GDPR Arts 12(1), 13, 14, 15(1)).
    ExplainRules,
    /// To withdraw consent (PIPL Art 15; GDPR Art 7(3)).
    WithdrawConsent {
        /// The purposes whose consent ends.
        purposes: BTreeSet<Purpose>,
        /// The categories; empty means every category the consent covered.
        categories: BTreeSet<DataCategory>,
    },
    /// To restrict the processing (限制; PIPL Art 44; GDPR Art 18).
    Restrict {
        /// The purposes to restrict; empty means every purpose but storage.
        purposes: BTreeSet<Purpose>,
    },
    /// To refuse (object to) a processing (拒绝; PIPL Art 44; GDPR Art 21).
    Object {
        /// The purposes objected to.
        purposes: BTreeSet<Purpose>,
    },
    /// To have a decision made by automated means explained (PIPL Art 24(3); GDPR Arts 15(1)(h), 22(3)).
    ExplainAutomatedDecision {
        /// The decision, by the brokerage's reference.
        decision: Reference,
    },
    /// To refuse a decision made solely by automated means and obtain a human one (PIPL Art 24(3); GDPR
    /// Art 22(1), (3)).
    RefuseAutomatedDecision {
        /// The decision, by the brokerage's reference.
        decision: Reference,
    },
}

/// A kind without its details: the key of settings, counts and the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum KindCode {
    /// [`RequestKind::Access`].
    Access,
    /// [`RequestKind::Copy`].
    Copy,
    /// [`RequestKind::Portability`].
    Portability,
    /// [`RequestKind::Correction`].
    Correction,
    /// [`RequestKind::Deletion`].
    Deletion,
    /// [`RequestKind::ExplainRules`].
    ExplainRules,
    /// [`RequestKind::WithdrawConsent`].
    WithdrawConsent,
    /// [`RequestKind::Restrict`].
    Restrict,
    /// [`RequestKind::Object`].
    Object,
    /// [`RequestKind::ExplainAutomatedDecision`].
    ExplainAutomatedDecision,
    /// [`RequestKind::RefuseAutomatedDecision`].
    RefuseAutomatedDecision,
}

impl KindCode {
    /// Every kind, in declaration order.
    pub const ALL: [KindCode; 11] = [
        KindCode::Access,
        KindCode::Copy,
        KindCode::Portability,
        KindCode::Correction,
        KindCode::Deletion,
        KindCode::ExplainRules,
        KindCode::WithdrawConsent,
        KindCode::Restrict,
        KindCode::Object,
        KindCode::ExplainAutomatedDecision,
        KindCode::RefuseAutomatedDecision,
    ];

    /// The snake-case code, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            KindCode::Access => "access",
            KindCode::Copy => "copy",
            KindCode::Portability => "portability",
            KindCode::Correction => "correction",
            KindCode::Deletion => "deletion",
            KindCode::ExplainRules => "explain_rules",
            KindCode::WithdrawConsent => "withdraw_consent",
            KindCode::Restrict => "restrict",
            KindCode::Object => "object",
            KindCode::ExplainAutomatedDecision => "explain_automated_decision",
            KindCode::RefuseAutomatedDecision => "refuse_automated_decision",
        }
    }

    /// The articles that give the right, under `regime`.
    pub fn citations(self, regime: Regime) -> Vec<Citation> {
        let ndsr = |a: &str| Citation::new(Instrument::Ndsr, a);
        match regime {
            Regime::Gdpr => match self {
                KindCode::Access => vec![Citation::gdpr("15(1)")],
                KindCode::Copy => vec![Citation::gdpr("15(3)")],
                KindCode::Portability => vec![Citation::gdpr("20")],
                KindCode::Correction => vec![Citation::gdpr("16")],
                KindCode::Deletion => vec![Citation::gdpr("17")],
                KindCode::ExplainRules => vec![Citation::gdpr("12(1)"), Citation::gdpr("15(1)")],
                KindCode::WithdrawConsent => vec![Citation::gdpr("7(3)")],
                KindCode::Restrict => vec![Citation::gdpr("18")],
                KindCode::Object => vec![Citation::gdpr("21")],
                KindCode::ExplainAutomatedDecision => {
                    vec![Citation::gdpr("15(1)(h)"), Citation::gdpr("22(3)")]
                }
                KindCode::RefuseAutomatedDecision => vec![Citation::gdpr("22")],
            },
            // `Regime` may grow; anything but the GDPR is answered under the PIPL, the cautious default for a
            // mainland brokerage.
            _ => match self {
                KindCode::Access | KindCode::Copy => vec![Citation::pipl("45"), ndsr("23")],
                KindCode::Portability => vec![Citation::pipl("45(3)"), ndsr("25")],
                KindCode::Correction => vec![Citation::pipl("46"), ndsr("23")],
                KindCode::Deletion => vec![Citation::pipl("47"), ndsr("23")],
                KindCode::ExplainRules => vec![Citation::pipl("48"), ndsr("21")],
                KindCode::WithdrawConsent => vec![Citation::pipl("15"), ndsr("23")],
                KindCode::Restrict | KindCode::Object => vec![Citation::pipl("44"), ndsr("23")],
                KindCode::ExplainAutomatedDecision | KindCode::RefuseAutomatedDecision => {
                    vec![Citation::pipl("24(3)")]
                }
            },
        }
    }

    /// Whether a close relative of a deceased customer may make the request (PIPL Art 49: 查阅、复制、更正、
    /// 删除等 — access, copy, correction, deletion "and the like"). Read narrowly, the cautious reading: the
    /// four named rights and an explanation of the rules they concern; not consent, restriction, objection or
    /// automated decisions, which were the deceased's own choices.
    pub fn open_to_close_relatives(self) -> bool {
        matches!(
            self,
            KindCode::Access
                | KindCode::Copy
                | KindCode::Correction
                | KindCode::Deletion
                | KindCode::ExplainRules
        )
    }

    /// Whether the answer hands personal information to the requester (access, copy, portability, an
    /// automated decision's explanation), so that it needs the stronger identity check of
    /// [`crate::IdentityPolicy`].
    pub fn releases_data(self) -> bool {
        matches!(
            self,
            KindCode::Access | KindCode::Copy | KindCode::Portability | KindCode::ExplainAutomatedDecision
        )
    }
}

impl fmt::Display for KindCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl RequestKind {
    /// The kind without its details.
    pub fn code(&self) -> KindCode {
        match self {
            RequestKind::Access => KindCode::Access,
            RequestKind::Copy => KindCode::Copy,
            RequestKind::Portability { .. } => KindCode::Portability,
            RequestKind::Correction { .. } => KindCode::Correction,
            RequestKind::Deletion { .. } => KindCode::Deletion,
            RequestKind::ExplainRules => KindCode::ExplainRules,
            RequestKind::WithdrawConsent { .. } => KindCode::WithdrawConsent,
            RequestKind::Restrict { .. } => KindCode::Restrict,
            RequestKind::Object { .. } => KindCode::Object,
            RequestKind::ExplainAutomatedDecision { .. } => KindCode::ExplainAutomatedDecision,
            RequestKind::RefuseAutomatedDecision { .. } => KindCode::RefuseAutomatedDecision,
        }
    }

    /// The articles that give the right, under `regime`.
    pub fn citations(&self, regime: Regime) -> Vec<Citation> {
        self.code().citations(regime)
    }

    /// Checks what the kind carries: a correction names at least one and at most [`MAX_FIELDS`] fields; a
    /// withdrawal or objection at least one purpose.
    pub fn check(&self) -> Result<(), RightsError> {
        match self {
            RequestKind::Correction { fields } if fields.is_empty() || fields.len() > MAX_FIELDS => {
                Err(RightsError::InvalidInput {
                    field: "correction.fields",
                    expected: "1 to 64 field paths",
                })
            }
            RequestKind::WithdrawConsent { purposes, .. } | RequestKind::Object { purposes }
                if purposes.is_empty() =>
            {
                Err(RightsError::InvalidInput {
                    field: "kind.purposes",
                    expected: "at least one purpose",
                })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_cites_its_article_under_both_regimes() {
        for kind in KindCode::ALL {
            assert!(!kind.citations(Regime::Pipl).is_empty(), "{kind}");
            assert!(!kind.citations(Regime::Gdpr).is_empty(), "{kind}");
        }
        assert_eq!(
            KindCode::Access.citations(Regime::Pipl)[0].to_string(),
            "PIPL Art 45"
        );
        assert_eq!(
            KindCode::Portability.citations(Regime::Pipl)[1].to_string(),
            "NDSR Art 25"
        );
        assert_eq!(
            KindCode::Correction.citations(Regime::Pipl)[0].to_string(),
            "PIPL Art 46"
        );
        assert_eq!(
            KindCode::Deletion.citations(Regime::Pipl)[0].to_string(),
            "PIPL Art 47"
        );
        assert_eq!(
            KindCode::ExplainRules.citations(Regime::Pipl)[0].to_string(),
            "PIPL Art 48"
        );
        assert_eq!(
            KindCode::WithdrawConsent.citations(Regime::Pipl)[0].to_string(),
            "PIPL Art 15"
        );
        assert_eq!(
            KindCode::Object.citations(Regime::Pipl)[0].to_string(),
            "PIPL Art 44"
        );
        assert_eq!(
            KindCode::RefuseAutomatedDecision.citations(Regime::Pipl)[0].to_string(),
            "PIPL Art 24(3)"
        );
        assert_eq!(
            KindCode::Restrict.citations(Regime::Gdpr)[0].to_string(),
            "GDPR Art 18"
        );
        assert_eq!(
            KindCode::Portability.citations(Regime::Gdpr)[0].to_string(),
            "GDPR Art 20"
        );
        assert_eq!(
            KindCode::Object.citations(Regime::Gdpr)[0].to_string(),
            "GDPR Art 21"
        );
    }

    #[test]
    fn codes_match_serde_and_relatives_get_the_rights_pipl_49_names() {
        for kind in KindCode::ALL {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.code())
            );
        }
        assert!(KindCode::Deletion.open_to_close_relatives());
        assert!(!KindCode::WithdrawConsent.open_to_close_relatives());
    }

    #[test]
    fn a_correction_names_fields_never_values() {
        assert!(FieldPath::new("contact.mobile").is_ok());
        assert!(FieldPath::new("policies[2].sum_insured").is_ok());
        for bad in [
            "",
            "13800138000",
            "contact.13800138000",
            "policies[13800138000]",
            "Contact.Mobile",
            "name=张三",
            &"a".repeat(97),
        ] {
            assert!(FieldPath::new(bad).is_err(), "{bad}");
        }
        assert!(
            RequestKind::Correction {
                fields: BTreeSet::new()
            }
            .check()
            .is_err()
        );
        let err = FieldPath::new("name=张三").unwrap_err();
        assert!(!err.to_string().contains("张三"));
    }
}
