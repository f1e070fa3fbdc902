//! The keys posted in the open batch, remembered approximately (a Bloom filter).
//!
//! Checking a new entry's key is the import's most common lookup. Whether it was posted before the
//! batch is looked up ahead on the parsing thread, in a read snapshot; whether it was posted earlier
//! in this batch is asked here first: "no" is certain and costs a memory read or two, "maybe"
//! (every duplicate, and a few % of the rest) falls back to the index. A set of the keys themselves would
//! cost tens of MB for a million-row import; this costs about 1.5 MB.

use std::hash::{Hash, Hasher};

use taizhang_core::EntryKey;

/// Bits per key a filter is sized for. Each key sets [`PROBES`] bits of one 64-bit word (a blocked
/// Bloom filter: one memory access per filter instead of one per probe), a few % false "maybe".
/// Small on purpose: a filter for a million keys (1 MB) stays in the core's cache, and a false
/// "maybe" costs only an index lookup.
const BITS_PER_KEY: usize = 8;
const PROBES: u32 = 4;
/// Keys the first filter is sized for, unless told more; each further filter holds four times the
/// one before, so a query asks few filters.
const FIRST_CAPACITY: usize = 1 << 14;

/// Filters of growing size: a batch's size is not known in advance.
#[derive(Debug, Default)]
pub struct SeenKeys {
    filters: Vec<Filter>,
}

#[derive(Debug)]
struct Filter {
    words: Vec<u64>,
    capacity: usize,
    len: usize,
}

impl SeenKeys {
    /// Room for about `keys` keys in the first filter, so that a batch of that size asks one.
    pub fn with_capacity(keys: usize) -> SeenKeys {
        SeenKeys {
            filters: vec![Filter::new(keys.max(FIRST_CAPACITY))],
        }
    }

    pub fn insert(&mut self, key: &EntryKey) {
        let hash = hash_of(key);
        let full = self.filters.last().is_none_or(|f| f.len >= f.capacity);
        if full {
            let capacity = self
                .filters
                .last()
                .map_or(FIRST_CAPACITY, |f| f.capacity * 4);
            self.filters.push(Filter::new(capacity));
        }
        self.filters
            .last_mut()
            .expect("a filter was just ensured")
            .insert(hash);
    }

    pub fn is_empty(&self) -> bool {
        self.filters.iter().all(|f| f.len == 0)
    }

    /// Whether the key may have been inserted before; inserts it.
    pub fn may_contain_then_insert(&mut self, key: &EntryKey) -> bool {
        let seen = self.may_contain(key);
        self.insert(key);
        seen
    }

    /// False only if the key was certainly not inserted.
    pub fn may_contain(&self, key: &EntryKey) -> bool {
        let hash = hash_of(key);
        self.filters.iter().any(|f| f.may_contain(hash))
    }
}

impl Filter {
    fn new(capacity: usize) -> Filter {
        let words = (capacity * BITS_PER_KEY / 64).max(1);
        Filter {
            words: vec![0; words],
            capacity,
            len: 0,
        }
    }

    /// The word a hash falls in (its high half scaled to the length, which need not be a power of
    /// two) and the bits it sets there (six bits each of the low half).
    fn place(&self, hash: u64) -> (usize, u64) {
        let word = (((hash >> 32) * self.words.len() as u64) >> 32) as usize;
        let bits = (0..PROBES).fold(0u64, |bits, i| bits | 1 << ((hash >> (6 * i)) & 63));
        (word, bits)
    }

    fn insert(&mut self, hash: u64) {
        let (word, bits) = self.place(hash);
        self.words[word] |= bits;
        self.len += 1;
    }

    fn may_contain(&self, hash: u64) -> bool {
        let (word, bits) = self.place(hash);
        self.words[word] & bits == bits
    }
}

fn hash_of(key: &EntryKey) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    key.hash(&mut hasher);
    mix(hasher.finish())
}

/// MurmurHash3's finaliser: Fx leaves the low bits of string hashes poorly mixed.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voucher(n: usize) -> EntryKey {
        EntryKey::Voucher(format!("PAY{n:09}"))
    }

    #[test]
    fn every_inserted_key_is_found_and_few_others_are() {
        let mut seen = SeenKeys::default();
        for n in 0..200_000 {
            seen.insert(&voucher(n));
        }
        assert!((0..200_000).all(|n| seen.may_contain(&voucher(n))));
        let false_maybes = (200_000..300_000)
            .filter(|&n| seen.may_contain(&voucher(n)))
            .count();
        // A few % per filter, and a query asks every filter.
        assert!(false_maybes < 10_000, "{false_maybes} false maybes");
        let mut sized = SeenKeys::with_capacity(200_000);
        (0..200_000).for_each(|n| sized.insert(&voucher(n)));
        assert_eq!(sized.filters.len(), 1);
        assert!((0..200_000).all(|n| sized.may_contain(&voucher(n))));
    }
}
