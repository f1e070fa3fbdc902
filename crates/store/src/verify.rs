//! `verify`: recompute the chain and check every invariant the store can name.

use redb::{ReadableDatabase, ReadableTable};
use taizhang_core::{Amount, Body, EntryKey};
use taizhang_projection::{table7, SumKey};

use crate::chunk;
use crate::hash::hex;
use crate::index::{self, KeyIndex};
use crate::keys;
use crate::ledger::{decode_posted, read_head, rebuild_sums, Ledger, ENTRIES, META};
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
    /// and the identities of every year's table 7.
    pub fn verify(&self) -> Result<Verification, StoreError> {
        let txn = self.db().begin_read()?;
        let entries = txn.open_table(ENTRIES)?;
        let keys_table = index::open_read(&txn)?;
        let mut v = Verification::default();
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
                    Ok(hash) => prev = hash,
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
        let indexed = keys_table.count()?;
        if indexed != v.count {
            v.bad(None, format!("索引有 {indexed} 项，记录有 {} 条", v.count));
        }
        if v.is_sound() {
            check_sums(self, &entries, &keys_table, &mut v)?;
        }
        Ok(v)
    }
}

/// Checks one record: decodes, hash, link to the previous, index. Returns its hash.
fn check_record(
    ledger: &Ledger,
    value: &[u8],
    seq: u64,
    prev: &[u8; HASH_BYTES],
    keys_table: &impl KeyIndex,
) -> Result<[u8; HASH_BYTES], (String, Option<[u8; HASH_BYTES]>)> {
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
        Ok(None) => Ok(hash),
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
    let rebuilt = rebuild_sums(entries, keys_table)?;
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
