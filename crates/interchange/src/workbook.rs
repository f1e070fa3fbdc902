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

use calamine::{open_workbook_auto, Cell, Data, DataRef, Range, Reader, SheetVisible, Sheets};

use crate::import::Problem;

/// The file name endings read as workbooks.
const ENDINGS: [&str; 5] = ["xlsx", "xlsm", "xlsb", "xls", "ods"];
/// Excel's own bounds of a sheet: a cell beyond them is not a real cell (a crafted file).
const ROWS_MAX: u32 = 1_048_576;
const COLUMNS_MAX: u32 = 16_384;
/// The text a sheet may render to (about ten million rows of payments): a bound on memory for a
/// file that is small but claims a great deal.
const SHEET_TEXT_BYTES_MAX: usize = 1 << 30;
/// What one entry of the workbook's zip may unpack to: a sheet of a ledger's rows is far smaller;
/// a "zip bomb" is not.
const ZIP_ENTRY_BYTES_MAX: u64 = 1 << 30;
/// A range read whole (.xls, .ods) may hold at most this many cells.
const RANGE_CELLS_MAX: u64 = 50_000_000;
/// Problems kept of one sheet before it is refused as a whole.
const SHEET_PROBLEMS_MAX: usize = 1_000;

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

/// Every visible sheet of a workbook that holds anything, in the workbook's order, or the problems
/// of the cells that cannot be text (an error value, a line break inside a cell). Hidden sheets are
/// left out: what the user does not see is not what they mean to post.
pub fn sheets(path: &Path) -> Result<Vec<SheetText>, Vec<Problem>> {
    sheets_named(path, &path.display().to_string())
}

/// [`sheets`], the problems naming the workbook `file` rather than its path (an upload kept in a
/// temporary folder is named as the user named it).
pub fn sheets_named(path: &Path, file: &str) -> Result<Vec<SheetText>, Vec<Problem>> {
    let whole = |message: String| vec![problem(file, 1, "", message)];
    check_unpacked_sizes(path).map_err(whole)?;
    let mut book = open_workbook_auto(path).map_err(|e| whole(unreadable(&e)))?;
    let visible: Vec<String> = (book.sheets_metadata().iter())
        .filter(|s| s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for sheet in visible {
        let name = format!("{file}:{sheet}");
        match render_sheet(&mut book, &sheet, &name) {
            Ok(Some(csv)) => found.push(SheetText { sheet, csv }),
            Ok(None) => {}
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

/// A sheet as CSV text; `None` when it holds nothing. Excel's formats are read cell by cell as they
/// are stored (no sheet is ever laid out whole in memory); .xls and .ods are read whole by calamine
/// and then bounded.
fn render_sheet(
    book: &mut Sheets<std::io::BufReader<std::fs::File>>,
    sheet: &str,
    name: &str,
) -> Result<Option<Vec<u8>>, Vec<Problem>> {
    // calamine's own words are English: only the fact is said.
    let cannot = |_: &dyn std::fmt::Display| {
        vec![problem(name, 1, "", "工作表无法读取（文件损坏？）".into())]
    };
    let mut out = SheetWriter::new(name);
    match book {
        Sheets::Xlsx(x) => {
            let mut cells = x.worksheet_cells_reader(sheet).map_err(|e| cannot(&e))?;
            while let Some(cell) = cells.next_cell().map_err(|e| cannot(&e))? {
                out.add(cell)?;
            }
        }
        Sheets::Xlsb(x) => {
            let mut cells = x.worksheet_cells_reader(sheet).map_err(|e| cannot(&e))?;
            while let Some(cell) = cells.next_cell().map_err(|e| cannot(&e))? {
                out.add(cell)?;
            }
        }
        other => {
            let range = other
                .worksheet_range(sheet)
                .map_err(|e| vec![problem(name, 1, "", unreadable(&e))])?;
            out.add_range(&range)?;
        }
    }
    out.finish()
}

/// Refuses a workbook (a zip: .xlsx, .xlsm, .xlsb, .ods) whose parts claim to unpack to more than a
/// ledger's sheets could: the sizes are read from the zip's directory, before anything is unpacked.
fn check_unpacked_sizes(path: &Path) -> Result<(), String> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(()); // calamine reports what is wrong with opening it
    };
    let Ok(mut zip) = zip::ZipArchive::new(file) else {
        return Ok(()); // not a zip (.xls): calamine reads it or says why not
    };
    for i in 0..zip.len() {
        if let Ok(entry) = zip.by_index_raw(i) {
            if entry.size() > ZIP_ENTRY_BYTES_MAX {
                return Err(format!(
                    "工作簿中的“{}”解压后有 {} MB，远超台账数据的大小（文件损坏或被做了手脚）",
                    entry.name().map(|n| n.to_string()).unwrap_or_default(),
                    entry.size() >> 20
                ));
            }
        }
    }
    Ok(())
}

/// Why a workbook cannot be read, in words (calamine's own are English).
fn unreadable(e: &calamine::Error) -> String {
    match e {
        calamine::Error::Io(io) => format!("无法读取：{}", crate::oserr::describe(io)),
        _ => "不是可以读取的 Excel 或 OpenDocument 工作簿（文件损坏、加密，或扩展名与内容不符）"
            .into(),
    }
}

fn problem(file: &str, line: u64, column: &str, message: String) -> Problem {
    Problem {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message,
    }
}

/// Writes a sheet's cells, given row by row as stored, as CSV text: the rows before a cell's row as
/// empty lines, so that a line's number is its row's.
struct SheetWriter<'n> {
    name: &'n str,
    out: Vec<u8>,
    /// Lines written so far (the next line is row `written + 1`).
    written: u32,
    /// The row being gathered and its non-empty cells by column.
    row: Option<u32>,
    cells: Vec<(u32, String)>,
    problems: Vec<Problem>,
}

impl<'n> SheetWriter<'n> {
    fn new(name: &'n str) -> SheetWriter<'n> {
        SheetWriter {
            name,
            out: Vec::new(),
            written: 0,
            row: None,
            cells: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn add(&mut self, cell: Cell<DataRef<'_>>) -> Result<(), Vec<Problem>> {
        let (row, column) = cell.get_position();
        self.add_data(row, column, &Data::from(cell.get_value().clone()))
    }

    fn add_range(&mut self, range: &Range<Data>) -> Result<(), Vec<Problem>> {
        let (height, width) = range.get_size();
        if height as u64 * width as u64 > RANGE_CELLS_MAX {
            return Err(self.fatal(format!(
                "工作表有 {height} 行 × {width} 列，远超台账数据的大小（请只留下数据区域）"
            )));
        }
        for (row, column, data) in range.used_cells() {
            let (start_row, start_column) = range.start().unwrap_or((0, 0));
            self.add_data(start_row + row as u32, start_column + column as u32, data)?;
        }
        Ok(())
    }

    fn add_data(&mut self, row: u32, column: u32, data: &Data) -> Result<(), Vec<Problem>> {
        if row >= ROWS_MAX || column >= COLUMNS_MAX {
            return Err(self.fatal(format!(
                "有单元格在 Excel 工作表的范围（{ROWS_MAX} 行 × {COLUMNS_MAX} 列）以外（文件损坏或被做了手脚）"
            )));
        }
        match self.row {
            Some(current) if row < current => {
                return Err(self.fatal("工作表中单元格的次序异常（文件损坏？）".into()))
            }
            Some(current) if row > current => self.finish_row(),
            _ => {}
        }
        self.row = Some(row);
        match cell_text(data) {
            Ok(text) if text.is_empty() => {}
            Ok(text) => self.cells.push((column, text)),
            Err(message) => {
                let letters = column_letters(column as usize);
                self.problems
                    .push(problem(self.name, u64::from(row) + 1, &letters, message));
                if self.problems.len() > SHEET_PROBLEMS_MAX {
                    return Err(std::mem::take(&mut self.problems));
                }
            }
        }
        if self.out.len() > SHEET_TEXT_BYTES_MAX {
            return Err(self.fatal("工作表的内容超过 1 GB，远超台账数据的大小".into()));
        }
        Ok(())
    }

    /// The gathered row as one line, after empty lines for the rows before it.
    fn finish_row(&mut self) {
        let Some(row) = self.row.take() else { return };
        while self.written < row {
            self.out.push(b'\n');
            self.written += 1;
        }
        self.cells.sort_by_key(|&(column, _)| column);
        match self.cells.last() {
            None => self.out.push(b'\n'),
            Some(&(last, _)) => {
                let mut fields = vec![String::new(); last as usize + 1];
                for (column, text) in self.cells.drain(..) {
                    fields[column as usize] = text;
                }
                write_row(&mut self.out, &fields);
            }
        }
        self.written = row + 1;
    }

    fn fatal(&self, message: String) -> Vec<Problem> {
        vec![problem(self.name, 1, "", message)]
    }

    /// The sheet's text; `None` when it holds nothing.
    fn finish(mut self) -> Result<Option<Vec<u8>>, Vec<Problem>> {
        self.finish_row();
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        let empty = self.out.iter().all(|&b| b == b'\n');
        Ok((!empty).then_some(self.out))
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

    #[test]
    fn a_cell_beyond_excels_bounds_is_refused_and_rows_keep_their_numbers() {
        let mut sheet = SheetWriter::new("x.xlsx:a");
        assert!(sheet.add_data(ROWS_MAX, 0, &Data::Int(1)).is_err());
        assert!(sheet.add_data(0, COLUMNS_MAX, &Data::Int(1)).is_err());
        let mut sheet = SheetWriter::new("x.xlsx:a");
        sheet.add_data(1, 1, &Data::String("b2".into())).unwrap();
        sheet.add_data(3, 0, &Data::Float(1.5)).unwrap();
        let text = sheet.finish().unwrap().unwrap();
        assert_eq!(String::from_utf8(text).unwrap(), "\n,b2\n\n1.5\n");
        let mut sheet = SheetWriter::new("x.xlsx:a");
        sheet.add_data(5, 0, &Data::Int(1)).unwrap();
        assert!(sheet.add_data(4, 0, &Data::Int(1)).is_err());
    }
}
