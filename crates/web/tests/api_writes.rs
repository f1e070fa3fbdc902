//! The writing routes of the JSON API over HTTP: import (CSV and xlsx, dry run, all or nothing),
//! post, reverse, close, each with its right; every entry carries the caller as operator.

mod api_support;

use api_support::*;
use axum::http::StatusCode;
use serde_json::{json, Value};

const GOOD: [(&str, &str, &str); 2] = [
    ("付-2022-101", "2022-12-29", "1,000.00"),
    ("付-2022-102", "2022-12-30", "2,345.67"),
];

fn entries_by_voucher(page: &Value) -> Vec<&Value> {
    page["entries"]
        .as_array()
        .map(|e| e.iter().collect())
        .unwrap_or_default()
}

/// One bad row refuses the whole upload: 422 naming the user's file, line and column, nothing
/// posted; the same file corrected is posted, each entry's source naming the user's file.
#[tokio::test]
async fn import_one_bad_row_posts_nothing_then_the_good_batch_posts() {
    let app = App::new();
    let before = app.count().await;
    let mut bad = payments_csv(&GOOD);
    bad.push_str("付-2022-103,2022-13-45,政府性基金预算,2290402,项目支出,\"10.00\",QS-ZHXQS-1,,2205187,建设,某公司,坏日期\n");
    let form = Multipart::default().file("files", "付款.csv", bad.as_bytes());
    let answer = app.upload("zhangsan", "/api/import", &form).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let body = answer.json();
    let problems = body["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{body}");
    assert_eq!(problems[0]["file"], "付款.csv");
    assert_eq!(problems[0]["line"], 4);
    assert_eq!(problems[0]["column"], "date");
    assert!(problems[0]["message"]
        .as_str()
        .unwrap_or("")
        .chars()
        .any(|c| c > '\u{3000}'));
    assert_eq!(app.count().await, before, "a refused batch posted");

    // A dry run of the good file: 200, what would be posted, nothing written.
    let good = payments_csv(&GOOD);
    let check = Multipart::default()
        .file("files", "付款.csv", good.as_bytes())
        .field("check", "1");
    let answer = app.upload("zhangsan", "/api/import", &check).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["posted"], 2);
    assert_eq!(app.count().await, before, "a dry run posted");

    let form = Multipart::default().file("files", "付款.csv", good.as_bytes());
    let answer = app.upload("zhangsan", "/api/import", &form).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["posted"], 2, "{body}");
    assert_eq!(body["already"], 0);
    assert!(body["warnings"].is_array());
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["posted", "already", "warnings"],
        "exactly interchange.md's keys"
    );
    assert_eq!(app.count().await, before + 2);
    let page = app
        .get_json("lisi", "/api/entries?voucher=%E4%BB%98-2022-102")
        .await;
    let entries = entries_by_voucher(&page);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["source"], "付款.csv:3");
    assert_eq!(entries[0]["operator"], "zhangsan");
    assert_eq!(entries[0]["body"]["payment"]["amount"], "2345.67");
    // Again: already there, nothing new.
    let answer = app.upload("zhangsan", "/api/import", &form).await;
    assert_eq!(answer.json()["already"], 2);
    assert_eq!(app.count().await, before + 2);
}

/// Several files in one upload are one batch: a bad second file refuses the good first one.
#[tokio::test]
async fn import_of_several_files_is_all_or_nothing() {
    let app = App::new();
    let before = app.count().await;
    let receipts = "voucher_no,date,fund,function_code,amount,bond_code,project_code,memo\n\
                    收-2022-101,2022-12-28,政府性基金预算,2290402,\"5,000.00\",2205187,QS-ZHXQS-1,测试\n";
    let bad = "voucher_no,date,fund,function_code,expense_type,amount\n付-2022-201,2022-12-28,政府性基金预算,2290402,项目支出,abc\n";
    let form = Multipart::default()
        .file("files", "收入.csv", receipts.as_bytes())
        .file("files", "支出.csv", bad.as_bytes());
    let answer = app.upload("zhangsan", "/api/import", &form).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let problems = answer.json()["problems"].clone();
    assert!(problems
        .as_array()
        .expect("problems")
        .iter()
        .all(|p| p["file"] == "支出.csv"));
    assert_eq!(app.count().await, before);
}

/// Upload names: a path is refused (400), and so is a batch without files.
#[tokio::test]
async fn import_refuses_paths_and_empty_forms() {
    let app = App::new();
    let good = payments_csv(&GOOD);
    for name in ["../付款.csv", "a/b.csv", "C:\\fakepath\\x.csv"] {
        let form = Multipart::default().file("files", name, good.as_bytes());
        let answer = app.upload("zhangsan", "/api/import", &form).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(answer.json()["error"]
            .as_str()
            .unwrap_or("")
            .contains("路径"));
    }
    let form = Multipart::default().field("check", "1");
    let answer = app.upload("zhangsan", "/api/import", &form).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("files"));
    let twice = Multipart::default()
        .file("files", "付款.csv", good.as_bytes())
        .file("files", "付款.csv", good.as_bytes());
    let answer = app.upload("zhangsan", "/api/import", &twice).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

/// An Excel workbook uploads like a CSV file; its sheet names the rows' source.
#[tokio::test]
async fn import_of_an_xlsx_upload() {
    let app = App::new();
    let before = app.count().await;
    let bytes = one_sheet_workbook("支出", &XLSX_PAYMENT);
    let form = Multipart::default().file("files", "十二月支出.xlsx", &bytes);
    let answer = app.upload("zhangsan", "/api/import", &form).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["posted"], 1);
    assert_eq!(app.count().await, before + 1);
    let page = app
        .get_json("lisi", "/api/entries?voucher=%E4%BB%98-2022-301")
        .await;
    let entries = entries_by_voucher(&page);
    assert_eq!(entries[0]["source"], "十二月支出.xlsx:支出:2");
    assert_eq!(entries[0]["body"]["payment"]["amount"], "88.80");
}

#[tokio::test]
async fn post_one_entry_with_the_clis_option_names() {
    let app = App::new();
    let before = app.count().await;
    let payment = json!({
        "kind": "payment", "voucher_no": "付-2022-401", "date": "2022-12-30",
        "fund": "政府性基金预算", "function_code": "2290402", "expense_type": "项目支出",
        "amount": "1,234.56", "payee": "某公司", "memo": "网页记账",
    });
    let answer = app.post_json("zhangsan", "/api/post", &payment).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["posted"], 1);
    assert_eq!(body["seq"], before + 1);
    let entry = app
        .get_json("lisi", &format!("/api/entries/{}", before + 1))
        .await;
    assert_eq!(entry["entry"]["operator"], "zhangsan");
    assert_eq!(entry["entry"]["body"]["payment"]["amount"], "1234.56");
    // A bad value: 422 with the option named, nothing posted.
    let mut bad = payment.clone();
    bad["voucher_no"] = json!("付-2022-402");
    bad["date"] = json!("2022-02-30");
    let answer = app.post_json("zhangsan", "/api/post", &bad).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    assert_eq!(answer.json()["problems"][0]["column"], "date");
    assert_eq!(answer.json()["problems"][0]["file"], "请求");
    // Misuse: 400 naming what is wrong.
    let cases = [
        (json!({"voucher_no": "x"}), "kind"),
        (json!({"kind": "nothing"}), "kind"),
        (json!({"kind": "payment", "colour": "red"}), "colour"),
        (json!({"kind": "payment", "amount": 12.5}), "amount"),
        (
            json!({"kind": "payment", "operator": "someone"}),
            "operator",
        ),
        (json!([1, 2]), "JSON"),
    ];
    for (body, word) in cases {
        let answer = app.post_json("zhangsan", "/api/post", &body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.text()
        );
        let message = answer.json()["error"].as_str().unwrap_or("").to_string();
        assert!(message.contains(word), "{body}: {message}");
    }
    let request = axum::http::Request::post("/api/post")
        .header("authorization", format!("Bearer {}", app.token("zhangsan")))
        .body(axum::body::Body::from("{not json"))
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count().await, before + 1);
}

#[tokio::test]
async fn reverse_and_close() {
    let app = App::new();
    let before = app.count().await;
    let reversal = json!({"voucher": "付-2022-009", "date": "2022-12-30", "reason": "重复支付"});
    let answer = app.post_json("zhangsan", "/api/reverse", &reversal).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["seq"], before + 1);
    // The table-7 cell now nets the reversal, and its entries still add up.
    let cell = app
        .get_json(
            "lisi",
            "/api/table7/cell?year=2022&code=2290402&column=expense",
        )
        .await;
    assert_eq!(cell["value"], "68905912.36");
    // Reversed entry and reversal link both ways.
    let page = app
        .get_json(
            "lisi",
            "/api/entries?voucher=%E4%BB%98-2022-009&kind=payment",
        )
        .await;
    let original = page["entries"][0]["seq"].as_u64().expect("seq");
    let detail = app
        .get_json("lisi", &format!("/api/entries/{original}"))
        .await;
    assert_eq!(detail["reversed_by"]["seq"], before + 1);
    // Twice: already posted (as the CLI: the same reversal is the same entry), nothing new.
    let answer = app.post_json("zhangsan", "/api/reverse", &reversal).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["already"], 1);
    assert_eq!(app.count().await, before + 1);
    // Another date or reason for the same voucher: refused.
    let again = json!({"voucher": "付-2022-009", "date": "2022-12-31", "reason": "再冲一次"});
    let answer = app.post_json("zhangsan", "/api/reverse", &again).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    // Missing field: 400 naming it.
    let answer = app
        .post_json(
            "zhangsan",
            "/api/reverse",
            &json!({"voucher": "付-2022-008"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("date"));

    let close = app
        .post_json("zhaoliu", "/api/close", &json!({"through": "2022-09-30"}))
        .await;
    assert_eq!(close.status, StatusCode::OK, "{}", close.text());
    assert_eq!(close.json()["posted"], 1);
    // After closing, posting into the closed period is refused.
    let late = json!({"voucher": "付-2022-003", "date": "2022-12-30", "reason": "期间已结账？"});
    let ok = app.post_json("zhangsan", "/api/reverse", &late).await;
    assert_eq!(
        ok.status,
        StatusCode::OK,
        "a reversal dated after the close: {}",
        ok.text()
    );
    let early = json!({"voucher": "付-2022-004", "date": "2022-09-01", "reason": "结账前"});
    let refused = app.post_json("zhangsan", "/api/reverse", &early).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    let bad = app
        .post_json("zhaoliu", "/api/close", &json!({"through": "yesterday"}))
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    let missing = app.post_json("zhaoliu", "/api/close", &json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

/// Only a maker imports, posts and reverses; only an admin closes. 403 otherwise, and nothing posted.
#[tokio::test]
async fn roles_on_every_post() {
    let app = App::new();
    let before = app.count().await;
    let good = payments_csv(&GOOD);
    let form = Multipart::default().file("files", "付款.csv", good.as_bytes());
    let payment = json!({"kind": "payment", "voucher_no": "付-2022-501"});
    let reversal = json!({"voucher": "付-2022-009", "date": "2022-12-30", "reason": "x"});
    let close = json!({"through": "2022-06-30"});
    for user in ["lisi", "wangwu", "sunqi", "zhaoliu"] {
        let answer = app.upload(user, "/api/import", &form).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{user} import");
        assert!(answer.json()["error"]
            .as_str()
            .unwrap_or("")
            .contains("权限"));
        let answer = app.post_json(user, "/api/post", &payment).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{user} post");
        let answer = app.post_json(user, "/api/reverse", &reversal).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{user} reverse");
    }
    for user in ["lisi", "wangwu", "sunqi", "zhangsan"] {
        let answer = app.post_json(user, "/api/close", &close).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{user} close");
    }
    assert_eq!(app.count().await, before);
    // Every role reads.
    for (user, _, _) in USERS {
        let answer = app.get(user, "/api/reports/table7?year=2022").await;
        assert_eq!(answer.status, StatusCode::OK, "{user}");
    }
}

/// A refused close names the request's field as the request named it.
#[tokio::test]
async fn close_problems_name_the_field() {
    let app = App::new();
    let answer = app
        .post_json("zhaoliu", "/api/close", &json!({"through": "2022-02-30"}))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let problem = &answer.json()["problems"][0];
    assert_eq!(problem["file"], "请求");
    assert_eq!(problem["column"], "through");
}

/// A forged request from a reader's browser, with the session's valid CSRF token even: 403.
#[tokio::test]
async fn readers_session_with_csrf_still_403_on_every_post() {
    use axum::body::Body;
    use axum::http::{header, Request};
    let app = App::new();
    let before = app.count().await;
    for user in ["lisi", "wangwu"] {
        let session = app.login(user).await;
        let bodies = [
            ("/api/post", json!({"kind": "payment", "voucher_no": "x"})),
            (
                "/api/reverse",
                json!({"voucher": "付-2022-009", "date": "2022-12-30", "reason": "x"}),
            ),
            ("/api/close", json!({"through": "2022-06-30"})),
        ];
        for (uri, body) in bodies {
            let request = Request::post(uri)
                .header(header::COOKIE, &session.cookie)
                .header("X-CSRF-Token", &session.csrf)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .expect("request");
            let answer = app.send(request).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{user} {uri}");
        }
        let form = Multipart::default().file("files", "付款.csv", payments_csv(&GOOD).as_bytes());
        let request = form
            .request(axum::http::Method::POST, "/api/import")
            .header(header::COOKIE, &session.cookie)
            .header("X-CSRF-Token", &session.csrf)
            .body(Body::from(form.body()))
            .expect("request");
        assert_eq!(
            app.send(request).await.status,
            StatusCode::FORBIDDEN,
            "{user} import"
        );
    }
    assert_eq!(app.count().await, before);
}

/// Table 7's answer is kept between batches (a speed mechanism of the server): a batch must end it,
/// or a payment posted from the web would be missing from the next answer.
#[tokio::test]
async fn table7_answers_follow_every_batch() {
    let app = App::new();
    let expense = |table: &Value| -> String {
        table["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["code"] == "2290402"))
            .map(|r| r["expense"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let before = app.get_json("lisi", "/api/reports/table7?year=2022").await;
    let again = app.get_json("lisi", "/api/reports/table7?year=2022").await;
    assert_eq!(before, again, "the same answer between batches");
    let payment = json!({
        "kind": "payment", "voucher_no": "付-2022-777", "date": "2022-12-30",
        "fund": "政府性基金预算", "function_code": "2290402", "expense_type": "项目支出",
        "amount": "100.01", "payee": "某公司",
    });
    let answer = app.post_json("zhangsan", "/api/post", &payment).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let after = app.get_json("lisi", "/api/reports/table7?year=2022").await;
    let was: rust_decimal::Decimal = expense(&before).parse().expect("an amount");
    let now: rust_decimal::Decimal = expense(&after).parse().expect("an amount");
    assert_eq!(
        now - was,
        rust_decimal::Decimal::new(10001, 2),
        "{before} → {after}"
    );
}
