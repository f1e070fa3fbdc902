//! Maker-checker (issue 18): a maker's batch waits as a pending batch while approval is required;
//! a checker previews it (the rows, the warnings, the table-7 cells it would change), approves it
//! (posted all or nothing, its checks run again now) or rejects it with a reason.
//!
//! Approving is one batch of the chain: the review entry by the checker, then every row by its
//! maker with its original source, then the pending record's removal — committed together or not at
//! all ([`taizhang_store::Writer::settle_pending`]). Nothing here prints; the front ends tell.

use std::path::Path;

use taizhang_core::rules::{FieldError, Refusal};
use taizhang_core::{Amount, Body, Kind, Review};
use taizhang_interchange::{columns, ImportFile, Problem};
use taizhang_projection::table7::{self, Table7, COLUMN_KEYS};
use taizhang_projection::{Facts, SumKey};
use taizhang_store::{Ledger, Offered, PendingBatch, Submission};

use crate::warnings::{self, RowPlace, Watch};
use crate::Tally;

/// The longest rejection reason, in characters.
pub const REASON_CHARS_MAX: usize = 500;

/// A pending batch as the checker sees it before deciding.
#[derive(Debug)]
pub struct Preview {
    pub batch: PendingBatch,
    /// The approval run now as a dry run: its problems are why it would be refused.
    pub tally: Tally,
    /// The table-7 cells the approval would change.
    pub changes: Vec<CellChange>,
}

/// One table-7 cell before and after the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellChange {
    pub year: i32,
    /// A 类, 款 or 项 code, or "合计".
    pub code: String,
    pub name: String,
    /// The table-7 JSON column key ("income", "expense", …).
    pub column: String,
    pub before: Amount,
    pub after: Amount,
}

/// What a checker's decision did.
#[derive(Debug)]
pub enum Decision {
    /// Posted: the review entry's seq, and what the batch posted (its warnings too).
    Approved { review_seq: u64, tally: Tally },
    /// Recorded: the review entry's seq; nothing else posted.
    Rejected { review_seq: u64 },
    /// The batch no longer passes its checks: nothing posted, the batch still waits.
    Refused { problems: Vec<Problem> },
    /// The checker made the batch: nobody decides their own.
    OwnBatch,
    /// No such batch waits (never made, or decided already).
    NotFound,
    /// A rejection's reason is missing or not acceptable text (the message says why).
    BadReason(String),
}

/// The files of an import as the review and the checker name them: one line per file, "name · N
/// 字节 · sm3:hex", hashed by the ledger's algorithm (a workbook once, whatever its sheets).
pub(crate) fn file_lines(ledger: &Ledger, files: &[ImportFile]) -> anyhow::Result<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    let mut seen: Vec<&Path> = Vec::new();
    for file in files {
        if seen.contains(&file.path.as_path()) {
            continue;
        }
        seen.push(&file.path);
        let name = workbook_name(file);
        let (size, hash) = hash_file(ledger, &file.path).map_err(|e| {
            anyhow::anyhow!("{name}：{}", taizhang_interchange::oserr::describe(&e))
        })?;
        lines.push(format!(
            "{name} · {size} 字节 · {}:{hash}",
            ledger.algo().name()
        ));
    }
    Ok(lines)
}

/// A file's name without the sheet a workbook's rows are named by ("book.xlsx:Sheet1").
fn workbook_name(file: &ImportFile) -> String {
    let workbook = file
        .path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["xlsx", "xls", "xlsm", "ods"].contains(&e.to_ascii_lowercase().as_str()));
    match (workbook, file.name.rsplit_once(':')) {
        (true, Some((name, _))) => name.to_string(),
        _ => file.name.clone(),
    }
}

fn hash_file(ledger: &Ledger, path: &Path) -> std::io::Result<(u64, String)> {
    let (size, hash) = ledger.algo().digest_reader(std::fs::File::open(path)?)?;
    Ok((size, taizhang_store::hash::hex(&hash)))
}

/// After a maker's dry run: stores the rows that would post as a pending batch, unless the batch
/// has problems (refused as usual) or posts nothing (every row already posted: nothing to approve).
pub(crate) fn submit(
    ledger: &Ledger,
    maker: &str,
    action: &str,
    files: Vec<String>,
    rows: Vec<(String, Body)>,
    mut tally: Tally,
) -> anyhow::Result<(bool, Tally)> {
    if !tally.problems.is_empty() {
        return Ok((false, tally));
    }
    if rows.is_empty() {
        return Ok((true, tally));
    }
    let warnings: Vec<String> = tally.warnings.iter().map(warning_text).collect();
    let id = ledger.submit_pending(&Submission {
        maker,
        action,
        files: &files,
        rows: &rows,
        warnings: &warnings,
    })?;
    tally.pending = Some(id);
    Ok((true, tally))
}

/// A warning as stored with a pending batch: "a.csv:12: message", or the message alone when no
/// line names it.
fn warning_text(w: &Problem) -> String {
    match w.line {
        0 => w.message.clone(),
        _ => w.to_string(),
    }
}

/// The pending batch as it would post now: the approval run as a dry run.
pub fn preview(ledger: &Ledger, id: u64) -> anyhow::Result<Option<Preview>> {
    let Some(batch) = ledger.pending_batch(id)? else {
        return Ok(None);
    };
    let before = ledger.facts()?;
    let checker = batch.maker.clone();
    let run = run_approval(ledger, &batch, &checker, false)?;
    let mut tally = run.tally;
    tally.dry_run = true;
    let changes = if tally.problems.is_empty() {
        cell_changes(&before, run.changes)
    } else {
        Vec::new()
    };
    Ok(Some(Preview {
        batch,
        tally,
        changes,
    }))
}

/// Approves pending batch `id` as `checker`: one batch of the chain, or nothing.
pub fn approve(ledger: &Ledger, id: u64, checker: &str) -> anyhow::Result<Decision> {
    let Some(batch) = ledger.pending_batch(id)? else {
        return Ok(Decision::NotFound);
    };
    if taizhang_core::text::same_person(&batch.maker, checker) {
        return Ok(Decision::OwnBatch);
    }
    let run = run_approval(ledger, &batch, checker, true)?;
    match (run.committed, run.review_seq) {
        (true, Some(review_seq)) => Ok(Decision::Approved {
            review_seq,
            tally: run.tally,
        }),
        _ => Ok(Decision::Refused {
            problems: run.tally.problems,
        }),
    }
}

/// Rejects pending batch `id` as `checker`, with a reason: the review entry and the batch's removal
/// in one batch; nothing else is posted.
pub fn reject(ledger: &Ledger, id: u64, checker: &str, reason: &str) -> anyhow::Result<Decision> {
    let reason = match checked_reason(reason) {
        Ok(reason) => reason,
        Err(why) => return Ok(Decision::BadReason(why)),
    };
    let Some(batch) = ledger.pending_batch(id)? else {
        return Ok(Decision::NotFound);
    };
    if taizhang_core::text::same_person(&batch.maker, checker) {
        return Ok(Decision::OwnBatch);
    }
    let review = Body::Review(Review {
        batch: id,
        maker: batch.maker.clone(),
        approved: false,
        reason,
        entries: 0,
        files: batch.files.clone(),
    });
    let mut outcome = None;
    let mut settled = false;
    ledger.write_batch(checker, |w| {
        outcome = Some(w.offer(&review_source(id), review));
        match w.settle_pending(id) {
            Ok(removed) => settled = removed,
            Err(e) => w.fail(e),
        }
        settled && matches!(outcome, Some(Ok(Offered::Posted(_))))
    })?;
    match outcome {
        Some(Ok(Offered::Posted(review_seq))) if settled => Ok(Decision::Rejected { review_seq }),
        Some(Ok(Offered::AlreadyPosted)) => Ok(Decision::NotFound),
        _ if !settled => Ok(Decision::NotFound),
        Some(Err(Refusal::Invalid(errors))) => Ok(Decision::Refused {
            problems: errors.iter().map(|e| problem_at("", e)).collect(),
        }),
        Some(Err(Refusal::Lookup(message))) => Err(anyhow::anyhow!(message)),
        _ => Err(anyhow::anyhow!("无法记录审核")),
    }
}

/// A rejection's reason as stored: not blank, acceptable text (no control or invisible
/// characters), at most [`REASON_CHARS_MAX`] characters, NFC.
fn checked_reason(reason: &str) -> Result<String, String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("请写明退回原因".into());
    }
    taizhang_core::text::check(reason).map_err(|why| format!("退回原因{why}"))?;
    if reason.chars().count() > REASON_CHARS_MAX {
        return Err(format!("退回原因超过 {REASON_CHARS_MAX} 个字符"));
    }
    Ok(taizhang_core::text::nfc(reason).into_owned())
}

/// The source of a review entry.
fn review_source(id: u64) -> String {
    format!("待审批次 {id}")
}

/// What one run of the approval did.
struct ApprovalRun {
    committed: bool,
    review_seq: Option<u64>,
    tally: Tally,
    /// The batch's changes to the running sums (a dry run's, for the preview).
    changes: Vec<(SumKey, Amount)>,
}

/// The approval: the review by `checker`, then every row by the maker, each checked against the
/// ledger as it is now; committed (with the pending record's removal) only when `commit` and every
/// row posts.
fn run_approval(
    ledger: &Ledger,
    batch: &PendingBatch,
    checker: &str,
    commit: bool,
) -> anyhow::Result<ApprovalRun> {
    let id = batch.id;
    let places: Vec<(String, u64)> = batch.rows.iter().map(|(s, _)| place_of(s)).collect();
    let mut files: Vec<String> = Vec::new();
    for (file, _) in &places {
        if !files.contains(file) {
            files.push(file.clone());
        }
    }
    let review = Body::Review(Review {
        batch: id,
        maker: batch.maker.clone(),
        approved: true,
        reason: String::new(),
        entries: batch.rows.len() as u64,
        files: batch.files.clone(),
    });
    let mut watch = Watch::new(ledger)?;
    let mut tally = Tally::default();
    let mut review_seq = None;
    let mut changes = Vec::new();
    let committed = ledger.write_batch(checker, |w| {
        w.expect_entries(batch.rows.len() + 1);
        match w.offer(&review_source(id), review) {
            Ok(Offered::Posted(seq)) => review_seq = Some(seq),
            Ok(Offered::AlreadyPosted) => tally.problems.push(batch_problem(format!(
                "待审批次 {id} 已审核过，不能再次审核"
            ))),
            Err(Refusal::Invalid(errors)) => {
                (tally.problems).extend(errors.iter().map(|e| problem_at("", e)))
            }
            Err(Refusal::Lookup(message)) => tally.problems.push(batch_problem(message)),
        }
        w.set_operator(&batch.maker);
        for ((source, body), (file, line)) in batch.rows.iter().zip(&places) {
            let index = files.iter().position(|f| f == file).unwrap_or(0);
            let own = watch.see(body, index, *line);
            let key = body.key();
            let kind = body.kind();
            let outcome = w.offer(source, body.clone());
            watch.offered(matches!(outcome, Ok(Offered::Posted(_))));
            match outcome {
                Ok(Offered::AlreadyPosted) => tally.problems.push(problem_at(
                    source,
                    &FieldError::new(
                        "",
                        format!("{}已在台账中：提交待审后已由别的批次入账", key.describe()),
                    ),
                )),
                Ok(Offered::Posted(_)) => {
                    let place = RowPlace {
                        file: file.clone(),
                        line: *line,
                    };
                    tally.warn(own.iter().map(|w| warnings::problem(w, &place)), false);
                    tally.record(&key, kind, outcome, |e| problem_at(source, e));
                }
                Err(_) => tally.record(&key, kind, outcome, |e| named(kind, source, e)),
            }
        }
        if tally.problems.is_empty() {
            let fallback = RowPlace {
                file: files.first().cloned().unwrap_or_default(),
                line: 0,
            };
            let found = watch.finish(w, &files, &fallback);
            tally.warn(found.iter().map(|(w, p)| warnings::problem(w, p)), false);
        }
        if !commit {
            changes = w.pending_changes().map(|(k, a)| (k.clone(), *a)).collect();
            return false;
        }
        if !tally.problems.is_empty() {
            return false;
        }
        match w.settle_pending(id) {
            Ok(true) => true,
            Ok(false) => {
                tally
                    .problems
                    .push(batch_problem(format!("待审批次 {id} 已不在待审表中")));
                false
            }
            Err(e) => {
                w.fail(e);
                false
            }
        }
    })?;
    Ok(ApprovalRun {
        committed,
        review_seq,
        tally,
        changes,
    })
}

/// A row's place from its source: "a.csv:12" → ("a.csv", 12) (a workbook's "b.xlsx:表1:3" too);
/// a typed entry's "命令行" is its line 1.
fn place_of(source: &str) -> (String, u64) {
    match source.rsplit_once(':') {
        Some((file, line)) => match line.parse::<u64>() {
            Ok(line) => (file.to_string(), line),
            Err(_) => (source.to_string(), 1),
        },
        None => (source.to_string(), 1),
    }
}

/// A problem of a row, named by its source and the column's Chinese name.
fn named(kind: Kind, source: &str, e: &FieldError) -> Problem {
    let mut problem = problem_at(source, e);
    if let Some(column) = columns::columns(kind).iter().find(|c| c.key == e.column) {
        problem.column = column.chinese.to_string();
    }
    problem
}

fn problem_at(source: &str, e: &FieldError) -> Problem {
    let (file, line) = place_of(source);
    Problem {
        file,
        line,
        column: e.column.to_string(),
        message: e.message.clone(),
    }
}

/// A problem of the batch as a whole.
fn batch_problem(message: String) -> Problem {
    Problem {
        file: "待审批次".into(),
        line: 0,
        column: String::new(),
        message,
    }
}

/// The table-7 cells that differ between the ledger now and after `changes`, every year the
/// ledger's table 7 has from the first one the batch touches (a year's closing is carried on).
fn cell_changes(before: &Facts, changes: Vec<(SumKey, Amount)>) -> Vec<CellChange> {
    let year_of = |key: &SumKey| match key {
        SumKey::Income { year, .. }
        | SumKey::Expense { year, .. }
        | SumKey::Opening { year, .. } => Some(*year),
        _ => None,
    };
    let Some(first) = changes.iter().filter_map(|(k, _)| year_of(k)).min() else {
        return Vec::new();
    };
    let mut after = before.clone();
    after.sums.apply(changes);
    let last = (after.sums.0.keys())
        .filter_map(year_of)
        .max()
        .unwrap_or(first);
    let mut out = Vec::new();
    for year in first..=last {
        diff_tables(
            &table7::table7(before, year),
            &table7::table7(&after, year),
            &mut out,
        );
    }
    out
}

fn diff_tables(before: &Table7, after: &Table7, out: &mut Vec<CellChange>) {
    let mut rows: Vec<(String, String, [Amount; 6], [Amount; 6])> = Vec::new();
    for row in &after.rows {
        let was = (before.rows.iter())
            .find(|r| r.code == row.code)
            .map_or([Amount::ZERO; 6], |r| r.columns.values());
        rows.push((
            row.code.as_str().to_string(),
            row.name.clone(),
            was,
            row.columns.values(),
        ));
    }
    for row in &before.rows {
        if !after.rows.iter().any(|r| r.code == row.code) {
            rows.push((
                row.code.as_str().to_string(),
                row.name.clone(),
                row.columns.values(),
                [Amount::ZERO; 6],
            ));
        }
    }
    rows.push((
        taizhang_projection::cell::TOTAL_CODE.to_string(),
        taizhang_projection::cell::TOTAL_CODE.to_string(),
        before.total.values(),
        after.total.values(),
    ));
    for (code, name, was, now) in rows {
        for (i, key) in COLUMN_KEYS.iter().enumerate() {
            if was[i] != now[i] {
                out.push(CellChange {
                    year: after.year,
                    code: code.clone(),
                    name: name.clone(),
                    column: key.to_string(),
                    before: was[i],
                    after: now[i],
                });
            }
        }
    }
}

/// What a pending batch does, in words: "import" → 导入, "post" → 记账, "reverse" → 冲销.
pub fn action_words(action: &str) -> &str {
    match action {
        "import" => "导入",
        "post" => "记账",
        "reverse" => "冲销",
        other => other,
    }
}

/// A pending batch as the API and `pending --format json` give it: `{"id", "maker", "created_at",
/// "action", "files", "warnings", "rows": [{"source", "kind", "body"}]}`, each body as
/// `log --format json` writes it.
pub fn batch_json(batch: &PendingBatch) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = (batch.rows.iter())
        .map(|(source, body)| {
            serde_json::json!({
                "source": source,
                "kind": body.kind().key(),
                "body": serde_json::to_value(taizhang_store::record::BodyV1::from(body))
                    .unwrap_or(serde_json::Value::Null),
            })
        })
        .collect();
    serde_json::json!({
        "id": batch.id,
        "maker": batch.maker,
        "created_at": batch.created_at,
        "action": batch.action,
        "files": batch.files,
        "warnings": batch.warnings,
        "rows": rows,
    })
}

/// A preview as JSON: the batch ([`batch_json`]), `"problems"` (why an approval now would be
/// refused), `"approval_warnings"` (the warnings an approval now brings) and `"changes"` (the
/// table-7 cells, amounts as "1234.50").
pub fn preview_json(preview: &Preview) -> serde_json::Value {
    let mut value = batch_json(&preview.batch);
    let changes: Vec<serde_json::Value> = (preview.changes.iter())
        .map(|c| {
            serde_json::json!({
                "year": c.year,
                "code": c.code,
                "name": c.name,
                "column": c.column,
                "before": c.before.to_string(),
                "after": c.after.to_string(),
            })
        })
        .collect();
    if let Some(map) = value.as_object_mut() {
        let problems: Vec<_> = preview
            .tally
            .problems
            .iter()
            .map(Problem::to_json)
            .collect();
        let warnings: Vec<_> = preview
            .tally
            .warnings
            .iter()
            .map(Problem::to_json)
            .collect();
        map.insert("problems".into(), problems.into());
        map.insert("approval_warnings".into(), warnings.into());
        map.insert("changes".into(), changes.into());
    }
    value
}
