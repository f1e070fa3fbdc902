//! The year-end workbook: every report sheet laid out like the published tables, numbers stored as
//! numbers (so Excel can sum them) with a thousands-separated two-decimal format, zero cells blank.
//!
//! xlsx stores every number as an IEEE double: the exact 元 figures stay in the CSV and JSON; a cell
//! here holds the value as shown (万元 or 元 with two decimals), which a double represents to the 分.

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::layout::{Cell, Sheet};

/// Widest column, in Excel width units (see [`display_width`]).
const COLUMN_WIDTH_MAX: f64 = 60.0;
/// Header text wraps beyond this width rather than widening its column.
const HEADER_WIDTH_MAX: f64 = 20.0;
/// Excel's paper size code for A4.
const A4: u8 = 9;

/// Sheets as the bytes of one workbook; each is named by its tab name. The caller writes the bytes
/// (the export puts every file of its folder in place the same safe way). `created` (seconds since
/// 1970, UTC) is the workbook's creation time: given, not the clock's, so that the same reports make
/// the same bytes.
pub fn workbook_bytes(sheets: &[(String, Sheet)], created: i64) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_timestamp(created)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    for (name, sheet) in sheets {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(name)?;
        write_sheet(worksheet, sheet)?;
    }
    workbook.save_to_buffer()
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet) -> Result<(), XlsxError> {
    let last_col = (column_count(sheet).max(1) - 1) as u16;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let text = Format::new().set_border(FormatBorder::Thin);
    let number = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0.00");
    // Printed like the published tables: A4 landscape, every column on one page width.
    ws.set_landscape()
        .set_paper_size(A4)
        .set_print_fit_to_pages(1, 0);
    let mut row: u32 = 0;
    ws.merge_range(row, 0, row, last_col, &sheet.title, &title)?;
    row += 1;
    for line in &sheet.caption {
        ws.write_string(row, 0, line)?;
        row += 1;
    }
    write_header(ws, row, &sheet.header, &header)?;
    row += sheet.header.len() as u32;
    for cells in &sheet.rows {
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            match cell.number() {
                Some(value) => ws.write_number_with_format(
                    row,
                    col,
                    value.to_string().parse::<f64>().unwrap_or(0.0),
                    &number,
                )?,
                None => ws.write_string_with_format(row, col, cell.display(), &text)?,
            };
        }
        row += 1;
    }
    for note in &sheet.notes {
        ws.write_string(row, 0, note)?;
        row += 1;
    }
    set_widths(ws, sheet)?;
    Ok(())
}

/// Header rows with repeated texts merged into one cell: across a row, then down the rows.
fn write_header(
    ws: &mut Worksheet,
    top: u32,
    header: &[Vec<String>],
    format: &Format,
) -> Result<(), XlsxError> {
    let at = |r: usize, c: usize| header.get(r).and_then(|row| row.get(c)).map(String::as_str);
    let mut covered =
        vec![vec![false; header.iter().map(Vec::len).max().unwrap_or(0)]; header.len()];
    for r in 0..header.len() {
        for c in 0..header[r].len() {
            if covered[r][c] {
                continue;
            }
            let text = &header[r][c];
            let mut right = c;
            while !text.is_empty() && at(r, right + 1) == Some(text) && !covered[r][right + 1] {
                right += 1;
            }
            let mut down = r;
            while !text.is_empty() && (c..=right).all(|k| at(down + 1, k) == Some(text)) {
                down += 1;
            }
            for row in covered.iter_mut().take(down + 1).skip(r) {
                row[c..=right].iter_mut().for_each(|x| *x = true);
            }
            let (r0, c0) = (top + r as u32, c as u16);
            if down > r || right > c {
                ws.merge_range(r0, c0, top + down as u32, right as u16, text, format)?;
            } else {
                ws.write_string_with_format(r0, c0, text, format)?;
            }
        }
    }
    Ok(())
}

/// Width in Excel units, a CJK character counting two; checked by eye in LibreOffice's rendering.
fn display_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
        .sum()
}

/// The widest row, header or body.
fn column_count(sheet: &Sheet) -> usize {
    sheet
        .header
        .iter()
        .map(Vec::len)
        .chain(sheet.rows.iter().map(Vec::len))
        .max()
        .unwrap_or(0)
}

fn set_widths(ws: &mut Worksheet, sheet: &Sheet) -> Result<(), XlsxError> {
    for col in 0..column_count(sheet) {
        let widest = sheet
            .rows
            .iter()
            .filter_map(|r| r.get(col).map(|c: &Cell| display_width(&c.display())))
            .chain(
                sheet
                    .header
                    .iter()
                    .filter_map(|r| r.get(col).map(|h| display_width(h).min(HEADER_WIDTH_MAX))),
            )
            .fold(6.0, f64::max);
        ws.set_column_width(col as u16, (widest + 2.0).min(COLUMN_WIDTH_MAX))?;
    }
    Ok(())
}
