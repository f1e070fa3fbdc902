//! The ledger file: opening it, writing a batch, reading what reports need.

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDate;
use redb::{
    Database, DatabaseError, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable,
    TableDefinition,
};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use taizhang_core::rules::{self, Known, LookupFailed, Refusal, Verdict};
use taizhang_core::{
    Amount, Body, BondAllocation, ClassCode, ContractTerms, EntryKey, FunctionCode,
};
use taizhang_projection::{changes, Facts, SumKey, Sums};

use crate::batch::BatchTxn;
use crate::chunk::{self, ChunkBuilder};
use crate::hash::{Ahead, HashAlgo};
use crate::index::{self, KeyIndex, ReadIndex};
use crate::keys;
use crate::record::{self, BodyV1, EntryV1, Micros, HASH_BYTES};
use crate::seen::SeenKeys;
use crate::StoreError;

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(crate) const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
/// Running sum key → 分.
pub(crate) const SUMS: TableDefinition<&str, i64> = TableDefinition::new("sums");
/// Catalogue names the ledger added: code → name.
pub(crate) const NAMES: TableDefinition<&str, &str> = TableDefinition::new("names");

const META_HEADER: &str = "header";
const META_HEAD: &str = "head";
const META_CLOSED: &str = "closed_through";
/// redb's page cache, which also holds a transaction's changed pages until they are written out; a
/// large batch commits a transaction (without fsync) about every quarter of it ([`crate::batch`]),
/// so that its pages are written once. An import of millions of rows stays within a few tens of MB.
/// Measured (docs/performance.md, before batches were split): 24 MiB took as long as 4 MiB, with
/// peak RSS 58 MB instead of 31.
pub(crate) const CACHE_BYTES: usize = 4 * 1024 * 1024;
/// The ledger layout this build writes (tables, keys, header). Bumped with any incompatible change.
/// 2: records stored in chunks ([`chunk`]); a format-1 ledger is read as is and becomes format 2
/// with its first new batch.
/// 3: new records are hashed by version 2's rule (`record::payload_hash`); older records keep theirs;
/// short index keys go to their own table ([`index`]).
/// A format-1 or -2 ledger is read as is and becomes format 3 with its first new batch.
const LEDGER_FORMAT: u32 = 3;

/// The unit's names: the full one for tables, the short one for running text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitNames {
    pub full: String,
    pub short: String,
}

/// What the ledger says about itself; stored as JSON so that any tool can read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub hash: String,
    pub unit: UnitNames,
    pub created_at: String,
}

/// The newest entry: how many there are and the last hash (all zeros for an empty ledger).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub count: u64,
    pub hash: [u8; HASH_BYTES],
}

impl Head {
    fn encode(&self) -> Vec<u8> {
        let mut out = self.count.to_be_bytes().to_vec();
        out.extend_from_slice(&self.hash);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Head, StoreError> {
        let bad = || StoreError::Corrupt("台账头记录长度不对".into());
        let (count, hash) = bytes.split_at_checked(8).ok_or_else(bad)?;
        Ok(Head {
            count: u64::from_be_bytes(count.try_into().map_err(|_| bad())?),
            hash: hash.try_into().map_err(|_| bad())?,
        })
    }
}

/// An entry as read back, with its stored record (for JSON) and the core body.
#[derive(Clone, Debug)]
pub struct Posted {
    pub record: EntryV1,
    pub hash: [u8; HASH_BYTES],
    pub body: Body,
}

pub struct Ledger {
    db: Database,
    header: Header,
    algo: HashAlgo,
    path: PathBuf,
    /// What the check on open found wrong with the newest record, if anything.
    head_problem: Option<String>,
}

impl Ledger {
    /// Creates a new ledger file, readable by its owner only. Refused if the file exists.
    pub fn init(path: &Path, unit: UnitNames, algo: HashAlgo) -> Result<Ledger, StoreError> {
        create_private_file(path)?;
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| open_error(path, e))?;
        let header = Header {
            format: LEDGER_FORMAT,
            hash: algo.name().into(),
            unit,
            created_at: Micros::now().to_string(),
        };
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let json = serde_json::to_vec(&header).expect("a header serializes");
            meta.insert(META_HEADER, json.as_slice())?;
            meta.insert(
                META_HEAD,
                Head {
                    count: 0,
                    hash: [0; HASH_BYTES],
                }
                .encode()
                .as_slice(),
            )?;
            txn.open_table(ENTRIES)?;
            index::open_write(&txn)?;
            txn.open_table(SUMS)?;
            txn.open_table(NAMES)?;
        }
        txn.commit()?;
        Ok(Ledger {
            db,
            header,
            algo,
            path: path.to_path_buf(),
            head_problem: None,
        })
    }

    /// Opens an existing ledger. A second process gets [`StoreError::Busy`] at once.
    pub fn open(path: &Path) -> Result<Ledger, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotFound(path.display().to_string()));
        }
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .open(path)
            .map_err(|e| open_error(path, e))?;
        let txn = db.begin_read()?;
        let meta = txn
            .open_table(META)
            .map_err(|e| StoreError::Corrupt(format!("不是 taizhang 台账（{e}）")))?;
        let raw = meta
            .get(META_HEADER)?
            .ok_or_else(|| StoreError::Corrupt("缺少台账头".into()))?;
        let header: Header = serde_json::from_slice(raw.value())
            .map_err(|e| StoreError::Corrupt(format!("台账头无法读取：{e}")))?;
        if header.format > LEDGER_FORMAT {
            return Err(StoreError::NewerFormat(header.format));
        }
        let algo = HashAlgo::parse(&header.hash)
            .ok_or_else(|| StoreError::Corrupt(format!("未知的哈希算法 {}", header.hash)))?;
        drop(raw);
        drop(meta);
        drop(txn);
        let mut ledger = Ledger {
            db,
            header,
            algo,
            path: path.to_path_buf(),
            head_problem: None,
        };
        ledger.head_problem = ledger.check_head()?;
        Ok(ledger)
    }

    /// The check run on every open, in constant time: the newest record is where the head says, and
    /// its hash is right. (`verify` checks everything.) `Some` says what is wrong.
    fn check_head(&self) -> Result<Option<String>, StoreError> {
        let head = self.head()?;
        let txn = self.db.begin_read()?;
        let entries = txn.open_table(ENTRIES)?;
        let last = entries.last()?;
        let problem = match last {
            None if head.count == 0 => None,
            None => Some(format!("链头记载 {} 条，台账中没有记录", head.count)),
            Some((first, value)) => {
                let (place, newest) = (0u64..)
                    .zip(chunk::records(value.value()))
                    .last()
                    .unwrap_or((0, Err(record::DecodeError::Empty)));
                let seq = first.value().saturating_add(place);
                let newest = newest.ok();
                let stored = newest
                    .as_deref()
                    .and_then(|newest| record::split(newest).ok());
                let sound = stored.is_some_and(|(version, hash, payload)| {
                    hash == head.hash
                        && record::payload_hash(self.algo, version, payload, seq) == Some(hash)
                });
                (seq != head.count || !sound)
                    .then(|| format!("最后一条记录（第 {seq} 条）与链头（{} 条）不符", head.count))
            }
        };
        Ok(problem)
    }

    /// What the check on open found wrong, if anything. Writing is refused until `verify` has been
    /// looked at; reading still works, with a warning.
    pub fn head_problem(&self) -> Option<&str> {
        self.head_problem.as_deref()
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn algo(&self) -> HashAlgo {
        self.algo
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    pub fn head(&self) -> Result<Head, StoreError> {
        let txn = self.db.begin_read()?;
        read_head(&txn.open_table(META)?)
    }

    pub fn closed_through(&self) -> Result<Option<NaiveDate>, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let value = meta.get(META_CLOSED)?;
        value.map(|v| decode_day(v.value())).transpose()
    }

    /// Runs one batch: `fill` offers entries to the [`Writer`] and returns whether to commit. The
    /// batch is committed durably (fsync) before this returns `Ok(true)`; otherwise nothing is kept.
    pub fn write_batch(
        &self,
        operator: &str,
        fill: impl FnOnce(&mut Writer<'_>) -> bool,
    ) -> Result<bool, StoreError> {
        if let Some(problem) = &self.head_problem {
            return Err(StoreError::Corrupt(format!(
                "{problem}；台账可能被改动，已拒绝记账。请运行 taizhang verify 查明"
            )));
        }
        let mut txn = BatchTxn::begin(&self.db)?;
        if self.header.format < LEDGER_FORMAT {
            self.store_upgraded_header(&mut txn)?;
        }
        let mut writer = Writer::open(&self.db, txn, self.algo, operator)?;
        let commit = fill(&mut writer) && writer.failure.is_none();
        if let Some(failure) = writer.failure.take() {
            writer.txn.abandon()?;
            return Err(failure);
        }
        if commit {
            writer.finish()?;
            writer.txn.commit()?;
        } else {
            writer.txn.abandon()?;
        }
        Ok(commit)
    }

    /// Marks the file with the format this build writes: an older program must not misread it.
    fn store_upgraded_header(&self, txn: &mut BatchTxn) -> Result<(), StoreError> {
        let header = Header {
            format: LEDGER_FORMAT,
            ..self.header.clone()
        };
        let json = serde_json::to_vec(&header).expect("a header serializes");
        txn.with_tables(|t| {
            t.meta.insert(META_HEADER, json.as_slice())?;
            Ok(())
        })
    }

    /// Everything the reports need, read in one transaction.
    pub fn facts(&self) -> Result<Facts, StoreError> {
        let txn = self.db.begin_read()?;
        let entries = txn.open_table(ENTRIES)?;
        let keys = index::open_read(&txn)?;
        let mut facts = Facts::default();
        for item in txn.open_table(SUMS)?.iter()? {
            let (key, fen) = item?;
            let key = keys::parse_sum_key(key.value()).ok_or_else(|| {
                StoreError::Corrupt(format!("无法识别的汇总键 {:?}", key.value()))
            })?;
            facts.sums.0.insert(key, Amount::from_fen(fen.value()));
        }
        for item in txn.open_table(NAMES)?.iter()? {
            let (code, name) = item?;
            let code = ClassCode::parse(code.value()).map_err(StoreError::Corrupt)?;
            facts.names.insert(code, name.value().to_string());
        }
        let at = |seq| body_at(&entries, seq);
        for body in bodies_in(&keys, at, &["B"])? {
            if let Body::Bond(b) = body {
                facts.bonds.push(b);
            }
        }
        for body in bodies_in(&keys, at, &["C"])? {
            if let Body::Contract(c) = body {
                facts.contracts.push(c);
            }
        }
        Ok(facts)
    }

    /// Calls `each` on every entry from `from` on, in sequence order, until it returns false.
    pub fn for_each_entry(
        &self,
        from: u64,
        mut each: impl FnMut(Posted) -> bool,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_read()?;
        let entries = txn.open_table(ENTRIES)?;
        let start = match entries.range(..=from)?.next_back() {
            Some(item) => item?.0.value(),
            None => from,
        };
        for item in entries.range(start..)? {
            let (first, value) = item?;
            for (i, record) in (0u64..).zip(chunk::records(value.value())) {
                let seq = first.value().saturating_add(i);
                if seq >= from && !each(decode_posted(&record?)?) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Copies the ledger file while a read transaction holds a consistent view. redb writes new
    /// pages beside the committed ones, and this process holds the lock, so no commit can interleave.
    pub fn backup(&self, out: &Path) -> Result<(), StoreError> {
        let _view = self.db.begin_read()?;
        create_private_file(out)?;
        std::fs::copy(&self.path, out)
            .map_err(|e| StoreError::Io(format!("复制到 {} 失败：{e}", out.display())))?;
        Ok(())
    }
}

/// The bodies of every entry whose key starts with these fields; `at` reads the body at a seq.
fn bodies_in(
    keys: &impl KeyIndex,
    at: impl Fn(u64) -> Result<Body, StoreError>,
    prefix: &[&str],
) -> Result<Vec<Body>, StoreError> {
    keys.under(prefix)?
        .into_iter()
        .map(|(_, seq)| at(seq))
        .collect()
}

/// The body of the entry indexed under `key` (its stored form), if any; `at` reads the body at a seq.
fn body_under(
    keys: &impl KeyIndex,
    key: &str,
    at: impl Fn(u64) -> Result<Body, StoreError>,
) -> Result<Option<Body>, StoreError> {
    keys.seq_of(key)?.map(at).transpose()
}

/// The body of the stored entry `seq`: found in the chunk that starts at or before it.
pub(crate) fn body_at(
    entries: &impl ReadableTable<u64, &'static [u8]>,
    seq: u64,
) -> Result<Body, StoreError> {
    let absent = || StoreError::Corrupt(format!("索引指向不存在的第 {seq} 条"));
    let (first, value) = entries.range(..=seq)?.next_back().ok_or_else(absent)??;
    let record = chunk::nth_record(value.value(), seq - first.value()).map_err(|_| absent())?;
    decode_at(&record, seq)
}

/// Decodes a record found at the place of `seq`, which it must name.
fn decode_at(record: &[u8], seq: u64) -> Result<Body, StoreError> {
    let posted = decode_posted(record)?;
    if posted.record.seq != seq {
        return Err(StoreError::Corrupt(format!(
            "第 {seq} 条的位置上是第 {} 条",
            posted.record.seq
        )));
    }
    Ok(posted.body)
}

pub(crate) fn decode_posted(value: &[u8]) -> Result<Posted, StoreError> {
    let (_, hash, payload) = record::split(value)?;
    let record = record::decode_payload(payload)?;
    let body = Body::try_from(&record.body)?;
    Ok(Posted { record, hash, body })
}

fn decode_day(bytes: &[u8]) -> Result<NaiveDate, StoreError> {
    let days = i32::from_be_bytes(
        bytes
            .try_into()
            .map_err(|_| StoreError::Corrupt("结账日期损坏".into()))?,
    );
    NaiveDate::from_num_days_from_ce_opt(days)
        .ok_or_else(|| StoreError::Corrupt("结账日期损坏".into()))
}

fn encode_day(day: NaiveDate) -> [u8; 4] {
    use chrono::Datelike;
    day.num_days_from_ce().to_be_bytes()
}

fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(StoreError::AlreadyExists(path.display().to_string()))
        }
        Err(e) => Err(StoreError::Io(format!("无法创建 {}：{e}", path.display()))),
    }
}

fn open_error(path: &Path, e: DatabaseError) -> StoreError {
    match e {
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
            StoreError::Busy(path.display().to_string())
        }
        DatabaseError::UpgradeRequired(v) => StoreError::NewerFormat(v.into()),
        other => StoreError::Corrupt(format!("{} 无法作为台账打开：{other}", path.display())),
    }
}

/// Makes [`Prepared`] entries for a batch; safe to send to another thread.
pub struct Preparer {
    algo: HashAlgo,
    operator: String,
    recorded_at: Micros,
    /// The ledger as it was before the batch, to look each entry's key up ahead.
    before: Option<Snapshot>,
    /// The keys of every entry of the batch so far, shared by the writer and its preparers.
    batch_keys: Arc<Mutex<SeenKeys>>,
    /// Reused for each key's stored form.
    key_text: String,
}

/// The committed state a batch started from, read beside the open write transaction.
struct Snapshot {
    keys: ReadIndex,
    entries: ReadOnlyTable<u64, &'static [u8]>,
}

impl Snapshot {
    /// The entry posted under this key before the batch; `Unknown` if the lookup itself failed.
    fn posted(&self, key: &EntryKey, key_text: &mut String) -> Before {
        keys::write_entry_key(key_text, key);
        match body_under(&self.keys, key_text, |seq| body_at(&self.entries, seq)) {
            Ok(None) => Before::Nothing,
            Ok(Some(body)) => Before::Posted(Box::new(body)),
            Err(_) => Before::Unknown,
        }
    }
}

/// What the lookahead found under an entry's key in the ledger before the batch.
enum Before {
    /// Not looked up: the key may be earlier in the batch, or nothing looked ahead.
    Unknown,
    /// Nothing, and the key is new to the batch.
    Nothing,
    /// This entry (boxed: rare, and it would double the size of every prepared entry).
    Posted(Box<Body>),
}

/// An entry with everything that does not depend on its place in the chain already done: the stored
/// value encoded up to its sequence number, its key looked up, and (after [`Preparer::finish_chunk`])
/// its hash computed up to its place in the chain.
pub struct Prepared {
    body: Body,
    key: EntryKey,
    before: Before,
    /// Its changes to the running sums, when they depend on no other entry.
    changes: Option<SumChanges>,
    /// Encoded up to the place in the chain; the source ("file.csv:12") is in it, not kept apart.
    value: Vec<u8>,
    ahead: Option<Ahead>,
}

type SumChanges = Vec<(SumKey, Amount)>;

impl Prepared {
    pub fn kind(&self) -> taizhang_core::Kind {
        self.body.kind()
    }
}

impl Preparer {
    fn batch_keys(&self) -> MutexGuard<'_, SeenKeys> {
        lock(&self.batch_keys)
    }

    pub fn prepare(&mut self, source: &str, body: Body) -> Prepared {
        let value = record::encode_prefix(
            &BodyV1::from(&body),
            &self.operator,
            source,
            self.recorded_at,
        );
        let key = body.key();
        let new_to_batch = !self.batch_keys().may_contain_then_insert(&key);
        let before = match &self.before {
            Some(snapshot) if new_to_batch => snapshot.posted(&key, &mut self.key_text),
            // Maybe earlier in the batch (or not looking ahead): the writer looks it up.
            _ => Before::Unknown,
        };
        let sum_changes = body.refers_to().is_none().then(|| changes(&body, None));
        Prepared {
            body,
            key,
            before,
            changes: sum_changes,
            value,
            ahead: None,
        }
    }

    /// Finishes a chunk of prepared entries before it goes to the writer: hashes them ahead, many at
    /// once (SM3 in SIMD lanes where the CPU has them), and folds the sum changes of those certain
    /// to be posted into one set for the chunk ([`FoldedSums`]).
    pub fn finish_chunk<'p>(
        &self,
        prepared: impl IntoIterator<Item = &'p mut Prepared>,
    ) -> FoldedSums {
        let mut prepared: Vec<&mut Prepared> = prepared.into_iter().collect();
        let parts: Vec<&[u8]> = prepared
            .iter()
            .map(|p| &p.value[record::HEADER_BYTES..])
            .collect();
        let hashes = self.algo.ahead(&parts);
        let mut folded = FoldedSums::default();
        for (p, hash) in prepared.iter_mut().zip(hashes) {
            p.ahead = Some(hash);
            if p.sums_can_be_folded() {
                // Left empty, not `None`: `None` would have the writer compute them again.
                folded.add(p.changes.as_mut().map(std::mem::take).unwrap_or_default());
            }
        }
        folded
    }
}

/// Changes to the running sums, added up by key: the writer's pending sums, and a chunk's changes
/// added up on the parsing thread so that the writer adds a few dozen sums per chunk instead of two or
/// three per row (that fold was a tenth of the storing thread).
#[derive(Default)]
pub struct FoldedSums(FxHashMap<SumKey, Amount>);

impl FoldedSums {
    fn add(&mut self, changes: impl IntoIterator<Item = (SumKey, Amount)>) {
        for (key, delta) in changes {
            *self.0.entry(key).or_insert(Amount::ZERO) += delta;
        }
    }
}

impl Prepared {
    /// Whether this entry's sum changes can be added ahead, with its chunk's: a receipt or payment
    /// whose key the lookahead found new (not posted before, not earlier in the batch), so it is
    /// posted unless the batch is refused as a whole; that fills in no default (which would change
    /// its sums); and whose sums no rule reads during a batch (only contract parts' are read).
    fn sums_can_be_folded(&self) -> bool {
        matches!(self.before, Before::Nothing)
            && matches!(self.body, Body::Payment(_) | Body::Receipt(_))
            && self.changes.is_some()
            && !rules::may_fill_defaults(&self.body)
    }
}

/// What happened to one offered entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offered {
    Posted(u64),
    AlreadyPosted,
}

/// The open batch. Lookups see the entries offered earlier in the same batch.
pub struct Writer<'t> {
    txn: BatchTxn<'t>,
    /// The ledger as it was before the batch, for the lookahead: opened before the batch's first
    /// transaction commits, so that the batch never shows in it.
    before: ReadTransaction,
    /// The batch's changes to the sums. Fx hashing: with SipHash this map took 5 % of an import.
    pending: FoldedSums,
    /// The batch's newest records, stored when the chunk is full and when the batch ends.
    chunk: ChunkBuilder,
    head: Head,
    /// The entry count when the batch began: later seqs belong to this batch.
    batch_start: u64,
    closed_through: Option<NaiveDate>,
    algo: HashAlgo,
    recorded_at: Micros,
    operator: String,
    /// A storage failure inside a lookup: the batch cannot be trusted and is abandoned.
    failure: Option<StoreError>,
    /// Bonds and contracts already looked up in this batch: thousands of rows name the same few.
    bonds_seen: RefCell<FxHashMap<String, Arc<Vec<BondAllocation>>>>,
    contracts_seen: RefCell<FxHashMap<String, Arc<ContractTerms>>>,
    /// Codes that passed the catalogue check in this batch ([`Known::code_named`]).
    codes_named: RefCell<FxHashSet<FunctionCode>>,
    /// The keys of the batch's entries so far, approximately; preparers add to it as they go.
    batch_keys: Arc<Mutex<SeenKeys>>,
    /// The key of the entry being checked, new to the batch, and what was posted under it before.
    checking: Option<(EntryKey, Option<Body>)>,
    /// Reused for each key's stored form.
    key_text: String,
}

impl<'t> Writer<'t> {
    fn open(
        db: &'t Database,
        txn: BatchTxn<'t>,
        algo: HashAlgo,
        operator: &str,
    ) -> Result<Writer<'t>, StoreError> {
        let meta = &txn.tables()?.meta;
        let head = read_head(meta)?;
        if head.count == u64::MAX {
            return Err(StoreError::Corrupt("链头记载的记录数不可能这么大".into()));
        }
        let closed_through = meta
            .get(META_CLOSED)?
            .map(|v| decode_day(v.value()))
            .transpose()?;
        Ok(Writer {
            txn,
            before: db.begin_read()?,
            pending: FoldedSums::default(),
            chunk: ChunkBuilder::new(head.count + 1),
            head,
            batch_start: head.count,
            closed_through,
            algo,
            recorded_at: Micros::now(),
            operator: operator.to_string(),
            failure: None,
            bonds_seen: RefCell::default(),
            contracts_seen: RefCell::default(),
            codes_named: RefCell::default(),
            batch_keys: Arc::default(),
            checking: None,
            key_text: String::new(),
        })
    }

    /// Checks an entry against the ledger and this batch, and appends it if it passes.
    pub fn offer(&mut self, source: &str, body: Body) -> Result<Offered, Refusal> {
        let prepared = self.preparer().prepare(source, body);
        self.offer_prepared(prepared)
    }

    /// Sizes the batch's memory of keys for about `n` entries (a hint: more still work).
    pub fn expect_entries(&mut self, n: usize) {
        let mut keys = lock(&self.batch_keys);
        if keys.is_empty() {
            *keys = SeenKeys::with_capacity(n);
        }
    }

    fn preparer(&self) -> Preparer {
        Preparer {
            algo: self.algo,
            operator: self.operator.clone(),
            recorded_at: self.recorded_at,
            before: None,
            batch_keys: Arc::clone(&self.batch_keys),
            key_text: String::new(),
        }
    }

    /// What another thread needs to prepare entries for this batch, looking each one's key up in
    /// the ledger as it was before the batch: the writing thread then only asks about the batch.
    pub fn preparer_looking_ahead(&self) -> Result<Preparer, StoreError> {
        let before = Snapshot {
            keys: index::open_read(&self.before)?,
            entries: self.before.open_table(ENTRIES)?,
        };
        Ok(Preparer {
            before: Some(before),
            ..self.preparer()
        })
    }

    /// [`Writer::offer`] for an entry prepared ahead, typically on the parsing thread.
    pub fn offer_prepared(&mut self, prepared: Prepared) -> Result<Offered, Refusal> {
        let Prepared {
            mut body,
            key,
            before,
            changes,
            value,
            ahead,
        } = prepared;
        let filled = rules::may_fill_defaults(&body);
        self.checking = match before {
            Before::Unknown => None,
            Before::Nothing => Some((key, None)),
            Before::Posted(body) => Some((key, Some(*body))),
        };
        let verdict = rules::check(&mut body, &*self);
        self.checking = None;
        let (body, value, ahead, changes) = match verdict? {
            Verdict::AlreadyPosted => return Ok(Offered::AlreadyPosted),
            // A default was filled in: what was prepared no longer matches the entry.
            Verdict::Post if filled => {
                let source =
                    record::source_in_prefix(&value).map_err(|e| Refusal::Lookup(e.to_string()))?;
                let again = self.preparer().prepare(&source, body);
                (again.body, again.value, again.ahead, again.changes)
            }
            Verdict::Post => (body, value, ahead, changes),
        };
        self.append(&body, value, ahead, changes)
            .map(Offered::Posted)
            .map_err(|e| {
                let message = e.to_string();
                self.failure = Some(e);
                Refusal::Lookup(message)
            })
    }

    /// Appends a record restored from an archive, as it was, after checking its hash and link.
    pub fn restore(&mut self, record: EntryV1, hash: [u8; HASH_BYTES]) -> Result<u64, StoreError> {
        let seq = self.head.count + 1;
        if record.seq != seq || record.prev_hash != self.head.hash {
            return Err(StoreError::Corrupt(format!(
                "第 {} 条的序号或前一哈希与链不符",
                record.seq
            )));
        }
        let payload = record::encode_payload(&record);
        // The archive does not say by which rule a record was hashed: the one its hash matches.
        let version = (1..=record::FORMAT_VERSION)
            .rev()
            .find(|&v| record::payload_hash(self.algo, v, &payload, seq) == Some(hash))
            .ok_or_else(|| StoreError::Corrupt(format!("第 {seq} 条的哈希不符：归档已被改动")))?;
        let body = Body::try_from(&record.body)?;
        self.index(&body, seq, None)?;
        self.store(&record::join(version, &hash, &payload))?;
        self.head = Head { count: seq, hash };
        Ok(seq)
    }

    pub fn posted_count(&self) -> u64 {
        self.head.count
    }

    pub fn head_hash(&self) -> [u8; HASH_BYTES] {
        self.head.hash
    }

    /// Adds a chunk's folded sum changes ([`Preparer::finish_chunk`]), once its entries are offered.
    pub fn add_folded_sums(&mut self, folded: FoldedSums) {
        self.pending.add(folded.0);
    }

    /// Abandons the batch for a reason the caller found (restore: a broken archive).
    pub fn fail(&mut self, error: StoreError) {
        self.failure.get_or_insert(error);
    }

    /// Closes a prepared record with its place in the chain, hashes it and stores it.
    fn append(
        &mut self,
        body: &Body,
        mut value: Vec<u8>,
        ahead: Option<Ahead>,
        changes: Option<SumChanges>,
    ) -> Result<u64, StoreError> {
        let seq = self.head.count + 1;
        let prefix_end = value.len();
        let ahead = ahead.unwrap_or_else(|| {
            let part: &[u8] = &value[record::HEADER_BYTES..];
            self.algo.ahead(&[part]).swap_remove(0)
        });
        record::append_suffix(&mut value, seq, &self.head.hash);
        let hash = ahead.finish(&value[prefix_end..]);
        let value = record::seal(value, &hash);
        // Before writing: the value must read back as this body, at this place, with this hash.
        debug_assert!(decode_posted(&value)
            .is_ok_and(|p| &p.body == body && p.record.seq == seq && p.hash == hash));
        debug_assert_eq!(
            record::payload_hash(
                self.algo,
                record::FORMAT_VERSION,
                &value[record::HEADER_BYTES..],
                seq
            ),
            Some(hash)
        );
        self.index(body, seq, changes)?;
        self.store(&value)?;
        self.head = Head { count: seq, hash };
        Ok(seq)
    }

    /// Adds the record to the open chunk, first storing the chunk if the record would overfill it.
    fn store(&mut self, record: &[u8]) -> Result<(), StoreError> {
        if !self.chunk.has_room_for(record) {
            self.store_chunk()?;
        }
        self.chunk.push(record);
        Ok(())
    }

    fn store_chunk(&mut self) -> Result<(), StoreError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = &self.chunk;
        self.txn.with_tables(|t| {
            t.entries.insert(chunk.first_seq(), chunk.bytes())?;
            Ok(())
        })?;
        let stored = self.chunk.bytes().len();
        self.chunk.restart();
        self.txn.stored(stored)
    }

    /// The body of entry `seq`, stored or still in the open chunk.
    fn body_at(&self, seq: u64) -> Result<Body, StoreError> {
        match self.chunk.get(seq) {
            Some(record) => decode_at(&record, seq),
            None => body_at(&self.txn.tables()?.entries, seq),
        }
    }

    /// Updates the indexes, names, period lock and pending sums for a new entry; `changes` are its
    /// changes to the sums if already computed.
    fn index(
        &mut self,
        body: &Body,
        seq: u64,
        changes: Option<SumChanges>,
    ) -> Result<(), StoreError> {
        let changes = match changes {
            Some(changes) => changes,
            None => taizhang_projection::changes(body, self.referred(body)?.as_ref()),
        };
        self.pending.add(changes);
        keys::write_entry_key(&mut self.key_text, &body.key());
        let key_text = &self.key_text;
        self.txn.with_tables(|t| t.keys.insert(key_text, seq))?;
        match body {
            // A new allocation changes what later rows of the batch must see: added to the cached
            // list rather than the list dropped, which made every row of a bond read all the rows
            // before it again (4,000 projects took 24 s).
            Body::Bond(b) => {
                if let Some(cached) = self.bonds_seen.borrow_mut().get_mut(&b.terms.code) {
                    Arc::make_mut(cached).push(b.clone());
                }
            }
            // A part is posted only with the terms its contract's parts already have (or as the
            // first), so its terms are the contract's: later parts are checked against them without
            // reading the first part back (that read was most of a contract row's cost).
            Body::Contract(c) => {
                self.contracts_seen
                    .borrow_mut()
                    .insert(c.terms.no.clone(), Arc::new(c.terms.clone()));
            }
            Body::Catalog(c) => self.add_name(&c.code, &c.name)?,
            Body::Receipt(r) => self.add_given_name(r.code.class(), r.code_name.as_deref())?,
            Body::Payment(p) => self.add_given_name(p.code.class(), p.code_name.as_deref())?,
            Body::Opening(o) => self.add_given_name(o.code.class(), o.code_name.as_deref())?,
            Body::Close(c) if self.closed_through.is_none_or(|d| d < c.through) => {
                self.closed_through = Some(c.through);
                self.txn.with_tables(|t| {
                    t.meta
                        .insert(META_CLOSED, encode_day(c.through).as_slice())?;
                    Ok(())
                })?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The entry another refers to: a reversal's original, an amendment's contract part.
    pub(crate) fn referred(&self, body: &Body) -> Result<Option<Body>, StoreError> {
        match body.refers_to() {
            Some(key) => self.lookup(&key),
            None => Ok(None),
        }
    }

    fn lookup(&self, key: &EntryKey) -> Result<Option<Body>, StoreError> {
        body_under(&self.txn.tables()?.keys, &keys::entry_key(key), |seq| {
            self.body_at(seq)
        })
    }

    fn add_given_name(&mut self, code: &ClassCode, name: Option<&str>) -> Result<(), StoreError> {
        match name {
            Some(name)
                if taizhang_core::catalog::builtin()
                    .get(code.as_str())
                    .is_none() =>
            {
                self.add_name(code, name)
            }
            _ => Ok(()),
        }
    }

    fn add_name(&mut self, code: &ClassCode, name: &str) -> Result<(), StoreError> {
        if taizhang_core::catalog::builtin()
            .get(code.as_str())
            .is_none()
        {
            self.txn.with_tables(|t| {
                t.names.insert(code.as_str(), name)?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Folds the batch's sums into the stored ones and moves the head.
    fn finish(&mut self) -> Result<(), StoreError> {
        self.store_chunk()?;
        let (pending, head) = (&mut self.pending, &self.head);
        self.txn.with_tables(|t| {
            for (key, delta) in pending.0.drain() {
                let key = keys::sum_key(&key);
                let stored = t.sums.get(key.as_str())?.map_or(0, |v| v.value());
                let value = stored
                    .checked_add(delta.fen())
                    .ok_or_else(|| StoreError::Corrupt("汇总溢出".into()))?;
                if value == 0 {
                    t.sums.remove(key.as_str())?;
                } else {
                    t.sums.insert(key.as_str(), value)?;
                }
            }
            t.meta.insert(META_HEAD, head.encode().as_slice())?;
            Ok(())
        })
    }

    fn stored_sum(&self, key: &SumKey) -> Result<Amount, StoreError> {
        let stored = (self.txn.tables()?.sums)
            .get(keys::sum_key(key).as_str())?
            .map_or(0, |v| v.value());
        Ok(Amount::from_fen(stored) + self.pending.0.get(key).copied().unwrap_or(Amount::ZERO))
    }
}

fn lookup_failed(e: StoreError) -> LookupFailed {
    LookupFailed(e.to_string())
}

impl Writer<'_> {
    /// The terms on the first stored part of a contract.
    fn stored_contract_terms(
        &self,
        contract_no: &str,
    ) -> Result<Option<ContractTerms>, LookupFailed> {
        let parts = self
            .txn
            .tables()
            .and_then(|t| t.keys.under(&["C", contract_no]))
            .map_err(lookup_failed)?;
        let Some(&(_, seq)) = parts.first() else {
            return Ok(None);
        };
        match self.body_at(seq).map_err(lookup_failed)? {
            Body::Contract(c) => Ok(Some(c.terms)),
            _ => Err(LookupFailed("合同索引指向了别的记录".into())),
        }
    }
}

impl Known for Writer<'_> {
    fn posted(&self, key: &EntryKey) -> Result<Option<Body>, LookupFailed> {
        match &self.checking {
            Some((own, before)) if own == key => Ok(before.clone()),
            _ => self.lookup(key).map_err(lookup_failed),
        }
    }

    fn posted_in_this_batch(&self, key: &EntryKey) -> Result<bool, LookupFailed> {
        if matches!(&self.checking, Some((own, _)) if own == key) {
            return Ok(false);
        }
        let seq = self
            .txn
            .tables()
            .and_then(|t| t.keys.seq_of(&keys::entry_key(key)))
            .map_err(lookup_failed)?;
        Ok(seq.is_some_and(|s| s > self.batch_start))
    }

    fn closed_through(&self) -> Result<Option<NaiveDate>, LookupFailed> {
        Ok(self.closed_through)
    }

    fn name_of(&self, code: &str) -> Result<Option<Cow<'static, str>>, LookupFailed> {
        if let Some(name) = taizhang_core::catalog::builtin().get(code) {
            return Ok(Some(Cow::Borrowed(name)));
        }
        let names = &self.txn.tables().map_err(lookup_failed)?.names;
        let name = names.get(code).map_err(|e| lookup_failed(e.into()))?;
        Ok(name.map(|n| Cow::Owned(n.value().to_string())))
    }

    fn code_named(&self, code: &FunctionCode) -> bool {
        self.codes_named.borrow().contains(code)
    }

    fn remember_code_named(&self, code: &FunctionCode) {
        self.codes_named.borrow_mut().insert(*code);
    }

    fn bond_allocations(&self, bond_code: &str) -> Result<Arc<Vec<BondAllocation>>, LookupFailed> {
        if let Some(cached) = self.bonds_seen.borrow().get(bond_code) {
            return Ok(Arc::clone(cached));
        }
        let keys = &self.txn.tables().map_err(lookup_failed)?.keys;
        let bodies =
            bodies_in(keys, |seq| self.body_at(seq), &["B", bond_code]).map_err(lookup_failed)?;
        let allocations: Arc<Vec<BondAllocation>> = Arc::new(
            bodies
                .into_iter()
                .filter_map(|b| if let Body::Bond(b) = b { Some(b) } else { None })
                .collect(),
        );
        self.bonds_seen
            .borrow_mut()
            .insert(bond_code.to_string(), Arc::clone(&allocations));
        Ok(allocations)
    }

    fn contract_terms(
        &self,
        contract_no: &str,
    ) -> Result<Option<Arc<ContractTerms>>, LookupFailed> {
        if let Some(cached) = self.contracts_seen.borrow().get(contract_no) {
            return Ok(Some(Arc::clone(cached)));
        }
        let terms = self.stored_contract_terms(contract_no)?.map(Arc::new);
        if let Some(terms) = &terms {
            self.contracts_seen
                .borrow_mut()
                .insert(contract_no.to_string(), Arc::clone(terms));
        }
        Ok(terms)
    }

    fn part_amount(
        &self,
        contract_no: &str,
        supplier: &str,
    ) -> Result<Option<Amount>, LookupFailed> {
        let key = EntryKey::ContractPart {
            contract_no: contract_no.into(),
            supplier: supplier.into(),
        };
        if self.lookup(&key).map_err(lookup_failed)?.is_none() {
            return Ok(None);
        }
        let sum = SumKey::PartAmount {
            contract_no: contract_no.into(),
            supplier: supplier.into(),
        };
        self.stored_sum(&sum).map(Some).map_err(lookup_failed)
    }
}

/// A lock no panic can poison for good: the filter stays usable (at worst it says "maybe").
fn lock(keys: &Mutex<SeenKeys>) -> MutexGuard<'_, SeenKeys> {
    keys.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Rebuilds the sums from the log, looking up what each entry refers to.
pub(crate) fn rebuild_sums(
    entries: &impl ReadableTable<u64, &'static [u8]>,
    keys_table: &impl KeyIndex,
) -> Result<Sums, StoreError> {
    let mut sums = Sums::default();
    for item in entries.iter()? {
        let (_, value) = item?;
        for record in chunk::records(value.value()) {
            let body = decode_posted(&record?)?.body;
            sums.apply(changes(
                &body,
                referred_in(entries, keys_table, &body)?.as_ref(),
            ));
        }
    }
    Ok(sums)
}

fn referred_in(
    entries: &impl ReadableTable<u64, &'static [u8]>,
    keys_table: &impl KeyIndex,
    body: &Body,
) -> Result<Option<Body>, StoreError> {
    match body.refers_to() {
        Some(k) => body_under(keys_table, &keys::entry_key(&k), |seq| {
            body_at(entries, seq)
        }),
        None => Ok(None),
    }
}

/// The chain head as the `meta` table records it.
pub(crate) fn read_head(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Head, StoreError> {
    let raw = meta
        .get(META_HEAD)?
        .ok_or_else(|| StoreError::Corrupt("缺少链头".into()))?;
    Head::decode(raw.value())
}
