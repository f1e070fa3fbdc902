//! The reads of the web workspace that need the ledger and more than one report: a table-7 cell with
//! the entries that make it up, a page of the journal, one entry with its reversals both ways. The
//! figures come from the projection crate and the layout from the interchange crate; a handler only
//! parses its request, calls one of these and sends the JSON.

use taizhang_core::{Amount, Body, EntryKey};
use taizhang_interchange::reports::{self as layout, CellEntryView};
use taizhang_projection::cell::{self, Cell, Drill};
use taizhang_projection::journal::EntryFilter;
use taizhang_projection::table7;
use taizhang_store::{EntryLine, Ledger, Posted, ReversalLinks, StoreError};

/// Entries a journal page shows when the request names no limit.
pub const PAGE_ENTRIES_DEFAULT: usize = 50;
/// The most entries one page shows, whatever the request asks.
pub const PAGE_ENTRIES_MAX: usize = 500;

/// An entry that counts in a table-7 cell.
#[derive(Clone, Debug)]
pub struct CellEntry {
    pub posted: Posted,
    /// What it adds to the cell, signed.
    pub contribution: Amount,
    /// For a reversal: the receipt or payment it reverses (whose amount it takes back).
    pub reverses: Option<Body>,
}

/// A table-7 cell: its value as the table shows it, and the entries whose contributions add up to it.
#[derive(Clone, Debug)]
pub struct CellEntries {
    pub cell: Cell,
    pub value: Amount,
    /// In posting order.
    pub entries: Vec<CellEntry>,
}

impl CellEntries {
    /// The JSON of `GET /api/table7/cell`.
    pub fn to_json(&self) -> serde_json::Value {
        let views: Vec<CellEntryView<'_>> = self
            .entries
            .iter()
            .map(|e| CellEntryView {
                seq: e.posted.record.seq,
                source: &e.posted.record.source,
                body: &e.posted.body,
                reverses: e.reverses.as_ref(),
                contribution: e.contribution,
            })
            .collect();
        layout::table7_cell_json(&self.cell, self.value, &views)
    }
}

/// The entries that make up a table-7 cell (see [`taizhang_projection::cell`] for what counts in
/// which column). The value and the entries are of one state of the ledger: the scan stops at the
/// head the facts were read with. Cost: one pass over the whole log (a reversal's original is read
/// through the index), and memory for the entries that count — for the 合计 row's balances, that
/// is every receipt and payment of the fund.
pub fn cell_entries(ledger: &Ledger, cell: Cell) -> Result<CellEntries, StoreError> {
    let (facts, head) = ledger.facts_and_head()?;
    let value = cell::value(&table7::table7(&facts, cell.year), &cell.row, cell.column);
    let drill = Drill::new(&facts, cell);
    let mut entries = Vec::new();
    let mut reversals = Vec::new();
    ledger.for_each_entry(1, |posted| {
        if posted.record.seq > head.count {
            return false;
        }
        if let Body::Reversal(_) = posted.body {
            reversals.push(posted);
        } else if let Some(contribution) = drill.contribution(&posted.body, None) {
            entries.push(CellEntry {
                posted,
                contribution,
                reverses: None,
            });
        }
        true
    })?;
    for posted in reversals {
        if let Some(entry) = reversal_entry(ledger, &drill, posted)? {
            entries.push(entry);
        }
    }
    entries.sort_by_key(|e| e.posted.record.seq);
    Ok(CellEntries {
        cell: *drill.cell(),
        value,
        entries,
    })
}

/// A reversal with what it adds to the cell, if the entry it reverses concerns the cell.
fn reversal_entry(
    ledger: &Ledger,
    drill: &Drill,
    posted: Posted,
) -> Result<Option<CellEntry>, StoreError> {
    let Some(EntryKey::Voucher(voucher)) = posted.body.refers_to() else {
        return Ok(None);
    };
    let Some(original) = ledger.entry_by_key(&EntryKey::Voucher(voucher))? else {
        return Ok(None);
    };
    if !drill.concerns(&original.body) {
        return Ok(None);
    }
    let contribution = drill.contribution(&posted.body, Some(&original.body));
    Ok(contribution.map(|contribution| CellEntry {
        posted,
        contribution,
        reverses: Some(original.body),
    }))
}

/// A page of the journal, newest first.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub entries: Vec<Posted>,
    /// The `after_seq` of the next page: `Some` only when an older entry matches the filter.
    pub next_after_seq: Option<u64>,
}

impl Page {
    /// The JSON of `GET /api/entries`: each entry as `log --format json` writes it.
    pub fn to_json(&self) -> serde_json::Value {
        let lines = self.entries.iter().map(line_json);
        layout::entries_page_json(lines, self.next_after_seq)
    }
}

/// The entry as `log --format json` writes it.
pub fn line_json(posted: &Posted) -> serde_json::Value {
    serde_json::to_value(EntryLine::of(posted)).unwrap_or(serde_json::Value::Null)
}

/// The page size a request gets: `limit` brought into 1..=[`PAGE_ENTRIES_MAX`], 50 when not given.
pub fn page_limit(limit: Option<usize>) -> usize {
    limit
        .unwrap_or(PAGE_ENTRIES_DEFAULT)
        .clamp(1, PAGE_ENTRIES_MAX)
}

/// The entries matching `filter` below seq `after_seq` (from the newest when `None`), newest first,
/// at most [`page_limit`]`(limit)` of them. Paged by sequence number: a page costs the entries it
/// walks past, never an offset scan; with a filter that matches few entries that walk can reach the
/// beginning of the log (docs/performance.md measures it). To say whether there is a next page it
/// looks for one more match.
pub fn entries_page(
    ledger: &Ledger,
    filter: &EntryFilter,
    after_seq: Option<u64>,
    limit: Option<usize>,
) -> Result<Page, StoreError> {
    let limit = page_limit(limit);
    let mut page = Page::default();
    let mut more = false;
    ledger.for_each_entry_back(after_seq, |posted| {
        if !filter.matches(&posted.body) {
            return true;
        }
        if page.entries.len() == limit {
            more = true;
            return false;
        }
        page.entries.push(posted);
        true
    })?;
    if more {
        page.next_after_seq = page.entries.last().map(|p| p.record.seq);
    }
    Ok(page)
}

/// One entry for its page: the entry, its reversals both ways, and whether its hash still holds.
#[derive(Debug)]
pub struct EntryDetail {
    pub entry: Posted,
    pub links: ReversalLinks,
    /// False when the record no longer has the hash it was chained with (changed since).
    pub hash_holds: bool,
}

impl EntryDetail {
    /// The JSON of `GET /api/entries/{seq}`: `{"entry", "reverses", "reversed_by", "hash_holds"}`,
    /// each entry as `log --format json` writes it (`taizhang show --format json` has `entry` and
    /// `reversed_by` the same way).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "entry": line_json(&self.entry),
            "reverses": self.links.reverses.as_ref().map(line_json),
            "reversed_by": self.links.reversed_by.as_ref().map(line_json),
            "hash_holds": self.hash_holds,
        })
    }
}

/// The entry numbered `seq` with its reversals both ways, or `None` when there is no such entry.
pub fn entry_detail(ledger: &Ledger, seq: u64) -> Result<Option<EntryDetail>, StoreError> {
    let Some(entry) = ledger.entry_at(seq)? else {
        return Ok(None);
    };
    let links = ledger.reversal_links(&entry.body)?;
    let hash_holds = ledger.hash_holds(&entry);
    Ok(Some(EntryDetail {
        entry,
        links,
        hash_holds,
    }))
}
