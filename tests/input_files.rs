//! Files and commands that misbehave (issue 14, items 10 and 11; issue 15, item 10): a FIFO or a
//! device is refused at once, a bond with thousands of projects imports, header problems say where
//! they are, and every message of a bad command is Chinese.

mod common;

use std::time::{Duration, Instant};

use common::TestLedger;

#[test]
fn a_fifo_is_refused_at_once_and_the_ledger_stays_free() {
    let ledger = TestLedger::new();
    let fifo = ledger.dir.path().join("pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("taizhang"))
        .arg("--ledger")
        .arg(&ledger.path)
        .args(["import", fifo.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // A guard, not a timed assertion: a hang (the bug) must end the test instead of blocking it.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("importing a FIFO hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("pipe.csv:1: 不是普通文件（管道、设备或套接字），不能导入"),
        "{err}"
    );
    // The lock was released: the next command gets the ledger.
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
    let err = ledger.refused(&["import", "/dev/zero"]);
    assert!(err.contains("/dev/zero:1: 不是普通文件"), "{err}");
    // Checked before the ledger is opened (and locked): even without a ledger, the FIFO is named.
    let none = TestLedger::uninitialised();
    let err = none.refused(&["import", fifo.to_str().unwrap()]);
    assert!(err.contains("pipe.csv:1: 不是普通文件"), "{err}");
}

#[test]
fn a_bond_with_four_thousand_projects_imports_every_allocation() {
    let ledger = TestLedger::new();
    let mut text = String::from(
        "bond_code,bond_name,issue_date,term_years,coupon_rate,frequency,project_code,project_name,amount\n",
    );
    for i in 0..4000 {
        text.push_str(&format!(
            "GB-4K,四千项目债券,2021-03-15,10,3.10,semiannual,P{i:05},项目{i},{}.00\n",
            1000 + i
        ));
    }
    // A last row whose terms disagree with the 4,000 before it is still found.
    let file = ledger.file("bond4k.csv", &text);
    let stderr = ledger.import(&[&file]);
    assert!(stderr.contains("新记账 4000 条"), "{stderr}");
    assert_eq!(ledger.head().0, 4000 + common::INIT_ENTRIES);
    let schedule = ledger.json(&["bond", "schedule", "GB-4K"]);
    let text = schedule.to_string();
    // Σ (1000 + i) for i < 4000 = 4,000,000 + 7,998,000 = 11,998,000.
    assert!(text.contains("11998000"), "{text}");
    let odd = ledger.file(
        "bond_odd.csv",
        "bond_code,bond_name,issue_date,term_years,coupon_rate,frequency,project_code,project_name,amount\nGB-4K,四千项目债券,2021-03-15,15,3.10,semiannual,P99999,另一项目,1.00\n",
    );
    let err = ledger.refused(&["import", odd.to_str().unwrap()]);
    assert!(
        err.contains("bond_odd.csv:2: bond_code: 债券 GB-4K 的要素"),
        "{err}"
    );
}

#[test]
fn an_unknown_column_of_a_receipts_file_lists_the_receipts_columns() {
    let ledger = TestLedger::new();
    let file = ledger.file(
        "receipts.csv",
        "voucher_no,date,fund,function_code,amount,memoo\nR-1,2022-01-05,gov_fund,2290402,10.00,x\n",
    );
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    assert!(
        err.contains("receipts.csv:1: memoo: 未知的列（收入文件的列为：凭证号、日期"),
        "{err}"
    );
    assert!(!err.contains("支出类型"), "{err}");
}

#[test]
fn an_empty_header_cell_is_named_by_its_place_and_a_huge_one_is_cut() {
    let ledger = TestLedger::new();
    let file = ledger.file(
        "empty_cell.csv",
        "voucher_no,date,,fund,function_code,expense_type,amount,payee\nE-1,2022-01-05,,gov_fund,2290402,project,1,某公司\n",
    );
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    assert!(
        err.contains("empty_cell.csv:1: 第 3 列（C 列）: 表头为空"),
        "{err}"
    );
    let huge = "列".repeat(300_000);
    let file = ledger.file(
        "huge_cell.csv",
        &format!("voucher_no,date,{huge},fund\nH-1,2022-01-05,x,gov_fund\n"),
    );
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    assert!(
        err.contains(&format!("huge_cell.csv:1: {}…: 未知的列", "列".repeat(40))),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(
        err.len() < 5_000,
        "the header is not echoed whole: {} bytes",
        err.len()
    );
}

/// The ASCII words of four letters or more in a message, once file paths, input echoed in “…”,
/// options (`--year`), placeholders (`<YEAR>`) and the program's own words (commands, kinds, formats)
/// are taken out: what is left would be English prose.
fn english_words(message: &str, paths: &[&str]) -> Vec<String> {
    const KEYWORDS: [&str; 28] = [
        "taizhang",
        // A product name: "Excel 工作簿".
        "excel",
        "catalog",
        "bond",
        "contract",
        "amendment",
        "opening",
        "receipt",
        "payment",
        "table",
        "json",
        "text",
        "ulimit",
        "init",
        "import",
        "post",
        "reverse",
        "close",
        "verify",
        "report",
        "classify",
        "export",
        "backup",
        "archive",
        "restore",
        "completions",
        "demo",
        "help",
    ];
    let mut text = message.to_string();
    let mut paths = paths.to_vec();
    // The longest first: a folder's path is the start of its files' paths.
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for path in paths {
        text = text.replace(path, " ");
    }
    while let Some(start) = text.find('“') {
        let end = text[start..]
            .find('”')
            .map_or(text.len(), |e| start + e + '”'.len_utf8());
        text.replace_range(start..end, " ");
    }
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '<' || c == '>'))
        .filter(|word| !word.starts_with('-') && !word.starts_with('<'))
        .flat_map(|word| word.split(|c: char| !c.is_ascii_alphabetic()))
        .filter(|word| word.len() >= 4 && !KEYWORDS.contains(&word.to_ascii_lowercase().as_str()))
        .map(str::to_string)
        .collect()
}

#[test]
fn bad_commands_are_answered_in_chinese() {
    let ledger = TestLedger::new();
    let dir = ledger.dir.path();
    let empty_folder = dir.join("empty");
    std::fs::create_dir(&empty_folder).unwrap();
    let folder_as_file = dir.join("folder");
    std::fs::create_dir_all(folder_as_file.join("sub.csv")).unwrap();
    let missing = dir.join("missing.csv");
    let paths = [
        dir.to_str().unwrap(),
        empty_folder.to_str().unwrap(),
        folder_as_file.to_str().unwrap(),
        missing.to_str().unwrap(),
        ledger.path.to_str().unwrap(),
    ];
    let commands: Vec<Vec<&str>> = vec![
        vec!["import", "--bogus", "x.csv"],
        vec!["imprt"],
        vec!["import", paths[3]],
        vec!["import", paths[1]],
        vec!["import", paths[2]],
        vec!["restore", paths[3]],
        vec!["report", "table7", "--year", "x"],
        vec!["report", "table7", "--year", "2023", "extra"],
        vec!["report", "table7"],
        vec!["log", "--format", "xml"],
        vec!["import", "--kind", "bogus", "x.csv"],
        vec!["post", "payment", "--amount"],
        vec!["post", "payment", "--bogus", "1"],
        vec!["close", "--through", "someday"],
    ];
    for args in commands {
        let out = ledger.cmd(&args).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!out.status.success(), "{args:?} should fail: {err}");
        assert!(!err.trim().is_empty(), "{args:?} says why");
        let words = english_words(&err, &paths);
        assert!(words.is_empty(), "{args:?}: English {words:?} in:\n{err}");
    }
}

#[test]
fn tail_difference_hints_name_the_columns_in_chinese() {
    let ledger = TestLedger::new();
    ledger.ok(&["post", "catalog", "--code", "2290499", "--name", "其他支出"]);
    // Two 项 of 50 元 each round to 0.01 万元; their 款 of 100 元 also rounds to 0.01.
    let file = ledger.file(
        "tail.csv",
        "voucher_no,date,fund,function_code,expense_type,amount,payee\nT-1,2022-01-05,gov_fund,2290402,project,50.00,甲\nT-2,2022-01-05,gov_fund,2290499,project,50.00,甲\n",
    );
    ledger.import(&[&file]);
    let out = ledger
        .cmd(&["report", "table7", "--year", "2022"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("提示：22904 的“项目支出”列有尾数误差：本行 0.01 万元，下级合计 0.02 万元"),
        "{err}"
    );
    assert!(!err.contains("project"), "{err}");
}

#[test]
fn a_write_past_ulimit_f_is_reported_not_killed_by_a_signal() {
    let ledger = TestLedger::new();
    let before = ledger.head();
    let file = ledger.file("many.csv", &common::payments_csv(30_000, "F"));
    let bin = assert_cmd::cargo::cargo_bin("taizhang");
    // `ulimit -f` in 1 KiB blocks: the ledger (about 70 KiB new) may grow to 1 MiB, the batch needs more.
    let script = format!(
        "ulimit -f 1024; exec '{}' --ledger '{}' import '{}'",
        bin.display(),
        ledger.path.display(),
        file.display()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // Killed by SIGXFSZ, the process has no exit code and says nothing.
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("错误"), "{err}");
    assert_eq!(ledger.head(), before);
}

#[test]
fn help_has_chinese_headings() {
    let ledger = TestLedger::new();
    for args in [
        &["--help"][..],
        &["report", "table7", "--help"],
        &["import", "-h"],
    ] {
        let help = ledger.ok(args);
        assert!(help.contains("用法：taizhang"), "{help}");
        assert!(help.contains("选项："), "{help}");
        for english in [
            "Usage",
            "Options",
            "Commands",
            "Arguments",
            "Print help",
            "default:",
            "Possible values",
            "[env",
        ] {
            assert!(!help.contains(english), "{args:?}: {english} in\n{help}");
        }
    }
    assert!(ledger.ok(&["--help"]).contains("命令："));
    // Choices and the default are said in Chinese, once: in the description where it names them,
    // else after it.
    let log_help = ledger.ok(&["log", "--help"]);
    assert!(
        log_help.contains("输出格式：table（表格，北京时间）或 json"),
        "{log_help}"
    );
    assert!(!log_help.contains("（可选："), "{log_help}");
    let export_help = ledger.ok(&["export", "--help"]);
    assert!(export_help.contains("（可选：utf8-bom"), "{export_help}");
}
