//! The year-end export of a ledger, for `taizhang export` (a folder) and the web workspace (one zip):
//! the files' bytes come from [`taizhang_interchange::export`]; this reads what they need from the
//! ledger, all of one state of it. The year's documents (原始凭证 of entries dated in the year) go
//! in `附件/` as `{entry seq}-{name}`, with `附件/索引.csv` saying whose each is; the manifest lists
//! them like every other file.

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
    files.extend(year_documents(ledger, year, head.count, encoding)?);
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

/// The folder of the year's documents in an export.
pub const DOCUMENTS_FOLDER: &str = "附件";
/// The index of the documents, in that folder.
pub const DOCUMENTS_INDEX: &str = "索引.csv";

/// The documents of entries dated in `year` (by the date that counts for period locks), among the
/// first `count` entries, each read back re-hashed, and their index; nothing when there are none.
/// A name that repeats for one entry (different bytes) takes the attachment's own seq as well.
pub fn year_documents(
    ledger: &Ledger,
    year: i32,
    count: u64,
    encoding: CsvEncoding,
) -> anyhow::Result<Vec<ExportFile>> {
    use chrono::Datelike;
    let mut files = Vec::new();
    let mut index = vec![[
        "记录序号",
        "记录",
        "文件名",
        "导出文件",
        "大小（字节）",
        &format!("哈希（{}）", ledger.algo().name()),
        "上传人",
        "上传时间",
    ]
    .map(str::to_string)
    .to_vec()];
    let mut taken = std::collections::BTreeSet::new();
    for a in ledger.all_attachments()? {
        if a.seq > count {
            break;
        }
        let Some(target) = ledger.entry_at(a.note.target)? else {
            anyhow::bail!("第 {} 条附件所属的第 {} 条不在台账中", a.seq, a.note.target);
        };
        if target.body.period_date().map(|d| d.year()) != Some(year) {
            continue;
        }
        let bytes = ledger.attachment_bytes(&a.note.hash)?.ok_or_else(|| {
            anyhow::anyhow!(
                "第 {} 条附件“{}”的内容不在台账中（台账已损坏，请运行 taizhang verify）",
                a.seq,
                a.note.name
            )
        })?;
        // Unique without regard to case (Windows and macOS folders tell "A.pdf" from "a.pdf" not),
        // also when a name given by hand looks like a renamed one ("{seq}-a.pdf").
        let mut file_name = format!("{}-{}", a.note.target, a.note.name);
        let mut again = 1u32;
        while !taken.insert(file_name.to_lowercase()) {
            again += 1;
            file_name = match again {
                2 => format!("{}-{}-{}", a.note.target, a.seq, a.note.name),
                n => format!("{}-{}-{n}-{}", a.note.target, a.seq, a.note.name),
            };
        }
        let what = format!(
            "{}（{}）",
            target.body.key().describe(),
            target.body.kind().label()
        );
        index.push(vec![
            a.note.target.to_string(),
            what,
            a.note.name.clone(),
            file_name.clone(),
            a.note.size.to_string(),
            a.note.hash.clone(),
            a.uploaded_by.clone(),
            beijing(a.recorded_at.0),
        ]);
        files.push(ExportFile {
            name: format!("{DOCUMENTS_FOLDER}/{file_name}"),
            bytes,
        });
    }
    if files.is_empty() {
        return Ok(files);
    }
    files.push(ExportFile {
        name: format!("{DOCUMENTS_FOLDER}/{DOCUMENTS_INDEX}"),
        bytes: encoding.encode(&taizhang_interchange::layout::text_csv(index)),
    });
    Ok(files)
}

/// A time in Beijing time, as the unit reads its clock.
fn beijing(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros.saturating_add(BEIJING_SECONDS * 1_000_000))
        .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
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
