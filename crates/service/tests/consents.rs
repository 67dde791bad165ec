//! `POST /api/v1/customers/{id}/consents` over a real socket on 127.0.0.1: an event is recorded once
//! however often a client sends it (the retry names the first attempt's entry), another body under the same
//! event id is 409, and every bad input is a typed error naming the field or id, with nothing recorded.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use custodia_brokerage::{Brokerage, BrokerageConfig, ManualClock, Onboarding, StaticKeySource};
use custodia_consent::{ConsentEvent, Digest, EventId};
use custodia_model::{ActorId, CustomerId, Purpose};
use custodia_service::{AppState, Token, TokenTable, mint_token, router};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};
use custodia_synthetic::staff::Staff;
use serde_json::Value;

fn now() -> DateTime<Utc> {
    at_nine(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()).unwrap()
}

struct Fixture {
    /// Dropped first: the server stops before the brokerage and its directory go.
    _served: common::Served,
    _dir: tempfile::TempDir,
    brokerage: Arc<Brokerage>,
    base: String,
    agent: ureq::Agent,
    customers: Vec<CustomerId>,
    /// A consent event of the first customer's, not recorded: the template of the bodies sent.
    template: ConsentEvent,
    token: Token,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config = BrokerageConfig::sqlite(dir.path().join("b.db")).with_clock(ManualClock::at(now()));
    let b = Brokerage::open(config, &StaticKeySource::new([0x53; 32])).unwrap();
    let book = SyntheticBook::generate(
        &BookConfig {
            seed: 5,
            customers: 3,
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
    b.onboard_batch(
        book.iter()
            .map(|c| Onboarding::new(c.customer.clone(), notice.reference())),
        &mut |_| {},
    )
    .unwrap();
    let first = &book[0];
    let template = consent_events(first.customer.id(), &first.consents[0], &recording)
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let clerk = Staff::new(
        "emp-0100",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        now(),
    )
    .unwrap();
    b.put_principal(&clerk.principal).unwrap();
    let (token, line) = mint_token(clerk.id()).unwrap();
    let mut tokens = TokenTable::new();
    tokens.insert(&line).unwrap();
    let brokerage = Arc::new(b);
    let app = router(AppState::new(brokerage.clone(), tokens));
    let served = common::serve(app);
    let base = served.base.clone();
    Fixture {
        _served: served,
        _dir: dir,
        brokerage,
        base,
        agent: common::agent(),
        customers: book.iter().map(|c| c.customer.id()).collect(),
        template,
        token,
    }
}

/// The body of `event` as a client sends it: the draft without the customer (the path's) and the time
/// and author of recording (the service's), the id as `event`.
fn body_of(event: &ConsentEvent) -> Value {
    let mut value = serde_json::to_value(event.fields()).unwrap();
    let object = value.as_object_mut().unwrap();
    let id = object.remove("id").unwrap();
    object.insert("event".into(), id);
    for field in ["customer", "recorded_at", "recorded_by"] {
        object.remove(field).unwrap();
    }
    value
}

impl Fixture {
    fn post(&self, customer: &str, token: Option<&Token>, body: &str) -> (u16, Value) {
        let mut request = self
            .agent
            .post(format!("{}/api/v1/customers/{customer}/consents", self.base))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {}", token.expose()));
        }
        let mut response = request.send(body).unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        (status, value)
    }

    fn record(&self, body: &Value) -> (u16, Value) {
        self.post(
            &self.customers[0].to_string(),
            Some(&self.token),
            &body.to_string(),
        )
    }
}

#[test]
fn an_event_sent_twice_is_recorded_once_and_the_retry_names_its_entry() {
    let f = fixture();
    let customer = f.customers[0];
    let body = body_of(&f.template);
    let (status, first) = f.record(&body);
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["fresh"], true);
    assert_eq!(first["event"], f.template.id().to_string());
    assert_eq!(first["customer"], customer.to_string());
    let entry = first["entry_index"].as_u64().unwrap();
    let (status, again) = f.record(&body);
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["entry_index"].as_u64(), &again["fresh"]),
        (Some(entry), &Value::Bool(false))
    );
    // On the ledger once, at that entry, recorded by the token's principal with the body's fields.
    let events = f.brokerage.consent_events_of(customer).unwrap();
    let ours: Vec<_> = events.iter().filter(|(_, e)| e.id() == f.template.id()).collect();
    assert_eq!(ours.len(), 1);
    let (index, stored) = ours[0];
    assert_eq!(*index, entry);
    assert_eq!(stored.fields().recorded_by.as_str(), "emp-0100");
    assert_eq!(stored.fields().recorded_at, now());
    assert_eq!(stored.scope(), f.template.scope());
    assert_eq!(stored.fields().evidence, f.template.fields().evidence);
    // The same id with another body: 409, nothing appended.
    let mut other = body.clone();
    other["evidence"] = Value::String(Digest::of(b"another form").to_string());
    let (status, conflict) = f.record(&other);
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["error"], "event_conflict");
    assert_eq!(
        f.brokerage.consent_events_of(customer).unwrap().len(),
        events.len()
    );
    f.brokerage.verify_ledger().unwrap();
}

#[test]
fn a_bad_consent_body_is_named_and_records_nothing() {
    let f = fixture();
    let customer = f.customers[0];
    let body = body_of(&f.template);
    let with = |field: &str, value: Value| {
        let mut b = body.clone();
        b["event"] = Value::String(EventId::new_v7().to_string());
        b[field] = value;
        b
    };
    let without = |field: &str| {
        let mut b = body.clone();
        b.as_object_mut().unwrap().remove(field);
        b
    };
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            with("ticket", Value::String("张三".into())),
            422,
            "unknown_field",
            "ticket",
        ),
        (
            with("customer", Value::String(customer.to_string())),
            422,
            "unknown_field",
            "customer",
        ),
        (
            with("recorded_by", Value::String("someone-else".into())),
            422,
            "unknown_field",
            "recorded_by",
        ),
        (without("scope"), 422, "missing_field", "scope"),
        (without("event"), 422, "missing_field", "event"),
        (
            with("kind", Value::String("agreed".into())),
            422,
            "invalid_field",
            "kind",
        ),
        (
            with("event", Value::String("not-a-uuid".into())),
            422,
            "invalid_field",
            "event",
        ),
        (
            with("evidence", Value::String("张三".into())),
            422,
            "invalid_field",
            "evidence",
        ),
        (
            with("effective_at", Value::String("yesterday".into())),
            422,
            "invalid_field",
            "effective_at",
        ),
        (
            with(
                "scope",
                serde_json::json!({"purposes": [], "categories": [], "recipient": "controller", "destinations": []}),
            ),
            422,
            "invalid_field",
            "scope",
        ),
        (
            with(
                "notice",
                serde_json::json!({"id": f.template.fields().notice.id, "version": 9}),
            ),
            422,
            "invalid_field",
            "notice",
        ),
    ];
    let before = f.brokerage.consent_events_of(customer).unwrap().len();
    for (body, status, code, field) in &cases {
        let (got, answer) = f.record(body);
        assert_eq!(got, *status, "{field}: {answer}");
        assert_eq!(answer["error"], *code, "{field}: {answer}");
        assert_eq!(answer["field"], *field, "{answer}");
        assert!(!answer.to_string().contains("张三"), "{answer}");
    }
    // An expiry on a refusal (only a grant can expire).
    let mut refusal = with("kind", Value::String("refused".into()));
    refusal["expires_at"] = Value::String("2027-06-01T09:00:00Z".into());
    let (got, answer) = f.record(&refusal);
    assert_eq!(
        (got, &answer["field"]),
        (422, &Value::String("expires_at".into())),
        "{answer}"
    );
    // Not JSON; an unknown customer; a bad customer id; no token.
    let (got, answer) = f.post(&customer.to_string(), Some(&f.token), "{\"event\":");
    assert_eq!(
        (got, &answer["error"]),
        (400, &Value::String("malformed_json".into()))
    );
    let stranger = CustomerId::new_v7();
    let (got, answer) = f.post(&stranger.to_string(), Some(&f.token), &body.to_string());
    assert_eq!(got, 404, "{answer}");
    assert_eq!(answer["customer"], stranger.to_string());
    let (got, _) = f.post("not-an-id", Some(&f.token), &body.to_string());
    assert_eq!(got, 400);
    let (got, answer) = f.post(&customer.to_string(), None, &body.to_string());
    assert_eq!(
        (got, &answer["error"]),
        (401, &Value::String("unauthenticated".into()))
    );
    assert_eq!(f.brokerage.consent_events_of(customer).unwrap().len(), before);
    assert!(f.brokerage.consent_events_of(stranger).unwrap().is_empty());
}
