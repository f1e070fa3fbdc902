//! The idempotency index: each entry's key, in its stored form ([`keys::entry_key`]), to the
//! entry's sequence number.
//!
//! Two redb tables. A key of at most [`SHORT_MAX`] bytes (vouchers, bond allocations, most contract
//! parts: nearly every key) is packed into two `u128`s; a longer one is stored as text. Why: redb
//! inserts into a table whose keys and values all have one width in half the instructions (a leaf
//! then has no per-entry offsets to shift), and this insert was a third of an import's storing
//! thread. The packing keeps the order of the text (its bytes big-endian, zero-filled, then its
//! length), so the keys that start with given fields are still one range in each table.
//!
//! Ledgers before format 3 hold every key as text; lookups try both tables, so they read as they
//! are, and a key is never in both (a key found in either is already posted).
//!
//! [`keys::entry_key`]: crate::keys::entry_key

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, Table};
use redb::{TableDefinition, TableError, WriteTransaction};

use crate::keys;
use crate::StoreError;

pub(crate) const LONG_KEYS: TableDefinition<&str, u64> = TableDefinition::new("keys");
pub(crate) const SHORT_KEYS: TableDefinition<Packed, u64> = TableDefinition::new("keys_short");

/// A short key's bytes: 31 of text, zero-filled, and the text's length.
type Packed = (u128, u128);
const SHORT_MAX: usize = 31;

fn pack(text: &str) -> Option<Packed> {
    let bytes = text.as_bytes();
    if bytes.len() > SHORT_MAX {
        return None;
    }
    let mut packed = [0u8; 32];
    packed[..bytes.len()].copy_from_slice(bytes);
    packed[SHORT_MAX] = bytes.len() as u8;
    let (high, low) = packed.split_at(16);
    Some((
        u128::from_be_bytes(high.try_into().expect("16 bytes")),
        u128::from_be_bytes(low.try_into().expect("16 bytes")),
    ))
}

/// The text of a packed key; `None` if the bytes are not one (a damaged file).
fn unpack((high, low): Packed) -> Option<String> {
    let mut packed = [0u8; 32];
    packed[..16].copy_from_slice(&high.to_be_bytes());
    packed[16..].copy_from_slice(&low.to_be_bytes());
    let len = usize::from(packed[SHORT_MAX]);
    if len > SHORT_MAX {
        return None;
    }
    String::from_utf8(packed[..len].to_vec()).ok()
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

pub(crate) type ReadIndex = Index<ReadOnlyTable<Packed, u64>, ReadOnlyTable<&'static str, u64>>;
pub(crate) type WriteIndex<'t> = Index<Table<'t, Packed, u64>, Table<'t, &'static str, u64>>;

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
        match (pack(text), &mut self.short) {
            (Some(packed), Some(short)) => short.insert(packed, seq).map(drop)?,
            _ => self.long.insert(text, seq).map(drop)?,
        }
        Ok(())
    }
}

impl<S, L> KeyIndex for Index<S, L>
where
    S: ReadableTable<Packed, u64>,
    L: ReadableTable<&'static str, u64>,
{
    fn seq_of(&self, text: &str) -> Result<Option<u64>, StoreError> {
        if let (Some(packed), Some(short)) = (pack(text), &self.short) {
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
        if let (Some(start), Some(end), Some(short)) = (pack(&start), pack(&end), &self.short) {
            for item in short.range(start..end)? {
                let (key, seq) = item?;
                let text = unpack(key.value())
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
            "a 31-byte key, the longest one.",
        ];
        let mut packed: Vec<Packed> = texts.iter().map(|t| pack(t).unwrap()).collect();
        packed.sort_unstable();
        let back: Vec<String> = packed.into_iter().map(|p| unpack(p).unwrap()).collect();
        let mut sorted = texts.map(str::to_string).to_vec();
        sorted.sort_unstable();
        assert_eq!(back, sorted);
        assert_eq!(pack("a 32-byte key is stored as text."), None);
    }

    #[test]
    fn damaged_packed_keys_are_not_text() {
        assert_eq!(unpack((0, 40)), None, "a length past 31");
        let mut bytes = [0u8; 32];
        bytes[0] = 0xff;
        bytes[31] = 1;
        let high = u128::from_be_bytes(bytes[..16].try_into().unwrap());
        let low = u128::from_be_bytes(bytes[16..].try_into().unwrap());
        assert_eq!(unpack((high, low)), None, "not UTF-8");
    }
}
