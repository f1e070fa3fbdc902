//! The hash of the chain: SM3 (GB/T 32905, what 密评 asks of government systems) by default,
//! SHA-256 when chosen at `init`. The choice is recorded in the ledger header.

use sha2::Digest;

use crate::record::{self, HASH_BYTES};
use crate::sm3_lanes;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgo {
    Sm3,
    Sha256,
}

impl HashAlgo {
    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Sm3 => "sm3",
            HashAlgo::Sha256 => "sha256",
        }
    }

    pub fn parse(name: &str) -> Option<HashAlgo> {
        match name.to_ascii_lowercase().as_str() {
            "sm3" => Some(HashAlgo::Sm3),
            "sha256" | "sha-256" => Some(HashAlgo::Sha256),
            _ => None,
        }
    }

    /// The hash of a whole byte string: a record's payload (which holds the previous hash), a
    /// document.
    pub fn digest(self, bytes: &[u8]) -> [u8; HASH_BYTES] {
        let mut hasher = Hasher::new(self);
        hasher.update(bytes);
        hasher.finish()
    }

    /// The size and hash of everything `reader` gives, read a piece at a time (an imported file, a
    /// document): never held whole in memory.
    pub fn digest_reader(
        self,
        mut reader: impl std::io::Read,
    ) -> std::io::Result<(u64, [u8; HASH_BYTES])> {
        let mut hasher = Hasher::new(self);
        let mut buffer = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = reader.read(&mut buffer)?;
            if n == 0 {
                return Ok((size, hasher.finish()));
            }
            size += n as u64;
            hasher.update(&buffer[..n]);
        }
    }
}

/// A hash being computed, fed in parts.
#[derive(Clone)]
pub enum Hasher {
    Sm3(sm3::Sm3),
    Sha256(sha2::Sha256),
}

impl Hasher {
    pub fn new(algo: HashAlgo) -> Hasher {
        match algo {
            HashAlgo::Sm3 => Hasher::Sm3(sm3::Sm3::new()),
            HashAlgo::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sm3(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    pub fn finish(self) -> [u8; HASH_BYTES] {
        match self {
            Hasher::Sm3(h) => h.finalize().into(),
            Hasher::Sha256(h) => h.finalize().into(),
        }
    }
}

/// A record's hash computed ahead, up to its place in the chain: over the payload's first part and
/// the zeros that fill its last block (record version 2, see `record::payload_hash`).
pub enum Ahead {
    Sm3 {
        state: sm3_lanes::State,
        absorbed: u64,
    },
    Sha256(sha2::Sha256),
}

impl HashAlgo {
    /// Hashes each first part ahead; SM3 hashes many at once (`sm3_lanes`).
    pub fn ahead(self, parts: &[&[u8]]) -> Vec<Ahead> {
        match self {
            HashAlgo::Sm3 => {
                let mut states = vec![[0; 8]; parts.len()];
                sm3_lanes::absorb_zero_filled(parts, &mut states);
                let absorbed =
                    |part: &[u8]| (part.len() + record::zero_fill(part.len()).len()) as u64;
                states
                    .into_iter()
                    .zip(parts)
                    .map(|(state, part)| Ahead::Sm3 {
                        state,
                        absorbed: absorbed(part),
                    })
                    .collect()
            }
            HashAlgo::Sha256 => parts
                .iter()
                .map(|part| {
                    let mut hasher = sha2::Sha256::new();
                    hasher.update(part);
                    hasher.update(record::zero_fill(part.len()));
                    Ahead::Sha256(hasher)
                })
                .collect(),
        }
    }
}

impl Ahead {
    /// The record's hash, given the rest of its payload: its place in the chain.
    pub fn finish(self, place: &[u8]) -> [u8; HASH_BYTES] {
        match self {
            Ahead::Sm3 { state, absorbed } => sm3_lanes::finish(state, absorbed, place),
            Ahead::Sha256(mut hasher) => {
                hasher.update(place);
                hasher.finalize().into()
            }
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_matches_the_standard_example() {
        // GB/T 32905-2016, example 1: SM3("abc").
        assert_eq!(
            hex(&HashAlgo::Sm3.digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(unhex("0aff"), Some(vec![10, 255]));
        assert_eq!(unhex("0g"), None);
    }
}
