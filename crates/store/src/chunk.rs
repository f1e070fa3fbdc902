//! Several consecutive records in one stored value, keyed by the sequence number of the first.
//!
//! A B-tree insert per record cost more than hashing it; one insert per chunk of a few kilobytes
//! makes storing a record little more than a copy. The records inside are the same bytes a format-1
//! ledger stores one per value (version, hash, payload), so the hash chain does not change, and a
//! format-1 value (a bare record) reads as a chunk of one.
//!
//! Layout: [`MARK`], then for each record its length (u32, little-endian) and its bytes. A chunk
//! never spans two batches: committed chunks are never rewritten.
//!
//! A record ends with the link to the one before it (the hash as a postcard byte string), and that
//! hash is already in the chunk when the record before is: such a record is stored without its
//! link, its length marked [`LINKED`], and reading puts the link back. A fifth of every record is
//! the link; without it a batch writes a fifth fewer bytes. Ledger format 2 never set the mark.

use std::borrow::Cow;

use crate::record::{DecodeError, HASH_BYTES};

/// The first byte of a chunk. Record format versions count up from 1 and will never reach it.
pub const MARK: u8 = 0xC1;
/// A chunk is stored before it would grow past this: with redb's own bytes for the entry it then
/// fills one 16 KiB page (pages come in powers of two: a few bytes more would take 32 KiB).
pub const MAX_BYTES: usize = 16 * 1024 - 128;
const LEN_BYTES: usize = 4;
/// Set in a record's length: the record is stored without its link to the record before it.
pub const LINKED: u32 = 1 << 31;
/// The link a record ends with: postcard's length of a 32-byte string, then the hash.
const LINK_BYTES: usize = 1 + HASH_BYTES;
/// Where a stored record keeps its own hash: after its version byte.
const OWN_HASH: std::ops::Range<usize> = 1..1 + HASH_BYTES;

/// The records of the batch not yet stored: they start at `first_seq`.
#[derive(Debug)]
pub struct ChunkBuilder {
    bytes: Vec<u8>,
    first_seq: u64,
    count: u64,
    /// Where the last record's own hash is in `bytes`.
    last_hash_at: Option<usize>,
}

impl ChunkBuilder {
    pub fn new(first_seq: u64) -> ChunkBuilder {
        let mut bytes = Vec::with_capacity(MAX_BYTES);
        bytes.push(MARK);
        ChunkBuilder {
            bytes,
            first_seq,
            count: 0,
            last_hash_at: None,
        }
    }

    pub fn push(&mut self, record: &[u8]) {
        let last_hash = self.last_hash_at.map(|at| &self.bytes[at..at + HASH_BYTES]);
        let linked = last_hash.is_some_and(|hash| ends_with_link(record, hash));
        let kept = if linked {
            &record[..record.len() - LINK_BYTES]
        } else {
            record
        };
        let len = u32::try_from(kept.len())
            .ok()
            .filter(|len| len & LINKED == 0)
            .expect("a record is far smaller than 2 GiB");
        let mark = if linked { LINKED } else { 0 };
        self.bytes.extend_from_slice(&(len | mark).to_le_bytes());
        let at = self.bytes.len();
        self.bytes.extend_from_slice(kept);
        self.last_hash_at = (kept.len() >= OWN_HASH.end).then_some(at + OWN_HASH.start);
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
    pub fn get(&self, seq: u64) -> Option<Cow<'_, [u8]>> {
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
        self.last_hash_at = None;
    }
}

fn ends_with_link(record: &[u8], hash: &[u8]) -> bool {
    record.len() >= LINK_BYTES && {
        let link = &record[record.len() - LINK_BYTES..];
        link[0] == HASH_BYTES as u8 && &link[1..] == hash
    }
}

/// The records of a stored value, in order; a bare format-1 record is a chunk of one.
pub fn records(value: &[u8]) -> Records<'_> {
    match value.split_first() {
        Some((&MARK, rest)) => Records::Framed {
            rest,
            last_hash: None,
        },
        _ => Records::Bare(Some(value)),
    }
}

/// The `index`-th record of a stored value (0 is the first).
pub fn nth_record(value: &[u8], index: u64) -> Result<Cow<'_, [u8]>, DecodeError> {
    let index = usize::try_from(index).map_err(|_| missing())?;
    records(value).nth(index).unwrap_or_else(|| Err(missing()))
}

fn missing() -> DecodeError {
    DecodeError::Corrupt("记录块中没有这一条".into())
}

pub enum Records<'a> {
    Bare(Option<&'a [u8]>),
    Framed {
        rest: &'a [u8],
        /// The own hash of the record before, for the link of a record stored without it.
        last_hash: Option<&'a [u8]>,
    },
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Cow<'a, [u8]>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Records::Bare(value) => value.take().map(|v| Ok(Cow::Borrowed(v))),
            Records::Framed { rest: [], .. } => None,
            Records::Framed { rest, last_hash } => {
                let next = split_framed(rest);
                // A broken frame ends the walk: nothing after it can be located.
                *rest = next.as_ref().map_or(&[], |(_, _, after)| after);
                Some(next.and_then(|(kept, linked, _)| {
                    let record = relink(kept, linked, *last_hash)?;
                    *last_hash = kept.get(OWN_HASH);
                    Ok(record)
                }))
            }
        }
    }
}

/// A record as it was before its link was left out, if it was.
fn relink<'a>(
    kept: &'a [u8],
    linked: bool,
    last_hash: Option<&[u8]>,
) -> Result<Cow<'a, [u8]>, DecodeError> {
    if !linked {
        return Ok(Cow::Borrowed(kept));
    }
    let hash = last_hash.ok_or_else(|| DecodeError::Corrupt("记录块的链接标记损坏".into()))?;
    let mut record = Vec::with_capacity(kept.len() + LINK_BYTES);
    record.extend_from_slice(kept);
    record.push(HASH_BYTES as u8);
    record.extend_from_slice(hash);
    Ok(Cow::Owned(record))
}

/// The next frame: the record's stored bytes, whether its link was left out, and what follows.
fn split_framed(bytes: &[u8]) -> Result<(&[u8], bool, &[u8]), DecodeError> {
    let broken = || DecodeError::Corrupt("记录块的长度标记损坏".into());
    let (len, rest) = bytes.split_first_chunk::<LEN_BYTES>().ok_or_else(broken)?;
    let len = u32::from_le_bytes(*len);
    let linked = len & LINKED != 0;
    let len = usize::try_from(len & !LINKED).map_err(|_| broken())?;
    let (record, after) = rest.split_at_checked(len).ok_or_else(broken)?;
    Ok((record, linked, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_order_and_a_bare_record_is_a_chunk_of_one() {
        let mut chunk = ChunkBuilder::new(7);
        chunk.push(b"\x01first");
        chunk.push(b"\x01second record");
        let all: Vec<Cow<[u8]>> = records(chunk.bytes()).map(Result::unwrap).collect();
        assert_eq!(all, [&b"\x01first"[..], &b"\x01second record"[..]]);
        assert_eq!(chunk.get(8).as_deref(), Some(&b"\x01second record"[..]));
        assert_eq!(chunk.get(9), None);
        assert_eq!(chunk.get(6), None);
        let bare: Vec<Cow<[u8]>> = records(b"\x01bare").map(Result::unwrap).collect();
        assert_eq!(bare, [&b"\x01bare"[..]]);
    }

    /// `[version][own hash][body][link to the hash of the record before]`.
    fn record(own: u8, body: &[u8], prev: u8) -> Vec<u8> {
        let mut r = vec![2];
        r.extend([own; HASH_BYTES]);
        r.extend_from_slice(body);
        r.push(HASH_BYTES as u8);
        r.extend([prev; HASH_BYTES]);
        r
    }

    #[test]
    fn a_link_to_the_record_before_is_left_out_and_put_back() {
        let chained = [record(1, b"a", 0), record(2, b"bb", 1), record(3, b"c", 2)];
        let unchained = record(9, b"d", 7);
        let mut chunk = ChunkBuilder::new(1);
        for r in chained.iter().chain([&unchained]) {
            chunk.push(r);
        }
        let stored: usize = chained.iter().chain([&unchained]).map(Vec::len).sum();
        assert_eq!(
            chunk.bytes().len(),
            1 + 4 * LEN_BYTES + stored - 2 * LINK_BYTES,
            "the first record keeps its link, and so does one that does not follow its predecessor"
        );
        let all: Vec<Cow<[u8]>> = records(chunk.bytes()).map(Result::unwrap).collect();
        assert_eq!(all, [&chained[0][..], &chained[1], &chained[2], &unchained]);
        assert_eq!(chunk.get(3).as_deref(), Some(chained[2].as_slice()));
    }

    #[test]
    fn a_link_mark_on_the_first_record_is_an_error() {
        let mut bytes = vec![MARK];
        bytes.extend((3 | LINKED).to_le_bytes());
        bytes.extend(b"\x02ab");
        let all: Vec<_> = records(&bytes).collect();
        assert!(matches!(all.as_slice(), [Err(DecodeError::Corrupt(_))]));
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
