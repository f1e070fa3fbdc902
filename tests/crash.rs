//! The crash harness: import, kill -9 at a random moment, reopen, verify. Every time the ledger must
//! hold the whole batch or none of it, with a sound chain; a batch that was lost is imported again, and
//! at the end the totals must be exact.
//!
//! CI runs a few kills; `TAIZHANG_CRASH_KILLS=200 cargo test --release --test crash -- --nocapture`
//! runs the long version (docs/reliability.md has its figures).

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{payments_csv, TestLedger};

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
