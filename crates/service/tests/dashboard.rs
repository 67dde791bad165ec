//! The dashboard template (askama, auto-escaped): a value with markup in it is shown as text, never run;
//! the page is zh-CN with a CJK font stack, and each list is a real table.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use askama::Template;
use custodia_service::dashboard::{AlertRow, CasePage, CaseRow, CaseStatus, ClockRow, Dashboard, OverdueRow};
use custodia_transfer::{PlanChart, PlanSummary};

#[test]
fn the_dashboard_escapes_values_and_declares_its_language_and_fonts() {
    let page = Dashboard {
        now: "2026-06-01T01:00:00Z".into(),
        cases: vec![CaseRow {
            transfer: "01a23485-919b-73fa-98cd-7c2007c31a5a".into(),
            role: "seller".into(),
            state: "notifying".into(),
        }],
        alerts: vec![AlertRow {
            kind: "distinct_customers".into(),
            severity: "high".into(),
            principal: "<script>alert('x')</script>".into(),
            at: "2026-06-01T01:00:00Z".into(),
            entries: "4, 5, 6".into(),
        }],
        overdue: vec![OverdueRow {
            request: "r-1".into(),
            customer: "c-1".into(),
            kind: "access".into(),
            state: "received".into(),
            closed_at: "2026-05-31T16:00:00Z".into(),
        }],
        clocks: vec![ClockRow {
            incident: "i-1".into(),
            duty: "report_regulator".into(),
            due: "2026-06-02T01:00:00Z".into(),
            met: "—".into(),
            overdue: true,
            source: "《个人信息保护法》第五十七条 & \"GDPR\" Art 33".into(),
        }],
    };
    let html = page.render().unwrap();
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    for font in [
        "\"Noto Sans CJK SC\"",
        "\"Source Han Sans SC\"",
        "\"PingFang SC\"",
        "\"Microsoft YaHei\"",
        "sans-serif",
    ] {
        assert!(html.contains(font), "{font}");
    }
    assert!(!html.contains("<script>"), "{html}");
    // askama escapes with numeric character references.
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"),
        "{html}"
    );
    assert!(html.contains("第五十七条 &#38; &#34;GDPR&#34; Art 33"), "{html}");
    assert_eq!(html.matches("<table>").count(), 4);
    assert!(html.contains(r#"<a href="/dashboard/transfers/01a23485-919b-73fa-98cd-7c2007c31a5a">"#));
    assert!(html.contains(r#"<tr class="overdue"><td>i-1</td>"#), "{html}");
    assert!(html.contains("<td>r-1</td><td>c-1</td>"));

    let empty = Dashboard {
        now: "t".into(),
        cases: vec![],
        alerts: vec![],
        overdue: vec![],
        clocks: vec![],
    };
    let html = empty.render().unwrap();
    assert_eq!(html.matches("<table>").count(), 0);
    assert_eq!(html.matches(r#"<p class="empty">"#).count(), 4);
    assert!(html.contains("无转让案件"));
}

#[test]
fn a_case_page_escapes_the_party_names_and_says_when_there_is_no_case() {
    let page = CasePage {
        now: "2026-06-01T01:00:00Z".into(),
        transfer: "01a23485-919b-73fa-98cd-7c2007c31a5a".into(),
        case: Some(CaseStatus {
            role: "seller".into(),
            state: "notifying".into(),
            seller: "示例<b>保险</b>经纪".into(),
            buyer: "承接 & \"Co\"".into(),
            legal_path: "merger_notice (PIPL Art 22)".into(),
            effective: "2026-06-01".into(),
        }),
        chart: Some(PlanChart::of(&PlanSummary::default())),
        report: None,
    };
    let html = page.render().unwrap();
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    assert!(html.contains("\"Noto Sans CJK SC\""));
    assert!(!html.contains("<b>"), "{html}");
    assert!(html.contains("示例&#60;b&#62;保险&#60;/b&#62;经纪"), "{html}");
    assert!(html.contains("承接 &#38; &#34;Co&#34;"), "{html}");
    assert!(html.contains(r#"<td id="case-state">notifying</td>"#));
    // An empty plan says so instead of drawing an empty chart.
    assert!(!html.contains("<svg"));
    assert!(!html.contains(r#"id="no-case""#));

    let none = CasePage {
        case: None,
        chart: None,
        ..page
    };
    let html = none.render().unwrap();
    assert!(html.contains(r#"id="no-case""#) && html.contains("没有该转让案件"));
    assert!(!html.contains("case-status"));
}
