//! `verify` finds any change to stored history: changed, removed, reordered or inserted entries,
//! each named by the first bad sequence number. The file is changed the way an intruder with the
//! redb library would, below the ledger's API.

use chrono::NaiveDate;
use proptest::prelude::*;
use redb::{Database, ReadableTable, TableDefinition};
use taizhang_core::*;
use taizhang_store::{HashAlgo, Ledger, Offered, UnitNames};

const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");

fn receipt(n: u32, fen: i64, fund: Fund, code: &str, day: u32) -> Body {
    Body::Receipt(Receipt {
        voucher_no: format!("V{n:04}"),
        date: NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Days::new(day as u64),
        fund,
        code: FunctionCode::parse(code).unwrap(),
        code_name: None,
        amount: Amount::from_fen(fen),
        bond_code: None,
        project_code: None,
        memo: String::new(),
    })
}

fn new_ledger(path: &std::path::Path, algo: HashAlgo) -> Ledger {
    let unit = UnitNames {
        full: "单位".into(),
        short: "单位".into(),
    };
    Ledger::init(path, unit, algo).unwrap()
}

/// A ledger of `n` receipts posted in batches of `per_batch` after the unit entry `init` writes
/// (entry 1): each batch stores its records in one chunk, so with one per batch every stored value is
/// one entry, and receipt `i` is entry `i + 1`.
fn ledger_in_batches(n: u32, per_batch: u32) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.ledger");
    let ledger = new_ledger(&path, HashAlgo::Sm3);
    let numbers: Vec<u32> = (1..=n).collect();
    for batch in numbers.chunks(per_batch as usize) {
        let committed = ledger
            .write_batch("test", |w| {
                batch.iter().all(|&i| {
                    matches!(
                        w.offer(
                            "test",
                            receipt(i, 100 * i as i64, Fund::GovFund, "2290402", i)
                        ),
                        Ok(Offered::Posted(_))
                    )
                })
            })
            .unwrap();
        assert!(committed);
    }
    (dir, path)
}

fn ledger_with(n: u32) -> (tempfile::TempDir, std::path::PathBuf) {
    ledger_in_batches(n, 1)
}

/// Changes the raw entries table, then reports what `verify` says.
fn tamper(
    path: &std::path::Path,
    change: impl FnOnce(&mut redb::Table<u64, &[u8]>),
) -> taizhang_store::Verification {
    {
        let db = Database::open(path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(ENTRIES).unwrap();
            change(&mut table);
        }
        txn.commit().unwrap();
    }
    Ledger::open(path).unwrap().verify().unwrap()
}

fn value(table: &redb::Table<u64, &[u8]>, seq: u64) -> Vec<u8> {
    table.get(seq).unwrap().unwrap().value().to_vec()
}

#[test]
fn an_untouched_ledger_verifies() {
    let (_dir, path) = ledger_with(6);
    let v = Ledger::open(&path).unwrap().verify().unwrap();
    assert!(v.is_sound(), "{:?}", v.problems);
    assert_eq!(v.count, 7);
}

#[test]
fn a_changed_byte_is_found_at_its_entry() {
    let (_dir, path) = ledger_with(6);
    let v = tamper(&path, |t| {
        let mut bytes = value(t, 3);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        t.insert(3, bytes.as_slice()).unwrap();
    });
    assert_eq!(v.first_bad_seq, Some(3), "{:?}", v.problems);
}

#[test]
fn a_changed_byte_inside_a_chunk_is_found_at_its_entry() {
    let (_dir, path) = ledger_in_batches(6, 6);
    let v = tamper(&path, |t| {
        // The batch's chunk starts after the unit entry.
        let mut bytes = value(t, 2);
        // A byte of the third record's payload, found after its own hash (stored as is).
        let third = taizhang_store::chunk::nth_record(&bytes, 2).unwrap();
        let own_hash = &third[1..33];
        let at = bytes.windows(32).position(|w| w == own_hash).unwrap();
        bytes[at + 32 + 3] ^= 0x01;
        t.insert(2, bytes.as_slice()).unwrap();
    });
    assert_eq!(v.first_bad_seq, Some(4), "{:?}", v.problems);
    assert_eq!(v.count, 7);
}

#[test]
fn a_removed_entry_is_found() {
    let (_dir, path) = ledger_with(6);
    let v = tamper(&path, |t| {
        t.remove(3).unwrap();
    });
    assert_eq!(v.first_bad_seq, Some(3), "{:?}", v.problems);
}

#[test]
fn reordered_entries_are_found() {
    let (_dir, path) = ledger_with(6);
    let v = tamper(&path, |t| {
        let (three, four) = (value(t, 3), value(t, 4));
        t.insert(3, four.as_slice()).unwrap();
        t.insert(4, three.as_slice()).unwrap();
    });
    assert_eq!(v.first_bad_seq, Some(3), "{:?}", v.problems);
}

#[test]
fn an_inserted_entry_is_found() {
    let (_dir, path) = ledger_with(6);
    let v = tamper(&path, |t| {
        let values: Vec<Vec<u8>> = (3..=6).map(|s| value(t, s)).collect();
        for (i, v) in values.iter().enumerate() {
            t.insert(4 + i as u64, v.as_slice()).unwrap();
        }
        let forged = value(t, 2);
        t.insert(3, forged.as_slice()).unwrap();
    });
    assert_eq!(v.first_bad_seq, Some(3), "{:?}", v.problems);
}

#[test]
fn a_record_from_a_newer_program_is_refused_with_a_clear_message() {
    let (_dir, path) = ledger_with(3);
    let v = tamper(&path, |t| {
        let mut bytes = value(t, 2);
        bytes[0] = 99;
        t.insert(2, bytes.as_slice()).unwrap();
    });
    assert_eq!(v.first_bad_seq, Some(2));
    assert!(v.problems[0].contains("比本程序新"), "{:?}", v.problems);
}

#[test]
fn a_second_open_of_the_same_file_is_refused_at_once() {
    let (_dir, path) = ledger_with(1);
    let _held = Ledger::open(&path).unwrap();
    let second = Ledger::open(&path);
    assert!(matches!(second, Err(taizhang_store::StoreError::Busy(_))));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Arbitrary valid batches keep the chain verifiable, and offering them again posts nothing.
    #[test]
    fn arbitrary_valid_batches_verify_and_reimport_posts_nothing(
        batches in prop::collection::vec(prop::collection::vec((1i64..1_000_000_000, 0usize..4, 0usize..3, 0u32..700), 1..20), 1..4)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.ledger");
        let ledger = new_ledger(&path, HashAlgo::Sha256);
        let codes = ["2290402", "2120803", "2010350"];
        let mut n = 0u32;
        let mut all = Vec::new();
        for batch in &batches {
            let bodies: Vec<Body> = batch.iter().map(|&(fen, fund, code, day)| { n += 1; receipt(n, fen, Fund::ALL[fund], codes[code], day) }).collect();
            all.extend(bodies.clone());
            let committed = ledger.write_batch("p", |w| bodies.into_iter().all(|b| matches!(w.offer("p", b), Ok(Offered::Posted(_))))).unwrap();
            prop_assert!(committed);
        }
        let v = ledger.verify().unwrap();
        prop_assert!(v.is_sound(), "{:?}", v.problems);
        prop_assert_eq!(v.count, n as u64 + 1);
        let head = ledger.head().unwrap();
        let again = ledger.write_batch("p", |w| all.into_iter().all(|b| w.offer("p", b) == Ok(Offered::AlreadyPosted))).unwrap();
        prop_assert!(again);
        prop_assert_eq!(ledger.head().unwrap(), head);
    }

    /// Stored-record decoding: any bytes give a record or an error, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic_the_record_decoder(bytes in prop::collection::vec(any::<u8>(), 0..300), chunked in any::<bool>()) {
        // As a bare record, and behind a chunk's mark (so the length framing is fuzzed too).
        let stored = if chunked { [&[taizhang_store::chunk::MARK][..], &bytes].concat() } else { bytes };
        for record in taizhang_store::chunk::records(&stored).flatten() {
            if let Ok((_, _, payload)) = taizhang_store::record::split(&record) {
                if let Ok(record) = taizhang_store::record::decode_payload(payload) {
                    let _ = Body::try_from(&record.body);
                }
            }
        }
    }
}

#[test]
fn a_ledger_from_a_newer_program_is_refused_with_a_clear_message() {
    let (_dir, path) = ledger_with(1);
    {
        const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
        let db = Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            let mut header: serde_json::Value =
                serde_json::from_slice(meta.get("header").unwrap().unwrap().value()).unwrap();
            let format = header["format"]
                .as_u64()
                .expect("the header names its format");
            header["format"] = (format + 1).into();
            meta.insert("header", serde_json::to_vec(&header).unwrap().as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let err = Ledger::open(&path)
        .err()
        .expect("a newer ledger is refused");
    assert!(err.to_string().contains("更新版本"), "{err}");
}

#[test]
fn a_cut_off_newest_entry_is_seen_on_open_and_writing_is_refused() {
    let (_dir, path) = ledger_with(6);
    let v = tamper(&path, |t| {
        t.remove(7).unwrap();
    });
    assert_eq!(v.first_bad_seq, Some(7), "{:?}", v.problems);
    let ledger = Ledger::open(&path).unwrap();
    assert!(
        ledger.head_problem().is_some_and(|p| p.contains("第 6 条")),
        "{:?}",
        ledger.head_problem()
    );
    let refused = ledger.write_batch("t", |w| {
        w.offer("t", receipt(99, 100, Fund::GovFund, "2290402", 1))
            .is_ok()
    });
    assert!(refused.is_err_and(|e| e.to_string().contains("已拒绝记账")));
}

#[test]
fn an_untouched_ledger_passes_the_check_on_open() {
    let (_dir, path) = ledger_with(3);
    assert_eq!(Ledger::open(&path).unwrap().head_problem(), None);
}

#[test]
fn a_reference_to_an_entry_no_longer_indexed_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.ledger");
    {
        let ledger = new_ledger(&path, HashAlgo::Sm3);
        let contract = Body::Contract(ContractPart {
            terms: ContractTerms {
                no: "HT".into(),
                title: "合同".into(),
                sign_date: NaiveDate::from_ymd_opt(2022, 1, 1).unwrap(),
                category: Category::Goods,
                method: Method::Inquiry,
                fund: Fund::General,
                project_code: None,
                clauses: Default::default(),
            },
            part: SupplierPart {
                name: "甲".into(),
                uscc: None,
                size: SupplierSize::Small,
                special: None,
                amount: Amount::from_fen(100_000),
                declaration: None,
            },
        });
        let Body::Receipt(r) = receipt(1, 500, Fund::General, "2010350", 10) else {
            unreachable!()
        };
        let payment = Body::Payment(Payment {
            voucher_no: "P1".into(),
            date: r.date,
            fund: Fund::General,
            code: r.code,
            code_name: None,
            expense_type: ExpenseType::Project,
            amount: Amount::from_fen(500),
            project_code: None,
            contract_no: Some("HT".into()),
            bond_code: None,
            purpose: Purpose::Other,
            payee: "甲".into(),
            memo: String::new(),
            econ_code: None,
        });
        assert!(ledger
            .write_batch("t", |w| w.offer("t", contract).is_ok()
                && w.offer("t", payment).is_ok())
            .unwrap());
    }
    {
        // A short key: its bytes, zero-filled to 23, then its length; opened untyped, as raw bytes.
        const SHORT_KEYS: TableDefinition<RawShortKey, u64> = TableDefinition::new("keys_short");
        let text = "C\u{1f}HT\u{1f}甲".as_bytes();
        let mut packed = [0u8; 24];
        packed[..text.len()].copy_from_slice(text);
        packed[23] = text.len() as u8;
        let db = Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(SHORT_KEYS).unwrap();
            let removed = table.remove(RawShortKey(packed)).unwrap();
            assert!(
                removed.is_some(),
                "the contract part was indexed under its short key"
            );
        }
        txn.commit().unwrap();
    }
    let v = Ledger::open(&path).unwrap().verify().unwrap();
    assert_eq!(v.first_bad_seq, Some(2), "{:?}", v.problems);
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("第 3 条：所指的合同 HT 不在此前的记录中")),
        "{:?}",
        v.problems
    );
}

/// The index's short key as raw bytes, under the type name the store gives it.
#[derive(Debug)]
struct RawShortKey([u8; 24]);

impl redb::Value for RawShortKey {
    type SelfType<'a> = RawShortKey;
    type AsBytes<'a> = [u8; 24];
    fn fixed_width() -> Option<usize> {
        Some(24)
    }
    fn from_bytes<'a>(data: &'a [u8]) -> RawShortKey
    where
        Self: 'a,
    {
        RawShortKey(data.try_into().unwrap())
    }
    fn as_bytes<'a, 'b: 'a>(value: &'a RawShortKey) -> [u8; 24]
    where
        Self: 'b,
    {
        value.0
    }
    fn type_name() -> redb::TypeName {
        redb::TypeName::new("taizhang::ShortKey")
    }
}

impl redb::Key for RawShortKey {
    fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
        a.cmp(b)
    }
}
