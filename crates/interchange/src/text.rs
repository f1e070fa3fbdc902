//! Reading an import file as text: UTF-8 (with or without BOM) or GB18030/GBK, detected.
//!
//! The file is streamed, never held whole: a first pass checks that it is valid UTF-8 (cheap), and
//! if it is not, the second pass decodes it as GB18030, refusing bytes that are neither.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use encoding_rs::{DecoderResult, GB18030};

const CHUNK_BYTES: usize = 64 * 1024;

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

/// Detects the encoding by reading the file once.
pub fn detect(path: &Path) -> io::Result<Encoding> {
    let mut file = BufReader::with_capacity(CHUNK_BYTES, File::open(path)?);
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut carry = 0usize;
    loop {
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
        match std::str::from_utf8(&buf[..filled]) {
            Ok(_) => carry = 0,
            Err(e) if e.error_len().is_none() => {
                // An incomplete sequence at the end of the chunk: keep it for the next read.
                let valid = e.valid_up_to();
                buf.copy_within(valid..filled, 0);
                carry = filled - valid;
            }
            Err(_) => return Ok(Encoding::Gb18030),
        }
    }
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
    /// Line breaks decoded so far.
    lines: u64,
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
        self.lines += text.bytes().filter(|&b| b == b'\n').count() as u64;
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
