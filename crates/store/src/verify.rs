//! `verify`: recompute the chain and check every invariant the store can name, and every stored
//! byte that an output or a later write depends on: the storage engine's pages (redb's integrity
//! check, run on a view so that the file is not changed), the chunks, both index tables, the sums,
//! the catalogue names, and the `meta` table (head, closing date, header).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use redb::ReadableTable;
use taizhang_core::{Amount, AttachmentNote, Body, EntryKey, UnitNaming};
use taizhang_projection::{table7, SumKey};

use crate::chunk;
use crate::hash::hex;
use crate::index::{self, KeyIndex};
use crate::keys;
use crate::ledger::{
    decode_posted, engine_check, read_head, rebuild_sums, unit_mismatch, Ledger, UnitNames,
    ENTRIES, META, NAMES,
};
use crate::record::{self, HASH_BYTES};
use crate::StoreError;

/// What `verify` found.
#[derive(Clone, Debug, Default)]
pub struct Verification {
    pub count: u64,
    pub head_hash: String,
    /// The first entry whose record, hash, link or index is wrong.
    pub first_bad_seq: Option<u64>,
    /// Every problem, in words; empty means the ledger is sound.
    pub problems: Vec<String>,
    /// What is not a problem but not covered either (an older ledger's unit name outside the chain).
    pub notes: Vec<String>,
    /// The entry whose verified hash is the one asked about ([`Ledger::verify_expecting`]), if any.
    pub expected_at: Option<u64>,
}

/// What the log says the other tables must hold, gathered while the chain is checked.
#[derive(Default)]
struct FromLog {
    /// Catalogue names the ledger added, as the writer stores them.
    names: BTreeMap<String, String>,
    closed_through: Option<NaiveDate>,
    first_unit: Option<UnitNaming>,
    newest_unit: Option<UnitNaming>,
    /// Each sound record's sequence number and the fingerprint of its key, in sequence order, to
    /// hold every index entry to.
    keys: Vec<(u64, u64)>,
    /// Each attachment entry's seq and note: its bytes must be stored, whole.
    attachments: Vec<(u64, AttachmentNote)>,
    /// Each review's seq and how many entries it approves (they follow it).
    reviews: Vec<(u64, u64)>,
}

impl FromLog {
    fn key_of(&self, seq: u64) -> Option<u64> {
        let at = self.keys.binary_search_by_key(&seq, |&(s, _)| s).ok()?;
        Some(self.keys[at].1)
    }

    fn add(&mut self, seq: u64, body: &Body) {
        let key = keys::entry_key(&body.key());
        self.keys.push((seq, index::fingerprint(&key)));
        let builtin = |code: &str| taizhang_core::catalog::builtin().get(code).is_some();
        let mut name = |code: &str, name: Option<&str>| {
            if let Some(name) = name.filter(|_| !builtin(code)) {
                self.names.insert(code.to_string(), name.to_string());
            }
        };
        match body {
            Body::Catalog(c) => name(c.code.as_str(), Some(&c.name)),
            Body::Receipt(r) => name(r.code.class().as_str(), r.code_name.as_deref()),
            Body::Payment(p) => name(p.code.class().as_str(), p.code_name.as_deref()),
            Body::Opening(o) => name(o.code.class().as_str(), o.code_name.as_deref()),
            Body::Close(c) => {
                self.closed_through = self.closed_through.max(Some(c.through));
            }
            Body::Attachment(a) => self.attachments.push((seq, a.clone())),
            Body::Review(r) => self.reviews.push((seq, r.entries)),
            Body::Unit(u) => {
                if self.first_unit.is_none() {
                    self.first_unit = Some(u.clone());
                }
                self.newest_unit = Some(u.clone());
            }
            _ => {}
        }
    }
}

impl Verification {
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }

    fn bad(&mut self, seq: Option<u64>, problem: String) {
        if self.first_bad_seq.is_none() {
            self.first_bad_seq = seq;
        }
        self.problems.push(problem);
    }
}

impl Ledger {
    /// Recomputes the hash chain, checks sequence numbers, indexes and stored sums against the log,
    /// and the identities of every year's table 7. Changes nothing in the file.
    pub fn verify(&self) -> Result<Verification, StoreError> {
        self.verify_expecting(None)
    }

    /// [`Ledger::verify`], also looking for the entry whose hash is `expected` (a head recorded when
    /// a table was published): found only among entries whose own hash and link check out.
    pub fn verify_expecting(
        &self,
        expected: Option<[u8; HASH_BYTES]>,
    ) -> Result<Verification, StoreError> {
        let mut v = Verification::default();
        let looked_for = expected;
        if let Some(problem) = engine_check(self.path())? {
            v.bad(None, problem);
        }
        match self.guarded("校验", || self.verify_log(&mut v, looked_for)) {
            Ok(()) => Ok(v),
            // What was found before the engine gave up is kept; the damage is one more problem.
            Err(e @ (StoreError::Damaged(..) | StoreError::Corrupt(_))) => {
                v.bad(None, e.to_string());
                Ok(v)
            }
            Err(e) => Err(e),
        }
    }

    fn verify_log(
        &self,
        v: &mut Verification,
        expected: Option<[u8; HASH_BYTES]>,
    ) -> Result<(), StoreError> {
        let txn = self.db().begin_read()?;
        let entries = txn.open_table(ENTRIES)?;
        let keys_table = index::open_read(&txn)?;
        let mut from_log = FromLog::default();
        let mut prev = [0u8; HASH_BYTES];
        let mut expected_seq = 1u64;
        for item in entries.iter()? {
            let (first, value) = item?;
            let first = first.value();
            if first != expected_seq {
                v.bad(
                    Some(expected_seq.min(first)),
                    format!("序号不连续：应为第 {expected_seq} 条，实为第 {first} 条"),
                );
            }
            expected_seq = first;
            for record in chunk::records(value.value()) {
                let seq = expected_seq;
                expected_seq = expected_seq.saturating_add(1);
                v.count += 1;
                let checked = record
                    .map_err(|e| (e.to_string(), None))
                    .and_then(|record| check_record(self, &record, seq, &prev, &keys_table));
                match checked {
                    Ok((hash, body)) => {
                        if expected == Some(hash) && v.expected_at.is_none() {
                            v.expected_at = Some(seq);
                        }
                        prev = hash;
                        from_log.add(seq, &body);
                    }
                    Err((problem, hash)) => {
                        v.bad(Some(seq), format!("第 {seq} 条：{problem}"));
                        prev = hash.unwrap_or(prev);
                    }
                }
            }
        }
        let meta = txn.open_table(META)?;
        let head = read_head(&meta)?;
        if head.count != v.count || head.hash != prev {
            v.bad(
                Some(v.count.min(head.count) + 1),
                format!(
                    "链头记录为 {} 条、{}，与实际 {} 条、{} 不符",
                    head.count,
                    hex(&head.hash),
                    v.count,
                    hex(&prev)
                ),
            );
        }
        v.head_hash = hex(&prev);
        // Every record's key points at it (checked above), and every index entry at a record whose
        // key it is: no extra or dangling entries. The count says so again, in one line.
        let indexed = keys_table.count()?;
        if indexed != v.count {
            v.bad(None, format!("索引有 {indexed} 项，记录有 {} 条", v.count));
        }
        from_log.keys.sort_unstable();
        for problem in keys_table.entries_not_matching(v.count, |seq| from_log.key_of(seq))? {
            v.bad(None, problem);
        }
        for &(at, entries) in &from_log.reviews {
            if at.checked_add(entries).is_none_or(|last| last > v.count) {
                v.bad(
                    Some(at),
                    format!("第 {at} 条：审核记录批准的 {entries} 条超出了链的末尾"),
                );
            }
        }
        let decided = |key: &str| Ok(keys_table.seq_of(key)?.is_some());
        for problem in crate::pending::pending_problems(&txn, self.algo(), decided)? {
            v.bad(None, problem);
        }
        check_meta(self, &meta, &from_log, v)?;
        check_names(&txn.open_table(NAMES)?, &from_log, v)?;
        check_attachments(self, &txn, &entries, &from_log, v)?;
        if v.is_sound() {
            check_sums(self, &entries, &keys_table, v)?;
        }
        Ok(())
    }
}

/// The closing date and the header must be what the log says; an older ledger's unit name, which
/// no entry carries, is noted.
fn check_meta(
    ledger: &Ledger,
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
    log: &FromLog,
    v: &mut Verification,
) -> Result<(), StoreError> {
    let stored_close = crate::ledger::read_closed(meta)?;
    if stored_close != log.closed_through {
        let show = |d: Option<NaiveDate>| d.map_or("无".to_string(), |d| d.to_string());
        v.bad(
            None,
            format!(
                "记载的结账日期（{}）与结账记录（{}）不符",
                show(stored_close),
                show(log.closed_through)
            ),
        );
    }
    let header = ledger.header();
    let Some(newest) = &log.newest_unit else {
        v.notes.push(format!(
            "单位名称“{}”只记在台账头，不在哈希链中（较早版本建立的台账）；运行 taizhang unit --name … 可将其纳入",
            header.unit.full
        ));
        return Ok(());
    };
    let chained = UnitNames {
        full: newest.full.clone(),
        short: newest.short.clone(),
    };
    if chained != header.unit {
        v.bad(None, unit_mismatch(&header.unit, &chained));
    }
    if let Some(origin) = log.first_unit.as_ref().and_then(|u| u.origin.as_ref()) {
        if origin.hash != header.hash {
            v.bad(
                None,
                format!(
                    "台账头记载的哈希算法 {} 与第一条单位名称记录（{}）不符",
                    header.hash, origin.hash
                ),
            );
        }
        if origin.created_at != header.created_at {
            v.bad(
                None,
                format!(
                    "台账头记载的建立时间 {} 与第一条单位名称记录（{}）不符",
                    header.created_at, origin.created_at
                ),
            );
        }
    }
    Ok(())
}

/// The catalogue names the ledger added must be exactly those its entries gave.
fn check_names(
    names: &impl ReadableTable<&'static str, &'static str>,
    log: &FromLog,
    v: &mut Verification,
) -> Result<(), StoreError> {
    let mut stored = BTreeMap::new();
    for item in names.iter()? {
        let (code, name) = item?;
        stored.insert(code.value().to_string(), name.value().to_string());
    }
    if stored != log.names {
        let differing = stored
            .iter()
            .filter(|(code, name)| log.names.get(*code) != Some(name))
            .chain(
                log.names
                    .iter()
                    .filter(|(code, _)| !stored.contains_key(*code)),
            )
            .map(|(code, _)| code.as_str())
            .take(5)
            .collect::<Vec<_>>()
            .join("、");
        v.bad(
            None,
            format!("存储的科目名称与记录中的不一致（{differing}），报表中的名称不可信"),
        );
    }
    Ok(())
}

/// Every attachment entry's bytes are stored, of its size and hash, and belong to an earlier entry
/// that documents may be attached to; no stored bytes are named by no entry.
fn check_attachments(
    ledger: &Ledger,
    txn: &redb::ReadTransaction,
    entries: &impl ReadableTable<u64, &'static [u8]>,
    log: &FromLog,
    v: &mut Verification,
) -> Result<(), StoreError> {
    let mut named: BTreeMap<Vec<u8>, Vec<&(u64, AttachmentNote)>> = BTreeMap::new();
    for item in &log.attachments {
        let (seq, note) = item;
        let what = format!("第 {seq} 条（附件“{}”）", note.name);
        if note.target == 0 || note.target >= *seq {
            v.bad(
                Some(*seq),
                format!("{what}：所属的第 {} 条不在此前的记录中", note.target),
            );
        } else {
            match crate::ledger::body_at(entries, ledger.algo(), note.target) {
                Ok(body) if crate::attachments::attachable(&body) => {}
                Ok(body) => v.bad(
                    Some(*seq),
                    format!(
                        "{what}：所属的第 {} 条是{}记录，不能有附件",
                        note.target,
                        body.kind().label()
                    ),
                ),
                Err(e) => v.bad(Some(*seq), format!("{what}：所属的记录无法读取（{e}）")),
            }
        }
        match crate::hash::unhex(&note.hash).filter(|h| h.len() == HASH_BYTES) {
            Some(hash) => named.entry(hash).or_default().push(item),
            None => v.bad(Some(*seq), format!("{what}：哈希“{}”不是哈希", note.hash)),
        }
    }
    let mut found = std::collections::BTreeSet::new();
    let mut unnamed = 0usize;
    crate::attachments::for_each_stored(txn, |key, bytes| {
        let Some(notes) = named.get(key) else {
            unnamed += 1;
            return Ok(());
        };
        found.insert(key.to_vec());
        let holds = ledger.algo().digest(bytes).as_slice() == key;
        for (seq, note) in notes {
            let what = format!("第 {seq} 条（附件“{}”）", note.name);
            if !holds {
                v.bad(
                    Some(*seq),
                    format!("{what}：存储的文件内容与其哈希不符（文件被改动）"),
                );
            } else if bytes.len() as u64 != note.size {
                v.bad(
                    Some(*seq),
                    format!(
                        "{what}：存储的文件有 {} 字节，记录为 {} 字节",
                        bytes.len(),
                        note.size
                    ),
                );
            }
        }
        Ok(())
    })?;
    for (hash, notes) in &named {
        if found.contains(hash) {
            continue;
        }
        for (seq, note) in notes {
            v.bad(
                Some(*seq),
                format!(
                    "第 {seq} 条（附件“{}”）：文件内容不在台账中（附件丢失）",
                    note.name
                ),
            );
        }
    }
    if unnamed > 0 {
        v.bad(
            None,
            format!("附件表中有 {unnamed} 份文件没有任何附件记录提到（附件表被改动）"),
        );
    }
    Ok(())
}

type RecordProblem = (String, Option<[u8; HASH_BYTES]>);

/// Checks one record: decodes, hash, link to the previous, index. Returns its hash and body.
fn check_record(
    ledger: &Ledger,
    value: &[u8],
    seq: u64,
    prev: &[u8; HASH_BYTES],
    keys_table: &impl KeyIndex,
) -> Result<([u8; HASH_BYTES], Body), RecordProblem> {
    let (version, hash, payload) = record::split(value).map_err(|e| (e.to_string(), None))?;
    if record::payload_hash(ledger.algo(), version, payload, seq) != Some(hash) {
        return Err(("内容与哈希不符（记录被改动）".into(), Some(hash)));
    }
    let posted = decode_posted(value).map_err(|e| (e.to_string(), Some(hash)))?;
    if posted.record.seq != seq {
        return Err((
            format!("记录自称第 {} 条（记录被移动）", posted.record.seq),
            Some(hash),
        ));
    }
    if &posted.record.prev_hash != prev {
        return Err((
            "前一哈希与上一条不符（记录被删除、插入或调换）".into(),
            Some(hash),
        ));
    }
    let key = keys::entry_key(&posted.body.key());
    match keys_table
        .seq_of(&key)
        .map_err(|e| (e.to_string(), Some(hash)))?
    {
        Some(indexed) if indexed == seq => {}
        _ => return Err(("幂等索引未指向本条".into(), Some(hash))),
    }
    match missing_reference(&posted.body, seq, keys_table) {
        Ok(None) => Ok((hash, posted.body)),
        Ok(Some(problem)) => Err((problem, Some(hash))),
        Err(e) => Err((e.to_string(), Some(hash))),
    }
}

/// The stored running sums must equal the ones rebuilt from the log; parts must not go negative;
/// every year's table 7 must satisfy its identities.
fn check_sums(
    ledger: &Ledger,
    entries: &impl ReadableTable<u64, &'static [u8]>,
    keys_table: &impl KeyIndex,
    v: &mut Verification,
) -> Result<(), StoreError> {
    let rebuilt = rebuild_sums(entries, keys_table, ledger.algo())?;
    let facts = ledger.facts()?;
    if facts.sums != rebuilt {
        let differing = rebuilt.0.len().abs_diff(facts.sums.0.len());
        v.bad(
            None,
            format!("存储的汇总与由记录重算的不一致（{differing} 项数目之差），报表不可信"),
        );
    }
    let mut contracts: std::collections::BTreeMap<&str, (Amount, Amount)> = Default::default();
    for (key, &amount) in &rebuilt.0 {
        match key {
            SumKey::ContractAmount { contract_no, .. } => {
                contracts.entry(contract_no).or_default().0 += amount
            }
            SumKey::PartAmount { contract_no, .. } => {
                contracts.entry(contract_no).or_default().1 += amount
            }
            _ => {}
        }
    }
    for (no, (amount, parts)) in contracts {
        if amount != parts {
            v.bad(
                None,
                format!("合同 {no} 的金额 {amount} 不等于各供应商分配金额之和 {parts}"),
            );
        }
    }
    let mut years = std::collections::BTreeSet::new();
    for (key, amount) in &rebuilt.0 {
        match key {
            SumKey::PartAmount {
                contract_no,
                supplier,
            } if amount.decimal().is_sign_negative() => {
                v.bad(
                    None,
                    format!("合同 {contract_no} 供应商 {supplier} 的分配金额为负（{amount}）"),
                );
            }
            SumKey::Income { year, .. }
            | SumKey::Expense { year, .. }
            | SumKey::Opening { year, .. } => {
                years.insert(*year);
            }
            _ => {}
        }
    }
    for year in years {
        for broken in table7::table7(&facts, year).broken_identities {
            v.bad(None, format!("{year} 年表7：{broken}"));
        }
    }
    Ok(())
}

/// What an entry refers to must have been posted before it: a reversal's voucher, an amendment's
/// contract part, a payment's contract, a receipt's or payment's bond allocation.
fn missing_reference(
    body: &Body,
    seq: u64,
    keys_table: &impl KeyIndex,
) -> Result<Option<String>, StoreError> {
    let posted_before = |fields: &[&str]| -> Result<bool, StoreError> {
        Ok(keys_table.under(fields)?.iter().any(|&(_, s)| s < seq))
    };
    if let Some(key) = body.refers_to() {
        let earlier = keys_table
            .seq_of(&keys::entry_key(&key))?
            .is_some_and(|s| s < seq);
        if !earlier {
            return Ok(Some(format!("所指的{}不在此前的记录中", key.describe())));
        }
    }
    let (contract, bond) = match body {
        Body::Payment(p) => (
            p.contract_no.as_deref(),
            p.bond_code.as_deref().zip(p.project_code.as_deref()),
        ),
        Body::Receipt(r) => (None, r.bond_code.as_deref().zip(r.project_code.as_deref())),
        _ => (None, None),
    };
    if let Some(no) = contract {
        if !posted_before(&["C", no])? {
            return Ok(Some(format!("所指的合同 {no} 不在此前的记录中")));
        }
    }
    if let Some((code, project)) = bond {
        if keys_table
            .seq_of(&keys::entry_key(&EntryKey::Bond {
                code: code.into(),
                project: project.into(),
            }))?
            .is_none_or(|s| s > seq)
        {
            return Ok(Some(format!(
                "所指的债券 {code} 项目 {project} 不在此前的记录中"
            )));
        }
    }
    Ok(None)
}
