//! Damage the storage engine reports in its own terms (a table missing, a table of another type, a
//! fixed-width type whose width changed) and records that do not decode reach the accountant in
//! Chinese, as damage: not as a failure to read or write, and without the engine's English or the
//! dump of its types. The file is changed the way a careless hand with the redb library would.

use redb::{Database, ReadableTable, TableDefinition, TypeName, Value, WriteTransaction};
use taizhang_core::*;
use taizhang_store::{HashAlgo, Ledger, Offered, UnitNames};

fn receipt(n: u32) -> Body {
    Body::Receipt(Receipt {
        voucher_no: format!("V{n:04}"),
        date: chrono::NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(),
        fund: Fund::GovFund,
        code: FunctionCode::parse("2290402").unwrap(),
        code_name: None,
        amount: Amount::from_fen(1000 + i64::from(n)),
        bond_code: None,
        project_code: None,
        memo: String::new(),
    })
}

/// A ledger of a unit entry and five receipts.
fn small_ledger() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.ledger");
    let unit = UnitNames {
        full: "单位".into(),
        short: "单位".into(),
    };
    let ledger = Ledger::init(&path, unit, HashAlgo::Sm3).unwrap();
    let posted = ledger
        .write_batch("t", |w| {
            (1..=5).all(|n| matches!(w.offer("t", receipt(n)), Ok(Offered::Posted(_))))
        })
        .unwrap();
    assert!(posted);
    (dir, path)
}

fn change(path: &std::path::Path, f: impl FnOnce(&WriteTransaction)) {
    let db = Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

/// Deletes the table `name` and, if `typed` is given, makes a new one of that name with other types.
fn replace(path: &std::path::Path, name: &str, typed: Option<fn(&WriteTransaction, &str)>) {
    change(path, |txn| {
        assert!(txn
            .delete_table(TableDefinition::<&str, &[u8]>::new(name))
            .is_ok());
        if let Some(make) = typed {
            make(txn, name);
        }
    });
}

fn str_str(txn: &WriteTransaction, name: &str) {
    let mut table = txn
        .open_table(TableDefinition::<&str, &str>::new(name))
        .unwrap();
    table.insert("header", "{}").unwrap();
}

fn u64_u64(txn: &WriteTransaction, name: &str) {
    let mut table = txn
        .open_table(TableDefinition::<u64, u64>::new(name))
        .unwrap();
    table.insert(1, 2).unwrap();
}

/// The short-key index's type name with another width: redb says the type's definition changed.
#[derive(Debug)]
struct WideKey;

impl Value for WideKey {
    type SelfType<'a> = [u8; 40];
    type AsBytes<'a> = [u8; 40];

    fn fixed_width() -> Option<usize> {
        Some(40)
    }

    fn from_bytes<'a>(data: &'a [u8]) -> [u8; 40]
    where
        Self: 'a,
    {
        let mut key = [0; 40];
        key.copy_from_slice(&data[..40]);
        key
    }

    fn as_bytes<'a, 'b: 'a>(value: &'a [u8; 40]) -> [u8; 40]
    where
        Self: 'b,
    {
        *value
    }

    fn type_name() -> TypeName {
        TypeName::new("taizhang::ShortKey")
    }
}

impl redb::Key for WideKey {
    fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
        a.cmp(b)
    }
}

fn wide_keys(txn: &WriteTransaction, name: &str) {
    let mut table = txn
        .open_table(TableDefinition::<WideKey, u64>::new(name))
        .unwrap();
    table.insert([1; 40], 1).unwrap();
}

/// Everything the store says about a ledger: opening it, verifying it, reading its log and head.
fn said(path: &std::path::Path) -> Vec<String> {
    let ledger = match Ledger::open_read_only(path) {
        Ok(ledger) => ledger,
        Err(e) => return vec![e.to_string()],
    };
    let mut messages: Vec<String> = ledger
        .head_problem()
        .map(str::to_string)
        .into_iter()
        .collect();
    match ledger.verify() {
        Ok(v) => messages.extend(v.problems),
        Err(e) => messages.push(e.to_string()),
    }
    messages.extend(
        ledger
            .for_each_entry(1, |_| true)
            .err()
            .map(|e| e.to_string()),
    );
    messages.extend(ledger.head().err().map(|e| e.to_string()));
    drop(ledger);
    messages.extend(Ledger::open(path).err().map(|e| e.to_string()));
    messages
}

/// An ASCII word of four or more letters, outside the file's path and hashes: English that reached
/// the user.
fn english_word(message: &str, path: &std::path::Path) -> Option<String> {
    let message = message.replace(&path.display().to_string(), "");
    message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|token| !(token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit())))
        .flat_map(|token| token.split(|c: char| !c.is_ascii_alphabetic()))
        .find(|w| w.len() >= 4 && *w != "taizhang" && *w != "verify")
        .map(str::to_string)
}

fn assert_damage_in_chinese(path: &std::path::Path, expected: &str) {
    let messages = said(path);
    assert!(!messages.is_empty(), "the damage went unnoticed");
    for message in &messages {
        assert_eq!(english_word(message, path), None, "{messages:#?}");
        assert!(!message.contains("读写台账失败"), "{messages:#?}");
    }
    assert!(
        messages
            .iter()
            .any(|m| m.contains("损坏") && m.contains(expected)),
        "{messages:#?}"
    );
}

#[test]
fn a_missing_table_is_damage_in_chinese() {
    for (name, words) in [
        ("entries", "缺少记录表"),
        ("meta", "缺少台账头表"),
        ("sums", "缺少汇总表"),
        ("names", "缺少科目名称表"),
    ] {
        let (_dir, path) = small_ledger();
        replace(&path, name, None);
        assert_damage_in_chinese(&path, words);
    }
}

#[test]
fn a_table_of_another_type_is_damage_in_chinese() {
    for (name, make, words) in [
        (
            "meta",
            str_str as fn(&WriteTransaction, &str),
            "台账头表的键或值的类型",
        ),
        ("entries", u64_u64, "记录表的键或值的类型"),
        ("sums", u64_u64, "汇总表的键或值的类型"),
        ("keys_short", wide_keys, "存储宽度"),
    ] {
        let (_dir, path) = small_ledger();
        replace(&path, name, Some(make));
        assert_damage_in_chinese(&path, words);
    }
}

#[test]
fn a_file_without_any_ledger_table_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.redb");
    drop(Database::create(&path).unwrap());
    change(&path, |txn| str_str(txn, "settings"));
    let err = Ledger::open_read_only(&path).err().unwrap().to_string();
    assert!(err.contains("不是 taizhang 台账"), "{err}");
    assert_eq!(english_word(&err, &path), None, "{err}");
}

#[test]
fn an_entry_that_does_not_decode_is_named_in_chinese() {
    let (_dir, path) = small_ledger();
    const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
    change(&path, |txn| {
        let mut table = txn.open_table(ENTRIES).unwrap();
        // The batch of receipts is one chunk starting at entry 2; its records cut short.
        let value = table.get(2).unwrap().unwrap().value().to_vec();
        let cut = value[..value.len() / 2].to_vec();
        table.insert(2, cut.as_slice()).unwrap();
    });
    let ledger = Ledger::open_read_only(&path).unwrap();
    let err = ledger.for_each_entry(1, |_| true).unwrap_err().to_string();
    drop(ledger);
    assert!(err.starts_with("台账已损坏：第 "), "{err}");
    assert_eq!(english_word(&err, &path), None, "{err}");
    for message in said(&path) {
        assert_eq!(english_word(&message, &path), None, "{message}");
    }
}
