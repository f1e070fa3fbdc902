//! The web workspace's reads on real ledgers: the bundled example and the two-year fixture (with a
//! reversal across the year end and a restated opening balance added). Table-7 cells against the
//! entries that make them up, journal pages newest first, reversals both ways.

use std::collections::BTreeSet;
use std::path::PathBuf;

use taizhang_core::{Amount, Body, Kind};
use taizhang_posting::read::{self, entries_page, page_limit};
use taizhang_posting::ImportOptions;
use taizhang_projection::cell::{self, Cell, CellRow, Column};
use taizhang_projection::journal::EntryFilter;
use taizhang_projection::table7;
use taizhang_store::{HashAlgo, Ledger, UnitNames};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// A new ledger in a temporary folder with these folders imported as one batch.
fn ledger_of(folders: &[&str]) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let unit = UnitNames {
        full: "青山县城市建设局".into(),
        short: "青山县建设局".into(),
    };
    let ledger = Ledger::init(&dir.path().join("t.ledger"), unit, HashAlgo::Sm3).expect("init");
    let paths: Vec<PathBuf> = folders.iter().map(|f| repo(f)).collect();
    let options = ImportOptions {
        strict: false,
        dry_run: false,
        progress: None,
    };
    let (posted, tally) =
        taizhang_posting::import(&ledger, &paths, None, "测试", options).expect("import");
    assert!(posted, "{:?}", tally.problems);
    (dir, ledger)
}

fn post(ledger: &Ledger, kind: Kind, fields: &[(&str, &str)]) {
    let fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let (posted, tally) =
        taizhang_posting::post_one(ledger, kind, &fields, "测试", false).expect("post");
    assert!(posted, "{:?}", tally.problems);
}

/// The two-year fixture, a 2022 payment reversed in 2023, and an opening balance for 2023 that
/// replaces what 2022 carries for 2290402.
fn two_year() -> (tempfile::TempDir, Ledger) {
    let (dir, ledger) = ledger_of(&["tests/fixtures/two-year"]);
    let reversal = [
        ("voucher_no", "P22-2"),
        ("date", "2023-01-05"),
        ("reason", "金额有误"),
    ];
    post(&ledger, Kind::Reversal, &reversal);
    let opening = [
        ("year", "2023"),
        ("fund", "gov_fund"),
        ("function_code", "2290402"),
        ("amount", "30,000,000.00"),
        ("adjust_reason", "correction"),
    ];
    post(&ledger, Kind::Opening, &opening);
    (dir, ledger)
}

/// For every row (and 合计) and column of table 7 in `year`: the cell's entries add up to its value.
/// Returns how many cells had entries, so that a test can tell it checked something.
fn every_cell_adds_up(ledger: &Ledger, year: i32) -> usize {
    let facts = ledger.facts().expect("facts");
    let table = table7::table7(&facts, year);
    let rows = table.rows.iter().map(|r| CellRow::Code(r.code));
    let mut with_entries = 0;
    for row in rows.chain([CellRow::Total]) {
        for column in Column::ALL {
            let cell = Cell { year, row, column };
            let found = read::cell_entries(ledger, cell).expect("cell");
            let sum: Amount = found.entries.iter().map(|e| e.contribution).sum();
            assert_eq!(found.value, cell::value(&table, &row, column));
            assert_eq!(sum, found.value, "{year} {row:?} {column:?}");
            with_entries += usize::from(!found.entries.is_empty());
            let mut paged = cell_pages(ledger, cell, 2);
            paged.reverse();
            let whole: Vec<(u64, Amount)> = found
                .entries
                .iter()
                .map(|e| (e.posted.record.seq, e.contribution))
                .collect();
            assert_eq!(paged, whole, "{year} {row:?} {column:?} in pages");
        }
    }
    with_entries
}

/// (seq, contribution) of a cell's entries read page by page, newest first; each page has the value.
fn cell_pages(ledger: &Ledger, cell: Cell, limit: usize) -> Vec<(u64, Amount)> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = read::cell_entries_page(ledger, cell, after, Some(limit)).expect("page");
        assert!(page.entries.len() <= limit);
        out.extend(
            page.entries
                .iter()
                .map(|e| (e.posted.record.seq, e.contribution)),
        );
        match page.next_after_seq {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

#[test]
fn every_cell_of_the_example_is_the_sum_of_its_entries() {
    let (_dir, ledger) = ledger_of(&["ledger-data/qingshan-2022"]);
    assert!(every_cell_adds_up(&ledger, 2022) > 10);
}

#[test]
fn every_cell_of_two_years_with_a_reversal_and_a_restated_opening_adds_up() {
    let (_dir, ledger) = two_year();
    for year in 2022..=2024 {
        assert!(every_cell_adds_up(&ledger, year) > 0, "{year}");
    }
}

fn cell(ledger: &Ledger, year: i32, code: &str, column: &str) -> read::CellEntries {
    let cell = Cell {
        year,
        row: CellRow::parse(code).expect("row"),
        column: Column::parse(column).expect("column"),
    };
    read::cell_entries(ledger, cell).expect("cell")
}

/// (voucher or kind, contribution in 元) of a cell's entries.
fn listed(found: &read::CellEntries) -> Vec<(String, String)> {
    found
        .entries
        .iter()
        .map(|e| {
            let name = match &e.posted.body {
                Body::Receipt(r) => r.voucher_no.clone(),
                Body::Payment(p) => p.voucher_no.clone(),
                Body::Reversal(r) => format!("冲销 {}", r.voucher_no),
                other => other.kind().key().to_string(),
            };
            (name, e.contribution.to_string())
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_reversal_counts_against_its_own_year_and_the_original_in_its_own() {
    let (_dir, ledger) = two_year();
    let expense_2022 = cell(&ledger, 2022, "2290402", "expense");
    assert_eq!(
        listed(&expense_2022),
        pairs(&[
            ("P22-1", "12000000.00"),
            ("P22-2", "5000000.55"),
            ("P22-4", "1000000.00")
        ])
    );
    let expense_2023 = cell(&ledger, 2023, "2290402", "expense");
    assert_eq!(
        listed(&expense_2023),
        pairs(&[("P23-2", "8000000.00"), ("冲销 P22-2", "-5000000.55")])
    );
    assert_eq!(expense_2023.value.to_string(), "2999999.45");
}

#[test]
fn a_balance_is_its_given_opening_and_the_flows_since() {
    let (_dir, ledger) = two_year();
    // 2023's opening for 2290402 is given: the 2022 flows no longer count in it.
    let opening = cell(&ledger, 2023, "2290402", "opening");
    assert_eq!(listed(&opening), pairs(&[("opening", "30000000.00")]));
    // 2024's opening carries 2023's closing: the given opening plus 2023's flows, payments negative.
    let carried = cell(&ledger, 2024, "2290402", "opening");
    assert_eq!(
        listed(&carried),
        pairs(&[
            ("R23-2", "10000000.00"),
            ("P23-2", "-8000000.00"),
            ("冲销 P22-2", "5000000.55"),
            ("opening", "30000000.00"),
        ])
    );
    assert_eq!(carried.value.to_string(), "37000000.55");
    // 2022's closing of 2120899 is the opening given for 2022 (no flows).
    let closing = cell(&ledger, 2022, "2120899", "closing");
    assert_eq!(listed(&closing), pairs(&[("opening", "1234567.89")]));
}

#[test]
fn the_cell_json_lists_each_entry_with_its_contribution() {
    let (_dir, ledger) = two_year();
    let json = cell(&ledger, 2023, "229", "expense").to_json();
    assert_eq!(json["value"], "2999999.45");
    assert_eq!(json["code"], "229");
    assert_eq!(json["column"], "expense");
    let entries = json["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["voucher_no"], "P23-2");
    assert_eq!(entries[0]["date"], "2023-04-10");
    assert_eq!(entries[0]["amount"], "8000000.00");
    assert_eq!(entries[0]["contribution"], "8000000.00");
    assert_eq!(entries[0]["payee"], "甲设备股份有限公司");
    assert_eq!(entries[0]["memo"], "设备款");
    assert_eq!(entries[0]["kind"], "payment");
    assert!(entries[0]["source"]
        .as_str()
        .is_some_and(|s| s.contains("payments-2023.csv")));
    assert_eq!(entries[1]["kind"], "reversal");
    assert_eq!(entries[1]["reverses"], "P22-2");
    assert_eq!(entries[1]["amount"], "-5000000.55");
    assert_eq!(entries[1]["contribution"], "-5000000.55");
    assert_eq!(entries[1]["source"], "命令行");
    assert_eq!(json["next_after_seq"], serde_json::Value::Null);
    let total = cell(&ledger, 2023, "合计", "expense").to_json();
    assert_eq!(total["code"], "合计");
    let first = Cell {
        year: 2023,
        row: CellRow::Total,
        column: Column::Expense,
    };
    let page = read::cell_entries_page(&ledger, first, None, Some(1)).expect("page");
    let json = page.to_json();
    assert_eq!(json["value"], total["value"]);
    assert_eq!(json["entries"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["entries"][0]["kind"], "reversal");
    assert_eq!(json["next_after_seq"], json["entries"][0]["seq"]);
}

fn all_pages(ledger: &Ledger, filter: &EntryFilter, limit: usize) -> Vec<u64> {
    let mut seqs = Vec::new();
    let mut after = None;
    loop {
        let page = entries_page(ledger, filter, after, Some(limit)).expect("page");
        assert!(page.entries.len() <= limit);
        seqs.extend(page.entries.iter().map(|p| p.record.seq));
        match page.next_after_seq {
            Some(next) => {
                assert_eq!(page.entries.len(), limit, "a full page before the next");
                after = Some(next);
            }
            None => return seqs,
        }
    }
}

#[test]
fn pages_of_seven_give_every_entry_once_newest_first() {
    let (_dir, ledger) = ledger_of(&["ledger-data/qingshan-2022"]);
    let count = ledger.head().expect("head").count;
    assert!(count > 14, "the example has {count} entries");
    let seqs = all_pages(&ledger, &EntryFilter::default(), 7);
    let expected: Vec<u64> = (1..=count).rev().collect();
    assert_eq!(seqs, expected);
    // The JSON of the first page: entries as the log writes them, and where the next one starts.
    let first = entries_page(&ledger, &EntryFilter::default(), None, Some(7)).expect("page");
    let json = first.to_json();
    assert_eq!(json["entries"].as_array().map(Vec::len), Some(7));
    assert_eq!(json["entries"][0]["seq"], count);
    assert_eq!(json["entries"][0]["hash"].as_str().map(str::len), Some(64));
    assert_eq!(json["next_after_seq"], count - 6);
}

#[test]
fn each_filter_pages_through_what_it_names() {
    let (_dir, ledger) = two_year();
    let bodies = |f: &EntryFilter| -> Vec<Body> {
        all_pages(&ledger, f, 2)
            .into_iter()
            .map(|s| ledger.entry_at(s).expect("read").expect("entry").body)
            .collect()
    };
    let kind = EntryFilter {
        kind: Some(Kind::Payment),
        ..EntryFilter::default()
    };
    let vouchers: Vec<String> = bodies(&kind)
        .iter()
        .map(|b| match b {
            Body::Payment(p) => p.voucher_no.clone(),
            other => panic!("not a payment: {other:?}"),
        })
        .collect();
    assert_eq!(vouchers.len(), 9);
    assert!(vouchers.contains(&"P23-2".to_string()));
    let voucher = EntryFilter {
        voucher: Some("P22-2".into()),
        ..EntryFilter::default()
    };
    let kinds: Vec<Kind> = bodies(&voucher).iter().map(Body::kind).collect();
    assert_eq!(kinds, [Kind::Reversal, Kind::Payment]);
    let contract = EntryFilter {
        contract: Some("C-2022-01".into()),
        ..EntryFilter::default()
    };
    let kinds: BTreeSet<Kind> = bodies(&contract).iter().map(Body::kind).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([Kind::Contract, Kind::Amendment, Kind::Payment])
    );
    let year_2023 = EntryFilter::default().year(2023);
    assert!(bodies(&year_2023).iter().all(|b| b
        .period_date()
        .is_some_and(|d| d.format("%Y").to_string() == "2023")));
    let code = EntryFilter {
        code: Some("2120".into()),
        kind: Some(Kind::Receipt),
        ..EntryFilter::default()
    };
    assert_eq!(bodies(&code).len(), 2);
    let nothing = EntryFilter {
        text: Some("没有这样的字".into()),
        ..EntryFilter::default()
    };
    let page = entries_page(&ledger, &nothing, None, None).expect("page");
    assert!(page.entries.is_empty());
    assert_eq!(page.next_after_seq, None);
}

#[test]
fn the_page_size_is_kept_within_its_limits() {
    assert_eq!(page_limit(None), 50);
    assert_eq!(page_limit(Some(0)), 1);
    assert_eq!(page_limit(Some(7)), 7);
    assert_eq!(page_limit(Some(1_000_000)), 500);
    let (_dir, ledger) = ledger_of(&["ledger-data/qingshan-2022"]);
    let count = ledger.head().expect("head").count;
    let page = entries_page(&ledger, &EntryFilter::default(), Some(3), Some(10)).expect("page");
    let seqs: Vec<u64> = page.entries.iter().map(|p| p.record.seq).collect();
    assert_eq!(seqs, [2, 1]);
    assert_eq!(page.next_after_seq, None);
    let beyond = entries_page(&ledger, &EntryFilter::default(), Some(count + 100), Some(1));
    assert_eq!(beyond.expect("page").entries[0].record.seq, count);
}

#[test]
fn an_entry_page_shows_its_reversals_both_ways() {
    let (_dir, ledger) = two_year();
    let payment = entries_page(
        &ledger,
        &EntryFilter {
            voucher: Some("P22-2".into()),
            kind: Some(Kind::Payment),
            ..EntryFilter::default()
        },
        None,
        None,
    )
    .expect("page")
    .entries
    .remove(0);
    let seq = payment.record.seq;
    let detail = read::entry_detail(&ledger, seq)
        .expect("read")
        .expect("entry");
    assert!(detail.hash_holds);
    assert!(detail.links.reverses.is_none());
    let reversal = detail.links.reversed_by.expect("reversed");
    assert_eq!(reversal.body.kind(), Kind::Reversal);
    let back = read::entry_detail(&ledger, reversal.record.seq)
        .expect("read")
        .expect("entry");
    assert_eq!(
        back.links.reverses.as_ref().map(|p| p.record.seq),
        Some(seq)
    );
    assert!(back.links.reversed_by.is_none());
    let json = back.to_json();
    assert_eq!(json["reverses"]["seq"], seq);
    assert_eq!(json["entry"]["kind"], "reversal");
    // A payment never reversed, and entries that are not there.
    let p23 = read::entry_detail(&ledger, 1)
        .expect("read")
        .expect("entry");
    assert!(p23.links.reversed_by.is_none() && p23.links.reverses.is_none());
    assert!(read::entry_detail(&ledger, 0).expect("read").is_none());
    let count = ledger.head().expect("head").count;
    assert!(read::entry_detail(&ledger, count + 1)
        .expect("read")
        .is_none());
}

/// Seqs newest first, read backwards from `before`.
fn back_from(ledger: &Ledger, before: Option<u64>) -> Vec<u64> {
    let mut seqs = Vec::new();
    ledger
        .for_each_entry_back(before, |p| {
            seqs.push(p.record.seq);
            true
        })
        .expect("read backwards");
    seqs
}

/// Reading backwards gives the forward reading reversed, from any place.
fn backwards_mirrors_forwards(ledger: &Ledger) {
    let mut forwards = Vec::new();
    ledger
        .for_each_entry(1, |p| {
            forwards.push(p.record.seq);
            true
        })
        .expect("read forwards");
    let count = ledger.head().expect("head").count;
    assert_eq!(forwards, (1..=count).collect::<Vec<u64>>());
    let mut expected = forwards;
    expected.reverse();
    assert_eq!(back_from(ledger, None), expected);
    for before in [0, 1, 2, count / 3, count / 2, count, count + 1] {
        let want: Vec<u64> = (1..before.min(count + 1)).rev().collect();
        assert_eq!(back_from(ledger, Some(before)), want, "before {before}");
    }
}

fn payments_csv(n: usize, prefix: &str) -> String {
    let mut text = String::from("voucher_no,date,fund,function_code,expense_type,amount,payee\n");
    for i in 0..n {
        text.push_str(&format!(
            "{prefix}{i:06},2022-{:02}-{:02},gov_fund,2290402,project,{}.{:02},收款人{}\n",
            i % 12 + 1,
            i % 28 + 1,
            100 + i % 9000,
            i % 100,
            i % 50
        ));
    }
    text
}

#[test]
fn backwards_reads_every_chunk_of_several_batches() {
    let (dir, ledger) = ledger_of(&["ledger-data/qingshan-2022"]);
    for batch in ["A", "B", "C"] {
        let file = dir.path().join(format!("payments-{batch}.csv"));
        std::fs::write(&file, payments_csv(700, batch)).expect("write");
        let options = ImportOptions {
            strict: false,
            dry_run: false,
            progress: None,
        };
        let (posted, tally) =
            taizhang_posting::import(&ledger, &[file], None, "测试", options).expect("import");
        assert!(posted, "{:?}", tally.problems);
    }
    assert!(ledger.head().expect("head").count > 2100);
    backwards_mirrors_forwards(&ledger);
}

#[test]
fn backwards_reads_a_ledger_of_format_1_and_2() {
    for format in ["format-v1", "format-v2"] {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("old.ledger");
        let fixture = repo(&format!("tests/fixtures/{format}/qingshan-2022.ledger"));
        std::fs::copy(fixture, &path).expect("copy");
        let ledger = Ledger::open_read_only(&path).expect("open");
        backwards_mirrors_forwards(&ledger);
    }
}
