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

/// First characters that make a spreadsheet read a cell as a formula (or, for tab and CR, that some
/// spreadsheets strip before looking for one): OWASP's list for CSV injection.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as CSV carries it: one that a spreadsheet would take for a formula (a contract title
/// `=HYPERLINK(…)`, a supplier `@SUM(…)`) gets a leading `'`, so it stays text. Applies to text only:
/// amounts are written by [`Cell::display`] and a negative amount stays a number.
pub fn csv_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

impl Cell {
    /// The cell as CSV writes it: as shown, text neutralized by [`csv_text`].
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) => csv_text(s).into_owned(),
            other => other.display(),
        }
    }
}

/// Sheet rows as CSV text: the caption lines, the header rows, the body and notes, cells as shown.
/// Every text the program writes into a CSV passes through here, so every one is neutralized
/// ([`csv_text`]): titles and captions carry the unit's name, notes and cells the user's words.
pub fn to_csv(sheet: &Sheet) -> String {
    let text = |s: &String| csv_text(s).into_owned();
    let mut records = vec![vec![text(&sheet.title)]];
    records.extend(sheet.caption.iter().map(|line| vec![text(line)]));
    records.extend(sheet.header.iter().map(|h| h.iter().map(text).collect()));
    records.extend(sheet.rows.iter().map(|r| r.iter().map(Cell::csv).collect()));
    records.extend(sheet.notes.iter().map(|note| vec![text(note)]));
    csv_records(records)
}

/// A plain table of text as CSV (an export's index of documents): every cell neutralized like a
/// report's ([`csv_text`]).
pub fn text_csv(rows: impl IntoIterator<Item = Vec<String>>) -> String {
    csv_records(
        rows.into_iter()
            .map(|row| row.iter().map(|c| csv_text(c).into_owned()).collect()),
    )
}

/// Records already as CSV carries them, quoted where they need it.
fn csv_records(records: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for record in records {
        writer
            .write_record(&record)
            .expect("writing CSV to memory cannot fail");
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

    #[test]
    fn csv_text_that_a_spreadsheet_would_run_is_neutralized() {
        for (given, written) in [
            (
                "=HYPERLINK(\"http://x\",\"点此\")",
                "'=HYPERLINK(\"http://x\",\"点此\")",
            ),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("+86 027", "'+86 027"),
            ("-1+2", "'-1+2"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("某公司", "某公司"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(Cell::text(given).csv(), written, "{given:?}");
        }
        let negative = Cell::Yuan(amount("-1234.50"));
        assert_eq!(
            negative.csv(),
            "-1,234.50",
            "a negative amount stays a number"
        );
        let sheet = Sheet {
            title: "=标题".into(),
            caption: vec!["@单位".into()],
            header: vec![vec!["-列".into()]],
            rows: vec![vec![Cell::text("=1"), Cell::Wan(amount("-30000"))]],
            notes: vec!["+注".into()],
        };
        assert_eq!(to_csv(&sheet), "'=标题\n'@单位\n'-列\n'=1,-3.00\n'+注\n");
    }
}
