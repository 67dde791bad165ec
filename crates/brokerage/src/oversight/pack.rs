//! The compliance-audit evidence pack (PIPL Arts 54, 64; NDSR Art 27; CAC 个人信息保护合规审计管理办法): one
//! folder an auditor verifies offline with public keys only, and [`verify_audit_pack`], which re-checks
//! every signature and proof and names the first that fails. The approach is the evidence folder's
//! (`evidence.rs`): a manifest of SHA-256 digests, here signed with the brokerage's party key.
//!
//! | file | what | checked by `verify_audit_pack` |
//! |---|---|---|
//! | `public-keys.json` | the party signing key, the ledger verifier (C2SP vkey) | the manifest's signature; the checkpoints' |
//! | `MANIFEST.json` | SHA-256 of every other file but the signature | every digest matches |
//! | `MANIFEST.sig` | Ed25519 over the audit-pack domain and the manifest | with the party key |
//! | `checkpoints.json` | the ledger's signed checkpoints since the last audit, and one at export | each signature |
//! | `consistency.json` | consistency proofs between consecutive checkpoints | each proof: the ledger only grew |
//! | `entries.json` | every oversight entry of the ledger (incident steps, KEK rotations, assessments, settings) and every destruction certificate, each with its salt and inclusion proof | each included under the last checkpoint |
//! | `incidents.json` | the register with each incident's clocks at export | each incident is the record its latest ledger step digests |
//! | `rotations.json` | the key-rotation history | equals the `kek_rotated` entries |
//! | `destruction.json` | the destruction certificates | equal the certificate entries |
//! | `assessments.json` | assessments, their signed approvals and the approvers' public records | each approval's signature with its approver's key, over the content's digest; an `assessment_approved` entry for each |
//! | `statistics.json` | access-log counts and alerts since the last audit, rights-request counts and the overdue list, the audit schedule | its ledger size is the last checkpoint's (attested by the signature: the entries behind the counts are not in the pack) |
//! | `records-of-processing.json`, `.md` | GDPR Art 30 records and the inventory, with the accountable departments and roles | the manifest |

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use custodia_access::{
    AccessLog, ApprovalSettings, ApprovalSubject, Monitor, MonitorSettings, Principal, SignedApproval,
};
use custodia_consent::Digest;
use custodia_crypto::{Signature, VerifyingKey};
use custodia_ledger::{
    ConsistencyProof, EntryContent, InclusionProof, NoteVerifier, Salt, SignedCheckpoint, leaf_hash,
};
use custodia_oversight::{Assessment, AuditDue, ClockState, Incident};
use custodia_retention::DestructionCertificate;
use serde::{Deserialize, Serialize};

use crate::brokerage::Brokerage;
use crate::error::BrokerageError;
use crate::oversight::{AuditMark, LAST_AUDIT};
use crate::records::{self, SETTINGS, STEP_PREFIX};

/// The first bytes of the message the manifest's signature covers: binds it to this purpose, so no other
/// signature of the party key (agreements, packages, receipts) counts as one.
pub const AUDIT_PACK_DOMAIN: &[u8] = b"custodia-brokerage/audit-pack/v1\0";

const KEYS: &str = "public-keys.json";
const MANIFEST: &str = "MANIFEST.json";
const SIGNATURE: &str = "MANIFEST.sig";
const CHECKPOINTS: &str = "checkpoints.json";
const CONSISTENCY: &str = "consistency.json";
const ENTRIES: &str = "entries.json";
const INCIDENTS: &str = "incidents.json";
const ROTATIONS: &str = "rotations.json";
const DESTRUCTION: &str = "destruction.json";
const ASSESSMENTS: &str = "assessments.json";
const STATISTICS: &str = "statistics.json";
const RECORDS_JSON: &str = "records-of-processing.json";
const RECORDS_MD: &str = "records-of-processing.md";

/// Every file the manifest covers, in the order they are checked.
const COVERED: [&str; 11] = [
    KEYS,
    CHECKPOINTS,
    CONSISTENCY,
    ENTRIES,
    INCIDENTS,
    ROTATIONS,
    DESTRUCTION,
    ASSESSMENTS,
    STATISTICS,
    RECORDS_JSON,
    RECORDS_MD,
];

/// The step kinds the pack carries with their proofs.
const KINDS: [&str; 5] = [
    "incident_step",
    "kek_rotated",
    "assessment_stored",
    "assessment_approved",
    "oversight_settings",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    signing: String,
    ledger: String,
}

/// One ledger entry with its proof.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    index: u64,
    salt: Salt,
    payload: String,
    inclusion: InclusionProof,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentFile {
    incident: Incident,
    clocks: Vec<ClockState>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentFile {
    assessment: Assessment,
    approvals: Vec<SignedApproval>,
    approvers: Vec<Principal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotation {
    index: u64,
    from: u64,
    to: u64,
    rewrapped: u64,
    at: DateTime<Utc>,
}

/// The counts of the pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditStatistics {
    /// The ledger size the statistics were computed at (the last checkpoint's).
    pub ledger_size: u64,
    /// Where the period began (the last audit's size; 0 for the first audit).
    pub since_size: u64,
    /// When exported.
    pub at: DateTime<Utc>,
    /// Access decisions in the period by principal: `(allowed, denied)`.
    pub access_by_principal: BTreeMap<String, (u64, u64)>,
    /// Alerts the access monitors raise over the period (custodia-access's default settings).
    pub alerts: Vec<custodia_access::Alert>,
    /// Rights requests held and open.
    pub rights_requests: u64,
    /// Open requests.
    pub rights_open: u64,
    /// Overdue requests.
    pub rights_overdue: Vec<custodia_rights::Overdue>,
    /// Principals on record, and of them those whose training in the default course is valid at export
    /// (PIPL Art 51(4): train staff regularly).
    pub principals: u64,
    /// Principals trained and valid at export.
    pub trained: u64,
    /// The audit schedule at export.
    pub schedule: AuditDue,
}

/// A pack written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditPack {
    /// The folder.
    pub dir: PathBuf,
    /// The files and their SHA-256 (hex).
    pub files: BTreeMap<String, String>,
    /// The mark this pack sets (the next pack starts here).
    pub mark: AuditMark,
}

/// What [`verify_audit_pack`] established.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedAuditPack {
    /// The party key that signed the manifest (compare with the brokerage's published key).
    pub signing: VerifyingKey,
    /// The ledger verifier's name (the origin).
    pub ledger: String,
    /// Checkpoints verified.
    pub checkpoints: usize,
    /// Ledger entries proven.
    pub entries: usize,
    /// Incidents bound to their ledger steps.
    pub incidents: usize,
    /// Assessments whose approvals verified.
    pub assessments: usize,
    /// KEK rotations.
    pub rotations: usize,
    /// Destruction certificates.
    pub certificates: usize,
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, BrokerageError> {
    serde_json::to_vec_pretty(value).map_err(|e| BrokerageError::InvalidInput {
        field: "audit pack",
        reason: e.to_string(),
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

fn step_kind(payload: &[u8]) -> Option<(String, serde_json::Value)> {
    let body = payload.strip_prefix(STEP_PREFIX)?;
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let kind = value.get("kind")?.as_str()?.to_owned();
    Some((kind, value))
}

/// A destruction certificate, if the payload is one (not a brokerage step, an access entry or a consent
/// record).
fn certificate(payload: &[u8]) -> Option<DestructionCertificate> {
    if payload.starts_with(STEP_PREFIX)
        || custodia_access::AccessEntry::is_access_payload(payload)
        || payload.starts_with(custodia_consent::PAYLOAD_PREFIX)
    {
        return None;
    }
    DestructionCertificate::from_payload(payload).ok()
}

/// A certificate as the pack's `destruction.json` holds it: its payload's JSON (null if it has none).
fn certificate_value(c: &DestructionCertificate) -> serde_json::Value {
    c.to_payload()
        .ok()
        .and_then(|p| serde_json::from_slice(&p).ok())
        .unwrap_or_default()
}

/// A writer that feeds SHA-256 with every byte it passes on, so a file's manifest digest is folded as it
/// is written rather than over the file held whole.
struct Hashing<W> {
    inner: W,
    context: ring::digest::Context,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            context: ring::digest::Context::new(&ring::digest::SHA256),
        }
    }

    /// The writer and the hex SHA-256 of everything written through it.
    fn finish(self) -> (W, String) {
        (self.inner, hex::encode(self.context.finish().as_ref()))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.context.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A JSON array written element by element, byte for byte what [`json`] (`serde_json::to_vec_pretty`)
/// gives for the `Vec` of the same elements: `[]` when empty, else `[`, each element on its own line
/// indented two spaces (its inner lines two more), `,` between, and `]` on a line of its own. Pretty
/// JSON never has a raw newline inside a string (it is escaped), so indenting every line of an element
/// serialized alone is exact.
struct JsonArray<W> {
    out: W,
    len: u64,
    element: Vec<u8>,
}

impl<W: Write> JsonArray<W> {
    fn new(out: W) -> Self {
        JsonArray {
            out,
            len: 0,
            element: Vec::new(),
        }
    }

    fn push<T: Serialize>(&mut self, value: &T) -> std::io::Result<()> {
        self.element.clear();
        serde_json::to_writer_pretty(&mut self.element, value).map_err(std::io::Error::other)?;
        self.out
            .write_all(if self.len == 0 { b"[\n  " } else { b",\n  " })?;
        let mut lines = self.element.split(|b| *b == b'\n');
        if let Some(first) = lines.next() {
            self.out.write_all(first)?;
        }
        for line in lines {
            self.out.write_all(b"\n  ")?;
            self.out.write_all(line)?;
        }
        self.len += 1;
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(if self.len == 0 { b"[]" } else { b"\n]" })?;
        Ok(self.out)
    }
}

/// One of the pack's growing files (`entries.json`, `destruction.json`) being written: a [`JsonArray`]
/// into a buffered, hashing file.
struct PackArray {
    path: PathBuf,
    array: JsonArray<std::io::BufWriter<Hashing<std::fs::File>>>,
}

impl PackArray {
    fn create(path: &Path) -> Result<Self, BrokerageError> {
        let file = std::fs::File::create(path).map_err(BrokerageError::io(path, "create"))?;
        Ok(PackArray {
            path: path.to_path_buf(),
            array: JsonArray::new(std::io::BufWriter::with_capacity(1 << 16, Hashing::new(file))),
        })
    }

    fn push<T: Serialize>(&mut self, value: &T) -> Result<(), BrokerageError> {
        self.array
            .push(value)
            .map_err(BrokerageError::io(&self.path, "write"))
    }

    /// Closes the array, syncs the file and returns its hex SHA-256.
    fn finish(self) -> Result<String, BrokerageError> {
        let path = &self.path;
        let buffered = self.array.finish().map_err(BrokerageError::io(path, "write"))?;
        let hashing = buffered
            .into_inner()
            .map_err(|e| BrokerageError::io(path, "write")(e.into_error()))?;
        let (file, digest) = hashing.finish();
        file.sync_all().map_err(BrokerageError::io(path, "sync"))?;
        Ok(digest)
    }
}

impl Brokerage {
    /// Writes the audit pack into `dir` (which must not exist or be empty) — only public material — and
    /// records the audit's mark (the next pack's period starts there) in the store and on the ledger. The
    /// period is from the last audit pack (or the beginning) to a checkpoint signed now. The folder is
    /// written beside its place and renamed into it whole.
    pub fn export_audit_pack(&self, dir: &Path) -> Result<AuditPack, BrokerageError> {
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(BrokerageError::io(dir, "read"))?;
            if entries.next().is_some() {
                return Err(BrokerageError::InvalidInput {
                    field: "audit pack folder",
                    reason: format!("{} is not empty", dir.display()),
                });
            }
        }
        let since = self.last_audit()?.map_or(0, |m| m.size);
        let schedule = self.audit_due()?;
        let records = self.records_of_processing()?;
        let now = self.now();
        let last = self.checkpoint()?;
        let size = last.checkpoint().size();
        let settings = self.oversight_config()?.reporting;
        let incidents: Vec<IncidentFile> = self
            .incidents()?
            .into_iter()
            .map(|incident| IncidentFile {
                clocks: incident.clocks(&settings, now),
                incident,
            })
            .collect();
        let mut assessments = Vec::new();
        for assessment in self.assessments()? {
            let approvals = self.assessment_approvals(assessment.id)?;
            let mut approvers = Vec::new();
            for a in &approvals {
                if let Some(p) = self.principal(a.approver())? {
                    approvers.push(p);
                }
            }
            assessments.push(AssessmentFile {
                assessment,
                approvals,
                approvers,
            });
        }
        let requests = self.all_requests_count()?;
        let (principals, trained) = self.training_coverage(now)?;
        let open = self.open_requests()?.len() as u64;
        let overdue = self.overdue_requests()?;
        let mut partial = dir.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        if partial.exists() {
            std::fs::remove_dir_all(&partial).map_err(BrokerageError::io(&partial, "remove"))?;
        }
        std::fs::create_dir_all(&partial).map_err(BrokerageError::io(&partial, "create"))?;
        let mut manifest = BTreeMap::new();
        // The two files that grow with the book are written as they are scanned, one entry and one
        // certificate in memory at a time, their digests folded as the bytes go out.
        let entries_path = partial.join(ENTRIES);
        let destruction_path = partial.join(DESTRUCTION);
        let mut entries = PackArray::create(&entries_path)?;
        let mut destruction = PackArray::create(&destruction_path)?;
        let (checkpoints, consistency, rotations, access, alerts) = {
            let log = self.log();
            let checkpoints: Vec<SignedCheckpoint> = log
                .checkpoints()?
                .into_iter()
                .filter(|c| c.checkpoint().size() >= since && c.checkpoint().size() <= size)
                .collect();
            let mut consistency = Vec::new();
            for pair in checkpoints.windows(2) {
                if let [a, b] = pair
                    && a.checkpoint().size() < b.checkpoint().size()
                {
                    consistency.push(log.consistency_proof(a.checkpoint().size(), b.checkpoint().size())?);
                }
            }
            let mut rotations = Vec::new();
            let mut start = 0;
            while start < size {
                let stop = start.saturating_add(1024).min(size);
                for entry in log.entries(start..stop)? {
                    let EntryContent::Present { salt, payload } = entry.content() else {
                        continue;
                    };
                    let kind = step_kind(payload);
                    let cert = certificate(payload);
                    let keep =
                        kind.as_ref().is_some_and(|(k, _)| KINDS.contains(&k.as_str())) || cert.is_some();
                    if !keep {
                        continue;
                    }
                    if let Some((k, v)) = &kind
                        && k == "kek_rotated"
                    {
                        rotations.push(rotation(entry.index(), v).ok_or_else(|| {
                            BrokerageError::corrupt(
                                "ledger",
                                &entry.index().to_be_bytes(),
                                "a kek_rotated entry",
                            )
                        })?);
                    }
                    if let Some(c) = &cert {
                        destruction.push(&certificate_value(c))?;
                    }
                    entries.push(&EntryFile {
                        index: entry.index(),
                        salt: *salt,
                        payload: hex::encode(payload),
                        inclusion: log.inclusion_proof(entry.index(), size)?,
                    })?;
                }
                start = stop;
            }
            let mut access: BTreeMap<String, (u64, u64)> = BTreeMap::new();
            let mut monitor = Monitor::new(MonitorSettings::default())?;
            let mut alerts = Vec::new();
            for logged in AccessLog::scan(&log, since..size, &mut |_| true)? {
                let counts = access
                    .entry(logged.entry.principal().as_str().to_owned())
                    .or_default();
                if logged.entry.permitted().is_empty() {
                    counts.1 += 1;
                } else {
                    counts.0 += 1;
                }
                alerts.extend(monitor.observe(&logged));
            }
            (checkpoints, consistency, rotations, access, alerts)
        };
        manifest.insert(ENTRIES.to_owned(), entries.finish()?);
        manifest.insert(DESTRUCTION.to_owned(), destruction.finish()?);
        let statistics = AuditStatistics {
            ledger_size: size,
            since_size: since,
            at: now,
            access_by_principal: access,
            alerts,
            rights_requests: requests,
            rights_open: open,
            rights_overdue: overdue,
            principals,
            trained,
            schedule,
        };
        let keys = KeysFile {
            signing: hex::encode(self.party_key.verifying_key().as_bytes()),
            ledger: self.ledger_signer.verifier().to_vkey(),
        };
        let notes: Vec<String> = checkpoints
            .iter()
            .map(|c| String::from_utf8_lossy(&c.to_bytes()).into_owned())
            .collect();
        let files: Vec<(&str, Vec<u8>)> = vec![
            (KEYS, json(&keys)?),
            (CHECKPOINTS, json(&notes)?),
            (CONSISTENCY, json(&consistency)?),
            (INCIDENTS, json(&incidents)?),
            (ROTATIONS, json(&rotations)?),
            (ASSESSMENTS, json(&assessments)?),
            (STATISTICS, json(&statistics)?),
            (RECORDS_JSON, json(&records)?),
            (RECORDS_MD, records.to_markdown().into_bytes()),
        ];
        for (name, bytes) in &files {
            write_synced(&partial.join(name), bytes)?;
            manifest.insert((*name).to_owned(), sha256_hex(bytes));
        }
        let manifest_bytes = json(&manifest)?;
        let mut message = AUDIT_PACK_DOMAIN.to_vec();
        message.extend_from_slice(&manifest_bytes);
        let signature = self.party_key.sign(&message);
        write_synced(&partial.join(MANIFEST), &manifest_bytes)?;
        write_synced(
            &partial.join(SIGNATURE),
            hex::encode(signature.as_bytes()).as_bytes(),
        )?;
        if dir.exists() {
            std::fs::remove_dir(dir).map_err(BrokerageError::io(dir, "replace the empty folder"))?;
        }
        std::fs::rename(&partial, dir).map_err(BrokerageError::io(dir, "rename the audit pack into"))?;
        let mark = AuditMark { size, at: now };
        self.write(|log| {
            records::put_json(&self.store, SETTINGS, LAST_AUDIT, &mark)?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "audit_pack", "size": size, "since": since,
                "manifest": Digest::of(&manifest_bytes), "at": now,
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })?;
        Ok(AuditPack {
            dir: dir.to_path_buf(),
            files: manifest,
            mark,
        })
    }

    /// Exports the audit pack into `dir` and verifies it offline at once, checking that the manifest was
    /// signed with this brokerage's party key: the one call a program makes to put an audit pack beside its
    /// evidence folder (`<out>/audit-pack`) and know it verifies.
    pub fn export_verified_audit_pack(
        &self,
        dir: &Path,
    ) -> Result<(AuditPack, VerifiedAuditPack), BrokerageError> {
        let pack = self.export_audit_pack(dir)?;
        let verified = verify_audit_pack(dir)?;
        if verified.signing != self.party_key.verifying_key() {
            return Err(fail(KEYS, "signing key")("not this brokerage's key".into()));
        }
        Ok((pack, verified))
    }

    fn training_coverage(&self, at: DateTime<Utc>) -> Result<(u64, u64), BrokerageError> {
        let course = custodia_access::Course::new(custodia_access::DEFAULT_COURSE)?;
        let (mut all, mut trained) = (0u64, 0u64);
        records::scan_pages(
            &self.store,
            crate::access::PRINCIPALS,
            custodia_store::KeyRange::all(),
            256,
            &mut |page| {
                for r in page {
                    let p: Principal = records::decode_json(crate::access::PRINCIPALS, &r.key, &r.value)?;
                    all += 1;
                    if p.training_valid_until(&course, at).is_some() {
                        trained += 1;
                    }
                }
                Ok(())
            },
        )?;
        Ok((all, trained))
    }

    fn all_requests_count(&self) -> Result<u64, BrokerageError> {
        let mut n = 0u64;
        records::scan_pages(
            &self.store,
            records::RIGHTS_REQUESTS,
            custodia_store::KeyRange::all(),
            1024,
            &mut |page| {
                n += page.len() as u64;
                Ok(())
            },
        )?;
        Ok(n)
    }
}

fn rotation(index: u64, v: &serde_json::Value) -> Option<Rotation> {
    Some(Rotation {
        index,
        from: v.get("from")?.as_u64()?,
        to: v.get("to")?.as_u64()?,
        rewrapped: v.get("rewrapped")?.as_u64()?,
        at: serde_json::from_value(v.get("at")?.clone()).ok()?,
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BrokerageError> {
    let mut file = std::fs::File::create(path).map_err(BrokerageError::io(path, "create"))?;
    file.write_all(bytes).map_err(BrokerageError::io(path, "write"))?;
    file.sync_all().map_err(BrokerageError::io(path, "sync"))
}

fn fail(file: &'static str, check: &'static str) -> impl Fn(String) -> BrokerageError {
    move |reason| BrokerageError::Evidence { file, check, reason }
}

fn parse<T: for<'de> Deserialize<'de>>(file: &'static str, bytes: &[u8]) -> Result<T, BrokerageError> {
    serde_json::from_slice(bytes).map_err(|e| fail(file, "parse")(e.to_string()))
}

/// Where a pack's files are read from: its folder, or its files already in memory. Verification reads
/// through this alone, so both are checked by the same code.
trait PackFiles {
    /// The file from its beginning; missing or unreadable is `Evidence { file, check: "read" }`.
    fn open(&self, file: &'static str) -> Result<Box<dyn std::io::Read + '_>, BrokerageError>;

    /// A small file whole.
    fn read_all(&self, file: &'static str) -> Result<Vec<u8>, BrokerageError> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut self.open(file)?, &mut bytes)
            .map_err(|e| fail(file, "read")(e.to_string()))?;
        Ok(bytes)
    }

    /// The file's hex SHA-256, read in pieces.
    fn sha256(&self, file: &'static str) -> Result<String, BrokerageError> {
        let mut reader = self.open(file)?;
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let n = std::io::Read::read(&mut reader, &mut buffer)
                .map_err(|e| fail(file, "read")(e.to_string()))?;
            if n == 0 {
                return Ok(hex::encode(context.finish().as_ref()));
            }
            context.update(buffer.get(..n).unwrap_or_default());
        }
    }

    /// A small file parsed whole.
    fn parse<T: for<'de> Deserialize<'de>>(&self, file: &'static str) -> Result<T, BrokerageError> {
        parse(file, &self.read_all(file)?)
    }

    /// Parses the file as a JSON array element by element, handing each to `each`, and refuses anything
    /// after the array: the same verdict as parsing it into a `Vec` whole, one element in memory at a
    /// time. Returns the number of elements.
    fn each<T: for<'de> Deserialize<'de>>(
        &self,
        file: &'static str,
        each: &mut dyn FnMut(T),
    ) -> Result<usize, BrokerageError> {
        let reader = std::io::BufReader::with_capacity(1 << 16, self.open(file)?);
        let mut de = serde_json::Deserializer::from_reader(reader);
        let failed = |e: serde_json::Error| {
            let check = if e.is_io() { "read" } else { "parse" };
            fail(file, check)(e.to_string())
        };
        let n = serde::Deserializer::deserialize_seq(
            &mut de,
            Each {
                each,
                element: std::marker::PhantomData,
            },
        )
        .map_err(failed)?;
        de.end().map_err(failed)?;
        Ok(n)
    }
}

/// The folder: every file is opened first, so a missing one is named before any check runs.
struct Folder<'a>(&'a Path);

impl PackFiles for Folder<'_> {
    fn open(&self, file: &'static str) -> Result<Box<dyn std::io::Read + '_>, BrokerageError> {
        let opened = std::fs::File::open(self.0.join(file)).map_err(|e| fail(file, "read")(e.to_string()))?;
        let metadata = opened.metadata().map_err(|e| fail(file, "read")(e.to_string()))?;
        if metadata.is_dir() {
            return Err(fail(file, "read")("a folder, not a file".into()));
        }
        Ok(Box::new(opened))
    }
}

impl PackFiles for BTreeMap<String, Vec<u8>> {
    fn open(&self, file: &'static str) -> Result<Box<dyn std::io::Read + '_>, BrokerageError> {
        self.get(file)
            .map(|bytes| Box::new(bytes.as_slice()) as Box<dyn std::io::Read>)
            .ok_or_else(|| fail(file, "read")("missing".into()))
    }
}

/// The visitor behind [`PackFiles::each`]: a sequence, each element handed on and dropped.
struct Each<'f, T> {
    each: &'f mut dyn FnMut(T),
    element: std::marker::PhantomData<fn() -> T>,
}

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Each<'_, T> {
    type Value = usize;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a sequence")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0usize;
        while let Some(element) = seq.next_element::<T>()? {
            (self.each)(element);
            n += 1;
        }
        Ok(n)
    }
}

/// A sequence of JSON values folded into one SHA-256 and a count, so two sequences compare equal — as
/// `Vec<serde_json::Value>`s would — without either being held. Each value is folded in a prefix-free,
/// tagged encoding in which objects' keys are sorted (serde_json's `preserve_order` is on in this
/// workspace, through cedar-policy, and its maps compare regardless of key order) and a float zero is
/// positive (`-0.0 == 0.0`), so two values fold alike exactly when they are equal.
struct ValueSequence {
    context: ring::digest::Context,
    len: usize,
}

impl ValueSequence {
    fn new() -> Self {
        ValueSequence {
            context: ring::digest::Context::new(&ring::digest::SHA256),
            len: 0,
        }
    }

    fn push(&mut self, value: &serde_json::Value) {
        fold_value(&mut self.context, value);
        self.len += 1;
    }

    fn finish(self) -> (usize, Vec<u8>) {
        (self.len, self.context.finish().as_ref().to_vec())
    }
}

fn fold_value(context: &mut ring::digest::Context, value: &serde_json::Value) {
    use serde_json::Value;
    let len = |context: &mut ring::digest::Context, n: usize| context.update(&(n as u64).to_be_bytes());
    match value {
        Value::Null => context.update(b"n"),
        Value::Bool(b) => context.update(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                context.update(b"u");
                context.update(&u.to_be_bytes());
            } else if let Some(i) = n.as_i64() {
                context.update(b"i");
                context.update(&i.to_be_bytes());
            } else {
                let f = n.as_f64().unwrap_or_default();
                let f = if f == 0.0 { 0.0f64 } else { f };
                context.update(b"d");
                context.update(&f.to_bits().to_be_bytes());
            }
        }
        Value::String(s) => {
            context.update(b"s");
            len(context, s.len());
            context.update(s.as_bytes());
        }
        Value::Array(items) => {
            context.update(b"[");
            len(context, items.len());
            for item in items {
                fold_value(context, item);
            }
        }
        Value::Object(map) => {
            context.update(b"{");
            len(context, map.len());
            let mut pairs: Vec<(&String, &Value)> = map.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            for (key, item) in pairs {
                len(context, key.len());
                context.update(key.as_bytes());
                fold_value(context, item);
            }
        }
    }
}

/// Checks one entry of `entries.json` under the last checkpoint and sorts it: a step is kept (they are
/// few), a certificate folded into the sequence `destruction.json` must equal.
fn check_entry(
    entry: &EntryFile,
    last: &custodia_ledger::Checkpoint,
    steps: &mut Vec<(u64, String, serde_json::Value)>,
    certificates: &mut ValueSequence,
) -> Result<(), BrokerageError> {
    let payload = hex::decode(&entry.payload).map_err(|e| fail(ENTRIES, "payload")(e.to_string()))?;
    if entry.inclusion.index() != entry.index || entry.inclusion.size() != last.size() {
        return Err(fail(ENTRIES, "inclusion")(format!(
            "entry {} is not proven under the last checkpoint",
            entry.index
        )));
    }
    entry
        .inclusion
        .verify(&leaf_hash(&entry.salt, &payload), last.root())
        .map_err(|e| fail(ENTRIES, "inclusion")(format!("entry {}: {e}", entry.index)))?;
    if let Some((kind, value)) = step_kind(&payload) {
        steps.push((entry.index, kind, value));
    } else if let Some(c) = certificate(&payload) {
        certificates.push(&certificate_value(&c));
    } else {
        return Err(fail(ENTRIES, "kind")(format!(
            "entry {} is not an oversight entry",
            entry.index
        )));
    }
    Ok(())
}

/// Re-checks an audit pack offline with nothing but the folder and names the first check that fails
/// ([`BrokerageError::Evidence`]): the manifest's signature, every file's digest, every checkpoint's
/// signature and the consistency between them, every entry's inclusion under the last checkpoint, each
/// incident against its latest ledger step, the rotations and certificates against their entries, and
/// each assessment's approvals against its approvers' keys. The caller compares
/// [`VerifiedAuditPack::signing`] with the brokerage's published key. The files that grow with the book
/// (`entries.json`, `destruction.json`) are streamed, never held whole: memory does not grow with them.
pub fn verify_audit_pack(dir: &Path) -> Result<VerifiedAuditPack, BrokerageError> {
    let folder = Folder(dir);
    for file in COVERED.into_iter().chain([MANIFEST, SIGNATURE]) {
        folder.open(file)?;
    }
    verify(&folder)
}

/// [`verify_audit_pack`] over the pack's files already read (from an archive, say): file name to bytes.
pub fn verify_audit_pack_files(
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<VerifiedAuditPack, BrokerageError> {
    verify(files)
}

fn verify(files: &impl PackFiles) -> Result<VerifiedAuditPack, BrokerageError> {
    // 1. The keys, the manifest's signature, every digest.
    let keys: KeysFile = files.parse(KEYS)?;
    let signing = hex::decode(&keys.signing)
        .ok()
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        .ok_or_else(|| fail(KEYS, "signing key")("not an Ed25519 key".into()))?;
    let ledger =
        NoteVerifier::from_vkey(&keys.ledger).map_err(|e| fail(KEYS, "ledger key")(e.to_string()))?;
    let manifest_bytes = files.read_all(MANIFEST)?;
    let signature = files.read_all(SIGNATURE)?;
    let signature = std::str::from_utf8(&signature)
        .ok()
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| Signature::from_bytes(&b).ok())
        .ok_or_else(|| fail(SIGNATURE, "parse")("not a hex Ed25519 signature".into()))?;
    let mut message = AUDIT_PACK_DOMAIN.to_vec();
    message.extend_from_slice(&manifest_bytes);
    signing
        .verify(&message, &signature)
        .map_err(|_| fail(SIGNATURE, "signature")("the manifest is not signed by the pack's key".into()))?;
    let manifest: BTreeMap<String, String> = parse(MANIFEST, &manifest_bytes)?;
    if manifest.len() != COVERED.len() {
        return Err(fail(MANIFEST, "files")("not the pack's files".into()));
    }
    for file in COVERED {
        if manifest.get(file) != Some(&files.sha256(file)?) {
            return Err(fail(file, "digest")("not the file the manifest names".into()));
        }
    }
    // 2. Checkpoints and consistency.
    let notes: Vec<String> = files.parse(CHECKPOINTS)?;
    let consistency: Vec<ConsistencyProof> = files.parse(CONSISTENCY)?;
    let checkpoints = crate::evidence::verify_checkpoint_chain(&notes, &ledger, &consistency)?;
    let last = checkpoints
        .last()
        .ok_or_else(|| fail(CHECKPOINTS, "present")("no checkpoint".into()))?
        .checkpoint();
    // 3. Every entry under the last checkpoint, one at a time. The file is parsed to its end even after
    // an entry fails, so a malformed file is named as such first, as when it was parsed whole.
    let mut steps: Vec<(u64, String, serde_json::Value)> = Vec::new();
    let mut certificates = ValueSequence::new();
    let mut first_failure = None;
    let entries = files.each(ENTRIES, &mut |entry: EntryFile| {
        if first_failure.is_none()
            && let Err(e) = check_entry(&entry, last, &mut steps, &mut certificates)
        {
            first_failure = Some(e);
        }
    })?;
    if let Some(e) = first_failure {
        return Err(e);
    }
    // 4. Each incident is the record its latest step digests.
    let incidents: Vec<IncidentFile> = files.parse(INCIDENTS)?;
    for file in &incidents {
        let id = serde_json::to_value(file.incident.id).unwrap_or_default();
        let latest = steps
            .iter()
            .rfind(|(_, k, v)| k == "incident_step" && v.get("incident") == Some(&id))
            .ok_or_else(|| fail(INCIDENTS, "ledger")(format!("incident {} has no step", file.incident.id)))?;
        let bytes = records::to_json(&file.incident)?;
        let digest = serde_json::to_value(Digest::of(&bytes)).unwrap_or_default();
        if latest.2.get("record") != Some(&digest) {
            return Err(fail(INCIDENTS, "ledger")(format!(
                "incident {} is not the record its latest step digests",
                file.incident.id
            )));
        }
    }
    // 5. Rotations and certificates are the entries'.
    let rotations: Vec<Rotation> = files.parse(ROTATIONS)?;
    let from_entries: Vec<Rotation> = steps
        .iter()
        .filter(|(_, k, _)| k == "kek_rotated")
        .filter_map(|(i, _, v)| rotation(*i, v))
        .collect();
    if rotations != from_entries {
        return Err(fail(ROTATIONS, "ledger")(
            "not the rotations on the ledger".into(),
        ));
    }
    let mut destruction = ValueSequence::new();
    files.each(DESTRUCTION, &mut |value: serde_json::Value| {
        destruction.push(&value)
    })?;
    let (certificates, proven) = certificates.finish();
    if destruction.finish() != (certificates, proven) {
        return Err(fail(DESTRUCTION, "ledger")(
            "not the certificates on the ledger".into(),
        ));
    }
    // 6. Assessments: each approval verifies with its approver's key, over the stored content.
    let assessments: Vec<AssessmentFile> = files.parse(ASSESSMENTS)?;
    let settings = ApprovalSettings::default();
    for file in &assessments {
        let a = &file.assessment;
        let Some(approval) = &a.approval else { continue };
        let bytes = a.content_bytes()?;
        let digest = sha256_hex(&bytes);
        if file.approvals.len() != approval.approvers.len() {
            return Err(fail(ASSESSMENTS, "approvals")(format!(
                "assessment {}: approvals missing",
                a.id
            )));
        }
        for signed in &file.approvals {
            let matches = matches!(
                signed.request().subject(),
                ApprovalSubject::Document { id, digest: d, .. } if *id == a.id && *d == digest
            );
            if !matches {
                return Err(fail(ASSESSMENTS, "approvals")(format!(
                    "assessment {}: an approval covers other content",
                    a.id
                )));
            }
            let approver = file
                .approvers
                .iter()
                .find(|p| p.id() == signed.approver())
                .ok_or_else(|| {
                    fail(ASSESSMENTS, "approvers")(format!("assessment {}: approver unknown", a.id))
                })?;
            signed
                .verify(approver, &settings)
                .map_err(|e| fail(ASSESSMENTS, "signature")(format!("assessment {}: {e}", a.id)))?;
        }
        let id = serde_json::to_value(a.id).unwrap_or_default();
        if !steps
            .iter()
            .any(|(_, k, v)| k == "assessment_approved" && v.get("assessment") == Some(&id))
        {
            return Err(fail(ASSESSMENTS, "ledger")(format!(
                "assessment {}: approval not on the ledger",
                a.id
            )));
        }
    }
    // 7. The statistics are of the last checkpoint's ledger.
    let statistics: AuditStatistics = files.parse(STATISTICS)?;
    if statistics.ledger_size != last.size() {
        return Err(fail(STATISTICS, "ledger")(
            "computed at another ledger size".into(),
        ));
    }
    let _: custodia_oversight::RecordsOfProcessing = files.parse(RECORDS_JSON)?;
    Ok(VerifiedAuditPack {
        signing,
        ledger: ledger.name().to_owned(),
        checkpoints: checkpoints.len(),
        entries,
        incidents: incidents.len(),
        assessments: assessments
            .iter()
            .filter(|a| a.assessment.approval.is_some())
            .count(),
        rotations: rotations.len(),
        certificates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed array is byte for byte what `json` gives for the `Vec` (0, 1 and several elements,
    /// nested objects and arrays, a string with a newline), and the hashing writer's digest is the bytes'.
    #[test]
    fn a_streamed_array_is_the_vec_json_and_its_digest() {
        let elements = [
            serde_json::json!({"kind": "a", "nested": {"list": [1, 2, {"x": []}], "empty": {}}}),
            serde_json::json!("two\nlines"),
            serde_json::json!([[], [1.5, null, true], {"z": "\u{0}"}]),
            serde_json::json!(-3),
        ];
        for n in [0, 1, 2, elements.len()] {
            let part = elements.get(..n).unwrap();
            let mut array = JsonArray::new(Hashing::new(Vec::new()));
            for e in part {
                array.push(e).unwrap();
            }
            let (bytes, digest) = array.finish().unwrap().finish();
            let expected = json(&part.to_vec()).unwrap();
            assert_eq!(
                String::from_utf8(bytes.clone()).unwrap(),
                String::from_utf8(expected).unwrap(),
                "{n}"
            );
            assert_eq!(digest, sha256_hex(&bytes));
        }
        // Typed elements too (a struct with a map).
        let rotations = vec![
            Rotation {
                index: 1,
                from: 1,
                to: 2,
                rewrapped: 3,
                at: DateTime::<Utc>::UNIX_EPOCH,
            },
            Rotation {
                index: 9,
                from: 2,
                to: 3,
                rewrapped: 0,
                at: DateTime::<Utc>::UNIX_EPOCH,
            },
        ];
        let mut array = JsonArray::new(Vec::new());
        for r in &rotations {
            array.push(r).unwrap();
        }
        assert_eq!(array.finish().unwrap(), json(&rotations).unwrap());
    }
    /// Two sequences of values fold alike exactly when they are equal as `Vec<serde_json::Value>`s: key
    /// order does not matter (as in the maps' equality), `-0.0` is `0.0`, an integer is not a float, and
    /// where one value ends and the next begins counts.
    #[test]
    fn value_sequences_fold_alike_exactly_when_equal() {
        let fold = |values: &[&str]| {
            let mut sequence = ValueSequence::new();
            let parsed: Vec<serde_json::Value> =
                values.iter().map(|v| serde_json::from_str(v).unwrap()).collect();
            for v in &parsed {
                sequence.push(v);
            }
            (sequence.finish(), parsed)
        };
        let pairs: [(&[&str], &[&str]); 9] = [
            (&[r#"{"a":1,"b":[true,null]}"#], &[r#"{"b":[true,null],"a":1}"#]),
            (&["-0.0"], &["0.0"]),
            (&["1"], &["1.0"]),
            (&["-1"], &["18446744073709551615"]),
            (&[r#""ab""#, r#""c""#], &[r#""a""#, r#""bc""#]),
            (&["[[1],[]]"], &["[[],[1]]"]),
            (&[r#"{"a":{}}"#], &[r#"{"a":[]}"#]),
            (&[], &["null"]),
            (&["1e300"], &["1e301"]),
        ];
        for (a, b) in pairs {
            let ((fa, va), (fb, vb)) = (fold(a), fold(b));
            assert_eq!(fa == fb, va == vb, "{a:?} {b:?}");
        }
    }
    /// An array read element by element has the verdict of one parsed whole: its elements in order, and
    /// trailing bytes, a non-array or a bad element refused as `parse`; a missing file as `read`.
    #[test]
    fn an_array_read_element_by_element_is_refused_as_parsed_whole() {
        let read = |bytes: &str| {
            let files = BTreeMap::from([(ENTRIES.to_owned(), bytes.as_bytes().to_vec())]);
            let mut seen = Vec::new();
            files
                .each(ENTRIES, &mut |v: u64| seen.push(v))
                .map(|n| (n, seen.clone()))
        };
        assert_eq!(read(" [1, 2,3] \n").unwrap(), (3, vec![1, 2, 3]));
        assert_eq!(read("[]").unwrap(), (0, vec![]));
        for bad in ["[1, 2] x", "[1, 2][]", "{}", "null", "[1, \"2\"]", "[1,", ""] {
            assert!(serde_json::from_str::<Vec<u64>>(bad).is_err());
            assert!(
                matches!(
                    read(bad),
                    Err(BrokerageError::Evidence {
                        file: ENTRIES,
                        check: "parse",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        let none = BTreeMap::new();
        assert!(matches!(
            none.each(ENTRIES, &mut |_: u64| {}),
            Err(BrokerageError::Evidence {
                file: ENTRIES,
                check: "read",
                ..
            })
        ));
    }
}
