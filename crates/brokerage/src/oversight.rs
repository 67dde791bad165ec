//! Oversight through the brokerage (custodia-oversight wired to the store): the incident register with its reporting clocks, the affected customers derived from the key history, the key store and the access log, the remedies carried out here, impact assessments approved by signed principals, records of processing, and the compliance-audit evidence pack with its offline verifier.
//!
//! Every step is one unit of work ([`Brokerage::write`]): the record's JSON and a pseudonymous ledger
//! entry (ids, codes, counts, digests — never a cause's free text, never a personal value) commit together.
//!
//! | namespace | key | value |
//! |---|---|---|
//! | `oversight/incident` | incident id | the `custodia_oversight::Incident` (JSON) |
//! | `oversight/affected` | incident id | the derived `Affected` set (customer ids and reasons) |
//! | `oversight/assessment` | assessment id | the `Assessment` (JSON) |
//! | `oversight/assessment-approvals` | assessment id | the verified `SignedApproval`s (JSON) |
//! | `oversight/reverify` | customer | the incident that forced the re-verification |
//! | `brokerage/settings` | `oversight` | the [`OversightConfig`] |
//! | `brokerage/settings` | `last-audit` | the ledger size and time of the last audit pack |

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use custodia_access::{
    AccessLog, ApprovalRequest, ApprovalSubject, DocumentKind, Principal, PrincipalFields, Role,
    SignedApproval, VerifiedQuorum,
};
use custodia_consent::Digest;
use custodia_model::{ActorId, CustomerId};
use custodia_oversight::{
    Affected, Assessment, AuditDue, AuditSettings, ClockState, Contact, CustomerFacts, Exposure, Holdings,
    Incident, IncidentId, IncidentNotice, IndividualsDecision, KekHistory, KekRotationMark, NewIncident,
    NoticeLanguage, Recipient, RecordsOfProcessing, Remedy, ReportSent, ReportingSettings, Responsibilities,
};
use custodia_store::{KeyRange, Namespace, Records};
use serde::{Deserialize, Serialize};

use crate::brokerage::{Brokerage, KekRotation, OldKeks};
use crate::error::BrokerageError;
use crate::records::{self, SETTINGS};

pub(crate) mod pack;

pub(crate) const INCIDENTS: Namespace = Namespace::new("oversight/incident");
pub(crate) const AFFECTED: Namespace = Namespace::new("oversight/affected");
pub(crate) const ASSESSMENTS: Namespace = Namespace::new("oversight/assessment");
pub(crate) const ASSESSMENT_APPROVALS: Namespace = Namespace::new("oversight/assessment-approvals");
pub(crate) const REVERIFY: Namespace = Namespace::new("oversight/reverify");

/// A customer's mark from [`Brokerage::remedy_force_reverification`]: their identity must be verified
/// again, by an inspected document dated at or after `forced_at`, before their next request is acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reverification {
    /// The incident whose remedy this is.
    pub incident: IncidentId,
    /// When the remedy was recorded.
    pub forced_at: DateTime<Utc>,
}

const OVERSIGHT_SETTINGS: &[u8] = b"oversight";
pub(crate) const LAST_AUDIT: &[u8] = b"last-audit";

/// The document kind of an impact assessment's approvals (custodia-access `ApprovalRequest::document`).
pub const ASSESSMENT_DOCUMENT: &str = "impact-assessment";

/// The role a revoked principal is left with: no policy names it, so the gate denies every read by default.
pub const REVOKED_ROLE: &str = "revoked";

/// How the brokerage oversees itself, kept in its store: the reporting clocks and level thresholds, the
/// audit schedule, the contact notices name, and who answers for each category and step (§13).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OversightConfig {
    /// Levels and clocks (CAC 2025, GDPR Art 33).
    pub reporting: ReportingSettings,
    /// The audit schedule and the officer threshold (PIPL Arts 52, 54; CAC 2025).
    pub audit: AuditSettings,
    /// The contact of notices (PIPL Art 57(3)).
    pub contact: Contact,
    /// Who answers for what.
    pub responsibilities: Responsibilities,
}

impl OversightConfig {
    /// The defaults with `contact`.
    pub fn new(contact: Contact) -> Self {
        Self {
            reporting: ReportingSettings::default(),
            audit: AuditSettings::default(),
            contact,
            responsibilities: Responsibilities::default(),
        }
    }
}

impl Default for OversightConfig {
    fn default() -> Self {
        Self::new(Contact {
            controller: "unset".into(),
            channel: "unset".into(),
            officer: None,
        })
    }
}

/// The last audit pack: where the ledger stood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditMark {
    /// The ledger's size the pack covered.
    pub size: u64,
    /// When it was exported.
    pub at: DateTime<Utc>,
}

/// What deriving the affected customers found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Derived {
    /// The incident, with its count.
    pub incident: Incident,
    /// The set: affected and unaffected customers with their reasons.
    pub affected: Affected,
}

fn no_incident(incident: IncidentId) -> BrokerageError {
    BrokerageError::InvalidInput {
        field: "incident",
        reason: format!("no incident {incident} in this brokerage"),
    }
}

fn no_assessment(id: uuid::Uuid) -> BrokerageError {
    BrokerageError::InvalidInput {
        field: "assessment",
        reason: format!("no assessment {id} in this brokerage"),
    }
}

impl Brokerage {
    /// The oversight settings in force (the defaults until [`Brokerage::set_oversight_config`]).
    pub fn oversight_config(&self) -> Result<OversightConfig, BrokerageError> {
        Ok(records::get_json(&self.store, SETTINGS, OVERSIGHT_SETTINGS)?.unwrap_or_default())
    }

    /// Records new oversight settings (validated), on the ledger too.
    pub fn set_oversight_config(&self, config: &OversightConfig) -> Result<(), BrokerageError> {
        config.reporting.validate()?;
        config.audit.validate()?;
        if let Some(missing) = config.responsibilities.missing() {
            return Err(BrokerageError::InvalidInput {
                field: "responsibilities",
                reason: format!("{missing} has no accountable department and role"),
            });
        }
        self.write(|log| {
            let bytes = records::to_json(config)?;
            self.store.put_record(SETTINGS, OVERSIGHT_SETTINGS, &bytes)?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "oversight_settings", "digest": Digest::of(&bytes), "at": self.now(),
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })
    }

    /// An incident as stored.
    pub fn incident(&self, incident: IncidentId) -> Result<Incident, BrokerageError> {
        records::get_json(&self.store, INCIDENTS, incident.as_bytes())?.ok_or_else(|| no_incident(incident))
    }

    /// Every incident, oldest id first.
    pub fn incidents(&self) -> Result<Vec<Incident>, BrokerageError> {
        let mut out = Vec::new();
        records::scan_pages(&self.store, INCIDENTS, KeyRange::all(), 256, &mut |page| {
            for r in page {
                out.push(records::decode_json(INCIDENTS, &r.key, &r.value)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Stores `incident` and appends its step to the ledger, in the current unit of work.
    fn put_incident(
        &self,
        log: &mut crate::brokerage::Ledger,
        incident: &Incident,
        step: serde_json::Value,
    ) -> Result<(), BrokerageError> {
        let bytes = records::to_json(incident)?;
        self.store.put_record(INCIDENTS, incident.id.as_bytes(), &bytes)?;
        let mut entry = serde_json::json!({
            "kind": "incident_step", "incident": incident.id, "record": Digest::of(&bytes), "at": self.now(),
        });
        if let (Some(entry), serde_json::Value::Object(step)) = (entry.as_object_mut(), step) {
            entry.extend(step);
        }
        let payload = records::step_payload(&entry)?;
        log.append(&[payload.as_slice()])?;
        Ok(())
    }

    /// One step of a stored incident: read, change, store and ledger in one unit of work.
    fn incident_step<T>(
        &self,
        incident: IncidentId,
        body: impl FnOnce(&Self, &mut Incident) -> Result<(T, serde_json::Value), BrokerageError>,
    ) -> Result<(Incident, T), BrokerageError> {
        self.write(|log| {
            let mut stored = self.incident(incident)?;
            let (value, step) = body(self, &mut stored)?;
            self.put_incident(log, &stored, step)?;
            Ok((stored, value))
        })
    }

    /// Registers an incident (PIPL Art 57: act at once; NDSR Art 11: start the plan): the register's
    /// record and a ledger entry with its kind, cause and categories as codes and the systems' count.
    pub fn register_incident(&self, new: NewIncident) -> Result<Incident, BrokerageError> {
        let incident = Incident::register(IncidentId::generate(), new)?;
        self.write(|log| {
            let categories: Vec<&str> = incident.categories.iter().map(|c| c.code()).collect();
            let step = serde_json::json!({
                "step": "registered", "incident_kind": incident.kind.code(), "cause": incident.cause.code(),
                "categories": categories, "systems": incident.systems.len(),
                "discovered_at": incident.discovered_at,
            });
            self.put_incident(log, &incident, step)
        })?;
        Ok(incident)
    }

    /// When each KEK version became primary (the `kek_rotated` entries of the brokerage's ledger, with
    /// their indices and times) and the ledger index of each customer's onboarding (the entry that made
    /// their data key). O(ledger): read in batches.
    pub fn kek_history(&self) -> Result<(KekHistory, BTreeMap<CustomerId, u64>), BrokerageError> {
        let mut history = KekHistory::default();
        let mut made = BTreeMap::new();
        self.scan_steps(
            0,
            &mut |index, value| match value.get("kind").and_then(|k| k.as_str()) {
                Some("kek_rotated") => {
                    let to = value
                        .get("to")
                        .and_then(|v| v.as_u64())
                        .and_then(|t| u32::try_from(t).ok());
                    let at = value
                        .get("at")
                        .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok());
                    if let (Some(version), Some(at)) = (to, at) {
                        history.rotations.push(KekRotationMark { version, index, at });
                    }
                }
                Some("customer_onboarded") => {
                    if let Some(c) = value
                        .get("customer")
                        .and_then(|v| serde_json::from_value::<CustomerId>(v.clone()).ok())
                    {
                        made.entry(c).or_insert(index);
                    }
                }
                _ => {}
            },
        )?;
        history.validate()?;
        Ok((history, made))
    }

    /// Every brokerage step entry from `start` on, decoded, handed to `each` with its index.
    pub(crate) fn scan_steps(
        &self,
        start: u64,
        each: &mut dyn FnMut(u64, &serde_json::Value),
    ) -> Result<(), BrokerageError> {
        let log = self.log();
        let end = log.size();
        let mut at = start;
        while at < end {
            let stop = at.saturating_add(1024).min(end);
            for entry in log.entries(at..stop)? {
                let Some(body) = entry.payload().and_then(|p| p.strip_prefix(records::STEP_PREFIX)) else {
                    continue;
                };
                if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
                    each(entry.index(), &value);
                }
            }
            at = stop;
        }
        Ok(())
    }

    /// The affected-customer facts of one customer.
    fn customer_exposure_facts(
        &self,
        customer: CustomerId,
        created: Option<u64>,
        reads: Vec<(ActorId, u64)>,
    ) -> Result<CustomerFacts, BrokerageError> {
        use custodia_crypto::KeyStore;
        let shredded = self.store.destroyed_at(customer)?;
        let current_versions: BTreeSet<u32> = match self.store.wrapped_keys(customer) {
            Ok(keys) => keys.iter().map(|k| k.kek_version()).collect(),
            Err(custodia_crypto::CryptoError::KeyDestroyed { .. }) => BTreeSet::new(),
            Err(e) => return Err(e.into()),
        };
        let eu = match self.customer_facts(customer) {
            Ok((_, facts, _)) => facts.customer().residence().is_eu_member(),
            // Shredded: nothing left to be resident anywhere; its verdict does not depend on it.
            Err(BrokerageError::CustomerErased { .. }) => false,
            // Adopted, residence not recorded yet: counted with the EU residents, so GDPR Arts 33 and 34
            // are not missed for someone who may be one.
            Err(BrokerageError::AdoptedFactsMissing { .. }) => true,
            Err(e) => return Err(e),
        };
        Ok(CustomerFacts {
            customer,
            created,
            shredded,
            eu,
            current_versions,
            reads,
        })
    }

    /// Derives who `incident` affects from facts (see custodia-oversight's `affected`): every customer the
    /// brokerage holds is examined against the exposed KEK versions (the KEK history and their own dates
    /// and keys), the exposed principals' allowed reads in their windows (the access log), and the stated
    /// list. The set is stored, the incident's count updated, and both are on the ledger (counts and the
    /// set's digest). Deriving again replaces the set.
    pub fn derive_affected(
        &self,
        incident: IncidentId,
        exposure: &Exposure,
        by: ActorId,
    ) -> Result<Derived, BrokerageError> {
        exposure.validate()?;
        let (history, made) = self.kek_history()?;
        let mut reads: BTreeMap<CustomerId, Vec<(ActorId, u64)>> = BTreeMap::new();
        {
            let log = self.log();
            for (principal, from, until) in &exposure.principals {
                for logged in AccessLog::read_by(&log, principal, *from..*until)? {
                    reads
                        .entry(logged.entry.customer())
                        .or_default()
                        .push((principal.clone(), logged.index));
                }
            }
        }
        let mut affected = Affected::default();
        let mut seen = BTreeSet::new();
        records::each_customer(&self.store, self.batch.get(), &mut |customer| {
            // An imported customer has no onboarding entry: made at an unknown point (all versions).
            let facts = self.customer_exposure_facts(
                customer,
                made.get(&customer).copied(),
                reads.get(&customer).cloned().unwrap_or_default(),
            )?;
            affected.examine(exposure, &history, &facts);
            seen.insert(customer);
            Ok(())
        })?;
        if let Some(unknown) = exposure.stated.iter().find(|c| !seen.contains(c)) {
            return Err(BrokerageError::UnknownCustomer { customer: *unknown });
        }
        let count = affected.count();
        let (incident, ()) = self.incident_step(incident, |b, stored| {
            stored.set_affected(count, b.now(), by)?;
            let bytes = records::to_json(&affected)?;
            b.store.put_record(AFFECTED, stored.id.as_bytes(), &bytes)?;
            let step = serde_json::json!({
                "step": "affected_derived", "people": count.people, "eu_people": count.eu_people,
                "read_in_clear": count.read_in_clear, "under_exposed_kek": count.under_exposed_kek,
                "stated": count.stated, "sealed_only": count.sealed_only, "unaffected": count.unaffected,
                "set": Digest::of(&bytes),
            });
            Ok(((), step))
        })?;
        Ok(Derived { incident, affected })
    }

    /// The affected set last derived for `incident`.
    pub fn affected_of(&self, incident: IncidentId) -> Result<Option<Affected>, BrokerageError> {
        records::get_json(&self.store, AFFECTED, incident.as_bytes())
    }

    /// Remedy: rotates the KEK and re-wraps every data key ([`Brokerage::rotate_kek`], its own unit of work
    /// with its own ledger entry and checkpoint), then records the remedy on the incident. Run again after
    /// a crash between the two, it rotates once more — harmless, and both rotations are on the ledger.
    pub fn remedy_rotate_kek(
        &self,
        incident: IncidentId,
        old: OldKeks,
        by: ActorId,
    ) -> Result<KekRotation, BrokerageError> {
        self.incident(incident)?;
        let from = self.keyring().primary_version();
        let rotation = self.rotate_kek(old)?;
        self.incident_step(incident, |b, stored| {
            let remedy = Remedy::KekRotated {
                from,
                to: rotation.primary,
                rewrapped: rotation.rewrapped,
                retired: old == OldKeks::Retire,
            };
            stored.add_remedy(remedy, b.now(), by)?;
            let step = serde_json::json!({
                "step": "remedy", "remedy": "kek_rotated", "from": from, "to": rotation.primary,
                "rewrapped": rotation.rewrapped,
            });
            Ok(((), step))
        })?;
        Ok(rotation)
    }

    /// Remedy: revokes a principal — its record is replaced, in the same unit of work as the incident's
    /// step, by one holding only the role [`REVOKED_ROLE`], no purpose and no training, so the access gate
    /// denies its every read by default (custodia-access: default deny). Its key stays, so approvals it
    /// signed before still verify as history.
    pub fn remedy_revoke_principal(
        &self,
        incident: IncidentId,
        principal: &ActorId,
        by: ActorId,
    ) -> Result<Incident, BrokerageError> {
        let record = self
            .principal(principal)?
            .ok_or_else(|| BrokerageError::UnknownPrincipal {
                principal: principal.clone(),
            })?;
        let revoked = Principal::new(PrincipalFields {
            id: record.id().clone(),
            kind: record.kind(),
            roles: BTreeSet::from([Role::new(REVOKED_ROLE)?]),
            department: record.department().clone(),
            purposes: BTreeSet::new(),
            training: Vec::new(),
            verifying_key: *record.verifying_key(),
        })?;
        let (incident, ()) = self.incident_step(incident, |b, stored| {
            records::put_json(
                &b.store,
                crate::access::PRINCIPALS,
                revoked.id().as_str().as_bytes(),
                &revoked,
            )?;
            stored.add_remedy(
                Remedy::PrincipalRevoked {
                    principal: principal.clone(),
                },
                b.now(),
                by,
            )?;
            let step = serde_json::json!({
                "step": "remedy", "remedy": "principal_revoked", "principal": principal,
            });
            Ok(((), step))
        })?;
        Ok(incident)
    }

    /// Remedy: marks `customers` as needing their identity verified again before their next request is
    /// acted on (an exposure of identity data). The mark is kept per customer and read with
    /// [`Brokerage::reverification_required`]; [`Brokerage::record_identity`] refuses a verified check of
    /// a marked customer's request unless it inspected a document after the mark
    /// ([`BrokerageError::ReverificationRequired`]), and such a check clears the mark.
    pub fn remedy_force_reverification(
        &self,
        incident: IncidentId,
        customers: &[CustomerId],
        by: ActorId,
    ) -> Result<Incident, BrokerageError> {
        let (incident, ()) = self.incident_step(incident, |b, stored| {
            for customer in customers {
                if records::get_json::<serde_json::Value>(
                    &b.store,
                    records::CUSTOMERS,
                    &records::customer_key(*customer),
                )?
                .is_none()
                {
                    return Err(BrokerageError::UnknownCustomer { customer: *customer });
                }
                let mark = Reverification {
                    incident: stored.id,
                    forced_at: b.now(),
                };
                records::put_json(&b.store, REVERIFY, customer.as_bytes(), &mark)?;
            }
            let n = customers.len() as u64;
            stored.add_remedy(Remedy::ReverificationForced { customers: n }, b.now(), by)?;
            let step = serde_json::json!({
                "step": "remedy", "remedy": "reverification_forced", "customers": n,
            });
            Ok(((), step))
        })?;
        Ok(incident)
    }

    /// The incident that forced `customer` to verify their identity again, and when, if the customer has
    /// not done so since.
    pub fn reverification_required(
        &self,
        customer: CustomerId,
    ) -> Result<Option<Reverification>, BrokerageError> {
        records::get_json(&self.store, REVERIFY, customer.as_bytes())
    }

    /// Records a report sent to an authority (CAC first report, remaining items, summary; PIPL 57; GDPR 33).
    pub fn record_incident_report(
        &self,
        incident: IncidentId,
        report: ReportSent,
        by: ActorId,
    ) -> Result<Incident, BrokerageError> {
        let (incident, ()) = self.incident_step(incident, |_, stored| {
            let step = serde_json::json!({
                "step": "report_sent", "duty": report.duty.code(), "sent_at": report.at,
            });
            stored.record_report(report, by)?;
            Ok(((), step))
        })?;
        Ok(incident)
    }

    /// Records the decision about individuals (PIPL Art 57): notified, or not — refused unless the derived
    /// set shows the measures avoided harm; the authority's duties are untouched either way.
    pub fn decide_individuals(
        &self,
        incident: IncidentId,
        decision: IndividualsDecision,
        by: ActorId,
    ) -> Result<Incident, BrokerageError> {
        let (incident, ()) = self.incident_step(incident, |_, stored| {
            let step = match &decision {
                IndividualsDecision::Notified { people, .. } => {
                    serde_json::json!({ "step": "individuals", "decision": "notified", "people": people })
                }
                IndividualsDecision::NotNotified { reason, .. } => {
                    serde_json::json!({ "step": "individuals", "decision": "not_notified", "reason": reason })
                }
            };
            stored.decide_individuals(decision, by)?;
            Ok(((), step))
        })?;
        Ok(incident)
    }

    /// Records that handling ended (the summary clock starts).
    pub fn incident_handled(&self, incident: IncidentId, by: ActorId) -> Result<Incident, BrokerageError> {
        let (incident, ()) = self.incident_step(incident, |b, stored| {
            stored.handled(b.now(), by)?;
            Ok(((), serde_json::json!({ "step": "handled" })))
        })?;
        Ok(incident)
    }

    /// The notices of `incident` in zh-CN and en (PIPL Art 57's items), with the configured contact.
    pub fn incident_notices(
        &self,
        incident: IncidentId,
    ) -> Result<(IncidentNotice, IncidentNotice), BrokerageError> {
        let stored = self.incident(incident)?;
        let config = self.oversight_config()?;
        let people = self.people_held()?;
        if config.audit.officer_required(people) && config.contact.officer.is_none() {
            return Err(BrokerageError::InvalidInput {
                field: "oversight.contact.officer",
                reason: format!(
                    "PIPL Art 52: a PI protection officer is required from {} people, and notices name them",
                    config.audit.officer_from
                ),
            });
        }
        let contact = config.contact;
        Ok((
            custodia_oversight::incident_notice(&stored, &contact, NoticeLanguage::ZhCn)?,
            custodia_oversight::incident_notice(&stored, &contact, NoticeLanguage::En)?,
        ))
    }

    /// Every incident's clocks now.
    pub fn incident_clocks(&self) -> Result<Vec<(IncidentId, Vec<ClockState>)>, BrokerageError> {
        let settings = self.oversight_config()?.reporting;
        let now = self.now();
        Ok(self
            .incidents()?
            .into_iter()
            .map(|i| (i.id, i.clocks(&settings, now)))
            .collect())
    }

    /// The clocks past due and unmet, now.
    pub fn overdue_clocks(&self) -> Result<Vec<(IncidentId, ClockState)>, BrokerageError> {
        Ok(self
            .incident_clocks()?
            .into_iter()
            .flat_map(|(id, clocks)| clocks.into_iter().filter(|c| c.overdue).map(move |c| (id, c)))
            .collect())
    }

    /// Stores a draft impact assessment (PIPL Arts 55, 56), on the ledger with its content's digest.
    pub fn store_assessment(&self, assessment: &Assessment) -> Result<(), BrokerageError> {
        if assessment.approval.is_some() {
            return Err(BrokerageError::InvalidInput {
                field: "assessment.approval",
                reason: "an assessment is approved here, with its signed approvals".into(),
            });
        }
        let digest = Digest::of(&assessment.content_bytes()?);
        self.write(|log| {
            if records::get_json::<Assessment>(&self.store, ASSESSMENTS, assessment.id.as_bytes())?.is_some()
            {
                return Err(BrokerageError::InvalidInput {
                    field: "assessment.id",
                    reason: format!("assessment {} is already stored", assessment.id),
                });
            }
            records::put_json(&self.store, ASSESSMENTS, assessment.id.as_bytes(), assessment)?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "assessment_stored", "assessment": assessment.id, "content": digest,
                "subject": assessment.content.subject, "at": self.now(),
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })
    }

    /// A stored assessment.
    pub fn assessment(&self, id: uuid::Uuid) -> Result<Assessment, BrokerageError> {
        records::get_json(&self.store, ASSESSMENTS, id.as_bytes())?.ok_or_else(|| no_assessment(id))
    }

    /// Every stored assessment.
    pub fn assessments(&self) -> Result<Vec<Assessment>, BrokerageError> {
        let mut out = Vec::new();
        records::scan_pages(&self.store, ASSESSMENTS, KeyRange::all(), 256, &mut |page| {
            for r in page {
                out.push(records::decode_json(ASSESSMENTS, &r.key, &r.value)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The signed approvals an assessment was approved with.
    pub fn assessment_approvals(&self, id: uuid::Uuid) -> Result<Vec<SignedApproval>, BrokerageError> {
        Ok(records::get_json(&self.store, ASSESSMENT_APPROVALS, id.as_bytes())?.unwrap_or_default())
    }

    /// What the approvers of a stored assessment sign: a document approval request ([`ASSESSMENT_DOCUMENT`],
    /// the assessment's id, the SHA-256 of its content) asked for by its preparer, with a fresh id. The
    /// signed approvals of one such request go to [`Brokerage::approve_assessment`].
    pub fn assessment_approval_request(&self, id: uuid::Uuid) -> Result<ApprovalRequest, BrokerageError> {
        let assessment = self.assessment(id)?;
        let digest = Digest::of(&assessment.content_bytes()?);
        Ok(ApprovalRequest::document(
            custodia_access::ApprovalId::new_v7(),
            assessment.content.prepared_by.clone(),
            DocumentKind::new(ASSESSMENT_DOCUMENT)?,
            id,
            *digest.as_bytes(),
        ))
    }

    /// Approves a stored assessment with `approvals`: custodia-access's document approvals of one request
    /// whose subject is this assessment ([`ASSESSMENT_DOCUMENT`], its id, the SHA-256 of its content),
    /// verified as a quorum against the approvers' stored records (signatures with their public keys,
    /// the approver role, distinct, enough, none of them its preparer). Kept at least three years
    /// (PIPL Art 56).
    pub fn approve_assessment(
        &self,
        id: uuid::Uuid,
        approvals: &[SignedApproval],
    ) -> Result<Assessment, BrokerageError> {
        let mut assessment = self.assessment(id)?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &assessment.content_bytes()?);
        let first = approvals.first().ok_or(BrokerageError::InvalidInput {
            field: "approvals",
            reason: "no approval".into(),
        })?;
        let request: ApprovalRequest = first.request().clone();
        let expected = ApprovalSubject::Document {
            kind: DocumentKind::new(ASSESSMENT_DOCUMENT)?,
            id,
            digest: hex::encode(digest.as_ref()),
        };
        if *request.subject() != expected {
            return Err(BrokerageError::InvalidInput {
                field: "approvals",
                reason: format!("they do not approve assessment {id} as stored"),
            });
        }
        let directory = |who: &ActorId| self.principal(who).ok().flatten();
        let quorum = VerifiedQuorum::verify(
            &request,
            approvals,
            &assessment.content.prepared_by,
            &directory,
            &self.approvals,
        )?;
        let approvers: Vec<ActorId> = quorum.approvers().into_iter().cloned().collect();
        let now = self.now();
        assessment.approve(approvers.clone(), vec![*request.id().as_uuid()], now)?;
        self.write(|log| {
            records::put_json(&self.store, ASSESSMENTS, id.as_bytes(), &assessment)?;
            records::put_json(
                &self.store,
                ASSESSMENT_APPROVALS,
                id.as_bytes(),
                &approvals.to_vec(),
            )?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "assessment_approved", "assessment": id, "approval": request.id(),
                "approvers": approvers, "at": now,
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })?;
        Ok(assessment)
    }

    /// The stored, approved assessment whose subject is `reference` (a transfer agreement's
    /// `impact_assessment`): PIPL Art 55(3) asks for one before providing data to another processor, and
    /// it must have found that providing. Refused, naming the reference (an id, never personal), when none
    /// is stored, it is not approved, or it did not assess providing to others.
    pub fn approved_assessment(&self, reference: &str) -> Result<Assessment, BrokerageError> {
        let refuse = |reason: &str| BrokerageError::InvalidInput {
            field: "agreement.impact_assessment",
            reason: format!("{reference}: {reason}"),
        };
        let found = self
            .assessments()?
            .into_iter()
            .filter(|a| a.content.subject == reference)
            .max_by_key(|a| a.content.prepared_at)
            .ok_or_else(|| refuse("no stored assessment has this subject"))?;
        if found.approval.is_none() {
            return Err(refuse("the assessment is not approved"));
        }
        if !found.content.activity.providing {
            return Err(refuse(
                "the assessment did not assess providing the data to another processor",
            ));
        }
        Ok(found)
    }

    /// [`Brokerage::approved_assessment`] for a transfer agreement's reference: the check
    /// [`crate::SellerCase::execute`] runs before it fixes the plan (PIPL Art 55(3): assess before
    /// providing the data to another processor).
    ///
    /// The assessment must also cover what the agreement provides for: every category in its scope, and
    /// processing abroad when it has cross-border terms (PIPL Art 55(4)). Refused, naming the reference
    /// and the first category or term it did not assess.
    pub fn check_transfer_assessment(
        &self,
        agreement: &custodia_transfer::SignedAgreement,
    ) -> Result<Assessment, BrokerageError> {
        let terms = agreement.terms();
        let reference = &terms.impact_assessment;
        let found = self.approved_assessment(reference)?;
        let refuse = |reason: String| BrokerageError::InvalidInput {
            field: "agreement.impact_assessment",
            reason: format!("{reference}: {reason}"),
        };
        let assessed: BTreeSet<_> = found.content.activity.categories.iter().collect();
        if let Some(missing) = terms
            .scope
            .iter()
            .flat_map(|item| &item.categories)
            .find(|c| !assessed.contains(c))
        {
            return Err(refuse(format!(
                "the assessment did not assess category {} of the agreement's scope",
                missing.code()
            )));
        }
        if terms.cross_border.is_some() && !found.content.activity.cross_border {
            return Err(refuse(
                "the agreement provides for processing abroad, which the assessment did not assess".into(),
            ));
        }
        Ok(found)
    }

    /// What the store holds, as counts, for the records of processing and the audit schedule: customers
    /// held (counted as people), customers per category, buyers after transfers, people exported by year.
    pub fn holdings(&self) -> Result<Holdings, BrokerageError> {
        use custodia_crypto::SectionVault;
        let mut holdings = Holdings::default();
        records::each_customer(&self.store, self.batch.get(), &mut |customer| {
            holdings.people += 1;
            for c in self.store.categories(customer)? {
                *holdings.by_category.entry(c.code().to_owned()).or_default() += 1;
            }
            Ok(())
        })?;
        records::scan_pages(&self.store, records::EXPORTS, KeyRange::all(), 256, &mut |page| {
            for r in page {
                let year = r
                    .key
                    .get(..4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(i32::from_be_bytes)
                    .ok_or_else(|| BrokerageError::corrupt(records::EXPORTS.as_str(), &r.key, "no year"))?;
                let n = records::u64_at(records::EXPORTS.as_str(), &r.key, &r.value, 0).unwrap_or(0);
                *holdings.exports.entry(year).or_default() += n;
            }
            Ok(())
        })?;
        holdings.recipients = self.transfer_recipients()?;
        Ok(holdings)
    }

    /// Customers held (people, not records): the customer index's size.
    pub fn people_held(&self) -> Result<u64, BrokerageError> {
        let mut n = 0u64;
        records::scan_pages(
            &self.store,
            records::CUSTOMERS,
            KeyRange::all(),
            4096,
            &mut |page| {
                n += page.len() as u64;
                Ok(())
            },
        )?;
        Ok(n)
    }

    /// The buyers of this brokerage's seller cases.
    fn transfer_recipients(&self) -> Result<Vec<Recipient>, BrokerageError> {
        let mut out = Vec::new();
        records::scan_pages(&self.store, records::CASES, KeyRange::all(), 64, &mut |page| {
            for r in page {
                if r.key.last() != Some(&0) {
                    continue; // the buyer's own cases
                }
                let row: serde_json::Value = records::decode_json(records::CASES, &r.key, &r.value)?;
                let buyer = row
                    .pointer("/agreement")
                    .and_then(|a| a.as_str())
                    .and_then(|hex_bytes| {
                        let bytes = hex::decode(hex_bytes).ok()?;
                        custodia_transfer::SignedAgreement::decode(&bytes).ok()
                    });
                if let Some(agreement) = buyer {
                    let f = agreement.terms().buyer.fields();
                    out.push(Recipient {
                        name: f.name.clone(),
                        transfer: agreement.transfer_id().to_string(),
                        jurisdiction: f.jurisdiction.code().to_owned(),
                    });
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The records of processing (GDPR Art 30) and the inventory, generated now from the basis policy,
    /// the retention profile and the store, with the accountable departments and roles.
    pub fn records_of_processing(&self) -> Result<RecordsOfProcessing, BrokerageError> {
        let config = self.oversight_config()?;
        let holdings = self.holdings()?;
        let contact = &config.contact;
        Ok(custodia_oversight::records_of_processing(
            (&contact.controller, &contact.channel, contact.officer.as_deref()),
            &self.policy,
            &self.profile,
            &holdings,
            &config.responsibilities,
            self.now(),
        ))
    }

    /// Writes the records of processing into `dir` as `records-of-processing.json` and `.md`.
    pub fn write_records_of_processing(&self, dir: &Path) -> Result<RecordsOfProcessing, BrokerageError> {
        let records = self.records_of_processing()?;
        std::fs::create_dir_all(dir).map_err(BrokerageError::io(dir, "create"))?;
        let json = serde_json::to_vec_pretty(&records).map_err(|e| BrokerageError::InvalidInput {
            field: "records of processing",
            reason: e.to_string(),
        })?;
        let path = dir.join("records-of-processing.json");
        std::fs::write(&path, json).map_err(BrokerageError::io(&path, "write"))?;
        let path = dir.join("records-of-processing.md");
        std::fs::write(&path, records.to_markdown()).map_err(BrokerageError::io(&path, "write"))?;
        Ok(records)
    }

    /// The last audit pack's mark, if one was exported.
    pub fn last_audit(&self) -> Result<Option<AuditMark>, BrokerageError> {
        records::get_json(&self.store, SETTINGS, LAST_AUDIT)
    }

    /// The audit schedule now: the interval for the people held, the next due date from the last audit
    /// pack, whether an officer is required (PIPL Art 52), and the incidents at a reportable level since the
    /// last audit (the authority may order an audit after them: PIPL Art 64).
    pub fn audit_due(&self) -> Result<AuditDue, BrokerageError> {
        let config = self.oversight_config()?;
        let people = self.people_held()?;
        let last = self.last_audit()?;
        let thresholds = config.reporting.thresholds;
        let ordered = self
            .incidents()?
            .into_iter()
            .filter(|i| i.level(&thresholds).is_reportable() && last.is_none_or(|l| i.discovered_at > l.at))
            .map(|i| i.id.to_string())
            .collect();
        Ok(config.audit.due(
            people,
            last.map(|l| custodia_model::beijing_date(l.at)),
            custodia_model::beijing_date(self.now()),
            ordered,
        ))
    }
}
