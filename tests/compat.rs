//! Files written by earlier versions stay readable: each stored sample (format 1, format 2) opens,
//! verifies to its recorded head and gives the published figures.

mod common;

use common::{fixture, TestLedger};

#[test]
fn a_format_1_ledger_is_read_and_verifies() {
    let ledger = TestLedger::uninitialised();
    std::fs::copy(fixture("format-v1/qingshan-2022.ledger"), &ledger.path).unwrap();
    let head = std::fs::read_to_string(fixture("format-v1/head.txt")).unwrap();
    ledger.ok(&["verify", "--expect-head", head.trim()]);
    assert_eq!(ledger.head().0, 22);
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["total"]["expense"], "71158112.36");
    let p = ledger.json(&["report", "procurement", "--year", "2022"]);
    assert_eq!(p["sme_pct"], "23.6");
}

#[test]
fn a_format_2_ledger_is_read_and_verifies() {
    let ledger = TestLedger::uninitialised();
    std::fs::copy(fixture("format-v2/qingshan-2022.ledger"), &ledger.path).unwrap();
    let head = std::fs::read_to_string(fixture("format-v2/head.txt")).unwrap();
    ledger.ok(&["verify", "--expect-head", head.trim()]);
    assert_eq!(ledger.head().0, 23);
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["total"]["expense"], "71158112.36");
    let p = ledger.json(&["report", "procurement", "--year", "2022"]);
    assert_eq!(p["sme_pct"], "23.6");
    let log = ledger.ok(&["log", "--from", "22", "--format", "json"]);
    assert!(log.contains("\"kind\":\"catalog\""), "{log}");
}

/// A format-1 ledger takes new batches (stored in chunks, the file marked format 2); the old entries
/// and the new ones verify as one chain.
#[test]
fn a_format_1_ledger_takes_new_batches_and_still_verifies() {
    let ledger = TestLedger::uninitialised();
    std::fs::copy(fixture("format-v1/qingshan-2022.ledger"), &ledger.path).unwrap();
    let rows = common::payments_csv(300, "NEW").replace("2022-", "2023-");
    ledger.import(&[&ledger.file("new.csv", &rows)]);
    ledger.ok(&["verify"]);
    assert_eq!(ledger.head().0, 322);
    let log = ledger.ok(&["log", "--from", "21", "--format", "json"]);
    let seqs: Vec<u64> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, (21..=322).collect::<Vec<u64>>());
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["total"]["expense"], "71158112.36");
}
