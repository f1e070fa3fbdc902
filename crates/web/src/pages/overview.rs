//! 概览: per bond and project how far the money is spent (a bar per project), the year's SME and
//! small/micro shares, payments by month as a chart, and the chain's state (entries, head hash, the
//! last check) as Fava's indicator shows whether the books are up to date.

use axum::extract::{Query, State};
use axum::Extension;
use chrono::Datelike;
use maud::{html, Markup};
use serde::Deserialize;
use taizhang_core::{Body, EntryKey, Quarter};
use taizhang_interchange::layout::pct;
use taizhang_projection::bond::{self, BondUse, UseFigure};
use taizhang_projection::overview::{newest_year, MonthlySpending};
use taizhang_projection::procurement::{self, Procurement};
use taizhang_store::{Head, Ledger, StoreError};

use crate::auth::Caller;
use crate::http::WebError;
use crate::pages::reports::use_href;
use crate::pages::verify::{last_check, LastCheck};
use crate::pages::view::PageError;
use crate::pages::{compliance, layout, view};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct OverviewQuery {
    year: Option<String>,
}

/// What the overview shows, read in one go.
struct Overview {
    year: i32,
    head: Head,
    bonds: BondUse,
    procurement: Procurement,
    months: MonthlySpending,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<OverviewQuery>,
) -> Result<Markup, PageError> {
    let asked = view::year_param(query.year.as_deref())?;
    let today = view::beijing_today();
    let o = state
        .read(move |ledger| read(ledger, asked, today))
        .await??;
    // The leader's question "what is about to go wrong", as of today (Beijing).
    let now = compliance::today();
    let attention = state
        .read(move |ledger| compliance::attention(ledger, now))
        .await??;
    let body = html! {
        h1 { "概览" }
        (view::year_nav("/", o.year))
        (bonds(&o.bonds))
        div.columns {
            (sme(&o.procurement))
            (chain(&o.head, last_check(&state)))
        }
        (spending(&o.months))
        section.attention #attention {
            h2 { "需要注意" }
            (compliance::attention_table(&attention))
        }
    };
    let unit = state.ledger().unit().full.clone();
    Ok(layout::page("概览", &unit, &caller, "/", body))
}

/// The year asked for, else the newest with money in it, else this year. Bond figures are as of the
/// year's last quarter, or of this quarter while the year runs.
fn read(
    ledger: &Ledger,
    asked: Option<i32>,
    today: chrono::NaiveDate,
) -> Result<Overview, WebError> {
    let (facts, head) = ledger.facts_and_head()?;
    let year = asked
        .or_else(|| newest_year(&facts))
        .unwrap_or(today.year());
    let quarter = if year == today.year() {
        Quarter::of(today)
    } else {
        Quarter { year, number: 4 }
    };
    Ok(Overview {
        year,
        head,
        bonds: bond::bond_use(&facts, quarter),
        procurement: procurement::procurement(&facts, year),
        months: monthly(ledger, year, head.count)?,
    })
}

/// Payments by month: one pass over the log up to the head the facts were read at; a reversal's
/// payment is read through the index.
fn monthly(ledger: &Ledger, year: i32, upto: u64) -> Result<MonthlySpending, StoreError> {
    let mut months = MonthlySpending::new(year);
    let mut reversals = Vec::new();
    ledger.for_each_entry(1, |posted| {
        if posted.record.seq > upto {
            return false;
        }
        match posted.body {
            Body::Reversal(r) if r.date.year() == year => reversals.push(Body::Reversal(r)),
            Body::Payment(_) => months.add(&posted.body, None),
            _ => {}
        }
        true
    })?;
    for reversal in reversals {
        let Some(EntryKey::Voucher(voucher)) = reversal.refers_to() else {
            continue;
        };
        let original = ledger.entry_by_key(&EntryKey::Voucher(voucher))?;
        months.add(&reversal, original.as_ref().map(|o| &o.body));
    }
    Ok(months)
}

fn bonds(b: &BondUse) -> Markup {
    html! {
        section.bonds {
            h2 { "专项债券资金（截至 " (b.quarter) " 末）" }
            @if b.rows.is_empty() {
                p.muted { "台账中还没有债券。" }
            }
            @for r in &b.rows {
                div.progress data-bond=(r.bond_code) data-project=(r.project_code) {
                    div.progress-head {
                        span.name { a href=(format!("/bonds#bond-{}", r.bond_code)) { (r.bond_name) } " · " (r.project_name) }
                        span.pct { "支出进度 " strong { (format!("{:.2}%", r.progress_pct)) } }
                    }
                    (view::bar(r.progress_pct))
                    dl.figures {
                        div { dt { "分配" } dd { (view::yuan(r.allocated)) } }
                        div { dt { "到位" } dd { a href=(use_href(b.quarter, r, UseFigure::Received)) { (view::yuan(r.received_to_date)) } } }
                        div { dt { "支出" } dd { a href=(use_href(b.quarter, r, UseFigure::SpentToDate)) { (view::yuan(r.spent_to_date)) } } }
                        div { dt { "结余" } dd { a href=(use_href(b.quarter, r, UseFigure::Unspent)) { (view::yuan(r.unspent)) } } }
                        div {
                            dt { "下次付息" }
                            dd {
                                @if let Some((date, amount)) = r.next_coupon {
                                    (date) "，" (view::yuan(amount))
                                } @else { "—" }
                            }
                        }
                    }
                }
            }
            p.muted { "单位：元。支出指用途为“建设”的支出；进度＝累计支出÷分配金额。" a href=(format!("/bond-use?quarter={}", b.quarter)) { "本季使用情况表 ›" } }
        }
    }
}

fn sme(p: &Procurement) -> Markup {
    let share =
        |v: Option<rust_decimal::Decimal>| v.map_or("—".to_string(), |v| format!("{}%", pct(v)));
    let base = format!("/procurement?year={}", p.year);
    html! {
        section.sme {
            h2 { (p.year) " 年政府采购" }
            table.fields {
                tr { th { "采购支出总额" } td.num { a href=(format!("{base}#parts-all")) { (view::yuan(p.all.total)) } } }
                tr { th { "授予中小企业" } td.num { a href=(format!("{base}#parts-sme")) { (view::yuan(p.all.sme)) } } }
                tr { th { "中小企业占比" } td.num #sme-share { a href=(format!("{base}#parts-sme")) { (share(p.all.sme_pct())) } } }
                tr { th { "小微企业占中小企业" } td.num #small-micro-share { a href=(format!("{base}#parts-small-micro")) { (share(p.small_micro_pct_of_sme())) } } }
            }
            p { a href=(format!("/procurement?year={}", p.year)) { "政府采购支出情况 ›" } }
        }
    }
}

fn chain(head: &Head, last: Option<LastCheck>) -> Markup {
    let hash = crate::auth::hex(&head.hash);
    let state = match &last {
        Some(l) if l.sound && l.head_hash == hash => ("ok", "已校验，此后无新记录"),
        Some(l) if l.sound => ("stale", "上次校验通过，此后有新记录"),
        Some(_) => ("bad", "上次校验未通过"),
        None => ("unknown", "本次启动后尚未校验"),
    };
    html! {
        section #chain class=(format!("chain {}", state.0)) data-verified=(state.0) {
            h2 { "链的状态" }
            p.indicator { span.dot {} (state.1) }
            table.fields {
                tr { th { "记录数" } td #chain-count { (head.count) } }
                tr { th { "链头哈希" } td { code #chain-head { (hash) } } }
                @if let Some(l) = &last {
                    tr { th { "上次校验" } td { (l.at) "（" (l.count) " 条）" } }
                }
            }
            p.noprint { a href="/verify" { "立即校验 ›" } }
        }
    }
}

fn spending(m: &MonthlySpending) -> Markup {
    html! {
        section.spending {
            h2 { (m.year) " 年按月支出（各类资金，万元）" }
            (view::month_chart(&m.months, m.peak()))
            table.months {
                tr { @for i in 1..=12 { th { (i) "月" } } th { "合计" } }
                tr { @for a in &m.months { (view::money_td_blank(*a)) } (view::money_td(m.total())) }
            }
            p.muted { "表中单位：元。冲销计入冲销日期所在的月份。" a href=(format!("/entries?kind=payment&from={}-01-01&to={}-12-31", m.year, m.year)) { "本年支出记录 ›" } }
        }
    }
}
