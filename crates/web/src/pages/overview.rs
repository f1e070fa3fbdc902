//! 概览: how far the bond money is spent, the year's SME shares, spending by month, and the chain's
//! state.

use axum::extract::State;
use axum::Extension;
use maud::{html, Markup};

use crate::auth::Caller;
use crate::http::WebError;
use crate::pages::layout;
use crate::state::AppState;

pub async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Markup, WebError> {
    let head = state.read(|ledger| ledger.head()).await??;
    let unit = state.ledger().unit().full.clone();
    let body = html! {
        h1 { "概览" }
        section.chain {
            h2 { "链的状态" }
            p { "记录 " (head.count) " 条；链头哈希 " code { (crate::auth::hex(&head.hash)) } }
        }
    };
    Ok(layout::page("概览", &unit, &caller, "/", body))
}
