//! The writing pages over HTTP, as a browser without scripts uses them: a session cookie, the CSRF
//! token in the form's address, multipart and urlencoded bodies; the page contract's element ids.

mod api_support;

use api_support::*;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};

/// A page request with the session's cookie (and, for a POST, the CSRF token in the address).
fn page(session: &Session, method: Method, uri: &str) -> axum::http::request::Builder {
    let uri = if method == Method::GET {
        uri.to_string()
    } else {
        let separator = if uri.contains('?') { '&' } else { '?' };
        format!("{uri}{separator}csrf_token={}", session.csrf)
    };
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, &session.cookie)
}

async fn get_page(app: &App, session: &Session, uri: &str) -> Answer {
    let request = page(session, Method::GET, uri)
        .body(Body::empty())
        .expect("request");
    app.send(request).await
}

async fn post_form(app: &App, session: &Session, uri: &str, form: &str) -> Answer {
    let request = page(session, Method::POST, uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .expect("request");
    app.send(request).await
}

async fn post_upload(app: &App, session: &Session, form: &Multipart) -> Answer {
    let request = page(session, Method::POST, "/import")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(form.body()))
        .expect("request");
    app.send(request).await
}

#[tokio::test]
async fn import_page_checks_refuses_and_posts() {
    let app = App::new();
    let maker = app.login("zhangsan").await;
    let form = get_page(&app, &maker, "/import").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains(r#"id="import-form""#), "{html}");
    assert!(html.contains(r#"enctype="multipart/form-data""#));
    assert!(html.contains(&format!("/import?csrf_token={}", maker.csrf)));
    assert!(
        html.contains(r#"type="file" name="files" multiple"#),
        "{html}"
    );
    assert!(html.contains(r#"name="action" value="check""#));
    assert!(html.contains(r#"name="action" value="post""#));

    let before = app.count().await;
    let good = payments_csv(&[
        ("付-2022-601", "2022-12-30", "600.00"),
        ("付-2022-602", "2022-12-30", "602.00"),
    ]);
    let mut bad = good.clone();
    bad.push_str("付-2022-603,2022-12-30,政府性基金预算,2290402,项目支出,\"6.0.3\",QS-ZHXQS-1,,2205187,建设,某公司,坏金额\n");
    let answer = post_upload(
        &app,
        &maker,
        &Multipart::default()
            .file("files", "付款.csv", bad.as_bytes())
            .field("action", "post"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text();
    assert!(
        html.contains(r#"<ul id="problems"><li class="problem">付款.csv:4:amount："#),
        "{html}"
    );
    assert_eq!(html.matches(r#"class="problem""#).count(), 1);
    assert_eq!(app.count().await, before, "a refused batch posted");

    let check = post_upload(
        &app,
        &maker,
        &Multipart::default()
            .file("files", "付款.csv", good.as_bytes())
            .field("action", "check"),
    )
    .await;
    assert_eq!(check.status, StatusCode::OK);
    assert!(
        check
            .text()
            .contains("检查通过（--check，未写入台账）：将新记账 2 条"),
        "{}",
        check.text()
    );
    assert_eq!(app.count().await, before);

    let posted = post_upload(
        &app,
        &maker,
        &Multipart::default()
            .file("files", "付款.csv", good.as_bytes())
            .field("action", "post"),
    )
    .await;
    assert_eq!(posted.status, StatusCode::OK);
    let html = posted.text();
    assert!(
        html.contains(r#"<div id="outcome"><p>完成：新记账 2 条"#),
        "{html}"
    );
    assert_eq!(app.count().await, before + 2);
}

#[tokio::test]
async fn post_page_with_pickers_posts_a_payment() {
    let app = App::new();
    let maker = app.login("zhangsan").await;
    let form = get_page(&app, &maker, "/post?kind=payment").await;
    assert_eq!(form.status, StatusCode::OK);
    let html = form.text();
    assert!(html.contains(r#"id="post-form""#));
    assert!(
        html.contains(r#"<option value="QS-2022-001">"#),
        "contract picker"
    );
    assert!(html.contains(r#"<option value="2205187">"#), "bond picker");
    assert!(html.contains(r#"<option value="2290402">"#), "code picker");
    assert!(
        html.contains(r#"<select id="f-fund" name="fund" required>"#),
        "{html}"
    );
    let before = app.count().await;
    let fields = [
        ("kind", "payment"),
        ("voucher_no", "付-2022-701"),
        ("date", "2022-12-30"),
        ("fund", "政府性基金预算"),
        ("function_code", "2290402"),
        ("expense_type", "项目支出"),
        ("amount", "700.00"),
        ("payee", "某公司"),
        ("contract_no", ""),
    ];
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    let answer = post_form(&app, &maker, "/post", &body.join("&")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert!(
        answer.text().contains("完成：新记账 1 条"),
        "{}",
        answer.text()
    );
    assert!(answer.text().contains(&format!("/entries/{}", before + 1)));
    assert_eq!(app.count().await, before + 1);
    // A bad amount: the form again with the problem, what was typed kept.
    let bad = body
        .join("&")
        .replace("701", "702")
        .replace("700.00", "abc");
    let answer = post_form(&app, &maker, "/post", &bad).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text();
    assert!(
        html.contains(r#"<li class="problem">请求:1:amount："#),
        "{html}"
    );
    assert!(html.contains("付-2022-702"));
    assert_eq!(app.count().await, before + 1);
}

#[tokio::test]
async fn reverse_from_the_entry_page_redirects_to_the_reversal() {
    let app = App::new();
    let maker = app.login("zhangsan").await;
    let page_json = app
        .get_json(
            "lisi",
            "/api/entries?voucher=%E4%BB%98-2022-008&kind=payment",
        )
        .await;
    let seq = page_json["entries"][0]["seq"].as_u64().expect("seq");
    let before = app.count().await;
    // A bad date: the form again with the problem, nothing posted.
    let answer = post_form(
        &app,
        &maker,
        &format!("/entries/{seq}/reverse"),
        &format!("date=2022-02-31&reason={}", encode("重复支付")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = answer.text();
    assert!(
        html.contains(r#"class="problem""#) && html.contains("请求:1:date："),
        "{html}"
    );
    assert!(html.contains(r#"id="reverse-form""#));
    assert_eq!(app.count().await, before);
    let answer = post_form(
        &app,
        &maker,
        &format!("/entries/{seq}/reverse"),
        &format!("date=2022-12-31&reason={}", encode("重复支付")),
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
    assert_eq!(
        answer.header("location"),
        format!("/entries/{}", before + 1)
    );
    let reversal = app
        .get_json("lisi", &format!("/api/entries/{}", before + 1))
        .await;
    assert_eq!(reversal["entry"]["operator"], "zhangsan");
    assert_eq!(reversal["reverses"]["seq"], seq);
    // A bond cannot be reversed; an unknown entry is 404.
    let answer = post_form(
        &app,
        &maker,
        "/entries/2/reverse",
        "date=2022-12-31&reason=x",
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = post_form(
        &app,
        &maker,
        "/entries/99999/reverse",
        "date=2022-12-31&reason=x",
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn close_page_for_the_admin() {
    let app = App::new();
    let admin = app.login("zhaoliu").await;
    let form = get_page(&app, &admin, "/close").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains(r#"id="close-form""#));
    assert!(form.text().contains("尚未结账"));
    let answer = post_form(&app, &admin, "/close", "through=2022-09-30").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert!(
        answer.text().contains("已结账至 2022-09-30"),
        "{}",
        answer.text()
    );
    let closed = app
        .state
        .read(|l| l.closed_through())
        .await
        .expect("read")
        .expect("closed");
    assert_eq!(closed.map(|d| d.to_string()).as_deref(), Some("2022-09-30"));
}

/// An auditor or viewer sees no writing form and no such menu item; a forged POST to any writing
/// route, even with the session's valid CSRF token, gets 403 and posts nothing. A maker cannot close.
#[tokio::test]
async fn readers_see_no_writing_forms_and_forged_posts_are_403() {
    let app = App::new();
    let before = app.count().await;
    let upload = Multipart::default().file(
        "files",
        "付款.csv",
        payments_csv(&[("付-2022-801", "2022-12-30", "1.00")]).as_bytes(),
    );
    for user in ["lisi", "wangwu"] {
        let session = app.login(user).await;
        for uri in ["/import", "/post", "/close"] {
            let answer = get_page(&app, &session, uri).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{user} {uri}");
            let html = answer.text();
            for id in ["import-form", "post-form", "close-form", "reverse-form"] {
                assert!(!html.contains(id), "{user} {uri} shows {id}");
            }
            for href in [r#"href="/import""#, r#"href="/post""#, r#"href="/close""#] {
                assert!(!html.contains(href), "{user} sees menu {href}");
            }
        }
        assert_eq!(
            post_upload(&app, &session, &upload).await.status,
            StatusCode::FORBIDDEN
        );
        let forged = [
            ("/post", "kind=payment&voucher_no=x"),
            ("/entries/12/reverse", "date=2022-12-31&reason=x"),
            ("/close", "through=2022-06-30"),
        ];
        for (uri, form) in forged {
            let answer = post_form(&app, &session, uri, form).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{user} {uri}");
        }
    }
    let maker = app.login("zhangsan").await;
    assert_eq!(
        get_page(&app, &maker, "/close").await.status,
        StatusCode::FORBIDDEN
    );
    let answer = post_form(&app, &maker, "/close", "through=2022-06-30").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // Without the CSRF token in the address: 403 even for the maker.
    let request = Request::post("/post")
        .header(header::COOKIE, &maker.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("kind=payment"))
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count().await, before);
}
