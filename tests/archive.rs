//! Backup, archive and restore, export with its manifest, and `verify --expect-head`.

mod common;

use common::{two_year, TestLedger};

#[test]
fn archive_then_restore_gives_the_same_chain_and_reports() {
    let ledger = two_year();
    let (count, head) = ledger.head();
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", archive.to_str().unwrap()]);
    let lines = std::fs::read_to_string(&archive).unwrap();
    assert_eq!(
        lines.lines().count() as u64,
        count + 1,
        "a head line and one line an entry"
    );
    let restored = TestLedger::uninitialised();
    restored.ok(&["restore", archive.to_str().unwrap()]);
    assert_eq!(restored.head(), (count, head));
    for args in [
        ["report", "table7", "--year", "2023"],
        ["report", "procurement", "--year", "2022"],
    ] {
        assert_eq!(restored.json(&args), ledger.json(&args));
    }
}

#[test]
fn a_changed_archive_is_refused_and_leaves_no_ledger() {
    let ledger = two_year();
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", archive.to_str().unwrap()]);
    let text = std::fs::read_to_string(&archive).unwrap();
    let changed = ledger.file(
        "changed.jsonl",
        &text.replacen("\"12000000.00\"", "\"12000001.00\"", 1),
    );
    let restored = TestLedger::uninitialised();
    let err = restored.refused(&["restore", changed.to_str().unwrap()]);
    assert!(err.contains("哈希不符"), "{err}");
    assert!(
        !restored.path.exists(),
        "a refused restore leaves nothing behind"
    );
    let truncated: String = text.lines().take(10).map(|l| format!("{l}\n")).collect();
    let cut = ledger.file("cut.jsonl", &truncated);
    let err = restored.refused(&["restore", cut.to_str().unwrap()]);
    assert!(err.contains("截断"), "{err}");
}

#[test]
fn backup_is_a_working_ledger() {
    let ledger = two_year();
    let copy = ledger.dir.path().join("copy.ledger");
    ledger.ok(&["backup", "--out", copy.to_str().unwrap()]);
    let out = ledger
        .cmd(&["verify"])
        .arg("--ledger")
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&ledger.head().1));
}

#[test]
fn expect_head_passes_for_an_earlier_head_and_says_how_many_came_after() {
    let ledger = two_year();
    let (count, head) = ledger.head();
    let said = ledger.ok_stderr(&["verify", "--expect-head", &head]);
    assert!(said.contains(&format!("就是最新的第 {count} 条")), "{said}");
    ledger.ok(&["post", "catalog", "--code", "21301", "--name", "农业农村"]);
    ledger.ok(&["post", "catalog", "--code", "21302", "--name", "林业和草原"]);
    let said = ledger.ok_stderr(&["verify", "--expect-head", &head.to_uppercase()]);
    assert!(
        said.contains(&format!("期望的链头是第 {count} 条的哈希")),
        "{said}"
    );
    assert!(said.contains("此后又记了 2 条"), "{said}");
}

#[test]
fn expect_head_fails_when_the_chain_never_had_it() {
    let ledger = two_year();
    let (count, head) = ledger.head();
    // The newest entry cut off: an archive without its last line, its first line made to agree.
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", archive.to_str().unwrap()]);
    let text = std::fs::read_to_string(&archive).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.pop();
    let new_head = lines.last().unwrap()["hash"].clone();
    lines[0]["count"] = serde_json::json!(count - 1);
    lines[0]["head_hash"] = new_head;
    let cut: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&archive, cut).unwrap();
    let shorter = common::TestLedger::uninitialised();
    shorter.ok(&["restore", archive.to_str().unwrap()]);
    let err = shorter.refused(&["verify", "--expect-head", &head]);
    assert!(err.contains("链中没有哈希为"), "{err}");
    assert!(err.contains("校验未通过"), "{err}");
    // A hash no chain ever had fails too; one that is not a hash is misuse.
    let err = ledger.refused(&["verify", "--expect-head", &"ab".repeat(32)]);
    assert!(err.contains("链中没有哈希为"), "{err}");
    let out = ledger
        .cmd(&["verify", "--expect-head", "not-a-hash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("64 位十六进制"));
}

#[test]
fn expect_head_of_zeros_fails_on_a_ledger_with_entries() {
    // 64 zeros is the head of an empty chain; every ledger here has at least its unit entry.
    let ledger = common::TestLedger::new();
    let zeros = "0".repeat(64);
    let err = ledger.refused(&["verify", "--expect-head", &zeros]);
    assert!(
        err.contains(&format!("链中没有哈希为 {zeros} 的记录")),
        "{err}"
    );
    assert!(err.contains("校验未通过"), "{err}");
    assert!(!err.contains("空台账"), "{err}");
}

#[test]
fn export_writes_every_report_and_a_manifest_tied_to_the_head() {
    let ledger = two_year();
    let (count, head) = ledger.head();
    let out = ledger.dir.path().join("export");
    ledger.ok(&["export", "--year", "2022", "--out", out.to_str().unwrap()]);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["ledger_head_hash"], head.as_str());
    assert_eq!(manifest["ledger_entries"], count);
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for expected in [
        "2022-table7.csv",
        "2022-procurement.csv",
        "2022Q1-bond-use.csv",
        "2022Q4-bond-use.csv",
        "2022-contracts.csv",
        "schedule-TB-01.csv",
        "2022-procurement.txt",
        "2022-决算报表.xlsx",
    ] {
        assert!(files.contains(&expected), "{expected} in {files:?}");
        assert!(
            out.join(expected).metadata().unwrap().len() > 0,
            "{expected} is not empty"
        );
    }
    let table7 = std::fs::read_to_string(out.join("2022-table7.csv")).unwrap();
    assert!(table7.contains("2290402,其他地方自行试点项目收益专项债券收入安排的支出,,\"5,000.00\",\"1,800.00\",,\"1,800.00\",\"3,200.00\""), "{table7}");
    let xlsx = std::fs::read(out.join("2022-决算报表.xlsx")).unwrap();
    assert_eq!(&xlsx[..2], b"PK", "an xlsx is a zip file");
}

#[test]
fn a_bad_archive_is_described_in_chinese_words() {
    let ledger = common::TestLedger::uninitialised();
    for (name, bytes) in [
        ("cut.jsonl", &b"{\"taizhang_archive\n"[..]),
        ("binary.jsonl", &b"\xff\xfe\x00\n"[..]),
        ("other.jsonl", &b"{\"name\": \"not an archive\"}\n"[..]),
    ] {
        let path = ledger.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = ledger.refused(&["restore", path.to_str().unwrap()]);
        assert!(err.contains("归档第 1 行"), "{err}");
        // No English from the JSON library: the ASCII words are the file's name, the program's and
        // the format's.
        let english = err
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| w.len() >= 4 && !path.to_str().unwrap().contains(w))
            .filter(|w| !["taizhang", "JSON"].contains(w))
            .count();
        assert_eq!(english, 0, "{err}");
        assert!(!ledger.path.exists());
    }
}

/// ASCII words of four or more letters in `text` outside `path` and the known ones: English.
fn english_words<'a>(text: &'a str, path: &str) -> Vec<&'a str> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 4 && !path.contains(w))
        .filter(|w| !["taizhang", "JSON"].contains(w))
        .collect()
}

#[test]
fn an_archive_saved_by_a_windows_editor_restores() {
    let ledger = common::TestLedger::new();
    ledger.ok(&["post", "catalog", "--code", "21301", "--name", "农业农村"]);
    let (count, head) = ledger.head();
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", archive.to_str().unwrap()]);
    let text = std::fs::read_to_string(&archive).unwrap();
    // Notepad: a byte-order mark, CRLF line ends, an empty line at the end.
    let edited = format!("\u{feff}{}\r\n", text.replace('\n', "\r\n"));
    for (name, content) in [
        ("bom.jsonl", format!("\u{feff}{text}")),
        ("crlf.jsonl", text.replace('\n', "\r\n")),
        ("blank.jsonl", format!("{text}\n\n")),
        ("notepad.jsonl", edited),
    ] {
        let path = ledger.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let restored = TestLedger::uninitialised();
        restored.ok(&["restore", path.to_str().unwrap()]);
        assert_eq!(restored.head(), (count, head.clone()), "{name}");
    }
}

#[test]
fn a_line_of_the_wrong_json_is_described_in_chinese_words() {
    let ledger = common::TestLedger::new();
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", archive.to_str().unwrap()]);
    let text = std::fs::read_to_string(&archive).unwrap();
    let first = text.lines().next().unwrap();
    let entry = text.lines().nth(1).unwrap();
    let bad_seq = format!(
        "{first}\n{}\n",
        entry.replacen("\"seq\":1", "\"seq\":\"one\"", 1)
    );
    for (name, content, said) in [
        (
            "nested.jsonl",
            "[[[1]]]\n".to_string(),
            "归档第 1 行：不是 taizhang 归档的首行（JSON 的字段或取值不是归档首行应有的",
        ),
        (
            "entry.jsonl",
            format!("{first}\n[[[1]]]\n"),
            "归档第 2 行：不是一条记录（JSON 的字段或取值不是归档记录应有的，第 1 个字符附近",
        ),
        (
            "field.jsonl",
            bad_seq,
            "归档第 2 行：不是一条记录（JSON 的字段或取值不是归档记录应有的，第 12 个字符附近",
        ),
        (
            "cut.jsonl",
            format!("{first}\n{{\"seq\": 1,\n"),
            "归档第 2 行：不是一条记录（JSON 在行尾中断",
        ),
    ] {
        let path = ledger.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let restored = TestLedger::uninitialised();
        let err = restored.refused(&["restore", path.to_str().unwrap()]);
        assert!(err.contains(said), "{name}: {err}");
        assert!(err.contains(&format!("归档 {}", path.display())), "{err}");
        assert_eq!(
            english_words(&err, path.to_str().unwrap()),
            Vec::<&str>::new(),
            "{err}"
        );
        assert!(!restored.path.exists());
    }
}
