//! The customer pages over a real socket on 127.0.0.1 (issue 21): a seller's transfer case with notices
//! served, links minted by a member of staff, the notice page in both languages, the answer recorded once
//! on the consent ledger (replay, expiry, tampering and wrong bindings refused, and the single use durable
//! across a restart of the service and the store), the consent receipt verified, rights requests followed
//! with their deadline, and no personal value in any error.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Got, collect};

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use custodia_brokerage::{Brokerage, BrokerageConfig, ManualClock, NoticeRound, Onboarding, StaticKeySource};
use custodia_consent::{ConsentReceipt, Digest, EventKind, NoticeRef, TransferPath};
use custodia_model::{ActorId, CustomerId, DataCategory, Purpose, TransferId};
use custodia_rights::{
    Action, Answer as RightsAnswer, IdentityMethod, IdentityVerification, PackageContents, RequestId,
    ResponsePackage, ResponseReceipt, VerifiedParty,
};
use custodia_service::{AppState, Binding, LinkKey, TokenTable, mint_token, router};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{at_nine, privacy_notice};
use custodia_synthetic::parties;
use custodia_synthetic::staff::Staff;
use custodia_transfer::DraftAgreement;
use serde_json::Value;

const SELLER_KEY: [u8; 32] = [0x53; 32];
const LINK_KEY: [u8; 32] = [0x4c; 32];
/// The buyer's name carries markup, so that every page that shows it proves it is escaped.
const HOSTILE_BUYER: &str = "承接<script>alert(\"x\")</script>&保险经纪有限公司";

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// A seller with a small book, a transfer case whose notices are served, and a member of staff.
struct World {
    dir: tempfile::TempDir,
    clock: ManualClock,
    transfer: TransferId,
    served: Vec<CustomerId>,
    /// A customer of the book the case did not serve (if the book has one).
    unserved: Option<CustomerId>,
    /// String values (two characters or more) of every customer's identity section.
    personal: Vec<String>,
    staff: Staff,
}

fn seller_config(dir: &std::path::Path, clock: &ManualClock) -> BrokerageConfig {
    BrokerageConfig::sqlite(dir.join("seller.db")).with_clock(clock.clone())
}

fn world() -> (World, Brokerage) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(at_nine(day("2026-05-31")).unwrap());
    let seller = Brokerage::open(
        seller_config(dir.path(), &clock),
        &StaticKeySource::new(SELLER_KEY),
    )
    .unwrap();
    let buyer = Brokerage::open(
        BrokerageConfig::sqlite(dir.path().join("buyer.db")).with_clock(clock.clone()),
        &StaticKeySource::new([0x42; 32]),
    )
    .unwrap();
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", seller.now()).unwrap();
    seller.publish_notice(&notice).unwrap();
    let book = SyntheticBook::generate(
        &BookConfig {
            seed: 21,
            customers: 8,
            ..BookConfig::default()
        },
        day("2026-05-31"),
    )
    .unwrap();
    let onboard = book
        .customers()
        .iter()
        .map(|c| Onboarding::new(c.customer.clone(), notice.reference()));
    seller.onboard_batch(onboard, &mut |_| {}).unwrap();
    let keys = parties::SampleKeys::generate().unwrap();
    let mut terms = parties::terms(&keys, TransferPath::MergerNotice).unwrap();
    let hostile = parties::party(
        HOSTILE_BUYER,
        parties::BUYER_STEM,
        "260000000000002",
        "privacy@buyer.example",
        (
            &keys.buyer_sign.verifying_key(),
            &keys.buyer_recipient.public_key(),
        ),
    )
    .unwrap();
    terms.seller = seller.as_party(&terms.seller).unwrap();
    terms.buyer = buyer.as_party(&hostile).unwrap();
    let agreement = buyer
        .countersign_as_buyer(
            seller
                .sign_as_seller(DraftAgreement::new(terms).unwrap())
                .unwrap(),
        )
        .unwrap();
    clock.set(at_nine(day("2026-06-01")).unwrap());
    let case = seller.open_seller_case(&agreement).unwrap();
    case.publish_notices().unwrap();
    case.serve_notices(NoticeRound::everyone(ActorId::new("notices-bot").unwrap()))
        .unwrap();
    let mut served = Vec::new();
    let mut unserved = None;
    let mut personal = Vec::new();
    for c in book.customers() {
        let id = c.customer.id();
        if case.served_notice(id).unwrap().is_some() {
            served.push(id);
        } else {
            unserved = Some(id);
        }
        let trusted = seller.read_trusted(id, &[DataCategory::Identity]).unwrap();
        if let Some((_, section)) = trusted.sections.first() {
            strings(&serde_json::from_slice(section).unwrap(), &mut personal);
        }
    }
    assert!(served.len() >= 2, "the book must have two customers served");
    assert!(
        personal.len() >= 8,
        "identity values to look for: {}",
        personal.len()
    );
    let transfer = case.transfer_id();
    drop(case);
    let staff = Staff::new(
        "emp-0001",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        seller.now(),
    )
    .unwrap();
    seller.put_principal(&staff.principal).unwrap();
    (
        World {
            dir,
            clock,
            transfer,
            served,
            unserved,
            personal,
            staff,
        },
        seller,
    )
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        // Values, not codes: non-ASCII text (names, addresses), or three characters or more that are not a
        // lower-case code (numbers, dates, e-mail addresses, romanized names).
        Value::String(s)
            if (!s.is_ascii() && s.chars().count() >= 2)
                || (s.len() >= 3 && !s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')) =>
        {
            out.push(s.clone())
        }
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// A running service over `brokerage`, stopped (and the brokerage released) by [`Server::stop`].
struct Server {
    served: common::Served,
    base: String,
    agent: ureq::Agent,
    staff_token: custodia_service::Token,
}

fn start(brokerage: Brokerage, staff: &Staff) -> Server {
    start_with(Arc::new(brokerage), staff, Some(LinkKey::from_bytes(LINK_KEY)))
}

fn start_with(brokerage: Arc<Brokerage>, staff: &Staff, key: Option<LinkKey>) -> Server {
    let (staff_token, line) = mint_token(staff.id()).unwrap();
    let mut tokens = TokenTable::new();
    tokens.insert(&line).unwrap();
    let mut state = AppState::new(brokerage, tokens);
    if let Some(key) = key {
        state = state.with_link_key(key);
    }
    let served = common::serve(router(state));
    Server {
        base: served.base.clone(),
        served,
        agent: common::agent(),
        staff_token,
    }
}

impl Server {
    /// Stops serving and waits until the runtime (and with it the brokerage) is dropped.
    fn stop(self) {
        self.served.stop();
    }
}

impl Server {
    fn get(&self, path: &str, accept_language: Option<&str>) -> Got {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(lang) = accept_language {
            request = request.header("Accept-Language", lang);
        }
        collect(request.call().unwrap())
    }

    fn form(&self, path: &str, body: &str) -> Got {
        collect(
            self.agent
                .post(format!("{}{path}", self.base))
                .content_type("application/x-www-form-urlencoded")
                .send(body)
                .unwrap(),
        )
    }

    fn json(&self, path: &str, body: &Value) -> Got {
        collect(
            self.agent
                .post(format!("{}{path}", self.base))
                .content_type("application/json")
                .send(serde_json::to_vec(body).unwrap())
                .unwrap(),
        )
    }

    fn mint(&self, body: &Value) -> Got {
        collect(
            self.agent
                .post(format!("{}/api/v1/links", self.base))
                .header("Authorization", format!("Bearer {}", self.staff_token.expose()))
                .content_type("application/json")
                .send(serde_json::to_vec(body).unwrap())
                .unwrap(),
        )
    }

    /// A notice link's token for `customer`, minted through the staff route.
    fn notice_token(&self, transfer: TransferId, customer: CustomerId) -> String {
        let got = self.mint(&serde_json::json!({
            "customer": customer, "purpose": "notice_answer", "transfer": transfer
        }));
        assert_eq!(got.status, 200, "{}", got.text);
        let path = got.json()["path"].as_str().unwrap().to_owned();
        path.strip_prefix("/c/notice/").unwrap().to_owned()
    }
}

/// Asserts an error response: the status, the typed code, no personal value, no token, no stack trace.
fn assert_error(got: &Got, status: u16, code: &str, world: &World, token: &str) {
    assert_eq!(got.status, status, "{}", got.text);
    if got.content_type.starts_with("text/html") {
        assert!(
            got.text.contains(&format!("id=\"error-code\">{code}<")),
            "{}",
            got.text
        );
    } else {
        assert_eq!(got.json()["error"], code, "{}", got.text);
    }
    for value in &world.personal {
        assert!(
            !got.text.contains(value.as_str()),
            "a personal value {value:?} in an error: {}",
            got.text
        );
    }
    if !token.is_empty() {
        assert!(!got.text.contains(token), "the token in an error");
    }
    assert!(
        !got.text.contains("panicked") && !got.text.contains("src/"),
        "{}",
        got.text
    );
}

fn answer_event_of(brokerage: &Brokerage, event: &str) -> Option<EventKind> {
    brokerage
        .consent_event(event.parse().unwrap())
        .unwrap()
        .map(|(_, e)| e.kind())
}

#[test]
fn a_notice_answered_through_its_link_is_recorded_once_with_a_verifiable_receipt() {
    let (w, seller) = world();
    let customer = w.served[0];
    let keys = seller.public_keys();
    let server = start(seller, &w.staff);
    let token = server.notice_token(w.transfer, customer);
    assert_eq!(token.len(), 147);

    // The page, in Simplified Chinese by default, in English by ?lang=en or Accept-Language.
    let zh = server.get(&format!("/c/notice/{token}"), None);
    assert_eq!(zh.status, 200, "{}", zh.text);
    assert!(zh.content_type.starts_with("text/html"));
    assert!(zh.text.contains("<html lang=\"zh-CN\">"));
    assert!(zh.text.contains("个人信息转移告知"));
    assert!(zh.text.contains("name=\"viewport\""));
    assert!(
        zh.text
            .contains("\"Noto Sans CJK SC\", \"Source Han Sans SC\", \"PingFang SC\"")
    );
    assert!(
        zh.text
            .contains("<form id=\"notice-answer\" method=\"post\" action=\"/c/notice\">")
    );
    for answer in ["object", "consent", "refuse"] {
        assert!(
            zh.text.contains(&format!("name=\"answer\" value=\"{answer}\"")),
            "{answer}"
        );
    }
    assert!(zh.text.contains("第二十二条") && zh.text.contains("第二十三条") && zh.text.contains("第十五条"));
    assert!(zh.text.contains("示例保险经纪有限公司"));
    assert!(zh.text.contains("id=\"categories\""));
    // The hostile recipient name is shown escaped, never as markup.
    assert!(!zh.text.contains("<script>"), "{}", zh.text);
    assert!(
        zh.text.contains("&#60;script&#62;") || zh.text.contains("&lt;script&gt;"),
        "{}",
        zh.text
    );
    assert!(zh.text.contains("&#38;保险") || zh.text.contains("&amp;保险"));
    let en = server.get(&format!("/c/notice/{token}?lang=en"), None);
    assert_eq!(en.status, 200);
    assert!(en.text.contains("<html lang=\"en\">"));
    assert!(
        en.text
            .contains("Notice of a transfer of your personal information")
    );
    assert!(
        en.text.contains("PIPL Arts 22, 44")
            && en.text.contains("PIPL Art 23")
            && en.text.contains("PIPL Art 15")
    );
    let by_header = server.get(&format!("/c/notice/{token}"), Some("en-GB,en;q=0.9,zh;q=0.5"));
    assert!(by_header.text.contains("<html lang=\"en\">"));
    let zh_header = server.get(&format!("/c/notice/{token}"), Some("en;q=0,zh-TW"));
    assert!(zh_header.text.contains("<html lang=\"zh-CN\">"));
    // The same as JSON.
    let json = server
        .get(&format!("/api/v1/customer/notice/{token}"), None)
        .json();
    assert_eq!(json["customer"], customer.to_string());
    assert_eq!(json["transfer"], w.transfer.to_string());
    assert_eq!(json["article"], "22");
    assert_eq!(json["recipient"]["name"], HOSTILE_BUYER);
    assert!(!json["categories"].as_array().unwrap().is_empty());
    let en_json = server
        .get(&format!("/api/v1/customer/notice/{token}?lang=en"), None)
        .json();
    assert_eq!(en_json["categories"][0]["code"], json["categories"][0]["code"]);
    assert_ne!(en_json["categories"][0]["name"], json["categories"][0]["name"]);
    let got = server.get(&format!("/api/v1/customer/notice/{token}?utm=sms"), None);
    assert_error(&got, 422, "unknown_field", &w, &token);

    // The answer, from the form: the receipt page.
    let got = server.form("/c/notice", &format!("token={token}&answer=object&lang=en"));
    assert_eq!(got.status, 200, "{}", got.text);
    assert!(got.text.contains("<html lang=\"en\">"));
    assert!(got.text.contains("id=\"receipt\""));
    let event = got
        .text
        .split("id=\"receipt-event\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(got.text.contains(&format!("href=\"/c/receipt/{token}\"")));
    assert!(got.text.contains("custodia verify consent-receipt"));
    assert!(got.text.contains(&keys.ledger.to_vkey()));
    assert!(got.text.contains("/api/v1/checkpoint"));

    // The receipt downloads and verifies with the ledger key alone; it proves an objection to the transfer.
    let receipt = server.get(&format!("/c/receipt/{token}"), None);
    assert_eq!(receipt.status, 200, "{}", receipt.text);
    let receipt: ConsentReceipt = custodia_model::from_json(receipt.text.as_bytes()).unwrap();
    let verified = receipt.verify(&keys.ledger).unwrap();
    assert_eq!(receipt.fields().pii_principal_id, customer);
    assert_eq!(verified.event().id().to_string(), event);
    assert_eq!(verified.event().kind(), EventKind::Objected);
    assert!(verified.event().scope().purposes().contains(&Purpose::Transfer));

    // A second use, by form or JSON, with the same or another answer: refused, nothing recorded.
    for body in [
        format!("token={token}&answer=object"),
        format!("token={token}&answer=consent"),
    ] {
        let again = server.form("/c/notice", &body);
        assert_error(&again, 410, "link_used", &w, &token);
    }
    let again = server.json(
        "/api/v1/customer/notice",
        &serde_json::json!({ "token": token, "answer": "refuse" }),
    );
    assert_error(&again, 410, "link_used", &w, &token);
    // The used link's page says so, and still leads to the receipt of its answer.
    let used = server.get(&format!("/c/notice/{token}"), None);
    assert_eq!(used.status, 410);
    assert!(used.text.contains("id=\"error-code\">link_used<"));
    assert!(
        used.text
            .contains(&format!("id=\"receipt-download\" href=\"/c/receipt/{token}\""))
    );
    let receipt_again = server.get(&format!("/c/receipt/{token}"), None);
    let again: ConsentReceipt = custodia_model::from_json(receipt_again.text.as_bytes()).unwrap();
    let again = again.verify(&keys.ledger).unwrap();
    assert_eq!(
        again.event(),
        verified.event(),
        "the recorded answer is unchanged"
    );

    // Another customer's link works independently, as JSON, and its consent is recorded as a grant.
    let other = server.notice_token(w.transfer, w.served[1]);
    let got = server.json(
        "/api/v1/customer/notice",
        &serde_json::json!({ "token": other, "answer": "consent" }),
    );
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json()["kind"], "granted");
    assert_eq!(got.json()["customer"], w.served[1].to_string());
    server.stop();

    // Re-opened: the store holds each answer once, under the link's event id.
    let seller = Brokerage::open(
        seller_config(w.dir.path(), &w.clock),
        &StaticKeySource::new(SELLER_KEY),
    )
    .unwrap();
    assert_eq!(answer_event_of(&seller, &event), Some(EventKind::Objected));
}

#[test]
fn single_use_survives_a_restart_of_the_service_and_the_store() {
    let (w, seller) = world();
    let customer = w.served[0];
    let server = start(seller, &w.staff);
    let token = server.notice_token(w.transfer, customer);
    let got = server.form("/c/notice", &format!("token={token}&answer=refuse"));
    assert_eq!(got.status, 200, "{}", got.text);
    server.stop();

    let seller = Brokerage::open(
        seller_config(w.dir.path(), &w.clock),
        &StaticKeySource::new(SELLER_KEY),
    )
    .unwrap();
    let size = seller.verify_ledger().unwrap().size();
    let server = start(seller, &w.staff);
    assert_error(
        &server.form("/c/notice", &format!("token={token}&answer=consent")),
        410,
        "link_used",
        &w,
        &token,
    );
    assert_error(
        &server.get(&format!("/c/notice/{token}?lang=en"), None),
        410,
        "link_used",
        &w,
        // A used link's page links its own receipt: the holder's token, and nothing else, is on it.
        "",
    );
    // Concurrent uses of one fresh link: exactly one answer is recorded, every other use is link_used.
    let fresh = server.notice_token(w.transfer, w.served[1]);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = ["object", "consent", "refuse", "object"]
            .iter()
            .map(|answer| {
                let (server, fresh) = (&server, &fresh);
                scope.spawn(move || server.form("/c/notice", &format!("token={fresh}&answer={answer}")))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                let got = h.join().unwrap();
                if got.status != 200 {
                    assert_error(&got, 410, "link_used", &w, &fresh);
                }
                got.status
            })
            .collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    server.stop();
    let seller = Brokerage::open(
        seller_config(w.dir.path(), &w.clock),
        &StaticKeySource::new(SELLER_KEY),
    )
    .unwrap();
    assert_eq!(
        seller.verify_ledger().unwrap().size(),
        size + 1,
        "the refused replays wrote nothing; the one concurrent answer wrote its event"
    );
}

#[test]
fn expired_tampered_and_misbound_links_are_refused_and_record_nothing() {
    let (w, seller) = world();
    let customer = w.served[0];
    let key = LinkKey::from_bytes(LINK_KEY);
    let case_notice = seller
        .seller_case(w.transfer)
        .unwrap()
        .served_notice(customer)
        .unwrap()
        .unwrap()
        .event
        .notice();
    let now = seller.now();
    let size = seller.verify_ledger().unwrap().size();
    let server = start(seller, &w.staff);

    // Expired: a one-day link, two days later.
    let got = server.mint(&serde_json::json!({
        "customer": customer, "purpose": "notice_answer", "transfer": w.transfer, "valid_days": 1
    }));
    let expiring = got.json()["path"]
        .as_str()
        .unwrap()
        .strip_prefix("/c/notice/")
        .unwrap()
        .to_owned();
    w.clock.set(now + Duration::days(2));
    assert_error(
        &server.get(&format!("/c/notice/{expiring}"), None),
        410,
        "link_expired",
        &w,
        &expiring,
    );
    assert_error(
        &server.form("/c/notice", &format!("token={expiring}&answer=object")),
        410,
        "link_expired",
        &w,
        &expiring,
    );
    w.clock.set(now);

    // Tampered: every character position changed to another base64url character (payload and tag).
    let token = server.notice_token(w.transfer, customer);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for i in (0..token.len()).step_by(5).chain([token.len() - 1]) {
        let mut bytes = token.clone().into_bytes();
        let at = alphabet.iter().position(|c| *c == bytes[i]).unwrap();
        bytes[i] = alphabet[(at + 17) % 64];
        let bad = String::from_utf8(bytes).unwrap();
        let got = server.form("/c/notice", &format!("token={bad}&answer=object"));
        assert_error(&got, 403, "link_invalid", &w, &bad);
    }
    // Not a token at all, empty, over-long, another key's.
    for bad in ["", "abc", &"A".repeat(4000)] {
        let got = server.form("/c/notice", &format!("token={bad}&answer=object"));
        if bad.is_empty() {
            assert_error(&got, 422, "missing_field", &w, "");
        } else {
            assert_error(&got, 403, "link_invalid", &w, bad);
        }
    }
    let binding = Binding::Notice {
        customer,
        transfer: w.transfer,
        notice: case_notice,
    };
    let foreign = LinkKey::from_bytes([0x01; 32])
        .mint(&binding, now + Duration::days(1))
        .unwrap();
    assert_error(
        &server.get(&format!("/c/notice/{foreign}"), None),
        403,
        "link_invalid",
        &w,
        &foreign,
    );

    // Validly signed but bound to what was not served: another notice version, another case, a customer
    // the case did not serve, a requests link on the notice page.
    let misbound = [
        (
            Binding::Notice {
                customer,
                transfer: w.transfer,
                notice: NoticeRef {
                    id: case_notice.id,
                    version: case_notice.version + 1,
                },
            },
            409,
            "link_binding",
        ),
        (
            Binding::Notice {
                customer,
                transfer: TransferId::new_v7(),
                notice: case_notice,
            },
            404,
            "no_such_case",
        ),
        (
            Binding::Notice {
                customer: CustomerId::new_v7(),
                transfer: w.transfer,
                notice: case_notice,
            },
            409,
            "link_binding",
        ),
        (Binding::Requests { customer }, 403, "link_wrong_page"),
    ];
    for (binding, status, code) in misbound.iter().chain(
        w.unserved
            .map(|c| {
                (
                    Binding::Notice {
                        customer: c,
                        transfer: w.transfer,
                        notice: case_notice,
                    },
                    409,
                    "link_binding",
                )
            })
            .iter(),
    ) {
        let token = key.mint(binding, now + Duration::days(1)).unwrap();
        assert_error(
            &server.form("/c/notice", &format!("token={token}&answer=consent")),
            *status,
            code,
            &w,
            &token,
        );
        assert_error(
            &server.get(&format!("/c/notice/{token}"), None),
            *status,
            code,
            &w,
            &token,
        );
    }
    // A notice link on the requests page.
    assert_error(
        &server.get(&format!("/c/requests/{token}"), None),
        403,
        "link_wrong_page",
        &w,
        &token,
    );

    // Bad forms: a field named twice, an unknown field, an invalid answer, an unknown language.
    for (body, code) in [
        (
            format!("token={token}&answer=object&answer=consent"),
            "duplicate_field",
        ),
        (
            format!("token={token}&answer=object&name=%E5%BC%A0%E4%B8%89"),
            "unknown_field",
        ),
        (format!("token={token}&answer=maybe"), "invalid_field"),
        (format!("token={token}&answer=object&lang=fr"), "invalid_field"),
    ] {
        assert_error(&server.form("/c/notice", &body), 422, code, &w, &token);
    }
    assert_error(
        &server.get(&format!("/c/notice/{token}?lang=fr"), None),
        422,
        "invalid_field",
        &w,
        &token,
    );
    // A JSON body with an unknown field names nothing of its value.
    let got = server.json(
        "/api/v1/customer/notice",
        &serde_json::json!({ "token": token, "answer": "object", "name": "张三" }),
    );
    assert_error(&got, 422, "unknown_field", &w, &token);
    assert!(
        !got.text.contains("张三") && !got.text.contains("name"),
        "{}",
        got.text
    );
    for (body, status, code, field) in [
        (
            serde_json::json!({ "answer": "object" }),
            422,
            "missing_field",
            Some("token"),
        ),
        (
            serde_json::json!({ "token": token, "answer": "maybe" }),
            422,
            "invalid_field",
            Some("answer"),
        ),
        (serde_json::json!([token]), 422, "invalid_field", Some("(body)")),
    ] {
        let got = server.json("/api/v1/customer/notice", &body);
        assert_error(&got, status, code, &w, &token);
        assert_eq!(got.json()["field"].as_str(), field, "{}", got.text);
    }
    let got = collect(
        server
            .agent
            .post(format!("{}/api/v1/customer/notice", server.base))
            .content_type("application/json")
            .send("{\"token\": ")
            .unwrap(),
    );
    assert_error(&got, 400, "malformed_json", &w, "");
    // Staff only mint; a customer not served gets no notice link.
    let got = collect(
        server
            .agent
            .post(format!("{}/api/v1/links", server.base))
            .content_type("application/json")
            .send("{}")
            .unwrap(),
    );
    assert_eq!(got.status, 401);
    let got = server.mint(&serde_json::json!({
        "customer": customer, "purpose": "notice_answer", "transfer": TransferId::new_v7()
    }));
    assert_eq!(got.status, 404, "{}", got.text);
    assert_eq!(got.json()["error"], "no_such_case");
    for (body, code, field) in [
        (
            serde_json::json!({ "customer": customer, "purpose": "notice_answer" }),
            "missing_field",
            "transfer",
        ),
        (
            serde_json::json!({ "customer": customer, "purpose": "requests", "transfer": w.transfer }),
            "invalid_field",
            "transfer",
        ),
        (
            serde_json::json!({ "customer": customer, "purpose": "requests", "valid_days": 91 }),
            "invalid_field",
            "valid_days",
        ),
        (
            serde_json::json!({ "customer": customer, "purpose": "everything" }),
            "invalid_field",
            "purpose",
        ),
        (
            serde_json::json!({ "customer": "not-an-id", "purpose": "requests" }),
            "invalid_field",
            "customer",
        ),
        (
            serde_json::json!({ "purpose": "requests" }),
            "missing_field",
            "customer",
        ),
    ] {
        let got = server.mint(&body);
        assert_eq!(got.status, 422, "{}", got.text);
        assert_eq!(
            (got.json()["error"].as_str(), got.json()["field"].as_str()),
            (Some(code), Some(field)),
            "{}",
            got.text
        );
    }
    if let Some(unserved) = w.unserved {
        let got = server.mint(&serde_json::json!({
            "customer": unserved, "purpose": "notice_answer", "transfer": w.transfer
        }));
        assert_eq!(got.status, 409, "{}", got.text);
        assert_eq!(got.json()["error"], "not_served");
    }
    server.stop();
    let seller = Brokerage::open(
        seller_config(w.dir.path(), &w.clock),
        &StaticKeySource::new(SELLER_KEY),
    )
    .unwrap();
    assert_eq!(
        seller.verify_ledger().unwrap().size(),
        size,
        "nothing refused was recorded"
    );
}

#[test]
fn a_request_submitted_through_a_link_shows_its_state_and_deadline() {
    let (w, seller) = world();
    let customer = w.served[0];
    let seller = Arc::new(seller);
    let server = start_with(seller.clone(), &w.staff, Some(LinkKey::from_bytes(LINK_KEY)));
    let got = server.mint(&serde_json::json!({ "customer": customer, "purpose": "requests" }));
    assert_eq!(got.status, 200, "{}", got.text);
    let path = got.json()["path"].as_str().unwrap().to_owned();
    let token = path.strip_prefix("/c/requests/").unwrap().to_owned();

    let page = server.get(&path, None);
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("<html lang=\"zh-CN\">"));
    assert!(page.text.contains("id=\"no-requests\""));
    assert!(
        page.text
            .contains("<form id=\"rights-request\" method=\"post\" action=\"/c/requests\">")
    );
    assert!(page.text.contains("name=\"kind\""));

    // A question about how the data is handled (PIPL Art 48), from the form, in English.
    let got = server.form(
        "/c/requests",
        &format!("token={token}&kind=explain_rules&lang=en"),
    );
    assert_eq!(got.status, 201, "{}", got.text);
    assert!(got.text.contains("<html lang=\"en\">"));
    assert!(got.text.contains("id=\"submitted\""));
    let id = got
        .text
        .split("id=\"submitted\" data-request=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    // A withdrawal of the marketing consent, as JSON.
    let got = server.json(
        "/api/v1/customer/requests",
        &serde_json::json!({ "token": token, "kind": "withdraw_consent", "purpose": "marketing" }),
    );
    assert_eq!(got.status, 201, "{}", got.text);

    // The status, as JSON and on the page, with the deadline the brokerage counted.
    let seller_view = server
        .get(&format!("/api/v1/customer/requests/{token}"), None)
        .json();
    let requests = seller_view["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    let first = requests.iter().find(|r| r["id"] == id.as_str()).unwrap();
    assert_eq!(first["kind"], "explain_rules");
    assert_eq!(first["state"], "awaiting_identity");
    let deadline = first["deadline"].as_str().unwrap().to_owned();
    let due: NaiveDate = deadline.parse().unwrap();
    assert!(due > day("2026-06-01") && due <= day("2026-07-31"), "{due}");
    let page = server.get(&format!("{path}?lang=en"), None);
    assert!(page.text.contains(&format!("data-request=\"{id}\"")));
    assert!(page.text.contains(&format!(">{deadline}</time>")));
    assert!(page.text.contains("custodia verify rights-receipt"));

    // The same kind again while open: refused; a purpose missing or custom: named.
    assert_error(
        &server.form("/c/requests", &format!("token={token}&kind=explain_rules")),
        409,
        "duplicate_request",
        &w,
        &token,
    );
    for (body, code, field) in [
        (format!("token={token}&kind=object"), "missing_field", "purpose"),
        (
            format!("token={token}&kind=object&purpose=my_own"),
            "invalid_field",
            "purpose",
        ),
        (
            format!("token={token}&kind=access&purpose=marketing"),
            "invalid_field",
            "purpose",
        ),
        (format!("token={token}&kind=everything"), "invalid_field", "kind"),
    ] {
        let got = server.form("/c/requests", &body);
        assert_error(&got, 422, code, &w, &token);
        assert!(
            got.text.contains(&format!("id=\"error-field\">{field}<")),
            "{}",
            got.text
        );
    }
    // The receipt of an unanswered request is not there yet; another customer's request is not found.
    assert_error(
        &server.get(&format!("{path}/receipt/{id}"), None),
        409,
        "not_answered",
        &w,
        &token,
    );
    let other = server.mint(&serde_json::json!({ "customer": w.served[1], "purpose": "requests" }));
    let other_path = other.json()["path"].as_str().unwrap().to_owned();
    assert_error(
        &server.get(&format!("{other_path}/receipt/{id}"), None),
        404,
        "no_such_request",
        &w,
        "",
    );
    // Staff check the customer's identity and answer the question: the page shows it answered, and the
    // signed response receipt downloads and verifies with the brokerage's public keys.
    let request: RequestId = id.parse().unwrap();
    seller
        .record_identity(
            request,
            IdentityVerification::verified(
                VerifiedParty::Requester,
                IdentityMethod::DocumentInspected,
                Digest::of(b"the officer's record of the check"),
                ActorId::new("desk-1").unwrap(),
                seller.now(),
            ),
        )
        .unwrap();
    let explained = {
        let r = seller.request(request).unwrap();
        ResponsePackage::build(&r.verified().unwrap(), PackageContents::default(), seller.now()).unwrap()
    };
    seller
        .answer_request(request, RightsAnswer::done(Action::explained(&explained)))
        .unwrap();
    let view = server
        .get(&format!("/api/v1/customer/requests/{token}"), None)
        .json();
    let answered = view["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(answered["state"], "answered");
    assert_eq!(answered["outcome"], "fulfilled");
    let link = answered["receipt"].as_str().unwrap().to_owned();
    assert!(server.get(&path, None).text.contains(&format!("href=\"{link}\"")));
    let receipt = server.get(&link, None);
    assert_eq!(receipt.status, 200, "{}", receipt.text);
    let verified = ResponseReceipt::verify(receipt.text.as_bytes(), &seller.rights_keys()).unwrap();
    assert_eq!(verified.body().request, request);
    // A requests link of a customer the brokerage does not hold: typed 404, nothing received.
    let stranger = LinkKey::from_bytes(LINK_KEY)
        .mint(
            &Binding::Requests {
                customer: CustomerId::new_v7(),
            },
            seller.now() + Duration::days(1),
        )
        .unwrap();
    assert_error(
        &server.form("/c/requests", &format!("token={stranger}&kind=access")),
        404,
        "unknown_customer",
        &w,
        &stranger,
    );
    // A requests link cannot answer a notice.
    assert_error(
        &server.form("/c/notice", &format!("token={token}&answer=object")),
        403,
        "link_wrong_page",
        &w,
        &token,
    );
    server.stop();
    drop(seller);
}

#[test]
fn without_a_link_key_the_customer_pages_say_so() {
    let (w, seller) = world();
    let server = start_with(Arc::new(seller), &w.staff, None);
    let got = server.get("/c/notice/abc", None);
    assert_error(&got, 503, "links_not_configured", &w, "");
    let got = server.json(
        "/api/v1/customer/notice",
        &serde_json::json!({"token": "abc", "answer": "object"}),
    );
    assert_error(&got, 503, "links_not_configured", &w, "");
    server.stop();
}
