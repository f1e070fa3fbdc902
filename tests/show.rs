//! `taizhang show`: a voucher with its reversal, a contract with everything that refers to it.

mod common;

use common::{example, TestLedger};

fn example_ledger() -> TestLedger {
    let ledger = TestLedger::new();
    ledger.import(&[&example()]);
    ledger
}

#[test]
fn a_voucher_shows_every_field_its_source_and_chain_and_its_reversal() {
    let ledger = example_ledger();
    let text = ledger.ok(&["show", "付-2022-003"]);
    for expected in [
        "支出  凭证号 付-2022-003",
        "金额（amount）：24,000,000.00 元",
        "资金性质（fund）：政府性基金预算",
        "用途（purpose）：建设",
        "payments.csv:4",
        "操作员：测试员",
        "+08:00",
        "前一哈希：",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    assert!(!text.contains("已被冲销"), "{text}");
    ledger.ok(&[
        "reverse",
        "--voucher",
        "付-2022-003",
        "--date",
        "2022-12-31",
        "--reason",
        "重复支付",
    ]);
    let text = ledger.ok(&["show", "付-2022-003"]);
    assert!(text.contains("已被冲销"), "{text}");
    assert!(text.contains("原因（reason）：重复支付"), "{text}");
    let json = ledger.json(&["show", "付-2022-003"]);
    assert_eq!(json["entry"]["body"]["payment"]["amount"], "24000000.00");
    assert_eq!(
        json["reversed_by"]["body"]["reversal"]["reason"],
        "重复支付"
    );
    // The hashes shown are the chain's: the entry's hash is the next entry's previous hash.
    let log: Vec<serde_json::Value> = ledger
        .ok(&["log", "--format", "json"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let seq = json["entry"]["seq"].as_u64().expect("a seq") as usize;
    assert_eq!(json["entry"]["hash"], log[seq - 1]["hash"]);
    assert_eq!(log[seq]["prev_hash"], json["entry"]["hash"]);
}

#[test]
fn a_contract_shows_its_parts_amendments_payments_and_their_reversals() {
    let ledger = example_ledger();
    let amendment = ledger.file(
        "补充.csv",
        "contract_no,date,supplier_name,delta,reason\nQS-2022-001,2022-12-01,示例网络工程有限公司,\"1,000.00\",增加\n",
    );
    ledger.import(&[&amendment]);
    ledger.ok(&[
        "reverse",
        "--voucher",
        "付-2022-003",
        "--date",
        "2022-12-31",
        "--reason",
        "重复支付",
    ]);
    let json = ledger.json(&["show", "QS-2022-001"]);
    let count = |k: &str| json[k].as_array().map_or(0, Vec::len);
    assert_eq!(count("parts"), 3);
    assert_eq!(count("amendments"), 1);
    let payments: Vec<&str> = json["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .filter_map(|p| p["body"]["payment"]["voucher_no"].as_str())
        .collect();
    assert!(payments.contains(&"付-2022-003"), "{payments:?}");
    assert!(payments
        .iter()
        .all(|v| ledger.ok(&["show", v]).contains("QS-2022-001")));
    assert_eq!(count("reversals"), 1);
    let text = ledger.ok(&["show", "QS-2022-001"]);
    assert!(text.contains("【补充协议】1 条"), "{text}");
    assert!(text.contains("【支付的冲销】1 条"), "{text}");
}

#[test]
fn a_name_of_nothing_is_refused() {
    let ledger = example_ledger();
    let stderr = ledger.refused(&["show", "付-2099-001"]);
    assert!(
        stderr.contains("没有凭证号或合同编号为“付-2099-001”的记录"),
        "{stderr}"
    );
}

/// A receipt of 10 元 with this voucher and memo.
fn post_receipt(ledger: &TestLedger, voucher: &str, memo: &str) {
    ledger.ok(&[
        "post",
        "receipt",
        "--voucher-no",
        voucher,
        "--date",
        "2022-06-01",
        "--fund",
        "gov_fund",
        "--function-code",
        "2290402",
        "--amount",
        "10",
        "--memo",
        memo,
    ]);
}

#[test]
fn a_changed_record_is_shown_with_a_warning_and_exit_one() {
    let ledger = TestLedger::new();
    post_receipt(&ledger, "R-1", "ZQXJWVKP");
    post_receipt(&ledger, "R-2", "later");
    // The first record's memo changed in the file, same length: not the newest, so only its own
    // hash tells.
    let mut bytes = std::fs::read(&ledger.path).unwrap();
    let at = bytes
        .windows(8)
        .position(|w| w == b"ZQXJWVKP")
        .expect("the memo is stored as written");
    bytes[at + 7] = b'Q';
    std::fs::write(&ledger.path, bytes).unwrap();
    let err = ledger.refused(&["show", "R-1"]);
    assert!(err.contains("内容与它的哈希不符"), "{err}");
    let fine = ledger.ok_stderr(&["show", "R-2"]);
    assert!(!fine.contains("哈希不符"), "{fine}");
}

#[test]
fn log_says_when_a_record_it_prints_was_changed() {
    let ledger = TestLedger::new();
    post_receipt(&ledger, "R-1", "ZQXJWVKP");
    post_receipt(&ledger, "R-2", "later");
    assert!(ledger.ok_stderr(&["log"]).is_empty());
    let mut bytes = std::fs::read(&ledger.path).unwrap();
    let at = bytes.windows(8).position(|w| w == b"ZQXJWVKP").unwrap();
    bytes[at] = b'A';
    std::fs::write(&ledger.path, bytes).unwrap();
    for format in ["table", "json"] {
        let err = ledger.refused(&["log", "--format", format]);
        assert!(
            err.contains("1 条记录的内容与其哈希不符（第一条：第 2 条）"),
            "{err}"
        );
    }
}
