//! `incident ...`: the incident register over the brokerage's oversight API (PIPL Art 57; NDSR Art 11; the
//! CAC 2025 reporting measures; GDPR Arts 33, 34): register what happened, derive who is affected from
//! facts (exposed KEK versions, a principal's reads in a window, a stated list), carry out remedies (rotate
//! the KEK, revoke a principal, force customers to verify their identity again), record the reports sent
//! and the decision about individuals, mark it handled, write the notices (zh-CN and en) to files, and show
//! the reporting clocks and what is overdue.
//!
//! The register and its ledger entries hold ids, codes, counts and digests; a cause's free text is never
//! taken here. The notices go to files, not to the terminal.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use custodia_brokerage::{Brokerage, OldKeks};
use custodia_model::{ActorId, CustomerId, DataCategory};
use custodia_oversight::{
    Cause, ClockState, Duty, Exposure, Incident, IncidentId, IncidentKind, IndividualsDecision, Level,
    NewIncident, NoNoticeReason, ReportSent, SystemCode,
};

use crate::context::{Context, read, write_new};
use crate::error::{CliError, Result};
use crate::rights::code;

/// The incident's commands.
#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Register an incident (PIPL Art 57: act at once): prints its id, level and clocks.
    #[command(
        after_help = "Kinds: leak, tampering, loss, unavailability. Causes: unknown, credential_compromise, \
key_exposure, misdelivery, insider, intrusion, system_failure. Levels: general, larger, major, especially_major.\n\n\
Example:\n  custodia --store ./broker incident register --kind leak --category identity --category contact --system crm --cause credential_compromise --discovered-at 2026-06-02T09:30:00+08:00 --by sec-1"
    )]
    Register {
        /// What happened to the data.
        #[arg(long, value_parser = code::<IncidentKind>)]
        kind: IncidentKind,
        /// A data category involved (repeat).
        #[arg(long, required = true, value_parser = code::<DataCategory>)]
        category: Vec<DataCategory>,
        /// A system involved, by code (a-z, 0-9, '.', '-', '_'; repeat).
        #[arg(long, required = true)]
        system: Vec<String>,
        /// The cause as known.
        #[arg(long, value_parser = code::<Cause>, default_value = "unknown")]
        cause: Cause,
        /// When it was discovered (RFC 3339); the drill clock or now otherwise.
        #[arg(long, value_name = "RFC3339", value_parser = crate::parse_now)]
        discovered_at: Option<DateTime<Utc>>,
        /// The level the brokerage states, if it knows better than the count.
        #[arg(long, value_parser = code::<Level>)]
        level: Option<Level>,
        /// Who registers it.
        #[arg(long)]
        by: String,
    },
    /// Derive who the incident affects from facts: exposed KEK versions, principals' reads in a window, a
    /// stated list of customers. Deriving again replaces the set.
    #[command(
        after_help = "Example:\n  custodia --store ./broker incident affected --incident <ID> --kek-version 1 --principal clerk-7 --from 2026-06-01T00:00:00Z --to 2026-06-02T00:00:00Z --by sec-1"
    )]
    Affected {
        /// The incident id.
        #[arg(long, value_parser = incident_id)]
        incident: IncidentId,
        /// A KEK version whose key material was exposed (repeat).
        #[arg(long)]
        kek_version: Vec<u32>,
        /// An exposed principal (repeat, one per --from and --to, in the same order).
        #[arg(long)]
        principal: Vec<String>,
        /// The start of that principal's exposure window (RFC 3339).
        #[arg(long, value_parser = crate::parse_now)]
        from: Vec<DateTime<Utc>>,
        /// Its end.
        #[arg(long, value_parser = crate::parse_now)]
        to: Vec<DateTime<Utc>>,
        /// A customer known to be affected (repeat).
        #[arg(long)]
        customer: Vec<CustomerId>,
        /// A file of customer ids known to be affected, one per line.
        #[arg(long, value_name = "FILE")]
        customers_file: Option<PathBuf>,
        /// When the exposure began (data shredded before it is unaffected).
        #[arg(long, value_parser = crate::parse_now)]
        since: Option<DateTime<Utc>>,
        /// A sealed copy of the store left the brokerage (e.g. a lost backup).
        #[arg(long)]
        sealed_copy: bool,
        /// Who derives it.
        #[arg(long)]
        by: String,
    },
    /// Carry out a remedy and record it on the incident.
    #[command(subcommand)]
    Remedy(RemedyCommand),
    /// Record a report sent to an authority (CAC first report, remaining items, summary; PIPL Art 57; GDPR Art 33).
    #[command(
        after_help = "Duties: cac_first_report, cac_remaining_items, cac_summary, pipl57_authority, gdpr_authority, individuals.\n\n\
Example:\n  custodia --store ./broker incident report --incident <ID> --duty cac_first_report --reference CAC-2026-0602-17 --by dpo-1"
    )]
    Report {
        /// The incident id.
        #[arg(long, value_parser = incident_id)]
        incident: IncidentId,
        /// Which duty the report meets.
        #[arg(long, value_parser = code::<Duty>)]
        duty: Duty,
        /// When it was sent (RFC 3339); the drill clock or now otherwise.
        #[arg(long, value_parser = crate::parse_now)]
        sent_at: Option<DateTime<Utc>>,
        /// The authority's or the brokerage's reference of it (A-Z, a-z, 0-9, '.', '-', '_', '/').
        #[arg(long)]
        reference: String,
        /// Who sent it.
        #[arg(long)]
        by: String,
    },
    /// Record the decision about individuals (PIPL Art 57): notified (how many), or not (only when the
    /// derived set shows the measures avoided harm).
    #[command(
        after_help = "Reasons for not notifying: sealed_under_unexposed_keys, shredded_before_exposure.\n\n\
Examples:\n  custodia --store ./broker incident individuals --incident <ID> --notified 412 --by dpo-1\n  custodia --store ./broker incident individuals --incident <ID> --not-notified sealed_under_unexposed_keys --by dpo-1"
    )]
    Individuals {
        /// The incident id.
        #[arg(long, value_parser = incident_id)]
        incident: IncidentId,
        /// They were notified: how many people.
        #[arg(
            long,
            value_name = "PEOPLE",
            conflicts_with = "not_notified",
            required_unless_present = "not_notified"
        )]
        notified: Option<u64>,
        /// They were not, for this reason.
        #[arg(long, value_name = "REASON", value_parser = code::<NoNoticeReason>)]
        not_notified: Option<NoNoticeReason>,
        /// Who decided.
        #[arg(long)]
        by: String,
    },
    /// Record that handling ended (the summary report's clock starts).
    #[command(
        after_help = "Example:\n  custodia --store ./broker incident handled --incident <ID> --by sec-1"
    )]
    Handled {
        /// The incident id.
        #[arg(long, value_parser = incident_id)]
        incident: IncidentId,
        /// Who closes the handling.
        #[arg(long)]
        by: String,
    },
    /// Write the notices to individuals (PIPL Art 57's items) in zh-CN and en into a new folder.
    #[command(
        after_help = "Example:\n  custodia --store ./broker incident notices --incident <ID> --out ./notices-2026-06"
    )]
    Notices {
        /// The incident id.
        #[arg(long, value_parser = incident_id)]
        incident: IncidentId,
        /// A new folder: notice-zh-CN.txt, notice-en.txt and notices.json.
        #[arg(long)]
        out: PathBuf,
    },
    /// Set the contact the notices name (PIPL Art 57(3)): the brokerage, its channel, the PI protection
    /// officer (needed once the brokerage holds the threshold's number of people).
    #[command(
        after_help = "Example:\n  custodia --store ./broker incident contact --controller 示例保险经纪有限公司 --channel privacy@broker.example --officer 个人信息保护负责人"
    )]
    Contact {
        /// The brokerage's name.
        #[arg(long)]
        controller: String,
        /// The brokerage's channel (an e-mail address or telephone number of the brokerage's, never a person's own).
        #[arg(long)]
        channel: String,
        /// The PI protection officer, if one is designated.
        #[arg(long)]
        officer: Option<String>,
    },
    /// One incident: kind, level, affected count, remedies, reports, timeline.
    #[command(after_help = "Example:\n  custodia --store ./broker incident show --incident <ID> --json")]
    Show {
        /// The incident id.
        #[arg(long, value_parser = incident_id)]
        incident: IncidentId,
    },
    /// Every incident, oldest first.
    #[command(after_help = "Example:\n  custodia --store ./broker incident list")]
    List,
    /// Every incident's reporting clocks at the drill clock or now.
    #[command(
        after_help = "Example:\n  custodia --store ./broker --now 2026-06-03T09:00:00+08:00 incident clocks"
    )]
    Clocks,
    /// The clocks past due and unmet (exit 0; the list is the answer).
    #[command(after_help = "Example:\n  custodia --store ./broker incident overdue --json")]
    Overdue,
}

/// The remedies carried out through the brokerage.
#[derive(Subcommand)]
pub enum RemedyCommand {
    /// Rotate the KEK and re-wrap every data key.
    #[command(
        after_help = "Example:\n  custodia --store ./broker incident remedy rotate-kek --incident <ID> --retire --by sec-1"
    )]
    RotateKek {
        /// The incident id.
        #[arg(long, value_parser = incident_id)]
        incident: IncidentId,
        /// Stop the previous KEK versions from unwrapping.
        #[arg(long)]
        retire: bool,
        /// Who carries it out.
        #[arg(long)]
        by: String,
    },
    /// Revoke a principal: its every read is denied from now on (its key stays, for history).
    #[command(
        after_help = "Example:\n  custodia --store ./broker incident remedy revoke --incident <ID> --principal clerk-7 --by sec-1"
    )]
    Revoke {
        /// The incident id.
        #[arg(long, value_parser = incident_id)]
        incident: IncidentId,
        /// The principal.
        #[arg(long)]
        principal: String,
        /// Who carries it out.
        #[arg(long)]
        by: String,
    },
    /// Force customers to verify their identity again, by a document inspected from now on, before their
    /// next request is acted on (GDPR Art 12(6); PIPL Arts 50, 51).
    #[command(
        after_help = "Example:\n  custodia --store ./broker incident remedy reverify --incident <ID> --affected --by sec-1"
    )]
    Reverify {
        /// The incident id.
        #[arg(long, value_parser = incident_id)]
        incident: IncidentId,
        /// A customer (repeat).
        #[arg(long, required_unless_present = "affected")]
        customer: Vec<CustomerId>,
        /// Every customer of the incident's derived affected set.
        #[arg(long, conflicts_with = "customer")]
        affected: bool,
        /// Who carries it out.
        #[arg(long)]
        by: String,
    },
}

/// An incident id as printed (`inc-<UUID>`) or its bare UUID.
fn incident_id(text: &str) -> std::result::Result<IncidentId, String> {
    let bare = text.strip_prefix("inc-").unwrap_or(text);
    uuid::Uuid::parse_str(bare)
        .map(|u| IncidentId::from_bytes(*u.as_bytes()))
        .map_err(|_| "not an incident id (inc-<UUID>)".to_owned())
}

fn actor(flag: &'static str, id: &str) -> Result<ActorId> {
    ActorId::new(id).map_err(|_| CliError::input(flag, "not an actor id"))
}

fn summary(i: &Incident) -> serde_json::Value {
    serde_json::json!({
        "incident": i.id.to_string(),
        "kind": i.kind.code(),
        "cause": i.cause.code(),
        "discovered_at": i.discovered_at,
        "categories": i.categories.iter().map(|c| c.code()).collect::<Vec<_>>(),
        "systems": i.systems.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "stated_level": i.stated_level.map(|l| l.code()),
        "affected": i.affected,
        "remedies": i.remedies.len(),
        "reports": i.reports.iter().map(|r| r.duty.code()).collect::<Vec<_>>(),
        "individuals": i.individuals,
        "handled_at": i.handled_at,
    })
}

fn line(i: &Incident) -> String {
    let affected = i.affected.as_ref().map_or_else(
        || "affected not derived".to_owned(),
        |a| format!("{} people affected", a.people),
    );
    format!(
        "{}  {}  cause {}  discovered {}  {affected}  {} remedies  {} reports{}",
        i.id,
        i.kind.code(),
        i.cause.code(),
        i.discovered_at.to_rfc3339(),
        i.remedies.len(),
        i.reports.len(),
        if i.handled_at.is_some() { "  handled" } else { "" }
    )
}

fn emit_incident(ctx: &Context, what: &str, i: &Incident) {
    ctx.emit(|| format!("{what}: {}", line(i)), || summary(i));
}

fn clock_line(id: IncidentId, c: &ClockState) -> String {
    let due = c
        .due
        .map_or_else(|| "no deadline".to_owned(), |d| format!("due {}", d.to_rfc3339()));
    let state = match (c.met, c.overdue, c.late) {
        (Some(m), _, true) => format!("met late {}", m.to_rfc3339()),
        (Some(m), _, false) => format!("met {}", m.to_rfc3339()),
        (None, true, _) => "OVERDUE".to_owned(),
        (None, false, _) => "open".to_owned(),
    };
    format!("{id}  {}  {due}  {state}  ({})", c.duty.code(), c.source)
}

fn clocks_json(clocks: &[(IncidentId, ClockState)]) -> serde_json::Value {
    clocks
        .iter()
        .map(|(id, c)| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["incident"] = id.to_string().into();
            v
        })
        .collect()
}

fn customers_of(path: &std::path::Path) -> Result<Vec<CustomerId>> {
    let text = String::from_utf8(read(path)?)
        .map_err(|_| CliError::input(path.display().to_string(), "not UTF-8"))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            l.trim().parse::<CustomerId>().map_err(|_| {
                CliError::input(
                    path.display().to_string(),
                    format!("line {}: not a customer id", n + 1),
                )
            })
        })
        .collect()
}

/// Runs one `incident` command.
pub fn run(ctx: &Context, command: IncidentCommand) -> Result<()> {
    let b = ctx.open()?;
    match command {
        IncidentCommand::Register {
            kind,
            category,
            system,
            cause,
            discovered_at,
            level,
            by,
        } => {
            let systems = system
                .iter()
                .map(|s| {
                    SystemCode::new(s).map_err(|_| {
                        CliError::input("--system", "expected 1 to 64 of a-z, 0-9, '.', '-', '_'")
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let incident = b.register_incident(NewIncident {
                discovered_at: discovered_at.unwrap_or_else(|| b.now()),
                kind,
                systems,
                categories: category.iter().collect(),
                cause,
                stated_level: level,
                by: actor("--by", &by)?,
            })?;
            tracing::info!(incident = %incident.id, "incident registered");
            emit_incident(ctx, "registered", &incident);
        }
        IncidentCommand::Affected {
            incident,
            kek_version,
            principal,
            from,
            to,
            customer,
            customers_file,
            since,
            sealed_copy,
            by,
        } => {
            if principal.len() != from.len() || principal.len() != to.len() {
                return Err(CliError::input(
                    "--principal",
                    format!(
                        "{} principals, {} --from and {} --to: give one window per principal",
                        principal.len(),
                        from.len(),
                        to.len()
                    ),
                ));
            }
            let principals = principal
                .iter()
                .zip(from.iter().zip(&to))
                .map(|(p, (f, t))| Ok((actor("--principal", p)?, *f, *t)))
                .collect::<Result<Vec<_>>>()?;
            let mut stated: BTreeSet<CustomerId> = customer.into_iter().collect();
            if let Some(path) = customers_file {
                stated.extend(customers_of(&path)?);
            }
            let exposure = Exposure {
                since,
                kek_versions: kek_version.into_iter().collect(),
                principals,
                stated,
                sealed_copy,
            };
            let derived = b.derive_affected(incident, &exposure, actor("--by", &by)?)?;
            let a = &derived.affected;
            ctx.emit(
                || {
                    format!(
                        "incident {incident}: {} customers affected ({} EU residents), {} unaffected",
                        a.affected.len(),
                        a.eu.len(),
                        a.unaffected.len()
                    )
                },
                || {
                    let mut v = summary(&derived.incident);
                    v["affected_customers"] = a.affected.keys().map(|c| c.to_string()).collect();
                    v
                },
            );
        }
        IncidentCommand::Remedy(remedy) => run_remedy(ctx, &b, remedy)?,
        IncidentCommand::Report {
            incident,
            duty,
            sent_at,
            reference,
            by,
        } => {
            let report = ReportSent {
                duty,
                at: sent_at.unwrap_or_else(|| b.now()),
                reference,
            };
            let i = b.record_incident_report(incident, report, actor("--by", &by)?)?;
            emit_incident(ctx, &format!("report recorded ({})", duty.code()), &i);
        }
        IncidentCommand::Individuals {
            incident,
            notified,
            not_notified,
            by,
        } => {
            let by = actor("--by", &by)?;
            let decision = match (notified, not_notified) {
                (Some(people), _) => IndividualsDecision::Notified { at: b.now(), people },
                (None, Some(reason)) => IndividualsDecision::NotNotified {
                    reason,
                    by: by.clone(),
                    at: b.now(),
                },
                (None, None) => {
                    return Err(CliError::Usage(
                        "give --notified <PEOPLE> or --not-notified <REASON>",
                    ));
                }
            };
            let i = b.decide_individuals(incident, decision, by)?;
            emit_incident(ctx, "individuals decided", &i);
        }
        IncidentCommand::Handled { incident, by } => {
            let i = b.incident_handled(incident, actor("--by", &by)?)?;
            emit_incident(ctx, "handled", &i);
        }
        IncidentCommand::Notices { incident, out } => {
            let (zh, en) = b.incident_notices(incident)?;
            std::fs::create_dir(&out).map_err(CliError::io("create", &out))?;
            write_new(&out.join("notice-zh-CN.txt"), zh.text.as_bytes())?;
            write_new(&out.join("notice-en.txt"), en.text.as_bytes())?;
            let both = serde_json::to_vec_pretty(&[&zh, &en])
                .map_err(|_| CliError::input("notices", "cannot render as JSON"))?;
            write_new(&out.join("notices.json"), &both)?;
            ctx.emit(
                || format!("incident {incident}: notices written to {} (notice-zh-CN.txt, notice-en.txt, notices.json)", out.display()),
                || serde_json::json!({ "incident": incident.to_string(), "out": out.display().to_string(), "files": ["notice-zh-CN.txt", "notice-en.txt", "notices.json"] }),
            );
        }
        IncidentCommand::Contact {
            controller,
            channel,
            officer,
        } => {
            for (flag, text) in [
                ("--controller", Some(&controller)),
                ("--channel", Some(&channel)),
                ("--officer", officer.as_ref()),
            ] {
                if text.is_some_and(|t| t.trim().is_empty() || t.chars().any(char::is_control)) {
                    return Err(CliError::input(flag, "empty or holds a control character"));
                }
            }
            let mut config = b.oversight_config()?;
            config.contact = custodia_oversight::Contact {
                controller,
                channel,
                officer,
            };
            b.set_oversight_config(&config)?;
            ctx.emit(
                || "the contact of incident notices is recorded (on the ledger by digest)".to_owned(),
                || serde_json::json!({ "contact": config.contact }),
            );
        }
        IncidentCommand::Show { incident } => {
            let i = b.incident(incident)?;
            let settings = b.oversight_config()?.reporting;
            let clocks: Vec<(IncidentId, ClockState)> = i
                .clocks(&settings, b.now())
                .into_iter()
                .map(|c| (i.id, c))
                .collect();
            ctx.emit(
                || {
                    let mut out = line(&i);
                    for step in &i.timeline {
                        out.push_str(&format!(
                            "\n  {}  {}  by {}",
                            step.at.to_rfc3339(),
                            step.step,
                            step.by
                        ));
                    }
                    for (id, c) in &clocks {
                        out.push_str(&format!("\n  clock {}", clock_line(*id, c)));
                    }
                    out
                },
                || {
                    let mut v = summary(&i);
                    v["timeline"] = serde_json::to_value(&i.timeline).unwrap_or_default();
                    v["clocks"] = clocks_json(&clocks);
                    v
                },
            );
        }
        IncidentCommand::List => {
            let all = b.incidents()?;
            ctx.emit(
                || {
                    let mut out = format!("{} incidents", all.len());
                    for i in &all {
                        out.push_str(&format!("\n  {}", line(i)));
                    }
                    out
                },
                || all.iter().map(summary).collect(),
            );
        }
        IncidentCommand::Clocks => {
            let clocks: Vec<(IncidentId, ClockState)> = b
                .incident_clocks()?
                .into_iter()
                .flat_map(|(id, cs)| cs.into_iter().map(move |c| (id, c)))
                .collect();
            emit_clocks(ctx, "clocks", &clocks);
        }
        IncidentCommand::Overdue => {
            let clocks = b.overdue_clocks()?;
            emit_clocks(ctx, "overdue clocks", &clocks);
        }
    }
    Ok(())
}

fn emit_clocks(ctx: &Context, what: &str, clocks: &[(IncidentId, ClockState)]) {
    ctx.emit(
        || {
            let mut out = format!("{} {what}", clocks.len());
            for (id, c) in clocks {
                out.push_str(&format!("\n  {}", clock_line(*id, c)));
            }
            out
        },
        || clocks_json(clocks),
    );
}

fn run_remedy(ctx: &Context, b: &Brokerage, remedy: RemedyCommand) -> Result<()> {
    match remedy {
        RemedyCommand::RotateKek { incident, retire, by } => {
            let old = if retire { OldKeks::Retire } else { OldKeks::Keep };
            let r = b.remedy_rotate_kek(incident, old, actor("--by", &by)?)?;
            ctx.emit(
                || format!("incident {incident}: KEK version {} in force (oldest that unwraps: {}); {} data keys re-wrapped", r.primary, r.min_decrypt, r.rewrapped),
                || serde_json::json!({ "incident": incident.to_string(), "primary": r.primary, "min_decrypt": r.min_decrypt, "rewrapped": r.rewrapped }),
            );
        }
        RemedyCommand::Revoke {
            incident,
            principal,
            by,
        } => {
            let i =
                b.remedy_revoke_principal(incident, &actor("--principal", &principal)?, actor("--by", &by)?)?;
            emit_incident(ctx, &format!("principal {principal} revoked"), &i);
        }
        RemedyCommand::Reverify {
            incident,
            customer,
            affected,
            by,
        } => {
            let customers: Vec<CustomerId> = if affected {
                let Some(set) = b.affected_of(incident)? else {
                    return Err(CliError::input(
                        "--affected",
                        format!(
                            "incident {incident} has no derived affected set (`custodia incident affected`)"
                        ),
                    ));
                };
                set.affected.keys().copied().collect()
            } else {
                customer
            };
            let i = b.remedy_force_reverification(incident, &customers, actor("--by", &by)?)?;
            ctx.emit(
                || format!("incident {incident}: {} customers must verify their identity again by an inspected document; {}", customers.len(), line(&i)),
                || {
                    let mut v = summary(&i);
                    v["reverify"] = customers.len().into();
                    v
                },
            );
        }
    }
    Ok(())
}
