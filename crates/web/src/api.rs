//! The JSON API (interchange.md §"HTTP API of taizhang serve"). Bodies are the CLI's report JSON,
//! unchanged: each handler calls the projection and the interchange crate's layout, as the CLI does.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use taizhang_interchange::reports as layout;
use taizhang_projection::table7;

use crate::auth::Caller;
use crate::http::WebError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/session", get(session))
        .route("/api/reports/table7", get(table7_report))
        .route("/api/verify", get(verify))
}

/// `{"user", "role", "csrf_token"}` (the token is null for a bearer token: it needs none).
async fn session(Extension(caller): Extension<Caller>) -> Json<Value> {
    Json(json!({
        "user": caller.name,
        "role": caller.role.key(),
        "csrf_token": caller.csrf,
    }))
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
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1990..=2100).contains(y))
        .ok_or_else(|| {
            WebError::bad_request(format!(
                "参数 year 应为 1990 至 2100 的年份，而不是“{}”",
                excerpt(text)
            ))
        })
}

/// A bit of untrusted text, short, for a message.
pub fn excerpt(text: &str) -> String {
    taizhang_core::text::excerpt(text).to_string()
}

async fn table7_report(
    State(state): State<AppState>,
    Query(query): Query<YearQuery>,
) -> Result<Json<Value>, WebError> {
    let year = year(&query)?;
    let value = state
        .read(move |ledger| -> Result<Value, WebError> {
            let facts = ledger.facts()?;
            let unit = unit(ledger);
            Ok(layout::table7_json(&table7::table7(&facts, year), &unit))
        })
        .await??;
    Ok(Json(value))
}

/// The unit's names as the report layout takes them.
pub fn unit(ledger: &taizhang_store::Ledger) -> layout::Unit {
    let names = ledger.unit();
    layout::Unit {
        full: names.full.clone(),
        short: names.short.clone(),
    }
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
