//! Maker-checker over HTTP (issue 18): with approval required a maker's batch waits (202) and is
//! invisible in the reports; the checker's approval posts it with both names and changes table 7 by
//! exactly its amounts; a rejection posts nothing but its reason; nobody approves their own batch; a
//! batch that no longer passes is refused at approval with the reasons, nothing posted, still pending.

mod api_support;

use api_support::*;
use axum::body::Body as HttpBody;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use taizhang_core::{Body, Kind};
use taizhang_posting::ImportOptions;

const ROWS: [(&str, &str, &str); 2] = [
    ("付-2022-201", "2022-12-29", "1,000.00"),
    ("付-2022-202", "2022-12-30", "2,345.67"),
];

/// The expense of 2290402 in 2022's table 7, as the API gives it.
async fn expense_2290402(app: &App) -> String {
    let table = app.get_json("lisi", "/api/reports/table7?year=2022").await;
    let row = (table["rows"].as_array().expect("rows").iter())
        .find(|r| r["code"] == "2290402")
        .expect("row 2290402")
        .clone();
    row["expense"].as_str().expect("expense").to_string()
}

fn pending_ids(list: &Value) -> Vec<u64> {
    (list["pending"].as_array().expect("pending").iter())
        .map(|b| b["id"].as_u64().expect("id"))
        .collect()
}

fn fen(text: &str) -> i64 {
    let (yuan, cents) = text.split_once('.').expect("two decimals");
    yuan.parse::<i64>().expect("yuan") * 100 + cents.parse::<i64>().expect("cents")
}

#[tokio::test]
async fn a_makers_import_waits_and_the_checkers_approval_posts_it_with_both_names() {
    let app = app_requiring_approval().await;
    let count = app.count().await;
    let table_before = app.get_json("lisi", "/api/reports/table7?year=2022").await;
    let expense_before = expense_2290402(&app).await;

    let id = submit(&app, "付款.csv", &ROWS).await;
    assert_eq!(
        app.count().await,
        count,
        "a pending batch entered the chain"
    );
    assert_eq!(
        app.get_json("lisi", "/api/reports/table7?year=2022").await,
        table_before,
        "a pending batch changed table 7"
    );
    let entries = app
        .get_json("lisi", "/api/entries?voucher=付-2022-201")
        .await;
    assert_eq!(entries["entries"].as_array().map(Vec::len), Some(0));

    // Everyone who reads sees it waiting, with its rows as the log writes them.
    let list = app.get_json("wangwu", "/api/pending").await;
    assert_eq!(pending_ids(&list), vec![id]);
    let batch = &list["pending"][0];
    assert_eq!(batch["maker"], "zhangsan");
    assert_eq!(batch["action"], "import");
    let files = batch["files"].as_array().expect("files");
    assert_eq!(files.len(), 1);
    let file = files[0].as_str().expect("file line");
    assert!(
        file.starts_with("付款.csv · ") && file.contains(" 字节 · sm3:"),
        "{file}"
    );
    let rows = batch["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["source"], "付款.csv:2");
    assert_eq!(rows[0]["kind"], "payment");
    assert_eq!(rows[1]["body"]["payment"]["voucher_no"], "付-2022-202");
    assert_eq!(rows[1]["body"]["payment"]["amount"], "2345.67");

    // A maker cannot approve at all; the checker can.
    let answer = decide(&app, "zhangsan", id, "approve", &json!({})).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = decide(&app, "sunqi", id, "approve", &json!({})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["posted"], 2);
    let review_seq = body["review_seq"].as_u64().expect("review_seq");
    assert_eq!(review_seq, count + 1);
    assert_eq!(app.count().await, count + 3);

    // The review is the checker's, the entries the maker's with their own sources.
    let review = app
        .get_json("lisi", &format!("/api/entries/{review_seq}"))
        .await;
    assert_eq!(review["entry"]["operator"], "sunqi");
    assert_eq!(review["entry"]["body"]["review"]["maker"], "zhangsan");
    assert_eq!(review["entry"]["body"]["review"]["approved"], true);
    assert_eq!(review["entry"]["body"]["review"]["entries"], 2);
    for (offset, source) in [(1, "付款.csv:2"), (2, "付款.csv:3")] {
        let seq = review_seq + offset;
        let entry = app.get_json("lisi", &format!("/api/entries/{seq}")).await;
        assert_eq!(entry["entry"]["operator"], "zhangsan");
        assert_eq!(entry["entry"]["source"], source);
        let (at, _, checker) = app
            .state
            .ledger()
            .review_of(seq)
            .expect("review_of")
            .expect("approved by a review");
        assert_eq!((at, checker.as_str()), (review_seq, "sunqi"));
    }
    assert!(app
        .state
        .ledger()
        .review_of(review_seq)
        .expect("read")
        .is_none());

    // Table 7 moved by exactly the batch's amounts.
    let expense_after = expense_2290402(&app).await;
    assert_eq!(fen(&expense_after) - fen(&expense_before), 334_567);

    assert_eq!(
        pending_ids(&app.get_json("lisi", "/api/pending").await),
        Vec::<u64>::new()
    );
    // Decided once: a second approval finds nothing.
    let again = decide(&app, "sunqi", id, "approve", &json!({})).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let verify = app.get_json("lisi", "/api/verify").await;
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test]
async fn a_rejection_posts_nothing_but_its_reason() {
    let app = app_requiring_approval().await;
    let count = app.count().await;
    let expense_before = expense_2290402(&app).await;
    let id = submit(&app, "付款.csv", &ROWS).await;

    let uri = format!("/api/pending/{id}/reject");
    let answer = app.post_json("sunqi", &uri, &json!({})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    let answer = app.post_json("sunqi", &uri, &json!({"reason": "  "})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let long = "长".repeat(501);
    let answer = app.post_json("sunqi", &uri, &json!({"reason": long})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count().await, count);

    let answer = app
        .post_json("sunqi", &uri, &json!({"reason": "金额与合同不符，请核对"}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let review_seq = answer.json()["review_seq"].as_u64().expect("review_seq");
    assert_eq!(review_seq, count + 1);
    assert_eq!(app.count().await, count + 1, "a rejection posted entries");
    let review = app
        .get_json("lisi", &format!("/api/entries/{review_seq}"))
        .await;
    assert_eq!(review["entry"]["operator"], "sunqi");
    let body = &review["entry"]["body"]["review"];
    assert_eq!(body["approved"], false);
    assert_eq!(body["reason"], "金额与合同不符，请核对");
    assert_eq!(body["entries"], 0);
    assert_eq!(body["maker"], "zhangsan");
    assert_eq!(expense_2290402(&app).await, expense_before);
    assert!(pending_ids(&app.get_json("lisi", "/api/pending").await).is_empty());
    let verify = app.get_json("lisi", "/api/verify").await;
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test]
async fn nobody_approves_their_own_batch() {
    let app = app_requiring_approval().await;
    // A batch made under the checker's name (the CLI names its operator freely).
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("p.csv");
    std::fs::write(&path, payments_csv(&ROWS)).expect("write");
    let (committed, tally) = app
        .state
        .write(move |ledger| {
            taizhang_posting::import(ledger, &[path], None, "sunqi", ImportOptions::default())
        })
        .await
        .expect("turn")
        .expect("import");
    assert!(committed);
    let id = tally.pending.expect("pending");
    let count = app.count().await;
    for route in ["approve", "reject"] {
        let answer = app
            .post_json(
                "sunqi",
                &format!("/api/pending/{id}/{route}"),
                &json!({"reason": "自己驳回"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text());
        assert!(answer.json()["error"].as_str().is_some());
    }
    assert_eq!(app.count().await, count);
    assert_eq!(
        pending_ids(&app.get_json("lisi", "/api/pending").await),
        vec![id]
    );
    let unknown = app
        .post_json("sunqi", "/api/pending/999/approve", &json!({}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_batch_invalidated_while_pending_is_refused_with_reasons_and_stays_pending() {
    let app = app_requiring_approval().await;
    // Two batches carrying the same voucher: each passed its dry run when made.
    let first = submit(&app, "第一批.csv", &ROWS).await;
    let second = submit(&app, "第二批.csv", &ROWS[1..]).await;
    let third = submit(
        &app,
        "第三批.csv",
        &[("付-2022-301", "2022-12-31", "10.00")],
    )
    .await;
    assert_eq!((first, second, third), (1, 2, 3));

    let answer = decide(&app, "sunqi", first, "approve", &json!({})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let count = app.count().await;

    // The same voucher was posted meanwhile by the first batch.
    let answer = decide(&app, "sunqi", second, "approve", &json!({})).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let problems = answer.json()["problems"].clone();
    assert_eq!(problems.as_array().map(Vec::len), Some(1), "{problems}");
    assert_eq!(problems[0]["file"], "第二批.csv");
    assert_eq!(problems[0]["line"], 2);
    assert!(problems[0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("付-2022-202"));
    assert_eq!(app.count().await, count, "a refused approval posted");

    // The period was closed meanwhile.
    let close = app
        .post_json("zhaoliu", "/api/close", &json!({"through": "2022-12-31"}))
        .await;
    assert_eq!(close.status, StatusCode::OK, "{}", close.text());
    let count = app.count().await;
    let answer = decide(&app, "sunqi", third, "approve", &json!({})).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let problems = answer.json()["problems"].clone();
    assert_eq!(problems[0]["file"], "第三批.csv", "{problems}");
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("2022-12-31"),
        "{problems}"
    );
    assert_eq!(app.count().await, count, "a refused approval posted");
    assert_eq!(
        pending_ids(&app.get_json("lisi", "/api/pending").await),
        vec![second, third]
    );

    // The preview says the same before anyone presses the button.
    let preview = taizhang_web::actions::preview(&app.state, third)
        .await
        .expect("preview")
        .expect("pending");
    assert!(!preview.tally.problems.is_empty());
    let verify = app.get_json("lisi", "/api/verify").await;
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test]
async fn the_preview_shows_the_table7_cells_the_batch_changes() {
    let app = app_requiring_approval().await;
    let before = expense_2290402(&app).await;
    let id = submit(&app, "付款.csv", &ROWS).await;
    let preview = taizhang_web::actions::preview(&app.state, id)
        .await
        .expect("preview")
        .expect("pending");
    assert!(
        preview.tally.problems.is_empty(),
        "{:?}",
        preview.tally.problems
    );
    assert_eq!(preview.batch.rows.len(), 2);
    assert!(matches!(preview.batch.rows[0].1, Body::Payment(_)));
    assert_eq!(preview.batch.rows[0].1.kind(), Kind::Payment);
    let cell = (preview.changes.iter())
        .find(|c| c.year == 2022 && c.code == "2290402" && c.column == "expense")
        .expect("the expense cell changes");
    assert_eq!(cell.before.to_string(), before);
    assert_eq!((cell.after - cell.before).to_string(), "3345.67");
    // Nothing was posted by looking.
    assert_eq!(expense_2290402(&app).await, before);
}

#[tokio::test]
async fn post_and_reverse_wait_too_but_closing_does_not() {
    let app = app_requiring_approval().await;
    let count = app.count().await;
    let answer = app
        .post_json(
            "zhangsan",
            "/api/post",
            &json!({"kind": "receipt", "voucher_no": "收-2022-901", "date": "2022-12-01",
                    "fund": "政府性基金预算", "function_code": "2290402", "amount": "5.00"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text());
    let post_id = answer.json()["pending"].as_u64().expect("pending");
    let answer = app
        .post_json(
            "zhangsan",
            "/api/reverse",
            &json!({"voucher": "付-2022-001", "date": "2022-12-02", "reason": "重复支付"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text());
    let reverse_id = answer.json()["pending"].as_u64().expect("pending");
    assert_eq!(app.count().await, count);
    let list = app.get_json("lisi", "/api/pending").await;
    assert_eq!(pending_ids(&list), vec![post_id, reverse_id]);
    assert_eq!(list["pending"][0]["action"], "post");
    assert_eq!(list["pending"][1]["action"], "reverse");
    assert_eq!(list["pending"][1]["rows"][0]["source"], "命令行");

    let close = app
        .post_json("zhaoliu", "/api/close", &json!({"through": "2022-01-31"}))
        .await;
    assert_eq!(close.status, StatusCode::OK, "{}", close.text());
    assert_eq!(app.count().await, count + 1);
}

/// The page's import form says where the batch went: a notice naming the pending batch.
#[tokio::test]
async fn the_import_form_tells_the_maker_the_batch_waits() {
    let app = app_requiring_approval().await;
    let count = app.count().await;
    let maker = app.login("zhangsan").await;
    let csv = payments_csv(&ROWS);
    let form = Multipart::default().file("files", "付款.csv", csv.as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/import?csrf_token={}", maker.csrf))
        .header(header::COOKIE, &maker.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(HttpBody::from(form.body()))
        .expect("request");
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let html = answer.text();
    assert!(
        html.contains("已提交待审批次 1：2 条，待审核人批准后入账"),
        "{html}"
    );
    assert!(html.contains(r#"href="/pending/1""#), "{html}");
    assert_eq!(app.count().await, count);
}

/// A form POST of a logged-in session (the CSRF token in the address, as the pages send it).
async fn form_post(app: &App, session: &Session, uri: &str, form: &str) -> Answer {
    let separator = if uri.contains('?') { '&' } else { '?' };
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("{uri}{separator}csrf_token={}", session.csrf))
        .header(header::COOKIE, &session.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(HttpBody::from(form.to_string()))
        .expect("request");
    app.send(request).await
}

/// A page as a logged-in session sees it.
async fn page(app: &App, session: &Session, uri: &str) -> Answer {
    let request = Request::builder()
        .uri(uri)
        .header(header::COOKIE, &session.cookie)
        .body(HttpBody::empty())
        .expect("request");
    app.send(request).await
}

#[tokio::test]
async fn the_admin_switches_approval_on_the_pending_page_and_nobody_else_can() {
    let app = App::new();
    let admin = app.login("zhaoliu").await;
    let list = page(&app, &admin, "/pending").await;
    assert!(list.text().contains("入账无须审核"), "{}", list.text());
    assert!(list.text().contains(r#"id="settings-form""#));

    for name in ["zhangsan", "sunqi", "lisi", "wangwu"] {
        let session = app.login(name).await;
        let seen = page(&app, &session, "/pending").await;
        assert!(!seen.text().contains(r#"id="settings-form""#), "{name}");
        let count = app.count().await;
        let answer = form_post(&app, &session, "/settings", "require_approval=on").await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{name}");
        assert_eq!(app.count().await, count, "{name} changed nothing");
    }
    let count = app.count().await;
    let bad = form_post(&app, &admin, "/settings", "require_approval=yes").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count().await, count);

    let on = form_post(&app, &admin, "/settings", "require_approval=on").await;
    assert_eq!(on.status, StatusCode::SEE_OTHER, "{}", on.text());
    assert_eq!(app.count().await, count + 1, "the switch is an entry");
    assert!(app
        .state
        .read(|l| l.require_approval())
        .await
        .expect("turn")
        .expect("read"));
    let list = page(&app, &admin, "/pending").await;
    assert!(
        list.text().contains("入账须经审核：制单人"),
        "{}",
        list.text()
    );
    // Switching to what it already is posts nothing.
    form_post(&app, &admin, "/settings", "require_approval=on").await;
    assert_eq!(app.count().await, count + 1);
}

#[tokio::test]
async fn the_batch_page_offers_decisions_only_to_a_checker_who_did_not_make_it() {
    let app = app_requiring_approval().await;
    let id = submit(&app, "付款.csv", &ROWS).await;
    let uri = format!("/pending/{id}");

    let checker = app.login("sunqi").await;
    let shown = page(&app, &checker, &uri).await;
    assert_eq!(shown.status, StatusCode::OK);
    let html = shown.text();
    assert!(html.contains(r#"id="approve-form""#) && html.contains(r#"id="reject-form""#));
    assert!(
        html.contains("付-2022-202") && html.contains("2,345.67"),
        "the rows"
    );
    assert!(
        html.contains(r#"data-code="2290402" data-column="expense""#),
        "table 7's changed cell"
    );

    let maker = app.login("zhangsan").await;
    let html = page(&app, &maker, &uri).await.text();
    assert!(html.contains(r#"id="own-batch""#) && !html.contains(r#"id="approve-form""#));
    let auditor = app.login("lisi").await;
    let html = page(&app, &auditor, &uri).await.text();
    assert!(!html.contains(r#"id="approve-form""#) && !html.contains(r#"id="reject-form""#));

    let count = app.count().await;
    let forged = form_post(&app, &maker, &format!("{uri}/approve"), "").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let blank = form_post(&app, &checker, &format!("{uri}/reject"), "reason=%20").await;
    assert_eq!(
        blank.status,
        StatusCode::BAD_REQUEST,
        "a reason is required"
    );
    assert_eq!(app.count().await, count, "nothing posted");
    assert_eq!(
        page(&app, &checker, "/pending/999").await.status,
        StatusCode::NOT_FOUND
    );

    let approved = form_post(&app, &checker, &format!("{uri}/approve"), "").await;
    assert_eq!(
        approved.status,
        StatusCode::SEE_OTHER,
        "{}",
        approved.text()
    );
    let review = count + 1;
    assert_eq!(
        approved.header("location"),
        format!("/entries/{review}"),
        "to the review"
    );
    assert_eq!(app.count().await, count + 3);
    let entry = page(&app, &checker, &format!("/entries/{}", review + 2))
        .await
        .text();
    assert!(
        entry.contains(r#"id="entry-checker""#) && entry.contains("sunqi"),
        "the entry names its checker"
    );
    let again = form_post(&app, &checker, &format!("{uri}/approve"), "").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "decided once");
    assert_eq!(app.count().await, count + 3);
}

/// What Excel users upload: a workbook and a CSV saved with Windows line ends. The batch waits with
/// each file named once, by its size and hash; approved, every row keeps its own source.
#[tokio::test]
async fn an_excel_workbook_and_a_crlf_csv_wait_and_post_with_their_own_sources() {
    let app = app_requiring_approval().await;
    let workbook = one_sheet_workbook("支出", &XLSX_PAYMENT);
    let csv = payments_csv(&ROWS).replace('\n', "\r\n");
    let form = Multipart::default()
        .file("files", "十二月支出.xlsx", &workbook)
        .file("files", "付款.csv", csv.as_bytes());
    let answer = app.upload("zhangsan", "/api/import", &form).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text());
    let id = answer.json()["pending"].as_u64().expect("pending id");

    let list = app.get_json("lisi", "/api/pending").await;
    let sm3 =
        |bytes: &[u8]| taizhang_store::hash::hex(&taizhang_store::HashAlgo::Sm3.digest(bytes));
    assert_eq!(
        list["pending"][0]["files"],
        json!([
            format!(
                "十二月支出.xlsx · {} 字节 · sm3:{}",
                workbook.len(),
                sm3(&workbook)
            ),
            format!(
                "付款.csv · {} 字节 · sm3:{}",
                csv.len(),
                sm3(csv.as_bytes())
            ),
        ]),
        "{list}"
    );
    let sources: Vec<&str> = (list["pending"][0]["rows"].as_array().expect("rows").iter())
        .map(|r| r["source"].as_str().expect("source"))
        .collect();
    assert_eq!(
        sources,
        ["十二月支出.xlsx:支出:2", "付款.csv:2", "付款.csv:3"]
    );

    let count = app.count().await;
    let approved = decide(&app, "sunqi", id, "approve", &json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    assert_eq!(
        app.count().await,
        count + 4,
        "the review and three payments"
    );
    let page = app
        .get_json("lisi", "/api/entries?voucher=%E4%BB%98-2022-301")
        .await;
    assert_eq!(page["entries"][0]["source"], "十二月支出.xlsx:支出:2");
    assert_eq!(page["entries"][0]["operator"], "zhangsan");
    assert_eq!(page["entries"][0]["body"]["payment"]["amount"], "88.80");
}
