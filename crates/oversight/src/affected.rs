//! Who an incident affects, derived from facts and counted as people (distinct customers), not records.
//!
//! Three sources, any combination: the KEK versions that were exposed (a customer is affected if any of
//! their data keys was ever wrapped under one — from the KEK history and the customer's own dates), the
//! principals that were exposed (a customer is affected if such a principal was allowed to read their
//! sections in the window: the access log), and a stated list. Customers examined and found not
//! affected — crypto-shredded before the exposure, or sealed only under versions that were not exposed —
//! are listed separately with the reason (PIPL Art 57 second paragraph: the measures avoided harm).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use custodia_model::{ActorId, CustomerId};
use serde::{Deserialize, Serialize};

use crate::error::OversightError;
use crate::incident::AffectedCount;

/// One KEK rotation: the version that became primary, the ledger index of its entry, and its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KekRotationMark {
    /// The new primary version.
    pub version: u32,
    /// The ledger index of the rotation's entry (data keys made before it were re-wrapped by it).
    pub index: u64,
    /// When (shreddings before it were not re-wrapped).
    pub at: DateTime<Utc>,
}

/// When each KEK version was primary: version 1 from the beginning, each later one from its rotation.
/// A rotation re-wraps every live data key under the new primary, so a customer's keys were wrapped under
/// every version primary while the customer existed (key made, not yet shredded). A key's making is
/// ordered by its ledger entry (the ledger is the one order the brokerage's steps have); its shredding by
/// the brokerage's clock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KekHistory {
    /// The rotations, in ledger order (version 1 is implied from the beginning).
    pub rotations: Vec<KekRotationMark>,
}

impl KekHistory {
    /// Refuses rotations out of order (versions and indices must increase, times must not go back).
    pub fn validate(&self) -> Result<(), OversightError> {
        let mut last: Option<&KekRotationMark> = None;
        for r in &self.rotations {
            let bad = match last {
                None => r.version <= 1,
                Some(l) => r.version <= l.version || r.index <= l.index || r.at < l.at,
            };
            if bad {
                return Err(OversightError::Invalid {
                    field: "kek_history.rotations",
                    reason: "versions and indices must increase and times must not go back",
                });
            }
            last = Some(r);
        }
        Ok(())
    }

    /// The versions a customer's keys were wrapped under, given the ledger index of the entry that made
    /// the customer's key (`None`: unknown, so from the beginning — the cautious reading) and when it was
    /// shredded, if it was.
    pub fn versions_of(&self, created: Option<u64>, shredded: Option<DateTime<Utc>>) -> BTreeSet<u32> {
        // (version, the rotation that made it primary, the rotation that ended it); `None`: open.
        type Period<'a> = (u32, Option<&'a KekRotationMark>, Option<&'a KekRotationMark>);
        let mut periods: Vec<Period<'_>> = Vec::new();
        let mut start: Option<&KekRotationMark> = None;
        let mut version = 1;
        for r in &self.rotations {
            periods.push((version, start, Some(r)));
            (version, start) = (r.version, Some(r));
        }
        periods.push((version, start, None));
        periods
            .into_iter()
            .filter(|(_, from, until)| {
                let made_before_end = match (created, until) {
                    (Some(c), Some(u)) => c < u.index,
                    _ => true,
                };
                let alive_at_start = match (shredded, from) {
                    (Some(s), Some(f)) => s > f.at,
                    _ => true,
                };
                made_before_end && alive_at_start
            })
            .map(|(v, _, _)| v)
            .collect()
    }
}

/// What was exposed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    /// When the exposure began, as far as known (a shredding before it protected the customer).
    pub since: Option<DateTime<Utc>>,
    /// KEK versions exposed.
    pub kek_versions: BTreeSet<u32>,
    /// Principals exposed (credentials, signing keys), with the window their reads count in.
    pub principals: Vec<(ActorId, DateTime<Utc>, DateTime<Utc>)>,
    /// Customers stated as affected by the responder (a misdelivered file's list, in clear).
    pub stated: BTreeSet<CustomerId>,
    /// A copy of the sealed store left (a stolen backup, a copied database file): every customer not
    /// shredded before [`Exposure::since`] is in it — readable only under an exposed KEK version.
    pub sealed_copy: bool,
}

impl Exposure {
    /// Refuses an exposure of nothing and an empty window.
    pub fn validate(&self) -> Result<(), OversightError> {
        if self.kek_versions.is_empty()
            && self.principals.is_empty()
            && self.stated.is_empty()
            && !self.sealed_copy
        {
            return Err(OversightError::Invalid {
                field: "exposure",
                reason: "name a KEK version, a principal or customers",
            });
        }
        if self.kek_versions.contains(&0) {
            return Err(OversightError::Invalid {
                field: "exposure.kek_versions",
                reason: "versions start at 1",
            });
        }
        if self.principals.iter().any(|(_, from, until)| until <= from) {
            return Err(OversightError::Invalid {
                field: "exposure.principals",
                reason: "the window is empty",
            });
        }
        Ok(())
    }
}

/// The facts about one customer that the derivation needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerFacts {
    /// The customer.
    pub customer: CustomerId,
    /// The ledger index of the entry that made their data key (their onboarding), if known.
    pub created: Option<u64>,
    /// When they were crypto-shredded, if they were.
    pub shredded: Option<DateTime<Utc>>,
    /// Whether they live in the EU (GDPR Arts 33, 34).
    pub eu: bool,
    /// The KEK versions their keys are wrapped under now (empty once shredded).
    pub current_versions: BTreeSet<u32>,
    /// Allowed reads of their sections by an exposed principal in its window: `(principal, ledger index)`.
    pub reads: Vec<(ActorId, u64)>,
}

/// Why a customer is affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum AffectedReason {
    /// Their keys were wrapped under these exposed KEK versions.
    ExposedKek {
        /// The versions.
        versions: BTreeSet<u32>,
    },
    /// An exposed principal read their sections: the access entries' ledger indices.
    ReadByExposedPrincipal {
        /// Who.
        principal: ActorId,
        /// The access entries.
        entries: Vec<u64>,
    },
    /// They were on the stated list.
    Stated,
    /// Their sealed data left in a copy, under KEK versions none of which was exposed: unintelligible to
    /// whoever holds it (the case of PIPL Art 57's second paragraph and GDPR Art 34(3)(a)).
    SealedCopyLeft {
        /// The versions their keys were ever wrapped under.
        versions: BTreeSet<u32>,
    },
}

/// Why a customer examined is not affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum UnaffectedReason {
    /// Crypto-shredded before the exposure began.
    ShreddedBeforeExposure {
        /// When.
        at: DateTime<Utc>,
    },
    /// Sealed only under KEK versions that were not exposed.
    SealedUnderUnexposedKeys {
        /// The versions their keys were ever wrapped under.
        versions: BTreeSet<u32>,
    },
}

/// The derived set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// Affected customers, each with every reason that applies.
    pub affected: BTreeMap<CustomerId, Vec<AffectedReason>>,
    /// Customers examined and not affected, with the reason.
    pub unaffected: BTreeMap<CustomerId, UnaffectedReason>,
    /// Affected customers resident in the EU.
    pub eu: BTreeSet<CustomerId>,
}

impl Affected {
    /// Adds one customer's verdict. A customer is examined when the exposure could reach them: a KEK
    /// version is exposed (every customer), or they are on the stated list, or an exposed principal read
    /// them. A read in clear always affects (the plaintext left, whatever happened to the key later).
    pub fn examine(&mut self, exposure: &Exposure, history: &KekHistory, facts: &CustomerFacts) {
        let mut reasons = Vec::new();
        let mut by_principal: BTreeMap<&ActorId, Vec<u64>> = BTreeMap::new();
        for (principal, index) in &facts.reads {
            by_principal.entry(principal).or_default().push(*index);
        }
        for (principal, entries) in by_principal {
            reasons.push(AffectedReason::ReadByExposedPrincipal {
                principal: principal.clone(),
                entries,
            });
        }
        let shredded_before = match (facts.shredded, exposure.since) {
            (Some(s), Some(since)) => s <= since,
            _ => false,
        };
        let stated = exposure.stated.contains(&facts.customer);
        let mut unaffected = None;
        if !exposure.kek_versions.is_empty() || stated || exposure.sealed_copy {
            if let (true, Some(at)) = (shredded_before, facts.shredded) {
                unaffected = Some(UnaffectedReason::ShreddedBeforeExposure { at });
            } else {
                if stated {
                    reasons.push(AffectedReason::Stated);
                }
                let mut versions = history.versions_of(facts.created, facts.shredded);
                versions.extend(facts.current_versions.iter().copied());
                let hit: BTreeSet<u32> = versions.intersection(&exposure.kek_versions).copied().collect();
                if !hit.is_empty() {
                    reasons.push(AffectedReason::ExposedKek { versions: hit });
                } else if exposure.sealed_copy {
                    reasons.push(AffectedReason::SealedCopyLeft { versions });
                } else if reasons.is_empty() && !exposure.kek_versions.is_empty() {
                    unaffected = Some(UnaffectedReason::SealedUnderUnexposedKeys { versions });
                }
            }
        }
        if !reasons.is_empty() {
            if facts.eu {
                self.eu.insert(facts.customer);
            }
            self.affected.insert(facts.customer, reasons);
        } else if let Some(reason) = unaffected {
            self.unaffected.insert(facts.customer, reason);
        }
    }

    /// The counts for the register (people, not records).
    pub fn count(&self) -> AffectedCount {
        let has = |f: &dyn Fn(&AffectedReason) -> bool| {
            self.affected.values().filter(|r| r.iter().any(f)).count() as u64
        };
        AffectedCount {
            people: self.affected.len() as u64,
            eu_people: self.eu.len() as u64,
            read_in_clear: has(&|r| matches!(r, AffectedReason::ReadByExposedPrincipal { .. })),
            under_exposed_kek: has(&|r| matches!(r, AffectedReason::ExposedKek { .. })),
            stated: has(&|r| matches!(r, AffectedReason::Stated)),
            sealed_only: self
                .affected
                .values()
                .filter(|r| {
                    r.iter()
                        .all(|r| matches!(r, AffectedReason::SealedCopyLeft { .. }))
                })
                .count() as u64,
            unaffected: self.unaffected.len() as u64,
        }
    }
}
