//! The HTTP edge: errors as answers (JSON for the API, a page for people), who is asking (session
//! cookie or bearer token), the CSRF check, security headers and early refusal of large bodies.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::json;
use taizhang_core::Right;
use taizhang_interchange::Problem;

use crate::auth::{self, Caller};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "taizhang_session";
/// The header an API POST with a session cookie carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The query parameter a page's form carries it in (forms work without scripts, so they cannot set
/// a header; the pages send no Referer off the site, see [`security_headers`]).
pub const CSRF_QUERY: &str = "csrf_token";
/// The largest upload (an import of several files): refused from its Content-Length before a byte is
/// read, and cut off at this size when it is sent without one.
pub const UPLOAD_BYTES_MAX: usize = 64 * 1024 * 1024;
/// The largest body of any other request.
pub const BODY_BYTES_MAX: usize = 1024 * 1024;

/// An error as the client is told it: a status, a message in Chinese, and for a refused batch every
/// problem by file, line and column.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
    pub problems: Vec<Problem>,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> WebError {
        WebError {
            status,
            message: message.into(),
            problems: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn internal(message: impl Into<String>) -> WebError {
        WebError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// A batch refused: 422 with its problems.
    pub fn refused(problems: Vec<Problem>) -> WebError {
        WebError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!(
                "已拒绝：共 {} 处问题，台账未作任何改动。",
                problems.len().max(1)
            ),
            problems,
        }
    }
}

impl From<taizhang_store::StoreError> for WebError {
    fn from(e: taizhang_store::StoreError) -> WebError {
        use taizhang_store::StoreError as E;
        let status = match e {
            E::ReadOnly(_) | E::ReadOnlyFs(_) | E::Denied(_) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        WebError::new(status, e.to_string())
    }
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> WebError {
        if let Some(misuse) = e.downcast_ref::<taizhang_posting::Misuse>() {
            return WebError::bad_request(misuse.0.clone());
        }
        match e.downcast::<taizhang_store::StoreError>() {
            Ok(store) => store.into(),
            Err(other) => WebError::internal(other.to_string()),
        }
    }
}

/// The JSON of problems: `{"file", "line", "column", "message"}` each.
pub fn problems_json(problems: &[Problem]) -> Vec<serde_json::Value> {
    problems.iter().map(Problem::to_json).collect()
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = if self.problems.is_empty() {
            json!({ "error": self.message })
        } else {
            json!({ "error": self.message, "problems": problems_json(&self.problems) })
        };
        (self.status, Json(body)).into_response()
    }
}

/// Refuses a caller without the right: 403.
pub fn require(caller: &Caller, right: Right) -> Result<(), WebError> {
    if caller.role.can(right) {
        return Ok(());
    }
    let what = match right {
        Right::Read => "查看",
        Right::Post => "记账（导入、记账、冲销）",
        Right::Approve => "审核",
        Right::Administer => "管理用户、设置和结账",
    };
    Err(WebError::forbidden(format!(
        "用户 {}（{}）没有{what}的权限",
        caller.name,
        caller.role.label()
    )))
}

/// Resolves the caller from the session cookie or the bearer token, refuses a state-changing request
/// whose CSRF token (or Origin) is wrong, and puts the [`Caller`] in the request's extensions.
/// Without a caller: 401 for the API, the login page for a page.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let caller = match identify(&state, request.headers()).await {
        Ok(Some(caller)) => caller,
        Ok(None) if api => {
            return WebError::new(StatusCode::UNAUTHORIZED, "请先登录（或提供 Bearer 令牌）")
                .into_response()
        }
        Ok(None) => return to_login(&request),
        Err(e) => return e.into_response(),
    };
    if changes_state(request.method()) {
        if let Err(e) = check_csrf(&caller, &request) {
            return e.into_response();
        }
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The login page, coming back here after.
fn to_login(request: &Request) -> Response {
    let back = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut query = String::from("/login?next=");
    for byte in back.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                query.push(char::from(byte))
            }
            _ => query.push_str(&format!("%{byte:02X}")),
        }
    }
    Redirect::to(&query).into_response()
}

async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, WebError> {
    if let Some(token) = bearer(headers) {
        let people = state.people().await?;
        let presented = auth::token_hash(token);
        let owner = people
            .tokens
            .iter()
            .find(|(hash, _)| auth::csrf_matches(hash, &presented))
            .and_then(|(_, name)| people.active(name));
        return Ok(owner.map(|user| Caller {
            name: user.name.clone(),
            role: user.role,
            csrf: None,
        }));
    }
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some((name, csrf)) = state.inner.sessions.touch(&id) else {
        return Ok(None);
    };
    // The role is the chain's as of the last batch: a change or a disabling takes effect at once.
    let people = state.people().await?;
    Ok(people.active(&name).map(|user| Caller {
        name: user.name.clone(),
        role: user.role,
        csrf: Some(csrf),
    }))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then_some(token)
}

/// One cookie's value from the Cookie headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// A POST with a session cookie carries the session's CSRF token in the header (scripts) or in the
/// query (pages' forms), and comes from this site when the browser says where it comes from.
fn check_csrf(caller: &Caller, request: &Request) -> Result<(), WebError> {
    let Some(expected) = &caller.csrf else {
        return Ok(()); // a bearer token: no cookie rides along by itself
    };
    let from_header = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let from_query = request.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == CSRF_QUERY)
            .map(|(_, value)| value.to_string())
    });
    let presented = from_header.or(from_query).unwrap_or_default();
    if !auth::csrf_matches(expected, &presented) {
        return Err(WebError::forbidden(
            "缺少或错误的 CSRF 令牌：请刷新页面后重试（脚本请用 X-CSRF-Token 头，或用 Bearer 令牌）",
        ));
    }
    if !same_origin(request.headers()) {
        return Err(WebError::forbidden("请求来自别的网站，已拒绝"));
    }
    Ok(())
}

/// Whether the Origin header, when there is one, names the host the request was sent to.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    origin_host == host
}

/// Lets a login's password be checked when a core is free (waiting without holding a thread), and
/// tells a login beyond the queue to come back later: 503. Password checks are slow and large by
/// design, so this is the one place where anyone, before logging in, can make the server work.
pub async fn limit_logins(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let busy = || {
        let mut response =
            WebError::new(StatusCode::SERVICE_UNAVAILABLE, "登录请求过多，请稍后再试")
                .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        response
    };
    let Ok(_waiting) = state.inner.logins_waiting.try_acquire() else {
        return busy();
    };
    let Ok(_checking) = state.inner.password_checks.acquire().await else {
        return busy();
    };
    next.run(request).await
}

/// Whether a redirect's target is a path of this site: it starts with one `/` and has only
/// printable ASCII without a backslash. Browsers drop tabs and line breaks from a Location and
/// read `\` as `/`, so `/<TAB>/evil.example` would leave the site.
fn local_location(location: &[u8]) -> bool {
    location.starts_with(b"/")
        && !location.starts_with(b"//")
        && location
            .iter()
            .all(|b| matches!(b, 0x21..=0x7e) && *b != b'\\')
}

/// An error answered as plain text came from the framework (an extractor's rejection, a header
/// that could not be written), in English: "Failed to deserialize form body: missing field
/// `password`". Ours are JSON or pages. It is told in Chinese, by its status, as the API's JSON.
fn in_chinese(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !plain || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!("请求体超过 {} KB 的上限", BODY_BYTES_MAX / 1024),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "请求的内容类型不对（表单应为 application/x-www-form-urlencoded）".into()
        }
        StatusCode::UNPROCESSABLE_ENTITY => "表单缺少必填的字段，或无法读取".into(),
        StatusCode::NOT_FOUND => "没有这个地址".into(),
        StatusCode::METHOD_NOT_ALLOWED => "此地址不接受这种请求方法".into(),
        s if s.is_server_error() => "服务器内部错误，请稍后重试".into(),
        _ => "请求无法读取".into(),
    };
    WebError::new(status, message).into_response()
}

/// Headers on every answer: a Content-Security-Policy of 'self' (no inline script, no framing), no
/// sniffing, no Referer off the site; nothing stored by caches (every page shows the accounts).
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let asset = request.uri().path().starts_with("/assets/");
    let mut response = in_chinese(next.run(request).await);
    let found = response.status().is_success();
    let headers = response.headers_mut();
    // Every redirect this server gives stays on the site (login's `next` comes from the request).
    if let Some(location) = headers.get(header::LOCATION) {
        if !local_location(location.as_bytes()) {
            headers.insert(header::LOCATION, HeaderValue::from_static("/"));
        }
    }
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    // A download of a document brings its own, stricter policy (a sandbox): it is kept.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(
            headers,
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        );
    }
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "same-origin");
    // Only an asset that was found may be kept: a 404 kept for an hour outlives a fixed address.
    if asset && found {
        set(headers, header::CACHE_CONTROL, "private, max-age=3600");
    } else {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if state.inner.tls {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000",
        );
    }
    response
}

/// Refuses a body larger than the route takes from its Content-Length, before reading it: 413.
pub async fn early_size_limit(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let limit = if path.ends_with("import") {
        UPLOAD_BYTES_MAX
    } else if crate::attachments::is_upload_path(path) {
        crate::attachments::ATTACHMENT_BODY_BYTES_MAX
    } else {
        BODY_BYTES_MAX
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return WebError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("上传内容超过 {} MB 的上限", limit / (1024 * 1024)),
        )
        .into_response();
    }
    // A body sent without a length is cut off at the same size by the extractors' own limit
    // (`DefaultBodyLimit`, set on the routes).
    next.run(request).await
}

/// The Set-Cookie value of a new session.
pub fn session_cookie(id: &str, tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// The Set-Cookie value that ends a session in the browser.
pub fn expired_cookie(tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}
