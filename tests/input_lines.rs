//! Line numbers that are true (issue 15, item 1): messages and stored sources name the physical line
//! an editor shows, for LF, CRLF (Excel on Windows) and CR-only files, with blank lines and quoted
//! line breaks; and a file with many bad rows prints at most 50 of them (issue 15, item 8).

mod common;

use common::TestLedger;

const HEADER: &str = "voucher_no,date,fund,function_code,expense_type,amount,payee";

/// The `source` of every entry, in order, from `log --format json`, without the folder.
fn sources(ledger: &TestLedger) -> Vec<String> {
    ledger
        .ok(&["log", "--format", "json"])
        .lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
            let source = entry["source"].as_str().expect("a source");
            source.rsplit('/').next().unwrap_or(source).to_string()
        })
        .collect()
}

/// The rows of a payments file, joined by `newline`, with a blank line after the first data row.
fn payments(newline: &str, last_amount: &str) -> String {
    [
        HEADER,
        "L-1,2022-01-05,gov_fund,2290402,project,10.00,某公司",
        "",
        "L-2,2022-01-06,gov_fund,2290402,project,11.00,某公司",
        &format!("L-3,2022-01-07,gov_fund,2290402,project,{last_amount},某公司"),
    ]
    .join(newline)
        + newline
}

#[test]
fn a_crlf_file_with_a_blank_line_names_the_right_lines_in_errors_and_sources() {
    let ledger = TestLedger::new();
    let bad = ledger.file("crlf_bad.csv", &payments("\r\n", "1.234"));
    let err = ledger.refused(&["import", bad.to_str().unwrap()]);
    assert!(
        err.contains("crlf_bad.csv:5: amount: “1.234”超过两位小数"),
        "{err}"
    );
    let good = ledger.file("crlf.csv", &payments("\r\n", "12.00"));
    ledger.import(&[&good]);
    assert_eq!(sources(&ledger), ["crlf.csv:2", "crlf.csv:4", "crlf.csv:5"]);
}

#[test]
fn a_cr_only_file_names_the_right_lines() {
    let ledger = TestLedger::new();
    let bad = ledger.file("cr_bad.csv", &payments("\r", "1.234"));
    let err = ledger.refused(&["import", bad.to_str().unwrap()]);
    assert!(err.contains("cr_bad.csv:5: amount:"), "{err}");
    let good = ledger.file("cr.csv", &payments("\r", "12.00"));
    ledger.import(&[&good]);
    assert_eq!(sources(&ledger), ["cr.csv:2", "cr.csv:4", "cr.csv:5"]);
}

#[test]
fn an_lf_file_with_blank_lines_names_the_right_lines() {
    let ledger = TestLedger::new();
    let good = ledger.file("lf.csv", &payments("\n", "12.00"));
    ledger.import(&[&good]);
    assert_eq!(sources(&ledger), ["lf.csv:2", "lf.csv:4", "lf.csv:5"]);
}

#[test]
fn a_row_with_a_quoted_line_break_is_named_by_its_first_line_and_the_next_rows_after_it() {
    let ledger = TestLedger::new();
    // The memo spans lines 2–4 and is refused there (a cell may not hold a line break); the row
    // after it is on line 5, whatever the breaks.
    let text = format!(
        "{HEADER},memo\r\nQ-1,2022-01-05,gov_fund,2290402,project,10.00,某公司,\"第一行\r\n第二行\r\n第三行\"\r\nQ-2,2022-01-06,gov_fund,2290402,project,1.234,某公司,\r\n"
    );
    let file = ledger.file("quoted.csv", &text);
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    assert!(err.contains("quoted.csv:2: memo: 单元格内含换行"), "{err}");
    assert!(err.contains("quoted.csv:5: amount: “1.234”"), "{err}");
}

#[test]
fn errors_are_capped_at_fifty_per_file_with_the_count_of_the_rest() {
    let ledger = TestLedger::new();
    let mut text = format!("{HEADER}\n");
    for i in 0..200 {
        text.push_str(&format!(
            "C-{i},2022-01-05,gov_fund,2290402,project,1.234,某公司\n"
        ));
    }
    let file = ledger.file("many.csv", &text);
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    let listed = err.lines().filter(|l| l.contains("超过两位小数")).count();
    assert_eq!(listed, 50, "{err}");
    assert!(err.contains("many.csv:51: amount:"), "{err}");
    assert!(!err.contains("many.csv:52: amount:"), "{err}");
    assert!(
        err.contains("many.csv：另有 150 处问题未列出（共 200 处问题）"),
        "{err}"
    );
    assert!(err.contains("已拒绝：共 200 处问题"), "{err}");
}
