//! The helper every end-to-end test drives the real binary through: a ledger in a temporary folder.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// Entries a new ledger holds before anything is posted: `init` chains the unit's names as entry 1.
pub const INIT_ENTRIES: u64 = 1;

pub struct TestLedger {
    pub dir: TempDir,
    pub path: PathBuf,
}

impl TestLedger {
    /// A new, empty ledger for 测试单位.
    pub fn new() -> TestLedger {
        let ledger = TestLedger::uninitialised();
        ledger.ok(&["init", "--unit", "测试单位"]);
        ledger
    }

    pub fn uninitialised() -> TestLedger {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("test.ledger");
        TestLedger { dir, path }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("taizhang").expect("the binary is built");
        cmd.arg("--ledger")
            .arg(&self.path)
            .args(args)
            .env_remove("TAIZHANG_LEDGER")
            .env("USER", "测试员");
        cmd
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "taizhang {args:?} failed: {stderr}");
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// Runs a command that must be refused with exit status 1; returns its stderr.
    pub fn refused(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("the binary runs");
        let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert_eq!(
            out.status.code(),
            Some(1),
            "taizhang {args:?} should be refused; stderr: {stderr}"
        );
        stderr
    }

    /// Runs a command that must succeed; returns its stderr (summaries, warnings).
    pub fn ok_stderr(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("the binary runs");
        let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        assert!(out.status.success(), "taizhang {args:?} failed: {stderr}");
        stderr
    }

    /// The procurement paragraph of a year, with any further options (the wording of the share).
    pub fn procurement_text(&self, year: &str, options: &[&str]) -> String {
        let mut args = vec!["report", "procurement", "--year", year, "--format", "text"];
        args.extend(options);
        self.ok(&args)
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&args)).expect("reports print JSON")
    }

    /// Entry count and head hash, as `verify` prints them; asserts the ledger verifies.
    pub fn head(&self) -> (u64, String) {
        let out = self.ok(&["verify"]);
        let count = out
            .lines()
            .find_map(|l| l.strip_prefix("记录数："))
            .expect("a count line")
            .trim()
            .parse()
            .expect("a number");
        let hash = out
            .lines()
            .find_map(|l| l.split_once("）：").map(|(_, h)| h.trim().to_string()))
            .expect("a head line");
        (count, hash)
    }

    pub fn import(&self, paths: &[&Path]) -> String {
        let mut args = vec!["import".to_string()];
        args.extend(paths.iter().map(|p| p.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ok_stderr(&args)
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("writing a test file");
        path
    }
}

pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

pub fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ledger-data/qingshan-2022")
}

/// The two-year fixture imported, with the 2022 payment P22-4 reversed in 2023.
pub fn two_year() -> TestLedger {
    let ledger = TestLedger::new();
    ledger.import(&[&fixture("two-year")]);
    ledger.ok(&[
        "reverse",
        "--voucher",
        "P22-4",
        "--date",
        "2023-01-05",
        "--reason",
        "重复支付",
    ]);
    ledger
}

/// `n` payment rows on the example's bond and code, for large imports.
pub fn payments_csv(n: usize, prefix: &str) -> String {
    let mut text = String::from("voucher_no,date,fund,function_code,expense_type,amount,payee\n");
    for i in 0..n {
        text.push_str(&format!(
            "{prefix}{i:08},2022-{:02}-{:02},gov_fund,2290402,project,{}.{:02},收款人{}\n",
            i % 12 + 1,
            i % 28 + 1,
            100 + i % 9000,
            i % 100,
            i % 50
        ));
    }
    text
}

/// A `taizhang serve` (or other long-running) child process, killed when dropped.
pub struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port free on the loopback address now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `taizhang serve` on the ledger at a free loopback port, once it has started (its marker file
/// exists, which a killed earlier server may have left: it is removed first); with its address.
pub fn serve(ledger: &TestLedger) -> (Server, String) {
    let marker = ledger.path.with_extension("ledger.serve");
    let _ = std::fs::remove_file(&marker);
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_taizhang"))
        .arg("--ledger")
        .arg(&ledger.path)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let server = Server(child);
    let started = std::time::Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "serve did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (server, format!("127.0.0.1:{port}"))
}
