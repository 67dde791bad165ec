//! `access ...`: principals, the gated read, the access log and the bulk-read alerts over the brokerage's
//! access API (custodia-access; PIPL Arts 6, 51: least privilege, purpose, trained staff; Cybersecurity Law
//! Art 21(3): the log kept).
//!
//! A gated read asks the gate for each category; its decision, allow or deny, is on the ledger before
//! anything is shown. What the CLI shows of an allowed read is masked with the model's masks (identity and
//! contact), and the other categories only by their number of entries: the terminal never gets the
//! plaintext.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use custodia_access::{
    AccessEntry, ApprovalId, Course, Department, Principal, PrincipalFields, PrincipalKind, Role, Ticket,
    TrainingRecord,
};
use custodia_brokerage::ReadRequest;
use custodia_crypto::SigningKey;
use custodia_model::{ActorId, ContactSection, CustomerId, DataCategory, Party, Purpose};

use crate::context::Context;
use crate::error::{CliError, Result};
use crate::rights::code;

/// The access commands.
#[derive(Subcommand)]
pub enum AccessCommand {
    /// Principals: who may read, in which roles, for which purposes.
    #[command(subcommand)]
    Principal(PrincipalCommand),
    /// A gated read of one customer's categories for a purpose, shown masked (the decision is on the ledger,
    /// allow or deny; a denial exits 4 naming the categories and policies).
    #[command(
        after_help = "Example:\n  custodia --store ./broker access read --principal emp-0001 --customer <ID> --category identity --category contact --purpose policy_servicing"
    )]
    Read {
        /// Who reads.
        #[arg(long)]
        principal: String,
        /// Whose data.
        #[arg(long)]
        customer: CustomerId,
        /// A category to read (repeat).
        #[arg(long, required = true, value_parser = code::<DataCategory>)]
        category: Vec<DataCategory>,
        /// The purpose of the read (PIPL Art 6).
        #[arg(long, value_parser = code::<Purpose>)]
        purpose: Purpose,
        /// The ticket, case or incident the read is for (an id in the brokerage's system).
        #[arg(long)]
        ticket: Option<String>,
        /// A stored approval that elevates the read.
        #[arg(long)]
        approval: Option<uuid::Uuid>,
    },
    /// The access log of a customer: every read decision about them, allow or deny (who read my data and why).
    #[command(
        after_help = "Example:\n  custodia --store ./broker access log --customer <ID> --from 2026-06-01T00:00:00Z --to 2026-07-01T00:00:00Z"
    )]
    Log {
        /// The customer.
        #[arg(long)]
        customer: CustomerId,
        /// Only this principal's entries.
        #[arg(long)]
        principal: Option<String>,
        /// Only entries at or after this time (RFC 3339).
        #[arg(long, value_parser = crate::parse_now)]
        from: Option<DateTime<Utc>>,
        /// Only entries before this time.
        #[arg(long, value_parser = crate::parse_now)]
        to: Option<DateTime<Utc>>,
    },
    /// The alerts the bulk-read monitors raised, oldest first.
    #[command(after_help = "Example:\n  custodia --store ./broker access alerts --json")]
    Alerts,
}

/// The principal commands.
#[derive(Subcommand)]
pub enum PrincipalCommand {
    /// Store a principal and write their new Ed25519 signing key to a file (mode 0600; must not exist).
    #[command(
        after_help = "Example:\n  custodia --store ./broker access principal add --id emp-0001 --role account_manager --department service --purpose policy_servicing --course pi-protection --passed-at 2026-05-01T09:00:00+08:00 --valid-until 2027-05-01T09:00:00+08:00 --key-out emp-0001.key"
    )]
    Add {
        /// The principal's actor id.
        #[arg(long)]
        id: String,
        /// A role (repeat): account_manager, marketing, compliance, approver, … as the policies name them.
        #[arg(long, required = true)]
        role: Vec<String>,
        /// The department.
        #[arg(long)]
        department: String,
        /// A purpose the principal's work serves (repeat).
        #[arg(long, value_parser = code::<Purpose>)]
        purpose: Vec<Purpose>,
        /// A system account rather than a member of staff.
        #[arg(long)]
        service: bool,
        /// A training course passed (PIPL Art 51(4); the gate needs pi-protection).
        #[arg(long, requires_all = ["passed_at", "valid_until"])]
        course: Option<String>,
        /// When it was passed.
        #[arg(long, value_parser = crate::parse_now, requires = "course")]
        passed_at: Option<DateTime<Utc>>,
        /// Until when it is valid.
        #[arg(long, value_parser = crate::parse_now, requires = "course")]
        valid_until: Option<DateTime<Utc>>,
        /// Where to write the signing key (PKCS#8).
        #[arg(long, value_name = "FILE")]
        key_out: PathBuf,
    },
    /// A stored principal: roles, department, purposes, training (public record only).
    #[command(after_help = "Example:\n  custodia --store ./broker access principal show --id emp-0001")]
    Show {
        /// The principal's actor id.
        #[arg(long)]
        id: String,
    },
}

fn actor(flag: &'static str, id: &str) -> Result<ActorId> {
    ActorId::new(id).map_err(|_| CliError::input(flag, "not an actor id"))
}

/// The masked view of one section: identity and contact with the model's masks, the others by count.
fn masked(category: DataCategory, plain: &[u8]) -> serde_json::Value {
    let unreadable = || serde_json::json!({ "masked": "section not shown" });
    match category {
        DataCategory::Identity => match custodia_model::from_json::<Party>(plain) {
            Ok(Party::Person(p)) => {
                serde_json::json!({ "name": p.name().mask(), "document": p.document().mask() })
            }
            Ok(Party::Organization(o)) => {
                serde_json::json!({ "name": o.name.as_str(), "credit_code": o.credit_code.mask() })
            }
            Err(_) => unreadable(),
        },
        DataCategory::Contact => match custodia_model::from_json::<ContactSection>(plain) {
            Ok(c) => serde_json::json!({
                "mobile": c.mobile.as_ref().map(|m| m.mask()),
                "phone": c.phone.as_ref().map(|m| m.mask()),
                "email": c.email.as_ref().map(|m| m.mask()),
                "address": c.address.as_ref().map(|m| m.mask()),
            }),
            Err(_) => unreadable(),
        },
        _ => match custodia_model::from_json::<serde_json::Value>(plain) {
            Ok(serde_json::Value::Array(items)) => serde_json::json!({ "entries": items.len() }),
            Ok(serde_json::Value::Null) => serde_json::json!({ "entries": 0 }),
            Ok(_) => serde_json::json!({ "entries": 1 }),
            Err(_) => unreadable(),
        },
    }
}

fn entry_json(index: u64, e: &AccessEntry) -> serde_json::Value {
    serde_json::json!({
        "entry": index,
        "at": e.at(),
        "principal": e.principal().as_str(),
        "purpose": e.purpose(),
        "effect": e.effect(),
        "categories": e.categories().iter().map(|c| c.code()).collect::<Vec<_>>(),
        "permitted": e.permitted().iter().map(|c| c.code()).collect::<Vec<_>>(),
        "ticket": e.ticket().map(|t| t.as_str().to_owned()),
        "approval": e.approval().map(|a| a.to_string()),
    })
}

fn principal_json(p: &Principal) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_default()
}

/// Runs one `access` command.
pub fn run(ctx: &Context, command: AccessCommand) -> Result<()> {
    let b = ctx.open()?;
    match command {
        AccessCommand::Principal(PrincipalCommand::Add {
            id,
            role,
            department,
            purpose,
            service,
            course,
            passed_at,
            valid_until,
            key_out,
        }) => {
            let id = actor("--id", &id)?;
            if b.principal(&id)?.is_some() {
                return Err(CliError::input(
                    "--id",
                    format!("principal {id} already exists; a principal is added once"),
                ));
            }
            let training = match (course, passed_at, valid_until) {
                (Some(course), Some(passed), Some(until)) => {
                    vec![TrainingRecord::new(Course::new(&course)?, passed, until)?]
                }
                _ => Vec::new(),
            };
            let key = SigningKey::generate()
                .map_err(|_| CliError::input("--key-out", "no key could be generated"))?;
            let principal = Principal::new(PrincipalFields {
                id: id.clone(),
                kind: if service {
                    PrincipalKind::Service
                } else {
                    PrincipalKind::Staff
                },
                roles: role
                    .iter()
                    .map(|r| Role::new(r))
                    .collect::<std::result::Result<BTreeSet<_>, _>>()?,
                department: Department::new(&department)?,
                purposes: purpose.into_iter().collect(),
                training,
                verifying_key: key.verifying_key(),
            })?;
            crate::approver::write_secret(&key_out, key.expose_pkcs8())?;
            b.put_principal(&principal)?;
            ctx.emit(
                || {
                    format!(
                        "principal {id} stored; signing key written to {} (mode 0600)",
                        key_out.display()
                    )
                },
                || serde_json::json!({ "principal": id.as_str(), "key_file": key_out.display().to_string() }),
            );
        }
        AccessCommand::Principal(PrincipalCommand::Show { id }) => {
            let id = actor("--id", &id)?;
            let Some(p) = b.principal(&id)? else {
                return Err(CliError::input(
                    "--id",
                    format!("no principal {id} in this store"),
                ));
            };
            let v = principal_json(&p);
            ctx.emit(
                || serde_json::to_string_pretty(&v).unwrap_or_default(),
                || v.clone(),
            );
        }
        AccessCommand::Read {
            principal,
            customer,
            category,
            purpose,
            ticket,
            approval,
        } => {
            let ticket = ticket.map(|t| Ticket::new(&t)).transpose()?;
            let got = b.read(ReadRequest {
                principal: actor("--principal", &principal)?,
                customer,
                categories: category.iter().collect(),
                purpose,
                ticket,
                approval: approval
                    .map(ApprovalId::from_uuid)
                    .transpose()
                    .map_err(|_| CliError::input("--approval", "not an approval id"))?,
            })?;
            let sections: serde_json::Map<String, serde_json::Value> = got
                .sections
                .iter()
                .map(|(c, plain)| (c.code().to_owned(), masked(*c, plain)))
                .collect();
            let index = got.entry_index;
            ctx.emit(
                || {
                    let mut out = format!("read of customer {customer} allowed (access entry {index}), masked:");
                    for (c, v) in &sections {
                        out.push_str(&format!("\n  {c}: {v}"));
                    }
                    out
                },
                || serde_json::json!({ "customer": customer.to_string(), "entry": index, "sections": sections }),
            );
        }
        AccessCommand::Log {
            customer,
            principal,
            from,
            to,
        } => {
            let principal = principal.map(|p| actor("--principal", &p)).transpose()?;
            let entries: Vec<(u64, AccessEntry)> = b
                .access_log_of(customer)?
                .into_iter()
                .filter(|(_, e)| principal.as_ref().is_none_or(|p| e.principal() == p))
                .filter(|(_, e)| from.is_none_or(|f| e.at() >= f))
                .filter(|(_, e)| to.is_none_or(|t| e.at() < t))
                .collect();
            ctx.emit(
                || {
                    let mut out = format!("{} access entries about customer {customer}", entries.len());
                    for (i, e) in &entries {
                        let categories: Vec<&str> = e.categories().iter().map(|c| c.code()).collect();
                        out.push_str(&format!(
                            "\n  entry {i}  {}  {}  {:?}  purpose {}  {}",
                            e.at().to_rfc3339(),
                            e.principal(),
                            e.effect(),
                            serde_json::to_value(e.purpose()).unwrap_or_default(),
                            categories.join(",")
                        ));
                    }
                    out
                },
                || entries.iter().map(|(i, e)| entry_json(*i, e)).collect(),
            );
        }
        AccessCommand::Alerts => {
            let alerts = b.alerts()?;
            ctx.emit(
                || {
                    let mut out = format!("{} alerts", alerts.len());
                    for a in &alerts {
                        out.push_str(&format!(
                            "\n  {}  {:?}  {:?}  principal {}  {} entries",
                            a.at.to_rfc3339(),
                            a.severity,
                            a.kind,
                            a.principal,
                            a.entries.len()
                        ));
                    }
                    out
                },
                || serde_json::to_value(&alerts).unwrap_or_default(),
            );
        }
    }
    Ok(())
}
