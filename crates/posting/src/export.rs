//! The year-end export of a ledger, for `taizhang export` (a folder) and the web workspace (one zip):
//! the files' bytes come from [`taizhang_interchange::export`]; this reads what they need from the
//! ledger, all of one state of it.

use taizhang_interchange::export::{self, CsvEncoding, ExportFile, LedgerState, MANIFEST};
use taizhang_interchange::reports::Unit;
use taizhang_store::hash::hex;
use taizhang_store::{Head, Ledger};

/// Beijing time's offset from UTC.
const BEIJING_SECONDS: i64 = 8 * 3600;

/// The files of a year's export, the manifest last, and the head they were made at.
#[derive(Clone, Debug)]
pub struct YearExport {
    pub files: Vec<ExportFile>,
    pub head: Head,
    /// When the newest entry was recorded (seconds since 1970, UTC): the workbook's creation time
    /// and the zip's file times, so that the same ledger exports the same bytes.
    pub as_of: i64,
}

/// Every file of `year`'s export with the manifest last, all from one read of the ledger.
pub fn year_export(
    ledger: &Ledger,
    year: i32,
    encoding: CsvEncoding,
) -> anyhow::Result<YearExport> {
    let (facts, head) = ledger.facts_and_head()?;
    let as_of = match ledger.entry_at(head.count)? {
        Some(newest) => newest.record.recorded_at.0.div_euclid(1_000_000),
        None => 0,
    };
    let names = ledger.unit();
    let unit = Unit {
        full: names.full.clone(),
        short: names.short.clone(),
    };
    let flows = ledger.flows_through(head.count)?;
    let mut files = export::year_files(&facts, &flows, year, &unit, encoding, as_of)?;
    let state = LedgerState {
        unit: ledger.header().unit.full.clone(),
        entries: head.count,
        head_hash: hex(&head.hash),
        hash_algorithm: ledger.algo().name(),
    };
    let manifest = export::manifest(year, &state, encoding, &files);
    files.push(ExportFile {
        name: MANIFEST.to_string(),
        bytes: manifest,
    });
    Ok(YearExport { files, head, as_of })
}

/// `year`'s export as one zip (for `GET /api/export?year=Y`): the same files, byte for byte, as
/// `taizhang export` writes to its folder, dated with the newest entry's time in Beijing time.
pub fn year_zip(ledger: &Ledger, year: i32, encoding: CsvEncoding) -> anyhow::Result<Vec<u8>> {
    let export = year_export(ledger, year, encoding)?;
    // Zip times are local times without a zone: Beijing time (UTC+8), as the unit reads its clock.
    let modified =
        chrono::DateTime::from_timestamp(export.as_of.saturating_add(BEIJING_SECONDS), 0)
            .unwrap_or_default()
            .naive_utc();
    Ok(export::zip_bytes(&export.files, modified)?)
}
