//! Times the web workspace's reads on a ledger (docs/performance.md, "Journal pages and table-7
//! cells"): a first journal page, a page whose filter matches nothing (a walk over the whole log),
//! an entry page, and a table-7 cell's entries (a page of them, and all of them with their JSON). Not a test: it measures, it asserts nothing.
//!
//!   cargo run --release -p taizhang-posting --example journal_scan -- LEDGER YEAR CODE

use std::time::Instant;

use taizhang_posting::read;
use taizhang_projection::cell::{Cell, CellRow, Column};
use taizhang_projection::journal::EntryFilter;
use taizhang_store::Ledger;

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    println!("{what}: {:.1} ms", start.elapsed().as_secs_f64() * 1000.0);
    out
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, year, code] = args.as_slice() else {
        anyhow::bail!("用法：journal_scan LEDGER YEAR CODE");
    };
    let year: i32 = year.parse()?;
    let ledger = Ledger::open_read_only(path.as_ref())?;
    println!("entries: {}", ledger.head()?.count);
    timed("facts and head (first read)", || ledger.facts_and_head())?;
    timed("facts and head (again)", || ledger.facts_and_head())?;
    let all = EntryFilter::default();
    let page = timed("first page (50, no filter)", || {
        read::entries_page(&ledger, &all, None, None)
    })?;
    let after = page.next_after_seq;
    timed("next page (50, no filter)", || {
        read::entries_page(&ledger, &all, after, None)
    })?;
    let nothing = EntryFilter {
        text: Some("没有这样的字".into()),
        ..EntryFilter::default()
    };
    let empty = timed("text filter matching nothing (whole log)", || {
        read::entries_page(&ledger, &nothing, None, None)
    })?;
    println!("  matched: {}", empty.entries.len());
    let voucher = EntryFilter {
        voucher: Some("NO-SUCH-VOUCHER".into()),
        ..EntryFilter::default()
    };
    timed("voucher filter matching nothing (whole log)", || {
        read::entries_page(&ledger, &voucher, None, None)
    })?;
    timed("entry page (seq 1, reversals both ways)", || {
        read::entry_detail(&ledger, 1)
    })?;
    for column in [Column::Expense, Column::Closing] {
        let cell = Cell {
            year,
            row: CellRow::parse(code).map_err(anyhow::Error::msg)?,
            column,
        };
        let page = timed(
            &format!("cell {code} {}, first page of 50", column.key()),
            || read::cell_entries_page(&ledger, cell, None, None),
        )?;
        let next = page.next_after_seq;
        timed("  next page of 50", || {
            read::cell_entries_page(&ledger, cell, next, None)
        })?;
        let found = timed(
            &format!("cell {code} {}, all entries", column.key()),
            || read::cell_entries(&ledger, cell),
        )?;
        let json = timed("  its JSON", || found.to_json().to_string());
        println!(
            "  value {}, {} entries, {} bytes of JSON",
            found.value,
            found.entries.len(),
            json.len()
        );
    }
    Ok(())
}
