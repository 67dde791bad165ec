//! Customers' requests through the brokerage (custodia-rights wired to the store): intake against the customers the brokerage knows, identity checks, extensions, answers carried out here (a deletion erased through custodia-retention's destruction path, a correction as a new record version, a withdrawal as a consent event), open and overdue lists from a by-deadline index, and receipts signed with the brokerage's party key over its ledger.
//!
//! Every step is one unit of work ([`Brokerage::write`]): the request's JSON in `rights/request`, its
//! indexes, what the step did to the customer's data, and its pseudonymous [`RightsEntry`] on the ledger
//! commit together or not at all, so a restart between steps — or a crash inside one — leaves the request
//! where its last committed step put it.

use chrono::{DateTime, Utc};
use custodia_consent::{ConsentEvent, Digest, NoticeRef};
use custodia_model::{ActorId, CustomerId};
use custodia_retention::{
    DestructionPlan, Execution, ExecutionReport, ForeignFloorGround, ItemStatus, KeyStoreShredder, PlanId,
    PlanItem, RetentionDecision, SectionShredder,
};
use custodia_rights::{
    Action, Answer, BrokerageKeys, Calendars, CheckResult, ConsentChange, DeletionInput, DeletionPlan,
    Disposition, EeaCalendar, ErasureMethod, ExtensionReason, IdentityMethod, IdentityVerification, Intake,
    KnownCustomer, Language, OpenRequest, Overdue, Request, RequestId, RequestKind, ResponseReceipt,
    RightsEntry, RightsError, RightsSettings, StateCode, VerifiedRequest, consent_action, consent_event,
    correction_action,
};
use custodia_store::{KeyRange, Records};
use serde::{Deserialize, Serialize};

use crate::brokerage::{Brokerage, Ledger};
use crate::customers::Update;
use crate::error::BrokerageError;
use crate::records::{
    self, RIGHTS_BY_CUSTOMER, RIGHTS_BY_DEADLINE, RIGHTS_ENTRIES, RIGHTS_RECEIPTS, RIGHTS_REQUESTS, SETTINGS,
};

/// The key of the rights settings in `brokerage/settings`.
const RIGHTS_SETTINGS: &[u8] = b"rights";

/// The by-deadline key of a request whose clock is stopped (identity evidence awaited): after every close.
const NO_DEADLINE: u64 = u64::MAX;

/// How the brokerage answers requests, kept in its store (`brokerage/settings`): the deadline periods,
/// identity policy and complaint contacts of custodia-rights ([`RightsSettings`], whose defaults are the
/// cautious ones: 15 working days under the PIPL, GB/T 35273), the calendar of an EEA establishment for
/// GDPR deadlines (none by default, so a GDPR request is refused with `RightsError::NoCalendar` rather
/// than counted over the mainland calendar), and how third-country floors are grounded under GDPR
/// Art 17(3) (not recorded by default: the controller decides).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RightsConfig {
    /// Deadlines, identity policy, complaint contacts.
    pub settings: RightsSettings,
    /// The EEA establishment's working-day calendar, for GDPR requests.
    pub eea: Option<EeaCalendar>,
    /// The ground the controller recorded for keeping data under a third country's floor (GDPR Art 17(3)).
    pub foreign_floors: ForeignFloorGround,
}

/// Who carries out a deletion's erasures. A customer's deletion (PIPL Art 47) is a destruction like any
/// other: custodia-retention's rule of two distinct approvers, each signing the destruction plan's digest
/// (custodia-access), neither of them the operator who makes and runs it, applies to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureRun {
    /// Who makes and runs the erasure.
    pub operator: ActorId,
    /// The approvers' signatures of [`Brokerage::deletion_approval_request`] (for this operator, today);
    /// empty when nothing is to be erased.
    pub approvals: Vec<custodia_access::SignedApproval>,
    /// The language the refusals of kept holdings are written in (the customer's).
    pub language: Language,
}

/// What answering a deletion did.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DeletionAnswered {
    /// The request, answered.
    pub request: Request,
    /// What retention decided for each holding in scope, with the rules and citations.
    pub plan: DeletionPlan,
    /// How the erased holdings were erased: crypto-shredding when every category went, section deletion
    /// when floors keep some; `None` when nothing was erased.
    pub method: Option<ErasureMethod>,
    /// The ledger indices of the destruction certificates (PIPL Art 47; custodia-retention).
    pub certificates: Vec<u64>,
}

/// What answering a withdrawal, restriction or objection did.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ConsentChanged {
    /// The request, answered.
    pub request: Request,
    /// The consent event recorded through the brokerage's consent path.
    pub event: ConsentEvent,
    /// Its ledger index.
    pub entry: u64,
    /// How many recipients must be told (PIPL Arts 15, 23; GDPR Art 19).
    pub recipients: u32,
}

/// The order-preserving big-endian key of a close: seconds since the epoch with the sign bit flipped.
fn close_key(at: DateTime<Utc>) -> u64 {
    // Reinterpreting the two's-complement bits with the sign flipped orders negatives before positives.
    (at.timestamp() as u64) ^ (1 << 63)
}

fn deadline_key(request: &Request) -> Vec<u8> {
    let close = request.deadline().map_or(NO_DEADLINE, |d| close_key(d.closes_at));
    let mut key = close.to_be_bytes().to_vec();
    key.extend_from_slice(request.id().as_bytes());
    key
}

fn pair_key(first: &[u8; 16], second: &[u8; 16]) -> Vec<u8> {
    let mut key = first.to_vec();
    key.extend_from_slice(second);
    key
}

fn entry_key(request: RequestId, index: u64) -> Vec<u8> {
    let mut key = request.as_bytes().to_vec();
    key.extend_from_slice(&index.to_be_bytes());
    key
}

fn request_id_at(namespace: &'static str, key: &[u8], offset: usize) -> Result<RequestId, BrokerageError> {
    let bytes: [u8; 16] = key
        .get(offset..offset + 16)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| BrokerageError::corrupt(namespace, key, "key too short for a request id"))?;
    RequestId::from_bytes(bytes).map_err(|e| BrokerageError::corrupt(namespace, key, e))
}

fn no_such_request(request: RequestId) -> BrokerageError {
    BrokerageError::InvalidInput {
        field: "request",
        reason: format!("no request {request} in this brokerage"),
    }
}

impl Brokerage {
    /// The rights settings in force (the defaults until [`Brokerage::set_rights_config`] is called).
    pub fn rights_config(&self) -> Result<RightsConfig, BrokerageError> {
        Ok(records::get_json(&self.store, SETTINGS, RIGHTS_SETTINGS)?.unwrap_or_default())
    }

    /// Records new rights settings, on the ledger too (a change of deadlines is itself evidence). Requests
    /// already received keep the settings they were received under.
    pub fn set_rights_config(&self, config: &RightsConfig) -> Result<(), BrokerageError> {
        // The calendar's fields are public: one built by hand for a state outside the EEA is refused here
        // as `EeaCalendar::new` refuses it (GDPR deadlines run on an EEA establishment's working days).
        if let Some(eea) = &config.eea {
            EeaCalendar::new(eea.calendar.clone(), eea.jurisdiction)?;
        }
        self.write(|log| {
            let bytes = records::to_json(config)?;
            self.store.put_record(SETTINGS, RIGHTS_SETTINGS, &bytes)?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "rights_settings", "digest": Digest::of(&bytes), "at": self.now(),
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })
    }

    /// The public keys a customer checks a response receipt with, offline: the party key that signs it and
    /// the ledger's checkpoint key.
    pub fn rights_keys(&self) -> BrokerageKeys {
        BrokerageKeys {
            signing: self.party_key.verifying_key(),
            ledger: self.ledger_signer.verifier().clone(),
        }
    }

    fn calendars(&self, config: &RightsConfig) -> Result<Calendars, BrokerageError> {
        let mut calendars = Calendars::mainland_2026()?;
        calendars.mainland = self.calendar()?;
        Ok(match &config.eea {
            Some(eea) => calendars.with_eea(eea.clone()),
            None => calendars,
        })
    }

    /// The customer as custodia-rights needs to know them, from the customer's records: `None` for an id
    /// this brokerage does not hold. Residence picks the regime. The records hold no date of death, so a
    /// close relative's request (PIPL Art 49) is refused as for a living customer until they do.
    fn known_customer(&self, customer: CustomerId) -> Result<Option<KnownCustomer>, BrokerageError> {
        match self.customer_facts(customer) {
            Ok((_, facts, _)) => Ok(Some(KnownCustomer::new(customer, facts.customer().residence()))),
            Err(BrokerageError::UnknownCustomer { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A request as stored.
    pub fn request(&self, request: RequestId) -> Result<Request, BrokerageError> {
        records::get_json(&self.store, RIGHTS_REQUESTS, request.as_bytes())?
            .ok_or_else(|| no_such_request(request))
    }

    /// The customer's requests, oldest id first.
    pub fn customer_requests(&self, customer: CustomerId) -> Result<Vec<Request>, BrokerageError> {
        let mut out = Vec::new();
        records::scan_pages(
            &self.store,
            RIGHTS_BY_CUSTOMER,
            KeyRange::prefix(customer.as_bytes()),
            256,
            &mut |page| {
                for r in page {
                    out.push(self.request(request_id_at(RIGHTS_BY_CUSTOMER.as_str(), &r.key, 16)?)?);
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Receives a request (PIPL Art 50: every request is a case of its own): the customer must be one
    /// this brokerage holds (else `RightsError::UnknownCustomer`), a duplicate of an open request of the
    /// same kind is refused (`RightsError::Duplicate`: it never inherits that request's identity check),
    /// and the deadline is counted over the brokerage's calendar from `intake.received_at`. The same intake
    /// received again (a retry) returns the stored request and records nothing; another intake under the
    /// same id is refused.
    pub fn receive_request(&self, intake: Intake) -> Result<Request, BrokerageError> {
        self.write(|log| {
            if let Some(stored) =
                records::get_json::<Request>(&self.store, RIGHTS_REQUESTS, intake.id.as_bytes())?
            {
                if *stored.intake() == intake {
                    return Ok(stored);
                }
                return Err(BrokerageError::InvalidInput {
                    field: "intake.id",
                    reason: format!("request {} was received with another intake", intake.id),
                });
            }
            let config = self.rights_config()?;
            let known = self.known_customer(intake.customer)?;
            let open: Vec<OpenRequest> = match &known {
                Some(_) => self
                    .customer_requests(intake.customer)?
                    .iter()
                    .filter_map(Request::as_open)
                    .collect(),
                None => Vec::new(),
            };
            let (request, entry) = Request::receive(
                intake,
                known.as_ref(),
                &open,
                &config.settings,
                &self.calendars(&config)?,
            )?;
            self.store.put_record(
                RIGHTS_BY_CUSTOMER,
                &pair_key(request.customer().as_bytes(), request.id().as_bytes()),
                &[],
            )?;
            self.store_step(log, None, &request, &entry)?;
            Ok(request)
        })
    }

    /// Records that the brokerage asked the requester for identity evidence, now (the clock stops if the
    /// setting says so: `IdentityWait::Paused`).
    pub fn ask_for_identity_evidence(&self, request: RequestId) -> Result<Request, BrokerageError> {
        self.step(request, |b, _, r| {
            let config = b.rights_config()?;
            Ok(r.ask_for_evidence(b.now(), &b.calendars(&config)?)?)
        })
    }

    /// Records an identity check of the request (method, digest of the brokerage's record of it, who and
    /// when: never the evidence itself).
    ///
    /// After an incident forced the customer to verify again
    /// ([`Brokerage::remedy_force_reverification`]), a verified check counts only if it inspected a
    /// document (in person or on a video call) at or after the mark: a logged-in session, a code sent to
    /// contact details on file and facts of the record are what the incident may have exposed (GDPR
    /// Art 12(6): reasonable doubts about the identity; PIPL Art 50, 51). Otherwise
    /// [`BrokerageError::ReverificationRequired`]; such a check clears the mark in the same unit of work.
    pub fn record_identity(
        &self,
        request: RequestId,
        check: IdentityVerification,
    ) -> Result<Request, BrokerageError> {
        self.step(request, |b, _, r| {
            let config = b.rights_config()?;
            let mark = b.reverification_required(r.customer())?;
            let clears = match mark {
                Some(mark) if check.result == CheckResult::Verified => {
                    let inspected = matches!(
                        check.method,
                        IdentityMethod::DocumentInspected | IdentityMethod::AuthorityDocumentInspected
                    );
                    if !inspected || check.verified_at < mark.forced_at {
                        return Err(BrokerageError::ReverificationRequired {
                            request,
                            incident: mark.incident,
                        });
                    }
                    true
                }
                _ => false,
            };
            let entry = r.record_identity(check, &b.calendars(&config)?)?;
            if clears && r.verified().is_ok() {
                b.store
                    .delete_record(crate::oversight::REVERIFY, r.customer().as_bytes())?;
            }
            Ok(entry)
        })
    }

    /// Extends the deadline once for `reason`, the requester told now (PIPL default: 30 days from receipt
    /// for a complex case; GDPR Art 12(3): two more months, told within the first).
    pub fn extend_request(
        &self,
        request: RequestId,
        reason: ExtensionReason,
    ) -> Result<Request, BrokerageError> {
        self.step(request, |b, _, r| {
            let config = b.rights_config()?;
            Ok(r.extend(reason, b.now(), &b.calendars(&config)?)?)
        })
    }

    /// Answers a request with what needs no change to the customer's data here: a refusal with its reasons
    /// and remedies, a released or explained response package (built from [`Request::verified`] by the
    /// caller; only its digest is kept), a human review. An erasure, a correction or an ended consent is
    /// refused here: those are carried out by [`Brokerage::answer_deletion`],
    /// [`Brokerage::answer_correction`] and [`Brokerage::answer_consent_change`], so that no answer states
    /// a change the brokerage did not make.
    pub fn answer_request(&self, request: RequestId, answer: Answer) -> Result<Request, BrokerageError> {
        if answer.actions().any(|a| {
            matches!(
                a,
                Action::Erased { .. } | Action::Corrected { .. } | Action::ConsentEnded { .. }
            )
        }) {
            return Err(BrokerageError::InvalidInput {
                field: "answer.parts",
                reason: "erasures, corrections and ended consents are carried out by their own calls".into(),
            });
        }
        self.step(request, |b, _, r| Ok(r.answer(answer, b.now())?))
    }

    /// Answers a deletion (PIPL Art 47; GDPR Art 17) today: retention decides every holding in scope over
    /// the customer's sealed facts, their consent withdrawals, the brokerage's profile and its legal holds;
    /// what may go is erased in the same unit of work through custodia-retention's destruction path — the
    /// customer's data key destroyed (crypto-shredding) when every category goes, else each erased
    /// category's sections deleted — with a destruction certificate on the ledger; what a floor keeps (AML
    /// Law 2024 Art 34, Broker Rule 2018 Art 51) is kept to storage and refused with its article. If
    /// anything fails nothing is erased and the request stays unanswered.
    pub fn answer_deletion(
        &self,
        request: RequestId,
        run: ErasureRun,
    ) -> Result<DeletionAnswered, BrokerageError> {
        let done = self.write(|log| {
            let stored = self.request(request)?;
            let (verified, plan, holds) = self.deletion_decision(&stored)?;
            let customer = stored.customer();
            let config = self.rights_config()?;
            let now = self.now();
            let parts = plan.answer_parts(
                &verified,
                run.language,
                &config.settings.contacts,
                &config.foreign_floors,
            )?;
            let mut answered = stored.clone();
            let entry = answered.answer(Answer::new(parts)?, now)?;
            let (method, certificates) = self.erase(log, request, customer, &plan, &run, &holds)?;
            self.store_step(log, Some(&stored), &answered, &entry)?;
            Ok(DeletionAnswered {
                request: answered,
                plan,
                method,
                certificates,
            })
        })?;
        // The erased sections and keys leave the WAL file too (SQLite; secure_delete zeroed the pages).
        self.store.flush()?;
        Ok(done)
    }

    /// What the approvers of a deletion's erasures sign: the approval request of the destruction plan
    /// [`answer_deletion`](Self::answer_deletion) would run today for `operator` (its id is the request's,
    /// its digest covers every customer holding it erases), or `None` when retention keeps everything.
    /// If the facts change before the answer, the plan's digest changes and the signatures no longer count.
    pub fn deletion_approval_request(
        &self,
        request: RequestId,
        operator: &ActorId,
    ) -> Result<Option<custodia_access::ApprovalRequest>, BrokerageError> {
        let stored = self.request(request)?;
        let (_, plan, _) = self.deletion_decision(&stored)?;
        match self.erasure_plan(request, stored.customer(), &plan, operator)? {
            Some((destruction, _)) => Ok(Some(destruction.approval_request()?)),
            None => Ok(None),
        }
    }

    /// What retention decides today for a verified deletion request: the stored request, its verified
    /// form, the deletion plan and the holds it was decided under.
    fn deletion_decision<'r>(
        &self,
        stored: &'r Request,
    ) -> Result<(VerifiedRequest<'r>, DeletionPlan, custodia_retention::Holds), BrokerageError> {
        let request = stored.id();
        let verified = stored.verified()?;
        if !matches!(stored.kind(), RequestKind::Deletion { .. }) {
            return Err(RightsError::AnswerMismatch {
                request,
                what: "a deletion answer for a request that is not a deletion",
            }
            .into());
        }
        let customer = stored.customer();
        let config = self.rights_config()?;
        let today = self.now().date_naive();
        let (_, facts, _) = self.customer_facts(customer)?;
        let view = self.consent_view(&[customer], self.policy.clone(), None)?;
        let retention = facts.retention(view.withdrawals(customer), &self.policy, today)?;
        let holds = self.holds()?;
        let plan = DeletionPlan::decide(
            &verified,
            DeletionInput {
                profile: &self.profile,
                facts: &retention,
                holds: &holds,
                on: today,
                foreign: &config.foreign_floors,
            },
        )?;
        Ok((verified, plan, holds))
    }

    /// The destruction plan of a deletion's erasures (id: the request's; proposed by the operator today) and
    /// whether it takes the whole customer; `None` when nothing is erased.
    fn erasure_plan(
        &self,
        request: RequestId,
        customer: CustomerId,
        plan: &DeletionPlan,
        operator: &ActorId,
    ) -> Result<Option<(DestructionPlan, bool)>, BrokerageError> {
        let erased: Vec<RetentionDecision> = plan
            .items()
            .iter()
            .filter(|i| matches!(i.disposition, Disposition::Erase { .. }))
            .map(|i| i.decision.clone())
            .collect();
        if erased.is_empty() {
            return Ok(None);
        }
        let whole = plan.crypto_shred();
        // The kept holdings go into the item too, so that it is a whole customer only when nothing is kept.
        let mut decisions = erased;
        if !whole {
            decisions.extend(
                plan.items()
                    .iter()
                    .filter(|i| !matches!(i.disposition, Disposition::Erase { .. }))
                    .map(|i| i.decision.clone()),
            );
        }
        let item = PlanItem::from_decisions(customer, &decisions).ok_or(BrokerageError::InvalidInput {
            field: "deletion plan",
            reason: "erasures retention does not find due".into(),
        })?;
        let destruction = DestructionPlan::new(
            PlanId::from_uuid(*request.as_uuid())?,
            operator.clone(),
            self.now().date_naive(),
            vec![item],
        )?;
        Ok(Some((destruction, whole)))
    }

    /// Carries out the erasures of `plan` through custodia-retention's `execute`, as the seller's
    /// disposition does: one plan of one customer, its signed approvals verified against the approvers'
    /// stored records and the operator.
    fn erase(
        &self,
        log: &mut Ledger,
        request: RequestId,
        customer: CustomerId,
        plan: &DeletionPlan,
        run: &ErasureRun,
        holds: &custodia_retention::Holds,
    ) -> Result<(Option<ErasureMethod>, Vec<u64>), BrokerageError> {
        let Some((mut destruction, whole)) = self.erasure_plan(request, customer, plan, &run.operator)?
        else {
            return Ok((None, Vec::new()));
        };
        let now = self.now();
        for approval in &run.approvals {
            destruction.approve(approval.clone())?;
        }
        let records = self.approver_records(run.approvals.iter().map(|a| a.approver()))?;
        let directory = |id: &ActorId| records.get(id).cloned();
        let approved = destruction.into_approved(&run.operator, &directory, &self.approvals)?;
        let execution = Execution::new(&run.operator, now, holds);
        let report: ExecutionReport = if whole {
            custodia_retention::execute(
                &approved,
                execution,
                &mut KeyStoreShredder::new(&*self.store),
                log,
            )?
        } else {
            custodia_retention::execute(&approved, execution, &mut SectionShredder::new(&*self.store), log)?
        };
        if report
            .items()
            .iter()
            .any(|i| matches!(i.status(), ItemStatus::Failed { .. } | ItemStatus::Held { .. }))
        {
            return Err(custodia_retention::RetentionError::CertificateNotRecorded {
                plan: approved.plan().id().to_string(),
                destroyed: 0,
                message: format!("customer {customer} could not be erased; nothing was committed"),
            }
            .into());
        }
        let method = if whole {
            ErasureMethod::CryptoShred
        } else {
            ErasureMethod::DeleteCategory
        };
        Ok((
            Some(method),
            report.certificates().iter().map(|(i, _)| *i).collect(),
        ))
    }

    /// Answers a correction (PIPL Art 46; GDPR Art 16): `update` becomes the customer's new record version
    /// and the request is answered with it in one unit of work; an update that changes a field the request
    /// did not name is refused and nothing is recorded. Older versions stay.
    pub fn answer_correction(&self, request: RequestId, update: Update) -> Result<Request, BrokerageError> {
        let customer = update.customer;
        self.step(request, |b, log, r| {
            if customer != r.customer() {
                return Err(RightsError::OtherCustomer {
                    customer: r.customer(),
                    what: "the update",
                }
                .into());
            }
            let action = {
                let verified = r.verified()?;
                // The new version lands on this unit's ledger before the answer does.
                let version = b.update_in(log, update)?;
                correction_action(&verified, &version)?
            };
            Ok(r.answer(Answer::done(action), b.now())?)
        })
    }

    /// Answers a withdrawal of consent (PIPL Art 15; GDPR Art 7(3)), a restriction or an objection (PIPL
    /// Art 44; GDPR Arts 18, 21): the consent event, effective now and citing `notice`, is recorded through
    /// the brokerage's consent path (so retention, plans and the consent index see it like any other) and
    /// the request is answered with the number of recipients it must reach, in one unit of work.
    pub fn answer_consent_change(
        &self,
        request: RequestId,
        notice: NoticeRef,
        evidence: Digest,
        by: ActorId,
    ) -> Result<ConsentChanged, BrokerageError> {
        self.write(|log| {
            let stored = self.request(request)?;
            let verified = stored.verified()?;
            let now = self.now();
            let event = consent_event(
                &verified,
                ConsentChange {
                    notice,
                    evidence,
                    effective_at: now,
                    recorded_at: now,
                    recorded_by: by,
                },
            )?;
            let recorded = self.record_consent_in(log, std::slice::from_ref(&event))?;
            let entry = recorded.first_index.ok_or(BrokerageError::EventConflict {
                event: event.id().to_string(),
            })?;
            let view = self.consent_view(&[stored.customer()], self.policy.clone(), None)?;
            let action = consent_action(&verified, &view.index, entry)?;
            let recipients = match &action {
                Action::ConsentEnded { recipients, .. } => *recipients,
                _ => 0,
            };
            let mut answered = stored.clone();
            let step = answered.answer(Answer::done(action), now)?;
            self.store_step(log, Some(&stored), &answered, &step)?;
            Ok(ConsentChanged {
                request: answered,
                event,
                entry,
                recipients,
            })
        })
    }

    /// The open requests, earliest close first; those whose clock is stopped come last.
    pub fn open_requests(&self) -> Result<Vec<Request>, BrokerageError> {
        self.requests_by_deadline(KeyRange::all())
    }

    /// The open requests whose deadline has closed by now (the brokerage's clock), earliest first.
    pub fn overdue_requests(&self) -> Result<Vec<Overdue>, BrokerageError> {
        let now = self.now();
        let end = close_key(now).saturating_add(1).to_be_bytes();
        let due = self.requests_by_deadline(KeyRange::between(&[], &end))?;
        Ok(custodia_rights::overdue(&due, now))
    }

    fn requests_by_deadline(&self, range: KeyRange) -> Result<Vec<Request>, BrokerageError> {
        let mut out = Vec::new();
        records::scan_pages(&self.store, RIGHTS_BY_DEADLINE, range, 256, &mut |page| {
            for r in page {
                out.push(self.request(request_id_at(RIGHTS_BY_DEADLINE.as_str(), &r.key, 8)?)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The response receipt of an answered request (custodia-rights' format): what was answered and when,
    /// signed with the brokerage's party key, with the answer's ledger entry, its inclusion proof and a
    /// checkpoint signed now. Issued once and kept: asked again, the same bytes come back. The customer
    /// verifies it with [`Brokerage::rights_keys`] alone (`ResponseReceipt::verify`).
    pub fn issue_receipt(&self, request: RequestId) -> Result<Vec<u8>, BrokerageError> {
        self.write(|log| {
            if let Some(bytes) = self.store.record(RIGHTS_RECEIPTS, request.as_bytes())? {
                return Ok(bytes);
            }
            let stored = self.request(request)?;
            if stored.state() != StateCode::Answered {
                return Err(RightsError::OutOfOrder {
                    request,
                    state: stored.state(),
                    step: "issue a receipt",
                }
                .into());
            }
            let entry = self.answer_entry(request)?;
            let checkpoint = self.checkpoint_in(log)?;
            let bytes =
                ResponseReceipt::issue(&stored, log, entry, &checkpoint, &self.party_key)?.encode()?;
            self.store
                .put_record(RIGHTS_RECEIPTS, request.as_bytes(), &bytes)?;
            Ok(bytes)
        })
    }

    /// The ledger index of the request's answer entry.
    fn answer_entry(&self, request: RequestId) -> Result<u64, BrokerageError> {
        let mut found = None;
        records::scan_pages(
            &self.store,
            RIGHTS_ENTRIES,
            KeyRange::prefix(request.as_bytes()),
            256,
            &mut |page| {
                for r in page {
                    if r.value == b"answered" {
                        found = Some(records::u64_at(RIGHTS_ENTRIES.as_str(), &r.key, &r.key, 16)?);
                    }
                }
                Ok(())
            },
        )?;
        found.ok_or_else(|| {
            BrokerageError::corrupt(RIGHTS_ENTRIES.as_str(), request.as_bytes(), "no answer entry")
        })
    }

    /// The request's steps as the ledger holds them, in order: each entry's index and its decoded
    /// [`RightsEntry`] (pseudonymous: ids, codes, digests, times).
    pub fn request_history(&self, request: RequestId) -> Result<Vec<(u64, RightsEntry)>, BrokerageError> {
        let mut indices = Vec::new();
        records::scan_pages(
            &self.store,
            RIGHTS_ENTRIES,
            KeyRange::prefix(request.as_bytes()),
            256,
            &mut |page| {
                for r in page {
                    indices.push(records::u64_at(RIGHTS_ENTRIES.as_str(), &r.key, &r.key, 16)?);
                }
                Ok(())
            },
        )?;
        let log = self.log();
        let mut out = Vec::with_capacity(indices.len());
        for index in indices {
            let entry = log.entry(index)?;
            let payload = entry.payload().ok_or(RightsError::Payload {
                index,
                why: "redacted",
            })?;
            out.push((index, RightsEntry::decode(index, payload)?));
        }
        Ok(out)
    }

    /// One step of a stored request: loads it, runs `change` on a copy (which fails without changing
    /// anything), and stores the copy with its entry, in one unit of work.
    fn step(
        &self,
        request: RequestId,
        change: impl FnOnce(&Self, &mut Ledger, &mut Request) -> Result<RightsEntry, BrokerageError>,
    ) -> Result<Request, BrokerageError> {
        self.write(|log| {
            let stored = self.request(request)?;
            let mut next = stored.clone();
            let entry = change(self, log, &mut next)?;
            self.store_step(log, Some(&stored), &next, &entry)?;
            Ok(next)
        })
    }

    /// Stores `request` (replacing `before`'s index entries) and appends its `entry` to the ledger.
    fn store_step(
        &self,
        log: &mut Ledger,
        before: Option<&Request>,
        request: &Request,
        entry: &RightsEntry,
    ) -> Result<(), BrokerageError> {
        if let Some(before) = before {
            self.store
                .delete_record(RIGHTS_BY_DEADLINE, &deadline_key(before))?;
        }
        if request.state() != StateCode::Answered {
            self.store
                .put_record(RIGHTS_BY_DEADLINE, &deadline_key(request), &[])?;
        }
        records::put_json(&self.store, RIGHTS_REQUESTS, request.id().as_bytes(), request)?;
        let index = log.append(&[entry.encode()?.as_slice()])?.first_index();
        self.store.put_record(
            RIGHTS_ENTRIES,
            &entry_key(request.id(), index),
            entry.step.code().as_bytes(),
        )?;
        Ok(())
    }
}
