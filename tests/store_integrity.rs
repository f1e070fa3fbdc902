//! The ledger file's own trustworthiness, through the binary: the unit's names under the chain,
//! read commands that leave the file as it was, damaged or truncated files that are reported and
//! never panic, running sums that cannot overflow.

mod common;

use std::path::Path;

use common::{example, TestLedger};

const UNIT: &str = "武汉市青山区大数据中心";
const SHORT: &str = "青山区大数据中心";
/// Same length in UTF-8 as [`UNIT`]: a forger replacing bytes in place.
const FORGED: &str = "武汉市青山区大数据伪造";

fn example_ledger() -> TestLedger {
    let ledger = TestLedger::uninitialised();
    ledger.ok(&["init", "--unit", UNIT, "--short-name", SHORT]);
    ledger.import(&[&example()]);
    ledger
}

/// Replaces every occurrence of `from` after `context` in the file with `to` (same length).
fn replace_in_file(path: &Path, context: &[u8], from: &str, to: &str) -> usize {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(path).unwrap();
    let needle = [context, from.as_bytes()].concat();
    let mut replaced = 0;
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(needle.len()).position(|w| w == needle) {
        let start = at + found + context.len();
        bytes[start..start + to.len()].copy_from_slice(to.as_bytes());
        at = start + to.len();
        replaced += 1;
    }
    std::fs::write(path, bytes).unwrap();
    replaced
}

fn stderr_of(ledger: &TestLedger, args: &[&str]) -> (Option<i32>, String) {
    let out = ledger.cmd(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_new_ledger_chains_the_unit_name_as_its_first_entry() {
    let ledger = example_ledger();
    let log = ledger.ok(&["log", "--format", "json"]);
    let first: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["kind"], "unit");
    assert_eq!(first["body"]["unit"]["full_name"], UNIT);
    assert_eq!(first["body"]["unit"]["short_name"], SHORT);
    assert_eq!(first["body"]["unit"]["origin"]["hash"], "sm3");
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["unit"], UNIT);
    let verified = ledger.ok_stderr(&["verify"]);
    assert!(!verified.contains("不在哈希链中"), "{verified}");
}

#[test]
fn unit_names_forged_in_the_header_bytes_are_found_and_never_printed() {
    let ledger = example_ledger();
    let (_, head) = ledger.head();
    // The header is JSON in redb's meta table; the entry is postcard: only the header is replaced.
    assert_eq!(
        replace_in_file(&ledger.path, b"\"full\":\"", UNIT, FORGED),
        1
    );
    let (code, err) = stderr_of(&ledger, &["verify", "--expect-head", &head]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("校验未通过"), "{err}");
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["unit"], UNIT, "reports name the unit as the chain does");
    let text = ledger.ok(&["report", "table7", "--year", "2022", "--format", "csv"]);
    assert!(!text.contains(FORGED), "{text}");
    let refused = ledger.refused(&["unit", "--name", "别的单位"]);
    assert!(
        refused.contains("已损坏") || refused.contains("拒绝"),
        "{refused}"
    );
}

#[test]
fn the_unit_command_renames_from_then_on_under_the_chain() {
    let ledger = example_ledger();
    let said = ledger.ok_stderr(&[
        "unit",
        "--name",
        "武汉市青山区数据局",
        "--short-name",
        "青山区数据局",
    ]);
    assert!(said.contains("已记录单位名称"), "{said}");
    // The example's 26 rows, the entry `init` writes and the renaming.
    assert_eq!(ledger.head().0, 28);
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["unit"], "武汉市青山区数据局");
    let text = ledger.procurement_text("2022", &[]);
    assert!(text.starts_with("2022年度青山区数据局政府采购"), "{text}");
    let again = ledger.ok_stderr(&[
        "unit",
        "--name",
        "武汉市青山区数据局",
        "--short-name",
        "青山区数据局",
    ]);
    assert!(again.contains("未记账"), "{again}");
    assert_eq!(ledger.head().0, 28, "the same names post nothing");
    // Back to the first name: a new entry, not the first one again.
    ledger.ok(&["unit", "--name", UNIT, "--short-name", SHORT]);
    assert_eq!(ledger.head().0, 29);
    assert_eq!(
        ledger.json(&["report", "table7", "--year", "2022"])["unit"],
        UNIT
    );
    let log = ledger.ok(&["log", "--from", "25", "--format", "json"]);
    assert!(log.contains("\"number\":3"), "{log}");
}

#[test]
fn an_archive_whose_first_line_disagrees_with_its_entries_is_refused() {
    let ledger = example_ledger();
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", archive.to_str().unwrap()]);
    let text = std::fs::read_to_string(&archive).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let head: serde_json::Value = serde_json::from_str(first).unwrap();
    assert_eq!(head["header"]["unit"]["full"], UNIT);
    let created = head["header"]["created_at"].as_str().unwrap().to_string();
    for (what, changed) in [
        ("单位名称", first.replacen(UNIT, FORGED, 1)),
        (
            "建立时间",
            first.replacen(&created, "2020-01-01T00:00:00.000000Z", 1),
        ),
    ] {
        let file = ledger.file("changed.jsonl", &format!("{changed}\n{rest}"));
        let restored = TestLedger::uninitialised();
        let err = restored.refused(&["restore", file.to_str().unwrap()]);
        assert!(err.contains("归档已被改动") && err.contains(what), "{err}");
        assert!(!restored.path.exists(), "no ledger is left behind");
    }
}

fn fingerprint(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    (
        std::fs::read(path).unwrap(),
        std::fs::metadata(path).unwrap().modified().unwrap(),
    )
}

#[test]
fn read_commands_leave_the_file_byte_for_byte_unchanged() {
    let ledger = example_ledger();
    let before = fingerprint(&ledger.path);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = |name: &str| ledger.dir.path().join(name).display().to_string();
    for args in [
        vec!["verify".to_string()],
        vec!["log".into()],
        vec![
            "report".into(),
            "table7".into(),
            "--year".into(),
            "2022".into(),
        ],
        vec![
            "report".into(),
            "bond-use".into(),
            "--quarter".into(),
            "2022Q4".into(),
        ],
        vec!["bond".into(), "schedule".into(), "2205187".into()],
        vec![
            "export".into(),
            "--year".into(),
            "2022".into(),
            "--out".into(),
            out("export"),
        ],
        vec!["archive".into(), "--out".into(), out("a.jsonl")],
        vec!["backup".into(), "--out".into(), out("b.ledger")],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ledger.ok(&args);
        assert!(
            fingerprint(&ledger.path) == before,
            "{args:?} changed the file"
        );
    }
}

/// Mode 0400 and a read-only folder: a user other than the owner (or a read-only mount) can still
/// verify and report. Under root the modes do not bind, and the test still shows that nothing is
/// written.
#[cfg(unix)]
#[test]
fn a_read_only_file_in_a_read_only_folder_verifies_and_reports() {
    use std::os::unix::fs::PermissionsExt;
    let ledger = example_ledger();
    let before = fingerprint(&ledger.path);
    std::fs::set_permissions(&ledger.path, std::fs::Permissions::from_mode(0o400)).unwrap();
    std::fs::set_permissions(ledger.dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
    let verified = ledger.ok_stderr(&["verify"]);
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    std::fs::set_permissions(ledger.dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(verified.contains("校验通过"), "{verified}");
    assert_eq!(t["total"]["expense"], "71158112.36");
    assert!(fingerprint(&ledger.path) == before);
}

#[test]
fn two_readers_run_beside_each_other() {
    // Readers of one file at once: each verifies in full.
    let ledger = example_ledger();
    let spawn = || ledger.cmd(&["verify"]).output();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert!(a.status.success() && b.status.success());
}

#[test]
fn a_damaged_or_truncated_ledger_is_reported_and_never_panics() {
    let ledger = example_ledger();
    let whole = std::fs::read(&ledger.path).unwrap();
    let rows = ledger.file("more.csv", &common::payments_csv(3, "NEW"));
    let len = whole.len();
    let mut damaged: Vec<Vec<u8>> = [0, 100, 4096, len / 2, len - 1]
        .into_iter()
        .map(|cut| whole[..cut].to_vec())
        .collect();
    for at in (0..len).step_by(len / 7) {
        let mut flipped = whole.clone();
        flipped[at] ^= 0x5a;
        damaged.push(flipped);
    }
    for bytes in damaged {
        std::fs::write(&ledger.path, &bytes).unwrap();
        for args in [
            vec!["verify"],
            vec!["log"],
            vec!["report", "table7", "--year", "2022"],
            vec!["import", rows.to_str().unwrap()],
        ] {
            let (code, err) = stderr_of(&ledger, &args);
            assert!(
                !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
                "{args:?}: {err}"
            );
            assert!(
                code == Some(0) || code == Some(1),
                "{args:?} exited {code:?}: {err}"
            );
            for english in ["thread '", "Corrupted", "Database", "backtrace", "os error"] {
                assert!(!err.contains(english), "{args:?}: {err}");
            }
        }
    }
}

#[test]
fn sums_past_what_the_ledger_can_hold_are_refused_at_the_row_that_crosses() {
    let ledger = TestLedger::new();
    let mut rows = String::from("voucher_no,date,fund,function_code,amount\n");
    for i in 0..9_300 {
        rows.push_str(&format!(
            "R{i:05},2022-03-01,gov_fund,2290402,10000000000000\n"
        ));
    }
    let file = ledger.file("huge.csv", &rows);
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    // 9,223 rows of 10^13 元 fit in the sums; the 9,224th, on line 9,225, would not.
    assert!(err.contains("huge.csv:9225: amount:"), "{err}");
    assert!(err.contains("上限"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
    // A ledger near the ceiling still reports.
    let near: String = rows.lines().take(9_001).map(|l| format!("{l}\n")).collect();
    ledger.import(&[&ledger.file("near.csv", &near)]);
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["total"]["income"], "90000000000000000.00");
    ledger.refused(&["import", file.to_str().unwrap()]);
}
