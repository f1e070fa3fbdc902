//! The reading routes of the JSON API over HTTP (interchange.md §"HTTP API of taizhang serve") and
//! the edge every route shares: 401 without a session or token, CSRF and Origin on a cookie's
//! POST, 429 after repeated wrong passwords, early 413, security headers. The writes are in
//! api_writes.rs.

mod api_support;

use api_support::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

/// Exact 分 of a JSON amount ("1234.56"): sums in tests never go through a float.
fn fen(value: &Value) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not an amount: {value}"));
    let (yuan, cents) = text.split_once('.').expect("two decimals");
    let negative = yuan.starts_with('-');
    let whole: i64 = yuan.trim_start_matches('-').parse().expect("yuan");
    let cents: i64 = cents.parse().expect("fen");
    let fen = whole * 100 + cents;
    if negative {
        -fen
    } else {
        fen
    }
}

fn row<'a>(table7: &'a Value, code: &str) -> &'a Value {
    table7["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["code"] == code))
        .unwrap_or_else(|| panic!("no row {code}"))
}

/// The table-7 JSON is the CLI's `report table7 --year 2022 --format json` of the same ledger,
/// byte for byte as a value (the fixture is that command's output on the bundled example).
#[tokio::test]
async fn table7_is_the_clis_json() {
    let app = App::new();
    let api = app.get_json("lisi", "/api/reports/table7?year=2022").await;
    let cli: Value =
        serde_json::from_str(include_str!("api_fixtures/table7-2022.json")).expect("fixture");
    assert_eq!(api, cli);
    assert_eq!(row(&api, "2290402")["expense"], "69405912.36");
    assert_eq!(api["total"]["expense"], "71158112.36");
}

/// The 2290402 expense cell: the seven payments of the code, adding up to the cell's value.
#[tokio::test]
async fn table7_cell_entries_add_up_to_the_cell() {
    let app = App::new();
    let cell = app
        .get_json(
            "wangwu",
            "/api/table7/cell?year=2022&code=2290402&column=expense",
        )
        .await;
    assert_eq!(cell["value"], "69405912.36");
    let entries = cell["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 7, "{cell}");
    let sum: i64 = entries.iter().map(|e| fen(&e["contribution"])).sum();
    assert_eq!(sum, 6_940_591_236);
    assert!(entries.iter().all(|e| e["kind"] == "payment"));
    assert!(entries.iter().any(|e| e["voucher_no"] == "付-2022-010"));
    // The total row's expense: every payment of the year.
    let total = app
        .get_json(
            "wangwu",
            "/api/table7/cell?year=2022&code=合计&column=expense",
        )
        .await;
    let sum: i64 = (total["entries"].as_array().expect("entries").iter())
        .map(|e| fen(&e["contribution"]))
        .sum();
    assert_eq!(sum, fen(&total["value"]));
    assert_eq!(total["value"], "71158112.36");
}

#[tokio::test]
async fn reports_answer_the_clis_json() {
    let app = App::new();
    let procurement = app
        .get_json("lisi", "/api/reports/procurement?year=2022")
        .await;
    assert_eq!(procurement["year"], 2022, "{procurement}");
    let total = app
        .get_json(
            "lisi",
            "/api/reports/procurement?year=2022&small_micro_share_of=total",
        )
        .await;
    assert_eq!(total["year"], 2022);
    let contracts = app
        .get_json("lisi", "/api/reports/contracts?year=2022")
        .await;
    let text = contracts.to_string();
    assert!(text.contains("QS-2022-001"), "{text}");
    let adjustments = app
        .get_json("lisi", "/api/reports/opening-adjustments?year=2022")
        .await;
    assert_eq!(adjustments["year"], 2022, "{adjustments}");
    let bond_use = app
        .get_json("lisi", "/api/reports/bond-use?quarter=2022Q4")
        .await;
    assert!(bond_use.to_string().contains("2205187"), "{bond_use}");
    // Issue 17's reports: tests/clocks.rs.
}

/// The same figures as the projection computes for the CLI (the CLI's own code path).
#[tokio::test]
async fn report_bodies_equal_the_layouts_of_the_projection() {
    use taizhang_interchange::reports as layout;
    let app = App::new();
    let (procurement, contracts, bond_use) = app
        .state
        .read(|ledger| {
            let facts = ledger.facts().expect("facts");
            let unit = layout::Unit {
                full: ledger.unit().full.clone(),
                short: ledger.unit().short.clone(),
            };
            let quarter = taizhang_core::Quarter::parse_typed("2022Q4").expect("quarter");
            (
                layout::procurement_json(
                    &taizhang_projection::procurement::procurement(&facts, YEAR),
                    &unit,
                    layout::SmallMicroShareOf::Sme,
                ),
                layout::contracts_json(
                    YEAR,
                    &taizhang_projection::contracts::contracts(&facts, YEAR),
                ),
                layout::bond_use_json(&taizhang_projection::bond::bond_use(&facts, quarter)),
            )
        })
        .await
        .expect("read");
    let get = |uri: &'static str| app.get_json("lisi", uri);
    assert_eq!(get("/api/reports/procurement?year=2022").await, procurement);
    assert_eq!(get("/api/reports/contracts?year=2022").await, contracts);
    assert_eq!(get("/api/reports/bond-use?quarter=2022Q4").await, bond_use);
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let app = App::new();
    let cases = [
        ("/api/reports/table7", "year"),
        ("/api/reports/table7?year=abc", "year"),
        ("/api/reports/table7?year=3000", "year"),
        (
            "/api/reports/procurement?year=2022&small_micro_share_of=x",
            "small_micro_share_of",
        ),
        ("/api/reports/contracts?year=", "year"),
        ("/api/reports/opening-adjustments", "year"),
        ("/api/reports/bond-use", "quarter"),
        ("/api/reports/bond-use?quarter=2022Q5", "quarter"),
        ("/api/table7/cell?year=2022&column=expense", "code"),
        ("/api/table7/cell?year=2022&code=12&column=expense", "code"),
        (
            "/api/table7/cell?year=2022&code=2290402&column=支出",
            "column",
        ),
        ("/api/table7/cell?code=2290402&column=expense", "year"),
        ("/api/entries?limit=abc", "limit"),
        ("/api/entries?limit=0", "limit"),
        ("/api/entries?after_seq=-1", "after_seq"),
        ("/api/entries?kind=nothing", "kind"),
        ("/api/entries?year=twenty", "year"),
        ("/api/entries?from=2022-13-01", "from"),
        ("/api/entries/abc", "seq"),
        ("/api/entries/0", "seq"),
    ];
    for (uri, parameter) in cases {
        let answer = app.get("wangwu", uri).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.text()
        );
        let message = answer.json()["error"].as_str().unwrap_or("").to_string();
        assert!(message.contains(parameter), "{uri}: {message}");
        assert!(
            message.chars().any(|c| c > '\u{3000}'),
            "not Chinese: {message}"
        );
    }
}

#[tokio::test]
async fn entries_page_newest_first_with_filters_and_paging() {
    let app = App::new();
    let count = app.count().await;
    let page = app.get_json("lisi", "/api/entries?limit=3").await;
    let seqs: Vec<u64> = (page["entries"].as_array().expect("entries").iter())
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, vec![count, count - 1, count - 2]);
    assert_eq!(page["next_after_seq"], count - 2);
    // The next page starts below the last one.
    let next = app
        .get_json(
            "lisi",
            &format!("/api/entries?limit=3&after_seq={}", count - 2),
        )
        .await;
    assert_eq!(next["entries"][0]["seq"], count - 3);
    // Filters: payments of code 2290402 in 2022, then one voucher.
    let payments = app
        .get_json(
            "lisi",
            "/api/entries?kind=payment&code=2290402&year=2022&limit=500",
        )
        .await;
    let entries = payments["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 7);
    assert!(entries.iter().all(|e| e["kind"] == "payment"));
    assert_eq!(payments["next_after_seq"], Value::Null);
    let one = app
        .get_json("lisi", "/api/entries?voucher=%E4%BB%98-2022-005")
        .await;
    assert_eq!(one["entries"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        one["entries"][0]["body"]["payment"]["amount"],
        "28500000.00"
    );
    let contract = app
        .get_json("lisi", "/api/entries?contract=QS-2022-001&kind=contract")
        .await;
    assert!(!contract["entries"].as_array().expect("entries").is_empty());
}

#[tokio::test]
async fn one_entry_and_404_for_an_unknown_seq() {
    let app = App::new();
    let entry = app.get_json("wangwu", "/api/entries/2").await;
    assert_eq!(entry["entry"]["seq"], 2);
    assert_eq!(entry["entry"]["kind"], "bond");
    assert_eq!(entry["hash_holds"], true);
    assert_eq!(entry["reversed_by"], Value::Null);
    let answer = app.get("wangwu", "/api/entries/99999").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("99999"));
}

#[tokio::test]
async fn verify_and_session() {
    let app = App::new();
    let verify = app.get_json("lisi", "/api/verify").await;
    assert_eq!(verify["ok"], true, "{verify}");
    assert_eq!(verify["count"], app.count().await);
    assert_eq!(verify["head_hash"].as_str().map(str::len), Some(64));
    let session = app.get_json("zhangsan", "/api/session").await;
    assert_eq!(
        session,
        json!({"user": "zhangsan", "role": "maker", "csrf_token": null})
    );
}

/// Every route needs a session or a token: 401 for the API, the login page for a page.
#[tokio::test]
async fn without_session_or_token_401() {
    let app = App::new();
    let gets = [
        "/api/session",
        "/api/reports/table7?year=2022",
        "/api/reports/procurement?year=2022",
        "/api/reports/contracts?year=2022",
        "/api/reports/opening-adjustments?year=2022",
        "/api/reports/bond-use?quarter=2022Q4",
        "/api/table7/cell?year=2022&code=2290402&column=expense",
        "/api/entries",
        "/api/entries/2",
        "/api/verify",
    ];
    for uri in gets {
        let answer = app
            .send(Request::get(uri).body(Body::empty()).expect("request"))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(answer.json()["error"]
            .as_str()
            .unwrap_or("")
            .contains("登录"));
    }
    for uri in ["/api/import", "/api/post", "/api/reverse", "/api/close"] {
        let answer = app
            .send(Request::post(uri).body(Body::from("{}")).expect("request"))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    // A wrong token is no token.
    let request = Request::get("/api/verify")
        .header(header::AUTHORIZATION, "Bearer 0123456789abcdef")
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::UNAUTHORIZED);
    // Pages send the browser to the login form.
    for uri in ["/import", "/post", "/close"] {
        let answer = app
            .send(Request::get(uri).body(Body::empty()).expect("request"))
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{uri}");
        assert!(answer.header("location").starts_with("/login"), "{uri}");
    }
}

/// A cookie's POST needs the session's CSRF token and no foreign Origin; a bearer token needs none.
#[tokio::test]
async fn csrf_and_origin_on_cookie_posts() {
    let app = App::new();
    let session = app.login("zhangsan").await;
    let reversal = json!({"voucher": "付-2022-010", "date": "2022-12-30", "reason": "测试冲销"});
    let post = |csrf: Option<&str>, origin: Option<&str>| {
        let mut request = Request::post("/api/reverse")
            .header(header::COOKIE, &session.cookie)
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request
            .body(Body::from(reversal.to_string()))
            .expect("request")
    };
    let before = app.count().await;
    let without = app.send(post(None, None)).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN, "{}", without.text());
    assert!(without.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("CSRF"));
    let wrong = app.send(post(Some(&"0".repeat(64)), None)).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let foreign = app
        .send(post(Some(&session.csrf), Some("http://evil.example")))
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{}", foreign.text());
    assert_eq!(app.count().await, before, "a refused request posted");
    let good = app
        .send(post(Some(&session.csrf), Some("http://127.0.0.1:8080")))
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text());
    assert_eq!(good.json()["posted"], 1);
    // The entry carries the logged-in user as operator.
    let entry = app
        .get_json("lisi", &format!("/api/entries/{}", before + 1))
        .await;
    assert_eq!(entry["entry"]["operator"], "zhangsan");
    assert_eq!(entry["entry"]["kind"], "reversal");
    // A bearer token needs no CSRF token.
    let closing = app
        .post_json("zhaoliu", "/api/close", &json!({"through": "2022-06-30"}))
        .await;
    assert_eq!(closing.status, StatusCode::OK, "{}", closing.text());
}

#[tokio::test]
async fn five_wrong_passwords_then_429() {
    let app = App::new();
    for _ in 0..5 {
        let answer = app.login_with("wangwu", "not-the-password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let answer = app.login_with("wangwu", "not-the-password").await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    // Even the right password waits now.
    let answer = app.login_with("wangwu", USERS[2].2).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.text().contains("分钟后再试"));
    // Another name is not held up.
    assert_eq!(
        app.login_with("lisi", USERS[1].2).await.status,
        StatusCode::SEE_OTHER
    );
}

/// A body declared larger than the route takes is refused from its Content-Length, before a byte is
/// read: the body here is empty, so a handler that read it would have answered otherwise.
#[tokio::test]
async fn oversized_content_length_is_413_before_reading() {
    let app = App::new();
    for (uri, length) in [
        ("/api/post", 2 * 1024 * 1024u64),
        ("/api/import", 65 * 1024 * 1024),
        ("/import", 65 * 1024 * 1024),
    ] {
        let request = Request::post(uri)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", app.token("zhangsan")),
            )
            .header(header::CONTENT_LENGTH, length)
            .body(Body::empty())
            .expect("request");
        let answer = app.send(request).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert!(answer.json()["error"].as_str().unwrap_or("").contains("MB"));
    }
}

#[tokio::test]
async fn security_headers_on_api_and_pages() {
    let app = App::new();
    let session = app.login("lisi").await;
    for uri in ["/api/verify", "/import", "/"] {
        let request = Request::get(uri)
            .header(header::COOKIE, &session.cookie)
            .body(Body::empty())
            .expect("request");
        let answer = app.send(request).await;
        let csp = answer.header("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}");
        assert_eq!(answer.header("x-frame-options"), "DENY", "{uri}");
        assert_eq!(answer.header("x-content-type-options"), "nosniff", "{uri}");
    }
    let answer = app.get("lisi", "/api/entries").await;
    assert_eq!(answer.header("cache-control"), "no-store");
    assert!(answer
        .header("content-type")
        .starts_with("application/json"));
}

/// A cell's entries a page at a time: the pages together are the whole list and add up to the cell.
#[tokio::test]
async fn table7_cell_pages() {
    let app = App::new();
    let base = "/api/table7/cell?year=2022&code=2290402&column=expense&limit=3";
    let mut uri = base.to_string();
    let mut seqs = Vec::new();
    let mut sum = 0;
    for _ in 0..10 {
        let page = app.get_json("lisi", &uri).await;
        assert_eq!(page["value"], "69405912.36");
        let entries = page["entries"].as_array().expect("entries");
        assert!(entries.len() <= 3);
        seqs.extend(entries.iter().map(|e| e["seq"].as_u64().expect("seq")));
        sum += entries.iter().map(|e| fen(&e["contribution"])).sum::<i64>();
        match page["next_after_seq"].as_u64() {
            Some(next) => uri = format!("{base}&after_seq={next}"),
            None => break,
        }
    }
    assert_eq!(seqs.len(), 7);
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );
    assert_eq!(sum, 6_940_591_236);
}

/// The year-end export: a zip of `taizhang export`'s files, the same bytes as the library makes.
#[tokio::test]
async fn export_zip() {
    let app = App::new();
    let answer = app.get("wangwu", "/api/export?year=2022").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.header("content-type"), "application/zip");
    assert!(answer
        .header("content-disposition")
        .contains("taizhang-2022.zip"));
    assert_eq!(answer.header("cache-control"), "no-store");
    assert!(answer.body.starts_with(b"PK\x03\x04"));
    let expected = app
        .state
        .read(|ledger| {
            taizhang_posting::export::year_zip(
                ledger,
                YEAR,
                taizhang_interchange::export::CsvEncoding::Utf8Bom,
            )
        })
        .await
        .expect("read")
        .expect("zip");
    assert_eq!(answer.body.as_ref(), expected.as_slice());
    let names = String::from_utf8_lossy(&answer.body).into_owned();
    assert!(names.contains("manifest.json"));
    let gb = app
        .get("wangwu", "/api/export?year=2022&csv_encoding=gb18030")
        .await;
    assert_eq!(gb.status, StatusCode::OK);
    for (uri, parameter) in [
        ("/api/export", "year"),
        ("/api/export?year=2022&csv_encoding=latin1", "csv_encoding"),
    ] {
        let answer = app.get("wangwu", uri).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(answer.json()["error"]
            .as_str()
            .unwrap_or("")
            .contains(parameter));
    }
    let anonymous = app
        .send(
            Request::get("/api/export?year=2022")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

/// A JSON body sent without a length is cut off at the same limit, and told in Chinese.
#[tokio::test]
async fn oversized_body_without_length_is_413() {
    let app = App::new();
    let big = format!(
        "{{\"kind\": \"payment\", \"memo\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    for (uri, user) in [
        ("/api/post", "zhangsan"),
        ("/api/reverse", "zhangsan"),
        ("/api/close", "zhaoliu"),
    ] {
        let request = Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.token(user)))
            .body(Body::from(big.clone()))
            .expect("request");
        let answer = app.send(request).await;
        assert_eq!(
            answer.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{uri}: {}",
            answer.text()
        );
        assert!(answer.json()["error"]
            .as_str()
            .unwrap_or("")
            .contains("上限"));
    }
}

/// After logout the cookie is no session.
#[tokio::test]
async fn logout_ends_the_session() {
    let app = App::new();
    let session = app.login("lisi").await;
    let request = Request::post(format!("/logout?csrf_token={}", session.csrf))
        .header(header::COOKIE, &session.cookie)
        .body(Body::empty())
        .expect("request");
    let answer = app.send(request).await;
    assert!(answer.status.is_redirection(), "{}", answer.status);
    let request = Request::get("/api/verify")
        .header(header::COOKIE, &session.cookie)
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::UNAUTHORIZED);
}
