//! The JSON API (interchange.md §"HTTP API of taizhang serve"). Bodies are the CLI's report JSON,
//! unchanged: each handler parses its parameters (a bad one is 400 naming it), checks the caller's
//! right, calls the projection, the posting crate or [`crate::actions`], and sends the JSON.

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};
use taizhang_core::{Kind, Quarter, Right};
use taizhang_interchange::export::CsvEncoding;
use taizhang_interchange::reports::{self as layout, SmallMicroShareOf};
use taizhang_posting::{export, read as reading};
use taizhang_projection::cell::Cell;
use taizhang_projection::flows::Flows;
use taizhang_projection::journal::EntryFilter;
use taizhang_projection::{bond, checks, clock, contracts, idle, opening, procurement, table7};

use crate::actions::{self, Reversal};
use crate::auth::Caller;
use crate::http::{require, WebError, BODY_BYTES_MAX};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/session", get(session))
        .route("/api/reports/table7", get(table7_report))
        .route("/api/reports/procurement", get(procurement_report))
        .route("/api/reports/contracts", get(contracts_report))
        .route(
            "/api/reports/opening-adjustments",
            get(opening_adjustments_report),
        )
        .route("/api/reports/bond-use", get(bond_use_report))
        .route(
            "/api/reports/procurement-checks",
            get(procurement_checks_report),
        )
        .route("/api/reports/payment-clock", get(payment_clock_report))
        .route("/api/reports/overdue", get(overdue_report))
        .route("/api/reports/idle-funds", get(idle_funds_report))
        .route("/api/table7/cell", get(table7_cell))
        .route("/api/entries", get(entries))
        .route("/api/entries/{seq}", get(entry))
        .route("/api/import", post(import).layer(uploads()))
        .route("/api/post", post(post_entry).layer(small_bodies()))
        .route("/api/reverse", post(reverse).layer(small_bodies()))
        .route("/api/close", post(close).layer(small_bodies()))
        .route("/api/pending", get(pending_list))
        .route(
            "/api/pending/{id}/approve",
            post(approve_pending).layer(small_bodies()),
        )
        .route(
            "/api/pending/{id}/reject",
            post(reject_pending).layer(small_bodies()),
        )
        .route("/api/export", get(export))
        .route("/api/verify", get(verify))
}

/// The body limit of the routes that take JSON: uploads alone may be large.
fn small_bodies() -> DefaultBodyLimit {
    DefaultBodyLimit::max(BODY_BYTES_MAX)
}

/// The body limit of an upload (every other route takes 1 MB, set on the whole router).
pub fn uploads() -> DefaultBodyLimit {
    DefaultBodyLimit::max(crate::http::UPLOAD_BYTES_MAX)
}

/// `{"user", "role", "csrf_token"}` (the token is null for a bearer token: it needs none).
async fn session(Extension(caller): Extension<Caller>) -> Json<Value> {
    Json(json!({
        "user": caller.name,
        "role": caller.role.key(),
        "csrf_token": caller.csrf,
    }))
}

/// The query's parameters, read by hand: a malformed query is a Chinese 400 naming the parameter,
/// never the extractor's English rejection. The last of a repeated parameter counts.
#[derive(Deserialize, Default)]
#[serde(transparent)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// A parameter's value, trimmed; `None` when absent or blank.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A required parameter.
    pub fn required(&self, key: &str, example: &str) -> Result<&str, WebError> {
        self.get(key)
            .ok_or_else(|| WebError::bad_request(format!("缺少参数 {key}（如 {key}={example}）")))
    }

    /// The `year` parameter: required, a year the ledger can hold.
    pub fn year(&self) -> Result<i32, WebError> {
        let text = self.required("year", "2022")?;
        parse_year(text)
    }

    /// The `as_of` parameter: required, a date in any spelling the import files take.
    pub fn as_of(&self) -> Result<NaiveDate, WebError> {
        let text = self.required("as_of", "2022-12-31")?;
        parse_as_of(text)
    }

    /// The `days` parameter of idle funds: optional (90 by default, as the CLI's `--days`).
    pub fn days(&self) -> Result<u32, WebError> {
        parse_days(self.get("days"))
    }

    /// An optional whole number, such as `limit` or `after_seq`.
    pub fn number(&self, key: &str) -> Result<Option<u64>, WebError> {
        self.get(key)
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    WebError::bad_request(format!(
                        "参数 {key} 应为非负整数，而不是“{}”",
                        excerpt(text)
                    ))
                })
            })
            .transpose()
    }
}

fn parse_year(text: &str) -> Result<i32, WebError> {
    text.parse::<i32>()
        .ok()
        .filter(|y| (1990..=2100).contains(y))
        .ok_or_else(|| {
            WebError::bad_request(format!(
                "参数 year 应为 1990 至 2100 的年份，而不是“{}”",
                excerpt(text)
            ))
        })
}

/// An `as_of` date (the CLI's `--as-of` parser).
pub fn parse_as_of(text: &str) -> Result<NaiveDate, WebError> {
    taizhang_core::parse_date(text).map_err(|e| WebError::bad_request(format!("参数 as_of：{e}")))
}

/// A `days` count of idle funds: absent is the CLI's default.
pub fn parse_days(text: Option<&str>) -> Result<u32, WebError> {
    match text {
        None => Ok(idle::DEFAULT_DAYS),
        Some(text) => text.parse::<u32>().map_err(|_| {
            WebError::bad_request(format!(
                "参数 days 应为非负整数（天数），而不是“{}”",
                excerpt(text)
            ))
        }),
    }
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<String>,
}

/// The `year` parameter: required, a year the ledger can hold.
pub fn year(query: &YearQuery) -> Result<i32, WebError> {
    let text = query
        .year
        .as_deref()
        .ok_or_else(|| WebError::bad_request("缺少参数 year（如 year=2022）"))?;
    parse_year(text.trim())
}

/// A bit of untrusted text, short, for a message.
pub fn excerpt(text: &str) -> String {
    taizhang_core::text::excerpt(text).to_string()
}

/// The unit's names as the report layout takes them.
pub fn unit(ledger: &taizhang_store::Ledger) -> layout::Unit {
    let names = ledger.unit();
    layout::Unit {
        full: names.full.clone(),
        short: names.short.clone(),
    }
}

/// Runs a report of the facts on a reading thread.
async fn report(
    state: &AppState,
    make: impl FnOnce(&taizhang_projection::Facts, &layout::Unit) -> Value + Send + 'static,
) -> Result<Json<Value>, WebError> {
    let value = state
        .read(move |ledger| -> Result<Value, WebError> {
            let facts = ledger.facts()?;
            Ok(make(&facts, &unit(ledger)))
        })
        .await??;
    Ok(Json(value))
}

/// Table 7, the report scripts and dashboards ask for most: its answer is kept until the next batch
/// (bench/web.sh measured it under load).
async fn table7_report(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let year = params.year()?;
    let value = state
        .answer(format!("table7?year={year}"), move |ledger| {
            let facts = ledger.facts()?;
            Ok(layout::table7_json(
                &table7::table7(&facts, year),
                &unit(ledger),
            ))
        })
        .await?;
    Ok(Json(value).into_response())
}

/// `small_micro_share_of`: sme (the CLI's default) or total.
fn share_of(params: &Params) -> Result<SmallMicroShareOf, WebError> {
    match params.get("small_micro_share_of") {
        None | Some("sme") => Ok(SmallMicroShareOf::Sme),
        Some("total") => Ok(SmallMicroShareOf::Total),
        Some(other) => Err(WebError::bad_request(format!(
            "参数 small_micro_share_of 应为 sme 或 total，而不是“{}”",
            excerpt(other)
        ))),
    }
}

async fn procurement_report(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let year = params.year()?;
    let share_of = share_of(&params)?;
    report(&state, move |facts, unit| {
        layout::procurement_json(&procurement::procurement(facts, year), unit, share_of)
    })
    .await
}

async fn contracts_report(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let year = params.year()?;
    report(&state, move |facts, _| {
        layout::contracts_json(year, &contracts::contracts(facts, year))
    })
    .await
}

async fn opening_adjustments_report(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let year = params.year()?;
    report(&state, move |facts, _| {
        layout::opening_adjustments_json(year, &opening::adjustments(facts, year))
    })
    .await
}

async fn bond_use_report(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let text = params.required("quarter", "2022Q3")?;
    let quarter = Quarter::parse_typed(text)
        .map_err(|e| WebError::bad_request(format!("参数 quarter：{e}")))?;
    report(&state, move |facts, _| {
        layout::bond_use_json(&bond::bond_use(facts, quarter))
    })
    .await
}

/// The clocks and checks of issue 17: the same projections and JSON builders as `taizhang report`
/// (src/reports.rs), the payment clock and idle funds over the ledger's dated flows.
async fn payment_clock_report(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let as_of = params.as_of()?;
    clock_report(&state, move |flows, facts| {
        layout::payment_clock_json(&clock::payment_clock(flows, &facts.contracts, as_of))
    })
    .await
}

async fn overdue_report(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let year = params.year()?;
    clock_report(&state, move |flows, facts| {
        layout::overdue_json(&clock::overdue(flows, &facts.contracts, year))
    })
    .await
}

async fn idle_funds_report(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let as_of = params.as_of()?;
    let days = params.days()?;
    clock_report(&state, move |flows, _| {
        layout::idle_funds_json(&idle::idle_funds(flows, as_of, days))
    })
    .await
}

async fn procurement_checks_report(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let year = params.year()?;
    report(&state, move |facts, _| {
        layout::checks_json(&checks::procurement_checks(&facts.contracts, year))
    })
    .await
}

/// Runs a report of the dated flows and the facts on a reading thread.
async fn clock_report(
    state: &AppState,
    make: impl FnOnce(&Flows, &taizhang_projection::Facts) -> Value + Send + 'static,
) -> Result<Json<Value>, WebError> {
    let value = state
        .read(move |ledger| -> Result<Value, WebError> {
            // The flows of the facts' head: both of one state, even with a write in between.
            let (facts, head) = ledger.facts_and_head()?;
            Ok(make(&ledger.flows_through(head.count)?, &facts))
        })
        .await??;
    Ok(Json(value))
}

/// The cell a request names: `year`, `code` (a 类, 款 or 项 code, or 合计) and `column`.
pub fn cell(params: &Params) -> Result<Cell, WebError> {
    let year = params.year()?;
    let code = params.required("code", "2290402")?;
    let column = params.required("column", "expense")?;
    Cell::parse(year, code, column)
        .map_err(|(field, why)| WebError::bad_request(format!("参数 {field}：{why}")))
}

/// `{"year", "code", "column", "value", "entries": […], "next_after_seq"}`: the entries whose
/// contributions add up to the cell. All of them; a page of them, newest first, when the request
/// names `limit` or `after_seq` (a 项's expense on a large ledger is too many for one answer).
async fn table7_cell(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let cell = cell(&params)?;
    let (after, limit) = paging(&params)?;
    let paged = after.is_some() || limit.is_some();
    let found = state
        .read(move |ledger| match paged {
            true => reading::cell_entries_page(ledger, cell, after, limit),
            false => reading::cell_entries(ledger, cell),
        })
        .await??;
    Ok(Json(found.to_json()))
}

/// The journal's filter from a request's parameters (the API's and the page's).
pub fn entry_filter(params: &Params) -> Result<EntryFilter, WebError> {
    let kind = params
        .get("kind")
        .map(|word| {
            Kind::parse(word).ok_or_else(|| {
                WebError::bad_request(format!(
                    "参数 kind 不是已知的种类“{}”（如 receipt、payment、contract、reversal）",
                    excerpt(word)
                ))
            })
        })
        .transpose()?;
    let date = |key: &str| {
        params
            .get(key)
            .map(|text| {
                taizhang_core::period::parse_date(text)
                    .map_err(|e| WebError::bad_request(format!("参数 {key}：{e}")))
            })
            .transpose()
    };
    let text = |key: &str| {
        params
            .get(key)
            .map(|v| taizhang_core::text::nfc(v).into_owned())
    };
    let mut filter = EntryFilter {
        kind,
        from: date("from")?,
        to: date("to")?,
        voucher: text("voucher"),
        contract: text("contract"),
        code: text("code"),
        payee: text("payee"),
        text: text("text"),
    };
    if let Some(year) = params.get("year") {
        let (from, to) = (filter.from, filter.to);
        filter = filter.year(parse_year(year)?);
        // A date range given as well narrows the year.
        filter.from = from.max(filter.from);
        filter.to = to.min(filter.to).or(filter.to);
    }
    Ok(filter)
}

/// The page's size and starting point: `limit` (1–500, 50 by default) and `after_seq`.
pub fn paging(params: &Params) -> Result<(Option<u64>, Option<usize>), WebError> {
    let after = params.number("after_seq")?;
    let limit = params
        .number("limit")?
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if limit == Some(0) {
        return Err(WebError::bad_request("参数 limit 应为 1 至 500 的整数"));
    }
    Ok((after, limit))
}

/// `{"entries": […], "next_after_seq"}`, newest first, as `log --format json` writes each.
async fn entries(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, WebError> {
    let filter = entry_filter(&params)?;
    let (after, limit) = paging(&params)?;
    let page = state
        .read(move |ledger| reading::entries_page(ledger, &filter, after, limit))
        .await??;
    Ok(Json(page.to_json()))
}

/// The `{seq}` of an entry's address.
pub fn seq(text: &str) -> Result<u64, WebError> {
    positive(text, "seq", "记录的序号")
}

/// A positive whole number of an address, or 400 naming the parameter and what it should be.
fn positive(text: &str, parameter: &str, what: &str) -> Result<u64, WebError> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            WebError::bad_request(format!(
                "参数 {parameter} 应为{what}（正整数），而不是“{}”",
                excerpt(text)
            ))
        })
}

/// The `{seq}` of an address as the extractor gives it: one that is not UTF-8 (`/api/entries/%FF`)
/// was axum's English plain-text 400, told here in Chinese like any other bad `seq`.
pub fn seq_path(path: Result<Path<String>, PathRejection>) -> Result<u64, WebError> {
    match path {
        Ok(Path(text)) => seq(&text),
        Err(_) => Err(WebError::bad_request(
            "参数 seq 应为记录的序号（正整数），地址中的序号无法读取",
        )),
    }
}

/// `{"entry", "reverses", "reversed_by", "hash_holds"}`; 404 for a number no entry has.
async fn entry(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, WebError> {
    let seq = seq_path(path)?;
    let detail = state
        .read(move |ledger| reading::entry_detail(ledger, seq))
        .await??
        .ok_or_else(|| WebError::not_found(format!("没有第 {seq} 条记录")))?;
    Ok(Json(detail.to_json()))
}

/// `POST /api/import`: multipart, field `files` (one or more), `check=1` for a dry run.
async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    require(&caller, Right::Post)?;
    let multipart = multipart
        .map_err(|_| WebError::bad_request("请以 multipart/form-data 上传文件（字段 files）"))?;
    let upload = actions::receive(multipart).await?;
    let outcome = actions::import(&state, &caller, upload).await?;
    Ok(outcome.into_response())
}

/// A JSON body, read by hand: one too large is a Chinese 413 (also when sent without a length,
/// which the early check cannot see), a malformed one a Chinese 400.
fn json_body(bytes: Result<Bytes, BytesRejection>) -> Result<Value, WebError> {
    let bytes = bytes.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => WebError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("请求体超过 {} KB 的上限", BODY_BYTES_MAX / 1024),
        ),
        status => WebError::new(status, "请求体无法读取"),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        WebError::bad_request(format!(
            "请求体不是有效的 JSON（第 {} 行第 {} 列）",
            e.line(),
            e.column()
        ))
    })
}

/// `POST /api/post`: `{"kind": "payment", "voucher_no": …}` with the CLI's option names.
async fn post_entry(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, WebError> {
    require(&caller, Right::Post)?;
    let body = json_body(body)?;
    let outcome = actions::post(&state, &caller, &body).await?;
    Ok(outcome.into_response())
}

/// `POST /api/reverse`: `{"voucher", "date", "reason"}`.
async fn reverse(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, WebError> {
    require(&caller, Right::Post)?;
    let reversal = Reversal::from_json(&json_body(body)?)?;
    let outcome = actions::reverse(&state, &caller, reversal).await?;
    Ok(outcome.into_response())
}

/// `POST /api/close`: `{"through"}` (admin).
async fn close(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, WebError> {
    require(&caller, Right::Administer)?;
    let through = actions::through(&json_body(body)?)?;
    let outcome = actions::close(&state, &caller, through).await?;
    Ok(Json(outcome.into_json()?))
}

/// `csv_encoding`: utf8-bom (the CLI's default), gb18030 or utf8.
fn csv_encoding(params: &Params) -> Result<CsvEncoding, WebError> {
    let all = [
        CsvEncoding::Utf8Bom,
        CsvEncoding::Gb18030,
        CsvEncoding::Utf8,
    ];
    match params.get("csv_encoding") {
        None => Ok(CsvEncoding::default()),
        Some(name) => all.into_iter().find(|e| e.name() == name).ok_or_else(|| {
            WebError::bad_request(format!(
                "参数 csv_encoding 应为 utf8-bom、gb18030 或 utf8，而不是“{}”",
                excerpt(name)
            ))
        }),
    }
}

/// `GET /api/export?year=Y`: the year-end files (`taizhang export`'s, byte for byte) as one zip.
async fn export(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let year = params.year()?;
    let encoding = csv_encoding(&params)?;
    let zip = state
        .read(move |ledger| export::year_zip(ledger, year, encoding))
        .await??;
    let disposition = format!("attachment; filename=\"taizhang-{year}.zip\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        zip,
    )
        .into_response())
}

/// `{"count", "head_hash", "ok", "problems"}`: the whole chain checked, as `taizhang verify`.
async fn verify(State(state): State<AppState>) -> Result<Json<Value>, WebError> {
    let verification = state.read(|ledger| ledger.verify()).await??;
    Ok(Json(json!({
        "count": verification.count,
        "head_hash": verification.head_hash,
        "ok": verification.problems.is_empty(),
        "first_bad_seq": verification.first_bad_seq,
        "problems": verification.problems,
        "notes": verification.notes,
    })))
}

/// The `{id}` of a pending batch's address.
pub fn pending_id(path: Result<Path<String>, PathRejection>) -> Result<u64, WebError> {
    let text = path.map(|Path(text)| text).unwrap_or_default();
    positive(&text, "id", "待审批次的编号")
}

/// `GET /api/pending`: `{"pending": [{"id", "maker", "created_at", "action", "files", "warnings",
/// "rows": [{"source", "kind", "body"}]}]}`.
async fn pending_list(State(state): State<AppState>) -> Result<Json<Value>, WebError> {
    Ok(Json(actions::pending_list(&state).await?))
}

/// `POST /api/pending/{id}/approve` (checker): 200 `{"posted", "review_seq", "warnings"}`; 403 the
/// caller's own batch; 404 unknown; 422 `{"problems"}` when it no longer passes (nothing posted).
async fn approve_pending(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, WebError> {
    require(&caller, Right::Approve)?;
    let id = pending_id(path)?;
    let decision = actions::approve(&state, &caller, id).await?;
    Ok(Json(actions::decided(decision, id)?))
}

/// `POST /api/pending/{id}/reject` with `{"reason"}` (checker): 200 `{"review_seq"}`; 400 without
/// a reason.
async fn reject_pending(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, WebError> {
    require(&caller, Right::Approve)?;
    let id = pending_id(path)?;
    let body = json_body(body)?;
    let reason = match body.get("reason") {
        Some(Value::String(reason)) if !reason.trim().is_empty() => reason.clone(),
        Some(Value::String(_)) | None => {
            return Err(WebError::bad_request("请写明退回原因（参数 reason）"))
        }
        Some(_) => return Err(WebError::bad_request("参数 reason 应为字符串")),
    };
    let decision = actions::reject(&state, &caller, id, reason).await?;
    Ok(Json(actions::decided(decision, id)?))
}
