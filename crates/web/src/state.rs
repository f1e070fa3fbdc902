//! What every handler shares: the ledger (one process holds it; reads run beside writes on the
//! engine's read transactions), the sessions, and whether cookies are marked Secure.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use taizhang_store::{Ledger, UserState};

use crate::auth::{lock, Sessions};

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
    /// Batches committed (or tried) since the start: what a cached answer was computed at. The
    /// server is the ledger's only writer while it runs (the file is locked), so the ledger changes
    /// only between two values of this count.
    generation: AtomicU64,
    /// Who may use the server and the owners of the script tokens, as of a generation: every request
    /// asks, and reading them (with the user entries' hashes checked) cost more than the answer.
    people: Mutex<Option<(u64, Arc<People>)>>,
    /// Report answers by request, as of a generation (bench/web.sh: table 7 under load).
    answers: Mutex<(u64, HashMap<String, Arc<Value>>)>,
}

/// The users as the chain leaves them, and each token's SHA-256 with its owner.
pub struct People {
    pub users: Vec<UserState>,
    pub tokens: Vec<(String, String)>,
}

impl People {
    /// An active user by name.
    pub fn active(&self, name: &str) -> Option<&UserState> {
        self.users.iter().find(|u| u.name == name && u.active)
    }
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
                generation: AtomicU64::new(0),
                people: Mutex::new(None),
                answers: Mutex::new((0, HashMap::new())),
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
        let done = self.read(f).await;
        // Whatever the batch did, answers computed before it are old now.
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        done
    }

    fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::SeqCst)
    }

    /// The users and tokens, read again only after a batch.
    pub async fn people(&self) -> Result<Arc<People>, crate::http::WebError> {
        let now = self.generation();
        if let Some((at, people)) = lock(&self.inner.people).as_ref() {
            if *at == now {
                return Ok(people.clone());
            }
        }
        let people = self
            .read(|ledger| -> Result<People, crate::http::WebError> {
                let tokens = ledger
                    .all_credentials()?
                    .into_iter()
                    .flat_map(|(name, c)| {
                        c.tokens.into_iter().map(move |t| (t.sha256, name.clone()))
                    })
                    .collect();
                Ok(People {
                    users: ledger.users()?,
                    tokens,
                })
            })
            .await??;
        let people = Arc::new(people);
        // Kept only if no batch ran meanwhile: else it may describe the ledger before that batch.
        if self.generation() == now {
            *lock(&self.inner.people) = Some((now, people.clone()));
        }
        Ok(people)
    }

    /// A report's answer for `key` (the request), computed by `compute` unless the same request was
    /// answered since the last batch.
    pub async fn answer(
        &self,
        key: String,
        compute: impl FnOnce(&Ledger) -> Result<Value, crate::http::WebError> + Send + 'static,
    ) -> Result<Arc<Value>, crate::http::WebError> {
        let now = self.generation();
        {
            let answers = lock(&self.inner.answers);
            if answers.0 == now {
                if let Some(value) = answers.1.get(&key) {
                    return Ok(value.clone());
                }
            }
        }
        let value = Arc::new(self.read(compute).await??);
        let mut answers = lock(&self.inner.answers);
        if self.generation() == now {
            if answers.0 != now {
                *answers = (now, HashMap::new());
            }
            // A bound on memory: the keys are years and quarters, but a caller may ask for many.
            if answers.1.len() >= ANSWERS_MAX {
                answers.1.clear();
            }
            answers.1.insert(key, value.clone());
        }
        Ok(value)
    }
}

/// Report answers kept at most.
const ANSWERS_MAX: usize = 64;

/// The machine's cores (at least one): as many Argon2 checks as can truly run side by side.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
