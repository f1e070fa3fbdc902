//! Warnings at posting (domain.md), `--strict`, `import --check` and `taizhang check`, end to end on
//! the bundled example (contract QS-2022-001 of 67,723,800.00 元; bond 2205187 allocating
//! 100,000,000.00 元 to QS-ZHXQS-1, value date 2022-06-15, 69,405,912.36 元 received in 2022).

mod common;

use common::{example, TestLedger};

const HEADER: &str =
    "voucher_no,date,fund,function_code,expense_type,amount,project_code,contract_no,bond_code,purpose,payee\n";

fn example_ledger() -> TestLedger {
    let ledger = TestLedger::new();
    ledger.import(&[&example()]);
    ledger
}

fn entry_count(ledger: &TestLedger) -> u64 {
    ledger.head().0
}

/// A payment on the example's contract (and its bond, whose proceeds the example spends to the 分,
/// when `bond`): `amount` 元 on `date`.
fn payment(
    ledger: &TestLedger,
    name: &str,
    voucher: &str,
    (date, amount): (&str, &str),
    bond: bool,
) -> String {
    let bond = if bond { "2205187" } else { "" };
    let row = format!(
        "{voucher},{date},政府性基金预算,2290402,项目支出,{amount},QS-ZHXQS-1,QS-2022-001,{bond},建设,某公司\n"
    );
    ledger
        .file(name, &format!("{HEADER}{row}"))
        .display()
        .to_string()
}

#[test]
fn an_overpayment_is_posted_with_a_warning_naming_its_row_and_figures() {
    let ledger = example_ledger();
    let before = entry_count(&ledger);
    // The example pays 67,000,000.00 of the contract's 67,723,800.00 in 2022: 723,800.01 more overpays.
    let file = payment(
        &ledger,
        "超付.csv",
        "付-T-1",
        ("2022-12-30", "723800.01"),
        false,
    );
    let stderr = ledger.ok_stderr(&["import", &file]);
    assert!(
        stderr.contains("超付.csv:2: 合同 QS-2022-001 累计支付 67723800.01 元，超过合同金额（含补充协议）67723800.00 元，超付 0.01 元"),
        "{stderr}"
    );
    assert_eq!(entry_count(&ledger), before + 1);
}

#[test]
fn paying_a_contract_exactly_in_full_warns_nothing() {
    let ledger = example_ledger();
    let file = payment(
        &ledger,
        "付清.csv",
        "付-T-1",
        ("2022-12-30", "723800.00"),
        false,
    );
    let stderr = ledger.ok_stderr(&["import", &file]);
    assert!(!stderr.contains("警告"), "{stderr}");
}

#[test]
fn strict_refuses_a_batch_with_a_warning_and_changes_nothing() {
    let ledger = example_ledger();
    let (count, head) = ledger.head();
    let file = payment(
        &ledger,
        "超付.csv",
        "付-T-1",
        ("2022-12-30", "723800.01"),
        false,
    );
    let stderr = ledger.refused(&["import", &file, "--strict"]);
    assert!(stderr.contains("--strict"), "{stderr}");
    assert!(stderr.contains("超付 0.01 元"), "{stderr}");
    assert!(stderr.contains("台账未作任何改动"), "{stderr}");
    assert_eq!(ledger.head(), (count, head));
}

#[test]
fn bond_spending_beyond_allocation_and_proceeds_warns_with_the_share_and_negative_balance() {
    let ledger = example_ledger();
    // 150,000,000.00 more is beyond both the allocation and the proceeds.
    let file = payment(
        &ledger,
        "超支.csv",
        "付-T-2",
        ("2022-12-30", "150000000.00"),
        true,
    );
    let stderr = ledger.ok_stderr(&["import", &file]);
    let over_allocation = stderr
        .lines()
        .find(|l| l.contains("超过分配金额 100000000.00 元"))
        .unwrap_or_else(|| panic!("no allocation warning: {stderr}"));
    assert!(over_allocation.contains("超支.csv:2:"), "{over_allocation}");
    assert!(over_allocation.contains('%'), "{over_allocation}");
    let over_received = stderr
        .lines()
        .find(|l| l.contains("超过已到位资金 69405912.36 元"))
        .unwrap_or_else(|| panic!("no proceeds warning: {stderr}"));
    assert!(over_received.contains("未使用余额为 -"), "{over_received}");
}

#[test]
fn a_bond_payment_before_the_value_date_warns_and_check_lists_it_until_reversed() {
    let ledger = example_ledger();
    let file = payment(&ledger, "早付.csv", "付-T-3", ("2022-06-14", "1.00"), true);
    let stderr = ledger.ok_stderr(&["import", &file]);
    assert!(
        stderr.contains("早付.csv:2: 凭证 付-T-3 以债券 2205187 资金支付，日期 2022-06-14 早于该债券起息日 2022-06-15"),
        "{stderr}"
    );
    // The SME payment clock's warnings of the example's illustrative acceptances aside (tests/clock.rs).
    let rules = |ledger: &TestLedger| -> Vec<String> {
        ledger.json(&["check"])["warnings"]
            .as_array()
            .expect("a list")
            .iter()
            .filter(|w| !w["rule"].as_str().unwrap_or("").starts_with("sme_"))
            .map(|w| format!("{} {}", w["rule"], w["subject"]))
            .collect()
    };
    // The example spends its proceeds to the 分, so the one 元 is also beyond them.
    assert_eq!(
        rules(&ledger),
        [
            r#""bond_over_received" "2205187/QS-ZHXQS-1""#,
            r#""before_value_date" "付-T-3""#
        ]
    );
    ledger.ok(&[
        "reverse",
        "--voucher",
        "付-T-3",
        "--date",
        "2022-06-20",
        "--reason",
        "日期有误",
    ]);
    assert!(rules(&ledger).is_empty());
}

#[test]
fn the_value_date_day_itself_is_not_early() {
    let ledger = example_ledger();
    let file = payment(&ledger, "当日.csv", "付-T-4", ("2022-06-15", "1.00"), true);
    let stderr = ledger.ok_stderr(&["import", &file]);
    assert!(!stderr.contains("起息日"), "{stderr}");
}

#[test]
fn import_check_reports_what_would_be_posted_and_writes_nothing() {
    let ledger = TestLedger::new();
    let (count, head) = ledger.head();
    let stderr = ledger.ok_stderr(&["import", "--check", &example().display().to_string()]);
    assert!(stderr.contains("检查通过"), "{stderr}");
    assert!(stderr.contains("未写入台账"), "{stderr}");
    assert_eq!(ledger.head(), (count, head));
    // The same files then post for real: the dry run left nothing that makes them "already posted".
    let stderr = ledger.import(&[&example()]);
    assert!(stderr.contains("已存在 0 条"), "{stderr}");
}

#[test]
fn import_check_with_a_bad_row_is_refused_like_the_import() {
    let ledger = example_ledger();
    let file = ledger.file(
        "坏.csv",
        &format!("{HEADER}付-T-5,2022-13-01,政府性基金预算,2290402,项目支出,1.00,QS-ZHXQS-1,,2205187,建设,某公司\n"),
    );
    let stderr = ledger.refused(&["import", "--check", &file.display().to_string()]);
    assert!(stderr.contains("坏.csv:2"), "{stderr}");
}

#[test]
fn a_warning_already_held_is_not_repeated_by_an_unrelated_batch() {
    let ledger = example_ledger();
    let file = payment(
        &ledger,
        "超付.csv",
        "付-T-1",
        ("2022-12-30", "723800.01"),
        false,
    );
    ledger.ok_stderr(&["import", &file]);
    let receipt = ledger.file(
        "收入.csv",
        "voucher_no,date,fund,function_code,amount\n收-T-1,2022-12-30,政府性基金预算,2120803,5.00\n",
    );
    let stderr = ledger.ok_stderr(&["import", &receipt.display().to_string()]);
    assert!(!stderr.contains("警告"), "{stderr}");
    assert!(ledger.ok(&["check"]).contains("【超付】合同 QS-2022-001"));
}

#[test]
fn check_on_a_sound_ledger_says_so_and_exits_zero() {
    // The example without its illustrative acceptances (one of them is paid late on purpose).
    let ledger = TestLedger::new();
    let files: Vec<std::path::PathBuf> =
        ["bonds.csv", "contracts.csv", "receipts.csv", "payments.csv"]
            .iter()
            .map(|f| common::example().join(f))
            .collect();
    ledger.import(&files.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    assert!(ledger.ok(&["check"]).contains("没有需要注意的情况"));
    assert_eq!(ledger.json(&["check"])["count"], 0);
}

#[test]
fn a_warning_names_the_row_that_crossed_the_limit_and_comes_after_the_summary() {
    let ledger = example_ledger();
    // Row 2 takes the contract past its amount (723,800.00 were left); row 3 pays a little more.
    let rows = [
        "付-X-1,2022-12-28,政府性基金预算,2290402,项目支出,800000.00,QS-ZHXQS-1,QS-2022-001,,建设,某公司",
        "付-X-2,2022-12-29,政府性基金预算,2290402,项目支出,1.00,QS-ZHXQS-1,QS-2022-001,,建设,某公司",
    ];
    let file = ledger.file("两行.csv", &format!("{HEADER}{}\n", rows.join("\n")));
    let stderr = ledger.ok_stderr(&["import", &file.display().to_string()]);
    let warning = stderr
        .lines()
        .find(|l| l.contains("超付"))
        .unwrap_or_else(|| panic!("no warning: {stderr}"));
    assert!(warning.contains("两行.csv:2:"), "{warning}");
    let summary = stderr.find("完成：").expect("a summary");
    assert!(
        stderr.find("警告：").expect("a warning") > summary,
        "{stderr}"
    );
}

#[test]
fn a_bond_warning_is_placed_when_the_project_is_the_bonds_only_one_and_not_written() {
    let ledger = example_ledger();
    let file = ledger.file(
        "无项目.csv",
        "voucher_no,date,fund,function_code,expense_type,amount,bond_code,purpose,payee\n付-X-3,2022-12-29,gov_fund,2290402,project,\"50,000,000.00\",2205187,construction,某公司\n",
    );
    let stderr = ledger.ok_stderr(&["import", "--check", &file.display().to_string()]);
    let warning = stderr
        .lines()
        .find(|l| l.contains("超过分配金额") || l.contains("超过已到位资金"))
        .unwrap_or_else(|| panic!("no warning: {stderr}"));
    assert!(warning.contains("无项目.csv:2:"), "{warning}");
}

#[test]
fn import_check_leaves_the_ledger_file_byte_for_byte() {
    let ledger = example_ledger();
    let before = std::fs::read(&ledger.path).unwrap();
    let file = payment(&ledger, "检查.csv", "付-T-9", ("2022-12-30", "1.00"), false);
    let stderr = ledger.ok_stderr(&["import", "--check", &file]);
    assert!(stderr.contains("将新记账 1 条"), "{stderr}");
    // A refused dry run too.
    let bad = payment(&ledger, "坏.csv", "付-T-9", ("2022-13-30", "1.00"), false);
    ledger.refused(&["import", "--check", &bad]);
    assert!(
        std::fs::read(&ledger.path).unwrap() == before,
        "the file changed"
    );
    // The dry run needs no write access.
    let mut perms = std::fs::metadata(&ledger.path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&ledger.path, perms).unwrap();
    ledger.ok_stderr(&["import", "--check", &file]);
}

#[test]
fn a_batch_refused_for_an_error_prints_no_warning_of_what_it_did_not_post() {
    let ledger = example_ledger();
    let rows = [
        "付-X-7,2022-12-28,政府性基金预算,2290402,项目支出,800000.00,QS-ZHXQS-1,QS-2022-001,,建设,某公司",
        "付-X-8,2022-13-29,政府性基金预算,2290402,项目支出,1.00,QS-ZHXQS-1,,,建设,某公司",
    ];
    let file = ledger.file("错.csv", &format!("{HEADER}{}\n", rows.join("\n")));
    let stderr = ledger.refused(&["import", &file.display().to_string()]);
    assert!(stderr.contains("错.csv:3"), "{stderr}");
    assert!(!stderr.contains("警告："), "{stderr}");
}
