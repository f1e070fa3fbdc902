//! `taizhang log`: the entries as a table for people (aligned by display width, times in Beijing
//! time) or as JSON Lines for scripts (times in UTC, exactly as stored; interchange.md).

use chrono::{DateTime, FixedOffset};
use taizhang_core::{Body, EntryKey};
use taizhang_interchange::layout::grouped;
use taizhang_store::{EntryLine, Ledger, Posted};

use crate::cli::LogFormat;
use crate::output;
use crate::screen::text_width;

/// Printed in pieces of about this many bytes, so that a long log starts at once and a closed pipe
/// stops it early.
const CHUNK_BYTES_MAX: usize = 1 << 16;

const HEADER: [&str; COLUMNS] = [
    "序号",
    "记录时间（北京时间）",
    "种类",
    "凭证号/合同/科目",
    "日期",
    "金额",
    "操作员",
    "来源",
];
const COLUMNS: usize = 8;
/// Columns aligned to the right: the sequence number and the amount.
const RIGHT: [bool; COLUMNS] = [true, false, false, false, false, true, false, false];

/// People read times where they are: the units this program serves keep Beijing time (UTC+8, no
/// daylight saving), whatever the computer's own zone.
fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// A recorded time (microseconds since the epoch) as the CLI's tables show it: Beijing time with
/// its offset, "2026-12-02 14:30:15+08:00".
pub fn beijing_time(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|t| {
            t.with_timezone(&beijing())
                .format("%Y-%m-%d %H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_else(|| taizhang_store::record::Micros(micros).to_string())
}

pub fn run(ledger: &Ledger, from: u64, format: LogFormat) -> anyhow::Result<bool> {
    match format {
        LogFormat::Json => each_chunk(ledger, from, |posted, text| {
            text.push_str(
                &serde_json::to_string(&EntryLine::of(posted)).expect("entries serialize"),
            );
            text.push('\n');
        }),
        LogFormat::Table => table(ledger, from),
    }
}

/// Two passes over the entries: the first finds each column's width, the second prints; a log may
/// be far larger than memory should hold at once.
fn table(ledger: &Ledger, from: u64) -> anyhow::Result<bool> {
    let mut widths = HEADER.map(text_width);
    ledger.for_each_entry(from, |posted| {
        for (width, cell) in widths.iter_mut().zip(row(&posted)) {
            *width = (*width).max(text_width(&cell));
        }
        true
    })?;
    output::out(&aligned(&HEADER.map(String::from), &widths));
    each_chunk(ledger, from, |posted, text| {
        text.push_str(&aligned(&row(posted), &widths))
    })
}

/// Runs `write` for each entry into a buffer printed every [`CHUNK_BYTES_MAX`].
fn each_chunk(
    ledger: &Ledger,
    from: u64,
    mut write: impl FnMut(&Posted, &mut String),
) -> anyhow::Result<bool> {
    let mut text = String::new();
    let mut changed = Vec::new();
    ledger.for_each_entry(from, |posted| {
        write(&posted, &mut text);
        // Each record's own hash, so that a changed one is not printed at its word (the links
        // between records are `verify`'s).
        if !ledger.hash_holds(&posted) {
            changed.push(posted.record.seq);
        }
        if text.len() > CHUNK_BYTES_MAX {
            output::out(&std::mem::take(&mut text));
        }
        true
    })?;
    output::out(&text);
    if let Some(first) = changed.first() {
        eprintln!(
            "警告：{} 条记录的内容与其哈希不符（第一条：第 {first} 条）：记录被改动过，以上所列不可信。请运行 taizhang verify 查明",
            changed.len()
        );
    }
    Ok(changed.is_empty())
}

/// One line: every column but the last padded to its width, two spaces between columns.
fn aligned(cells: &[String; COLUMNS], widths: &[usize; COLUMNS]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        let pad = " ".repeat(widths[i] - text_width(cell));
        match (i + 1 == COLUMNS, RIGHT[i]) {
            (true, _) => line.push_str(cell),
            (false, true) => line.push_str(&format!("{pad}{cell}  ")),
            (false, false) => line.push_str(&format!("{cell}{pad}  ")),
        }
    }
    line.truncate(line.trim_end().len());
    line.push('\n');
    line
}

/// The cells of an entry: seq, recorded time, kind, key, date, amount, operator, source.
fn row(posted: &Posted) -> [String; COLUMNS] {
    let record = &posted.record;
    let recorded = beijing_time(record.recorded_at.0);
    let (date, amount) = date_and_amount(&posted.body);
    [
        record.seq.to_string(),
        recorded,
        posted.body.kind().label().to_string(),
        match &posted.body {
            // Who and what role say more than the change's number.
            Body::User(u) => format!(
                "{} {}{}",
                u.name,
                u.role.label(),
                if u.active { "" } else { "（停用）" }
            ),
            body => key_text(&body.key()),
        },
        date,
        amount,
        record.operator.clone(),
        record.source.clone(),
    ]
}

/// The entry's own date and amount, where it has them (a reversal carries none: it undoes its
/// original's, on the line of that voucher).
fn date_and_amount(body: &Body) -> (String, String) {
    let money = |a: &taizhang_core::Amount| grouped(a.decimal());
    match body {
        Body::Bond(b) => (b.terms.issue_date.to_string(), money(&b.amount)),
        Body::Contract(c) => (c.terms.sign_date.to_string(), money(&c.part.amount)),
        Body::Amendment(a) => (a.date.to_string(), money(&a.delta)),
        Body::Acceptance(a) => (a.date.to_string(), money(&a.amount)),
        Body::Receipt(r) => (r.date.to_string(), money(&r.amount)),
        Body::Payment(p) => (p.date.to_string(), money(&p.amount)),
        Body::Opening(o) => (format!("{}年初", o.year), money(&o.amount)),
        Body::Reversal(r) => (r.date.to_string(), String::new()),
        Body::Close(c) => (c.through.to_string(), String::new()),
        Body::Catalog(_)
        | Body::Unit(_)
        | Body::User(_)
        | Body::Setting(_)
        | Body::Review(_)
        | Body::Attachment(_) => (String::new(), String::new()),
    }
}

/// What names the entry, without the words the kind column already says.
fn key_text(key: &EntryKey) -> String {
    match key {
        EntryKey::Voucher(v) | EntryKey::Reversal(v) => v.clone(),
        EntryKey::ContractPart {
            contract_no,
            supplier,
        }
        | EntryKey::Amendment {
            contract_no,
            supplier,
            ..
        }
        | EntryKey::Acceptance {
            contract_no,
            supplier,
            ..
        } => format!("{contract_no} {supplier}"),
        EntryKey::Bond { code, project } => format!("{code} {project}"),
        EntryKey::Opening { fund, code, .. } => format!("{fund} {code}"),
        EntryKey::Catalog(code) => code.to_string(),
        EntryKey::Close(_) => String::new(),
        EntryKey::Unit(n) | EntryKey::User(n) | EntryKey::Setting(n) => format!("第 {n} 次"),
        EntryKey::Review(n) => format!("待审批次 {n}"),
        EntryKey::Attachment { target, .. } => format!("第 {target} 条"),
    }
}
