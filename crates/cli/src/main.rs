//! `custodia`, the operator CLI: a brokerage's store from the shell — init, CSV book import, data quality,
//! masked customer views, key rotation, the licence transfer case step by step, and offline verification.
//!
//! Every command goes through the public API of `custodia-brokerage` (and the domain crates' public
//! types); the CLI renders, the libraries print nothing. Exit codes: 0 ok, 1 a verification failed,
//! 2 usage, 3 an input was refused (nothing written), 4 any other failure (I/O, store, a step refused
//! in its case's state). `--now` is the **drill clock**: every step runs at that time instead of the
//! system clock, so a case can be driven through weeks in a test or a rehearsal.

mod access;
mod approver;
mod assessment;
mod book;
mod calendar;
mod case;
mod context;
mod error;
mod incident;
mod progress;
mod rights;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::context::Context;
use crate::error::{CliError, Result};

const EXIT_CODES: &str = "\
Exit codes:
  0  ok
  1  a verification failed (verify ...)
  2  usage: the command line was wrong
  3  an input was refused (a CSV row, a file's encoding or format); nothing was written
  4  any other failure: I/O, the store, a key, a step refused in its case's state";

/// The custodia operator CLI.
#[derive(Parser)]
#[command(
    name = "custodia",
    version,
    about = "Keep a brokerage's customer personal information lawful, secret, accurate and provable, from the shell",
    after_help = EXIT_CODES,
    after_long_help = EXIT_CODES
)]
struct Cli {
    /// The store directory (made by `init`): store.sqlite, custodia.json and, by default, root.key.
    #[arg(long, global = true, value_name = "DIR")]
    store: Option<PathBuf>,
    /// The root-secret key file, if not root.key in the store directory (mode 0600).
    #[arg(long, global = true, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Log to stderr (ids and counts only); -vv for more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// The drill clock: run every step at this time (RFC 3339) instead of the system clock.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<DateTime<Utc>>,
    #[command(subcommand)]
    command: Command,
}

pub(crate) fn parse_now(text: &str) -> std::result::Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| "not an RFC 3339 time such as 2026-06-01T09:00:00+08:00".to_owned())
}

#[derive(Subcommand)]
enum Command {
    /// Create a new store and a fresh key file (mode 0600); refuses to overwrite either.
    #[command(after_help = "Example:\n  custodia --store ./seller init --origin seller.example/ledger")]
    Init {
        /// The ledger's checkpoint origin (fixed for the store's life).
        #[arg(long, default_value = "brokerage.invalid/ledger")]
        origin: String,
    },
    /// The book: CSV import and data quality.
    #[command(subcommand)]
    Book(BookCommand),
    /// One customer.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// The brokerage's keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The compliance audit (PIPL Art 54): the evidence pack an auditor verifies with public keys only.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Approvers of destruction plans and assessments (principals with the approver role and their signing keys).
    #[command(subcommand)]
    Approver(ApproverCommand),
    /// Customers' consents: a receipt of one, which the customer verifies with the ledger key alone.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Impact assessments (PIPL Art 55, 56): a transfer executes only under an approved one.
    #[command(subcommand)]
    Assessment(assessment::AssessmentCommand),
    /// The working-day calendar deadlines are counted over: show it, or extend it with the next year's
    /// State Council arrangements (Civil Code Art 203).
    #[command(subcommand)]
    Calendar(calendar::CalendarCommand),
    /// The brokerage's ledger: signed checkpoints and full verification.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// A licence transfer, step by step (seller and buyer stores).
    #[command(subcommand)]
    Transfer(case::TransferCommand),
    /// Principals, the gated read (masked), the access log and alerts (PIPL Arts 6, 51).
    #[command(subcommand)]
    Access(access::AccessCommand),
    /// The incident register (PIPL Art 57; GDPR Arts 33, 34): register, derive who is affected, remedies,
    /// reports, individuals, notices, reporting clocks.
    #[command(subcommand)]
    Incident(incident::IncidentCommand),
    /// The customers' requests desk (PIPL Arts 44–50; GDPR Arts 12–22): receive, verify identity, extend,
    /// answer, list what is open and what is overdue.
    #[command(subcommand)]
    Rights(rights::RightsCommand),
    /// Verify artefacts offline, with public material only (exit 1 on failure).
    #[command(subcommand)]
    Verify(verify::VerifyCommand),
}

#[derive(Subcommand)]
enum BookCommand {
    /// Import customers from a CSV file (UTF-8, with or without BOM; see templates/book.csv).
    #[command(
        after_help = "Every row is checked with the model first (GB 11643, GB 32100, phones, e-mail, dates); \
each refused row is reported by line and column, never by value. Nothing is imported if any row is refused, \
unless --skip-invalid.\n\nExample:\n  custodia --store ./seller book import book.csv --notice notice.json"
    )]
    Import(ImportArgs),
    /// The data-quality report of every customer in the store.
    #[command(after_help = "Example:\n  custodia --store ./seller book quality --worst 20")]
    Quality {
        /// How many of the least complete customers to list (ids only).
        #[arg(long, default_value_t = 10)]
        worst: usize,
    },
}

#[derive(Args)]
struct ImportArgs {
    /// The CSV file.
    csv: PathBuf,
    /// The privacy notice (JSON) these customers were shown at collection; published if it is not yet.
    #[arg(long, value_name = "FILE")]
    notice: PathBuf,
    /// Import the valid rows and list the refused line numbers, instead of importing nothing.
    #[arg(long)]
    skip_invalid: bool,
    /// Who records the import (an actor id).
    #[arg(long, default_value = "book-import")]
    by: String,
}

#[derive(Subcommand)]
enum CustomerCommand {
    /// Show a customer, masked.
    #[command(
        after_help = "Example:\n  custodia --store ./seller customer show 0190f7a2-1c7e-7d1a-9b0e-3f4c5d6e7f80"
    )]
    Show {
        /// The customer id.
        id: String,
        /// Print the whole record unmasked (personal information on your terminal).
        #[arg(long)]
        reveal: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Rotate the KEK: re-wrap every data key under the next version.
    #[command(after_help = "Example:\n  custodia --store ./seller keys rotate --retire")]
    Rotate {
        /// Stop the previous KEK versions from unwrapping (keep them otherwise, for restored backups).
        #[arg(long)]
        retire: bool,
    },
    /// Print the brokerage's public keys (signing, recipient, ledger verifier).
    #[command(after_help = "Example:\n  custodia --store ./seller keys public --json > seller-public.json")]
    Public,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Write the audit evidence pack into a new folder and verify it at once (signed checkpoints and
    /// consistency proofs since the last audit, destruction certificates, incidents and their clocks,
    /// assessments, key rotations, access and rights statistics, records of processing).
    #[command(after_help = "Example:\n  custodia --store ./seller audit pack --out ./audit-2026")]
    Pack {
        /// The folder to write (must not exist or be empty).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConsentCommand {
    /// Write a consent receipt of one of a customer's recorded consent events (ISO/IEC TS 27560): the
    /// record, its ledger entries with inclusion proofs and a checkpoint signed now (PIPL Arts 14, 17; GDPR
    /// Art 7(1)). Check it with `custodia verify consent-receipt --vkey <ledger vkey from keys public>`.
    #[command(
        after_help = "Example:\n  custodia --store ./seller consent receipt --customer <ID> --event <EVENT_ID> --out receipt.json"
    )]
    Receipt {
        /// The customer.
        #[arg(long)]
        customer: custodia_model::CustomerId,
        /// The consent event's id.
        #[arg(long)]
        event: custodia_consent::EventId,
        /// The receipt file to write (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ApproverCommand {
    /// Store an approver and write their new Ed25519 signing key to a file (mode 0600; must not exist).
    #[command(
        after_help = "Example:\n  custodia --store ./seller approver add --id dpo-1 --key-out dpo-1.key"
    )]
    Add {
        /// The approver's actor id.
        #[arg(long)]
        id: String,
        /// Their department.
        #[arg(long, default_value = "compliance")]
        department: String,
        /// Where to write the signing key (PKCS#8).
        #[arg(long, value_name = "FILE")]
        key_out: PathBuf,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Sign a checkpoint of the ledger now and write it to a file.
    #[command(after_help = "Example:\n  custodia --store ./seller ledger checkpoint --out checkpoint.txt")]
    Checkpoint {
        /// Where to write the checkpoint note (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify the whole ledger against its checkpoints, and the vault against the ledger (exit 1 on failure).
    #[command(after_help = "Example:\n  custodia --store ./seller ledger verify")]
    Verify,
}

fn init(ctx: &Context, origin: &str) -> Result<()> {
    let dir = ctx.store_dir()?;
    let key = ctx.key_path()?;
    ctx.store()?.create(origin, &key)?;
    let brokerage = ctx.open()?;
    let keys = brokerage.public_keys();
    ctx.emit(
        || format!("store {} created; key file {} (mode 0600); ledger origin {origin}", dir.display(), key.display()),
        || serde_json::json!({ "store": dir.display().to_string(), "key_file": key.display().to_string(), "origin": origin, "ledger_vkey": keys.ledger.to_vkey() }),
    );
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    let ctx = Context {
        store: cli.store,
        key_file: cli.key_file,
        json: cli.json,
        now: cli.now,
    };
    match cli.command {
        Command::Init { origin } => init(&ctx, &origin),
        Command::Book(BookCommand::Import(a)) => book::import(&ctx, &a.csv, &a.notice, a.skip_invalid, &a.by),
        Command::Book(BookCommand::Quality { worst }) => book::quality(&ctx, worst),
        Command::Customer(CustomerCommand::Show { id, reveal }) => book::show(&ctx, &id, reveal),
        Command::Keys(KeysCommand::Rotate { retire }) => {
            let b = ctx.open()?;
            let old = if retire {
                custodia_brokerage::OldKeks::Retire
            } else {
                custodia_brokerage::OldKeks::Keep
            };
            let r = b.rotate_kek(old)?;
            ctx.emit(
                || {
                    format!(
                        "KEK version {} in force (oldest that unwraps: {}); {} data keys re-wrapped",
                        r.primary, r.min_decrypt, r.rewrapped
                    )
                },
                || serde_json::to_value(r).unwrap_or_default(),
            );
            Ok(())
        }
        Command::Keys(KeysCommand::Public) => {
            let keys = ctx.open()?.public_keys();
            let json = serde_json::json!({
                "signing": hex::encode(keys.signing.as_bytes()),
                "recipient": hex::encode(keys.recipient.as_bytes()),
                "ledger_vkey": keys.ledger.to_vkey(),
            });
            ctx.emit(
                || {
                    format!(
                        "signing {}\nrecipient {}\nledger {}",
                        json["signing"].as_str().unwrap_or(""),
                        json["recipient"].as_str().unwrap_or(""),
                        keys.ledger.to_vkey()
                    )
                },
                || json.clone(),
            );
            Ok(())
        }
        Command::Ledger(LedgerCommand::Checkpoint { out }) => {
            let b = ctx.open()?;
            let checkpoint = b.checkpoint()?;
            context::write_new(&out, &checkpoint.to_bytes())?;
            let size = checkpoint.checkpoint().size();
            ctx.emit(
                || format!("checkpoint of {size} entries written to {}; verify it with: custodia verify checkpoint {} --vkey <ledger vkey>", out.display(), out.display()),
                || serde_json::json!({ "size": size, "out": out.display().to_string() }),
            );
            Ok(())
        }
        Command::Ledger(LedgerCommand::Verify) => {
            let b = ctx.open()?;
            let log = b.verify_ledger().map_err(|e| CliError::Verify {
                what: "ledger".into(),
                reason: error::render(&e.into()),
            })?;
            let vault = b.verify_vault(None).map_err(|e| CliError::Verify {
                what: "vault".into(),
                reason: error::render(&e.into()),
            })?;
            ctx.emit(
                || {
                    format!(
                        "ledger verifies: {} entries; vault reconciles: {} customers, {} section versions",
                        log.size(),
                        vault.customers,
                        vault.sections
                    )
                },
                || serde_json::json!({ "ledger_entries": log.size(), "vault": vault }),
            );
            Ok(())
        }
        Command::Audit(AuditCommand::Pack { out }) => {
            let b = ctx.open()?;
            let (pack, v) = b.export_verified_audit_pack(&out)?;
            ctx.emit(
                || format!("audit pack written to {} and verified: {} files, {} checkpoints, {} entries proven, {} incidents, {} destruction certificates; verify it with `custodia verify audit-pack`", out.display(), pack.files.len(), v.checkpoints, v.entries, v.incidents, v.certificates),
                || serde_json::json!({ "out": out.display().to_string(), "files": pack.files.len(), "checkpoints": v.checkpoints, "entries": v.entries, "incidents": v.incidents, "certificates": v.certificates }),
            );
            Ok(())
        }
        Command::Approver(ApproverCommand::Add {
            id,
            department,
            key_out,
        }) => approver::add(&ctx, &id, &department, &key_out),
        Command::Consent(ConsentCommand::Receipt { customer, event, out }) => {
            let receipt = ctx.open()?.consent_receipt(customer, event)?;
            let bytes = serde_json::to_vec_pretty(&receipt)
                .map_err(|_| CliError::input("receipt", "cannot render as JSON"))?;
            context::write_new(&out, &bytes)?;
            ctx.emit(
                || format!("consent receipt of event {event} written to {}", out.display()),
                || serde_json::json!({ "event": event.to_string(), "out": out.display().to_string() }),
            );
            Ok(())
        }
        Command::Assessment(command) => assessment::run(&ctx, command),
        Command::Calendar(command) => calendar::run(&ctx, command),
        Command::Transfer(command) => case::run(&ctx, command),
        Command::Access(command) => access::run(&ctx, command),
        Command::Incident(command) => incident::run(&ctx, command),
        Command::Rights(command) => rights::run(&ctx, command),
        Command::Verify(command) => verify::run(&ctx, command),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { error::USAGE } else { error::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if cli.verbose > 0 {
        let level = if cli.verbose > 1 {
            tracing::Level::TRACE
        } else {
            tracing::Level::INFO
        };
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(level)
            .with_target(false)
            .init();
    }
    match run(cli) {
        Ok(()) => ExitCode::from(error::OK),
        Err(e) => {
            eprintln!("custodia: {}", error::render(&e));
            ExitCode::from(e.exit_code())
        }
    }
}
