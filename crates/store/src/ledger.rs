//! The ledger file: opening it, writing a batch, reading what reports need.

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDate;
use redb::{
    Builder, Database, DatabaseError, ReadOnlyDatabase, ReadOnlyTable, ReadTransaction,
    ReadableDatabase, ReadableTable, TableDefinition,
};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use taizhang_core::rules::{self, Known, LookupFailed, PartNow, Refusal, Verdict};
use taizhang_core::{
    Amount, Body, BondAllocation, ClassCode, ContractTerms, EntryKey, FunctionCode, LedgerOrigin,
    PartState, UnitNaming,
};
use taizhang_projection::flows::Flows;
use taizhang_projection::{changes, Facts, SumKey, Sums};

use crate::batch::BatchTxn;
use crate::chunk::{self, ChunkBuilder};
use crate::guard;
use crate::hash::{Ahead, HashAlgo};
use crate::index::{self, KeyIndex, ReadIndex};
use crate::keys;
use crate::overlay::Overlay;
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
/// 4: unit entries ([`BodyV1::Unit`]); the first entry of a new ledger is one, chaining the header.
/// An older program would take such a record for a damaged one; the format tells it to upgrade.
/// 5: user entries ([`BodyV1::User`]), and the `credentials` table of password and token hashes
/// beside the chain (never in it, never in an archive).
/// 6: acceptances ([`BodyV1::Acceptance`], keys under "K"), contract parts with clauses
/// ([`BodyV1::ContractClauses`]) and payments with an economic code ([`BodyV1::PaymentCoded`]);
/// an older program would take these records for damaged ones.
/// 7: settings, reviews of pending batches and attachments ([`BodyV1::Setting`], [`BodyV1::Review`],
/// [`BodyV1::Attachment`], keys under "S", "Q", "F"); the `pending` table of batches awaiting a
/// checker and the `attachments` table of documents by hash, beside the chain.
pub(crate) const LEDGER_FORMAT: u32 = 7;

/// Who and what the first entry of a new ledger names as its operator and source.
const INIT_OPERATOR: &str = "taizhang init";
const INIT_SOURCE: &str = "taizhang init";

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

/// The open database: for writing (holding the file's exclusive lock), or for reading only.
pub(crate) enum Db {
    Write(Database),
    /// Shares the file with other readers; never changes it.
    Read(ReadOnlyDatabase),
    /// A file redb would repair before reading (a writer was killed), opened for reading only: the
    /// repair happens in memory ([`Overlay`]) and the file stays as it is.
    Repaired(Database),
    /// A dry run (`import --check`): batches are written to a view of the file whose writes stay in
    /// memory ([`Overlay`]), so every check runs as for a real batch and the file is not touched.
    DryRun(Database),
}

impl Db {
    pub(crate) fn begin_read(&self) -> Result<ReadTransaction, redb::TransactionError> {
        match self {
            Db::Write(db) | Db::Repaired(db) | Db::DryRun(db) => db.begin_read(),
            Db::Read(db) => db.begin_read(),
        }
    }
}

pub struct Ledger {
    /// `None` only while the ledger is dropped.
    db: Option<Db>,
    /// The header as the `meta` table stores it.
    header: Header,
    /// The unit's names: the newest unit entry's, or the header's in a ledger that has none.
    unit: UnitNames,
    /// Whether `unit` comes from an entry of the chain.
    unit_chained: bool,
    algo: HashAlgo,
    path: PathBuf,
    /// What the check on open found wrong with the newest record, if anything.
    head_problem: Option<String>,
}

impl Drop for Ledger {
    /// Closing writes to the file too: a damaged file must not make that panic either.
    fn drop(&mut self) {
        if let Some(db) = self.db.take() {
            let _ = guard::contain(&self.path, "关闭", || {
                drop(db);
                Ok(())
            });
        }
    }
}

impl Ledger {
    /// Creates a new ledger file, readable by its owner only, whose first entry names the unit and
    /// chains the header (hash algorithm, time of creation). Refused if the file exists.
    pub fn init(path: &Path, unit: UnitNames, algo: HashAlgo) -> Result<Ledger, StoreError> {
        let header = Header {
            format: LEDGER_FORMAT,
            hash: algo.name().into(),
            unit,
            created_at: Micros::now().to_string(),
        };
        let ledger = Ledger::create(path, header.clone())?;
        let naming = Body::Unit(UnitNaming {
            number: 1,
            full: header.unit.full.clone(),
            short: header.unit.short.clone(),
            origin: Some(LedgerOrigin {
                hash: header.hash.clone(),
                created_at: header.created_at.clone(),
            }),
        });
        let mut refusal = None;
        let committed = ledger.write_batch(INIT_OPERATOR, |w| {
            refusal = w.offer(INIT_SOURCE, naming).err();
            refusal.is_none()
        });
        match committed {
            Ok(true) => Ok(ledger),
            failed => {
                drop(ledger);
                let _ = std::fs::remove_file(path);
                let why = match refusal {
                    Some(Refusal::Lookup(message)) => message,
                    _ => "单位名称未能记账".into(),
                };
                Err(failed.err().unwrap_or(StoreError::Corrupt(why)))
            }
        }
    }

    /// Creates an empty ledger file with this header (restore fills it from an archive).
    pub(crate) fn create(path: &Path, header: Header) -> Result<Ledger, StoreError> {
        guard::contain(path, "新建台账", || {
            let algo = HashAlgo::parse(&header.hash)
                .ok_or_else(|| StoreError::Corrupt(format!("未知的哈希算法 {}", header.hash)))?;
            create_private_file(path)?;
            let db = Database::builder()
                .set_cache_size(CACHE_BYTES)
                .create(path)
                .map_err(|e| open_error(path, e))?;
            let txn = db.begin_write()?;
            {
                let mut meta = txn.open_table(META)?;
                meta.insert(META_HEADER, header_json(&header).as_slice())?;
                let empty = Head {
                    count: 0,
                    hash: [0; HASH_BYTES],
                };
                meta.insert(META_HEAD, empty.encode().as_slice())?;
                txn.open_table(ENTRIES)?;
                index::open_write(&txn)?;
                txn.open_table(SUMS)?;
                txn.open_table(NAMES)?;
            }
            txn.commit()?;
            Ok(Ledger {
                db: Some(Db::Write(db)),
                unit: header.unit.clone(),
                unit_chained: false,
                header,
                algo,
                path: path.to_path_buf(),
                head_problem: None,
            })
        })
    }

    /// Opens an existing ledger to write to it, taking the file's exclusive lock: a second process
    /// gets [`StoreError::Busy`] at once. The storage engine's integrity check runs first (on a
    /// view of the file, [`Overlay`]): a batch never writes into a file whose pages fail their
    /// checksums or whose free-space map is wrong, where redb could overwrite live entries.
    pub fn open(path: &Path) -> Result<Ledger, StoreError> {
        guard::contain(path, "打开", || {
            exists(path)?;
            let db = Database::builder()
                .set_cache_size(CACHE_BYTES)
                .open(path)
                .map_err(|e| open_error(path, e))?;
            if let Some(problem) = engine_check(path)? {
                return Err(StoreError::Damaged(
                    path.display().to_string(),
                    format!("{problem}；已拒绝写入。请运行 taizhang verify 查明，并由备份恢复"),
                ));
            }
            Ledger::read_meta(path, Db::Write(db))
        })
    }

    /// Opens a ledger for a dry run (`import --check`): batches run with every check, against a view
    /// whose writes stay in memory ([`Overlay`]), so the file — a read-only one too — keeps every
    /// byte. No lock is taken: a writer may run meanwhile, and the dry run sees the file as it was.
    pub fn open_dry_run(path: &Path) -> Result<Ledger, StoreError> {
        guard::contain(path, "打开", || {
            exists(path)?;
            if let Some(problem) = engine_check(path)? {
                return Err(StoreError::Damaged(
                    path.display().to_string(),
                    format!("{problem}。请运行 taizhang verify 查明，并由备份恢复"),
                ));
            }
            Ledger::read_meta(path, Db::DryRun(overlay_database(path)?))
        })
    }

    /// Opens an existing ledger for reading only: the file is not changed, not even its bytes on
    /// close, and other readers may open it at the same time (a writer may not). Works on a
    /// read-only file or mount. A file left by a killed writer, which redb would repair first, is
    /// repaired in memory only.
    pub fn open_read_only(path: &Path) -> Result<Ledger, StoreError> {
        guard::contain(path, "打开", || {
            exists(path)?;
            let db = match Builder::new()
                .set_cache_size(CACHE_BYTES)
                .open_read_only(path)
            {
                Ok(db) => Db::Read(db),
                Err(DatabaseError::RepairAborted) => Db::Repaired(overlay_database(path)?),
                Err(e) => return Err(open_error(path, e)),
            };
            Ledger::read_meta(path, db)
        })
    }

    /// Reads the header and the unit's names, and runs the check on open.
    fn read_meta(path: &Path, db: Db) -> Result<Ledger, StoreError> {
        let txn = db.begin_read()?;
        let meta = txn.open_table(META).map_err(|e| without_meta(&txn, e))?;
        let raw = meta
            .get(META_HEADER)?
            .ok_or_else(|| StoreError::Corrupt("缺少台账头".into()))?;
        let header: Header = serde_json::from_slice(raw.value())
            .map_err(|_| StoreError::Corrupt("台账头无法读取".into()))?;
        if header.format > LEDGER_FORMAT {
            return Err(StoreError::NewerFormat(header.format));
        }
        let algo = HashAlgo::parse(&header.hash)
            .ok_or_else(|| StoreError::Corrupt(format!("未知的哈希算法 {}", header.hash)))?;
        drop(raw);
        drop(meta);
        drop(txn);
        let mut ledger = Ledger {
            db: Some(db),
            unit: header.unit.clone(),
            unit_chained: false,
            header,
            algo,
            path: path.to_path_buf(),
            head_problem: None,
        };
        ledger.head_problem = ledger.check_head()?;
        let naming = ledger.read_unit()?;
        if let Some(naming) = naming {
            let chained = UnitNames {
                full: naming.full,
                short: naming.short,
            };
            if chained != ledger.header.unit && ledger.head_problem.is_none() {
                ledger.head_problem = Some(unit_mismatch(&ledger.header.unit, &chained));
            }
            ledger.unit = chained;
            ledger.unit_chained = true;
        }
        Ok(ledger)
    }

    /// The newest unit entry, its record's hash checked.
    fn read_unit(&self) -> Result<Option<UnitNaming>, StoreError> {
        let txn = self.db().begin_read()?;
        let entries = txn.open_table(ENTRIES)?;
        let keys = index::open_read(&txn)?;
        let newest = keys.under(&["U"])?.pop();
        match newest {
            None => Ok(None),
            Some((key, seq)) => match body_at(&entries, self.algo, seq)? {
                Body::Unit(u) if keys::entry_key(&EntryKey::Unit(u.number)) == key => Ok(Some(u)),
                _ => Err(StoreError::Corrupt("单位名称的索引指向了别的记录".into())),
            },
        }
    }

    /// The check run on every open, in constant time: the newest record is where the head says, and
    /// its hash is right. (`verify` checks everything.) `Some` says what is wrong.
    fn check_head(&self) -> Result<Option<String>, StoreError> {
        let head = self.head()?;
        let txn = self.db().begin_read()?;
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

    /// The header as the file stores it. Its unit names are not to be trusted on their own: see
    /// [`Ledger::unit`].
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The unit's names for reports: the newest unit entry's (chained), or in a ledger without one
    /// the header's.
    pub fn unit(&self) -> &UnitNames {
        &self.unit
    }

    /// Whether [`Ledger::unit`] comes from an entry of the hash chain.
    pub fn unit_chained(&self) -> bool {
        self.unit_chained
    }

    pub fn algo(&self) -> HashAlgo {
        self.algo
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn db(&self) -> &Db {
        self.db
            .as_ref()
            .expect("the database is open until the ledger is dropped")
    }

    /// Runs `f` inside the store's boundary against the engine's panics ([`guard`]).
    pub(crate) fn guarded<R>(
        &self,
        doing: &str,
        f: impl FnOnce() -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        guard::contain(&self.path, doing, f)
    }

    pub fn head(&self) -> Result<Head, StoreError> {
        self.guarded("读取链头", || {
            let txn = self.db().begin_read()?;
            read_head(&txn.open_table(META)?)
        })
    }

    pub fn closed_through(&self) -> Result<Option<NaiveDate>, StoreError> {
        self.guarded("读取结账日期", || {
            let txn = self.db().begin_read()?;
            read_closed(&txn.open_table(META)?)
        })
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
        let (Db::Write(db) | Db::DryRun(db)) = self.db() else {
            return Err(StoreError::ReadOnly(self.path.display().to_string()));
        };
        self.guarded("写入", || {
            let mut txn = BatchTxn::begin(db)?;
            if self.header.format < LEDGER_FORMAT {
                self.store_upgraded_header(&mut txn)?;
            }
            let mut writer = Writer::open(db, txn, self.algo, operator)?;
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
        })
    }

    /// Posts a unit entry naming the unit from now on; `None` (nothing posted) when the chain already
    /// names it so. The first unit entry of an older ledger also chains its header's origin.
    pub fn rename_unit(&self, names: UnitNames, operator: &str) -> Result<Option<u64>, StoreError> {
        if self.unit_chained && self.unit == names {
            return Ok(None);
        }
        let newest = self.guarded("读取单位名称", || self.read_unit())?;
        let number = newest.map_or(1, |u| u.number.saturating_add(1));
        let origin = (number == 1).then(|| LedgerOrigin {
            hash: self.header.hash.clone(),
            created_at: self.header.created_at.clone(),
        });
        let body = Body::Unit(UnitNaming {
            number,
            full: names.full,
            short: names.short,
            origin,
        });
        let mut outcome = None;
        self.write_batch(operator, |w| {
            outcome = Some(w.offer("命令行", body));
            matches!(outcome, Some(Ok(Offered::Posted(_))))
        })?;
        single_outcome(outcome, "无法记录单位名称")
    }

    /// Marks the file with the format this build writes: an older program must not misread it.
    fn store_upgraded_header(&self, txn: &mut BatchTxn) -> Result<(), StoreError> {
        let header = Header {
            format: LEDGER_FORMAT,
            ..self.header.clone()
        };
        txn.with_tables(|t| {
            t.meta
                .insert(META_HEADER, header_json(&header).as_slice())?;
            Ok(())
        })
    }

    /// Everything the reports need, read in one transaction.
    pub fn facts(&self) -> Result<Facts, StoreError> {
        self.guarded("读取报表数据", || self.read_facts())
    }

    fn read_facts(&self) -> Result<Facts, StoreError> {
        let txn = self.db().begin_read()?;
        self.facts_in(&txn)
    }

    /// The facts as one read transaction sees them (with its head, they name one state).
    pub(crate) fn facts_in(&self, txn: &ReadTransaction) -> Result<Facts, StoreError> {
        let entries = txn.open_table(ENTRIES)?;
        let keys = index::open_read(txn)?;
        let mut facts = Facts::default();
        for item in txn.open_table(SUMS)?.iter()? {
            let (key, fen) = item?;
            let key = keys::parse_sum_key(key.value())
                .ok_or_else(|| StoreError::Corrupt(format!("无法识别的汇总键“{}”", key.value())))?;
            facts.sums.0.insert(key, Amount::from_fen(fen.value()));
        }
        for item in txn.open_table(NAMES)?.iter()? {
            let (code, name) = item?;
            let code = ClassCode::parse(code.value()).map_err(StoreError::Corrupt)?;
            facts.names.insert(code, name.value().to_string());
        }
        let at = |seq| body_at(&entries, self.algo, seq);
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
        for body in bodies_in(&keys, at, &["O"])? {
            if let Body::Opening(o) = body {
                facts.openings.push(o);
            }
        }
        for body in bodies_in(&keys, at, &["K"])? {
            if let Body::Acceptance(a) = body {
                facts.acceptances.push(a);
            }
        }
        Ok(facts)
    }

    /// The dated flows of the clocks (acceptances, contract payments, bond money by day), folded from
    /// the whole log: the running sums do not keep days (docs/decisions.md, issue 17).
    pub fn flows(&self) -> Result<Flows, StoreError> {
        self.flows_through(u64::MAX)
    }

    /// [`Ledger::flows`] of the first `count` entries: the flows of the state a head names, so that
    /// they agree with facts read with that head even if entries were posted since.
    pub fn flows_through(&self, count: u64) -> Result<Flows, StoreError> {
        let mut flows = Flows::default();
        self.for_each_entry(1, |posted| {
            let within = posted.record.seq <= count;
            if within {
                flows.apply(&posted.body);
            }
            within
        })?;
        Ok(flows)
    }

    /// Calls `each` on every entry from `from` on, in sequence order, until it returns false.
    pub fn for_each_entry(
        &self,
        from: u64,
        mut each: impl FnMut(Posted) -> bool,
    ) -> Result<(), StoreError> {
        self.guarded("读取记录", || {
            let txn = self.db().begin_read()?;
            let entries = txn.open_table(ENTRIES)?;
            let start = match entries.range(..=from)?.next_back() {
                Some(item) => item?.0.value(),
                None => from,
            };
            for item in entries.range(start..)? {
                let (first, value) = item?;
                for (i, record) in (0u64..).zip(chunk::records(value.value())) {
                    let seq = first.value().saturating_add(i);
                    if seq < from {
                        continue;
                    }
                    let posted = decode_in_chunk(record, seq)?;
                    if !each(posted) {
                        return Ok(());
                    }
                }
            }
            Ok(())
        })
    }

    /// Copies the ledger file while a read transaction holds a consistent view. redb writes new
    /// pages beside the committed ones, and this process holds the lock, so no commit can interleave.
    pub fn backup(&self, out: &Path) -> Result<(), StoreError> {
        self.guarded("备份", || {
            let _view = self.db().begin_read()?;
            create_private_file(out)?;
            std::fs::copy(&self.path, out).map_err(|e| {
                let why = crate::io_words(&e);
                StoreError::Io(format!("复制到 {} 失败：{why}", out.display()))
            })?;
            Ok(())
        })
    }
}

/// What a batch of one entry the program built itself did: its seq, `None` when already posted; a
/// refusal is the program's error (its own entry should pass), reported as `failed` says.
pub(crate) fn single_outcome(
    outcome: Option<Result<Offered, Refusal>>,
    failed: &str,
) -> Result<Option<u64>, StoreError> {
    match outcome {
        Some(Ok(Offered::Posted(seq))) => Ok(Some(seq)),
        Some(Ok(Offered::AlreadyPosted)) => Ok(None),
        Some(Err(Refusal::Lookup(message))) => Err(StoreError::Corrupt(message)),
        Some(Err(Refusal::Invalid(errors))) => Err(StoreError::Corrupt(
            errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("；"),
        )),
        None => Err(StoreError::Corrupt(failed.into())),
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
        .map(|(key, seq)| {
            let body = at(seq)?;
            if keys::entry_key(&body.key()) != key {
                return Err(StoreError::Corrupt(format!(
                    "幂等索引指向的第 {seq} 条不是所查的记录（索引被改动）"
                )));
            }
            Ok(body)
        })
        .collect()
}

/// The body of the entry indexed under `key` (its stored form), if any; `at` reads the body at a seq.
/// The entry found must have that key: a damaged index must not answer with another entry.
fn body_under(
    keys: &impl KeyIndex,
    key: &str,
    at: impl Fn(u64) -> Result<Body, StoreError>,
) -> Result<Option<Body>, StoreError> {
    let Some(seq) = keys.seq_of(key)? else {
        return Ok(None);
    };
    let body = at(seq)?;
    if keys::entry_key(&body.key()) != key {
        return Err(StoreError::Corrupt(format!(
            "幂等索引指向的第 {seq} 条不是所查的记录（索引被改动）"
        )));
    }
    Ok(Some(body))
}

/// Why the header table would not open, said for what it is: a file with none of taizhang's tables
/// is not a ledger; one that has them and lacks the header, or holds it in a table of the wrong
/// type, is a damaged ledger.
fn without_meta(txn: &ReadTransaction, e: redb::TableError) -> StoreError {
    use redb::TableHandle;
    let ours = [ENTRIES.name(), SUMS.name(), NAMES.name()];
    let has_ours = txn
        .list_tables()
        .is_ok_and(|mut tables| tables.any(|t| ours.contains(&t.name())));
    match e {
        redb::TableError::TableDoesNotExist(_) if !has_ours => {
            StoreError::Corrupt("不是 taizhang 台账（没有台账头表）".into())
        }
        other => StoreError::from(other),
    }
}

/// The body of the stored entry `seq`: found in the chunk that starts at or before it, its hash
/// checked (what a batch reads back decides what it writes).
pub(crate) fn body_at(
    entries: &impl ReadableTable<u64, &'static [u8]>,
    algo: HashAlgo,
    seq: u64,
) -> Result<Body, StoreError> {
    let absent = || StoreError::Corrupt(format!("索引指向不存在的第 {seq} 条"));
    let (first, value) = entries.range(..=seq)?.next_back().ok_or_else(absent)??;
    let place = seq.checked_sub(first.value()).ok_or_else(absent)?;
    let record = chunk::nth_record(value.value(), place).map_err(|_| absent())?;
    decode_at(&record, algo, seq)
}

/// Decodes a record found at the place of `seq`, which it must name, with a sound hash.
fn decode_at(record: &[u8], algo: HashAlgo, seq: u64) -> Result<Body, StoreError> {
    let (version, hash, payload) = record::split(record)?;
    if record::payload_hash(algo, version, payload, seq) != Some(hash) {
        return Err(StoreError::Corrupt(format!(
            "第 {seq} 条的内容与哈希不符（记录被改动）"
        )));
    }
    let posted = decode_posted(record)?;
    if posted.record.seq != seq {
        return Err(StoreError::Corrupt(format!(
            "第 {seq} 条的位置上是第 {} 条",
            posted.record.seq
        )));
    }
    Ok(posted.body)
}

/// A record as a chunk yields it, decoded; damage is named by the entry's seq.
pub(crate) fn decode_in_chunk(
    record: Result<Cow<'_, [u8]>, record::DecodeError>,
    seq: u64,
) -> Result<Posted, StoreError> {
    record
        .map_err(StoreError::from)
        .and_then(|r| decode_posted(&r))
        .map_err(|e| e.at_entry(seq))
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

fn header_json(header: &Header) -> Vec<u8> {
    serde_json::to_vec(header).expect("a header serializes")
}

fn exists(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(StoreError::NotFound(path.display().to_string()))
        }
        Err(e) => Err(io_error(path, &e)),
    }
}

/// What the header says against what the newest unit entry says.
pub(crate) fn unit_mismatch(header: &UnitNames, chained: &UnitNames) -> String {
    format!(
        "台账头记载的单位名称“{}”（简称“{}”）与链上最新的单位名称记录“{}”（简称“{}”）不符，台账头被改动",
        header.full, header.short, chained.full, chained.short
    )
}

/// A database over a view of the file that takes redb's writes in memory ([`Overlay`]).
fn overlay_database(path: &Path) -> Result<Database, StoreError> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
    let view = Overlay::new(file).map_err(|e| io_error(path, &e))?;
    Builder::new()
        .set_cache_size(CACHE_BYTES)
        .create_with_backend(view)
        .map_err(|e| open_error(path, e))
}

/// redb's own integrity check (every page's checksum from the roots down, the free-space map
/// rebuilt and compared), run on a view of the file so that its repairs change nothing. `Some`
/// says what is wrong.
pub(crate) fn engine_check(path: &Path) -> Result<Option<String>, StoreError> {
    let outcome = guard::contain(path, "校验存储引擎", || {
        let mut db = overlay_database(path)?;
        Ok(db.check_integrity())
    });
    Ok(match outcome {
        Ok(Ok(true)) => None,
        Ok(Ok(false)) => {
            Some("存储引擎的完整性检查发现文件有损坏（页校验和或空闲页表不符）".into())
        }
        Ok(Err(_)) | Err(StoreError::Damaged(..)) | Err(StoreError::Corrupt(_)) => {
            Some("存储引擎的完整性检查未通过：文件损坏，无法修复".into())
        }
        Err(other) => return Err(other),
    })
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
        Err(e) => Err(StoreError::Io(format!(
            "无法创建 {}：{}",
            path.display(),
            crate::io_words(&e)
        ))),
    }
}

fn open_error(path: &Path, e: DatabaseError) -> StoreError {
    match e {
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
            StoreError::Busy(path.display().to_string())
        }
        DatabaseError::UpgradeRequired(v) => StoreError::NewerFormat(v.into()),
        DatabaseError::Storage(redb::StorageError::Io(e))
            if e.kind() != std::io::ErrorKind::InvalidData
                && e.kind() != std::io::ErrorKind::UnexpectedEof =>
        {
            io_error(path, &e)
        }
        _ => StoreError::Damaged(
            path.display().to_string(),
            "存储引擎无法打开它（文件头或结构损坏，或不是台账文件）".into(),
        ),
    }
}

/// An I/O failure on the ledger file, said for what it is: no permission and a read-only file
/// system are not damage.
pub(crate) fn io_error(path: &Path, e: &std::io::Error) -> StoreError {
    let path = path.display().to_string();
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => StoreError::Denied(path),
        std::io::ErrorKind::ReadOnlyFilesystem => StoreError::ReadOnlyFs(path),
        std::io::ErrorKind::IsADirectory => StoreError::NotAFile(path),
        _ => StoreError::Io(format!("{path}：{}", crate::io_words(e))),
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
    algo: HashAlgo,
}

impl Snapshot {
    /// The entry posted under this key before the batch; `Unknown` if the lookup itself failed.
    fn posted(&self, key: &EntryKey, key_text: &mut String) -> Before {
        keys::write_entry_key(key_text, key);
        let at = |seq| body_at(&self.entries, self.algo, seq);
        match guard::contain(Path::new(""), "查找", || {
            body_under(&self.keys, key_text, at)
        }) {
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

    /// What identifies the entry (a summary counts contracts, not their supplier parts, by it).
    pub fn key(&self) -> &EntryKey {
        &self.key
    }

    /// The entry as parsed (before the ledger fills in any default).
    pub fn body(&self) -> &Body {
        &self.body
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
    /// The unit's names as the batch's newest unit entry gives them: the header follows at the end.
    naming: Option<UnitNames>,
    /// The batch's amounts added up in absolute value (分), and the largest stored sum's absolute
    /// value once needed: together they bound every running sum ([`Writer::check_ceiling`]).
    batch_fen: i128,
    largest_stored: Option<i128>,
}

impl<'t> Writer<'t> {
    /// Runs `f` on the batch's open transaction, for the tables beside the chain (credentials,
    /// pending batches, attachments' bytes): written with the batch's entries or not at all.
    pub(crate) fn with_txn<R>(
        &mut self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.txn.with_txn(f)
    }

    /// Who the entries offered from now on are by. An approval batch posts its review as the
    /// checker and the approved entries as their maker.
    pub fn set_operator(&mut self, operator: &str) {
        operator.clone_into(&mut self.operator);
    }

    /// Stores a user's credentials in the batch's transaction: committed with its entries or not
    /// at all.
    pub fn put_credentials(
        &mut self,
        name: &str,
        credentials: &crate::users::Credentials,
    ) -> Result<(), StoreError> {
        self.with_txn(|txn| crate::users::put_credentials(txn, name, credentials))
    }

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
            naming: None,
            batch_fen: 0,
            largest_stored: None,
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
            algo: self.algo,
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
        self.check_ceiling(&body)?;
        self.append(&body, value, ahead, changes)
            .map(Offered::Posted)
            .map_err(|e| {
                let message = e.to_string();
                self.failure = Some(e);
                Refusal::Lookup(message)
            })
    }

    /// Refuses the entry that could carry a running sum past what the store keeps (an i64 of 分,
    /// about 9.2 × 10^16 元): every sum is at most the largest stored one plus the batch's amounts
    /// in absolute value, so while that bound holds nothing can overflow, and the largest stored
    /// sum is only looked up once the batch alone is that large. No real unit comes near; a file
    /// of thousands of rows of 10^13 元 does, and is refused at the row that crosses it.
    fn check_ceiling(&mut self, body: &Body) -> Result<(), Refusal> {
        self.batch_fen += amount_bound(body);
        if self.batch_fen <= i128::from(i64::MAX) / 2 {
            return Ok(());
        }
        let largest = match self.largest_stored {
            Some(largest) => largest,
            None => {
                let largest = self.largest_stored_sum().map_err(|e| {
                    let message = e.to_string();
                    self.failure.get_or_insert(e);
                    Refusal::Lookup(message)
                })?;
                *self.largest_stored.insert(largest)
            }
        };
        if self.batch_fen + largest <= i128::from(i64::MAX) {
            return Ok(());
        }
        Err(Refusal::Invalid(vec![rules::FieldError::new(
            amount_column(body),
            "金额累计超出台账汇总能记的上限（约 9.2×10^16 元），本批已拒绝：金额是否有误？",
        )]))
    }

    fn largest_stored_sum(&self) -> Result<i128, StoreError> {
        let mut largest = 0i128;
        for item in self.txn.tables()?.sums.iter()? {
            largest = largest.max(i128::from(item?.1.value()).abs());
        }
        Ok(largest)
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

    /// The batch's changes to the running sums so far, for comparing the ledger before and after
    /// it (warnings). Complete once every chunk's folded sums are added.
    pub fn pending_changes(&self) -> impl Iterator<Item = (&SumKey, &Amount)> {
        self.pending.0.iter()
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
            Some(record) => decode_at(&record, self.algo, seq),
            None => body_at(&self.txn.tables()?.entries, self.algo, seq),
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
            Body::Unit(u) => {
                self.naming = Some(UnitNames {
                    full: u.full.clone(),
                    short: u.short.clone(),
                });
            }
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

    /// Folds the batch's sums into the stored ones, moves the head, and has the header name the unit
    /// as the batch's newest unit entry does.
    fn finish(&mut self) -> Result<(), StoreError> {
        self.store_chunk()?;
        let (pending, head, naming) = (&mut self.pending, &self.head, &self.naming);
        self.txn.with_tables(|t| {
            for (key, delta) in pending.0.drain() {
                let key = keys::sum_key(&key);
                let stored = t.sums.get(key.as_str())?.map_or(0, |v| v.value());
                // Bounded by `check_ceiling`; a restored archive is not, and is refused here.
                let value = delta
                    .try_fen()
                    .and_then(|delta| stored.checked_add(delta))
                    .ok_or_else(|| {
                        StoreError::Overflow(
                            keys::parse_sum_key(&key).map_or(key.clone(), |k| format!("{k:?}")),
                        )
                    })?;
                if value == 0 {
                    t.sums.remove(key.as_str())?;
                } else {
                    t.sums.insert(key.as_str(), value)?;
                }
            }
            t.meta.insert(META_HEAD, head.encode().as_slice())?;
            if let Some(names) = naming {
                let raw = t.meta.get(META_HEADER)?.map(|v| v.value().to_vec());
                let mut header: Header = raw
                    .and_then(|raw| serde_json::from_slice(&raw).ok())
                    .ok_or_else(|| StoreError::Corrupt("台账头无法读取".into()))?;
                header.unit = names.clone();
                t.meta
                    .insert(META_HEADER, header_json(&header).as_slice())?;
            }
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

/// The most an entry can add to any one running sum, in 分: its amount, or a reversal's original's
/// (at most the ceiling of one amount).
fn amount_bound(body: &Body) -> i128 {
    let fen = |a: Amount| i128::from(a.try_fen().unwrap_or(i64::MAX)).abs();
    match body {
        Body::Receipt(r) => fen(r.amount),
        Body::Payment(p) => fen(p.amount),
        Body::Opening(o) => fen(o.amount),
        Body::Contract(c) => fen(c.part.amount),
        Body::Amendment(a) => fen(a.delta),
        Body::Bond(b) => fen(b.amount),
        Body::Reversal(_) => i128::from(taizhang_core::amount::AMOUNT_MAX_YUAN) * 100,
        Body::Catalog(_)
        | Body::Close(_)
        | Body::Unit(_)
        | Body::User(_)
        | Body::Acceptance(_)
        | Body::Setting(_)
        | Body::Review(_)
        | Body::Attachment(_) => 0,
    }
}

/// The column that holds an entry's amount, for the message.
fn amount_column(body: &Body) -> &'static str {
    match body {
        Body::Contract(_) => "share_amount",
        Body::Amendment(_) => "delta",
        Body::Reversal(_) => "voucher_no",
        _ => "amount",
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

impl Writer<'_> {
    /// A supplier part now: its amount after every amendment (the running sum), its class after the
    /// last correction, found among the contract's amendments (a contract has few).
    fn part_now_or_failure(
        &self,
        contract_no: &str,
        supplier: &str,
    ) -> Result<Option<PartNow>, StoreError> {
        let key = EntryKey::ContractPart {
            contract_no: contract_no.into(),
            supplier: supplier.into(),
        };
        let Some(Body::Contract(part)) = self.lookup(&key)? else {
            return Ok(None);
        };
        let amount = self.stored_sum(&SumKey::PartAmount {
            contract_no: contract_no.into(),
            supplier: supplier.into(),
        })?;
        let mut amendments = self.txn.tables()?.keys.under(&["A", contract_no])?;
        amendments.sort_by_key(|&(_, seq)| seq);
        let mut class = (part.part.size, part.part.special);
        let mut corrected = false;
        for (_, seq) in amendments {
            if let Body::Amendment(a) = self.body_at(seq)? {
                if let Some(before) = a.before.filter(|_| a.supplier_name == supplier) {
                    class = a.class_after(&before);
                    corrected = true;
                }
            }
        }
        let (size, special) = class;
        Ok(Some(PartNow {
            state: PartState {
                size,
                special,
                amount,
            },
            corrected: corrected && class != (part.part.size, part.part.special),
        }))
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

    fn part_now(&self, contract_no: &str, supplier: &str) -> Result<Option<PartNow>, LookupFailed> {
        self.part_now_or_failure(contract_no, supplier)
            .map_err(lookup_failed)
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
    algo: HashAlgo,
) -> Result<Sums, StoreError> {
    let mut sums = Sums::default();
    for item in entries.iter()? {
        let (first, value) = item?;
        for (i, record) in (0u64..).zip(chunk::records(value.value())) {
            let seq = first.value().saturating_add(i);
            let body = decode_in_chunk(record, seq)?.body;
            sums.apply(changes(
                &body,
                referred_in(entries, keys_table, algo, &body)?.as_ref(),
            ));
        }
    }
    Ok(sums)
}

fn referred_in(
    entries: &impl ReadableTable<u64, &'static [u8]>,
    keys_table: &impl KeyIndex,
    algo: HashAlgo,
    body: &Body,
) -> Result<Option<Body>, StoreError> {
    match body.refers_to() {
        Some(k) => body_under(keys_table, &keys::entry_key(&k), |seq| {
            body_at(entries, algo, seq)
        }),
        None => Ok(None),
    }
}

/// The closing date as the `meta` table records it.
pub(crate) fn read_closed(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Option<NaiveDate>, StoreError> {
    let value = meta.get(META_CLOSED)?;
    value.map(|v| decode_day(v.value())).transpose()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Tests may run as root, where modes do not bind: the mapping is checked on the errors the
    /// operating system gives a user without the right.
    #[test]
    fn no_permission_and_a_read_only_file_system_are_not_damage() {
        let path = Path::new("/mnt/ro/t.ledger");
        let io =
            |kind: std::io::ErrorKind| DatabaseError::Storage(redb::StorageError::Io(kind.into()));
        let denied = open_error(path, io(std::io::ErrorKind::PermissionDenied)).to_string();
        assert_eq!(denied, "没有读写台账文件 /mnt/ro/t.ledger 的权限");
        let read_only = open_error(path, io(std::io::ErrorKind::ReadOnlyFilesystem)).to_string();
        assert!(
            read_only.contains("只读") && !read_only.contains("损坏"),
            "{read_only}"
        );
        let not_a_ledger = open_error(path, io(std::io::ErrorKind::InvalidData)).to_string();
        assert!(not_a_ledger.contains("已损坏"), "{not_a_ledger}");
        let busy = open_error(path, DatabaseError::DatabaseAlreadyOpen);
        assert!(matches!(busy, StoreError::Busy(_)));
    }
}
