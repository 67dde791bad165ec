//! The auditor-facing routes (issue 21): what a compliance auditor needs to check the brokerage's ledger
//! and its oversight records offline, with public keys only.
//!
//! - **Proofs** (`GET /api/v1/proofs/inclusion?index=&size=`, `GET /api/v1/proofs/consistency?old=&new=`):
//!   the inclusion proof of a ledger entry under a tree size and the consistency proof between two sizes,
//!   as custodia-ledger's own serialised `InclusionProof` and
//!   `ConsistencyProof` — checked with their `verify` against the roots of two signed
//!   checkpoints (the public `GET /api/v1/checkpoint`, a receipt's, an audit pack's). The checkpoint note
//!   itself stays public. A proof carries hashes only.
//! - **The audit pack** (`POST /api/v1/audit-packs` exports one; `GET /api/v1/audit-packs` lists them;
//!   `GET /api/v1/audit-packs/{size}` names its files; `GET /api/v1/audit-packs/{size}/files/{name}`
//!   serves each): the folder `Brokerage::export_audit_pack` writes, kept in the directory given to
//!   [`crate::AppState::with_audit_packs`] under the ledger size it covers. The library writes a folder and
//!   no archive crate is in the workspace, so the files are served one by one, byte for byte: the auditor
//!   saves them in one folder and runs `custodia verify audit-pack <dir> --signing <key>`.
//! - **A consent receipt** (`GET /api/v1/customers/{id}/consents/{event}/receipt`): the receipt the
//!   customer can download for their own answer, for an auditor sampling consents (`custodia verify
//!   consent-receipt`).
//!
//! **Who may call** (PIPL Art 54: the handler audits its own compliance regularly, itself or through a
//! professional body — Art 64 — so the auditor is a principal of the brokerage's access directory, issue
//! 15): proofs are for any member of staff (`PrincipalKind::Staff`; a service account is 403 `staff_only`,
//! as for the other staff lists), since they carry no personal information — they are how the brokerage
//! shows its records were not rewritten (Art 69: the handler must prove it was not at fault). The audit
//! pack — the period's access counts by principal, incidents, impact assessments with their approvals
//! (Arts 55–56; kept at least 3 years), key rotations, destruction certificates — is for a member of staff
//! holding the role [`AUDITOR_ROLE`] or [`COMPLIANCE_ROLE`] only (else 403 `auditor_only`): exporting one
//! also moves the audit period's mark on the ledger. So is a consent receipt, which is about a person.
//!
//! Errors are typed JSON naming the query field or the pack's size, never a value of a record; `tracing`
//! events carry principal ids, sizes and counts.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Mutex;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custodia_access::PrincipalKind;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{Authenticated, blocking, require_staff};
use crate::error::{ApiError, ErrorBody};

/// The role of a principal who audits (an internal auditor, or a professional body's auditor keyed in the
/// directory for the audit).
pub const AUDITOR_ROLE: &str = "auditor";
/// The compliance team's role (the personal-information protection officer's team, PIPL Art 52), which
/// prepares the audit.
pub const COMPLIANCE_ROLE: &str = "compliance";

const MANIFEST: &str = "MANIFEST.json";
const SIGNATURE: &str = "MANIFEST.sig";

/// Where the audit packs exported over HTTP are kept: `<dir>/<ledger size>/`, each the folder
/// `Brokerage::export_audit_pack` wrote.
#[derive(Debug)]
pub struct AuditPacks {
    dir: PathBuf,
    /// One export at a time per process (the brokerage serialises the ledger writes; this keeps the
    /// staging folder names apart).
    export: Mutex<u64>,
}

impl AuditPacks {
    /// Packs kept in `dir` (created on the first export).
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            export: Mutex::new(0),
        }
    }

    fn pack_dir(&self, size: u64) -> PathBuf {
        self.dir.join(size.to_string())
    }
}

/// Refuses a principal that is not a member of staff holding the auditor's or the compliance role.
fn require_auditor(auth: &Authenticated) -> Result<(), ApiError> {
    let p = &auth.principal;
    let allowed = p.kind() == PrincipalKind::Staff
        && p.roles()
            .iter()
            .any(|r| r.as_str() == AUDITOR_ROLE || r.as_str() == COMPLIANCE_ROLE);
    if allowed {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "auditor_only",
            format!(
                "principal {} is not a member of staff with the role {AUDITOR_ROLE} or {COMPLIANCE_ROLE}",
                p.id()
            ),
        ))
    }
}

fn packs(state: &AppState) -> Result<std::sync::Arc<AuditPacks>, ApiError> {
    state.audit_packs.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_packs_not_configured",
            "this service keeps no audit packs (started without an audit-pack directory)",
        )
    })
}

/// A query field name, echoed only if it is a short identifier.
fn shown(name: &str) -> String {
    if !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    {
        name.to_owned()
    } else {
        "(a name that is not an identifier)".to_owned()
    }
}

/// Parses a query of exactly the unsigned-integer fields `names`: an unknown, duplicated, missing or
/// non-numeric field is 422 naming it (the value is never echoed).
fn numbers<const N: usize>(query: Option<&str>, names: [&'static str; N]) -> Result<[u64; N], ApiError> {
    let mut found: [Option<u64>; N] = [None; N];
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let Some(i) = names.iter().position(|n| *n == key) else {
            let name = shown(&key);
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_field",
                name.clone(),
                format!("unknown query field {name}; the fields are {}", names.join(", ")),
            ));
        };
        if found[i].is_some() {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "duplicate_field",
                names[i].to_owned(),
                format!("{} is given twice", names[i]),
            ));
        }
        let number = value.parse::<u64>().ok().filter(|n| n.to_string() == value);
        found[i] = Some(number.ok_or_else(|| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                names[i].to_owned(),
                format!("{} is not an unsigned integer", names[i]),
            )
        })?);
    }
    let mut out = [0u64; N];
    for (i, name) in names.iter().enumerate() {
        out[i] = found[i].ok_or_else(|| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_field",
                (*name).to_owned(),
                format!("{name} is required"),
            )
        })?;
    }
    Ok(out)
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(|_| ApiError::internal())?;
    Ok((status, [(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The inclusion proof of ledger entry `index` under the tree of `size` entries (RFC 9162 §2.1.3), as
/// custodia-ledger's `InclusionProof` JSON: `InclusionProof::verify(leaf_hash, root)` with the root of a
/// signed checkpoint of `size` (PIPL Arts 54, 69).
#[utoipa::path(
    get,
    path = "/api/v1/proofs/inclusion",
    params(
        ("index" = u64, Query, description = "the entry's index"),
        ("size" = u64, Query, description = "the tree size (a signed checkpoint's), above index and at most the ledger's"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "custodia-ledger `InclusionProof` JSON `{index, size, path}`", content_type = "application/json"),
        (status = 401, body = ErrorBody), (status = 403, description = "not staff", body = ErrorBody),
        (status = 422, description = "a missing, unknown, duplicated or invalid field (index, size), named", body = ErrorBody),
    )
)]
pub(crate) async fn inclusion_proof(
    State(state): State<AppState>,
    auth: Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_staff(&auth)?;
    let [index, size] = numbers(query.as_deref(), ["index", "size"])?;
    let proof = blocking(&state, move |b| b.inclusion_proof(index, size)).await?;
    tracing::info!(principal = %auth.principal.id(), index, size, path = proof.path().len(), "inclusion proof served");
    json(StatusCode::OK, &proof)
}

/// The consistency proof from the tree of `old` entries to the tree of `new` (RFC 9162 §2.1.4), as
/// custodia-ledger's `ConsistencyProof` JSON: `ConsistencyProof::verify(old_root, new_root)` with the roots
/// of two signed checkpoints shows the ledger only grew between them (PIPL Arts 54, 69).
#[utoipa::path(
    get,
    path = "/api/v1/proofs/consistency",
    params(
        ("old" = u64, Query, description = "the older tree size"),
        ("new" = u64, Query, description = "the newer tree size, at most the ledger's"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "custodia-ledger `ConsistencyProof` JSON `{old_size, new_size, path}`", content_type = "application/json"),
        (status = 401, body = ErrorBody), (status = 403, description = "not staff", body = ErrorBody),
        (status = 422, description = "a missing, unknown, duplicated or invalid field (old, new), named", body = ErrorBody),
    )
)]
pub(crate) async fn consistency_proof(
    State(state): State<AppState>,
    auth: Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    require_staff(&auth)?;
    let [old, new] = numbers(query.as_deref(), ["old", "new"])?;
    let proof = blocking(&state, move |b| b.consistency_proof(old, new)).await?;
    tracing::info!(principal = %auth.principal.id(), old, new, path = proof.path().len(), "consistency proof served");
    json(StatusCode::OK, &proof)
}

/// An exported pack, as the export and the listing answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackSummary {
    /// The ledger size the pack covers (its id).
    pub size: u64,
    /// Where its file list is.
    pub path: String,
}

/// A pack's files.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackFiles {
    /// The ledger size the pack covers.
    pub size: u64,
    /// Every file of the pack (the manifest and its signature first), each to save under its name.
    pub files: Vec<PackFile>,
}

/// One file of a pack.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackFile {
    /// The file's name in the pack's folder.
    pub name: String,
    /// Its SHA-256 (hex) as the signed manifest states it (none for the manifest and its signature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Where to download it.
    pub path: String,
}

fn summary(size: u64) -> PackSummary {
    PackSummary {
        size,
        path: format!("/api/v1/audit-packs/{size}"),
    }
}

/// Runs blocking file work for the audit packs; an I/O failure is logged with its kind only.
async fn on_disk<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|_| {
        tracing::error!("an audit-pack task panicked or was cancelled");
        Err(ApiError::internal())
    })
}

fn io_failed(what: &'static str) -> impl Fn(std::io::Error) -> ApiError {
    move |e| {
        tracing::error!(kind = ?e.kind(), what, "audit-pack file operation failed");
        ApiError::internal()
    }
}

/// Exports an audit pack now (`Brokerage::export_audit_pack`: the period since the last pack, to a
/// checkpoint signed now; the mark of the next period goes on the ledger) and keeps it under the ledger
/// size it covers. Auditor or compliance role (PIPL Arts 54–56, 64).
#[utoipa::path(
    post,
    path = "/api/v1/audit-packs",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "exported", body = PackSummary),
        (status = 401, body = ErrorBody), (status = 403, description = "not an auditor", body = ErrorBody),
        (status = 503, description = "no audit-pack directory configured", body = ErrorBody),
    )
)]
pub(crate) async fn export_pack(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    require_auditor(&auth)?;
    let packs = packs(&state)?;
    let brokerage = state.brokerage().clone();
    let (size, files) = on_disk(move || {
        let mut serial = packs
            .export
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *serial += 1;
        std::fs::create_dir_all(&packs.dir).map_err(io_failed("create the audit-pack directory"))?;
        let staging = packs.dir.join(format!(
            ".export-{}-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros(),
            *serial
        ));
        let pack = brokerage.export_audit_pack(&staging).map_err(ApiError::from)?;
        let size = pack.mark.size;
        let target = packs.pack_dir(size);
        if target.exists() {
            tracing::error!(
                size,
                "an audit pack of this size is already kept; the new one stays staged"
            );
            return Err(ApiError::internal());
        }
        std::fs::rename(&staging, &target).map_err(io_failed("move the audit pack into place"))?;
        Ok((size, pack.files.len()))
    })
    .await?;
    tracing::info!(principal = %auth.principal.id(), size, files, "audit pack exported");
    json(StatusCode::CREATED, &summary(size))
}

/// The packs kept, oldest first. Auditor or compliance role.
#[utoipa::path(
    get,
    path = "/api/v1/audit-packs",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the packs", body = [PackSummary]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody),
    )
)]
pub(crate) async fn list_packs(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    require_auditor(&auth)?;
    let dir = packs(&state)?.dir.clone();
    let sizes = on_disk(move || {
        let mut sizes = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(sizes),
            Err(e) => return Err(io_failed("list the audit packs")(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io_failed("list the audit packs"))?;
            let name = entry.file_name();
            let Some(size) = name.to_str().and_then(canonical_size) else {
                continue;
            };
            if entry.path().join(MANIFEST).is_file() {
                sizes.push(size);
            }
        }
        sizes.sort_unstable();
        Ok(sizes)
    })
    .await?;
    tracing::debug!(principal = %auth.principal.id(), packs = sizes.len(), "audit packs listed");
    let out: Vec<PackSummary> = sizes.into_iter().map(summary).collect();
    json(StatusCode::OK, &out)
}

/// A size as a pack's folder or path spells it: digits, no sign, no leading zero.
fn canonical_size(text: &str) -> Option<u64> {
    text.parse::<u64>().ok().filter(|n| n.to_string() == text)
}

fn size_of_path(text: &str) -> Result<u64, ApiError> {
    canonical_size(text).ok_or_else(|| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            "size".into(),
            "the pack's size in the path is not an unsigned integer",
        )
    })
}

fn no_such_pack(size: u64) -> ApiError {
    ApiError::field(
        StatusCode::NOT_FOUND,
        "no_such_audit_pack",
        "size".into(),
        format!("no audit pack of ledger size {size} is kept here"),
    )
}

/// A kept pack's file names, the manifest and its signature first, from its signed manifest.
fn pack_files(dir: &FsPath, size: u64) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let bytes = match std::fs::read(dir.join(MANIFEST)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(no_such_pack(size)),
        Err(e) => return Err(io_failed("read an audit pack's manifest")(e)),
    };
    let manifest: BTreeMap<String, String> = serde_json::from_slice(&bytes).map_err(|_| {
        tracing::error!(size, "a kept audit pack's manifest does not parse");
        ApiError::internal()
    })?;
    let mut files = vec![(MANIFEST.to_owned(), None), (SIGNATURE.to_owned(), None)];
    for (name, digest) in manifest {
        // The manifest is the brokerage's own, but a name is never a path.
        if shown(&name) != name || name.starts_with('.') {
            tracing::error!(
                size,
                "a kept audit pack's manifest names a file that is not a plain name"
            );
            return Err(ApiError::internal());
        }
        files.push((name, Some(digest)));
    }
    Ok(files)
}

/// A kept pack's files: save each under its name in one folder and run `custodia verify audit-pack`.
/// Auditor or compliance role.
#[utoipa::path(
    get,
    path = "/api/v1/audit-packs/{size}",
    params(("size" = u64, Path, description = "the ledger size the pack covers")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the pack's files", body = PackFiles),
        (status = 400, description = "the size is not a number", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such pack (size named)", body = ErrorBody), (status = 503, body = ErrorBody),
    )
)]
pub(crate) async fn pack_index(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(size): Path<String>,
) -> Result<Response, ApiError> {
    require_auditor(&auth)?;
    let size = size_of_path(&size)?;
    let dir = packs(&state)?.pack_dir(size);
    let files = on_disk(move || pack_files(&dir, size)).await?;
    tracing::debug!(principal = %auth.principal.id(), size, files = files.len(), "audit pack listed");
    let files = files
        .into_iter()
        .map(|(name, sha256)| PackFile {
            path: format!("/api/v1/audit-packs/{size}/files/{name}"),
            name,
            sha256,
        })
        .collect();
    json(StatusCode::OK, &PackFiles { size, files })
}

/// One file of a kept pack, byte for byte as the brokerage wrote it. Auditor or compliance role.
#[utoipa::path(
    get,
    path = "/api/v1/audit-packs/{size}/files/{name}",
    params(
        ("size" = u64, Path, description = "the ledger size the pack covers"),
        ("name" = String, Path, description = "a file name the pack's index lists"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the file (JSON, Markdown or the hex signature)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "no such pack (size) or file (name)", body = ErrorBody), (status = 503, body = ErrorBody),
    )
)]
pub(crate) async fn pack_file(
    State(state): State<AppState>,
    auth: Authenticated,
    Path((size, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    require_auditor(&auth)?;
    let size = size_of_path(&size)?;
    let dir = packs(&state)?.pack_dir(size);
    let wanted = name.clone();
    let bytes = on_disk(move || {
        let files = pack_files(&dir, size)?;
        if !files.iter().any(|(n, _)| *n == wanted) {
            return Err(ApiError::field(
                StatusCode::NOT_FOUND,
                "no_such_file",
                "name".into(),
                format!("audit pack {size} has no such file; see /api/v1/audit-packs/{size}"),
            ));
        }
        std::fs::read(dir.join(&wanted)).map_err(io_failed("read an audit pack's file"))
    })
    .await?;
    tracing::info!(principal = %auth.principal.id(), size, bytes = bytes.len(), "audit pack file served");
    let content_type = if name.ends_with(".json") {
        "application/json"
    } else if name.ends_with(".md") {
        "text/markdown; charset=utf-8"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// A customer's consent receipt for one of their consent events (ISO/IEC TS 27560, custodia-consent-receipt
/// JSON, as the customer's own download): the record's fields, the event's and its notice's ledger entries
/// with their inclusion proofs under a checkpoint signed now — `custodia verify consent-receipt FILE --vkey
/// <ledger vkey>` checks it. For an auditor testing that consent was obtained and what the person was told
/// (PIPL Arts 14, 17, 54, 69; GDPR Art 7(1)); auditor or compliance role, since the receipt is about a person.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}/consents/{event}/receipt",
    params(
        ("id" = String, Path, description = "the customer's id (UUID)"),
        ("event" = String, Path, description = "the consent event's id (UUID)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the custodia-consent-receipt JSON", content_type = "application/json"),
        (status = 400, description = "an id in the path is not an id (id, event)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "unknown customer, or no such consent event of theirs (event named)", body = ErrorBody),
    )
)]
pub(crate) async fn consent_receipt(
    State(state): State<AppState>,
    auth: Authenticated,
    Path((id, event)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    require_auditor(&auth)?;
    let bad = |field: &str, what: &str| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            field.to_owned(),
            format!("the {what} in the path is not an id (a UUID)"),
        )
    };
    let customer: custodia_model::CustomerId = id.parse().map_err(|_| bad("id", "customer id"))?;
    let event: custodia_consent::EventId = event.parse().map_err(|_| bad("event", "consent event id"))?;
    let receipt = blocking(&state, move |b| b.consent_receipt(customer, event))
        .await
        .map_err(|e| {
            if e.body().field.as_deref() == Some("event") {
                ApiError::field(
                    StatusCode::NOT_FOUND,
                    "no_such_consent_event",
                    "event".into(),
                    format!("{event} is not a consent event recorded here for customer {customer}"),
                )
            } else {
                e
            }
        })?;
    let body = serde_json::to_vec_pretty(&receipt).map_err(|_| ApiError::internal())?;
    tracing::info!(principal = %auth.principal.id(), customer = %customer, event = %event, "consent receipt served to an auditor");
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"consent-receipt.json\"",
            ),
        ],
        body,
    )
        .into_response())
}
