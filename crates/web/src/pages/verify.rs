//! 校验 and 导出. `/verify` runs the whole check (`taizhang verify`) and shows head hash, count and
//! result; the overview shows the last result it remembers, since a check of a large ledger takes
//! long enough that a page must not run it on every view. `/export` links to the year-end zip.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use axum::extract::{Query, State};
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Caller;
use crate::http::WebError;
use crate::pages::view::PageError;
use crate::pages::{layout, view};
use crate::state::AppState;

/// The outcome of the last check run from the web, per ledger file (a process may serve tests of
/// several ledgers).
#[derive(Clone, Debug)]
pub struct LastCheck {
    /// When it ran, in Beijing time.
    pub at: String,
    pub count: u64,
    pub head_hash: String,
    pub sound: bool,
}

static LAST: Mutex<BTreeMap<PathBuf, LastCheck>> = Mutex::new(BTreeMap::new());

/// The last check of this ledger run from the web, if any.
pub fn last_check(state: &AppState) -> Option<LastCheck> {
    let path = state.ledger().path().to_path_buf();
    LAST.lock().ok()?.get(&path).cloned()
}

fn remember(state: &AppState, check: LastCheck) {
    if let Ok(mut last) = LAST.lock() {
        last.insert(state.ledger().path().to_path_buf(), check);
    }
}

pub async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Markup, PageError> {
    let verification = state.read(|ledger| ledger.verify()).await??;
    let sound = verification.is_sound();
    let now = chrono::Utc::now().timestamp_micros();
    remember(
        &state,
        LastCheck {
            at: view::beijing(now),
            count: verification.count,
            head_hash: verification.head_hash.clone(),
            sound,
        },
    );
    let body = html! {
        h1 { "校验" }
        p.lead { "重新计算每条记录的哈希和链接、序号、索引、累计数和表7恒等式，与 " code { "taizhang verify" } " 相同。" }
        div #verify-result class=(if sound { "status ok" } else { "status bad" }) {
            @if sound { "通过：台账完整，未发现改动。" } @else { "未通过：发现 " (verification.problems.len()) " 处问题。" }
        }
        table.fields {
            tr { th { "记录数" } td #verify-count { (verification.count) } }
            tr { th { "链头哈希" } td { code #verify-head { (verification.head_hash) } } }
            tr { th { "校验时间" } td { (view::beijing(now)) } }
            @if let Some(seq) = verification.first_bad_seq {
                tr { th { "第一条有问题的记录" } td { a href=(format!("/entries/{seq}")) { "第 " (seq) " 条" } } }
            }
        }
        @if !verification.problems.is_empty() {
            h2 { "问题" }
            ul #verify-problems { @for p in &verification.problems { li { (p) } } }
        }
        @if !verification.notes.is_empty() {
            h2 { "说明" }
            ul { @for n in &verification.notes { li { (n) } } }
        }
        p.muted { "可把链头哈希抄下或打印留存：以后用 " code { "taizhang verify --expect-head 哈希" } " 可证明此后台账只增未改。" }
    };
    let unit = state.ledger().unit().full.clone();
    Ok(layout::page("校验", &unit, &caller, "/verify", body))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    year: Option<String>,
}

pub async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<ExportQuery>,
) -> Result<Markup, PageError> {
    let asked = view::year_param(query.year.as_deref())?;
    let (facts, head, closed) = state
        .read(|ledger| -> Result<_, WebError> {
            let (facts, head) = ledger.facts_and_head()?;
            Ok((facts, head, ledger.closed_through()?))
        })
        .await??;
    let year = asked
        .or_else(|| taizhang_projection::overview::newest_year(&facts))
        .unwrap_or_else(|| chrono::Datelike::year(&chrono::Utc::now().date_naive()));
    let year_closed = closed
        .is_some_and(|c| chrono::NaiveDate::from_ymd_opt(year, 12, 31).is_some_and(|e| c >= e));
    let body = html! {
        h1 { "导出" }
        (view::year_nav("/export", year))
        p { "年终文件：表7、政府采购、各季度专项债券使用情况、年初结转和结余调整、合同执行、还本付息计划（CSV 与 Excel），表7和政府采购的文字说明，以及把每个文件（SHA-256）与链头哈希对应起来的清单 manifest.json，打包为一个 zip。" }
        @if !year_closed {
            p.warning {
                (year) " 年尚未结账"
                @if let Some(c) = closed { "（台账结账至 " (c) "）" }
                "：导出后仍可补记该年的账，导出的报表就会与台账不符。年终请先结账再导出。"
            }
        }
        p {
            a.button #export-link href=(format!("/api/export?year={year}")) download { "下载 " (year) " 年终文件（zip）" }
        }
        p.muted { "当前台账：" (head.count) " 条记录，链头哈希 " code { (crate::auth::hex(&head.hash)) } }
    };
    let unit = state.ledger().unit().full.clone();
    Ok(layout::page("导出", &unit, &caller, "/export", body))
}
