//! Issue 18's new parts attacked over HTTP: forged or malformed decisions on pending batches, two
//! approvals at once, a maker disabled while the batch waits, the settings switch, and attachment
//! names, fields and addresses that try to reach what they should not. Every refusal changes nothing.

mod api_support;

use api_support::*;
use axum::body::Body as HttpBody;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use taizhang_core::Role;

const ROWS: [(&str, &str, &str); 2] = [
    ("付-2022-201", "2022-12-29", "1,000.00"),
    ("付-2022-202", "2022-12-30", "2,345.67"),
];

async fn pending_ids(app: &App) -> Vec<u64> {
    let list = app.get_json("lisi", "/api/pending").await;
    (list["pending"].as_array().expect("pending").iter())
        .map(|b| b["id"].as_u64().expect("id"))
        .collect()
}

async fn disable(app: &App, name: &'static str, role: Role) {
    app.state
        .write(move |ledger| ledger.change_user((name, role, false), None, "zhaoliu", "测试"))
        .await
        .expect("turn")
        .expect("disabled");
}

#[tokio::test]
async fn forged_and_malformed_decisions_are_refused_and_change_nothing() {
    let app = app_requiring_approval().await;
    let id = submit(&app, "付款.csv", &ROWS).await;
    let count = app.count().await;

    for bad in [
        "0",
        "-1",
        "99999999999999999999",
        "1;drop",
        "%00",
        "1.0",
        "abc",
    ] {
        for route in ["approve", "reject"] {
            let answer = app
                .post_json(
                    "sunqi",
                    &format!("/api/pending/{bad}/{route}"),
                    &json!({"reason": "x"}),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::BAD_REQUEST,
                "{bad}/{route}: {}",
                answer.text()
            );
            assert!(answer.json()["error"].as_str().is_some());
        }
    }
    for user in ["wangwu", "lisi", "zhangsan", "zhaoliu"] {
        for route in ["approve", "reject"] {
            let answer = app
                .post_json(
                    user,
                    &format!("/api/pending/{id}/{route}"),
                    &json!({"reason": "不对"}),
                )
                .await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{user}/{route}");
        }
    }
    // Reasons that may not be stored: too long, control characters, a bidirectional override,
    // blank, not a string.
    let long = "理".repeat(10_000);
    for reason in [
        json!(long),
        json!("金额\u{0007}不对"),
        json!("金额\u{202E}对不"),
        json!("  \t "),
        json!(12),
        Value::Null,
    ] {
        let answer = decide(&app, "sunqi", id, "reject", &json!({ "reason": reason })).await;
        assert!(
            answer.status == StatusCode::BAD_REQUEST
                || answer.status == StatusCode::PAYLOAD_TOO_LARGE,
            "{reason}: {} {}",
            answer.status,
            answer.text()
        );
    }
    // A cookie session without its CSRF token.
    let checker = app.login("sunqi").await;
    let request = Request::post(format!("/api/pending/{id}/approve"))
        .header(header::COOKIE, &checker.cookie)
        .body(HttpBody::empty())
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::FORBIDDEN);
    let request = Request::post(format!("/pending/{id}/approve"))
        .header(header::COOKIE, &checker.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(HttpBody::empty())
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::FORBIDDEN);

    // A disabled checker's token and session no longer count.
    assert_eq!(app.count().await, count, "a refused decision posted");
    disable(&app, "sunqi", Role::Checker).await;
    let count = count + 1;
    let answer = decide(&app, "sunqi", id, "approve", &json!({})).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.text());
    let request = Request::post(format!("/api/pending/{id}/approve"))
        .header(header::COOKIE, &checker.cookie)
        .header("x-csrf-token", &checker.csrf)
        .body(HttpBody::empty())
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::UNAUTHORIZED);

    assert_eq!(app.count().await, count, "a refused decision posted");
    assert_eq!(pending_ids(&app).await, vec![id]);
    let verify = app.get_json("lisi", "/api/verify").await;
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test]
async fn two_approvals_at_once_post_the_batch_once() {
    let app = app_requiring_approval().await;
    let id = submit(&app, "付款.csv", &ROWS).await;
    let count = app.count().await;
    let uri = format!("/api/pending/{id}/approve");
    let reject_uri = format!("/api/pending/{id}/reject");
    let (empty, reason) = (json!({}), json!({"reason": "重复"}));
    let (a, b, c) = tokio::join!(
        app.post_json("sunqi", &uri, &empty),
        app.post_json("sunqi", &uri, &empty),
        app.post_json("sunqi", &reject_uri, &reason),
    );
    let mut statuses = vec![a.status, b.status, c.status];
    statuses.sort();
    assert_eq!(
        statuses,
        vec![StatusCode::OK, StatusCode::NOT_FOUND, StatusCode::NOT_FOUND],
        "{} | {} | {}",
        a.text(),
        b.text(),
        c.text()
    );
    let grown = app.count().await - count;
    // Approved: the review and both rows; rejected: the review alone.
    assert!(grown == 3 || grown == 1, "grew by {grown}");
    assert!(pending_ids(&app).await.is_empty());
    let verify = app.get_json("lisi", "/api/verify").await;
    assert_eq!(verify["ok"], true, "{verify}");
}

/// A maker who leaves (disabled) after submitting: the batch was made with the right to make it,
/// and stays for a checker to decide (docs/decisions.md).
#[tokio::test]
async fn a_disabled_makers_batch_is_still_decided_by_a_checker() {
    let app = app_requiring_approval().await;
    let id = submit(&app, "付款.csv", &ROWS).await;
    disable(&app, "zhangsan", Role::Maker).await;
    let count = app.count().await;
    let answer = decide(&app, "sunqi", id, "approve", &json!({})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["posted"], 2);
    assert_eq!(app.count().await, count + 3);
    let entry = app
        .get_json("lisi", &format!("/api/entries/{}", count + 2))
        .await;
    assert_eq!(entry["entry"]["operator"], "zhangsan");
}

#[tokio::test]
async fn the_settings_switch_is_the_admins_and_needs_the_csrf_token() {
    let app = App::new();
    let count = app.count().await;
    for user in ["zhangsan", "sunqi", "lisi", "wangwu"] {
        let session = app.login(user).await;
        let request = Request::post(format!("/settings?csrf_token={}", session.csrf))
            .header(header::COOKIE, &session.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(HttpBody::from("require_approval=on"))
            .expect("request");
        assert_eq!(
            app.send(request).await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    let admin = app.login("zhaoliu").await;
    let request = Request::post("/settings")
        .header(header::COOKIE, &admin.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(HttpBody::from("require_approval=on"))
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::FORBIDDEN);
    for value in ["yes", "", "on\u{202E}", "ON ON"] {
        let request = Request::post(format!("/settings?csrf_token={}", admin.csrf))
            .header(header::COOKIE, &admin.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(HttpBody::from(format!(
                "require_approval={}",
                encode(value)
            )))
            .expect("request");
        let answer = app.send(request).await;
        assert!(
            answer.status.is_client_error(),
            "{value}: {}",
            answer.status
        );
    }
    assert_eq!(app.count().await, count);
    assert!(!app.state.ledger().require_approval().expect("read"));
}

#[tokio::test]
async fn a_decided_batchs_page_and_preview_are_gone() {
    let app = app_requiring_approval().await;
    let id = submit(&app, "付款.csv", &ROWS).await;
    let answer = decide(&app, "sunqi", id, "reject", &json!({"reason": "金额有误"})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let checker = app.login("sunqi").await;
    let request = Request::get(format!("/pending/{id}"))
        .header(header::COOKIE, &checker.cookie)
        .body(HttpBody::empty())
        .expect("request");
    assert_eq!(app.send(request).await.status, StatusCode::NOT_FOUND);
    for route in ["approve", "reject"] {
        let answer = app
            .post_json(
                "sunqi",
                &format!("/api/pending/{id}/{route}"),
                &json!({"reason": "再来"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{route}");
    }
}

/// The seq of the example's payment 付-2022-003, and of another payment.
async fn two_payments(app: &App) -> (u64, u64) {
    let mut seqs = Vec::new();
    for voucher in ["付-2022-003", "付-2022-001"] {
        let page = app
            .get_json(
                "lisi",
                &format!("/api/entries?voucher={}&kind=payment", encode(voucher)),
            )
            .await;
        seqs.push(page["entries"][0]["seq"].as_u64().expect("the payment"));
    }
    (seqs[0], seqs[1])
}

#[tokio::test]
async fn attachment_names_fields_and_addresses_that_reach_too_far_are_refused() {
    let app = App::new();
    let (seq, other) = two_payments(&app).await;
    let uri = format!("/api/entries/{seq}/attachments");
    let before = app.count().await;
    let bytes = b"%PDF-1.4 not much\n".to_vec();

    let too_long = format!("{}.pdf", "a".repeat(200));
    for name in [
        "..\\..\\发票.pdf",
        "a/../../b.pdf",
        "发票\u{202E}fdp.exe",
        "发票\u{202E}gpj.pdf",
        ".pdf",
        "发票.pdf.",
        "发票.PDF\u{200B}",
        "C:发票.pdf",
        too_long.as_str(),
    ] {
        let form = Multipart::default().file("file", name, &bytes);
        let answer = app.upload("zhangsan", &uri, &form).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}: {}",
            answer.text()
        );
    }
    // A control character in the part's header: the form itself is unreadable.
    let form = Multipart::default().file("file", "发票\u{0001}.pdf", &bytes);
    let answer = app.upload("zhangsan", &uri, &form).await;
    assert!(answer.status.is_client_error(), "{}", answer.text());
    // Two files in one form, or the file under another field's name.
    let two = Multipart::default()
        .file("file", "一.pdf", &bytes)
        .file("file", "二.pdf", &bytes);
    assert_eq!(
        app.upload("zhangsan", &uri, &two).await.status,
        StatusCode::BAD_REQUEST
    );
    let wrong = Multipart::default().file("files", "一.pdf", &bytes);
    assert_eq!(
        app.upload("zhangsan", &uri, &wrong).await.status,
        StatusCode::BAD_REQUEST
    );
    // Not a form at all.
    let answer = app
        .post_json("zhangsan", &uri, &json!({"file": "AAAA"}))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    // Entries that take no documents: a user's, a setting's.
    let user_seq = app
        .state
        .ledger()
        .user("zhangsan")
        .expect("read")
        .expect("user")
        .seq;
    let form = Multipart::default().file("file", "发票.pdf", &bytes);
    let answer = app
        .upload(
            "zhangsan",
            &format!("/api/entries/{user_seq}/attachments"),
            &form,
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    for bad in ["0", "-1", "99999999999999999999", "1;drop"] {
        let answer = app
            .upload(
                "zhangsan",
                &format!("/api/entries/{bad}/attachments"),
                &form,
            )
            .await;
        assert!(answer.status.is_client_error(), "{bad}: {}", answer.status);
    }
    assert_eq!(app.count().await, before, "a refused upload posted");

    // A document of one entry is not reachable through another's address.
    let answer = app.upload("zhangsan", &uri, &form).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let hash = answer.json()["hash"].as_str().expect("hash").to_string();
    let answer = app
        .get("lisi", &format!("/api/entries/{other}/attachments/{hash}"))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.len() < 400 && !answer.body.starts_with(b"%PDF"));
    for bad in [
        "00",
        "zz",
        &hash[..63],
        &format!("{hash}00"),
        "..%2F..%2Fetc%2Fpasswd",
    ] {
        let answer = app
            .get("lisi", &format!("/api/entries/{seq}/attachments/{bad}"))
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{bad}");
    }
    // Upper case is the same document; HEAD gives the headers and no body.
    let answer = app
        .get(
            "lisi",
            &format!("/api/entries/{seq}/attachments/{}", hash.to_uppercase()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body.as_ref(), bytes.as_slice());
    let request = Request::head(format!("/api/entries/{seq}/attachments/{hash}"))
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", app.token("lisi")),
        )
        .body(HttpBody::empty())
        .expect("request");
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.is_empty());
    assert_eq!(answer.header("content-type"), "application/octet-stream");
    assert!(answer
        .header("content-disposition")
        .starts_with("attachment;"));
}

/// A batch made from the CLI under the checker's name spelled another way (a trailing space,
/// full-width letters, another case): still the checker's own, refused.
#[tokio::test]
async fn nobody_approves_their_own_batch_under_another_spelling() {
    let app = app_requiring_approval().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut ids = Vec::new();
    for (i, maker) in ["sunqi ", "ｓｕｎｑｉ", "SunQi"].into_iter().enumerate() {
        let path = dir.path().join(format!("p{i}.csv"));
        let voucher = format!("付-2022-5{i:02}");
        std::fs::write(&path, payments_csv(&[(&voucher, "2022-12-29", "1.00")])).expect("write");
        let (committed, tally) = app
            .state
            .write(move |ledger| {
                taizhang_posting::import(
                    ledger,
                    &[path],
                    None,
                    maker,
                    taizhang_posting::ImportOptions::default(),
                )
            })
            .await
            .expect("turn")
            .expect("import");
        assert!(committed, "{:?}", tally.problems);
        ids.push(tally.pending.expect("pending"));
    }
    // The operator is stored trimmed.
    let list = app.get_json("lisi", "/api/pending").await;
    assert_eq!(list["pending"][0]["maker"], "sunqi");
    let count = app.count().await;
    for id in &ids {
        for route in ["approve", "reject"] {
            let answer = app
                .post_json(
                    "sunqi",
                    &format!("/api/pending/{id}/{route}"),
                    &json!({"reason": "自己的"}),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{id}/{route}: {}",
                answer.text()
            );
        }
    }
    assert_eq!(app.count().await, count);
    assert_eq!(pending_ids(&app).await, ids);
}
