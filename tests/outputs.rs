//! The files written outside the ledger (`backup`, `archive`, `restore`, `export`): never onto the
//! ledger, never over an existing file without `--force`, private whatever the umask, and CSV that a
//! spreadsheet opens as text, in the encoding asked for, with a manifest whose hashes match.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{fixture, two_year, TestLedger};
use sha2::{Digest, Sha256};

fn arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The ledger is unchanged: same count and head, and it verifies.
fn assert_intact(ledger: &TestLedger, before: &(u64, String)) {
    assert_eq!(&ledger.head(), before, "the ledger is unchanged");
}

#[test]
fn archive_onto_the_ledger_is_refused_by_any_name_and_the_ledger_is_intact() {
    let ledger = two_year();
    let before = ledger.head();
    let dir = ledger.dir.path();
    let folder = dir.file_name().unwrap().to_str().unwrap();
    let dotted = dir.join(format!("../{folder}/./test.ledger"));
    let link = dir.join("link.ledger");
    std::os::unix::fs::symlink(&ledger.path, &link).unwrap();
    let hard = dir.join("hard.ledger");
    std::fs::hard_link(&ledger.path, &hard).unwrap();
    for target in [&ledger.path, &dotted, &link, &hard] {
        for force in [false, true] {
            let mut args = vec!["archive", "--out", arg(target)];
            if force {
                args.push("--force");
            }
            let err = ledger.refused(&args);
            assert!(err.contains("就是台账文件"), "{target:?}: {err}");
            assert_intact(&ledger, &before);
        }
    }
    let err = ledger.refused(&["backup", "--out", arg(&link), "--force"]);
    assert!(err.contains("就是台账文件"), "{err}");
    assert_intact(&ledger, &before);
}

#[test]
fn archive_to_an_existing_file_is_refused_without_force_and_replaced_with_it() {
    let ledger = two_year();
    let (count, _) = ledger.head();
    let out = ledger.file("a.jsonl", "以前的文件\n");
    let err = ledger.refused(&["archive", "--out", arg(&out)]);
    assert!(err.contains("已存在") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "以前的文件\n");
    ledger.ok(&["archive", "--out", arg(&out), "--force"]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("{\"taizhang_archive\""), "{text}");
    assert_eq!(text.lines().count() as u64, count + 1);
    assert_no_temporary_files(ledger.dir.path());
}

#[test]
fn backup_to_an_existing_file_is_refused_without_force_and_replaced_with_it() {
    let ledger = two_year();
    let out = ledger.file("copy.ledger", "以前的文件\n");
    let err = ledger.refused(&["backup", "--out", arg(&out)]);
    assert!(err.contains("已存在") && err.contains("--force"), "{err}");
    assert!(
        !err.contains("重新开始"),
        "a backup is not told to start over: {err}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "以前的文件\n");
    ledger.ok(&["backup", "--out", arg(&out), "--force"]);
    let copy = TestLedger {
        dir: tempfile::tempdir().unwrap(),
        path: out,
    };
    assert_eq!(copy.head(), ledger.head(), "the backup verifies, same head");
    assert_no_temporary_files(ledger.dir.path());
}

#[test]
fn a_dangling_symlink_is_named_as_such_not_called_existing() {
    let ledger = two_year();
    let link = ledger.dir.path().join("dangling.jsonl");
    std::os::unix::fs::symlink(ledger.dir.path().join("nowhere"), &link).unwrap();
    let err = ledger.refused(&["archive", "--out", arg(&link)]);
    assert!(err.contains("符号链接") && err.contains("nowhere"), "{err}");
    assert!(!err.contains("已存在"), "{err}");
    let restored = TestLedger {
        dir: tempfile::tempdir().unwrap(),
        path: link.clone(),
    };
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", arg(&archive)]);
    let err = restored.refused(&["restore", arg(&archive)]);
    assert!(err.contains("符号链接"), "{err}");
}

#[test]
fn restore_onto_an_existing_ledger_is_refused_and_leaves_it_intact() {
    let ledger = two_year();
    let before = ledger.head();
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", arg(&archive)]);
    let err = ledger.refused(&["restore", arg(&archive)]);
    assert!(
        err.contains("已存在：restore 只新建台账，从不覆盖"),
        "{err}"
    );
    assert_intact(&ledger, &before);
}

#[test]
fn a_missing_folder_of_the_target_is_made() {
    let ledger = two_year();
    let out = ledger.dir.path().join("备份/2022年末/copy.ledger");
    ledger.ok(&["backup", "--out", arg(&out)]);
    assert_eq!(head_of(&out), ledger.head());
    let export = ledger.dir.path().join("导出/2022");
    ledger.ok(&["export", "--year", "2022", "--out", arg(&export)]);
    assert!(export.join("manifest.json").exists());
}

#[test]
fn a_bad_archive_is_blamed_not_a_ledger() {
    let ledger = two_year();
    let archive = ledger.file("bad.jsonl", "{\"taizhang_archive\": 1}\n");
    let restored = TestLedger::uninitialised();
    let err = restored.refused(&["restore", arg(&archive)]);
    assert!(err.contains("归档") && err.contains("bad.jsonl"), "{err}");
    assert!(!err.contains("台账已损坏"), "{err}");
    assert!(!restored.path.exists());
    assert_no_temporary_files(restored.dir.path());
}

/// The ledger at `path`, verified: its count and head.
fn head_of(path: &Path) -> (u64, String) {
    TestLedger {
        dir: tempfile::tempdir().unwrap(),
        path: path.to_path_buf(),
    }
    .head()
}

#[test]
fn export_to_an_existing_folder_is_refused_without_force_and_replaced_whole_with_it() {
    let ledger = two_year();
    let out = ledger.dir.path().join("决算2022");
    ledger.ok(&["export", "--year", "2022", "--out", arg(&out)]);
    std::fs::write(out.join("2021-旧表.csv"), "上次留下的\n").unwrap();
    let err = ledger.refused(&["export", "--year", "2022", "--out", arg(&out)]);
    assert!(err.contains("已存在") && err.contains("--force"), "{err}");
    assert!(
        out.join("2021-旧表.csv").exists(),
        "a refused export changes nothing"
    );
    ledger.ok(&["export", "--year", "2022", "--out", arg(&out), "--force"]);
    assert!(
        !out.join("2021-旧表.csv").exists(),
        "no stale file survives"
    );
    let manifest = manifest(&out);
    let mut listed: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect();
    listed.push("manifest.json".into());
    listed.sort();
    assert_eq!(
        names_in(&out),
        listed,
        "the folder holds what the manifest lists"
    );
    assert_no_temporary_files(ledger.dir.path());
}

#[test]
fn export_force_does_not_replace_a_folder_that_is_not_an_export() {
    let ledger = two_year();
    let own = ledger.dir.path().join("我的文件");
    std::fs::create_dir(&own).unwrap();
    std::fs::write(own.join("笔记.txt"), "别删\n").unwrap();
    let err = ledger.refused(&["export", "--year", "2022", "--out", arg(&own), "--force"]);
    assert!(err.contains("不是 taizhang 导出的文件夹"), "{err}");
    assert_eq!(
        std::fs::read_to_string(own.join("笔记.txt")).unwrap(),
        "别删\n"
    );
    let err = ledger.refused(&[
        "export",
        "--year",
        "2022",
        "--out",
        arg(ledger.dir.path()),
        "--force",
    ]);
    assert!(
        err.contains("台账文件") && err.contains("在文件夹"),
        "{err}"
    );
    ledger.head();
}

#[test]
fn manifest_lists_every_file_with_its_sha256_beside_the_head() {
    let ledger = two_year();
    let (count, head) = ledger.head();
    let out = ledger.dir.path().join("export");
    ledger.ok(&["export", "--year", "2022", "--out", arg(&out)]);
    let manifest = manifest(&out);
    assert_eq!(manifest["ledger_head_hash"], head.as_str());
    assert_eq!(manifest["ledger_entries"], count);
    assert_eq!(manifest["csv_encoding"], "utf8-bom");
    let files = manifest["files"].as_array().unwrap();
    assert!(files.len() >= 12, "{manifest}");
    for file in files {
        let bytes = std::fs::read(out.join(file["name"].as_str().unwrap())).unwrap();
        assert_eq!(file["sha256"], sha256(&bytes), "{file}");
        assert_eq!(file["bytes"], bytes.len(), "{file}");
    }
}

#[test]
fn export_csv_has_a_bom_by_default_and_gb18030_when_asked() {
    let ledger = two_year();
    let export = |name: &str, encoding: Option<&str>| {
        let out = ledger.dir.path().join(name);
        let mut args = vec!["export", "--year", "2022", "--out", arg(&out)];
        if let Some(encoding) = encoding {
            args.extend(["--csv-encoding", encoding]);
        }
        ledger.ok(&args);
        std::fs::read(out.join("2022-table7.csv")).unwrap()
    };
    let bom = export("bom", None);
    assert_eq!(&bom[..3], b"\xEF\xBB\xBF", "a UTF-8 BOM first");
    let plain = export("plain", Some("utf8"));
    assert_eq!(&bom[3..], plain.as_slice(), "the same text after the BOM");
    let text = String::from_utf8(plain).unwrap();
    assert!(
        text.contains("其他地方自行试点项目收益专项债券收入安排的支出"),
        "{text}"
    );
    let gb = export("gb", Some("gb18030"));
    assert_ne!(gb.as_slice(), text.as_bytes(), "GB18030 is not UTF-8");
    let (decoded, _, had_errors) = encoding_rs::GB18030.decode(&gb);
    assert!(!had_errors);
    assert_eq!(decoded, text);
    let json = std::fs::read(ledger.dir.path().join("bom/2022-table7.json")).unwrap();
    assert_eq!(json[0], b'{', "JSON carries no BOM");
    let stdout = ledger.ok(&["report", "table7", "--year", "2022", "--format", "csv"]);
    assert!(
        !stdout.starts_with('\u{feff}'),
        "CSV to standard output goes to scripts: no BOM"
    );
}

#[test]
fn export_warns_while_the_year_is_open() {
    let ledger = two_year();
    let out = ledger.dir.path().join("open");
    let err = ledger.ok_stderr(&["export", "--year", "2022", "--out", arg(&out)]);
    assert!(
        err.contains("2022 年尚未结账（台账尚未结账）")
            && err.contains("close --through 2022-12-31"),
        "{err}"
    );
    ledger.ok(&["close", "--through", "2022-06-30"]);
    let out = ledger.dir.path().join("half");
    let err = ledger.ok_stderr(&["export", "--year", "2022", "--out", arg(&out)]);
    assert!(err.contains("台账结账至 2022-06-30"), "{err}");
    ledger.ok(&["close", "--through", "2022-12-31"]);
    let out = ledger.dir.path().join("closed");
    let err = ledger.ok_stderr(&["export", "--year", "2022", "--out", arg(&out)]);
    assert!(!err.contains("尚未结账"), "{err}");
}

#[test]
fn csv_text_that_a_spreadsheet_would_run_is_neutralized() {
    let ledger = TestLedger::new();
    ledger.import(&[&fixture("two-year/catalog.csv")]);
    let header = "contract_no,title,sign_date,category,method,fund,supplier_name,size,share_amount";
    let contract = ledger.file(
        "c.csv",
        &format!(
            "{header}\nK1,\"=HYPERLINK(\"\"http://example.com\"\",\"\"点此\"\")\",2022-03-01,货物,公开招标,政府性基金预算,@SUM(A1:A9),小型,100.00\n"
        ),
    );
    let payment = ledger.file(
        "p.csv",
        "voucher_no,date,fund,function_code,expense_type,amount,contract_no,payee\nK1-1,2022-04-01,gov_fund,2290402,project,300.00,K1,乙\n",
    );
    ledger.import(&[&contract, &payment]);
    let report = ledger.ok(&["report", "contracts", "--year", "2022", "--format", "csv"]);
    let out = ledger.dir.path().join("export");
    ledger.ok(&["export", "--year", "2022", "--out", arg(&out)]);
    let exported = std::fs::read_to_string(out.join("2022-contracts.csv")).unwrap();
    for csv in [&report, &exported] {
        let row = csv
            .lines()
            .find(|l| l.starts_with("K1,"))
            .expect("the K1 row");
        assert_eq!(
            row,
            "K1,\"'=HYPERLINK(\"\"http://example.com\"\",\"\"点此\"\")\",2022-03-01,货物,'@SUM(A1:A9),100.00,300.00,-200.00,超付",
            "text neutralized, amounts (a negative one too) left numbers"
        );
    }
}

#[test]
fn outputs_are_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.ledger");
    let run = |args: &[&str]| under_umask_000(&path, args);
    run(&["init", "--unit", "测试单位"]);
    run(&["import", arg(&fixture("two-year"))]);
    let backup = dir.path().join("b.ledger");
    let archive = dir.path().join("a.jsonl");
    let export = dir.path().join("export");
    run(&["backup", "--out", arg(&backup)]);
    run(&["archive", "--out", arg(&archive)]);
    run(&["export", "--year", "2022", "--out", arg(&export)]);
    let restored = dir.path().join("r.ledger");
    under_umask_000(&restored, &["restore", arg(&archive)]);
    for private in [&path, &backup, &archive, &restored] {
        assert_eq!(mode(private), 0o600, "{private:?}");
    }
    assert_eq!(mode(&export) & 0o022, 0, "the export folder");
    for file in names_in(&export) {
        let m = mode(&export.join(&file));
        assert_eq!(m & 0o022, 0, "{file}: {m:o} is writable by others");
    }
    assert_no_temporary_files(dir.path());
}

#[test]
fn a_write_cut_short_by_the_file_size_limit_leaves_no_target() {
    // Killed by SIGXFSZ, as by any signal: a temporary file may stay, the target name stays free.
    cut_short("", |_, _| {});
    // With SIGXFSZ ignored the write fails with EFBIG, as on a full disk: refused, the target named,
    // the temporary file removed.
    cut_short("trap '' XFSZ; ", |out, target| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        let name = target.file_name().unwrap().to_str().unwrap();
        assert!(err.contains(name), "{err}");
        // restore's cause is worded by the store, which tells its own errors.
        if !name.starts_with("restored") {
            assert!(err.contains("超过了允许的文件大小"), "{err}");
        }
        assert!(
            !err.contains("taizhang-tmp"),
            "the temporary name is not shown: {err}"
        );
        assert_no_temporary_files(target.parent().unwrap());
    });
}

/// Runs backup, archive, export and restore under `ulimit -f 4` (a few KiB; every output is larger)
/// after `shell` (what to do with SIGXFSZ); each must fail and leave nothing under the target name.
fn cut_short(shell: &str, check: impl Fn(&std::process::Output, &Path)) {
    let ledger = two_year();
    let before = ledger.head();
    let dir = ledger.dir.path();
    let archive = dir.join("whole.jsonl");
    ledger.ok(&["archive", "--out", arg(&archive)]);
    let backup = dir.join("copy.ledger");
    let short = dir.join("short.jsonl");
    let export = dir.join("export");
    let restored = dir.join("restored.ledger");
    let runs: [(&[&str], &Path); 4] = [
        (&["backup", "--out", arg(&backup)], &backup),
        (&["archive", "--out", arg(&short)], &short),
        (
            &["export", "--year", "2022", "--out", arg(&export)],
            &export,
        ),
        (
            &["restore", arg(&archive), "--ledger", arg(&restored)],
            &restored,
        ),
    ];
    for (args, target) in runs {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{shell}ulimit -f 4; exec \"$0\" \"$@\""))
            .arg(assert_cmd::cargo::cargo_bin("taizhang"))
            .arg("--ledger")
            .arg(&ledger.path)
            .args(args)
            .env_remove("TAIZHANG_LEDGER")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} cannot succeed");
        assert!(!target.exists(), "{args:?}: nothing under the target name");
        check(&out, target);
    }
    assert_intact(&ledger, &before);
}

/// Runs the binary under umask 000 (through sh, which sets it before exec); asserts success.
fn under_umask_000(ledger: &Path, args: &[&str]) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin("taizhang"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("TAIZHANG_LEDGER")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn manifest(folder: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).unwrap()).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A command that finished leaves no temporary file beside its target.
fn assert_no_temporary_files(folder: &Path) {
    let left: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("taizhang-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
