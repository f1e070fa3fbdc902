//! The corpus of malformed files in `fixtures/bad/`: each refused with exit status 1, a message in
//! Chinese naming the file, the line and the column, and the ledger left exactly as it was.

mod common;

use common::{fixture, two_year};

/// File, then what the message must say (after the file name).
const CORPUS: [(&str, &str); 31] = [
    ("three_decimals.csv", ":2: amount: “1.234”超过两位小数"),
    ("negative_amount.csv", ":2: amount: 金额须大于零"),
    ("zero_amount.csv", ":2: amount: 金额须大于零"),
    (
        "impossible_date.csv",
        ":2: date: “2023-02-29”不是存在的日期",
    ),
    ("text_in_amount.csv", ":2: amount: “一百元”不是金额"),
    ("missing_value.csv", ":2: payee: 缺少必填值"),
    ("short_row.csv", ":2: 本行有 5 列，表头有 7 列"),
    ("unknown_column.csv", ":1: amout: 未知的列"),
    (
        "no_known_column.csv",
        ":1: 表头中没有任何已知的列，无法识别文件种类",
    ),
    ("unknown_enum.csv", ":2: fund: “政府基金”不是资金性质"),
    (
        "five_digit_code.csv",
        ":2: function_code: “22904”不是7位项级功能分类科目编码",
    ),
    (
        "non_numeric_code.csv",
        ":2: function_code: “229040X”不是7位项级功能分类科目编码",
    ),
    (
        "duplicate_voucher.csv",
        ":3: voucher_no: 凭证号 Z-1在同一批导入中重复出现",
    ),
    (
        "missing_contract.csv",
        ":2: contract_no: 合同 C-NONE 不存在",
    ),
    ("missing_bond.csv", ":2: bond_code: 债券 TB-99 不存在"),
    (
        "invalid_uscc.csv",
        ":2: uscc: 统一社会信用代码“91420100MA4K2Y3B5X”的校验码应为“W”",
    ),
    ("bad_frequency.csv", ":2: frequency: “按季”不是付息频率"),
    ("not_text.csv", ":2: 文件既不是 UTF-8 也不是 GB18030 编码"),
    ("empty.csv", ":1: 文件为空"),
    ("header_only.csv", ":1: 只有表头，没有数据行"),
    (
        "bom_in_middle.csv",
        ":3: voucher_no: 含有字节顺序标记（BOM）",
    ),
    ("embedded_newline.csv", ":2: payee: 单元格内含换行"),
    ("underscore_amount.csv", ":2: amount: “1_000.00”不是金额"),
    (
        "zero_width_voucher.csv",
        ":2: voucher_no: 第 2 个字符是零宽空格（U+200B）",
    ),
    (
        "bidi_payee.csv",
        ":2: payee: 第 2 个字符是双向文本控制符（U+202E）",
    ),
    (
        "line_separator_payee.csv",
        ":2: payee: 第 2 个字符是行分隔符（U+2028）",
    ),
    (
        "year_9999.csv",
        ":2: date: “9999-12-31”的年份不在 1990 至 2100 年之间",
    ),
    (
        "year_0000.csv",
        ":2: date: “0000-01-01”的年份不在 1990 至 2100 年之间",
    ),
    ("crlf_blank_line.csv", ":4: amount: “1.234”超过两位小数"),
    ("empty_header_cell.csv", ":1: 第 3 列（C 列）: 表头为空"),
    (
        "receipts_unknown_column.csv",
        ":1: memoo: 未知的列（收入文件的列为：凭证号、",
    ),
];

#[test]
fn every_malformed_file_is_refused_by_name_line_and_column() {
    let ledger = two_year();
    let before = ledger.head();
    for (name, expected) in CORPUS {
        let path = fixture(&format!("bad/{name}"));
        let err = ledger.refused(&["import", path.to_str().unwrap()]);
        let wanted = format!("{}{expected}", path.display());
        assert!(
            err.contains(&wanted),
            "{name}: expected «{wanted}» in:\n{err}"
        );
        assert!(err.contains("台账未作任何改动"), "{name}: {err}");
        assert_eq!(ledger.head(), before, "{name} changed the ledger");
    }
}

#[test]
fn the_corpus_is_complete() {
    let files = std::fs::read_dir(fixture("bad")).unwrap().count();
    assert_eq!(
        files,
        CORPUS.len(),
        "every file in fixtures/bad has an expectation"
    );
}

#[test]
fn one_bad_file_among_good_ones_posts_nothing() {
    let ledger = common::TestLedger::new();
    let bad = fixture("bad/three_decimals.csv");
    let err = ledger.refused(&[
        "import",
        fixture("two-year").to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert!(err.contains("three_decimals.csv:2: amount"), "{err}");
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
}

#[test]
fn a_declared_size_that_contradicts_the_figures_warns_or_refuses_with_strict() {
    let ledger = two_year();
    let file = ledger.file(
        "sizes.csv",
        "合同编号,合同名称,签订日期,采购类别,采购方式,资金性质,供应商名称,企业规模,分配金额,行业,从业人员,营业收入\nC-S,测试,2023-03-01,服务,询价,一般公共预算,某软件公司,小型,100,软件和信息技术服务业,500,20000\n",
    );
    let before = ledger.head();
    let err = ledger.refused(&["import", "--strict", file.to_str().unwrap()]);
    assert!(err.contains("sizes.csv:2: 企业规模: 声明为小型，但按软件和信息技术服务业的划型标准，所填从业人员、营业收入、资产总额对应大型"), "{err}");
    assert_eq!(ledger.head(), before);
    let warned = ledger.ok_stderr(&["import", file.to_str().unwrap()]);
    assert!(
        warned.contains("警告：") && warned.contains("对应大型"),
        "{warned}"
    );
    assert_eq!(ledger.head().0, before.0 + 1);
}

#[test]
fn every_bad_file_of_one_batch_is_named_not_only_the_first() {
    let ledger = two_year();
    let before = ledger.head();
    let names = ["header_only.csv", "three_decimals.csv", "missing_bond.csv"];
    let chosen: Vec<(String, &str)> = (CORPUS.iter())
        .filter(|(name, _)| names.contains(name))
        .map(|(name, expected)| {
            (
                fixture(&format!("bad/{name}")).display().to_string(),
                *expected,
            )
        })
        .collect();
    assert_eq!(chosen.len(), names.len());
    let mut args = vec!["import"];
    args.extend(chosen.iter().map(|(path, _)| path.as_str()));
    let err = ledger.refused(&args);
    for (path, expected) in &chosen {
        let wanted = format!("{path}{expected}");
        assert!(err.contains(&wanted), "expected «{wanted}» in:\n{err}");
    }
    assert_eq!(ledger.head(), before);
}

#[test]
fn a_contract_part_whose_terms_differ_from_its_contract_is_refused_in_the_batch_and_after() {
    let ledger = two_year();
    let header =
        "合同编号,合同名称,签订日期,采购类别,采购方式,资金性质,供应商名称,企业规模,分配金额\n";
    let first = "C-T,运维服务,2023-03-01,服务,询价,一般公共预算,甲公司,小型,100\n";
    let same = "C-T,运维服务,2023-03-01,服务,询价,一般公共预算,乙公司,微型,50\n";
    let other = "C-T,运维服务（二期）,2023-03-01,服务,询价,一般公共预算,丙公司,中型,70\n";
    let before = ledger.head();
    let mixed = ledger.file("mixed.csv", &format!("{header}{first}{same}{other}"));
    let err = ledger.refused(&["import", mixed.to_str().unwrap()]);
    assert!(
        err.contains("mixed.csv:4: 合同编号: 合同 C-T 的要素（名称、签订日期、类别、方式、资金性质、项目、付款期限、逾期日利率、预算、预留金额、公告日期）与已有行不一致"),
        "{err}"
    );
    assert_eq!(ledger.head(), before);
    let good = ledger.file("good.csv", &format!("{header}{first}{same}"));
    ledger.ok_stderr(&["import", good.to_str().unwrap()]);
    assert_eq!(ledger.head().0, before.0 + 2);
    let late = ledger.file("late.csv", &format!("{header}{other}"));
    let err = ledger.refused(&["import", late.to_str().unwrap()]);
    assert!(err.contains("late.csv:2: 合同编号: 合同 C-T"), "{err}");
    assert_eq!(ledger.head().0, before.0 + 2);
}
