//! Maker-checker through the binary (issue 18): `settings` as entries of the chain, a maker's import
//! pending and invisible, `pending` and `pending show`, `show` naming maker and checker, a pending
//! batch surviving a server restart, kill -9 during an approval (the batch pending and none of it in
//! the chain, or all of it posted and not pending — never half), and a changed byte in a pending
//! record found by `verify`.

mod common;

use std::io::{Read, Write};
use std::time::Instant;

use common::*;
use serde_json::Value;

const MAKER: &str = "张制单";
const CHECKER: &str = "李审核";

fn add_user(ledger: &TestLedger, name: &str, role: &str) {
    let out = ledger
        .cmd(&["user", "add", name, "--role", role, "--password-stdin"])
        .write_stdin("口令-approval-2022\n")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn token(ledger: &TestLedger, name: &str) -> String {
    ledger.ok(&["user", "token", name]).trim().to_string()
}

/// A ledger with the example posted, a maker and a checker, and approval required.
fn office() -> TestLedger {
    let ledger = TestLedger::new();
    ledger.import(&[&example()]);
    add_user(&ledger, MAKER, "maker");
    add_user(&ledger, CHECKER, "checker");
    ledger.ok(&[
        "settings",
        "--require-approval",
        "on",
        "--operator",
        "王管理",
    ]);
    ledger
}

fn count(ledger: &TestLedger) -> u64 {
    ledger.head().0
}

fn pending_json(ledger: &TestLedger) -> Value {
    ledger.json(&["pending"])
}

#[test]
fn settings_are_entries_of_the_chain() {
    let ledger = TestLedger::new();
    assert!(ledger.ok(&["settings"]).contains("入账须经审核：关（off）"));
    let on = ledger.ok_stderr(&[
        "settings",
        "--require-approval",
        "on",
        "--operator",
        "王管理",
    ]);
    assert!(on.contains("已记录设置"), "{on}");
    assert!(ledger.ok(&["settings"]).contains("入账须经审核：开（on）"));
    let again = ledger.ok_stderr(&["settings", "--require-approval", "on"]);
    assert!(again.contains("未记账"), "{again}");
    ledger.ok(&["settings", "--require-approval", "off"]);
    assert!(ledger.ok(&["settings"]).contains("入账须经审核：关（off）"));
    let log = ledger.ok(&["log", "--format", "json"]);
    let settings: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(|e| e["kind"] == "setting")
        .collect();
    assert_eq!(settings.len(), 2);
    assert_eq!(settings[0]["operator"], "王管理");
    assert_eq!(settings[0]["body"]["setting"]["require_approval"], true);
    assert_eq!(settings[0]["body"]["setting"]["number"], 1);
    assert_eq!(settings[1]["body"]["setting"]["require_approval"], false);
    assert_eq!(settings[1]["operator"], "测试员");
    ledger.ok(&["verify"]);
    // A bad value is clap's misuse (exit 2).
    let out = ledger
        .cmd(&["settings", "--require-approval", "maybe"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_makers_import_waits_invisible_and_is_listed() {
    let ledger = office();
    let before = count(&ledger);
    let table_before = ledger.ok(&["report", "table7", "--year", "2022", "--format", "json"]);
    let file = ledger.file("待审付款.csv", &payments_csv(3, "审-"));
    let out = ledger
        .cmd(&["import", file.to_str().expect("path"), "--operator", MAKER])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("已提交待审批次 1：3 条，待审核人批准后入账"),
        "{stderr}"
    );
    assert_eq!(count(&ledger), before, "a pending batch entered the chain");
    assert_eq!(
        ledger.ok(&["report", "table7", "--year", "2022", "--format", "json"]),
        table_before
    );
    assert!(!ledger.ok(&["log"]).contains("审-00000000"));

    let list = ledger.ok(&["pending"]);
    assert!(
        list.contains("待审批次 1") && list.contains(MAKER) && list.contains("3 条"),
        "{list}"
    );
    let json = pending_json(&ledger);
    let batch = &json["pending"][0];
    assert_eq!(batch["id"], 1);
    assert_eq!(batch["maker"], MAKER);
    assert_eq!(batch["action"], "import");
    assert_eq!(batch["rows"].as_array().map(Vec::len), Some(3));
    assert!(batch["rows"][0]["source"]
        .as_str()
        .unwrap_or("")
        .ends_with("待审付款.csv:2"));
    let file_line = batch["files"][0].as_str().expect("file line");
    let size = std::fs::metadata(&file).expect("file").len();
    assert!(
        file_line.contains(&format!(" · {size} 字节 · sm3:")),
        "{file_line}"
    );

    let shown = ledger.ok(&["pending", "show", "1"]);
    assert!(
        shown.contains("审-00000002") || shown.contains("凭证"),
        "{shown}"
    );
    assert!(shown.contains("现在批准：可以入账"), "{shown}");
    assert!(shown.contains("表7将改变的数字"), "{shown}");
    let preview = ledger.json(&["pending", "show", "1"]);
    assert_eq!(preview["problems"].as_array().map(Vec::len), Some(0));
    assert!(preview["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .any(|c| c["code"] == "2290402" && c["column"] == "expense"));
    assert_eq!(count(&ledger), before, "pending show posted");
    let missing = ledger.refused(&["pending", "show", "9"]);
    assert!(missing.contains("没有待审批次 9"), "{missing}");

    // A second batch takes the next id; post and reverse wait too.
    let post = ledger.ok_stderr(&[
        "post",
        "--operator",
        MAKER,
        "receipt",
        "--voucher-no",
        "收-审-1",
        "--date",
        "2022-12-01",
        "--fund",
        "政府性基金预算",
        "--function-code",
        "2290402",
        "--amount",
        "5.00",
    ]);
    assert!(post.contains("已提交待审批次 2：1 条"), "{post}");
    let reverse = ledger.ok_stderr(&[
        "reverse",
        "--voucher",
        "付-2022-001",
        "--date",
        "2022-12-02",
        "--reason",
        "重复",
        "--operator",
        MAKER,
    ]);
    assert!(reverse.contains("已提交待审批次 3：1 条"), "{reverse}");
    assert_eq!(count(&ledger), before);
    ledger.ok(&["verify"]);
    // A backup is a copy of the file: the pending batches go with it. The archive is the chain
    // only: a ledger restored from it has none (docs/decisions.md).
    let copy = ledger.dir.path().join("备份.ledger");
    ledger.ok(&["backup", "--out", copy.to_str().expect("path")]);
    let backed_up = TestLedger::uninitialised();
    std::fs::rename(&copy, &backed_up.path).expect("move");
    assert_eq!(pending_json(&backed_up), pending_json(&ledger));
    let archive = ledger.dir.path().join("归档.jsonl");
    ledger.ok(&["archive", "--out", archive.to_str().expect("path")]);
    let restored = TestLedger::uninitialised();
    restored.ok(&["restore", archive.to_str().expect("path")]);
    assert_eq!(pending_json(&restored)["pending"], serde_json::json!([]));
    assert_eq!(count(&restored), before);
}

/// A line of a pending record's stored bytes changed in the file: `verify` names the batch, and
/// nothing reads the batch as if it were sound.
#[test]
fn a_changed_byte_in_a_pending_record_is_found_by_verify() {
    let ledger = office();
    let file = ledger.file("待审文件.csv", &payments_csv(2, "翻-"));
    ledger.ok(&["import", file.to_str().expect("path"), "--operator", MAKER]);
    ledger.ok(&["verify"]);
    let mut bytes = std::fs::read(&ledger.path).expect("readable");
    let needle = "待审文件.csv:2".as_bytes();
    let mut changed = 0;
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(needle.len()).position(|w| w == needle) {
        let end = at + found + needle.len();
        bytes[end - 1] = b'7';
        changed += 1;
        at = end;
    }
    assert!(changed > 0, "the pending record is stored as written");
    std::fs::write(&ledger.path, &bytes).expect("writable");
    let out = ledger.cmd(&["verify"]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("待审批次 1：内容与哈希不符"),
        "{stdout}{stderr}"
    );
    let list = ledger.cmd(&["pending"]).output().expect("runs");
    assert!(!list.status.success());
    assert!(String::from_utf8_lossy(&list.stderr).contains("待审批次 1"));
}

// ---- the server ----

fn request(
    address: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> std::net::TcpStream {
    let mut stream = std::net::TcpStream::connect(address).expect("the server listens");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("sends");
    stream
}

/// Sends a request and reads the whole answer: status and body.
fn http(address: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut stream = request(address, method, path, token, body);
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answers");
    let status = answer
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

#[test]
fn a_pending_batch_survives_a_server_restart() {
    let ledger = office();
    let maker = token(&ledger, MAKER);
    let (server, address) = serve(&ledger);
    let (status, body) = http(
        &address,
        "POST",
        "/api/post",
        &maker,
        r#"{"kind": "receipt", "voucher_no": "收-重启-1", "date": "2022-12-01", "fund": "政府性基金预算", "function_code": "2290402", "amount": "7.00"}"#,
    );
    assert_eq!(status, 202, "{body}");
    assert!(body.contains(r#""pending":1"#), "{body}");
    drop(server);
    let (_server, address) = serve(&ledger);
    let (status, body) = http(&address, "GET", "/api/pending", &maker, "");
    assert_eq!(status, 200, "{body}");
    let list: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(list["pending"][0]["id"], 1);
    assert_eq!(list["pending"][0]["maker"], MAKER);
    assert_eq!(
        list["pending"][0]["rows"][0]["body"]["receipt"]["voucher_no"],
        "收-重启-1"
    );
}

/// What a killed approval left: (entries in the chain, whether batch 1 is still pending).
fn state_after(ledger: &TestLedger) -> (u64, bool) {
    let out = ledger.cmd(&["verify"]).output().expect("runs");
    assert!(
        out.status.success(),
        "verify after a kill: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let pending = pending_json(ledger)["pending"]
        .as_array()
        .is_some_and(|b| b.iter().any(|b| b["id"] == 1));
    (count(ledger), pending)
}

/// kill -9 at several moments after the approval of a large batch was sent: every time the batch
/// is either still pending with none of it in the chain, or posted whole and no longer pending.
#[test]
fn kill_9_during_an_approval_leaves_the_batch_pending_or_posted_never_half() {
    let rows: usize = std::env::var("TAIZHANG_APPROVAL_KILL_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let base = office();
    let file = base.file("大批付款.csv", &payments_csv(rows, "杀-"));
    let submitted = base.ok_stderr(&["import", file.to_str().expect("path"), "--operator", MAKER]);
    assert!(
        submitted.contains(&format!("已提交待审批次 1：{rows} 条")),
        "{submitted}"
    );
    let checker = token(&base, CHECKER);
    let before = count(&base);
    let posted = before + 1 + rows as u64;
    let pristine = std::fs::read(&base.path).expect("the ledger");
    let trial = || {
        let ledger = TestLedger::uninitialised();
        std::fs::write(&ledger.path, &pristine).expect("a copy");
        ledger
    };

    // Once whole: the duration the kills are spread over, and the approved batch as it should be.
    let whole = trial();
    let (server, address) = serve(&whole);
    let started = Instant::now();
    let (status, body) = http(&address, "POST", "/api/pending/1/approve", &checker, "{}");
    let duration = started.elapsed();
    assert_eq!(status, 200, "{body}");
    drop(server);
    assert_eq!(state_after(&whole), (posted, false));
    let shown = whole.ok(&["show", "杀-00000000"]);
    assert!(shown.contains(&format!("制单：{MAKER}")), "{shown}");
    assert!(
        shown.contains(&format!("审核：{CHECKER}（第 {} 条审核记录）", before + 1)),
        "{shown}"
    );

    let mut outcomes = Vec::new();
    for fraction in [0.0, 0.1, 0.3, 0.5, 0.7, 0.9] {
        let ledger = trial();
        let (mut server, address) = serve(&ledger);
        let stream = request(&address, "POST", "/api/pending/1/approve", &checker, "{}");
        std::thread::sleep(duration.mul_f64(fraction));
        server.0.kill().expect("kill -9");
        let _ = server.0.wait();
        drop(stream);
        let state = state_after(&ledger);
        assert!(
            state == (before, true) || state == (posted, false),
            "killed at {fraction} of the approval: {} entries (before {before}, posted {posted}), pending {}",
            state.0,
            state.1
        );
        outcomes.push(state.1);
    }
    println!("kills that left the batch pending: {:?}", outcomes);
}
