//! taizhang-web: the web workspace (`taizhang serve`). Pages for people and a JSON API for scripts,
//! both thin: a handler parses the request, checks the caller's right, calls the same projection or
//! posting path as the CLI, and renders. Nothing here computes a figure of its own.
//!
//! Not here: report layout (interchange), rules (core), storage (store). Everything a page needs is
//! compiled in (templates with maud, the stylesheet, the charts drawn as SVG on the server): a
//! government intranet fetches nothing from outside, and every page reads without scripts.

pub mod actions;
pub mod api;
pub mod attachments;
pub mod auth;
pub mod forms;
pub mod http;
pub mod pages;
pub mod serve;
pub mod state;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

pub use serve::{serve, ServeOptions};
pub use state::AppState;

/// Every route: the public ones (login, assets), then those that need a caller.
pub fn router(state: AppState) -> Router {
    let private = Router::new()
        .merge(api::routes())
        .merge(attachments::routes())
        .merge(pages::routes())
        .merge(forms::routes())
        .merge(pages::pending::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            http::authenticate,
        ));
    Router::new()
        .route(
            "/login",
            get(pages::login::form)
                .post(pages::login::submit)
                .route_layer(middleware::from_fn_with_state(
                    state.clone(),
                    http::limit_logins,
                )),
        )
        .route("/logout", post(pages::login::logout))
        .route("/assets/{name}", get(pages::assets::serve))
        .merge(private)
        // Uploads alone may be large (their routes say so); any other body, the login form among
        // them, is cut off at 1 MB also when sent without a length.
        .layer(DefaultBodyLimit::max(http::BODY_BYTES_MAX))
        .layer(middleware::from_fn(http::early_size_limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            http::security_headers,
        ))
        .with_state(state)
}
