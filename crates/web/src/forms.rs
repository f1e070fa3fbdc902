//! The pages that write: 导入 (upload, dry run, post), 记账 (a form per kind, with pickers from the
//! ledger and the catalogue), 冲销 (from an entry's page), 结账. Each form posts without scripts
//! (the CSRF token rides in the form's address, [`layout::action`]) to the same
//! [`crate::actions`] as the API, so a page and a script are told the same.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::{html, Markup};
use serde_json::{Map, Value};
use taizhang_core::{Body, Kind, Right};
use taizhang_interchange::{columns, Problem};

use crate::actions::{self, Outcome, Reversal};
use crate::api::Params;
use crate::auth::Caller;
use crate::http::{require, WebError};
use crate::pages::layout;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/import",
            get(import_form)
                .post(import_submit)
                .layer(crate::api::uploads()),
        )
        .route("/post", get(post_form).post(post_submit))
        .route("/entries/{seq}/reverse", post(reverse_submit))
        .route("/close", get(close_form).post(close_submit))
}

/// The fields of a submitted form, in order.
type Fields = Vec<(String, String)>;

/// A page in the frame, with a status.
fn framed(
    state: &AppState,
    caller: &Caller,
    (title, active): (&str, &str),
    status: StatusCode,
    body: Markup,
) -> Response {
    let unit = state.ledger().unit().full.clone();
    (status, layout::page(title, &unit, caller, active, body)).into_response()
}

/// An error told on a page (a person reads it), not as the API's JSON.
fn error_page(state: &AppState, caller: &Caller, title: &str, error: WebError) -> Response {
    let body = html! {
        h1 { (title) }
        p.error { (error.message) }
        (problem_list(&error.problems))
    };
    framed(state, caller, (title, ""), error.status, body)
}

/// A problem as the pages show it: "FILE:LINE:COLUMN：MESSAGE" (no column: "FILE:LINE：MESSAGE").
pub fn problem_line(p: &Problem) -> String {
    if p.column.is_empty() {
        format!("{}:{}：{}", p.file, p.line, p.message)
    } else {
        format!("{}:{}:{}：{}", p.file, p.line, p.column, p.message)
    }
}

fn problem_list(problems: &[Problem]) -> Markup {
    html! {
        @if !problems.is_empty() {
            ul #problems {
                @for p in problems { li.problem { (problem_line(p)) } }
            }
        }
    }
}

/// What a batch did: the CLI's summary lines and the warnings, or every problem.
fn outcome_view(outcome: &Outcome) -> Markup {
    let lines = outcome.tally.outcome_lines(outcome.committed, false);
    html! {
        @if outcome.passed() {
            div #outcome {
                @for line in &lines { p { (line) } }
                @if let Some(seq) = outcome.last_seq {
                    p { a href={ "/entries/" (seq) } { "查看第 " (seq) " 条记录" } }
                }
                @if let Some(id) = outcome.tally.pending {
                    p.notice { a href={ "/pending/" (id) } { "查看待审批次 " (id) } }
                }
            }
            @if !outcome.tally.warnings.is_empty() {
                h2 { "警告" }
                ul #warnings {
                    @for w in &outcome.tally.warnings { li.warning { (problem_line(w)) } }
                }
            }
        } @else {
            @for line in &lines { p.error { (line) } }
            (problem_list(&outcome.tally.problems))
        }
    }
}

fn outcome_status(outcome: &Outcome) -> StatusCode {
    if outcome.passed() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

// ---- 导入 ----

fn import_view(caller: &Caller) -> Markup {
    html! {
        h1 { "导入" }
        p { "选择一个或多个 CSV 或 Excel 文件（收入、支出、合同、债券……）。先“检查”看看将记账什么、有什么问题；
             没有问题再“记账”：一次导入为一个整体，任何一行有错则全部不记账。" }
        form #import-form method="post" enctype="multipart/form-data" action=(layout::action(caller, "/import")) {
            p { input type="file" name="files" multiple accept=".csv,.xlsx,.xls,.xlsm,.ods" required; }
            p {
                button type="submit" name="action" value="check" { "检查（不记账）" }
                " "
                button type="submit" name="action" value="post" { "记账" }
            }
        }
    }
}

async fn import_form(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    if let Err(e) = require(&caller, Right::Post) {
        return error_page(&state, &caller, "导入", e);
    }
    framed(
        &state,
        &caller,
        ("导入", "/import"),
        StatusCode::OK,
        import_view(&caller),
    )
}

async fn import_submit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let outcome = async {
        require(&caller, Right::Post)?;
        let multipart =
            multipart.map_err(|_| WebError::bad_request("请通过导入页面的表单上传文件"))?;
        let upload = actions::receive(multipart).await?;
        actions::import(&state, &caller, upload).await
    }
    .await;
    match outcome {
        Ok(outcome) => {
            let body = html! { (import_view(&caller)) h2 { "结果" } (outcome_view(&outcome)) };
            framed(
                &state,
                &caller,
                ("导入", "/import"),
                outcome_status(&outcome),
                body,
            )
        }
        Err(e) => error_page(&state, &caller, "导入", e),
    }
}

// ---- 记账 ----

/// What the pickers offer: contracts, bonds and projects from the ledger, codes from the catalogue.
struct Pickers {
    contracts: Vec<(String, String)>,
    bonds: Vec<(String, String)>,
    projects: Vec<(String, String)>,
    codes: Vec<(String, String)>,
}

fn pickers(ledger: &taizhang_store::Ledger) -> Result<Pickers, WebError> {
    let facts = ledger.facts()?;
    let mut contracts: Vec<(String, String)> = (facts.contracts.iter())
        .map(|c| (c.terms.no.clone(), c.terms.title.clone()))
        .collect();
    contracts.dedup();
    let mut bonds: Vec<(String, String)> = (facts.bonds.iter())
        .map(|b| (b.terms.code.clone(), b.terms.name.clone()))
        .collect();
    bonds.sort();
    bonds.dedup();
    let mut projects: Vec<(String, String)> = (facts.bonds.iter())
        .map(|b| (b.project_code.clone(), b.project_name.clone()))
        .collect();
    projects.sort();
    projects.dedup();
    // 项 codes (seven digits) of the shipped catalogue, then the ledger's own names.
    let mut codes: Vec<(String, String)> = (taizhang_core::catalog::builtin().iter())
        .filter(|(code, _)| code.len() == 7)
        .map(|(code, name)| (code.to_string(), name.to_string()))
        .collect();
    codes.extend(
        (facts.names.iter())
            .filter(|(code, _)| code.as_str().len() == 7)
            .map(|(code, name)| (code.as_str().to_string(), name.clone())),
    );
    codes.sort();
    codes.dedup_by(|a, b| a.0 == b.0);
    Ok(Pickers {
        contracts,
        bonds,
        projects,
        codes,
    })
}

/// The choices of a column with a fixed vocabulary, by their Chinese labels.
fn choices(key: &str) -> Option<Vec<&'static str>> {
    use taizhang_core::{
        AdjustReason, Category, ExpenseType, Frequency, Fund, Method, Purpose, Special,
        SupplierSize,
    };
    fn labels<T: Copy>(all: &[T], label: fn(T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|v| label(*v)).collect()
    }
    Some(match key {
        "fund" => labels(Fund::ALL, Fund::label),
        "expense_type" => labels(ExpenseType::ALL, ExpenseType::label),
        "purpose" => labels(Purpose::ALL, Purpose::label),
        "category" => labels(Category::ALL, Category::label),
        "method" => labels(Method::ALL, Method::label),
        "size" => labels(SupplierSize::ALL, SupplierSize::label),
        "special" => labels(Special::ALL, Special::label),
        "frequency" => labels(Frequency::ALL, Frequency::label),
        "adjust_reason" => labels(AdjustReason::ALL, AdjustReason::label),
        _ => return None,
    })
}

/// The datalist a column's input suggests from, if any.
fn datalist(key: &str) -> Option<&'static str> {
    match key {
        "contract_no" => Some("contracts"),
        "bond_code" => Some("bonds"),
        "project_code" => Some("projects"),
        "function_code" | "code" => Some("codes"),
        _ => None,
    }
}

fn datalists(p: &Pickers) -> Markup {
    let list = |id: &str, items: &[(String, String)]| {
        html! {
            datalist id=(id) {
                @for (value, label) in items { option value=(value) { (label) } }
            }
        }
    };
    html! {
        (list("contracts", &p.contracts))
        (list("bonds", &p.bonds))
        (list("projects", &p.projects))
        (list("codes", &p.codes))
    }
}

/// The kinds the form posts, as the CLI's `post` names them.
fn post_kinds() -> Vec<Kind> {
    columns::file_kinds().collect()
}

fn kind_of(word: Option<&str>) -> Result<Kind, WebError> {
    let word = word.unwrap_or("payment");
    Kind::parse(word)
        .filter(|k| post_kinds().contains(k))
        .ok_or_else(|| {
            WebError::bad_request(format!(
                "参数 kind 不是可记账的种类“{}”",
                crate::api::excerpt(word)
            ))
        })
}

fn post_view(caller: &Caller, kind: Kind, values: &Fields, pickers: &Pickers) -> Markup {
    let value = |key: &str| {
        values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    html! {
        h1 { "记账" }
        nav.kinds {
            @for k in post_kinds() {
                a href={ "/post?kind=" (k.key()) } class=[(k == kind).then_some("active")] { (k.label()) }
                " "
            }
        }
        form #post-form method="post" action=(layout::action(caller, "/post")) {
            input type="hidden" name="kind" value=(kind.key());
            table.form {
                @for column in columns::columns(kind) {
                    tr {
                        th { label for={ "f-" (column.key) } { (column.chinese) @if column.required { " *" } } }
                        td { (field_input(column.key, column.required, value(column.key))) }
                    }
                }
            }
            p { button type="submit" { "记账" } }
        }
        (datalists(pickers))
    }
}

fn field_input(key: &str, required: bool, value: &str) -> Markup {
    let id = format!("f-{key}");
    if let Some(options) = choices(key) {
        return html! {
            select id=(id) name=(key) required[required] {
                option value="" { "（请选择）" }
                @for o in options { option value=(o) selected[o == value] { (o) } }
            }
        };
    }
    let kind = if key.ends_with("date") {
        "date"
    } else {
        "text"
    };
    html! {
        input id=(id) type=(kind) name=(key) value=(value) required[required] list=[datalist(key)];
    }
}

async fn post_form(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<Params>,
) -> Response {
    let shown = async {
        require(&caller, Right::Post)?;
        let kind = kind_of(params.get("kind"))?;
        let pickers = state.read(pickers).await??;
        Ok::<_, WebError>(post_view(&caller, kind, &Vec::new(), &pickers))
    }
    .await;
    match shown {
        Ok(body) => framed(&state, &caller, ("记账", "/post"), StatusCode::OK, body),
        Err(e) => error_page(&state, &caller, "记账", e),
    }
}

/// The API's JSON of a submitted form: its non-empty fields by the CLI's option names.
fn post_json(kind: Kind, fields: &Fields) -> Value {
    let mut object = Map::new();
    object.insert("kind".into(), Value::String(kind.key().to_string()));
    for (key, value) in fields {
        if key != "kind" && !value.trim().is_empty() {
            object.insert(key.clone(), Value::String(value.clone()));
        }
    }
    Value::Object(object)
}

pub(crate) fn form_fields(form: Result<Form<Fields>, FormRejection>) -> Result<Fields, WebError> {
    form.map(|Form(fields)| fields)
        .map_err(|_| WebError::bad_request("表单无法读取：请在页面上重新填写后提交"))
}

/// A form's value for `key`: the last one given (a field repeated by a forged form counts once).
pub(crate) fn last_field<'f>(fields: &'f [(String, String)], key: &str) -> Option<&'f str> {
    (fields.iter().rev())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

async fn post_submit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let done = async {
        require(&caller, Right::Post)?;
        let fields = form_fields(form)?;
        let kind = kind_of(
            fields
                .iter()
                .find(|(k, _)| k == "kind")
                .map(|(_, v)| v.as_str()),
        )?;
        let outcome = actions::post(&state, &caller, &post_json(kind, &fields)).await?;
        let pickers = state.read(pickers).await??;
        // After a post the form starts empty again; a refused one keeps what was typed.
        let values = if outcome.passed() { Vec::new() } else { fields };
        let body = html! {
            (outcome_view(&outcome))
            (post_view(&caller, kind, &values, &pickers))
        };
        Ok::<_, WebError>((outcome_status(&outcome), body))
    }
    .await;
    match done {
        Ok((status, body)) => framed(&state, &caller, ("记账", "/post"), status, body),
        Err(e) => error_page(&state, &caller, "记账", e),
    }
}

// ---- 冲销 ----

/// The reversal form of an entry's page (the page itself is in `pages`); shown again here with the
/// problems when a reversal is refused.
pub fn reverse_form(caller: &Caller, seq: u64, date: &str, reason: &str) -> Markup {
    html! {
        form #reverse-form method="post" action=(layout::action(caller, &format!("/entries/{seq}/reverse"))) {
            label { "冲销日期 " input type="date" name="date" value=(date) required; }
            " "
            label { "原因 " input type="text" name="reason" value=(reason) required; }
            " "
            button type="submit" { "红字冲销" }
        }
    }
}

/// The voucher of the receipt or payment numbered `seq`.
async fn voucher_of(state: &AppState, seq: u64) -> Result<String, WebError> {
    let entry = state
        .read(move |ledger| ledger.entry_at(seq))
        .await??
        .ok_or_else(|| WebError::not_found(format!("没有第 {seq} 条记录")))?;
    match entry.body {
        Body::Receipt(r) => Ok(r.voucher_no),
        Body::Payment(p) => Ok(p.voucher_no),
        other => Err(WebError::bad_request(format!(
            "第 {seq} 条记录是{}，只有收入和支出可以冲销",
            other.kind().label()
        ))),
    }
}

/// The entry that reverses the one numbered `seq`, once there is one.
async fn reversal_of(state: &AppState, seq: u64) -> Result<Option<u64>, WebError> {
    let links = state
        .read(move |ledger| -> Result<_, WebError> {
            let Some(entry) = ledger.entry_at(seq)? else {
                return Ok(None);
            };
            Ok(ledger.reversal_links(&entry.body)?.reversed_by)
        })
        .await??;
    Ok(links.map(|posted| posted.record.seq))
}

/// `POST /entries/{seq}/reverse` (date, reason): 303 to the reversal's page, or the form again with
/// the problems.
async fn reverse_submit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let done = async {
        require(&caller, Right::Post)?;
        let seq = crate::api::seq_path(path)?;
        let fields = form_fields(form)?;
        let field = |key: &str| last_field(&fields, key).unwrap_or_default().to_string();
        let (date, reason) = (field("date"), field("reason"));
        let voucher = voucher_of(&state, seq).await?;
        let reversal = Reversal {
            voucher,
            date: date.clone(),
            reason: reason.clone(),
        };
        let outcome = actions::reverse(&state, &caller, reversal).await?;
        if outcome.passed() && outcome.tally.pending.is_none() {
            // Posted now, or the same reversal was already there: its page either way.
            if let Some(new) = outcome.last_seq.or(reversal_of(&state, seq).await?) {
                return Ok(Redirect::to(&format!("/entries/{new}")).into_response());
            }
        }
        let body = html! {
            h1 { "冲销第 " (seq) " 条记录" }
            (outcome_view(&outcome))
            (reverse_form(&caller, seq, &date, &reason))
            p { a href={ "/entries/" (seq) } { "返回第 " (seq) " 条记录" } }
        };
        Ok::<_, WebError>(framed(
            &state,
            &caller,
            ("冲销", "/entries"),
            outcome_status(&outcome),
            body,
        ))
    }
    .await;
    done.unwrap_or_else(|e| error_page(&state, &caller, "冲销", e))
}

// ---- 结账 ----

fn close_view(caller: &Caller, closed: Option<chrono::NaiveDate>, through: &str) -> Markup {
    html! {
        h1 { "结账" }
        p {
            @match closed {
                Some(date) => { "已结账至 " (date) "（含）：此日以前不能再记账。" }
                None => { "尚未结账。" }
            }
        }
        form #close-form method="post" action=(layout::action(caller, "/close")) {
            label { "结账至（含）" input type="date" name="through" value=(through) required; }
            " "
            button type="submit" { "结账" }
        }
    }
}

async fn close_form(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let shown = async {
        require(&caller, Right::Administer)?;
        let closed = state.read(|ledger| ledger.closed_through()).await??;
        Ok::<_, WebError>(close_view(&caller, closed, ""))
    }
    .await;
    match shown {
        Ok(body) => framed(&state, &caller, ("结账", "/close"), StatusCode::OK, body),
        Err(e) => error_page(&state, &caller, "结账", e),
    }
}

async fn close_submit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let done = async {
        require(&caller, Right::Administer)?;
        let fields = form_fields(form)?;
        let through = last_field(&fields, "through")
            .map(str::to_string)
            .ok_or_else(|| WebError::bad_request("缺少参数 through（结账日期）"))?;
        let outcome = actions::close(&state, &caller, through.clone()).await?;
        let closed = state.read(|ledger| ledger.closed_through()).await??;
        let body = html! { (outcome_view(&outcome)) (close_view(&caller, closed, &through)) };
        Ok::<_, WebError>((outcome_status(&outcome), body))
    }
    .await;
    match done {
        Ok((status, body)) => framed(&state, &caller, ("结账", "/close"), status, body),
        Err(e) => error_page(&state, &caller, "结账", e),
    }
}
