//! Workbooks imported directly: `.xlsx` (and `.xlsm`, `.xlsb`, `.xls`, `.ods`), read with calamine.
//!
//! Each sheet that holds anything is a file of the batch, its kind told by its header like a CSV
//! file's. A sheet is rendered as the CSV text the rest of the import reads, one physical line per
//! sheet row (a row of empty cells an empty line), so that the import's line numbers are the sheet's
//! row numbers and an entry's source reads `PATH:SHEET:ROW` (interchange.md). Cells become text as
//! the import expects it: a number cell in its shortest decimal form (1234.5; a float that is not a
//! whole number of 分 shows more decimals and is refused by the amount's own check), a whole number
//! without decimals (a code typed as a number, 2290402), a date cell as 2022-06-30. Not read here:
//! what a cell's format shows (a percentage cell holds the fraction: type a coupon rate as 3.02).

use std::path::Path;

use calamine::{open_workbook_auto, Data, Range, Reader};

use crate::import::Problem;

/// The file name endings read as workbooks.
const ENDINGS: [&str; 5] = ["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// Whether the file is a workbook, by its name's ending.
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ENDINGS.iter().any(|w| e.eq_ignore_ascii_case(w)))
}

/// One sheet as CSV text (UTF-8), with its name.
pub struct SheetText {
    pub sheet: String,
    pub csv: Vec<u8>,
}

/// Every sheet of a workbook that holds anything, in the workbook's order, or the problems of the
/// cells that cannot be text (an error value, a line break inside a cell).
pub fn sheets(path: &Path) -> Result<Vec<SheetText>, Vec<Problem>> {
    let file = path.display().to_string();
    let whole = |message: String| {
        vec![Problem {
            file: file.clone(),
            line: 1,
            column: String::new(),
            message,
        }]
    };
    let mut book = open_workbook_auto(path).map_err(|e| whole(unreadable(&e)))?;
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for sheet in book.sheet_names() {
        let range = book
            .worksheet_range(&sheet)
            .map_err(|e| whole(format!("工作表“{sheet}”无法读取：{}", unreadable(&e))))?;
        if range.is_empty() {
            continue;
        }
        match render(&range, &format!("{file}:{sheet}")) {
            Ok(csv) => found.push(SheetText { sheet, csv }),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if found.is_empty() {
        return Err(whole("工作簿中没有任何有内容的工作表".into()));
    }
    Ok(found)
}

/// Why a workbook cannot be read, in words (calamine's own are English).
fn unreadable(e: &calamine::Error) -> String {
    match e {
        calamine::Error::Io(io) => format!("无法读取：{}", crate::oserr::describe(io)),
        _ => "不是可以读取的 Excel 或 OpenDocument 工作簿（文件损坏、加密，或扩展名与内容不符）"
            .into(),
    }
}

/// The sheet as CSV: the rows before its first used row as empty lines, then one line per row.
fn render(range: &Range<Data>, name: &str) -> Result<Vec<u8>, Vec<Problem>> {
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut out = vec![b'\n'; first_row as usize];
    let mut problems = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let line = u64::from(first_row) + i as u64 + 1;
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            out.push(b'\n');
            continue;
        }
        let mut cells = Vec::with_capacity(row.len());
        for (j, cell) in row.iter().enumerate() {
            match cell_text(cell) {
                Ok(text) => cells.push(text),
                Err(message) => {
                    problems.push(Problem {
                        file: name.to_string(),
                        line,
                        column: column_letters(first_column as usize + j),
                        message,
                    });
                    cells.push(String::new());
                }
            }
        }
        write_row(&mut out, &cells);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// One row as a CSV line (quoted where a cell needs it) at the end of `out`.
fn write_row(out: &mut Vec<u8>, cells: &[String]) {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(1024)
        .from_writer(out);
    // Writing to memory cannot fail.
    let _ = writer.write_record(cells);
    let _ = writer.flush();
}

/// A cell as the import reads text.
fn cell_text(cell: &Data) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) if s.contains(['\n', '\r']) => {
            return Err("单元格中有换行（Excel 中的 Alt+Enter）：请删去换行".into())
        }
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Rust writes a float in its shortest form that reads back the same, never with an
        // exponent: 1234.5, 2290402, 0.30000000000000004 (which the amount check then refuses).
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (year, month, day, ..) = d.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("单元格是错误值 {e}（公式出错？）")),
    })
}

/// A column's letters as Excel shows them: 0 → A, 25 → Z, 26 → AA.
fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_excel_names_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn number_cells_are_written_in_their_shortest_exact_form() {
        assert_eq!(cell_text(&Data::Float(1234.5)).unwrap(), "1234.5");
        assert_eq!(cell_text(&Data::Float(2290402.0)).unwrap(), "2290402");
        assert_eq!(
            cell_text(&Data::Float(0.1 + 0.2)).unwrap(),
            "0.30000000000000004"
        );
        assert_eq!(cell_text(&Data::Float(100_000_000.0)).unwrap(), "100000000");
        assert!(cell_text(&Data::String("a\nb".into())).is_err());
    }
}
