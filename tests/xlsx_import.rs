//! Excel in (issue 15 item 2): an .xlsx made here, with date cells, number cells, a code typed as a
//! number, a blank row and an empty sheet, imports directly; each sheet is a file of the batch and
//! each entry's source is `PATH:SHEET:ROW`; a number cell that is not a whole number of 分 is refused
//! at its row.

mod common;

use std::path::{Path, PathBuf};

use common::TestLedger;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

const PAYMENT_HEADER: [&str; 7] = [
    "凭证号",
    "日期",
    "资金性质",
    "功能分类科目编码",
    "支出类型",
    "金额",
    "收款人",
];

/// A payment row: voucher, date cell, code typed as a number, amount as a number cell.
fn payment_row(
    sheet: &mut Worksheet,
    row: u32,
    (voucher, day): (&str, u8),
    amount: f64,
) -> Result<(), XlsxError> {
    let date = Format::new().set_num_format("yyyy/m/d");
    sheet.write_string(row, 0, voucher)?;
    sheet.write_datetime_with_format(row, 1, ExcelDateTime::from_ymd(2022, 6, day)?, &date)?;
    sheet.write_string(row, 2, "政府性基金预算")?;
    sheet.write_number(row, 3, 2290402.0)?;
    sheet.write_string(row, 4, "项目支出")?;
    sheet.write_number(row, 5, amount)?;
    sheet.write_string(row, 6, "某公司")?;
    Ok(())
}

/// A workbook with a payments sheet (a blank row 3), a receipts sheet and an empty sheet.
fn workbook(dir: &Path, last_amount: f64) -> Result<PathBuf, XlsxError> {
    let mut book = Workbook::new();
    let payments = book.add_worksheet().set_name("支出")?;
    for (col, name) in (0u16..).zip(PAYMENT_HEADER) {
        payments.write_string(0, col, name)?;
    }
    payment_row(payments, 1, ("X-1", 10), 1234.5)?;
    payment_row(payments, 3, ("X-2", 11), last_amount)?;
    let receipts = book.add_worksheet().set_name("收入")?;
    for (col, name) in (0u16..).zip(["voucher_no", "date", "fund", "function_code", "amount"]) {
        receipts.write_string(0, col, name)?;
    }
    receipts.write_string(1, 0, "R-1")?;
    receipts.write_string(1, 1, "2022-06-01")?;
    receipts.write_string(1, 2, "gov_fund")?;
    receipts.write_string(1, 3, "2290402")?;
    receipts.write_string(1, 4, "10,000.00")?;
    book.add_worksheet().set_name("说明")?;
    let path = dir.join("台账.xlsx");
    book.save(&path)?;
    Ok(path)
}

fn entries(ledger: &TestLedger) -> Vec<serde_json::Value> {
    ledger
        .ok(&["log", "--format", "json"])
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON lines"))
        .filter(|e| e["kind"] != "unit")
        .collect()
}

#[test]
fn every_sheet_imports_with_exact_numbers_dates_and_codes_and_row_sources() {
    let ledger = TestLedger::new();
    let book = workbook(ledger.dir.path(), 99.99).expect("a workbook");
    let said = ledger.ok_stderr(&["import", book.to_str().unwrap()]);
    assert!(said.contains("新记账 3 条"), "{said}");
    let entries = entries(&ledger);
    let place = |e: &serde_json::Value| {
        let source = e["source"].as_str().unwrap();
        source.rsplit('/').next().unwrap().to_string()
    };
    // Receipts before payments (dependency order), each sheet a file.
    assert_eq!(
        entries.iter().map(place).collect::<Vec<_>>(),
        ["台账.xlsx:收入:2", "台账.xlsx:支出:2", "台账.xlsx:支出:4"]
    );
    let payment = &entries[1]["body"]["payment"];
    assert_eq!(payment["amount"], "1234.50");
    assert_eq!(payment["date"], "2022-06-10");
    assert_eq!(payment["function_code"], "2290402");
    assert_eq!(entries[2]["body"]["payment"]["amount"], "99.99");
    assert_eq!(entries[0]["body"]["receipt"]["amount"], "10000.00");
}

#[test]
fn a_number_cell_that_is_not_a_whole_number_of_fen_is_refused_at_its_row() {
    let ledger = TestLedger::new();
    let book = workbook(ledger.dir.path(), 1.234).expect("a workbook");
    let err = ledger.refused(&["import", book.to_str().unwrap()]);
    assert!(err.contains("台账.xlsx:支出:4: 金额:"), "{err}");
    assert!(err.contains("超过两位小数"), "{err}");
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
}

#[test]
fn a_folder_with_a_workbook_imports_it_and_a_damaged_one_is_named() {
    let ledger = TestLedger::new();
    let folder = ledger.dir.path().join("年度");
    std::fs::create_dir(&folder).unwrap();
    workbook(&folder, 5.0).expect("a workbook");
    let said = ledger.ok_stderr(&["import", folder.to_str().unwrap()]);
    assert!(said.contains("新记账 3 条"), "{said}");
    let fake = ledger.file("坏.xlsx", "这不是工作簿");
    let err = ledger.refused(&["import", fake.to_str().unwrap()]);
    assert!(err.contains("坏.xlsx:1: 不是可以读取的 Excel"), "{err}");
}

#[test]
fn hidden_sheets_are_left_out_and_a_far_cell_costs_no_more_than_its_row() {
    let ledger = TestLedger::new();
    let mut book = Workbook::new();
    let payments = book.add_worksheet().set_name("支出").unwrap();
    for (col, name) in (0u16..).zip(PAYMENT_HEADER) {
        payments.write_string(0, col, name).unwrap();
    }
    payment_row(payments, 1, ("H-1", 10), 1.0).unwrap();
    let hidden = book.add_worksheet().set_name("草稿").unwrap();
    for (col, name) in (0u16..).zip(PAYMENT_HEADER) {
        hidden.write_string(0, col, name).unwrap();
    }
    payment_row(hidden, 1, ("H-2", 11), 2.0).unwrap();
    hidden.set_hidden(true);
    let path = ledger.dir.path().join("隐藏.xlsx");
    book.save(&path).unwrap();
    let said = ledger.ok_stderr(&["import", path.to_str().unwrap()]);
    assert!(said.contains("新记账 1 条"), "{said}");

    // A note in the sheet's last cell (XFD1048576): refused at its row, without laying out the
    // sheet's 17 billion cells.
    let mut book = Workbook::new();
    let payments = book.add_worksheet().set_name("支出").unwrap();
    for (col, name) in (0u16..).zip(PAYMENT_HEADER) {
        payments.write_string(0, col, name).unwrap();
    }
    payment_row(payments, 1, ("F-1", 10), 1.0).unwrap();
    payments.write_string(1_048_575, 16_383, "备注").unwrap();
    let path = ledger.dir.path().join("远.xlsx");
    book.save(&path).unwrap();
    let err = ledger.refused(&["import", path.to_str().unwrap()]);
    assert!(err.contains("远.xlsx:支出:1048576:"), "{err}");
}
