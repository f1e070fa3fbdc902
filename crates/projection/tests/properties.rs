//! Properties of the projections on random ledgers: table 7's identities on every row, parents equal
//! to the sum of their children, and running sums kept batch by batch equal to a rebuild from the log.

use chrono::NaiveDate;
use proptest::prelude::*;
use taizhang_core::*;
use taizhang_projection::table7::table7;
use taizhang_projection::{changes, Facts, Sums};

const CODES: [&str; 5] = ["2290402", "2120803", "2120899", "2010350", "2320411"];

#[derive(Clone, Debug)]
enum Op {
    Receipt {
        fen: i64,
        fund: usize,
        code: usize,
        day: u32,
    },
    Payment {
        fen: i64,
        fund: usize,
        code: usize,
        day: u32,
        basic: bool,
    },
    Opening {
        fen: i64,
        code: usize,
        year: i32,
    },
    /// Reverses the n-th receipt or payment so far (if any), `later` days after it.
    Reverse {
        n: usize,
        later: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..5_000_000_000, 0usize..2, 0usize..5, 0u32..1100).prop_map(
            |(fen, fund, code, day)| Op::Receipt {
                fen,
                fund,
                code,
                day
            }
        ),
        (
            1i64..5_000_000_000,
            0usize..2,
            0usize..5,
            0u32..1100,
            any::<bool>()
        )
            .prop_map(|(fen, fund, code, day, basic)| Op::Payment {
                fen,
                fund,
                code,
                day,
                basic
            }),
        (0i64..5_000_000_000, 0usize..5, 2022i32..2025).prop_map(|(fen, code, year)| Op::Opening {
            fen,
            code,
            year
        }),
        (0usize..40, 0u32..400).prop_map(|(n, later)| Op::Reverse { n, later }),
    ]
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Days::new(day as u64)
}

/// The ledger's entries, each with the entry it refers to.
fn entries(ops: &[Op]) -> Vec<(Body, Option<Body>)> {
    let funds = [Fund::GovFund, Fund::General];
    let mut out: Vec<(Body, Option<Body>)> = Vec::new();
    let mut money: Vec<Body> = Vec::new();
    let mut openings = std::collections::BTreeSet::new();
    for (i, op) in ops.iter().enumerate() {
        let body = match op {
            Op::Receipt {
                fen,
                fund,
                code,
                day,
            } => Body::Receipt(Receipt {
                voucher_no: format!("R{i}"),
                date: date(*day),
                fund: funds[*fund],
                code: FunctionCode::parse(CODES[*code]).unwrap(),
                code_name: None,
                amount: Amount::from_fen(*fen),
                bond_code: None,
                project_code: None,
                memo: String::new(),
            }),
            Op::Payment {
                fen,
                fund,
                code,
                day,
                basic,
            } => Body::Payment(Payment {
                voucher_no: format!("P{i}"),
                date: date(*day),
                fund: funds[*fund],
                code: FunctionCode::parse(CODES[*code]).unwrap(),
                code_name: None,
                expense_type: if *basic {
                    ExpenseType::Basic
                } else {
                    ExpenseType::Project
                },
                amount: Amount::from_fen(*fen),
                project_code: None,
                contract_no: None,
                bond_code: None,
                purpose: Purpose::Other,
                payee: String::new(),
                memo: String::new(),
                econ_code: None,
            }),
            Op::Opening { fen, code, year } => {
                if !openings.insert((*code, *year)) {
                    continue;
                }
                Body::Opening(Opening {
                    year: *year,
                    fund: Fund::GovFund,
                    code: FunctionCode::parse(CODES[*code]).unwrap(),
                    code_name: None,
                    amount: Amount::from_fen(*fen),
                    adjust_reason: None,
                })
            }
            Op::Reverse { n, later } => {
                let Some(original) = money.get(*n).cloned() else {
                    continue;
                };
                let (voucher_no, day) = match &original {
                    Body::Receipt(r) => (r.voucher_no.clone(), r.date),
                    Body::Payment(p) => (p.voucher_no.clone(), p.date),
                    _ => unreachable!("only money is reversed"),
                };
                money.remove(*n);
                out.push((
                    Body::Reversal(Reversal {
                        voucher_no,
                        date: day + chrono::Days::new(*later as u64),
                        reason: "更正".into(),
                    }),
                    Some(original),
                ));
                continue;
            }
        };
        if matches!(body, Body::Receipt(_) | Body::Payment(_)) {
            money.push(body.clone());
        }
        out.push((body, None));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn table7_identities_hold_for_every_year(ops in prop::collection::vec(op(), 0..60)) {
        let log = entries(&ops);
        let facts = Facts { sums: Sums::rebuild(log.iter().map(|(b, r)| (b, r.as_ref()))), ..Facts::default() };
        let gov_fund = |b: &Body| match b {
            Body::Receipt(r) => r.fund == Fund::GovFund,
            Body::Payment(p) => p.fund == Fund::GovFund,
            _ => true,
        };
        let only = log.iter().filter(|(b, r)| gov_fund(b) && r.as_ref().is_none_or(gov_fund));
        let gov_fund_only = Facts { sums: Sums::rebuild(only.map(|(b, r)| (b, r.as_ref()))), ..Facts::default() };
        for year in 2021..=2026 {
            let t = table7(&facts, year);
            prop_assert!(t.broken_identities.is_empty(), "{year}: {:?}", t.broken_identities);
            for row in &t.rows {
                let c = row.columns;
                prop_assert_eq!(c.expense, c.basic + c.project);
                prop_assert_eq!(c.closing, c.opening + c.income - c.expense);
            }
            let lei_total: Amount = t.rows.iter().filter(|r| r.level == Level::Lei).map(|r| r.columns.closing).sum();
            prop_assert_eq!(lei_total, t.total.closing);
            // The general budget never reaches table 7: leaving its entries out changes nothing.
            prop_assert_eq!(&t, &table7(&gov_fund_only, year));
        }
    }

    #[test]
    fn sums_kept_batch_by_batch_equal_a_rebuild(ops in prop::collection::vec(op(), 0..60), cut in 1usize..10) {
        let log = entries(&ops);
        let mut incremental = Sums::default();
        for batch in log.chunks(cut) {
            let mut pending = Sums::default();
            for (body, referred) in batch {
                pending.apply(changes(body, referred.as_ref()));
            }
            incremental.apply(pending.0.clone());
        }
        let rebuilt = Sums::rebuild(log.iter().map(|(b, r)| (b, r.as_ref())));
        prop_assert_eq!(&incremental, &rebuilt);
        for year in 2022..=2025 {
            let a = table7(&Facts { sums: incremental.clone(), ..Facts::default() }, year);
            let b = table7(&Facts { sums: rebuilt.clone(), ..Facts::default() }, year);
            prop_assert_eq!(a, b);
        }
    }
}

/// The facts of a log as the store keeps them: the sums and every opening balance given.
fn facts_of(log: &[(Body, Option<Body>)]) -> Facts {
    let openings = log
        .iter()
        .filter_map(|(b, _)| match b {
            Body::Opening(o) => Some(o.clone()),
            _ => None,
        })
        .collect();
    Facts {
        sums: Sums::rebuild(log.iter().map(|(b, r)| (b, r.as_ref()))),
        openings,
        ..Facts::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The drill-down of every cell of table 7 (every row, the 合计 row, every column, every year)
    /// lists entries whose contributions add up to the cell exactly.
    #[test]
    fn every_table7_cell_is_the_sum_of_its_entries(ops in prop::collection::vec(op(), 0..60)) {
        use taizhang_projection::cell::{self, Cell, CellRow, Column, Drill};
        let log = entries(&ops);
        let facts = facts_of(&log);
        for year in 2021..=2026 {
            let t = table7(&facts, year);
            let rows = t.rows.iter().map(|r| CellRow::Code(r.code))
                .chain([CellRow::Total, CellRow::parse("212").unwrap(), CellRow::parse("2290402").unwrap()]);
            for row in rows {
                for column in Column::ALL {
                    let drill = Drill::new(&facts, Cell { year, row, column });
                    let sum: Amount = log.iter()
                        .filter_map(|(b, r)| drill.contribution(b, r.as_ref()))
                        .sum();
                    prop_assert_eq!(sum, cell::value(&t, &row, column), "{} {:?} {:?}", year, row, column);
                }
            }
        }
    }
}
