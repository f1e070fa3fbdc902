//! Import inputs an adversarial tester found misread: GBK text that happens to be valid UTF-8, empty
//! columns after the last named one (Excel's trailing commas, a stray cell far right of a sheet), and
//! a folder's lock files and dot-files.

mod common;

use std::path::{Path, PathBuf};

use common::TestLedger;
use rust_xlsxwriter::{Workbook, XlsxError};

const RECEIPT_HEADER: &str = "voucher_no,date,fund,function_code,amount,memo\r\n";

/// A receipts file with one row whose voucher is `GK-<word>` and whose memo is `memo`, encoded
/// in GBK or UTF-8 (the header is ASCII either way).
fn receipt_file(ledger: &TestLedger, name: &str, word: &str, memo: &str, gbk: bool) -> PathBuf {
    let text = format!("{RECEIPT_HEADER}GK-{word},2022-08-01,gov_fund,2290402,1,{memo}\r\n");
    let bytes = if gbk {
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
        assert!(!unmappable);
        bytes.into_owned()
    } else {
        text.into_bytes()
    };
    let path = ledger.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The entries posted after `init`, as `log` prints them in JSON.
fn posted(ledger: &TestLedger) -> String {
    ledger.ok(&["log", "--from", "2", "--format", "json"])
}

#[test]
fn gbk_words_that_are_valid_utf8_are_read_as_gbk() {
    // Each word's GBK bytes are valid UTF-8 (Сѧ, һԱ, ͬѧ, ˮ˾): stored as garbage before.
    for word in ["小学", "一员", "同学", "水司"] {
        let ledger = TestLedger::new();
        let file = receipt_file(&ledger, "m.csv", word, word, true);
        let raw = std::fs::read(&file).unwrap();
        assert!(std::str::from_utf8(&raw).is_ok(), "{word} is not a case");
        let out = ledger.import(&[&file]);
        assert!(out.contains("新记账 1 条"), "{out}");
        let log = posted(&ledger);
        assert!(log.contains(&format!("\"GK-{word}\"")), "{word}: {log}");
        assert!(
            log.contains(&format!("\"memo\":\"{word}\"")),
            "{word}: {log}"
        );
    }
}

#[test]
fn utf8_with_latin_signs_and_chinese_stays_utf8() {
    let ledger = TestLedger::new();
    let memo = "张·李 café 3×4 5°";
    let file = receipt_file(&ledger, "u.csv", "é·×°", memo, false);
    let out = ledger.import(&[&file]);
    assert!(out.contains("新记账 1 条"), "{out}");
    let log = posted(&ledger);
    assert!(log.contains("\"GK-é·×°\""), "{log}");
    assert!(log.contains(&format!("\"memo\":\"{memo}\"")), "{log}");
}

#[test]
fn a_latin_letter_alone_is_refused_as_ambiguous_unless_the_file_has_a_bom() {
    // "全" in GBK (C8 AB) is "ȫ" in UTF-8, a letter GB2312 lacks, while "全" is an everyday
    // character: read as GBK.
    let ledger = TestLedger::new();
    let file = receipt_file(&ledger, "quan.csv", "1", "全", true);
    ledger.import(&[&file]);
    assert!(
        posted(&ledger).contains("\"memo\":\"全\""),
        "{}",
        posted(&ledger)
    );
    // A UTF-8 "é" alone is "茅" in GBK, both everyday: refused rather than guessed; a BOM (what
    // Excel's "CSV UTF-8" writes) settles it.
    let file = receipt_file(&ledger, "e.csv", "2", "é", false);
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    assert!(
        err.contains("按 UTF-8 读是“é”，按 GB18030 读是“茅”"),
        "{err}"
    );
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(std::fs::read(&file).unwrap());
    std::fs::write(&file, bytes).unwrap();
    ledger.import(&[&file]);
    assert!(posted(&ledger).contains("\"memo\":\"é\""));
}

#[test]
fn latin_letters_in_words_without_chinese_stay_utf8() {
    let ledger = TestLedger::new();
    let file = receipt_file(&ledger, "west.csv", "Zoë-1", "Café Zoë 5°", false);
    ledger.import(&[&file]);
    let log = posted(&ledger);
    assert!(log.contains("\"memo\":\"Café Zoë 5°\""), "{log}");
}

#[test]
fn empty_columns_after_the_header_are_ignored() {
    let ledger = TestLedger::new();
    let file = ledger.file(
        "trailing.csv",
        "voucher_no,date,fund,function_code,amount,,\r\n\
         T-1,2022-08-01,gov_fund,2290402,1,,\r\n\
         T-2,2022-08-02,gov_fund,2290402,2,\r\n\
         T-3,2022-08-03,gov_fund,2290402,3\r\n",
    );
    let out = ledger.import(&[&file]);
    assert!(out.contains("新记账 3 条"), "{out}");
}

#[test]
fn data_under_an_unnamed_column_is_refused_at_that_cell() {
    let ledger = TestLedger::new();
    let file = ledger.file(
        "stray.csv",
        "voucher_no,date,fund,function_code,amount,,\n\
         T-1,2022-08-01,gov_fund,2290402,1,,\n\
         T-2,2022-08-02,gov_fund,2290402,2,,备注\n\
         T-3,2022-08-03,gov_fund,2290402,3,,,\n",
    );
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    assert!(
        err.contains("stray.csv:3: 第 7 列（G 列）没有表头，却有数据"),
        "{err}"
    );
    // Row 4 is wider than the header, but what lies past the named columns is empty: harmless.
    assert!(!err.contains("stray.csv:4"), "{err}");
    assert!(!err.contains("表头为空"), "{err}");
    assert_eq!(err.matches("stray.csv:").count(), 1, "{err}");
    // An empty header cell between named ones is still an error.
    let file = ledger.file(
        "middle.csv",
        "voucher_no,date,,fund,function_code,amount,,\nT-1,2022-08-01,,gov_fund,2290402,1,,\n",
    );
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    assert!(
        err.contains("middle.csv:1: 第 3 列（C 列）: 表头为空"),
        "{err}"
    );
    assert_eq!(err.matches("表头为空").count(), 1, "{err}");
}

/// A receipts sheet with two rows and a note in column T of row 6, far right of the data.
fn sheet_with_a_stray_note(dir: &Path) -> Result<PathBuf, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("收入")?;
    for (col, name) in (0u16..).zip(["voucher_no", "date", "fund", "function_code", "amount"]) {
        sheet.write_string(0, col, name)?;
    }
    for (row, voucher) in [(1u32, "X-1"), (2, "X-2")] {
        sheet.write_string(row, 0, voucher)?;
        sheet.write_string(row, 1, "2022-06-01")?;
        sheet.write_string(row, 2, "gov_fund")?;
        sheet.write_string(row, 3, "2290402")?;
        sheet.write_number(row, 4, 10.0)?;
    }
    sheet.write_string(5, 19, "核对人：王")?;
    let path = dir.join("note.xlsx");
    book.save(&path)?;
    Ok(path)
}

#[test]
fn a_stray_note_far_right_of_a_sheet_is_one_error_at_its_cell() {
    let ledger = TestLedger::new();
    let path = sheet_with_a_stray_note(ledger.dir.path()).unwrap();
    let err = ledger.refused(&["import", path.to_str().unwrap()]);
    assert!(
        err.contains("note.xlsx:收入:6: 第 20 列（T 列）没有表头，却有数据"),
        "{err}"
    );
    assert!(!err.contains("表头为空"), "{err}");
    assert_eq!(err.matches("note.xlsx:").count(), 1, "{err}");
}

#[test]
fn a_folder_skips_excel_lock_files_and_dot_files() {
    let ledger = TestLedger::new();
    let folder = ledger.dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    let row = |v: &str| format!("{RECEIPT_HEADER}{v},2022-08-01,gov_fund,2290402,1,\r\n");
    std::fs::write(folder.join("收入.csv"), row("R-1")).unwrap();
    // Excel's lock file holds the user's name, not a workbook; macOS's `._` file is a resource fork.
    std::fs::write(folder.join("~$收入.xlsx"), b"\x06someone\x00\x00").unwrap();
    std::fs::write(folder.join("._收入.xlsx"), b"\x00\x05\x16\x07\x00\x02").unwrap();
    std::fs::write(folder.join(".hidden.csv"), row("H-1")).unwrap();
    let out = ledger.import(&[&folder]);
    assert!(out.contains("新记账 1 条"), "{out}");
    assert!(!posted(&ledger).contains("H-1"));
    // Named on the command line, a dot-file is read.
    let out = ledger.import(&[&folder.join(".hidden.csv")]);
    assert!(out.contains("新记账 1 条"), "{out}");
    assert!(posted(&ledger).contains("H-1"));
    let err = ledger.refused(&["import", folder.join("~$收入.xlsx").to_str().unwrap()]);
    assert!(err.contains("~$收入.xlsx"), "{err}");
}

#[test]
fn gbk_whose_bytes_read_as_rare_chinese_or_latin_in_utf8_is_read_as_gbk() {
    // Found by the second adversarial review: each was stored as the UTF-8 reading (嫷尲, 𩲩, 3¥…).
    let ledger = TestLedger::new();
    let words = ["瀚峰安", "宸风博", "皓博", "馥春", "甬安"];
    let memos = ["3楼", "A3前", "Q1全", "10票", "山木"];
    for (i, (word, memo)) in words.iter().zip(memos).enumerate() {
        let file = receipt_file(&ledger, &format!("gbk{i}.csv"), word, memo, true);
        ledger.import(&[&file]);
        let log = posted(&ledger);
        assert!(
            log.contains(&format!("\"voucher_no\":\"GK-{word}\"")),
            "{log}"
        );
        assert!(log.contains(&format!("\"memo\":\"{memo}\"")), "{log}");
    }
}

#[test]
fn utf8_in_other_scripts_is_never_stored_as_chinese() {
    let ledger = TestLedger::new();
    let file = receipt_file(&ledger, "ru.csv", "ООО Ромашка", "Иванов", false);
    ledger.import(&[&file]);
    assert!(posted(&ledger).contains("\"memo\":\"Иванов\""));
    // "Ω" is "惟" in GBK, both everyday: refused or UTF-8, never the Chinese reading.
    let file = receipt_file(&ledger, "omega.csv", "Ωmega", "5 μm", false);
    let out = ledger
        .cmd(&["import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!posted(&ledger).contains('惟'), "{}", posted(&ledger));
    if out.status.success() {
        assert!(posted(&ledger).contains("GK-Ωmega"));
    }
}
