//! `taizhang demo`: the main job on the bundled example, in a temporary ledger, with no set-up.

use taizhang_core::Role;
use taizhang_store::{HashAlgo, Ledger, UnitNames};

use crate::cli::{Format, ShareOf, TextFormat};
use crate::output::out;
use crate::reports::{self, ReportRequest};
use crate::tally;
use taizhang_posting as posting;

/// The example's files, compiled in so that the demo runs from anywhere.
const EXAMPLE: [(&str, &str); 5] = [
    (
        "bonds.csv",
        include_str!("../ledger-data/qingshan-2022/bonds.csv"),
    ),
    (
        "contracts.csv",
        include_str!("../ledger-data/qingshan-2022/contracts.csv"),
    ),
    (
        "acceptances.csv",
        include_str!("../ledger-data/qingshan-2022/acceptances.csv"),
    ),
    (
        "receipts.csv",
        include_str!("../ledger-data/qingshan-2022/receipts.csv"),
    ),
    (
        "payments.csv",
        include_str!("../ledger-data/qingshan-2022/payments.csv"),
    ),
];

/// The demo's people for `demo --serve`: name, role, password (shown on the terminal: a demo on
/// the loopback address only).
const DEMO_USERS: [(&str, Role, &str); 5] = [
    ("会计", Role::Maker, "demo-会计-2022"),
    ("复核", Role::Checker, "demo-复核-2022"),
    ("审计", Role::Auditor, "demo-审计-2022"),
    ("主任", Role::Viewer, "demo-主任-2022"),
    ("管理员", Role::Admin, "demo-管理员-2022"),
];

/// `demo`, then with `serve` the web workspace on the demo ledger until Ctrl-C.
pub fn run(serve: Option<String>) -> anyhow::Result<bool> {
    let dir = tempfile::tempdir()?;
    let (ledger, sound) = walk_through(dir.path())?;
    let Some(listen) = serve else {
        return Ok(sound);
    };
    section("10. 网页工作台（按 Ctrl-C 结束）");
    for (name, role, password) in DEMO_USERS {
        let hash = taizhang_web::auth::hash_password(password).map_err(|e| anyhow::anyhow!(e))?;
        let credentials = taizhang_store::Credentials {
            password: Some(hash),
            tokens: Vec::new(),
        };
        ledger.change_user((name, role, true), Some(&credentials), "demo", "demo")?;
        out(&format!("用户 {name}（{}）口令 {password}\n", role.label()));
    }
    let options = taizhang_web::ServeOptions {
        listen,
        tls: None,
        insecure_http: false,
    };
    taizhang_web::serve(options, ledger, |url| {
        out(&format!("请在浏览器中打开 {url}\n"));
    })?;
    Ok(sound)
}

/// The main job on the bundled example, in a ledger in `dir`.
fn walk_through(dir: &std::path::Path) -> anyhow::Result<(Ledger, bool)> {
    let data = dir.join("qingshan-2022");
    std::fs::create_dir(&data)?;
    for (name, text) in EXAMPLE {
        std::fs::write(data.join(name), text)?;
    }
    let ledger_path = dir.join("demo.ledger");
    let unit = UnitNames {
        full: "武汉市青山区大数据中心".into(),
        short: "青山区大数据中心".into(),
    };
    let ledger = Ledger::init(&ledger_path, unit, HashAlgo::Sm3)?;
    section("1. 导入随附示例（ledger-data/qingshan-2022）");
    let options = posting::ImportOptions::default();
    let (committed, tally) =
        posting::import(&ledger, std::slice::from_ref(&data), None, "demo", options)?;
    if !tally::report(&tally, committed, false) {
        return Ok((ledger, false));
    }
    section("2. 再导入一次：已记账的行跳过，不重复记账");
    let (committed, tally) = posting::import(&ledger, &[data], None, "demo", options)?;
    tally::report(&tally, committed, false);
    show(
        &ledger,
        "3. 表7 政府性基金预算财政拨款收入支出决算表",
        ReportRequest::Table7 {
            year: 2022,
            format: TextFormat::Table,
        },
    )?;
    show(
        &ledger,
        "4. 第三部分 七 的文字说明",
        ReportRequest::Table7 {
            year: 2022,
            format: TextFormat::Text,
        },
    )?;
    show(
        &ledger,
        "5. 政府采购支出情况",
        ReportRequest::Procurement {
            year: 2022,
            format: TextFormat::Text,
            share_of: ShareOf::Sme,
        },
    )?;
    show(
        &ledger,
        "6. 专项债券资金使用情况（2022Q4）",
        ReportRequest::BondUse {
            quarter: "2022Q4".into(),
            format: Format::Table,
        },
    )?;
    clocks(&ledger)?;
    section("9. 校验哈希链与不变量");
    let sound = crate::verify(&ledger, None)?;
    Ok((ledger, sound))
}

/// The clocks and checks of issue 17 on the example's illustrative acceptances and notice dates.
fn clocks(ledger: &Ledger) -> anyhow::Result<()> {
    let year_end = chrono::NaiveDate::from_ymd_opt(2022, 12, 31).unwrap_or_default();
    show(
        ledger,
        "7. 中小企业款项支付期限（截至 2022-12-31）与逾期公示",
        ReportRequest::PaymentClock {
            as_of: year_end,
            format: Format::Table,
        },
    )?;
    reports::run(
        ledger,
        ReportRequest::Overdue {
            year: 2022,
            format: TextFormat::Text,
        },
    )?;
    show(
        ledger,
        "8. 政府采购合规检查（2022 年签订的合同）",
        ReportRequest::ProcurementChecks {
            year: 2022,
            format: Format::Table,
        },
    )
}

fn section(title: &str) {
    out(&format!("\n== {title} ==\n"));
}

fn show(ledger: &Ledger, title: &str, request: ReportRequest) -> anyhow::Result<()> {
    section(title);
    reports::run(ledger, request)
}
