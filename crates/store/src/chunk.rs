//! Several consecutive records in one stored value, keyed by the sequence number of the first.
//!
//! A B-tree insert per record cost more than hashing it; one insert per chunk of a few kilobytes
//! makes storing a record little more than a copy. The records inside are the same bytes a format-1
//! ledger stores one per value (version, hash, payload), so the hash chain does not change, and a
//! format-1 value (a bare record) reads as a chunk of one.
//!
//! Layout: [`MARK`], then for each record its length (u32, little-endian) and its bytes. A chunk
//! never spans two batches: committed chunks are never rewritten.

use crate::record::DecodeError;

/// The first byte of a chunk. Record format versions count up from 1 and will never reach it.
pub const MARK: u8 = 0xC1;
/// A chunk is stored before it would grow past this: with redb's own bytes for the entry it then
/// fills one 16 KiB page (pages come in powers of two: a few bytes more would take 32 KiB).
pub const MAX_BYTES: usize = 16 * 1024 - 128;
const LEN_BYTES: usize = 4;

/// The records of the batch not yet stored: they start at `first_seq`.
#[derive(Debug)]
pub struct ChunkBuilder {
    bytes: Vec<u8>,
    first_seq: u64,
    count: u64,
}

impl ChunkBuilder {
    pub fn new(first_seq: u64) -> ChunkBuilder {
        let mut bytes = Vec::with_capacity(MAX_BYTES);
        bytes.push(MARK);
        ChunkBuilder {
            bytes,
            first_seq,
            count: 0,
        }
    }

    pub fn push(&mut self, record: &[u8]) {
        let len = u32::try_from(record.len()).expect("a record is far smaller than 4 GiB");
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(record);
        self.count += 1;
    }

    /// Whether `record` would take the chunk past [`MAX_BYTES`]. A record larger than that on its
    /// own goes into a chunk by itself.
    pub fn has_room_for(&self, record: &[u8]) -> bool {
        self.is_empty() || self.bytes.len() + LEN_BYTES + record.len() <= MAX_BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// The record at `seq`, if this chunk holds it.
    pub fn get(&self, seq: u64) -> Option<&[u8]> {
        let index = seq
            .checked_sub(self.first_seq)
            .filter(|&i| i < self.count)?;
        nth_record(&self.bytes, index).ok()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Empties the chunk (once stored) for the records that follow it.
    pub fn restart(&mut self) {
        self.bytes.truncate(1);
        self.first_seq += self.count;
        self.count = 0;
    }
}

/// The records of a stored value, in order; a bare format-1 record is a chunk of one.
pub fn records(value: &[u8]) -> Records<'_> {
    match value.split_first() {
        Some((&MARK, rest)) => Records::Framed(rest),
        _ => Records::Bare(Some(value)),
    }
}

/// The `index`-th record of a stored value (0 is the first).
pub fn nth_record(value: &[u8], index: u64) -> Result<&[u8], DecodeError> {
    let index = usize::try_from(index).map_err(|_| missing())?;
    records(value).nth(index).unwrap_or_else(|| Err(missing()))
}

fn missing() -> DecodeError {
    DecodeError::Corrupt("记录块中没有这一条".into())
}

pub enum Records<'a> {
    Bare(Option<&'a [u8]>),
    Framed(&'a [u8]),
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<&'a [u8], DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Records::Bare(value) => value.take().map(Ok),
            Records::Framed([]) => None,
            Records::Framed(rest) => {
                let next = split_framed(rest);
                // A broken frame ends the walk: nothing after it can be located.
                *rest = next.as_ref().map_or(&[], |(_, after)| after);
                Some(next.map(|(record, _)| record))
            }
        }
    }
}

fn split_framed(bytes: &[u8]) -> Result<(&[u8], &[u8]), DecodeError> {
    let broken = || DecodeError::Corrupt("记录块的长度标记损坏".into());
    let (len, rest) = bytes.split_first_chunk::<LEN_BYTES>().ok_or_else(broken)?;
    let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| broken())?;
    rest.split_at_checked(len).ok_or_else(broken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_order_and_a_bare_record_is_a_chunk_of_one() {
        let mut chunk = ChunkBuilder::new(7);
        chunk.push(b"\x01first");
        chunk.push(b"\x01second record");
        let all: Vec<&[u8]> = records(chunk.bytes()).map(Result::unwrap).collect();
        assert_eq!(all, [&b"\x01first"[..], &b"\x01second record"[..]]);
        assert_eq!(chunk.get(8), Some(&b"\x01second record"[..]));
        assert_eq!(chunk.get(9), None);
        assert_eq!(chunk.get(6), None);
        let bare: Vec<&[u8]> = records(b"\x01bare").map(Result::unwrap).collect();
        assert_eq!(bare, [&b"\x01bare"[..]]);
    }

    #[test]
    fn a_broken_length_is_an_error_and_ends_the_walk() {
        let mut chunk = ChunkBuilder::new(1);
        chunk.push(b"\x01abc");
        let mut bytes = chunk.bytes().to_vec();
        bytes.truncate(bytes.len() - 1);
        let all: Vec<_> = records(&bytes).collect();
        assert_eq!(all.len(), 1);
        assert!(all[0].is_err());
    }
}
