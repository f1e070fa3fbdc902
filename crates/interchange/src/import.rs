//! Import files: finding them, recognising their kind by the header, and reading their rows.

use std::fmt;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use taizhang_core::rules::FieldError;
use taizhang_core::Kind;

use crate::columns::{self, Column};
use crate::lines::Lines;
use crate::oserr;
use crate::parse::{self, Cells, Parsed};
use crate::text::{self, Encoding};
use crate::workbook;

/// What the CSV reader reads from: the decoded text, its lines noted as they pass.
type Source = Lines<Box<dyn Read + Send>>;

/// A problem at a place in a file: printed `file:line: column: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    /// The column as the file's header writes it (or its Chinese name); empty for the whole row.
    pub column: String,
    pub message: String,
}

impl Problem {
    /// The problem as every JSON answer gives it: `{"file", "line", "column", "message"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(
                f,
                "{}:{}: {}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

/// An import file whose header has been read and understood.
#[derive(Debug)]
pub struct ImportFile {
    pub path: PathBuf,
    /// How messages name the file.
    pub name: String,
    pub kind: Kind,
    pub encoding: Encoding,
    /// The header's physical line: 1 unless blank lines come first.
    pub header_line: u64,
    /// The header cells as written, and the column each names.
    headers: Vec<(String, &'static Column)>,
    /// Column key → its place in a row: the parser asks a dozen times per row.
    places: FxHashMap<&'static str, usize>,
    /// A workbook's sheet, rendered as CSV text ([`workbook`]); `None` for a CSV file.
    sheet: Option<Arc<[u8]>>,
}

/// The files an import names, folders expanded to their `.csv` files, in dependency order
/// (catalogue, bonds, contracts, amendments, opening balances, receipts, payments).
pub fn collect(paths: &[PathBuf], kind: Option<Kind>) -> Result<Vec<ImportFile>, Vec<Problem>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in expand(paths, &mut problems) {
        let opened = if workbook::is_workbook(&path) {
            ImportFile::open_workbook(&path, kind)
        } else {
            ImportFile::open(&path, kind).map(|file| vec![file])
        };
        match opened {
            Ok(mut opened) => files.append(&mut opened),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    files.sort_by_key(|f| f.kind);
    Ok(files)
}

/// Like [`collect`] for files (not folders) each with the name messages and entries' sources give
/// it: an upload saved in a temporary folder is named as the user named it, not by its path there.
pub fn collect_named(
    files: &[(PathBuf, String)],
    kind: Option<Kind>,
) -> Result<Vec<ImportFile>, Vec<Problem>> {
    let mut opened_all = Vec::new();
    let mut problems = Vec::new();
    for (path, name) in files {
        let opened = if workbook::is_workbook(path) {
            ImportFile::open_workbook_named(path, name, kind)
        } else {
            ImportFile::open_named(path, name, kind).map(|file| vec![file])
        };
        match opened {
            Ok(mut opened) => opened_all.append(&mut opened),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    opened_all.sort_by_key(|f| f.kind);
    Ok(opened_all)
}

/// The problems of files that cannot be imported whatever they hold (missing, a FIFO, a device, a
/// folder without CSV files), found from their metadata alone: a caller checks them before it takes
/// the ledger's lock, so that a FIFO never holds it.
pub fn unopenable(paths: &[PathBuf]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for path in expand(paths, &mut problems) {
        if let Err(message) = check_regular(&path) {
            problems.push(file_problem(&path, message));
        }
    }
    problems
}

fn expand(paths: &[PathBuf], problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut csvs: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| !is_hidden_or_lock(p))
                    .filter(|p| {
                        p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv"))
                            || workbook::is_workbook(p)
                    })
                    .collect();
                if csvs.is_empty() {
                    problems.push(file_problem(
                        path,
                        "文件夹中没有 .csv 文件或 Excel 工作簿".into(),
                    ));
                }
                csvs.sort();
                out.extend(csvs);
            }
            Err(e) => problems.push(file_problem(
                path,
                format!("无法读取文件夹：{}", oserr::describe(&e)),
            )),
        }
    }
    out
}

/// Files in a folder that are not the user's data: Excel's lock file `~$收入.xlsx` (there while the
/// workbook is open), macOS's `._x.xlsx` resource forks and other dot-files. Only a folder's listing
/// skips them; a file named on the command line is read whatever its name.
fn is_hidden_or_lock(path: &Path) -> bool {
    path.file_name()
        .map(|n| n.as_encoded_bytes())
        .is_some_and(|n| n.starts_with(b"~$") || n.starts_with(b"."))
}

fn file_problem(path: &Path, message: String) -> Problem {
    named_problem(&path.display().to_string(), message)
}

/// A problem of a whole file (or sheet), named as messages name it.
fn named_problem(name: &str, message: String) -> Problem {
    Problem {
        file: name.to_string(),
        line: 1,
        column: String::new(),
        message,
    }
}

/// Where a file's text comes from: the file, decoded, or a workbook sheet rendered as CSV.
struct Text<'a> {
    path: &'a Path,
    /// How messages and sources name it: the path, or `PATH:SHEET`.
    name: String,
    encoding: Encoding,
    sheet: Option<Arc<[u8]>>,
}

impl Text<'_> {
    fn reader(&self) -> std::io::Result<Box<dyn Read + Send>> {
        match &self.sheet {
            Some(sheet) => Ok(Box::new(Cursor::new(Arc::clone(sheet)))),
            None => text::open(self.path, self.encoding),
        }
    }
}

impl ImportFile {
    /// Opens a file and reads its header; the kind is given or recognised from the header.
    pub fn open(path: &Path, kind: Option<Kind>) -> Result<ImportFile, Vec<Problem>> {
        ImportFile::open_named(path, &path.display().to_string(), kind)
    }

    /// [`ImportFile::open`], the file named `name` in messages and sources.
    pub fn open_named(
        path: &Path,
        name: &str,
        kind: Option<Kind>,
    ) -> Result<ImportFile, Vec<Problem>> {
        let refuse = |e: std::io::Error| vec![named_problem(name, unreadable(&e))];
        check_regular(path).map_err(|message| vec![named_problem(name, message)])?;
        let encoding = text::detect(path).map_err(|e| match ambiguous(&e) {
            Some(message) => vec![named_problem(name, message)],
            None => refuse(e),
        })?;
        let text = Text {
            path,
            name: name.to_string(),
            encoding,
            sheet: None,
        };
        ImportFile::read_header(text, kind)
    }

    /// Opens every sheet of a workbook that holds anything, each a file of the batch named
    /// `PATH:SHEET` ([`workbook`]).
    pub fn open_workbook(path: &Path, kind: Option<Kind>) -> Result<Vec<ImportFile>, Vec<Problem>> {
        ImportFile::open_workbook_named(path, &path.display().to_string(), kind)
    }

    /// [`ImportFile::open_workbook`], the workbook named `name` (its sheets `NAME:SHEET`).
    pub fn open_workbook_named(
        path: &Path,
        name: &str,
        kind: Option<Kind>,
    ) -> Result<Vec<ImportFile>, Vec<Problem>> {
        check_regular(path).map_err(|message| vec![named_problem(name, message)])?;
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for sheet in workbook::sheets_named(path, name)? {
            let text = Text {
                path,
                name: format!("{name}:{}", sheet.sheet),
                encoding: Encoding::Utf8,
                sheet: Some(Arc::from(sheet.csv)),
            };
            match ImportFile::read_header(text, kind) {
                Ok(file) => files.push(file),
                Err(mut p) => problems.append(&mut p),
            }
        }
        if problems.is_empty() {
            Ok(files)
        } else {
            Err(problems)
        }
    }

    /// Reads the header of a file's text and recognises its kind.
    fn read_header(text: Text<'_>, kind: Option<Kind>) -> Result<ImportFile, Vec<Problem>> {
        let name = text.name.clone();
        let whole = |message: String| vec![named_problem(&name, message)];
        let source = text.reader().map_err(|e| whole(unreadable(&e)))?;
        let mut reader = csv_reader(source);
        let mut record = csv::StringRecord::new();
        let read = reader
            .read_record(&mut record)
            .map_err(|e| whole(csv_message(&e)))?;
        if !read {
            return Err(whole("文件为空（应有表头行和数据行）".into()));
        }
        let header_line = record_line(&mut reader, record.position());
        let mut cells: Vec<String> = record
            .iter()
            .map(|c| c.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        // Empty cells after the last named column name nothing: they are not columns.
        let named = cells
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |i| i + 1);
        cells.truncate(named);
        let kind =
            match kind
                .or_else(|| columns::detect(&cells))
                .or_else(|| closest_kind(&cells))
            {
                Some(kind) => kind,
                None => return Err(whole(
                    "表头中没有任何已知的列，无法识别文件种类（请检查第一行，或用 --kind 指定）"
                        .into(),
                )),
            };
        let headers = map_headers(&name, header_line, kind, &cells)?;
        let places = (headers.iter().enumerate())
            .map(|(i, (_, column))| (column.key, i))
            .collect();
        Ok(ImportFile {
            path: text.path.to_path_buf(),
            name,
            kind,
            encoding: text.encoding,
            header_line,
            headers,
            places,
            sheet: text.sheet,
        })
    }

    /// The file's text, decoded: the file itself, or its sheet's CSV.
    fn text(&self) -> Text<'_> {
        Text {
            path: &self.path,
            name: self.name.clone(),
            encoding: self.encoding,
            sheet: self.sheet.clone(),
        }
    }

    /// The data rows: each with its line number, parsed or with every problem it has.
    pub fn rows(&self) -> Result<impl Iterator<Item = Row> + '_, Problem> {
        let source =
            (self.text().reader()).map_err(|e| named_problem(&self.name, unreadable(&e)))?;
        let mut reader = csv_reader(source);
        let mut header = csv::StringRecord::new();
        reader
            .read_record(&mut header)
            .map_err(|e| named_problem(&self.name, csv_message(&e)))?;
        Ok(RowIter {
            file: self,
            reader,
            record: csv::ByteRecord::new(),
        })
    }

    /// How entries from a line of this file name their source: "file.csv:12".
    /// Writes "file.csv:12" into `source`, a buffer the caller reuses for every row. The digits are
    /// written by hand: `fmt` costs more than the rest of the row's source.
    pub fn write_source(&self, source: &mut String, line: u64) {
        source.clear();
        source.push_str(&self.name);
        source.push(':');
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = line;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        source.extend(digits[at..].iter().map(|&d| char::from(d)));
    }

    /// About how many rows the file has, from its size: rows are rarely shorter than 64 bytes.
    pub fn estimated_rows(&self) -> usize {
        let bytes = match &self.sheet {
            Some(sheet) => sheet.len() as u64,
            None => std::fs::metadata(&self.path).map_or(0, |m| m.len()),
        };
        usize::try_from(bytes / 64).unwrap_or(usize::MAX)
    }

    /// A problem in a column of this file, named as the header writes it.
    pub fn problem(&self, line: u64, error: &FieldError) -> Problem {
        let column = self
            .headers
            .iter()
            .find(|(_, c)| c.key == error.column)
            .map(|(h, _)| h.clone())
            .unwrap_or_else(|| columns::chinese(self.kind, error.column).to_string());
        Problem {
            file: self.name.clone(),
            line,
            column,
            message: error.message.clone(),
        }
    }
}

/// The message of a file whose encoding detection found it readable both ways.
fn ambiguous(e: &std::io::Error) -> Option<String> {
    let inner = e.get_ref()?.downcast_ref::<text::Ambiguous>()?;
    Some(inner.to_string())
}

fn unreadable(e: &std::io::Error) -> String {
    format!("无法读取：{}", oserr::describe(e))
}

/// Refuses at once what is not a regular file: reading a FIFO waits for a writer that may never
/// come, `/dev/zero` never ends, and either held the ledger's lock meanwhile. Checked on the path
/// (symbolic links followed) before the file is opened, because opening a FIFO blocks already.
fn check_regular(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| unreadable(&e))?;
    if meta.is_dir() {
        return Err("是一个文件夹，不是文件".into());
    }
    if !meta.is_file() {
        return Err("不是普通文件（管道、设备或套接字），不能导入".into());
    }
    Ok(())
}

fn csv_reader(source: Box<dyn Read + Send>) -> csv::Reader<Source> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        // `Lines` forgets what lies further back than this behind what it has passed on.
        .buffer_capacity(crate::lines::READ_AHEAD_BYTES)
        .from_reader(Lines::new(source))
}

/// The physical line where a record the reader has just read begins.
fn record_line(reader: &mut csv::Reader<Source>, record_start: Option<&csv::Position>) -> u64 {
    let start = record_start.map_or(0, csv::Position::byte);
    reader.get_mut().line_at(start)
}

/// The line a read error names itself, for errors the CSV reader cannot place (bad encoding).
fn error_line(e: &csv::Error, reader: &mut csv::Reader<Source>) -> Option<u64> {
    match e.kind() {
        csv::ErrorKind::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<text::NotText>())
            .map(|n| n.line),
        _ => e
            .position()
            .map(|p| reader.get_mut().line_of_byte(p.byte())),
    }
}

const NOT_TEXT: &str = "文件既不是 UTF-8 也不是 GB18030 编码";

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => oserr::describe(io),
        csv::ErrorKind::Utf8 { .. } => NOT_TEXT.to_string(),
        // With flexible rows and byte records the reader has no other error; the CSV crate's own
        // text is English, so only the fact is said.
        _ => "CSV 格式错误".to_string(),
    }
}

/// For a header that fits no kind: the kind it has most columns of, so the messages name the typo;
/// `None` when no cell names a column of any kind.
fn closest_kind(cells: &[String]) -> Option<Kind> {
    let matching = |k: Kind| {
        cells
            .iter()
            .filter(|c| columns::find(k, c).is_some())
            .count()
    };
    // Receipts and payments share most columns: on a tie, the kind the header lacks fewest required
    // columns of (a receipts file with one misspelt column is a receipts file), then the first.
    let missing = |k: Kind| {
        columns::columns(k)
            .iter()
            .filter(|c| {
                c.required
                    && !cells
                        .iter()
                        .any(|h| columns::find(k, h).is_some_and(|f| f.key == c.key))
            })
            .count()
    };
    columns::file_kinds()
        .enumerate()
        .filter(|&(_, k)| matching(k) > 0)
        .max_by_key(|&(i, k)| {
            (
                matching(k),
                std::cmp::Reverse(missing(k)),
                std::cmp::Reverse(i),
            )
        })
        .map(|(_, k)| k)
}

fn map_headers(
    file: &str,
    line: u64,
    kind: Kind,
    cells: &[String],
) -> Result<Vec<(String, &'static Column)>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut headers: Vec<(String, &'static Column)> = Vec::new();
    let problem = |column: &str, message: String| Problem {
        file: file.to_string(),
        line,
        column: column.to_string(),
        message,
    };
    for (index, cell) in cells.iter().enumerate() {
        // A column is named by its header; an empty one by its place, as Excel shows it.
        let name = if cell.is_empty() {
            format!("第 {} 列（{} 列）", index + 1, column_letters(index))
        } else {
            taizhang_core::text::excerpt(cell).into_owned()
        };
        match columns::find(kind, cell) {
            None if cell.is_empty() => problems.push(problem(
                &name,
                format!(
                    "表头为空（{}文件的列为：{}）",
                    kind.label(),
                    list_columns(kind)
                ),
            )),
            None => problems.push(problem(
                &name,
                format!(
                    "未知的列（{}文件的列为：{}）",
                    kind.label(),
                    list_columns(kind)
                ),
            )),
            Some(c) if headers.iter().any(|(_, h)| h.key == c.key) => {
                problems.push(problem(&name, "列重复".into()))
            }
            Some(c) => headers.push((cell.clone(), c)),
        }
    }
    for column in columns::columns(kind).iter().filter(|c| c.required) {
        if !headers.iter().any(|(_, h)| h.key == column.key) {
            problems.push(problem(
                column.chinese,
                format!("缺少必需的列 {}（{}）", column.chinese, column.key),
            ));
        }
    }
    if problems.is_empty() {
        Ok(headers)
    } else {
        Err(problems)
    }
}

/// A column's letters as Excel writes them: 0 → A, 25 → Z, 26 → AA.
fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        n -= 1;
        letters.push(char::from(b'A' + (n % 26) as u8));
        n /= 26;
    }
    letters.iter().rev().collect()
}

fn list_columns(kind: Kind) -> String {
    columns::columns(kind)
        .iter()
        .map(|c| c.chinese)
        .collect::<Vec<_>>()
        .join("、")
}

impl ImportFile {
    /// A row wider or narrower than the named columns: refused if narrower, or where a cell past
    /// them holds anything. Off the common path: a row
    /// as wide as the named columns never comes here.
    fn check_unnamed(&self, record: &csv::ByteRecord, text: &str) -> Result<(), Vec<FieldError>> {
        let named = self.headers.len();
        let count = record.len();
        // Past the named columns, a cell is harmless if empty (Excel's trailing commas, a sheet's
        // trailing blank cells) and refused at its column if not, however wide the row.
        if count < named {
            let message = format!("本行有 {count} 列，表头有 {named} 列");
            return Err(vec![FieldError::new("", message)]);
        }
        let errors: Vec<FieldError> = (named..count)
            .filter(|&i| {
                record
                    .range(i)
                    .and_then(|r| text.get(r))
                    .is_some_and(|c| !trim(c).is_empty())
            })
            .map(|i| {
                let message = format!(
                    "第 {} 列（{} 列）没有表头，却有数据",
                    i + 1,
                    column_letters(i)
                );
                FieldError::new("", message)
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// One data row of a file.
pub struct Row {
    pub line: u64,
    pub parsed: Result<Parsed, Vec<FieldError>>,
}

struct RowIter<'f> {
    file: &'f ImportFile,
    reader: csv::Reader<Source>,
    record: csv::ByteRecord,
}

/// A row's cells by column key.
struct RowCells<'a> {
    places: &'a FxHashMap<&'static str, usize>,
    /// The row's bytes, checked as UTF-8 once; `record` says where each cell is.
    text: &'a str,
    record: &'a csv::ByteRecord,
    plain: bool,
}

impl Cells for RowCells<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        let range = self.record.range(*self.places.get(key)?)?;
        self.text.get(range).map(trim).filter(|s| !s.is_empty())
    }

    fn plain(&self) -> bool {
        self.plain
    }
}

/// `str::trim`, quick for the common case of ASCII at both ends.
fn trim(cell: &str) -> &str {
    let ascii = cell.trim_ascii();
    let plain_end = |b: Option<&u8>| b.is_none_or(u8::is_ascii);
    if plain_end(ascii.as_bytes().first()) && plain_end(ascii.as_bytes().last()) {
        ascii
    } else {
        // Unicode spaces (an ideographic space pasted from a Word document, say).
        ascii.trim()
    }
}

/// A row refused as a whole.
fn refused(line: u64, message: String) -> Row {
    Row {
        line,
        parsed: Err(vec![FieldError::new("", message)]),
    }
}

impl Iterator for RowIter<'_> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            let read = self.reader.read_byte_record(&mut self.record);
            match read {
                Ok(false) => return None,
                Err(e) => {
                    let line = error_line(&e, &mut self.reader)
                        .unwrap_or_else(|| self.reader.get_ref().lines_so_far());
                    // A read error (bad encoding, broken quoting) ends the file: what follows cannot be trusted.
                    self.reader = csv_reader(Box::new(std::io::empty()));
                    return Some(refused(line, csv_message(&e)));
                }
                Ok(true) => {}
            }
            let line = record_line(&mut self.reader, self.record.position());
            let Ok(text) = std::str::from_utf8(self.record.as_slice()) else {
                self.reader = csv_reader(Box::new(std::io::empty()));
                return Some(refused(line, NOT_TEXT.to_string()));
            };
            if text.trim().is_empty() {
                continue;
            }
            if self.record.len() != self.file.headers.len() {
                if let Err(errors) = self.file.check_unnamed(&self.record, text) {
                    return Some(Row {
                        line,
                        parsed: Err(errors),
                    });
                }
            }
            let cells = RowCells {
                places: &self.file.places,
                text,
                record: &self.record,
                plain: parse::is_plain(text),
            };
            return Some(Row {
                line,
                parsed: parse::parse(self.file.kind, &cells),
            });
        }
    }
}
