//! The bundled example reproduces the reference unit's published 2022 figures.

mod common;

use common::{example, TestLedger};

fn reference_ledger() -> TestLedger {
    let ledger = TestLedger::uninitialised();
    ledger.ok(&[
        "init",
        "--unit",
        "武汉市青山区大数据中心",
        "--short-name",
        "青山区大数据中心",
    ]);
    ledger.import(&[&example()]);
    ledger
}

/// 表7 of the reference, in 万元, cell by cell: code, name, then the six columns ("" = blank).
#[rustfmt::skip]
const TABLE7: [[&str; 8]; 7] = [
    ["合计", "", "", "7,115.81", "7,115.81", "", "7,115.81", ""],
    ["212", "城乡社区支出", "", "175.22", "175.22", "", "175.22", ""],
    ["21208", "国有土地使用权出让收入安排的支出", "", "175.22", "175.22", "", "175.22", ""],
    ["2120803", "城市建设支出", "", "175.22", "175.22", "", "175.22", ""],
    ["229", "其他支出", "", "6,940.59", "6,940.59", "", "6,940.59", ""],
    ["22904", "其他政府性基金及对应专项债务收入安排的支出", "", "6,940.59", "6,940.59", "", "6,940.59", ""],
    ["2290402", "其他地方自行试点项目收益专项债券收入安排的支出", "", "6,940.59", "6,940.59", "", "6,940.59", ""],
];

#[test]
fn table7_matches_the_published_table_cell_by_cell() {
    let ledger = reference_ledger();
    let csv = ledger.ok(&["report", "table7", "--year", "2022", "--format", "csv"]);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let body: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| {
            r.len() == 8
                && (r[0] == "合计"
                    || r[0].chars().all(|c| c.is_ascii_digit())
                        && !r[0].is_empty()
                        && r[0].len() >= 3)
        })
        .collect();
    assert_eq!(body.len(), TABLE7.len(), "{csv}");
    for (got, want) in body.iter().zip(TABLE7) {
        assert_eq!(got.as_slice(), want.map(String::from).as_slice());
    }
    assert!(rows.iter().any(|r| r[0] == "部门：武汉市青山区大数据中心"));
    assert!(rows.iter().any(|r| r[0] == "单位：万元"));
}

#[test]
fn table7_json_is_exact_in_yuan_and_has_no_tail_differences() {
    let t = reference_ledger().json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["year"], 2022);
    assert_eq!(t["unit"], "武汉市青山区大数据中心");
    assert_eq!(t["total"]["income"], "71158112.36");
    assert_eq!(t["total"]["expense"], "71158112.36");
    assert_eq!(t["total"]["basic"], "0.00");
    assert_eq!(t["total"]["opening"], "0.00");
    assert_eq!(t["total"]["closing"], "0.00");
    assert_eq!(t["rows"][0]["code"], "212");
    assert_eq!(t["rows"][0]["level"], "类");
    assert_eq!(t["rows"][2]["project"], "1752200.00");
    assert_eq!(t["rows"][5]["code"], "2290402");
    assert_eq!(t["rows"][5]["level"], "项");
    assert_eq!(t["rows"][5]["expense"], "69405912.36");
    assert_eq!(t["tail_differences"].as_array().unwrap().len(), 0);
}

#[test]
fn table7_text_gives_the_section_seven_figures() {
    let text = reference_ledger().ok(&["report", "table7", "--year", "2022", "--format", "text"]);
    assert!(text.starts_with("2022年度青山区大数据中心政府性基金预算财政拨款年初结转和结余0.00万元，本年收入7115.81万元，本年支出7115.81万元，年末结转和结余0.00万元。"), "{text}");
    assert!(text.contains("（一）城乡社区支出。支出决算为175.22万元，主要用于智慧新青山（一期）城市运行管理平台专项债券利息及专项债券发行相关费用。"), "{text}");
    assert!(
        text.contains("（二）其他支出。支出决算为6940.59万元，主要用于智慧新青山（一期）城市运行管理平台项目建设。"),
        "{text}"
    );
}

const PARAGRAPH: &str = "2022年度青山区大数据中心政府采购支出总额7858.53万元，其中：政府采购服务支出7858.53万元。授予中小企业合同金额1854.9万元，占政府采购支出总额的23.6%，其中：授予小微企业合同金额1482.52万元，占授予中小企业合同金额的79.9%；服务采购授予中小企业合同金额占服务支出金额的23.6%。";

#[test]
fn procurement_paragraph_is_the_published_one_word_for_word() {
    let ledger = reference_ledger();
    let text = ledger.procurement_text("2022", &[]);
    assert_eq!(text.trim_end(), PARAGRAPH);
    let p = ledger.json(&["report", "procurement", "--year", "2022"]);
    assert_eq!(p["total"], "78585300.00");
    assert_eq!(p["services"], "78585300.00");
    assert_eq!(p["goods"], "0.00");
    assert_eq!(p["sme"], "18549000.00");
    assert_eq!(p["sme_pct"], "23.6");
    assert_eq!(p["small_micro"], "14825200.00");
    assert_eq!(p["small_micro_pct_of_sme"], "79.9");
    assert_eq!(p["small_micro_pct_of_total"], "18.9");
    assert_eq!(
        p["by_category"]["goods"]["sme_pct"],
        serde_json::Value::Null
    );
    assert_eq!(p["text"], PARAGRAPH);
}

#[test]
fn demo_runs_the_whole_job_on_the_example() {
    let out = TestLedger::uninitialised().ok(&["demo"]);
    assert!(out.contains("│ 合计"), "{out}");
    assert!(out.contains("7,115.81"));
    assert!(out.contains(PARAGRAPH));
    assert!(
        out.contains("69.41%"),
        "bond-use progress of the example: {out}"
    );
    // The unit's names (entry 1) and the example's 26 rows (4 of them illustrative acceptances).
    assert!(out.contains("记录数：27"));
    // The clock and the checks on the illustrative acceptances and notice dates (README).
    assert!(out.contains("中小企业款项支付期限表"), "{out}");
    assert!(out.contains("合同 1 份，金额 32.52 万元"), "{out}");
    assert!(out.contains("合同公告逾期"), "{out}");
}

#[test]
fn no_contract_of_the_example_is_overpaid() {
    let c = reference_ledger().json(&["report", "contracts", "--year", "2022"]);
    let rows = c["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["overpaid"] == false), "{c}");
    let platform = rows
        .iter()
        .find(|r| r["contract_no"] == "QS-2022-001")
        .unwrap();
    assert_eq!(platform["amount"], "67723800.00");
    assert_eq!(platform["paid"], "67000000.00");
}
