//! The idempotency index: each entry's key, in its stored form ([`keys::entry_key`]), to the
//! entry's sequence number.
//!
//! Two redb tables. A key of at most [`SHORT_MAX`] bytes (vouchers and bond allocations: nearly every
//! key of a large import) is stored as 24 bytes, [`ShortKey`]; a longer one as text. Why: redb
//! inserts into a table whose keys and values all have one width in half the instructions (a leaf
//! then has no per-entry offsets to shift), and this insert was a third of an import's storing
//! thread. The packing keeps the order of the text (its bytes, zero-filled, then its length), so the
//! keys that start with given fields are still one range in each table. 24 bytes and not 32: a
//! million-row import writes 16 MB less, and 23 bytes hold a voucher such as `记-2023-0015`.
//!
//! Ledgers before format 3 hold every key as text; lookups try both tables, so they read as they
//! are, and a key is never in both (a key found in either is already posted).
//!
//! [`keys::entry_key`]: crate::keys::entry_key

use std::cmp::Ordering;

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, Table};
use redb::{TableDefinition, TableError, TypeName, WriteTransaction};

use crate::keys;
use crate::StoreError;

pub(crate) const LONG_KEYS: TableDefinition<&str, u64> = TableDefinition::new("keys");
pub(crate) const SHORT_KEYS: TableDefinition<ShortKey, u64> = TableDefinition::new("keys_short");

const SHORT_MAX: usize = 23;

/// A key of at most 23 bytes: the text, zero-filled to 23 bytes, then its length. Compared as bytes,
/// which orders them as their texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ShortKey([u8; SHORT_MAX + 1]);

impl ShortKey {
    fn pack(text: &str) -> Option<ShortKey> {
        let bytes = text.as_bytes();
        if bytes.len() > SHORT_MAX {
            return None;
        }
        let mut packed = [0u8; SHORT_MAX + 1];
        packed[..bytes.len()].copy_from_slice(bytes);
        packed[SHORT_MAX] = bytes.len() as u8;
        Some(ShortKey(packed))
    }

    /// The text; `None` if the bytes are not a packed key (a damaged file).
    fn text(&self) -> Option<String> {
        let len = usize::from(self.0[SHORT_MAX]);
        let text = self.0.get(..len).filter(|_| len <= SHORT_MAX)?;
        String::from_utf8(text.to_vec()).ok()
    }
}

impl redb::Value for ShortKey {
    type SelfType<'a> = ShortKey;
    type AsBytes<'a> = [u8; SHORT_MAX + 1];

    fn fixed_width() -> Option<usize> {
        Some(SHORT_MAX + 1)
    }

    /// redb hands back the bytes it was given; anything shorter (a damaged file) is zero-filled, and
    /// then reads as no key at all.
    fn from_bytes<'a>(data: &'a [u8]) -> ShortKey
    where
        Self: 'a,
    {
        let mut packed = [0u8; SHORT_MAX + 1];
        let n = data.len().min(packed.len());
        packed[..n].copy_from_slice(&data[..n]);
        ShortKey(packed)
    }

    fn as_bytes<'a, 'b: 'a>(value: &'a ShortKey) -> [u8; SHORT_MAX + 1]
    where
        Self: 'b,
    {
        value.0
    }

    fn type_name() -> TypeName {
        TypeName::new("taizhang::ShortKey")
    }
}

impl redb::Key for ShortKey {
    fn compare(data1: &[u8], data2: &[u8]) -> Ordering {
        data1.cmp(data2)
    }
}

/// Looking keys up, in whichever tables a transaction opened.
pub(crate) trait KeyIndex {
    /// The sequence number indexed under this stored key.
    fn seq_of(&self, text: &str) -> Result<Option<u64>, StoreError>;
    /// Every key that starts with these whole fields, with its sequence number, in key order.
    fn under(&self, fields: &[&str]) -> Result<Vec<(String, u64)>, StoreError>;
    /// How many keys are indexed.
    fn count(&self) -> Result<u64, StoreError>;
}

/// The two tables. `short` is `None` in a read of a ledger written before the table existed.
pub(crate) struct Index<S, L> {
    short: Option<S>,
    long: L,
}

pub(crate) type ReadIndex = Index<ReadOnlyTable<ShortKey, u64>, ReadOnlyTable<&'static str, u64>>;
pub(crate) type WriteIndex<'t> = Index<Table<'t, ShortKey, u64>, Table<'t, &'static str, u64>>;

pub(crate) fn open_read(txn: &ReadTransaction) -> Result<ReadIndex, StoreError> {
    let short = match txn.open_table(SHORT_KEYS) {
        Ok(table) => Some(table),
        Err(TableError::TableDoesNotExist(_)) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(Index {
        short,
        long: txn.open_table(LONG_KEYS)?,
    })
}

pub(crate) fn open_write(txn: &WriteTransaction) -> Result<WriteIndex<'_>, StoreError> {
    Ok(Index {
        short: Some(txn.open_table(SHORT_KEYS)?),
        long: txn.open_table(LONG_KEYS)?,
    })
}

impl WriteIndex<'_> {
    pub(crate) fn insert(&mut self, text: &str, seq: u64) -> Result<(), StoreError> {
        match (ShortKey::pack(text), &mut self.short) {
            (Some(packed), Some(short)) => short.insert(packed, seq).map(drop)?,
            _ => self.long.insert(text, seq).map(drop)?,
        }
        Ok(())
    }
}

impl<S, L> KeyIndex for Index<S, L>
where
    S: ReadableTable<ShortKey, u64>,
    L: ReadableTable<&'static str, u64>,
{
    fn seq_of(&self, text: &str) -> Result<Option<u64>, StoreError> {
        if let (Some(packed), Some(short)) = (ShortKey::pack(text), &self.short) {
            if let Some(seq) = short.get(packed)? {
                return Ok(Some(seq.value()));
            }
        }
        Ok(self.long.get(text)?.map(|seq| seq.value()))
    }

    fn under(&self, fields: &[&str]) -> Result<Vec<(String, u64)>, StoreError> {
        let (start, end) = keys::prefix_range(fields);
        let mut found = Vec::new();
        for item in self.long.range(start.as_str()..end.as_str())? {
            let (key, seq) = item?;
            found.push((key.value().to_string(), seq.value()));
        }
        let bounds = ShortKey::pack(&start).zip(ShortKey::pack(&end));
        if let (Some((start, end)), Some(short)) = (bounds, &self.short) {
            for item in short.range(start..end)? {
                let (key, seq) = item?;
                let text = (key.value().text())
                    .ok_or_else(|| StoreError::Corrupt("幂等索引的键损坏".into()))?;
                found.push((text, seq.value()));
            }
            found.sort_unstable();
        }
        Ok(found)
    }

    fn count(&self) -> Result<u64, StoreError> {
        let short = match &self.short {
            Some(short) => short.len()?,
            None => 0,
        };
        Ok(short + self.long.len()?)
    }
}

/// What `verify` knows of a record to hold an index entry to: a fingerprint of its stored key.
pub(crate) fn fingerprint(key_text: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(key_text)
}

impl ReadIndex {
    /// Every index entry, held to the record it points at: `key_of(seq)` is the fingerprint of that
    /// record's key ([`fingerprint`]), `None` if there is no sound record `seq` (`count` records in
    /// all). Also a short key must be the packed form of its text, or no lookup finds it.
    pub(crate) fn entries_not_matching(
        &self,
        count: u64,
        key_of: impl Fn(u64) -> Option<u64>,
    ) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        let mismatch = |key: &str, seq: u64| {
            let shown = key.replace(keys::SEP, "/");
            if seq == 0 || seq > count {
                return Some(format!("索引项“{shown}”指向不存在的第 {seq} 条"));
            }
            // A bad record is reported where it stands; its index entries are not held to it.
            let expected = key_of(seq)?;
            (expected != fingerprint(key))
                .then(|| format!("索引项“{shown}”指向的第 {seq} 条不是它的记录"))
        };
        if let Some(short) = &self.short {
            for item in short.iter()? {
                let (key, seq) = item?;
                let key = key.value();
                match key.text().filter(|t| ShortKey::pack(t) == Some(key)) {
                    Some(text) => problems.extend(mismatch(&text, seq.value())),
                    None => problems.push("索引中有一项的键已损坏".into()),
                }
            }
        }
        for item in self.long.iter()? {
            let (key, seq) = item?;
            problems.extend(mismatch(key.value(), seq.value()));
        }
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_keeps_the_order_of_the_text_and_reads_back() {
        let texts = [
            "",
            "A",
            "A\u{1f}",
            "A\u{1f}B",
            "AB",
            "V\u{1f}记-2023-015",
            "V\u{1f}记-2023-016",
            "a 23-byte key, longest.",
        ];
        let mut packed: Vec<ShortKey> = texts.iter().map(|t| ShortKey::pack(t).unwrap()).collect();
        packed.sort_unstable_by(|a, b| <ShortKey as redb::Key>::compare(&a.0, &b.0));
        let back: Vec<String> = packed.iter().map(|p| p.text().unwrap()).collect();
        let mut sorted = texts.map(str::to_string).to_vec();
        sorted.sort_unstable();
        assert_eq!(back, sorted);
        assert_eq!(ShortKey::pack("a 24-byte key is stored."), None);
    }

    #[test]
    fn damaged_packed_keys_are_not_text() {
        let mut bytes = [0u8; SHORT_MAX + 1];
        bytes[SHORT_MAX] = 40;
        assert_eq!(ShortKey(bytes).text(), None, "a length past 23");
        bytes[0] = 0xff;
        bytes[SHORT_MAX] = 1;
        assert_eq!(ShortKey(bytes).text(), None, "not UTF-8");
        let short = <ShortKey as redb::Value>::from_bytes(&[b'A', 0, 0]);
        assert_eq!(
            short.text().as_deref(),
            Some(""),
            "too few bytes read as no text"
        );
    }
}
