//! Reading an import file as text: UTF-8 (with or without BOM) or GB18030/GBK, detected.
//!
//! The file is streamed, never held whole: a first pass checks that it is valid UTF-8 (cheap), and
//! if it is not, the second pass decodes it as GB18030, refusing bytes that are neither. The first
//! pass stops early once it has seen enough non-ASCII text that is valid UTF-8 ([`ENOUGH_NON_ASCII`]):
//! Chinese text in GB18030 is not valid UTF-8 for long, and every row is still checked as UTF-8
//! when it is read, so a file that turns invalid later is refused at that row, never misread.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use encoding_rs::{DecoderResult, GB18030};

const CHUNK_BYTES: usize = 64 * 1024;
/// Valid UTF-8 with this many non-ASCII bytes is UTF-8. A GB18030 character passes as UTF-8 by
/// chance about one time in five (a lead byte C2–DF, a trail byte below C0); a thousand Chinese
/// characters in a row never do. Before that much text, the whole file is checked.
const ENOUGH_NON_ASCII: usize = 4096;

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

/// Detects the encoding by reading the file, up to the point where it is clear.
pub fn detect(path: &Path) -> io::Result<Encoding> {
    let mut file = BufReader::with_capacity(CHUNK_BYTES, File::open(path)?);
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut carry = 0usize;
    let mut non_ascii = 0usize;
    while non_ascii < ENOUGH_NON_ASCII {
        let read = file.read(&mut buf[carry..])?;
        let filled = carry + read;
        if read == 0 {
            // A sequence cut off at the end is not UTF-8.
            return Ok(if carry == 0 {
                Encoding::Utf8
            } else {
                Encoding::Gb18030
            });
        }
        let valid = match std::str::from_utf8(&buf[..filled]) {
            Ok(_) => filled,
            // An incomplete sequence at the end of the chunk: kept for the next read.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => return Ok(Encoding::Gb18030),
        };
        non_ascii += buf[..valid].iter().filter(|b| !b.is_ascii()).count();
        buf.copy_within(valid..filled, 0);
        carry = filled - valid;
    }
    Ok(Encoding::Utf8)
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
