//! The service's pages in a real browser (issue 21): headless Chromium loads the compliance dashboard (with
//! transfer-case, alert, overdue-request and incident-clock rows present), a transfer case's page with its
//! plan chart, a closed case's page (the transfer report in tables), the library's standalone report file,
//! and a customer's notice-link page, whose form it fills and submits (the receipt page, the answer on the
//! consent ledger, the link used up), against a service on 127.0.0.1. The DOM is parsed (`scraper`) and
//! asserted on — `lang`, the CJK font stack declared and applied, the Chinese party names present as text,
//! the tables' rows against the brokerage's own figures, no sideways scrolling on a phone — and screenshots
//! are saved at desktop and phone size (390×844) into `target/browser-screenshots/`.
//!
//! Behind the `browser-tests` feature (`cargo test -p custodia-service --features browser-tests --test
//! browser`; `.ci/run` installs Chromium and runs it). With the feature on and no Chromium found, the tests
//! fail saying how to install it; they never skip.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[path = "browser/cdp.rs"]
mod cdp;

use std::path::PathBuf;
use std::sync::Arc;

use cdp::Browser;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use custodia_access::MonitorSettings;
use custodia_brokerage::{
    Brokerage, BrokerageConfig, ManualClock, NoticeRound, Onboarding, StaticKeySource, WhilePending,
};
use custodia_consent::{Channel, Digest, TransferPath};
use custodia_model::{ActorId, CategorySet, CustomerId, DataCategory, Purpose, TransferId};
use custodia_oversight::{Cause, IncidentKind, NewIncident, SystemCode};
use custodia_rights::{Intake, RequestKind};
use custodia_service::{AppState, LinkKey, Token, TokenTable, mint_token, router};
use custodia_synthetic::assessment;
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};
use custodia_synthetic::parties::{SampleKeys, terms};
use custodia_synthetic::staff::{Staff, sign_each};
use custodia_transfer::{
    AgreementSection, Check, DispositionCounts, DraftAgreement, Eligibility, ExcludeReason, PackageSection,
    PendingReason, PlanSummary, SignedAgreement, TransferReport,
};
use scraper::{ElementRef, Html, Selector};
use serde_json::json;

const SELLER_KEY: [u8; 32] = [0x53; 32];
const BUYER_KEY: [u8; 32] = [0xB3; 32];
const FONTS: [&str; 6] = [
    "\"Noto Sans CJK SC\"",
    "\"Source Han Sans SC\"",
    "\"PingFang SC\"",
    "\"Microsoft YaHei\"",
    "\"Hiragino Sans GB\"",
    "sans-serif",
];
const PHONE: (u32, u32) = (390, 844);

fn actor(id: &str) -> ActorId {
    ActorId::new(id).unwrap()
}

fn t0() -> DateTime<Utc> {
    at_nine(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()).unwrap() // a Monday
}

/// Where the screenshots go: `target/browser-screenshots/` (the test binary is `target/<profile>/deps/…`).
fn screenshots() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test binary sits in target/<profile>/deps");
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A seller brokerage served on 127.0.0.1 with something in every table of the dashboard: two transfer
/// cases — one with its notices served and still notifying, one run to the end and closed with its report
/// — an access alert (the monitor alerts after 2 distinct customers and the manager reads 3), an overdue
/// rights request (received on day 0, the clock now on day 40) and an incident with its reporting clocks.
struct Served {
    /// Dropped first: the server stops before the brokerage and its directory go.
    _served: common::Served,
    _dir: tempfile::TempDir,
    brokerage: Arc<Brokerage>,
    base: String,
    token: Token,
    /// The case still notifying.
    transfer: TransferId,
    /// The closed case.
    closed: TransferId,
    seller: String,
    buyer: String,
    overdue_customer: CustomerId,
    all_customers: Vec<CustomerId>,
}

/// An agreement both brokerages signed, `seller` selling to `buyer` (the sample terms, a fresh transfer).
fn agreement(seller: &Brokerage, buyer: &Brokerage) -> SignedAgreement {
    let mut terms = terms(&SampleKeys::generate().unwrap(), TransferPath::MergerNotice).unwrap();
    terms.seller = seller.as_party(&terms.seller).unwrap();
    terms.buyer = buyer.as_party(&terms.buyer).unwrap();
    buyer
        .countersign_as_buyer(
            seller
                .sign_as_seller(DraftAgreement::new(terms).unwrap())
                .unwrap(),
        )
        .unwrap()
}

fn serve() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(t0());
    let monitor = MonitorSettings {
        max_distinct_customers: 2,
        ..MonitorSettings::default()
    };
    let open = |name: &str, key| {
        let config = BrokerageConfig::sqlite(dir.path().join(format!("{name}.db")))
            .with_clock(clock.clone())
            .with_origin(format!("{name}.example/ledger"))
            .with_monitor(monitor.clone());
        Brokerage::open(config, &StaticKeySource::new(key)).unwrap()
    };
    let (b, buyer) = (open("seller", SELLER_KEY), open("buyer", BUYER_KEY));

    let book = SyntheticBook::generate(
        &BookConfig {
            seed: 21,
            customers: 12,
            ..BookConfig::default()
        },
        NaiveDate::from_ymd_opt(2026, 5, 31).unwrap(),
    )
    .unwrap()
    .customers()
    .to_vec();
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", t0()).unwrap();
    b.publish_notice(&notice).unwrap();
    let recording = Recording::on_the_day(notice.reference(), actor("clerk"), Digest::of(b"f"));
    b.onboard_batch(
        book.iter().map(|c| {
            let consents = c
                .consents
                .iter()
                .flat_map(|f| consent_events(c.customer.id(), f, &recording).unwrap())
                .collect();
            Onboarding::new(c.customer.clone(), notice.reference()).with_consents(consents)
        }),
        &mut |_| {},
    )
    .unwrap();
    let customers: Vec<CustomerId> = book.iter().map(|c| c.customer.id()).collect();

    // Two transfer cases: both sides sign, the seller publishes and serves the notices on day 0.
    let (open_case, closed) = (agreement(&b, &buyer), agreement(&b, &buyer));
    for a in [&open_case, &closed] {
        let case = b.open_seller_case(a).unwrap();
        case.publish_notices().unwrap();
        case.serve_notices(NoticeRound::everyone(actor("notices-bot")))
            .unwrap();
    }
    // The approvers of the disposition, and the impact assessment execution needs (PIPL Art 55(3)).
    let approvers = Staff::approvers(&["dpo-1", "cco-1"], t0()).unwrap();
    for s in &approvers {
        b.put_principal(&s.principal).unwrap();
    }
    let pia = assessment::for_transfer(closed.terms(), actor("privacy-office"), t0()).unwrap();
    b.store_assessment(&pia).unwrap();
    let request = b.assessment_approval_request(pia.id).unwrap();
    b.approve_assessment(pia.id, &sign_each(&approvers, &request).unwrap())
        .unwrap();

    // A rights request received on day 0 and never answered.
    b.receive_request(Intake::new(
        customers[0],
        RequestKind::Access,
        Channel::Web,
        t0(),
        actor("desk-1"),
    ))
    .unwrap();

    // Day 40: the request is overdue, the objection windows have closed; an incident found yesterday.
    clock.set(t0() + Duration::days(40));
    b.register_incident(NewIncident {
        discovered_at: t0() + Duration::days(39),
        kind: IncidentKind::Leak,
        systems: vec![SystemCode::new("vault-db").unwrap()],
        categories: CategorySet::from([DataCategory::Identity]),
        cause: Cause::KeyExposure,
        stated_level: None,
        by: actor("sec-1"),
    })
    .unwrap();

    let manager = Staff::new(
        "emp-0001",
        &["account_manager"],
        &[Purpose::PolicyServicing],
        t0(),
    )
    .unwrap();
    b.put_principal(&manager.principal).unwrap();
    let (token, line) = mint_token(manager.id()).unwrap();
    let mut tokens = TokenTable::new();
    tokens.insert(&line).unwrap();

    let brokerage = Arc::new(b);
    let app = router(AppState::new(brokerage.clone(), tokens).with_link_key(LinkKey::from_bytes([0x4c; 32])));
    let served = common::serve(app);
    let base = served.base.clone();

    // Three customers read through the gate: the monitor raises an alert.
    let agent: ureq::Agent = common::agent();
    for customer in &customers[..3] {
        let status = agent
            .post(format!("{base}/api/v1/customers/{customer}/read"))
            .header("Authorization", format!("Bearer {}", token.expose()))
            .header("content-type", "application/json")
            .send(
                r#"{"categories":["identity","policies"],"purpose":"policy_servicing","ticket":"clm.88123"}"#,
            )
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }

    // The second case to the end: executed, packaged, imported by the buyer, receipt verified, the
    // seller's copies disposed of with two approvals, closed with its report.
    let b = &brokerage;
    let case = b.seller_case(closed.transfer_id()).unwrap();
    case.execute(WhilePending::Exclude).unwrap();
    let package = case.write_package(&dir.path().join("transfer.pkg")).unwrap();
    let buying = buyer.open_buyer_case(&closed).unwrap();
    buying.import(&package.path, &mut |_| {}).unwrap();
    case.verify_receipt(&buying.sign_receipt().unwrap()).unwrap();
    case.plan_disposition(actor("ops-1")).unwrap();
    for s in &approvers {
        case.approve_disposition(&s.sign(&case.disposition_requests().unwrap()).unwrap())
            .unwrap();
    }
    case.execute_disposition(actor("ops-2")).unwrap();
    assert!(case.close(Vec::new()).unwrap().all_passed());

    assert!(!brokerage.alerts().unwrap().is_empty());
    assert_eq!(brokerage.overdue_requests().unwrap().len(), 1);
    assert!(!brokerage.incident_clocks().unwrap().is_empty());

    let section = AgreementSection::of(&open_case);
    Served {
        _served: served,
        _dir: dir,
        brokerage,
        base,
        token,
        transfer: open_case.transfer_id(),
        closed: closed.transfer_id(),
        seller: section.seller,
        buyer: section.buyer,
        overdue_customer: customers[0],
        all_customers: customers,
    }
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e}"));
    doc.select(&selector).collect()
}

fn text(element: &ElementRef<'_>) -> String {
    element.text().collect::<String>().trim().to_owned()
}

/// `lang` on the root, the font stack declared in the stylesheet and applied to the body by the browser.
fn assert_language_and_fonts(browser: &mut Browser, doc: &Html) {
    assert_lang_and_fonts(browser, doc, "zh-CN");
}

/// [`assert_language_and_fonts`] for a page in `lang`.
fn assert_lang_and_fonts(browser: &mut Browser, doc: &Html, lang: &str) {
    let root = select(doc, "html");
    assert_eq!(root[0].value().attr("lang"), Some(lang));
    let style: String = select(doc, "head style").iter().map(text).collect();
    for font in FONTS {
        assert!(style.contains(font), "{font} not declared");
    }
    let applied = browser.eval("getComputedStyle(document.body).fontFamily");
    let applied = applied.as_str().unwrap();
    assert!(
        applied.starts_with(r#""Noto Sans CJK SC", "Source Han Sans SC""#),
        "body font-family as the browser applied it: {applied}"
    );
}

/// At phone width the page needs no sideways scrolling: the tables scroll inside their own boxes.
fn assert_fits_a_phone(browser: &mut Browser) {
    let widths = browser.eval("[document.documentElement.scrollWidth, window.innerWidth]");
    let (scroll, inner) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
    assert_eq!(inner, u64::from(PHONE.0));
    assert!(
        scroll <= inner,
        "the page is {scroll} px wide on a {inner} px phone"
    );
}

#[test]
fn the_devtools_driver_reads_the_dashboard_and_every_table_has_its_rows() {
    let s = serve();
    let mut browser = Browser::launch();
    // Without the token the dashboard is refused: the header below is what lets the browser in.
    assert_eq!(browser.goto(&format!("{}/dashboard", s.base)), 401);
    browser.set_headers(json!({ "Authorization": format!("Bearer {}", s.token.expose()) }));
    assert_eq!(browser.goto(&format!("{}/dashboard", s.base)), 200);
    // The driver evaluates in the page: proven on the language attribute before anything else.
    assert_eq!(browser.eval("document.documentElement.lang"), json!("zh-CN"));

    let doc = Html::parse_document(&browser.dom());
    assert_language_and_fonts(&mut browser, &doc);
    // Both cases, each linked to its page, with its state.
    let cases: Vec<(String, String)> = select(&doc, "#cases tbody tr")
        .iter()
        .map(|row| {
            let href = select_in(row, "a")[0].value().attr("href").unwrap().to_owned();
            let state = text(&select_in(row, "td")[2]);
            (href, state)
        })
        .collect();
    let page_of = |t: TransferId| format!("/dashboard/transfers/{t}");
    assert_eq!(
        cases,
        [
            (page_of(s.transfer), "notifying".to_owned()),
            (page_of(s.closed), "closed".to_owned())
        ]
    );
    let alerts = select(&doc, "#alerts tbody tr");
    assert_eq!(alerts.len(), s.brokerage.alerts().unwrap().len());
    assert!(alerts.iter().all(|r| text(r).contains("emp-0001")));
    let overdue = select(&doc, "#overdue tbody tr.overdue");
    assert_eq!(overdue.len(), 1);
    assert!(text(&overdue[0]).contains(&s.overdue_customer.to_string()));
    let clocks = select(&doc, "#clocks tbody tr");
    let expected: usize = s
        .brokerage
        .incident_clocks()
        .unwrap()
        .iter()
        .map(|(_, c)| c.len())
        .sum();
    assert_eq!(clocks.len(), expected);
    assert!(select(&doc, "p.empty").is_empty(), "every section has rows");

    let dir = screenshots();
    browser.screenshot(&dir.join("dashboard-desktop.png"));
    // The case's link leads to its page.
    assert_eq!(
        browser.navigate_by(&format!(
            "document.querySelector('#cases a[href=\"{}\"]').click()",
            page_of(s.transfer)
        )),
        200
    );
    assert_eq!(
        browser.eval("location.pathname"),
        json!(format!("/dashboard/transfers/{}", s.transfer))
    );
    browser.viewport(PHONE.0, PHONE.1, true);
    browser.goto(&format!("{}/dashboard", s.base));
    assert_fits_a_phone(&mut browser);
    browser.screenshot(&dir.join("dashboard-phone.png"));
}

#[test]
fn a_transfer_case_page_shows_its_status_parties_and_plan_chart() {
    let s = serve();
    let mut browser = Browser::launch();
    browser.set_headers(json!({ "Authorization": format!("Bearer {}", s.token.expose()) }));
    let url = format!("{}/dashboard/transfers/{}", s.base, s.transfer);
    assert_eq!(browser.goto(&url), 200);
    let doc = Html::parse_document(&browser.dom());
    assert_language_and_fonts(&mut browser, &doc);
    assert_eq!(text(&select(&doc, "#case-state")[0]), "notifying");
    // The Chinese party names are text in the page.
    let parties: Vec<String> = select(&doc, "td.party").iter().map(text).collect();
    assert_eq!(parties, [s.seller.clone(), s.buyer.clone()]);
    assert!(s.seller.contains("保险经纪"), "{}", s.seller);

    // The chart: one bar per row of the table, and the rows are the brokerage's preview, count by count.
    let preview = s
        .brokerage
        .seller_case(s.transfer)
        .unwrap()
        .preview_plan()
        .unwrap();
    let rows = select(&doc, "#plan-decisions tbody tr");
    assert_eq!(rows.len(), preview.decisions.iter().count());
    assert_eq!(select(&doc, "svg.chart rect").len(), rows.len());
    let td = Selector::parse("td").unwrap();
    for row in &rows {
        let cells: Vec<String> = row.select(&td).map(|c| text(&c)).collect();
        let (eligibility, count) = preview
            .decisions
            .iter()
            .find(|(e, _)| e.key() == cells[0])
            .unwrap_or_else(|| panic!("{} is not in the preview", cells[0]));
        assert_eq!(cells[2], count.to_string(), "{}", cells[0]);
        let class = if eligibility.is_include() {
            "include"
        } else if eligibility.is_pending() {
            "pending"
        } else {
            "exclude"
        };
        assert_eq!(row.value().attr("class"), Some(class));
    }
    assert!(preview.decisions.included() > 0, "day 40: some categories move");

    let dir = screenshots();
    browser.screenshot(&dir.join("case-desktop.png"));
    browser.viewport(PHONE.0, PHONE.1, true);
    browser.goto(&url);
    assert_fits_a_phone(&mut browser);
    browser.screenshot(&dir.join("case-phone.png"));

    // A transfer this brokerage has no case for: a page that says so, with 404.
    let other = TransferId::new_v7();
    assert_eq!(
        browser.goto(&format!("{}/dashboard/transfers/{other}", s.base)),
        404
    );
    let doc = Html::parse_document(&browser.dom());
    assert_eq!(select(&doc, "#no-case").len(), 1);
    assert!(select(&doc, "#case-status").is_empty());
}

#[test]
fn a_closed_case_page_is_the_transfer_report_in_tables() {
    let s = serve();
    let report = s.brokerage.seller_case(s.closed).unwrap().report().unwrap();
    let mut browser = Browser::launch();
    browser.set_headers(json!({ "Authorization": format!("Bearer {}", s.token.expose()) }));
    let url = format!("{}/dashboard/transfers/{}", s.base, s.closed);
    assert_eq!(browser.goto(&url), 200);
    let doc = Html::parse_document(&browser.dom());
    assert_language_and_fonts(&mut browser, &doc);
    assert_eq!(text(&select(&doc, "#case-state")[0]), "closed");
    assert!(select(&doc, "pre").is_empty(), "no <pre> dump of the Markdown");
    // The parties, by name, as text: in the status table and the report's agreement table.
    let agreement: Vec<Vec<String>> = select(&doc, "#report-agreement tbody tr")
        .iter()
        .map(|r| {
            [select_in(r, "th")[0], select_in(r, "td")[0]]
                .iter()
                .map(text)
                .collect()
        })
        .collect();
    assert!(agreement.contains(&vec!["seller".to_owned(), s.seller.clone()]));
    assert!(agreement.contains(&vec!["buyer".to_owned(), s.buyer.clone()]));
    // The report's counts, plan rows and checks are the brokerage's report, row by row.
    let counts: Vec<Vec<String>> = select(&doc, "#report-counts tbody tr")
        .iter()
        .map(|r| {
            [select_in(r, "th")[0], select_in(r, "td")[0]]
                .iter()
                .map(text)
                .collect()
        })
        .collect();
    assert!(counts.contains(&vec![
        "customers imported by the buyer".to_owned(),
        report.package.imported.to_string()
    ]));
    assert!(report.package.imported > 0);
    assert_eq!(
        select(&doc, "#plan-decisions tbody tr").len(),
        report.plan.decisions.iter().count()
    );
    let checks = select(&doc, "#report-checks tbody tr");
    assert_eq!(checks.len(), report.checks.len());
    assert!(checks.iter().all(|c| c.value().attr("class") == Some("ok")));
    let roots: Vec<String> = select(&doc, "#report-roots td").iter().map(text).collect();
    assert_eq!(roots[0], report.package.root.to_hex());
    assert!(!select(&doc, "#report-disposition tbody tr").is_empty());

    let dir = screenshots();
    browser.screenshot(&dir.join("closed-case-report-desktop.png"));
    browser.viewport(PHONE.0, PHONE.1, true);
    browser.goto(&url);
    assert_fits_a_phone(&mut browser);
    browser.screenshot(&dir.join("closed-case-report-phone.png"));
}

/// A customer answers the transfer notice on a phone: the page their one-time link opens, the form filled
/// and submitted in the browser, the receipt page, the answer on the consent ledger, and the link used up.
#[test]
fn a_customer_answers_the_notice_through_the_link_form_on_a_phone() {
    let s = serve();
    let case = s.brokerage.seller_case(s.transfer).unwrap();
    let customer = s
        .all_customers
        .iter()
        .copied()
        .find(|c| case.served_notice(*c).unwrap().is_some())
        .expect("a customer served in the notifying case");
    // A member of staff mints the link (the service's JSON route) and sends its path to the customer.
    let agent: ureq::Agent = common::agent();
    let mut minted = agent
        .post(format!("{}/api/v1/links", s.base))
        .header("Authorization", format!("Bearer {}", s.token.expose()))
        .content_type("application/json")
        .send(json!({ "customer": customer, "purpose": "notice_answer", "transfer": s.transfer }).to_string())
        .unwrap();
    assert_eq!(minted.status(), 200);
    let minted: serde_json::Value = minted.body_mut().read_json().unwrap();
    let url = format!("{}{}", s.base, minted["path"].as_str().unwrap());

    // The customer's phone: no staff token, a 390×844 viewport.
    let mut browser = Browser::launch();
    browser.viewport(PHONE.0, PHONE.1, true);
    // Headless Chromium asks for English: the page follows Accept-Language.
    assert_eq!(browser.goto(&url), 200);
    let doc = Html::parse_document(&browser.dom());
    assert_lang_and_fonts(&mut browser, &doc, "en");
    assert_fits_a_phone(&mut browser);
    browser.screenshot(&screenshots().join("notice-phone-en.png"));
    // A phone set to Chinese gets the page in Chinese.
    browser.set_headers(json!({ "Accept-Language": "zh-CN,zh;q=0.9" }));
    assert_eq!(browser.goto(&url), 200);
    let doc = Html::parse_document(&browser.dom());
    assert_language_and_fonts(&mut browser, &doc);
    assert_fits_a_phone(&mut browser);
    assert_eq!(text(&select(&doc, "#controller .name")[0]), s.seller);
    assert_eq!(text(&select(&doc, "#recipient .name")[0]), s.buyer);
    let answers: Vec<&str> = select(&doc, "#notice-answer input[name=answer]")
        .iter()
        .map(|i| i.value().attr("value").unwrap())
        .collect();
    assert_eq!(answers, ["object", "consent", "refuse"]);
    let dir = screenshots();
    browser.screenshot(&dir.join("notice-phone.png"));

    // Submitting without a choice is held back by the form itself (the radios are required).
    assert_eq!(
        browser.eval("document.getElementById('notice-answer').checkValidity()"),
        json!(false)
    );
    // Choose "object" and submit, as a person would: the receipt page.
    let status = browser.navigate_by(
        "document.getElementById('answer-object').click(); document.getElementById('submit-answer').click()",
    );
    assert_eq!(status, 200);
    let doc = Html::parse_document(&browser.dom());
    let receipt = select(&doc, "#receipt");
    assert_eq!(receipt.len(), 1, "{}", browser.dom());
    let event = text(&select(&doc, "#receipt-event")[0]);
    assert_eq!(receipt[0].value().attr("data-event"), Some(event.as_str()));
    assert_eq!(select(&doc, "#receipt-download").len(), 1);
    assert_fits_a_phone(&mut browser);
    browser.screenshot(&dir.join("receipt-phone.png"));

    // The answer is on the consent ledger, as an objection by this customer to this transfer.
    let (_, recorded) = s
        .brokerage
        .consent_event(event.parse().unwrap())
        .unwrap()
        .expect("the answer is recorded");
    assert_eq!(recorded.kind(), custodia_consent::EventKind::Objected);
    assert_eq!(recorded.customer(), customer);
    // And the link is used up: opening it again says so.
    assert_eq!(browser.goto(&url), 410);
    let doc = Html::parse_document(&browser.dom());
    assert_eq!(text(&select(&doc, "#error-code")[0]), "link_used");
}

/// A report as the library writes it into an evidence folder, with Chinese party names and a failed check.
fn sample_report() -> TransferReport {
    let keys = SampleKeys::generate().unwrap();
    let agreement =
        custodia_synthetic::parties::sign(&keys, terms(&keys, TransferPath::MergerNotice).unwrap()).unwrap();
    let mut plan = PlanSummary::default();
    plan.customers = 12;
    plan.customers_moving = 9;
    plan.decisions = [
        (Eligibility::Include, 40),
        (Eligibility::Exclude(ExcludeReason::Objected), 3),
        (Eligibility::Pending(PendingReason::ObjectionWindowOpen), 2),
    ]
    .into_iter()
    .collect();
    TransferReport {
        generated_at: t0() + Duration::days(46),
        agreement: AgreementSection::of(&agreement),
        plan,
        notices_served: 12,
        package: PackageSection::default(),
        disposition: DispositionCounts::default(),
        certificates: vec![41, 42],
        checks: vec![
            Check {
                name: "package verifies offline".into(),
                passed: true,
                detail: "9 customers".into(),
            },
            Check {
                name: "seller ledger verifies".into(),
                passed: false,
                detail: "entry 7".into(),
            },
        ],
    }
}

#[test]
fn the_librarys_report_page_renders_as_tables_in_chromium() {
    let report = sample_report();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, report.to_html()).unwrap();
    let url = format!("file://{}", page.display());

    // One-shot Chromium: --dump-dom, then --screenshot at desktop and phone width.
    let doc = Html::parse_document(&cdp::dump_dom(&url));
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("zh-CN"));
    let style: String = select(&doc, "head style").iter().map(text).collect();
    for font in FONTS {
        assert!(style.contains(font), "{font} not declared");
    }
    assert!(select(&doc, "pre").is_empty(), "no <pre> dump of the Markdown");
    let agreement = select(&doc, "#report-agreement tbody tr");
    let value_of = |term: &str| {
        agreement
            .iter()
            .find(|r| text(&select_in(r, "th")[0]) == term)
            .map(|r| text(&select_in(r, "td")[0]))
            .unwrap_or_else(|| panic!("no {term} row"))
    };
    assert_eq!(value_of("seller"), report.agreement.seller);
    assert_eq!(value_of("buyer"), report.agreement.buyer);
    assert_eq!(value_of("seller"), "示例保险经纪有限公司");
    assert_eq!(select(&doc, "#plan-decisions tbody tr").len(), 3);
    assert_eq!(select(&doc, "svg.chart rect").len(), 3);
    let checks = select(&doc, "#report-checks tbody tr");
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0].value().attr("class"), Some("ok"));
    assert_eq!(checks[1].value().attr("class"), Some("fail"));
    assert_eq!(select(&doc, "#report-roots tbody tr").len(), 2);

    let shots = screenshots();
    cdp::screenshot_file(&url, &shots.join("report-desktop.png"), (1280, 2400));
    cdp::screenshot_file(&url, &shots.join("report-phone.png"), (PHONE.0, 3000));

    // And through the DevTools driver: the font stack as applied, and no sideways scrolling on a phone.
    let mut browser = Browser::launch();
    browser.viewport(PHONE.0, PHONE.1, true);
    assert_eq!(browser.goto(&url), 200);
    let doc = Html::parse_document(&browser.dom());
    assert_language_and_fonts(&mut browser, &doc);
    assert_fits_a_phone(&mut browser);
}

fn select_in<'a>(element: &ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap();
    element.select(&selector).collect()
}
