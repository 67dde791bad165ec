//! `transfer ...`: the licence transfer as commands over a seller store and a buyer store, one step per call at its (drill) date, as `examples/license_transfer.rs` runs it in one process.
//!
//! The agreement travels as files: `party` puts a brokerage's keys into the terms, `agree` (seller) signs
//! the draft and writes an offer (the draft's canonical bytes and the seller's signature), `countersign`
//! (buyer) checks it, signs, and writes the signed agreement (`agreement.bin`, the envelope of
//! `SignedAgreement::encode`), which `open` (seller) and `import` (buyer) take.
//!
//! The law behind the steps is the brokerage's (see custodia-brokerage): the notices and the objection window
//! before anything moves (PIPL Art 22; Art 23 on the consent path), answers recorded as they arrive (Art 15
//! for withdrawals), what is still pending excluded at execution, the buyer bound to the agreed purposes (Art
//! 22), the seller's disposition of what it may no longer hold with two approvers (Art 47), and the report and
//! evidence kept (Arts 55, 56).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use custodia_brokerage::{BuyerCase, NoticeRound, Reached, SellerCase, WhilePending};
use custodia_consent::ConsentEvent;
use custodia_crypto::Signature;
use custodia_model::{ActorId, TransferId};
use custodia_transfer::{AgreementTerms, DraftAgreement, SellerSigned};
use serde::{Deserialize, Serialize};

use crate::context::{Context, read, write_new};
use crate::error::{CliError, Result};
use crate::progress::Bar;

/// Which side of the agreement a brokerage is.
#[derive(Clone, Copy, ValueEnum)]
pub enum Role {
    /// The seller.
    Seller,
    /// The buyer.
    Buyer,
}

/// The steps of disposition.
#[derive(Clone, Copy, ValueEnum)]
pub enum DisposeStep {
    /// Propose what is destroyed, kept storage-only or retained.
    Plan,
    /// Approve: sign every plan of the disposition with an approver's key (two different approvers are needed,
    /// neither of them who planned it).
    Approve,
    /// Carry it out.
    Execute,
}

/// The transfer's commands.
#[derive(Subcommand)]
pub enum TransferCommand {
    /// Put this brokerage's public keys into the terms as the seller or the buyer (writes new terms).
    #[command(
        after_help = "Example:\n  custodia --store ./buyer transfer party --terms terms.json --role buyer --out terms-buyer.json"
    )]
    Party {
        /// The terms (JSON, templates/terms.json).
        #[arg(long)]
        terms: PathBuf,
        /// Which party this brokerage is.
        #[arg(long, value_enum)]
        role: Role,
        /// Where to write the terms (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Seller: check the terms, sign them, and write the offer for the buyer.
    #[command(
        after_help = "Example:\n  custodia --store ./seller transfer agree --terms terms-buyer.json --out offer.json"
    )]
    Agree {
        /// The terms, with the buyer's keys in them (`transfer party`).
        #[arg(long)]
        terms: PathBuf,
        /// Where to write the offer (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Buyer: check the seller's signature on the offer, countersign, write the signed agreement.
    #[command(
        after_help = "Example:\n  custodia --store ./buyer transfer countersign offer.json --out agreement.bin"
    )]
    Countersign {
        /// The offer (`transfer agree`).
        offer: PathBuf,
        /// Where to write the signed agreement (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Seller: open the case of a signed agreement (idempotent).
    #[command(
        after_help = "Example:\n  custodia --store ./seller --now 2026-06-01T09:00:00+08:00 transfer open agreement.bin"
    )]
    Open {
        /// The signed agreement.
        agreement: PathBuf,
    },
    /// Seller: publish the transfer notices and serve a round of them (PIPL Arts 22, 23).
    #[command(
        after_help = "Example:\n  custodia --store ./seller --now 2026-06-01T09:00:00+08:00 transfer notify --transfer <ID>"
    )]
    Notify {
        /// The transfer id.
        #[arg(long)]
        transfer: TransferId,
        /// Serve only the next N customers not yet served (everyone otherwise).
        #[arg(long)]
        next: Option<NonZeroUsize>,
        /// Who serves them.
        #[arg(long, default_value = "notices-bot")]
        by: String,
    },
    /// Seller: record customers' answers (a JSON array of consent events) as they arrive.
    #[command(
        after_help = "Example:\n  custodia --store ./seller --now 2026-06-20T09:00:00+08:00 transfer respond --transfer <ID> answers.json"
    )]
    Respond {
        /// The transfer id.
        #[arg(long)]
        transfer: TransferId,
        /// The answers file.
        answers: PathBuf,
    },
    /// Seller: a preview of the plan, today.
    #[command(after_help = "Example:\n  custodia --store ./seller transfer plan --transfer <ID>")]
    Plan {
        /// The transfer id.
        #[arg(long)]
        transfer: TransferId,
    },
    /// Seller: execute the final plan (on or after the execution date).
    #[command(
        after_help = "Example:\n  custodia --store ./seller --now 2026-07-16T09:00:00+08:00 transfer execute --transfer <ID>"
    )]
    Execute {
        /// The transfer id.
        #[arg(long)]
        transfer: TransferId,
        /// Refuse while a decision is pending, instead of excluding what is pending.
        #[arg(long)]
        wait: bool,
    },
    /// Seller: write the package for the buyer.
    #[command(
        after_help = "Example:\n  custodia --store ./seller transfer package --transfer <ID> --out transfer.pkg"
    )]
    Package {
        /// The transfer id.
        #[arg(long)]
        transfer: TransferId,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Buyer: verify the package and adopt it atomically.
    #[command(
        after_help = "Example:\n  custodia --store ./buyer transfer import --agreement agreement.bin transfer.pkg"
    )]
    Import {
        /// The signed agreement.
        #[arg(long)]
        agreement: PathBuf,
        /// The package.
        package: PathBuf,
    },
    /// Buyer: sign the receipt (`--out`); seller: verify and record it (`--accept`).
    #[command(
        after_help = "Examples:\n  custodia --store ./buyer transfer receipt --transfer <ID> --out receipt.bin\n  custodia --store ./seller transfer receipt --transfer <ID> --accept receipt.bin"
    )]
    Receipt {
        /// The transfer id.
        #[arg(long)]
        transfer: TransferId,
        /// Buyer: where to write the signed receipt.
        #[arg(long, conflicts_with = "accept", required_unless_present = "accept")]
        out: Option<PathBuf>,
        /// Seller: the buyer's receipt to verify and record.
        #[arg(long)]
        accept: Option<PathBuf>,
    },
    /// Seller: the disposition of what stays — plan, approve (twice, two people), execute.
    #[command(
        after_help = "Example:\n  custodia --store ./seller transfer dispose plan --transfer <ID> --by ops-1\n  custodia --store ./seller transfer dispose approve --transfer <ID> --by dpo-1 --signing-key dpo-1.key"
    )]
    Dispose {
        /// The step.
        #[arg(value_enum)]
        step: DisposeStep,
        /// The transfer id.
        #[arg(long)]
        transfer: TransferId,
        /// Who proposes, approves or carries it out.
        #[arg(long)]
        by: String,
        /// approve: the approver's Ed25519 signing key (PKCS#8, from `custodia approver add`).
        #[arg(long, value_name = "FILE")]
        signing_key: Option<PathBuf>,
    },
    /// Seller: close the case and write its report (report.json, .md, .html) and evidence folder into DIR.
    #[command(
        after_help = "Example:\n  custodia --store ./seller transfer report --transfer <ID> --out ./closing"
    )]
    Report {
        /// The transfer id.
        #[arg(long)]
        transfer: TransferId,
        /// A new directory for the report and `evidence/`.
        #[arg(long)]
        out: PathBuf,
        /// A customer whose proof (moved, or stayed) goes into the evidence folder; repeat for more.
        #[arg(long, value_name = "CUSTOMER_ID")]
        prove: Vec<custodia_model::CustomerId>,
    },
    /// The state of a case in this store (seller or buyer).
    #[command(after_help = "Example:\n  custodia --store ./seller transfer status --transfer <ID>")]
    Status {
        /// The transfer id.
        #[arg(long)]
        transfer: TransferId,
    },
}

/// The offer a seller sends: the draft's canonical bytes and the seller's signature, in hex.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Offer {
    draft: String,
    seller_signature: String,
}

fn terms(path: &Path) -> Result<AgreementTerms> {
    custodia_model::from_json(&read(path)?)
        .map_err(|e| CliError::input(path.display().to_string(), e.to_string()))
}

/// The signed agreement at `path` (both signatures checked); refused as an input (exit 3).
fn signed_agreement(path: &Path) -> Result<custodia_transfer::SignedAgreement> {
    Ok(custodia_transfer::SignedAgreement::decode(&read(path)?)?)
}

fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|_| CliError::input("output", "cannot render as JSON"))
}

fn actor(id: &str) -> Result<ActorId> {
    Ok(ActorId::new(id)?)
}

fn seller<'b>(b: &'b custodia_brokerage::Brokerage, transfer: TransferId) -> Result<SellerCase<'b>> {
    Ok(b.seller_case(transfer)?)
}

fn buyer<'b>(b: &'b custodia_brokerage::Brokerage, transfer: TransferId) -> Result<BuyerCase<'b>> {
    Ok(b.buyer_case(transfer)?)
}

fn emit_value<T: Serialize>(ctx: &Context, human: String, value: &T) {
    ctx.emit(|| human, || serde_json::to_value(value).unwrap_or_default());
}

/// Runs one `transfer` command.
pub fn run(ctx: &Context, command: TransferCommand) -> Result<()> {
    let b = ctx.open()?;
    match command {
        TransferCommand::Party {
            terms: path,
            role,
            out,
        } => {
            let mut t = terms(&path)?;
            match role {
                Role::Seller => t.seller = b.as_party(&t.seller)?,
                Role::Buyer => t.buyer = b.as_party(&t.buyer)?,
            }
            write_new(&out, &json_bytes(&t)?)?;
            ctx.emit(
                || format!("terms with this brokerage's keys written to {}", out.display()),
                || serde_json::json!({ "out": out.display().to_string() }),
            );
        }
        TransferCommand::Agree { terms: path, out } => {
            let mut t = terms(&path)?;
            t.seller = b.as_party(&t.seller)?;
            let draft = DraftAgreement::new(t)?;
            let draft_bytes = draft.as_bytes().to_vec();
            let transfer = draft.terms().transfer_id;
            let signed = b.sign_as_seller(draft)?;
            let offer = Offer {
                draft: hex::encode(draft_bytes),
                seller_signature: hex::encode(signed.seller_signature().as_bytes()),
            };
            write_new(&out, &json_bytes(&offer)?)?;
            tracing::info!(transfer = %transfer, "agreement signed as seller");
            ctx.emit(
                || {
                    format!(
                        "transfer {transfer}: signed as seller; send {} to the buyer to countersign",
                        out.display()
                    )
                },
                || serde_json::json!({ "transfer": transfer.to_string(), "out": out.display().to_string() }),
            );
        }
        TransferCommand::Countersign { offer, out } => {
            let shown = offer.display().to_string();
            let o: Offer = custodia_model::from_json(&read(&offer)?)
                .map_err(|e| CliError::input(&shown, e.to_string()))?;
            let draft = hex::decode(&o.draft).map_err(|_| CliError::input(&shown, "draft: not hex"))?;
            let signature = hex::decode(&o.seller_signature)
                .map_err(|_| CliError::input(&shown, "seller_signature: not hex"))?;
            let signature = Signature::from_bytes(&signature)
                .map_err(|_| CliError::input(&shown, "seller_signature: not an Ed25519 signature"))?;
            let half = SellerSigned::from_parts(DraftAgreement::from_bytes(&draft)?, signature)?;
            let agreement = b.countersign_as_buyer(half)?;
            write_new(&out, &agreement.encode())?;
            let transfer = agreement.transfer_id();
            ctx.emit(
                || {
                    format!(
                        "transfer {transfer}: countersigned as buyer; the signed agreement is {}",
                        out.display()
                    )
                },
                || serde_json::json!({ "transfer": transfer.to_string(), "out": out.display().to_string() }),
            );
        }
        TransferCommand::Open { agreement } => {
            let agreement = signed_agreement(&agreement)?;
            let case = b.open_seller_case(&agreement)?;
            let (transfer, execution) = (case.transfer_id(), case.execution_date()?);
            ctx.emit(
                || {
                    format!(
                        "transfer {transfer}: seller case {}; execution not before {execution}",
                        case.state().map(|s| s.to_string()).unwrap_or_default()
                    )
                },
                || serde_json::json!({ "transfer": transfer.to_string(), "execution_date": execution }),
            );
        }
        TransferCommand::Notify { transfer, next, by } => {
            let case = seller(&b, transfer)?;
            let published = case.publish_notices()?;
            let reached = next.map_or(Reached::Everyone, Reached::Next);
            let mut round = NoticeRound::everyone(actor(&by)?);
            round.reached = reached;
            let served = case.serve_notices(round)?;
            tracing::info!(transfer = %transfer, served = served.served, total = served.total, "notices served");
            ctx.emit(
                || format!("transfer {transfer}: notices published; {} served now, {} in all ({} already served, {} not addressed)", served.served, served.total, served.already_served, served.not_addressed),
                || serde_json::json!({ "published": published, "served": served }),
            );
        }
        TransferCommand::Respond { transfer, answers } => {
            let case = seller(&b, transfer)?;
            let shown = answers.display().to_string();
            let events: Vec<ConsentEvent> = custodia_model::from_json(&read(&answers)?)
                .map_err(|e| CliError::input(&shown, e.to_string()))?;
            let (mut recorded, mut already) = (0u64, 0u64);
            let bar = Bar::new("recording answers");
            bar.set_total(events.len() as u64);
            for chunk in events.chunks(1024) {
                let r = case.record_responses(chunk)?;
                (recorded, already) = (recorded + r.recorded, already + r.already);
                bar.set(recorded + already);
            }
            drop(bar);
            ctx.emit(
                || format!("transfer {transfer}: {recorded} answers recorded ({already} already recorded)"),
                || serde_json::json!({ "recorded": recorded, "already": already }),
            );
        }
        TransferCommand::Plan { transfer } => {
            let p = seller(&b, transfer)?.preview_plan()?;
            let d = &p.decisions;
            let human = format!(
                "transfer {transfer} (preview): {} customers, {} moving; decisions: {} included, {} excluded, {} pending",
                p.customers,
                p.customers_moving,
                d.included(),
                d.excluded(),
                d.pending()
            );
            emit_value(ctx, human, &p);
        }
        TransferCommand::Execute { transfer, wait } => {
            let pending = if wait {
                WhilePending::Wait
            } else {
                WhilePending::Exclude
            };
            let p = seller(&b, transfer)?.execute(pending)?;
            let d = &p.decisions;
            let human = format!(
                "transfer {transfer} executed: {} customers, {} moving; decisions: {} included, {} excluded, {} pending",
                p.customers,
                p.customers_moving,
                d.included(),
                d.excluded(),
                d.pending()
            );
            emit_value(ctx, human, &p);
        }
        TransferCommand::Package { transfer, out } => {
            let w = seller(&b, transfer)?.write_package(&out)?;
            let human = format!(
                "transfer {transfer}: package {} written: {} customers, {} sections, {} bytes, root {}",
                w.path.display(),
                w.customers,
                w.sections,
                w.package_bytes,
                w.root
            );
            emit_value(ctx, human, &w);
        }
        TransferCommand::Import { agreement, package } => {
            let agreement = signed_agreement(&agreement)?;
            let case = b.open_buyer_case(&agreement)?;
            let bar = Bar::new("importing");
            let imported = case.import(&package, &mut bar.callback())?;
            drop(bar);
            let transfer = agreement.transfer_id();
            let human = format!(
                "transfer {transfer}: imported {} customers, {} sections opened, root {}",
                imported.customers, imported.sections_opened, imported.root
            );
            emit_value(ctx, human, &imported);
        }
        TransferCommand::Receipt {
            transfer,
            out,
            accept,
        } => match (out, accept) {
            (Some(out), _) => {
                let receipt = buyer(&b, transfer)?.sign_receipt()?;
                write_new(&out, &receipt)?;
                ctx.emit(
                    || {
                        format!(
                            "transfer {transfer}: receipt signed, written to {}",
                            out.display()
                        )
                    },
                    || serde_json::json!({ "out": out.display().to_string() }),
                );
            }
            (None, Some(file)) => {
                let v = seller(&b, transfer)?.verify_receipt(&read(&file)?)?;
                ctx.emit(
                    || format!("transfer {transfer}: the buyer's receipt verifies ({} customers) and is on the ledger at entry {}", v.customers, v.entry),
                    || serde_json::json!({ "customers": v.customers, "entry": v.entry, "rekeyed": v.rekeyed }),
                );
            }
            (None, None) => {
                return Err(CliError::input(
                    "receipt",
                    "give --out (buyer) or --accept (seller)",
                ));
            }
        },
        TransferCommand::Dispose {
            step,
            transfer,
            by,
            signing_key,
        } => {
            let case = seller(&b, transfer)?;
            let by = actor(&by)?;
            match step {
                DisposeStep::Plan => {
                    let c = case.plan_disposition(by)?;
                    let human = format!(
                        "transfer {transfer}: disposition planned for {} customers ({} whole); needs two approvals",
                        c.customers, c.whole_customers
                    );
                    emit_value(ctx, human, &c);
                }
                DisposeStep::Approve => {
                    let requests = case.disposition_requests()?;
                    if requests.is_empty() {
                        let state = case.approve_disposition(&[])?;
                        ctx.emit(
                            || format!("transfer {transfer}: the disposition destroys nothing, so there is nothing to sign; case {state}"),
                            || serde_json::json!({ "state": state.to_string(), "signed_plans": 0 }),
                        );
                        return Ok(());
                    }
                    let Some(key_file) = signing_key else {
                        return Err(CliError::input(
                            "--signing-key",
                            "approve needs the approver's signing key (`custodia approver add` writes one)",
                        ));
                    };
                    let key = crate::approver::load_key(&key_file)?;
                    let Some(principal) = b.principal(&by)? else {
                        return Err(CliError::input(
                            "--by",
                            format!("no principal {by} in this store (`custodia approver add`)"),
                        ));
                    };
                    let signed = requests
                        .iter()
                        .map(|r| r.sign(&principal, &key))
                        .collect::<std::result::Result<Vec<_>, _>>()?;
                    let state = case.approve_disposition(&signed)?;
                    ctx.emit(
                        || {
                            format!(
                                "transfer {transfer}: {} plans signed by {by}; case {state}",
                                signed.len()
                            )
                        },
                        || serde_json::json!({ "state": state.to_string() }),
                    );
                }
                DisposeStep::Execute => {
                    let d = case.execute_disposition(by)?;
                    let human = format!(
                        "transfer {transfer}: disposition done: {} customers shredded whole, {} in part, {} held, {} failed",
                        d.whole_customers, d.partial_customers, d.held, d.failed
                    );
                    emit_value(ctx, human, &d);
                }
            }
        }
        TransferCommand::Report { transfer, out, prove } => {
            let case = seller(&b, transfer)?;
            let report = case.close(Vec::new())?;
            std::fs::create_dir(&out).map_err(CliError::io("create", &out))?;
            let json = report.to_json()?;
            write_new(&out.join("report.json"), json.as_bytes())?;
            write_new(&out.join("report.md"), report.to_markdown().as_bytes())?;
            write_new(&out.join("report.html"), report.to_html().as_bytes())?;
            let evidence = out.join("evidence");
            case.export_evidence(&evidence, &prove)?;
            let passed = report.checks.iter().filter(|c| c.passed).count();
            ctx.emit(
                || format!("transfer {transfer}: closed; report in {}; evidence folder {} (verify it with `custodia verify evidence`); checks {passed} of {} passed", out.display(), evidence.display(), report.checks.len()),
                || serde_json::json!({ "out": out.display().to_string(), "evidence": evidence.display().to_string(), "checks_passed": passed, "checks": report.checks.len(), "all_passed": report.all_passed() }),
            );
        }
        TransferCommand::Status { transfer } => {
            let (role, state) = match b.seller_case(transfer) {
                Ok(case) => ("seller", case.state()?),
                Err(custodia_brokerage::BrokerageError::NoSuchCase { .. }) => {
                    ("buyer", buyer(&b, transfer)?.state()?)
                }
                Err(e) => return Err(e.into()),
            };
            ctx.emit(
                || format!("transfer {transfer}: {role} case {state}"),
                || serde_json::json!({ "transfer": transfer.to_string(), "role": role, "state": state.to_string() }),
            );
        }
    }
    Ok(())
}
