//! Reading an import file as text: UTF-8 (with or without BOM) or GB18030/GBK, detected.
//!
//! The file is streamed, never held whole: a first pass checks that it is valid UTF-8 (cheap), and
//! if it is not, the second pass decodes it as GB18030, refusing bytes that are neither. The first
//! pass stops early once it has seen enough non-ASCII text that is valid UTF-8 ([`ENOUGH_NON_ASCII`]):
//! Chinese text in GB18030 is not valid UTF-8 for long, and every row is still checked as UTF-8
//! when it is read, so a file that turns invalid later is refused at that row, never misread.
//!
//! Valid UTF-8 is not proof, though: a few GBK characters are valid UTF-8 by chance ("小学" in GBK
//! reads as "Сѧ"), so a short file from Excel on a Chinese Windows would be stored as garbage. Within
//! the same bound the first pass also notes what the UTF-8 reading holds ([`Seen`]); a file without
//! BOM whose UTF-8 reading has no Chinese at all but letters of other scripts is decided by
//! [`decide`] (docs/decisions.md, "GBK text that is valid UTF-8").

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use encoding_rs::{DecoderResult, GB18030};

const CHUNK_BYTES: usize = 64 * 1024;
/// Valid UTF-8 with this many non-ASCII bytes is UTF-8. A GB18030 character passes as UTF-8 by
/// chance about one time in five (a lead byte C2–DF, a trail byte below C0); a thousand Chinese
/// characters in a row never do. Before that much text, the whole file is checked.
const ENOUGH_NON_ASCII: usize = 4096;
/// The longest sample of the first non-ASCII text an ambiguity message shows, in bytes.
const SAMPLE_BYTES: usize = 24;
/// How far into the file the sample of a refusal is looked for.
const SAMPLE_READ_BYTES_MAX: u64 = 1 << 20;
/// Text is scanned for non-ASCII bytes this many at a time.
const BLOCK: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gb18030 => "GB18030",
        }
    }
}

/// A file that reads as plausible text both as UTF-8 and as GB18030: refused rather than guessed.
/// The sample is the file's first non-ASCII text, read both ways.
#[derive(Debug)]
pub struct Ambiguous {
    pub as_utf8: String,
    pub as_gb18030: String,
}

impl std::fmt::Display for Ambiguous {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "无法判断文件的编码：按 UTF-8 读是“{}”，按 GB18030 读是“{}”；\
             请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”后再导入",
            self.as_utf8, self.as_gb18030
        )
    }
}

impl std::error::Error for Ambiguous {}

/// What the UTF-8 reading of the file's first part holds, as far as the first pass read.
#[derive(Debug, Default)]
struct Seen {
    bom: bool,
    non_ascii: usize,
    /// Chinese characters, CJK punctuation or full-width forms: no GBK text misread gives these
    /// for long, and a Chinese unit's UTF-8 file has them.
    cjk: bool,
    /// C1 controls and U+0250–U+07FF but the combining accents (IPA, Greek, Cyrillic, Armenian,
    /// Hebrew, Arabic…): what GBK's Chinese characters (lead bytes C2–DF) become when misread, and
    /// what a Chinese ledger holds without any Chinese never.
    foreign: bool,
    /// A Latin-1 or Latin Extended letter or sign (U+00A0–U+024F), or a combining accent
    /// (U+0300–U+036F), with no ASCII letter or digit
    /// right before or after it. In Western text é, ë, ·, ×, ° sit in words and numbers ("Café
    /// Zoë", "5°", "3×4"); a GBK character misread as one (lead bytes C2–C9: 全 → ȫ, 农 → ũ)
    /// stands between commas or beside other Chinese.
    unanchored_latin: bool,
    /// The text from the first unanchored Latin character to the end of its run of non-ASCII bytes,
    /// at most [`SAMPLE_BYTES`], and where it ends.
    sample: Vec<u8>,
    sample_end: Option<u64>,
    sample_done: bool,
    /// Non-ASCII characters of the UTF-8 reading, and how many of them are in GB2312 (the common
    /// characters and signs): misread GBK gives rare characters, real text common ones.
    chars: usize,
    common: usize,
}

impl Seen {
    /// Notes the non-ASCII characters of a chunk of valid UTF-8 that starts at byte `offset`.
    fn note(&mut self, text: &str, offset: u64) {
        // Blocks of ASCII are skipped a word at a time: a file may hold little else.
        for (block, bytes) in text.as_bytes().chunks(BLOCK).enumerate() {
            if bytes.is_ascii() {
                continue;
            }
            for (j, &b) in bytes.iter().enumerate().filter(|(_, b)| !b.is_ascii()) {
                self.note_byte(text, block * BLOCK + j, b, offset);
            }
        }
    }

    fn note_byte(&mut self, text: &str, i: usize, b: u8, offset: u64) {
        self.non_ascii += 1;
        let at = offset + i as u64;
        let lead = b >= 0xC0;
        if lead {
            if let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) {
                self.classify(c, at, || anchored(text.as_bytes(), i, c.len_utf8()));
            }
        }
        self.sample_byte(b, at, lead);
    }

    fn classify(&mut self, c: char, at: u64, anchored: impl Fn() -> bool) {
        if u32::from(c) != 0xFEFF {
            self.chars += 1;
            self.common += usize::from(in_gb2312(c));
        }
        match u32::from(c) {
            0xFEFF if at == 0 => self.bom = true,
            0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF => {
                self.cjk = true
            }
            0x0080..=0x009F | 0x0250..=0x02FF | 0x0370..=0x07FF => self.foreign = true,
            // Combining accents count as Latin: decomposed Western text ("e\u{301}") has them.
            0x00A0..=0x024F | 0x0300..=0x036F if !anchored() => {
                self.unanchored_latin = true;
                // The sample starts here.
                self.sample_end.get_or_insert(at);
            }
            _ => {}
        }
    }

    fn sample_byte(&mut self, b: u8, at: u64, lead: bool) {
        let Some(end) = self.sample_end else {
            return;
        };
        if self.sample_done {
            return;
        }
        if end != at || (lead && self.sample.len() >= SAMPLE_BYTES) {
            self.sample_done = true;
            return;
        }
        self.sample.push(b);
        self.sample_end = Some(at + 1);
    }
}

/// Whether the character at `bytes[i..i + len]` has an ASCII letter or digit right before or after
/// it (within this chunk: at a chunk's edge it counts as not, which only errs towards asking).
fn anchored(bytes: &[u8], i: usize, len: usize) -> bool {
    let before = i.checked_sub(1).and_then(|j| bytes.get(j));
    let after = bytes.get(i + len);
    [before, after]
        .into_iter()
        .flatten()
        .any(u8::is_ascii_alphanumeric)
}

/// Detects the encoding by reading the file, up to the point where it is clear. An error whose
/// inner error is [`Ambiguous`] refuses a file that reads as text both ways.
pub fn detect(path: &Path) -> io::Result<Encoding> {
    let mut file = BufReader::with_capacity(CHUNK_BYTES, File::open(path)?);
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut carry = 0usize;
    let mut offset = 0u64;
    let mut seen = Seen::default();
    while seen.non_ascii < ENOUGH_NON_ASCII {
        let read = file.read(&mut buf[carry..])?;
        let filled = carry + read;
        if read == 0 {
            // A sequence cut off at the end is not UTF-8.
            if carry != 0 {
                return Ok(Encoding::Gb18030);
            }
            return decide(path, &seen, offset, true);
        }
        let text = match std::str::from_utf8(&buf[..filled]) {
            Ok(text) => text,
            // An incomplete sequence at the end of the chunk: kept for the next read.
            Err(e) if e.error_len().is_none() => match std::str::from_utf8(&buf[..e.valid_up_to()])
            {
                Ok(text) => text,
                Err(_) => return Ok(Encoding::Gb18030),
            },
            Err(_) => return Ok(Encoding::Gb18030),
        };
        seen.note(text, offset);
        let valid = text.len();
        offset += valid as u64;
        buf.copy_within(valid..filled, 0);
        carry = filled - valid;
    }
    decide(path, &seen, offset, false)
}

/// The encoding of a file whose first `scanned` bytes are valid UTF-8 (`whole`: all of it).
///
/// Valid UTF-8 is UTF-8 when it has a BOM, no non-ASCII text, or a GB18030 reading that is not
/// clean. Otherwise both readings are text, and the one whose characters are more often common
/// ones (in GB2312: the Chinese characters and signs of everyday text) wins: GBK misread as UTF-8
/// gives rare characters (瀚峰安 → 嫷尲, 皓博 → 𩲩) or Latin letters outside GB2312 (全 → ȫ), UTF-8
/// misread as GB18030 gives rare ones too. A tie is Western text when every Latin letter sits in a
/// word or number ("Café Zoë", "5°", decomposed accents) and nothing else foreign or Chinese is
/// there; any other tie (é between commas: 茅?) is refused rather than guessed.
fn decide(path: &Path, seen: &Seen, scanned: u64, whole: bool) -> io::Result<Encoding> {
    if seen.bom || seen.chars == 0 {
        return Ok(Encoding::Utf8);
    }
    // Latin letters and signs only, each in an ASCII word or number, most of them common ones:
    // Western text ("Café Zoë, 5°"), whose Latin-1 pairs GBK would read as common Chinese (茅, 毛).
    // GBK misread this way gives letters outside GB2312 ("3楼" → "3¥", "Q1全" → "Q1ȫ").
    let western = !seen.cjk && !seen.foreign && !seen.unanchored_latin;
    if western && seen.common * 2 >= seen.chars {
        return Ok(Encoding::Utf8);
    }
    let Some((gb_chars, gb_common)) = gb18030_reading(path, scanned, whole)? else {
        return Ok(Encoding::Utf8);
    };
    // Shares compared without division: common/chars of one reading against the other's.
    let utf8_share = seen.common * gb_chars.max(1);
    let gb_share = gb_common * seen.chars;
    if utf8_share > gb_share || (utf8_share == gb_share && western) {
        return Ok(Encoding::Utf8);
    }
    // GB18030 when its reading is nearly all common text and the UTF-8 one is not: mostly rare
    // characters, or letters of scripts a Chinese ledger does not hold (Сѧ).
    let gb_plain = gb_common * 5 >= gb_chars * 4;
    let utf8_odd = seen.common * 2 < seen.chars || seen.foreign;
    if gb_share > utf8_share && gb_plain && utf8_odd {
        return Ok(Encoding::Gb18030);
    }
    // Western text that the GB18030 reading does not clearly beat stays what it reads as.
    if western {
        return Ok(Encoding::Utf8);
    }
    let sample = if seen.sample.is_empty() {
        first_non_ascii_run(path, scanned)?
    } else {
        seen.sample.clone()
    };
    let (as_gb18030, _) = GB18030.decode_without_bom_handling(&sample);
    let ambiguous = Ambiguous {
        as_utf8: String::from_utf8_lossy(&sample).into_owned(),
        as_gb18030: as_gb18030.into_owned(),
    };
    Err(io::Error::new(io::ErrorKind::InvalidData, ambiguous))
}

/// Whether a character is in GB2312 (two bytes, A1–F7 then A1–FE, in GBK).
fn in_gb2312(c: char) -> bool {
    let mut utf8 = [0u8; 4];
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut utf8));
    !unmappable
        && matches!(*bytes, [lead, trail] if (0xA1..=0xF7).contains(&lead) && (0xA1..=0xFE).contains(&trail))
}

/// The first `scanned` bytes read as GB18030: its non-ASCII characters and how many are in GB2312,
/// or `None` if a sequence is malformed (`whole`: those bytes are the whole file, so a sequence cut
/// off at their end is malformed too).
fn gb18030_reading(path: &Path, scanned: u64, whole: bool) -> io::Result<Option<(usize, usize)>> {
    let mut file = File::open(path)?.take(scanned);
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut input = vec![0u8; CHUNK_BYTES];
    let mut text = String::new();
    let (mut chars, mut common) = (0usize, 0usize);
    loop {
        let read = file.read(&mut input)?;
        let last = read == 0 && whole;
        let mut at = 0;
        loop {
            text.clear();
            text.reserve(
                decoder
                    .max_utf8_buffer_length(read - at)
                    .unwrap_or(CHUNK_BYTES * 4),
            );
            let (result, used) =
                decoder.decode_to_string_without_replacement(&input[at..read], &mut text, last);
            at += used;
            for c in text.chars().filter(|c| !c.is_ascii()) {
                chars += 1;
                common += usize::from(in_gb2312(c));
            }
            match result {
                DecoderResult::Malformed(..) => return Ok(None),
                DecoderResult::OutputFull => {}
                DecoderResult::InputEmpty => break,
            }
        }
        if read == 0 {
            return Ok(Some((chars, common)));
        }
    }
}

/// The file's first run of non-ASCII bytes (at most [`SAMPLE_BYTES`] and a character), to show
/// both readings of in a refusal.
fn first_non_ascii_run(path: &Path, scanned: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?
        .take(scanned.min(SAMPLE_READ_BYTES_MAX))
        .read_to_end(&mut bytes)?;
    let run: Vec<u8> = bytes
        .iter()
        .skip_while(|b| b.is_ascii())
        .take_while(|b| !b.is_ascii())
        .take(SAMPLE_BYTES)
        .copied()
        .collect();
    Ok(run)
}

/// Opens the file as a UTF-8 byte stream: the BOM dropped, GB18030 decoded on the fly.
pub fn open(path: &Path, encoding: Encoding) -> io::Result<Box<dyn Read + Send>> {
    let mut file = BufReader::with_capacity(CHUNK_BYTES, File::open(path)?);
    match encoding {
        Encoding::Utf8 => {
            let mut bom = [0u8; 3];
            let n = read_up_to(&mut file, &mut bom)?;
            let head = if bom[..n] == [0xEF, 0xBB, 0xBF] {
                Vec::new()
            } else {
                bom[..n].to_vec()
            };
            Ok(Box::new(io::Cursor::new(head).chain(file)))
        }
        Encoding::Gb18030 => Ok(Box::new(Gb18030Reader::new(file))),
    }
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Bytes that are neither UTF-8 nor GB18030, on this line of the file.
#[derive(Debug)]
pub struct NotText {
    pub line: u64,
}

impl std::fmt::Display for NotText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("文件既不是 UTF-8 也不是 GB18030 编码")
    }
}

impl std::error::Error for NotText {}

/// Decodes GB18030 to UTF-8 as it is read. Malformed bytes are an error, not a replacement
/// character; the text before them is delivered first, so the error comes at the right line.
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    output: Vec<u8>,
    at: usize,
    done: bool,
    /// Line breaks decoded so far (`\r\n`, `\n` and a lone `\r` each one).
    lines: u64,
    /// The last byte decoded was `\r`.
    after_cr: bool,
    malformed_at_line: Option<u64>,
}

impl<R: Read> Gb18030Reader<R> {
    fn new(inner: R) -> Gb18030Reader<R> {
        Gb18030Reader {
            inner,
            decoder: GB18030.new_decoder_without_bom_handling(),
            input: vec![0; CHUNK_BYTES],
            start: 0,
            end: 0,
            output: Vec::new(),
            at: 0,
            done: false,
            lines: 0,
            after_cr: false,
            malformed_at_line: None,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        if self.start == self.end {
            self.end = self.inner.read(&mut self.input)?;
            self.start = 0;
        }
        let last = self.end == self.start;
        let capacity = self
            .decoder
            .max_utf8_buffer_length(self.end - self.start)
            .unwrap_or(CHUNK_BYTES * 4);
        let mut text = String::with_capacity(capacity);
        let (result, read) = self.decoder.decode_to_string_without_replacement(
            &self.input[self.start..self.end],
            &mut text,
            last,
        );
        self.start += read;
        self.lines += crate::lines::count_breaks(text.as_bytes(), &mut self.after_cr);
        match result {
            DecoderResult::InputEmpty if last => self.done = true,
            DecoderResult::Malformed(..) => self.malformed_at_line = Some(self.lines + 1),
            DecoderResult::InputEmpty | DecoderResult::OutputFull => {}
        }
        self.output = text.into_bytes();
        self.at = 0;
        Ok(())
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.output.len() {
            if let Some(line) = self.malformed_at_line {
                return Err(io::Error::new(io::ErrorKind::InvalidData, NotText { line }));
            }
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.output.len() - self.at);
        buf[..n].copy_from_slice(&self.output[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_bytes(bytes: &[u8]) -> io::Result<Encoding> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.csv");
        std::fs::write(&path, bytes)?;
        detect(&path)
    }

    #[test]
    fn gbk_that_is_valid_utf8_is_gb18030() {
        // "小学" in GBK: D0 A1 D1 A7, which UTF-8 reads as "Сѧ".
        let bytes = b"a,b\r\nGK-\xd0\xa1\xd1\xa7,1\r\n";
        assert!(std::str::from_utf8(bytes).is_ok());
        assert_eq!(detect_bytes(bytes).unwrap(), Encoding::Gb18030);
    }

    #[test]
    fn utf8_with_chinese_or_only_ascii_is_utf8() {
        let text = "a,b\n张·李 café 3×4 5°,Привет\n";
        assert_eq!(detect_bytes(text.as_bytes()).unwrap(), Encoding::Utf8);
        assert_eq!(detect_bytes(b"a,b\n1,2\n").unwrap(), Encoding::Utf8);
        assert_eq!(detect_bytes(b"").unwrap(), Encoding::Utf8);
    }

    #[test]
    fn other_letters_that_gb18030_cannot_read_are_utf8() {
        // "Ω — ok": GB18030 pairs CE A9, E2 80, then 94 with a space, which it cannot read.
        assert_eq!(detect_bytes("Ω — ok\n".as_bytes()).unwrap(), Encoding::Utf8);
    }

    #[test]
    fn latin_letters_alone_are_ambiguous_unless_the_file_has_a_bom() {
        assert_eq!(
            detect_bytes("a,b\nCafé Zoë,5°\n".as_bytes()).unwrap(),
            Encoding::Utf8
        );
        // Decomposed, as macOS writes it: the accent follows its letter.
        assert_eq!(
            detect_bytes("a\nCafe\u{301}\n".as_bytes()).unwrap(),
            Encoding::Utf8
        );
        // "同" in GBK (CD AC) is a combining accent alone in UTF-8, which GB2312 lacks: GBK.
        assert_eq!(detect_bytes(b"a\n,\xcd\xac,\n").unwrap(), Encoding::Gb18030);
        let err = detect_bytes("a,b\nZoë,é\n".as_bytes()).unwrap_err();
        let ambiguous = err.get_ref().unwrap().downcast_ref::<Ambiguous>().unwrap();
        assert_eq!(ambiguous.as_utf8, "é");
        assert_eq!(ambiguous.as_gb18030, "茅");
        assert_eq!(
            detect_bytes("\u{feff}a,b\nZoë,é\n".as_bytes()).unwrap(),
            Encoding::Utf8
        );
    }

    #[test]
    fn the_sample_starts_at_the_first_latin_letter_alone_and_is_cut_at_a_character() {
        let text = format!("Zoë,{},ѧ\n", "é".repeat(20));
        let mut seen = Seen::default();
        seen.note(&text, 0);
        assert_eq!(seen.sample, "é".repeat(12).as_bytes());
        assert!(seen.foreign && seen.unanchored_latin && !seen.cjk);
        let mut seen = Seen::default();
        seen.note("Zoë,5°,3×4", 0);
        assert!(!seen.unanchored_latin && seen.sample.is_empty());
    }
}
