//! taizhang: the command-line program. Parses, wires the crates together, prints. No business rules.

mod clap_zh;
mod cli;
mod demo;
mod export;
mod output;
mod posting;
mod reports;

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser};
use taizhang_core::classify::{classify, Figures};
use taizhang_core::{Industry, Kind};
use taizhang_store::{EntryLine, HashAlgo, Ledger, UnitNames};

use cli::{BondCommand, Cli, Command, LogFormat, Report};
use posting::Misuse;
use reports::ReportRequest;

/// The import parses on one thread and stores on another, so memory allocated on one is freed on the
/// other; mimalloc does that without the lock contention of the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ignore_file_size_signal();
    // The command in Chinese costs about a millisecond to build: only for help and errors.
    let parsed = Cli::try_parse().or_else(|_| {
        clap_zh::localize(Cli::command())
            .try_get_matches()
            .and_then(|matches| Cli::from_arg_matches(&matches))
    });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(u8::try_from(clap_zh::report(&e)).unwrap_or(2)),
    };
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if e.downcast_ref::<Misuse>().is_some() => {
            eprintln!("用法错误：{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("错误：{}", in_words(&e));
            ExitCode::from(1)
        }
    }
}

/// An error as the user reads it: an operating-system error in words, not "os error 2".
fn in_words(error: &anyhow::Error) -> String {
    match error.downcast_ref::<std::io::Error>() {
        Some(io) => taizhang_interchange::oserr::describe(io),
        None => error.to_string(),
    }
}

/// A write past `ulimit -f` raises SIGXFSZ, whose default action ends the process without a word
/// (and mid-batch). Ignored, the write fails with EFBIG instead, the batch is rolled back and the
/// error is reported: "文件大小超出限制（ulimit -f）".
fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler and runs before any
    // other thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Runs one command; `Ok(false)` is a refusal or failed check that has already been explained.
fn run(cli: Cli) -> anyhow::Result<bool> {
    let path = cli.ledger.as_path();
    let quiet = cli.quiet;
    match cli.command {
        Command::Init {
            unit,
            short_name,
            hash,
        } => {
            let algo = HashAlgo::parse(&hash)
                .ok_or_else(|| Misuse(format!("未知的哈希算法“{hash}”（可选 sm3、sha256）")))?;
            let stored = |option: &str, value: &str| {
                posting::checked_option(option, value).map_err(|p| anyhow::anyhow!("{p}"))
            };
            let unit = stored("--unit", &unit)?;
            let short = match short_name {
                Some(short) => stored("--short-name", &short)?,
                None => unit.clone(),
            };
            Ledger::init(path, UnitNames { full: unit, short }, algo)?;
            if !quiet {
                eprintln!("已新建台账 {}（哈希算法 {}）", path.display(), algo.name());
            }
            Ok(true)
        }
        Command::Import {
            paths,
            kind,
            who,
            strict,
        } => {
            let kind = kind.map(|k| parse_kind(&k)).transpose()?;
            if let Some(refused) = posting::refuse_unopenable(&paths) {
                return Ok(refused.report(false, quiet));
            }
            let ledger = open(path)?;
            let (committed, tally) = posting::import(
                &ledger,
                &paths,
                kind,
                &operator(who.operator),
                strict,
                quiet,
            )?;
            Ok(tally.report(committed, quiet))
        }
        Command::Post {
            kind,
            fields,
            who,
            strict,
        } => {
            let kind = parse_kind(&kind)?;
            let ledger = open(path)?;
            let (committed, tally) =
                posting::post_options(&ledger, kind, &fields, &operator(who.operator), strict)?;
            Ok(tally.report(committed, quiet))
        }
        Command::Reverse {
            voucher,
            date,
            reason,
            who,
        } => {
            let ledger = open(path)?;
            let fields = [("voucher_no", voucher), ("date", date), ("reason", reason)];
            let (committed, tally) = posting::post_one(
                &ledger,
                Kind::Reversal,
                &fields,
                &operator(who.operator),
                false,
            )?;
            Ok(tally.report(committed, quiet))
        }
        Command::Close { through, who } => {
            let ledger = open(path)?;
            let (committed, tally) = posting::post_one(
                &ledger,
                Kind::Close,
                &[("through", through)],
                &operator(who.operator),
                false,
            )?;
            Ok(tally.report(committed, quiet))
        }
        Command::Log { from, format } => log(&open(path)?, from, format),
        Command::Verify { expect_head } => verify(&open(path)?, expect_head.as_deref()),
        Command::Report(report) => {
            let request = match report {
                Report::Table7 { year, format } => ReportRequest::Table7 { year, format },
                Report::Procurement {
                    year,
                    format,
                    small_micro_share_of,
                } => ReportRequest::Procurement {
                    year,
                    format,
                    share_of: small_micro_share_of,
                },
                Report::BondUse { quarter, format } => ReportRequest::BondUse { quarter, format },
                Report::Contracts { year, format } => ReportRequest::Contracts { year, format },
            };
            reports::run(&open(path)?, request)?;
            Ok(true)
        }
        Command::Bond(BondCommand::Schedule { code, format }) => {
            reports::run(&open(path)?, ReportRequest::Schedule { code, format })?;
            Ok(true)
        }
        Command::Classify {
            industry,
            people,
            revenue,
            assets,
        } => classify_command(&industry, people, revenue, assets),
        Command::Export { year, out } => export::run(&open(path)?, year, &out, quiet),
        Command::Backup { out } => {
            open(path)?.backup(&out)?;
            if !quiet {
                eprintln!("已备份到 {}", out.display());
            }
            Ok(true)
        }
        Command::Archive { out } => {
            let ledger = open(path)?;
            let mut file = std::io::BufWriter::new(File::create(&out)?);
            let count = ledger.archive(&mut file)?;
            std::io::Write::flush(&mut file)?;
            file.get_ref().sync_all()?;
            if !quiet {
                eprintln!("已归档 {count} 条记录到 {}", out.display());
            }
            Ok(true)
        }
        Command::Restore { file } => {
            let ledger = Ledger::restore(path, BufReader::new(File::open(&file)?))?;
            let head = ledger.head()?;
            if !quiet {
                eprintln!(
                    "已由 {} 重建台账 {}：{} 条记录，链头 {}",
                    file.display(),
                    path.display(),
                    head.count,
                    taizhang_store::hash::hex(&head.hash)
                );
            }
            Ok(true)
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "taizhang", &mut out);
            output::out(&String::from_utf8_lossy(&out));
            Ok(true)
        }
        Command::Demo => demo::run(),
    }
}

/// Opens the ledger; a problem found by the check on open is shown before anything else.
fn open(path: &std::path::Path) -> anyhow::Result<Ledger> {
    let ledger = Ledger::open(path)?;
    if let Some(problem) = ledger.head_problem() {
        eprintln!("警告：{problem}。台账可能被改动：不能再记账，报表不可信。请运行 taizhang verify 查明。");
    }
    Ok(ledger)
}

fn parse_kind(word: &str) -> Result<Kind, Misuse> {
    Kind::parse(word)
        .filter(|k| taizhang_interchange::columns::file_kinds().any(|f| f == *k))
        .ok_or_else(|| Misuse(format!("未知的种类“{word}”（可选：catalog bond contract amendment opening receipt payment）")))
}

/// The operator: as given, else the OS user.
fn operator(given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .unwrap_or_else(|| "未知".to_string())
}

fn log(ledger: &Ledger, from: u64, format: LogFormat) -> anyhow::Result<bool> {
    let mut text = String::new();
    ledger.for_each_entry(from, |posted| {
        let line = EntryLine::of(&posted);
        match format {
            LogFormat::Json => {
                text.push_str(&serde_json::to_string(&line).expect("entries serialize"))
            }
            LogFormat::Table => text.push_str(&format!(
                "{:>6}  {}  {:<8} {}  {}  {}",
                line.seq,
                line.recorded_at,
                posted.body.kind().label(),
                posted.body.key().describe(),
                line.operator,
                line.source
            )),
        }
        text.push('\n');
        if text.len() > 1 << 16 {
            output::out(&std::mem::take(&mut text));
        }
        true
    })?;
    output::out(&text);
    Ok(true)
}

/// Prints the verification; false when anything is wrong.
pub fn verify(ledger: &Ledger, expect_head: Option<&str>) -> anyhow::Result<bool> {
    let v = ledger.verify()?;
    output::out(&format!(
        "记录数：{}\n链头哈希（{}）：{}\n",
        v.count,
        ledger.algo().name(),
        v.head_hash
    ));
    let mut sound = v.is_sound();
    for problem in &v.problems {
        eprintln!("问题：{problem}");
    }
    if let Some(seq) = v.first_bad_seq {
        eprintln!("第一个有问题的记录：第 {seq} 条");
    }
    if let Some(expected) = expect_head {
        if !expected.trim().eq_ignore_ascii_case(&v.head_hash) {
            eprintln!(
                "链头与期望不符：期望 {expected}，实为 {}（最新的记录被截去或台账被替换？）",
                v.head_hash
            );
            sound = false;
        }
    }
    if sound {
        eprintln!("校验通过。");
    } else {
        eprintln!("校验未通过。");
    }
    Ok(sound)
}

fn classify_command(
    industry: &str,
    people: Option<u64>,
    revenue: Option<String>,
    assets: Option<String>,
) -> anyhow::Result<bool> {
    let industry = Industry::parse(industry).map_err(Misuse)?;
    let number =
        |text: Option<String>, what: &str| -> Result<Option<rust_decimal::Decimal>, Misuse> {
            text.map(|t| {
                // rust_decimal reads "1_000" as 1000: an underscore is a slip, not a separator.
                Some(t.replace(',', ""))
                    .filter(|plain| !plain.contains('_'))
                    .and_then(|plain| plain.parse().ok())
                    .ok_or_else(|| Misuse(format!("{what}“{t}”不是数（万元）")))
            })
            .transpose()
        };
    let figures = Figures {
        people,
        revenue: number(revenue, "营业收入")?,
        assets: number(assets, "资产总额")?,
    };
    match classify(industry, &figures) {
        Ok(size) => {
            output::out(&format!("{size}\n"));
            Ok(true)
        }
        Err(message) => Err(Misuse(message).into()),
    }
}
