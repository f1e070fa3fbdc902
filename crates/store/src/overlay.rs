//! A view of the ledger file that redb may write to without changing it: reads come from the file,
//! writes stay in memory, page by page.
//!
//! redb's own integrity check (`Database::check_integrity`) needs a writable database and repairs
//! what it can, and a database opened for writing marks its file as in use. `verify` must leave the
//! file's bytes as they were (a read-only mount, a copy under audit), so the check runs on this view:
//! whatever redb writes — the repair, the mark — lands here and is dropped with it.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::sync::Mutex;

use redb::StorageBackend;

const PAGE: u64 = 4096;

#[derive(Debug)]
pub(crate) struct Overlay {
    file: File,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The length redb sees.
    len: u64,
    /// Below this the file's bytes stand unless a page is written over; above it the view reads
    /// zeros (the file was shorter, or redb shortened the view and grew it again).
    from_file: u64,
    pages: HashMap<u64, Box<[u8]>>,
}

impl Overlay {
    pub(crate) fn new(file: File) -> io::Result<Overlay> {
        let len = file.metadata()?.len();
        Ok(Overlay {
            file,
            state: Mutex::new(State {
                len,
                from_file: len,
                pages: HashMap::new(),
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    /// The bytes of page `index` as the view holds them, read from the file if not written.
    fn page(&self, file: &File, index: u64) -> io::Result<Box<[u8]>> {
        if let Some(page) = self.pages.get(&index) {
            return Ok(page.clone());
        }
        let mut page = vec![0u8; PAGE as usize].into_boxed_slice();
        let start = index * PAGE;
        let end = (start + PAGE).min(self.from_file);
        if end > start {
            read_at(file, &mut page[..(end - start) as usize], start)?;
        }
        Ok(page)
    }
}

#[cfg(unix)]
fn read_at(file: &File, out: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, out, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut out: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !out.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(file, out, offset)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        out = &mut out[n..];
        offset += n as u64;
    }
    Ok(())
}

fn out_of_range() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end")
}

impl StorageBackend for Overlay {
    fn len(&self) -> io::Result<u64> {
        Ok(self.state().len)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let state = self.state();
        let end = offset
            .checked_add(out.len() as u64)
            .ok_or_else(out_of_range)?;
        if end > state.len {
            return Err(out_of_range());
        }
        // Untouched and within the file: one read, the common case.
        let first = offset / PAGE;
        let last = end.div_ceil(PAGE);
        if end <= state.from_file && (first..last).all(|p| !state.pages.contains_key(&p)) {
            return read_at(&self.file, out, offset);
        }
        let mut at = offset;
        let mut done = 0;
        while done < out.len() {
            let page = state.page(&self.file, at / PAGE)?;
            let within = (at % PAGE) as usize;
            let n = (PAGE as usize - within).min(out.len() - done);
            out[done..done + n].copy_from_slice(&page[within..within + n]);
            done += n;
            at += n as u64;
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut state = self.state();
        if len < state.len {
            state.from_file = state.from_file.min(len);
            state.pages.retain(|&p, _| p * PAGE < len);
            // The part of the last page past the new end reads as zeros if the view grows again.
            let tail = len / PAGE;
            if !len.is_multiple_of(PAGE) {
                let mut page = state.page(&self.file, tail)?;
                page[(len % PAGE) as usize..].fill(0);
                state.pages.insert(tail, page);
            }
        }
        state.len = len;
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut state = self.state();
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(out_of_range)?;
        if end > state.len {
            return Err(out_of_range());
        }
        let mut at = offset;
        let mut done = 0;
        while done < data.len() {
            let index = at / PAGE;
            let mut page = state.page(&self.file, index)?;
            let within = (at % PAGE) as usize;
            let n = (PAGE as usize - within).min(data.len() - done);
            page[within..within + n].copy_from_slice(&data[done..done + n]);
            state.pages.insert(index, page);
            done += n;
            at += n as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_stay_in_the_view_and_the_file_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let original: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &original).unwrap();
        let view = Overlay::new(File::open(&path).unwrap()).unwrap();
        view.write(4000, &[7; 200]).unwrap();
        let mut out = vec![0u8; 300];
        view.read(3950, &mut out).unwrap();
        assert_eq!(&out[..50], &original[3950..4000]);
        assert_eq!(&out[50..250], &[7; 200]);
        assert_eq!(&out[250..], &original[4200..4250]);
        view.set_len(5000).unwrap();
        view.set_len(12_000).unwrap();
        let mut tail = vec![1u8; 2000];
        view.read(4990, &mut tail).unwrap();
        assert_eq!(&tail[..10], &original[4990..5000]);
        assert!(tail[10..].iter().all(|&b| b == 0), "grown again: zeros");
        assert!(view.read(11_999, &mut [0; 2]).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), original);
    }
}
