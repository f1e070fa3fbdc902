//! Looking entries up by what people call them: a voucher number, a contract number. For `show`
//! (and the web workspace's entry pages): reads through the idempotency index, never the whole log,
//! except for a contract's payments, which no index lists.

use redb::ReadableTable;
use taizhang_core::{Body, EntryKey};

use crate::chunk;
use crate::index::{self, KeyIndex};
use crate::keys;
use crate::ledger::{decode_posted, Ledger, Posted, ENTRIES};
use crate::record;
use crate::StoreError;

/// A contract with everything that refers to it, in posting order.
#[derive(Debug, Default)]
pub struct ContractEntries {
    pub parts: Vec<Posted>,
    pub amendments: Vec<Posted>,
    /// Acceptances (验收/交付) of its parts.
    pub acceptances: Vec<Posted>,
    pub payments: Vec<Posted>,
    /// Reversals of the contract's payments.
    pub reversals: Vec<Posted>,
}

/// An entry's reversals both ways: the receipt or payment a reversal reverses, and the reversal of a
/// receipt or payment (a voucher is reversed at most once: the reversal's key is the voucher).
#[derive(Debug, Default)]
pub struct ReversalLinks {
    /// For a reversal: the entry it reverses.
    pub reverses: Option<Posted>,
    /// For a receipt or payment: the reversal that takes it back, if it was reversed.
    pub reversed_by: Option<Posted>,
}

impl Ledger {
    /// What reverses `entry` and what `entry` reverses, through the idempotency index (no scan).
    /// Entries of other kinds have neither.
    pub fn reversal_links(&self, entry: &Body) -> Result<ReversalLinks, StoreError> {
        let mut links = ReversalLinks::default();
        match entry {
            Body::Receipt(taizhang_core::Receipt { voucher_no, .. })
            | Body::Payment(taizhang_core::Payment { voucher_no, .. }) => {
                links.reversed_by = self.entry_by_key(&EntryKey::Reversal(voucher_no.clone()))?;
            }
            Body::Reversal(r) => {
                links.reverses = self.entry_by_key(&EntryKey::Voucher(r.voucher_no.clone()))?;
            }
            _ => {}
        }
        Ok(links)
    }

    /// The entry posted under `key`, if any.
    pub fn entry_by_key(&self, key: &EntryKey) -> Result<Option<Posted>, StoreError> {
        self.guarded("查找记录", || {
            let txn = self.db().begin_read()?;
            let keys_table = index::open_read(&txn)?;
            let entries = txn.open_table(ENTRIES)?;
            keys_table
                .seq_of(&keys::entry_key(key))?
                .map(|seq| posted_at(&entries, seq))
                .transpose()
        })
    }

    /// The entries whose keys start with these fields (a contract's parts: `["C", no]`), by seq.
    pub fn entries_under(&self, fields: &[&str]) -> Result<Vec<Posted>, StoreError> {
        self.guarded("查找记录", || {
            let txn = self.db().begin_read()?;
            let keys_table = index::open_read(&txn)?;
            let entries = txn.open_table(ENTRIES)?;
            let mut seqs: Vec<u64> = keys_table
                .under(fields)?
                .into_iter()
                .map(|(_, s)| s)
                .collect();
            seqs.sort_unstable();
            seqs.into_iter()
                .map(|seq| posted_at(&entries, seq))
                .collect()
        })
    }

    /// Whether an entry read back still has the hash it was chained with (its content unchanged
    /// since). Its link to the entry before is `verify`'s to check; this is for showing one entry.
    pub fn hash_holds(&self, posted: &Posted) -> bool {
        let payload = record::encode_payload(&posted.record);
        (1..=record::FORMAT_VERSION).any(|version| {
            record::payload_hash(self.algo(), version, &payload, posted.record.seq)
                == Some(posted.hash)
        })
    }

    /// A contract's parts, amendments and acceptances (through the index) and its payments and their reversals
    /// (through the log).
    pub fn contract_entries(&self, contract_no: &str) -> Result<ContractEntries, StoreError> {
        let mut found = ContractEntries {
            parts: self.entries_under(&["C", contract_no])?,
            amendments: self.entries_under(&["A", contract_no])?,
            acceptances: self.entries_under(&["K", contract_no])?,
            ..ContractEntries::default()
        };
        if found.parts.is_empty() {
            return Ok(found);
        }
        let mut vouchers = std::collections::BTreeSet::new();
        self.for_each_entry(1, |posted| {
            match &posted.body {
                Body::Payment(p) if p.contract_no.as_deref() == Some(contract_no) => {
                    vouchers.insert(p.voucher_no.clone());
                    found.payments.push(posted);
                }
                Body::Reversal(r) if vouchers.contains(&r.voucher_no) => {
                    found.reversals.push(posted)
                }
                _ => {}
            }
            true
        })?;
        Ok(found)
    }
}

/// The entry stored at `seq`, found in the chunk that starts at or before it.
pub(crate) fn posted_at(
    entries: &impl ReadableTable<u64, &'static [u8]>,
    seq: u64,
) -> Result<Posted, StoreError> {
    let absent = || StoreError::Corrupt(format!("索引指向不存在的第 {seq} 条"));
    let (first, value) = entries.range(..=seq)?.next_back().ok_or_else(absent)??;
    let offset = seq.checked_sub(first.value()).ok_or_else(absent)?;
    let record = chunk::nth_record(value.value(), offset).map_err(|_| absent())?;
    let posted = decode_posted(&record)?;
    if posted.record.seq != seq {
        return Err(StoreError::Corrupt(format!(
            "第 {seq} 条的位置上是第 {} 条",
            posted.record.seq
        )));
    }
    Ok(posted)
}
