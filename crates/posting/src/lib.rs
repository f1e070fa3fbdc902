//! taizhang-posting: everything that writes a batch — import, post, reverse, close — for every front
//! end (the CLI, the web workspace). Files are read and rows parsed by the interchange crate, checked
//! and appended by the store; this crate carries rows from one to the other and keeps the [`Tally`] of
//! what happened. Telling the user is the front end's: nothing here prints.

pub mod export;
pub mod fields;
pub mod pending;
pub mod read;
pub mod today;
pub mod warnings;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::SyncSender;

use taizhang_core::rules::{FieldError, Refusal};
use taizhang_core::{Body, EntryKey, Kind};
use taizhang_interchange::{columns, parse, Cells, ImportFile, Problem};
use taizhang_store::{FoldedSums, Ledger, Offered, Prepared, Preparer, Writer};

use crate::warnings::{RowPlace, Watch};

/// Rows between progress reports (the CLI's bar on a terminal).
const PROGRESS_EVERY_ROWS: u64 = 4096;
/// Rows the parsing thread hands over at a time, and chunks that may wait in the channel. Few: what
/// waits when the last file is read to its end, the storing thread works through alone (16 chunks were
/// 10 ms of a 100k-row import's 250).
const CHUNK_ROWS: usize = 256;
const CHANNEL_CHUNKS: usize = 4;

/// What a batch did.
#[derive(Default, Debug)]
pub struct Tally {
    pub posted: u64,
    /// Posted entries by kind, for the summary.
    pub posted_by_kind: std::collections::BTreeMap<Kind, u64>,
    pub already: u64,
    /// The contracts whose parts were posted: a contract of three suppliers is one contract.
    pub contracts: std::collections::BTreeSet<String>,
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
    /// `import --check`: everything checked, nothing written.
    pub dry_run: bool,
    /// With approval required: the pending batch the rows wait in (`posted` counts them), nothing
    /// posted yet.
    pub pending: Option<u64>,
    /// How many of the problems are warnings refused under `--strict`.
    strict_warnings: usize,
}

impl Tally {
    /// Records one offer's outcome; problems go to the list, named by `name`.
    fn record(
        &mut self,
        key: &EntryKey,
        kind: Kind,
        outcome: Result<Offered, Refusal>,
        name: impl Fn(&FieldError) -> Problem,
    ) {
        match outcome {
            Ok(Offered::Posted(_)) => {
                self.posted += 1;
                *self.posted_by_kind.entry(kind).or_default() += 1;
                if let EntryKey::ContractPart { contract_no, .. } = key {
                    self.contracts.insert(contract_no.clone());
                }
            }
            Ok(Offered::AlreadyPosted) => self.already += 1,
            Err(Refusal::Invalid(errors)) => self.problems.extend(errors.iter().map(name)),
            Err(Refusal::Lookup(message)) => {
                self.problems.push(name(&FieldError::new("", message)))
            }
        }
    }

    /// Adds warnings; under `--strict` they are problems that refuse the batch.
    fn warn(&mut self, warnings: impl IntoIterator<Item = Problem>, strict: bool) {
        if strict {
            let before = self.problems.len();
            self.problems.extend(warnings.into_iter().map(|mut w| {
                w.message = format!("（--strict 下拒绝的警告）{}", w.message);
                w
            }));
            self.strict_warnings += self.problems.len() - before;
        } else {
            self.warnings.extend(warnings);
        }
    }

    /// Whether a problem other than a warning refused under `--strict` was found.
    fn has_errors(&self) -> bool {
        self.problems.len() > self.strict_warnings
    }

    /// The summary a front end shows after the batch, in the CLI's words: whether it passed (a dry
    /// run), was refused or was posted, and what it posted by kind. `quiet` leaves out the lines of
    /// a posted batch.
    pub fn outcome_lines(&self, committed: bool, quiet: bool) -> Vec<String> {
        if let Some(id) = self.pending {
            return vec![format!(
                "已提交待审批次 {id}：{} 条，待审核人批准后入账",
                self.posted
            )];
        }
        if self.dry_run && self.problems.is_empty() {
            return vec![format!(
                "检查通过（--check，未写入台账）：将新记账 {} 条，已存在 {} 条。",
                self.posted, self.already
            )];
        }
        if !committed {
            return vec![format!(
                "已拒绝：共 {} 处问题，台账未作任何改动。",
                self.problems.len().max(1)
            )];
        }
        if quiet {
            return Vec::new();
        }
        let mut lines = vec![format!(
            "完成：新记账 {} 条，已存在 {} 条（跳过），拒绝 0 条。",
            self.posted, self.already
        )];
        if !self.posted_by_kind.is_empty() {
            let parts: Vec<String> = self
                .posted_by_kind
                .iter()
                .map(|(k, n)| match k {
                    Kind::Contract => format!("合同 {} 个（供应商 {n} 条）", self.contracts.len()),
                    _ => format!("{} {n} 条", k.label()),
                })
                .collect();
            lines.push(format!("其中：{}。", parts.join("、")));
        }
        lines
    }

    /// Whether the batch passed: committed, or a dry run without problems.
    pub fn passed(&self, committed: bool) -> bool {
        committed || (self.dry_run && self.problems.is_empty())
    }

    /// How many problems are warnings refused under `--strict`.
    pub fn strict_warnings(&self) -> usize {
        self.strict_warnings
    }
}

/// How an import runs: the switches of `taizhang import`.
#[derive(Clone, Copy, Default)]
pub struct ImportOptions<'p> {
    /// Refuse the batch on any warning.
    pub strict: bool,
    /// `--check`: every check, nothing written.
    pub dry_run: bool,
    /// Told the rows seen so far, every few thousand rows (from the thread that calls `import`).
    pub progress: Option<&'p dyn Fn(u64)>,
}

/// Imports files and folders as one batch.
pub fn import(
    ledger: &Ledger,
    paths: &[PathBuf],
    kind: Option<Kind>,
    operator: &str,
    options: ImportOptions<'_>,
) -> anyhow::Result<(bool, Tally)> {
    let files = taizhang_interchange::collect(paths, kind);
    import_collected(ledger, files, operator, options)
}

/// Imports files as one batch, each named in messages and entries' sources as given: the web
/// workspace keeps uploads in a temporary folder, and the user should read their own file's name.
pub fn import_named(
    ledger: &Ledger,
    files: &[(PathBuf, String)],
    kind: Option<Kind>,
    operator: &str,
    options: ImportOptions<'_>,
) -> anyhow::Result<(bool, Tally)> {
    let files = taizhang_interchange::collect_named(files, kind);
    import_collected(ledger, files, operator, options)
}

/// The batch of files opened (or the problems that kept them from opening).
fn import_collected(
    ledger: &Ledger,
    files: Result<Vec<ImportFile>, Vec<Problem>>,
    operator: &str,
    options: ImportOptions<'_>,
) -> anyhow::Result<(bool, Tally)> {
    // The operator is refused before the files' problems, as the command line names it first.
    let operator = match checked_operator(operator) {
        Ok(operator) => operator,
        Err(problem) => return Ok((false, refused(problem))),
    };
    let operator = operator.as_str();
    let ImportOptions {
        strict,
        dry_run,
        progress,
    } = options;
    let files = match files {
        Ok(files) => files,
        Err(problems) => {
            return Ok((
                false,
                Tally {
                    problems,
                    ..Tally::default()
                },
            ))
        }
    };
    let progress = progress.unwrap_or(&|_| {});
    let mut tally = Tally {
        dry_run,
        ..Tally::default()
    };
    // With approval required the batch runs as a dry run that keeps the rows it would post.
    let mut capture = (!dry_run && ledger.require_approval()?).then(Vec::new);
    let mut watch = Watch::new(ledger)?;
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    let committed = ledger.write_batch(operator, |writer| {
        writer.expect_entries(files.iter().map(ImportFile::estimated_rows).sum());
        let mut run = Run {
            strict,
            tally: &mut tally,
            watch: &mut watch,
            capture: &mut capture,
        };
        import_files(writer, &files, progress, &mut run);
        let fallback = RowPlace {
            file: String::new(),
            line: 0,
        };
        settle_warnings(writer, watch, &names, &fallback, strict, &mut tally);
        tally.problems.is_empty() && !dry_run && capture.is_none()
    })?;
    match capture {
        Some(rows) => {
            // Hashed only for a batch that will wait: the files the rows were read from.
            let file_lines = match tally.problems.is_empty() && !rows.is_empty() {
                true => pending::file_lines(ledger, &files)?,
                false => Vec::new(),
            };
            pending::submit(ledger, operator, "import", file_lines, rows, tally)
        }
        None => Ok((committed, tally)),
    }
}

/// What the storing thread keeps for the batch: the tally, the warnings' watch, and (with approval
/// required) the rows that would post.
struct Run<'a> {
    strict: bool,
    tally: &'a mut Tally,
    watch: &'a mut Watch,
    capture: &'a mut Option<Vec<(String, Body)>>,
}

/// A row made ready on the parsing thread: its entry encoded and hashed as far as it can be before
/// its place in the chain is known, or the row's problems.
struct Ready {
    line: u64,
    entry: Result<(Prepared, Vec<FieldError>), Vec<FieldError>>,
}

impl Ready {
    fn prepared(&mut self) -> Option<&mut Prepared> {
        self.entry.as_mut().ok().map(|(prepared, _)| prepared)
    }
}

/// What the parsing thread hands the storing thread, in file order.
enum Parcel {
    /// Rows of `files[file]`, with their sum changes already added up.
    Rows {
        file: usize,
        rows: Vec<Ready>,
        folded: FoldedSums,
    },
    /// A file that cannot be read, or has no data rows.
    Problem(Problem),
}

/// Reads, parses, encodes and hashes the batch's rows on a second thread while this one checks them
/// against the ledger, chains and stores them. One parsing thread goes through every file, so that the
/// next file is parsed while this one's last rows are stored: the small files a batch starts with
/// (bonds, contracts) were stored while the parser waited, and each file filled the pipeline anew.
/// Rows travel in chunks through a bounded channel, so memory stays flat however large the files.
fn import_files(
    writer: &mut Writer<'_>,
    files: &[ImportFile],
    progress: &dyn Fn(u64),
    run: &mut Run<'_>,
) {
    let mut preparer = match writer.preparer_looking_ahead() {
        Ok(preparer) => preparer,
        // Abandons the batch: write_batch reports the failure.
        Err(e) => return writer.fail(e),
    };
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Parcel>(CHANNEL_CHUNKS);
        scope.spawn(move || parse_files(files, &mut preparer, &send));
        let mut seen = 0u64;
        for parcel in receive {
            let (index, rows, folded) = match parcel {
                Parcel::Rows { file, rows, folded } => (file, rows, folded),
                Parcel::Problem(problem) => {
                    run.tally.problems.push(problem);
                    continue;
                }
            };
            for row in rows {
                seen += 1;
                if seen % PROGRESS_EVERY_ROWS == 0 {
                    progress(seen);
                }
                offer_row(writer, (index, &files[index]), row, run);
            }
            writer.add_folded_sums(folded);
        }
    });
}

/// The parsing thread: every file's rows in order. Stops early only when the storing thread has
/// stopped listening.
fn parse_files(files: &[ImportFile], preparer: &mut Preparer, send: &SyncSender<Parcel>) {
    let mut source = String::new();
    for (index, file) in files.iter().enumerate() {
        if !parse_file(index, file, preparer, &mut source, send) {
            return;
        }
    }
}

/// One file's rows, in chunks, or its problem; false once the storing thread has stopped listening.
fn parse_file(
    index: usize,
    file: &ImportFile,
    preparer: &mut Preparer,
    source: &mut String,
    send: &SyncSender<Parcel>,
) -> bool {
    let mut rows = match file.rows() {
        Ok(rows) => rows,
        Err(problem) => return send.send(Parcel::Problem(problem)).is_ok(),
    };
    let mut any = false;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        chunk.extend(rows.by_ref().take(CHUNK_ROWS).map(|row| Ready {
            line: row.line,
            entry: row.parsed.map(|p| {
                file.write_source(source, row.line);
                (preparer.prepare(source, p.body), p.warnings)
            }),
        }));
        if chunk.is_empty() {
            break;
        }
        any = true;
        let folded = preparer.finish_chunk(chunk.iter_mut().filter_map(Ready::prepared));
        let parcel = Parcel::Rows {
            file: index,
            rows: chunk,
            folded,
        };
        if send.send(parcel).is_err() {
            return false;
        }
    }
    any || send.send(Parcel::Problem(header_only(file))).is_ok()
}

fn header_only(file: &ImportFile) -> Problem {
    Problem {
        file: file.name.clone(),
        line: file.header_line,
        column: String::new(),
        message: "只有表头，没有数据行".into(),
    }
}

fn offer_row(
    writer: &mut Writer<'_>,
    (index, file): (usize, &ImportFile),
    row: Ready,
    run: &mut Run<'_>,
) {
    let Run {
        strict,
        tally,
        watch,
        capture,
    } = run;
    let strict = *strict;
    let name = |e: &FieldError| file.problem(row.line, e);
    let (prepared, warnings) = match row.entry {
        Ok(entry) => entry,
        Err(errors) => return tally.problems.extend(errors.iter().map(name)),
    };
    let warnings = warnings.iter().map(name);
    if strict {
        tally.problems.extend(warnings);
    } else {
        tally.warnings.extend(warnings);
    }
    let own_warnings = watch.see(prepared.body(), index, row.line);
    let kind = prepared.kind();
    // Only a contract part's key is kept, so the cost of the other rows stays what it was.
    let key = match prepared.key() {
        key @ EntryKey::ContractPart { .. } => key.clone(),
        _ => EntryKey::Voucher(String::new()),
    };
    // Kept only with approval required: otherwise the row costs what it did.
    let captured = capture.as_ref().map(|_| prepared.body().clone());
    let outcome = writer.offer_prepared(prepared);
    watch.offered(matches!(outcome, Ok(Offered::Posted(_))));
    if matches!(outcome, Ok(Offered::Posted(_))) {
        if let (Some(rows), Some(body)) = (capture.as_mut(), captured) {
            let mut source = String::new();
            file.write_source(&mut source, row.line);
            rows.push((source, body));
        }
        let place = RowPlace {
            file: file.name.clone(),
            line: row.line,
        };
        tally.warn(
            own_warnings.iter().map(|w| warnings::problem(w, &place)),
            strict,
        );
    }
    tally.record(&key, kind, outcome, name);
}

/// The warnings of the ledger's state that the batch brings (unless an error refuses it anyway: then
/// its sums are partial and say nothing).
fn settle_warnings(
    writer: &Writer<'_>,
    watch: Watch,
    files: &[String],
    fallback: &RowPlace,
    strict: bool,
    tally: &mut Tally,
) {
    if tally.has_errors() {
        return;
    }
    let found = watch.finish(writer, files, fallback);
    tally.warn(found.iter().map(|(w, p)| warnings::problem(w, p)), strict);
}

/// The cells of one `post` command: `--voucher-no X` pairs by column key.
struct OptionCells(HashMap<String, String>);

impl Cells for OptionCells {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

/// Files an import cannot read whatever they hold, found before the ledger is opened (and locked):
/// a FIFO would otherwise hold the lock while nothing comes.
pub fn refuse_unopenable(paths: &[PathBuf]) -> Option<Tally> {
    let problems = taizhang_interchange::import::unopenable(paths);
    (!problems.is_empty()).then(|| Tally {
        problems,
        ..Tally::default()
    })
}

/// A batch refused before it began, for one problem.
fn refused(problem: Problem) -> Tally {
    Tally {
        problems: vec![problem],
        ..Tally::default()
    }
}

/// `--operator` as stored: [`checked_option`] on the value as given (a forbidden character at its
/// edge is refused, not trimmed away), then trimmed (as a user name is: "sunqi " must not pass for
/// another person than "sunqi").
pub fn checked_operator(value: &str) -> Result<String, Problem> {
    checked_option("--operator", value).map(|operator| operator.trim().to_string())
}

/// A text option that is stored (`--operator`, `init --unit`), as stored: in normalization form C,
/// or refused (as a cell would be) with the option named. Exit status 1: the value is bad input,
/// not a misuse of the command line.
pub fn checked_option(option: &str, value: &str) -> Result<String, Problem> {
    let problem = |message: String| Problem {
        file: "命令行".into(),
        line: 1,
        column: option.to_string(),
        message,
    };
    taizhang_core::text::check(value).map_err(problem)?;
    if value.chars().count() > parse::TEXT_CHARS_MAX {
        return Err(problem(format!("超过 {} 个字符", parse::TEXT_CHARS_MAX)));
    }
    if value.trim().is_empty() {
        return Err(problem("不能为空".into()));
    }
    Ok(taizhang_core::text::nfc(value).into_owned())
}

/// A malformed command line: exit status 2.
#[derive(Debug)]
pub struct Misuse(pub String);

impl std::fmt::Display for Misuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Misuse {}

/// Reads `--column value` pairs against the columns of a kind.
fn option_cells(kind: Kind, fields: &[String]) -> Result<OptionCells, Misuse> {
    if fields.is_empty() {
        return Err(Misuse(format!(
            "请写出{}的各列：{}",
            kind.label(),
            option_list(kind)
        )));
    }
    let mut cells = HashMap::new();
    let mut iter = fields.iter();
    while let Some(flag) = iter.next() {
        let (name, inline) = match flag.strip_prefix("--") {
            Some(rest) => rest
                .split_once('=')
                .map_or((rest, None), |(n, v)| (n, Some(v.to_string()))),
            None => {
                return Err(Misuse(format!(
                    "“{}”不是选项（应为 --列名 值）",
                    taizhang_core::text::excerpt(flag)
                )))
            }
        };
        let key = name.replace('-', "_");
        if matches!(name, "operator" | "strict") {
            return Err(Misuse(format!(
                "--{name} 是 post 命令本身的选项，须写在种类之前（如 taizhang post --{name} … {}）",
                kind_word(kind)
            )));
        }
        if columns::columns(kind).iter().all(|c| c.key != key) {
            return Err(Misuse(format!(
                "{}没有选项 --{name}（可用：{}）",
                kind.label(),
                option_list(kind)
            )));
        }
        let value = match inline {
            Some(v) => v,
            None => iter
                .next()
                .cloned()
                .ok_or_else(|| Misuse(format!("--{name} 缺少值")))?,
        };
        if cells.insert(key, value).is_some() {
            return Err(Misuse(format!(
                "选项 --{name} 重复出现：每个选项只能写一次"
            )));
        }
    }
    Ok(OptionCells(cells))
}

/// The word that names a kind on the command line.
fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Bond => "bond",
        Kind::Contract => "contract",
        Kind::Amendment => "amendment",
        Kind::Acceptance => "acceptance",
        Kind::Receipt => "receipt",
        Kind::Payment => "payment",
        Kind::Opening => "opening",
        Kind::Catalog => "catalog",
        Kind::Reversal => "reverse",
        Kind::Close => "close",
        Kind::Unit => "unit",
        Kind::User => "user",
        Kind::Setting => "settings",
        Kind::Review => "approve",
        Kind::Attachment => "attach",
    }
}

/// A kind's columns as options, the required ones marked: "--voucher-no 凭证号（必填） …".
fn option_list(kind: Kind) -> String {
    let options: Vec<String> = columns::columns(kind)
        .iter()
        .map(|c| {
            format!(
                "--{} {}{}",
                c.key.replace('_', "-"),
                c.chinese,
                if c.required { "（必填）" } else { "" }
            )
        })
        .collect();
    options.join("  ")
}

/// Posts one entry typed on the command line (post, reverse, close).
pub fn post_one(
    ledger: &Ledger,
    kind: Kind,
    fields: &[(&str, String)],
    operator: &str,
    strict: bool,
) -> anyhow::Result<(bool, Tally)> {
    let cells = OptionCells(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    );
    post_cells(ledger, kind, &cells, operator, strict)
}

/// `post KIND --column value …`.
pub fn post_options(
    ledger: &Ledger,
    kind: Kind,
    fields: &[String],
    operator: &str,
    strict: bool,
) -> anyhow::Result<(bool, Tally)> {
    let cells = option_cells(kind, fields)?;
    post_cells(ledger, kind, &cells, operator, strict)
}

fn post_cells(
    ledger: &Ledger,
    kind: Kind,
    cells: &OptionCells,
    operator: &str,
    strict: bool,
) -> anyhow::Result<(bool, Tally)> {
    let operator = match checked_operator(operator) {
        Ok(operator) => operator,
        Err(problem) => return Ok((false, refused(problem))),
    };
    let operator = operator.as_str();
    let name = |e: &FieldError| {
        let column = match (kind, e.column) {
            (_, "") => String::new(),
            // `reverse` names the voucher `--voucher`, the column of the files `voucher_no`.
            (Kind::Reversal, "voucher_no") => "--voucher".to_string(),
            (_, key) => format!("--{}", key.replace('_', "-")),
        };
        Problem {
            file: "命令行".into(),
            line: 1,
            column,
            message: e.message.clone(),
        }
    };
    let mut tally = Tally::default();
    let parsed = match parse::parse(kind, cells) {
        Ok(parsed) => parsed,
        Err(errors) => {
            tally.problems.extend(errors.iter().map(name));
            return Ok((false, tally));
        }
    };
    let warnings: Vec<Problem> = parsed.warnings.iter().map(name).collect();
    if strict {
        tally.problems.extend(warnings);
    } else {
        tally.warnings.extend(warnings);
    }
    let body: Body = parsed.body;
    // With approval required (not for closing) the entry runs as a dry run and waits for a checker.
    let mut capture = (kind != Kind::Close && ledger.require_approval()?).then(Vec::new);
    let mut watch = Watch::new(ledger)?;
    let place = RowPlace {
        file: "命令行".into(),
        line: 1,
    };
    let committed = ledger.write_batch(operator, |writer| {
        let kind = body.kind();
        let key = body.key();
        let own_warnings = watch.see(&body, 0, 1);
        let captured = capture.as_ref().map(|_| body.clone());
        let outcome = writer.offer("命令行", body);
        watch.offered(matches!(outcome, Ok(Offered::Posted(_))));
        if matches!(outcome, Ok(Offered::Posted(_))) {
            if let (Some(rows), Some(body)) = (capture.as_mut(), captured) {
                rows.push(("命令行".to_string(), body));
            }
            tally.warn(
                own_warnings.iter().map(|w| warnings::problem(w, &place)),
                strict,
            );
        }
        tally.record(&key, kind, outcome, name);
        settle_warnings(
            writer,
            watch,
            std::slice::from_ref(&place.file),
            &place,
            strict,
            &mut tally,
        );
        tally.problems.is_empty() && capture.is_none()
    })?;
    match capture {
        Some(rows) => {
            let action = match kind {
                Kind::Reversal => "reverse",
                _ => "post",
            };
            let files = vec!["命令行".to_string()];
            pending::submit(ledger, operator, action, files, rows, tally)
        }
        None => Ok((committed, tally)),
    }
}
