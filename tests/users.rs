//! `taizhang user …` end to end: roles in the chain, passwords only as hashes and never in an
//! archive, and what a CLI command is told while `taizhang serve` holds the ledger.

mod common;

use std::io::Write;

use common::{serve, TestLedger, INIT_ENTRIES};

const PASSWORD: &str = "口令-correct-horse";

fn add(ledger: &TestLedger, name: &str, role: &str) -> String {
    let out = ledger
        .cmd(&["user", "add", name, "--role", role, "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "user add failed: {stderr}");
    stderr
}

#[test]
fn users_and_their_roles_are_entries_of_the_chain() {
    let ledger = TestLedger::new();
    assert!(add(&ledger, "张会计", "maker").contains("已添加用户 张会计（制单）"));
    add(&ledger, "李审计", "auditor");
    // A role change is a new entry; the password stays.
    let changed = ledger
        .cmd(&["user", "add", "李审计", "--role", "viewer"])
        .output()
        .expect("runs");
    assert!(changed.status.success());
    ledger.ok(&["user", "disable", "张会计"]);
    let (count, _) = ledger.head();
    assert_eq!(count, INIT_ENTRIES + 4, "add, add, role change, disable");
    let list = ledger.ok(&["user", "list"]);
    let line = |name: &str| {
        list.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} listed in {list}"))
            .to_string()
    };
    assert!(
        line("张会计").contains("制单（maker）\t停用\t已设"),
        "{list}"
    );
    assert!(
        line("李审计").contains("查看（viewer）\t启用\t已设"),
        "{list}"
    );
    // Nothing posted when the user already stands so.
    let again = ledger.ok_stderr(&["user", "disable", "张会计"]);
    assert!(again.contains("已是停用状态"), "{again}");
    assert_eq!(ledger.head().0, INIT_ENTRIES + 4);
}

#[test]
fn a_password_is_stored_only_as_its_argon2id_hash_and_never_archived() {
    let ledger = TestLedger::new();
    add(&ledger, "张会计", "maker");
    ledger.ok(&["user", "token", "张会计"]);
    let bytes = std::fs::read(&ledger.path).expect("ledger readable");
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        !contains(PASSWORD.as_bytes()),
        "the password is not in the file"
    );
    assert!(contains(b"$argon2id$"), "its hash is");
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", archive.to_str().expect("utf-8")]);
    let archived = std::fs::read_to_string(&archive).expect("archive readable");
    assert!(archived.contains("张会计"), "the user entry is archived");
    assert!(!archived.contains("argon2") && !archived.contains(PASSWORD));
    // A ledger restored from the archive has the user and role, but no password to log in with.
    let restored = TestLedger::uninitialised();
    restored.ok(&["restore", archive.to_str().expect("utf-8")]);
    let list = restored.ok(&["user", "list"]);
    assert!(
        list.contains("张会计\t制单（maker）\t启用\t未设\t0"),
        "{list}"
    );
}

#[test]
fn a_token_is_printed_once_and_stored_hashed() {
    let ledger = TestLedger::new();
    add(&ledger, "张会计", "maker");
    let token = ledger.ok(&["user", "token", "张会计"]);
    let token = token.trim();
    assert_eq!(token.len(), 64, "256 bits in hex: {token}");
    let bytes = std::fs::read(&ledger.path).expect("ledger readable");
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token itself is not stored"
    );
    assert!(ledger.ok(&["user", "list"]).contains("已设\t1"));
}

#[test]
fn bad_names_roles_and_passwords_are_refused_and_nothing_is_posted() {
    let ledger = TestLedger::new();
    let refused = |args: &[&str], stdin: &str| {
        let out = ledger.cmd(args).write_stdin(stdin).output().expect("runs");
        assert!(!out.status.success(), "{args:?} should be refused");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let short = refused(
        &[
            "user",
            "add",
            "张会计",
            "--role",
            "maker",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(short.contains("口令至少 8 个字符"), "{short}");
    let role = refused(&["user", "add", "张会计", "--role", "boss"], "");
    assert!(role.contains("未知的角色“boss”"), "{role}");
    let name = refused(&["user", "add", "张 会计", "--role", "maker"], "");
    assert!(name.contains("用户名不能含空白"), "{name}");
    let unknown = refused(&["user", "disable", "王五"], "");
    assert!(unknown.contains("没有用户 王五"), "{unknown}");
    // The operator goes into the chain: no bidirectional override, control character or blank.
    for operator in ["管理\u{202E}员", "a\u{0007}b", " "] {
        let said = refused(
            &[
                "user",
                "add",
                "张会计",
                "--role",
                "maker",
                "--password-stdin",
                "--operator",
                operator,
            ],
            &format!("{PASSWORD}\n"),
        );
        assert!(said.contains("--operator"), "{operator:?}: {said}");
        let said = refused(&["unit", "--name", "某单位", "--operator", operator], "");
        assert!(said.contains("--operator"), "{operator:?}: {said}");
    }
    assert_eq!(ledger.head().0, INIT_ENTRIES);
}

#[test]
fn verify_notices_a_changed_role() {
    let ledger = TestLedger::new();
    add(&ledger, "李审计", "auditor");
    // The record stores the name (UTF-8), then the role as one byte (auditor 3, admin 0), then
    // whether the user is active (1). Make the auditor an admin.
    let mut bytes = std::fs::read(&ledger.path).expect("readable");
    let mut stored = "李审计".as_bytes().to_vec();
    stored.extend([3u8, 1u8]);
    let at = bytes
        .windows(stored.len())
        .position(|w| w == stored.as_slice())
        .expect("the user entry is stored as written");
    bytes[at + stored.len() - 2] = 0;
    std::fs::write(&ledger.path, &bytes).expect("writable");
    let out = ledger.cmd(&["verify"]).output().expect("runs");
    assert!(!out.status.success(), "a changed role fails verify");
    let list = ledger.cmd(&["user", "list"]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&list.stderr);
    assert!(
        !list.status.success() && stderr.contains("用户记录"),
        "no one's rights are read from a changed entry: {stderr}"
    );
}

#[test]
fn a_command_is_told_where_the_server_is_while_it_holds_the_ledger() {
    let ledger = TestLedger::new();
    add(&ledger, "张会计", "maker");
    let (server, address) = serve(&ledger);
    let refused = ledger.refused(&["report", "table7", "--year", "2022"]);
    assert!(
        refused.contains("正由网页工作台 taizhang serve 使用") && refused.contains(&address),
        "{refused}"
    );
    // The server answers there.
    let mut stream = std::net::TcpStream::connect(&address).expect("the server listens");
    write!(
        stream,
        "GET /api/session HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("sends");
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).expect("answers");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    drop(server);
}

#[test]
fn serve_refuses_a_public_address_without_tls() {
    let ledger = TestLedger::new();
    let refused = ledger.refused(&["serve", "--listen", "0.0.0.0:0"]);
    assert!(
        refused.contains("--tls-cert") && refused.contains("--insecure-http"),
        "{refused}"
    );
    let bad = ledger.refused(&["serve", "--listen", "localhost"]);
    assert!(bad.contains("--listen 应为“地址:端口”"), "{bad}");
}
