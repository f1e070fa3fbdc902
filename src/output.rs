//! Printing: sheets as terminal tables, CSV or JSON on stdout. A closed pipe (`| head`) is not an error.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use taizhang_interchange::layout::{self, Cell, Sheet};

use crate::cli::TextFormat;
use crate::screen::{self, fit_columns};

/// Writes to stdout; a reader that went away ends the program quietly with success.
pub fn out(text: &str) {
    let mut stdout = io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush());
    if let Err(e) = written {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("无法写出：{e}");
        std::process::exit(1);
    }
}

pub fn json(value: &serde_json::Value) {
    out(&format!(
        "{}\n",
        serde_json::to_string_pretty(value).expect("JSON values serialize")
    ));
}

/// The narrowest a wrapped column gets, in terminal columns (four Chinese characters), unless its
/// content is narrower.
const HEADER_LINE_MIN: usize = 8;

/// A sheet as an aligned terminal table with its title, caption and notes, fitted to the terminal
/// when stdout is one.
pub fn render(sheet: &Sheet) -> String {
    render_fitted(sheet, screen::width())
}

/// The sheet at full width when `width` is `None` or the table fits; else with its text columns
/// wrapped; else, when even the figures alone are wider than the screen, stacked: one block of
/// "column value" lines per row. No figure, code or date is ever broken.
fn render_fitted(sheet: &Sheet, width: Option<usize>) -> String {
    let header = header_cells(sheet);
    let body: Vec<Vec<String>> = sheet
        .rows
        .iter()
        .map(|r| r.iter().map(Cell::display).collect())
        .collect();
    let Some(width) = width else {
        return framed(sheet, &table(sheet, header, body), None);
    };
    let (natural, min) = column_widths(&header, &body);
    if natural.iter().sum::<usize>() + Style::Bordered.frame(natural.len()) <= width {
        return framed(sheet, &table(sheet, header, body), Some(width));
    }
    let fitted = [Style::Bordered, Style::Compact]
        .into_iter()
        .find_map(|style| {
            let room = width.saturating_sub(style.frame(natural.len()));
            fit_columns(&natural, &min, room).map(|widths| (style, widths))
        });
    let Some((style, widths)) = fitted else {
        return framed(sheet, &stacked(&header, &body, width), Some(width));
    };
    let wrap_row = |cells: &[String]| -> Vec<String> {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| screen::wrap(c, w).join("\n"))
            .collect()
    };
    let body = body.iter().map(|r| wrap_row(r)).collect();
    let text = styled_table(sheet, wrap_row(&header), body, style);
    framed(sheet, &text, Some(width))
}

/// How a table is drawn: with its borders, or, when they are what does not fit, with a line under
/// the header only and two spaces between columns.
#[derive(Clone, Copy)]
enum Style {
    Bordered,
    Compact,
}

/// Only the line under the header (comfy-table's preset order: borders, header line, …).
const COMPACT: &str = "     ═             ";
/// Spaces after each column but the last, in the compact style.
const COMPACT_GAP: u16 = 2;

impl Style {
    /// Columns a table of `columns` columns takes beyond its content.
    fn frame(self, columns: usize) -> usize {
        match self {
            // A space either side of each column, a border after it, and one border more.
            Style::Bordered => 3 * columns + 1,
            Style::Compact => usize::from(COMPACT_GAP) * columns.saturating_sub(1),
        }
    }
}

/// Each column's natural width (its widest line, header included) and the least it can be given:
/// its widest unbreakable piece of body text, and for the header up to four Chinese characters a
/// line, so that no header becomes a column of single characters.
fn column_widths(header: &[String], body: &[Vec<String>]) -> (Vec<usize>, Vec<usize>) {
    let columns = header
        .len()
        .max(body.iter().map(Vec::len).max().unwrap_or(0));
    let widest = |i: usize, measure: &dyn Fn(&str) -> usize| {
        body.iter()
            .filter_map(|r| r.get(i))
            .map(|c| measure(c))
            .max()
            .unwrap_or(0)
    };
    let line_width = |c: &str| c.lines().map(screen::text_width).max().unwrap_or(0);
    let natural: Vec<usize> = (0..columns)
        .map(|i| widest(i, &line_width).max(header.get(i).map_or(0, |h| line_width(h))))
        .collect();
    let min = (0..columns)
        .map(|i| widest(i, &screen::unbreakable_width).max(natural[i].min(HEADER_LINE_MIN)))
        .collect();
    (natural, min)
}

/// The rows as a bordered table, figures right-aligned; cells are printed as given.
fn table(sheet: &Sheet, header: Vec<String>, body: Vec<Vec<String>>) -> String {
    styled_table(sheet, header, body, Style::Bordered)
}

fn styled_table(
    sheet: &Sheet,
    header: Vec<String>,
    body: Vec<Vec<String>>,
    style: Style,
) -> String {
    let mut table = Table::new();
    table
        .load_preset(match style {
            Style::Bordered => UTF8_FULL_CONDENSED,
            Style::Compact => COMPACT,
        })
        .set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(header);
    for row in body {
        table.add_row(row);
    }
    for (i, column) in table.column_iter_mut().enumerate() {
        let numeric = sheet.rows.iter().any(|r| {
            matches!(
                r.get(i),
                Some(Cell::Wan(_) | Cell::Yuan(_) | Cell::Percent(_))
            )
        });
        if numeric {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    if let Style::Compact = style {
        let last = table.column_count().saturating_sub(1);
        for (i, column) in table.column_iter_mut().enumerate() {
            column.set_padding((0, if i == last { 0 } else { COMPACT_GAP }));
        }
        // Without a right border, the padding of blank last cells is only trailing spaces.
        let lines: Vec<String> = table.lines().map(|l| l.trim_end().to_string()).collect();
        return lines.join("\n");
    }
    table.to_string()
}

/// Title, caption, the table, notes; each line of text wrapped to the screen when there is one.
fn framed(sheet: &Sheet, table: &str, width: Option<usize>) -> String {
    let fit = |text: &str| match width {
        Some(w) => screen::wrap(text, w).join("\n"),
        None => text.to_string(),
    };
    // The caption's parts ("部门：…", "单位：万元") side by side, or one a line if they do not fit.
    let caption = sheet.caption.join("    ");
    let caption = match width {
        Some(w) if screen::text_width(&caption) > w => sheet.caption.join("\n"),
        _ => caption,
    };
    let mut text = format!("{}\n{}\n{table}\n", fit(&sheet.title), fit(&caption));
    for note in &sheet.notes {
        text.push_str(&fit(note));
        text.push('\n');
    }
    text
}

/// Each row as a block: its non-blank cells one a line under their column's name, a blank line
/// between rows. For screens narrower than the figures of one row side by side.
fn stacked(header: &[String], body: &[Vec<String>], width: usize) -> String {
    let labels: Vec<String> = header.iter().map(|h| stacked_label(h)).collect();
    let label_width = labels
        .iter()
        .map(|l| screen::text_width(l))
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (r, row) in body.iter().enumerate() {
        if r > 0 {
            text.push('\n');
        }
        for (label, cell) in labels.iter().zip(row).filter(|(_, c)| !c.is_empty()) {
            text.push_str(&stacked_line(label, label_width, cell, width));
        }
    }
    text.trim_end().to_string()
}

/// A header cell's lines on one line, without the column numbers (栏次) that only a table needs.
fn stacked_label(header: &str) -> String {
    header
        .lines()
        .filter(|l| *l != "栏次" && !l.chars().all(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// "label  value", the value wrapped beside the label, or under it when the screen is too narrow.
fn stacked_line(label: &str, label_width: usize, value: &str, width: usize) -> String {
    let pad = label_width - screen::text_width(label);
    let beside = width.saturating_sub(label_width + 2);
    if beside >= screen::unbreakable_width(value).max(8) {
        let lines = screen::wrap(value, beside);
        let indent = " ".repeat(label_width + 2);
        let mut text = format!("{label}{}  {}\n", " ".repeat(pad), lines[0]);
        for line in &lines[1..] {
            text.push_str(&format!("{indent}{line}\n"));
        }
        return text;
    }
    let mut text: String = screen::wrap(label, width)
        .into_iter()
        .map(|l| l + "\n")
        .collect();
    for line in screen::wrap(value, width.saturating_sub(2)) {
        text.push_str(&format!("  {line}\n"));
    }
    text
}

/// The header rows folded into one row of multi-line cells, repeated texts (merged cells) once.
fn header_cells(sheet: &Sheet) -> Vec<String> {
    let width = sheet.header.iter().map(Vec::len).max().unwrap_or(0);
    (0..width)
        .map(|i| {
            let mut lines: Vec<&str> = Vec::new();
            for row in &sheet.header {
                let cell = row.get(i).map(String::as_str).unwrap_or("");
                if !cell.is_empty() && lines.last() != Some(&cell) {
                    lines.push(cell);
                }
            }
            lines.join("\n")
        })
        .collect()
}

/// Prints a report in the chosen format; `json` and `text` come from the caller.
pub fn report(
    format: TextFormat,
    sheet: &Sheet,
    json_value: impl FnOnce() -> serde_json::Value,
    text: Option<&dyn Fn() -> String>,
) -> Result<(), taizhang_posting::Misuse> {
    match format {
        TextFormat::Table => out(&render(sheet)),
        TextFormat::Csv => out(&layout::to_csv(sheet)),
        TextFormat::Json => json(&json_value()),
        // Only table 7, procurement and overdue offer `text` (cli::TextFormat), and they pass their text.
        TextFormat::Text => {
            match text {
                Some(text) => out(&format!("{}\n", text())),
                None => return Err(taizhang_posting::Misuse(
                    "此报表没有文字说明格式（--format text 仅用于 table7、procurement 与 overdue）"
                        .into(),
                )),
            }
        }
    }
    Ok(())
}
