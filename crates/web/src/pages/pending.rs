//! 待审: the batches that wait for a checker (maker-checker, issue 18). The list; one batch as it
//! would post now — its rows, the warnings, the table-7 cells it would change, and the reasons it
//! could not post any more —; and the checker's two answers, 批准 and 退回 with a reason. The
//! decision itself is `taizhang_posting::pending`'s, reached through [`crate::actions`] like the API's.

use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::{html, Markup};
use taizhang_core::Right;
use taizhang_posting::pending::{self, CellChange, Decision, Preview};
use taizhang_store::PendingBatch;

use crate::actions;
use crate::auth::Caller;
use crate::forms;
use crate::http::{require, WebError};
use crate::pages::view::PageError;
use crate::pages::{fields, layout, view};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pending", get(list))
        .route("/pending/{id}", get(batch))
        .route("/pending/{id}/approve", post(approve))
        .route("/pending/{id}/reject", post(reject))
        .route("/settings", post(settings))
}

/// `GET /pending`: every batch waiting, oldest first.
async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Markup, PageError> {
    let (batches, required) = state
        .read(|ledger| -> Result<_, taizhang_store::StoreError> {
            Ok((ledger.pending_batches()?, ledger.require_approval()?))
        })
        .await??;
    let unit = state.ledger().unit().full.clone();
    let body = html! {
        (list_body(&batches, required))
        (setting_form(&caller, required))
    };
    Ok(layout::page("待审", &unit, &caller, "/pending", body))
}

/// The admin's switch of `taizhang settings --require-approval`.
fn setting_form(caller: &Caller, required: bool) -> Markup {
    if !caller.role.can(Right::Administer) {
        return html! {};
    }
    let (value, label) = if required {
        ("off", "关闭审核：此后入账无须审核")
    } else {
        ("on", "打开审核：此后入账须经审核")
    };
    html! {
        form #settings-form .noprint method="post" action=(layout::action(caller, "/settings")) {
            input type="hidden" name="require_approval" value=(value);
            button type="submit" { (label) }
        }
    }
}

/// `POST /settings` (require_approval=on|off): recorded as an entry of the chain, by the admin.
async fn settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let done = async {
        require(&caller, Right::Administer)?;
        let fields = forms::form_fields(form)?;
        let value = forms::last_field(&fields, "require_approval").unwrap_or_default();
        let require_approval = match value.trim() {
            "on" => true,
            "off" => false,
            other => {
                return Err(WebError::bad_request(format!(
                    "require_approval 应为 on 或 off，而不是“{}”",
                    crate::api::excerpt(other)
                )))
            }
        };
        let operator = caller.name.clone();
        state
            .write(move |ledger| ledger.change_setting(require_approval, &operator, "网页"))
            .await??;
        Ok(Redirect::to("/pending").into_response())
    }
    .await;
    done.unwrap_or_else(|e: WebError| PageError(e).into_response())
}

fn list_body(batches: &[PendingBatch], required: bool) -> Markup {
    html! {
        h1 { "待审" }
        p.lead #approval-setting {
            @if required {
                "入账须经审核：制单人的导入、记账和冲销先成为待审批次，由另一位审核人批准后才入账。"
            } @else {
                "入账无须审核（管理员可用 taizhang settings --require-approval on 打开）。"
            }
        }
        @if batches.is_empty() {
            p #no-pending { "没有待审的批次。" }
        } @else {
            table #pending-list .list {
                thead { tr { th { "批次" } th { "制单" } th { "提交时间" } th { "内容" } th.num { "条数" } th { "文件" } } }
                tbody {
                    @for b in batches {
                        tr data-batch=(b.id) {
                            td { a href={ "/pending/" (b.id) } { "第 " (b.id) " 批" } }
                            td { (b.maker) }
                            td { (view::beijing_rfc3339(&b.created_at)) }
                            td { (pending::action_words(&b.action)) }
                            td.num { (b.rows.len()) }
                            td { @for f in &b.files { div { (f) } } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /pending/{id}`: the batch as it would post now.
async fn batch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Markup, PageError> {
    let id = crate::api::pending_id(path)?;
    let preview = actions::preview(&state, id)
        .await?
        .ok_or_else(|| WebError::not_found(format!("没有待审批次 {id}（可能已经审核）")))?;
    let unit = state.ledger().unit().full.clone();
    let title = format!("待审批次 {id}");
    let body = batch_body(&preview, &caller, "");
    Ok(layout::page(&title, &unit, &caller, "/pending", body))
}

fn batch_body(p: &Preview, caller: &Caller, reason: &str) -> Markup {
    let b = &p.batch;
    let refused = !p.tally.problems.is_empty();
    html! {
        nav.crumbs.noprint { a href="/pending" { "待审" } " › 第 " (b.id) " 批" }
        h1 { "待审批次 " (b.id) }
        table.fields #batch-fields {
            tr { th { "制单" } td #batch-maker { (b.maker) } }
            tr { th { "提交时间" } td { (view::beijing_rfc3339(&b.created_at)) } }
            tr { th { "内容" } td { (pending::action_words(&b.action)) "，" (b.rows.len()) " 条" } }
            tr { th { "文件" } td { @for f in &b.files { div { (f) } } } }
        }
        @if refused {
            div.error #batch-refused role="alert" {
                p { "这一批现在不能入账（提交以后台账有了变化），只能退回：" }
                ul { @for problem in &p.tally.problems { li.problem { (crate::forms::problem_line(problem)) } } }
            }
        }
        (decision_forms(b, caller, refused, reason))
        h2 { "表7 的变化" }
        (changes_table(&p.changes))
        @let warnings: Vec<String> = b.warnings.iter().cloned()
            .chain(p.tally.warnings.iter().map(crate::forms::problem_line)).collect();
        @if !warnings.is_empty() {
            h2 { "警告" }
            ul #batch-warnings { @for w in &warnings { li.warning { (w) } } }
        }
        h2 { "将入账的记录" }
        (rows_table(b))
    }
}

/// 批准 and 退回, for a checker who did not make the batch; a word for everyone else.
fn decision_forms(b: &PendingBatch, caller: &Caller, refused: bool, reason: &str) -> Markup {
    if caller.name == b.maker {
        return html! { p.note #own-batch { "这是你制单的批次，须由另一位审核人审核。" } };
    }
    if !caller.role.can(Right::Approve) {
        return html! { p.note { "由审核人批准或退回。" } };
    }
    html! {
        div.decision.noprint {
            @if !refused {
                form #approve-form method="post" action=(layout::action(caller, &format!("/pending/{}/approve", b.id))) {
                    button type="submit" { "批准入账" }
                }
            }
            form #reject-form method="post" action=(layout::action(caller, &format!("/pending/{}/reject", b.id))) {
                label { "退回原因 " input type="text" name="reason" value=(reason) required maxlength="500"; }
                " "
                button type="submit" { "退回" }
            }
        }
    }
}

fn changes_table(changes: &[CellChange]) -> Markup {
    if changes.is_empty() {
        return html! { p #no-changes { "表7 没有变化（例如只是合同、验收或不属于政府性基金的收支）。" } };
    }
    html! {
        table #table7-changes .list {
            thead { tr { th { "年度" } th { "科目" } th { "名称" } th { "栏" } th.num { "入账前（元）" } th.num { "入账后（元）" } th.num { "变化（元）" } } }
            tbody {
                @for c in changes {
                    tr data-code=(c.code) data-column=(c.column) {
                        td { (c.year) }
                        td { (c.code) }
                        td { (c.name) }
                        td { (taizhang_interchange::reports::column_label(&c.column)) }
                        (view::money_td(c.before))
                        (view::money_td(c.after))
                        (view::money_td(c.after - c.before))
                    }
                }
            }
        }
    }
}

fn rows_table(b: &PendingBatch) -> Markup {
    html! {
        table #batch-rows .list {
            thead { tr { th { "来源" } th { "种类" } th { "记录" } th { "日期" } th { "科目" } th.num { "金额（元）" } th { "对方或摘要" } } }
            tbody {
                @for (source, body) in &b.rows {
                    @let s = fields::summary(body);
                    tr {
                        td { (source) }
                        td { (body.kind().label()) }
                        td { (s.name) }
                        td { (s.date) }
                        td { (s.code) }
                        @match s.amount { Some(a) => (view::money_td(a)), None => td {} }
                        td { (s.party) }
                    }
                }
            }
        }
    }
}

/// `POST /pending/{id}/approve`: to the first entry posted, or the batch again with the reasons.
async fn approve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let done = async {
        require(&caller, Right::Approve)?;
        let id = crate::api::pending_id(path)?;
        match actions::approve(&state, &caller, id).await? {
            Decision::Approved { review_seq, .. } => {
                Ok(Redirect::to(&format!("/entries/{review_seq}")).into_response())
            }
            decision => Ok(again(&state, &caller, id, decision, "").await),
        }
    }
    .await;
    done.unwrap_or_else(|e: WebError| PageError(e).into_response())
}

/// `POST /pending/{id}/reject` (reason): to the list, or the batch again when the reason is missing.
async fn reject(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let done = async {
        require(&caller, Right::Approve)?;
        let id = crate::api::pending_id(path)?;
        let fields = forms::form_fields(form)?;
        let reason = forms::last_field(&fields, "reason")
            .unwrap_or_default()
            .to_string();
        match actions::reject(&state, &caller, id, reason.clone()).await? {
            Decision::Rejected { review_seq } => {
                Ok(Redirect::to(&format!("/entries/{review_seq}")).into_response())
            }
            decision => Ok(again(&state, &caller, id, decision, &reason).await),
        }
    }
    .await;
    done.unwrap_or_else(|e: WebError| PageError(e).into_response())
}

/// The batch's page again after a decision that did not go through, with why.
async fn again(
    state: &AppState,
    caller: &Caller,
    id: u64,
    decision: Decision,
    reason: &str,
) -> Response {
    // Told in the API's words: a page and a script hear the same.
    let (status, message) = match actions::decided(decision, id) {
        Ok(_) => (StatusCode::OK, "已审核。".to_string()),
        Err(e) => (e.status, e.message),
    };
    let unit = state.ledger().unit().full.clone();
    let shown = match actions::preview(state, id).await {
        Ok(Some(preview)) => batch_body(&preview, caller, reason),
        _ => html! { p { a href="/pending" { "回到待审列表" } } },
    };
    let body = html! {
        p.error #decision-error role="alert" { (message) }
        (shown)
    };
    (
        status,
        layout::page("待审", &unit, caller, "/pending", body),
    )
        .into_response()
}
