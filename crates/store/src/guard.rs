//! The store's boundary against the storage engine's panics.
//!
//! redb trusts the bytes of its file: a damaged or truncated file can make it panic (an index out
//! of bounds in `types.rs`, `bitmap.rs`, `buddy_allocator.rs`, or a debug assertion). The program must
//! never panic, so every public operation of the store runs inside [`contain`]: a panic becomes
//! [`StoreError::Damaged`], saying what the store was doing and where the engine gave up. The panic
//! hook stays silent for panics inside the boundary (no English backtrace reaches the accountant)
//! and for panics in redb's own code on any thread (the import's parsing thread reads the ledger
//! too); any other panic is reported as before.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe, PanicHookInfo};
use std::path::Path;
use std::sync::{Mutex, Once};

use crate::StoreError;

thread_local! {
    /// How deep this thread is inside [`contain`].
    static INSIDE: Cell<u32> = const { Cell::new(0) };
}

/// Where the last silenced panic happened: "bitmap.rs:123".
static LAST: Mutex<Option<String>> = Mutex::new(None);
static HOOK: Once = Once::new();

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

fn install_hook() {
    HOOK.call_once(|| {
        let previous: Hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_engine = info
                .location()
                .is_some_and(|l| l.file().contains("redb-") || l.file().contains("/redb/"));
            if INSIDE.with(Cell::get) > 0 || in_engine {
                let place = info.location().map(|l| {
                    let file = l.file().rsplit(['/', '\\']).next().unwrap_or(l.file());
                    format!("{file}:{}", l.line())
                });
                *LAST.lock().unwrap_or_else(|e| e.into_inner()) = place;
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic inside it into [`StoreError::Damaged`]; `doing` says what the store was
/// doing ("打开", "读取记录", …), for the message.
pub(crate) fn contain<R>(
    path: &Path,
    doing: &str,
    f: impl FnOnce() -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    install_hook();
    INSIDE.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    INSIDE.with(|d| d.set(d.get() - 1));
    match result {
        Ok(Err(StoreError::BusyUnnamed)) => Err(StoreError::Busy(path.display().to_string())),
        Ok(result) => result,
        Err(_) => Err(damaged(path, doing)),
    }
}

/// The error for a panic caught while `doing`, with where the engine stopped (and forgets it).
pub(crate) fn damaged(path: &Path, doing: &str) -> StoreError {
    let place = LAST.lock().unwrap_or_else(|e| e.into_inner()).take();
    let place = place.map_or(String::new(), |p| format!("，存储引擎停在 {p}"));
    StoreError::Damaged(
        path.display().to_string(),
        format!("{doing}时读到无法解释的数据{place}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_becomes_a_damaged_ledger() {
        let path = Path::new("t.ledger");
        let result: Result<(), StoreError> = contain(path, "读取记录", || {
            let v: Vec<u8> = Vec::new();
            let _ = v[3];
            Ok(())
        });
        let message = result.unwrap_err().to_string();
        assert!(
            message.starts_with("台账文件 t.ledger 已损坏：读取记录时"),
            "{message}"
        );
        assert!(message.contains("guard.rs:"), "{message}");
        assert_eq!(contain(path, "打开", || Ok(5)).unwrap(), 5);
    }
}
