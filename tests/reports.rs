//! Reports on the two-year fixture: the figures that matter asserted by hand, and every format of
//! every report held in snapshots (insta) so that any change to a published layout is seen.

mod common;

use common::{two_year, TestLedger};
use serde_json::Value;

fn row<'a>(t: &'a Value, code: &str) -> &'a Value {
    t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("no row {code}"))
}

#[test]
fn table7_carries_openings_forward_and_leaves_out_the_general_budget() {
    let ledger = two_year();
    let t22 = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(row(&t22, "2120899")["opening"], "1234567.89");
    assert_eq!(row(&t22, "2120803")["basic"], "12345.67");
    assert_eq!(row(&t22, "2120803")["project"], "300000.00");
    assert_eq!(row(&t22, "2120803")["closing"], "187654.33");
    assert_eq!(t22["total"]["income"], "50500000.00");
    assert!(t22["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["code"] != "2010350" && r["code"] != "201"));
    let t23 = ledger.json(&["report", "table7", "--year", "2023"]);
    assert_eq!(row(&t23, "2120899")["opening"], "1234567.89");
    assert_eq!(row(&t23, "2120803")["opening"], "187654.33");
    assert_eq!(row(&t23, "2290402")["closing"], "34999999.45");
    assert_eq!(t23["total"]["closing"], "36422221.67");
}

#[test]
fn tail_differences_are_reported_where_rounded_children_do_not_add_up() {
    let ledger = two_year();
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    let tails = t["tail_differences"].as_array().unwrap();
    assert_eq!(tails.len(), 1, "{tails:?}");
    assert_eq!(tails[0]["code"], "21208");
    assert_eq!(tails[0]["column"], "closing");
    assert_eq!(tails[0]["parent"], "142.22");
    assert_eq!(tails[0]["sum_of_children"], "142.23");
    let out = ledger
        .cmd(&["report", "table7", "--year", "2022"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("尾差：21208 年末结转和结余：本行 142.22 万元，下级合计 142.23 万元"));
}

#[test]
fn an_opening_balance_given_for_the_year_replaces_the_carried_one() {
    let ledger = two_year();
    let opening = ledger.file(
        "o.csv",
        "year,fund,function_code,amount\n2023,gov_fund,2290402,\"30,000,000.00\"\n",
    );
    ledger.import(&[&opening]);
    let t23 = ledger.json(&["report", "table7", "--year", "2023"]);
    assert_eq!(row(&t23, "2290402")["opening"], "30000000.00");
    assert_eq!(row(&t23, "2290402")["closing"], "33000000.00");
}

#[test]
fn coupon_schedule_of_an_amortizing_semiannual_bond_with_a_month_end_value_date() {
    let s = two_year().json(&["bond", "schedule", "TB-01"]);
    let rows = s["rows"].as_array().unwrap();
    let dates: Vec<&str> = rows.iter().map(|r| r["date"].as_str().unwrap()).collect();
    assert_eq!(
        dates,
        [
            "2023-02-28",
            "2023-08-31",
            "2024-02-29",
            "2024-08-31",
            "2025-02-28",
            "2025-08-31",
            "2026-02-28",
            "2026-08-31",
            "2027-02-28",
            "2027-08-31"
        ]
    );
    let interest: Vec<&str> = rows
        .iter()
        .map(|r| r["interest"].as_str().unwrap())
        .collect();
    assert_eq!(interest[5], "1500000.00");
    assert_eq!(interest[6], "1200000.00");
    assert_eq!(interest[9], "900000.00");
    assert_eq!(rows[5]["principal"], "20000000.00");
    assert_eq!(rows[7]["outstanding"], "60000000.00");
    assert_eq!(rows[9]["principal"], "60000000.00");
    assert_eq!(rows[9]["outstanding"], "0.00");
}

#[test]
fn bond_use_report_as_of_the_quarter_end() {
    let b = two_year().json(&["report", "bond-use", "--quarter", "2023Q1"]);
    let rows = b["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let p1 = &rows[0];
    assert_eq!(
        (p1["bond_code"].as_str(), p1["project_code"].as_str()),
        (Some("TB-01"), Some("P1"))
    );
    assert_eq!(p1["received_to_date"], "40000000.00");
    assert_eq!(
        p1["spent_quarter"], "-1000000.00",
        "the reversal dated in 2023Q1 lowers that quarter"
    );
    assert_eq!(p1["spent_to_date"], "12000000.00");
    assert_eq!(p1["progress_pct"], "20.00");
    assert_eq!(p1["unspent"], "28000000.00");
    assert_eq!(p1["interest_quarter"], "900000.00");
    assert_eq!(p1["fees_to_date"], "300000.00");
    assert_eq!(p1["next_coupon_date"], "2023-08-31");
    assert_eq!(p1["next_coupon_amount"], "900000.00");
    assert_eq!(rows[1]["progress_pct"], "12.50");
    assert_eq!(rows[1]["next_coupon_amount"], "600000.00");
    assert_eq!(rows[2]["next_coupon_date"], "2024-03-15");
    let before = two_year().json(&["report", "bond-use", "--quarter", "2022Q2"]);
    assert_eq!(
        before["rows"].as_array().unwrap().len(),
        0,
        "no bond was issued by 2022Q2"
    );
}

#[test]
fn contracts_report_flags_overpayment() {
    let c = two_year().json(&["report", "contracts", "--year", "2023"]);
    let rows = c["rows"].as_array().unwrap();
    let by_no = |no: &str| rows.iter().find(|r| r["contract_no"] == no).unwrap();
    assert_eq!(by_no("C-2022-01")["amount"], "45100000.00");
    assert_eq!(by_no("C-2022-01")["paid"], "20000000.00");
    assert_eq!(by_no("C-2022-01")["remaining"], "25100000.00");
    assert_eq!(by_no("C-2022-02")["overpaid"], true);
    let c22 = two_year().json(&["report", "contracts", "--year", "2022"]);
    let first = &c22["rows"].as_array().unwrap()[0];
    assert_eq!(
        (first["amount"].as_str(), first["paid"].as_str()),
        (Some("45000000.00"), Some("12000000.00"))
    );
}

#[test]
fn misused_arguments_exit_with_status_2() {
    let ledger = TestLedger::new();
    for args in [
        vec!["report", "bond-use", "--quarter", "2023Q5"],
        vec!["report", "table7"],
        vec!["frobnicate"],
        vec![
            "report",
            "bond-use",
            "--quarter",
            "2023Q1",
            "--format",
            "text",
        ],
    ] {
        let out = ledger.cmd(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_format_of_every_report_is_stable() {
    let ledger = two_year();
    let reports: [(&str, Vec<&str>); 6] = [
        ("table7_2022", vec!["report", "table7", "--year", "2022"]),
        ("table7_2023", vec!["report", "table7", "--year", "2023"]),
        (
            "procurement_2022",
            vec!["report", "procurement", "--year", "2022"],
        ),
        (
            "bond_use_2023q1",
            vec!["report", "bond-use", "--quarter", "2023Q1"],
        ),
        (
            "contracts_2023",
            vec!["report", "contracts", "--year", "2023"],
        ),
        ("schedule_tb01", vec!["bond", "schedule", "TB-01"]),
    ];
    for (name, args) in reports {
        for format in ["table", "csv", "json"] {
            let mut args = args.clone();
            args.extend(["--format", format]);
            insta::assert_snapshot!(format!("{name}_{format}"), ledger.ok(&args));
        }
    }
    for (name, args) in [
        (
            "table7_2022_text",
            vec!["report", "table7", "--year", "2022", "--format", "text"],
        ),
        (
            "procurement_2022_text",
            vec![
                "report",
                "procurement",
                "--year",
                "2022",
                "--format",
                "text",
            ],
        ),
    ] {
        insta::assert_snapshot!(name, ledger.ok(&args));
    }
}

#[test]
fn both_wordings_of_the_small_micro_share() {
    let ledger = two_year();
    let sme = ledger.procurement_text("2022", &[]);
    assert!(
        sme.contains("授予小微企业合同金额600万元，占授予中小企业合同金额的37.5%；"),
        "{sme}"
    );
    let total = ledger.procurement_text("2022", &["--small-micro-share-of", "total"]);
    assert!(
        total.contains("授予小微企业合同金额600万元，占政府采购支出总额的13.0%；"),
        "{total}"
    );
    assert!(total.starts_with("2022年度测试单位政府采购支出总额4625万元，其中：政府采购货物支出4500万元、政府采购工程支出80万元、政府采购服务支出45万元。"));
    assert!(
        total.contains("工程采购授予中小企业合同金额占工程支出金额的100.0%"),
        "the prison enterprise counts as small/micro: {total}"
    );
    let p23 = ledger.json(&["report", "procurement", "--year", "2023"]);
    assert_eq!(
        p23["goods"], "100000.00",
        "an amendment counts in its own year, not its contract's"
    );
    assert_eq!(p23["works"], "0.00");
    assert_eq!(p23["by_category"]["works"]["sme_pct"], Value::Null);
}

#[test]
fn a_year_without_procurement_is_worded_sensibly() {
    let text = two_year().procurement_text("2021", &[]);
    assert_eq!(text.trim_end(), "2021年度测试单位无政府采购支出。");
}

#[test]
fn classify_applies_the_thresholds() {
    let ledger = TestLedger::uninitialised();
    assert_eq!(
        ledger
            .ok(&[
                "classify",
                "--industry",
                "软件和信息技术服务业",
                "--people",
                "120",
                "--revenue",
                "3000"
            ])
            .trim(),
        "中型"
    );
    assert_eq!(
        ledger
            .ok(&[
                "classify",
                "--industry",
                "construction",
                "--revenue",
                "299.99",
                "--assets",
                "5000"
            ])
            .trim(),
        "微型"
    );
    let out = ledger
        .cmd(&["classify", "--industry", "建筑业", "--people", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("需要营业收入"));
}

#[test]
fn shell_completions_are_generated() {
    let ledger = TestLedger::uninitialised();
    for shell in ["bash", "zsh", "fish"] {
        let script = ledger.ok(&["completions", shell]);
        assert!(
            script.contains("taizhang") && script.contains("procurement"),
            "{shell}"
        );
    }
}
