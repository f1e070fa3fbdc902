//! Damage to the ledger file the way a disk or a careless hand does it: one byte changed anywhere,
//! or the file cut short. Whatever the damage, no operation of the store panics; and every flip is
//! either found by `verify` or changes nothing any output shows (the log, the reports' facts) and
//! nothing a later write does (an import after it is refused, or leaves a ledger that verifies and
//! holds every earlier entry and the new ones).
//!
//! Positions are sampled, deterministically, from every part of the file: redb's header page, and
//! the rest (chunks of entries, index and sum pages, free space) uniformly. `TAIZHANG_FLIP_TRIALS`
//! sets the number of flips (default 60, for CI in debug); the truncations are fixed.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use taizhang_core::*;
use taizhang_store::{EntryLine, HashAlgo, Ledger, Offered, StoreError, UnitNames};

/// Small, deterministic, good enough to spread positions (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn receipt(n: u32, code: &str) -> Body {
    Body::Receipt(Receipt {
        voucher_no: format!("V{n:05}"),
        date: NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Days::new((n % 300) as u64),
        fund: Fund::ALL[(n % 4) as usize],
        code: FunctionCode::parse(code).unwrap(),
        code_name: None,
        amount: Amount::from_fen(100 + n as i64 * 37),
        bond_code: None,
        project_code: None,
        memo: String::new(),
    })
}

fn catalog(code: &str, name: &str) -> Body {
    Body::Catalog(CatalogName {
        code: ClassCode::parse(code).unwrap(),
        name: name.into(),
    })
}

fn post(ledger: &Ledger, bodies: Vec<Body>) -> Result<bool, StoreError> {
    ledger.write_batch("t", |w| {
        bodies
            .into_iter()
            .all(|b| matches!(w.offer("t", b), Ok(Offered::Posted(_))))
    })
}

/// A ledger of about three thousand entries in a few batches, some with their own catalogue names
/// and a period close, so that every table has rows.
fn build(path: &Path) {
    let unit = UnitNames {
        full: "武汉市青山区大数据中心".into(),
        short: "青山区大数据中心".into(),
    };
    let ledger = Ledger::init(path, unit, HashAlgo::Sm3).unwrap();
    let codes = ["2290402", "2120803", "2010350"];
    let mut n = 0;
    for batch in 0..6 {
        let mut bodies = Vec::new();
        if batch == 0 {
            bodies.push(catalog("299", "其他支出"));
            bodies.push(catalog("29999", "其他支出"));
        }
        for _ in 0..500 {
            n += 1;
            bodies.push(receipt(n, codes[(n % 3) as usize]));
        }
        assert!(post(&ledger, bodies).unwrap());
    }
    let close = Body::Close(PeriodClose {
        through: NaiveDate::from_ymd_opt(2021, 12, 31).unwrap(),
    });
    assert!(post(&ledger, vec![close]).unwrap());
}

/// What any output shows: every entry as the log prints it, and the reports' facts.
#[derive(PartialEq, Debug)]
struct Outputs {
    log: Vec<String>,
    facts: String,
    unit: UnitNames,
}

fn outputs(ledger: &Ledger) -> Result<Outputs, StoreError> {
    let mut log = Vec::new();
    ledger.for_each_entry(1, |p| {
        log.push(serde_json::to_string(&EntryLine::of(&p)).unwrap());
        true
    })?;
    let facts = ledger.facts()?;
    Ok(Outputs {
        log,
        facts: format!(
            "{:?}",
            (facts.sums, facts.names, facts.bonds, facts.contracts)
        ),
        unit: ledger.unit().clone(),
    })
}

/// The new entries of the write after the damage.
fn later_batch() -> Vec<Body> {
    (90_001..90_021).map(|n| receipt(n, "2290402")).collect()
}

#[derive(Default, Debug)]
struct Tally {
    trials: u64,
    found: u64,
    unchanged: u64,
    writes_refused_after_found: u64,
    writes_taken_after_found: u64,
    /// Damage on which the storage engine panicked: contained, and reported as a damaged file.
    engine_panics_contained: u64,
    /// Flips in redb's header page, of the trials.
    in_header_page: u64,
    in_header_page_found: u64,
}

/// Whether an error is a panic of the engine, contained at the store's boundary.
fn contained(error: &StoreError) -> bool {
    error.to_string().contains("存储引擎停在")
}

enum Outcome {
    Found,
    Unchanged,
}

/// Opens the damaged copy, verifies, compares what it shows, writes to it. Panics (the test fails)
/// only if a promise is broken; a panic inside the store would fail it too.
fn judge(path: &Path, original: &Outputs, tally: &mut Tally) -> Outcome {
    let mut panicked = false;
    let found = match Ledger::open_read_only(path) {
        Err(e) => {
            panicked |= contained(&e);
            true
        }
        Ok(ledger) => {
            let verified = ledger.verify();
            panicked |= match &verified {
                Ok(v) => v.problems.iter().any(|p| p.contains("存储引擎停在")),
                Err(e) => contained(e),
            };
            let sound = verified.is_ok_and(|v| v.is_sound());
            if sound {
                let shown = outputs(&ledger).expect("a ledger that verifies can be read");
                assert_eq!(&shown, original, "a flip verify passed changed an output");
            } else {
                // Reading a damaged ledger may fail, but must not panic.
                let _ = outputs(&ledger);
            }
            !sound
        }
    };
    let written = Ledger::open(path).and_then(|ledger| post(&ledger, later_batch()));
    if let Err(e) = &written {
        panicked |= contained(e);
    }
    tally.engine_panics_contained += u64::from(panicked);
    match (found, written) {
        (true, Ok(true)) => tally.writes_taken_after_found += 1,
        (true, _) => tally.writes_refused_after_found += 1,
        (false, Ok(true)) => {
            let ledger = Ledger::open_read_only(path).unwrap();
            let v = ledger.verify().unwrap();
            assert!(
                v.is_sound(),
                "a write after an unseen flip: {:?}",
                v.problems
            );
            let after = outputs(&ledger).unwrap();
            assert_eq!(after.log.len(), original.log.len() + 20);
            assert_eq!(after.log[..original.log.len()], original.log[..]);
        }
        (false, _) => {}
    }
    if found {
        Outcome::Found
    } else {
        Outcome::Unchanged
    }
}

fn trials() -> u64 {
    std::env::var("TAIZHANG_FLIP_TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(60)
}

fn copy_of(original: &Path, dir: &Path) -> PathBuf {
    let path = dir.join("damaged.ledger");
    std::fs::copy(original, &path).unwrap();
    path
}

#[test]
fn single_byte_flips_are_found_or_change_nothing_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original.ledger");
    build(&original);
    let bytes = std::fs::read(&original).unwrap();
    let shown = outputs(&Ledger::open_read_only(&original).unwrap()).unwrap();
    let mut rng = Rng(0x5EED_0014);
    let mut tally = Tally::default();
    for trial in 0..trials() {
        // A quarter in redb's header page, the rest anywhere.
        let at = if trial % 4 == 0 {
            rng.below(4096)
        } else {
            rng.below(bytes.len() as u64)
        } as usize;
        let in_header = at < 4096;
        let mut damaged = bytes.clone();
        damaged[at] ^= 1 + rng.below(255) as u8;
        let path = copy_of(&original, dir.path());
        std::fs::write(&path, &damaged).unwrap();
        tally.trials += 1;
        let outcome = judge(&path, &shown, &mut tally);
        tally.in_header_page += u64::from(in_header);
        match outcome {
            Outcome::Found => {
                tally.found += 1;
                tally.in_header_page_found += u64::from(in_header);
            }
            Outcome::Unchanged => tally.unchanged += 1,
        }
    }
    println!("flips: {tally:?} (file {} bytes, panics: 0)", bytes.len());
    assert_eq!(tally.found + tally.unchanged, tally.trials);
    // Before writes ran redb's integrity check, 270 of 274 damaged files took the write.
    assert_eq!(
        tally.writes_taken_after_found, 0,
        "a write went into a file verify rejects: {tally:?}"
    );
}

#[test]
fn a_cut_short_ledger_is_found_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original.ledger");
    build(&original);
    let bytes = std::fs::read(&original).unwrap();
    let shown = outputs(&Ledger::open_read_only(&original).unwrap()).unwrap();
    let len = bytes.len();
    let mut tally = Tally::default();
    for cut in [
        0,
        1,
        511,
        512,
        4096,
        4097,
        len / 3,
        len / 2,
        len - 4096,
        len - 1,
    ] {
        let path = copy_of(&original, dir.path());
        std::fs::write(&path, &bytes[..cut]).unwrap();
        tally.trials += 1;
        match judge(&path, &shown, &mut tally) {
            Outcome::Found => tally.found += 1,
            Outcome::Unchanged => tally.unchanged += 1,
        }
    }
    println!("truncations: {tally:?}");
    assert_eq!(tally.found, tally.trials, "every cut is found: {tally:?}");
}
