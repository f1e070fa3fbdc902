//! What people see on a terminal: wide reports in a narrow terminal (a real pseudo-terminal of a set
//! size, as a user's window would be), and `log` as an aligned table in Beijing time.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{example, two_year, TestLedger};
use unicode_width::UnicodeWidthStr;

/// The example's ledger: one bond, six contracts, a year of receipts and payments.
fn example_ledger() -> TestLedger {
    let ledger = TestLedger::new();
    ledger.import(&[&example()]);
    ledger
}

/// Runs the command with stdout on a pseudo-terminal `columns` wide; returns what the terminal got.
#[cfg(unix)]
fn in_terminal(ledger: &TestLedger, args: &[&str], columns: u16) -> String {
    use std::os::fd::{FromRawFd, OwnedFd};

    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 50,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors into the integers given; null name and termios are
    // allowed; the window size outlives the call.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and are owned by nothing else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("taizhang"));
    command
        .arg("--ledger")
        .arg(&ledger.path)
        .args(args)
        .env_remove("TAIZHANG_LEDGER")
        .env_remove("COLUMNS")
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary runs");
    // The terminal's other end reports an error (EIO) once the last writer has gone: only the child
    // may hold it open, or reading would never end.
    drop(command);
    let mut master = std::fs::File::from(master);
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match master.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
        }
    }
    let status = child.wait().expect("the binary ends");
    assert!(status.success(), "taizhang {args:?} failed");
    // A terminal turns each line feed into CR LF.
    String::from_utf8(bytes)
        .expect("UTF-8 on the terminal")
        .replace("\r\n", "\n")
}

fn widest(text: &str) -> usize {
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

/// Every cell of the report's CSV that is written in narrow characters only (amounts, percentages,
/// dates, codes): none of them may be broken across lines or left out.
fn figures(csv: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    reader
        .records()
        .map(|r| r.expect("the report's CSV reads"))
        .filter(|r| r.len() > 1)
        .flat_map(|r| r.iter().map(str::to_string).collect::<Vec<_>>())
        .filter(|c| !c.is_empty() && c.width() == c.chars().count() && !c.contains(' '))
        .collect()
}

/// Prints the report into a terminal `columns` wide and checks that it fits and loses nothing.
#[cfg(unix)]
fn check_fits(ledger: &TestLedger, report: &[&str], columns: u16) {
    let piped = ledger.ok(report);
    assert!(
        widest(&piped) > usize::from(columns),
        "the report is narrower than {columns} anyway"
    );
    let shown = in_terminal(ledger, report, columns);
    assert!(
        widest(&shown) <= usize::from(columns),
        "{report:?} in {columns} columns:\n{shown}"
    );
    let mut csv_args = report.to_vec();
    csv_args.extend(["--format", "csv"]);
    let figures = figures(&ledger.ok(&csv_args));
    assert!(figures.len() > 10, "{figures:?}");
    for figure in figures {
        assert!(
            shown.contains(&figure),
            "{figure} missing from {report:?} in {columns} columns:\n{shown}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_wide_report_in_a_narrow_terminal_fits_and_keeps_every_figure() {
    let example = example_ledger();
    // 236 columns wide at full width: stacked one row a block in 80.
    check_fits(&example, &["report", "bond-use", "--quarter", "2022Q4"], 80);
    // 147 columns: name columns wrapped in 100, without borders in 80, stacked in 60.
    check_fits(&example, &["report", "table7", "--year", "2022"], 100);
    check_fits(&example, &["report", "table7", "--year", "2022"], 80);
    check_fits(&example, &["report", "table7", "--year", "2022"], 60);
    let two_year = two_year();
    check_fits(
        &two_year,
        &["report", "bond-use", "--quarter", "2023Q1"],
        120,
    );
    check_fits(&two_year, &["report", "contracts", "--year", "2023"], 70);
}

/// In 80 columns table 7 is still a table: its borders give way, its rows stay rows.
#[cfg(unix)]
#[test]
fn table7_in_80_columns_is_a_table_without_borders() {
    let shown = in_terminal(
        &example_ledger(),
        &["report", "table7", "--year", "2022"],
        80,
    );
    assert!(shown.contains('═') && !shown.contains('┆'), "{shown}");
    let row = shown
        .lines()
        .find(|l| l.starts_with("合计"))
        .expect("the 合计 row");
    assert_eq!(row.matches("7,115.81").count(), 3, "{row}");
}

/// The wrapped table keeps its rows: a figure stays on the line of its code.
#[cfg(unix)]
#[test]
fn a_wrapped_table_keeps_each_figure_on_its_row() {
    let shown = in_terminal(
        &example_ledger(),
        &["report", "table7", "--year", "2022"],
        100,
    );
    assert!(shown.contains('┆'), "not a table:\n{shown}");
    assert!(widest(&shown) <= 100, "{shown}");
    let row = shown
        .lines()
        .find(|l| l.contains("2290402"))
        .expect("the row of 2290402");
    assert_eq!(row.matches("6,940.59").count(), 3, "{row}");
}

/// Output to a pipe or a file is the full table whatever COLUMNS says: scripts see one layout.
#[test]
fn piped_output_keeps_its_full_width() {
    let ledger = example_ledger();
    let plain = ledger.ok(&["report", "table7", "--year", "2022"]);
    let out = ledger
        .cmd(&["report", "table7", "--year", "2022"])
        .env("COLUMNS", "60")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), plain);
    assert_eq!(widest(&plain), 147);
}

#[test]
fn log_is_an_aligned_table_in_beijing_time() {
    let ledger = example_ledger();
    ledger.ok(&[
        "reverse",
        "--voucher",
        "付-2022-004",
        "--date",
        "2022-12-30",
        "--reason",
        "重复录入",
    ]);
    let json = ledger.ok(&["log", "--format", "json"]);
    let entries: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The example's 26 entries, the reversal, and the entry `init` writes.
    assert_eq!(entries.len(), 27 + common::INIT_ENTRIES as usize);
    let table = ledger.ok(&["log"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), entries.len() + 1, "{table}");
    assert!(lines[0].ends_with("来源"), "{}", lines[0]);
    let mut prefixes = vec![lines[0].strip_suffix("来源").unwrap().width()];
    for (line, entry) in lines[1..].iter().zip(&entries) {
        let source = entry["source"].as_str().unwrap();
        let recorded = entry["recorded_at"].as_str().unwrap();
        assert!(recorded.ends_with('Z'), "JSON keeps UTC: {recorded}");
        let before = line
            .strip_suffix(source)
            .unwrap_or_else(|| panic!("{line} does not end with {source}"));
        prefixes.push(before.width());
        // Columns are two spaces apart; the time has one space inside.
        let (_, rest) = line.trim_start().split_once("  ").unwrap();
        let (time, _) = rest.split_once("  ").unwrap();
        assert!(time.ends_with("+08:00"), "{line}");
        assert_eq!(
            beijing_hour(time),
            (utc_hour(recorded) + 8) % 24,
            "{line} vs {recorded}"
        );
    }
    assert!(
        prefixes.iter().all(|&p| p == prefixes[0]),
        "not aligned: {prefixes:?}\n{table}"
    );
    let payment = lines
        .iter()
        .find(|l| l.contains("付-2022-010"))
        .expect("a payment line");
    assert!(
        payment.contains("支出")
            && payment.contains("2022-12-28")
            && payment.contains("905,912.36"),
        "{payment}"
    );
    assert!(lines.last().unwrap().contains("冲销"), "{table}");
}

/// "2026-12-02 14:30:15+08:00" → 14.
fn beijing_hour(time: &str) -> u32 {
    time[11..13].parse().unwrap()
}

/// "2026-12-02T06:30:15.767019Z" → 6.
fn utc_hour(time: &str) -> u32 {
    time[11..13].parse().unwrap()
}
