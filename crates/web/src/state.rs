//! What every handler shares: the ledger (one process holds it; reads run beside writes on the
//! engine's read transactions), the sessions, and whether cookies are marked Secure.

use std::sync::Arc;

use taizhang_store::Ledger;

use crate::auth::Sessions;

#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub ledger: Ledger,
    pub sessions: Sessions,
    /// Served over TLS: cookies carry `Secure`.
    pub tls: bool,
    /// Serialises batches: redb takes one write transaction at a time anyway, and a second batch
    /// must not wait inside the engine holding a blocking thread.
    pub writing: tokio::sync::Mutex<()>,
    /// Password checks running at once (Argon2, 19 MiB and tens of milliseconds each): one per
    /// core. Unlimited, a flood of logins took every blocking thread (and gigabytes) from the reads.
    pub password_checks: tokio::sync::Semaphore,
    /// Logins waiting or running; one more is told to come back later (503) instead of queueing.
    pub logins_waiting: tokio::sync::Semaphore,
}

/// Logins that may wait for a password check at once.
const LOGINS_WAITING_MAX: usize = 64;

impl AppState {
    pub fn new(ledger: Ledger, tls: bool) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                ledger,
                sessions: Sessions::default(),
                tls,
                writing: tokio::sync::Mutex::new(()),
                password_checks: tokio::sync::Semaphore::new(cores()),
                logins_waiting: tokio::sync::Semaphore::new(LOGINS_WAITING_MAX),
            }),
        }
    }

    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    /// Runs a read of the ledger on a blocking thread: redb's reads are synchronous.
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Ledger) -> R + Send + 'static,
    ) -> Result<R, crate::http::WebError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || f(&state.inner.ledger))
            .await
            .map_err(|_| crate::http::WebError::internal("读取台账的任务中断"))
    }

    /// Runs a write (a batch) on a blocking thread, one at a time.
    pub async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Ledger) -> R + Send + 'static,
    ) -> Result<R, crate::http::WebError> {
        let _turn = self.inner.writing.lock().await;
        self.read(f).await
    }
}

/// The machine's cores (at least one): as many Argon2 checks as can truly run side by side.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
