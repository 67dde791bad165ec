//! A receipt checked offline: the broker appends a record, signs a checkpoint, a witness cosigns it, and
//! a customer who holds only two `vkey` strings and the receipt JSON verifies inclusion — then the
//! record is erased and the same receipt still verifies, though its content is gone from the log.
//!
//! `cargo run -p custodia-ledger --example offline_receipt`

use chrono::DateTime;
use custodia_crypto::SigningKey;
use custodia_ledger::{
    InclusionProof, Log, MemoryStore, MerkleHash, NoteSigner, NoteVerifier, Salt, SignatureKind,
    SignedCheckpoint, TrustPolicy, leaf_hash, verify_inclusion,
};
use serde::{Deserialize, Serialize};

/// What the customer is handed: the record, its salt, its proof and the signed checkpoint.
#[derive(Serialize, Deserialize)]
struct Receipt {
    payload: String,
    salt: Salt,
    proof: InclusionProof,
    checkpoint: SignedCheckpoint,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = DateTime::from_timestamp(1_790_000_000, 0).ok_or("time out of range")?;
    let broker = NoteSigner::new(
        "broker.example/ledger",
        SignatureKind::Ed25519,
        SigningKey::generate()?,
    )?;
    let witness = NoteSigner::new(
        "witness.example/w1",
        SignatureKind::Cosignature,
        SigningKey::generate()?,
    )?;

    // The broker's side.
    let mut log = Log::new(MemoryStore::new())?;
    log.append(&[b"notice n-3 shown to c-17", b"access a-9 by staff s-2"])?;
    let appended = log.append(&[b"consent c-17 granted purpose=claims categories=health"])?;
    let index = appended.first_index();
    let signed = log
        .checkpoint(&broker, "broker.example/ledger")?
        .cosigned(&witness, now)?;
    let entry = log.entry(index)?;
    let salt = match entry.content() {
        custodia_ledger::EntryContent::Present { salt, .. } => *salt,
        _ => return Err("entry unexpectedly redacted".into()),
    };
    let receipt = Receipt {
        payload: String::from_utf8(entry.payload().unwrap_or_default().to_vec())?,
        salt,
        proof: log.inclusion_proof(index, signed.checkpoint().size())?,
        checkpoint: signed,
    };
    let json = serde_json::to_string_pretty(&receipt)?;
    println!("receipt:\n{json}\n");
    let log_vkey = broker.verifier().to_vkey();
    let witness_vkey = witness.verifier().to_vkey();

    // The customer's side: two public keys and the JSON, nothing else.
    let receipt: Receipt = serde_json::from_str(&json)?;
    let policy = TrustPolicy::new(
        "broker.example/ledger",
        vec![NoteVerifier::from_vkey(&log_vkey)?],
        vec![NoteVerifier::from_vkey(&witness_vkey)?],
        1,
    )?;
    let verified = receipt.checkpoint.verify(&policy)?;
    let leaf: MerkleHash = leaf_hash(&receipt.salt, receipt.payload.as_bytes());
    // The size is the verified checkpoint's, never the one the proof carries: the proof is untrusted
    // input, and only the signed size and root say which tree the entry must be in.
    let size = verified.checkpoint().size();
    verify_inclusion(
        &leaf,
        receipt.proof.index(),
        size,
        receipt.proof.path(),
        verified.checkpoint().root(),
    )?;
    println!(
        "verified: entry {} is in {} at size {}",
        receipt.proof.index(),
        verified.checkpoint().origin(),
        verified.checkpoint().size()
    );

    // Erasure: the log forgets the content; the customer's receipt still proves what was recorded.
    let record = log.redact(index, b"erasure request e-4, PIPL Art 47")?;
    println!(
        "entry {index} redacted; redaction recorded at {record}; content in the log: {:?}",
        log.entry(index)?.payload()
    );
    verify_inclusion(
        &leaf,
        index,
        size,
        log.inclusion_proof(index, size)?.path(),
        verified.checkpoint().root(),
    )?;
    log.checkpoint(&broker, "broker.example/ledger")?;
    let whole = log.verify(&TrustPolicy::log_only(
        "broker.example/ledger",
        vec![broker.verifier().clone()],
    )?)?;
    println!(
        "whole log verified: {} entries, {} redacted, {} checkpoints",
        whole.size(),
        whole.redacted(),
        whole.checkpoints()
    );
    Ok(())
}
