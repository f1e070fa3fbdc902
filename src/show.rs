//! `taizhang show VOUCHER_OR_CONTRACT`: one entry in detail — every field, where it came from, who
//! posted it, its hash and the hash before it, and its reversal — or a contract with its parts,
//! amendments, acceptances, payments and their reversals — each with its attached documents (name,
//! size, hash, uploader, time). The auditor's question "what is behind this voucher".

use serde_json::{json, Value};
use std::collections::BTreeMap;
use taizhang_core::{EntryKey, Kind};
use taizhang_posting::fields;

use taizhang_store::{Attachment, ContractEntries, EntryLine, Ledger, Posted};

use crate::cli::LogFormat;
use crate::output;

/// Shows what `name` names; false (after saying so) when it names nothing.
pub fn run(ledger: &Ledger, name: &str, format: LogFormat) -> anyhow::Result<bool> {
    let name = name.trim();
    if let Some(entry) = ledger.entry_by_key(&EntryKey::Voucher(name.to_string()))? {
        let reversal = ledger.entry_by_key(&EntryKey::Reversal(name.to_string()))?;
        let docs = documents(ledger, [&entry].into_iter().chain(reversal.as_ref()))?;
        show_voucher(ledger, &entry, reversal.as_ref(), &docs, format)?;
        return Ok(all_hold(
            ledger,
            [&entry].into_iter().chain(reversal.as_ref()),
        ));
    }
    let contract = ledger.contract_entries(name)?;
    if !contract.parts.is_empty() {
        let all = [
            &contract.parts,
            &contract.amendments,
            &contract.acceptances,
            &contract.payments,
            &contract.reversals,
        ];
        let docs = documents(ledger, all.into_iter().flatten())?;
        show_contract(ledger, name, &contract, &docs, format)?;
        return Ok(all_hold(ledger, all.into_iter().flatten()));
    }
    eprintln!("台账中没有凭证号或合同编号为“{name}”的记录");
    Ok(false)
}

/// Whether every entry shown still has its chained hash; says which do not (an auditor must not take
/// a changed record at its word).
fn all_hold<'p>(ledger: &Ledger, shown: impl IntoIterator<Item = &'p Posted>) -> bool {
    let mut sound = true;
    for posted in shown {
        if !ledger.hash_holds(posted) {
            eprintln!(
                "警告：第 {} 条的内容与它的哈希不符：记录被改动过，以上所示不可信。请运行 taizhang verify 查明",
                posted.record.seq
            );
            sound = false;
        }
    }
    sound
}

/// The documents attached to each shown entry, by the entry's seq.
type Documents = BTreeMap<u64, Vec<Attachment>>;

fn documents<'p>(
    ledger: &Ledger,
    shown: impl IntoIterator<Item = &'p Posted>,
) -> anyhow::Result<Documents> {
    let mut docs = Documents::new();
    for posted in shown {
        let seq = posted.record.seq;
        let found = ledger.attachments_of(seq)?;
        if !found.is_empty() {
            docs.insert(seq, found);
        }
    }
    Ok(docs)
}

/// Every shown entry's documents as JSON, each naming its entry (`target`).
fn documents_json(docs: &Documents) -> Value {
    let all: Vec<Value> = docs
        .values()
        .flatten()
        .map(|a| {
            json!({
                "seq": a.seq,
                "target": a.note.target,
                "name": a.note.name,
                "size": a.note.size,
                "hash": a.note.hash,
                "uploaded_by": a.uploaded_by,
                "recorded_at": a.recorded_at,
            })
        })
        .collect();
    Value::Array(all)
}

fn show_voucher(
    ledger: &Ledger,
    entry: &Posted,
    reversal: Option<&Posted>,
    docs: &Documents,
    format: LogFormat,
) -> anyhow::Result<()> {
    match format {
        LogFormat::Json => {
            let mut shown = json!({
                "entry": line_json(entry),
                "reversed_by": reversal.map(line_json),
                "attachments": documents_json(docs),
            });
            // An approved entry (maker-checker): the review that approved it, and its checker.
            if let (Some((seq, _, checker)), Some(map)) =
                (ledger.review_of(entry.record.seq)?, shown.as_object_mut())
            {
                map.insert("review".into(), json!({"seq": seq, "checker": checker}));
            }
            output::json(&shown)
        }
        LogFormat::Table => {
            let mut text = described(ledger, entry, docs)?;
            if let Some(r) = reversal {
                let r = described(ledger, r, docs)?;
                text.push_str(&format!("\n已被冲销，冲销记录如下：\n{r}"));
            }
            output::out(&text);
        }
    }
    Ok(())
}

fn show_contract(
    ledger: &Ledger,
    no: &str,
    c: &ContractEntries,
    docs: &Documents,
    format: LogFormat,
) -> anyhow::Result<()> {
    let groups = [
        ("供应商分配（合同行）", &c.parts),
        ("补充协议", &c.amendments),
        ("验收（交付）", &c.acceptances),
        ("支付", &c.payments),
        ("支付的冲销", &c.reversals),
    ];
    match format {
        LogFormat::Json => output::json(&json!({
            "contract_no": no,
            "parts": c.parts.iter().map(line_json).collect::<Vec<_>>(),
            "amendments": c.amendments.iter().map(line_json).collect::<Vec<_>>(),
            "acceptances": c.acceptances.iter().map(line_json).collect::<Vec<_>>(),
            "payments": c.payments.iter().map(line_json).collect::<Vec<_>>(),
            "reversals": c.reversals.iter().map(line_json).collect::<Vec<_>>(),
            "attachments": documents_json(docs),
        })),
        LogFormat::Table => {
            let mut text = format!("合同 {no}\n");
            for (title, entries) in groups {
                text.push_str(&format!("\n【{title}】{} 条\n", entries.len()));
                for entry in entries.iter() {
                    text.push_str(&described(ledger, entry, docs)?);
                    text.push('\n');
                }
            }
            output::out(&text);
        }
    }
    Ok(())
}

fn line_json(entry: &Posted) -> Value {
    serde_json::to_value(EntryLine::of(entry)).unwrap_or(Value::Null)
}

/// An entry as lines for people: what it is, each field by its column's Chinese name, then where it
/// came from, who made it (and who approved it, under maker-checker), its place in the chain and
/// its documents.
fn described(ledger: &Ledger, entry: &Posted, docs: &Documents) -> anyhow::Result<String> {
    let line = EntryLine::of(entry);
    let kind = entry.body.kind();
    let mut text = format!(
        "第 {} 条  {}  {}\n",
        line.seq,
        kind.label(),
        entry.body.key().describe()
    );
    if let Some(fields) = body_fields(&line) {
        for (key, value) in fields {
            let value = fields::shown(&key, &value);
            text.push_str(&format!("  {}：{value}\n", field_label(kind, &key)));
        }
    }
    text.push_str(&format!("  来源：{}\n", line.source));
    match ledger.review_of(line.seq)? {
        Some((seq, _, checker)) => {
            text.push_str(&format!("  制单：{}\n", line.operator));
            text.push_str(&format!("  审核：{checker}（第 {seq} 条审核记录）\n"));
        }
        None => text.push_str(&format!("  操作员：{}\n", line.operator)),
    }
    text.push_str(&format!("  记账时间：{}\n", beijing_time(&line)));
    text.push_str(&format!("  哈希：{}\n", line.hash));
    text.push_str(&format!("  前一哈希：{}\n", line.prev_hash));
    if let Some(found) = docs.get(&line.seq) {
        text.push_str(&format!("  附件（原始凭证）{} 份：\n", found.len()));
        for a in found {
            text.push_str(&format!(
                "    {}  {} 字节  哈希 {}  {} 上传于 {}（第 {} 条）\n",
                a.note.name,
                a.note.size,
                a.note.hash,
                a.uploaded_by,
                crate::log::beijing_time(a.recorded_at.0),
                a.seq
            ));
        }
    }
    Ok(text)
}

/// The body's fields in stored order (the JSON of `log --format json`).
fn body_fields(line: &EntryLine) -> Option<Vec<(String, Value)>> {
    match serde_json::to_value(&line.body).ok()? {
        Value::Object(outer) => match outer.into_iter().next()?.1 {
            Value::Object(fields) => Some(fields.into_iter().collect()),
            _ => None,
        },
        _ => None,
    }
}

/// A field's name for people: the Chinese name with the stored key, else the stored key.
fn field_label(kind: Kind, key: &str) -> String {
    match fields::label(kind, key) {
        Some(chinese) => format!("{chinese}（{key}）"),
        None => key.to_string(),
    }
}

/// The recorded time in Beijing time (UTC+8), as people read it; JSON keeps UTC.
fn beijing_time(line: &EntryLine) -> String {
    crate::log::beijing_time(line.recorded_at.0)
}
