//! Line numbers that are true (issue 15, item 1): messages and stored sources name the physical line
//! an editor shows, for LF, CRLF (Excel on Windows) and CR-only files, with blank lines and quoted
//! line breaks; and a file with many bad rows prints at most 50 of them (issue 15, item 8).

mod common;

use common::TestLedger;

const HEADER: &str = "voucher_no,date,fund,function_code,expense_type,amount,payee";

/// The `source` of every imported entry, in order, from `log --format json`, without the folder
/// (the unit entry `init` writes has no file).
fn sources(ledger: &TestLedger) -> Vec<String> {
    ledger
        .ok(&["log", "--format", "json"])
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON lines"))
        .filter(|entry| entry["kind"] != "unit")
        .map(|entry| {
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

#[test]
fn gb18030_files_count_lines_the_same_way() {
    let ledger = TestLedger::new();
    // "某公司" in GB18030, then a row with a byte that is neither encoding's, on physical line 5.
    let company: &[u8] = &[0xC4, 0xB3, 0xB9, 0xAB, 0xCB, 0xBE];
    let row = |voucher: &str, tail: &[u8]| {
        let mut bytes =
            format!("{voucher},2022-01-05,gov_fund,2290402,project,10.00,").into_bytes();
        bytes.extend_from_slice(tail);
        bytes
    };
    for (name, newline) in [("gb_crlf.csv", "\r\n"), ("gb_cr.csv", "\r")] {
        let mut bytes = HEADER.as_bytes().to_vec();
        for line in [row("G-1", company), Vec::new(), row("G-2", company)] {
            bytes.extend_from_slice(newline.as_bytes());
            bytes.extend_from_slice(&line);
        }
        bytes.extend_from_slice(newline.as_bytes());
        bytes.extend_from_slice(&row("G-3", &[0x81, 0x20]));
        bytes.extend_from_slice(newline.as_bytes());
        let path = ledger.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = ledger.refused(&["import", path.to_str().unwrap()]);
        assert!(
            err.contains(&format!("{name}:5: 文件既不是 UTF-8 也不是 GB18030 编码")),
            "{err}"
        );
    }
}
