//! `verify`: offline checks of a transfer's artefacts with public material only — an evidence folder, a package, a receipt, a ledger checkpoint. Exit 1 on failure.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use custodia_ledger::{NoteVerifier, SignedCheckpoint, TrustPolicy};
use custodia_transfer::package::DEFAULT_MAX_ENTRY_LEN;
use custodia_transfer::{PackageSummary, SignedAgreement, SignedReceipt, verify_package};

use crate::context::{Context, read};
use crate::error::{CliError, Result, render};

/// The artefacts `verify` checks.
#[derive(Subcommand)]
pub enum VerifyCommand {
    /// An evidence folder (`transfer evidence`): every file, signature and proof in it.
    #[command(after_help = "Example:\n  custodia verify evidence ./evidence")]
    Evidence {
        /// The folder.
        dir: PathBuf,
    },
    /// A package, against the signed agreement (header, entries, root, seller signature).
    #[command(after_help = "Example:\n  custodia verify package transfer.pkg --agreement agreement.bin")]
    Package {
        /// The package file.
        package: PathBuf,
        /// The signed agreement (`transfer countersign`).
        #[arg(long)]
        agreement: PathBuf,
    },
    /// The buyer's signed receipt, against the agreement and the package it acknowledges.
    #[command(
        after_help = "Example:\n  custodia verify receipt receipt.bin --agreement agreement.bin --package transfer.pkg"
    )]
    Receipt {
        /// The receipt file.
        receipt: PathBuf,
        /// The signed agreement.
        #[arg(long)]
        agreement: PathBuf,
        /// The package.
        #[arg(long)]
        package: PathBuf,
    },
    /// A compliance-audit pack (`audit pack`): the manifest's signature by the expected brokerage key, every
    /// file's digest, checkpoints and their consistency, every proven entry, incident, rotation, certificate
    /// and assessment approval.
    #[command(
        after_help = "Example:\n  custodia verify audit-pack ./audit-pack --signing \"$(custodia --store ./seller --json keys public | jq -r .signing)\""
    )]
    AuditPack {
        /// The pack's folder.
        dir: PathBuf,
        /// The brokerage's published signing key (hex, `keys public`): the pack must be signed by it.
        #[arg(long)]
        signing: String,
    },
    /// A signed ledger checkpoint (C2SP tlog-checkpoint), with the ledger's verifier key.
    #[command(
        after_help = "Example:\n  custodia verify checkpoint checkpoint.txt --vkey \"$(custodia --store ./seller --json keys public | jq -r .ledger_vkey)\""
    )]
    Checkpoint {
        /// The checkpoint note.
        checkpoint: PathBuf,
        /// The ledger's verifier key (C2SP vkey, `keys public`).
        #[arg(long)]
        vkey: String,
    },
}

fn failed(what: &Path, e: impl Into<CliError>) -> CliError {
    CliError::Verify {
        what: what.display().to_string(),
        reason: render(&e.into()),
    }
}

/// Reads and checks the signed agreement at `path`.
pub fn agreement(path: &Path) -> Result<SignedAgreement> {
    SignedAgreement::decode(&read(path)?).map_err(|e| failed(path, e))
}

fn package(path: &Path, agreement: &SignedAgreement) -> Result<PackageSummary> {
    let file = std::fs::File::open(path).map_err(CliError::io("open", path))?;
    verify_package(std::io::BufReader::new(file), agreement, DEFAULT_MAX_ENTRY_LEN)
        .map_err(|e| failed(path, e))
}

/// Runs one `verify` command.
pub fn run(ctx: &Context, command: VerifyCommand) -> Result<()> {
    match command {
        VerifyCommand::Evidence { dir } => {
            let v = custodia_brokerage::verify_evidence(&dir).map_err(|e| failed(&dir, e))?;
            ctx.emit(
                || format!("evidence {} verifies: transfer {}, {} customers, root {}, {} checkpoints, {} customer proofs", dir.display(), v.transfer, v.customers, v.root, v.checkpoints, v.proofs.len()),
                || serde_json::json!({ "verified": true, "transfer": v.transfer.to_string(), "customers": v.customers, "root": v.root.to_string(), "checkpoints": v.checkpoints, "proofs": v.proofs.len() }),
            );
        }
        VerifyCommand::Package {
            package: path,
            agreement: a,
        } => {
            let agreement = agreement(&a)?;
            let s = package(&path, &agreement)?;
            ctx.emit(
                || format!("package {} verifies: transfer {}, {} customers, {} sections, root {}", path.display(), agreement.transfer_id(), s.customers, s.sections, s.root),
                || serde_json::json!({ "verified": true, "transfer": agreement.transfer_id().to_string(), "customers": s.customers, "sections": s.sections, "root": s.root.to_string() }),
            );
        }
        VerifyCommand::Receipt {
            receipt,
            agreement: a,
            package: p,
        } => {
            let agreement = agreement(&a)?;
            let summary = package(&p, &agreement)?;
            let r = SignedReceipt::verify(&read(&receipt)?, &agreement, &summary)
                .map_err(|e| failed(&receipt, e))?;
            let customers = r.receipt().customers;
            ctx.emit(
                || format!("receipt {} verifies: the buyer received {customers} customers of transfer {}", receipt.display(), agreement.transfer_id()),
                || serde_json::json!({ "verified": true, "transfer": agreement.transfer_id().to_string(), "customers": customers }),
            );
        }
        VerifyCommand::AuditPack { dir, signing } => {
            let expected = hex::decode(signing.trim())
                .ok()
                .and_then(|b| custodia_crypto::VerifyingKey::from_bytes(&b).ok())
                .ok_or_else(|| CliError::input("--signing", "not an Ed25519 public key in hex"))?;
            let v = custodia_brokerage::verify_audit_pack(&dir).map_err(|e| failed(&dir, e))?;
            if v.signing != expected {
                return Err(CliError::Verify {
                    what: dir.display().to_string(),
                    reason: "the pack is signed, but not by the key given with --signing".into(),
                });
            }
            ctx.emit(
                || format!("audit pack {} verifies: ledger {}, {} checkpoints, {} entries proven, {} incidents, {} assessments, {} key rotations, {} destruction certificates", dir.display(), v.ledger, v.checkpoints, v.entries, v.incidents, v.assessments, v.rotations, v.certificates),
                || serde_json::json!({ "verified": true, "ledger": v.ledger, "checkpoints": v.checkpoints, "entries": v.entries, "incidents": v.incidents, "assessments": v.assessments, "rotations": v.rotations, "certificates": v.certificates }),
            );
        }
        VerifyCommand::Checkpoint { checkpoint, vkey } => {
            let verifier = NoteVerifier::from_vkey(vkey.trim())
                .map_err(|e| CliError::input("--vkey", render(&e.into())))?;
            let signed = SignedCheckpoint::parse(&read(&checkpoint)?).map_err(|e| failed(&checkpoint, e))?;
            let origin = signed.checkpoint().origin().to_owned();
            let policy = TrustPolicy::log_only(&origin, vec![verifier])?;
            let v = signed.verify(&policy).map_err(|e| failed(&checkpoint, e))?;
            let (size, root) = (v.checkpoint().size(), v.checkpoint().root().to_string());
            ctx.emit(
                || {
                    format!(
                        "checkpoint {} verifies: {origin}, {size} entries, root {root}",
                        checkpoint.display()
                    )
                },
                || serde_json::json!({ "verified": true, "origin": origin, "size": size, "root": root }),
            );
        }
    }
    Ok(())
}
