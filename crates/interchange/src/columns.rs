//! The columns of each import file kind (interchange.md): English key, Chinese name, required or not.

use taizhang_core::Kind;

#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub key: &'static str,
    pub chinese: &'static str,
    pub required: bool,
}

const fn req(key: &'static str, chinese: &'static str) -> Column {
    Column {
        key,
        chinese,
        required: true,
    }
}

const fn opt(key: &'static str, chinese: &'static str) -> Column {
    Column {
        key,
        chinese,
        required: false,
    }
}

const BONDS: &[Column] = &[
    req("bond_code", "债券编码"),
    req("bond_name", "债券名称"),
    req("issue_date", "发行日期"),
    opt("value_date", "起息日"),
    req("term_years", "期限"),
    req("coupon_rate", "票面利率"),
    req("frequency", "付息频率"),
    opt("amortization", "提前还本"),
    req("project_code", "项目编码"),
    req("project_name", "项目名称"),
    req("amount", "分配金额"),
];

const CONTRACTS: &[Column] = &[
    req("contract_no", "合同编号"),
    req("title", "合同名称"),
    req("sign_date", "签订日期"),
    req("category", "采购类别"),
    req("method", "采购方式"),
    req("fund", "资金性质"),
    opt("project_code", "项目编码"),
    req("supplier_name", "供应商名称"),
    opt("uscc", "统一社会信用代码"),
    req("size", "企业规模"),
    opt("special", "特殊主体"),
    req("share_amount", "分配金额"),
    opt("industry", "行业"),
    opt("people", "从业人员"),
    opt("revenue", "营业收入"),
    opt("assets", "资产总额"),
    opt("payment_terms_days", "付款期限（天）"),
    opt("late_interest_daily_pct", "逾期日利率（%）"),
    opt("budget", "预算金额"),
    opt("reserved", "预留金额"),
    opt("reserved_small_micro", "预留小微企业金额"),
    opt("notice_date", "合同公告日期"),
];

const ACCEPTANCES: &[Column] = &[
    req("contract_no", "合同编号"),
    req("supplier_name", "供应商名称"),
    req("date", "日期"),
    req("basis", "依据"),
    req("amount", "应付金额"),
    opt("memo", "摘要"),
];

const AMENDMENTS: &[Column] = &[
    req("contract_no", "合同编号"),
    req("date", "日期"),
    req("supplier_name", "供应商名称"),
    opt("delta", "变更金额"),
    req("reason", "原因"),
    opt("size", "企业规模"),
    opt("special", "特殊主体"),
];

const RECEIPTS: &[Column] = &[
    req("voucher_no", "凭证号"),
    req("date", "日期"),
    req("fund", "资金性质"),
    req("function_code", "功能分类科目编码"),
    opt("function_name", "功能分类科目名称"),
    req("amount", "金额"),
    opt("bond_code", "债券编码"),
    opt("project_code", "项目编码"),
    opt("memo", "摘要"),
];

const PAYMENTS: &[Column] = &[
    req("voucher_no", "凭证号"),
    req("date", "日期"),
    req("fund", "资金性质"),
    req("function_code", "功能分类科目编码"),
    opt("function_name", "功能分类科目名称"),
    req("expense_type", "支出类型"),
    req("amount", "金额"),
    opt("project_code", "项目编码"),
    opt("contract_no", "合同编号"),
    opt("bond_code", "债券编码"),
    opt("purpose", "用途"),
    req("payee", "收款人"),
    opt("memo", "摘要"),
    opt("econ_code", "经济分类科目编码"),
];

const OPENING: &[Column] = &[
    req("year", "年度"),
    req("fund", "资金性质"),
    req("function_code", "功能分类科目编码"),
    opt("function_name", "功能分类科目名称"),
    req("amount", "金额"),
    opt("adjust_reason", "调整原因"),
];

const CATALOG: &[Column] = &[req("code", "科目编码"), req("name", "科目名称")];

/// The kinds a file can hold, in dependency order: every kind but reversals, closes, the unit's
/// names, users, settings, reviews and attachments, which are commands, not files.
pub fn file_kinds() -> impl Iterator<Item = Kind> {
    Kind::ALL.into_iter().filter(|k| !command_only(*k))
}

/// The kinds that no import file holds.
fn command_only(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Reversal
            | Kind::Close
            | Kind::Unit
            | Kind::User
            | Kind::Setting
            | Kind::Review
            | Kind::Attachment
    )
}

pub fn columns(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::Bond => BONDS,
        Kind::Contract => CONTRACTS,
        Kind::Amendment => AMENDMENTS,
        Kind::Acceptance => ACCEPTANCES,
        Kind::Receipt => RECEIPTS,
        Kind::Payment => PAYMENTS,
        Kind::Opening => OPENING,
        Kind::Catalog => CATALOG,
        Kind::Reversal
        | Kind::Close
        | Kind::Unit
        | Kind::User
        | Kind::Setting
        | Kind::Review
        | Kind::Attachment => &[],
    }
}

/// The column a header cell names in this kind: English key (any case) or Chinese name.
pub fn find(kind: Kind, header: &str) -> Option<&'static Column> {
    let header = header.trim();
    columns(kind)
        .iter()
        .find(|c| c.chinese == header || c.key.eq_ignore_ascii_case(header))
}

/// The Chinese name of a column key in a kind, for messages about columns a file does not have.
pub fn chinese(kind: Kind, key: &str) -> &'static str {
    columns(kind)
        .iter()
        .find(|c| c.key == key)
        .map_or("", |c| c.chinese)
}

/// The kind whose columns a header fits: every cell known and every required column present.
pub fn detect(headers: &[String]) -> Option<Kind> {
    file_kinds().find(|&kind| {
        headers.iter().all(|h| find(kind, h).is_some())
            && columns(kind).iter().filter(|c| c.required).all(|c| {
                headers
                    .iter()
                    .any(|h| find(kind, h).is_some_and(|f| f.key == c.key))
            })
    })
}
