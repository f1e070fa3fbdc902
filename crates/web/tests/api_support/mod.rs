//! The harness of the HTTP tests: a ledger made from the bundled example (ledger-data/qingshan-2022)
//! with one user of each role, the router built in-process, and requests driven through it with
//! `tower::ServiceExt::oneshot` — every layer (authentication, CSRF, headers, size limits) runs as it
//! does behind a socket.

#![allow(dead_code)] // each test file uses its own part of the harness

use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use taizhang_core::Role;
use taizhang_posting::ImportOptions;
use taizhang_store::{Credentials, HashAlgo, Ledger, UnitNames};
use taizhang_web::{auth, AppState};
use tower::ServiceExt;

pub const YEAR: i32 = 2022;

/// The users every test ledger has: name, role, password.
pub const USERS: [(&str, Role, &str); 5] = [
    ("zhangsan", Role::Maker, "maker-口令-2022"),
    ("lisi", Role::Auditor, "auditor-口令-2022"),
    ("wangwu", Role::Viewer, "viewer-口令-2022"),
    ("zhaoliu", Role::Admin, "admin-口令-2022"),
    ("sunqi", Role::Checker, "checker-口令-2022"),
];

pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ledger-data/qingshan-2022")
}

/// A served ledger: the example posted, the users added, a bearer token for each.
pub struct App {
    pub router: Router,
    pub state: AppState,
    pub tokens: Vec<(String, String)>,
    pub dir: tempfile::TempDir,
}

/// An answer: status, headers, body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A logged-in browser: its session cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl App {
    pub fn new() -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("qingshan.ledger");
        let unit = UnitNames {
            full: "青山区数据局".into(),
            short: "青山数据局".into(),
        };
        let ledger = Ledger::init(&path, unit, HashAlgo::Sm3).expect("init");
        let (committed, tally) = taizhang_posting::import(
            &ledger,
            &[example_dir()],
            None,
            "测试",
            ImportOptions::default(),
        )
        .expect("import");
        assert!(committed, "example refused: {:?}", tally.problems);
        let mut tokens = Vec::new();
        for (name, role, password) in USERS {
            let (token, stored) = auth::new_token().expect("token");
            let credentials = Credentials {
                password: Some(auth::hash_password(password).expect("hash")),
                tokens: vec![stored],
            };
            ledger
                .change_user((name, role, true), Some(&credentials), "测试", "测试")
                .expect("user");
            tokens.push((name.to_string(), token));
        }
        let state = AppState::new(ledger, false);
        App {
            router: taizhang_web::router(state.clone()),
            state,
            tokens,
            dir,
        }
    }

    pub fn token(&self, name: &str) -> &str {
        self.tokens
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .expect("a test user")
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Logs in through the form, then reads the session's CSRF token from /api/session.
    pub async fn login(&self, name: &str) -> Session {
        let password = USERS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, p)| *p)
            .expect("a test user");
        let answer = self.login_with(name, password).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
        let set = answer.header("set-cookie");
        let cookie = set.split(';').next().unwrap_or("").to_string();
        assert!(cookie.starts_with("taizhang_session="), "{set}");
        let request = Request::get("/api/session")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .expect("request");
        let session = self.send(request).await.json();
        let csrf = session["csrf_token"].as_str().unwrap_or("").to_string();
        assert_eq!(csrf.len(), 64, "{session}");
        Session { cookie, csrf }
    }

    pub async fn login_with(&self, name: &str, password: &str) -> Answer {
        let form = format!("username={}&password={}", encode(name), encode(password));
        let request = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .expect("request");
        self.send(request).await
    }

    /// GET with a bearer token.
    pub async fn get(&self, user: &str, uri: &str) -> Answer {
        let request = Request::get(uri)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.token(user)),
            )
            .body(Body::empty())
            .expect("request");
        self.send(request).await
    }

    /// GET with a bearer token, expecting 200 and JSON.
    pub async fn get_json(&self, user: &str, uri: &str) -> Value {
        let answer = self.get(user, uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text());
        answer.json()
    }

    /// POST a JSON body with a bearer token.
    pub async fn post_json(&self, user: &str, uri: &str, body: &Value) -> Answer {
        let request = Request::post(uri)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.token(user)),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        self.send(request).await
    }

    /// POST a multipart upload with a bearer token.
    pub async fn upload(&self, user: &str, uri: &str, form: &Multipart) -> Answer {
        let request = form
            .request(Method::POST, uri)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.token(user)),
            )
            .body(Body::from(form.body()))
            .expect("request");
        self.send(request).await
    }

    /// How many entries the chain holds.
    pub async fn count(&self) -> u64 {
        self.state
            .read(|ledger| ledger.head().map(|h| h.count))
            .await
            .expect("read")
            .expect("head")
    }
}

/// Percent-encodes a form value.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A multipart/form-data body, built by hand.
#[derive(Default)]
pub struct Multipart {
    parts: Vec<u8>,
}

pub const BOUNDARY: &str = "----taizhang-test-boundary-7d3f";

impl Multipart {
    pub fn file(mut self, field: &str, name: &str, content: &[u8]) -> Multipart {
        self.parts.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        self.parts.extend_from_slice(content);
        self.parts.extend_from_slice(b"\r\n");
        self
    }

    pub fn field(mut self, field: &str, value: &str) -> Multipart {
        self.parts.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
        self
    }

    pub fn body(&self) -> Vec<u8> {
        let mut body = self.parts.clone();
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    pub fn request(&self, method: Method, uri: &str) -> axum::http::request::Builder {
        Request::builder().method(method).uri(uri).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
    }
}

/// Payments of 2022 in the example's columns: one good row per voucher given.
pub fn payments_csv(rows: &[(&str, &str, &str)]) -> String {
    let mut text = String::from(
        "voucher_no,date,fund,function_code,expense_type,amount,project_code,contract_no,bond_code,purpose,payee,memo\n",
    );
    for (voucher, date, amount) in rows {
        text.push_str(&format!(
            "{voucher},{date},政府性基金预算,2290402,项目支出,\"{amount}\",QS-ZHXQS-1,,2205187,建设,示例数字科技股份有限公司,测试付款\n"
        ));
    }
    text
}

/// An app with approval required (set by the admin, as an entry of the chain).
pub async fn app_requiring_approval() -> App {
    let app = App::new();
    let seq = app
        .state
        .write(|ledger| ledger.change_setting(true, "zhaoliu", "测试"))
        .await
        .expect("turn")
        .expect("setting");
    assert!(seq.is_some(), "approval was already required");
    app
}

/// The maker's import of payments `rows` as file `name`, which must wait (202): its pending id.
pub async fn submit(app: &App, name: &str, rows: &[(&str, &str, &str)]) -> u64 {
    let csv = payments_csv(rows);
    let form = Multipart::default().file("files", name, csv.as_bytes());
    let answer = app.upload("zhangsan", "/api/import", &form).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text());
    answer.json()["pending"].as_u64().expect("pending id")
}

/// `POST /api/pending/{id}/{decision}` by `user` ("approve" or "reject", with `body`).
pub async fn decide(
    app: &App,
    user: &str,
    id: impl std::fmt::Display,
    decision: &str,
    body: &Value,
) -> Answer {
    app.post_json(user, &format!("/api/pending/{id}/{decision}"), body)
        .await
}

/// A workbook of one sheet named `sheet`, every cell a string (as Excel keeps typed text).
pub fn one_sheet_workbook(sheet: &str, rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let worksheet = book.add_worksheet().set_name(sheet).expect("sheet name");
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            worksheet
                .write_string(r as u32, c as u16, *value)
                .expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

/// A payment sheet's header and one row (支出, the columns an accountant's workbook has).
pub const XLSX_PAYMENT: [&[&str]; 2] = [
    &[
        "凭证号",
        "日期",
        "资金性质",
        "功能分类科目编码",
        "支出类型",
        "金额",
        "收款人",
    ],
    &[
        "付-2022-301",
        "2022-12-30",
        "政府性基金预算",
        "2290402",
        "项目支出",
        "88.80",
        "某公司",
    ],
];
