//! What an attacker tried against `taizhang serve`, each kept as a test of the fix: logins sent at
//! once past the lockout, a flood of logins, huge login bodies and names, a redirect off the site
//! after login, multipart abuse (huge fields, thousands of parts), an address that is not UTF-8, and
//! the security headers on refusals. Driven in-process through every layer, as behind a socket.

mod api_support;

use api_support::{encode, App, Multipart, USERS};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};

/// A login form sent by hand (the harness's `login_with` takes only name and password).
fn login_request(form: String) -> Request<Body> {
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request")
}

/// Wrong passwords sent all at once were each let through the lockout (it was counted after the
/// slow hash): over a real socket 28 of 40 got 401. Now at most five are tried, the rest get 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_passwords_sent_at_once_are_tried_five_times_at_most() {
    let app = std::sync::Arc::new(App::new());
    let mut running = Vec::new();
    for i in 0..20 {
        let app = app.clone();
        running.push(tokio::spawn(async move {
            app.login_with("wangwu", &format!("guess-{i}-not-it"))
                .await
                .status
        }));
    }
    let (mut tried, mut throttled) = (0, 0);
    for handle in running {
        match handle.await.expect("task") {
            StatusCode::UNAUTHORIZED => tried += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((tried, throttled), (5, 15));
    // The right password waits too, until the lockout ends.
    let answer = app.login_with("wangwu", USERS[2].2).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Four wrong passwords, then the right one: logged in, and the count starts again.
#[tokio::test]
async fn the_right_password_within_the_limit_forgives_the_count() {
    let app = App::new();
    for _ in 0..4 {
        let answer = app.login_with("lisi", "not-the-password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.login_with("lisi", USERS[1].2).await.status,
        StatusCode::SEE_OTHER
    );
    for _ in 0..4 {
        let answer = app.login_with("lisi", "not-the-password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
}

/// Each login's Argon2 check takes 19 MiB and a blocking thread: 600 at once over a socket took
/// 1.7 GB and held a reader's request for 11 seconds. Logins now wait for a core, and one beyond
/// the queue is told to come back (503, in Chinese, with Retry-After) without a check.
#[tokio::test]
async fn a_login_beyond_the_queue_is_told_to_come_back_later() {
    let app = App::new();
    let queue = &app.state.inner.logins_waiting;
    let held = queue
        .acquire_many(queue.available_permits() as u32)
        .await
        .expect("permits");
    let answer = app.login_with("lisi", USERS[1].2).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.header("retry-after"), "5");
    assert!(answer.text().contains("登录请求过多"), "{}", answer.text());
    assert_eq!(answer.header("x-frame-options"), "DENY");
    // The login page itself and everything else are served meanwhile.
    let form = Request::get("/login").body(Body::empty()).expect("request");
    assert_eq!(app.send(form).await.status, StatusCode::OK);
    assert_eq!(app.get("lisi", "/api/verify").await.status, StatusCode::OK);
    drop(held);
    assert_eq!(
        app.login_with("lisi", USERS[1].2).await.status,
        StatusCode::SEE_OTHER
    );
}

/// A login body sent without a length was read up to the uploads' 64 MB, and its "name" kept among
/// the failures (50 MB more memory per request, before anyone logged in). Now 1 MB at most.
#[tokio::test]
async fn a_huge_login_body_is_refused_and_a_long_name_not_remembered() {
    let app = App::new();
    let form = format!("username={}&password=x", "a".repeat(2 * 1024 * 1024));
    let answer = app.send(login_request(form)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A name longer than any user's is wrong every time, never locked: it is not remembered.
    let long = "名".repeat(200);
    for _ in 0..7 {
        let answer = app.login_with(&long, "not-the-password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
}

/// `next=/<TAB>/evil.example` became `Location: /\t/evil.example`, which a browser reads as
/// `//evil.example`: off the site after logging in. Every redirect now stays on the site.
#[tokio::test]
async fn after_login_the_browser_stays_on_the_site() {
    let app = App::new();
    let (name, _, password) = USERS[1];
    for (next, expected) in [
        ("/\t/evil.example", "/"),
        ("/\u{3000}/evil.example", "/"),
        ("/table7?year=2022", "/table7?year=2022"),
        ("/entries?payee=%E7%A4%BA", "/entries?payee=%E7%A4%BA"),
    ] {
        let form = format!(
            "username={name}&password={}&next={}",
            encode(password),
            encode(next)
        );
        let answer = app.send(login_request(form)).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(answer.header("location"), expected, "{next:?}");
    }
}

/// A text field of an upload was read whole before its length was checked (a 60 MB `check` sat in
/// memory); now it is refused once past 1 KB. Too many fields and too many files are refused too.
#[tokio::test]
async fn multipart_abuse_is_refused_in_chinese() {
    let app = App::new();
    let before = app.count().await;
    let csv = api_support::payments_csv(&[("付-2022-900", "2022-12-01", "1.00")]);
    let long_field = Multipart::default()
        .field("check", &"1".repeat(100 * 1024))
        .file("files", "a.csv", csv.as_bytes());
    let answer = app.upload("zhangsan", "/api/import", &long_field).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    assert!(answer.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("过长"));

    let mut many_fields = Multipart::default();
    for i in 0..100 {
        many_fields = many_fields.field(&format!("k{i}"), "v");
    }
    let many_fields = many_fields.file("files", "a.csv", csv.as_bytes());
    let answer = app.upload("zhangsan", "/api/import", &many_fields).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    assert!(answer.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("字段过多"));

    let mut many_files = Multipart::default().field("check", "1");
    for i in 0..=taizhang_web::actions::UPLOAD_FILES_MAX {
        many_files = many_files.file("files", &format!("f{i}.csv"), b"x");
    }
    let answer = app.upload("zhangsan", "/api/import", &many_files).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    assert!(answer.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("最多上传"));
    assert_eq!(app.count().await, before, "nothing posted");
}

/// Uploads keep their own limit: a 2 MB file sent without a length is read (and its rows judged),
/// not cut off at the 1 MB every other route now takes.
#[tokio::test]
async fn uploads_still_take_more_than_a_megabyte() {
    let app = App::new();
    let mut csv = api_support::payments_csv(&[("付-2022-900", "2022-12-01", "1.00")]);
    csv.push_str(&format!("# {}\n", "x".repeat(2 * 1024 * 1024)));
    let form = Multipart::default()
        .field("check", "1")
        .file("files", "big.csv", csv.as_bytes());
    let answer = app.upload("zhangsan", "/api/import", &form).await;
    assert_ne!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(answer.status.is_success() || answer.status == StatusCode::UNPROCESSABLE_ENTITY);
}

/// `/api/entries/%FF` was axum's English plain text; now the API's Chinese JSON naming `seq`.
#[tokio::test]
async fn an_address_that_is_not_utf8_is_a_chinese_400() {
    let app = App::new();
    let answer = app.get("lisi", "/api/entries/%FF").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("seq"));
    let session = app.login("zhangsan").await;
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/entries/%FF/reverse?csrf_token={}", session.csrf))
        .header(header::COOKIE, &session.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("date=2022-12-30&reason=x"))
        .expect("request");
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.text().contains("seq"), "{}", answer.text());
}

/// Refusals carry the same headers as pages: 404, 401, 413. An unknown asset's 404 was kept by
/// caches for an hour like the stylesheet; only a served asset is cached now.
#[tokio::test]
async fn refusals_carry_the_security_headers() {
    let app = App::new();
    let requests = [
        Request::get("/no-such-page").body(Body::empty()),
        Request::get("/assets/..%2F..%2FCargo.toml").body(Body::empty()),
        Request::get("/api/verify").body(Body::empty()),
        Request::post("/api/post")
            .header(header::CONTENT_LENGTH, "999999999")
            .body(Body::empty()),
    ];
    for request in requests {
        let answer = app.send(request.expect("request")).await;
        assert!(answer.status.is_client_error(), "{}", answer.status);
        assert_eq!(answer.header("x-frame-options"), "DENY");
        assert_eq!(answer.header("cache-control"), "no-store");
        assert!(answer
            .header("content-security-policy")
            .contains("default-src 'self'"));
    }
}

/// The framework's own refusals were English plain text ("Failed to deserialize form body: missing
/// field `password`", "failed to parse header value" as a 500 after a login whose `next` held a line
/// break). Every refusal is now told in Chinese.
#[tokio::test]
async fn the_frameworks_refusals_are_told_in_chinese() {
    let app = App::new();
    let (name, _, password) = USERS[1];
    let cases = [
        (
            login_request(format!("username={name}")),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            Request::post("/login")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(format!("username={name}&password=x")))
                .expect("request"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            login_request(format!(
                "username={name}&password={}&next=%2F%0D%0AX",
                encode(password)
            )),
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
    ];
    for (request, status) in cases {
        let answer = app.send(request).await;
        assert_eq!(answer.status, status, "{}", answer.text());
        let error = answer.json()["error"].as_str().unwrap_or("").to_string();
        assert!(
            error
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{error}"
        );
    }
}
