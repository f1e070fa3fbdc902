//! `taizhang attach VOUCHER FILE`: a document (原始凭证) for an entry — a voucher's invoice, a
//! contract's scan, a 验收单. The entry is named as people name it: a receipt's or payment's voucher
//! number, a contract number (the document goes to the contract's first part, which stands for the
//! contract), or `#SEQ` for any entry documents may be attached to. The store checks and keeps the
//! file ([`taizhang_store::attachments`]); this finds the entry and says what was done.

use std::path::Path;

use taizhang_core::EntryKey;
use taizhang_store::{AttachError, Ledger};

/// Attaches `file` to the entry `name` names; false (after saying why) when refused.
pub fn run(
    ledger: &Ledger,
    name: &str,
    file: &Path,
    operator: &str,
    quiet: bool,
) -> anyhow::Result<bool> {
    let shown = file.display();
    // The operator as every other command takes it: trimmed, the text rules of a stored text.
    let operator = match taizhang_posting::checked_operator(operator) {
        Ok(operator) => operator,
        Err(problem) => {
            eprintln!("{problem}");
            return Ok(false);
        }
    };
    let Some(target) = target(ledger, name.trim())? else {
        return Ok(false);
    };
    let Some(file_name) = file.file_name().and_then(|n| n.to_str()) else {
        eprintln!("错误：附件 {shown}：文件名无法读取（不是 UTF-8）");
        return Ok(false);
    };
    let source = source(file, file_name);
    let attached = match ledger.attach_file(target, file_name, file, &operator, &source) {
        Ok(attached) => attached,
        Err(AttachError::Store(e)) => return Err(e.into()),
        Err(refused) => {
            eprintln!("错误：附件 {shown}：{refused}；台账未作改动");
            return Ok(false);
        }
    };
    let a = &attached.attachment;
    if !quiet {
        let what = ledger
            .entry_at(target)?
            .map(|e| format!("{}（{}）", e.body.key().describe(), e.body.kind().label()))
            .unwrap_or_default();
        if attached.new {
            eprintln!(
                "已附加：{} → 第 {target} 条 {what}；{} 字节，{} 哈希 {}，附件记录第 {} 条",
                a.note.name,
                a.note.size,
                ledger.algo().name(),
                a.note.hash,
                a.seq
            );
        } else {
            eprintln!(
                "第 {target} 条 {what} 已有相同内容的附件“{}”（第 {} 条，{} 上传），未记账",
                a.note.name, a.seq, a.uploaded_by
            );
        }
    }
    Ok(true)
}

/// The attachment entry's source: "命令行 PATH" as given, unless the path holds what no stored text
/// may (a line break, a bidirectional override: the log would print it as it is) or is long; then
/// "命令行 NAME" (the name itself is checked by the store).
fn source(file: &Path, file_name: &str) -> String {
    const SOURCE_CHARS_MAX: usize = 300;
    match file.to_str() {
        Some(path)
            if taizhang_core::text::check(path).is_ok()
                && path.chars().count() <= SOURCE_CHARS_MAX =>
        {
            format!("命令行 {path}")
        }
        _ => format!("命令行 {}", file_name.trim()),
    }
}

/// The seq of the entry `name` names; `None` after saying that it names none.
fn target(ledger: &Ledger, name: &str) -> anyhow::Result<Option<u64>> {
    if let Some(number) = name.strip_prefix('#') {
        return match number.trim().parse::<u64>() {
            Ok(seq) if seq > 0 => Ok(Some(seq)),
            _ => {
                eprintln!("错误：“{name}”不是记录序号（应为 # 加正整数，如 #57）");
                Ok(None)
            }
        };
    }
    if let Some(entry) = ledger.entry_by_key(&EntryKey::Voucher(name.to_string()))? {
        return Ok(Some(entry.record.seq));
    }
    if let Some(part) = ledger.entries_under(&["C", name])?.first() {
        return Ok(Some(part.record.seq));
    }
    let shown = taizhang_core::text::excerpt(name);
    eprintln!("错误：台账中没有凭证号或合同编号为“{shown}”的记录（任意一条记录可写 #序号）");
    Ok(None)
}
