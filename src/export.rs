//! `taizhang export`: the year-end files. Every report of the year as CSV, all of them in one xlsx
//! workbook, the year's documents in `附件/` with their index, and `manifest.json` tying each file
//! (by SHA-256) to the ledger's head hash and entry count. The files' bytes are the posting crate's ([`taizhang_posting::export`]), which the web
//! workspace sends as one zip; this puts them in a folder.
//!
//! The folder is built whole under a temporary name and put in place at the end ([`crate::outfile`]):
//! an existing folder is refused unless `--force`, and then replaced whole, so no stale file of an
//! earlier export survives. CSV files carry a BOM by default (Excel on a Chinese Windows reads BOM-less
//! UTF-8 as the local code page); `--csv-encoding` writes GB18030 or plain UTF-8 instead.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use taizhang_interchange::export::{self, MANIFEST};
use taizhang_posting::export::{year_export, YearExport, DOCUMENTS_FOLDER};
use taizhang_store::{hash::hex, Ledger};

use crate::cli::CsvEncoding;
use crate::outfile::{self, Existing, Shape};

pub struct Options {
    pub year: i32,
    pub out: PathBuf,
    pub force: bool,
    pub csv_encoding: CsvEncoding,
}

pub fn run(ledger: &Ledger, options: &Options, quiet: bool) -> anyhow::Result<bool> {
    let out = &options.out;
    let existing = Existing::forced(options.force);
    let target = outfile::check(out, Shape::Folder, Some(ledger.path()), existing)?;
    if target.replaces() {
        refuse_unless_an_export(out)?;
    }
    warn_if_open(ledger, options.year)?;
    let YearExport { files, head, .. } =
        year_export(ledger, options.year, encoding(options.csv_encoding))?;
    outfile::write_folder(&target, |staging| {
        for file in &files {
            staging.write(&file.name, &file.bytes)?;
        }
        Ok(())
    })?;
    if !quiet {
        eprintln!(
            "已导出 {} 个文件到 {}（链头 {}，{} 条记录）",
            files.len(),
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
    // An export's only folder is its documents' (附件/).
    let has_subfolder = entries
        .iter()
        .any(|e| e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != DOCUMENTS_FOLDER);
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

/// The library's name for the encoding `--csv-encoding` chose.
fn encoding(encoding: CsvEncoding) -> export::CsvEncoding {
    match encoding {
        CsvEncoding::Utf8Bom => export::CsvEncoding::Utf8Bom,
        CsvEncoding::Gb18030 => export::CsvEncoding::Gb18030,
        CsvEncoding::Utf8 => export::CsvEncoding::Utf8,
    }
}
