//! Printing: sheets as terminal tables, CSV or JSON on stdout. A closed pipe (`| head`) is not an error.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use taizhang_interchange::layout::{self, Cell, Sheet};

use crate::cli::Format;

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

/// A sheet as an aligned terminal table with its title, caption and notes.
pub fn render(sheet: &Sheet) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(header_cells(sheet));
    for row in &sheet.rows {
        table.add_row(row.iter().map(Cell::display));
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
    let mut text = format!("{}\n{}\n{table}\n", sheet.title, sheet.caption.join("    "));
    for note in &sheet.notes {
        text.push_str(note);
        text.push('\n');
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
    format: Format,
    sheet: &Sheet,
    json_value: impl FnOnce() -> serde_json::Value,
    text: Option<&dyn Fn() -> String>,
) -> Result<(), crate::posting::Misuse> {
    match format {
        Format::Table => out(&render(sheet)),
        Format::Csv => out(&layout::to_csv(sheet)),
        Format::Json => json(&json_value()),
        Format::Text => match text {
            Some(text) => out(&format!("{}\n", text())),
            None => {
                return Err(crate::posting::Misuse(
                    "此报表没有文字说明格式（--format text 仅用于 table7 与 procurement）".into(),
                ))
            }
        },
    }
    Ok(())
}
