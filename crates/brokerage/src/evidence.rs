//! The evidence folder of a closed transfer case — only public material — and `verify_evidence`, which re-checks it offline with nothing else.
//!
//! The folder and its verification, in order, are specified language-neutrally in `spec/evidence-folder.md`;
//! `spec/verify_py/verify_evidence.py` is a second verifier written from that document.
//!
//! | file | what | checked by `verify_evidence` |
//! |---|---|---|
//! | `MANIFEST.json` | SHA-256 of every other file | every digest matches |
//! | `agreement.bin` | the signed agreement, canonical bytes and both signatures | decodes; both signatures verify |
//! | `public-keys.json` | seller and buyer signing keys, the buyer's recipient key, the seller's ledger verifier | the keys are the agreement's |
//! | `package.pkg` | the package as written | header bound to the agreement, entries, root and seller signature |
//! | `receipt.bin` | the buyer's signed receipt | buyer signature; same transfer, digest, root and counts as the package |
//! | `checkpoints.json` | the seller ledger's signed checkpoints since the case opened | each signature, with the ledger verifier |
//! | `consistency.json` | consistency proofs between consecutive checkpoints | each proof (the ledger only grew) |
//! | `receipt-entry.json` | the receipt's ledger entry (salt, payload) and its inclusion proof | payload is the receipt; included under the last checkpoint |
//! | `proofs.json` | customers' proofs of what moved (or did not) | each proof with the seller's key, under the package root |
//! | `report.json`, `.md`, `.html` | the report (ids and counts only) | its root and counts are the package's |

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use custodia_crypto::{RecipientPublicKey, TransferKey, VerifyingKey};
use custodia_ledger::{
    ConsistencyProof, EntryContent, InclusionProof, MerkleHash, NoteVerifier, Salt, SignedCheckpoint,
    TrustPolicy, leaf_hash,
};
use custodia_model::{CustomerId, TransferId};
use custodia_transfer::package::{DEFAULT_MAX_ENTRY_LEN, PackageReader, Record};
use custodia_transfer::{
    CustomerProof, ManifestEntry, ManifestTree, SignedAgreement, SignedReceipt, TransferReport,
    verify_package,
};
use serde::{Deserialize, Serialize};

use crate::brokerage::Brokerage;
use crate::case::seller::SellerRow;
use crate::error::BrokerageError;

const MANIFEST: &str = "MANIFEST.json";
const AGREEMENT: &str = "agreement.bin";
const KEYS: &str = "public-keys.json";
const PACKAGE: &str = "package.pkg";
const RECEIPT: &str = "receipt.bin";
const CHECKPOINTS: &str = "checkpoints.json";
const CONSISTENCY: &str = "consistency.json";
const RECEIPT_ENTRY: &str = "receipt-entry.json";
const PROOFS: &str = "proofs.json";
const REPORT_JSON: &str = "report.json";
const REPORT_MD: &str = "report.md";
const REPORT_HTML: &str = "report.html";

/// The public keys an auditor needs, in hex (the ledger verifier as a C2SP vkey).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PublicKeysFile {
    seller_signing: String,
    buyer_signing: String,
    buyer_recipient: String,
    seller_ledger: String,
}

/// The receipt's ledger entry and its inclusion proof under the last checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ReceiptEntryFile {
    index: u64,
    salt: Salt,
    payload: String,
    inclusion: InclusionProof,
}

/// An exported evidence folder.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EvidenceFolder {
    /// The files written, with their SHA-256 (hex).
    pub files: BTreeMap<String, String>,
}

/// What [`verify_evidence`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedEvidence {
    /// The transfer.
    pub transfer: TransferId,
    /// The package's manifest root, signed by the seller and acknowledged by the buyer.
    pub root: MerkleHash,
    /// Customers in the package.
    pub customers: u64,
    /// Checkpoints verified.
    pub checkpoints: usize,
    /// Each proven customer and whether their record moved.
    pub proofs: Vec<(CustomerId, bool)>,
}

/// The manifest tree of the package at `path`, rebuilt by reading it with the transfer key that seals its
/// entries (about 80 bytes per customer).
pub(crate) fn manifest_tree(path: &Path, transfer_key: &TransferKey) -> Result<ManifestTree, BrokerageError> {
    let file = File::open(path).map_err(BrokerageError::io(path, "open"))?;
    let mut reader = PackageReader::open(BufReader::new(file), DEFAULT_MAX_ENTRY_LEN)?;
    reader.unseal_with(transfer_key)?;
    let mut tree = ManifestTree::new();
    loop {
        match reader.next_record()? {
            Record::Entry(entry) => tree.push(entry.customer, entry.manifest_entry().leaf_hash()),
            Record::Sealed(sealed) => {
                return Err(custodia_transfer::TransferError::EntrySealBroken { entry: sealed.index }.into());
            }
            Record::Trailer(_) => break,
        }
    }
    tree.seal();
    Ok(tree)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ManifestEntry::digest(bytes))
}

/// The SHA-256 of the file at `path`, read in 1 MiB pieces (a package does not fit in memory at scale).
fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = File::open(path)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hex::encode(context.finish().as_ref()));
        }
        context.update(buffer.get(..n).unwrap_or(&[]));
    }
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, BrokerageError> {
    serde_json::to_vec_pretty(value).map_err(|e| BrokerageError::InvalidInput {
        field: "evidence",
        reason: e.to_string(),
    })
}

/// Writes the folder (see the module documentation).
pub(crate) fn export(
    brokerage: &Brokerage,
    row: &SellerRow,
    agreement: &SignedAgreement,
    proofs: &[CustomerProof],
    dir: &Path,
) -> Result<EvidenceFolder, BrokerageError> {
    let (Some(package), Some(receipt), Some(report)) = (&row.package, &row.receipt, &row.report) else {
        return Err(BrokerageError::OutOfOrder {
            transfer: agreement.transfer_id(),
            role: crate::CaseRole::Seller,
            step: "export the evidence",
            state: row.state,
        });
    };
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(BrokerageError::io(dir, "read"))?;
        if entries.next().is_some() {
            return Err(BrokerageError::InvalidInput {
                field: "evidence folder",
                reason: format!("{} is not empty", dir.display()),
            });
        }
    }
    // The folder is written beside its place and renamed into it whole, so a crash never leaves half a
    // folder where the evidence belongs; a half-written `<dir>.partial` of an earlier attempt is ours to
    // replace.
    let mut partial = dir.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(BrokerageError::io(&partial, "remove"))?;
    }
    std::fs::create_dir_all(&partial).map_err(BrokerageError::io(&partial, "create"))?;
    let terms = agreement.terms();
    let receipt_bytes = hex::decode(&receipt.bytes)
        .map_err(|e| BrokerageError::corrupt(crate::records::CASES.as_str(), b"receipt", e))?;
    let (checkpoints, consistency, entry) = {
        let log = brokerage.log();
        let checkpoints: Vec<SignedCheckpoint> = log
            .checkpoints()?
            .into_iter()
            .filter(|c| c.checkpoint().size() >= row.opened_size)
            .collect();
        let mut consistency = Vec::new();
        for pair in checkpoints.windows(2) {
            if let [a, b] = pair
                && a.checkpoint().size() < b.checkpoint().size()
            {
                consistency.push(log.consistency_proof(a.checkpoint().size(), b.checkpoint().size())?);
            }
        }
        let last = checkpoints.last().map_or(0, |c| c.checkpoint().size());
        let stored = log.entry(receipt.entry)?;
        let EntryContent::Present { salt, payload } = stored.content().clone() else {
            return Err(BrokerageError::corrupt(
                crate::records::CASES.as_str(),
                b"receipt entry",
                "the receipt's ledger entry is redacted",
            ));
        };
        let entry = ReceiptEntryFile {
            index: receipt.entry,
            salt,
            payload: hex::encode(payload),
            inclusion: log.inclusion_proof(receipt.entry, last)?,
        };
        (checkpoints, consistency, entry)
    };
    let keys = PublicKeysFile {
        seller_signing: hex::encode(terms.seller.verifying_key().as_bytes()),
        buyer_signing: hex::encode(terms.buyer.verifying_key().as_bytes()),
        buyer_recipient: hex::encode(terms.buyer.recipient_key().as_bytes()),
        seller_ledger: brokerage.ledger_signer.verifier().to_vkey(),
    };
    let notes: Vec<String> = checkpoints
        .iter()
        .map(|c| String::from_utf8_lossy(&c.to_bytes()).into_owned())
        .collect();
    let files: Vec<(&str, Vec<u8>)> = vec![
        (AGREEMENT, agreement.encode()),
        (KEYS, json(&keys)?),
        (RECEIPT, receipt_bytes),
        (CHECKPOINTS, json(&notes)?),
        (CONSISTENCY, json(&consistency)?),
        (RECEIPT_ENTRY, json(&entry)?),
        (PROOFS, json(&proofs)?),
        (REPORT_JSON, report.to_json()?.into_bytes()),
        (REPORT_MD, report.to_markdown().into_bytes()),
        (REPORT_HTML, report.to_html().into_bytes()),
    ];
    let mut manifest = BTreeMap::new();
    for (name, bytes) in &files {
        let path = partial.join(name);
        write_synced(&path, bytes)?;
        manifest.insert((*name).to_owned(), sha256_hex(bytes));
    }
    // The package is copied, never held in memory.
    let copy = partial.join(PACKAGE);
    std::fs::copy(&package.path, &copy).map_err(BrokerageError::io(&package.path, "copy"))?;
    File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(BrokerageError::io(&copy, "sync"))?;
    let digest = sha256_file(&copy).map_err(BrokerageError::io(&copy, "read"))?;
    manifest.insert(PACKAGE.to_owned(), digest);
    write_synced(&partial.join(MANIFEST), &json(&manifest)?)?;
    if dir.exists() {
        std::fs::remove_dir(dir).map_err(BrokerageError::io(dir, "replace the empty folder"))?;
    }
    std::fs::rename(&partial, dir).map_err(BrokerageError::io(dir, "rename the evidence into"))?;
    Ok(EvidenceFolder { files: manifest })
}

/// Writes `bytes` to a new file at `path` and syncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BrokerageError> {
    use std::io::Write;
    let mut file = File::create(path).map_err(BrokerageError::io(path, "create"))?;
    file.write_all(bytes).map_err(BrokerageError::io(path, "write"))?;
    file.sync_all().map_err(BrokerageError::io(path, "sync"))
}

fn fail(file: &'static str, check: &'static str) -> impl Fn(String) -> BrokerageError {
    move |reason| BrokerageError::Evidence { file, check, reason }
}

fn read(dir: &Path, file: &'static str) -> Result<Vec<u8>, BrokerageError> {
    std::fs::read(dir.join(file)).map_err(|e| fail(file, "read")(e.to_string()))
}

fn parse<T: for<'de> Deserialize<'de>>(dir: &Path, file: &'static str) -> Result<T, BrokerageError> {
    serde_json::from_slice(&read(dir, file)?).map_err(|e| fail(file, "parse")(e.to_string()))
}

/// Parses and verifies each of `notes` (signed checkpoints of the ledger `ledger` verifies), checks that they
/// grow in order with one root per size, and that each growth is proven by the next of `consistency` (RFC 9162
/// §2.1.4), with none left over; the evidence folder and the audit pack both carry such a chain.
pub(crate) fn verify_checkpoint_chain(
    notes: &[String],
    ledger: &NoteVerifier,
    consistency: &[ConsistencyProof],
) -> Result<Vec<SignedCheckpoint>, BrokerageError> {
    let trust = TrustPolicy::log_only(ledger.name(), vec![ledger.clone()])
        .map_err(|e| fail(CHECKPOINTS, "trust")(e.to_string()))?;
    let mut checkpoints = Vec::with_capacity(notes.len());
    for note in notes {
        let signed = SignedCheckpoint::parse(note.as_bytes())
            .map_err(|e| fail(CHECKPOINTS, "parse")(e.to_string()))?;
        signed
            .verify(&trust)
            .map_err(|e| fail(CHECKPOINTS, "signature")(e.to_string()))?;
        checkpoints.push(signed);
    }
    let mut proofs = consistency.iter();
    for pair in checkpoints.windows(2) {
        let [a, b] = pair else { continue };
        let (a, b) = (a.checkpoint(), b.checkpoint());
        if b.size() < a.size() {
            return Err(fail(CHECKPOINTS, "order")(
                "a checkpoint is smaller than the one before".into(),
            ));
        }
        if a.size() == b.size() {
            if a.root() != b.root() {
                return Err(fail(CHECKPOINTS, "fork")("two roots for one size".into()));
            }
            continue;
        }
        let proof = proofs
            .next()
            .ok_or_else(|| fail(CONSISTENCY, "proof")("a proof is missing".into()))?;
        if (proof.old_size(), proof.new_size()) != (a.size(), b.size()) {
            return Err(fail(CONSISTENCY, "proof")(
                "sizes do not match the checkpoints".into(),
            ));
        }
        proof
            .verify(a.root(), b.root())
            .map_err(|e| fail(CONSISTENCY, "proof")(e.to_string()))?;
    }
    if proofs.next().is_some() {
        return Err(fail(CONSISTENCY, "proof")("a proof too many".into()));
    }
    Ok(checkpoints)
}

/// Re-checks an evidence folder offline with nothing but the folder (see the module documentation for
/// what is checked), and names the first thing that fails ([`BrokerageError::Evidence`]).
pub fn verify_evidence(dir: &Path) -> Result<VerifiedEvidence, BrokerageError> {
    // 1. Every file is the one the manifest names.
    let manifest: BTreeMap<String, String> = parse(dir, MANIFEST)?;
    for file in [
        AGREEMENT,
        KEYS,
        PACKAGE,
        RECEIPT,
        CHECKPOINTS,
        CONSISTENCY,
        RECEIPT_ENTRY,
        PROOFS,
        REPORT_JSON,
        REPORT_MD,
        REPORT_HTML,
    ] {
        let digest = sha256_file(&dir.join(file)).map_err(|e| fail(file, "read")(e.to_string()))?;
        if manifest.get(file) != Some(&digest) {
            return Err(fail(file, "digest")("not the file the manifest names".into()));
        }
    }
    // 2. The agreement and the keys.
    let agreement = SignedAgreement::decode(&read(dir, AGREEMENT)?)
        .map_err(|e| fail(AGREEMENT, "signatures")(e.to_string()))?;
    let terms = agreement.terms();
    let keys: PublicKeysFile = parse(dir, KEYS)?;
    let key = |hex_key: &str| hex::decode(hex_key).ok();
    let seller = key(&keys.seller_signing).and_then(|k| VerifyingKey::from_bytes(&k).ok());
    let buyer = key(&keys.buyer_signing).and_then(|k| VerifyingKey::from_bytes(&k).ok());
    let recipient = key(&keys.buyer_recipient).and_then(|k| RecipientPublicKey::from_bytes(&k).ok());
    if seller.as_ref() != Some(terms.seller.verifying_key())
        || buyer.as_ref() != Some(terms.buyer.verifying_key())
        || recipient.as_ref() != Some(terms.buyer.recipient_key())
    {
        return Err(fail(KEYS, "agreement keys")(
            "a key is not the agreement's".into(),
        ));
    }
    let ledger =
        NoteVerifier::from_vkey(&keys.seller_ledger).map_err(|e| fail(KEYS, "ledger key")(e.to_string()))?;
    // 3. The package, offline.
    let file = File::open(dir.join(PACKAGE)).map_err(|e| fail(PACKAGE, "read")(e.to_string()))?;
    // Without the transfer key (an auditor has none): the signature over the header, counts, sizes and
    // the sealed entries' digest; the root is the signed one, which the receipt and proofs are checked
    // against (spec/evidence-folder.md).
    let summary = verify_package(BufReader::new(file), &agreement, DEFAULT_MAX_ENTRY_LEN)
        .map_err(|e| fail(PACKAGE, "package")(e.to_string()))?
        .summary;
    // 4. The receipt.
    let receipt_bytes = read(dir, RECEIPT)?;
    let receipt = SignedReceipt::verify(&receipt_bytes, &agreement, &summary)
        .map_err(|e| fail(RECEIPT, "receipt")(e.to_string()))?;
    // 5. The checkpoints and the consistency between them.
    let notes: Vec<String> = parse(dir, CHECKPOINTS)?;
    let consistency: Vec<ConsistencyProof> = parse(dir, CONSISTENCY)?;
    let checkpoints = verify_checkpoint_chain(&notes, &ledger, &consistency)?;
    // 6. The receipt is on the ledger the checkpoints sign.
    let entry: ReceiptEntryFile = parse(dir, RECEIPT_ENTRY)?;
    let payload = hex::decode(&entry.payload).map_err(|e| fail(RECEIPT_ENTRY, "payload")(e.to_string()))?;
    if payload != receipt.encode() {
        return Err(fail(RECEIPT_ENTRY, "payload")("not the signed receipt".into()));
    }
    let last = checkpoints
        .last()
        .ok_or_else(|| fail(CHECKPOINTS, "present")("no checkpoint".into()))?
        .checkpoint();
    if entry.inclusion.index() != entry.index || entry.inclusion.size() != last.size() {
        return Err(fail(RECEIPT_ENTRY, "inclusion")(
            "not proven under the last checkpoint".into(),
        ));
    }
    entry
        .inclusion
        .verify(&leaf_hash(&entry.salt, &payload), last.root())
        .map_err(|e| fail(RECEIPT_ENTRY, "inclusion")(e.to_string()))?;
    // 7. The customers' proofs.
    let customer_proofs: Vec<CustomerProof> = parse(dir, PROOFS)?;
    let mut proven = Vec::with_capacity(customer_proofs.len());
    for proof in &customer_proofs {
        if proof.root != summary.root {
            return Err(fail(PROOFS, "root")(format!(
                "customer {} is proven under another root",
                proof.customer
            )));
        }
        let moved = proof
            .verify(terms.seller.verifying_key())
            .map_err(|e| fail(PROOFS, "proof")(e.to_string()))?;
        proven.push((proof.customer, moved));
    }
    // 8. The report says what the package says.
    let report: TransferReport = parse(dir, REPORT_JSON)?;
    if report.package.root != summary.root || report.package.customers != summary.customers {
        return Err(fail(REPORT_JSON, "package")(
            "root or customers differ from the package".into(),
        ));
    }
    Ok(VerifiedEvidence {
        transfer: agreement.transfer_id(),
        root: summary.root,
        customers: summary.customers,
        checkpoints: checkpoints.len(),
        proofs: proven,
    })
}
