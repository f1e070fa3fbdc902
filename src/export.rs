//! `taizhang export`: the year-end files. Every report of the year as CSV, all of them in one xlsx
//! workbook, and `manifest.json` tying each file to the ledger's head hash and entry count.

use std::path::Path;

use serde_json::json;
use taizhang_core::Quarter;
use taizhang_interchange::layout::{to_csv, Sheet};
use taizhang_interchange::reports as layout;
use taizhang_interchange::xlsx;
use taizhang_projection::{bond, contracts, opening, procurement, table7};
use taizhang_store::{hash::hex, Ledger};

use crate::reports::unit;

pub fn run(ledger: &Ledger, year: i32, out: &Path, quiet: bool) -> anyhow::Result<bool> {
    let head = ledger.head()?;
    let facts = ledger.facts()?;
    let unit = unit(ledger);
    let share = layout::SmallMicroShareOf::Sme;
    std::fs::create_dir_all(out)?;

    let t = table7::table7(&facts, year);
    let p = procurement::procurement(&facts, year);
    let mut sheets: Vec<(String, String, Sheet)> = vec![
        (
            "表7".into(),
            format!("{year}-table7.csv"),
            layout::table7_sheet(&t, &unit),
        ),
        (
            "政府采购".into(),
            format!("{year}-procurement.csv"),
            layout::procurement_sheet(&p, &unit),
        ),
    ];
    for number in 1..=4 {
        let q = Quarter { year, number };
        sheets.push((
            format!("专项债券{q}"),
            format!("{q}-bond-use.csv"),
            layout::bond_use_sheet(&bond::bond_use(&facts, q), &unit),
        ));
    }
    sheets.push((
        "年初结转和结余调整".into(),
        format!("{year}-opening-adjustments.csv"),
        layout::opening_adjustments_sheet(year, &opening::adjustments(&facts, year), &unit),
    ));
    let rows = contracts::contracts(&facts, year);
    sheets.push((
        "合同执行".into(),
        format!("{year}-contracts.csv"),
        layout::contracts_sheet(year, &rows, &unit),
    ));
    let mut codes: Vec<&str> = facts.bonds.iter().map(|b| b.terms.code.as_str()).collect();
    codes.dedup();
    for code in codes {
        if let Some((terms, face)) = bond::bond_face(&facts, code) {
            let coupons = bond::schedule(&terms, face);
            sheets.push((
                format!("还本付息{code}"),
                format!("schedule-{code}.csv"),
                layout::schedule_sheet(code, &terms.name, face, &coupons),
            ));
        }
    }

    let mut files = Vec::new();
    for (_, file, sheet) in &sheets {
        std::fs::write(out.join(file), to_csv(sheet))?;
        files.push(file.clone());
    }
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
    for (file, text) in &texts {
        std::fs::write(out.join(file), format!("{text}\n"))?;
        files.push(file.clone());
    }
    let workbook = format!("{year}-决算报表.xlsx");
    let named: Vec<(String, Sheet)> = sheets
        .into_iter()
        .map(|(name, _, sheet)| (name, sheet))
        .collect();
    xlsx::write_workbook(&named, &out.join(&workbook))
        .map_err(|e| anyhow::anyhow!("写 xlsx 失败：{e}"))?;
    files.push(workbook);

    let manifest = json!({
        "year": year,
        "unit": unit.full,
        "ledger_entries": head.count,
        "ledger_head_hash": hex(&head.hash),
        "hash_algorithm": ledger.algo().name(),
        "files": files,
        "verify_with": format!("taizhang verify --expect-head {}", hex(&head.hash)),
    });
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
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
