//! Opening balances that do not silently replace (issue 15 item 4): a given opening that differs from
//! the closing balance the ledger carries warns unless it gives `adjust_reason`, and
//! `report opening-adjustments` prints the 年初结转和结余调整情况表. On the two-year fixture, 2120899
//! closes 2022 at 1,234,567.89 元 and 2290402 at 31,999,999.45 元 (table 7 of 2022).

mod common;

use common::{fixture, TestLedger};

const HEADER: &str = "year,fund,function_code,amount,adjust_reason\n";

fn two_year() -> TestLedger {
    let ledger = TestLedger::new();
    ledger.import(&[&fixture("two-year")]);
    ledger
}

fn opening_file(ledger: &TestLedger, name: &str, rows: &str) -> String {
    ledger
        .file(name, &format!("{HEADER}{rows}"))
        .display()
        .to_string()
}

#[test]
fn the_carried_amount_is_last_years_table7_closing() {
    let ledger = two_year();
    let closing_2022 = ledger.json(&["report", "table7", "--year", "2022"])["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["code"] == "2290402")
        .expect("a 2290402 row")["closing"]
        .clone();
    assert_eq!(closing_2022, "31999999.45");
    let file = opening_file(
        &ledger,
        "年初.csv",
        "2023,政府性基金预算,2290402,\"32,000,000.00\",归集调入\n",
    );
    ledger.ok_stderr(&["import", &file]);
    let report = ledger.json(&["report", "opening-adjustments", "--year", "2023"]);
    assert_eq!(
        report,
        serde_json::json!({"year": 2023, "rows": [{
            "fund": "gov_fund", "code": "2290402",
            "name": "其他地方自行试点项目收益专项债券收入安排的支出",
            "carried": "31999999.45", "given": "32000000.00", "adjustment": "0.55",
            "reason": "transfer_in"
        }]})
    );
}

#[test]
fn an_unexplained_restated_opening_warns_with_both_amounts_and_strict_refuses_it() {
    let ledger = two_year();
    let (count, head) = ledger.head();
    let file = opening_file(
        &ledger,
        "年初.csv",
        "2023,政府性基金预算,2120899,1000.00,\n",
    );
    let stderr = ledger.refused(&["import", "--strict", &file]);
    assert!(stderr.contains("年初.csv:2:"), "{stderr}");
    assert!(
        stderr.contains(
            "填报 1000.00 元，与上年结转的 1234567.89 元不同（调整 -1233567.89 元），未填调整原因"
        ),
        "{stderr}"
    );
    assert_eq!(ledger.head(), (count, head));
    let stderr = ledger.ok_stderr(&["import", &file]);
    assert!(stderr.contains("警告："), "{stderr}");
    let check = ledger.json(&["check"]);
    let rules: Vec<&str> = check["warnings"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|w| w["rule"].as_str())
        .collect();
    assert!(rules.contains(&"opening_restated"), "{check}");
    // The report lists it too, its reason marked as missing.
    let table = ledger.ok(&["report", "opening-adjustments", "--year", "2023"]);
    assert!(table.contains("（未填）"), "{table}");
    assert!(table.contains("-123.36"), "{table}");
}

#[test]
fn an_opening_equal_to_the_carried_amount_or_starting_the_ledger_adjusts_nothing() {
    let ledger = two_year();
    let file = opening_file(
        &ledger,
        "年初.csv",
        "2023,政府性基金预算,2120899,\"1,234,567.89\",\n2023,政府性基金预算,2120803,5.00,\n",
    );
    // 2120803 has history (issue fees in 2022), so 5.00 restates it; 2120899 is carried exactly.
    let stderr = ledger.ok_stderr(&["import", &file]);
    assert!(!stderr.contains("2120899 年初"), "{stderr}");
    let rows = ledger.json(&["report", "opening-adjustments", "--year", "2023"])["rows"].clone();
    let codes: Vec<&str> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(codes, ["2120803"]);

    let fresh = TestLedger::new();
    let file = opening_file(&fresh, "年初.csv", "2023,政府性基金预算,2290402,100.00,\n");
    fresh.import(&[std::path::Path::new(&file)]);
    let rows = fresh.json(&["report", "opening-adjustments", "--year", "2023"])["rows"].clone();
    assert_eq!(rows, serde_json::json!([]));
}

#[test]
fn a_bad_reason_is_refused_at_its_cell_and_the_csv_and_export_carry_the_report() {
    let ledger = two_year();
    let file = opening_file(
        &ledger,
        "年初.csv",
        "2023,政府性基金预算,2120899,1.00,忘了\n",
    );
    let stderr = ledger.refused(&["import", &file]);
    assert!(stderr.contains("年初.csv:2: adjust_reason:"), "{stderr}");
    assert!(stderr.contains("会计差错更正"), "{stderr}");
    let file = opening_file(
        &ledger,
        "年初2.csv",
        "2023,政府性基金预算,2120899,1.00,其他\n",
    );
    ledger.ok_stderr(&["import", &file]);
    let csv = ledger.ok(&[
        "report",
        "opening-adjustments",
        "--year",
        "2023",
        "--format",
        "csv",
    ]);
    assert!(csv.contains("2120899"), "{csv}");
    assert!(csv.contains("其他"), "{csv}");
    let out = ledger.dir.path().join("决算2023");
    ledger.ok(&[
        "export",
        "--year",
        "2023",
        "--out",
        &out.display().to_string(),
    ]);
    let exported = std::fs::read_to_string(out.join("2023-opening-adjustments.csv"))
        .expect("the export holds the adjustments");
    assert!(exported.contains("2120899"), "{exported}");
}

#[test]
fn an_opening_given_as_zero_replaces_the_carried_amount_in_table7_too() {
    let ledger = TestLedger::new();
    ledger.ok(&[
        "post",
        "receipt",
        "--voucher-no",
        "LATE-1",
        "--date",
        "2022-12-31",
        "--fund",
        "gov_fund",
        "--function-code",
        "2290402",
        "--amount",
        "100",
    ]);
    let file = opening_file(&ledger, "年初.csv", "2023,gov_fund,2290402,0,其他\n");
    ledger.import(&[std::path::Path::new(&file)]);
    let adjustments = ledger.json(&["report", "opening-adjustments", "--year", "2023"]);
    assert_eq!(adjustments["rows"][0]["adjustment"], "-100.00");
    let table7 = ledger.json(&["report", "table7", "--year", "2023"]);
    assert_eq!(table7["total"]["opening"], "0.00", "{table7}");
    assert_eq!(table7["total"]["closing"], "0.00", "{table7}");
}
