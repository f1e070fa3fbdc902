//! The pages that write: 导入 (upload, dry run, post), 记账 and 冲销 forms, 结账.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
