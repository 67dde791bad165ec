//! What a consent event is about (purposes × categories × recipient × destinations) and what a use is.

use std::collections::BTreeSet;
use std::fmt;

use custodia_model::{DataCategory, Jurisdiction, Purpose};
use serde::{Deserialize, Serialize};

use crate::error::ConsentError;
use crate::ids::PartyId;

/// Who receives the data in a use or a consent: the controller itself, a named third party (PIPL Art 23), or
/// a successor that takes the data over in a merger, division or sale (PIPL Art 22).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Recipient {
    /// The controller that collected the data.
    Controller,
    /// Another processor the controller provides data to; needs separate consent (PIPL Art 23).
    ThirdParty(PartyId),
    /// The recipient in a merger, division, dissolution or sale; continues the controller's obligations once
    /// the person has been told its name and contact (PIPL Art 22).
    Successor(PartyId),
}

impl Recipient {
    /// The party id, for every recipient but the controller.
    pub fn party(&self) -> Option<PartyId> {
        match self {
            Recipient::Controller => None,
            Recipient::ThirdParty(p) | Recipient::Successor(p) => Some(*p),
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Controller => f.write_str("controller"),
            Recipient::ThirdParty(p) => write!(f, "third_party:{p}"),
            Recipient::Successor(p) => write!(f, "successor:{p}"),
        }
    }
}

/// The scope of a consent event: every purpose in `purposes`, for every category in `categories`, for one
/// recipient, and for the listed cross-border destinations (PIPL Arts 14, 23, 39).
///
/// Destinations are the places abroad the scope names. Which places are abroad depends on the law that
/// decides: outside mainland China under the PIPL (Art 38), outside the EEA under the GDPR (Chapter V), so
/// mainland China can be a destination for a customer in the EEA. For a grant they are the places the data
/// may go besides home: use at home is always within a grant's reach, a destination abroad only when listed
/// (PIPL Art 39 wants the destination named; GDPR Art 49(1)(a) too when the transfer rests on consent). A
/// destination that is home under the deciding law is never consulted. For a withdrawal, refusal or
/// objection an empty list means "wherever the data would go" and a non-empty one withdraws only those
/// destinations, so that a customer can take back a transfer abroad and keep processing at home.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ScopeWire")]
pub struct ConsentScope {
    purposes: BTreeSet<Purpose>,
    categories: BTreeSet<DataCategory>,
    recipient: Recipient,
    destinations: BTreeSet<Jurisdiction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeWire {
    purposes: BTreeSet<Purpose>,
    categories: BTreeSet<DataCategory>,
    recipient: Recipient,
    destinations: BTreeSet<Jurisdiction>,
}

impl TryFrom<ScopeWire> for ConsentScope {
    type Error = ConsentError;

    fn try_from(w: ScopeWire) -> Result<Self, Self::Error> {
        ConsentScope::new(w.purposes, w.categories, w.recipient, w.destinations)
    }
}

impl ConsentScope {
    /// A scope. Purposes and categories must not be empty (consent is specific, PIPL Art 14).
    pub fn new(
        purposes: impl IntoIterator<Item = Purpose>,
        categories: impl IntoIterator<Item = DataCategory>,
        recipient: Recipient,
        destinations: impl IntoIterator<Item = Jurisdiction>,
    ) -> Result<Self, ConsentError> {
        let purposes: BTreeSet<Purpose> = purposes.into_iter().collect();
        let categories: BTreeSet<DataCategory> = categories.into_iter().collect();
        let destinations: BTreeSet<Jurisdiction> = destinations.into_iter().collect();
        if purposes.is_empty() {
            return Err(ConsentError::Empty {
                field: "scope.purposes",
            });
        }
        if categories.is_empty() {
            return Err(ConsentError::Empty {
                field: "scope.categories",
            });
        }
        Ok(Self {
            purposes,
            categories,
            recipient,
            destinations,
        })
    }

    /// The purposes.
    pub fn purposes(&self) -> &BTreeSet<Purpose> {
        &self.purposes
    }

    /// The categories.
    pub fn categories(&self) -> &BTreeSet<DataCategory> {
        &self.categories
    }

    /// The recipient.
    pub fn recipient(&self) -> Recipient {
        self.recipient
    }

    /// The destinations abroad.
    pub fn destinations(&self) -> &BTreeSet<Jurisdiction> {
        &self.destinations
    }
}

/// One use of one customer's data that someone wants to make: for `purpose`, of `category`, by `recipient`,
/// with the data located in `destination` (mainland China for domestic processing).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProposedUse {
    purpose: Purpose,
    category: DataCategory,
    recipient: Recipient,
    destination: Jurisdiction,
}

impl ProposedUse {
    /// A use. Every combination is a valid question, so this cannot fail.
    pub fn new(
        purpose: Purpose,
        category: DataCategory,
        recipient: Recipient,
        destination: Jurisdiction,
    ) -> Self {
        Self {
            purpose,
            category,
            recipient,
            destination,
        }
    }

    /// A domestic use by the controller itself, the common case.
    pub fn domestic(purpose: Purpose, category: DataCategory) -> Self {
        Self::new(
            purpose,
            category,
            Recipient::Controller,
            Jurisdiction::MAINLAND_CHINA,
        )
    }

    /// The purpose.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// The category.
    pub fn category(&self) -> DataCategory {
        self.category
    }

    /// The recipient.
    pub fn recipient(&self) -> Recipient {
        self.recipient
    }

    /// Where the data is processed.
    pub fn destination(&self) -> Jurisdiction {
        self.destination
    }

    /// Whether the data leaves mainland China (PIPL Art 38). Under the GDPR the question is whether it
    /// leaves the EEA: [`crate::BasisPolicy::is_cross_border`].
    pub fn is_cross_border(&self) -> bool {
        self.destination.is_outside_mainland()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_scopes_are_refused_and_mainland_china_is_a_destination_for_the_eea() {
        let r = Recipient::Controller;
        assert_eq!(
            ConsentScope::new([], [DataCategory::Contact], r, []),
            Err(ConsentError::Empty {
                field: "scope.purposes"
            })
        );
        assert_eq!(
            ConsentScope::new([Purpose::Marketing], [], r, []),
            Err(ConsentError::Empty {
                field: "scope.categories"
            })
        );
        // For a customer in the EEA, use in mainland China is a transfer to a third country (GDPR Chapter V),
        // which an Art 49(1)(a) consent must name; under the PIPL the mainland is home and never consulted.
        let cn = ConsentScope::new(
            [Purpose::Marketing],
            [DataCategory::Contact],
            r,
            [Jurisdiction::MAINLAND_CHINA],
        )
        .unwrap();
        assert!(cn.destinations().contains(&Jurisdiction::MAINLAND_CHINA));
    }

    #[test]
    fn deserializing_checks_the_same_invariants() {
        let ok = ConsentScope::new(
            [Purpose::Marketing],
            [DataCategory::Contact],
            Recipient::Controller,
            [Jurisdiction::HONG_KONG],
        )
        .unwrap();
        let json = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<ConsentScope>(&json).unwrap(), ok);
        let bad = json.replace("\"HK\"", "\"ZZ\"");
        assert!(serde_json::from_str::<ConsentScope>(&bad).is_err());
        let empty = json.replace("[\"marketing\"]", "[]");
        assert!(serde_json::from_str::<ConsentScope>(&empty).is_err());
    }
}
