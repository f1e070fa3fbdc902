//! The crash harness: import, kill -9 at a random moment, reopen, verify. Every time the ledger must
//! hold the whole batch or none of it, with a sound chain; a batch that was lost is imported again, and
//! at the end the totals must be exact.
//!
//! The same for the commands that write outside the ledger (`restore`, `backup`, `archive`, `export`)
//! and for `close` and `attach`: after each kill the target is absent (or the old one, untouched) or
//! complete and valid — the restored ledger verifies with every entry, the backup verifies, the
//! archive restores, the export folder holds exactly what its manifest lists with matching hashes,
//! the attached document is stored whole with its entry — and the source ledger still verifies.
//!
//! CI runs a few kills; `TAIZHANG_CRASH_KILLS=200 cargo test --release --test crash -- --nocapture`
//! runs the long version of the import harness, `TAIZHANG_CRASH_OUTPUT_KILLS=30
//! TAIZHANG_CRASH_OUTPUT_ROWS=20000` that of the others (docs/reliability.md has their figures).

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{payments_csv, TestLedger};
use sha2::{Digest, Sha256};

const ROWS_PER_BATCH: usize = 10_000;

/// A small deterministic generator, so a failing run can be repeated (seed printed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn amount_fen(i: usize) -> i64 {
    let i = i as i64;
    (100 + i % 9000) * 100 + i % 100
}

#[test]
fn killed_imports_leave_whole_batches_or_none() {
    let kills: usize = std::env::var("TAIZHANG_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let seed = std::env::var("TAIZHANG_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20221231);
    println!("crash harness: {kills} kills, seed {seed}");
    let mut random = Lcg(seed);
    let ledger = TestLedger::new();
    // Calibrate: kills are spread over 0 to 1.3 times an import's full duration, so that some land
    // before, some during and some after the commit.
    let calibration = ledger.file("calibration.csv", &payments_csv(ROWS_PER_BATCH, "CAL-"));
    let started = std::time::Instant::now();
    ledger.import(&[&calibration]);
    let span_ms = (started.elapsed().as_millis() as u64 * 13 / 10).max(50);
    let (mut landed, mut lost, mut kills_while_running) = (0u64, 0u64, 0usize);
    let mut batches = 1u64;
    for i in 0..kills {
        let file = ledger.file(
            &format!("batch{i}.csv"),
            &payments_csv(ROWS_PER_BATCH, &format!("B{i:04}-")),
        );
        let before = ledger.head().0;
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("taizhang"))
            .arg("--ledger")
            .arg(&ledger.path)
            .args(["import", "--quiet", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(random.next(span_ms)));
        if child.try_wait().unwrap().is_none() {
            kills_while_running += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let after = ledger.head().0; // verifies the whole chain and every invariant
        if after == before {
            lost += 1;
            ledger.import(&[&file]);
        } else {
            assert_eq!(
                after,
                before + ROWS_PER_BATCH as u64,
                "kill {i}: a partial batch is in the ledger"
            );
            landed += 1;
        }
        batches += 1;
    }
    println!("crash harness: {kills_while_running} kills landed mid-import; {landed} batches had committed, {lost} were lost and re-imported");
    assert_eq!(
        ledger.head().0,
        common::INIT_ENTRIES + batches * ROWS_PER_BATCH as u64
    );
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    let per_batch: i64 = (0..ROWS_PER_BATCH).map(amount_fen).sum();
    let expected = per_batch * batches as i64;
    assert_eq!(
        t["total"]["expense"],
        format!("{}.{:02}", expected / 100, expected % 100)
    );
    assert!(
        kills_while_running > 0 || kills < 3,
        "no kill landed while an import was running"
    );
}

/// What a killed command left at its target.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Left {
    /// Nothing, or the old file or folder untouched.
    Old,
    /// The new one, complete and valid.
    New,
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A source ledger of `TAIZHANG_CRASH_OUTPUT_ROWS` payments (2,000 by default), and the kill loop.
struct Outputs {
    ledger: TestLedger,
    head: (u64, String),
    random: Lcg,
    kills: usize,
}

impl Outputs {
    fn new(seed_offset: u64) -> Outputs {
        let rows = env_number("TAIZHANG_CRASH_OUTPUT_ROWS", 2_000);
        let seed = env_number("TAIZHANG_CRASH_SEED", 20221231) as u64;
        let ledger = TestLedger::new();
        let file = ledger.file("rows.csv", &payments_csv(rows, "O-"));
        ledger.import(&[&file]);
        let head = ledger.head();
        Outputs {
            ledger,
            head,
            random: Lcg(seed.wrapping_add(seed_offset)),
            kills: env_number("TAIZHANG_CRASH_OUTPUT_KILLS", 3),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.ledger.dir.path().join(name)
    }

    /// Runs `command(i)` once whole (to time it; `judge` must find it new), then kills it `kills`
    /// times (see [`Outputs::window`]). Before each run `prepare(i)` sets the old state; after each
    /// kill `judge(i)` checks the target and says what it found, and the source ledger must still
    /// verify (with `changes_source`, as before or one entry on).
    fn run(
        &mut self,
        name: &str,
        changes_source: bool,
        mut prepare: impl FnMut(&Self, usize),
        command: impl Fn(&Self, usize) -> Vec<String>,
        mut judge: impl FnMut(&Self, usize) -> Left,
    ) {
        prepare(self, 0);
        let (start_up_ms, span_ms) = self.window(&command(self, 0));
        assert_eq!(
            judge(self, 0),
            Left::New,
            "{name}: a whole run leaves the new target"
        );
        self.head = self.ledger.head();
        let (mut running, mut new, mut temps) = (0, 0, 0);
        for i in 1..=self.kills {
            prepare(self, i);
            let delay = start_up_ms + self.random.next(span_ms);
            running += usize::from(self.kill_after(&command(self, i), delay));
            temps += remove_temporary_files(self.ledger.dir.path());
            new += usize::from(judge(self, i) == Left::New);
            let after = self.ledger.head(); // verifies the source
            let moved_on = changes_source && after.0 == self.head.0 + 1;
            assert!(
                after == self.head || moved_on,
                "{name} kill {i}: the source ledger changed"
            );
            self.head = after;
        }
        println!(
            "crash harness: {name}: {} kills, {running} while running; {new} left the new target, {} the old (or none); {temps} temporary files left behind",
            self.kills,
            self.kills - new
        );
    }

    /// When to kill, in ms: from 0.8 times the start-up (a command that only opens the ledger), over
    /// a span up to 1.3 times a whole run of `args` (which this runs), so that most kills land while
    /// the command writes.
    fn window(&self, args: &[String]) -> (u64, u64) {
        let started = std::time::Instant::now();
        self.ledger.ok(&["log", "--from", &u64::MAX.to_string()]);
        let start_up_ms = started.elapsed().as_millis() as u64 * 8 / 10;
        let started = std::time::Instant::now();
        self.ledger
            .ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let whole_ms = started.elapsed().as_millis() as u64 * 13 / 10;
        (start_up_ms, whole_ms.saturating_sub(start_up_ms).max(20))
    }

    /// Starts `taizhang ARGS` on the source ledger and kills it after `delay_ms`; whether it was
    /// still running. A --ledger after the command name (restore's target) overrides the source.
    fn kill_after(&self, args: &[String], delay_ms: u64) -> bool {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("taizhang"))
            .arg("--ledger")
            .arg(&self.ledger.path)
            .args(args)
            .env_remove("TAIZHANG_LEDGER")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        running
    }
}

/// Removes the temporary files and folders a killed command left (`.NAME.XXXXXX.taizhang-tmp`);
/// returns how many there were.
fn remove_temporary_files(folder: &Path) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".taizhang-tmp") {
            count += 1;
            if path.is_dir() {
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
    count
}

fn remove(path: &Path) {
    if path.is_dir() {
        std::fs::remove_dir_all(path).unwrap();
    } else if path.exists() {
        std::fs::remove_file(path).unwrap();
    }
}

/// The ledger at `path`, verified: its count and head.
fn head_of(path: &Path) -> (u64, String) {
    TestLedger {
        dir: tempfile::tempdir().unwrap(),
        path: path.to_path_buf(),
    }
    .head()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

#[test]
fn a_killed_backup_leaves_no_backup_or_a_whole_one() {
    let mut h = Outputs::new(1);
    let out = h.path("copy.ledger");
    h.run(
        "backup",
        false,
        |h, _| remove(&h.path("copy.ledger")),
        |_, _| strings(&["backup", "--out", out.to_str().unwrap()]),
        |h, i| {
            let copy = h.path("copy.ledger");
            if !copy.exists() {
                return Left::Old;
            }
            assert_eq!(
                head_of(&copy),
                h.head,
                "kill {i}: the backup verifies, whole"
            );
            Left::New
        },
    );
}

#[test]
fn a_killed_archive_leaves_no_archive_or_one_that_restores() {
    let mut h = Outputs::new(2);
    let out = h.path("a.jsonl");
    h.run(
        "archive",
        false,
        |h, _| remove(&h.path("a.jsonl")),
        |_, _| strings(&["archive", "--out", out.to_str().unwrap()]),
        |h, i| {
            let archive = h.path("a.jsonl");
            if !archive.exists() {
                return Left::Old;
            }
            let restored = TestLedger::uninitialised();
            restored.ok(&["restore", archive.to_str().unwrap()]);
            assert_eq!(
                restored.head(),
                h.head,
                "kill {i}: the archive restores whole"
            );
            Left::New
        },
    );
}

#[test]
fn a_killed_restore_leaves_no_ledger_or_a_whole_one() {
    let mut h = Outputs::new(3);
    let archive = h.path("a.jsonl");
    h.ledger
        .ok(&["archive", "--out", archive.to_str().unwrap()]);
    let target = h.path("restored.ledger");
    h.run(
        "restore",
        false,
        |h, _| remove(&h.path("restored.ledger")),
        |_, _| {
            strings(&[
                "restore",
                archive.to_str().unwrap(),
                "--ledger",
                target.to_str().unwrap(),
            ])
        },
        |h, i| {
            let restored = h.path("restored.ledger");
            if !restored.exists() {
                return Left::Old;
            }
            assert_eq!(head_of(&restored), h.head, "kill {i}: every entry restored");
            Left::New
        },
    );
}

#[test]
fn a_killed_export_leaves_the_old_folder_or_the_whole_new_one() {
    let mut h = Outputs::new(4);
    let out = h.path("export");
    // Runs alternate the CSV encoding, so the manifest tells the old folder from the new one.
    let encoding = |i: usize| if i % 2 == 0 { "utf8-bom" } else { "utf8" };
    h.run(
        "export",
        false,
        |_, _| {},
        |_, i| {
            strings(&[
                "export",
                "--year",
                "2022",
                "--out",
                out.to_str().unwrap(),
                "--force",
                "--csv-encoding",
                encoding(i),
            ])
        },
        |h, i| {
            let found = whole_export(&h.path("export"), &h.head.1);
            if found == encoding(i) {
                Left::New
            } else {
                assert_eq!(
                    found,
                    encoding(i + 1),
                    "kill {i}: the old export or the new"
                );
                Left::Old
            }
        },
    );
}

/// Checks an export folder: exactly the files its manifest lists, each with its SHA-256, tied to
/// `head`; returns its CSV encoding.
fn whole_export(folder: &Path, head: &str) -> String {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["ledger_head_hash"], head);
    let mut listed = vec!["manifest.json".to_string()];
    for file in manifest["files"].as_array().unwrap() {
        let name = file["name"].as_str().unwrap();
        let bytes = std::fs::read(folder.join(name)).unwrap();
        let sha: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(file["sha256"], sha, "{name}");
        listed.push(name.to_string());
    }
    let mut present: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    present.sort();
    assert_eq!(present, listed, "nothing missing, nothing stale");
    manifest["csv_encoding"].as_str().unwrap().to_string()
}

#[test]
fn a_killed_close_leaves_the_ledger_closed_or_not() {
    let mut h = Outputs::new(5);
    let day = |i: usize| format!("2022-{:02}-{:02}", i / 28 % 12 + 1, i % 28 + 1);
    h.run(
        "close",
        true,
        |_, _| {},
        |_, i| strings(&["close", "--through", &day(i)]),
        |h, i| {
            let (count, _) = h.ledger.head();
            if count == h.head.0 {
                Left::Old
            } else {
                assert_eq!(count, h.head.0 + 1, "kill {i}: one closing entry or none");
                Left::New
            }
        },
    );
}

/// `taizhang attach` of a large document killed at random moments: the attachment entry and its
/// bytes are there together (and verify: `head` runs `verify`, which re-hashes every document), or
/// neither is.
#[test]
fn a_killed_attach_leaves_the_document_whole_or_absent() {
    let mut h = Outputs::new(6);
    let document = |h: &Outputs, i: usize| h.path(&format!("验收单-{i}.pdf"));
    h.run(
        "attach",
        true,
        |h, i| {
            // 8 MiB that differ for every run (its first bytes), so that each attach is new.
            let mut bytes = vec![(i % 251) as u8; 8 << 20];
            bytes[..8].copy_from_slice(&(i as u64).to_le_bytes());
            std::fs::write(document(h, i), bytes).expect("the document is written");
        },
        |h, i| {
            let path = document(h, i).to_string_lossy().into_owned();
            strings(&["attach", "#2", &path, "--operator", "会计"])
        },
        |h, i| {
            let (count, _) = h.ledger.head();
            if count == h.head.0 {
                Left::Old
            } else {
                assert_eq!(
                    count,
                    h.head.0 + 1,
                    "kill {i}: one attachment entry or none"
                );
                Left::New
            }
        },
    );
}
