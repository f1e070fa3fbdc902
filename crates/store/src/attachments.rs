//! The documents behind entries (原始凭证): a contract, a 验收单, an invoice. Each attachment is an
//! entry of the chain ([`Body::Attachment`]) naming its target entry, the file's name, size and hash;
//! the bytes live in the `attachments` table beside the chain, keyed by that hash (the chain's
//! algorithm, SM3 or SHA-256), so the same bytes are stored once however many entries they document.
//! The entry and the bytes are written in one transaction ([`crate::Writer::with_txn`]): a document
//! is attached whole or not at all. Bytes are hashed again whenever they are read: bytes that no
//! longer match their hash are damage, never served. `verify` checks every attachment entry's bytes
//! and that no stored bytes are unnamed.
//!
//! Not here: who may attach (the web's rights), where a name comes from (the CLI's file, the web's
//! upload).

use std::io::{Read, Seek};
use std::path::Path;

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use taizhang_core::{AttachmentNote, Body, EntryKey};

use crate::hash::{hex, unhex, HashAlgo, Hasher};
use crate::ledger::{Ledger, Offered};
use crate::record::{Micros, HASH_BYTES};
use crate::StoreError;

/// The largest document taken: a scanned contract of a hundred pages at 300 dpi fits; a video does not.
pub const ATTACHMENT_BYTES_MAX: u64 = 32 * 1024 * 1024;
/// The longest file name kept, in characters.
pub const ATTACHMENT_NAME_CHARS_MAX: usize = 200;
/// The longest file name kept, in bytes of UTF-8 (a Chinese character is three): the year-end export
/// writes the name as a file with up to three numbers before it, and a file system takes 255 bytes.
pub const ATTACHMENT_NAME_BYTES_MAX: usize = 200;
/// The kinds of document taken, by extension (lower case): PDF and OFD (China's fixed-layout format
/// for e-invoices), scans and photos, office files (Microsoft's and WPS's), plain text and CSV, and
/// zip for a bundle. Nothing a browser would run as a page (html, svg, js) or a program.
pub const ATTACHMENT_EXTENSIONS: [&str; 16] = [
    "pdf", "ofd", "jpg", "jpeg", "png", "tif", "tiff", "doc", "docx", "xls", "xlsx", "wps", "et",
    "txt", "csv", "zip",
];

pub(crate) const ATTACHMENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("attachments");

/// How much of a file is read at a time while hashing or storing it.
const READ_BYTES: usize = 64 * 1024;

/// A document attached to an entry, as its attachment entry records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The attachment entry's own seq.
    pub seq: u64,
    pub note: AttachmentNote,
    /// Who attached it: the entry's operator.
    pub uploaded_by: String,
    pub recorded_at: Micros,
}

/// What [`Ledger::attach`] did: attached now, or found already attached to that entry (nothing new).
#[derive(Clone, Debug)]
pub struct Attached {
    pub attachment: Attachment,
    pub new: bool,
}

/// Why a document was not attached. Every case but `Store` is the user's to fix (exit 1, HTTP 4xx).
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("台账中没有第 {0} 条记录")]
    NoEntry(u64),
    #[error("第 {seq} 条是{kind}记录，不能附加原始凭证（只有收入、支出、合同、补充协议、验收、债券、年初数和冲销记录可以）")]
    NotAttachable { seq: u64, kind: &'static str },
    #[error("文件名“{name}”{why}")]
    BadName { name: String, why: String },
    #[error("文件大小 {size} 字节，超过每个附件 {} MB 的上限", ATTACHMENT_BYTES_MAX / (1024 * 1024))]
    TooLarge { size: u64 },
    #[error("文件是空的（0 字节）")]
    Empty,
    #[error("读取文件失败：{0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether documents may be attached to an entry of this kind: the entries of the accounts, not the
/// ledger's own housekeeping (users, settings, reviews, names, closing, other attachments).
pub fn attachable(body: &Body) -> bool {
    matches!(
        body,
        Body::Receipt(_)
            | Body::Payment(_)
            | Body::Contract(_)
            | Body::Amendment(_)
            | Body::Acceptance(_)
            | Body::Bond(_)
            | Body::Opening(_)
            | Body::Reversal(_)
    )
}

/// Checks a document's file name and returns it as stored (trimmed, NFC): the core's text rules, no
/// path separator or character Windows refuses in a name (the year-end export writes it as a file),
/// at most [`ATTACHMENT_NAME_CHARS_MAX`] characters, and one of [`ATTACHMENT_EXTENSIONS`].
pub fn check_name(name: &str) -> Result<String, AttachError> {
    let bad = |why: String| AttachError::BadName {
        name: taizhang_core::text::excerpt(name).into_owned(),
        why,
    };
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(bad("为空".into()));
    }
    taizhang_core::text::check(trimmed).map_err(|e| bad(format!("不能用：{e}")))?;
    // Checked as stored: normalization may change the characters and their count.
    let normalized = taizhang_core::text::nfc(trimmed);
    let trimmed = normalized.as_ref();
    if let Some(c) = trimmed
        .chars()
        .find(|c| matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*'))
    {
        return Err(bad(format!(
            "含有“{c}”：文件名不能含路径分隔符或 < > : \" | ? *"
        )));
    }
    if trimmed.chars().count() > ATTACHMENT_NAME_CHARS_MAX {
        return Err(bad(format!("超过 {ATTACHMENT_NAME_CHARS_MAX} 个字符")));
    }
    if trimmed.len() > ATTACHMENT_NAME_BYTES_MAX {
        return Err(bad(format!(
            "太长（{} 字节，上限 {ATTACHMENT_NAME_BYTES_MAX} 字节，约 {} 个汉字）：导出时文件名放不下，请改短",
            trimmed.len(),
            ATTACHMENT_NAME_BYTES_MAX / 3
        )));
    }
    if trimmed.ends_with('.') {
        return Err(bad("不能以“.”结尾".into()));
    }
    let extension = trimmed
        .rsplit_once('.')
        .filter(|(stem, _)| !stem.is_empty())
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match extension {
        Some(ext) if ATTACHMENT_EXTENSIONS.contains(&ext.as_str()) => Ok(trimmed.to_string()),
        _ => Err(bad(format!(
            "的类型不能作为附件：只收 {}",
            ATTACHMENT_EXTENSIONS.join("、")
        ))),
    }
}

/// Where a document's bytes come from.
enum Content<'a> {
    Bytes(&'a [u8]),
    /// A file, read twice through the one handle opened (a file swapped in at the same path between
    /// the reads is never opened): once to hash it, once into the stored value (hashed again, so a
    /// file changed in between is refused, never stored under another file's hash).
    File(&'a std::fs::File),
}

impl Ledger {
    /// Attaches `bytes` as the document `name` of entry `target`: one entry of the chain and the bytes
    /// in the same transaction. The same bytes already attached to that entry: nothing new (`new` is
    /// false and the earlier attachment is returned, whatever name it was given).
    pub fn attach(
        &self,
        target: u64,
        name: &str,
        bytes: &[u8],
        operator: &str,
        source: &str,
    ) -> Result<Attached, AttachError> {
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let hash = self.algo().digest(bytes);
        self.attach_content(
            target,
            name,
            (size, hash),
            Content::Bytes(bytes),
            operator,
            source,
        )
    }

    /// [`Ledger::attach`] of a file's content, streamed: the file is never held whole in memory.
    pub fn attach_file(
        &self,
        target: u64,
        name: &str,
        path: &Path,
        operator: &str,
        source: &str,
    ) -> Result<Attached, AttachError> {
        let (file, size, hash) = hash_file(self.algo(), path)?;
        self.attach_content(
            target,
            name,
            (size, hash),
            Content::File(&file),
            operator,
            source,
        )
    }

    fn attach_content(
        &self,
        target: u64,
        name: &str,
        (size, hash): (u64, [u8; HASH_BYTES]),
        content: Content<'_>,
        operator: &str,
        source: &str,
    ) -> Result<Attached, AttachError> {
        let name = check_name(name)?;
        if size > ATTACHMENT_BYTES_MAX {
            return Err(AttachError::TooLarge { size });
        }
        if size == 0 {
            return Err(AttachError::Empty);
        }
        let entry = self.entry_at(target)?.ok_or(AttachError::NoEntry(target))?;
        if !attachable(&entry.body) {
            return Err(AttachError::NotAttachable {
                seq: target,
                kind: entry.body.kind().label(),
            });
        }
        let hash_hex = hex(&hash);
        let key = EntryKey::Attachment {
            target,
            hash: hash_hex.clone(),
        };
        if let Some(earlier) = self.entry_by_key(&key)? {
            return Ok(Attached {
                attachment: self.attachment_of(earlier)?,
                new: false,
            });
        }
        let note = AttachmentNote {
            target,
            name,
            size,
            hash: hash_hex,
        };
        let algo = self.algo();
        let mut outcome = None;
        self.write_batch(operator, |w| {
            let offered = w.offer(source, Body::Attachment(note.clone()));
            let posted = matches!(offered, Ok(Offered::Posted(_)));
            outcome = Some(offered);
            if posted {
                if let Err(e) = w.with_txn(|txn| store_content(txn, algo, &hash, size, &content)) {
                    w.fail(e);
                }
            }
            posted
        })?;
        match crate::ledger::single_outcome(outcome, "无法记录附件")? {
            Some(seq) => {
                let posted = self
                    .entry_at(seq)?
                    .ok_or_else(|| StoreError::Corrupt(format!("刚记录的第 {seq} 条读不到")))?;
                Ok(Attached {
                    attachment: self.attachment_of(posted)?,
                    new: true,
                })
            }
            // Looked up above, and batches take turns: only a race with another process's
            // identical attachment comes here.
            None => {
                let earlier = self
                    .entry_by_key(&key)?
                    .ok_or_else(|| StoreError::Corrupt("附件记录读不到".into()))?;
                Ok(Attached {
                    attachment: self.attachment_of(earlier)?,
                    new: false,
                })
            }
        }
    }

    /// The documents attached to entry `seq`, in the order they were attached.
    pub fn attachments_of(&self, seq: u64) -> Result<Vec<Attachment>, StoreError> {
        let target = format!("{seq:020}");
        let mut found: Vec<Attachment> = self
            .entries_under(&["F", &target])?
            .into_iter()
            .map(|posted| self.attachment_of(posted))
            .collect::<Result<_, _>>()?;
        found.sort_by_key(|a| a.seq);
        Ok(found)
    }

    /// The attachment of entry `target` with this hash (hex), if there is one.
    pub fn attachment(&self, target: u64, hash: &str) -> Result<Option<Attachment>, StoreError> {
        let key = EntryKey::Attachment {
            target,
            hash: hash.trim().to_ascii_lowercase(),
        };
        self.entry_by_key(&key)?
            .map(|posted| self.attachment_of(posted))
            .transpose()
    }

    /// Every attachment entry of the ledger, in seq order (the year-end export's documents).
    pub fn all_attachments(&self) -> Result<Vec<Attachment>, StoreError> {
        let mut found: Vec<Attachment> = self
            .entries_under(&["F"])?
            .into_iter()
            .map(|posted| self.attachment_of(posted))
            .collect::<Result<_, _>>()?;
        found.sort_by_key(|a| a.seq);
        Ok(found)
    }

    /// The stored bytes under `hash` (hex), hashed again: `None` when none are stored; bytes that no
    /// longer match their hash are damage, refused.
    pub fn attachment_bytes(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(key) = unhex(hash).filter(|k| k.len() == HASH_BYTES) else {
            return Ok(None);
        };
        self.guarded("读取附件", || {
            let txn = self.db().begin_read()?;
            let Some(table) = crate::table_if_made(&txn, ATTACHMENTS)? else {
                return Ok(None);
            };
            let Some(value) = table.get(key.as_slice())? else {
                return Ok(None);
            };
            let bytes = value.value().to_vec();
            if self.algo().digest(&bytes).as_slice() != key.as_slice() {
                return Err(StoreError::Corrupt(format!(
                    "附件 {} 的内容与其哈希不符（文件被改动），已拒绝提供",
                    hash.trim()
                )));
            }
            Ok(Some(bytes))
        })
    }

    /// An attachment entry read back as an [`Attachment`]; its hash must hold.
    fn attachment_of(&self, posted: crate::Posted) -> Result<Attachment, StoreError> {
        if !self.hash_holds(&posted) {
            return Err(StoreError::Corrupt(format!(
                "第 {} 条（附件记录）的内容与其哈希不符",
                posted.record.seq
            )));
        }
        let Body::Attachment(note) = posted.body else {
            return Err(StoreError::Corrupt("附件的索引指向了别的记录".into()));
        };
        Ok(Attachment {
            seq: posted.record.seq,
            note,
            uploaded_by: posted.record.operator,
            recorded_at: posted.record.recorded_at,
        })
    }
}

/// A file's size and hash, read a piece at a time; refused past the limit without reading further.
fn hash_file(
    algo: HashAlgo,
    path: &Path,
) -> Result<(std::fs::File, u64, [u8; HASH_BYTES]), AttachError> {
    let unreadable = |e: std::io::Error| AttachError::Unreadable(crate::io_words(&e));
    // Asked before opening: opening a named pipe (FIFO) waits for a writer, perhaps forever, and a
    // device reads without end.
    let ahead = std::fs::metadata(path).map_err(unreadable)?;
    if ahead.is_dir() {
        return Err(AttachError::Unreadable("是文件夹，不是文件".into()));
    }
    if !ahead.is_file() {
        return Err(AttachError::Unreadable(
            "不是普通文件（管道、设备等不能作为附件）".into(),
        ));
    }
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(AttachError::Unreadable(
            "不是普通文件（管道、设备等不能作为附件）".into(),
        ));
    }
    if meta.len() > ATTACHMENT_BYTES_MAX {
        return Err(AttachError::TooLarge { size: meta.len() });
    }
    // At most one byte past the limit is read: a file that grew since is refused without reading on.
    let (size, hash) = algo
        .digest_reader((&mut file).take(ATTACHMENT_BYTES_MAX + 1))
        .map_err(unreadable)?;
    if size > ATTACHMENT_BYTES_MAX {
        return Err(AttachError::TooLarge { size });
    }
    Ok((file, size, hash))
}

/// Stores a document's bytes under its hash in the batch's transaction, unless the same bytes are
/// stored already. A file is read straight into the value redb reserves, and hashed again on the way.
fn store_content(
    txn: &WriteTransaction,
    algo: HashAlgo,
    hash: &[u8; HASH_BYTES],
    size: u64,
    content: &Content<'_>,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(ATTACHMENTS)?;
    if table.get(hash.as_slice())?.is_some() {
        return Ok(());
    }
    match content {
        Content::Bytes(bytes) => {
            table.insert(hash.as_slice(), *bytes)?;
        }
        Content::File(opened) => {
            let length = usize::try_from(size)
                .map_err(|_| StoreError::Io("附件过大，本机无法存放".into()))?;
            let changed =
                || StoreError::Io("附件文件在记录过程中被改动，未记录；请再试一次".into());
            let unreadable = |e: std::io::Error| {
                StoreError::Io(format!("读取附件文件失败：{}", crate::io_words(&e)))
            };
            let mut file: &std::fs::File = opened;
            file.seek(std::io::SeekFrom::Start(0)).map_err(unreadable)?;
            let mut value = table.insert_reserve(hash.as_slice(), length)?;
            let buffer: &mut [u8] = value.as_mut();
            let mut hasher = Hasher::new(algo);
            for piece in buffer.chunks_mut(READ_BYTES) {
                file.read_exact(piece).map_err(|e| match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => changed(),
                    _ => unreadable(e),
                })?;
                hasher.update(piece);
            }
            let mut probe = [0u8; 1];
            let longer = file.read(&mut probe).map_err(unreadable)? > 0;
            if longer || hasher.finish() != *hash {
                return Err(changed());
            }
        }
    }
    Ok(())
}

/// The stored documents' hashes and sizes, for `verify` and the archive; each is hashed again by
/// `each` as it is read. An absent table is a ledger that never had one.
pub(crate) fn for_each_stored(
    txn: &redb::ReadTransaction,
    mut each: impl FnMut(&[u8], &[u8]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let Some(table) = crate::table_if_made(txn, ATTACHMENTS)? else {
        return Ok(());
    };
    for item in table.iter()? {
        let (key, value) = item?;
        each(key.value(), value.value())?;
    }
    Ok(())
}

/// Stores restored bytes (an archive's) under their hash, checked first.
pub(crate) fn restore_content(
    txn: &WriteTransaction,
    algo: HashAlgo,
    hash: &[u8; HASH_BYTES],
    bytes: &[u8],
) -> Result<(), StoreError> {
    if algo.digest(bytes) != *hash {
        return Err(StoreError::Corrupt(format!(
            "附件 {} 的内容与哈希不符：归档已被改动",
            hex(hash)
        )));
    }
    txn.open_table(ATTACHMENTS)?
        .insert(hash.as_slice(), bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_name, AttachError, ATTACHMENT_NAME_BYTES_MAX};

    #[test]
    fn a_name_the_export_could_not_write_as_a_file_is_refused() {
        // 70 Chinese characters are 210 bytes: with "123456-" before them the export's file name
        // would be fine, but with an attachment's seq too it nears what a file system takes.
        let long = format!("{}.pdf", "验".repeat(70));
        assert!(long.len() > ATTACHMENT_NAME_BYTES_MAX);
        match check_name(&long) {
            Err(AttachError::BadName { why, .. }) => assert!(why.contains("字节"), "{why}"),
            other => panic!("{other:?}"),
        }
        let fits = format!("{}.pdf", "验".repeat(60));
        assert_eq!(check_name(&fits).expect("fits"), fits);
    }

    #[test]
    fn names_are_checked_as_stored() {
        // Decomposed "é" is stored composed, and counted so.
        assert_eq!(
            check_name(" Jose\u{301}.pdf ").expect("taken"),
            "Jos\u{e9}.pdf"
        );
        for bad in [
            ".pdf",
            "a.pdf.",
            "a/b.pdf",
            "a\\b.pdf",
            "C:a.pdf",
            "a\u{202E}fdp.exe",
            "a\u{0}.pdf",
            "a.exe",
            "a.html",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
