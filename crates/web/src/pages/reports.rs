//! The reports in their official layout, each figure linking to what makes it up: 表7 (every cell to
//! its entries), 政府采购 (the paragraph, the figures, the contracts with their supplier parts),
//! 专项债券 (bonds and their schedules) and the quarter's bond use. Figures and layout come from the
//! projection and interchange crates, exactly as `taizhang report` prints them; a page only arranges
//! the sheet's cells in HTML.

use axum::extract::{Query, State};
use axum::Extension;
use chrono::Datelike;
use maud::{html, Markup};
use serde::Deserialize;
use taizhang_core::{Amount, Body, Category, ContractPart, Quarter, SmeClass};
use taizhang_interchange::layout::{Cell, Sheet};
use taizhang_interchange::reports::{self as layout_reports, SmallMicroShareOf};
use taizhang_posting::read::{self, CellEntries};
use taizhang_projection::cell::{self, CellRow, Column};
use taizhang_projection::overview::newest_year;
use taizhang_projection::table7::{self, COLUMN_KEYS};
use taizhang_projection::{bond, checks, clock, contracts, idle, procurement, Facts};
use taizhang_store::{Ledger, StoreError};

use crate::auth::Caller;
use crate::http::WebError;
use crate::pages::view::PageError;
use crate::pages::{fields, layout, view};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<String>,
}

/// The year asked for, else the newest with money, else this year.
pub(crate) fn year_of(facts: &Facts, asked: Option<i32>) -> i32 {
    asked
        .or_else(|| newest_year(facts))
        .unwrap_or_else(|| view::beijing_today().year())
}

fn unit_page(state: &AppState, title: &str, caller: &Caller, active: &str, body: Markup) -> Markup {
    let unit = state.ledger().unit().full.clone();
    layout::page(title, &unit, caller, active, body)
}

/// A sheet's title, caption lines and notes around a table the page draws.
pub(crate) fn sheet_frame(sheet: &Sheet, table: Markup) -> Markup {
    html! {
        div.report {
            h1.report-title { (sheet.title) }
            p.caption { @for line in &sheet.caption { span { (line) } } }
            (table)
            @if !sheet.notes.is_empty() {
                div.notes { @for n in &sheet.notes { p { (n) } } }
            }
        }
    }
}

/// A sheet drawn as it is (no links): header rows merged where a cell repeats its neighbour.
fn plain_table(sheet: &Sheet, class: &str) -> Markup {
    html! {
        table class=(format!("sheet {class}")) {
            thead { @for row in &sheet.header { tr { (merged_header(row)) } } }
            tbody {
                @for row in &sheet.rows {
                    tr { @for c in row { (sheet_td(c)) } }
                }
            }
        }
    }
}

fn merged_header(row: &[String]) -> Markup {
    let mut cells: Vec<(&str, usize)> = Vec::new();
    for text in row {
        match cells.last_mut() {
            Some((last, span)) if *last == text.as_str() && !text.is_empty() => *span += 1,
            _ => cells.push((text, 1)),
        }
    }
    html! { @for (text, span) in cells { th colspan=[(span > 1).then_some(span)] { (text) } } }
}

fn sheet_td(c: &Cell) -> Markup {
    match c {
        Cell::Text(t) if is_date(t) => html! { td.date { (t) } },
        Cell::Text(t) => html! { td { (t) } },
        other => html! { td.num { (other.display()) } },
    }
}

/// Whether a text cell is a date (kept on one line).
fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

pub async fn table7_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<YearQuery>,
) -> Result<Markup, PageError> {
    let asked = view::year_param(query.year.as_deref())?;
    let (t, sheet, text) = state
        .read(move |ledger| -> Result<_, WebError> {
            let facts = ledger.facts()?;
            let year = year_of(&facts, asked);
            let unit = crate::api::unit(ledger);
            let t = table7::table7(&facts, year);
            let sheet = layout_reports::table7_sheet(&t, &unit);
            let text = layout_reports::table7_text(&t, &unit, &table7::uses_by_lei(&facts, year));
            Ok((t, sheet, text))
        })
        .await??;
    let year = t.year;
    let codes: Vec<String> = std::iter::once(cell::TOTAL_CODE.to_string())
        .chain(t.rows.iter().map(|r| r.code.to_string()))
        .collect();
    let table = html! {
        table #table7 .sheet.table7 {
            thead {
                tr {
                    th colspan="2" { "项目" }
                    th rowspan="2" { "年初结转和结余" }
                    th rowspan="2" { "本年收入" }
                    th colspan="3" { "本年支出" }
                    th rowspan="2" { "年末结转和结余" }
                }
                tr { th { "功能分类科目编码" } th { "科目名称" } th { "小计" } th { "基本支出" } th { "项目支出" } }
                tr.col-no { th { "栏次" } th {} @for i in 1..=6 { th { (i) } } }
            }
            tbody {
                @for (row, code) in sheet.rows.iter().zip(&codes) {
                    tr class=(level_class(code)) {
                        @for (i, c) in row.iter().enumerate() {
                            @if i < 2 { td { (c.display()) } }
                            @else { (figure(year, code, COLUMN_KEYS[i - 2], c)) }
                        }
                    }
                }
            }
        }
    };
    let body = html! {
        (view::year_nav("/table7", year))
        (view::downloads("/table7", &format!("year={year}")))
        (sheet_frame(&sheet, table))
        @if !t.broken_identities.is_empty() {
            p.error role="alert" { "表7 恒等式不成立：" (t.broken_identities.join("；")) "。请运行校验并报告此问题。" }
        }
        section.explain {
            h2 { "决算说明（政府性基金预算财政拨款支出）" }
            p.running { (text) }
        }
        p.muted.noprint { "点击任一金额，可查看构成它的每一条记录。" }
    };
    Ok(unit_page(&state, "表7", &caller, "/table7", body))
}

fn level_class(code: &str) -> &'static str {
    match code.len() {
        3 => "lei",
        5 => "kuan",
        7 => "xiang",
        _ => "total",
    }
}

/// A figure of table 7: a link to the entries that make it up; blank when zero.
fn figure(year: i32, code: &str, column: &str, c: &Cell) -> Markup {
    let shown = c.display();
    if shown.is_empty() {
        return html! { td.num {} };
    }
    let href = format!(
        "/table7/cell?year={year}&code={}&column={column}",
        view::encode(code)
    );
    html! { td.num { a.cell href=(href) { (shown) } } }
}

#[derive(Deserialize)]
pub struct CellQuery {
    year: Option<String>,
    code: Option<String>,
    column: Option<String>,
    after_seq: Option<String>,
}

pub async fn table7_cell(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<CellQuery>,
) -> Result<Markup, PageError> {
    let year = view::year_param(query.year.as_deref())?
        .ok_or_else(|| WebError::bad_request("缺少参数 year（如 year=2022）"))?;
    let code = query.code.unwrap_or_default();
    let row = CellRow::parse(&code).map_err(|e| {
        WebError::bad_request(format!(
            "参数 code 不是科目编码：“{}”：{e}",
            crate::api::excerpt(&code)
        ))
    })?;
    let key = query.column.unwrap_or_default();
    let column = Column::parse(key.trim()).ok_or_else(|| {
        WebError::bad_request(format!(
            "参数 column 应为 opening、income、expense、basic、project、closing 之一，而不是“{}”",
            crate::api::excerpt(&key)
        ))
    })?;
    let asked = cell::Cell { year, row, column };
    let after = match query
        .after_seq
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) => Some(t.parse::<u64>().map_err(|_| {
            WebError::bad_request(format!(
                "参数 after_seq 应为正整数，而不是“{}”",
                crate::api::excerpt(t)
            ))
        })?),
    };
    let (found, name) = state
        .read(move |ledger| -> Result<_, WebError> {
            // A page of the largest size: a unit's cell fits in one; a cell of a huge ledger pages.
            let found =
                read::cell_entries_page(ledger, asked, after, Some(read::PAGE_ENTRIES_MAX))?;
            let name = match &asked.row {
                CellRow::Total => String::new(),
                CellRow::Code(code) => ledger.facts()?.name(code),
            };
            Ok((found, name))
        })
        .await??;
    let body = cell_body(&found, &name, after);
    Ok(unit_page(&state, "表7 明细", &caller, "/table7", body))
}

fn cell_body(c: &CellEntries, name: &str, after: Option<u64>) -> Markup {
    let whole = after.is_none() && c.next_after_seq.is_none();
    let year = c.cell.year;
    let code = c.cell.row.code();
    let label = layout_reports::column_label(c.cell.column.key());
    let row_name = format!("{code} {name}").trim().to_string();
    let sum: taizhang_core::Amount = c.entries.iter().map(|e| e.contribution).sum();
    html! {
        nav.crumbs.noprint { a href=(format!("/table7?year={year}")) { (year) " 年表7" } " › " (row_name) " › " (label) }
        h1 { (year) " 年表7：" (row_name) " · " (label) }
        p.cell-figure { "本格金额 " strong #cell-value { (view::yuan(c.value)) } " 元（表中 " (view::wan(c.value)) " 万元）" }
        p.muted { (cell_explained(c.cell.column)) }
        table #cell-entries .journal {
            thead { tr { th.num { "序号" } th { "日期" } th { "种类" } th { "凭证号 / 记录" } th { "收款人 / 摘要" } th.num { "金额" } th.num { "计入本格" } } }
            tbody {
                @for e in &c.entries {
                    @let s = fields::summary(&e.posted.body);
                    tr.entry {
                        td.num { a href=(format!("/entries/{}", e.posted.record.seq)) { (e.posted.record.seq) } }
                        td.date { (s.date) }
                        td { (e.posted.body.kind().label()) }
                        td { a href=(format!("/entries/{}", e.posted.record.seq)) { (s.name) } }
                        td.party { (s.party) }
                        @match (s.amount, &e.reverses) {
                            (Some(a), _) => (view::money_td(a)),
                            (None, Some(Body::Payment(p))) => (view::money_td(-p.amount)),
                            (None, Some(Body::Receipt(r))) => (view::money_td(-r.amount)),
                            _ => td {},
                        }
                        (view::money_td(e.contribution))
                    }
                }
            }
            tfoot {
                @if whole {
                    tr { th colspan="6" { "合计（" (c.entries.len()) " 条）" } td.num #cell-sum { (view::yuan(sum)) } }
                } @else {
                    tr { th colspan="6" { "本页合计（" (c.entries.len()) " 条；各页合计之和等于本格金额）" } td.num #page-sum { (view::yuan(sum)) } }
                }
            }
        }
        @if whole && sum != c.value {
            p.error role="alert" { "明细合计与本格金额不符：请运行校验并报告此问题。" }
        }
        p.pager.noprint {
            @if after.is_some() {
                a href=(cell_href(&c.cell, None)) { "« 第一页" }
            }
            @if let Some(next) = c.next_after_seq {
                a #next-page href=(cell_href(&c.cell, Some(next))) { "更早的记录 ›" }
            }
        }
    }
}

fn cell_href(c: &cell::Cell, after: Option<u64>) -> String {
    let mut href = format!(
        "/table7/cell?year={}&code={}&column={}",
        c.year,
        view::encode(c.row.code()),
        c.column.key()
    );
    if let Some(after) = after {
        href.push_str(&format!("&after_seq={after}"));
    }
    href
}

fn cell_explained(column: Column) -> &'static str {
    match column {
        Column::Income => "本年收入：本年该科目政府性基金预算的收入记录；冲销按冲销日期计负数。",
        Column::Expense => "本年支出：本年该科目政府性基金预算的支出记录；冲销按冲销日期计负数。",
        Column::Basic => "基本支出：本年该科目支出类型为基本支出的支出记录。",
        Column::Project => "项目支出：本年该科目支出类型为项目支出的支出记录。",
        Column::Opening => {
            "年初结转和结余：上年末的结余，即最近一次填报的年初数加此后各年的收入、减支出。"
        }
        Column::Closing => {
            "年末结转和结余＝年初结转和结余＋本年收入－本年支出：列出构成这三项的全部记录。"
        }
    }
}

pub async fn procurement_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<YearQuery>,
) -> Result<Markup, PageError> {
    let asked = view::year_param(query.year.as_deref())?;
    let (p, sheet, text, parts) = state
        .read(move |ledger| -> Result<_, WebError> {
            let (facts, head) = ledger.facts_and_head()?;
            let year = year_of(&facts, asked);
            let unit = crate::api::unit(ledger);
            let p = procurement::procurement(&facts, year);
            let sheet = layout_reports::procurement_sheet(&p, &unit);
            let text = layout_reports::procurement_text(&p, &unit, SmallMicroShareOf::Sme);
            let parts = procurement_entries(ledger, year, head.count)?;
            Ok((p, sheet, text, parts))
        })
        .await??;
    let year = p.year;
    let body = html! {
        (view::year_nav("/procurement", year))
        (view::downloads("/procurement", &format!("year={year}")))
        section.explain { p.running #procurement-text { (text) } }
        (sheet_frame(&sheet, procurement_table(&sheet)))
        (parts_section(year, &parts))
    };
    Ok(unit_page(&state, "政府采购", &caller, "/procurement", body))
}

/// The procurement sheet, each share linking to the supplier parts below that make it up.
fn procurement_table(sheet: &Sheet) -> Markup {
    html! {
        table #procurement .sheet {
            thead { @for row in &sheet.header { tr { (merged_header(row)) } } }
            tbody {
                @for (i, row) in sheet.rows.iter().enumerate() {
                    tr {
                        @for c in row {
                            @match c {
                                Cell::Text(t) => td { (t) },
                                other if other.display().is_empty() || other.display() == "—" => td.num { (other.display()) },
                                other => td.num { a.share href=(format!("#{}", share_anchor(i))) { (other.display()) } },
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Which list of parts a row of the procurement sheet is made of (the sheet's row order: total,
/// the three categories, SME, small/micro twice, SME per category).
fn share_anchor(row: usize) -> &'static str {
    match row {
        1 => "parts-goods",
        2 => "parts-works",
        3 => "parts-services",
        4 | 7..=9 => "parts-sme",
        5 | 6 => "parts-small-micro",
        _ => "parts",
    }
}

/// A contract part or amendment with what it adds to one category and class of the year's
/// procurement.
struct Counted {
    seq: u64,
    body: Body,
    /// The part itself, or the part an amendment changes.
    part: Option<ContractPart>,
    category: Category,
    class: SmeClass,
    amount: Amount,
}

/// The entries that make up the year's procurement figures: one pass over the log up to the head
/// the figures were read at; an amendment's part through the index.
fn procurement_entries(ledger: &Ledger, year: i32, upto: u64) -> Result<Vec<Counted>, StoreError> {
    let mut parts = Vec::new();
    let mut amendments = Vec::new();
    ledger.for_each_entry(1, |posted| {
        if posted.record.seq > upto {
            return false;
        }
        match &posted.body {
            Body::Contract(c) if c.terms.sign_date.year() == year => parts.push(posted),
            Body::Amendment(a) if a.date.year() == year => amendments.push(posted),
            _ => {}
        }
        true
    })?;
    let mut out = Vec::new();
    for posted in parts {
        let part = match &posted.body {
            Body::Contract(c) => Some(c.clone()),
            _ => None,
        };
        counted(&mut out, posted.record.seq, &posted.body, None, part, year);
    }
    for posted in amendments {
        let referred = match posted.body.refers_to() {
            Some(key) => ledger.entry_by_key(&key)?.map(|p| p.body),
            None => None,
        };
        let part = match &referred {
            Some(Body::Contract(c)) => Some(c.clone()),
            _ => None,
        };
        counted(
            &mut out,
            posted.record.seq,
            &posted.body,
            referred.as_ref(),
            part,
            year,
        );
    }
    out.sort_by_key(|c| c.seq);
    Ok(out)
}

fn counted(
    out: &mut Vec<Counted>,
    seq: u64,
    body: &Body,
    referred: Option<&Body>,
    part: Option<ContractPart>,
    year: i32,
) {
    for (category, class, amount) in procurement::contributions(body, referred, year) {
        out.push(Counted {
            seq,
            body: body.clone(),
            part: part.clone(),
            category,
            class,
            amount,
        });
    }
}

/// How a part counts in the shares (a special entity counts as small/micro whatever its size).
fn class_label(class: SmeClass) -> &'static str {
    match class {
        SmeClass::Large => "大型",
        SmeClass::Medium => "中型",
        SmeClass::SmallMicro => "小微（含视同）",
    }
}

fn parts_section(year: i32, parts: &[Counted]) -> Markup {
    let in_category = |c: Category| parts.iter().filter(move |p| p.category == c);
    html! {
        section #parts .parts {
            h2 { (year) " 年政府采购的构成：合同的供应商分配与补充协议" }
            p.muted { "本年签订合同的各供应商分配按签订年度计入，补充协议（变更金额或更正企业划型）按其日期计入；各表合计即上表对应金额（元）。" }
            (parts_table("parts-all", "全部", parts.iter()))
            @for (c, id) in [(Category::Goods, "parts-goods"), (Category::Works, "parts-works"), (Category::Services, "parts-services")] {
                (parts_table(id, c.label(), in_category(c)))
            }
            (parts_table("parts-sme", "授予中小企业", parts.iter().filter(|p| p.class.is_sme())))
            (parts_table("parts-small-micro", "授予小微企业", parts.iter().filter(|p| p.class == SmeClass::SmallMicro)))
        }
    }
}

fn parts_table<'p>(id: &str, title: &str, parts: impl Iterator<Item = &'p Counted>) -> Markup {
    let parts: Vec<&Counted> = parts.collect();
    let total: Amount = parts.iter().map(|p| p.amount).sum();
    html! {
        details id=(id) open[id == "parts-all"] {
            summary { (title) "：" (parts.len()) " 条，合计 " span.sum { (view::yuan(total)) } " 元" }
            @if !parts.is_empty() {
                table.journal {
                    thead { tr { th.num { "序号" } th { "合同编号" } th { "合同名称" } th { "日期" } th { "记录" } th { "供应商" } th { "企业划型" } th.num { "计入金额（元）" } } }
                    tbody {
                        @for p in &parts {
                            @let terms = p.part.as_ref().map(|c| &c.terms);
                            tr.part {
                                td.num { a href=(format!("/entries/{}", p.seq)) { (p.seq) } }
                                td { @if let Some(t) = terms { a href=(format!("/contracts/{}", view::encode(&t.no))) { (t.no) } } }
                                td { @if let Some(t) = terms { (t.title) } }
                                td.date { (p.body.period_date().map(|d| d.to_string()).unwrap_or_default()) }
                                td { (p.body.kind().label()) }
                                td { @if let Some(c) = &p.part { (c.part.name) } }
                                td { (class_label(p.class)) }
                                (view::money_td(p.amount))
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn bonds_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Markup, PageError> {
    let schedules = state
        .read(|ledger| -> Result<_, WebError> {
            let facts = ledger.facts()?;
            let unit = crate::api::unit(ledger);
            let mut codes: Vec<String> = facts.bonds.iter().map(|b| b.terms.code.clone()).collect();
            codes.sort();
            codes.dedup();
            let bonds: Vec<_> = codes
                .iter()
                .filter_map(|code| {
                    let (terms, face) = bond::bond_face(&facts, code)?;
                    let coupons = bond::schedule(&terms, face);
                    let sheet = layout_reports::schedule_sheet(code, &terms.name, face, &coupons);
                    let projects: Vec<_> = facts
                        .bonds
                        .iter()
                        .filter(|b| &b.terms.code == code)
                        .cloned()
                        .collect();
                    Some((terms, projects, sheet))
                })
                .collect();
            let _ = unit;
            Ok(bonds)
        })
        .await??;
    let quarter = Quarter::of(view::beijing_today());
    let body = html! {
        h1 { "专项债券" }
        p.noprint { a href=(format!("/bond-use?quarter={quarter}")) { "专项债券资金使用情况（按季度）›" } }
        @if schedules.is_empty() { p.muted { "台账中还没有债券。" } }
        @for (terms, projects, sheet) in &schedules {
            section.bond id=(format!("bond-{}", terms.code)) {
                h2 { (terms.code) " " (terms.name) }
                table.fields {
                    tr { th { "发行日" } td { (terms.issue_date) } th { "起息日" } td { (terms.value_date) } }
                    tr { th { "期限" } td { (terms.term_years) " 年" } th { "票面利率" } td { (terms.coupon_rate) "%，" (terms.frequency.label()) } }
                }
                table.journal {
                    thead { tr { th { "项目" } th.num { "分配金额（元）" } th { "" } } }
                    tbody {
                        @for p in projects {
                            tr { td { (p.project_code) " " (p.project_name) } (view::money_td(p.amount)) td { a href=(format!("/entries?text={}", view::encode(&p.project_code))) { "相关记录 ›" } } }
                        }
                    }
                }
                p.downloads.noprint { "还本付息计划下载："
                    a href=(format!("/schedule.xlsx?code={}", view::encode(&terms.code))) download { "Excel（xlsx）" } " "
                    a href=(format!("/schedule.csv?code={}", view::encode(&terms.code))) download { "CSV" }
                }
                (sheet_frame(sheet, plain_table(sheet, "schedule")))
            }
        }
    };
    Ok(unit_page(&state, "专项债券", &caller, "/bonds", body))
}

#[derive(Deserialize)]
pub struct QuarterQuery {
    quarter: Option<String>,
}

pub async fn bond_use_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<QuarterQuery>,
) -> Result<Markup, PageError> {
    let quarter = match query
        .quarter
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        Some(q) => view::quarter_param(q)?,
        None => Quarter::of(view::beijing_today()),
    };
    let (uses, sheet) = state
        .read(move |ledger| -> Result<_, WebError> {
            let facts = ledger.facts()?;
            let uses = bond::bond_use(&facts, quarter);
            let sheet = layout_reports::bond_use_sheet(&uses, &crate::api::unit(ledger));
            Ok((uses, sheet))
        })
        .await??;
    let prev = previous(quarter);
    let next = following(quarter);
    let body = html! {
        nav.years.noprint {
            a href=(format!("/bond-use?quarter={prev}")) { "‹ " (prev) }
            strong { (quarter) }
            a href=(format!("/bond-use?quarter={next}")) { (next) " ›" }
        }
        (view::downloads("/bond-use", &format!("quarter={quarter}")))
        (sheet_frame(&sheet, bond_use_table(&sheet, &uses)))
        p.muted.noprint { "点击任一金额，可查看构成它的每一条记录。" }
    };
    Ok(unit_page(
        &state,
        "专项债券使用情况",
        &caller,
        "/bonds",
        body,
    ))
}

fn previous(q: Quarter) -> Quarter {
    if q.number == 1 {
        Quarter {
            year: q.year - 1,
            number: 4,
        }
    } else {
        Quarter {
            year: q.year,
            number: q.number - 1,
        }
    }
}

fn following(q: Quarter) -> Quarter {
    if q.number == 4 {
        Quarter {
            year: q.year + 1,
            number: 1,
        }
    } else {
        Quarter {
            year: q.year,
            number: q.number + 1,
        }
    }
}

#[derive(Deserialize)]
pub struct FigureQuery {
    quarter: Option<String>,
    bond: Option<String>,
    project: Option<String>,
    figure: Option<String>,
}

/// An entry behind a bond-use figure, with what it adds.
struct Behind {
    posted: taizhang_store::Posted,
    contribution: Amount,
}

/// The entries behind one figure of a bond-use row, and the row as the report shows it.
fn bond_figure_entries(
    ledger: &Ledger,
    (bond, project, quarter): (&str, &str, Quarter),
    figure: bond::UseFigure,
) -> Result<(Option<bond::BondUseRow>, Vec<Behind>), StoreError> {
    let (facts, head) = ledger.facts_and_head()?;
    let row = bond::bond_use(&facts, quarter)
        .rows
        .into_iter()
        .find(|r| r.bond_code == bond && r.project_code == project);
    let mut out = Vec::new();
    let mut reversals = Vec::new();
    ledger.for_each_entry(1, |posted| {
        if posted.record.seq > head.count {
            return false;
        }
        if let Body::Reversal(_) = posted.body {
            reversals.push(posted);
        } else if let Some(contribution) =
            bond::use_contribution(&posted.body, None, (bond, project, quarter), figure)
        {
            out.push(Behind {
                posted,
                contribution,
            });
        }
        true
    })?;
    for posted in reversals {
        let original = match posted.body.refers_to() {
            Some(key) => ledger.entry_by_key(&key)?.map(|p| p.body),
            None => None,
        };
        let contribution = bond::use_contribution(
            &posted.body,
            original.as_ref(),
            (bond, project, quarter),
            figure,
        );
        if let Some(contribution) = contribution {
            out.push(Behind {
                posted,
                contribution,
            });
        }
    }
    out.sort_by_key(|b| b.posted.record.seq);
    Ok((row, out))
}

pub async fn bond_figure(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<FigureQuery>,
) -> Result<Markup, PageError> {
    let quarter = view::quarter_param(query.quarter.as_deref().unwrap_or(""))?;
    let bond = taizhang_core::text::nfc(query.bond.as_deref().unwrap_or("").trim()).into_owned();
    let project =
        taizhang_core::text::nfc(query.project.as_deref().unwrap_or("").trim()).into_owned();
    let key = query.figure.unwrap_or_default();
    let figure = bond::UseFigure::parse(&key).ok_or_else(|| {
        WebError::bad_request(format!(
            "参数 figure 应为 received_to_date、spent_quarter、spent_to_date、unspent、interest_quarter、interest_to_date、fees_to_date 之一，而不是“{}”",
            crate::api::excerpt(&key)
        ))
    })?;
    let (b, p) = (bond.clone(), project.clone());
    let (row, entries) = state
        .read(move |ledger| bond_figure_entries(ledger, (&b, &p, quarter), figure))
        .await??;
    let row = row.ok_or_else(|| {
        WebError::not_found(format!(
            "{quarter} 末没有债券 {} 项目 {} 的分配",
            crate::api::excerpt(&bond),
            crate::api::excerpt(&project)
        ))
    })?;
    let value = figure.of(&row);
    let sum: Amount = entries.iter().map(|e| e.contribution).sum();
    let body = html! {
        nav.crumbs.noprint { a href=(format!("/bond-use?quarter={quarter}")) { (quarter) " 专项债券资金使用情况" } " › " (row.bond_name) " · " (row.project_name) }
        h1 { (quarter) "：" (row.bond_code) " " (row.project_name) " · " (figure_label(figure)) }
        p.cell-figure { "金额 " strong #figure-value { (view::yuan(value)) } " 元" }
        p.muted { (figure_explained(figure)) }
        table #figure-entries .journal {
            thead { tr { th.num { "序号" } th { "日期" } th { "种类" } th { "凭证号 / 记录" } th { "收款人 / 摘要" } th.num { "计入本项" } } }
            tbody {
                @for e in &entries {
                    @let s = fields::summary(&e.posted.body);
                    tr.entry {
                        td.num { a href=(format!("/entries/{}", e.posted.record.seq)) { (e.posted.record.seq) } }
                        td.date { (s.date) }
                        td { (e.posted.body.kind().label()) }
                        td { a href=(format!("/entries/{}", e.posted.record.seq)) { (s.name) } }
                        td.party { (s.party) }
                        (view::money_td(e.contribution))
                    }
                }
            }
            tfoot { tr { th colspan="5" { "合计（" (entries.len()) " 条）" } td.num #figure-sum { (view::yuan(sum)) } } }
        }
        @if sum != value {
            p.error role="alert" { "明细合计与报表金额不符：请运行校验并报告此问题。" }
        }
    };
    Ok(unit_page(&state, "专项债券明细", &caller, "/bonds", body))
}

fn figure_label(figure: bond::UseFigure) -> &'static str {
    use bond::UseFigure as F;
    match figure {
        F::Received => "累计到位",
        F::SpentQuarter => "本季支出",
        F::SpentToDate => "累计支出",
        F::Unspent => "结余资金",
        F::InterestQuarter => "本季付息",
        F::InterestToDate => "累计付息",
        F::FeesToDate => "累计发行费",
    }
}

fn figure_explained(figure: bond::UseFigure) -> &'static str {
    use bond::UseFigure as F;
    match figure {
        F::Received => "截至季末，注明本债券和项目的收入记录；冲销按冲销日期计负数。",
        F::SpentQuarter => "本季内用途为“建设”的支出记录。",
        F::SpentToDate => "截至季末用途为“建设”的支出记录。",
        F::Unspent => "累计到位的收入记录（正数）减去用途为“建设”或“其他”的支出记录（负数）。",
        F::InterestQuarter => "本季内用途为“付息”的支出记录。",
        F::InterestToDate => "截至季末用途为“付息”的支出记录。",
        F::FeesToDate => "截至季末用途为“发行费”的支出记录。",
    }
}

/// The bond-use sheet with each figure of a row linking to the entries behind it.
fn bond_use_table(sheet: &Sheet, uses: &bond::BondUse) -> Markup {
    use bond::UseFigure as F;
    // The sheet's columns that hold a figure (interchange::reports::bond_use_sheet's order).
    let linked = |i: usize| match i {
        4 => Some(F::Received),
        5 => Some(F::SpentQuarter),
        6 => Some(F::SpentToDate),
        8 => Some(F::Unspent),
        9 => Some(F::InterestQuarter),
        10 => Some(F::InterestToDate),
        11 => Some(F::FeesToDate),
        _ => None,
    };
    html! {
        table #bond-use .sheet.bond-use.wide {
            thead { @for row in &sheet.header { tr { (merged_header(row)) } } }
            tbody {
                @for (cells, row) in sheet.rows.iter().zip(&uses.rows) {
                    tr {
                        @for (i, c) in cells.iter().enumerate() {
                            @match linked(i) {
                                Some(figure) => (use_link(uses.quarter, row, figure)),
                                None => (sheet_td(c)),
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A bond-use figure as a link to the entries behind it; blank when zero.
fn use_link(quarter: Quarter, row: &bond::BondUseRow, figure: bond::UseFigure) -> Markup {
    let amount = figure.of(row);
    if amount.is_zero() {
        return html! { td.num {} };
    }
    html! { td.num { a.cell href=(use_href(quarter, row, figure)) { (view::yuan(amount)) } } }
}

/// The address of the entries behind a bond-use figure.
pub fn use_href(quarter: Quarter, row: &bond::BondUseRow, figure: bond::UseFigure) -> String {
    format!(
        "/bond-use/entries?quarter={quarter}&bond={}&project={}&figure={}",
        view::encode(&row.bond_code),
        view::encode(&row.project_code),
        figure.key()
    )
}

/// The sheet of a report for a download, as `taizhang report` and `export` build it.
pub fn sheet_of(ledger: &Ledger, report: Report) -> Result<(String, Sheet), WebError> {
    let facts = ledger.facts()?;
    let unit = crate::api::unit(ledger);
    Ok(match report {
        Report::Table7(year) => (
            format!("{year}-table7"),
            layout_reports::table7_sheet(&table7::table7(&facts, year), &unit),
        ),
        Report::Procurement(year) => (
            format!("{year}-procurement"),
            layout_reports::procurement_sheet(&procurement::procurement(&facts, year), &unit),
        ),
        Report::Contracts(year) => (
            format!("{year}-contracts"),
            layout_reports::contracts_sheet(year, &contracts::contracts(&facts, year), &unit),
        ),
        Report::BondUse(q) => (
            format!("{q}-bond-use"),
            layout_reports::bond_use_sheet(&bond::bond_use(&facts, q), &unit),
        ),
        Report::PaymentClock(as_of) => {
            let flows = ledger.flows()?;
            let c = clock::payment_clock(&flows, &facts.contracts, as_of);
            (
                format!("{as_of}-payment-clock"),
                layout_reports::payment_clock_sheet(&c, &unit),
            )
        }
        Report::Overdue(year) => {
            let o = clock::overdue(&ledger.flows()?, &facts.contracts, year);
            (
                format!("{year}-overdue"),
                layout_reports::overdue_sheet(&o, &unit),
            )
        }
        Report::IdleFunds(as_of, days) => {
            let i = idle::idle_funds(&ledger.flows()?, as_of, days);
            (
                format!("{as_of}-idle-funds"),
                layout_reports::idle_funds_sheet(&i, &unit),
            )
        }
        Report::ProcurementChecks(year) => {
            let c = checks::procurement_checks(&facts.contracts, year);
            (
                format!("{year}-procurement-checks"),
                layout_reports::checks_sheet(&c, &unit),
            )
        }
        Report::Schedule(code) => {
            let (terms, face) = bond::bond_face(&facts, &code).ok_or_else(|| {
                WebError::not_found(format!("债券 {} 不在台账中", crate::api::excerpt(&code)))
            })?;
            let coupons = bond::schedule(&terms, face);
            (
                format!("schedule-{code}"),
                layout_reports::schedule_sheet(&code, &terms.name, face, &coupons),
            )
        }
    })
}

/// A report that can be downloaded.
#[derive(Clone, Debug)]
pub enum Report {
    Table7(i32),
    Procurement(i32),
    Contracts(i32),
    BondUse(Quarter),
    Schedule(String),
    PaymentClock(chrono::NaiveDate),
    Overdue(i32),
    IdleFunds(chrono::NaiveDate, u32),
    ProcurementChecks(i32),
}
