//! Physical line numbers, as an editor shows them, for the bytes a CSV reader is given.
//!
//! The CSV reader counts only `\n`, and says where a record's reading began, which is before the
//! line break of a CRLF file and before any blank lines: Excel's CRLF files had every line one too
//! high, CR-only files had every row on line 1. [`Lines`] sits between the decoded text and the CSV
//! reader and notes where each line that holds anything begins, counting `\r\n`, `\n` and a lone `\r`
//! as one break each; a record's line is then the line of the first byte with content at or after
//! the offset where the reader began it (a quoted line break inside the record does not move it).
//! Only lines a later question can be about are kept: those in the reader's read-ahead, and the start
//! of the record being read (a quoted field of a million lines is not a million entries).

use std::collections::VecDeque;
use std::io::{self, Read};

/// The CSV reader's buffer (set on the reader from here): it never holds more bytes than this that it
/// has been given and not yet parsed.
pub const READ_AHEAD_BYTES: usize = 8 * 1024;
/// Lines noted before the list is first pruned; after that, whenever it has doubled.
const STARTS_PRUNED_FROM: usize = 4096;

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
    /// Bytes passed on when the reader last asked for a line.
    asked: u64,
    /// The length of `starts` at which it is next pruned.
    prune_at: usize,
    /// The longest `starts` has been, for the test of its bound.
    #[cfg(test)]
    peak: usize,
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
            asked: 0,
            prune_at: STARTS_PRUNED_FROM,
            #[cfg(test)]
            peak: 0,
        }
    }

    /// The line of the first byte with content at or after `offset` (a record's start as the CSV
    /// reader gives it). Offsets asked for never go back: lines before `offset` are forgotten.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while self.starts.front().is_some_and(|&(at, _)| at < offset) {
            self.starts.pop_front();
        }
        self.asked = self.offset;
        self.starts
            .front()
            .map_or(self.breaks + 1, |&(_, line)| line)
    }

    /// Forgets the lines no question can be about. Between two questions the reader reads one
    /// record. The next question is about the first line at or after where the last record ended,
    /// which the reader had reached when it last asked: at most [`READ_AHEAD_BYTES`] before what it
    /// had been given then (`asked`). So its answer begins between `asked - READ_AHEAD_BYTES` and
    /// `asked`, or is the first line after. Later questions are about records after the one being
    /// read, which begin where the reader has not yet reached: at most `READ_AHEAD_BYTES` before what
    /// it has been given now. Every other line is inside the record being read.
    fn prune(&mut self) {
        let window = READ_AHEAD_BYTES as u64;
        let (asked, low, recent) = (
            self.asked,
            self.asked.saturating_sub(window),
            self.offset.saturating_sub(window),
        );
        let mut first_after_asked = true;
        self.starts.retain(|&(at, _)| {
            let first_after = at > asked && std::mem::take(&mut first_after_asked);
            (low..=asked).contains(&at) || first_after || at >= recent
        });
        self.prune_at = (2 * self.starts.len()).max(STARTS_PRUNED_FROM);
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
        #[cfg(test)]
        {
            self.peak = self.peak.max(self.starts.len());
        }
        if self.starts.len() > self.prune_at {
            self.prune();
        }
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
            .buffer_capacity(READ_AHEAD_BYTES)
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
    fn a_field_of_many_lines_is_not_kept_line_by_line() {
        let lines = 200_000;
        let mut text = String::from("h,x\nr1,1\n\"");
        text.push_str(&"a\n".repeat(lines));
        text.push_str("\",2\n\nr3,3\r\nr4,4\n");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(READ_AHEAD_BYTES)
            .from_reader(Lines::new(text.as_bytes()));
        let mut record = csv::ByteRecord::new();
        let mut found = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let start = record.position().unwrap().byte();
            found.push(reader.get_mut().line_at(start));
        }
        // The field's closing quote is on line 3 + lines, then a blank line.
        let closing = 3 + lines as u64;
        assert_eq!(found, [1, 2, 3, closing + 2, closing + 3]);
        assert!(reader.get_ref().peak < 20_000, "{}", reader.get_ref().peak);

        // Pruned while read a byte or a few at a time, too.
        let field = "b\r\n".repeat(10_000);
        let text = format!("h,x\r\n\"{field}\",1\r\n\r\nr2,2\rr3,3");
        check(
            &text,
            &[("h", 1), (&field, 2), ("r2", 10_004), ("r3", 10_005)],
        );
    }

    #[test]
    fn breaks_are_counted_once_each() {
        let mut after_cr = false;
        assert_eq!(count_breaks(b"a\r", &mut after_cr), 1);
        assert_eq!(count_breaks(b"\nb\rc\n\n", &mut after_cr), 3);
    }
}
