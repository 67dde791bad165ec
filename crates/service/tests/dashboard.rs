//! The dashboard template (askama, auto-escaped): a value with markup in it is shown as text, never run;
//! the page is zh-CN with a CJK font stack, and each list is a real table.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use askama::Template;
use custodia_service::dashboard::{AlertRow, ClockRow, Dashboard, OverdueRow};

#[test]
fn the_dashboard_escapes_values_and_declares_its_language_and_fonts() {
    let page = Dashboard {
        now: "2026-06-01T01:00:00Z".into(),
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
    assert_eq!(html.matches("<table>").count(), 3);
    assert!(html.contains(r#"<tr class="overdue"><td>i-1</td>"#), "{html}");
    assert!(html.contains("<td>r-1</td><td>c-1</td>"));

    let empty = Dashboard {
        now: "t".into(),
        alerts: vec![],
        overdue: vec![],
        clocks: vec![],
    };
    let html = empty.render().unwrap();
    assert_eq!(html.matches("<table>").count(), 0);
    assert_eq!(html.matches(r#"<p class="empty">"#).count(), 3);
}
