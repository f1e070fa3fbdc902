//! The pages, in Chinese. Each is a view over the same reports the CLI prints; forms post without
//! scripts (the CSRF token rides in the form's address), and every figure links to what makes it up.

pub mod assets;
pub mod layout;
pub mod login;
pub mod overview;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The pages that need a logged-in caller.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(overview::page))
}
