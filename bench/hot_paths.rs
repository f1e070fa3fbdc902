//! criterion benchmarks of the hot paths: a row parsed and checked, a record hashed, a batch appended
//! durably, a report computed. `cargo bench --bench hot_paths`.

use std::collections::HashMap;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use taizhang_core::*;
use taizhang_interchange::{parse, Cells};
use taizhang_projection::{table7::table7, Facts, Sums};
use taizhang_store::{HashAlgo, Ledger, UnitNames};

struct MapCells(HashMap<&'static str, String>);

impl Cells for MapCells {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

fn payment_cells() -> MapCells {
    let pairs = [
        ("voucher_no", "PAY000012345"),
        ("date", "2022-06-30"),
        ("fund", "政府性基金预算"),
        ("function_code", "2290402"),
        ("expense_type", "项目支出"),
        ("amount", "1,234,567.89"),
        ("bond_code", "GB001"),
        ("purpose", "建设"),
        ("payee", "示例数字科技股份有限公司"),
    ];
    MapCells(pairs.into_iter().map(|(k, v)| (k, v.to_string())).collect())
}

fn receipt(n: usize) -> Body {
    Body::Receipt(Receipt {
        voucher_no: format!("R{n:09}"),
        date: NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Days::new((n % 365) as u64),
        fund: Fund::GovFund,
        code: FunctionCode::parse(["2290402", "2120803"][n % 2]).unwrap(),
        code_name: None,
        amount: Amount::from_fen(100_000 + n as i64),
        bond_code: None,
        project_code: None,
        memo: String::new(),
    })
}

fn parsing(c: &mut Criterion) {
    let cells = payment_cells();
    c.bench_function("parse and check one payment row", |b| {
        b.iter(|| parse::parse(Kind::Payment, &cells).unwrap())
    });
}

fn hashing(c: &mut Criterion) {
    let payload = vec![0x5au8; 200];
    let mut group = c.benchmark_group("hash a 200-byte record");
    group.throughput(Throughput::Bytes(payload.len() as u64));
    for algo in [HashAlgo::Sm3, HashAlgo::Sha256] {
        group.bench_function(algo.name(), |b| b.iter(|| algo.digest(&payload)));
    }
    group.finish();
    // What the import does: the bodies of a chunk of rows hashed ahead at once (SIMD lanes for SM3).
    let bodies: Vec<Vec<u8>> = (0..256).map(|i| vec![i as u8; 150 + i % 60]).collect();
    let parts: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
    let mut group = c.benchmark_group("hash 256 record bodies ahead");
    group.throughput(Throughput::Elements(parts.len() as u64));
    for algo in [HashAlgo::Sm3, HashAlgo::Sha256] {
        group.bench_function(algo.name(), |b| b.iter(|| algo.ahead(&parts)));
    }
    group.finish();
}

fn appending(c: &mut Criterion) {
    const BATCH: usize = 2_000;
    let mut group = c.benchmark_group("append a durable batch");
    group
        .throughput(Throughput::Elements(BATCH as u64))
        .sample_size(10);
    group.bench_function("2000 receipts, one fsync", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let ledger = Ledger::init(
                    &dir.path().join("b.ledger"),
                    UnitNames {
                        full: "单位".into(),
                        short: "单位".into(),
                    },
                    HashAlgo::Sm3,
                )
                .unwrap();
                (dir, ledger)
            },
            |(_dir, ledger)| {
                ledger
                    .write_batch("bench", |w| {
                        (0..BATCH).all(|n| w.offer("bench", receipt(n)).is_ok())
                    })
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn reporting(c: &mut Criterion) {
    let log: Vec<Body> = (0..100_000).map(receipt).collect();
    let facts = Facts {
        sums: Sums::rebuild(log.iter().map(|b| (b, None))),
        ..Facts::default()
    };
    c.bench_function("table 7 from the running sums of 100k entries", |b| {
        b.iter(|| table7(&facts, 2022))
    });
}

criterion_group!(benches, parsing, hashing, appending, reporting);
criterion_main!(benches);
