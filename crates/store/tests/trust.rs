//! Every stored byte an output or a later write depends on is checked: the header against the unit
//! entries, every index entry, the catalogue names, the closing date; records a batch reads back are
//! hash-checked; sums cannot overflow; read-only opens change nothing and share the file. Changes are
//! made the way an intruder with the redb library would (checksums kept consistent), below the
//! ledger's API.

use chrono::NaiveDate;
use redb::{Database, ReadableTable, TableDefinition};
use taizhang_core::*;
use taizhang_store::{HashAlgo, Ledger, Offered, StoreError, UnitNames};

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const LONG_KEYS: TableDefinition<&str, u64> = TableDefinition::new("keys");
const NAMES: TableDefinition<&str, &str> = TableDefinition::new("names");
const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Days::new(d as u64)
}

fn receipt(n: u32, yuan: i64) -> Body {
    Body::Receipt(Receipt {
        voucher_no: format!("V{n:05}"),
        date: day(n % 300),
        fund: Fund::GovFund,
        code: FunctionCode::parse("2290402").unwrap(),
        code_name: None,
        amount: Amount::from_fen(yuan * 100),
        bond_code: None,
        project_code: None,
        memo: String::new(),
    })
}

fn contract(supplier: &str) -> Body {
    Body::Contract(ContractPart {
        terms: ContractTerms {
            no: "HT-2022-0001-LONG-NUMBER".into(),
            title: "合同".into(),
            sign_date: day(10),
            category: Category::Goods,
            method: Method::Inquiry,
            fund: Fund::General,
            project_code: None,
            clauses: Default::default(),
        },
        part: SupplierPart {
            name: supplier.into(),
            uscc: None,
            size: SupplierSize::Small,
            special: None,
            amount: Amount::from_fen(100_000),
            declaration: None,
        },
    })
}

fn unit() -> UnitNames {
    UnitNames {
        full: "武汉市青山区大数据中心".into(),
        short: "青山区大数据中心".into(),
    }
}

fn post(ledger: &Ledger, bodies: Vec<Body>) -> Result<bool, StoreError> {
    ledger.write_batch("t", |w| {
        bodies
            .into_iter()
            .all(|b| matches!(w.offer("t", b), Ok(Offered::Posted(_))))
    })
}

/// A ledger with a unit entry, a catalogue name, a contract part, receipts and a close.
fn sample() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.ledger");
    let ledger = Ledger::init(&path, unit(), HashAlgo::Sm3).unwrap();
    let name = Body::Catalog(CatalogName {
        code: ClassCode::parse("29999").unwrap(),
        name: "其他支出".into(),
    });
    let mut bodies = vec![name, contract("甲公司")];
    bodies.extend((1..=5).map(|n| receipt(n, 100)));
    assert!(post(&ledger, bodies).unwrap());
    let close = Body::Close(PeriodClose { through: day(0) });
    assert!(post(&ledger, vec![close]).unwrap());
    (dir, path)
}

/// Changes the file through redb, with its checksums kept right.
fn intrude(path: &std::path::Path, change: impl FnOnce(&redb::WriteTransaction)) {
    let db = Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    change(&txn);
    txn.commit().unwrap();
}

fn problems(path: &std::path::Path) -> Vec<String> {
    Ledger::open_read_only(path)
        .unwrap()
        .verify()
        .unwrap()
        .problems
}

#[test]
fn an_untouched_sample_verifies_without_notes() {
    let (_dir, path) = sample();
    let v = Ledger::open_read_only(&path).unwrap().verify().unwrap();
    assert!(v.is_sound(), "{:?}", v.problems);
    assert!(v.notes.is_empty(), "{:?}", v.notes);
    assert_eq!(v.count, 9);
}

#[test]
fn a_header_naming_another_unit_is_found_not_shown_and_blocks_writing() {
    let (_dir, path) = sample();
    intrude(&path, |txn| {
        let mut meta = txn.open_table(META).unwrap();
        let raw = meta.get("header").unwrap().unwrap().value().to_vec();
        let text = String::from_utf8(raw)
            .unwrap()
            .replace("大数据中心", "大数据伪造");
        meta.insert("header", text.as_bytes()).unwrap();
    });
    let found = problems(&path);
    assert!(
        found.iter().any(|p| p.contains("台账头记载的单位名称")),
        "{found:?}"
    );
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(
        ledger.unit(),
        &unit(),
        "reports name the unit as the chain does"
    );
    assert!(ledger.head_problem().is_some());
    assert!(post(&ledger, vec![receipt(99, 1)]).is_err());
}

#[test]
fn an_extra_or_dangling_index_entry_is_found() {
    let (_dir, path) = sample();
    intrude(&path, |txn| {
        let mut keys = txn.open_table(LONG_KEYS).unwrap();
        keys.insert("V\u{1f}GHOST-VOUCHER-NOT-POSTED-EVER", 400)
            .unwrap();
        keys.insert("V\u{1f}ANOTHER-GHOST-ON-A-REAL-ENTRY", 5)
            .unwrap();
    });
    let found = problems(&path);
    assert!(
        found.iter().any(|p| p.contains("指向不存在的第 400 条")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("ANOTHER-GHOST-ON-A-REAL-ENTRY”指向的第 5 条不是它的记录")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("索引有 11 项")),
        "{found:?}"
    );
}

#[test]
fn an_index_entry_moved_to_another_record_is_found_and_not_followed_by_a_write() {
    let (_dir, path) = sample();
    // The long contract key now points at a receipt.
    intrude(&path, |txn| {
        let mut keys = txn.open_table(LONG_KEYS).unwrap();
        let key = "C\u{1f}HT-2022-0001-LONG-NUMBER\u{1f}甲公司";
        assert_eq!(keys.insert(key, 5).unwrap().map(|v| v.value()), Some(3));
    });
    let found = problems(&path);
    assert!(
        found
            .iter()
            .any(|p| p.contains("第 3 条：幂等索引未指向本条")),
        "{found:?}"
    );
    // A write that reads the contract back is refused, not misled.
    let ledger = Ledger::open(&path).unwrap();
    let amendment = Body::Amendment(Amendment {
        contract_no: "HT-2022-0001-LONG-NUMBER".into(),
        date: day(20),
        supplier_name: "甲公司".into(),
        delta: Amount::from_fen(100),
        reason: "增加".into(),
        correction: None,
        before: None,
    });
    let refused = ledger.write_batch("t", |w| w.offer("t", amendment).is_ok());
    assert!(!matches!(refused, Ok(true)), "{refused:?}");
}

#[test]
fn a_changed_record_read_back_by_a_batch_is_refused() {
    let (_dir, path) = sample();
    // Entry 3, the contract part, re-stored with a changed amount: its chunk is rewritten with
    // consistent redb checksums, but the record no longer matches its own hash.
    intrude(&path, |txn| {
        let mut entries = txn.open_table(ENTRIES).unwrap();
        let chunk = entries.get(2).unwrap().unwrap().value().to_vec();
        let mut changed = chunk;
        let needle = "甲公司".as_bytes();
        let at = changed
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap();
        changed[at + needle.len() + 1] ^= 0x01;
        entries.insert(2, changed.as_slice()).unwrap();
    });
    assert!(!problems(&path).is_empty());
    let ledger = Ledger::open(&path).unwrap();
    let mut said = None;
    let committed = ledger.write_batch("t", |w| {
        said = Some(w.offer("t", contract("乙公司")));
        false
    });
    let said = format!("{said:?} {committed:?}");
    assert!(said.contains("哈希不符"), "{said}");
}

#[test]
fn changed_names_or_closing_date_are_found() {
    let (_dir, path) = sample();
    intrude(&path, |txn| {
        let mut names = txn.open_table(NAMES).unwrap();
        names.insert("29999", "别的名称").unwrap();
    });
    let found = problems(&path);
    assert!(
        found
            .iter()
            .any(|p| p.contains("科目名称与记录中的不一致（29999）")),
        "{found:?}"
    );

    let (_dir, path) = sample();
    intrude(&path, |txn| {
        let mut meta = txn.open_table(META).unwrap();
        meta.remove("closed_through").unwrap();
    });
    let found = problems(&path);
    assert!(
        found
            .iter()
            .any(|p| p.contains("结账日期（无）与结账记录（2022-01-01）不符")),
        "{found:?}"
    );
}

#[test]
fn readers_share_the_file_and_exclude_a_writer() {
    let (_dir, path) = sample();
    let bytes = std::fs::read(&path).unwrap();
    {
        let first = Ledger::open_read_only(&path).unwrap();
        let second = Ledger::open_read_only(&path).unwrap();
        assert!(first.verify().unwrap().is_sound());
        assert!(second.facts().is_ok());
        assert!(matches!(Ledger::open(&path), Err(StoreError::Busy(_))));
        assert!(matches!(
            first.write_batch("t", |_| true),
            Err(StoreError::ReadOnly(_))
        ));
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "reading changed nothing"
    );
    let writer = Ledger::open(&path).unwrap();
    assert!(matches!(
        Ledger::open_read_only(&path),
        Err(StoreError::Busy(_))
    ));
    drop(writer);
}

#[test]
fn sums_that_would_overflow_are_refused_at_the_row_and_nothing_is_posted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.ledger");
    let ledger = Ledger::init(&path, unit(), HashAlgo::Sm3).unwrap();
    let mut refused_at = None;
    let committed = ledger
        .write_batch("t", |w| {
            for n in 1..=9_300u32 {
                if let Err(refusal) = w.offer("t", receipt(n, 10_000_000_000_000)) {
                    refused_at = Some((n, format!("{refusal:?}")));
                    return false;
                }
            }
            true
        })
        .unwrap();
    assert!(!committed);
    let (n, why) = refused_at.unwrap();
    assert_eq!(n, 9_224, "{why}");
    assert!(why.contains("上限"), "{why}");
    assert_eq!(ledger.head().unwrap().count, 1);
}
