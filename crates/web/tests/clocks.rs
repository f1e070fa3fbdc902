//! Issue 17 on the web: the payment clock, the overdue list, idle funds and the procurement checks,
//! as JSON (equal to `taizhang report … --format json` of the same ledger: the fixtures are that
//! command's output on the bundled example plus `api_fixtures/idle/receipts.csv`) and as pages that
//! link each finding to its contract and entries.

mod api_support;

use api_support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use taizhang_posting::ImportOptions;

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/api_fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// The example with one more bond receipt (2023-01-10, 1,000,000.00, never spent): idle by mid-2023.
async fn app() -> App {
    let app = App::new();
    let extra = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api_fixtures/idle");
    let (posted, tally) = app
        .state
        .write(move |ledger| {
            taizhang_posting::import(ledger, &[extra], None, "测试", ImportOptions::default())
        })
        .await
        .expect("write")
        .expect("import");
    assert!(posted, "{:?}", tally.problems);
    app
}

#[tokio::test]
async fn each_report_is_the_clis_json() {
    let app = app().await;
    let cases = [
        (
            "/api/reports/payment-clock?as_of=2022-12-31",
            "payment-clock-2022-12-31.json",
        ),
        ("/api/reports/overdue?year=2022", "overdue-2022.json"),
        (
            "/api/reports/idle-funds?as_of=2023-06-30",
            "idle-funds-2023-06-30.json",
        ),
        (
            "/api/reports/procurement-checks?year=2022",
            "procurement-checks-2022.json",
        ),
    ];
    for (uri, name) in cases {
        assert_eq!(app.get_json("lisi", uri).await, fixture(name), "{uri}");
    }
    // The figures that matter, beyond equality with the fixture.
    let clock = app
        .get_json("wangwu", "/api/reports/payment-clock?as_of=2022-12-31")
        .await;
    assert_eq!(clock["rows"].as_array().map(Vec::len), Some(4));
    assert_eq!(clock["rows"][0]["late_interest"], "3750.00");
    assert_eq!(clock["rows"][2]["outstanding"], "325200.00");
    let overdue = app.get_json("lisi", "/api/reports/overdue?year=2022").await;
    assert_eq!(
        (overdue["contracts"].as_i64(), &overdue["amount"]),
        (Some(1), &Value::from("325200.00"))
    );
    let idle = app
        .get_json("lisi", "/api/reports/idle-funds?as_of=2023-06-30")
        .await;
    assert_eq!(idle["days"], 90);
    assert_eq!(idle["rows"][0]["idle"], "1000000.00");
    assert_eq!(idle["rows"][0]["days"], 171);
    // Just over N days and just under: 171 days idle is idle at days=170, not at days=171.
    let over = app
        .get_json("lisi", "/api/reports/idle-funds?as_of=2023-06-30&days=170")
        .await;
    assert_eq!(over["rows"].as_array().map(Vec::len), Some(1));
    let under = app
        .get_json("lisi", "/api/reports/idle-funds?as_of=2023-06-30&days=171")
        .await;
    assert_eq!(under["rows"].as_array().map(Vec::len), Some(0));
    let checks = app
        .get_json("lisi", "/api/reports/procurement-checks?year=2022")
        .await;
    assert_eq!(checks["findings"][0]["contract_no"], "QS-2022-004");
    assert_eq!(checks["findings"][0]["rule"], "notice_late");
}

/// The same JSON as the interchange builders give on the projections of the ledger in the test
/// (the CLI's code path, src/reports.rs), as of a later day too.
#[tokio::test]
async fn bodies_equal_the_builders_on_the_projection() {
    use taizhang_interchange::reports as layout;
    use taizhang_projection::{checks, clock, idle};
    let app = app().await;
    let expected = app
        .state
        .read(|ledger| {
            let facts = ledger.facts().expect("facts");
            let flows = ledger.flows().expect("flows");
            let on = chrono::NaiveDate::from_ymd_opt(2023, 6, 30).expect("date");
            (
                layout::payment_clock_json(&clock::payment_clock(&flows, &facts.contracts, on)),
                layout::overdue_json(&clock::overdue(&flows, &facts.contracts, 2023)),
                layout::idle_funds_json(&idle::idle_funds(&flows, on, 30)),
                layout::checks_json(&checks::procurement_checks(&facts.contracts, 2023)),
            )
        })
        .await
        .expect("read");
    let got = (
        app.get_json("lisi", "/api/reports/payment-clock?as_of=2023-06-30")
            .await,
        app.get_json("lisi", "/api/reports/overdue?year=2023").await,
        app.get_json("lisi", "/api/reports/idle-funds?as_of=2023-06-30&days=30")
            .await,
        app.get_json("lisi", "/api/reports/procurement-checks?year=2023")
            .await,
    );
    assert_eq!(got, expected);
    // As of mid-2023 the 2022 dues still unpaid run up interest: 1,000,000.00 × 0.05 % × 162 days.
    assert_eq!(got.0["rows"][3]["late_interest"], "81000.00");
}

#[tokio::test]
async fn bad_parameters_are_a_chinese_400_naming_them() {
    let app = App::new();
    let cases = [
        ("/api/reports/payment-clock", "as_of"),
        ("/api/reports/payment-clock?as_of=2022-13-01", "as_of"),
        ("/api/reports/idle-funds?as_of=昨天", "as_of"),
        ("/api/reports/idle-funds?as_of=2022-12-31&days=-1", "days"),
        ("/api/reports/idle-funds?as_of=2022-12-31&days=九十", "days"),
        ("/api/reports/overdue", "year"),
        ("/api/reports/overdue?year=22", "year"),
        ("/api/reports/procurement-checks?year=abc", "year"),
        ("/payment-clock?as_of=2022-02-30", "as_of"),
        ("/idle-funds?days=x", "days"),
        ("/overdue?year=1", "year"),
        ("/procurement-checks?year=x", "year"),
        ("/payment-clock.csv", "as_of"),
        ("/idle-funds.xlsx?as_of=2022-12-31&days=x", "days"),
    ];
    for (uri, parameter) in cases {
        let answer = app.get("lisi", uri).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.text()
        );
        let text = answer.text();
        assert!(text.contains(&format!("参数 {parameter}")), "{uri}: {text}");
    }
}

#[tokio::test]
async fn without_a_session_they_are_401() {
    let app = App::new();
    for uri in [
        "/api/reports/payment-clock?as_of=2022-12-31",
        "/api/reports/overdue?year=2022",
        "/api/reports/idle-funds?as_of=2022-12-31",
        "/api/reports/procurement-checks?year=2022",
    ] {
        let request = Request::get(uri).body(Body::empty()).expect("request");
        let answer = app.send(request).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    // A page without a session goes to the login form.
    let request = Request::get("/payment-clock")
        .body(Body::empty())
        .expect("request");
    let answer = app.send(request).await;
    assert!(answer.status.is_redirection(), "{}", answer.status);
    assert!(answer.header("location").starts_with("/login"));
}

async fn page(app: &App, uri: &str) -> String {
    let answer = app.get("wangwu", uri).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text());
    answer.text()
}

/// The seq of the entry whose page a link with this text leads to, read back from the page.
fn linked_seq(html: &str, text: &str) -> u64 {
    let at = html.find(text).unwrap_or_else(|| panic!("no {text}"));
    let before = &html[..at];
    let href = before.rfind("href=\"/entries/").expect("an entry link");
    let digits: String = before[href + 15..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("a seq")
}

#[tokio::test]
async fn payment_clock_page_links_dues_to_contracts_and_entries() {
    let app = app().await;
    let html = page(&app, "/payment-clock?as_of=2022-12-31").await;
    assert!(
        html.contains("table class=\"journal\" id=\"payment-clock\""),
        "{html}"
    );
    assert_eq!(html.matches("<tr class=\"due").count(), 4);
    assert!(html.contains("href=\"/contracts/QS-2022-002\""));
    assert!(html.contains("href=\"/entries?contract=QS-2022-002\""));
    assert!(
        html.contains("<dd id=\"clock-interest\">4,563.00</dd>"),
        "{html}"
    );
    assert!(html.contains("<dd id=\"clock-outstanding\">1,325,200.00</dd>"));
    assert!(html.contains("保障中小企业款项支付条例"));
    assert!(html.contains("href=\"/payment-clock.csv?as_of=2022-12-31\""));
    // The late payment's voucher links to its entry, which is that payment.
    let seq = linked_seq(&html, "付-2022-006<");
    let entry = app.get_json("lisi", &format!("/api/entries/{seq}")).await;
    assert_eq!(
        entry["entry"]["body"]["payment"]["voucher_no"], "付-2022-006",
        "{entry}"
    );
    // The acceptance date links to the acceptance.
    let seq = linked_seq(&html, "2022-11-25<");
    let entry = app.get_json("lisi", &format!("/api/entries/{seq}")).await;
    assert_eq!(entry["entry"]["kind"], "acceptance", "{entry}");
    // Its CSV is the CLI's sheet.
    let csv = app.get("lisi", "/payment-clock.csv?as_of=2022-12-31").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .text()
        .contains("合同编号,供应商,企业规模,验收日期,依据,到期日"));
}

#[tokio::test]
async fn overdue_page_has_the_paragraph_and_the_contract() {
    let app = app().await;
    let html = page(&app, "/overdue?year=2022").await;
    assert!(
        html.contains("逾期未支付中小企业款项的合同 1 份，金额 32.52 万元"),
        "{html}"
    );
    assert!(html.contains("<dd id=\"overdue-amount\">325,200.00</dd>"));
    assert!(html.contains("href=\"/contracts/QS-2022-002\""));
    assert_eq!(html.matches("<tr class=\"due late\"").count(), 1);
    let xlsx = app.get("lisi", "/overdue.xlsx?year=2022").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK"));
}

#[tokio::test]
async fn idle_funds_page_links_the_oldest_receipt() {
    let app = app().await;
    let html = page(&app, "/idle-funds?as_of=2023-06-30&days=90").await;
    assert!(
        html.contains("<dd id=\"idle-total\">1,000,000.00</dd>"),
        "{html}"
    );
    let seq = linked_seq(&html, "2023-01-10 收-2023-001<");
    let entry = app.get_json("lisi", &format!("/api/entries/{seq}")).await;
    assert_eq!(
        entry["entry"]["body"]["receipt"]["voucher_no"], "收-2023-001",
        "{entry}"
    );
    let none = page(&app, "/idle-funds?as_of=2023-06-30&days=200").await;
    assert!(none.contains("id=\"idle-none\""));
}

#[tokio::test]
async fn checks_page_names_the_rule_its_source_and_the_contract() {
    let app = App::new();
    let html = page(&app, "/procurement-checks?year=2022").await;
    assert!(html.contains("data-rule=\"notice_late\""), "{html}");
    assert!(html.contains("合同公告逾期"));
    assert!(html.contains("政府采购法实施条例》第五十条"));
    assert!(html.contains("href=\"/contracts/QS-2022-004\""));
    let seq = linked_seq(&html, "合同记录<");
    let entry = app.get_json("lisi", &format!("/api/entries/{seq}")).await;
    assert_eq!(entry["entry"]["kind"], "contract", "{entry}");
    assert!(entry.to_string().contains("QS-2022-004"));
}

#[tokio::test]
async fn the_menu_leads_to_the_four_reports() {
    let app = App::new();
    let home = page(&app, "/").await;
    assert!(home.contains("href=\"/compliance\""));
    let hub = page(&app, "/compliance").await;
    for id in [
        "link-payment-clock",
        "link-overdue",
        "link-idle-funds",
        "link-procurement-checks",
    ] {
        assert!(hub.contains(id), "{id}");
    }
    assert!(hub.contains("href=\"/overdue?year=2022\""), "{hub}");
}
