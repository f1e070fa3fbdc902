//! `taizhang export`: the year-end files. Every report of the year as CSV, all of them in one xlsx
//! workbook, and `manifest.json` tying each file (by SHA-256) to the ledger's head hash and entry
//! count.
//!
//! The folder is built whole under a temporary name and put in place at the end ([`crate::outfile`]):
//! an existing folder is refused unless `--force`, and then replaced whole, so no stale file of an
//! earlier export survives. CSV files carry a BOM by default (Excel on a Chinese Windows reads BOM-less
//! UTF-8 as the local code page); `--csv-encoding` writes GB18030 or plain UTF-8 instead.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::json;
use sha2::{Digest, Sha256};
use taizhang_core::Quarter;
use taizhang_interchange::layout::{to_csv, Sheet};
use taizhang_interchange::reports as layout;
use taizhang_interchange::xlsx;
use taizhang_projection::{bond, contracts, opening, procurement, table7, Facts};
use taizhang_store::{hash::hex, Ledger};

use crate::cli::CsvEncoding;
use crate::outfile::{self, Existing, Shape};
use crate::reports::unit;

/// The manifest's own name; it lists every other file of the folder.
const MANIFEST: &str = "manifest.json";

pub struct Options {
    pub year: i32,
    pub out: PathBuf,
    pub force: bool,
    pub csv_encoding: CsvEncoding,
}

/// One file of the export: its name in the folder and its bytes.
struct OutFile {
    name: String,
    bytes: Vec<u8>,
}

pub fn run(ledger: &Ledger, options: &Options, quiet: bool) -> anyhow::Result<bool> {
    let out = &options.out;
    let existing = Existing::forced(options.force);
    let target = outfile::check(out, Shape::Folder, Some(ledger.path()), existing)?;
    if target.replaces() {
        refuse_unless_an_export(out)?;
    }
    warn_if_open(ledger, options.year)?;
    let head = ledger.head()?;
    let files = year_files(ledger, options)?;
    let manifest = manifest(ledger, options, &files)?;
    outfile::write_folder(&target, |staging| {
        for file in &files {
            staging.write(&file.name, &file.bytes)?;
        }
        staging.write(MANIFEST, &manifest)
    })?;
    if !quiet {
        eprintln!(
            "已导出 {} 个文件到 {}（链头 {}，{} 条记录）",
            files.len() + 1,
            out.display(),
            hex(&head.hash),
            head.count
        );
    }
    Ok(true)
}

/// `--force` replaces a folder whole, so it must hold nothing but an earlier export: an empty folder,
/// or one with a taizhang manifest and no subfolder. Anything else may be the user's own work.
fn refuse_unless_an_export(out: &Path) -> anyhow::Result<()> {
    let shown = out.display();
    let entries: Vec<_> = std::fs::read_dir(out)
        .and_then(|dir| dir.collect::<Result<_, _>>())
        .map_err(|e| anyhow::anyhow!("读文件夹 {shown} 失败：{}", outfile::words(&e)))?;
    if entries.is_empty() {
        return Ok(());
    }
    let has_subfolder = entries
        .iter()
        .any(|e| e.file_type().is_ok_and(|t| t.is_dir()));
    let ours = std::fs::read(out.join(MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|m| m.get("ledger_head_hash").is_some());
    if has_subfolder || !ours {
        anyhow::bail!(
            "{shown} 不是 taizhang 导出的文件夹（{}）：--force 只替换以前的导出，不删除别的文件。请换一个文件夹",
            if ours { "里面有子文件夹" } else { "没有导出清单 manifest.json" }
        );
    }
    Ok(())
}

/// Tables of a year that is still open can change after they are exported: say so.
fn warn_if_open(ledger: &Ledger, year: i32) -> anyhow::Result<()> {
    let Some(year_end) = NaiveDate::from_ymd_opt(year, 12, 31) else {
        return Ok(());
    };
    let closed = ledger.closed_through()?;
    if closed.is_some_and(|through| through >= year_end) {
        return Ok(());
    }
    let state = match closed {
        Some(through) => format!("台账结账至 {through}"),
        None => "台账尚未结账".to_string(),
    };
    eprintln!(
        "警告：{year} 年尚未结账（{state}）：导出后仍可补记 {year} 年的账，导出的报表就会与台账不符。\
         年终请先 taizhang close --through {year_end} 再导出。"
    );
    Ok(())
}

/// Every file of the year but the manifest.
fn year_files(ledger: &Ledger, options: &Options) -> anyhow::Result<Vec<OutFile>> {
    let year = options.year;
    let facts = ledger.facts()?;
    let unit = unit(ledger);
    let t = table7::table7(&facts, year);
    let p = procurement::procurement(&facts, year);
    let sheets = sheets(&facts, year, &unit, (&t, &p));
    let mut files: Vec<OutFile> = sheets
        .iter()
        .map(|(_, name, sheet)| OutFile {
            name: name.clone(),
            bytes: encode_csv(&to_csv(sheet), options.csv_encoding),
        })
        .collect();
    let share = layout::SmallMicroShareOf::Sme;
    let texts = [
        (
            format!("{year}-table7.txt"),
            layout::table7_text(&t, &unit, &table7::uses_by_lei(&facts, year)),
        ),
        (
            format!("{year}-procurement.txt"),
            layout::procurement_text(&p, &unit, share),
        ),
        (
            format!("{year}-table7.json"),
            serde_json::to_string_pretty(&layout::table7_json(&t, &unit))?,
        ),
        (
            format!("{year}-procurement.json"),
            serde_json::to_string_pretty(&layout::procurement_json(&p, &unit, share))?,
        ),
    ];
    files.extend(texts.into_iter().map(|(name, text)| OutFile {
        name,
        bytes: format!("{text}\n").into_bytes(),
    }));
    let named: Vec<(String, Sheet)> = sheets
        .into_iter()
        .map(|(tab, _, sheet)| (tab, sheet))
        .collect();
    files.push(OutFile {
        name: format!("{year}-决算报表.xlsx"),
        bytes: xlsx::workbook_bytes(&named).map_err(|e| anyhow::anyhow!("写 xlsx 失败：{e}"))?,
    });
    Ok(files)
}

/// The report sheets of a year: (xlsx tab, CSV file name, sheet).
fn sheets(
    facts: &Facts,
    year: i32,
    unit: &layout::Unit,
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

/// CSV text in the chosen encoding. GB18030 encodes every Unicode character, so nothing is lost.
fn encode_csv(text: &str, encoding: CsvEncoding) -> Vec<u8> {
    match encoding {
        CsvEncoding::Utf8Bom => {
            let mut bytes = "\u{feff}".as_bytes().to_vec();
            bytes.extend_from_slice(text.as_bytes());
            bytes
        }
        CsvEncoding::Utf8 => text.as_bytes().to_vec(),
        CsvEncoding::Gb18030 => encoding_rs::GB18030.encode(text).0.into_owned(),
    }
}

fn encoding_name(encoding: CsvEncoding) -> &'static str {
    match encoding {
        CsvEncoding::Utf8Bom => "utf8-bom",
        CsvEncoding::Gb18030 => "gb18030",
        CsvEncoding::Utf8 => "utf8",
    }
}

/// `manifest.json`: the ledger's state (head hash, entry count) and each file with its SHA-256.
fn manifest(ledger: &Ledger, options: &Options, files: &[OutFile]) -> anyhow::Result<Vec<u8>> {
    let head = ledger.head()?;
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
        "year": options.year,
        "unit": ledger.header().unit.full,
        "ledger_entries": head.count,
        "ledger_head_hash": hex(&head.hash),
        "hash_algorithm": ledger.algo().name(),
        "csv_encoding": encoding_name(options.csv_encoding),
        "files": listed,
        "verify_with": format!("taizhang verify --expect-head {}", hex(&head.hash)),
    });
    Ok(format!("{}\n", serde_json::to_string_pretty(&manifest)?).into_bytes())
}
