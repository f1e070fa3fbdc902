//! A batch's redb transactions: one for a small batch, several for a large one.
//!
//! redb computes the checksums of the pages a transaction changed when it commits. A transaction
//! larger than the page cache has had its early pages written to the file and dropped from the
//! cache by then, so the commit reads every one of them back and writes it again: an import of
//! 100,000 rows wrote its 18.6 MB twice and read them once, all of it after the last row, on one
//! thread. So a batch commits a transaction without fsync ([`Durability::None`]) each time it has
//! stored about a quarter of the cache, while its pages are still in memory, and only its last
//! transaction durably.
//!
//! The batch stays all or nothing:
//! - A commit without fsync only changes redb's header in memory; the file's header still names the
//!   state before the batch until the last, durable commit. A killed process therefore leaves the
//!   ledger as the batch found it (redb recovers to its last durable commit).
//! - An abandoned batch (a refused row, a failed write) must be rolled back, not merely dropped:
//!   redb makes pending commits durable when the database closes. [`BatchTxn::abandon`] restores
//!   the savepoint taken before the batch's first write and commits that. Should even that fail,
//!   the failure to expect is an I/O error, which redb latches: it then writes nothing on close.

use redb::{Database, Durability, Savepoint, Table, WriteTransaction};
use self_cell::self_cell;

use crate::index::{self, WriteIndex};
use crate::ledger::{CACHE_BYTES, ENTRIES, META, NAMES, SUMS};
use crate::StoreError;

/// Bytes of stored chunks after which a transaction commits: its index pages come on top, and all
/// of it must still be in the cache when it commits.
const TRANSACTION_BYTES: usize = CACHE_BYTES / 4;

/// The tables a batch writes.
pub(crate) struct Tables<'t> {
    pub entries: Table<'t, u64, &'static [u8]>,
    pub keys: WriteIndex<'t>,
    pub names: Table<'t, &'static str, &'static str>,
    pub meta: Table<'t, &'static str, &'static [u8]>,
    pub sums: Table<'t, &'static str, i64>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Tables<'t>, StoreError> {
        Ok(Tables {
            entries: txn.open_table(ENTRIES)?,
            keys: index::open_write(txn)?,
            names: txn.open_table(NAMES)?,
            meta: txn.open_table(META)?,
            sums: txn.open_table(SUMS)?,
        })
    }
}

self_cell!(
    /// A write transaction with its tables open.
    struct OpenTxn {
        owner: WriteTransaction,
        #[covariant]
        dependent: Tables,
    }
);

impl OpenTxn {
    fn open(txn: WriteTransaction) -> Result<OpenTxn, StoreError> {
        OpenTxn::try_new(txn, |txn| Tables::open(txn))
    }

    fn commit(self, durability: Durability) -> Result<(), StoreError> {
        let mut txn = self.into_owner();
        txn.set_durability(durability)?;
        Ok(txn.commit()?)
    }
}

/// The open transaction of a batch, and what it takes to end the batch either way.
pub(crate) struct BatchTxn<'db> {
    db: &'db Database,
    /// `None` once ended, or after a commit between transactions failed (the batch is abandoned).
    open: Option<OpenTxn>,
    /// The ledger before the batch, to return to if the batch is abandoned.
    start: Savepoint,
    stored_bytes: usize,
    /// Whether commits without fsync are pending: the batch must then end durably or roll back.
    pending: bool,
}

impl<'db> BatchTxn<'db> {
    pub fn begin(db: &'db Database) -> Result<BatchTxn<'db>, StoreError> {
        let txn = db.begin_write()?;
        // Before any table is opened: redb takes savepoints of clean transactions only.
        let start = txn.ephemeral_savepoint()?;
        Ok(BatchTxn {
            db,
            open: Some(OpenTxn::open(txn)?),
            start,
            stored_bytes: 0,
            pending: false,
        })
    }

    pub fn tables(&self) -> Result<&Tables<'_>, StoreError> {
        Ok(self.open.as_ref().ok_or_else(abandoned)?.borrow_dependent())
    }

    pub fn with_tables<R>(
        &mut self,
        f: impl FnOnce(&mut Tables<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let open = self.open.as_mut().ok_or_else(abandoned)?;
        open.with_dependent_mut(|_, tables| f(tables))
    }

    /// Runs `f` on the open transaction itself, for a table outside [`Tables`] (the credentials).
    pub fn with_txn<R>(
        &mut self,
        f: impl FnOnce(&WriteTransaction) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let open = self.open.as_mut().ok_or_else(abandoned)?;
        open.with_dependent_mut(|txn, _| f(txn))
    }

    /// Counts `bytes` just stored; commits the transaction and opens the next when it is large.
    /// Call only where the batch's tables hold everything written so far.
    pub fn stored(&mut self, bytes: usize) -> Result<(), StoreError> {
        self.stored_bytes += bytes;
        if self.stored_bytes < TRANSACTION_BYTES {
            return Ok(());
        }
        self.stored_bytes = 0;
        let open = self.open.take().ok_or_else(abandoned)?;
        self.pending = true;
        open.commit(Durability::None)?;
        self.open = Some(OpenTxn::open(self.db.begin_write()?)?);
        Ok(())
    }

    /// Commits the batch durably.
    pub fn commit(mut self) -> Result<(), StoreError> {
        let open = self.open.take().ok_or_else(abandoned)?;
        open.commit(Durability::Immediate)?;
        self.pending = false;
        Ok(())
    }

    /// Leaves the ledger as the batch found it.
    pub fn abandon(mut self) -> Result<(), StoreError> {
        self.roll_back()
    }

    fn roll_back(&mut self) -> Result<(), StoreError> {
        // Dropping a transaction aborts it; it must end before the next begins.
        drop(self.open.take());
        if !self.pending {
            return Ok(());
        }
        // A new transaction commits durably unless told otherwise.
        let mut txn = self.db.begin_write()?;
        txn.restore_savepoint(&self.start)?;
        txn.commit()?;
        self.pending = false;
        Ok(())
    }
}

impl Drop for BatchTxn<'_> {
    /// A batch left without [`BatchTxn::commit`] or [`BatchTxn::abandon`] (an early return) is
    /// rolled back too: redb would make its pending commits durable on close.
    fn drop(&mut self) {
        if self.pending {
            let _ = self.roll_back();
        }
    }
}

fn abandoned() -> StoreError {
    StoreError::Io("上一段写入失败，本批已中止".into())
}
