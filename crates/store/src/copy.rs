//! A consistent copy of the ledger file, for `backup`. The store only holds the file still; the
//! caller copies it wherever it likes (a temporary file beside the target, renamed into place), so
//! that its messages can tell a full backup disk from a damaged ledger.

use std::path::Path;

use crate::ledger::Ledger;
use crate::StoreError;

impl Ledger {
    /// Calls `copy` with the ledger file's path while a read transaction holds a consistent view.
    /// redb writes new pages beside the committed ones, and this process holds the lock, so no
    /// commit can interleave with the copy.
    pub fn hold_still<T>(&self, copy: impl FnOnce(&Path) -> T) -> Result<T, StoreError> {
        let _view = self.guarded("读取", || Ok(self.db().begin_read()?))?;
        Ok(copy(self.path()))
    }
}
