//! `rights ...`: the customers' requests desk over the brokerage's rights API (PIPL Arts 44–50; GDPR Arts
//! 12–22): receive a request, record identity checks, ask for evidence, extend, answer (a refusal with its
//! coded reasons, a released or explained response package, a deletion erased through the destruction path
//! with two approvers' signatures, a withdrawal, restriction or objection as a consent event), the open and
//! overdue lists, a request's history, and the signed response receipt.
//!
//! Every step runs at the drill clock (`--now`) or the system clock; the brokerage records it with its
//! pseudonymous entry on the ledger (PIPL Art 50: each request a case of its own). Nothing here prints a
//! personal value: requests are shown by ids, codes, states and deadlines; the response package with the
//! customer's data goes to a file only.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use custodia_brokerage::{Brokerage, BrokerageError, ErasureRun};
use custodia_consent::{Channel, Digest, Notice};
use custodia_model::{ActorId, CustomerId, DataCategory, Purpose};
use custodia_rights::{
    Action, Answer, AnswerPart, CategoryData, ExtensionReason, FieldPath, IdentityMethod,
    IdentityVerification, Intake, KindCode, Language, PackageContents, Reference, Refusal, RefusalCode,
    Request, RequestId, RequestKind, ResponsePackage, VerifiedParty,
};
use serde::de::DeserializeOwned;

use crate::context::{Context, read, write_new};
use crate::error::{CliError, Result};

/// Parses a snake-case code of one of the rights types (`document_inspected`, `web`, `complexity`, …) with
/// the model's JSON reader, which never echoes the input.
pub fn code<T: DeserializeOwned>(text: &str) -> std::result::Result<T, String> {
    let quoted = serde_json::to_vec(text).map_err(|_| "not a code".to_owned())?;
    custodia_model::from_json(&quoted).map_err(|_| "not one of the codes listed in --help".to_owned())
}

/// A refusal code given by its name (the codes that carry no details), or `standard:<ground>` for a GB/T
/// 35273-style ground.
fn refusal_code(text: &str) -> std::result::Result<RefusalCode, String> {
    let value = match text.split_once(':') {
        Some(("standard", ground)) => serde_json::json!({ "code": "standard", "ground": ground }),
        _ => serde_json::json!({ "code": text }),
    };
    let json = serde_json::to_vec(&value).map_err(|_| "not a code".to_owned())?;
    custodia_model::from_json(&json)
        .map_err(|_| "not a refusal code without details, nor standard:<ground> (see --help)".to_owned())
}

/// The evidence of an identity check or a request: SHA-256 given in hex, or computed over a file.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct EvidenceArgs {
    /// SHA-256 of the brokerage's record of it, in hex (64 digits).
    #[arg(long, value_name = "HEX")]
    evidence_hex: Option<String>,
    /// The brokerage's record of it: its SHA-256 is recorded, never the file.
    #[arg(long, value_name = "FILE")]
    evidence_file: Option<PathBuf>,
}

impl EvidenceArgs {
    fn digest(&self) -> Result<Digest> {
        match (&self.evidence_hex, &self.evidence_file) {
            (Some(text), _) => {
                let bytes: [u8; 32] = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| CliError::input("--evidence-hex", "not 64 hex digits (a SHA-256)"))?;
                Ok(Digest::from_bytes(bytes))
            }
            (None, Some(file)) => Ok(Digest::of(&read(file)?)),
            (None, None) => Err(CliError::Usage("give --evidence-hex or --evidence-file")),
        }
    }
}

/// The rights desk's commands.
#[derive(Subcommand)]
pub enum RightsCommand {
    /// Receive a customer's request (PIPL Art 50): prints its id and deadline.
    #[command(
        after_help = "Kinds: access, copy, portability (--reference), correction (--field), deletion (--category, \
none = everything), explain_rules, withdraw_consent (--purpose, --category), restrict (--purpose), object \
(--purpose), explain_automated_decision (--reference), refuse_automated_decision (--reference).\n\
Channels: web, mobile_app, paper, phone, in_person, email, sms, other.\n\n\
Example:\n  custodia --store ./broker --now 2026-09-28T10:00:00+08:00 rights receive --customer <ID> --kind deletion --channel web --by desk-1"
    )]
    Receive {
        /// The customer's id.
        #[arg(long)]
        customer: CustomerId,
        /// What is asked for (see below).
        #[arg(long, value_parser = code::<KindCode>)]
        kind: KindCode,
        /// How it arrived (see below).
        #[arg(long, value_parser = code::<Channel>, default_value = "web")]
        channel: Channel,
        /// When it arrived (RFC 3339); the drill clock or the system clock otherwise.
        #[arg(long, value_name = "RFC3339", value_parser = crate::parse_now)]
        received_at: Option<DateTime<Utc>>,
        /// Who records it.
        #[arg(long)]
        by: String,
        /// deletion, withdraw_consent: a data category (repeat); none means every category.
        #[arg(long, value_parser = code::<DataCategory>)]
        category: Vec<DataCategory>,
        /// withdraw_consent, restrict, object: a purpose (repeat).
        #[arg(long, value_parser = code::<Purpose>)]
        purpose: Vec<Purpose>,
        /// correction: a field the customer says is wrong or missing, e.g. contact.email (repeat).
        #[arg(long)]
        field: Vec<String>,
        /// portability: the receiving processor; automated decisions: the decision (the brokerage's reference).
        #[arg(long)]
        reference: Option<String>,
        /// Who asks: the customer, or a guardian, an authorised agent, a close relative of a deceased
        /// customer (PIPL Art 49), each needing its own authority check.
        #[arg(long, default_value = "customer", value_parser = ["customer", "guardian", "agent", "close_relative"])]
        requester: String,
        /// The requester's pseudonymous id (the brokerage's contact record of them), when not the customer.
        #[arg(long)]
        requester_id: Option<custodia_rights::RequesterId>,
        /// close_relative: how they are related (spouse, parent, child, sibling, grandparent, grandchild).
        #[arg(long, value_parser = code::<custodia_rights::Relation>)]
        relation: Option<custodia_rights::Relation>,
    },
    /// Record an identity check of a request (method, digest of the record of it, who; at the drill clock).
    #[command(
        after_help = "Methods: authenticated_session, one_time_code, knowledge_check, document_inspected, \
authority_document_inspected.\nAfter an incident forced re-verification, only document_inspected (or \
authority_document_inspected) dated after it verifies; anything else exits 3 naming the incident.\n\n\
Example:\n  custodia --store ./broker rights identity --request <ID> --method document_inspected --evidence-file check-record.pdf --by desk-1"
    )]
    Identity {
        /// The request id.
        #[arg(long)]
        request: RequestId,
        /// How identity was checked (see below).
        #[arg(long, value_parser = code::<IdentityMethod>)]
        method: IdentityMethod,
        /// The check's evidence.
        #[command(flatten)]
        evidence: EvidenceArgs,
        /// Who checked.
        #[arg(long)]
        by: String,
        /// The check established the requester's authority (guardian, agent, relative), not who they are.
        #[arg(long)]
        authority: bool,
        /// The check failed (recorded; the request releases nothing).
        #[arg(long)]
        failed: bool,
    },
    /// Record that the requester was asked for identity evidence (the clock stops if the settings say so).
    #[command(after_help = "Example:\n  custodia --store ./broker rights ask-evidence --request <ID>")]
    AskEvidence {
        /// The request id.
        #[arg(long)]
        request: RequestId,
    },
    /// Extend the deadline once, the requester told now (PIPL: 30 days from receipt; GDPR Art 12(3)).
    #[command(
        after_help = "Reasons: complexity, number_of_requests, third_party_rights.\n\n\
Example:\n  custodia --store ./broker rights extend --request <ID> --reason complexity"
    )]
    Extend {
        /// The request id.
        #[arg(long)]
        request: RequestId,
        /// Why (see below).
        #[arg(long, value_parser = code::<ExtensionReason>)]
        reason: ExtensionReason,
    },
    /// Answer with a refusal: each coded reason with its articles and the routes to a complaint and a court.
    #[command(
        after_help = "Codes (without details): confidential_by_law, state_organ_duty, already_accurate, \
identity_not_verifiable, portability_not_consent_or_contract, portability_not_feasible, \
portability_harms_others, deceased_arranged_otherwise, law_provides_otherwise, not_identifiable, \
manifestly_unfounded_or_excessive, copy_affects_others, …; and standard:<ground> (controller_legal_duty, \
national_security, public_safety_or_health, criminal_proceedings, malice_or_abuse, life_or_property, \
serious_harm, trade_secrets). Each must fit the request's kind and regime.\n\n\
Example:\n  custodia --store ./broker rights refuse --request <ID> --code identity_not_verifiable --language zh"
    )]
    Refuse {
        /// The request id.
        #[arg(long)]
        request: RequestId,
        /// A reason code (repeat for more).
        #[arg(long = "code", required = true, value_parser = refusal_code)]
        codes: Vec<RefusalCode>,
        /// The language of the statement and remedies (the customer's).
        #[arg(long, value_parser = code::<Language>, default_value = "zh")]
        language: Language,
    },
    /// Answer access, copy or portability with the customer's data, or explain_rules with an explanation:
    /// the response package goes to --out (for the customer), only its digest into the store.
    #[command(
        after_help = "Example:\n  custodia --store ./broker rights release --request <ID> --out response.pkg"
    )]
    Release {
        /// The request id.
        #[arg(long)]
        request: RequestId,
        /// Where to write the response package (must not exist; it holds personal information).
        #[arg(long)]
        out: PathBuf,
        /// The customer's language.
        #[arg(long, value_parser = code::<Language>, default_value = "zh")]
        language: Language,
    },
    /// Print what two approvers sign for a deletion's erasures today, for this operator (PIPL Art 47).
    #[command(
        after_help = "Example:\n  custodia --store ./broker rights deletion-plan --request <ID> --operator ops-1"
    )]
    DeletionPlan {
        /// The request id.
        #[arg(long)]
        request: RequestId,
        /// Who makes and runs the erasure (not an approver).
        #[arg(long)]
        operator: String,
    },
    /// Answer a deletion: retention decides each holding; what may go is erased with a destruction
    /// certificate, what a floor keeps is refused with its article. Needs two approvers' keys.
    #[command(
        after_help = "Example:\n  custodia --store ./broker rights delete --request <ID> --operator ops-1 --by dpo-1 --signing-key dpo-1.key --by cco-1 --signing-key cco-1.key"
    )]
    Delete {
        /// The request id.
        #[arg(long)]
        request: RequestId,
        /// Who makes and runs the erasure.
        #[arg(long)]
        operator: String,
        /// An approver (repeat, one per --signing-key, in the same order); none when nothing is erased.
        #[arg(long)]
        by: Vec<String>,
        /// That approver's Ed25519 signing key (PKCS#8, from `custodia approver add`).
        #[arg(long, value_name = "FILE")]
        signing_key: Vec<PathBuf>,
        /// The language of the refusals of what is kept (the customer's).
        #[arg(long, value_parser = code::<Language>, default_value = "zh")]
        language: Language,
    },
    /// Answer a correction (PIPL Art 46; GDPR Art 16): the corrected values become the customer's new record
    /// version, in the same unit of work as the answer; changing a field the request did not name is refused.
    #[command(
        after_help = "The values file is a JSON object from field path to new value, in the record's own JSON \
form, e.g. {\"contact.email\": \"new@example.com\"}; each value is checked by the model. It holds personal \
information: keep it with the request's evidence, not in shell history.\n\n\
Example:\n  custodia --store ./broker rights correct --request <ID> --values corrected.json --by desk-2"
    )]
    Correct {
        /// The request id.
        #[arg(long)]
        request: RequestId,
        /// The corrected values (JSON object: field path → value).
        #[arg(long, value_name = "FILE")]
        values: PathBuf,
        /// Who makes the correction.
        #[arg(long)]
        by: String,
    },
    /// Answer a withdrawal of consent, a restriction or an objection: a consent event, effective now, through
    /// the consent path (PIPL Arts 15, 44; GDPR Arts 7(3), 18, 21).
    #[command(
        after_help = "Example:\n  custodia --store ./broker rights consent-change --request <ID> --notice notice.json --evidence-file form.pdf --by desk-3"
    )]
    ConsentChange {
        /// The request id.
        #[arg(long)]
        request: RequestId,
        /// The privacy notice in force (JSON) the event cites.
        #[arg(long, value_name = "FILE")]
        notice: PathBuf,
        /// The request's evidence (the form, the call).
        #[command(flatten)]
        evidence: EvidenceArgs,
        /// Who records it.
        #[arg(long)]
        by: String,
    },
    /// Write the signed response receipt of an answered request (issued once; the same bytes again).
    #[command(
        after_help = "Example:\n  custodia --store ./broker rights receipt --request <ID> --out receipt.txt\n  custodia verify rights-receipt receipt.txt --signing <HEX> --vkey <VKEY>"
    )]
    Receipt {
        /// The request id.
        #[arg(long)]
        request: RequestId,
        /// Where to write it (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// One request: kind, state, deadline, the steps on the ledger.
    #[command(after_help = "Example:\n  custodia --store ./broker rights show --request <ID> --json")]
    Show {
        /// The request id.
        #[arg(long)]
        request: RequestId,
    },
    /// The open requests, earliest deadline first (those whose clock is stopped last).
    #[command(after_help = "Example:\n  custodia --store ./broker rights list")]
    List,
    /// The open requests whose deadline has closed (at the drill clock or now), earliest first.
    #[command(
        after_help = "Example:\n  custodia --store ./broker --now 2026-10-26T10:00:00+08:00 rights overdue"
    )]
    Overdue,
    /// Set the working-day calendar of the EEA establishment that GDPR deadlines run on (GDPR Art 12(3):
    /// a month, extendable by two; without one a GDPR request is refused rather than counted on the
    /// mainland calendar). The calendar file is JSON: name, first, last, holidays, working_weekends.
    #[command(
        after_help = "Example:\n  custodia --store ./broker rights eea-calendar --jurisdiction DE --calendar de-2026.json"
    )]
    EeaCalendar {
        /// The member state of the establishment (ISO 3166 alpha-2; must be in the EEA).
        #[arg(long)]
        jurisdiction: String,
        /// The calendar (JSON).
        #[arg(long, value_name = "FILE")]
        calendar: PathBuf,
    },
}

fn actor(flag: &'static str, id: &str) -> Result<ActorId> {
    ActorId::new(id).map_err(|_| CliError::input(flag, "not an actor id"))
}

fn reference(kind: KindCode, text: Option<&str>) -> Result<Reference> {
    let text = text.ok_or_else(|| CliError::input("--reference", format!("a {kind} request names one")))?;
    Reference::new(text).map_err(|e| {
        CliError::input(
            "--reference",
            crate::error::render(&BrokerageError::from(e).into()),
        )
    })
}

/// The request's kind with its details, from the flags; flags the kind does not take are refused, not
/// dropped.
fn kind_of(
    kind: KindCode,
    category: &[DataCategory],
    purpose: &[Purpose],
    field: &[String],
    reference_text: Option<&str>,
) -> Result<RequestKind> {
    let categories: BTreeSet<DataCategory> = category.iter().copied().collect();
    let purposes: BTreeSet<Purpose> = purpose.iter().cloned().collect();
    let takes = |flag: &'static str, given: bool, taken: bool| -> Result<()> {
        if given && !taken {
            return Err(CliError::input(flag, format!("a {kind} request takes no {flag}")));
        }
        Ok(())
    };
    takes(
        "--category",
        !categories.is_empty(),
        matches!(kind, KindCode::Deletion | KindCode::WithdrawConsent),
    )?;
    takes(
        "--purpose",
        !purposes.is_empty(),
        matches!(
            kind,
            KindCode::WithdrawConsent | KindCode::Restrict | KindCode::Object
        ),
    )?;
    takes("--field", !field.is_empty(), kind == KindCode::Correction)?;
    takes(
        "--reference",
        reference_text.is_some(),
        matches!(
            kind,
            KindCode::Portability | KindCode::ExplainAutomatedDecision | KindCode::RefuseAutomatedDecision
        ),
    )?;
    let kind = match kind {
        KindCode::Access => RequestKind::Access,
        KindCode::Copy => RequestKind::Copy,
        KindCode::ExplainRules => RequestKind::ExplainRules,
        KindCode::Portability => RequestKind::Portability {
            recipient: reference(kind, reference_text)?,
        },
        KindCode::ExplainAutomatedDecision => RequestKind::ExplainAutomatedDecision {
            decision: reference(kind, reference_text)?,
        },
        KindCode::RefuseAutomatedDecision => RequestKind::RefuseAutomatedDecision {
            decision: reference(kind, reference_text)?,
        },
        KindCode::Correction => RequestKind::Correction {
            fields: field
                .iter()
                .map(|f| {
                    FieldPath::new(f)
                        .map_err(|_| CliError::input("--field", "not a field path such as contact.email"))
                })
                .collect::<Result<_>>()?,
        },
        KindCode::Deletion => RequestKind::Deletion { categories },
        KindCode::WithdrawConsent => RequestKind::WithdrawConsent { purposes, categories },
        KindCode::Restrict => RequestKind::Restrict { purposes },
        KindCode::Object => RequestKind::Object { purposes },
        _ => return Err(CliError::input("--kind", "not a kind this desk receives")),
    };
    kind.check()
        .map_err(|e| CliError::from(BrokerageError::from(e)))?;
    Ok(kind)
}

/// Who asks, from the flags; an id or relation the capacity does not take is refused, not dropped.
fn requester_of(
    capacity: &str,
    id: Option<custodia_rights::RequesterId>,
    relation: Option<custodia_rights::Relation>,
) -> Result<custodia_rights::Requester> {
    use custodia_rights::Requester;
    if relation.is_some() && capacity != "close_relative" {
        return Err(CliError::input("--relation", "only a close_relative has one"));
    }
    if capacity == "customer" {
        if id.is_some() {
            return Err(CliError::input(
                "--requester-id",
                "the customer asks in person: no requester id",
            ));
        }
        return Ok(Requester::Customer);
    }
    let requester =
        id.ok_or_else(|| CliError::input("--requester-id", format!("a {capacity} is named by their id")))?;
    Ok(match capacity {
        "guardian" => Requester::Guardian { requester },
        "agent" => Requester::Agent { requester },
        _ => Requester::CloseRelative {
            requester,
            relation: relation
                .ok_or_else(|| CliError::input("--relation", "a close relative's relation is needed"))?,
        },
    })
}

/// One line of a request: id, customer, kind, state, deadline.
fn line(r: &Request) -> String {
    let deadline = r.deadline().map_or_else(
        || "clock stopped".to_owned(),
        |d| format!("closes {}", d.closes_at.to_rfc3339()),
    );
    format!(
        "{}  customer {}  {}  {}  {deadline}",
        r.id(),
        r.customer(),
        r.kind().code(),
        r.state().code()
    )
}

fn summary(r: &Request) -> serde_json::Value {
    serde_json::json!({
        "request": r.id().to_string(),
        "customer": r.customer().to_string(),
        "kind": r.kind().code(),
        "state": r.state().code(),
        "regime": r.regime(),
        "closes_at": r.deadline().map(|d| d.closes_at),
        "last_day": r.deadline().map(|d| d.last_day),
    })
}

fn emit_request(ctx: &Context, what: &str, r: &Request) {
    ctx.emit(|| format!("{what}: {}", line(r)), || summary(r));
}

/// Signs the deletion's approval request with each approver's key.
fn approvals(
    b: &Brokerage,
    request: RequestId,
    operator: &ActorId,
    by: &[String],
    keys: &[PathBuf],
) -> Result<Vec<custodia_access::SignedApproval>> {
    if by.len() != keys.len() {
        return Err(CliError::input(
            "--signing-key",
            format!(
                "{} approvers but {} keys: give one --signing-key per --by",
                by.len(),
                keys.len()
            ),
        ));
    }
    let Some(approval) = b.deletion_approval_request(request, operator)? else {
        return Ok(Vec::new());
    };
    let mut signed = Vec::with_capacity(by.len());
    for (who, key_file) in by.iter().zip(keys) {
        let who = actor("--by", who)?;
        let Some(principal) = b.principal(&who)? else {
            return Err(CliError::input(
                "--by",
                format!("no principal {who} in this store (`custodia approver add`)"),
            ));
        };
        let key = crate::approver::load_key(key_file)?;
        signed.push(approval.sign(&principal, &key)?);
    }
    Ok(signed)
}

/// The response package of a verified access, copy, portability or explain_rules request: the customer's
/// data sections (read for the answer) or no data for an explanation.
fn package(b: &Brokerage, r: &Request, language: Language) -> Result<(ResponsePackage, Action)> {
    let verified = r.verified().map_err(BrokerageError::from)?;
    let kind = r.kind().code();
    let releases = matches!(kind, KindCode::Access | KindCode::Copy | KindCode::Portability);
    if !releases && kind != KindCode::ExplainRules {
        return Err(CliError::input(
            "--request",
            format!("a {kind} request is answered by its own command (see `custodia rights --help`)"),
        ));
    }
    let mut contents = PackageContents {
        language,
        ..PackageContents::default()
    };
    if releases {
        let read = b.read_trusted(r.customer(), &DataCategory::ALL)?;
        for (category, plain) in &read.sections {
            let value = serde_json::from_slice(plain).map_err(|_| {
                CliError::input("--request", format!("the stored {category} section is not JSON"))
            })?;
            contents.data.push(CategoryData {
                customer: r.customer(),
                category: *category,
                value,
            });
        }
    }
    let package = ResponsePackage::build(&verified, contents, b.now()).map_err(BrokerageError::from)?;
    let action = if releases {
        Action::released(&package)
    } else {
        Action::explained(&package)
    };
    Ok((package, action))
}

/// The customer's fields with the corrected values of `path` set at their paths; a path the record does not
/// have, or a value the model refuses, is refused naming the path, never the value.
fn corrected(current: &custodia_model::Customer, path: &Path) -> Result<custodia_model::CustomerFields> {
    let shown = path.display().to_string();
    let bytes = zeroize::Zeroizing::new(read(path)?);
    let values: serde_json::Map<String, serde_json::Value> =
        custodia_model::from_json(&bytes).map_err(|e| CliError::input(&shown, e.to_string()))?;
    if values.is_empty() {
        return Err(CliError::input(&shown, "names no field"));
    }
    let mut record = serde_json::to_value(current.to_fields())
        .map_err(|_| CliError::input("customer", "cannot be rendered"))?;
    for (field, value) in values {
        let mut at = &mut record;
        for segment in field.split('.') {
            at = at
                .as_object_mut()
                .and_then(|o| o.get_mut(segment))
                .ok_or_else(|| {
                    CliError::input(&shown, format!("{field}: not a field of the customer record"))
                })?;
        }
        *at = value;
    }
    let text = zeroize::Zeroizing::new(
        serde_json::to_vec(&record).map_err(|_| CliError::input(&shown, "cannot be rendered"))?,
    );
    custodia_model::from_json(&text).map_err(|e| CliError::input(&shown, e.to_string()))
}

fn notice_of(path: &Path) -> Result<Notice> {
    custodia_model::from_json(&read(path)?)
        .map_err(|e| CliError::input(path.display().to_string(), e.to_string()))
}

/// Runs one `rights` command.
pub fn run(ctx: &Context, command: RightsCommand) -> Result<()> {
    let b = ctx.open()?;
    match command {
        RightsCommand::Receive {
            customer,
            kind,
            channel,
            received_at,
            by,
            category,
            purpose,
            field,
            reference,
            requester,
            requester_id,
            relation,
        } => {
            let kind = kind_of(kind, &category, &purpose, &field, reference.as_deref())?;
            let requester = requester_of(&requester, requester_id, relation)?;
            let at = received_at.unwrap_or_else(|| b.now());
            let intake = Intake::new(customer, kind, channel, at, actor("--by", &by)?).by(requester);
            let r = b.receive_request(intake)?;
            tracing::info!(request = %r.id(), "request received");
            emit_request(ctx, "received", &r);
        }
        RightsCommand::Identity {
            request,
            method,
            evidence,
            by,
            authority,
            failed,
        } => {
            let party = if authority {
                VerifiedParty::Authority
            } else {
                VerifiedParty::Requester
            };
            let mut check = IdentityVerification::verified(
                party,
                method,
                evidence.digest()?,
                actor("--by", &by)?,
                b.now(),
            );
            if failed {
                check = check.failed();
            }
            let r = b.record_identity(request, check)?;
            emit_request(ctx, "identity recorded", &r);
        }
        RightsCommand::AskEvidence { request } => {
            let r = b.ask_for_identity_evidence(request)?;
            emit_request(ctx, "evidence asked for", &r);
        }
        RightsCommand::Extend { request, reason } => {
            let r = b.extend_request(request, reason)?;
            emit_request(ctx, &format!("extended ({})", reason.code()), &r);
        }
        RightsCommand::Refuse {
            request,
            codes,
            language,
        } => {
            let stored = b.request(request)?;
            let contacts = b.rights_config()?.settings.contacts;
            let parts = codes
                .into_iter()
                .map(|code| {
                    Refusal::new(code, stored.kind().code(), stored.regime(), language, &contacts)
                        .map(AnswerPart::Refused)
                        .map_err(|e| CliError::from(BrokerageError::from(e)))
                })
                .collect::<Result<Vec<_>>>()?;
            let answer = Answer::new(parts).map_err(BrokerageError::from)?;
            let r = b.answer_request(request, answer)?;
            emit_request(ctx, "refused", &r);
        }
        RightsCommand::Release {
            request,
            out,
            language,
        } => {
            let stored = b.request(request)?;
            let (package, action) = package(&b, &stored, language)?;
            let bytes = package.to_bytes();
            // The file first: an answer is never recorded for a package the customer cannot be given.
            write_new(&out, &bytes)?;
            let r = match b.answer_request(request, Answer::done(action)) {
                Ok(r) => r,
                Err(e) => {
                    let _ = std::fs::remove_file(&out);
                    return Err(e.into());
                }
            };
            let digest = Digest::of(&bytes);
            ctx.emit(
                || format!("answered: {}; response package {} ({} categories, sha256 {})", line(&r), out.display(), package.data().len(), hex::encode(digest.as_bytes())),
                || {
                    let mut v = summary(&r);
                    v["package"] = serde_json::json!({ "out": out.display().to_string(), "categories": package.data().len(), "sha256": hex::encode(digest.as_bytes()) });
                    v
                },
            );
        }
        RightsCommand::DeletionPlan { request, operator } => {
            let operator = actor("--operator", &operator)?;
            match b.deletion_approval_request(request, &operator)? {
                Some(approval) => {
                    let digest = match approval.subject() {
                        custodia_access::ApprovalSubject::Document { digest, .. } => digest.clone(),
                        _ => String::new(),
                    };
                    ctx.emit(
                        || format!("request {request}: the erasure plan for {operator} has digest {digest}; two approvers sign it with `custodia rights delete --by ... --signing-key ...`"),
                        || serde_json::json!({ "request": request.to_string(), "operator": operator.as_str(), "erases": true, "digest": digest }),
                    );
                }
                None => ctx.emit(
                    || format!("request {request}: retention keeps everything; nothing to sign"),
                    || serde_json::json!({ "request": request.to_string(), "operator": operator.as_str(), "erases": false }),
                ),
            }
        }
        RightsCommand::Delete {
            request,
            operator,
            by,
            signing_key,
            language,
        } => {
            let operator = actor("--operator", &operator)?;
            let approvals = approvals(&b, request, &operator, &by, &signing_key)?;
            let done = b.answer_deletion(
                request,
                ErasureRun {
                    operator,
                    approvals,
                    language,
                },
            )?;
            let answer = done.request.answered().map(|a| &a.answer);
            let erased = answer.map_or(0, |a| {
                a.actions().filter(|x| matches!(x, Action::Erased { .. })).count()
            });
            let kept: Vec<&str> = answer
                .map(|a| a.refusals().map(|r| r.code().code()).collect())
                .unwrap_or_default();
            let outcome = answer.map(|a| a.outcome().code()).unwrap_or_default();
            let method = done.method.map(|m| format!("{m:?}"));
            ctx.emit(
                || format!("answered: {}; {outcome}: {erased} holdings erased ({}), {} kept ({}); certificates at ledger entries {:?}", line(&done.request), method.as_deref().unwrap_or("nothing erased"), kept.len(), kept.join(", "), done.certificates),
                || {
                    let mut v = summary(&done.request);
                    v["outcome"] = outcome.into();
                    v["erased"] = erased.into();
                    v["kept"] = serde_json::json!(kept);
                    v["method"] = serde_json::json!(method);
                    v["certificates"] = serde_json::json!(done.certificates);
                    v
                },
            );
        }
        RightsCommand::Correct { request, values, by } => {
            let customer = b.request(request)?.customer();
            let current = b.read_customer_trusted(customer)?;
            let fields = corrected(&current, &values)?;
            let r = b.answer_correction(
                request,
                custodia_brokerage::Update {
                    customer,
                    from_version: current.version().number(),
                    fields,
                    by: actor("--by", &by)?,
                },
            )?;
            let version = r.answered().and_then(|a| {
                a.answer.actions().find_map(|x| match x {
                    Action::Corrected { version, .. } => Some(*version),
                    _ => None,
                })
            });
            ctx.emit(
                || {
                    format!(
                        "answered: {}; the record is now at version {}",
                        line(&r),
                        version.unwrap_or_default()
                    )
                },
                || {
                    let mut v = summary(&r);
                    v["version"] = serde_json::json!(version);
                    v
                },
            );
        }
        RightsCommand::ConsentChange {
            request,
            notice,
            evidence,
            by,
        } => {
            let notice = notice_of(&notice)?;
            let done = b.answer_consent_change(
                request,
                notice.reference(),
                evidence.digest()?,
                actor("--by", &by)?,
            )?;
            ctx.emit(
                || {
                    format!(
                        "answered: {}; consent event {} at ledger entry {}; {} recipients to tell",
                        line(&done.request),
                        done.event.id(),
                        done.entry,
                        done.recipients
                    )
                },
                || {
                    let mut v = summary(&done.request);
                    v["event"] = done.event.id().to_string().into();
                    v["entry"] = done.entry.into();
                    v["recipients"] = done.recipients.into();
                    v
                },
            );
        }
        RightsCommand::Receipt { request, out } => {
            let bytes = b.issue_receipt(request)?;
            write_new(&out, &bytes)?;
            let keys = b.rights_keys();
            ctx.emit(
                || format!("request {request}: response receipt written to {}; the customer verifies it with `custodia verify rights-receipt`", out.display()),
                || serde_json::json!({ "request": request.to_string(), "out": out.display().to_string(), "signing": hex::encode(keys.signing.as_bytes()), "ledger_vkey": keys.ledger.to_vkey() }),
            );
        }
        RightsCommand::Show { request } => {
            let r = b.request(request)?;
            let history = b.request_history(request)?;
            ctx.emit(
                || {
                    let mut out = line(&r);
                    for (index, entry) in &history {
                        out.push_str(&format!("\n  entry {index}  {}  {}", entry.at.to_rfc3339(), entry.step.code()));
                    }
                    out
                },
                || {
                    let mut v = summary(&r);
                    v["steps"] = history
                        .iter()
                        .map(|(index, entry)| serde_json::json!({ "entry": index, "at": entry.at, "step": entry.step.code() }))
                        .collect();
                    v
                },
            );
        }
        RightsCommand::List => {
            let open = b.open_requests()?;
            ctx.emit(
                || {
                    let mut out = format!("{} open requests", open.len());
                    for r in &open {
                        out.push_str(&format!("\n  {}", line(r)));
                    }
                    out
                },
                || open.iter().map(summary).collect(),
            );
        }
        RightsCommand::EeaCalendar {
            jurisdiction,
            calendar,
        } => {
            let state = custodia_model::Jurisdiction::new(&jurisdiction)
                .map_err(|_| CliError::input("--jurisdiction", "not an ISO 3166 alpha-2 code"))?;
            let shown = calendar.display().to_string();
            let days: custodia_model::WorkingDayCalendar = custodia_model::from_json(&read(&calendar)?)
                .map_err(|e| CliError::input(&shown, e.to_string()))?;
            let eea = custodia_rights::EeaCalendar::new(days, state)
                .map_err(|e| CliError::input("--jurisdiction", e.to_string()))?;
            let mut config = b.rights_config()?;
            config.eea = Some(eea);
            b.set_rights_config(&config)?;
            ctx.emit(
                || format!("GDPR deadlines now run on the {jurisdiction} establishment's calendar ({shown})"),
                || serde_json::json!({ "jurisdiction": jurisdiction, "calendar": shown }),
            );
        }
        RightsCommand::Overdue => {
            let overdue = b.overdue_requests()?;
            ctx.emit(
                || {
                    let mut out = format!("{} overdue requests", overdue.len());
                    for o in &overdue {
                        out.push_str(&format!(
                            "\n  {}  customer {}  {}  {}  closed {}",
                            o.request,
                            o.customer,
                            o.kind,
                            o.state.code(),
                            o.closed_at.to_rfc3339()
                        ));
                    }
                    out
                },
                || serde_json::to_value(&overdue).unwrap_or_default(),
            );
        }
    }
    Ok(())
}
