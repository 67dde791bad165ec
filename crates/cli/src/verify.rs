//! `verify`: offline checks of a transfer's artefacts with public material only — an evidence folder, a package, a receipt, a ledger checkpoint. Exit 1 on failure.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use custodia_consent::ConsentReceipt;
use custodia_ledger::{NoteVerifier, SignedCheckpoint, TrustPolicy};
use custodia_transfer::package::DEFAULT_MAX_ENTRY_LEN;
use custodia_transfer::{PackageCheck, SignedAgreement, SignedReceipt, VerifiedPackage, verify_package};

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
    /// Consent receipts (custodia-consent-receipt JSON, spec/consent-receipt.md): the checkpoint's signature
    /// by the controller's consent log key, each entry's inclusion proof, and the stated fields against the
    /// proven event and notice (PIPL Arts 14, 15; GDPR Art 7(1)). Several files may be given: each is
    /// reported, and the command exits 1 if any fails.
    #[command(
        after_help = "Example:\n  custodia verify consent-receipt receipt-1.json --vkey \"$(cat consent-log.vkey)\""
    )]
    ConsentReceipt {
        /// The receipt files.
        #[arg(required = true)]
        receipts: Vec<PathBuf>,
        /// The controller's consent log verifier key (C2SP vkey); its name is the log's origin.
        #[arg(long)]
        vkey: String,
    },
    /// A response receipt of a customer's request (`rights receipt`): the brokerage's signature, the answer's
    /// ledger entry and its inclusion proof under a signed checkpoint (PIPL Art 50).
    #[command(
        after_help = "Example:\n  custodia verify rights-receipt receipt.txt --signing <HEX> --vkey <VKEY>   (both from `custodia --json keys public`)"
    )]
    RightsReceipt {
        /// The receipt file.
        receipt: PathBuf,
        /// The brokerage's signing key (hex, `keys public`).
        #[arg(long)]
        signing: String,
        /// The brokerage's ledger verifier key (C2SP vkey, `keys public`).
        #[arg(long)]
        vkey: String,
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

/// Verifies the package at `path` without any key: the signature over the header, counts, sizes and
/// the sealed entries' digest. The entries are sealed under the transfer key (package format 2), so the
/// manifest root is the signed one, not recomputed; the result says so.
fn package(path: &Path, agreement: &SignedAgreement) -> Result<VerifiedPackage> {
    let file = std::fs::File::open(path).map_err(CliError::io("open", path))?;
    verify_package(std::io::BufReader::new(file), agreement, DEFAULT_MAX_ENTRY_LEN)
        .map_err(|e| failed(path, e))
}

fn signing_key(hex_text: &str) -> Result<custodia_crypto::VerifyingKey> {
    hex::decode(hex_text.trim())
        .ok()
        .and_then(|b| custodia_crypto::VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| CliError::input("--signing", "not an Ed25519 public key in hex"))
}

/// Parses a consent receipt; custodia-consent refuses members the format does not define, at every depth
/// (spec/consent-receipt.md).
fn parse_receipt(bytes: &[u8]) -> std::result::Result<ConsentReceipt, String> {
    custodia_model::from_json(bytes)
        .map_err(|_| "not a consent receipt (custodia-consent-receipt JSON)".to_owned())
}

/// Verifies each consent receipt with the consent log's key; every file is reported, and any failure makes
/// the command fail (exit 1). The reason is opaque (custodia-consent's `ReceiptInvalid`), as for a forgery.
fn consent_receipts(ctx: &Context, receipts: &[PathBuf], vkey: &str) -> Result<()> {
    let key =
        NoteVerifier::from_vkey(vkey.trim()).map_err(|e| CliError::input("--vkey", render(&e.into())))?;
    let mut results = Vec::with_capacity(receipts.len());
    let mut failures = 0usize;
    for path in receipts {
        let bytes = read(path)?;
        let verified = parse_receipt(&bytes).and_then(|r| r.verify(&key).map_err(|e| e.to_string()));
        let shown = path.display().to_string();
        match verified {
            Ok(v) => {
                let event = v.event();
                results.push(serde_json::json!({ "file": shown, "verified": true, "event": event.id().to_string(), "customer": event.customer().to_string(), "kind": event.kind(), "origin": v.origin(), "tree_size": v.tree_size() }));
            }
            Err(reason) => {
                failures += 1;
                results.push(serde_json::json!({ "file": shown, "verified": false, "reason": reason }));
            }
        }
    }
    ctx.emit(
        || {
            results
                .iter()
                .map(|r| match r["verified"].as_bool() {
                    Some(true) => format!(
                        "consent receipt {} verifies: event {} of customer {}, {}, log {} at size {}",
                        r["file"].as_str().unwrap_or(""),
                        r["event"].as_str().unwrap_or(""),
                        r["customer"].as_str().unwrap_or(""),
                        r["kind"].as_str().unwrap_or(""),
                        r["origin"].as_str().unwrap_or(""),
                        r["tree_size"]
                    ),
                    _ => format!(
                        "consent receipt {} FAILS: {}",
                        r["file"].as_str().unwrap_or(""),
                        r["reason"].as_str().unwrap_or("")
                    ),
                })
                .collect::<Vec<_>>()
                .join("\n")
        },
        || serde_json::json!(results),
    );
    if failures > 0 {
        return Err(CliError::Verify {
            what: "consent receipts".into(),
            reason: format!("{failures} of {} do not verify", receipts.len()),
        });
    }
    Ok(())
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
            let v = package(&path, &agreement)?;
            let recomputed = v.checked == PackageCheck::SignatureAndEntries;
            let s = v.summary;
            let how = if recomputed {
                "recomputed"
            } else {
                "as signed; entries sealed, not opened without the transfer key"
            };
            ctx.emit(
                || format!("package {} verifies: transfer {}, {} customers, {} sections, root {} ({how})", path.display(), agreement.transfer_id(), s.customers, s.sections, s.root),
                || serde_json::json!({ "verified": true, "transfer": agreement.transfer_id().to_string(), "customers": s.customers, "sections": s.sections, "root": s.root.to_string(), "root_recomputed": recomputed }),
            );
        }
        VerifyCommand::Receipt {
            receipt,
            agreement: a,
            package: p,
        } => {
            let agreement = agreement(&a)?;
            let summary = package(&p, &agreement)?.summary;
            let r = SignedReceipt::verify(&read(&receipt)?, &agreement, &summary)
                .map_err(|e| failed(&receipt, e))?;
            let customers = r.receipt().customers;
            ctx.emit(
                || format!("receipt {} verifies: the buyer received {customers} customers of transfer {}", receipt.display(), agreement.transfer_id()),
                || serde_json::json!({ "verified": true, "transfer": agreement.transfer_id().to_string(), "customers": customers }),
            );
        }
        VerifyCommand::AuditPack { dir, signing } => {
            let expected = signing_key(&signing)?;
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
        VerifyCommand::ConsentReceipt { receipts, vkey } => consent_receipts(ctx, &receipts, &vkey)?,
        VerifyCommand::RightsReceipt {
            receipt,
            signing,
            vkey,
        } => {
            let signing = signing_key(&signing)?;
            let ledger = NoteVerifier::from_vkey(vkey.trim())
                .map_err(|e| CliError::input("--vkey", render(&e.into())))?;
            let keys = custodia_rights::BrokerageKeys { signing, ledger };
            let r = custodia_rights::ResponseReceipt::verify(&read(&receipt)?, &keys)
                .map_err(|e| failed(&receipt, custodia_brokerage::BrokerageError::from(e)))?;
            let body = r.body();
            ctx.emit(
                || format!("response receipt {} verifies: request {}, {}, answered {}{}", receipt.display(), body.request, body.outcome.code(), body.answered_at.to_rfc3339(), if body.late { " (late)" } else { "" }),
                || serde_json::json!({ "verified": true, "request": body.request.to_string(), "outcome": body.outcome.code(), "answered_at": body.answered_at, "late": body.late, "refusals": body.refusals }),
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
