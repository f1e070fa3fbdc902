//! The ledger's promises, end to end: idempotent import, period locks, all-or-nothing batches,
//! reversals, one writer at a time, and a killed import leaving the ledger before or after.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{fixture, payments_csv, two_year, TestLedger};

#[test]
fn two_year_ledger_imports_reimports_nothing_and_verifies() {
    let ledger = TestLedger::new();
    let first = ledger.import(&[&fixture("two-year")]);
    assert!(first.contains("新记账 29 条，已存在 0 条"), "{first}");
    assert!(first.contains("其中：科目名称 1 条、债券分配 3 条、合同 4 个（供应商 7 条）、补充协议 2 条、年初结转和结余 1 条、收入 6 条、支出 9 条。"), "{first}");
    let again = ledger.import(&[&fixture("two-year")]);
    assert!(again.contains("新记账 0 条，已存在 29 条"), "{again}");
    let (count, _) = ledger.head();
    assert_eq!(count, common::INIT_ENTRIES + 29);
}

#[test]
fn gb18030_file_with_chinese_headers_is_read() {
    let ledger = TestLedger::new();
    ledger.import(&[
        &fixture("two-year/catalog.csv"),
        &fixture("two-year/bonds.csv"),
    ]);
    let out = ledger.import(&[&fixture("two-year/receipts-2023.csv")]);
    assert!(out.contains("新记账 2 条"), "{out}");
    let t = ledger.json(&["report", "table7", "--year", "2023"]);
    assert_eq!(t["total"]["income"], "10900000.00");
}

/// A payment that names a bond with a single project goes to that project; the filled-in entry keeps
/// the file and line it came from.
#[test]
fn a_bonds_only_project_is_filled_in_and_the_source_kept() {
    let ledger = two_year();
    let (before, _) = ledger.head();
    let rows = ledger.file(
        "fill.csv",
        "voucher_no,date,fund,function_code,expense_type,amount,bond_code,purpose,payee\nF1,2023-06-01,gov_fund,2290402,project,1000.00,TB-02,construction,甲设备股份有限公司\n",
    );
    ledger.import(&[&rows]);
    let log = ledger.ok(&[
        "log",
        "--from",
        &(before + 1).to_string(),
        "--format",
        "json",
    ]);
    let entry: serde_json::Value = serde_json::from_str(log.trim()).unwrap();
    let source = entry["source"].as_str().unwrap();
    assert!(source.ends_with("fill.csv:2"), "{log}");
    assert_eq!(entry["body"]["payment"]["project_code"], "P1", "{log}");
}

/// The index keeps keys of up to 23 bytes packed in one table and longer ones as text in another: a
/// contract whose parts fall on both sides reads whole (its amount, its payments), verifies, and
/// posts nothing twice.
#[test]
fn a_contract_with_short_and_long_part_keys_reads_whole() {
    let ledger = TestLedger::new();
    ledger.import(&[&fixture("two-year/catalog.csv")]);
    let header = "contract_no,title,sign_date,category,method,fund,supplier_name,size,share_amount";
    let contract = ledger.file(
        "c.csv",
        &format!(
            "{header}\nK1,设备,2023-03-01,货物,公开招标,政府性基金预算,乙,小型,100.00\n\
             K1,设备,2023-03-01,货物,公开招标,政府性基金预算,甲设备股份有限公司武汉分公司,大型,900.00\n"
        ),
    );
    let payment = ledger.file(
        "p.csv",
        "voucher_no,date,fund,function_code,expense_type,amount,contract_no,payee\nK1-1,2023-04-01,gov_fund,2290402,project,300.00,K1,乙\n",
    );
    ledger.import(&[&contract, &payment]);
    let again = ledger.import(&[&contract, &payment]);
    assert!(again.contains("新记账 0 条，已存在 3 条"), "{again}");
    ledger.ok(&["verify"]);
    let c = ledger.json(&["report", "contracts", "--year", "2023"]);
    let k1 = &c["rows"][0];
    assert_eq!(
        (k1["amount"].as_str(), k1["paid"].as_str()),
        (Some("1000.00"), Some("300.00")),
        "{c}"
    );
}

/// "收款人" in GB18030.
const PAYEE_GB18030: &[u8] = b"\xca\xd5\xbf\xee\xc8\xcb";

/// Encoding detection reads on past ASCII: a GB18030 file whose first 64 KiB hold no Chinese is
/// still read as GB18030.
#[test]
fn a_gb18030_file_that_starts_in_ascii_is_read_as_gb18030() {
    let ledger = TestLedger::new();
    let ascii_rows = common::payments_csv(2_000, "A").replace("收款人", "payee");
    assert!(ascii_rows.len() > 64 * 1024 && ascii_rows.is_ascii());
    let mut bytes = ascii_rows.into_bytes();
    bytes.extend_from_slice(b"B1,2022-05-01,gov_fund,2290402,project,10.00,");
    bytes.extend_from_slice(PAYEE_GB18030);
    bytes.push(b'\n');
    let path = ledger.dir.path().join("late-chinese.csv");
    std::fs::write(&path, bytes).unwrap();
    let out = ledger.import(&[&path]);
    assert!(out.contains("新记账 2001 条"), "{out}");
    let last = ledger.ok(&["log", "--from", "2001", "--format", "json"]);
    assert!(last.contains("\"payee\":\"收款人\""), "{last}");
}

/// Detection stops once the file has shown plenty of valid UTF-8 Chinese; a row further on that is
/// not UTF-8 is refused at its line, and nothing is posted.
#[test]
fn a_utf8_file_with_a_gb18030_row_far_in_is_refused_at_that_row() {
    let ledger = TestLedger::new();
    let mut bytes = common::payments_csv(3_000, "U").into_bytes();
    assert!(bytes.len() > 2 * 64 * 1024);
    bytes.extend_from_slice(b"G1,2022-05-01,gov_fund,2290402,project,10.00,");
    bytes.extend_from_slice(PAYEE_GB18030);
    bytes.push(b'\n');
    let path = ledger.dir.path().join("mixed.csv");
    std::fs::write(&path, bytes).unwrap();
    let err = ledger.refused(&["import", path.to_str().unwrap()]);
    assert!(
        err.contains("mixed.csv:3002: 文件既不是 UTF-8 也不是 GB18030 编码"),
        "{err}"
    );
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
}

#[test]
fn same_key_with_different_content_is_a_conflict() {
    let ledger = two_year();
    let (before, head) = ledger.head();
    let changed = ledger.file("p.csv", "voucher_no,date,fund,function_code,expense_type,amount,payee\nP23-1,2023-02-28,gov_fund,2120803,project,900000.01,省财政厅\n");
    let err = ledger.refused(&["import", changed.to_str().unwrap()]);
    assert!(
        err.contains("p.csv:2: voucher_no: 凭证号 P23-1已记账且内容不同（冲突）"),
        "{err}"
    );
    assert_eq!(ledger.head(), (before, head));
}

#[test]
fn duplicate_voucher_inside_one_batch_is_refused() {
    let ledger = TestLedger::new();
    let dup = ledger.file("dup.csv", "voucher_no,date,fund,function_code,expense_type,amount,payee\nX1,2022-03-01,gov_fund,2290402,project,10,甲\nX1,2022-03-01,gov_fund,2290402,project,10,甲\n");
    let err = ledger.refused(&["import", dup.to_str().unwrap()]);
    assert!(
        err.contains("dup.csv:3: voucher_no: 凭证号 X1在同一批导入中重复出现"),
        "{err}"
    );
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
}

/// The keys a batch has seen are shared by every file of it: the second file's copy of a voucher
/// (one row among many new ones) is found, and so is a duplicate thousands of rows apart.
#[test]
fn a_voucher_in_two_files_of_one_batch_is_refused() {
    let ledger = TestLedger::new();
    let first = ledger.file("a.csv", &common::payments_csv(3000, "A"));
    let mut second = common::payments_csv(3000, "B");
    second.push_str("A00000007,2022-01-08,gov_fund,2290402,project,107.07,收款人7\n");
    second.push_str("B00000002,2022-03-03,gov_fund,2290402,project,102.02,收款人2\n");
    let second = ledger.file("b.csv", &second);
    let err = ledger.refused(&["import", first.to_str().unwrap(), second.to_str().unwrap()]);
    assert!(
        err.contains("b.csv:3002: voucher_no: 凭证号 A00000007在同一批导入中重复出现"),
        "{err}"
    );
    assert!(
        err.contains("b.csv:3003: voucher_no: 凭证号 B00000002在同一批导入中重复出现"),
        "{err}"
    );
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
    ledger.ok(&["import", first.to_str().unwrap()]);
    let again = ledger.ok_stderr(&["import", first.to_str().unwrap()]);
    assert!(again.contains("新记账 0 条，已存在 3000 条"), "{again}");
}

/// A batch of more rows than one transaction holds (store::batch) is still all or nothing: a row
/// repeated in a later file, identical to one stored transactions before, is refused as a duplicate
/// in the batch (not skipped as posted before), and a bad row at the end leaves the ledger as it was.
#[test]
fn a_batch_larger_than_one_transaction_is_still_all_or_nothing() {
    let ledger = TestLedger::new();
    let big = common::payments_csv(12_000, "A");
    let first = ledger.file("a.csv", &big);
    let copied_row = big.lines().nth(8).unwrap();
    assert!(copied_row.starts_with("A00000007,"));
    let mut second = common::payments_csv(10, "B");
    second.push_str(copied_row);
    second.push('\n');
    let second = ledger.file("b.csv", &second);
    let err = ledger.refused(&["import", first.to_str().unwrap(), second.to_str().unwrap()]);
    assert!(
        err.contains("b.csv:12: voucher_no: 凭证号 A00000007在同一批导入中重复出现"),
        "{err}"
    );
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);

    ledger.import(&[&first]);
    let posted = ledger.head();
    assert_eq!(posted.0, common::INIT_ENTRIES + 12_000);
    let mut bad = common::payments_csv(12_000, "C");
    bad.push_str("C99999999,2022-05-01,gov_fund,2290402,project,12x.00,收款人\n");
    let bad = ledger.file("c.csv", &bad);
    let err = ledger.refused(&["import", bad.to_str().unwrap()]);
    assert!(err.contains("c.csv:12002: amount:"), "{err}");
    assert_eq!(ledger.head(), posted);
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    let expected: i64 = (0..12_000i64)
        .map(|i| (100 + i % 9000) * 100 + i % 100)
        .sum();
    assert_eq!(
        t["total"]["expense"],
        format!("{}.{:02}", expected / 100, expected % 100)
    );
}

#[test]
fn closed_period_refuses_postings_inside_and_changes_nothing() {
    let ledger = two_year();
    ledger.ok(&["close", "--through", "2022-12-31"]);
    let (count, head) = ledger.head();
    let inside = ledger.file("late.csv", "voucher_no,date,fund,function_code,expense_type,amount,payee\nL-1,2022-12-31,gov_fund,2290402,project,10.00,甲\n");
    let err = ledger.refused(&["import", inside.to_str().unwrap()]);
    assert!(
        err.contains("late.csv:2: date: 日期 2022-12-31 所在期间已结账（已结账至 2022-12-31）"),
        "{err}"
    );
    let err = ledger.refused(&[
        "reverse",
        "--voucher",
        "P22-1",
        "--date",
        "2022-12-30",
        "--reason",
        "迟到的冲销",
    ]);
    assert!(err.contains("已结账"), "{err}");
    assert_eq!(ledger.head(), (count, head));
    let after = ledger.file("ok.csv", "voucher_no,date,fund,function_code,expense_type,amount,payee\nL-2,2023-01-01,gov_fund,2290402,project,10.00,甲\n");
    ledger.import(&[&after]);
    assert_eq!(ledger.head().0, count + 1);
}

#[test]
fn a_batch_with_one_bad_file_posts_nothing() {
    let ledger = TestLedger::new();
    let good = fixture("two-year");
    let bad = ledger.file("bad.csv", "voucher_no,date,fund,function_code,expense_type,amount,payee\nB-1,2022-03-01,gov_fund,2290402,project,1.234,甲\nB-2,2022-02-30,gov_fund,2290402,project,5,甲\n");
    let err = ledger.refused(&["import", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert!(
        err.contains("bad.csv:2: amount: “1.234”超过两位小数"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:3: date: “2022-02-30”不是存在的日期"),
        "{err}"
    );
    assert!(err.contains("台账未作任何改动"), "{err}");
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
}

#[test]
fn reversal_across_the_year_end_counts_in_its_own_year() {
    let ledger = two_year();
    let t22 = ledger.json(&["report", "table7", "--year", "2022"]);
    let row = |t: &serde_json::Value, code: &str| {
        t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&t22, "2290402")["expense"], "18000000.55");
    let t23 = ledger.json(&["report", "table7", "--year", "2023"]);
    assert_eq!(row(&t23, "2290402")["expense"], "7000000.00");
    assert_eq!(row(&t23, "2290402")["opening"], "31999999.45");
    let err = ledger.refused(&[
        "reverse",
        "--voucher",
        "P22-4",
        "--date",
        "2023-02-01",
        "--reason",
        "再冲一次",
    ]);
    assert!(err.contains("凭证号 P22-4 已冲销过，不能再次冲销"), "{err}");
    let err = ledger.refused(&[
        "reverse",
        "--voucher",
        "NOPE",
        "--date",
        "2023-02-01",
        "--reason",
        "x",
    ]);
    assert!(err.contains("没有已记账的收入或支出"), "{err}");
}

#[test]
fn post_one_payment_from_the_command_line() {
    let ledger = two_year();
    let out = ledger.ok_stderr(&[
        "post",
        "payment",
        "--voucher-no",
        "P23-9",
        "--date",
        "2023-07-01",
        "--fund",
        "政府性基金预算",
        "--function-code",
        "2290402",
        "--expense-type",
        "项目支出",
        "--amount",
        "1,000.50",
        "--payee",
        "某公司",
        "--bond-code",
        "TB-01",
        "--project-code",
        "P2",
        "--purpose",
        "建设",
    ]);
    assert!(out.contains("新记账 1 条"), "{out}");
    let log = ledger.ok(&["log", "--format", "json"]);
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "payment");
    assert_eq!(last["source"], "命令行");
    assert_eq!(last["operator"], "测试员");
    assert_eq!(last["body"]["payment"]["amount"], "1000.50");
    for key in ["seq", "recorded_at", "hash", "prev_hash"] {
        assert!(last.get(key).is_some(), "{key} in {last}");
    }
    let misuse = ledger
        .cmd(&["post", "payment", "--voucher", "x"])
        .output()
        .unwrap();
    assert_eq!(misuse.status.code(), Some(2));
}

#[test]
fn unknown_function_code_needs_a_name_and_its_parents() {
    let ledger = TestLedger::new();
    let file = ledger.file(
        "r.csv",
        "voucher_no,date,fund,function_code,amount\nN-1,2022-01-05,gov_fund,2130199,100\n",
    );
    let err = ledger.refused(&["import", file.to_str().unwrap()]);
    assert!(
        err.contains("r.csv:2: 功能分类科目名称: 科目 2130199 不在目录中"),
        "{err}"
    );
    assert!(err.contains("上级 21301（款）不在目录中"), "{err}");
    let catalog = ledger.file(
        "catalog.csv",
        "科目编码,科目名称\n213,农林水支出\n21301,农业农村\n",
    );
    let named = ledger.file("r2.csv", "voucher_no,date,fund,function_code,function_name,amount\nN-1,2022-01-05,gov_fund,2130199,其他农业农村支出,100\n");
    ledger.import(&[&catalog, &named]);
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    assert_eq!(t["rows"][2]["name"], "其他农业农村支出");
    let renamed = ledger.file("c2.csv", "code,name\n21301,农业\n");
    let err = ledger.refused(&["import", renamed.to_str().unwrap()]);
    assert!(err.contains("不能改为“农业”"), "{err}");
}

#[test]
fn ledger_file_is_private_and_init_refuses_an_existing_one() {
    let ledger = TestLedger::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&ledger.path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let err = ledger.refused(&["init"]);
    assert!(err.contains("已存在"), "{err}");
}

/// Starts an import of a large file in the background.
fn start_large_import(ledger: &TestLedger, rows: usize) -> std::process::Child {
    let big = ledger.file("big.csv", &payments_csv(rows, "K"));
    std::process::Command::new(assert_cmd::cargo::cargo_bin("taizhang"))
        .arg("--ledger")
        .arg(&ledger.path)
        .args(["import", big.to_str().unwrap(), "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the import starts")
}

#[test]
fn a_second_process_is_refused_at_once_while_one_holds_the_ledger() {
    let ledger = TestLedger::new();
    let mut import = start_large_import(&ledger, 200_000);
    // Let the import open the ledger first: a probe that came first would make the import the one refused.
    std::thread::sleep(Duration::from_millis(500));
    let mut saw_busy = false;
    while import.try_wait().unwrap().is_none() {
        let started = Instant::now();
        let out = ledger.cmd(&["verify"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("正被另一个 taizhang 进程使用") {
            assert_eq!(out.status.code(), Some(1));
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the refusal must come at once"
            );
            saw_busy = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    import.wait().unwrap();
    assert!(
        saw_busy,
        "the import finished before a second process could be refused"
    );
    assert_eq!(ledger.head().0, common::INIT_ENTRIES + 200_000);
}

#[test]
fn kill_9_during_a_large_import_leaves_the_ledger_before_or_after() {
    let ledger = TestLedger::new();
    ledger.import(&[&fixture("two-year")]);
    let (before, _) = ledger.head();
    let rows = 100_000;
    let mut killed_while_running = 0;
    for delay_ms in [150u64, 400, 900, 1500] {
        let mut import = start_large_import(&ledger, rows);
        std::thread::sleep(Duration::from_millis(delay_ms));
        if import.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        import.kill().unwrap();
        import.wait().unwrap();
        let (count, _) = ledger.head();
        assert!(
            count == before || count == before + rows as u64,
            "after kill at {delay_ms} ms: {count} entries"
        );
        if count != before {
            break;
        }
    }
    assert!(
        killed_while_running > 0,
        "no kill landed while the import was running"
    );
    // Whatever the kills left, importing again completes the batch exactly once.
    let big = ledger.dir.path().join("big.csv");
    ledger.import(&[&big]);
    assert_eq!(ledger.head().0, before + rows as u64);
    let t = ledger.json(&["report", "table7", "--year", "2022"]);
    let expected: i64 = (0..rows as i64)
        .map(|i| (100 + i % 9000) * 100 + i % 100)
        .sum::<i64>()
        + 1_800_000_055;
    let row = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "2290402")
        .unwrap()
        .clone();
    assert_eq!(
        row["expense"],
        format!("{}.{:02}", expected / 100, expected % 100)
    );
}

#[test]
fn post_a_contract_an_amendment_and_a_bond_from_the_command_line() {
    let ledger = TestLedger::new();
    ledger.ok(&[
        "post",
        "contract",
        "--contract-no",
        "HT-1",
        "--title",
        "测试合同",
        "--sign-date",
        "2024-03-01",
        "--category",
        "服务",
        "--method",
        "询价",
        "--fund",
        "一般公共预算",
        "--supplier-name",
        "某小微公司",
        "--size",
        "微型",
        "--share-amount",
        "50,000.00",
    ]);
    ledger.ok(&[
        "post",
        "amendment",
        "--contract-no",
        "HT-1",
        "--date",
        "2024-06-01",
        "--supplier-name",
        "某小微公司",
        "--delta",
        "-10000",
        "--reason",
        "减量",
    ]);
    let err = ledger.refused(&[
        "post",
        "amendment",
        "--contract-no",
        "HT-1",
        "--date",
        "2024-07-01",
        "--supplier-name",
        "某小微公司",
        "--delta",
        "-40000.01",
        "--reason",
        "超减",
    ]);
    assert!(
        err.contains("命令行:1: --delta: 变更后该供应商分配金额为 -0.01，不得为负"),
        "{err}"
    );
    ledger.ok(&[
        "post",
        "bond",
        "--bond-code",
        "B-1",
        "--bond-name",
        "测试债",
        "--issue-date",
        "2024-01-10",
        "--term-years",
        "3",
        "--coupon-rate",
        "2.5",
        "--frequency",
        "annual",
        "--project-code",
        "P",
        "--project-name",
        "项目",
        "--amount",
        "1000000",
    ]);
    let p = ledger.json(&["report", "procurement", "--year", "2024"]);
    assert_eq!(p["total"], "40000.00");
    assert_eq!(p["small_micro_pct_of_sme"], "100.0");
    let s = ledger.json(&["bond", "schedule", "B-1"]);
    assert_eq!(s["rows"][2]["principal"], "1000000.00");
    assert_eq!(s["rows"][0]["interest"], "25000.00");
}

#[test]
fn closing_goes_forward_only() {
    let ledger = TestLedger::new();
    ledger.ok(&["close", "--through", "2022-12-31"]);
    let (count, head) = ledger.head();
    let err = ledger.refused(&["close", "--through", "2022-06-30"]);
    assert!(
        err.contains("--through: 已结账至 2022-12-31，不能结账到更早的 2022-06-30"),
        "{err}"
    );
    assert_eq!(ledger.head(), (count, head));
    // The same day again is already posted; a later one moves the closing on.
    assert!(ledger
        .ok_stderr(&["close", "--through", "2022-12-31"])
        .contains("已存在 1 条"));
    ledger.ok(&["close", "--through", "2023-03-31"]);
}
