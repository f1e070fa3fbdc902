//! `verify`: recompute the chain and check every invariant the store can name.

use redb::{ReadableDatabase, ReadableTable};
use taizhang_projection::{table7, SumKey};

use crate::hash::hex;
use crate::keys;
use crate::ledger::{count_keys, decode_posted, rebuild_sums, Head, Ledger, ENTRIES, KEYS, META};
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
        let keys_table = txn.open_table(KEYS)?;
        let mut v = Verification::default();
        let mut prev = [0u8; HASH_BYTES];
        let mut expected_seq = 1u64;
        for item in entries.iter()? {
            let (seq, value) = item?;
            let seq = seq.value();
            if seq != expected_seq {
                v.bad(
                    Some(expected_seq.min(seq)),
                    format!("序号不连续：应为第 {expected_seq} 条，实为第 {seq} 条"),
                );
            }
            expected_seq = seq + 1;
            match check_record(self, value.value(), seq, &prev, &keys_table) {
                Ok(hash) => prev = hash,
                Err((problem, hash)) => {
                    v.bad(Some(seq), format!("第 {seq} 条：{problem}"));
                    prev = hash.unwrap_or(prev);
                }
            }
            v.count += 1;
        }
        let meta = txn.open_table(META)?;
        let head = Head::decode(
            meta.get("head")?
                .ok_or_else(|| StoreError::Corrupt("缺少链头".into()))?
                .value(),
        )?;
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
        if count_keys(&keys_table)? != v.count {
            v.bad(
                None,
                format!(
                    "索引有 {} 项，记录有 {} 条",
                    count_keys(&keys_table)?,
                    v.count
                ),
            );
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
    keys_table: &impl ReadableTable<&'static str, u64>,
) -> Result<[u8; HASH_BYTES], (String, Option<[u8; HASH_BYTES]>)> {
    let (_, hash, payload) = record::split(value).map_err(|e| (e.to_string(), None))?;
    if ledger.algo().digest(payload) != hash {
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
        .get(key.as_str())
        .map_err(|e| (e.to_string(), Some(hash)))?
    {
        Some(indexed) if indexed.value() == seq => Ok(hash),
        _ => Err(("幂等索引未指向本条".into(), Some(hash))),
    }
}

/// The stored running sums must equal the ones rebuilt from the log; parts must not go negative;
/// every year's table 7 must satisfy its identities.
fn check_sums(
    ledger: &Ledger,
    entries: &impl ReadableTable<u64, &'static [u8]>,
    keys_table: &impl ReadableTable<&'static str, u64>,
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
