//! 合规 (issue 17): the SME payment clock, the year-end overdue list with the paragraph a unit
//! publishes, idle bond money and the procurement checks. Figures, captions and notes come from the
//! same projections and sheets as `taizhang report`; a page adds the links: every row to its contract
//! (`/contracts/{no}`) and to the entries behind it (the acceptance, the paying vouchers, the oldest
//! receipt), and every finding names its rule and the rule's source (`ledger-data/rules/`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Extension;
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;
use taizhang_core::{Body, ContractPart};
use taizhang_interchange::reports as layout_reports;
use taizhang_projection::checks::{self, Finding};
use taizhang_projection::clock::{self, Due};
use taizhang_projection::flows::Flows;
use taizhang_projection::idle::{self, IdleRow};
use taizhang_projection::rulebook;
use taizhang_projection::Facts;
use taizhang_store::{Ledger, Posted};

use crate::api;
use crate::auth::Caller;
use crate::http::WebError;
use crate::pages::reports::{sheet_frame, year_of};
use crate::pages::view::PageError;
use crate::pages::{layout, view};
use crate::state::AppState;

/// The menu entry of these pages.
const MENU: &str = "/compliance";

/// "Today" as the CLI's `check` reads it (`TAIZHANG_TODAY`, else Beijing's date); a value that is not
/// a date is passed over here (a page has no one to refuse it to) rather than failing every page.
pub fn today() -> NaiveDate {
    taizhang_posting::today::today().unwrap_or_else(|_| view::beijing_today())
}

/// The entries a finding links to, found in one pass over the log.
#[derive(Default)]
struct Seqs {
    /// Payments and receipts by voucher number.
    vouchers: HashMap<String, u64>,
    /// Acceptances by contract, supplier and date.
    acceptances: HashMap<(String, String, NaiveDate), u64>,
}

impl Seqs {
    fn note(&mut self, posted: &Posted) {
        let seq = posted.record.seq;
        match &posted.body {
            Body::Payment(p) => {
                self.vouchers.insert(p.voucher_no.clone(), seq);
            }
            Body::Receipt(r) => {
                self.vouchers.insert(r.voucher_no.clone(), seq);
            }
            Body::Acceptance(a) => {
                let key = (a.contract_no.clone(), a.supplier_name.clone(), a.date);
                self.acceptances.insert(key, seq);
            }
            _ => {}
        }
    }

    fn acceptance(&self, due: &Due) -> Option<u64> {
        let key = (due.contract_no.clone(), due.supplier_name.clone(), due.date);
        self.acceptances.get(&key).copied()
    }
}

/// The facts, the dated flows and the entries' numbers, all of the same head (entries posted
/// meanwhile are left out of all three).
fn read_all(ledger: &Ledger) -> Result<(Facts, Flows, Seqs), WebError> {
    let (facts, head) = ledger.facts_and_head()?;
    let mut flows = Flows::default();
    let mut seqs = Seqs::default();
    ledger.for_each_entry(1, |posted| {
        let within = posted.record.seq <= head.count;
        if within {
            flows.apply(&posted.body);
            seqs.note(&posted);
        }
        within
    })?;
    Ok((facts, flows, seqs))
}

fn unit_page(state: &AppState, title: &str, caller: &Caller, body: Markup) -> Markup {
    let unit = state.ledger().unit().full.clone();
    layout::page(title, &unit, caller, MENU, body)
}

fn contract_href(no: &str) -> String {
    format!("/contracts/{}", view::encode(no))
}

fn entry_link(seq: Option<u64>, text: &str) -> Markup {
    match seq {
        Some(seq) => html! { a.entry href=(format!("/entries/{seq}")) { (text) } },
        None => html! { (text) },
    }
}

/// The rules of the payment clock in force on a day, with their sources (`payment.csv`).
fn payment_rules(on: NaiveDate) -> Markup {
    let book = rulebook::shipped();
    let rules = [
        "default_terms_days",
        "max_terms_days",
        "default_late_interest_daily_pct",
    ];
    html! {
        section.explain #rules {
            h2 { "依据" }
            ul {
                @for key in rules {
                    @if let Some(rule) = book.payment(key, on) {
                        li { (rule_label(key)) "：" (rule.value) "。" span.muted { (rule.source) } }
                    }
                }
            }
        }
    }
}

fn rule_label(key: &str) -> &'static str {
    match key {
        "default_terms_days" => "未约定付款期限的，自交付或验收之日起（天）",
        "max_terms_days" => "约定付款期限最长（天）",
        "default_late_interest_daily_pct" => "未约定逾期利率的，每日（%）",
        _ => "",
    }
}

/// What needs attention now: the counts the compliance page and the overview show.
pub struct Attention {
    today: NaiveDate,
    year: i32,
    /// Dues overdue and not paid in full.
    late: usize,
    /// Contracts on the year's overdue list.
    overdue: usize,
    /// Bond projects with money idle longer than the default days.
    idle: usize,
    /// Procurement findings of the year's contracts.
    checks: usize,
}

/// Reads the counts of [`Attention`] as of `today` (the whole log: the clocks keep no sums).
pub fn attention(ledger: &Ledger, today: NaiveDate) -> Result<Attention, WebError> {
    let (facts, flows, _) = read_all(ledger)?;
    let year = year_of(&facts, None);
    let late = clock::payment_clock(&flows, &facts.contracts, today)
        .rows
        .iter()
        .filter(|d| d.overdue_days > 0 && !d.outstanding.is_zero())
        .count();
    Ok(Attention {
        today,
        year,
        late,
        overdue: clock::overdue(&flows, &facts.contracts, year).contracts,
        idle: idle::idle_funds(&flows, today, idle::DEFAULT_DAYS)
            .rows
            .len(),
        checks: checks::procurement_checks(&facts.contracts, year)
            .findings
            .len(),
    })
}

/// The four reports with their counts, each linking to its page.
pub fn attention_table(a: &Attention) -> Markup {
    let (today, year) = (a.today, a.year);
    html! {
        table.journal #compliance {
            thead { tr { th { "报表" } th { "说明" } th.num { "需关注" } } }
            tbody {
                tr { td { a #link-payment-clock href=(format!("/payment-clock?as_of={today}")) { "付款期限" } } td { "截至 " (today) " 每次验收（交付）的到期日、已付、未付、逾期天数和逾期利息" } td.num { (a.late) } }
                tr { td { a #link-overdue href=(format!("/overdue?year={year}")) { "逾期清单" } } td { (year) " 年末逾期未支付中小企业款项的合同，及每年 3 月 31 日前公示的文字" } td.num { (a.overdue) } }
                tr { td { a #link-idle-funds href=(format!("/idle-funds?as_of={today}")) { "闲置资金" } } td { "截至 " (today) " 到账超过 " (idle::DEFAULT_DAYS) " 天仍未支出的专项债券资金" } td.num { (a.idle) } }
                tr { td { a #link-procurement-checks href=(format!("/procurement-checks?year={year}")) { "采购合规检查" } } td { (year) " 年签订合同的公告期限和预留份额" } td.num { (a.checks) } }
            }
        }
        p.muted { "“需关注”：已逾期且未付清的应付款笔数、逾期合同份数、闲置的债券项目数、检查发现数。" }
    }
}

/// `/compliance`: the four reports, with the counts that need attention.
pub async fn hub(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Markup, PageError> {
    let today = today();
    let found = state.read(move |ledger| attention(ledger, today)).await??;
    let body = html! {
        h1 { "合规检查" }
        p.lead { "在审计之前看到：将要或已经逾期的中小企业应付款、闲置的专项债券资金、错过的采购公告期限和预留份额不足。" }
        (attention_table(&found))
    };
    Ok(unit_page(&state, "合规检查", &caller, body))
}

#[derive(Deserialize, Default)]
pub struct AsOfQuery {
    as_of: Option<String>,
    days: Option<String>,
}

/// The `as_of` of a page: today when absent.
fn as_of(query: &AsOfQuery) -> Result<NaiveDate, WebError> {
    match query
        .as_of
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(text) => api::parse_as_of(text),
        None => Ok(today()),
    }
}

/// A GET form to pick the day (and the days of idle funds): works without scripts.
fn as_of_form(path: &str, as_of: NaiveDate, days: Option<u32>) -> Markup {
    html! {
        form.filters #as-of-form method="get" action=(path) {
            label { "截至日期 " input type="date" name="as_of" value=(as_of); }
            @if let Some(days) = days {
                label { "闲置天数超过 " input type="number" name="days" min="0" value=(days); }
            }
            button type="submit" { "查看" }
        }
    }
}

/// The dues table of the clock and the overdue list: each row links to its contract, its
/// acceptance and the vouchers that paid it.
fn dues_table(id: &str, rows: &[Due], seqs: &Seqs) -> Markup {
    html! {
        table.journal id=(id) {
            thead { tr {
                th { "合同编号" } th { "供应商" } th { "企业规模" } th { "验收日期" } th { "依据" } th { "到期日" }
                th.num { "应付金额" } th.num { "已付" } th.num { "未付" } th.num { "逾期天数" } th.num { "逾期利息" } th { "付款凭证" }
            } }
            tbody {
                @for d in rows {
                    tr.due.late[d.overdue_days > 0] data-contract=(d.contract_no) {
                        td { a.contract href=(contract_href(&d.contract_no)) { (d.contract_no) } }
                        td.party { (d.supplier_name) }
                        td { (d.size.label()) @if let Some(s) = d.special { "（" (s) "）" } }
                        td.date { (entry_link(seqs.acceptance(d), &d.date.to_string())) }
                        td { (d.basis.label()) }
                        td.date { (d.due_date) }
                        (view::money_td(d.amount))
                        (view::money_td(d.paid))
                        (view::money_td(d.outstanding))
                        td.num { @if d.overdue_days > 0 { span.status.bad { (d.overdue_days) } } }
                        (view::money_td(d.late_interest))
                        td { (slices(d, seqs)) }
                    }
                }
            }
        }
    }
}

/// The vouchers that paid a due, each linking to its entry, with the days it was late.
fn slices(d: &Due, seqs: &Seqs) -> Markup {
    html! {
        @for s in &d.slices {
            @if let Some((voucher, date)) = &s.paid {
                span.slice {
                    (entry_link(seqs.vouchers.get(voucher).copied(), voucher))
                    " " (date) " " (view::yuan(s.amount))
                    @if s.days_late > 0 { " 逾期 " (s.days_late) " 天" }
                }
                br;
            }
        }
        a href=(format!("/entries?contract={}", view::encode(&d.contract_no))) { "全部记录 ›" }
    }
}

/// `/payment-clock?as_of=D`.
pub async fn payment_clock_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<AsOfQuery>,
) -> Result<Markup, PageError> {
    let as_of = as_of(&query)?;
    let (c, sheet, seqs) = state
        .read(move |ledger| -> Result<_, WebError> {
            let (facts, flows, seqs) = read_all(ledger)?;
            let c = clock::payment_clock(&flows, &facts.contracts, as_of);
            let sheet = layout_reports::payment_clock_sheet(&c, &api::unit(ledger));
            Ok((c, sheet, seqs))
        })
        .await??;
    let late: taizhang_core::Amount = c.rows.iter().map(|d| d.late_interest).sum();
    let outstanding: taizhang_core::Amount = c.rows.iter().map(|d| d.outstanding).sum();
    let body = html! {
        nav.crumbs.noprint { a href=(MENU) { "合规检查" } " › 付款期限" }
        (as_of_form("/payment-clock", as_of, None))
        (view::downloads("/payment-clock", &format!("as_of={as_of}")))
        dl.figures {
            div { dt { "应付款笔数" } dd #clock-count { (c.rows.len()) } }
            div { dt { "未付合计（元）" } dd #clock-outstanding { (view::yuan(outstanding)) } }
            div { dt { "逾期利息合计（元）" } dd #clock-interest { (view::yuan(late)) } }
        }
        (sheet_frame(&sheet, dues_table("payment-clock", &c.rows, &seqs)))
        (payment_rules(as_of))
    };
    Ok(unit_page(&state, "付款期限", &caller, body))
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<String>,
}

/// `/overdue?year=Y`: the year-end list and the paragraph to publish by 31 March.
pub async fn overdue_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<YearQuery>,
) -> Result<Markup, PageError> {
    let asked = view::year_param(query.year.as_deref())?;
    let (o, sheet, text, seqs) = state
        .read(move |ledger| -> Result<_, WebError> {
            let (facts, flows, seqs) = read_all(ledger)?;
            let year = year_of(&facts, asked);
            let unit = api::unit(ledger);
            let o = clock::overdue(&flows, &facts.contracts, year);
            let sheet = layout_reports::overdue_sheet(&o, &unit);
            let text = layout_reports::overdue_text(&o, &unit);
            Ok((o, sheet, text, seqs))
        })
        .await??;
    let year = o.year;
    // The paragraph is the sheet's first note: shown above the table, not twice.
    let mut sheet = sheet;
    sheet.notes.retain(|n| *n != text);
    let body = html! {
        nav.crumbs.noprint { a href=(MENU) { "合规检查" } " › 逾期清单" }
        (view::year_nav("/overdue", year))
        (view::downloads("/overdue", &format!("year={year}")))
        section.explain {
            h2 { "公示文字（每年 3 月 31 日前）" }
            p.running #overdue-text { (text) }
        }
        dl.figures {
            div { dt { "逾期合同（份）" } dd #overdue-contracts { (o.contracts) } }
            div { dt { "逾期未付金额（元）" } dd #overdue-amount { (view::yuan(o.amount)) } }
        }
        (sheet_frame(&sheet, dues_table("overdue", &o.rows, &seqs)))
        (payment_rules(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_else(today)))
    };
    Ok(unit_page(&state, "逾期清单", &caller, body))
}

/// `/idle-funds?as_of=D&days=N`.
pub async fn idle_funds_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<AsOfQuery>,
) -> Result<Markup, PageError> {
    let as_of = as_of(&query)?;
    let days = api::parse_days(
        query
            .days
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty()),
    )?;
    let (i, sheet, oldest) = state
        .read(move |ledger| -> Result<_, WebError> {
            let (_, flows, seqs) = read_all(ledger)?;
            let i = idle::idle_funds(&flows, as_of, days);
            let sheet = layout_reports::idle_funds_sheet(&i, &api::unit(ledger));
            let oldest: Vec<Option<(String, u64)>> = i
                .rows
                .iter()
                .map(|r| oldest_receipt(&flows, &seqs, r))
                .collect();
            Ok((i, sheet, oldest))
        })
        .await??;
    let total: taizhang_core::Amount = i.rows.iter().map(|r| r.idle).sum();
    let body = html! {
        nav.crumbs.noprint { a href=(MENU) { "合规检查" } " › 闲置资金" }
        (as_of_form("/idle-funds", as_of, Some(days)))
        (view::downloads("/idle-funds", &format!("as_of={as_of}&days={days}")))
        dl.figures {
            div { dt { "闲置的债券项目" } dd #idle-count { (i.rows.len()) } }
            div { dt { "闲置金额合计（元）" } dd #idle-total { (view::yuan(total)) } }
        }
        (sheet_frame(&sheet, idle_table(&i.rows, &oldest, as_of)))
        @if i.rows.is_empty() { p.muted #idle-none { "没有到账超过 " (days) " 天仍未支出的专项债券资金。" } }
    };
    Ok(unit_page(&state, "闲置资金", &caller, body))
}

/// The receipt dated the row's oldest day with money left: its voucher and entry.
fn oldest_receipt(flows: &Flows, seqs: &Seqs, row: &IdleRow) -> Option<(String, u64)> {
    let key = (row.bond_code.clone(), row.project_code.clone());
    let flow = flows
        .received
        .get(&key)?
        .values()
        .find(|f| f.date == row.oldest_date)?;
    let seq = seqs.vouchers.get(&flow.voucher)?;
    Some((flow.voucher.clone(), *seq))
}

fn idle_table(rows: &[IdleRow], oldest: &[Option<(String, u64)>], as_of: NaiveDate) -> Markup {
    html! {
        table.journal #idle-funds {
            thead { tr { th { "债券编码" } th { "项目编码" } th.num { "闲置金额" } th { "最早到账日期" } th.num { "已闲置天数" } th { "记录" } } }
            tbody {
                @for (r, first) in rows.iter().zip(oldest) {
                    tr.idle {
                        td { a href=(format!("/bonds#bond-{}", view::encode(&r.bond_code))) { (r.bond_code) } }
                        td { (r.project_code) }
                        (view::money_td(r.idle))
                        td.date { @match first {
                            Some((voucher, seq)) => { a.entry href=(format!("/entries/{seq}")) { (r.oldest_date) " " (voucher) } },
                            None => { (r.oldest_date) },
                        } }
                        td.num { (r.days) }
                        td { a href=(format!("/entries?text={}&to={as_of}", view::encode(&r.project_code))) { "该项目的记录 ›" } }
                    }
                }
            }
        }
    }
}

/// `/procurement-checks?year=Y`.
pub async fn checks_page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<YearQuery>,
) -> Result<Markup, PageError> {
    let asked = view::year_param(query.year.as_deref())?;
    let (c, sheet, sources, parts) = state
        .read(move |ledger| -> Result<_, WebError> {
            let (facts, _, _) = read_all(ledger)?;
            let year = year_of(&facts, asked);
            let c = checks::procurement_checks(&facts.contracts, year);
            let sheet = layout_reports::checks_sheet(&c, &api::unit(ledger));
            let sources: Vec<String> = c
                .findings
                .iter()
                .map(|f| source(&facts.contracts, f))
                .collect();
            let parts: Vec<Option<u64>> = c
                .findings
                .iter()
                .map(|f| part_seq(ledger, &f.contract_no))
                .collect::<Result<_, _>>()?;
            Ok((c, sheet, sources, parts))
        })
        .await??;
    let year = c.year;
    let body = html! {
        nav.crumbs.noprint { a href=(MENU) { "合规检查" } " › 采购合规检查" }
        (view::year_nav("/procurement-checks", year))
        (view::downloads("/procurement-checks", &format!("year={year}")))
        dl.figures { div { dt { "检查发现" } dd #checks-count { (c.findings.len()) } } }
        (sheet_frame(&sheet, findings_table(&c.findings, &sources, &parts)))
        @if c.findings.is_empty() { p.muted #checks-none { (year) " 年签订的合同未发现问题。" } }
    };
    Ok(unit_page(&state, "采购合规检查", &caller, body))
}

/// The first entry of a contract (its first supplier part), for the link to the signed terms.
fn part_seq(ledger: &Ledger, no: &str) -> Result<Option<u64>, WebError> {
    let found = ledger.contract_entries(no)?;
    Ok(found.parts.first().map(|p| p.record.seq))
}

/// The source of a finding's rule: the rule table's row valid on the contract's signing day.
fn source(parts: &[ContractPart], f: &Finding) -> String {
    let book = rulebook::shipped();
    let Some(part) = parts.iter().find(|p| p.terms.no == f.contract_no) else {
        return String::new();
    };
    let signed = part.terms.sign_date;
    let found = match f.rule {
        "notice_late" | "notice_missing" => book
            .payment("notice_working_days", signed)
            .map(|r| r.source.clone()),
        _ => book
            .reserve(part.terms.category, signed)
            .map(|r| r.source.clone()),
    };
    found.unwrap_or_default()
}

fn findings_table(findings: &[Finding], sources: &[String], parts: &[Option<u64>]) -> Markup {
    html! {
        table.journal #procurement-checks {
            thead { tr { th { "合同编号" } th { "检查项" } th { "说明" } th { "依据" } th { "记录" } } }
            tbody {
                @for ((f, source), part) in findings.iter().zip(sources).zip(parts) {
                    tr.finding data-rule=(f.rule) {
                        td { a.contract href=(contract_href(&f.contract_no)) { (f.contract_no) } }
                        td { span.status.bad { (layout_reports::check_rule_label(f.rule)) } }
                        td { (f.detail) }
                        td.source { (source) }
                        td {
                            (entry_link(*part, "合同记录"))
                            " · "
                            a href=(format!("/entries?contract={}", view::encode(&f.contract_no))) { "全部记录 ›" }
                        }
                    }
                }
            }
        }
    }
}
