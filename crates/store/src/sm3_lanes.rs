//! SM3 (GB/T 32905) for the import's hot path: many records' bodies hashed at once, one per SIMD lane.
//!
//! Why: the chain closes one record at a time, so the parsing thread hashes each record's body ahead
//! and the storing thread only adds the record's place in the chain. Sixteen bodies in the lanes of
//! AVX-512 registers (eight with AVX2) cost little more than one body in general registers. The
//! result is SM3's chaining value after the body, zero-filled to whole 64-byte blocks; [`finish`]
//! closes it with the rest of the record and SM3's own padding. Every path is checked against the
//! `sm3` crate (the tests below, one of them a proptest).
//!
//! This is the one module with `unsafe`: SIMD intrinsics, called only after the CPU was asked whether
//! it has them.

/// SM3's chaining value: eight 32-bit words.
pub type State = [u32; 8];

pub const BLOCK_BYTES: usize = 64;

const IV: State = [
    0x7380_166f,
    0x4914_b2b9,
    0x1724_42d7,
    0xda8a_0600,
    0xa96f_30bc,
    0x1631_38aa,
    0xe38d_ee4d,
    0xb0fb_0e4e,
];

/// The round constants, already rotated left by the round number as the compression uses them.
const T: [u32; 64] = {
    let mut t = [0u32; 64];
    let mut j = 0;
    while j < 64 {
        let base: u32 = if j < 16 { 0x79cc_4519 } else { 0x7a87_9d8a };
        t[j] = base.rotate_left((j % 32) as u32);
        j += 1;
    }
    t
};

/// The chaining value of each message followed by zero bytes up to a multiple of 64 bytes, written
/// into `out` (as long as `messages`).
pub fn absorb_zero_filled(messages: &[&[u8]], out: &mut [State]) {
    assert_eq!(messages.len(), out.len(), "one state per message");
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            done = absorb_groups(messages, out, 16, |m, o| {
                // SAFETY: the CPU has AVX-512F (checked just above).
                unsafe { x86::absorb_avx512(m, o) }
            });
        } else if std::arch::is_x86_feature_detected!("avx2") {
            done = absorb_groups(messages, out, 8, |m, o| {
                // SAFETY: the CPU has AVX2 (checked just above).
                unsafe { x86::absorb_avx2(m, o) }
            });
        }
    }
    for (message, state) in messages[done..].iter().zip(&mut out[done..]) {
        // SAFETY: `u32` lanes are plain integer arithmetic.
        unsafe { absorb_lanes::<u32>(std::slice::from_ref(message), std::slice::from_mut(state)) };
    }
}

/// Runs `absorb` on every whole group of `lanes` messages; returns how many messages it covered.
fn absorb_groups(
    messages: &[&[u8]],
    out: &mut [State],
    lanes: usize,
    absorb: impl Fn(&[&[u8]], &mut [State]),
) -> usize {
    let groups = messages.len() / lanes;
    for (m, o) in messages
        .chunks_exact(lanes)
        .zip(out.chunks_exact_mut(lanes))
    {
        absorb(m, o);
    }
    groups * lanes
}

/// Closes a hash: `absorbed` bytes went into `state` (whole blocks), then `tail` and SM3's padding.
pub fn finish(mut state: State, absorbed: u64, tail: &[u8]) -> [u8; 32] {
    debug_assert!(absorbed.is_multiple_of(BLOCK_BYTES as u64));
    let bits = absorbed.wrapping_add(tail.len() as u64).wrapping_mul(8);
    let mut rest = tail;
    while rest.len() >= BLOCK_BYTES {
        let (block, after) = rest.split_at(BLOCK_BYTES);
        compress_one(&mut state, block);
        rest = after;
    }
    let mut last = [0u8; 2 * BLOCK_BYTES];
    last[..rest.len()].copy_from_slice(rest);
    last[rest.len()] = 0x80;
    let end = if rest.len() < BLOCK_BYTES - 8 {
        BLOCK_BYTES
    } else {
        2 * BLOCK_BYTES
    };
    last[end - 8..end].copy_from_slice(&bits.to_be_bytes());
    for block in last[..end].chunks_exact(BLOCK_BYTES) {
        compress_one(&mut state, block);
    }
    let mut digest = [0u8; 32];
    for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// One block in general registers: the storing thread's share of each record's hash, so the one
/// that sets an import's pace. BMI2's three-operand rotations save a move per rotation where the CPU
/// has them.
fn compress_one(state: &mut State, block: &[u8]) {
    let mut words = [0u32; 16];
    for (word, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("bmi2") {
        // SAFETY: the CPU has BMI1 and BMI2 (BMI2 implies BMI1 on every CPU that has it; checked).
        return unsafe { x86::compress_bmi(state, &words) };
    }
    // SAFETY: `u32` lanes are plain integer arithmetic.
    unsafe { compress(state, &words) };
}

/// Words in SIMD lanes (or one word in a general register). The methods are `unsafe` because the
/// vector ones need CPU features: they are called only from functions compiled with those features,
/// after the CPU was checked; `#[inline(always)]` puts them inside those functions.
trait Lanes: Copy {
    const N: usize;
    unsafe fn splat(x: u32) -> Self;
    /// Lane `l` gets `words[l]`; `words` has at least `N` words.
    unsafe fn load(words: &[u32]) -> Self;
    unsafe fn store(self, words: &mut [u32]);
    unsafe fn add(self, other: Self) -> Self;
    unsafe fn xor(self, other: Self) -> Self;
    unsafe fn rotl(self, n: u32) -> Self;
    unsafe fn xor3(a: Self, b: Self, c: Self) -> Self {
        a.xor(b).xor(c)
    }
    unsafe fn majority(a: Self, b: Self, c: Self) -> Self;
    /// `e ? f : g`, bit by bit.
    unsafe fn choose(e: Self, f: Self, g: Self) -> Self;
    /// `new` in the lanes whose bit is set in `active`, `old` elsewhere.
    unsafe fn keep(old: Self, new: Self, active: u32) -> Self;
}

impl Lanes for u32 {
    const N: usize = 1;
    #[inline(always)]
    unsafe fn splat(x: u32) -> u32 {
        x
    }
    #[inline(always)]
    unsafe fn load(words: &[u32]) -> u32 {
        words[0]
    }
    #[inline(always)]
    unsafe fn store(self, words: &mut [u32]) {
        words[0] = self;
    }
    #[inline(always)]
    unsafe fn add(self, other: u32) -> u32 {
        self.wrapping_add(other)
    }
    #[inline(always)]
    unsafe fn xor(self, other: u32) -> u32 {
        self ^ other
    }
    #[inline(always)]
    unsafe fn rotl(self, n: u32) -> u32 {
        self.rotate_left(n)
    }
    #[inline(always)]
    unsafe fn majority(a: u32, b: u32, c: u32) -> u32 {
        (a & b) | (c & (a | b))
    }
    #[inline(always)]
    unsafe fn choose(e: u32, f: u32, g: u32) -> u32 {
        (e & f) | (!e & g)
    }
    #[inline(always)]
    unsafe fn keep(old: u32, new: u32, active: u32) -> u32 {
        if active & 1 == 1 {
            new
        } else {
            old
        }
    }
}

#[inline(always)]
unsafe fn p0<V: Lanes>(x: V) -> V {
    V::xor3(x, x.rotl(9), x.rotl(17))
}

#[inline(always)]
unsafe fn p1<V: Lanes>(x: V) -> V {
    V::xor3(x, x.rotl(15), x.rotl(23))
}

/// One round of SM3's compression; the caller renames the registers between rounds instead of
/// moving them (as GB/T 32905 §5.3.3 moves them).
macro_rules! round {
    ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident,
     $w:ident, $j:expr, $ff:ident, $gg:ident) => {
        let a12 = $a.rotl(12);
        let ss1 = a12.add($e).add(V::splat(T[$j])).rotl(7);
        let ss2 = ss1.xor(a12);
        $d = V::$ff($a, $b, $c)
            .add($d)
            .add(ss2)
            .add($w[$j].xor($w[$j + 4]));
        $h = p0(V::$gg($e, $f, $g).add($h).add(ss1).add($w[$j]));
        $b = $b.rotl(9);
        $f = $f.rotl(19);
    };
}

/// Four rounds: after them every register is back under its own name.
macro_rules! four_rounds {
    ([$a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident],
     $w:ident, $j:expr, $ff:ident, $gg:ident) => {
        round!($a, $b, $c, $d, $e, $f, $g, $h, $w, $j, $ff, $gg);
        round!($d, $a, $b, $c, $h, $e, $f, $g, $w, $j + 1, $ff, $gg);
        round!($c, $d, $a, $b, $g, $h, $e, $f, $w, $j + 2, $ff, $gg);
        round!($b, $c, $d, $a, $f, $g, $h, $e, $w, $j + 3, $ff, $gg);
    };
}

/// SM3's compression function (GB/T 32905 §5.3), on every lane at once; unrolled, so that every
/// index is a constant.
#[inline(always)]
unsafe fn compress<V: Lanes>(state: &mut [V; 8], block: &[V; 16]) {
    let mut w = [V::splat(0); 68];
    w[..16].copy_from_slice(block);
    for j in 16..68 {
        let x = V::xor3(w[j - 16], w[j - 9], w[j - 3].rotl(15));
        w[j] = V::xor3(p1(x), w[j - 13].rotl(7), w[j - 6]);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    four_rounds!([a, b, c, d, e, f, g, h], w, 0, xor3, xor3);
    four_rounds!([a, b, c, d, e, f, g, h], w, 4, xor3, xor3);
    four_rounds!([a, b, c, d, e, f, g, h], w, 8, xor3, xor3);
    four_rounds!([a, b, c, d, e, f, g, h], w, 12, xor3, xor3);
    four_rounds!([a, b, c, d, e, f, g, h], w, 16, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 20, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 24, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 28, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 32, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 36, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 40, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 44, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 48, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 52, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 56, majority, choose);
    four_rounds!([a, b, c, d, e, f, g, h], w, 60, majority, choose);
    for (old, new) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *old = old.xor(new);
    }
}

/// Absorbs `V::N` messages (or fewer, for `u32`: one), each zero-filled to whole blocks.
#[inline(always)]
unsafe fn absorb_lanes<V: Lanes>(messages: &[&[u8]], out: &mut [State]) {
    let lanes = messages.len();
    debug_assert!(lanes <= V::N && lanes <= 16);
    let blocks = |m: &[u8]| m.len().div_ceil(BLOCK_BYTES);
    let most = messages.iter().map(|m| blocks(m)).max().unwrap_or(0);
    let mut state = [V::splat(0); 8];
    for (i, s) in state.iter_mut().enumerate() {
        *s = V::splat(IV[i]);
    }
    // words[w][lane]: word w of each lane's current block.
    let mut words = [[0u32; 16]; 16];
    for at in 0..most {
        let mut active = 0u32;
        for (lane, message) in messages.iter().enumerate() {
            if at < blocks(message) {
                active |= 1 << lane;
            }
            load_block(message, at, lane, &mut words);
        }
        let mut block = [V::splat(0); 16];
        for (v, row) in block.iter_mut().zip(&words) {
            *v = V::load(row);
        }
        let mut next = state;
        compress(&mut next, &block);
        for (s, n) in state.iter_mut().zip(next) {
            *s = V::keep(*s, n, active);
        }
    }
    let mut result = [[0u32; 16]; 8];
    for (v, row) in state.iter().zip(&mut result) {
        v.store(row);
    }
    for (lane, o) in out.iter_mut().enumerate().take(lanes) {
        for (i, word) in o.iter_mut().enumerate() {
            *word = result[i][lane];
        }
    }
}

/// Writes block `at` of `message`, zero-filled, as big-endian words into column `lane` of `words`.
#[inline(always)]
fn load_block(message: &[u8], at: usize, lane: usize, words: &mut [[u32; 16]; 16]) {
    let start = (at * BLOCK_BYTES).min(message.len());
    let bytes = &message[start..message.len().min(start + BLOCK_BYTES)];
    if bytes.len() == BLOCK_BYTES {
        for (i, b) in bytes.chunks_exact(4).enumerate() {
            words[i][lane] = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        }
    } else {
        let mut block = [0u8; BLOCK_BYTES];
        block[..bytes.len()].copy_from_slice(bytes);
        for (i, b) in block.chunks_exact(4).enumerate() {
            words[i][lane] = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{absorb_lanes, compress, Lanes, State};

    #[target_feature(enable = "avx512f")]
    pub unsafe fn absorb_avx512(messages: &[&[u8]], out: &mut [State]) {
        absorb_lanes::<__m512i>(messages, out)
    }

    #[target_feature(enable = "bmi1,bmi2")]
    pub unsafe fn compress_bmi(state: &mut State, words: &[u32; 16]) {
        compress::<u32>(state, words)
    }

    #[target_feature(enable = "avx2")]
    pub unsafe fn absorb_avx2(messages: &[&[u8]], out: &mut [State]) {
        absorb_lanes::<__m256i>(messages, out)
    }

    impl Lanes for __m512i {
        const N: usize = 16;
        #[inline(always)]
        unsafe fn splat(x: u32) -> Self {
            _mm512_set1_epi32(x as i32)
        }
        #[inline(always)]
        unsafe fn load(words: &[u32]) -> Self {
            assert!(words.len() >= 16);
            _mm512_loadu_si512(words.as_ptr().cast())
        }
        #[inline(always)]
        unsafe fn store(self, words: &mut [u32]) {
            assert!(words.len() >= 16);
            _mm512_storeu_si512(words.as_mut_ptr().cast(), self)
        }
        #[inline(always)]
        unsafe fn add(self, other: Self) -> Self {
            _mm512_add_epi32(self, other)
        }
        #[inline(always)]
        unsafe fn xor(self, other: Self) -> Self {
            _mm512_xor_si512(self, other)
        }
        #[inline(always)]
        unsafe fn rotl(self, n: u32) -> Self {
            _mm512_rolv_epi32(self, _mm512_set1_epi32(n as i32))
        }
        #[inline(always)]
        unsafe fn xor3(a: Self, b: Self, c: Self) -> Self {
            _mm512_ternarylogic_epi32::<0x96>(a, b, c)
        }
        #[inline(always)]
        unsafe fn majority(a: Self, b: Self, c: Self) -> Self {
            _mm512_ternarylogic_epi32::<0xE8>(a, b, c)
        }
        #[inline(always)]
        unsafe fn choose(e: Self, f: Self, g: Self) -> Self {
            _mm512_ternarylogic_epi32::<0xCA>(e, f, g)
        }
        #[inline(always)]
        unsafe fn keep(old: Self, new: Self, active: u32) -> Self {
            _mm512_mask_mov_epi32(old, active as __mmask16, new)
        }
    }

    impl Lanes for __m256i {
        const N: usize = 8;
        #[inline(always)]
        unsafe fn splat(x: u32) -> Self {
            _mm256_set1_epi32(x as i32)
        }
        #[inline(always)]
        unsafe fn load(words: &[u32]) -> Self {
            assert!(words.len() >= 8);
            _mm256_loadu_si256(words.as_ptr().cast())
        }
        #[inline(always)]
        unsafe fn store(self, words: &mut [u32]) {
            assert!(words.len() >= 8);
            _mm256_storeu_si256(words.as_mut_ptr().cast(), self)
        }
        #[inline(always)]
        unsafe fn add(self, other: Self) -> Self {
            _mm256_add_epi32(self, other)
        }
        #[inline(always)]
        unsafe fn xor(self, other: Self) -> Self {
            _mm256_xor_si256(self, other)
        }
        #[inline(always)]
        unsafe fn rotl(self, n: u32) -> Self {
            let left = _mm256_sll_epi32(self, _mm_cvtsi32_si128(n as i32));
            let right = _mm256_srl_epi32(self, _mm_cvtsi32_si128(32 - n as i32));
            _mm256_or_si256(left, right)
        }
        #[inline(always)]
        unsafe fn majority(a: Self, b: Self, c: Self) -> Self {
            _mm256_or_si256(
                _mm256_and_si256(a, b),
                _mm256_and_si256(c, _mm256_or_si256(a, b)),
            )
        }
        #[inline(always)]
        unsafe fn choose(e: Self, f: Self, g: Self) -> Self {
            _mm256_or_si256(_mm256_and_si256(e, f), _mm256_andnot_si256(e, g))
        }
        #[inline(always)]
        unsafe fn keep(old: Self, new: Self, active: u32) -> Self {
            let bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
            let lanes = _mm256_and_si256(_mm256_set1_epi32(active as i32), bit);
            let mask = _mm256_cmpeq_epi32(lanes, bit);
            _mm256_blendv_epi8(old, new, mask)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm3::Digest;

    /// SM3 of `message`, zero-filled to whole blocks, then `tail`: by the `sm3` crate.
    fn reference(message: &[u8], tail: &[u8]) -> [u8; 32] {
        let mut hasher = sm3::Sm3::new();
        hasher.update(message);
        hasher.update(vec![
            0u8;
            message.len().next_multiple_of(BLOCK_BYTES)
                - message.len()
        ]);
        hasher.update(tail);
        hasher.finalize().into()
    }

    fn message(i: usize) -> Vec<u8> {
        (0..(i * 37) % 300).map(|b| (b * 7 + i) as u8).collect()
    }

    #[test]
    fn matches_the_standard_example() {
        // GB/T 32905-2016, example 1: SM3("abc").
        let digest = finish(IV, 0, b"abc");
        assert_eq!(digest, <[u8; 32]>::from(sm3::Sm3::digest(b"abc")));
    }

    #[test]
    fn every_group_size_and_length_matches_the_sm3_crate() {
        for count in [1, 7, 8, 9, 15, 16, 17, 33, 40] {
            let messages: Vec<Vec<u8>> = (0..count).map(message).collect();
            let slices: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
            let mut states = vec![[0u32; 8]; count];
            absorb_zero_filled(&slices, &mut states);
            let tails: Vec<u8> = (0..130u8).collect();
            for (i, (m, s)) in messages.iter().zip(&states).enumerate() {
                let tail = &tails[..i * 5 % 130];
                let absorbed = m.len().next_multiple_of(BLOCK_BYTES) as u64;
                assert_eq!(
                    finish(*s, absorbed, tail),
                    reference(m, tail),
                    "message {i}"
                );
            }
        }
    }

    /// The AVX2 path, which a CPU with AVX-512 would otherwise never take.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_path_matches_the_sm3_crate_where_the_cpu_has_it() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let messages: Vec<Vec<u8>> = (0..8).map(message).collect();
        let slices: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let mut states = [[0u32; 8]; 8];
        // SAFETY: the CPU has AVX2 (checked above).
        unsafe { x86::absorb_avx2(&slices, &mut states) };
        for (m, s) in messages.iter().zip(states) {
            let absorbed = m.len().next_multiple_of(BLOCK_BYTES) as u64;
            assert_eq!(finish(s, absorbed, b"place"), reference(m, b"place"));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_messages_hash_as_the_sm3_crate_hashes_them(
            messages in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..300), 0..40),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..150),
        ) {
            let slices: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
            let mut states = vec![[0u32; 8]; messages.len()];
            absorb_zero_filled(&slices, &mut states);
            for (m, s) in messages.iter().zip(&states) {
                let absorbed = m.len().next_multiple_of(BLOCK_BYTES) as u64;
                proptest::prop_assert_eq!(finish(*s, absorbed, &tail), reference(m, &tail));
            }
        }
    }

    #[test]
    fn the_portable_path_matches_the_sm3_crate() {
        for i in 0..20 {
            let m = message(i);
            let mut state = [IV];
            // SAFETY: `u32` lanes are plain integer arithmetic.
            unsafe { absorb_lanes::<u32>(&[m.as_slice()], &mut state) };
            let absorbed = m.len().next_multiple_of(BLOCK_BYTES) as u64;
            assert_eq!(finish(state[0], absorbed, b"tail"), reference(&m, b"tail"));
        }
    }
}
