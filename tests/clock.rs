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
