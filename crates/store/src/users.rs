//! The people of the web workspace. Who holds which role is an entry of the chain ([`Body::User`]):
//! the auditor sees who could post, and since when. What proves a person — the password's Argon2id
//! hash, the hashes of their script tokens — lives in the `credentials` table beside the chain: never
//! hashed into it, never written to an archive (a ledger restored from one needs new passwords), and
//! changed without an entry (a new password is not an event of the accounts). The hashing itself is
//! the web crate's: this module stores what it is given.

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use taizhang_core::{Body, Role, UserChange};

use crate::ledger::{Db, Ledger, Offered};
use crate::StoreError;

const CREDENTIALS: TableDefinition<&str, &[u8]> = TableDefinition::new("credentials");

/// A user as the newest of their entries leaves them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserState {
    pub name: String,
    pub role: Role,
    pub active: bool,
    /// The entry that gave this state.
    pub seq: u64,
    pub operator: String,
}

/// What proves a user, as stored: hashes only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The password's hash as a PHC string (`$argon2id$…`); `None` until one is set.
    pub password: Option<String>,
    pub tokens: Vec<TokenHash>,
}

/// A bearer token for scripts, as stored: its SHA-256 (a token is 256 random bits, so a fast hash
/// suffices; the token itself is shown once, when made).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenHash {
    pub sha256: String,
    pub created_at: String,
}

impl Ledger {
    /// Every user, as their newest entry leaves them, by name. An entry whose hash no longer holds
    /// is damage: no one's rights are read from it.
    pub fn users(&self) -> Result<Vec<UserState>, StoreError> {
        let mut users: Vec<UserState> = Vec::new();
        for posted in self.entries_under(&["P"])? {
            if !self.hash_holds(&posted) {
                return Err(StoreError::Corrupt(format!(
                    "第 {} 条（用户记录）的内容与其哈希不符，已拒绝据此登录",
                    posted.record.seq
                )));
            }
            let Body::User(change) = &posted.body else {
                return Err(StoreError::Corrupt("用户的索引指向了别的记录".into()));
            };
            let state = UserState {
                name: change.name.clone(),
                role: change.role,
                active: change.active,
                seq: posted.record.seq,
                operator: posted.record.operator.clone(),
            };
            match users.iter_mut().find(|u| u.name == change.name) {
                Some(known) => *known = state,
                None => users.push(state),
            }
        }
        Ok(users)
    }

    /// One user by name, if the ledger has them.
    pub fn user(&self, name: &str) -> Result<Option<UserState>, StoreError> {
        Ok(self.users()?.into_iter().find(|u| u.name == name))
    }

    /// Records a user's role and state as a new entry, with their credentials (if given) in the same
    /// transaction. Returns the entry's seq; `None` when the user already stands so (nothing posted,
    /// credentials untouched).
    pub fn change_user(
        &self,
        change: (&str, Role, bool),
        credentials: Option<&Credentials>,
        operator: &str,
        source: &str,
    ) -> Result<Option<u64>, StoreError> {
        let (name, role, active) = change;
        let users = self.users()?;
        let same = |u: &&UserState| u.name == name && u.role == role && u.active == active;
        if users.iter().find(|u| u.name == name).filter(same).is_some() {
            return Ok(None);
        }
        let number = self.user_changes()?.saturating_add(1);
        let body = Body::User(UserChange {
            number,
            name: name.to_string(),
            role,
            active,
        });
        let mut outcome = None;
        self.write_batch(operator, |w| {
            let offered = w.offer(source, body);
            let posted = matches!(offered, Ok(Offered::Posted(_)));
            outcome = Some(offered);
            if let (true, Some(credentials)) = (posted, credentials) {
                if let Err(e) = w.put_credentials(name, credentials) {
                    w.fail(e);
                }
            }
            posted
        })?;
        crate::ledger::single_outcome(outcome, "无法记录用户")
    }

    /// How many user entries the chain holds: the next one is numbered after them.
    fn user_changes(&self) -> Result<u32, StoreError> {
        let newest = self.entries_under(&["P"])?.pop();
        match newest.map(|p| p.body) {
            None => Ok(0),
            Some(Body::User(u)) if u.number > 0 => Ok(u.number),
            Some(_) => Err(StoreError::Corrupt("用户的索引指向了别的记录".into())),
        }
    }

    /// A user's stored credentials (`None`: none stored).
    pub fn credentials(&self, name: &str) -> Result<Option<Credentials>, StoreError> {
        self.guarded("读取用户口令", || {
            let txn = self.db().begin_read()?;
            // A ledger that never had a user.
            let Some(table) = crate::table_if_made(&txn, CREDENTIALS)? else {
                return Ok(None);
            };
            let Some(raw) = table.get(name)? else {
                return Ok(None);
            };
            decode(raw.value()).map(Some)
        })
    }

    /// Every user's credentials, for finding a token's owner.
    pub fn all_credentials(&self) -> Result<Vec<(String, Credentials)>, StoreError> {
        self.guarded("读取用户口令", || {
            let txn = self.db().begin_read()?;
            let Some(table) = crate::table_if_made(&txn, CREDENTIALS)? else {
                return Ok(Vec::new());
            };
            let mut all = Vec::new();
            for item in table.iter()? {
                let (name, raw) = item?;
                all.push((name.value().to_string(), decode(raw.value())?));
            }
            Ok(all)
        })
    }

    /// Changes a user's credentials durably, without an entry of the chain (a new password or
    /// token). Refused on a ledger opened for reading.
    pub fn update_credentials(
        &self,
        name: &str,
        change: impl FnOnce(&mut Credentials),
    ) -> Result<(), StoreError> {
        let Db::Write(db) = self.db() else {
            return Err(StoreError::ReadOnly(self.path().display().to_string()));
        };
        self.guarded("写入用户口令", || {
            let txn = db.begin_write()?;
            let mut credentials = read_in(&txn, name)?.unwrap_or_default();
            change(&mut credentials);
            put_credentials(&txn, name, &credentials)?;
            txn.commit()?;
            Ok(())
        })
    }
}

/// Reads one user's credentials inside a write transaction.
fn read_in(txn: &WriteTransaction, name: &str) -> Result<Option<Credentials>, StoreError> {
    let table = txn.open_table(CREDENTIALS)?;
    let raw = table.get(name)?;
    raw.map(|raw| decode(raw.value())).transpose()
}

pub(crate) fn put_credentials(
    txn: &WriteTransaction,
    name: &str,
    credentials: &Credentials,
) -> Result<(), StoreError> {
    let bytes =
        serde_json::to_vec(credentials).map_err(|_| StoreError::Io("用户口令无法编码".into()))?;
    txn.open_table(CREDENTIALS)?
        .insert(name, bytes.as_slice())?;
    Ok(())
}

fn decode(raw: &[u8]) -> Result<Credentials, StoreError> {
    serde_json::from_slice(raw)
        .map_err(|_| StoreError::Corrupt("用户口令表的一条记录无法读取".into()))
}
