//! Maker-checker (制单/审核, issue 18): the setting that requires approval, the batches waiting for a
//! checker, and which review approved an entry.
//!
//! Whether approval is required is an entry of the chain ([`Body::Setting`], keys under "S"): the
//! auditor sees since when, and who said so. A pending batch is not an entry: it is stored in the
//! `pending` table beside the chain, `id → [version u8 = 1][hash 32 bytes][postcard(PendingV1)]`,
//! the hash by the ledger's algorithm over the postcard payload (which names its own id, so that a
//! record moved to another id fails its check). Deciding a batch is one batch of the chain: the
//! [`Body::Review`] entry by the checker, the approved entries by the maker right after it, and the
//! removal of the pending record ([`Writer::settle_pending`]), committed together or not at all.
//! Ids are never reused: a counter beside the table, and never below a decided batch's id.
//!
//! This module stores what it is given; running the batch's checks is the posting crate's.

use redb::{ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use taizhang_core::{Body, Review, SettingChange};

use crate::hash::HashAlgo;
use crate::ledger::{Db, Ledger, Offered};
use crate::record::{BodyV1, Micros, Text, HASH_BYTES};
use crate::{keys, StoreError};

pub(crate) const PENDING: TableDefinition<u64, &[u8]> = TableDefinition::new("pending");
/// The next pending id, under [`NEXT_KEY`]: ids are never reused, also once a batch is decided.
const PENDING_NEXT: TableDefinition<&str, u64> = TableDefinition::new("pending_next");
const NEXT_KEY: &str = "next";
const PENDING_VERSION: u8 = 1;

/// A pending batch as stored (version 1). A compatibility promise like [`crate::record::EntryV1`].
#[derive(Serialize, Deserialize)]
struct PendingV1<'a> {
    id: u64,
    maker: Text<'a>,
    created_at: Micros,
    /// "import", "post" or "reverse".
    action: Text<'a>,
    /// One line per file: "name · N 字节 · sm3:hex"; "命令行" for a typed entry.
    files: Vec<Text<'a>>,
    /// Each row that would post: its source ("a.csv:12") and its body as parsed.
    rows: Vec<(Text<'a>, BodyV1<'a>)>,
    /// The warnings the maker's dry run gave, as text.
    warnings: Vec<Text<'a>>,
}

/// A batch waiting for a checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingBatch {
    pub id: u64,
    pub maker: String,
    /// When it was submitted, RFC 3339 (UTC).
    pub created_at: String,
    /// "import", "post" or "reverse".
    pub action: String,
    pub files: Vec<String>,
    /// Each row that would post: its source and its body as parsed.
    pub rows: Vec<(String, Body)>,
    pub warnings: Vec<String>,
}

/// What a maker submits ([`Ledger::submit_pending`]).
pub struct Submission<'a> {
    pub maker: &'a str,
    pub action: &'a str,
    pub files: &'a [String],
    pub rows: &'a [(String, Body)],
    pub warnings: &'a [String],
}

impl Ledger {
    /// Whether an import, post or reverse must wait for a checker: the newest settings entry says
    /// so; false when there is none. An entry whose hash no longer holds is damage.
    pub fn require_approval(&self) -> Result<bool, StoreError> {
        Ok(self.newest_setting()?.is_some_and(|s| s.require_approval))
    }

    fn newest_setting(&self) -> Result<Option<SettingChange>, StoreError> {
        let Some(posted) = self.entries_under(&["S"])?.pop() else {
            return Ok(None);
        };
        if !self.hash_holds(&posted) {
            return Err(StoreError::Corrupt(format!(
                "第 {} 条（设置记录）的内容与其哈希不符，已拒绝据此记账",
                posted.record.seq
            )));
        }
        match posted.body {
            Body::Setting(s) => Ok(Some(s)),
            _ => Err(StoreError::Corrupt("设置的索引指向了别的记录".into())),
        }
    }

    /// Records whether approval is required, as a new settings entry. `None` when the ledger is
    /// already so (nothing posted).
    pub fn change_setting(
        &self,
        require_approval: bool,
        operator: &str,
        source: &str,
    ) -> Result<Option<u64>, StoreError> {
        let newest = self.newest_setting()?;
        if newest.as_ref().is_some_and(|s| s.require_approval) == require_approval {
            return Ok(None);
        }
        let number = newest.map_or(1, |s| s.number.saturating_add(1));
        let body = Body::Setting(SettingChange {
            number,
            require_approval,
        });
        let mut outcome = None;
        self.write_batch(operator, |w| {
            outcome = Some(w.offer(source, body));
            matches!(outcome, Some(Ok(Offered::Posted(_))))
        })?;
        crate::ledger::single_outcome(outcome, "无法记录设置")
    }

    /// Stores a batch for a checker, durably, in its own transaction; returns its id.
    pub fn submit_pending(&self, submission: &Submission<'_>) -> Result<u64, StoreError> {
        if let Some(problem) = self.head_problem() {
            return Err(StoreError::Corrupt(format!(
                "{problem}；台账可能被改动，已拒绝提交。请运行 taizhang verify 查明"
            )));
        }
        let Db::Write(db) = self.db() else {
            return Err(StoreError::ReadOnly(self.path().display().to_string()));
        };
        let decided = self.newest_review_batch()?;
        let algo = self.algo();
        self.guarded("提交待审批次", || {
            let txn = db.begin_write()?;
            let id = next_id(&txn, decided)?;
            let record = PendingV1 {
                id,
                maker: submission.maker.into(),
                created_at: Micros::now(),
                action: submission.action.into(),
                files: submission.files.iter().map(|f| f.as_str().into()).collect(),
                rows: (submission.rows.iter())
                    .map(|(source, body)| (source.as_str().into(), BodyV1::from(body)))
                    .collect(),
                warnings: (submission.warnings.iter())
                    .map(|w| w.as_str().into())
                    .collect(),
            };
            let value = encode(algo, &record);
            txn.open_table(PENDING)?.insert(id, value.as_slice())?;
            txn.open_table(PENDING_NEXT)?
                .insert(NEXT_KEY, id.saturating_add(1))?;
            txn.commit()?;
            Ok(id)
        })
    }

    /// Every pending batch, oldest first. A record whose hash fails is damage, named by its id.
    pub fn pending_batches(&self) -> Result<Vec<PendingBatch>, StoreError> {
        let algo = self.algo();
        self.guarded("读取待审批次", || {
            let txn = self.db().begin_read()?;
            let Some(table) = crate::table_if_made(&txn, PENDING)? else {
                return Ok(Vec::new());
            };
            let mut all = Vec::new();
            for item in table.iter()? {
                let (id, value) = item?;
                all.push(decode(algo, id.value(), value.value())?);
            }
            Ok(all)
        })
    }

    /// One pending batch by id (`None`: no such batch waits, or it was decided).
    pub fn pending_batch(&self, id: u64) -> Result<Option<PendingBatch>, StoreError> {
        let algo = self.algo();
        self.guarded("读取待审批次", || {
            let txn = self.db().begin_read()?;
            let Some(table) = crate::table_if_made(&txn, PENDING)? else {
                return Ok(None);
            };
            let Some(value) = table.get(id)? else {
                return Ok(None);
            };
            decode(algo, id, value.value()).map(Some)
        })
    }

    /// The review that approved the entry `seq`, if one did: the approval R with
    /// R.seq < seq ≤ R.seq + R.entries (its entries follow it), with R's seq and its checker (R's
    /// operator). Reviews are few: they are read through their index.
    pub fn review_of(&self, seq: u64) -> Result<Option<(u64, Review, String)>, StoreError> {
        for posted in self.entries_under(&["Q"])? {
            let at = posted.record.seq;
            let Body::Review(review) = &posted.body else {
                return Err(StoreError::Corrupt("审核的索引指向了别的记录".into()));
            };
            if review.approved && at < seq && seq - at <= review.entries {
                if !self.hash_holds(&posted) {
                    return Err(StoreError::Corrupt(format!(
                        "第 {at} 条（审核记录）的内容与其哈希不符"
                    )));
                }
                let checker = posted.record.operator.clone();
                return Ok(Some((at, review.clone(), checker)));
            }
        }
        Ok(None)
    }

    /// The largest batch id a review in the chain decided (0: none).
    fn newest_review_batch(&self) -> Result<u64, StoreError> {
        let newest = self
            .entries_under(&["Q"])?
            .into_iter()
            .map(|p| match p.body {
                Body::Review(r) => r.batch,
                _ => 0,
            });
        Ok(newest.max().unwrap_or(0))
    }
}

impl crate::Writer<'_> {
    /// Removes the pending batch `id` in the batch's transaction: committed with the batch's review
    /// (and the entries it approves) or not at all. False when no such batch waits.
    pub fn settle_pending(&mut self, id: u64) -> Result<bool, StoreError> {
        self.with_txn(|txn| {
            let mut table = txn.open_table(PENDING)?;
            let removed = table.remove(id)?.is_some();
            Ok(removed)
        })
    }
}

/// The id the next batch takes: after the counter, after every stored batch and every decided one.
fn next_id(txn: &WriteTransaction, decided: u64) -> Result<u64, StoreError> {
    let counter = txn
        .open_table(PENDING_NEXT)?
        .get(NEXT_KEY)?
        .map_or(1, |v| v.value());
    let stored = txn
        .open_table(PENDING)?
        .last()?
        .map_or(0, |(id, _)| id.value());
    Ok(counter
        .max(stored.saturating_add(1))
        .max(decided.saturating_add(1)))
}

fn encode(algo: HashAlgo, record: &PendingV1<'_>) -> Vec<u8> {
    let payload = postcard::to_allocvec(record).expect("encoding to memory cannot fail");
    let hash = algo.digest(&payload);
    let mut value = Vec::with_capacity(1 + HASH_BYTES + payload.len());
    value.push(PENDING_VERSION);
    value.extend_from_slice(&hash);
    value.extend_from_slice(&payload);
    value
}

/// Checks a stored pending record (version, hash, the id it names) and decodes it.
pub(crate) fn decode(algo: HashAlgo, id: u64, value: &[u8]) -> Result<PendingBatch, StoreError> {
    let damaged = |what: &str| StoreError::Corrupt(format!("待审批次 {id}：{what}"));
    if value.len() < 1 + HASH_BYTES {
        return Err(damaged("记录比应有的短"));
    }
    if value[0] != PENDING_VERSION {
        return Err(damaged(&format!("未知的格式版本 {}", value[0])));
    }
    let (hash, payload) = value[1..].split_at(HASH_BYTES);
    if algo.digest(payload) != hash {
        return Err(damaged("内容与哈希不符（记录被改动）"));
    }
    let record: PendingV1<'static> =
        postcard::from_bytes(payload).map_err(|_| damaged("内容无法读取"))?;
    if record.id != id {
        return Err(damaged(&format!(
            "记录自称待审批次 {}（被移动）",
            record.id
        )));
    }
    let mut rows = Vec::with_capacity(record.rows.len());
    for (source, body) in &record.rows {
        let body = Body::try_from(body).map_err(|e| damaged(&e.to_string()))?;
        rows.push((source.to_string(), body));
    }
    Ok(PendingBatch {
        id,
        maker: record.maker.into_owned(),
        created_at: record.created_at.to_string(),
        action: record.action.into_owned(),
        files: record.files.into_iter().map(Text::into_owned).collect(),
        rows,
        warnings: record.warnings.into_iter().map(Text::into_owned).collect(),
    })
}

/// What `verify` finds wrong with the pending table: a record that fails its check, and a batch
/// that the chain already decided (its review's key is indexed).
pub(crate) fn pending_problems(
    txn: &redb::ReadTransaction,
    algo: HashAlgo,
    decided: impl Fn(&str) -> Result<bool, StoreError>,
) -> Result<Vec<String>, StoreError> {
    let Some(table) = crate::table_if_made(txn, PENDING)? else {
        return Ok(Vec::new());
    };
    let mut problems = Vec::new();
    for item in table.iter()? {
        let (id, value) = item?;
        let id = id.value();
        if let Err(e) = decode(algo, id, value.value()) {
            problems.push(e.to_string());
        }
        let key = keys::entry_key(&taizhang_core::EntryKey::Review(id));
        if decided(&key)? {
            problems.push(format!(
                "待审批次 {id} 已有审核记录，却仍在待审表中（待审表被改动）"
            ));
        }
    }
    Ok(problems)
}
