//! Every report in each of its outside forms: the sheet (table, CSV, xlsx), the JSON of
//! interchange.md, and the running text of the final accounts.

use serde_json::{json, Value};
use taizhang_core::{Amount, Category, Level, Purpose};
use taizhang_projection::bond::{BondUse, Coupon};
use taizhang_projection::contracts::ContractRow;
use taizhang_projection::opening::AdjustmentRow;
use taizhang_projection::procurement::Procurement;
use taizhang_projection::table7::{Columns, Table7, Use, COLUMN_KEYS};

use crate::layout::{pct, text_wan, wan_json, yuan, Cell, Sheet};

/// Names of the unit: full for tables, short for running text.
#[derive(Clone, Debug)]
pub struct Unit {
    pub full: String,
    pub short: String,
}

pub const TAIL_NOTE: &str = "本套报表金额单位转换时可能存在尾数误差。";

const COLUMN_LABELS: [&str; 6] = [
    "年初结转和结余",
    "本年收入",
    "本年支出小计",
    "基本支出",
    "项目支出",
    "年末结转和结余",
];

/// The Chinese name of a table-7 column key ("closing" → 年末结转和结余), as people read it.
pub fn column_label(key: &str) -> &'static str {
    COLUMN_KEYS
        .iter()
        .position(|k| *k == key)
        .map_or("", |i| COLUMN_LABELS[i])
}

pub fn table7_sheet(t: &Table7, unit: &Unit) -> Sheet {
    let money = |c: &Columns| c.values().into_iter().map(Cell::Wan).collect::<Vec<_>>();
    let mut rows = vec![[vec![Cell::text("合计"), Cell::text("")], money(&t.total)].concat()];
    rows.extend(t.rows.iter().map(|r| {
        [
            vec![Cell::text(r.code.to_string()), Cell::text(&r.name)],
            money(&r.columns),
        ]
        .concat()
    }));
    let mut notes = vec![
        "注：本表反映部门本年度政府性基金预算财政拨款收入、支出及结转和结余情况。".to_string(),
        "6栏各行＝（1＋2－3）栏各行；3栏各行＝（4＋5）栏各行。".to_string(),
        TAIL_NOTE.to_string(),
    ];
    notes.extend(t.tail_differences.iter().map(|d| {
        let column = column_label(d.column);
        format!(
            "尾差：{} {}：本行 {} 万元，下级合计 {} 万元",
            d.code, column, d.parent, d.sum_of_children
        )
    }));
    notes.extend(
        t.broken_identities
            .iter()
            .map(|b| format!("错误：恒等式不成立（{b}），请运行 taizhang verify 并报告此问题")),
    );
    Sheet {
        title: format!("{} 年度政府性基金预算财政拨款收入支出决算表", t.year),
        caption: vec![format!("部门：{}", unit.full), "单位：万元".to_string()],
        header: vec![
            [
                "项目",
                "项目",
                "年初结转和结余",
                "本年收入",
                "本年支出",
                "本年支出",
                "本年支出",
                "年末结转和结余",
            ]
            .map(String::from)
            .to_vec(),
            [
                "功能分类科目编码",
                "科目名称",
                "年初结转和结余",
                "本年收入",
                "小计",
                "基本支出",
                "项目支出",
                "年末结转和结余",
            ]
            .map(String::from)
            .to_vec(),
            ["栏次", "", "1", "2", "3", "4", "5", "6"]
                .map(String::from)
                .to_vec(),
        ],
        rows,
        notes,
    }
}

fn columns_json(c: &Columns) -> serde_json::Map<String, Value> {
    COLUMN_KEYS
        .iter()
        .zip(c.values())
        .map(|(k, v)| (k.to_string(), json!(yuan(v))))
        .collect()
}

pub fn table7_json(t: &Table7, unit: &Unit) -> Value {
    let rows: Vec<Value> = t
        .rows
        .iter()
        .map(|r| {
            let mut row = serde_json::Map::new();
            row.insert("code".into(), json!(r.code.to_string()));
            row.insert("name".into(), json!(r.name));
            row.insert("level".into(), json!(r.level.label()));
            row.extend(columns_json(&r.columns));
            Value::Object(row)
        })
        .collect();
    let tails: Vec<Value> = t
        .tail_differences
        .iter()
        .map(|d| json!({"code": d.code, "column": d.column, "parent": wan_json(d.parent), "sum_of_children": wan_json(d.sum_of_children)}))
        .collect();
    json!({"year": t.year, "unit": unit.full, "rows": rows, "total": columns_json(&t.total), "tail_differences": tails, "broken_identities": t.broken_identities})
}

/// The explanation paragraph of the final accounts (第三部分 七).
pub fn table7_text(
    t: &Table7,
    unit: &Unit,
    uses: &std::collections::BTreeMap<taizhang_core::ClassCode, Vec<Use>>,
) -> String {
    let c = &t.total;
    let mut text = format!(
        "{}年度{}政府性基金预算财政拨款年初结转和结余{}万元，本年收入{}万元，本年支出{}万元，年末结转和结余{}万元。",
        t.year,
        unit.short,
        text_wan(c.opening),
        text_wan(c.income),
        text_wan(c.expense),
        text_wan(c.closing)
    );
    if c.expense < Amount::ZERO {
        text.push_str(NEGATIVE_TOTAL);
    }
    let spent: Vec<_> = t
        .rows
        .iter()
        .filter(|r| r.level == Level::Lei && !r.columns.expense.is_zero())
        .collect();
    if spent.is_empty() {
        return text;
    }
    text.push_str("具体支出情况为：");
    for (i, row) in spent.iter().enumerate() {
        let uses: Vec<String> = uses
            .get(&row.code)
            .into_iter()
            .flatten()
            .map(use_phrase)
            .filter(|phrase| !phrase.is_empty())
            .collect();
        text.push_str(&format!(
            "\n（{}）{}。支出决算为{}万元",
            chinese_ordinal(i + 1),
            row.name,
            text_wan(row.columns.expense)
        ));
        if row.columns.expense < Amount::ZERO {
            text.push_str(NEGATIVE_ROW);
        } else if !uses.is_empty() {
            text.push_str(&format!("，主要用于{}", uses.join("，")));
        }
        text.push('。');
    }
    text
}

/// Why a year's expense can be below zero: a 红字冲销 dated this year of a payment of an earlier year
/// subtracts in this year (cash basis), and may outweigh what was paid this year.
const NEGATIVE_TOTAL: &str =
    "本年支出为负数，是因为本年红字冲销了以前年度已列的支出，冲减额大于本年的支出。";
const NEGATIVE_ROW: &str = "，为负数：本年红字冲销了以前年度已列的支出，冲减额大于本年的支出";

/// "智慧新青山（一期）城市运行管理平台专项债券利息及专项债券发行相关费用". A purpose whose amount
/// is below zero this year (reversals of earlier years' payments) is not something money was used for.
fn use_phrase(u: &Use) -> String {
    let purposes: Vec<&str> = u
        .purposes
        .iter()
        .filter(|(_, amount)| *amount > Amount::ZERO)
        .map(|(p, _)| purpose_phrase(*p))
        .collect();
    if purposes.is_empty() {
        return String::new();
    }
    let project = u.project.as_deref().unwrap_or("");
    let purposes = join_with_ji(&purposes);
    // "一号项目" + "项目建设" reads "一号项目建设", not "一号项目项目建设".
    match purposes.strip_prefix("项目") {
        Some(rest) if project.ends_with("项目") => format!("{project}{rest}"),
        _ => format!("{project}{purposes}"),
    }
}

fn purpose_phrase(p: Purpose) -> &'static str {
    match p {
        Purpose::Construction => "项目建设",
        Purpose::Interest => "专项债券利息",
        Purpose::IssueFee => "专项债券发行相关费用",
        Purpose::Other => "其他相关支出",
    }
}

/// "甲", "甲及乙", "甲、乙及丙".
fn join_with_ji(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{}及{}", rest.join("、"), last),
    }
}

fn chinese_ordinal(n: usize) -> String {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => DIGITS[n].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", DIGITS[n - 10]),
        _ => n.to_string(),
    }
}

/// Which denominator the small/micro share is worded against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmallMicroShareOf {
    Sme,
    Total,
}

pub fn procurement_text(p: &Procurement, unit: &Unit, share_of: SmallMicroShareOf) -> String {
    let all = p.all;
    if all.total.is_zero() {
        return format!("{}年度{}无政府采购支出。", p.year, unit.short);
    }
    let parts: Vec<String> = p
        .by_category
        .iter()
        .filter(|(_, f)| !f.total.is_zero())
        .map(|(c, f)| format!("政府采购{}支出{}万元", c.label(), text_wan(f.total)))
        .collect();
    let mut text = format!(
        "{}年度{}政府采购支出总额{}万元，其中：{}。",
        p.year,
        unit.short,
        text_wan(all.total),
        parts.join("、")
    );
    text.push_str(&format!(
        "授予中小企业合同金额{}万元，占政府采购支出总额的{}%",
        text_wan(all.sme),
        pct(all.sme_pct().unwrap_or_default())
    ));
    let small_micro_share = match share_of {
        SmallMicroShareOf::Sme => p
            .small_micro_pct_of_sme()
            .map(|v| format!("，占授予中小企业合同金额的{}%", pct(v))),
        SmallMicroShareOf::Total => p
            .small_micro_pct_of_total()
            .map(|v| format!("，占政府采购支出总额的{}%", pct(v))),
    };
    text.push_str(&format!(
        "，其中：授予小微企业合同金额{}万元{}；",
        text_wan(all.small_micro),
        small_micro_share.unwrap_or_default()
    ));
    let clauses: Vec<String> = p
        .by_category
        .iter()
        .filter(|(_, f)| !f.total.is_zero())
        .map(|(c, f)| {
            format!(
                "{0}采购授予中小企业合同金额占{0}支出金额的{1}%",
                c.label(),
                pct(f.sme_pct().unwrap_or_default())
            )
        })
        .collect();
    text.push_str(&clauses.join("，"));
    text.push('。');
    text
}

fn pct_json(value: Option<rust_decimal::Decimal>) -> Value {
    value.map_or(Value::Null, |v| json!(pct(v)))
}

pub fn procurement_json(p: &Procurement, unit: &Unit, share_of: SmallMicroShareOf) -> Value {
    let by_category: serde_json::Map<String, Value> = p
        .by_category
        .iter()
        .map(|(c, f)| (c.key().to_string(), json!({"total": yuan(f.total), "sme": yuan(f.sme), "small_micro": yuan(f.small_micro), "sme_pct": pct_json(f.sme_pct())})))
        .collect();
    json!({
        "year": p.year,
        "total": yuan(p.all.total),
        "goods": yuan(p.category(Category::Goods).total),
        "works": yuan(p.category(Category::Works).total),
        "services": yuan(p.category(Category::Services).total),
        "sme": yuan(p.all.sme),
        "sme_pct": pct_json(p.all.sme_pct()),
        "small_micro": yuan(p.all.small_micro),
        "small_micro_pct_of_sme": pct_json(p.small_micro_pct_of_sme()),
        "small_micro_pct_of_total": pct_json(p.small_micro_pct_of_total()),
        "by_category": by_category,
        "text": procurement_text(p, unit, share_of),
    })
}

pub fn procurement_sheet(p: &Procurement, unit: &Unit) -> Sheet {
    let percent = Cell::Percent;
    let mut rows = vec![vec![
        Cell::text("政府采购支出总额"),
        Cell::Wan(p.all.total),
        Cell::text(""),
    ]];
    for (c, f) in &p.by_category {
        rows.push(vec![
            Cell::text(format!("  其中：{}", c.label())),
            Cell::Wan(f.total),
            Cell::text(""),
        ]);
    }
    rows.push(vec![
        Cell::text("授予中小企业合同金额（占总额）"),
        Cell::Wan(p.all.sme),
        percent(p.all.sme_pct()),
    ]);
    rows.push(vec![
        Cell::text("  其中：授予小微企业合同金额（占中小企业）"),
        Cell::Wan(p.all.small_micro),
        percent(p.small_micro_pct_of_sme()),
    ]);
    rows.push(vec![
        Cell::text("  授予小微企业合同金额（占总额）"),
        Cell::Wan(p.all.small_micro),
        percent(p.small_micro_pct_of_total()),
    ]);
    for (c, f) in &p.by_category {
        rows.push(vec![
            Cell::text(format!(
                "{}采购授予中小企业（占{}支出）",
                c.label(),
                c.label()
            )),
            Cell::Wan(f.sme),
            percent(f.sme_pct()),
        ]);
    }
    Sheet {
        title: format!("{} 年度政府采购支出情况", p.year),
        caption: vec![format!("部门：{}", unit.full), "单位：万元".to_string()],
        header: vec![vec!["项目".into(), "金额".into(), "占比".into()]],
        rows,
        notes: vec![TAIL_NOTE.to_string(), "中小企业＝中型＋小型＋微型；小微企业＝小型＋微型；监狱企业、残疾人福利性单位视同小微企业。".to_string()],
    }
}

pub fn bond_use_json(b: &BondUse) -> Value {
    let rows: Vec<Value> = b
        .rows
        .iter()
        .map(|r| {
            json!({
                "bond_code": r.bond_code, "bond_name": r.bond_name, "project_code": r.project_code, "project_name": r.project_name,
                "allocated": yuan(r.allocated), "received_to_date": yuan(r.received_to_date),
                "spent_quarter": yuan(r.spent_quarter), "spent_to_date": yuan(r.spent_to_date),
                "progress_pct": format!("{:.2}", r.progress_pct), "unspent": yuan(r.unspent),
                "interest_quarter": yuan(r.interest_quarter), "interest_to_date": yuan(r.interest_to_date),
                "fees_to_date": yuan(r.fees_to_date),
                "next_coupon_date": r.next_coupon.map(|(d, _)| d.to_string()),
                "next_coupon_amount": r.next_coupon.map(|(_, a)| yuan(a)),
            })
        })
        .collect();
    json!({"quarter": b.quarter.to_string(), "rows": rows})
}

pub fn bond_use_sheet(b: &BondUse, unit: &Unit) -> Sheet {
    let rows = b
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.bond_code),
                Cell::text(&r.bond_name),
                Cell::text(format!("{} {}", r.project_code, r.project_name)),
                Cell::Yuan(r.allocated),
                Cell::Yuan(r.received_to_date),
                Cell::Yuan(r.spent_quarter),
                Cell::Yuan(r.spent_to_date),
                Cell::Percent(Some(r.progress_pct)),
                Cell::Yuan(r.unspent),
                Cell::Yuan(r.interest_quarter),
                Cell::Yuan(r.interest_to_date),
                Cell::Yuan(r.fees_to_date),
                Cell::text(r.next_coupon.map_or(String::new(), |(d, _)| d.to_string())),
                r.next_coupon.map_or(Cell::text(""), |(_, a)| Cell::Yuan(a)),
            ]
        })
        .collect();
    Sheet {
        title: format!("{} 专项债券资金使用情况", b.quarter),
        caption: vec![format!("部门：{}", unit.full), "单位：元".to_string()],
        header: vec![[
            "债券编码", "债券名称", "项目", "分配金额", "累计到位", "本季支出", "累计支出", "支出进度", "结余资金", "本季付息", "累计付息", "累计发行费", "下次付息日", "下次付息金额",
        ]
        .map(String::from)
        .to_vec()],
        rows,
        notes: vec!["支出指用途为“建设”的支出；结余资金＝累计到位－用途为建设或其他的支出（利息和发行费由预算安排，不占债券资金）。".to_string()],
    }
}

pub fn schedule_json(bond_code: &str, coupons: &[Coupon]) -> Value {
    let rows: Vec<Value> = coupons
        .iter()
        .map(|c| json!({"date": c.date.to_string(), "interest": yuan(c.interest), "principal": yuan(c.principal), "outstanding": yuan(c.outstanding)}))
        .collect();
    json!({"bond_code": bond_code, "rows": rows})
}

pub fn schedule_sheet(bond_code: &str, name: &str, face: Amount, coupons: &[Coupon]) -> Sheet {
    let rows = coupons
        .iter()
        .map(|c| {
            vec![
                Cell::text(c.date.to_string()),
                Cell::Yuan(c.interest),
                Cell::Yuan(c.principal),
                Cell::Yuan(c.outstanding),
            ]
        })
        .collect();
    Sheet {
        title: format!("{bond_code} {name} 还本付息计划"),
        caption: vec![
            format!(
                "本单位分配额：{} 元",
                crate::layout::grouped(face.decimal())
            ),
            "单位：元".to_string(),
        ],
        header: vec![["日期", "利息", "本金", "剩余本金"]
            .map(String::from)
            .to_vec()],
        rows,
        notes: Vec::new(),
    }
}

pub fn contracts_json(year: i32, rows: &[ContractRow]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "contract_no": r.terms.no, "title": r.terms.title, "sign_date": r.terms.sign_date.to_string(),
                "category": r.terms.category.key(), "suppliers": r.suppliers,
                "amount": yuan(r.amount), "paid": yuan(r.paid), "remaining": yuan(r.remaining), "overpaid": r.overpaid,
            })
        })
        .collect();
    json!({"year": year, "rows": rows})
}

pub fn contracts_sheet(year: i32, rows: &[ContractRow], unit: &Unit) -> Sheet {
    let rows = rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.terms.no),
                Cell::text(&r.terms.title),
                Cell::text(r.terms.sign_date.to_string()),
                Cell::text(r.terms.category.label()),
                Cell::text(r.suppliers.join("、")),
                Cell::Yuan(r.amount),
                Cell::Yuan(r.paid),
                Cell::Yuan(r.remaining),
                Cell::text(if r.overpaid { "超付" } else { "" }),
            ]
        })
        .collect();
    Sheet {
        title: format!("{year} 年度合同执行情况"),
        caption: vec![
            format!("部门：{}", unit.full),
            format!("截至 {year}-12-31，单位：元"),
        ],
        header: vec![[
            "合同编号",
            "合同名称",
            "签订日期",
            "类别",
            "供应商",
            "合同金额",
            "累计支付",
            "未付金额",
            "提示",
        ]
        .map(String::from)
        .to_vec()],
        rows,
        notes: vec!["合同金额含截至年末的补充协议变更。".to_string()],
    }
}

/// The 年初结转和结余调整情况表 as interchange.md's JSON: exact 元, the reason's English key (null when
/// none was given).
pub fn opening_adjustments_json(year: i32, rows: &[AdjustmentRow]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "fund": r.fund.key(), "code": r.code.as_str(), "name": r.name,
                "carried": yuan(r.carried), "given": yuan(r.given), "adjustment": yuan(r.adjustment),
                "reason": r.reason.map(|reason| reason.key()),
            })
        })
        .collect();
    json!({"year": year, "rows": rows})
}

/// The 年初结转和结余调整情况表 in 万元, as the final accounts publish it.
pub fn opening_adjustments_sheet(year: i32, rows: &[AdjustmentRow], unit: &Unit) -> Sheet {
    let body = rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(r.fund.label()),
                Cell::text(r.code.as_str()),
                Cell::text(&r.name),
                Cell::Wan(r.carried),
                Cell::Wan(r.given),
                Cell::Wan(r.adjustment),
                Cell::text(r.reason.map_or("（未填）", |reason| reason.label())),
            ]
        })
        .collect();
    let mut notes = vec![TAIL_NOTE.to_string()];
    if rows.is_empty() {
        notes.insert(0, format!("{year} 年度没有年初结转和结余调整。"));
    }
    Sheet {
        title: format!("{year} 年度年初结转和结余调整情况表"),
        caption: vec![format!("部门：{}", unit.full), "单位：万元".to_string()],
        header: vec![[
            "资金性质",
            "科目编码",
            "科目名称",
            "上年结转",
            "本年填报",
            "调整金额",
            "调整原因",
        ]
        .map(String::from)
        .to_vec()],
        rows: body,
        notes,
    }
}

/// An entry that counts in a table-7 cell, as [`table7_cell_json`] shows it.
#[derive(Clone, Copy, Debug)]
pub struct CellEntryView<'a> {
    pub seq: u64,
    pub source: &'a str,
    pub body: &'a taizhang_core::Body,
    /// For a reversal: the receipt or payment it reverses.
    pub reverses: Option<&'a taizhang_core::Body>,
    /// What the entry adds to the cell, signed.
    pub contribution: Amount,
}

/// The JSON of a table-7 cell with the entries that make it up (`GET /api/table7/cell`):
/// `{"year", "code", "column", "value", "entries": [{"seq", "kind", "voucher_no", "date", "amount",
/// "contribution", "payee", "memo", "source", "reverses"}]}`. `amount` is the entry's own (an opening
/// balance's; a reversal's is the reversed amount, negative, as 红字), `contribution` what it adds to
/// the cell; the contributions add up to `value`. `date` is the date that counts (1 January for an
/// opening balance). `payee`, `memo` and `reverses` (a reversal's voucher) only where the entry has them.
/// `next_after_seq` (null when the entries are all there) continues a page of them.
pub fn table7_cell_json(
    cell: &taizhang_projection::cell::Cell,
    value: Amount,
    entries: &[CellEntryView<'_>],
    next_after_seq: Option<u64>,
) -> Value {
    let entries: Vec<Value> = entries.iter().map(cell_entry_json).collect();
    json!({
        "year": cell.year,
        "code": cell.row.code(),
        "column": cell.column.key(),
        "value": yuan(value),
        "entries": entries,
        "next_after_seq": next_after_seq,
    })
}

fn cell_entry_json(e: &CellEntryView<'_>) -> Value {
    use taizhang_core::Body;
    let mut out = serde_json::Map::new();
    out.insert("seq".into(), json!(e.seq));
    out.insert("kind".into(), json!(e.body.kind().key()));
    let (voucher, amount, payee, memo) = match (e.body, e.reverses) {
        (Body::Receipt(r), _) => (Some(&r.voucher_no), Some(r.amount), None, Some(&r.memo)),
        (Body::Payment(p), _) => (
            Some(&p.voucher_no),
            Some(p.amount),
            Some(&p.payee),
            Some(&p.memo),
        ),
        (Body::Reversal(r), Some(original)) => (
            Some(&r.voucher_no),
            own_amount(original).map(|a| -a),
            None,
            None,
        ),
        (Body::Reversal(r), None) => (Some(&r.voucher_no), None, None, None),
        (Body::Opening(o), _) => (None, Some(o.amount), None, None),
        _ => (None, None, None, None),
    };
    out.insert("voucher_no".into(), json!(voucher));
    out.insert(
        "date".into(),
        json!(e.body.period_date().map(|d| d.to_string())),
    );
    out.insert("amount".into(), json!(amount.map(yuan)));
    out.insert("contribution".into(), json!(yuan(e.contribution)));
    if let Some(payee) = payee {
        out.insert("payee".into(), json!(payee));
    }
    if let Some(memo) = memo.filter(|m| !m.is_empty()) {
        out.insert("memo".into(), json!(memo));
    }
    if let Body::Reversal(r) = e.body {
        out.insert("reverses".into(), json!(r.voucher_no));
        out.insert("reason".into(), json!(r.reason));
    }
    out.insert("source".into(), json!(e.source));
    Value::Object(out)
}

fn own_amount(body: &taizhang_core::Body) -> Option<Amount> {
    match body {
        taizhang_core::Body::Receipt(r) => Some(r.amount),
        taizhang_core::Body::Payment(p) => Some(p.amount),
        _ => None,
    }
}

/// The JSON of a journal page (`GET /api/entries`): `{"entries": […], "next_after_seq": N | null}`,
/// the entries as `log --format json` writes them (the store's `EntryLine`), newest first.
pub fn entries_page_json(
    entries: impl IntoIterator<Item = Value>,
    next_after_seq: Option<u64>,
) -> Value {
    let entries: Vec<Value> = entries.into_iter().collect();
    json!({"entries": entries, "next_after_seq": next_after_seq})
}

// The clocks and checks of issue 17: the SME payment clock, the year-end overdue list, idle bond
// money and the procurement checks. JSON as interchange.md §"Additions" fixes it; amounts in 元.

use taizhang_projection::checks::Checks;
use taizhang_projection::clock::{Due, Overdue, PaymentClock};
use taizhang_projection::idle::IdleFunds;

const CLOCK_SOURCE: &str = "依据《保障中小企业款项支付条例》：自交付或验收之日起按约定期限（未约定 30 日，最长 60 日）付款，到期日为休息日的顺延至下一个工作日；逾期利息按约定利率，未约定的按每日万分之五，逐笔计算。大型企业（非特殊主体）不计。";

fn due_json(d: &Due) -> Value {
    json!({
        "contract_no": d.contract_no, "supplier_name": d.supplier_name, "size": d.size.key(),
        "date": d.date.to_string(), "basis": d.basis.key(), "due_date": d.due_date.to_string(),
        "amount": yuan(d.amount), "paid": yuan(d.paid), "outstanding": yuan(d.outstanding),
        "overdue_days": d.overdue_days, "late_interest": yuan(d.late_interest),
    })
}

fn due_row(d: &Due) -> Vec<Cell> {
    let size = match d.special {
        Some(special) => format!("{}（{special}）", d.size),
        None => d.size.label().to_string(),
    };
    vec![
        Cell::text(&d.contract_no),
        Cell::text(&d.supplier_name),
        Cell::text(size),
        Cell::text(d.date.to_string()),
        Cell::text(d.basis.label()),
        Cell::text(d.due_date.to_string()),
        Cell::Yuan(d.amount),
        Cell::Yuan(d.paid),
        Cell::Yuan(d.outstanding),
        Cell::text(if d.overdue_days > 0 {
            d.overdue_days.to_string()
        } else {
            String::new()
        }),
        Cell::Yuan(d.late_interest),
    ]
}

const DUE_HEADER: [&str; 11] = [
    "合同编号",
    "供应商",
    "企业规模",
    "验收日期",
    "依据",
    "到期日",
    "应付金额",
    "已付",
    "未付",
    "逾期天数",
    "逾期利息",
];

pub fn payment_clock_json(c: &PaymentClock) -> Value {
    let rows: Vec<Value> = c.rows.iter().map(due_json).collect();
    json!({"as_of": c.as_of.to_string(), "rows": rows})
}

pub fn payment_clock_sheet(c: &PaymentClock, unit: &Unit) -> Sheet {
    let mut notes = vec![CLOCK_SOURCE.to_string()];
    notes.extend(c.notes.iter().cloned());
    Sheet {
        title: "中小企业款项支付期限表".into(),
        caption: vec![
            format!("部门：{}", unit.full),
            format!("截至 {}，单位：元", c.as_of),
        ],
        header: vec![DUE_HEADER.map(String::from).to_vec()],
        rows: c.rows.iter().map(due_row).collect(),
        notes,
    }
}

pub fn overdue_json(o: &Overdue) -> Value {
    let rows: Vec<Value> = o.rows.iter().map(due_json).collect();
    json!({"year": o.year, "contracts": o.contracts, "amount": yuan(o.amount), "rows": rows})
}

pub fn overdue_sheet(o: &Overdue, unit: &Unit) -> Sheet {
    let mut notes = vec![overdue_text(o, unit), CLOCK_SOURCE.to_string()];
    notes.extend(o.notes.iter().cloned());
    Sheet {
        title: format!("{} 年度逾期未支付中小企业款项情况", o.year),
        caption: vec![
            format!("部门：{}", unit.full),
            format!("截至 {}-12-31，单位：元", o.year),
        ],
        header: vec![DUE_HEADER.map(String::from).to_vec()],
        rows: o.rows.iter().map(due_row).collect(),
        notes,
    }
}

/// The paragraph a unit publishes by 31 March (《保障中小企业款项支付条例》).
pub fn overdue_text(o: &Overdue, unit: &Unit) -> String {
    let year = o.year;
    if o.contracts == 0 {
        return format!("根据《保障中小企业款项支付条例》，现将{}{year}年度逾期未支付中小企业款项情况公示如下：截至{year}年12月31日，{}无逾期未支付中小企业款项的合同。", unit.short, unit.short);
    }
    format!(
        "根据《保障中小企业款项支付条例》，现将{}{year}年度逾期未支付中小企业款项情况公示如下：截至{year}年12月31日，{}逾期未支付中小企业款项的合同 {} 份，金额 {} 万元。",
        unit.short,
        unit.short,
        o.contracts,
        text_wan(o.amount)
    )
}

pub fn idle_funds_json(i: &IdleFunds) -> Value {
    let rows: Vec<Value> = i
        .rows
        .iter()
        .map(|r| {
            json!({
                "bond_code": r.bond_code, "project_code": r.project_code, "idle": yuan(r.idle),
                "oldest_date": r.oldest_date.to_string(), "days": r.days,
            })
        })
        .collect();
    json!({"as_of": i.as_of.to_string(), "days": i.days, "rows": rows})
}

pub fn idle_funds_sheet(i: &IdleFunds, unit: &Unit) -> Sheet {
    let rows = i
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.bond_code),
                Cell::text(&r.project_code),
                Cell::Yuan(r.idle),
                Cell::text(r.oldest_date.to_string()),
                Cell::text(r.days.to_string()),
            ]
        })
        .collect();
    Sheet {
        title: "专项债券闲置资金".into(),
        caption: vec![
            format!("部门：{}", unit.full),
            format!("截至 {}，到账超过 {} 天未支出，单位：元", i.as_of, i.days),
        ],
        header: vec![["债券编码", "项目编码", "闲置金额", "最早到账日期", "已闲置天数"]
            .map(String::from)
            .to_vec()],
        rows,
        notes: vec!["按先进先出：支出先用最早到账的资金，未用的归于最近到账的资金。专项债券资金应按规定用途及时使用（《中华人民共和国预算法》第三十五条；长期闲置的可能被调整用途或列为审计发现）。".to_string()],
    }
}

/// A procurement rule's key in Chinese.
pub fn check_rule_label(rule: &str) -> &'static str {
    match rule {
        "notice_late" => "合同公告逾期",
        "notice_missing" => "未填合同公告日期",
        "reserve_share" => "预留份额不足",
        "reserve_small_micro" => "预留小微企业比例不足",
        "not_reserved" => "未全部预留中小企业",
        _ => "",
    }
}

pub fn checks_json(c: &Checks) -> Value {
    let findings: Vec<Value> = c
        .findings
        .iter()
        .map(|f| json!({"contract_no": f.contract_no, "rule": f.rule, "detail": f.detail}))
        .collect();
    json!({"year": c.year, "findings": findings})
}

pub fn checks_sheet(c: &Checks, unit: &Unit) -> Sheet {
    let rows = c
        .findings
        .iter()
        .map(|f| {
            vec![
                Cell::text(&f.contract_no),
                Cell::text(check_rule_label(f.rule)),
                Cell::text(&f.detail),
            ]
        })
        .collect();
    let mut notes = vec!["检查结果仅为提示：法规允许有理由的例外。工作日按国务院办公厅每年的节假日安排（含调休）计算；门槛和比例按签订日有效的规定。".to_string()];
    notes.extend(c.notes.iter().cloned());
    Sheet {
        title: format!("{} 年度政府采购合规检查", c.year),
        caption: vec![
            format!("部门：{}", unit.full),
            format!("{} 年签订的合同", c.year),
        ],
        header: vec![["合同编号", "检查项", "说明"].map(String::from).to_vec()],
        rows,
        notes,
    }
}

/// The dues of `taizhang check --days N`: as interchange.md's rows.
pub fn falling_due_json(rows: &[Due]) -> Vec<Value> {
    rows.iter().map(due_json).collect()
}
