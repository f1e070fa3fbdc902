//! The archive: the whole log as JSON Lines, the format that outlives any database.
//!
//! The first line describes the ledger (`{"taizhang_archive": 1, "header": …, "count": …,
//! "head_hash": …}`); every other line is one entry with every field and both hashes, amounts as
//! "1234.50". `restore` rebuilds a ledger from it, recomputing each hash from the fields: an archive
//! changed anywhere is refused.

use std::io::{BufRead, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::hash::{hex, unhex, HashAlgo};
use crate::ledger::{Header, Ledger, Posted, UnitNames, LEDGER_FORMAT};
use crate::record::{BodyV1, EntryV1, Micros, HASH_BYTES};
use crate::StoreError;

pub const ARCHIVE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct ArchiveHead {
    taizhang_archive: u32,
    header: Header,
    count: u64,
    head_hash: String,
}

/// One entry as a JSON line; `log --format json` prints the same.
#[derive(Serialize, Deserialize)]
pub struct EntryLine {
    pub seq: u64,
    pub kind: String,
    pub recorded_at: Micros,
    pub operator: String,
    pub source: String,
    pub prev_hash: String,
    pub hash: String,
    pub body: BodyV1<'static>,
}

impl EntryLine {
    pub fn of(posted: &Posted) -> EntryLine {
        let r = &posted.record;
        EntryLine {
            seq: r.seq,
            kind: posted.body.kind().key().to_string(),
            recorded_at: r.recorded_at,
            operator: r.operator.clone(),
            source: r.source.clone(),
            prev_hash: hex(&r.prev_hash),
            hash: hex(&posted.hash),
            body: r.body.clone(),
        }
    }

    fn into_record(self) -> Result<(EntryV1, [u8; HASH_BYTES]), String> {
        let hash = |text: &str| {
            unhex(text)
                .and_then(|b| <[u8; HASH_BYTES]>::try_from(b).ok())
                .ok_or_else(|| format!("“{text}”不是哈希"))
        };
        let record = EntryV1 {
            seq: self.seq,
            recorded_at: self.recorded_at,
            operator: self.operator,
            source: self.source,
            prev_hash: hash(&self.prev_hash)?,
            body: self.body,
        };
        Ok((record, hash(&self.hash)?))
    }
}

/// The unit entries of an archive, to hold its first line to: the header is not under the chain,
/// the entries are.
#[derive(Default)]
struct Namings {
    /// The first unit entry's origin: hash algorithm and creation time.
    origin: Option<(String, String)>,
    newest: Option<UnitNames>,
}

impl Namings {
    fn add(&mut self, body: &BodyV1<'_>) {
        if let BodyV1::Unit {
            full_name,
            short_name,
            origin,
            ..
        } = body
        {
            if self.newest.is_none() {
                self.origin = origin
                    .as_ref()
                    .map(|o| (o.hash.to_string(), o.created_at.to_string()));
            }
            self.newest = Some(UnitNames {
                full: full_name.to_string(),
                short: short_name.to_string(),
            });
        }
    }

    /// What the header says that the entries do not, if anything. An archive of an older ledger,
    /// without unit entries, has nothing to hold its header to.
    fn disagree_with(&self, header: &Header) -> Option<String> {
        if let Some(newest) = self.newest.as_ref().filter(|n| **n != header.unit) {
            return Some(format!(
                "首行的单位名称“{}”与归档中的单位名称记录“{}”不符",
                header.unit.full, newest.full
            ));
        }
        match &self.origin {
            Some((hash, _)) if *hash != header.hash => Some(format!(
                "首行的哈希算法 {} 与第一条单位名称记录（{hash}）不符",
                header.hash
            )),
            Some((_, created_at)) if *created_at != header.created_at => Some(format!(
                "首行的建立时间 {} 与第一条单位名称记录（{created_at}）不符",
                header.created_at
            )),
            _ => None,
        }
    }
}

impl Ledger {
    /// Writes the archive; returns the number of entries.
    pub fn archive(&self, out: &mut impl Write) -> Result<u64, StoreError> {
        let head = self.head()?;
        // The header's names are the chain's (or the check on open said otherwise).
        let first = ArchiveHead {
            taizhang_archive: ARCHIVE_VERSION,
            header: Header {
                unit: self.unit().clone(),
                ..self.header().clone()
            },
            count: head.count,
            head_hash: hex(&head.hash),
        };
        let io = |e: std::io::Error| StoreError::Io(format!("写归档失败：{}", crate::io_words(&e)));
        writeln!(
            out,
            "{}",
            serde_json::to_string(&first).expect("the head serializes")
        )
        .map_err(io)?;
        let mut failure = None;
        self.for_each_entry(1, |posted| {
            let line = serde_json::to_string(&EntryLine::of(&posted)).expect("entries serialize");
            failure = writeln!(out, "{line}").err();
            failure.is_none()
        })?;
        match failure {
            Some(e) => Err(io(e)),
            None => Ok(head.count),
        }
    }

    /// Creates a ledger at `path` from an archive, checking every hash and link as it goes. On any
    /// failure the new file is removed and nothing is left behind.
    pub fn restore(path: &Path, archive: impl BufRead) -> Result<Ledger, StoreError> {
        let mut lines = archive.lines().enumerate();
        let bad = |line: usize, message: String| {
            StoreError::Corrupt(format!("归档第 {} 行：{message}", line + 1))
        };
        let (_, first) = lines
            .next()
            .ok_or_else(|| StoreError::Corrupt("归档为空".into()))?;
        let first = first.map_err(|e| bad(0, archive_io(&e)))?;
        // Notepad and other Windows editors start a UTF-8 file with a byte-order mark.
        let first = first.strip_prefix('\u{feff}').unwrap_or(&first);
        let head: ArchiveHead = serde_json::from_str(first).map_err(|e| {
            bad(
                0,
                format!("不是 taizhang 归档的首行（{}）", json_words(&e, "首行")),
            )
        })?;
        if head.taizhang_archive > ARCHIVE_VERSION {
            return Err(StoreError::NewerFormat(head.taizhang_archive));
        }
        HashAlgo::parse(&head.header.hash)
            .ok_or_else(|| bad(0, format!("未知的哈希算法 {}", head.header.hash)))?;
        let header = Header {
            format: LEDGER_FORMAT,
            ..head.header.clone()
        };
        let ledger = Ledger::create(path, header)?;
        let mut namings = Namings::default();
        let result = ledger.write_batch("restore", |writer| {
            for (number, line) in lines.by_ref() {
                // An edited archive may end in an empty line, or (saved with CRLF line ends, which
                // `lines` takes off) a line of only the carriage return: neither is an entry.
                if line.as_ref().is_ok_and(|l| l.trim().is_empty()) {
                    continue;
                }
                let parsed = line
                    .map_err(|e| bad(number, archive_io(&e)))
                    .and_then(|l| {
                        serde_json::from_str::<EntryLine>(&l).map_err(|e| {
                            bad(
                                number,
                                format!("不是一条记录（{}）", json_words(&e, "记录")),
                            )
                        })
                    })
                    .and_then(|entry| entry.into_record().map_err(|m| bad(number, m)))
                    .inspect(|(record, _)| namings.add(&record.body))
                    .and_then(|(record, hash)| {
                        writer
                            .restore(record, hash)
                            .map_err(|e| bad(number, e.to_string()))
                    });
                if let Err(e) = parsed {
                    writer.fail(e);
                    return false;
                }
            }
            let complete =
                writer.posted_count() == head.count && hex(&writer.head_hash()) == head.head_hash;
            if !complete {
                writer.fail(StoreError::Corrupt(format!(
                    "归档首行记载 {} 条、链头 {}，与内容不符（归档被截断？）",
                    head.count, head.head_hash
                )));
                return false;
            }
            if let Some(problem) = namings.disagree_with(&head.header) {
                writer.fail(bad(0, format!("{problem}：归档已被改动")));
                return false;
            }
            true
        });
        match result.and_then(|committed| {
            if committed {
                Ok(())
            } else {
                Err(StoreError::Corrupt("归档未能恢复".into()))
            }
        }) {
            Ok(()) => Ok(ledger),
            Err(e) => {
                drop(ledger);
                let _ = std::fs::remove_file(path);
                Err(e)
            }
        }
    }
}

/// Why a line of the archive could not be read, in words: a line that is not UTF-8 is the
/// archive's fault, not the disk's.
fn archive_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::InvalidData => {
            "不是 UTF-8 文本（归档被改动或不是 taizhang 归档）".into()
        }
        _ => format!("读取失败：{}", crate::io_words(e)),
    }
}

/// What is wrong with a line's JSON, in words (serde's own are English); `what` is what the line
/// should have been ("首行", "记录").
fn json_words(e: &serde_json::Error, what: &str) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "JSON 在行尾中断，行不完整".into(),
        Category::Syntax => format!("不是合法的 JSON，第 {} 个字符附近出错", e.column()),
        Category::Data => format!(
            "JSON 的字段或取值不是归档{what}应有的，第 {} 个字符附近",
            e.column()
        ),
        Category::Io => "读取失败".into(),
    }
}
