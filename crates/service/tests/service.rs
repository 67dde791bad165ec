//! custodia-service over a real socket on 127.0.0.1 (issue 21, first slice): bearer tokens, the gated read
//! (allow and deny both on the ledger), typed JSON errors naming the field, the body limit, the staff lists,
//! the checkpoint, the dashboard page and the OpenAPI document against the routes the router serves.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Got, collect};

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use custodia_access::{Effect, MonitorSettings};
use custodia_brokerage::{Brokerage, BrokerageConfig, ManualClock, Onboarding, StaticKeySource};
use custodia_consent::Digest;
use custodia_model::{ActorId, CustomerId, Purpose};
use custodia_service::{AppState, BODY_LIMIT, RateLimit, Token, TokenTable, mint_token, router, routes};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};
use custodia_synthetic::staff::Staff;
use serde_json::Value;

const KEY: [u8; 32] = [0x52; 32];

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap() // a Monday
}

fn now() -> DateTime<Utc> {
    at_nine(date()).unwrap()
}

struct Fixture {
    /// Dropped first: the server stops before the brokerage and its directory go.
    _served: common::Served,
    _dir: tempfile::TempDir,
    brokerage: Arc<Brokerage>,
    base: String,
    agent: ureq::Agent,
    customers: Vec<CustomerId>,
    manager: Token,
    marketer: Token,
}

/// A brokerage with a small synthetic book, its consents, two members of staff with tokens, served on an
/// ephemeral port of 127.0.0.1 by a runtime on its own thread. The monitor alerts after 2 distinct
/// customers, so that a few reads raise an alert.
fn fixture() -> Fixture {
    fixture_with(None)
}

fn fixture_with(limit: Option<RateLimit>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let monitor = MonitorSettings {
        max_distinct_customers: 2,
        ..MonitorSettings::default()
    };
    let config = BrokerageConfig::sqlite(dir.path().join("b.db"))
        .with_clock(ManualClock::at(now()))
        .with_monitor(monitor);
    let b = Brokerage::open(config, &StaticKeySource::new(KEY)).unwrap();

    let book = SyntheticBook::generate(
        &BookConfig {
            seed: 21,
            customers: 6,
            ..BookConfig::default()
        },
        date(),
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
    let onboarding = book.iter().map(|c| {
        let consents = c
            .consents
            .iter()
            .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
            .collect();
        Onboarding::new(c.customer.clone(), notice.reference()).with_consents(consents)
    });
    b.onboard_batch(onboarding, &mut |_| {}).unwrap();
    let customers = book.iter().map(|c| c.customer.id()).collect();

    let manager = Staff::new(
        "emp-0001",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        now(),
    )
    .unwrap();
    let marketer = Staff::new("emp-0002", &["marketing"], &[Purpose::Marketing], now()).unwrap();
    let mut tokens = TokenTable::new();
    let mut minted = Vec::new();
    for staff in [&manager, &marketer] {
        b.put_principal(&staff.principal).unwrap();
        let (token, line) = mint_token(staff.id()).unwrap();
        tokens.insert(&line).unwrap();
        minted.push(token);
    }
    let marketer_token = minted.pop().unwrap();
    let manager_token = minted.pop().unwrap();

    let brokerage = Arc::new(b);
    let mut state = AppState::new(brokerage.clone(), tokens);
    if let Some(limit) = limit {
        state = state.with_rate_limit(limit);
    }
    let app = router(state);
    let served = common::serve(app);
    let base = served.base.clone();
    let agent: ureq::Agent = common::agent();
    Fixture {
        _served: served,
        _dir: dir,
        brokerage,
        base,
        agent,
        customers,
        manager: manager_token,
        marketer: marketer_token,
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

    fn post(&self, path: &str, token: Option<&Token>, body: &str) -> Got {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {}", token.expose()));
        }
        collect(request.send(body).unwrap())
    }

    fn read(&self, customer: CustomerId, token: &Token, body: &str) -> Got {
        self.post(&format!("/api/v1/customers/{customer}/read"), Some(token), body)
    }
}

const SERVICING: &str =
    r#"{"categories":["identity","policies"],"purpose":"policy_servicing","ticket":"clm.88123"}"#;

#[test]
fn a_missing_or_unknown_token_is_401_with_a_typed_body() {
    let f = fixture();
    let customer = f.customers[0];
    for token in [None, Some(&Token::new("not-a-known-token"))] {
        let got = f.post(&format!("/api/v1/customers/{customer}/read"), token, SERVICING);
        assert_eq!(got.status, 401, "{}", got.text);
        assert_eq!(got.json()["error"], "unauthenticated");
        for path in [
            "/api/v1/alerts",
            "/api/v1/rights/overdue",
            "/api/v1/incidents/clocks",
            "/dashboard",
        ] {
            let got = f.get(path, token);
            assert_eq!(got.status, 401, "{path}: {}", got.text);
            assert_eq!(got.json()["error"], "unauthenticated", "{path}");
        }
    }
    // A token that is not Bearer.
    let got = collect(
        f.agent
            .get(format!("{}/api/v1/alerts", f.base))
            .header("Authorization", format!("Basic {}", f.manager.expose()))
            .call()
            .unwrap(),
    );
    assert_eq!(got.status, 401);
    // Nothing was read or logged.
    assert!(f.brokerage.access_log_of(customer).unwrap().is_empty());
}

#[test]
fn a_permitted_read_returns_the_sections_and_its_entry_is_on_the_ledger() {
    let f = fixture();
    let mut allowed = None;
    for c in &f.customers {
        let got = f.read(*c, &f.manager, SERVICING);
        match got.status {
            200 => {
                allowed.get_or_insert((*c, got));
            }
            // Some customers of the book are restricted to storage by retention (a relationship that ended).
            403 => {
                let body = got.json();
                assert_eq!(body["error"], "access_denied");
                assert_eq!(
                    body["policies"],
                    serde_json::json!(["storage-only-restricted"]),
                    "{body}"
                );
            }
            other => panic!("{other}: {}", got.text),
        }
    }
    let (customer, got) = allowed.expect("some customer of the book is not restricted");
    assert!(got.content_type.starts_with("application/json"));
    let body = got.json();
    assert_eq!(body["customer"], customer.to_string());
    assert_eq!(body["categories"], serde_json::json!(["identity", "policies"]));
    // The sections are those of the trusted path, byte for byte as JSON.
    let trusted = f
        .brokerage
        .read_trusted(
            customer,
            &[
                custodia_model::DataCategory::Identity,
                custodia_model::DataCategory::Policies,
            ],
        )
        .unwrap();
    for (category, plain) in &trusted.sections {
        let key = serde_json::to_value(category).unwrap();
        let expected: Value = serde_json::from_slice(plain).unwrap();
        assert_eq!(body["sections"][key.as_str().unwrap()], expected, "{category}");
    }
    // Its access entry is on the ledger at the index the response names.
    let log = f.brokerage.access_log_of(customer).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].0, body["entry_index"].as_u64().unwrap());
    assert_eq!(log[0].1.effect(), Effect::Permit);
    assert_eq!(log[0].1.principal().as_str(), "emp-0001");
}

#[test]
fn a_denied_read_is_403_naming_categories_and_policies_and_is_on_the_ledger_without_data() {
    let f = fixture();
    let customer = f.customers[0];
    let before = f.brokerage.access_log_of(customer).unwrap().len();
    let got = f.read(
        customer,
        &f.marketer,
        r#"{"categories":["health","identity"],"purpose":"marketing"}"#,
    );
    assert_eq!(got.status, 403, "{}", got.text);
    let body = got.json();
    assert_eq!(body["error"], "access_denied");
    assert_eq!(body["customer"], customer.to_string());
    let denied: BTreeSet<&str> = body["denied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["category"].as_str().unwrap())
        .collect();
    assert!(denied.contains("health"), "{body}");
    assert!(!body["policies"].as_array().unwrap().is_empty(), "{body}");
    assert!(body.get("sections").is_none(), "{body}");
    // No value of the customer's record is in the body.
    let trusted = f
        .brokerage
        .read_trusted(customer, &[custodia_model::DataCategory::Identity])
        .unwrap();
    let identity: Value = serde_json::from_slice(&trusted.sections[0].1).unwrap();
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.chars().count() >= 2 => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            Value::Object(o) => o.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut values = Vec::new();
    strings(&identity, &mut values);
    assert!(!values.is_empty());
    for value in values
        .iter()
        .filter(|v| !["identity", "health"].contains(&v.as_str()))
    {
        assert!(
            !got.text.contains(value.as_str()),
            "the denial leaks {value:?}: {}",
            got.text
        );
    }
    // The deny's entry is on the ledger too.
    let log = f.brokerage.access_log_of(customer).unwrap();
    assert_eq!(log.len(), before + 1);
    assert_eq!(log.last().unwrap().1.effect(), Effect::Deny);
}

#[test]
fn an_unknown_customer_is_404_naming_the_id_and_a_bad_id_is_400() {
    let f = fixture();
    let stranger = CustomerId::new_v7();
    let got = f.read(stranger, &f.manager, SERVICING);
    assert_eq!(got.status, 404, "{}", got.text);
    let body = got.json();
    assert_eq!(body["error"], "unknown_customer");
    assert_eq!(body["customer"], stranger.to_string());
    let got = f.post("/api/v1/customers/not-a-uuid/read", Some(&f.manager), SERVICING);
    assert_eq!(got.status, 400, "{}", got.text);
    assert_eq!(got.json()["field"], "id");
}

#[test]
fn a_bad_body_names_the_field_and_never_quotes_the_value() {
    let f = fixture();
    let customer = f.customers[0];
    let cases: &[(&str, u16, &str, &str)] = &[
        (
            r#"{"categories":["identity"],"purpose":"policy_servicing","note":"x"}"#,
            422,
            "unknown_field",
            "note",
        ),
        (r#"{"categories":["identity"]}"#, 422, "missing_field", "purpose"),
        (
            r#"{"categories":["identity","张三的病历"],"purpose":"policy_servicing"}"#,
            422,
            "invalid_field",
            "categories[1]",
        ),
        (
            r#"{"categories":["identity"],"purpose":"张三"}"#,
            422,
            "invalid_field",
            "purpose",
        ),
        (
            r#"{"categories":[],"purpose":"policy_servicing"}"#,
            422,
            "invalid_field",
            "categories",
        ),
        (
            r#"{"categories":["identity","identity"],"purpose":"policy_servicing"}"#,
            422,
            "invalid_field",
            "categories[1]",
        ),
        (
            r#"{"categories":["identity"],"purpose":"policy_servicing","ticket":"张三 住院"}"#,
            422,
            "invalid_field",
            "ticket",
        ),
        (r#"["identity"]"#, 422, "invalid_field", "."),
    ];
    for (body, status, code, field) in cases {
        let got = f.read(customer, &f.manager, body);
        assert_eq!(got.status, *status, "{body}: {}", got.text);
        let json = got.json();
        assert_eq!(json["error"], *code, "{body}: {json}");
        assert_eq!(json["field"], *field, "{body}: {json}");
        assert!(!got.text.contains("张三"), "{body}: {json}");
    }
    let got = f.read(customer, &f.manager, r#"{"categories": ["#);
    assert_eq!(got.status, 400, "{}", got.text);
    assert_eq!(got.json()["error"], "malformed_json");
    // None of these reached the gate.
    assert!(f.brokerage.access_log_of(customer).unwrap().is_empty());
}

#[test]
fn a_body_over_the_limit_is_413_json() {
    let f = fixture();
    let customer = f.customers[0];
    let padding = "x".repeat(BODY_LIMIT + 1024);
    let body = format!(r#"{{"categories":["identity"],"purpose":"policy_servicing","ticket":"{padding}"}}"#);
    let got = f.read(customer, &f.manager, &body);
    assert_eq!(got.status, 413, "{}", &got.text[..got.text.len().min(200)]);
    assert_eq!(got.json()["error"], "body_too_large");
    assert!(f.brokerage.access_log_of(customer).unwrap().is_empty());
}

#[test]
fn the_staff_lists_answer_json_and_the_alert_of_bulk_reads_shows() {
    let f = fixture();
    for c in &f.customers {
        let got = f.read(*c, &f.manager, SERVICING);
        assert!(matches!(got.status, 200 | 403), "{}", got.text);
    }
    let alerts = f.get("/api/v1/alerts", Some(&f.manager));
    assert_eq!(alerts.status, 200, "{}", alerts.text);
    let alerts = alerts.json();
    let stored = f.brokerage.alerts().unwrap();
    assert!(
        !stored.is_empty(),
        "reading more than 2 distinct customers raises an alert"
    );
    assert_eq!(alerts, serde_json::to_value(&stored).unwrap());
    assert_eq!(alerts[0]["principal"], "emp-0001");

    let overdue = f.get("/api/v1/rights/overdue", Some(&f.manager));
    assert_eq!(overdue.status, 200);
    assert_eq!(overdue.json(), serde_json::json!([]));
    let clocks = f.get("/api/v1/incidents/clocks", Some(&f.manager));
    assert_eq!(clocks.status, 200);
    assert_eq!(clocks.json(), serde_json::json!([]));

    // The dashboard shows the alert in a table, in zh-CN with CJK fonts declared.
    let page = f.get("/dashboard", Some(&f.manager));
    assert_eq!(page.status, 200);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    assert!(page.text.contains(r#"<html lang="zh-CN">"#));
    assert!(page.text.contains(r#""Noto Sans CJK SC""#));
    let alerts_section = page.text.split(r#"<section id="alerts">"#).nth(1).unwrap();
    let alerts_section = alerts_section.split("</section>").next().unwrap();
    assert!(alerts_section.contains("<table>"), "{alerts_section}");
    assert!(alerts_section.contains("<td>emp-0001</td>"), "{alerts_section}");
}

#[test]
fn the_checkpoint_is_public_signed_and_covers_the_ledger() {
    let f = fixture();
    let got = f.get("/api/v1/checkpoint", None);
    assert_eq!(got.status, 200, "{}", got.text);
    assert!(got.content_type.starts_with("text/plain"));
    let signed = custodia_ledger::SignedCheckpoint::parse(got.text.as_bytes()).unwrap();
    let ours = f.brokerage.checkpoint().unwrap();
    assert_eq!(signed.checkpoint().origin(), ours.checkpoint().origin());
    // The served checkpoint was signed before the one just made, which only added its own ledger step.
    assert!(signed.checkpoint().size() <= ours.checkpoint().size());
    assert!(signed.checkpoint().size() > 0);
}

#[test]
fn healthz_and_typed_404_and_405() {
    let f = fixture();
    let got = f.get("/healthz", None);
    assert_eq!((got.status, got.text.as_str()), (200, "ok"));
    let got = f.get("/api/v1/nothing-here", None);
    assert_eq!(got.status, 404);
    assert_eq!(got.json()["error"], "no_such_route");
    let got = f.get(
        &format!("/api/v1/customers/{}/read", f.customers[0]),
        Some(&f.manager),
    );
    assert_eq!(got.status, 405, "{}", got.text);
    assert_eq!(got.json()["error"], "method_not_allowed");
}

/// Every route the router serves is in the OpenAPI document it serves, with its method, and every
/// operation of the document is served by the router (a request to it is not the router's 404 or 405).
#[test]
fn the_openapi_document_and_the_routes_agree() {
    let f = fixture();
    let got = f.get("/openapi.json", None);
    assert_eq!(got.status, 200);
    let doc = got.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, served);
    // And the router answers each documented operation (the router is built from the same route table).
    let customer = f.customers[0].to_string();
    for (method, path) in &documented {
        let url = format!("{}{}", f.base, path.replace("{id}", &customer));
        let response = match method.as_str() {
            "GET" => f.agent.get(&url).call().unwrap(),
            "POST" => f.agent.post(&url).send("{}").unwrap(),
            other => panic!("{other}"),
        };
        let got = collect(response);
        assert_ne!(got.status, 405, "{method} {path}");
        if got.status == 404 {
            assert_ne!(got.json()["error"], "no_such_route", "{method} {path}");
        }
    }
}

#[test]
fn a_token_over_its_rate_limit_is_429_and_another_token_is_not() {
    // An hour's window: the four requests below fall in one.
    let f = fixture_with(Some(RateLimit {
        requests: 3,
        window: std::time::Duration::from_secs(3600),
    }));
    for _ in 0..3 {
        assert_eq!(f.get("/api/v1/alerts", Some(&f.manager)).status, 200);
    }
    let got = f.get("/api/v1/alerts", Some(&f.manager));
    assert_eq!(got.status, 429, "{}", got.text);
    assert_eq!(got.json()["error"], "rate_limited");
    assert_eq!(f.get("/api/v1/alerts", Some(&f.marketer)).status, 200);
    // An unknown token is refused as unknown, not counted.
    assert_eq!(f.get("/api/v1/alerts", Some(&Token::new("nope"))).status, 401);
}

#[test]
fn a_transfer_case_page_needs_a_token_and_says_when_there_is_no_case() {
    let f = fixture();
    // No case in this brokerage: the dashboard says so, and a transfer's page is a 404 page saying so.
    let page = f.get("/dashboard", Some(&f.manager));
    assert!(page.text.contains("无转让案件"), "{}", page.text);
    let other = custodia_model::TransferId::new_v7();
    let got = f.get(&format!("/dashboard/transfers/{other}"), Some(&f.manager));
    assert_eq!(got.status, 404, "{}", got.text);
    assert!(got.content_type.starts_with("text/html"), "{}", got.content_type);
    assert!(got.text.contains(r#"id="no-case""#) && got.text.contains(&other.to_string()));
    // Not a transfer id: a typed 400 naming the field.
    let got = f.get("/dashboard/transfers/not-a-uuid", Some(&f.manager));
    assert_eq!(got.status, 400);
    assert_eq!(got.json()["error"], "invalid_field");
    assert_eq!(got.json()["field"], "id");
    // Without a token: 401.
    let got = f.get(&format!("/dashboard/transfers/{other}"), None);
    assert_eq!(got.status, 401);
}
