//! Text taken strictly (issue 14, item 8): keys compared in NFC, invisible and bidirectional
//! characters and control characters refused in every stored text, amounts without underscores, a
//! repeated option refused, plausible years only.

mod common;

use common::{two_year, TestLedger};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

const HEADER: &str = "voucher_no,date,fund,function_code,expense_type,amount,payee";

/// `post payment` with these fields after the usual ones.
fn post_payment<'a>(voucher: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "post",
        "payment",
        "--voucher-no",
        voucher,
        "--date",
        "2022-03-01",
        "--fund",
        "gov_fund",
        "--function-code",
        "2290402",
        "--expense-type",
        "project",
    ];
    args.extend(more);
    args
}

#[test]
fn a_decomposed_voucher_is_the_same_voucher_as_its_composed_form() {
    let ledger = TestLedger::new();
    let row = |voucher: &str| {
        format!("{HEADER}\n{voucher},2022-01-05,gov_fund,2290402,project,10.00,Café Zoë\n")
    };
    let composed = ledger.file("nfc.csv", &row("Café-1"));
    let decomposed = ledger.file("nfd.csv", &row("Cafe\u{301}-1").nfd().collect::<String>());
    ledger.import(&[&composed]);
    let again = ledger.import(&[&decomposed]);
    assert!(again.contains("新记账 0 条，已存在 1 条"), "{again}");
    // The same voucher with another amount is a conflict, not a second voucher.
    let other = ledger.file(
        "nfd_other.csv",
        &row("Cafe\u{301}-1").replace("10.00", "20.00"),
    );
    let err = ledger.refused(&["import", other.to_str().unwrap()]);
    assert!(err.contains("nfd_other.csv:2:"), "{err}");
    assert_eq!(ledger.head().0, 1 + common::INIT_ENTRIES);
    let log = ledger.ok(&["log", "--format", "json"]);
    assert!(log.contains("\"voucher_no\":\"Café-1\""), "{log}");
    assert!(log.contains("\"payee\":\"Café Zoë\""), "{log}");
}

#[test]
fn invisible_and_bidirectional_characters_are_refused_in_options_with_their_place() {
    let ledger = TestLedger::new();
    for (payee, what) in [
        ("某\u{200b}公司", "第 2 个字符是零宽空格（U+200B）"),
        ("某公司\u{202e}", "第 4 个字符是双向文本控制符（U+202E）"),
        ("\u{2066}某公司", "第 1 个字符是双向文本控制符（U+2066）"),
        ("某公司\u{2028}X", "第 4 个字符是行分隔符（U+2028）"),
        ("某\u{1b}[31m公司", "第 2 个字符是转义符（ESC）（U+001B）"),
    ] {
        let err = ledger.refused(&post_payment("V-1", &["--amount", "1", "--payee", payee]));
        assert!(err.contains(&format!("命令行:1: --payee: {what}")), "{err}");
    }
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
}

#[test]
fn control_characters_are_refused_in_operator_reason_and_unit() {
    let ledger = two_year();
    let before = ledger.head();
    let file = ledger.file(
        "op.csv",
        &format!("{HEADER}\nO-1,2023-02-01,gov_fund,2290402,project,1.00,某公司\n"),
    );
    let err = ledger.refused(&[
        "import",
        "--operator",
        "张三\n伪造行",
        file.to_str().unwrap(),
    ]);
    assert!(
        err.contains("--operator: 第 3 个字符是换行（U+000A）"),
        "{err}"
    );
    let err = ledger.refused(&[
        "reverse",
        "--voucher",
        "P22-1",
        "--date",
        "2023-02-01",
        "--reason",
        "录入错误\u{1b}[2J",
    ]);
    assert!(err.contains("--reason: "), "{err}");
    assert!(err.contains("转义符（ESC）"), "{err}");
    let err = ledger.refused(&[
        "post",
        "--operator",
        "\u{202e}张三",
        "catalog",
        "--code",
        "229",
        "--name",
        "其他",
    ]);
    assert!(
        err.contains("--operator: 第 1 个字符是双向文本控制符"),
        "{err}"
    );
    assert_eq!(ledger.head(), before);

    let fresh = TestLedger::uninitialised();
    let err = fresh.refused(&["init", "--unit", "青山区\r\n大数据中心"]);
    assert!(err.contains("--unit: 第 4 个字符是换行（U+000D）"), "{err}");
    let err = fresh.refused(&["init", "--unit", "青山区", "--short-name", "青山\u{7}"]);
    assert!(
        err.contains("--short-name: 第 3 个字符是控制字符（U+0007）"),
        "{err}"
    );
    assert!(!fresh.path.exists(), "no ledger is made");
}

#[test]
fn a_reversal_names_the_voucher_option_as_it_is_typed() {
    let ledger = two_year();
    let err = ledger.refused(&[
        "reverse",
        "--voucher",
        "NO-SUCH",
        "--date",
        "2023-02-01",
        "--reason",
        "测试",
    ]);
    assert!(err.contains("命令行:1: --voucher: "), "{err}");
    assert!(!err.contains("--voucher-no"), "{err}");
}

#[test]
fn amounts_with_underscores_are_refused() {
    let ledger = TestLedger::new();
    for amount in ["1_000.00", "9_9"] {
        let err = ledger.refused(&post_payment(
            "U-1",
            &["--amount", amount, "--payee", "某公司"],
        ));
        assert!(
            err.contains(&format!("--amount: “{amount}”不是金额")),
            "{err}"
        );
    }
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
    let out = ledger
        .cmd(&[
            "classify",
            "--industry",
            "软件和信息技术服务业",
            "--people",
            "10",
            "--revenue",
            "1_000",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("营业收入“1_000”不是数"), "{err}");
}

#[test]
fn a_repeated_option_is_misuse_not_the_last_one_wins() {
    let ledger = TestLedger::new();
    let out = ledger
        .cmd(&post_payment(
            "R-1",
            &["--amount", "1", "--payee", "某公司", "--amount", "2"],
        ))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("选项 --amount 重复出现"), "{err}");
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
}

#[test]
fn years_outside_1990_to_2100_are_refused_everywhere() {
    let ledger = TestLedger::new();
    let err = ledger.refused(&["close", "--through", "9999-12-31"]);
    assert!(
        err.contains("--through: “9999-12-31”的年份不在 1990 至 2100 年之间"),
        "{err}"
    );
    let err = ledger.refused(&[
        "post",
        "payment",
        "--voucher-no",
        "Y-1",
        "--date",
        "0000-01-01",
        "--fund",
        "gov_fund",
        "--function-code",
        "2290402",
        "--expense-type",
        "project",
        "--amount",
        "1",
        "--payee",
        "某公司",
    ]);
    assert!(
        err.contains("--date: “0000-01-01”的年份不在 1990 至 2100 年之间"),
        "{err}"
    );
    let reports: [&[&str]; 3] = [
        &["report", "table7", "--year", "24"],
        &["report", "contracts", "--year", "9999"],
        &["export", "--year", "0", "--out", "x"],
    ];
    for args in reports {
        let out = ledger.cmd(args).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("年份不在 1990 至 2100 年之间"), "{err}");
    }
    let out = ledger
        .cmd(&["report", "bond-use", "--quarter", "9999Q1"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("年份不在 1990 至 2100 年之间"), "{err}");
    assert_eq!(ledger.head().0, common::INIT_ENTRIES);
}

/// What no stored text may hold (issue 14, item 8), listed here apart from the program's own list.
fn invisible_or_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{61c}' | '\u{2028}' | '\u{2029}')
}

/// Text for a field: any characters but NUL (which no command line can carry), with the forbidden
/// and the decomposable ones often.
fn field_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '\u{200b}', '\u{202e}', '\u{2066}', '\u{2028}', '\u{feff}', '\u{1b}', '\n', '\r', '\t',
        '\u{301}', '\u{308}', 'e', 'A', '甲', '　', ' ', '\u{61c}', '\u{85}', '=',
    ]);
    let any = any::<char>().prop_filter("no NUL on a command line", |c| *c != '\0');
    prop::collection::vec(prop_oneof![special, any], 0..10)
        .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Random text in every text field of a posted payment (voucher, payee, memo, operator) is
    /// stored exactly as typed (trimmed, in NFC) or the post is refused with a message that names
    /// the option, and the ledger is unchanged.
    #[test]
    fn random_text_in_every_field_round_trips_as_nfc_or_is_refused(
        voucher in field_text(), payee in field_text(), memo in field_text(), operator in field_text()
    ) {
        let ledger = TestLedger::new();
        let voucher_arg = format!("--voucher-no=P{voucher}");
        let payee_arg = format!("--payee={payee}");
        let memo_arg = format!("--memo={memo}");
        let operator_arg = format!("--operator={operator}");
        let args = [
            "post", &operator_arg, "payment", &voucher_arg, "--date", "2022-03-01", "--fund", "gov_fund",
            "--function-code", "2290402", "--expense-type", "project", "--amount", "1",
            &payee_arg, &memo_arg,
        ];
        let out = ledger.cmd(&args).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        if out.status.success() {
            let log = ledger.ok(&["log", "--format", "json"]);
            // The last line: the payment, after the unit entry `init` writes.
            let entry: serde_json::Value =
                serde_json::from_str(log.trim().lines().last().unwrap()).unwrap();
            let stored = |field: &str| entry["body"]["payment"][field].as_str().unwrap().to_string();
            let expected = |text: &str| text.trim().nfc().collect::<String>();
            prop_assert_eq!(stored("voucher_no"), expected(&format!("P{voucher}")));
            prop_assert_eq!(stored("payee"), expected(&payee));
            prop_assert_eq!(stored("memo"), expected(&memo));
            prop_assert_eq!(entry["operator"].as_str().unwrap(), expected(&operator));
            for text in [stored("voucher_no"), stored("payee"), stored("memo"), operator.clone()] {
                prop_assert!(!text.chars().any(invisible_or_control), "stored {:?}", text);
            }
        } else {
            prop_assert_eq!(out.status.code(), Some(1), "{}", err);
            prop_assert!(
                ["--voucher-no", "--payee", "--memo", "--operator"].iter().any(|o| err.contains(o)),
                "the message names the option: {}", err
            );
            prop_assert!(err.contains("台账未作任何改动"), "{}", err);
            prop_assert_eq!(ledger.head().0, common::INIT_ENTRIES);
        }
    }
}

#[test]
fn a_bond_code_asked_for_decomposed_finds_the_bond() {
    let ledger = TestLedger::new();
    let file = ledger.file(
        "bond.csv",
        "bond_code,bond_name,issue_date,term_years,coupon_rate,frequency,project_code,project_name,amount\nGB-Café,债券,2021-03-15,10,3.10,annual,P1,项目,1000.00\n",
    );
    ledger.import(&[&file]);
    let decomposed: String = "GB-Café".nfd().collect();
    let schedule = ledger.ok(&["bond", "schedule", &decomposed]);
    assert!(schedule.contains("GB-Café"), "{schedule}");
}

#[test]
fn the_unit_command_takes_names_as_strictly_as_init() {
    let ledger = TestLedger::new();
    let (count, head) = ledger.head();
    for name in [
        "\u{1b}[2J伪造单位",
        "a\u{202e}b",
        "a\u{200b}b",
        "a\u{2028}b",
        " ",
        "\u{3000}",
    ] {
        let err = ledger.refused(&["unit", "--name", name]);
        assert!(err.contains("--name"), "{name:?}: {err}");
    }
    let err = ledger.refused(&[
        "unit",
        "--name",
        "青山区数据局",
        "--short-name",
        "\u{1b}]0;x\u{7}",
    ]);
    assert!(err.contains("--short-name"), "{err}");
    assert_eq!(ledger.head(), (count, head));
    // Stored in NFC, like every other text.
    ledger.ok(&["unit", "--name", "Cafe\u{301}"]);
    let log = ledger.ok(&["log", "--format", "json"]);
    assert!(log.contains("Caf\u{e9}"), "{log}");
}
