//! Report layout, in one place: how amounts are written (万元 tables, running text, 元), the sheets
//! every report renders to (terminal table, CSV and xlsx all draw from a [`Sheet`]), and the labels.

use rust_decimal::Decimal;
use taizhang_core::Amount;

/// A cell of a report sheet. Money keeps its exact value; the unit says how to show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// An amount shown in 万元 (rounded half away from zero), blank when zero.
    Wan(Amount),
    /// An amount shown in 元 with two decimals, blank when zero.
    Yuan(Amount),
    /// A percentage with its decimals already fixed; `None` is shown as "—" (zero denominator).
    Percent(Option<Decimal>),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// The cell as the published table writes it.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Wan(a) if a.is_zero() => String::new(),
            Cell::Wan(a) => grouped(a.wan_yuan()),
            Cell::Yuan(a) if a.is_zero() => String::new(),
            Cell::Yuan(a) => grouped(a.decimal()),
            Cell::Percent(Some(p)) => format!("{p}%"),
            Cell::Percent(None) => "—".to_string(),
        }
    }

    /// The number a spreadsheet should hold (in the shown unit), if the cell is a number.
    pub fn number(&self) -> Option<Decimal> {
        match self {
            Cell::Wan(a) if !a.is_zero() => Some(a.wan_yuan()),
            Cell::Yuan(a) if !a.is_zero() => Some(a.decimal()),
            _ => None,
        }
    }
}

/// A report as a table: title, lines under it, header rows, body rows and notes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sheet {
    pub title: String,
    /// "部门：…" and "单位：万元", shown under the title.
    pub caption: Vec<String>,
    /// One or more header rows; a header cell spanning columns repeats its text in each (merged on xlsx).
    pub header: Vec<Vec<String>>,
    pub rows: Vec<Vec<Cell>>,
    pub notes: Vec<String>,
}

/// Two decimals with thousands separators: "7,115.81".
pub fn grouped(value: Decimal) -> String {
    let text = format!("{:.2}", value.round_dp(2));
    let (sign, body) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |b| ("-", b));
    let (int, frac) = body.split_once('.').unwrap_or((body, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}.{frac}")
}

/// An amount in running text, in 万元: no separators, trailing zeros dropped ("1854.9", "165"); zero
/// is written "0.00".
pub fn text_wan(amount: Amount) -> String {
    let wan = amount.wan_yuan();
    if wan.is_zero() {
        return "0.00".to_string();
    }
    wan.normalize().to_string()
}

/// A percentage with one decimal: "23.6".
pub fn pct(value: Decimal) -> String {
    format!("{value:.1}")
}

/// An amount in 元 for JSON: exactly two decimals, no separators.
pub fn yuan(amount: Amount) -> String {
    amount.to_string()
}

/// An amount in 万元 for JSON figures that compare rounded values (tail differences).
pub fn wan_json(value: Decimal) -> String {
    format!("{value:.2}")
}

/// Sheet rows as CSV text: the caption lines, the header rows, the body and notes, cells as shown.
pub fn to_csv(sheet: &Sheet) -> String {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut write = |cells: Vec<String>| {
        writer
            .write_record(&cells)
            .expect("writing CSV to memory cannot fail")
    };
    write(vec![sheet.title.clone()]);
    for line in &sheet.caption {
        write(vec![line.clone()]);
    }
    for header in &sheet.header {
        write(header.clone());
    }
    for row in &sheet.rows {
        write(row.iter().map(Cell::display).collect());
    }
    for note in &sheet.notes {
        write(vec![note.clone()]);
    }
    String::from_utf8(writer.into_inner().expect("flushing to memory cannot fail"))
        .expect("CSV of UTF-8 cells is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(s: &str) -> Amount {
        Amount::parse(s).unwrap()
    }

    #[test]
    fn amounts_are_written_as_published() {
        assert_eq!(Cell::Wan(amount("71158100")).display(), "7,115.81");
        assert_eq!(Cell::Wan(Amount::ZERO).display(), "");
        assert_eq!(Cell::Wan(amount("30")).display(), "0.00");
        assert_eq!(text_wan(amount("78585300")), "7858.53");
        assert_eq!(text_wan(amount("18549000")), "1854.9");
        assert_eq!(text_wan(amount("1650000")), "165");
        assert_eq!(text_wan(Amount::ZERO), "0.00");
        assert_eq!(grouped(Decimal::new(-123456789, 2)), "-1,234,567.89");
        assert_eq!(grouped(Decimal::new(12345, 2)), "123.45");
    }
}
