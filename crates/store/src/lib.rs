//! taizhang-store: the append-only ledger on disk.
//!
//! One redb file holds the entries (each hash-chained to the one before), the indexes that make
//! posting idempotent, the running sums the reports read, and the period lock. A batch is committed
//! with `Durability::Immediate` before anything says it is done (a large one in several transactions,
//! all but the last without fsync: [`batch`]); a killed process leaves the file as it was before or
//! after the batch. Stored record types live only here
//! ([`record`]) and convert to and from the core types at this boundary.

mod archive;
pub mod attachments;
mod batch;
pub mod chunk;
mod copy;
mod guard;
pub mod hash;
mod index;
mod journal;
mod keys;
mod ledger;
mod lookup;
mod overlay;
mod pending;
pub mod record;
mod seen;
mod sm3_lanes;
mod users;
mod verify;

pub use archive::EntryLine;
pub use attachments::{AttachError, Attached, Attachment};
pub use hash::HashAlgo;
pub use ledger::{
    FoldedSums, Head, Header, Ledger, Offered, Posted, Prepared, Preparer, UnitNames, Writer,
};
pub use lookup::{ContractEntries, ReversalLinks};
pub use pending::{PendingBatch, Submission};
pub use users::{Credentials, TokenHash, UserState};
pub use verify::Verification;

/// Why the store failed. Messages are Chinese: they reach the accountant.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("台账文件 {0} 已存在；如要重新开始，请换一个路径")]
    AlreadyExists(String),
    #[error("台账文件 {0} 不存在；请先运行 taizhang init")]
    NotFound(String),
    #[error("台账 {0} 正被另一个 taizhang 进程使用，请等它结束后再试")]
    Busy(String),
    /// [`StoreError::Busy`] found where the path is not known; [`guard::contain`] names the file.
    #[error("台账正被另一个 taizhang 进程使用，请等它结束后再试")]
    BusyUnnamed,
    #[error("台账文件由更新版本的 taizhang 写入（格式 {0}），本程序无法读取，请升级")]
    NewerFormat(u32),
    #[error("台账已损坏：{0}")]
    Corrupt(String),
    /// The file itself, below the entries: the storage engine cannot read it, or its checksums fail.
    #[error("台账文件 {0} 已损坏：{1}")]
    Damaged(String, String),
    #[error("没有读写台账文件 {0} 的权限")]
    Denied(String),
    #[error("台账文件 {0} 所在的文件系统是只读的，不能写入（读取类命令仍可使用）")]
    ReadOnlyFs(String),
    #[error("{0} 是目录，不是台账文件")]
    NotAFile(String),
    #[error("汇总超出台账能记的上限（{0}），本批已拒绝")]
    Overflow(String),
    #[error("台账 {0} 以只读方式打开，不能记账")]
    ReadOnly(String),
    #[error("读写台账失败：{0}")]
    Io(String),
}

impl From<redb::Error> for StoreError {
    /// redb's own words are English, and some of its errors print its types: the accountant is told
    /// what happened in hers, and in the right category. A table missing or of the wrong type in a
    /// file that taizhang opened as its own is damage, not a failure to read or write.
    fn from(e: redb::Error) -> StoreError {
        use redb::Error as E;
        match e {
            // Reading past the end or bytes the engine cannot take: its own structure is broken.
            E::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
                ) =>
            {
                StoreError::Corrupt("存储引擎读到了文件结构之外（文件损坏或被截断）".into())
            }
            E::Io(io) => StoreError::Io(io_words(&io)),
            E::Corrupted(_) => StoreError::Corrupt("存储引擎发现文件结构损坏".into()),
            E::TableDoesNotExist(table) => {
                StoreError::Corrupt(format!("缺少{}", table_words(&table)))
            }
            E::TableTypeMismatch { table, .. }
            | E::TableIsMultimap(table)
            | E::TableIsNotMultimap(table) => StoreError::Corrupt(format!(
                "{}的键或值的类型不是台账应有的",
                table_words(&table)
            )),
            E::TypeDefinitionChanged { .. } => {
                StoreError::Corrupt("一张数据表的键或值的存储宽度不是台账应有的".into())
            }
            E::UpgradeRequired(_) => {
                StoreError::Corrupt("存储引擎的文件格式版本不是本程序能读的".into())
            }
            E::PreviousIo => StoreError::Io("此前的一次读写已失败，本次未再写入".into()),
            E::DatabaseAlreadyOpen | E::LockProtocolMismatch | E::WouldBlock => {
                StoreError::BusyUnnamed
            }
            E::ValueTooLarge(n) => StoreError::Io(format!("一条数据过大（{n} 字节）")),
            // What remains are the program's own misuse of the engine (a transaction still open,
            // a savepoint, a poisoned lock): no words of the engine's, its types least of all.
            _ => StoreError::Io("存储引擎拒绝了这次读写（程序内部错误）".into()),
        }
    }
}

/// A stored table by what it holds (its name in the file is an English word).
fn table_words(table: &str) -> &'static str {
    match table {
        "meta" => "台账头表",
        "entries" => "记录表",
        "sums" => "汇总表",
        "names" => "科目名称表",
        "keys" | "keys_short" => "幂等索引表",
        "credentials" => "用户口令表",
        "attachments" => "附件表",
        "pending" | "pending_next" => "待审批次表",
        _ => "一张数据表",
    }
}

/// An I/O error in words: the kind in Chinese, the system's own text only as a last resort.
/// A table beside the chain that a ledger has only once it was first written (credentials, pending
/// batches, documents): `None` for a ledger that never had one, which is not damage.
pub(crate) fn table_if_made<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    table: redb::TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, StoreError> {
    match txn.open_table(table) {
        Ok(table) => Ok(Some(table)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::PermissionDenied => "没有权限".into(),
        K::NotFound => "文件不存在".into(),
        K::ReadOnlyFilesystem => "文件系统只读".into(),
        K::StorageFull => "磁盘已满".into(),
        K::QuotaExceeded => "超出磁盘配额".into(),
        K::FileTooLarge => "文件超出大小限制".into(),
        K::UnexpectedEof => "文件比应有的短（被截断？）".into(),
        K::IsADirectory => "是目录，不是文件".into(),
        _ => match e.raw_os_error() {
            Some(code) => format!("系统错误 {code}"),
            None => "读写失败".into(),
        },
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> StoreError {
                StoreError::from(redb::Error::from(e))
            }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError,
    redb::SavepointError
);

impl StoreError {
    /// Names the entry at which damage was found, where the caller knows it.
    pub(crate) fn at_entry(self, seq: u64) -> StoreError {
        match self {
            StoreError::Corrupt(what) => StoreError::Corrupt(format!("第 {seq} 条：{what}")),
            other => other,
        }
    }
}

impl From<record::DecodeError> for StoreError {
    fn from(e: record::DecodeError) -> StoreError {
        StoreError::Corrupt(e.to_string())
    }
}
