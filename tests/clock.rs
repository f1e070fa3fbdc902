//! Issue 17, the clocks and checks: the new columns and the `acceptances` kind at import (step 1),
//! the SME payment clock, idle bond money and the procurement checks through the binary.
//!
//! Built on the bundled example (bond 2205187 on project QS-ZHXQS-1, code 2290402); the contracts
//! here are the tests' own, each figure worked by hand in the comments.

mod common;

use common::{example, TestLedger};

const CONTRACTS: &str = "contract_no,title,sign_date,category,method,fund,project_code,supplier_name,size,special,share_amount,payment_terms_days,late_interest_daily_pct,budget,reserved,reserved_small_micro,notice_date\n";
const ACCEPTANCES: &str = "contract_no,supplier_name,date,basis,amount,memo\n";
const PAYMENTS: &str = "voucher_no,date,fund,function_code,expense_type,amount,project_code,contract_no,bond_code,purpose,payee,econ_code\n";

fn example_ledger() -> TestLedger {
    let ledger = TestLedger::new();
    ledger.import(&[&example()]);
    ledger
}

/// Imports one file that must be accepted; returns stderr.
fn accepted(ledger: &TestLedger, name: &str, text: &str) -> String {
    let path = ledger.file(name, text);
    ledger.ok_stderr(&["import", &path.display().to_string()])
}

/// Imports one file that must be refused; returns stderr.
fn refused(ledger: &TestLedger, name: &str, text: &str) -> String {
    let path = ledger.file(name, text);
    ledger.refused(&["import", &path.display().to_string()])
}

/// A contract row of one part, its clauses given as the last six cells.
fn contract(no: &str, sign: &str, size: &str, amount: &str, clauses: &str) -> String {
    format!("{no},测试合同,{sign},货物,询价,一般公共预算,,测试供应商{size},{size},,{amount},{clauses}\n")
}

#[test]
fn a_60_day_term_is_accepted_for_an_sme_and_61_refused_citing_the_regulation() {
    let ledger = TestLedger::new();
    let text = format!(
        "{CONTRACTS}{}",
        contract("T-61", "2025-06-02", "小型", "1000.00", "61,,,,,")
    );
    let err = refused(&ledger, "c61.csv", &text);
    assert!(err.contains("付款期限"), "{err}");
    assert!(err.contains("61 天超过 60 天"), "{err}");
    assert!(err.contains("《保障中小企业款项支付条例》"), "{err}");
    let text = format!(
        "{CONTRACTS}{}",
        contract("T-60", "2025-06-02", "小型", "1000.00", "60,,,,,")
    );
    accepted(&ledger, "c60.csv", &text);
    // A large supplier may agree any term: it is not on the clock.
    let text = format!(
        "{CONTRACTS}{}",
        contract("T-90", "2025-06-02", "大型", "1000.00", "90,,,,,")
    );
    accepted(&ledger, "c90.csv", &text);
    ledger.head();
}

#[test]
fn contract_clauses_repeat_on_each_part_and_must_agree() {
    let ledger = TestLedger::new();
    let text = format!(
        "{CONTRACTS}{}{}",
        contract(
            "T-1",
            "2025-06-02",
            "小型",
            "1000.00",
            "45,0.03,,,,2025-06-03"
        ),
        contract(
            "T-1",
            "2025-06-02",
            "微型",
            "500.00",
            "30,0.03,,,,2025-06-03"
        )
    );
    let err = refused(&ledger, "c.csv", &text);
    assert!(err.contains("付款期限"), "{err}");
    assert!(err.contains("与已有行不一致"), "{err}");
}

#[test]
fn an_acceptance_needs_its_contract_part_and_comes_after_the_signing() {
    let ledger = TestLedger::new();
    let text = format!(
        "{CONTRACTS}{}",
        contract("T-1", "2025-06-02", "小型", "1000.00", ",,,,,")
    );
    accepted(&ledger, "c.csv", &text);
    let err = refused(
        &ledger,
        "a1.csv",
        &format!("{ACCEPTANCES}T-9,测试供应商小型,2025-06-10,验收,100.00,\n"),
    );
    assert!(err.contains("合同 T-9 不存在"), "{err}");
    let err = refused(
        &ledger,
        "a2.csv",
        &format!("{ACCEPTANCES}T-1,别的供应商,2025-06-10,验收,100.00,\n"),
    );
    assert!(err.contains("没有供应商“别的供应商”"), "{err}");
    let err = refused(
        &ledger,
        "a3.csv",
        &format!("{ACCEPTANCES}T-1,测试供应商小型,2025-06-01,交付,100.00,\n"),
    );
    assert!(
        err.contains("验收日期 2025-06-01 早于合同签订日期 2025-06-02"),
        "{err}"
    );
    let good = format!("{ACCEPTANCES}T-1,测试供应商小型,2025-06-02,交付,100.00,首批\n");
    let out = accepted(&ledger, "a4.csv", &good);
    assert!(out.contains("新记账 1 条"), "{out}");
    // The same row again is already posted; another amount on that day is a conflict.
    let again = accepted(&ledger, "a4.csv", &good);
    assert!(again.contains("已存在 1 条"), "{again}");
    let err = refused(
        &ledger,
        "a5.csv",
        &format!("{ACCEPTANCES}T-1,测试供应商小型,2025-06-02,交付,200.00,首批\n"),
    );
    assert!(err.contains("冲突"), "{err}");
    ledger.head();
}

#[test]
fn a_bond_payment_with_a_recurring_economic_code_is_refused_and_a_capital_one_accepted() {
    let ledger = example_ledger();
    let row = |voucher: &str, code: &str| {
        format!("{voucher},2022-12-28,政府性基金预算,2290402,项目支出,100.00,QS-ZHXQS-1,,2205187,建设,某公司,{code}\n")
    };
    let err = refused(
        &ledger,
        "p1.csv",
        &format!("{PAYMENTS}{}", row("E-1", "30101")),
    );
    assert!(err.contains("p1.csv:2: econ_code:"), "{err}");
    assert!(err.contains("预算法》第三十五条"), "{err}");
    let err = refused(
        &ledger,
        "p2.csv",
        &format!("{PAYMENTS}{}", row("E-2", "302")),
    );
    assert!(err.contains("第三十五条"), "{err}");
    accepted(
        &ledger,
        "p3.csv",
        &format!("{PAYMENTS}{}", row("E-3", "31002")),
    );
    accepted(
        &ledger,
        "p4.csv",
        &format!("{PAYMENTS}{}", row("E-4", "309")),
    );
    // Without a bond, a recurring code is an ordinary payment.
    let plain = "E-5,2022-12-28,一般公共预算,2010350,基本支出,100.00,,,,,某公司,30101\n";
    accepted(&ledger, "p5.csv", &format!("{PAYMENTS}{plain}"));
    let err = refused(
        &ledger,
        "p6.csv",
        &format!("{PAYMENTS}{}", row("E-6", "3010")),
    );
    assert!(err.contains("不是经济分类科目编码"), "{err}");
    ledger.head();
}

#[test]
fn entries_without_the_new_fields_keep_their_old_form_and_new_ones_show_in_the_log() {
    let ledger = TestLedger::new();
    let text = format!(
        "{CONTRACTS}{}",
        contract(
            "T-1",
            "2025-06-02",
            "小型",
            "1000.00",
            "45,0.03,2000.00,1000.00,600.00,2025-06-03"
        )
    );
    accepted(&ledger, "c.csv", &text);
    accepted(
        &ledger,
        "a.csv",
        &format!("{ACCEPTANCES}T-1,测试供应商小型,2025-06-10,验收,1000.00,\n"),
    );
    let log = ledger.ok(&["log", "--format", "json"]);
    assert!(log.contains("\"contract_clauses\""), "{log}");
    assert!(log.contains("\"payment_terms_days\":45"), "{log}");
    assert!(
        log.contains("\"late_interest_daily_pct\":\"0.03\""),
        "{log}"
    );
    assert!(log.contains("\"notice_date\":\"2025-06-03\""), "{log}");
    assert!(log.contains("\"acceptance\""), "{log}");
    assert!(log.contains("\"basis\":\"acceptance\""), "{log}");
    ledger.head();
}

#[test]
fn post_acceptance_help_lists_the_columns() {
    let ledger = TestLedger::new();
    let help = ledger.ok(&["post", "acceptance", "--help"]);
    for word in ["--contract-no", "--supplier-name", "--basis", "应付金额"] {
        assert!(help.contains(word), "{word}: {help}");
    }
    let help = ledger.ok(&["post", "payment", "--help"]);
    assert!(help.contains("--econ-code"), "{help}");
    let help = ledger.ok(&["post", "contract", "--help"]);
    assert!(help.contains("--payment-terms-days"), "{help}");
}

/// A small part and a large part of T-1 (signed 2025-06-02, default terms: 30 days, 0.05 % a day),
/// two acceptances of the small part and two payments to it (the hand-worked FIFO case).
fn clock_ledger() -> TestLedger {
    let ledger = TestLedger::new();
    let contracts = format!(
        "{CONTRACTS}{}T-1,测试合同,2025-06-02,货物,询价,一般公共预算,,大公司,大型,,5000.00,,,,,,2025-06-03\n",
        contract("T-1", "2025-06-02", "小型", "3000.00", ",,,,,2025-06-03")
    );
    accepted(&ledger, "c.csv", &contracts);
    let acceptances = format!(
        "{ACCEPTANCES}T-1,测试供应商小型,2025-07-01,验收,1000.00,第一批\nT-1,测试供应商小型,2025-07-15,交付,2000.00,第二批\nT-1,大公司,2025-07-01,验收,5000.00,\n"
    );
    accepted(&ledger, "a.csv", &acceptances);
    ledger
}

fn pay_row(voucher: &str, date: &str, amount: &str, payee: &str) -> String {
    format!("{voucher},{date},一般公共预算,2010350,项目支出,{amount},,T-1,,,{payee},\n")
}

#[test]
fn the_payment_clock_and_the_overdue_list_through_the_binary() {
    let ledger = clock_ledger();
    let payments = format!(
        "{PAYMENTS}{}{}{}",
        pay_row("P1", "2025-07-30", "1500.00", "测试供应商小型"),
        pay_row("P2", "2025-08-20", "1000.00", "测试供应商小型"),
        pay_row("P3", "2025-12-30", "5000.00", "大公司")
    );
    let out = accepted(&ledger, "p.csv", &payments);
    // P2 settles 1000.00 of the second due (2025-08-14) 6 days late: 3.00 interest. The large
    // supplier, paid months later, is not on the clock.
    assert!(out.contains("p.csv:3"), "{out}");
    assert!(
        out.contains("到期日 2025-08-14，逾期 6 天，逾期利息 3.00 元"),
        "{out}"
    );
    assert!(!out.contains("大公司"), "{out}");
    let clock = ledger.json(&["report", "payment-clock", "--as-of", "2025-08-24"]);
    assert_eq!(clock["as_of"], "2025-08-24");
    let rows = clock["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["due_date"], "2025-07-31");
    assert_eq!(rows[0]["paid"], "1000.00");
    assert_eq!(rows[0]["overdue_days"], 0);
    assert_eq!(rows[1]["basis"], "delivery");
    assert_eq!(rows[1]["size"], "small");
    assert_eq!(rows[1]["paid"], "1500.00");
    assert_eq!(rows[1]["outstanding"], "500.00");
    assert_eq!(rows[1]["overdue_days"], 10);
    assert_eq!(rows[1]["late_interest"], "5.50");
    let overdue = ledger.json(&["report", "overdue", "--year", "2025"]);
    assert_eq!(
        (overdue["year"].as_i64(), overdue["contracts"].as_i64()),
        (Some(2025), Some(1))
    );
    assert_eq!(overdue["amount"], "500.00");
    assert_eq!(overdue["rows"][0]["overdue_days"], 139);
    let text = ledger.ok(&["report", "overdue", "--year", "2025", "--format", "text"]);
    assert!(
        text.contains("逾期未支付中小企业款项的合同 1 份，金额 0.05 万元"),
        "{text}"
    );
    let none = ledger.ok(&["report", "overdue", "--year", "2024", "--format", "text"]);
    assert!(none.contains("无逾期未支付中小企业款项的合同"), "{none}");
    let csv = ledger.ok(&[
        "report",
        "payment-clock",
        "--as-of",
        "2025-08-24",
        "--format",
        "csv",
    ]);
    assert!(
        csv.contains("合同编号,供应商,企业规模,验收日期,依据,到期日"),
        "{csv}"
    );
    let table = ledger.ok(&["report", "payment-clock", "--as-of", "2025-08-24"]);
    assert!(table.contains("保障中小企业款项支付条例"), "{table}");
}

#[test]
fn check_lists_the_dues_falling_due_within_n_days() {
    let ledger = clock_ledger();
    let check = |today: &str, days: &str| {
        let out = ledger
            .cmd(&["check", "--days", days, "--format", "json"])
            .env("TAIZHANG_TODAY", today)
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // On 2025-07-24 the first due (2025-07-31) is 7 days away: listed with the default 7.
    let found = check("2025-07-24", "7");
    assert_eq!(found["falling_due"].as_array().unwrap().len(), 1);
    assert_eq!(found["falling_due"][0]["due_date"], "2025-07-31");
    // A day earlier it is 8 days away.
    assert!(check("2025-07-23", "7")["falling_due"]
        .as_array()
        .unwrap()
        .is_empty());
    // With 21 days both.
    assert_eq!(
        check("2025-07-24", "21")["falling_due"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // After its due date an unpaid due is a warning, not a due falling due.
    let late = check("2025-08-01", "7");
    assert!(
        late["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["rule"] == "sme_overdue"),
        "{late}"
    );
    let table = ledger
        .cmd(&["check"])
        .env("TAIZHANG_TODAY", "2025-07-24")
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("7 天内到期的中小企业应付款 1 笔"), "{table}");
}

#[test]
fn idle_funds_just_under_and_just_over_n_days() {
    let ledger = TestLedger::new();
    ledger.import(&[&example().join("bonds.csv")]);
    let receipts = "voucher_no,date,fund,function_code,amount,bond_code,project_code\nR1,2022-07-01,政府性基金预算,2290402,1000.00,2205187,QS-ZHXQS-1\nR2,2022-09-01,政府性基金预算,2290402,500.00,2205187,QS-ZHXQS-1\n";
    accepted(&ledger, "r.csv", receipts);
    let payments = format!("{PAYMENTS}S1,2022-08-01,政府性基金预算,2290402,项目支出,700.00,QS-ZHXQS-1,,2205187,建设,某公司,310\n");
    accepted(&ledger, "s.csv", &payments);
    let idle =
        |as_of: &str| ledger.json(&["report", "idle-funds", "--as-of", as_of, "--days", "60"]);
    // R1 is 60 days old on 2022-08-30: not more than 60.
    assert!(idle("2022-08-30")["rows"].as_array().unwrap().is_empty());
    // On 2022-08-31, 61 days: R1's 300.00 left is idle.
    let found = idle("2022-08-31");
    assert_eq!(found["days"], 60);
    assert_eq!(found["rows"][0]["idle"], "300.00");
    assert_eq!(found["rows"][0]["oldest_date"], "2022-07-01");
    assert_eq!(found["rows"][0]["days"], 61);
    assert_eq!(found["rows"][0]["bond_code"], "2205187");
}

#[test]
fn procurement_checks_through_the_binary() {
    let ledger = TestLedger::new();
    let text = format!(
        "{CONTRACTS}{}{}{}",
        contract("N-1", "2023-09-28", "小型", "100.00", ",,,,,2023-10-08"),
        contract("N-2", "2023-09-28", "小型", "100.00", ",,,,,2023-10-09"),
        contract(
            "R-1",
            "2023-03-01",
            "小型",
            "100.00",
            ",,3000000.00,899999.99,540000.00,2023-03-02"
        )
    );
    accepted(&ledger, "c.csv", &text);
    let found = ledger.json(&["report", "procurement-checks", "--year", "2023"]);
    assert_eq!(found["year"], 2023);
    let rules: Vec<(String, String)> = found["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["contract_no"].as_str().unwrap().into(),
                f["rule"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("N-2".to_string(), "notice_late".to_string()),
            ("R-1".to_string(), "reserve_share".to_string())
        ]
    );
    let table = ledger.ok(&["report", "procurement-checks", "--year", "2023"]);
    assert!(table.contains("合同公告逾期"), "{table}");
    assert!(table.contains("财库〔2020〕46号"), "{table}");
}

#[test]
fn export_writes_the_clocks_and_checks_of_the_year() {
    let ledger = clock_ledger();
    let out = ledger.dir.path().join("out");
    ledger.ok(&[
        "export",
        "--year",
        "2025",
        "--out",
        &out.display().to_string(),
    ]);
    for name in [
        "2025-payment-clock.csv",
        "2025-overdue.csv",
        "2025-overdue.txt",
        "2025-overdue.json",
        "2025-idle-funds.csv",
        "2025-procurement-checks.csv",
        "2025-procurement-checks.json",
    ] {
        assert!(out.join(name).exists(), "{name}");
    }
    let overdue = std::fs::read_to_string(out.join("2025-overdue.json")).unwrap();
    assert!(overdue.contains("\"contracts\": 1"), "{overdue}");
}

#[test]
fn show_lists_a_contracts_acceptances() {
    let ledger = clock_ledger();
    let text = ledger.ok(&["show", "T-1"]);
    assert!(text.contains("【验收（交付）】3 条"), "{text}");
    assert!(text.contains("依据（basis）：交付"), "{text}");
    let json = ledger.json(&["show", "T-1"]);
    assert_eq!(json["acceptances"].as_array().unwrap().len(), 3);
}

#[test]
fn post_acceptance_from_the_command_line() {
    let ledger = clock_ledger();
    let out = ledger.ok_stderr(&[
        "post",
        "acceptance",
        "--contract-no",
        "T-1",
        "--supplier-name",
        "测试供应商小型",
        "--date",
        "2025-08-01",
        "--basis",
        "验收",
        "--amount",
        "10",
    ]);
    assert!(out.contains("验收 1 条"), "{out}");
}
