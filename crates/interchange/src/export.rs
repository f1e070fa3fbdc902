//! The year-end files: every report of a year as CSV, the paragraphs as text, table 7 and procurement
//! as JSON, all report sheets in one xlsx workbook, and `manifest.json` tying each file (by SHA-256)
//! to the ledger's head hash and entry count. Bytes only: `taizhang export` puts them in a folder,
//! the web workspace sends them as one zip ([`zip_bytes`]); both get the same bytes for the same
//! ledger and year.
//!
//! The workbook's creation time is given, not read from the clock (the time of the ledger's newest
//! entry, see docs/decisions.md): the same ledger exports the same bytes, and the manifest's hashes
//! can be checked by exporting again.

use std::io::Write;

use serde_json::json;
use sha2::{Digest, Sha256};
use taizhang_core::Quarter;
use taizhang_projection::flows::Flows;
use taizhang_projection::{
    bond, checks, clock, contracts, idle, opening, procurement, table7, Facts,
};

use crate::layout::{to_csv, Sheet};
use crate::reports::{self as layout, Unit};
use crate::xlsx;

/// The manifest's own name; it lists every other file of the export.
pub const MANIFEST: &str = "manifest.json";

/// One file of the export: its name and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// How the CSV files are encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CsvEncoding {
    /// UTF-8 with a BOM: Excel on a Chinese Windows reads BOM-less UTF-8 as the local code page.
    #[default]
    Utf8Bom,
    Gb18030,
    Utf8,
}

impl CsvEncoding {
    /// The name the manifest gives it (and `--csv-encoding` takes).
    pub fn name(self) -> &'static str {
        match self {
            CsvEncoding::Utf8Bom => "utf8-bom",
            CsvEncoding::Gb18030 => "gb18030",
            CsvEncoding::Utf8 => "utf8",
        }
    }

    /// CSV text in this encoding. GB18030 encodes every Unicode character, so nothing is lost.
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            CsvEncoding::Utf8Bom => {
                let mut bytes = "\u{feff}".as_bytes().to_vec();
                bytes.extend_from_slice(text.as_bytes());
                bytes
            }
            CsvEncoding::Utf8 => text.as_bytes().to_vec(),
            CsvEncoding::Gb18030 => encoding_rs::GB18030.encode(text).0.into_owned(),
        }
    }
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("写 xlsx 失败：{0}")]
    Xlsx(String),
    #[error("写 zip 失败：{0}")]
    Zip(String),
}

/// What the manifest says of the ledger the files were made from.
#[derive(Clone, Debug)]
pub struct LedgerState {
    /// The unit's full name as the ledger's header gives it.
    pub unit: String,
    pub entries: u64,
    /// The head hash in hex.
    pub head_hash: String,
    /// "sm3" or "sha256".
    pub hash_algorithm: &'static str,
}

/// Every file of the year but the manifest. `created` (seconds since 1970, UTC) is the workbook's
/// creation time.
pub fn year_files(
    facts: &Facts,
    flows: &Flows,
    year: i32,
    unit: &Unit,
    encoding: CsvEncoding,
    created: i64,
) -> Result<Vec<ExportFile>, ExportError> {
    let t = table7::table7(facts, year);
    let p = procurement::procurement(facts, year);
    let year_end = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(chrono::NaiveDate::MAX);
    let late = Clocks {
        clock: clock::payment_clock(flows, &facts.contracts, year_end),
        overdue: clock::overdue(flows, &facts.contracts, year),
        idle: idle::idle_funds(flows, year_end, idle::DEFAULT_DAYS),
        checks: checks::procurement_checks(&facts.contracts, year),
    };
    let mut sheets = sheets(facts, year, unit, (&t, &p));
    sheets.extend(clock_sheets(year, unit, &late));
    let mut files: Vec<ExportFile> = sheets
        .iter()
        .map(|(_, name, sheet)| ExportFile {
            name: name.clone(),
            bytes: encoding.encode(&to_csv(sheet)),
        })
        .collect();
    let share = layout::SmallMicroShareOf::Sme;
    let texts = [
        (
            format!("{year}-table7.txt"),
            layout::table7_text(&t, unit, &table7::uses_by_lei(facts, year)),
        ),
        (
            format!("{year}-procurement.txt"),
            layout::procurement_text(&p, unit, share),
        ),
        (
            format!("{year}-table7.json"),
            pretty(&layout::table7_json(&t, unit)),
        ),
        (
            format!("{year}-procurement.json"),
            pretty(&layout::procurement_json(&p, unit, share)),
        ),
        (
            format!("{year}-overdue.txt"),
            layout::overdue_text(&late.overdue, unit),
        ),
        (
            format!("{year}-overdue.json"),
            pretty(&layout::overdue_json(&late.overdue)),
        ),
        (
            format!("{year}-procurement-checks.json"),
            pretty(&layout::checks_json(&late.checks)),
        ),
    ];
    files.extend(texts.into_iter().map(|(name, text)| ExportFile {
        name,
        bytes: format!("{text}\n").into_bytes(),
    }));
    let named: Vec<(String, Sheet)> = sheets
        .into_iter()
        .map(|(tab, _, sheet)| (tab, sheet))
        .collect();
    files.push(ExportFile {
        name: format!("{year}-决算报表.xlsx"),
        bytes: xlsx::workbook_bytes(&named, created)
            .map_err(|e| ExportError::Xlsx(e.to_string()))?,
    });
    Ok(files)
}

/// The clocks and checks of the year (issue 17), as of its last day.
struct Clocks {
    clock: clock::PaymentClock,
    overdue: clock::Overdue,
    idle: idle::IdleFunds,
    checks: checks::Checks,
}

/// Their sheets: (xlsx tab, CSV file name, sheet).
fn clock_sheets(year: i32, unit: &Unit, c: &Clocks) -> Vec<(String, String, Sheet)> {
    vec![
        (
            "中小企业款项支付期限".into(),
            format!("{year}-payment-clock.csv"),
            layout::payment_clock_sheet(&c.clock, unit),
        ),
        (
            "逾期未支付中小企业款项".into(),
            format!("{year}-overdue.csv"),
            layout::overdue_sheet(&c.overdue, unit),
        ),
        (
            "专项债券闲置资金".into(),
            format!("{year}-idle-funds.csv"),
            layout::idle_funds_sheet(&c.idle, unit),
        ),
        (
            "政府采购合规检查".into(),
            format!("{year}-procurement-checks.csv"),
            layout::checks_sheet(&c.checks, unit),
        ),
    ]
}

/// JSON as the export writes it. Serializing a `Value` cannot fail (its keys are strings).
fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// The report sheets of a year: (xlsx tab, CSV file name, sheet).
fn sheets(
    facts: &Facts,
    year: i32,
    unit: &Unit,
    (t, p): (&table7::Table7, &procurement::Procurement),
) -> Vec<(String, String, Sheet)> {
    let mut sheets: Vec<(String, String, Sheet)> = vec![
        (
            "表7".into(),
            format!("{year}-table7.csv"),
            layout::table7_sheet(t, unit),
        ),
        (
            "政府采购".into(),
            format!("{year}-procurement.csv"),
            layout::procurement_sheet(p, unit),
        ),
    ];
    for number in 1..=4 {
        let q = Quarter { year, number };
        sheets.push((
            format!("专项债券{q}"),
            format!("{q}-bond-use.csv"),
            layout::bond_use_sheet(&bond::bond_use(facts, q), unit),
        ));
    }
    sheets.push((
        "年初结转和结余调整".into(),
        format!("{year}-opening-adjustments.csv"),
        layout::opening_adjustments_sheet(year, &opening::adjustments(facts, year), unit),
    ));
    let rows = contracts::contracts(facts, year);
    sheets.push((
        "合同执行".into(),
        format!("{year}-contracts.csv"),
        layout::contracts_sheet(year, &rows, unit),
    ));
    let mut codes: Vec<&str> = facts.bonds.iter().map(|b| b.terms.code.as_str()).collect();
    codes.dedup();
    for code in codes {
        if let Some((terms, face)) = bond::bond_face(facts, code) {
            let coupons = bond::schedule(&terms, face);
            sheets.push((
                format!("还本付息{code}"),
                format!("schedule-{code}.csv"),
                layout::schedule_sheet(code, &terms.name, face, &coupons),
            ));
        }
    }
    sheets
}

/// `manifest.json`: the ledger's state (head hash, entry count) and each file with its SHA-256.
pub fn manifest(
    year: i32,
    state: &LedgerState,
    encoding: CsvEncoding,
    files: &[ExportFile],
) -> Vec<u8> {
    let listed: Vec<serde_json::Value> = files
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "sha256": hex(&Sha256::digest(&f.bytes)),
                "bytes": f.bytes.len(),
            })
        })
        .collect();
    let manifest = json!({
        "year": year,
        "unit": state.unit,
        "ledger_entries": state.entries,
        "ledger_head_hash": state.head_hash,
        "hash_algorithm": state.hash_algorithm,
        "csv_encoding": encoding.name(),
        "files": listed,
        "verify_with": format!("taizhang verify --expect-head {}", state.head_hash),
    });
    format!("{}\n", pretty(&manifest)).into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The files as one zip, in their order, deflated, each dated `modified` (the zip's local time).
pub fn zip_bytes(
    files: &[ExportFile],
    modified: chrono::NaiveDateTime,
) -> Result<Vec<u8>, ExportError> {
    use zip::write::SimpleFileOptions;
    let zip_error = |e: &dyn std::fmt::Display| ExportError::Zip(e.to_string());
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip_time(modified))
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for file in files {
        zip.start_file(file.name.as_str(), options)
            .map_err(|e| zip_error(&e))?;
        zip.write_all(&file.bytes).map_err(|e| zip_error(&e))?;
    }
    Ok(zip.finish().map_err(|e| zip_error(&e))?.into_inner())
}

/// A zip's time of day (1980–2107, to two seconds); outside that range, the format's earliest.
fn zip_time(t: chrono::NaiveDateTime) -> zip::DateTime {
    use chrono::{Datelike, Timelike};
    let field = |v: u32| u8::try_from(v).unwrap_or(0);
    u16::try_from(t.year())
        .ok()
        .and_then(|year| {
            zip::DateTime::from_date_and_time(
                year,
                field(t.month()),
                field(t.day()),
                field(t.hour()),
                field(t.minute()),
                field(t.second()),
            )
            .ok()
        })
        .unwrap_or_default()
}
