//! Corrections that are not reversals (domain.md, issue 15 item 3): an amendment that corrects a
//! part's declared size or special status moves the part's amount between the SME classes in the
//! procurement figures of the amendment's year; conflicts name the correction that fits.
//!
//! The bundled example's 2022 figures: total 78,585,300.00 元, SME 18,549,000.00, small/micro
//! 14,825,200.00; QS-2022-001 has a 大型 part of 56,000,000.00 (示例数字科技股份有限公司) and a 中型 part
//! of 3,723,800.00 (示例软件系统有限公司).

mod common;

use common::{example, TestLedger};
use serde_json::Value;

const HEADER: &str = "contract_no,date,supplier_name,reason,delta,size,special\n";

fn example_ledger() -> TestLedger {
    let ledger = TestLedger::new();
    ledger.import(&[&example()]);
    ledger
}

fn amend(ledger: &TestLedger, name: &str, row: &str) -> String {
    let path = ledger.file(name, &format!("{HEADER}{row}\n"));
    ledger.ok_stderr(&["import", &path.display().to_string()])
}

/// (total, sme, small_micro) of a year's procurement, in 元.
fn figures(ledger: &TestLedger, year: &str) -> (String, String, String) {
    let p: Value = ledger.json(&["report", "procurement", "--year", year]);
    let text = |k: &str| p[k].as_str().expect("an amount").to_string();
    (text("total"), text("sme"), text("small_micro"))
}

fn owned(figures: (&str, &str, &str)) -> (String, String, String) {
    (
        figures.0.to_string(),
        figures.1.to_string(),
        figures.2.to_string(),
    )
}

#[test]
fn a_size_correction_moves_the_part_into_the_sme_figures_total_unchanged() {
    let ledger = example_ledger();
    assert_eq!(
        figures(&ledger, "2022"),
        owned(("78585300.00", "18549000.00", "14825200.00"))
    );
    let row = "QS-2022-001,2022-12-01,示例数字科技股份有限公司,声明函规模填错,,中型,";
    amend(&ledger, "更正.csv", row);
    assert_eq!(
        figures(&ledger, "2022"),
        owned(("78585300.00", "74549000.00", "14825200.00"))
    );
    let text = ledger.procurement_text("2022", &[]);
    assert!(text.contains("授予中小企业合同金额7454.9万元"), "{text}");
    // The same file again posts nothing, and the ledger verifies.
    let again = amend(&ledger, "更正.csv", row);
    assert!(again.contains("已存在 1 条"), "{again}");
    ledger.head();
}

#[test]
fn a_later_change_of_amount_counts_in_the_corrected_class() {
    let ledger = example_ledger();
    amend(
        &ledger,
        "更正.csv",
        "QS-2022-001,2022-12-01,示例软件系统有限公司,规模填错,,小型,",
    );
    // 3,723,800.00 moved from 中型 to 小型: SME unchanged, small/micro up by it.
    assert_eq!(
        figures(&ledger, "2022"),
        owned(("78585300.00", "18549000.00", "18549000.00"))
    );
    amend(
        &ledger,
        "增加.csv",
        "QS-2022-001,2022-12-20,示例软件系统有限公司,增加服务,\"1,000.00\",,",
    );
    assert_eq!(
        figures(&ledger, "2022"),
        owned(("78586300.00", "18550000.00", "18550000.00"))
    );
    ledger.head();
}

#[test]
fn a_special_status_is_set_and_removed_by_correction() {
    let ledger = example_ledger();
    amend(
        &ledger,
        "特殊.csv",
        "QS-2022-001,2022-12-01,示例数字科技股份有限公司,为监狱企业,,,监狱企业",
    );
    // A prison enterprise counts as small/micro whatever its size.
    assert_eq!(
        figures(&ledger, "2022"),
        owned(("78585300.00", "74549000.00", "70825200.00"))
    );
    amend(
        &ledger,
        "取消.csv",
        "QS-2022-001,2022-12-15,示例数字科技股份有限公司,并非监狱企业,,,无",
    );
    assert_eq!(
        figures(&ledger, "2022"),
        owned(("78585300.00", "18549000.00", "14825200.00"))
    );
    ledger.head();
}

#[test]
fn a_correction_in_a_later_year_leaves_the_published_year_as_it_was() {
    let ledger = example_ledger();
    amend(
        &ledger,
        "更正.csv",
        "QS-2022-001,2023-02-01,示例数字科技股份有限公司,规模填错,,中型,",
    );
    assert_eq!(
        figures(&ledger, "2022"),
        owned(("78585300.00", "18549000.00", "14825200.00"))
    );
    // 2023: nothing signed, the part's 56,000,000.00 moves into the SME amount, total unchanged.
    assert_eq!(
        figures(&ledger, "2023"),
        owned(("0.00", "56000000.00", "0.00"))
    );
}

#[test]
fn a_correction_that_changes_nothing_is_refused_at_its_cell() {
    let ledger = example_ledger();
    let path = ledger.file(
        "无变化.csv",
        &format!("{HEADER}QS-2022-001,2022-12-01,示例软件系统有限公司,核对,,中型,\n"),
    );
    let stderr = ledger.refused(&["import", &path.display().to_string()]);
    assert!(stderr.contains("无变化.csv:2: size:"), "{stderr}");
    assert!(stderr.contains("没有可更正的"), "{stderr}");
}

#[test]
fn an_amendment_with_neither_amount_nor_correction_is_refused() {
    let ledger = example_ledger();
    let path = ledger.file(
        "空.csv",
        &format!("{HEADER}QS-2022-001,2022-12-01,示例软件系统有限公司,核对,,,\n"),
    );
    let stderr = ledger.refused(&["import", &path.display().to_string()]);
    assert!(stderr.contains("空.csv:2: delta: 缺少必填值"), "{stderr}");
}

#[test]
fn conflicts_name_the_correction_that_fits() {
    let ledger = example_ledger();
    // A contract part posted again with another size: the answer is an amendment, not a reversal.
    let stderr = ledger.refused(&[
        "post",
        "contract",
        "--contract-no",
        "QS-2022-004",
        "--title",
        "智慧新青山（一期）运维服务",
        "--sign-date",
        "2022-11-18",
        "--category",
        "服务",
        "--method",
        "竞争性磋商",
        "--fund",
        "政府性基金预算",
        "--project-code",
        "QS-ZHXQS-1",
        "--supplier-name",
        "示例信息服务有限公司",
        "--size",
        "小型",
        "--share-amount",
        "5000000",
    ]);
    assert!(stderr.contains("补充协议"), "{stderr}");
    assert!(!stderr.contains("请先冲销"), "{stderr}");
    // `reverse` of a contract number says how a contract is corrected.
    let stderr = ledger.refused(&[
        "reverse",
        "--voucher",
        "QS-2022-004",
        "--date",
        "2022-12-31",
        "--reason",
        "规模填错",
    ]);
    assert!(stderr.contains("合同不能冲销"), "{stderr}");
    assert!(stderr.contains("size 企业规模"), "{stderr}");
}

#[test]
fn a_reversed_voucher_posted_again_with_other_content_is_told_to_take_a_new_number() {
    let ledger = example_ledger();
    ledger.ok(&[
        "reverse",
        "--voucher",
        "付-2022-001",
        "--date",
        "2022-12-31",
        "--reason",
        "金额错误",
    ]);
    let stderr = ledger.refused(&[
        "post",
        "payment",
        "--voucher-no",
        "付-2022-001",
        "--date",
        "2022-06-30",
        "--fund",
        "政府性基金预算",
        "--function-code",
        "2120803",
        "--expense-type",
        "项目支出",
        "--amount",
        "100001",
        "--payee",
        "湖北省财政厅",
    ]);
    assert!(stderr.contains("已冲销"), "{stderr}");
    assert!(stderr.contains("新的凭证号"), "{stderr}");
}
