//! The auditor-facing routes over a real socket on 127.0.0.1 (issue 21): who may call each, the inclusion
//! and consistency proofs checked with custodia-ledger's verifiers against signed checkpoints, the audit
//! pack downloaded file by file and checked with the verifier `custodia verify audit-pack` runs, bad
//! indices and sizes named; and the public routes' per-address rate limit.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use custodia_access::{Department, Principal, PrincipalFields, PrincipalKind, Role};
use custodia_brokerage::Onboarding;
use custodia_brokerage::{Brokerage, BrokerageConfig, ManualClock, OldKeks, StaticKeySource};
use custodia_consent::{ConsentReceipt, Digest, EventId};
use custodia_ledger::{
    ConsistencyProof, InclusionProof, Salt, SignedCheckpoint, TrustPolicy, VerifiedCheckpoint, leaf_hash,
};
use custodia_model::{ActorId, CustomerId, Purpose};
use custodia_service::{AppState, RateLimit, Token, TokenTable, mint_token, router};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::at_nine;
use custodia_synthetic::consent::{Recording, consent_events, privacy_notice};
use custodia_synthetic::staff::Staff;
use serde_json::Value;

const KEY: [u8; 32] = [0x21; 32];

fn now() -> DateTime<Utc> {
    at_nine(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()).unwrap()
}

struct Fixture {
    /// Dropped first: the server stops before the brokerage and its directory go.
    _served: common::Served,
    _dir: tempfile::TempDir,
    brokerage: Arc<Brokerage>,
    addr: SocketAddr,
    base: String,
    agent: ureq::Agent,
    auditor: Token,
    compliance: Token,
    manager: Token,
    service: Token,
    /// Two customers and a consent event of the first.
    consent: (CustomerId, CustomerId, EventId),
}

struct Options {
    packs: bool,
    public_limit: Option<RateLimit>,
}

/// A brokerage with an auditor, a compliance officer, an account manager (staff, no audit role) and a
/// service account holding the auditor role, each with a token; served on an ephemeral port.
fn fixture(options: Options) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config = BrokerageConfig::sqlite(dir.path().join("b.db")).with_clock(ManualClock::at(now()));
    let b = Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap();
    let book = SyntheticBook::generate(
        &BookConfig {
            seed: 54,
            customers: 2,
            ..BookConfig::default()
        },
        now().date_naive(),
    )
    .unwrap()
    .customers()
    .to_vec();
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", now()).unwrap();
    b.publish_notice(&notice).unwrap();
    let recording = Recording::on_the_day(
        notice.reference(),
        ActorId::new("clerk").unwrap(),
        Digest::of(b"f"),
    );
    let mut events = Vec::new();
    let onboarding: Vec<Onboarding> = book
        .iter()
        .map(|c| {
            let consents: Vec<_> = c
                .consents
                .iter()
                .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
                .collect();
            events.extend(consents.iter().map(|e| (e.customer(), e.id())));
            Onboarding::new(c.customer.clone(), notice.reference()).with_consents(consents)
        })
        .collect();
    b.onboard_batch(onboarding, &mut |_| {}).unwrap();
    let (first, event) = events[0];
    let second = book
        .iter()
        .map(|c| c.customer.id())
        .find(|c| *c != first)
        .unwrap();
    let auditor = Staff::new("aud-0001", &["auditor"], &[], now())
        .unwrap()
        .principal;
    let compliance = Staff::new("dpo-0001", &["compliance"], &[], now())
        .unwrap()
        .principal;
    let manager = Staff::new(
        "emp-0001",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        now(),
    )
    .unwrap()
    .principal;
    let service = Principal::new(PrincipalFields {
        id: ActorId::new("svc-export").unwrap(),
        kind: PrincipalKind::Service,
        roles: BTreeSet::from([Role::new("auditor").unwrap()]),
        department: Department::new("it-security").unwrap(),
        purposes: BTreeSet::new(),
        training: Vec::new(),
        verifying_key: custodia_crypto::SigningKey::generate().unwrap().verifying_key(),
    })
    .unwrap();
    let mut tokens = TokenTable::new();
    let mut minted = Vec::new();
    for p in [&auditor, &compliance, &manager, &service] {
        b.put_principal(p).unwrap();
        let (token, line) = mint_token(p.id()).unwrap();
        tokens.insert(&line).unwrap();
        minted.push(token);
    }
    let service = minted.pop().unwrap();
    let manager = minted.pop().unwrap();
    let compliance = minted.pop().unwrap();
    let auditor = minted.pop().unwrap();
    let brokerage = Arc::new(b);
    let mut state = AppState::new(brokerage.clone(), tokens);
    if options.packs {
        state = state.with_audit_packs(dir.path().join("packs"));
    }
    if let Some(limit) = options.public_limit {
        state = state.with_public_rate_limit(limit);
    }
    let app = router(state);
    let served = common::serve(app);
    let addr = served.addr;
    let agent: ureq::Agent = common::agent();
    Fixture {
        _served: served,
        _dir: dir,
        brokerage,
        addr,
        base: format!("http://{addr}"),
        agent,
        auditor,
        compliance,
        manager,
        service,
        consent: (first, second, event),
    }
}

struct Got {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl Got {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// A typed error: the status, the code and the field it names.
    fn error(&self, status: u16, code: &str, field: Option<&str>) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        let body = self.json();
        assert_eq!(body["error"], code, "{body}");
        if let Some(field) = field {
            assert_eq!(body["field"], field, "{body}");
        }
        body
    }
}

fn collect(mut response: ureq::http::Response<ureq::Body>) -> Got {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let content_type = header("content-type").unwrap_or_default();
    let retry_after = header("retry-after");
    Got {
        status: response.status().as_u16(),
        content_type,
        retry_after,
        body: response.body_mut().read_to_vec().unwrap(),
    }
}

impl Fixture {
    fn get(&self, path: &str, token: Option<&Token>) -> Got {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {}", token.expose()));
        }
        collect(request.call().unwrap())
    }

    fn post(&self, path: &str, token: Option<&Token>) -> Got {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {}", token.expose()));
        }
        collect(request.send_empty().unwrap())
    }

    /// The ledger's checkpoint as the public route serves it, verified with the brokerage's ledger key.
    fn checkpoint(&self) -> VerifiedCheckpoint {
        let got = self.get("/api/v1/checkpoint", None);
        assert_eq!(got.status, 200, "{}", got.text());
        verified(&got.body, &self.brokerage)
    }

    /// Downloads every file of the pack of `size` into `into`, as an auditor would.
    fn download_pack(&self, size: u64, into: &Path) -> Vec<String> {
        let index = self.get(&format!("/api/v1/audit-packs/{size}"), Some(&self.auditor));
        assert_eq!(index.status, 200, "{}", index.text());
        let index = index.json();
        assert_eq!(index["size"], size);
        let mut names = Vec::new();
        for file in index["files"].as_array().unwrap() {
            let name = file["name"].as_str().unwrap().to_owned();
            let got = self.get(file["path"].as_str().unwrap(), Some(&self.auditor));
            assert_eq!(got.status, 200, "{name}: {}", got.text());
            if let Some(digest) = file["sha256"].as_str() {
                assert_eq!(hex_sha256(&got.body), digest, "{name}");
            }
            std::fs::write(into.join(&name), &got.body).unwrap();
            names.push(name);
        }
        names
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn verified(note: &[u8], brokerage: &Brokerage) -> VerifiedCheckpoint {
    let signed = SignedCheckpoint::parse(note).unwrap();
    let keys = brokerage.public_keys();
    let policy = TrustPolicy::log_only(signed.checkpoint().origin(), vec![keys.ledger.clone()]).unwrap();
    signed.verify(&policy).unwrap()
}

/// The ledger entries the pack proves: `(index, leaf hash)`.
fn pack_entries(dir: &Path) -> Vec<(u64, custodia_ledger::MerkleHash)> {
    let entries: Value = serde_json::from_slice(&std::fs::read(dir.join("entries.json")).unwrap()).unwrap();
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let salt: Salt = serde_json::from_value(e["salt"].clone()).unwrap();
            let payload = hex::decode(e["payload"].as_str().unwrap()).unwrap();
            (e["index"].as_u64().unwrap(), leaf_hash(&salt, &payload))
        })
        .collect()
}

const AUDITOR_ROUTES: [(&str, &str); 6] = [
    ("GET", "/api/v1/proofs/inclusion?index=0&size=1"),
    ("GET", "/api/v1/proofs/consistency?old=0&new=1"),
    ("POST", "/api/v1/audit-packs"),
    ("GET", "/api/v1/audit-packs"),
    ("GET", "/api/v1/audit-packs/1"),
    ("GET", "/api/v1/audit-packs/1/files/MANIFEST.json"),
];

#[test]
fn each_auditor_route_is_allowed_or_denied_by_principal() {
    let f = fixture(Options {
        packs: true,
        public_limit: None,
    });
    let size_before = f.brokerage.ledger_size();
    let call = |method: &str, path: &str, token: Option<&Token>| match method {
        "GET" => f.get(path, token),
        _ => f.post(path, token),
    };
    for (method, path) in AUDITOR_ROUTES {
        // No token, or an unknown one: 401.
        call(method, path, None).error(401, "unauthenticated", None);
        let stranger = Token::new("not-a-token-of-this-service");
        call(method, path, Some(&stranger)).error(401, "unauthenticated", None);
        // A service account, even with the auditor role: 403.
        let got = call(method, path, Some(&f.service));
        let code = if path.contains("/proofs/") {
            "staff_only"
        } else {
            "auditor_only"
        };
        let body = got.error(403, code, None);
        assert!(body["message"].as_str().unwrap().contains("svc-export"), "{body}");
        // Staff without an audit role: proofs yes, packs no.
        let got = call(method, path, Some(&f.manager));
        if path.contains("/proofs/") {
            assert_eq!(got.status, 200, "{path}: {}", got.text());
        } else {
            got.error(403, "auditor_only", None);
        }
    }
    // Nothing so far exported a pack or wrote to the ledger.
    assert_eq!(f.brokerage.ledger_size(), size_before);
    assert!(!f._dir.path().join("packs").exists());
    // The auditor and the compliance officer may export, list and download.
    for token in [&f.auditor, &f.compliance] {
        let got = f.post("/api/v1/audit-packs", Some(token));
        assert_eq!(got.status, 201, "{}", got.text());
        let size = got.json()["size"].as_u64().unwrap();
        let list = f.get("/api/v1/audit-packs", Some(token));
        assert_eq!(list.status, 200);
        assert!(list.json().as_array().unwrap().iter().any(|p| p["size"] == size));
        let file = f.get(
            &format!("/api/v1/audit-packs/{size}/files/MANIFEST.sig"),
            Some(token),
        );
        assert_eq!(file.status, 200, "{}", file.text());
        assert!(file.content_type.starts_with("text/plain"));
    }
}

#[test]
fn the_proofs_verify_against_signed_checkpoints_and_the_audit_pack_verifies() {
    let f = fixture(Options {
        packs: true,
        public_limit: None,
    });
    // An oversight entry for the pack to prove.
    f.brokerage.rotate_kek(OldKeks::Keep).unwrap();
    let got = f.post("/api/v1/audit-packs", Some(&f.auditor));
    assert_eq!(got.status, 201, "{}", got.text());
    let body = got.json();
    let first = body["size"].as_u64().unwrap();
    assert_eq!(body["path"], format!("/api/v1/audit-packs/{first}"));

    // The pack, downloaded file by file, verifies with the verifier `custodia verify audit-pack` runs,
    // signed by this brokerage's published key.
    let download = tempfile::tempdir().unwrap();
    let names = f.download_pack(first, download.path());
    assert_eq!(names.len(), 13, "{names:?}");
    let v = custodia_brokerage::verify_audit_pack(download.path()).unwrap();
    assert_eq!(v.signing, f.brokerage.public_keys().signing);
    assert!(v.entries >= 1 && v.rotations == 1, "{v:?}");
    let entries = pack_entries(download.path());
    let (kek_index, kek_leaf) = entries[0];

    // The ledger grows; the public checkpoint is newer than the pack's last.
    f.brokerage.rotate_kek(OldKeks::Keep).unwrap();
    let notes: Vec<String> =
        serde_json::from_slice(&std::fs::read(download.path().join("checkpoints.json")).unwrap()).unwrap();
    let old = verified(notes.last().unwrap().as_bytes(), &f.brokerage);
    assert_eq!(old.checkpoint().size(), first);
    let new = f.checkpoint();
    let second = new.checkpoint().size();
    assert!(second > first);

    // Consistency: the pack's checkpoint is a prefix of the public one.
    let got = f.get(
        &format!("/api/v1/proofs/consistency?old={first}&new={second}"),
        Some(&f.auditor),
    );
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.content_type, "application/json");
    let proof: ConsistencyProof = serde_json::from_slice(&got.body).unwrap();
    assert_eq!((proof.old_size(), proof.new_size()), (first, second));
    proof
        .verify(old.checkpoint().root(), new.checkpoint().root())
        .unwrap();
    // … and it proves nothing for a root that is not the old checkpoint's.
    assert!(
        proof
            .verify(new.checkpoint().root(), new.checkpoint().root())
            .is_err()
    );

    // Inclusion: the pack's entry is still in the newer tree.
    let got = f.get(
        &format!("/api/v1/proofs/inclusion?index={kek_index}&size={second}"),
        Some(&f.manager),
    );
    assert_eq!(got.status, 200, "{}", got.text());
    let proof: InclusionProof = serde_json::from_slice(&got.body).unwrap();
    assert_eq!((proof.index(), proof.size()), (kek_index, second));
    proof.verify_in(&kek_leaf, &new).unwrap();
    // Another entry's proof does not prove this leaf.
    let other = f.get(
        &format!("/api/v1/proofs/inclusion?index={}&size={second}", kek_index + 1),
        Some(&f.manager),
    );
    let other: InclusionProof = serde_json::from_slice(&other.body).unwrap();
    assert!(other.verify_in(&kek_leaf, &new).is_err());
    // Under the pack's own checkpoint too.
    let got = f.get(
        &format!("/api/v1/proofs/inclusion?index={kek_index}&size={first}"),
        Some(&f.auditor),
    );
    let proof: InclusionProof = serde_json::from_slice(&got.body).unwrap();
    proof.verify_in(&kek_leaf, &old).unwrap();

    // A tampered download fails the verifier, naming the file.
    let statistics = download.path().join("statistics.json");
    let mut bytes = std::fs::read(&statistics).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0x01;
    std::fs::write(&statistics, bytes).unwrap();
    let err = custodia_brokerage::verify_audit_pack(download.path()).unwrap_err();
    assert!(err.to_string().contains("statistics.json"), "{err}");

    // A second pack covers the period since the first, and both are listed.
    let got = f.post("/api/v1/audit-packs", Some(&f.compliance));
    assert_eq!(got.status, 201, "{}", got.text());
    let third = got.json()["size"].as_u64().unwrap();
    assert!(third >= second && third > first);
    let download = tempfile::tempdir().unwrap();
    f.download_pack(third, download.path());
    custodia_brokerage::verify_audit_pack(download.path()).unwrap();
    let statistics: Value =
        serde_json::from_slice(&std::fs::read(download.path().join("statistics.json")).unwrap()).unwrap();
    assert_eq!(statistics["since_size"], first);
    let list = f.get("/api/v1/audit-packs", Some(&f.auditor)).json();
    let sizes: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["size"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, vec![first, third]);
}

#[test]
fn bad_indices_sizes_and_names_are_refused_by_name() {
    let f = fixture(Options {
        packs: true,
        public_limit: None,
    });
    let size = f.brokerage.ledger_size();
    assert!(size >= 2, "the fixture writes principals to the ledger");
    let t = Some(&f.manager);
    let cases: [(String, u16, &str, &str); 14] = [
        (
            format!("inclusion?index={size}&size={size}"),
            422,
            "invalid_field",
            "index",
        ),
        (
            format!("inclusion?index=0&size={}", size + 1),
            422,
            "invalid_field",
            "size",
        ),
        ("inclusion?index=0&size=0".into(), 422, "invalid_field", "size"),
        ("inclusion?index=0".into(), 422, "missing_field", "size"),
        ("inclusion".into(), 422, "missing_field", "index"),
        (
            "inclusion?index=0&size=1&extra=1".into(),
            422,
            "unknown_field",
            "extra",
        ),
        (
            "inclusion?index=0&index=0&size=1".into(),
            422,
            "duplicate_field",
            "index",
        ),
        (
            "inclusion?index=%E5%BC%A0%E4%B8%89&size=1".into(),
            422,
            "invalid_field",
            "index",
        ),
        ("inclusion?index=-1&size=1".into(), 422, "invalid_field", "index"),
        ("inclusion?index=01&size=1".into(), 422, "invalid_field", "index"),
        (
            format!("consistency?old=2&new={}", size + 1),
            422,
            "invalid_field",
            "new",
        ),
        ("consistency?old=2&new=1".into(), 422, "invalid_field", "old"),
        ("consistency?old=1".into(), 422, "missing_field", "new"),
        (
            "consistency?old=1&new=99999999999999999999999".into(),
            422,
            "invalid_field",
            "new",
        ),
    ];
    for (query, status, code, field) in cases {
        let got = f.get(&format!("/api/v1/proofs/{query}"), t);
        let body = got.error(status, code, Some(field));
        // Never the value given.
        let message = body["message"].as_str().unwrap();
        assert!(
            !message.contains("张三") && !message.contains("9999999999"),
            "{message}"
        );
    }
    // Equal sizes and size 0 are valid consistency questions (an empty proof).
    let got = f.get(&format!("/api/v1/proofs/consistency?old={size}&new={size}"), t);
    assert_eq!(got.status, 200, "{}", got.text());
    assert!(got.json()["path"].as_array().unwrap().is_empty());

    // Packs: a size that is not a number, a pack not kept, a file not in the pack.
    let a = Some(&f.auditor);
    f.get("/api/v1/audit-packs/x", a)
        .error(400, "invalid_field", Some("size"));
    f.get("/api/v1/audit-packs/007", a)
        .error(400, "invalid_field", Some("size"));
    let body = f
        .get("/api/v1/audit-packs/12345", a)
        .error(404, "no_such_audit_pack", Some("size"));
    assert!(body["message"].as_str().unwrap().contains("12345"));
    let made = f.post("/api/v1/audit-packs", a).json()["size"].as_u64().unwrap();
    for name in ["secret.key", "..%2Fb.db", "%2E%2E", ".partial", "MANIFEST.JSON"] {
        let got = f.get(&format!("/api/v1/audit-packs/{made}/files/{name}"), a);
        let body = got.error(404, "no_such_file", Some("name"));
        assert!(!body["message"].as_str().unwrap().contains("b.db"));
    }
}

#[test]
fn without_an_audit_pack_directory_the_pack_routes_are_503() {
    let f = fixture(Options {
        packs: false,
        public_limit: None,
    });
    let size = f.brokerage.ledger_size();
    f.post("/api/v1/audit-packs", Some(&f.auditor))
        .error(503, "audit_packs_not_configured", None);
    f.get("/api/v1/audit-packs", Some(&f.auditor))
        .error(503, "audit_packs_not_configured", None);
    assert_eq!(f.brokerage.ledger_size(), size, "nothing exported");
    // Proofs do not need it.
    let got = f.get("/api/v1/proofs/inclusion?index=0&size=1", Some(&f.auditor));
    assert_eq!(got.status, 200);
}

/// A raw HTTP/1.1 GET from a given local address (the loopback block is all local on Linux): the status.
fn status_from(source: &str, to: SocketAddr, path: &str) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        socket.connect(to).await.unwrap().into_std().unwrap()
    });
    let mut stream = stream;
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"))
}

#[test]
fn the_public_routes_are_429_past_the_limit_per_address_and_other_routes_are_not() {
    let f = fixture(Options {
        packs: true,
        public_limit: Some(RateLimit {
            requests: 3,
            window: Duration::from_secs(3600),
        }),
    });
    for _ in 0..3 {
        assert_eq!(f.get("/api/v1/checkpoint", None).status, 200);
    }
    // The fourth: 429 typed JSON with Retry-After.
    let got = f.get("/api/v1/checkpoint", None);
    got.error(429, "rate_limited", None);
    let retry: u64 = got.retry_after.as_deref().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 3600);
    // The customer pages share the address's allowance: an HTML page, and the JSON twins JSON.
    let got = f.get("/c/notice/anything", None);
    assert_eq!(got.status, 429);
    assert!(got.content_type.starts_with("text/html"), "{}", got.content_type);
    let page = got.text();
    assert!(page.contains("data-code=\"rate_limited\"") && page.contains("lang=\"zh-CN\""));
    assert!(got.retry_after.is_some());
    f.get("/api/v1/customer/requests/anything", None)
        .error(429, "rate_limited", None);
    // Not limited by it: health, the document, the staff routes.
    assert_eq!(f.get("/healthz", None).status, 200);
    assert_eq!(f.get("/openapi.json", None).status, 200);
    assert_eq!(
        f.get("/api/v1/proofs/inclusion?index=0&size=1", Some(&f.auditor))
            .status,
        200
    );
    // Another address has its own allowance.
    assert_eq!(status_from("127.0.0.2", f.addr, "/api/v1/checkpoint"), 200);
    assert_eq!(status_from("127.0.0.1", f.addr, "/api/v1/checkpoint"), 429);
}

#[test]
fn every_route_without_a_bearer_token_is_under_the_public_limit_but_health_and_the_document() {
    let doc = serde_json::to_value(<custodia_service::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    let mut public = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let open = op
                .get("security")
                .is_none_or(|s| s.as_array().is_none_or(Vec::is_empty));
            let exempt = path == "/healthz" || path == "/openapi.json";
            if open && !exempt {
                public += 1;
                assert!(
                    custodia_service::public_limit::is_public(path),
                    "{method} {path} is not limited"
                );
            } else if !open {
                assert!(
                    !custodia_service::public_limit::is_public(path),
                    "{method} {path}"
                );
            }
        }
    }
    assert!(public >= 10, "{public}");
}

#[test]
fn an_auditor_downloads_a_consent_receipt_that_verifies_with_the_ledger_key() {
    let f = fixture(Options {
        packs: false,
        public_limit: None,
    });
    let (customer, other, event) = f.consent;
    let path = format!("/api/v1/customers/{customer}/consents/{event}/receipt");
    f.get(&path, None).error(401, "unauthenticated", None);
    f.get(&path, Some(&f.manager)).error(403, "auditor_only", None);
    f.get(&path, Some(&f.service)).error(403, "auditor_only", None);
    for token in [&f.auditor, &f.compliance] {
        let got = f.get(&path, Some(token));
        assert_eq!(got.status, 200, "{}", got.text());
        let receipt: ConsentReceipt = custodia_model::from_json(&got.body).unwrap();
        receipt.verify(&f.brokerage.public_keys().ledger).unwrap();
        assert_eq!(receipt.fields().pii_principal_id, customer);
    }
    // Another customer's path with this event, an event not recorded, bad ids: named.
    f.get(
        &format!("/api/v1/customers/{other}/consents/{event}/receipt"),
        Some(&f.auditor),
    )
    .error(404, "no_such_consent_event", Some("event"));
    let unrecorded = EventId::new_v7();
    f.get(
        &format!("/api/v1/customers/{customer}/consents/{unrecorded}/receipt"),
        Some(&f.auditor),
    )
    .error(404, "no_such_consent_event", Some("event"));
    f.get(
        &format!("/api/v1/customers/x/consents/{event}/receipt"),
        Some(&f.auditor),
    )
    .error(400, "invalid_field", Some("id"));
    f.get(
        &format!("/api/v1/customers/{customer}/consents/y/receipt"),
        Some(&f.auditor),
    )
    .error(400, "invalid_field", Some("event"));
}
