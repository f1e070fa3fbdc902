//! Attachments (原始凭证) through the binary: `attach` and `show`; archive and restore carry the
//! documents, and a restored ledger verifies; a backup carries them; a changed byte in a stored
//! document is found by `verify`, naming the entry; the year-end export holds the year's documents
//! and their index.

mod common;

use std::path::{Path, PathBuf};

use common::{example, TestLedger};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use taizhang_store::hash::hex;
use taizhang_store::HashAlgo;

const ATTACHMENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("attachments");

fn example_ledger() -> TestLedger {
    let ledger = TestLedger::new();
    ledger.import(&[&example()]);
    ledger
}

/// Writes a document of `bytes` in the test's folder.
fn document(ledger: &TestLedger, name: &str, bytes: &[u8]) -> PathBuf {
    let path = ledger.dir.path().join(name);
    std::fs::write(&path, bytes).expect("write the document");
    path
}

fn sm3(bytes: &[u8]) -> String {
    hex(&HashAlgo::Sm3.digest(bytes))
}

/// Every byte value, repeated: no text.
fn all_bytes(times: usize) -> Vec<u8> {
    (0..=255u8).cycle().take(256 * times).collect()
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The seq of a voucher's entry, from `show --format json`.
fn seq_of(ledger: &TestLedger, voucher: &str) -> u64 {
    ledger.json(&["show", voucher])["entry"]["seq"]
        .as_u64()
        .expect("a seq")
}

/// A ledger with two documents on a payment and one on a contract (the same bytes as one of them).
fn ledger_with_documents() -> (TestLedger, Vec<u8>, Vec<u8>) {
    let ledger = example_ledger();
    let invoice = all_bytes(40);
    let scan = b"%PDF-1.4\n% a scanned contract\n%%EOF\n".to_vec();
    let invoice_file = document(&ledger, "发票.pdf", &invoice);
    let scan_file = document(&ledger, "合同扫描件.pdf", &scan);
    ledger.ok(&[
        "attach",
        "付-2022-003",
        arg(&invoice_file),
        "--operator",
        "张会计",
    ]);
    ledger.ok(&[
        "attach",
        "付-2022-003",
        arg(&scan_file),
        "--operator",
        "张会计",
    ]);
    ledger.ok(&[
        "attach",
        "QS-2022-001",
        arg(&invoice_file),
        "--operator",
        "李出纳",
    ]);
    (ledger, invoice, scan)
}

#[test]
fn attach_then_show_lists_the_documents() {
    let ledger = example_ledger();
    let before = ledger.head().0;
    let invoice = all_bytes(40);
    let file = document(&ledger, "发票.pdf", &invoice);
    let said = ledger.ok_stderr(&["attach", "付-2022-003", arg(&file), "--operator", "张会计"]);
    assert!(said.contains("已附加：发票.pdf"), "{said}");
    assert!(said.contains(&sm3(&invoice)), "{said}");
    assert_eq!(ledger.head().0, before + 1);

    // The same file again: nothing new.
    let said = ledger.ok_stderr(&["attach", "付-2022-003", arg(&file)]);
    assert!(said.contains("已有相同内容的附件"), "{said}");
    assert_eq!(ledger.head().0, before + 1);

    let text = ledger.ok(&["show", "付-2022-003"]);
    assert!(text.contains("附件（原始凭证）1 份"), "{text}");
    assert!(
        text.contains(&format!(
            "发票.pdf  10240 字节  哈希 {}  张会计 上传于",
            sm3(&invoice)
        )),
        "{text}"
    );
    let json = ledger.json(&["show", "付-2022-003"]);
    let attachment = &json["attachments"][0];
    assert_eq!(attachment["name"], "发票.pdf");
    assert_eq!(attachment["size"], 10240);
    assert_eq!(attachment["hash"], sm3(&invoice));
    assert_eq!(attachment["uploaded_by"], "张会计");
    assert_eq!(attachment["target"], json["entry"]["seq"]);

    // A contract number attaches to its first part; #SEQ to any entry that takes documents.
    let scan = document(&ledger, "验收单.jpg", b"JPEG? no, but bytes all the same");
    ledger.ok(&["attach", "QS-2022-001", arg(&scan)]);
    let contract = ledger.json(&["show", "QS-2022-001"]);
    assert_eq!(
        contract["attachments"][0]["target"],
        contract["parts"][0]["seq"]
    );
    let seq = seq_of(&ledger, "付-2022-001");
    ledger.ok(&["attach", &format!("#{seq}"), arg(&scan)]);
    assert_eq!(
        ledger.json(&["show", "付-2022-001"])["attachments"][0]["name"],
        "验收单.jpg"
    );
    ledger.ok(&["verify"]);
}

#[test]
fn attach_refuses_in_chinese_naming_the_file_and_changes_nothing() {
    let ledger = example_ledger();
    let before = ledger.head();
    let page = document(&ledger, "页面.html", b"<script>alert(1)</script>");
    let said = ledger.refused(&["attach", "付-2022-003", arg(&page)]);
    assert!(said.contains("页面.html"), "{said}");
    assert!(said.contains("不能作为附件"), "{said}");
    let empty = document(&ledger, "空.pdf", b"");
    let said = ledger.refused(&["attach", "付-2022-003", arg(&empty)]);
    assert!(said.contains("空.pdf") && said.contains("空的"), "{said}");
    let missing = ledger.dir.path().join("没有这个文件.pdf");
    let said = ledger.refused(&["attach", "付-2022-003", arg(&missing)]);
    assert!(said.contains("没有这个文件.pdf"), "{said}");
    let file = document(&ledger, "发票.pdf", b"bytes");
    let said = ledger.refused(&["attach", "付-9999-999", arg(&file)]);
    assert!(said.contains("付-9999-999"), "{said}");
    // Entry 1 names the unit: no documents there.
    let said = ledger.refused(&["attach", "#1", arg(&file)]);
    assert!(said.contains("单位名称"), "{said}");
    let said = ledger.refused(&["attach", "#99999", arg(&file)]);
    assert!(said.contains("没有第 99999 条"), "{said}");
    assert_eq!(ledger.head(), before, "nothing was posted");
}

/// The stored documents of a ledger file, by hash: read with the storage engine itself.
fn stored_documents(path: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let db = redb::Database::open(path).expect("open the ledger file");
    let txn = db.begin_read().expect("read");
    let table = txn.open_table(ATTACHMENTS).expect("the attachments table");
    table
        .iter()
        .expect("iterate")
        .map(|item| {
            let (key, value) = item.expect("an item");
            (key.value().to_vec(), value.value().to_vec())
        })
        .collect()
}

#[test]
fn archive_and_restore_carry_the_documents_and_the_restored_ledger_verifies() {
    let (ledger, invoice, scan) = ledger_with_documents();
    let archive = ledger.dir.path().join("归档.jsonl");
    ledger.ok(&["archive", "--out", arg(&archive)]);
    let text = std::fs::read_to_string(&archive).expect("the archive");
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("a first line")).expect("JSON");
    assert_eq!(first["taizhang_archive"], 2);
    assert_eq!(first["attachments"], 2, "the same bytes are archived once");

    let restored = TestLedger::uninitialised();
    restored.ok(&["restore", arg(&archive)]);
    restored.ok(&["verify"]);
    let original = ledger.json(&["show", "付-2022-003"]);
    let copy = restored.json(&["show", "付-2022-003"]);
    assert_eq!(original["attachments"], copy["attachments"]);
    assert_eq!(original["attachments"].as_array().map(Vec::len), Some(2));
    let mut stored = stored_documents(&restored.path);
    stored.sort();
    let mut expected = vec![
        (HashAlgo::Sm3.digest(&invoice).to_vec(), invoice.clone()),
        (HashAlgo::Sm3.digest(&scan).to_vec(), scan.clone()),
    ];
    expected.sort();
    assert_eq!(stored, expected, "the same bytes, byte for byte");

    // A changed byte of a document in the archive: refused, no ledger left behind.
    let last = text.lines().last().expect("a document line");
    let mut line: serde_json::Value = serde_json::from_str(last).expect("JSON");
    let original_b64 = line["base64"].as_str().expect("base64").to_string();
    let flipped = if original_b64.starts_with('A') {
        "B"
    } else {
        "A"
    };
    line["base64"] = format!("{flipped}{}", &original_b64[1..]).into();
    let changed: Vec<String> = text
        .lines()
        .map(|l| {
            if l == last {
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    let tampered = ledger.file("改过.jsonl", &(changed.join("\n") + "\n"));
    let elsewhere = TestLedger::uninitialised();
    let said = elsewhere.refused(&["restore", arg(&tampered)]);
    assert!(said.contains("归档已被改动"), "{said}");
    assert!(!elsewhere.path.exists());

    // An archive without its documents (cut after the entries): refused too.
    let count = first["count"].as_u64().expect("a count") as usize;
    let cut: Vec<&str> = text.lines().take(count + 1).collect();
    let cut = ledger.file("截断.jsonl", &(cut.join("\n") + "\n"));
    let said = elsewhere.refused(&["restore", arg(&cut)]);
    assert!(said.contains("缺少附件"), "{said}");

    // A document line whose size was changed: refused, the message naming both sizes.
    let mut resized: serde_json::Value = serde_json::from_str(last).expect("JSON");
    let size = resized["size"].as_u64().expect("size");
    resized["size"] = serde_json::json!(u64::MAX);
    let changed: Vec<String> = (text.lines())
        .map(|l| {
            if l == last {
                resized.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    let resized = ledger.file("大小改过.jsonl", &(changed.join("\n") + "\n"));
    let said = elsewhere.refused(&["restore", arg(&resized)]);
    assert!(
        said.contains(&format!("附件行记载 {} 字节，记录为 {size} 字节", u64::MAX)),
        "{said}"
    );
    assert!(!elsewhere.path.exists());
}

#[test]
fn an_archive_without_documents_stays_version_1() {
    let ledger = example_ledger();
    let archive = ledger.dir.path().join("a.jsonl");
    ledger.ok(&["archive", "--out", arg(&archive)]);
    let text = std::fs::read_to_string(&archive).expect("the archive");
    assert!(
        text.starts_with("{\"taizhang_archive\":1,"),
        "{}",
        &text[..40]
    );
    assert!(!text.lines().next().unwrap_or("").contains("attachments"));
}

#[test]
fn a_backup_carries_the_documents() {
    let (ledger, invoice, _) = ledger_with_documents();
    let backup = TestLedger::uninitialised();
    ledger.ok(&["backup", "--out", arg(&backup.path)]);
    backup.ok(&["verify"]);
    let copy = backup.json(&["show", "付-2022-003"]);
    assert_eq!(copy["attachments"][0]["hash"], sm3(&invoice));
    let stored = stored_documents(&backup.path);
    assert!(stored.iter().any(
        |(hash, bytes)| *hash == HashAlgo::Sm3.digest(&invoice).to_vec() && *bytes == invoice
    ));
}

#[test]
fn a_changed_byte_in_a_stored_document_fails_verify_naming_the_entry() {
    let (ledger, invoice, _) = ledger_with_documents();
    ledger.ok(&["verify"]);
    let key = HashAlgo::Sm3.digest(&invoice);
    {
        let db = redb::Database::open(&ledger.path).expect("open the ledger file");
        let txn = db.begin_write().expect("write");
        {
            let mut table = txn.open_table(ATTACHMENTS).expect("the attachments table");
            let mut bytes = table
                .get(key.as_slice())
                .expect("read")
                .expect("the invoice is stored")
                .value()
                .to_vec();
            bytes[1000] ^= 0x01;
            table
                .insert(key.as_slice(), bytes.as_slice())
                .expect("rewrite");
        }
        txn.commit().expect("commit");
    }
    let json = ledger.json(&["show", "付-2022-003"]);
    let seqs: Vec<u64> = json["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .filter(|a| a["name"] == "发票.pdf")
        .filter_map(|a| a["seq"].as_u64())
        .collect();
    let said = ledger.refused(&["verify"]);
    for seq in seqs {
        assert!(
            said.contains(&format!(
                "第 {seq} 条（附件“发票.pdf”）：存储的文件内容与其哈希不符"
            )),
            "{said}"
        );
    }
    assert!(said.contains("校验未通过"), "{said}");
    // Nor is the damaged document archived as if sound.
    let archive = ledger.dir.path().join("a.jsonl");
    let said = ledger.refused(&["archive", "--out", arg(&archive)]);
    assert!(said.contains("内容与其哈希不符"), "{said}");
}

#[test]
fn stored_bytes_no_entry_names_fail_verify() {
    let (ledger, _, _) = ledger_with_documents();
    {
        let db = redb::Database::open(&ledger.path).expect("open the ledger file");
        let txn = db.begin_write().expect("write");
        {
            let mut table = txn.open_table(ATTACHMENTS).expect("the attachments table");
            let stray = b"nobody attached this";
            let key = HashAlgo::Sm3.digest(stray);
            table
                .insert(key.as_slice(), stray.as_slice())
                .expect("insert");
        }
        txn.commit().expect("commit");
    }
    let said = ledger.refused(&["verify"]);
    assert!(
        said.contains("附件表中有 1 份文件没有任何附件记录提到"),
        "{said}"
    );
}

#[test]
fn the_year_end_export_holds_the_years_documents_and_their_index() {
    let (ledger, invoice, scan) = ledger_with_documents();
    let out = ledger.dir.path().join("决算2022");
    ledger.ok(&["export", "--year", "2022", "--out", arg(&out)]);
    let payment = seq_of(&ledger, "付-2022-003");
    let contract = ledger.json(&["show", "QS-2022-001"])["parts"][0]["seq"]
        .as_u64()
        .expect("a part");
    let folder = out.join("附件");
    let read = |name: &str| std::fs::read(folder.join(name)).expect(name);
    assert_eq!(read(&format!("{payment}-发票.pdf")), invoice);
    assert_eq!(read(&format!("{payment}-合同扫描件.pdf")), scan);
    assert_eq!(read(&format!("{contract}-发票.pdf")), invoice);

    let index = String::from_utf8(read("索引.csv")).expect("UTF-8");
    let index = index.trim_start_matches('\u{feff}');
    let rows: Vec<Vec<&str>> = index.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "记录序号",
            "记录",
            "文件名",
            "导出文件",
            "大小（字节）",
            "哈希（sm3）",
            "上传人",
            "上传时间"
        ]
    );
    assert_eq!(rows.len(), 4, "{index}");
    let invoice_row = rows
        .iter()
        .find(|r| r[0] == payment.to_string() && r[2] == "发票.pdf")
        .expect("the invoice's row");
    assert_eq!(invoice_row[1], "凭证号 付-2022-003（支出）");
    assert_eq!(invoice_row[4], invoice.len().to_string());
    assert_eq!(invoice_row[5], sm3(&invoice));
    assert_eq!(invoice_row[6], "张会计");
    let scan_row = rows
        .iter()
        .find(|r| r[2] == "合同扫描件.pdf")
        .expect("the scan's row");
    assert_eq!(scan_row[5], sm3(&scan));

    // The manifest lists the documents with their SHA-256.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    let listed = manifest["files"].as_array().expect("files");
    let entry = listed
        .iter()
        .find(|f| f["name"] == format!("附件/{payment}-发票.pdf"))
        .expect("the invoice is listed");
    use sha2::Digest;
    assert_eq!(entry["sha256"], hex(&sha2::Sha256::digest(&invoice)));
    assert!(listed.iter().any(|f| f["name"] == "附件/索引.csv"));

    // --force replaces an export that has its documents' folder.
    ledger.ok(&["export", "--year", "2022", "--out", arg(&out), "--force"]);
    // Another year has none of these documents: no folder.
    let other = ledger.dir.path().join("决算2023");
    ledger.ok(&["export", "--year", "2023", "--out", arg(&other)]);
    assert!(!other.join("附件").exists());
}

/// What no stored text may hold stays out of the chain also through `attach`: the operator is
/// checked as every other command checks it, and a path that holds a line break or a bidirectional
/// override is recorded as its file name alone (the log prints a source as it is).
#[test]
fn attach_keeps_control_and_bidirectional_characters_out_of_the_chain() {
    let ledger = example_ledger();
    let before = ledger.head();
    let file = document(&ledger, "发票.pdf", b"%PDF-1.4 bytes");
    for operator in ["evil\u{202E}nimda", "a\u{0007}b", "  "] {
        let said = ledger.refused(&["attach", "付-2022-003", arg(&file), "--operator", operator]);
        assert!(said.contains("--operator"), "{operator:?}: {said}");
    }
    assert_eq!(ledger.head(), before, "nothing was posted");

    // The operator is trimmed, as a user name is.
    ledger.ok(&[
        "attach",
        "付-2022-003",
        arg(&file),
        "--operator",
        " 张会计 ",
    ]);
    let folder = ledger.dir.path().join("扫描\n件\u{202E}");
    std::fs::create_dir(&folder).expect("folder");
    let odd = folder.join("验收单.pdf");
    std::fs::write(&odd, b"%PDF-1.4 other bytes").expect("write");
    ledger.ok(&["attach", "付-2022-003", arg(&odd)]);
    let log = ledger.ok(&["log", "--format", "json"]);
    let lines: Vec<serde_json::Value> = (log.lines())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let newest = &lines[lines.len() - 2..];
    assert_eq!(newest[0]["operator"], "张会计");
    assert_eq!(newest[1]["source"], "命令行 验收单.pdf");
    for line in newest {
        let text = line.to_string();
        assert!(
            !text.contains('\u{202E}') && !text.contains("\\n"),
            "{text}"
        );
    }
    let verify = ledger.ok(&["verify"]);
    assert!(verify.contains("记录数"), "{verify}");
}

/// A named pipe, a device, a folder: refused at once in Chinese (opening a pipe would wait for a
/// writer forever), nothing posted.
#[cfg(unix)]
#[test]
fn attach_refuses_a_pipe_a_device_and_a_folder() {
    let ledger = example_ledger();
    let before = ledger.head();
    let fifo = ledger.dir.path().join("管道.pdf");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let said = ledger.refused(&["attach", "付-2022-003", arg(&fifo)]);
    assert!(said.contains("不是普通文件"), "{said}");
    let said = ledger.refused(&["attach", "付-2022-003", "/dev/zero"]);
    assert!(said.contains("不是普通文件"), "{said}");
    let folder = ledger.dir.path().join("文件夹.pdf");
    std::fs::create_dir(&folder).expect("folder");
    let said = ledger.refused(&["attach", "付-2022-003", arg(&folder)]);
    assert!(said.contains("文件夹"), "{said}");
    assert_eq!(ledger.head(), before, "nothing was posted");
}

/// Names of one entry's documents that differ only in case, or that look like a renamed one
/// ("{seq}-a.pdf"), each become a file of their own in the export: none overwrites another,
/// also on a folder that does not tell case apart.
#[test]
fn the_export_gives_every_document_a_file_of_its_own() {
    let ledger = example_ledger();
    let payment = seq_of(&ledger, "付-2022-003");
    let (count, _) = ledger.head();
    // The third attachment below will be entry count + 3; a hand-given name takes its renamed form.
    let docs: Vec<(String, Vec<u8>)> = vec![
        (format!("{}-a.pdf", count + 3), b"first".to_vec()),
        ("a.pdf".into(), b"second".to_vec()),
        ("a.pdf".into(), b"third".to_vec()),
        ("A.PDF".into(), b"fourth".to_vec()),
    ];
    for (i, (name, bytes)) in docs.iter().enumerate() {
        let folder = ledger.dir.path().join(format!("d{i}"));
        std::fs::create_dir(&folder).expect("folder");
        let path = folder.join(name);
        std::fs::write(&path, bytes).expect("write");
        ledger.ok(&["attach", "付-2022-003", arg(&path)]);
    }
    let out = ledger.dir.path().join("决算2022");
    ledger.ok(&["export", "--year", "2022", "--out", arg(&out)]);
    let mut names: Vec<String> = std::fs::read_dir(out.join("附件"))
        .expect("folder")
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8"))
        .filter(|n| n != "索引.csv")
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    let lower: std::collections::BTreeSet<String> =
        names.iter().map(|n| n.to_lowercase()).collect();
    assert_eq!(lower.len(), 4, "{names:?}");
    let mut contents: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(out.join("附件").join(n)).expect("read"))
        .collect();
    contents.sort();
    let mut expected: Vec<Vec<u8>> = docs.iter().map(|(_, b)| b.clone()).collect();
    expected.sort();
    assert_eq!(contents, expected);
    assert!(names.contains(&format!("{payment}-a.pdf")), "{names:?}");
}

/// A document's name is the user's text in the export's index like any other: one a spreadsheet
/// would run as a formula ("=…", "+…", "-…", "@…") is written with a leading `'`, as in every report.
#[test]
fn the_export_index_does_not_let_a_documents_name_run_as_a_formula() {
    let ledger = example_ledger();
    let names = ["=1+2.pdf", "+86 发票.pdf", "-付款单.pdf", "@SUM(1).pdf"];
    for (i, name) in names.iter().enumerate() {
        let file = document(&ledger, name, format!("document {i}").as_bytes());
        ledger.ok(&["attach", "付-2022-003", arg(&file), "--operator", "张会计"]);
    }
    let out = ledger.dir.path().join("决算2022");
    ledger.ok(&["export", "--year", "2022", "--out", arg(&out)]);
    let index = std::fs::read_to_string(out.join("附件").join("索引.csv")).expect("the index");
    for name in names {
        let cells: Vec<&str> = (index.lines())
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} in the index: {index}"))
            .split(',')
            .collect();
        assert_eq!(cells[2], format!("'{name}"), "{index}");
        // The exported file itself keeps its name (it is not a cell).
        assert!(cells[3].ends_with(name), "{index}");
    }
}
