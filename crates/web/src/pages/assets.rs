//! The stylesheet (and any script), compiled into the binary: nothing is fetched from outside.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Every asset by name, with its content type.
const ASSETS: &[(&str, &str, &str)] = &[(
    "site.css",
    "text/css; charset=utf-8",
    include_str!("../../assets/site.css"),
)];

pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => ([(header::CONTENT_TYPE, *kind)], *body).into_response(),
        None => (StatusCode::NOT_FOUND, "没有这个文件").into_response(),
    }
}
