//! Who is asking: passwords (Argon2id), sessions, bearer tokens, CSRF tokens, and the slowing of
//! repeated wrong passwords. Nothing here is stored in clear or logged: passwords are hashed before
//! they reach the store, tokens are shown once and kept as their SHA-256, session ids live only in
//! the server's memory (a restart logs everyone out).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use taizhang_core::Role;
use taizhang_store::{Ledger, StoreError, TokenHash};

/// A session ends after this long without a request…
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// …and after this long in any case (a working day).
pub const SESSION_ABSOLUTE: Duration = Duration::from_secs(10 * 60 * 60);
/// Wrong passwords for one name in a row before further logins for it are refused for a while.
pub const LOGIN_FAILURES_MAX: u32 = 5;
/// How long logins for that name are refused (429).
pub const LOGIN_LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// Sessions the server keeps at most: old ones are dropped first when a login would pass it.
const SESSIONS_MAX: usize = 10_000;
/// The shortest password `user add` and `user passwd` take.
pub const PASSWORD_CHARS_MIN: usize = 8;
/// The longest: Argon2 hashes any length, but a megabyte "password" is an attack on the CPU.
pub const PASSWORD_BYTES_MAX: usize = 1024;
/// The longest name a login is checked for: `user add` takes 64 characters (4 bytes at most each).
/// A longer one is no one's, and is not remembered among the failures: a megabyte "name" per
/// request would grow that map by a megabyte each time, before anyone logged in.
pub const NAME_BYTES_MAX: usize = 256;

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes, OWASP's minimum).
pub fn hash_password(password: &str) -> Result<String, String> {
    check_password(password)?;
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()?).map_err(|_| "无法生成盐值".to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| "口令无法散列".to_string())
}

/// The rules a new password must meet, in words.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < PASSWORD_CHARS_MIN {
        return Err(format!("口令至少 {PASSWORD_CHARS_MIN} 个字符"));
    }
    if password.len() > PASSWORD_BYTES_MAX {
        return Err(format!("口令不能超过 {PASSWORD_BYTES_MAX} 字节"));
    }
    Ok(())
}

/// Whether `password` is the one whose hash is stored.
fn password_matches(stored: &str, password: &str) -> bool {
    if password.len() > PASSWORD_BYTES_MAX {
        return false;
    }
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A new bearer token: 256 random bits, hex. Returned once; the store keeps its hash.
pub fn new_token() -> Result<(String, TokenHash), String> {
    let token = hex(&random_bytes::<32>()?);
    let hash = TokenHash {
        sha256: token_hash(&token),
        created_at: chrono::Utc::now().to_rfc3339(),
    };
    Ok((token, hash))
}

pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| "系统随机数不可用".to_string())?;
    Ok(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A logged-in person, as a request sees them.
#[derive(Clone, Debug)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    /// The session's CSRF token; `None` for a bearer token (no cookie, so no CSRF to fear).
    pub csrf: Option<String>,
}

struct Session {
    name: String,
    csrf: String,
    created: Instant,
    last_seen: Instant,
}

struct Failures {
    count: u32,
    locked_until: Option<Instant>,
}

/// Sessions and login failures, in memory.
#[derive(Default)]
pub struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, Failures>>,
}

/// Why a login failed.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginRefused {
    /// Wrong name or password (not said which), or a disabled user.
    Wrong,
    /// Too many wrong passwords for this name: wait.
    Throttled,
    Store(String),
}

impl Sessions {
    /// Checks a name and password against the ledger; a new session's (id, csrf) when they match.
    pub fn login(
        &self,
        ledger: &Ledger,
        name: &str,
        password: &str,
    ) -> Result<(String, String), LoginRefused> {
        if name.len() > NAME_BYTES_MAX {
            return Err(LoginRefused::Wrong);
        }
        // Counted as a failure before the password is checked (and forgiven when it matches): with
        // the count taken after the slow hash, many attempts sent at once all passed the lock.
        if !self.admit(name) {
            return Err(LoginRefused::Throttled);
        }
        let store = |e: StoreError| LoginRefused::Store(e.to_string());
        let user = ledger.user(name).map_err(store)?;
        let stored = ledger.credentials(name).map_err(store)?;
        let hash = stored.and_then(|c| c.password);
        let matches = match (&user, &hash) {
            (Some(user), Some(hash)) if user.active => password_matches(hash, password),
            // Hash anyway, so that an unknown name takes as long as a known one.
            _ => {
                let _ = password_matches(DUMMY_HASH, password);
                false
            }
        };
        if !matches {
            return Err(LoginRefused::Wrong);
        }
        lock(&self.failures).remove(name);
        self.open(name).map_err(LoginRefused::Store)
    }

    /// Whether a login for `name` may be tried now; if so it is counted as a wrong password until
    /// it turns out right. The check and the count are one step under the lock, so that attempts
    /// sent at once cannot all pass before the count reaches the limit.
    fn admit(&self, name: &str) -> bool {
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        if let Some(until) = failures.get(name).and_then(|f| f.locked_until) {
            if now < until {
                return false;
            }
            failures.remove(name); // the lock has run out: a fresh count
        }
        // A flood of made-up names must not grow the map without end: forget the names not locked
        // (or no longer); if it is still full (ten thousand names locked within the lockout, more
        // Argon2 checks than the server can make in that time), start over.
        if failures.len() >= SESSIONS_MAX {
            failures.retain(|_, f| f.locked_until.is_some_and(|until| now < until));
        }
        if failures.len() >= SESSIONS_MAX {
            failures.clear();
        }
        let entry = failures.entry(name.to_string()).or_insert(Failures {
            count: 0,
            locked_until: None,
        });
        entry.count += 1;
        if entry.count >= LOGIN_FAILURES_MAX {
            entry.locked_until = Some(now + LOGIN_LOCKOUT);
        }
        true
    }

    fn open(&self, name: &str) -> Result<(String, String), String> {
        let id = hex(&random_bytes::<32>()?);
        let csrf = hex(&random_bytes::<32>()?);
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, s| alive(s, now));
        if sessions.len() >= SESSIONS_MAX {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(id, _)| id.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(
            id.clone(),
            Session {
                name: name.to_string(),
                csrf: csrf.clone(),
                created: now,
                last_seen: now,
            },
        );
        Ok((id, csrf))
    }

    /// The session's user and CSRF token, if the session is alive; marks it used.
    pub fn touch(&self, id: &str) -> Option<(String, String)> {
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        let session = sessions.get_mut(id)?;
        if !alive(session, now) {
            sessions.remove(id);
            return None;
        }
        session.last_seen = now;
        Some((session.name.clone(), session.csrf.clone()))
    }

    pub fn logout(&self, id: &str) {
        lock(&self.sessions).remove(id);
    }

    /// Ends every session of a user (disabled, or given a new password).
    pub fn end_all_of(&self, name: &str) {
        lock(&self.sessions).retain(|_, s| s.name != name);
    }
}

/// Whether the CSRF token presented is the session's.
pub fn csrf_matches(expected: &str, presented: &str) -> bool {
    same_secret(expected, presented)
}

fn alive(session: &Session, now: Instant) -> bool {
    now.duration_since(session.last_seen) < SESSION_IDLE
        && now.duration_since(session.created) < SESSION_ABSOLUTE
}

/// A poisoned lock still holds consistent maps and caches (no code panics while holding one): go on
/// with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The hash of a password no one has, checked when the name is unknown so that the answer takes
/// as long as for a known name.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9oVM2fyvbUq2n0y2SFnOMbLwqmIlI3m+6hWHEKkOr2E";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_its_hash_only() {
        let hash = hash_password("正确的口令 123").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches(&hash, "正确的口令 123"));
        assert!(!password_matches(&hash, "正确的口令 124"));
        assert!(!password_matches("not a hash", "正确的口令 123"));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(hash_password("1234567").is_err());
        assert!(hash_password(&"x".repeat(PASSWORD_BYTES_MAX + 1)).is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_as_their_hash() {
        let (a, stored) = new_token().expect("token");
        let (b, _) = new_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(stored.sha256, token_hash(&a));
        assert_ne!(stored.sha256, a);
    }

    #[test]
    fn secrets_compare_by_content() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
