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

/// A table-7 cell: its value as the table shows it, and the entries whose contributions add up to it
/// (all of them, or one page).
#[derive(Clone, Debug)]
pub struct CellEntries {
    pub cell: Cell,
    pub value: Amount,
    /// In posting order ([`cell_entries`]) or newest first ([`cell_entries_page`]).
    pub entries: Vec<CellEntry>,
    /// For a page: the `after_seq` of the next one, when an older entry counts in the cell.
    pub next_after_seq: Option<u64>,
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
        layout::table7_cell_json(&self.cell, self.value, &views, self.next_after_seq)
    }
}

/// The entries that make up a table-7 cell (see [`taizhang_projection::cell`] for what counts in
/// which column), all of them, in posting order. The value and the entries are of one state of the
/// ledger: the scan stops at the head the facts were read with. Cost: one pass over the whole log
/// (a reversal's original is read through the index), and memory for every entry that counts — on
/// a ledger of a million payments a 项's expense is a few hundred thousand entries and tens of MB of
/// JSON (docs/performance.md): a server should page with [`cell_entries_page`].
pub fn cell_entries(ledger: &Ledger, cell: Cell) -> Result<CellEntries, StoreError> {
    let (facts, head) = ledger.facts_and_head()?;
    let value = cell::value(&table7::table7(&facts, cell.year), &cell.row, cell.column);
    let drill = Drill::new(&facts, cell);
    let mut entries = Vec::new();
    let mut failed = None;
    ledger.for_each_entry(1, |posted| {
        if posted.record.seq > head.count {
            return false;
        }
        match weigh(ledger, &drill, posted) {
            Ok(entry) => entries.extend(entry),
            Err(e) => failed = Some(e),
        }
        failed.is_none()
    })?;
    failed.map_or(Ok(()), Err)?;
    Ok(CellEntries {
        cell,
        value,
        entries,
        next_after_seq: None,
    })
}

/// A page of the entries that make up a table-7 cell, newest first, below seq `after_seq` (from the
/// head when `None`), at most [`page_limit`]`(limit)` of them, with the cell's whole value. Paged
/// like the journal: the contributions of all pages add up to the value. A page costs the entries
/// it walks past (for a cell of few entries, up to the whole log).
pub fn cell_entries_page(
    ledger: &Ledger,
    cell: Cell,
    after_seq: Option<u64>,
    limit: Option<usize>,
) -> Result<CellEntries, StoreError> {
    let limit = page_limit(limit);
    let (facts, head) = ledger.facts_and_head()?;
    let value = cell::value(&table7::table7(&facts, cell.year), &cell.row, cell.column);
    let drill = Drill::new(&facts, cell);
    // Entries posted after the facts were read are not in the value.
    let before = after_seq
        .unwrap_or(u64::MAX)
        .min(head.count.saturating_add(1));
    let mut entries = Vec::new();
    let mut more = false;
    let mut failed = None;
    ledger.for_each_entry_back(Some(before), |posted| {
        match weigh(ledger, &drill, posted) {
            Ok(Some(_)) if entries.len() == limit => more = true,
            Ok(entry) => entries.extend(entry),
            Err(e) => failed = Some(e),
        }
        failed.is_none() && !more
    })?;
    failed.map_or(Ok(()), Err)?;
    let next_after_seq = if more {
        entries.last().map(|e: &CellEntry| e.posted.record.seq)
    } else {
        None
    };
    Ok(CellEntries {
        cell,
        value,
        entries,
        next_after_seq,
    })
}

/// The entry with what it adds to the cell, if it counts there. A reversal is weighed against the
/// receipt or payment it reverses, read through the index.
fn weigh(ledger: &Ledger, drill: &Drill, posted: Posted) -> Result<Option<CellEntry>, StoreError> {
    if !matches!(posted.body, Body::Reversal(_)) {
        return Ok(drill
            .contribution(&posted.body, None)
            .map(|contribution| CellEntry {
                posted,
                contribution,
                reverses: None,
            }));
    }
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
    /// Under maker-checker: the review that approved the entry (its seq) and the checker.
    pub review: Option<(u64, String)>,
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
            "review": self.review.as_ref().map(|(seq, checker)| {
                serde_json::json!({"seq": seq, "checker": checker})
            }),
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
    let review = (ledger.review_of(seq)?).map(|(review_seq, _, checker)| (review_seq, checker));
    Ok(Some(EntryDetail {
        entry,
        links,
        hash_holds,
        review,
    }))
}
