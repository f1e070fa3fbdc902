//! What the browser tests stand on: a ledger of the bundled example with one user per role, the real
//! `taizhang serve` on a free loopback port, Debian's chromedriver driving a headless Chromium, and a
//! few helpers that read the page contract of docs (element ids and classes).
//!
//! Chromium and its driver are required: when they are missing the tests fail and say how to install
//! them (`.ci/run` does), rather than pass without having looked at a page.

#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// The people of the test ledger: name, role word for `user add`, password.
pub const MAKER: (&str, &str, &str) = ("会计", "maker", "maker-口令-2022");
pub const AUDITOR: (&str, &str, &str) = ("审计", "auditor", "auditor-口令-2022");
pub const VIEWER: (&str, &str, &str) = ("主任", "viewer", "viewer-口令-2022");
pub const ADMIN: (&str, &str, &str) = ("管理员", "admin", "admin-口令-2022");
pub const CHECKER: (&str, &str, &str) = ("复核", "checker", "checker-口令-2022");

/// How long a page may take to show what a step waits for. A bound, not a measure: the steps wait
/// for elements, never for a time.
const PATIENCE: Duration = Duration::from_secs(30);

/// Chromium's flags that work on this machine's closed network (no background fetches, no sandbox
/// as root) at the size of a common government PC's screen.
const CHROMIUM_FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1366,768",
];

/// A program the tests need, or a failure that says how to get it.
fn required(variable: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "the browser tests need {} (Debian package {package}); install it with \
         `apt-get install -y chromium chromium-driver` (.ci/run does), or set {variable}",
        path.display()
    );
    path
}

/// A child process ended with its whole process group when dropped: chromedriver's Chromium with it.
struct Guard(std::process::Child);

impl Drop for Guard {
    fn drop(&mut self) {
        // The group id is the child's id (process_group(0)); a negative pid names the group.
        let group = -(self.0.id() as i32);
        // SAFETY: kill(2) with a process group id this test created; no memory is touched.
        unsafe {
            libc::kill(group, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Waits until something listens on `port`, or the child has ended (then says why).
fn wait_listening(child: &mut std::process::Child, port: u16, what: &str) {
    for _ in 0..600 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            panic!("{what} ended ({status}) before listening on port {port}: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not listen on port {port} within a minute");
}

/// The program under test, built by cargo for this test.
pub fn taizhang() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taizhang"));
    command.env_remove("TAIZHANG_LEDGER").env("USER", "会计");
    command
}

/// The bundled example's folder.
pub fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ledger-data/qingshan-2022")
}

/// A ledger of the bundled example in a temporary folder, with one user per role.
pub struct TestLedger {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TestLedger {
    pub fn example() -> TestLedger {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("qingshan.ledger");
        let ledger = TestLedger { dir, path };
        ledger.ok(&[
            "init",
            "--unit",
            "武汉市青山区大数据中心",
            "--short-name",
            "青山区大数据中心",
        ]);
        // Imported from the example's parent folder, so that sources read "qingshan-2022/…" (as in
        // the guide and its screenshots) rather than this machine's path.
        let out = taizhang()
            .current_dir(example().parent().expect("ledger-data"))
            .arg("--ledger")
            .arg(&ledger.path)
            .args(["import", "qingshan-2022"])
            .output()
            .expect("the binary runs");
        assert!(
            out.status.success(),
            "importing the example failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for user in [MAKER, AUDITOR, VIEWER, ADMIN, CHECKER] {
            ledger.add_user(user);
        }
        ledger
    }

    /// Runs a command on the ledger that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = taizhang()
            .arg("--ledger")
            .arg(&self.path)
            .args(args)
            .output()
            .expect("the binary runs");
        assert!(
            out.status.success(),
            "taizhang {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 stdout")
    }

    fn add_user(&self, (name, role, password): (&str, &str, &str)) {
        let mut child = taizhang()
            .arg("--ledger")
            .arg(&self.path)
            .args(["user", "add", name, "--role", role, "--password-stdin"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{password}").expect("the password is written");
        }
        let out = child.wait_with_output().expect("user add ends");
        assert!(
            out.status.success(),
            "user add {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `taizhang serve` on the ledger, chromedriver, and a browser session on it.
pub struct Workspace {
    pub client: Client,
    pub base: String,
    // Dropped in this order: the server, the driver with its browser, then the folders they used.
    _server: Guard,
    _driver: Guard,
    _profile: tempfile::TempDir,
    pub ledger: TestLedger,
}

impl Workspace {
    /// The example ledger served, and a fresh headless Chromium pointed at it.
    pub async fn start() -> Workspace {
        Workspace::start_on(TestLedger::example()).await
    }

    /// `ledger` served, and a fresh headless Chromium pointed at it.
    pub async fn start_on(ledger: TestLedger) -> Workspace {
        let chromium = required("TAIZHANG_CHROMIUM", "/usr/bin/chromium", "chromium");
        let chromedriver = required(
            "TAIZHANG_CHROMEDRIVER",
            "/usr/bin/chromedriver",
            "chromium-driver",
        );
        let server_port = free_port();
        let mut server = taizhang()
            .arg("--ledger")
            .arg(&ledger.path)
            .args(["serve", "--listen", &format!("127.0.0.1:{server_port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("taizhang serve starts");
        wait_listening(&mut server, server_port, "taizhang serve");
        let server = Guard(server);

        let driver_port = free_port();
        let mut driver = Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        wait_listening(&mut driver, driver_port, "chromedriver");
        let driver = Guard(driver);

        let profile = tempfile::tempdir().expect("a profile folder");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .expect("chromedriver opens a Chromium session");
        Workspace {
            client,
            base: format!("http://127.0.0.1:{server_port}"),
            _server: server,
            _driver: driver,
            _profile: profile,
            ledger,
        }
    }

    /// Ends the browser session (the guards end the processes).
    pub async fn finish(self) {
        let _ = self.client.clone().close().await;
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    /// The path (and query) the browser shows.
    pub async fn path(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .expect("the current address");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits for an element, failing with the page's address and text when it never comes.
    pub async fn wait(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!(
                "no `{css}` on {} ({e}); the page says:\n{}",
                self.path().await,
                self.body_text().await
            ),
        }
    }

    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("looking for `{css}`: {e}"))
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self.all(css).await.is_empty()
    }

    pub async fn text(&self, css: &str) -> String {
        let element = self.wait(css).await;
        element.text().await.expect("an element's text")
    }

    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Sets a form field's value as a script would: date inputs take typed keys in the browser's
    /// locale order, a value set directly is the same everywhere.
    pub async fn set_value(&self, css: &str, value: &str) {
        let element = self.wait(css).await;
        let element = serde_json::to_value(&element).expect("an element as a script argument");
        self.client
            .execute(
                "arguments[0].value = arguments[1]; return arguments[0].value;",
                vec![element, json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("setting `{css}`: {e}"));
    }

    /// Types into a field after clearing it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.wait(css).await;
        element.clear().await.expect("a field clears");
        element.send_keys(text).await.expect("keys are typed");
    }

    pub async fn click(&self, css: &str) {
        let element = self.wait(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking `{css}`: {e}"));
    }

    /// Logs in through the login form and waits until the browser has left /login.
    pub async fn login(&self, (name, _, password): (&str, &str, &str)) {
        self.goto("/login").await;
        self.type_into("form.login input[name=username]", name)
            .await;
        self.type_into("form.login input[name=password]", password)
            .await;
        self.click("form.login button[type=submit]").await;
        for _ in 0..300 {
            if !self.path().await.starts_with("/login") {
                return;
            }
            if self.exists("p.error").await {
                panic!("login as {name} refused: {}", self.text("p.error").await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("login as {name} did not leave /login");
    }

    /// A request made by the page's own JavaScript with the session's cookie (as a forged form or a
    /// script on the page would): returns the status and the body's text. `csrf` goes in the
    /// `X-CSRF-Token` header when given; redirects are not followed (status 0 for one).
    pub async fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Body<'_>,
        csrf: Option<&str>,
    ) -> (u16, String) {
        let script = r#"
            const [method, path, body, csrf, done] = arguments;
            const headers = {};
            if (csrf !== null) headers['X-CSRF-Token'] = csrf;
            let payload;
            if (body.kind === 'json') {
                headers['Content-Type'] = 'application/json';
                payload = JSON.stringify(body.value);
            } else if (body.kind === 'form') {
                payload = new URLSearchParams(body.value);
            } else if (body.kind === 'multipart') {
                payload = new FormData();
                for (const [name, value] of body.value.fields) payload.append(name, value);
                for (const file of body.value.files) {
                    payload.append('files', new Blob([file.text], { type: 'text/csv' }), file.name);
                }
            }
            fetch(path, { method, headers, body: payload, redirect: 'manual', credentials: 'same-origin' })
                .then(async r => done([r.status, await r.text()]))
                .catch(e => done([-1, String(e)]));
        "#;
        let body = match body {
            Body::None => json!({ "kind": "none" }),
            Body::Json(value) => json!({ "kind": "json", "value": value }),
            Body::Form(pairs) => json!({ "kind": "form", "value": pairs }),
            Body::Multipart { fields, files } => {
                let files: Vec<Value> = files
                    .iter()
                    .map(|(name, text)| json!({ "name": name, "text": text }))
                    .collect();
                json!({ "kind": "multipart", "value": { "fields": fields, "files": files } })
            }
        };
        let answer = self
            .client
            .execute_async(script, vec![json!(method), json!(path), body, json!(csrf)])
            .await
            .unwrap_or_else(|e| panic!("{method} {path} from the page: {e}"));
        let status = answer[0].as_i64().unwrap_or(-1);
        let text = answer[1].as_str().unwrap_or_default().to_string();
        assert!(status >= 0, "{method} {path} from the page failed: {text}");
        (status as u16, text)
    }

    /// A GET of a JSON API answer with the session's cookie.
    pub async fn api(&self, path: &str) -> Value {
        let (status, text) = self.fetch("GET", path, Body::None, None).await;
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("GET {path} is not JSON ({e}): {text}"))
    }

    /// How many entries the chain holds, as `GET /api/verify` says (and that it verifies).
    pub async fn entry_count(&self) -> u64 {
        let verify = self.api("/api/verify").await;
        assert_eq!(verify["ok"], json!(true), "the chain verifies: {verify}");
        verify["count"]
            .as_u64()
            .unwrap_or_else(|| panic!("/api/verify has a count: {verify}"))
    }

    /// The session's CSRF token, as `GET /api/session` gives it to the page's scripts.
    pub async fn csrf_token(&self) -> String {
        let session = self.api("/api/session").await;
        session["csrf_token"]
            .as_str()
            .unwrap_or_else(|| panic!("/api/session has a csrf_token: {session}"))
            .to_string()
    }

    /// The sequence number of the entry page the browser shows (`/entries/{seq}`).
    pub async fn entry_seq_shown(&self) -> u64 {
        let path = self.path().await;
        path.strip_prefix("/entries/")
            .and_then(|s| s.split(['?', '#']).next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("the browser shows {path}, not an entry page"))
    }

    /// Opens the page of the entry with this voucher number through the journal's filter.
    pub async fn open_voucher(&self, voucher: &str) -> u64 {
        self.goto(&format!("/entries?voucher={}", encode(voucher)))
            .await;
        self.wait("table#entries").await;
        let rows = self.all("table#entries tr.entry").await;
        assert_eq!(
            rows.len(),
            1,
            "the journal filtered by {voucher} shows one entry"
        );
        let link = rows[0]
            .find(Locator::Css("a[href^='/entries/']"))
            .await
            .unwrap_or_else(|e| panic!("the row of {voucher} links to its entry: {e}"));
        link.click().await.expect("the entry link is clicked");
        self.wait("table#entry-fields").await;
        self.entry_seq_shown().await
    }

    /// Sizes the window so that the page itself has `width`×`height` pixels (the window's frame,
    /// which headless Chromium counts in --window-size, added on).
    pub async fn viewport(&self, width: u32, height: u32) {
        for _ in 0..3 {
            let inner = self
                .client
                .execute("return [window.innerWidth, window.innerHeight];", vec![])
                .await
                .expect("the page's size");
            let (w, h) = (
                inner[0].as_u64().unwrap_or(0),
                inner[1].as_u64().unwrap_or(0),
            );
            if (w, h) == (u64::from(width), u64::from(height)) {
                return;
            }
            let (outer_w, outer_h) = self
                .client
                .get_window_size()
                .await
                .expect("the window's size");
            let grow =
                |outer: u64, inner: u64, want: u32| (outer + u64::from(want)).saturating_sub(inner);
            self.client
                .set_window_size(
                    u32::try_from(grow(outer_w, w, width)).unwrap_or(width),
                    u32::try_from(grow(outer_h, h, height)).unwrap_or(height),
                )
                .await
                .expect("the window is resized");
        }
    }

    /// Saves a screenshot of what the browser shows.
    pub async fn screenshot(&self, file: &Path) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(file, png).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
    }
}

/// A request body for [`Workspace::fetch`].
pub enum Body<'a> {
    None,
    Json(Value),
    Form(&'a [(&'a str, &'a str)]),
    Multipart {
        fields: &'a [(&'a str, &'a str)],
        files: &'a [(&'a str, &'a str)],
    },
}

/// Percent-encodes a query value (UTF-8 bytes outside the unreserved set).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An amount in 元 as the pages print it ("69,405,912.36") or as CSV has it, in 分.
pub fn fen(text: &str) -> i64 {
    let plain: String = text.trim().chars().filter(|c| *c != ',').collect();
    let (yuan, jiao_fen) = plain.split_once('.').unwrap_or((&plain, "00"));
    let yuan: i64 = yuan
        .parse()
        .unwrap_or_else(|_| panic!("“{text}” is an amount"));
    let cents: i64 = format!("{jiao_fen:0<2}")
        .parse()
        .unwrap_or_else(|_| panic!("“{text}” is an amount"));
    assert!(jiao_fen.len() <= 2, "“{text}” has at most two decimals");
    yuan * 100 + if yuan < 0 { -cents } else { cents }
}

/// The bundled example's payments: voucher, function code, amount in 分.
pub fn example_payments() -> Vec<(String, String, i64)> {
    let mut reader =
        csv::Reader::from_path(example().join("payments.csv")).expect("the example's payments");
    let headers = reader.headers().expect("a header row").clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("payments.csv has {name}"))
    };
    let (voucher, code, amount) = (
        column("voucher_no"),
        column("function_code"),
        column("amount"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("a payment row");
            (r[voucher].to_string(), r[code].to_string(), fen(&r[amount]))
        })
        .collect()
}
