//! The archive: the whole log as JSON Lines, the format that outlives any database.
//!
//! The first line describes the ledger (`{"taizhang_archive": 1, "header": …, "count": …,
//! "head_hash": …}`); every other line is one entry with every field and both hashes, amounts as
//! "1234.50". `restore` rebuilds a ledger from it, recomputing each hash from the fields: an archive
//! changed anywhere is refused.
//!
//! A ledger with attachments writes version 2: the first line also says how many documents follow
//! (`"attachments": n`), and after the `count` entries come `n` lines `{"attachment": HASH, "size":
//! n, "base64": …}`, one per stored document named by an entry (the same bytes once). Restore checks
//! each one's hash before storing it. Without attachments the archive is version 1, as before.

use std::io::{BufRead, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use taizhang_core::Body;

use crate::hash::{hex, unhex, HashAlgo};
use crate::ledger::{Header, Ledger, Posted, UnitNames, LEDGER_FORMAT};
use crate::record::{BodyV1, EntryV1, Micros, HASH_BYTES};
use crate::StoreError;

/// The newest archive version this program writes and reads (2: attachments follow the entries).
pub const ARCHIVE_VERSION: u32 = 2;
/// The version of an archive without attachments: what every earlier program wrote and reads.
const ARCHIVE_VERSION_PLAIN: u32 = 1;

#[derive(Serialize, Deserialize)]
struct ArchiveHead {
    taizhang_archive: u32,
    header: Header,
    count: u64,
    head_hash: String,
    /// How many attachment lines follow the entries (version 2).
    #[serde(default, skip_serializing_if = "is_zero")]
    attachments: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One stored document as a line of the archive, after the entries.
#[derive(Serialize, Deserialize)]
struct AttachmentLine {
    attachment: String,
    size: u64,
    base64: String,
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
        // The documents the archived entries name, each once, in the order first named.
        let mut documents: Vec<(String, u64)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        self.for_each_entry(1, |posted| {
            if let Body::Attachment(a) = &posted.body {
                if posted.record.seq <= head.count && seen.insert(a.hash.clone()) {
                    documents.push((a.hash.clone(), a.size));
                }
            }
            posted.record.seq < head.count
        })?;
        let version = match documents.is_empty() {
            true => ARCHIVE_VERSION_PLAIN,
            false => ARCHIVE_VERSION,
        };
        // The header's names are the chain's (or the check on open said otherwise).
        let first = ArchiveHead {
            taizhang_archive: version,
            header: Header {
                unit: self.unit().clone(),
                ..self.header().clone()
            },
            count: head.count,
            head_hash: hex(&head.hash),
            attachments: documents.len() as u64,
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
            if posted.record.seq > head.count {
                return false;
            }
            let line = serde_json::to_string(&EntryLine::of(&posted)).expect("entries serialize");
            failure = writeln!(out, "{line}").err();
            failure.is_none()
        })?;
        if let Some(e) = failure {
            return Err(io(e));
        }
        for (hash, size) in documents {
            // Hashed again as read: damaged bytes are not archived as if sound.
            let bytes = self.attachment_bytes(&hash)?.ok_or_else(|| {
                StoreError::Corrupt(format!("附件 {hash}（{size} 字节）不在台账中"))
            })?;
            let line = AttachmentLine {
                attachment: hash,
                size: bytes.len() as u64,
                base64: BASE64.encode(&bytes),
            };
            let line = serde_json::to_string(&line).expect("attachment lines serialize");
            writeln!(out, "{line}").map_err(io)?;
        }
        Ok(head.count)
    }

    /// Creates a ledger at `path` from an archive, checking every hash and link as it goes. On any
    /// failure the new file is removed and nothing is left behind.
    pub fn restore(path: &Path, archive: impl BufRead) -> Result<Ledger, StoreError> {
        let mut lines = BoundedLines(archive).enumerate();
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
        let algo = HashAlgo::parse(&head.header.hash).unwrap_or(HashAlgo::Sm3);
        let ledger = Ledger::create(path, header)?;
        let mut namings = Namings::default();
        let mut documents = Documents::default();
        let result = ledger.write_batch("restore", |writer| {
            for (number, line) in lines.by_ref() {
                // An edited archive may end in an empty line, or (saved with CRLF line ends, which
                // `lines` takes off) a line of only the carriage return: neither is an entry.
                if line.as_ref().is_ok_and(|l| l.trim().is_empty()) {
                    continue;
                }
                // After the entries, the documents.
                if writer.posted_count() >= head.count {
                    let stored = line
                        .map_err(|e| archive_io(&e))
                        .and_then(|l| documents.restore(writer, algo, &l))
                        .map_err(|e| bad(number, e));
                    if let Err(e) = stored {
                        writer.fail(e);
                        return false;
                    }
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
                    .inspect(|(record, _)| {
                        namings.add(&record.body);
                        documents.name(&record.body);
                    })
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
            if let Some(problem) = documents.missing(head.attachments) {
                writer.fail(StoreError::Corrupt(problem));
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

/// The documents an archive's entries name, and those restored so far.
#[derive(Default)]
struct Documents {
    /// Hash (hex) → the first naming entry's file name and size.
    named: std::collections::BTreeMap<String, (String, u64)>,
    restored: std::collections::BTreeSet<String>,
}

impl Documents {
    fn name(&mut self, body: &BodyV1<'_>) {
        if let BodyV1::Attachment {
            name, size, hash, ..
        } = body
        {
            self.named
                .entry(hash.to_string())
                .or_insert_with(|| (name.to_string(), *size));
        }
    }

    /// Restores one attachment line: a document an entry names, of its size, whose bytes hash to it.
    fn restore(
        &mut self,
        writer: &mut crate::Writer<'_>,
        algo: HashAlgo,
        line: &str,
    ) -> Result<(), String> {
        let line: AttachmentLine = serde_json::from_str(line)
            .map_err(|e| format!("不是一份附件（{}）", json_words(&e, "附件行")))?;
        let Some((name, size)) = self.named.get(&line.attachment) else {
            return Err(format!("附件 {} 没有任何记录提到", line.attachment));
        };
        if !self.restored.insert(line.attachment.clone()) {
            return Err(format!("附件 {} 出现了两次", line.attachment));
        }
        let hash = unhex(&line.attachment)
            .and_then(|b| <[u8; HASH_BYTES]>::try_from(b).ok())
            .ok_or_else(|| format!("“{}”不是哈希", line.attachment))?;
        let bytes = BASE64
            .decode(line.base64.as_bytes())
            .map_err(|_| format!("附件“{name}”的 base64 内容无法解码：归档已被改动"))?;
        if line.size != *size {
            return Err(format!(
                "附件“{name}”的附件行记载 {} 字节，记录为 {size} 字节：归档已被改动",
                line.size
            ));
        }
        if bytes.len() as u64 != *size {
            return Err(format!(
                "附件“{name}”有 {} 字节，记录为 {size} 字节：归档已被改动",
                bytes.len()
            ));
        }
        writer
            .with_txn(|txn| crate::attachments::restore_content(txn, algo, &hash, &bytes))
            .map_err(|e| match e {
                StoreError::Corrupt(_) => {
                    format!("附件“{name}”的内容与哈希不符：归档已被改动")
                }
                other => other.to_string(),
            })
    }

    /// What is missing once every line is read: a document an entry names, or the count the first
    /// line gave.
    fn missing(&self, promised: u64) -> Option<String> {
        if let Some((hash, (name, _))) = self
            .named
            .iter()
            .find(|(hash, _)| !self.restored.contains(*hash))
        {
            return Some(format!(
                "归档缺少附件“{name}”（{hash}）的内容（归档被截断？）"
            ));
        }
        let restored = self.restored.len() as u64;
        (restored != promised)
            .then(|| format!("归档首行记载 {promised} 份附件，实有 {restored} 份（归档被改动？）"))
    }
}

/// The longest line an archive may hold: a document of the largest size in base64, with room to
/// spare. An edited archive with a longer line is refused before it fills the memory.
const ARCHIVE_LINE_BYTES_MAX: u64 =
    crate::attachments::ATTACHMENT_BYTES_MAX / 3 * 4 + 16 * 1024 * 1024;

/// An archive's lines as `BufRead::lines` gives them (without "\n" or "\r\n"), each read at most
/// to [`ARCHIVE_LINE_BYTES_MAX`].
struct BoundedLines<R>(R);

impl<R: BufRead> Iterator for BoundedLines<R> {
    type Item = std::io::Result<String>;

    fn next(&mut self) -> Option<std::io::Result<String>> {
        use std::io::Read;
        let mut bytes = Vec::new();
        // `Take` of a `BufRead` reads from its buffer: nothing past the line is lost.
        let mut limited = (&mut self.0).take(ARCHIVE_LINE_BYTES_MAX + 1);
        match limited.read_until(b'\n', &mut bytes) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(Err(e)),
        }
        if bytes.len() as u64 > ARCHIVE_LINE_BYTES_MAX {
            return Some(Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                "line too long",
            )));
        }
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        Some(String::from_utf8(bytes).map_err(|_| std::io::ErrorKind::InvalidData.into()))
    }
}

/// Why a line of the archive could not be read, in words: a line that is not UTF-8 is the
/// archive's fault, not the disk's.
fn archive_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::FileTooLarge => format!(
            "一行超过 {} MB：不是 taizhang 写出的归档",
            ARCHIVE_LINE_BYTES_MAX / (1024 * 1024)
        ),
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

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read};

    use super::{archive_io, BoundedLines, ARCHIVE_LINE_BYTES_MAX};

    #[test]
    fn lines_read_as_buf_read_reads_them() {
        for text in ["a\nb\r\nc", "a\n\nb\n", "", "一\r\n二\r\n", "x\ry\n"] {
            let bounded: Vec<String> = BoundedLines(text.as_bytes())
                .map(|l| l.expect("a line"))
                .collect();
            let plain: Vec<String> = text.lines().map(str::to_string).collect();
            let std_lines: Vec<String> = text.as_bytes().lines().map(|l| l.unwrap()).collect();
            assert_eq!(bounded, std_lines, "{text:?}");
            assert_eq!(bounded.len(), plain.len(), "{text:?}");
        }
    }

    #[test]
    fn a_line_longer_than_any_archive_writes_is_refused_not_read_whole() {
        let endless = std::io::repeat(b'a').take(ARCHIVE_LINE_BYTES_MAX + 10);
        let mut lines = BoundedLines(BufReader::new(endless));
        let error = lines.next().expect("an answer").expect_err("refused");
        assert!(archive_io(&error).contains("一行超过"), "{error}");
        let bad_utf8 = BoundedLines(&b"\xff\xfe\n"[..]).next().expect("an answer");
        assert!(archive_io(&bad_utf8.expect_err("refused")).contains("UTF-8"));
    }
}
