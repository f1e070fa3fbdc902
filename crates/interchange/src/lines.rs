//! Physical line numbers, as an editor shows them, for the bytes a CSV reader is given.
//!
//! The CSV reader counts only `\n`, and says where a record's reading began, which is before the
//! line break of a CRLF file and before any blank lines: Excel's CRLF files had every line one too
//! high, CR-only files had every row on line 1. [`Lines`] sits between the decoded text and the CSV
//! reader and notes where each line that holds anything begins, counting `\r\n`, `\n` and a lone `\r`
//! as one break each; a record's line is then the line of the first byte with content at or after
//! the offset where the reader began it (a quoted line break inside the record does not move it).
//! Only the lines the reader has been given and has not yet passed are kept: a few hundred at most.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A reader that passes its bytes on unchanged and remembers where lines with content begin.
pub struct Lines<R> {
    inner: R,
    /// Bytes passed on so far.
    offset: u64,
    /// Line breaks passed on so far.
    breaks: u64,
    /// The last byte passed on was `\r`: a `\n` right after it is the same break.
    after_cr: bool,
    /// The next byte passed on begins a line.
    at_line_start: bool,
    /// (offset of a line's first byte, the line's number), for lines that hold anything.
    starts: VecDeque<(u64, u64)>,
}

impl<R: Read> Lines<R> {
    pub fn new(inner: R) -> Lines<R> {
        Lines {
            inner,
            offset: 0,
            breaks: 0,
            after_cr: false,
            at_line_start: true,
            starts: VecDeque::new(),
        }
    }

    /// The line of the first byte with content at or after `offset` (a record's start as the CSV
    /// reader gives it). Offsets asked for never go back: lines before `offset` are forgotten.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while self.starts.front().is_some_and(|&(at, _)| at < offset) {
            self.starts.pop_front();
        }
        self.starts
            .front()
            .map_or(self.breaks + 1, |&(_, line)| line)
    }

    /// The line the reader has got to: where an error it cannot place happened, at the latest.
    pub fn lines_so_far(&self) -> u64 {
        self.breaks + 1
    }

    /// The line of the byte at `offset` (for errors that name a byte): the last line begun at or
    /// before it.
    pub fn line_of_byte(&mut self, offset: u64) -> u64 {
        let mut line = None;
        while let Some(&(at, number)) = self.starts.front() {
            if at > offset {
                break;
            }
            line = Some(number);
            self.starts.pop_front();
        }
        line.unwrap_or(self.breaks + 1)
    }

    fn note(&mut self, bytes: &[u8]) {
        let mut line_start = self.at_line_start;
        let mut pos = 0;
        for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            if line_start && i > pos {
                self.starts
                    .push_back((self.offset + pos as u64, self.breaks + 1));
            }
            let prev_cr = if i > 0 {
                bytes[i - 1] == b'\r'
            } else {
                self.after_cr
            };
            if !(bytes[i] == b'\n' && prev_cr) {
                self.breaks += 1;
            }
            line_start = true;
            pos = i + 1;
        }
        if pos < bytes.len() {
            if line_start {
                self.starts
                    .push_back((self.offset + pos as u64, self.breaks + 1));
            }
            line_start = false;
        }
        if let Some(&last) = bytes.last() {
            self.after_cr = last == b'\r';
        }
        self.at_line_start = line_start;
        self.offset += bytes.len() as u64;
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.note(&buf[..n]);
        Ok(n)
    }
}

/// Line breaks in `bytes` (`\r\n`, `\n`, a lone `\r`), where `after_cr` says the byte before them was
/// `\r`; updates it for the next call.
pub fn count_breaks(bytes: &[u8], after_cr: &mut bool) -> u64 {
    let mut breaks = 0;
    for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
        let prev_cr = if i > 0 {
            bytes[i - 1] == b'\r'
        } else {
            *after_cr
        };
        if !(bytes[i] == b'\n' && prev_cr) {
            breaks += 1;
        }
    }
    if let Some(&last) = bytes.last() {
        *after_cr = last == b'\r';
    }
    breaks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of every record the CSV reader finds, read through [`Lines`] in chunks of `chunk`.
    fn record_lines(text: &str, chunk: usize) -> Vec<(String, u64)> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Lines::new(Trickle(text.as_bytes(), chunk)));
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let start = record.position().unwrap().byte();
            let line = reader.get_mut().line_at(start);
            out.push((String::from_utf8_lossy(&record[0]).into_owned(), line));
        }
        out
    }

    fn check(text: &str, expected: &[(&str, u64)]) {
        for chunk in [1, 2, 3, 7, 8192] {
            let found = record_lines(text, chunk);
            let found: Vec<(&str, u64)> = found.iter().map(|(s, l)| (s.as_str(), *l)).collect();
            assert_eq!(found, expected, "{text:?} in chunks of {chunk}");
        }
    }

    #[test]
    fn lines_are_physical_lines_whatever_the_breaks() {
        let rows = [("h", 1), ("a", 2), ("b", 4), ("c", 5)];
        check("h,x\na,1\n\nb,2\nc,3\n", &rows);
        check("h,x\r\na,1\r\n\r\nb,2\r\nc,3\r\n", &rows);
        check("h,x\ra,1\r\rb,2\rc,3", &rows);
        check("h,x\r\na,1\n\rb,2\r\nc,3", &rows);
    }

    #[test]
    fn a_quoted_line_break_keeps_the_row_on_its_first_line() {
        check(
            "h,x\r\n\"a\r\nmore\",1\r\nb,2\r\n\r\n\"c\nd\ne\",3\nf,4",
            &[
                ("h", 1),
                ("a\r\nmore", 2),
                ("b", 4),
                ("c\nd\ne", 6),
                ("f", 9),
            ],
        );
    }

    #[test]
    fn blank_lines_before_the_header_count() {
        check("\r\n\r\nh,x\r\na,1", &[("h", 3), ("a", 4)]);
    }

    #[test]
    fn breaks_are_counted_once_each() {
        let mut after_cr = false;
        assert_eq!(count_breaks(b"a\r", &mut after_cr), 1);
        assert_eq!(count_breaks(b"\nb\rc\n\n", &mut after_cr), 3);
    }
}
