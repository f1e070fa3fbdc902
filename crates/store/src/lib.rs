//! taizhang-store: the append-only ledger on disk.
//!
//! One redb file holds the entries (each hash-chained to the one before), the indexes that make
//! posting idempotent, the running sums the reports read, and the period lock. A batch is committed
//! with `Durability::Immediate` before anything says it is done (a large one in several transactions,
//! all but the last without fsync: [`batch`]); a killed process leaves the file as it was before or
//! after the batch. Stored record types live only here
//! ([`record`]) and convert to and from the core types at this boundary.

mod archive;
mod batch;
pub mod chunk;
mod copy;
pub mod hash;
mod index;
mod keys;
mod ledger;
mod lookup;
pub mod record;
mod seen;
mod sm3_lanes;
mod verify;

pub use archive::EntryLine;
pub use hash::HashAlgo;
pub use ledger::{
    FoldedSums, Head, Header, Ledger, Offered, Posted, Prepared, Preparer, UnitNames, Writer,
};
pub use lookup::ContractEntries;
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
    #[error("台账文件由更新版本的 taizhang 写入（格式 {0}），本程序无法读取，请升级")]
    NewerFormat(u32),
    #[error("台账已损坏：{0}")]
    Corrupt(String),
    #[error("读写台账失败：{0}")]
    Io(String),
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> StoreError {
        StoreError::Io(e.to_string())
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

impl From<record::DecodeError> for StoreError {
    fn from(e: record::DecodeError) -> StoreError {
        StoreError::Corrupt(e.to_string())
    }
}
