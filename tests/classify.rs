//! `taizhang classify` for each of the sixteen industries of 工信部联企业〔2011〕300号, at each line of
//! its table and just below it (the SME ceiling, 中型, 小型), through the binary; and the declared
//! figures of a contract in an industry the program used to refuse (物业管理).

mod common;

use common::TestLedger;

/// Runs `classify` with "people revenue assets" (a `-` leaves the figure out) and checks the size.
fn check(industry: &str, figures: &str, expect: &str) {
    let mut args = vec!["classify", "--industry", industry];
    let options = ["--people", "--revenue", "--assets"];
    for (option, value) in options.into_iter().zip(figures.split_whitespace()) {
        if value != "-" {
            args.extend([option, value]);
        }
    }
    let out = TestLedger::uninitialised().ok(&args);
    assert_eq!(out.trim(), expect, "classify {args:?}");
}

#[test]
fn every_industry_at_and_just_below_each_line() {
    // 一 农、林、牧、渔业: revenue only; ceiling 20000, 中型 500, 小型 50.
    check("农、林、牧、渔业", "- 20000 -", "大型");
    check("农林牧渔业", "- 19999.99 -", "中型");
    check("agriculture", "- 500 -", "中型");
    check("农、林、牧、渔业", "- 499.99 -", "小型");
    check("农、林、牧、渔业", "- 50 -", "小型");
    check("农、林、牧、渔业", "- 49.99 -", "微型");
    // 二 工业: people 1000 / 300 / 20, revenue 40000 / 2000 / 300.
    check("工业", "1000 40000 -", "大型");
    check("工业", "999 40000 -", "中型");
    check("工业", "1000 39999.99 -", "中型");
    check("工业", "300 2000 -", "中型");
    check("工业", "299 2000 -", "小型");
    check("工业", "300 1999.99 -", "小型");
    check("工业", "20 300 -", "小型");
    check("工业", "19 300 -", "微型");
    check("工业", "20 299.99 -", "微型");
    // 三 建筑业: revenue 80000 / 6000 / 300, assets 80000 / 5000 / 300.
    check("建筑业", "- 80000 80000", "大型");
    check("建筑业", "- 79999.99 80000", "中型");
    check("建筑业", "- 80000 79999.99", "中型");
    check("建筑业", "- 6000 5000", "中型");
    check("建筑业", "- 5999.99 5000", "小型");
    check("建筑业", "- 6000 4999.99", "小型");
    check("建筑业", "- 300 300", "小型");
    check("建筑业", "- 299.99 300", "微型");
    check("建筑业", "- 300 299.99", "微型");
    // 四 批发业: people 200 / 20 / 5, revenue 40000 / 5000 / 1000.
    check("批发业", "200 40000 -", "大型");
    check("批发业", "199 40000 -", "中型");
    check("批发业", "200 39999.99 -", "中型");
    check("批发业", "20 5000 -", "中型");
    check("批发业", "19 5000 -", "小型");
    check("批发业", "20 4999.99 -", "小型");
    check("批发业", "5 1000 -", "小型");
    check("批发业", "4 1000 -", "微型");
    check("批发业", "5 999.99 -", "微型");
    // 五 零售业: people 300 / 50 / 10, revenue 20000 / 500 / 100.
    check("零售业", "300 20000 -", "大型");
    check("零售业", "299 20000 -", "中型");
    check("零售业", "300 19999.99 -", "中型");
    check("零售业", "50 500 -", "中型");
    check("零售业", "49 500 -", "小型");
    check("零售业", "50 499.99 -", "小型");
    check("零售业", "10 100 -", "小型");
    check("零售业", "9 100 -", "微型");
    check("零售业", "10 99.99 -", "微型");
    // 六 交通运输业: people 1000 / 300 / 20, revenue 30000 / 3000 / 200.
    check("交通运输业", "1000 30000 -", "大型");
    check("交通运输业", "999 30000 -", "中型");
    check("交通运输业", "1000 29999.99 -", "中型");
    check("交通运输业", "300 3000 -", "中型");
    check("交通运输业", "299 3000 -", "小型");
    check("交通运输业", "300 2999.99 -", "小型");
    check("交通运输业", "20 200 -", "小型");
    check("交通运输业", "19 200 -", "微型");
    check("交通运输业", "20 199.99 -", "微型");
    // 七 仓储业: people 200 / 100 / 20, revenue 30000 / 1000 / 100.
    check("仓储业", "200 30000 -", "大型");
    check("仓储业", "199 30000 -", "中型");
    check("仓储业", "200 29999.99 -", "中型");
    check("仓储业", "100 1000 -", "中型");
    check("仓储业", "99 1000 -", "小型");
    check("仓储业", "100 999.99 -", "小型");
    check("仓储业", "20 100 -", "小型");
    check("仓储业", "19 100 -", "微型");
    check("仓储业", "20 99.99 -", "微型");
    // 八 邮政业: people 1000 / 300 / 20, revenue 30000 / 2000 / 100.
    check("邮政业", "1000 30000 -", "大型");
    check("邮政业", "999 30000 -", "中型");
    check("邮政业", "1000 29999.99 -", "中型");
    check("邮政业", "300 2000 -", "中型");
    check("邮政业", "299 2000 -", "小型");
    check("邮政业", "300 1999.99 -", "小型");
    check("邮政业", "20 100 -", "小型");
    check("邮政业", "19 100 -", "微型");
    check("邮政业", "20 99.99 -", "微型");
    // 九 住宿业: people 300 / 100 / 10, revenue 10000 / 2000 / 100.
    check("住宿业", "300 10000 -", "大型");
    check("住宿业", "299 10000 -", "中型");
    check("住宿业", "300 9999.99 -", "中型");
    check("住宿业", "100 2000 -", "中型");
    check("住宿业", "99 2000 -", "小型");
    check("住宿业", "100 1999.99 -", "小型");
    check("住宿业", "10 100 -", "小型");
    check("住宿业", "9 100 -", "微型");
    check("住宿业", "10 99.99 -", "微型");
    // 十 餐饮业: the same lines as 住宿业.
    check("餐饮业", "300 10000 -", "大型");
    check("餐饮业", "299 10000 -", "中型");
    check("餐饮业", "300 9999.99 -", "中型");
    check("餐饮业", "100 2000 -", "中型");
    check("餐饮业", "99 2000 -", "小型");
    check("餐饮业", "100 1999.99 -", "小型");
    check("餐饮业", "10 100 -", "小型");
    check("餐饮业", "9 100 -", "微型");
    check("餐饮业", "10 99.99 -", "微型");
    // 十一 信息传输业: people 2000 / 100 / 10, revenue 100000 / 1000 / 100.
    check("信息传输业", "2000 100000 -", "大型");
    check("信息传输业", "1999 100000 -", "中型");
    check("信息传输业", "2000 99999.99 -", "中型");
    check("信息传输业", "100 1000 -", "中型");
    check("信息传输业", "99 1000 -", "小型");
    check("信息传输业", "100 999.99 -", "小型");
    check("信息传输业", "10 100 -", "小型");
    check("信息传输业", "9 100 -", "微型");
    check("信息传输业", "10 99.99 -", "微型");
    // 十二 软件和信息技术服务业: people 300 / 100 / 10, revenue 10000 / 1000 / 50.
    check("软件和信息技术服务业", "300 10000 -", "大型");
    check("软件和信息技术服务业", "299 10000 -", "中型");
    check("软件和信息技术服务业", "300 9999.99 -", "中型");
    check("软件和信息技术服务业", "100 1000 -", "中型");
    check("软件和信息技术服务业", "99 1000 -", "小型");
    check("软件和信息技术服务业", "100 999.99 -", "小型");
    check("软件和信息技术服务业", "10 50 -", "小型");
    check("软件和信息技术服务业", "9 50 -", "微型");
    check("软件和信息技术服务业", "10 49.99 -", "微型");
    // 十三 房地产开发经营: revenue 200000 / 1000 / 100, assets 10000 / 5000 / 2000.
    check("房地产开发经营", "- 200000 10000", "大型");
    check("房地产开发经营", "- 199999.99 10000", "中型");
    check("房地产开发经营", "- 200000 9999.99", "中型");
    check("房地产开发经营", "- 1000 5000", "中型");
    check("房地产开发经营", "- 999.99 5000", "小型");
    check("房地产开发经营", "- 1000 4999.99", "小型");
    check("房地产开发经营", "- 100 2000", "小型");
    check("房地产开发经营", "- 99.99 2000", "微型");
    check("房地产开发经营", "- 100 1999.99", "微型");
    // 十四 物业管理: people 1000 / 300 / 100, revenue 5000 / 1000 / 500.
    check("物业管理", "1000 5000 -", "大型");
    check("物业管理", "999 5000 -", "中型");
    check("物业管理", "1000 4999.99 -", "中型");
    check("物业管理", "300 1000 -", "中型");
    check("物业管理", "299 1000 -", "小型");
    check("物业管理", "300 999.99 -", "小型");
    check("物业管理", "100 500 -", "小型");
    check("物业管理", "99 500 -", "微型");
    check("物业管理", "100 499.99 -", "微型");
    // 十五 租赁和商务服务业: people 300 / 100 / 10, assets 120000 / 8000 / 100.
    check("租赁和商务服务业", "300 - 120000", "大型");
    check("租赁和商务服务业", "299 - 120000", "中型");
    check("租赁和商务服务业", "300 - 119999.99", "中型");
    check("租赁和商务服务业", "100 - 8000", "中型");
    check("租赁和商务服务业", "99 - 8000", "小型");
    check("租赁和商务服务业", "100 - 7999.99", "小型");
    check("租赁和商务服务业", "10 - 100", "小型");
    check("租赁和商务服务业", "9 - 100", "微型");
    check("租赁和商务服务业", "10 - 99.99", "微型");
    // 十六 其他未列明行业: people only; ceiling 300, 中型 100, 小型 10.
    check("其他未列明行业", "300 - -", "大型");
    check("其他未列明行业", "299 - -", "中型");
    check("other", "100 - -", "中型");
    check("其他未列明行业", "99 - -", "小型");
    check("其他未列明行业", "10 - -", "小型");
    check("其他未列明行业", "9 - -", "微型");
}

/// An industry named in other words is refused with the sixteen to pick from (domain.md).
#[test]
fn an_industry_in_other_words_is_answered_with_the_sixteen() {
    let out = TestLedger::uninitialised()
        .cmd(&["classify", "--industry", "保洁服务", "--people", "50"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("“保洁服务”"), "{stderr}");
    for industry in [
        "农、林、牧、渔业",
        "工业",
        "建筑业",
        "批发业",
        "零售业",
        "交通运输业",
        "仓储业",
        "邮政业",
        "住宿业",
        "餐饮业",
        "信息传输业",
        "软件和信息技术服务业",
        "房地产开发经营",
        "物业管理",
        "租赁和商务服务业",
        "其他未列明行业",
    ] {
        assert!(stderr.contains(industry), "{industry} missing: {stderr}");
    }
}

/// A cleaning company's declaration under 物业管理 is posted; a size its figures contradict warns.
#[test]
fn a_contract_declared_under_property_management_is_posted() {
    let ledger = TestLedger::new();
    let contracts = ledger.file(
        "c.csv",
        "contract_no,title,sign_date,category,method,fund,supplier_name,size,share_amount,industry,people,revenue\n\
         BJ-1,保洁服务,2023-03-01,服务,询价,一般公共预算,甲保洁公司,小型,50000.00,物业管理,120,600\n\
         BJ-2,保洁服务,2023-03-02,服务,询价,一般公共预算,乙保洁公司,小型,60000.00,物业管理,99,600\n",
    );
    let stderr = ledger.import(&[&contracts]);
    assert!(
        stderr.contains("c.csv:3") && stderr.contains("声明为小型") && stderr.contains("对应微型"),
        "{stderr}"
    );
    assert!(!stderr.contains("c.csv:2"), "{stderr}");
    let report = ledger.json(&["report", "contracts", "--year", "2023"]);
    assert_eq!(report["rows"].as_array().unwrap().len(), 2, "{report}");
}

/// In an import, a declaration's industry in other words is refused at its row with the sixteen.
#[test]
fn an_import_names_the_sixteen_for_an_industry_in_other_words() {
    let ledger = TestLedger::new();
    let contracts = ledger.file(
        "c.csv",
        "contract_no,title,sign_date,category,method,fund,supplier_name,size,share_amount,industry,people,revenue\n\
         BJ-1,保洁服务,2023-03-01,服务,询价,一般公共预算,甲保洁公司,小型,50000.00,保洁服务,120,600\n",
    );
    let stderr = ledger.refused(&["import", contracts.to_str().unwrap()]);
    assert!(
        stderr.contains("c.csv:2") && stderr.contains("“保洁服务”"),
        "{stderr}"
    );
    assert!(
        stderr.contains("物业管理（property_management）")
            && stderr.contains("其他未列明行业（other）"),
        "{stderr}"
    );
}
