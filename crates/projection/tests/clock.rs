//! The payment clock, idle funds and procurement checks, worked by hand at each rule's edges, and
//! their properties: paid + outstanding = amount, interest never negative, the clock kept entry by
//! entry equal to the one rebuilt from the whole log.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use taizhang_core::*;
use taizhang_projection::checks::procurement_checks;
use taizhang_projection::clock::{overdue, payment_clock, Due};
use taizhang_projection::flows::Flows;
use taizhang_projection::idle::idle_funds;

fn d(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn yuan(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn part(no: &str, supplier: &str, size: SupplierSize, clauses: Clauses) -> ContractPart {
    ContractPart {
        terms: ContractTerms {
            no: no.into(),
            title: "合同".into(),
            sign_date: d("2025-06-02"),
            category: Category::Goods,
            method: Method::Inquiry,
            fund: Fund::General,
            project_code: None,
            clauses,
        },
        part: SupplierPart {
            name: supplier.into(),
            uscc: None,
            size,
            special: None,
            amount: yuan("100000.00"),
            declaration: None,
        },
    }
}

fn small(no: &str) -> ContractPart {
    part(no, "小供应商", SupplierSize::Small, Clauses::default())
}

fn accept(no: &str, supplier: &str, date: &str, amount: &str) -> Body {
    Body::Acceptance(Acceptance {
        contract_no: no.into(),
        supplier_name: supplier.into(),
        date: d(date),
        basis: Basis::Acceptance,
        amount: yuan(amount),
        memo: String::new(),
    })
}

fn pay(voucher: &str, no: &str, payee: &str, date: &str, amount: &str) -> Body {
    Body::Payment(Payment {
        voucher_no: voucher.into(),
        date: d(date),
        fund: Fund::General,
        code: FunctionCode::parse("2010350").unwrap(),
        code_name: None,
        expense_type: ExpenseType::Project,
        amount: yuan(amount),
        project_code: None,
        contract_no: Some(no.into()),
        bond_code: None,
        purpose: Purpose::Other,
        payee: payee.into(),
        memo: String::new(),
        econ_code: None,
    })
}

fn clock(parts: &[ContractPart], entries: &[Body], as_of: &str) -> Vec<Due> {
    payment_clock(&Flows::rebuild(entries), parts, d(as_of)).rows
}

#[test]
fn a_due_paid_on_its_last_day_is_in_time_and_the_day_after_one_day_late() {
    // Accepted Tuesday 2025-07-01; + 30 days = Thursday 2025-07-31, a working day.
    let parts = [small("C")];
    let on_time = clock(
        &parts,
        &[
            accept("C", "小供应商", "2025-07-01", "1000.00"),
            pay("P", "C", "小供应商", "2025-07-31", "1000.00"),
        ],
        "2025-09-30",
    );
    assert_eq!(on_time[0].due_date, d("2025-07-31"));
    assert_eq!(
        (on_time[0].overdue_days, on_time[0].late_interest),
        (0, Amount::ZERO)
    );
    let late = clock(
        &parts,
        &[
            accept("C", "小供应商", "2025-07-01", "1000.00"),
            pay("P", "C", "小供应商", "2025-08-01", "1000.00"),
        ],
        "2025-09-30",
    );
    // 1000.00 × 0.05 % × 1 day = 0.50.
    assert_eq!(
        (late[0].overdue_days, late[0].late_interest),
        (1, yuan("0.50"))
    );
    assert_eq!(late[0].outstanding, Amount::ZERO);
}

#[test]
fn a_due_on_a_sunday_or_in_the_national_day_holiday_moves_to_the_next_working_day() {
    let parts = [small("C")];
    // 2025-07-04 + 30 = Sunday 2025-08-03 → Monday 2025-08-04.
    let rows = clock(
        &parts,
        &[accept("C", "小供应商", "2025-07-04", "10.00")],
        "2025-08-04",
    );
    assert_eq!(rows[0].due_date, d("2025-08-04"));
    assert_eq!(rows[0].overdue_days, 0);
    // 2025-09-01 + 30 = 2025-10-01, National Day (1–8 October off) → Thursday 2025-10-09.
    let rows = clock(
        &parts,
        &[accept("C", "小供应商", "2025-09-01", "10.00")],
        "2025-10-10",
    );
    assert_eq!(rows[0].due_date, d("2025-10-09"));
    assert_eq!(rows[0].overdue_days, 1);
}

#[test]
fn partial_payments_settle_two_dues_first_in_first_out() {
    let parts = [small("C")];
    let entries = [
        accept("C", "小供应商", "2025-07-01", "1000.00"), // due 2025-07-31
        accept("C", "小供应商", "2025-07-15", "2000.00"), // due 2025-08-14
        pay("P1", "C", "小供应商", "2025-07-30", "1500.00"),
        pay("P2", "C", "小供应商", "2025-08-20", "1000.00"),
    ];
    let rows = clock(&parts, &entries, "2025-08-24");
    // P1 pays the first due whole and 500.00 of the second, both in time.
    assert_eq!(
        (rows[0].paid, rows[0].outstanding, rows[0].overdue_days),
        (yuan("1000.00"), Amount::ZERO, 0)
    );
    // P2 pays 1000.00 of the second 6 days late (3.00); 500.00 is unpaid 10 days late (2.50).
    let second = &rows[1];
    assert_eq!(second.due_date, d("2025-08-14"));
    assert_eq!(
        (second.paid, second.outstanding),
        (yuan("1500.00"), yuan("500.00"))
    );
    assert_eq!(second.paid + second.outstanding, second.amount);
    assert_eq!(second.overdue_days, 10);
    assert_eq!(second.late_interest, yuan("5.50"));
    // A payment to another payee of the contract settles nothing of this part.
    let other = clock(
        &parts,
        &[
            entries[0].clone(),
            pay("X", "C", "别人", "2025-07-02", "1000.00"),
        ],
        "2025-08-01",
    );
    assert_eq!(other[0].outstanding, yuan("1000.00"));
}

#[test]
fn the_contracts_own_rate_and_the_default() {
    let own = Clauses {
        late_interest_daily_pct: Some(Decimal::new(3, 2)),
        payment_terms_days: Some(45),
        ..Clauses::default()
    };
    let parts = [part("C", "小供应商", SupplierSize::Micro, own), small("D")];
    let entries = [
        accept("C", "小供应商", "2025-07-01", "1000.00"), // + 45 = Friday 2025-08-15
        accept("D", "小供应商", "2025-07-01", "1000.00"), // + 30 = 2025-07-31
    ];
    let rows = clock(&parts, &entries, "2025-08-25");
    assert_eq!(rows[0].due_date, d("2025-08-15"));
    // 1000.00 × 0.03 % × 10 = 3.00; the default: 1000.00 × 0.05 % × 25 = 12.50.
    assert_eq!(
        (rows[0].overdue_days, rows[0].late_interest),
        (10, yuan("3.00"))
    );
    assert_eq!(
        (rows[1].overdue_days, rows[1].late_interest),
        (25, yuan("12.50"))
    );
    // Rounded per slice, half away from zero: 333.33 × 0.05 % = 0.166665 → 0.17.
    let rows = clock(
        &[small("D")],
        &[accept("D", "小供应商", "2025-07-01", "333.33")],
        "2025-08-01",
    );
    assert_eq!(rows[0].late_interest, yuan("0.17"));
}

#[test]
fn a_large_supplier_is_not_on_the_clock_but_a_large_special_entity_is() {
    let large = part("L", "大公司", SupplierSize::Large, Clauses::default());
    let mut prison = part("M", "监狱企业", SupplierSize::Large, Clauses::default());
    prison.part.special = Some(Special::Prison);
    let entries = [
        accept("L", "大公司", "2025-07-01", "5.00"),
        accept("M", "监狱企业", "2025-07-01", "5.00"),
    ];
    let rows = clock(&[large, prison], &entries, "2025-12-31");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].contract_no, "M");
}

#[test]
fn the_year_end_overdue_list() {
    let parts = [small("A"), small("B"), small("C")];
    let entries = [
        accept("A", "小供应商", "2025-11-03", "100.00"), // due 2025-12-03, unpaid: listed
        accept("A", "小供应商", "2025-11-04", "50.00"),  // due 2025-12-04, unpaid: listed
        accept("B", "小供应商", "2025-12-10", "70.00"),  // due 2026-01-09: not yet due
        accept("C", "小供应商", "2025-10-01", "30.00"),  // paid late, but paid: not listed
        pay("P", "C", "小供应商", "2025-12-01", "30.00"),
    ];
    let list = overdue(&Flows::rebuild(&entries), &parts, 2025);
    assert_eq!(list.contracts, 1);
    assert_eq!(list.amount, yuan("150.00"));
    assert_eq!(list.rows.len(), 2);
}

#[test]
fn acceptances_before_the_regulation_are_not_on_the_clock() {
    let mut old = small("C");
    old.terms.sign_date = d("2020-01-02");
    let rows = clock(
        &[old],
        &[accept("C", "小供应商", "2020-08-31", "1.00")],
        "2021-01-01",
    );
    assert!(rows.is_empty());
}

fn receipt(voucher: &str, date: &str, amount: &str) -> Body {
    Body::Receipt(Receipt {
        voucher_no: voucher.into(),
        date: d(date),
        fund: Fund::GovFund,
        code: FunctionCode::parse("2290402").unwrap(),
        code_name: None,
        amount: yuan(amount),
        bond_code: Some("B".into()),
        project_code: Some("P".into()),
        memo: String::new(),
    })
}

fn bond_pay(voucher: &str, date: &str, amount: &str, purpose: Purpose) -> Body {
    Body::Payment(Payment {
        bond_code: Some("B".into()),
        project_code: Some("P".into()),
        contract_no: None,
        purpose,
        ..match pay(voucher, "-", "-", date, amount) {
            Body::Payment(p) => p,
            _ => unreachable!(),
        }
    })
}

#[test]
fn idle_funds_just_under_and_just_over_n_days_first_in_first_out() {
    let entries = [
        receipt("R1", "2025-01-01", "1000.00"),
        receipt("R2", "2025-03-01", "500.00"),
        bond_pay("S1", "2025-02-01", "700.00", Purpose::Construction),
        // Interest is not spending of the proceeds.
        bond_pay("S2", "2025-02-02", "100.00", Purpose::Interest),
    ];
    let flows = Flows::rebuild(&entries);
    // As of 2025-04-01 R1 is 90 days old: not more than 90, nothing idle.
    assert!(idle_funds(&flows, d("2025-04-01"), 90).rows.is_empty());
    // A day later it is 91 days old: R1's 300.00 left is idle; R2 (31 days) is not.
    let idle = idle_funds(&flows, d("2025-04-02"), 90);
    assert_eq!(idle.rows.len(), 1);
    assert_eq!(idle.rows[0].idle, yuan("300.00"));
    assert_eq!(
        (idle.rows[0].oldest_date, idle.rows[0].days),
        (d("2025-01-01"), 91)
    );
    // With N = 30 both: 300.00 + 500.00.
    assert_eq!(
        idle_funds(&flows, d("2025-04-02"), 30).rows[0].idle,
        yuan("800.00")
    );
    // A reversed spending gives the money back to the oldest receipt.
    let mut reversed = entries.to_vec();
    reversed.push(Body::Reversal(Reversal {
        voucher_no: "S1".into(),
        date: d("2025-03-05"),
        reason: "错付".into(),
    }));
    let idle = idle_funds(&Flows::rebuild(&reversed), d("2025-04-02"), 90);
    assert_eq!(idle.rows[0].idle, yuan("1000.00"));
}

fn signed(
    no: &str,
    date: &str,
    category: Category,
    size: SupplierSize,
    clauses: Clauses,
) -> ContractPart {
    let mut p = part(no, &format!("{no}供应商"), size, clauses);
    p.terms.sign_date = d(date);
    p.terms.category = category;
    p
}

fn noticed(date: &str) -> Clauses {
    Clauses {
        notice_date: Some(d(date)),
        ..Clauses::default()
    }
}

fn rules(parts: &[ContractPart], year: i32) -> Vec<(String, &'static str)> {
    procurement_checks(parts, year)
        .findings
        .into_iter()
        .map(|f| (f.contract_no, f.rule))
        .collect()
}

#[test]
fn a_notice_on_the_second_working_day_across_a_tiaoxiu_weekend_and_the_spring_festival() {
    let parts = [
        // Signed 2023-09-28: 7 and 8 October (a weekend) are the 1st and 2nd working days.
        signed(
            "N1",
            "2023-09-28",
            Category::Goods,
            SupplierSize::Small,
            noticed("2023-10-08"),
        ),
        signed(
            "N2",
            "2023-09-28",
            Category::Goods,
            SupplierSize::Small,
            noticed("2023-10-09"),
        ),
        // Signed Thursday 2024-02-08: the 9th, then Sunday 18 February (10–17 off).
        signed(
            "N3",
            "2024-02-08",
            Category::Goods,
            SupplierSize::Small,
            noticed("2024-02-18"),
        ),
        signed(
            "N4",
            "2024-02-08",
            Category::Goods,
            SupplierSize::Small,
            noticed("2024-02-19"),
        ),
        signed(
            "N5",
            "2023-05-04",
            Category::Goods,
            SupplierSize::Small,
            Clauses::default(),
        ),
    ];
    assert_eq!(
        rules(&parts, 2023),
        [
            ("N2".to_string(), "notice_late"),
            ("N5".to_string(), "notice_missing")
        ]
    );
    assert_eq!(rules(&parts, 2024), [("N4".to_string(), "notice_late")]);
    let late = &procurement_checks(&parts, 2023).findings[0];
    assert!(late.detail.contains("2023-10-08"), "{}", late.detail);
    assert!(late.detail.contains("实施条例第五十条"), "{}", late.detail);
}

fn reserve(budget: &str, reserved: &str, small: &str) -> Clauses {
    Clauses {
        budget: Some(yuan(budget)),
        reserved: Some(yuan(reserved)),
        reserved_small_micro: Some(yuan(small)),
        ..noticed("2025-06-03")
    }
}

#[test]
fn reserve_shares_at_exactly_30_and_60_percent_pass_and_just_under_fail() {
    let goods = |no: &str, clauses| {
        signed(
            no,
            "2025-06-02",
            Category::Goods,
            SupplierSize::Small,
            clauses,
        )
    };
    let parts = [
        goods("R1", reserve("3000000.00", "900000.00", "540000.00")), // 30 %, 60 %: nothing
        goods("R2", reserve("3000000.00", "899999.99", "540000.00")), // under 30 %
        goods("R3", reserve("3000000.00", "900000.00", "539999.99")), // under 60 %
        // Works from July 2022: 40 % (财库〔2022〕19号); 30 % is short.
        signed(
            "R4",
            "2025-06-02",
            Category::Works,
            SupplierSize::Small,
            reserve("5000000.00", "1500000.00", "900000.00"),
        ),
        // 2,000,000.00 is not over the threshold: a large supplier without a whole reserve.
        signed(
            "R5",
            "2025-06-02",
            Category::Goods,
            SupplierSize::Large,
            reserve("2000000.00", "0.00", "0.00"),
        ),
        signed(
            "R6",
            "2025-06-02",
            Category::Goods,
            SupplierSize::Large,
            reserve("2000000.00", "2000000.00", "1200000.00"),
        ),
    ];
    assert_eq!(
        rules(&parts, 2025),
        [
            ("R2".to_string(), "reserve_share"),
            ("R3".to_string(), "reserve_small_micro"),
            ("R4".to_string(), "reserve_share"),
            ("R5".to_string(), "not_reserved"),
        ]
    );
    let r4 = &procurement_checks(&parts, 2025).findings[2];
    assert!(r4.detail.contains("财库〔2022〕19号"), "{}", r4.detail);
}

proptest! {
    /// Random acceptances and payments of two parts: every due's paid + outstanding is its amount,
    /// no interest is negative, and the clock kept entry by entry (batches of any size) is the one
    /// rebuilt from the whole log, as of any day.
    #[test]
    fn the_clock_adds_up_and_does_not_depend_on_how_it_was_kept(
        ops in proptest::collection::vec((any::<bool>(), 0u32..400, 1i64..500_000, 0usize..2), 1..40),
        split in 0usize..40,
        as_of in 0u32..500,
    ) {
        let parts = [small("C"), part("D", "小供应商", SupplierSize::Medium, Clauses { payment_terms_days: Some(60), ..Clauses::default() })];
        let start = d("2025-06-02");
        let entries: Vec<Body> = ops.iter().enumerate().map(|(i, (is_pay, day, fen, which))| {
            let no = ["C", "D"][*which];
            let date = (start + chrono::Days::new(u64::from(*day))).to_string();
            let amount = Amount::from_fen(*fen).to_string();
            if *is_pay {
                pay(&format!("P{i}"), no, "小供应商", &date, &amount)
            } else {
                accept(no, "小供应商", &date, &amount)
            }
        }).collect();
        let as_of = start + chrono::Days::new(u64::from(as_of));
        let rebuilt = payment_clock(&Flows::rebuild(&entries), &parts, as_of);
        let mut kept = Flows::default();
        let (first, second) = entries.split_at(split.min(entries.len()));
        for batch in [first, second] {
            let mut next = kept.clone();
            for body in batch {
                next.apply(body);
            }
            kept = next;
        }
        prop_assert_eq!(&payment_clock(&kept, &parts, as_of), &rebuilt);
        for due in &rebuilt.rows {
            prop_assert_eq!(due.paid + due.outstanding, due.amount);
            prop_assert!(due.outstanding >= Amount::ZERO);
            prop_assert!(due.late_interest >= Amount::ZERO);
            prop_assert!(due.slices.iter().all(|s| s.interest >= Amount::ZERO));
            let sliced = due.slices.iter().fold(Amount::ZERO, |s, x| s + x.amount);
            prop_assert_eq!(sliced, due.amount);
        }
        // Entries dated after the as-of day change nothing of the clock as of it.
        let dated: Vec<Body> = entries.iter().filter(|b| b.period_date().is_some_and(|t| t <= as_of)).cloned().collect();
        prop_assert_eq!(&payment_clock(&Flows::rebuild(&dated), &parts, as_of), &rebuilt);
    }
}
