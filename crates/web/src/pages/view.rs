//! What every page shares: money as people read it, Beijing time, the `year` and `quarter`
//! parameters, links that carry a query, the download links of a report, and a progress bar drawn
//! with classes (the CSP forbids inline styles).

use chrono::FixedOffset;
use maud::{html, Markup};
use rust_decimal::Decimal;
use taizhang_core::{Amount, Quarter};
use taizhang_interchange::layout::grouped;

use axum::response::{IntoResponse, Response};

use crate::http::WebError;

/// An error on a page, shown to a person as a page (the API answers JSON; a browser that followed
/// a link should not get a JSON body): the status, the message in Chinese, a way back.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl From<WebError> for PageError {
    fn from(e: WebError) -> PageError {
        PageError(e)
    }
}

impl From<taizhang_store::StoreError> for PageError {
    fn from(e: taizhang_store::StoreError) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let WebError {
            status, message, ..
        } = self.0;
        let body = crate::pages::layout::bare(
            "出错了",
            html! {
                h1 { "无法显示" }
                p.error role="alert" { (message) }
                p { a href="/" { "回到概览" } " · " a href="/entries" { "台账" } }
            },
        );
        (status, body).into_response()
    }
}

/// An amount in 元: two decimals, thousands separators ("1,752,200.00").
pub fn yuan(amount: Amount) -> String {
    grouped(amount.decimal())
}

/// A money cell that stays blank at zero (a row of months, most of them empty).
pub fn money_td_blank(amount: Amount) -> Markup {
    if amount.is_zero() {
        return html! { td.num {} };
    }
    money_td(amount)
}

/// A money cell: right-aligned, negative in red.
pub fn money_td(amount: Amount) -> Markup {
    let negative = amount < Amount::ZERO;
    html! { td.num.neg[negative] { (yuan(amount)) } }
}

/// A recorded time (microseconds since the epoch, UTC) in Beijing time, as people read it.
pub fn beijing(micros: i64) -> String {
    let Some(beijing) = FixedOffset::east_opt(8 * 3600) else {
        return micros.to_string();
    };
    match chrono::DateTime::from_timestamp_micros(micros) {
        Some(t) => t
            .with_timezone(&beijing)
            .format("%Y-%m-%d %H:%M:%S（北京时间）")
            .to_string(),
        None => micros.to_string(),
    }
}

/// An RFC 3339 time (a pending batch's) in Beijing time; as given when it is not one.
pub fn beijing_rfc3339(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => beijing(t.timestamp_micros()),
        Err(_) => text.to_string(),
    }
}

/// Today in Beijing (a date typed into a form is the unit's calendar day).
pub fn beijing_today() -> chrono::NaiveDate {
    taizhang_posting::today::beijing_today()
}

/// A `year` parameter if given: a plausible year, or 400 naming the parameter.
pub fn year_param(text: Option<&str>) -> Result<Option<i32>, WebError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    text.parse::<i32>()
        .ok()
        .filter(|y| (1990..=2100).contains(y))
        .map(Some)
        .ok_or_else(|| {
            WebError::bad_request(format!(
                "参数 year 应为 1990 至 2100 的年份，而不是“{}”",
                crate::api::excerpt(text)
            ))
        })
}

/// A `quarter` parameter ("2022Q4"), or 400 naming it.
pub fn quarter_param(text: &str) -> Result<Quarter, WebError> {
    Quarter::parse_typed(text.trim()).map_err(|e| {
        WebError::bad_request(format!(
            "参数 quarter 应形如 2022Q4，而不是“{}”：{e}",
            crate::api::excerpt(text)
        ))
    })
}

/// A query string value, percent-encoded (unreserved characters kept).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The links to a report's xlsx and CSV: `base` is the address without extension ("/table7").
pub fn downloads(base: &str, query: &str) -> Markup {
    html! {
        p.downloads.noprint {
            "下载："
            a href=(format!("{base}.xlsx?{query}")) download { "Excel（xlsx）" }
            " "
            a href=(format!("{base}.csv?{query}")) download { "CSV" }
            " "
            span.muted { "（与 taizhang report / export 的文件相同）" }
        }
    }
}

/// Links to the years before and after `year`: the same page, another year.
pub fn year_nav(path: &str, year: i32) -> Markup {
    html! {
        nav.years.noprint {
            a href=(format!("{path}?year={}", year - 1)) { "‹ " (year - 1) " 年" }
            strong { (year) " 年" }
            a href=(format!("{path}?year={}", year + 1)) { (year + 1) " 年 ›" }
        }
    }
}

/// A percentage as a bar: the width comes from a class per 5% step (`w0` … `w100`), since the page
/// may carry no inline style. The text beside it is the exact figure.
pub fn bar(pct: Decimal) -> Markup {
    let step = (pct.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED) / Decimal::from(5))
        .round()
        .try_into()
        .unwrap_or(0u32)
        * 5;
    html! {
        span.track role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(pct) {
            span class=(format!("fill w{step}")) {}
        }
    }
}

/// An SVG bar chart of twelve months (server-drawn; SVG attributes are not styles, so the CSP allows
/// them). Negative months (more reversed than paid) are drawn as zero and marked by their label.
pub fn month_chart(months: &[Amount; 12], peak: Amount) -> Markup {
    const W: u32 = 960;
    const H: u32 = 170;
    const BASE: u32 = 145;
    let slot = W / 12;
    let height = |a: Amount| -> u32 {
        if peak.is_zero() || a <= Amount::ZERO {
            return 0;
        }
        let h = a.decimal() * Decimal::from(BASE - 20) / peak.decimal();
        h.round().try_into().unwrap_or(0u32)
    };
    html! {
        svg.chart viewBox=(format!("0 0 {W} {H}")) role="img" aria-label="按月支出" {
            line x1="0" y1=(BASE) x2=(W) y2=(BASE) class="axis" {}
            @for (i, amount) in months.iter().enumerate() {
                @let x = i as u32 * slot;
                @let h = height(*amount);
                g {
                    title { (i + 1) " 月：" (yuan(*amount)) " 元" }
                    rect x=(x + 8) y=(BASE - h) width=(slot - 16) height=(h) class="bar" {}
                    text x=(x + slot / 2) y=(BASE + 18) text-anchor="middle" class="label" { (i + 1) "月" }
                    @if !amount.is_zero() {
                        text x=(x + slot / 2) y=(BASE - h - 4) text-anchor="middle" class="value" {
                            (wan(*amount))
                        }
                    }
                }
            }
        }
    }
}

/// An amount in 万元 with two decimals, for labels where 元 would not fit.
pub fn wan(amount: Amount) -> String {
    grouped(amount.wan_yuan())
}
