//! Logging in and out. `POST /login` takes a form (`username`, `password`): the same for a person
//! and for a script that wants a session (interchange.md); a wrong password is not told apart from
//! an unknown name, and a name with too many wrong passwords gets 429 for a while.

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::{LoginRefused, LOGIN_LOCKOUT};
use crate::http::{self, SESSION_COOKIE};
use crate::pages::layout;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct Next {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn form(Query(next): Query<Next>) -> Markup {
    login_page(next.next.as_deref(), None)
}

/// A login posted from another site is refused: it would log the browser into someone else's
/// account (login CSRF).
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    if !http::same_origin(&headers) {
        return http::WebError::forbidden("登录请求来自别的网站，已拒绝").into_response();
    }
    // A form without a name or password, or not a form at all: the login page again, in words.
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            let message = "请填写用户名和口令后再登录";
            return (rejection.status(), login_page(None, Some(message))).into_response();
        }
    };
    let LoginForm {
        username,
        password,
        next,
    } = form;
    let name = username.trim().to_string();
    let sessions = state.clone();
    let outcome = state
        .read(move |ledger| sessions.inner.sessions.login(ledger, &name, &password))
        .await;
    let refused = |status: StatusCode, message: &str| {
        (status, login_page(next.as_deref(), Some(message))).into_response()
    };
    match outcome {
        Ok(Ok((id, _csrf))) => {
            let cookie = http::session_cookie(&id, state.inner.tls);
            let to = local_path(next.as_deref());
            ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
        }
        Ok(Err(LoginRefused::Wrong)) => refused(StatusCode::UNAUTHORIZED, "用户名或口令不对"),
        Ok(Err(LoginRefused::Throttled)) => refused(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "口令错误次数过多，请 {} 分钟后再试",
                LOGIN_LOCKOUT.as_secs() / 60
            ),
        ),
        Ok(Err(LoginRefused::Store(message))) => {
            refused(StatusCode::INTERNAL_SERVER_ERROR, &message)
        }
        Err(e) => refused(e.status, &e.message),
    }
}

/// Ends the session (if the form carries its CSRF token) and forgets the cookie either way.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(id) = http::cookie(&headers, SESSION_COOKIE) {
        let presented = headers
            .get(http::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| query.get(http::CSRF_QUERY).cloned())
            .unwrap_or_default();
        let sessions = &state.inner.sessions;
        if let Some((_, csrf)) = sessions.touch(&id) {
            if !crate::auth::csrf_matches(&csrf, &presented) {
                return http::WebError::forbidden("缺少或错误的 CSRF 令牌").into_response();
            }
            sessions.logout(&id);
        }
    }
    let cookie = http::expired_cookie(state.inner.tls);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}

/// Where to go after login: a path of this site only (never `//elsewhere` or `https://…`).
fn local_path(next: Option<&str>) -> &str {
    match next {
        // Printable ASCII only: a tab or line break is dropped by browsers ("/\t/evil" becomes
        // "//evil") and would break the Location header.
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && path.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            path
        }
        _ => "/",
    }
}

fn login_page(next: Option<&str>, message: Option<&str>) -> Markup {
    layout::bare(
        "登录",
        html! {
            h1 { "台账 · 登录" }
            @if let Some(message) = message {
                p.error role="alert" { (message) }
            }
            form.login method="post" action="/login" {
                input type="hidden" name="next" value=(local_path(next));
                label { "用户名" input name="username" autocomplete="username" required autofocus; }
                label { "口令" input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { "登录" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(local_path(Some("/table7?year=2022")), "/table7?year=2022");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
        assert_eq!(local_path(Some("/\t/evil.example")), "/");
        assert_eq!(local_path(Some("/entries\r\nSet-Cookie: x=1")), "/");
        assert_eq!(
            local_path(Some("/表7")),
            "/",
            "percent-encoded by the browser, never raw"
        );
    }
}
