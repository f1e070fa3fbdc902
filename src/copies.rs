//! `backup`, `archive` and `restore`: the copies of the ledger. Each writes through
//! [`crate::outfile`], so a copy is complete or absent, private (0600), and never the ledger itself.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use taizhang_store::{hash::hex, Ledger, StoreError};

use crate::outfile::{self, Existing, Shape};

/// `taizhang backup --out FILE [--force]`: a consistent copy of the ledger file.
pub fn backup(ledger: &Ledger, out: &Path, force: bool, quiet: bool) -> anyhow::Result<bool> {
    let target = outfile::check(
        out,
        Shape::File,
        Some(ledger.path()),
        Existing::forced(force),
    )?;
    let bytes = outfile::write_private(&target, |writer| {
        ledger.hold_still(|source| copy_file(source, writer, out))?
    })?;
    if !quiet {
        eprintln!("已备份到 {}（{bytes} 字节）", out.display());
    }
    Ok(true)
}

/// Copies the ledger file; a read error blames the ledger, a write error the backup.
fn copy_file(source: &Path, writer: &mut impl Write, out: &Path) -> anyhow::Result<u64> {
    let mut file = File::open(source).map_err(|e| {
        anyhow::anyhow!(
            "读台账文件 {} 失败：{}",
            source.display(),
            outfile::words(&e)
        )
    })?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = std::io::Read::read(&mut file, &mut buffer).map_err(|e| {
            anyhow::anyhow!(
                "读台账文件 {} 失败：{}",
                source.display(),
                outfile::words(&e)
            )
        })?;
        if n == 0 {
            return Ok(total);
        }
        writer.write_all(&buffer[..n]).map_err(|e| {
            anyhow::anyhow!("写备份 {} 失败：{}", out.display(), outfile::words(&e))
        })?;
        total += n as u64;
    }
}

/// `taizhang archive --out FILE [--force]`: the whole log as JSON Lines.
pub fn archive(ledger: &Ledger, out: &Path, force: bool, quiet: bool) -> anyhow::Result<bool> {
    let target = outfile::check(
        out,
        Shape::File,
        Some(ledger.path()),
        Existing::forced(force),
    )?;
    let count = outfile::write_private(&target, |writer| {
        let mut watched = Watched {
            inner: writer,
            error: None,
        };
        ledger
            .archive(&mut watched)
            .map_err(|e| match watched.error {
                // The store says "读写台账失败" for any I/O error; a write error is the archive's.
                Some(write) => {
                    anyhow::anyhow!("写归档 {} 失败：{}", out.display(), outfile::words(&write))
                }
                None => e.into(),
            })
    })?;
    if !quiet {
        eprintln!("已归档 {count} 条记录到 {}", out.display());
    }
    Ok(true)
}

/// `taizhang --ledger NEW restore FILE`: a new ledger rebuilt from an archive, built under a
/// temporary name and renamed into place once it is complete and durable.
pub fn restore(path: &Path, file: &Path, quiet: bool) -> anyhow::Result<bool> {
    let target = outfile::check(path, Shape::File, None, Existing::Never)?;
    let archive = File::open(file)
        .map_err(|e| anyhow::anyhow!("不能读归档 {}：{}", file.display(), outfile::words(&e)))?;
    let head = outfile::write_ledger(&target, |temp| {
        // The store calls a bad archive line "台账已损坏：归档第 N 行…"; the damage is the archive's.
        let ledger = Ledger::restore(temp, BufReader::new(archive)).map_err(|e| match e {
            StoreError::Corrupt(what) if what.starts_with("归档") => {
                anyhow::anyhow!("归档 {} 不能恢复：{what}", file.display())
            }
            StoreError::NewerFormat(version) => anyhow::anyhow!(
                "归档 {} 由更新版本的 taizhang 写成（归档格式 {version}），本程序无法恢复，请升级",
                file.display()
            ),
            other => anyhow::anyhow!("重建台账 {} 失败：{other}", path.display()),
        })?;
        Ok(ledger.head()?)
    })?;
    if !quiet {
        eprintln!(
            "已由 {} 重建台账 {}：{} 条记录，链头 {}",
            file.display(),
            path.display(),
            head.count,
            hex(&head.hash)
        );
    }
    Ok(true)
}

/// A writer that keeps its first error, so that the caller can say which file failed.
struct Watched<W> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.keep(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| self.keep(e))
    }
}

impl<W> Watched<W> {
    fn keep(&mut self, e: &std::io::Error) {
        if self.error.is_none() {
            let copy = e.raw_os_error().map_or_else(
                || std::io::Error::new(e.kind(), e.to_string()),
                std::io::Error::from_raw_os_error,
            );
            self.error = Some(copy);
        }
    }
}
