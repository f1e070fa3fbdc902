//! Files written by earlier versions stay readable: each stored sample (formats 1, 2 and 3) opens,
//! verifies to its recorded head and gives the published figures.

mod common;

use common::{fixture, TestLedger};

/// A copy of the sample written by format `n`.
fn sample(n: u32) -> TestLedger {
    let ledger = TestLedger::uninitialised();
    std::fs::copy(
        fixture(&format!("format-v{n}/qingshan-2022.ledger")),
        &ledger.path,
    )
    .unwrap();
    ledger
}

/// The sample verifies to the head recorded beside it and gives the published figures.
fn verifies_and_reports(ledger: &TestLedger, n: u32, entries: u64) {
    let head = std::fs::read_to_string(fixture(&format!("format-v{n}/head.txt"))).unwrap();
    ledger.ok(&["verify", "--expect-head", head.trim()]);
    assert_eq!(ledger.head().0, entries);
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["total"]["expense"], "71158112.36");
    let p = ledger.json(&["report", "procurement", "--year", "2022"]);
    assert_eq!(p["sme_pct"], "23.6");
}

#[test]
fn a_format_1_ledger_is_read_and_verifies() {
    verifies_and_reports(&sample(1), 1, 22);
}

#[test]
fn a_format_2_ledger_is_read_and_verifies() {
    let ledger = sample(2);
    verifies_and_reports(&ledger, 2, 23);
    let log = ledger.ok(&["log", "--from", "22", "--format", "json"]);
    assert!(log.contains("\"kind\":\"catalog\""), "{log}");
}

#[test]
fn a_format_3_ledger_is_read_and_verifies() {
    verifies_and_reports(&sample(3), 3, 23);
}

/// A format-1 ledger takes new batches (stored in chunks, hashed by record version 2, the file marked
/// format 3); the old entries and the new ones verify as one chain, and survive archive and restore.
#[test]
fn a_format_1_ledger_takes_new_batches_and_still_verifies() {
    let ledger = sample(1);
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
    let archive = ledger.dir.path().join("mixed.jsonl");
    ledger.ok(&["archive", "--out", archive.to_str().unwrap()]);
    let restored = TestLedger::uninitialised();
    restored.ok(&["restore", archive.to_str().unwrap()]);
    assert_eq!(restored.head(), ledger.head());
    restored.ok(&["verify"]);
}

/// An older ledger has no unit entry: its names come from the header, `verify` passes and says that
/// they are not covered by the chain; `taizhang unit` puts them under it from then on.
#[test]
fn an_older_ledgers_unit_name_is_noted_and_put_under_the_chain_by_the_unit_command() {
    let ledger = sample(3);
    let said = ledger.ok_stderr(&["verify"]);
    assert!(said.contains("校验通过"), "{said}");
    // The sample was made with the default name.
    assert!(
        said.contains("说明：单位名称“本单位”只记在台账头，不在哈希链中"),
        "{said}"
    );
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["unit"], "本单位");
    ledger.ok(&[
        "unit",
        "--name",
        "武汉市青山区大数据中心",
        "--short-name",
        "青山区大数据中心",
    ]);
    let said = ledger.ok_stderr(&["verify"]);
    assert!(!said.contains("不在哈希链中"), "{said}");
    assert_eq!(ledger.head().0, 24);
    let log = ledger.ok(&["log", "--from", "24", "--format", "json"]);
    let entry: serde_json::Value = serde_json::from_str(log.trim()).unwrap();
    assert_eq!(entry["kind"], "unit");
    assert_eq!(entry["body"]["unit"]["number"], 1);
    assert_eq!(entry["body"]["unit"]["origin"]["hash"], "sm3");
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["unit"], "武汉市青山区大数据中心");
    assert_eq!(t["total"]["expense"], "71158112.36");
}
