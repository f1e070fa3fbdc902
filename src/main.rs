//! taizhang: the command-line program. Parses, wires the crates together, prints. No business rules.

mod approval;
mod attach;
mod check;
mod clap_zh;
mod cli;
mod copies;
mod demo;
mod export;
mod fields;
mod log;
mod outfile;
mod output;
mod reports;
mod screen;
mod show;
mod tally;
mod users;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser};
use taizhang_core::classify::{classify, Figures};
use taizhang_core::{Industry, Kind};
use taizhang_store::{HashAlgo, Ledger, StoreError, UnitNames};

use cli::{BondCommand, Cli, Command, Report};
use reports::ReportRequest;
use taizhang_posting::{self as posting, Misuse};

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
            check,
        } => {
            let kind = kind.map(|k| parse_kind(&k)).transpose()?;
            if let Some(refused) = posting::refuse_unopenable(&paths) {
                return Ok(tally::report(&refused, false, quiet));
            }
            // A dry run writes to an in-memory view of the file: it needs no write access and
            // changes no byte.
            let ledger = if check {
                open_dry_run(path)?
            } else {
                open(path)?
            };
            let bar = tally::progress_bar(quiet);
            let (committed, tally) = posting::import(
                &ledger,
                &paths,
                kind,
                &operator(who.operator),
                posting::ImportOptions {
                    strict,
                    dry_run: check,
                    progress: Some(&|seen| bar.set_position(seen)),
                },
            )?;
            bar.finish_and_clear();
            Ok(tally::report(&tally, committed, quiet))
        }
        Command::Post {
            kind,
            fields,
            who,
            strict,
            help,
        } => {
            if help || fields::wants_help(&fields) {
                return post_help(kind.as_deref());
            }
            let kind = kind.ok_or_else(|| {
                Misuse("请写出种类（receipt payment contract amendment bond opening catalog），各种类的列见 taizhang post 种类 --help".into())
            })?;
            let kind = parse_kind(&kind)?;
            let ledger = open(path)?;
            let (committed, tally) =
                posting::post_options(&ledger, kind, &fields, &operator(who.operator), strict)?;
            Ok(tally::report(&tally, committed, quiet))
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
            Ok(tally::report(&tally, committed, quiet))
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
            Ok(tally::report(&tally, committed, quiet))
        }
        Command::Unit {
            name,
            short_name,
            who,
        } => unit_command(path, name, short_name, &operator(who.operator), quiet),
        Command::Attach { voucher, file, who } => attach::run(
            &open(path)?,
            &voucher,
            &file,
            &operator(who.operator),
            quiet,
        ),
        Command::Check { days, format } => check::run(&open_read(path)?, days, format),
        Command::Show { name, format } => show::run(&open_read(path)?, &name, format),
        Command::Log { from, format } => log::run(&open_read(path)?, from, format),
        Command::Verify { expect_head } => verify(&open_read(path)?, expect_head.as_deref()),
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
                Report::OpeningAdjustments { year, format } => {
                    ReportRequest::OpeningAdjustments { year, format }
                }
                Report::PaymentClock { as_of, format } => {
                    ReportRequest::PaymentClock { as_of, format }
                }
                Report::Overdue { year, format } => ReportRequest::Overdue { year, format },
                Report::IdleFunds {
                    as_of,
                    days,
                    format,
                } => ReportRequest::IdleFunds {
                    as_of,
                    days,
                    format,
                },
                Report::ProcurementChecks { year, format } => {
                    ReportRequest::ProcurementChecks { year, format }
                }
            };
            reports::run(&open_read(path)?, request)?;
            Ok(true)
        }
        Command::Bond(BondCommand::Schedule { code, format }) => {
            reports::run(&open_read(path)?, ReportRequest::Schedule { code, format })?;
            Ok(true)
        }
        Command::Classify {
            industry,
            people,
            revenue,
            assets,
        } => classify_command(&industry, people, revenue, assets),
        Command::Export {
            year,
            out,
            force,
            csv_encoding,
        } => {
            let options = export::Options {
                year,
                out,
                force,
                csv_encoding,
            };
            export::run(&open_read(path)?, &options, quiet)
        }
        Command::Backup { out, force } => copies::backup(&open_read(path)?, &out, force, quiet),
        Command::Archive { out, force } => copies::archive(&open_read(path)?, &out, force, quiet),
        Command::Restore { file } => copies::restore(path, &file, quiet),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "taizhang", &mut out);
            output::out(&String::from_utf8_lossy(&out));
            Ok(true)
        }
        Command::Demo { serve, listen } => demo::run(serve.then_some(listen)),
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
            insecure_http,
        } => serve(path, listen, tls_cert.zip(tls_key), insecure_http, quiet),
        Command::User(command) => users::run(path, command, operator, quiet),
        Command::Settings {
            require_approval,
            who,
        } => approval::settings(path, require_approval, &operator(who.operator), quiet),
        Command::Pending { command, format } => approval::pending(path, command, format),
    }
}

/// Opens the ledger to write to it; a problem found by the check on open is shown before anything
/// else.
pub(crate) fn open(path: &std::path::Path) -> anyhow::Result<Ledger> {
    warn_on_open(Ledger::open(path).map_err(|e| served_elsewhere(path, e))?)
}

/// A ledger busy because `taizhang serve` holds it: say where the server is.
fn served_elsewhere(path: &std::path::Path, error: StoreError) -> anyhow::Error {
    match (&error, taizhang_web::serve::read_marker(path)) {
        (StoreError::Busy(_) | StoreError::BusyUnnamed, Some(server)) => anyhow::anyhow!(
            "台账 {} 正由网页工作台 taizhang serve 使用（{server}）：请在浏览器或其 API 中操作，或先停止服务再运行本命令",
            path.display()
        ),
        _ => error.into(),
    }
}

/// `taizhang serve`: the web workspace on this ledger until Ctrl-C.
fn serve(
    path: &std::path::Path,
    listen: String,
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    insecure_http: bool,
    quiet: bool,
) -> anyhow::Result<bool> {
    let ledger = open(path)?;
    if ledger.users()?.iter().all(|u| !u.active) {
        eprintln!("提示：台账还没有启用的用户，无人能登录。请先停止服务，用 taizhang user add 名字 --role 角色 添加。");
    }
    let options = taizhang_web::ServeOptions {
        listen,
        tls,
        insecure_http,
    };
    taizhang_web::serve(options, ledger, |url| {
        if !quiet {
            eprintln!("网页工作台已启动：{url}（按 Ctrl-C 结束）");
        }
    })?;
    Ok(true)
}

/// Opens the ledger for `import --check`: every check of a real batch, the file unchanged.
fn open_dry_run(path: &std::path::Path) -> anyhow::Result<Ledger> {
    warn_on_open(Ledger::open_dry_run(path)?)
}

/// Opens the ledger for a command that only reads: the file is left byte for byte as it was, works
/// on a read-only file or mount, and beside other readers.
pub(crate) fn open_read(path: &std::path::Path) -> anyhow::Result<Ledger> {
    warn_on_open(Ledger::open_read_only(path).map_err(|e| served_elsewhere(path, e))?)
}

fn warn_on_open(ledger: Ledger) -> anyhow::Result<Ledger> {
    if let Some(problem) = ledger.head_problem() {
        eprintln!("警告：{problem}。台账可能被改动：不能再记账，报表不可信。请运行 taizhang verify 查明。");
    }
    Ok(ledger)
}

/// `taizhang unit`: the unit's names as a new entry of the chain; nothing is posted when they are
/// already the chain's.
fn unit_command(
    path: &std::path::Path,
    full: String,
    short: Option<String>,
    operator: &str,
    quiet: bool,
) -> anyhow::Result<bool> {
    // The same checks as `init --unit`: no control, invisible or bidi characters, not blank, NFC.
    let stored = |option: &str, value: &str| {
        posting::checked_option(option, value.trim()).map_err(|p| anyhow::anyhow!("{p}"))
    };
    let operator = &posting::checked_operator(operator).map_err(|p| anyhow::anyhow!("{p}"))?;
    let full = stored("--name", &full)?;
    let short = match short {
        Some(short) => stored("--short-name", &short)?,
        None => full.clone(),
    };
    let ledger = open(path)?;
    let names = UnitNames { full, short };
    match ledger.rename_unit(names.clone(), operator)? {
        Some(seq) if !quiet => eprintln!(
            "已记录单位名称：{}（简称 {}），第 {seq} 条",
            names.full, names.short
        ),
        None if !quiet => eprintln!(
            "单位名称已是“{}”（简称 {}），未记账",
            names.full, names.short
        ),
        _ => {}
    }
    Ok(true)
}

fn parse_kind(word: &str) -> Result<Kind, Misuse> {
    Kind::parse(word)
        .filter(|k| taizhang_interchange::columns::file_kinds().any(|f| f == *k))
        .ok_or_else(|| Misuse(format!("未知的种类“{word}”（可选：catalog bond contract amendment opening receipt payment）")))
}

/// `post --help` is clap's; `post KIND --help` lists that kind's columns.
fn post_help(kind: Option<&str>) -> anyhow::Result<bool> {
    let text = match kind {
        Some(kind) => fields::help(parse_kind(kind)?),
        None => {
            let mut command = Cli::command();
            command.build();
            command
                .find_subcommand_mut("post")
                .map(|post| post.render_help().to_string())
                .unwrap_or_default()
        }
    };
    output::out(&text);
    Ok(true)
}

/// The operator: as given, else the OS user.
fn operator(given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .unwrap_or_else(|| "未知".to_string())
}

/// Prints the verification; false when anything is wrong.
pub fn verify(ledger: &Ledger, expect_head: Option<&str>) -> anyhow::Result<bool> {
    let expected = expect_head.map(parse_head).transpose()?;
    let v = ledger.verify_expecting(expected)?;
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
    for note in &v.notes {
        eprintln!("说明：{note}");
    }
    if let Some(seq) = v.first_bad_seq {
        eprintln!("第一个有问题的记录：第 {seq} 条");
    }
    if let Some(expected) = expected {
        sound &= report_expected_head(&v, &expected);
    }
    if sound {
        eprintln!("校验通过。");
    } else {
        eprintln!("校验未通过。");
    }
    Ok(sound)
}

/// A head hash as `verify` prints it: 64 hexadecimal digits.
fn parse_head(text: &str) -> Result<[u8; 32], Misuse> {
    taizhang_store::hash::unhex(text.trim())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| {
            Misuse(format!(
                "--expect-head 应为 64 位十六进制的链头哈希（如 manifest.json 的 head_hash），“{}”不是",
                text.trim()
            ))
        })
}

/// Says where in the chain the expected head is; false when the chain never had it.
fn report_expected_head(v: &taizhang_store::Verification, expected: &[u8; 32]) -> bool {
    let after = |seq: u64| v.count.saturating_sub(seq);
    match v.expected_at {
        Some(seq) if seq == v.count => {
            eprintln!("链头与期望相符：就是最新的第 {seq} 条。");
            true
        }
        Some(seq) => {
            eprintln!(
                "期望的链头是第 {seq} 条的哈希：当时的台账仍完整地在这条链中，此后又记了 {} 条。",
                after(seq)
            );
            true
        }
        // The zero hash is the head of an empty chain only: a chain with entries never had it.
        None if v.count == 0 && expected.iter().all(|&b| b == 0) => {
            eprintln!("链头与期望相符：台账是空的（0 条记录）。");
            true
        }
        None => {
            eprintln!(
                "链中没有哈希为 {} 的记录：期望的台账状态不在这条链中（记录被截去、改动，或台账被替换？）",
                taizhang_store::hash::hex(expected)
            );
            false
        }
    }
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
