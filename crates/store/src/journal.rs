//! Reading the log the way the web workspace's journal pages do: newest first from a place in the
//! sequence (paging by seq, never by offset), one entry by its seq, and the facts together with the
//! head they belong to. Reads only; one read transaction each, so a page is one state of the ledger
//! even while a batch is being written beside it.

use taizhang_projection::Facts;

use crate::chunk;
use crate::ledger::{decode_in_chunk, read_head, Head, Ledger, Posted, ENTRIES, META};
use crate::lookup::posted_at;
use crate::StoreError;

impl Ledger {
    /// Calls `each` on every entry before seq `before` (all entries when `None`), newest first,
    /// until it returns false. The cost is the entries visited, whatever the ledger's size: the
    /// chunks are read from the one holding `before − 1` backwards.
    pub fn for_each_entry_back(
        &self,
        before: Option<u64>,
        mut each: impl FnMut(Posted) -> bool,
    ) -> Result<(), StoreError> {
        self.guarded("读取记录", || {
            let txn = self.db().begin_read()?;
            let entries = txn.open_table(ENTRIES)?;
            let end = before.unwrap_or(u64::MAX);
            for item in entries.range(..end)?.rev() {
                let (first, value) = item?;
                let first = first.value();
                // A chunk's records can only be read forwards (a record stored without its link
                // takes it from the one before), so the chunk is split first and walked backwards.
                let records: Vec<_> = (0u64..)
                    .zip(chunk::records(value.value()))
                    .map(|(i, r)| (first.saturating_add(i), r))
                    .take_while(|(seq, _)| *seq < end)
                    .collect();
                for (seq, record) in records.into_iter().rev() {
                    let posted = decode_in_chunk(record, seq)?;
                    if !each(posted) {
                        return Ok(());
                    }
                }
            }
            Ok(())
        })
    }

    /// The entry numbered `seq`, or `None` when the ledger has no such entry (0, or beyond the head).
    pub fn entry_at(&self, seq: u64) -> Result<Option<Posted>, StoreError> {
        self.guarded("读取记录", || {
            let txn = self.db().begin_read()?;
            let head = read_head(&txn.open_table(META)?)?;
            if seq == 0 || seq > head.count {
                return Ok(None);
            }
            posted_at(&txn.open_table(ENTRIES)?, seq).map(Some)
        })
    }

    /// The facts and the head of one state of the ledger, read in one transaction: an export's
    /// manifest names the head its reports were computed at, also while a batch is written beside.
    pub fn facts_and_head(&self) -> Result<(Facts, Head), StoreError> {
        self.guarded("读取报表数据", || {
            let txn = self.db().begin_read()?;
            let head = read_head(&txn.open_table(META)?)?;
            Ok((self.facts_in(&txn)?, head))
        })
    }
}
