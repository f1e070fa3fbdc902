//! The words the program uses with people: `post KIND --help`, `--format text` only where it exists,
//! the running text's amounts and a negative 支出决算 explained, the import summary in contracts.

mod common;

use common::{example, TestLedger};

/// `post payment --help` lists every payment column with its Chinese name and whether it is required;
/// the option syntax keeps working after it.
#[test]
fn post_kind_help_lists_that_kinds_columns() {
    let ledger = TestLedger::new();
    let help = ledger.ok(&["post", "payment", "--help"]);
    for (option, chinese, required) in [
        ("--voucher-no", "凭证号", "必填"),
        ("--function-name", "功能分类科目名称", "可选"),
        ("--expense-type", "支出类型", "必填"),
        ("--purpose", "用途", "可选"),
        ("--payee", "收款人", "必填"),
    ] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{option} ")))
            .unwrap_or_else(|| panic!("no {option} in:\n{help}"));
        assert!(line.contains(chinese) && line.contains(required), "{line}");
    }
    assert!(help.contains("基本支出、项目支出"), "{help}");
    assert!(!help.contains("--share-amount"), "{help}");
    let contract = ledger.ok(&["post", "contract", "-h"]);
    assert!(contract.contains("--share-amount") && contract.contains("物业管理"));
    // Without a kind, clap's help of `post` says where the columns are.
    assert!(ledger
        .ok(&["post", "--help"])
        .contains("taizhang post 种类 --help"));
    let stderr = ledger.ok_stderr(&[
        "post",
        "receipt",
        "--voucher-no",
        "R-1",
        "--date",
        "2022-03-01",
        "--fund",
        "政府性基金预算",
        "--function-code",
        "2120803",
        "--amount",
        "100",
    ]);
    assert!(stderr.contains("新记账 1 条"), "{stderr}");
}

/// `text` is refused by clap for reports that have no running text, and not listed in their help.
#[test]
fn format_text_is_offered_only_where_it_exists() {
    let ledger = TestLedger::new();
    for report in [
        vec!["report", "bond-use", "--quarter", "2022Q4"],
        vec!["report", "contracts", "--year", "2022"],
        vec!["bond", "schedule", "2205187"],
    ] {
        let mut args = report.clone();
        args.extend(["--format", "text"]);
        let out = ledger.cmd(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let mut help = report[..2].to_vec();
        help.push("--help");
        let help = ledger.ok(&help);
        assert!(
            help.contains("csv") && !help.contains("text"),
            "{report:?}: {help}"
        );
    }
    let help = ledger.ok(&["report", "table7", "--help"]);
    assert!(help.contains("text"), "{help}");
}

/// A reversal in 2023 of a 2022 payment makes 2023's expense of its 类 negative: the paragraph says
/// why instead of printing "-5万元" bare, and names no use for it.
#[test]
fn a_negative_expense_is_explained_in_the_table7_text() {
    let ledger = TestLedger::new();
    let payments = ledger.file(
        "p.csv",
        "voucher_no,date,fund,function_code,expense_type,amount,payee\n\
         P-1,2022-06-30,政府性基金预算,2120803,项目支出,\"50,000.00\",某公司\n\
         P-2,2023-03-01,政府性基金预算,2290402,项目支出,\"1,234,000.00\",某公司\n",
    );
    ledger.import(&[&payments]);
    ledger.ok(&[
        "reverse",
        "--voucher",
        "P-1",
        "--date",
        "2023-01-10",
        "--reason",
        "重复支付",
    ]);
    let text = ledger.ok(&["report", "table7", "--year", "2023", "--format", "text"]);
    let city = text
        .lines()
        .find(|l| l.contains("城乡社区支出"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        city.contains("支出决算为-5万元，为负数：本年红字冲销了以前年度已列的支出"),
        "{city}"
    );
    assert!(!city.contains("主要用于"), "{city}");
    assert!(
        text.contains("本年支出118.4万元") && text.contains("支出决算为123.4万元"),
        "{text}"
    );
    // Only a year whose whole expense is negative says so in its first sentence.
    assert!(!text.contains("本年支出为负数"), "{text}");
    ledger.ok(&[
        "reverse",
        "--voucher",
        "P-2",
        "--date",
        "2023-12-31",
        "--reason",
        "合同解除",
    ]);
    let text = ledger.ok(&["report", "table7", "--year", "2023", "--format", "text"]);
    assert!(
        text.contains("本年支出-5万元，年末结转和结余") && text.contains("本年支出为负数"),
        "{text}"
    );
}

/// Running text writes 万元 one way: no separators, trailing zeros dropped, a zero as 0.00.
#[test]
fn running_text_writes_amounts_one_way() {
    let ledger = TestLedger::new();
    ledger.import(&[&example()]);
    let text = ledger.ok(&["report", "table7", "--year", "2022", "--format", "text"]);
    assert!(
        text.starts_with("2022年度测试单位政府性基金预算财政拨款年初结转和结余0.00万元，本年收入7115.81万元，本年支出7115.81万元，年末结转和结余0.00万元。"),
        "{text}"
    );
    let procurement = ledger.procurement_text("2022", &[]);
    assert!(
        procurement.contains("授予中小企业合同金额1854.9万元"),
        "{procurement}"
    );
    for paragraph in [&text, &procurement] {
        for figure in wan_figures(paragraph) {
            let trailing_zero = figure.contains('.') && figure.ends_with('0');
            assert!(
                figure == "0.00" || !(trailing_zero || figure.contains(',')),
                "{figure}万元 in {paragraph}"
            );
        }
    }
}

/// The figures written before "万元" in a paragraph.
fn wan_figures(paragraph: &str) -> Vec<String> {
    paragraph
        .split("万元")
        .map(|before| {
            let figure: Vec<char> = before
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
                .collect();
            figure.into_iter().rev().collect::<String>()
        })
        .filter(|f| !f.is_empty())
        .collect()
}

/// The summary counts contracts, and their supplier parts apart.
#[test]
fn the_import_summary_counts_contracts() {
    let ledger = TestLedger::new();
    let stderr = ledger.import(&[&example()]);
    assert!(
        stderr.contains(
            "其中：债券分配 1 条、合同 4 个（供应商 6 条）、验收 4 条、收入 5 条、支出 10 条。"
        ),
        "{stderr}"
    );
}

/// The tail-difference hint on stderr names the column as the table does, not by its JSON key.
#[test]
fn tail_difference_hints_use_the_chinese_column_names() {
    let stderr = common::two_year().ok_stderr(&["report", "table7", "--year", "2022"]);
    assert!(
        stderr.contains(
            "提示：21208 的“年末结转和结余”列有尾数误差：本行 142.22 万元，下级合计 142.23 万元"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("closing"), "{stderr}");
}
