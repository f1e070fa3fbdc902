//! `taizhang settings` and `taizhang pending`: whether postings need a checker's approval, and the
//! batches waiting for one. Approving and rejecting are not commands: a checker must be
//! authenticated, and only the web workspace knows who is (docs/decisions.md, issue 18).

use serde_json::json;
use taizhang_posting::pending::{self, Preview};
use taizhang_store::PendingBatch;

use crate::cli::{LogFormat, PendingCommand};
use crate::output;

/// Where settings entries say they came from.
const SOURCE: &str = "命令行";

/// `settings [--require-approval on|off]`: prints the setting, or records a change as an entry.
pub fn settings(
    path: &std::path::Path,
    require_approval: Option<String>,
    operator: &str,
    quiet: bool,
) -> anyhow::Result<bool> {
    let Some(wanted) = require_approval else {
        let ledger = crate::open_read(path)?;
        let on = ledger.require_approval()?;
        output::out(&format!("入账须经审核：{}\n", words(on)));
        return Ok(true);
    };
    let operator = match taizhang_posting::checked_operator(operator) {
        Ok(operator) => operator,
        Err(problem) => {
            eprintln!("{problem}");
            return Ok(false);
        }
    };
    let on = wanted == "on";
    let ledger = crate::open(path)?;
    match ledger.change_setting(on, &operator, SOURCE)? {
        Some(seq) if !quiet => eprintln!("已记录设置：入账须经审核 {}，第 {seq} 条", words(on)),
        None if !quiet => eprintln!("入账须经审核已是{}，未记账", words(on)),
        _ => {}
    }
    Ok(true)
}

fn words(on: bool) -> &'static str {
    if on {
        "开（on）"
    } else {
        "关（off）"
    }
}

/// `pending` (the list) or `pending show ID`.
pub fn pending(
    path: &std::path::Path,
    command: Option<PendingCommand>,
    format: LogFormat,
) -> anyhow::Result<bool> {
    match command {
        None => {
            let ledger = crate::open_read(path)?;
            let batches = ledger.pending_batches()?;
            match format {
                LogFormat::Json => output::json(&json!({
                    "pending": batches.iter().map(pending::batch_json).collect::<Vec<_>>(),
                })),
                LogFormat::Table => output::out(&list(&batches)),
            }
            Ok(true)
        }
        Some(PendingCommand::Show { id }) => {
            // The preview runs the approval as a dry run: on a view whose writes stay in memory.
            let ledger = crate::open_dry_run(path)?;
            let Some(preview) = pending::preview(&ledger, id)? else {
                eprintln!("没有待审批次 {id}（编号有误，或已审核）");
                return Ok(false);
            };
            match format {
                LogFormat::Json => output::json(&pending::preview_json(&preview)),
                LogFormat::Table => output::out(&shown(&preview)),
            }
            Ok(true)
        }
    }
}

fn list(batches: &[PendingBatch]) -> String {
    if batches.is_empty() {
        return "没有待审批次\n".into();
    }
    let mut text = String::new();
    for b in batches {
        text.push_str(&format!(
            "待审批次 {}  制单：{}  提交时间：{}  {}  {} 条  文件：{}\n",
            b.id,
            b.maker,
            beijing(&b.created_at),
            pending::action_words(&b.action),
            b.rows.len(),
            b.files.join("；")
        ));
    }
    text
}

/// A submission time (RFC 3339, UTC) in Beijing time, as the log's table shows times; JSON keeps UTC.
fn beijing(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => crate::log::beijing_time(t.timestamp_micros()),
        Err(_) => rfc3339.to_string(),
    }
}

fn shown(preview: &Preview) -> String {
    let b = &preview.batch;
    let mut text = format!(
        "待审批次 {}（{}）\n  制单：{}\n  提交时间：{}\n",
        b.id,
        pending::action_words(&b.action),
        b.maker,
        beijing(&b.created_at)
    );
    text.push_str("  文件：\n");
    for file in &b.files {
        text.push_str(&format!("    {file}\n"));
    }
    text.push_str(&format!("  各行（{} 条）：\n", b.rows.len()));
    for (source, body) in &b.rows {
        text.push_str(&format!(
            "    {source}  {}  {}\n",
            body.kind().label(),
            body.key().describe()
        ));
    }
    if !b.warnings.is_empty() {
        text.push_str("  提交时的警告：\n");
        for w in &b.warnings {
            text.push_str(&format!("    {w}\n"));
        }
    }
    if preview.tally.problems.is_empty() {
        text.push_str("  现在批准：可以入账\n");
    } else {
        text.push_str("  现在批准将被拒绝：\n");
        for p in &preview.tally.problems {
            text.push_str(&format!("    {p}\n"));
        }
    }
    if !preview.changes.is_empty() {
        text.push_str("  表7将改变的数字（元）：\n");
        for c in &preview.changes {
            text.push_str(&format!(
                "    {} 年 {} {} {}：{} → {}\n",
                c.year,
                c.code,
                c.name,
                taizhang_interchange::reports::column_label(&c.column),
                c.before,
                c.after
            ));
        }
    }
    text
}
