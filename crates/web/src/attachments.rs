//! An entry's documents (原始凭证) on the web: list, upload (a maker's), download byte for byte.
//!
//! `GET /api/entries/{seq}/attachments` → `[{"name", "size", "hash", "url", "uploaded_by"}]`;
//! `POST /api/entries/{seq}/attachments` (multipart, field `file`) → 201 with the same object (200
//! when the same bytes were attached to that entry already); `GET /api/entries/{seq}/attachments/
//! {hash}` → the bytes, as a download that never renders in the workspace's origin; the entry page's
//! form posts to `POST /entries/{seq}/attachments` and comes back to the page.
//!
//! An upload is streamed to a private temporary file (never whole in memory), and the store reads it
//! from there straight into the value it reserves in the ledger ([`taizhang_store::Ledger::attach_file`]).

use axum::extract::multipart::{Field, Multipart, MultipartError, MultipartRejection};
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};
use taizhang_core::Right;
use taizhang_store::attachments::{check_name, ATTACHMENT_BYTES_MAX};
use taizhang_store::{AttachError, Attachment};
use tokio::io::AsyncWriteExt;

use crate::auth::Caller;
use crate::http::{require, WebError};
use crate::state::AppState;

/// What a multipart form adds around the file: boundaries, part headers, a short field or two.
const MULTIPART_OVERHEAD_BYTES: usize = 64 * 1024;
/// The largest body of an upload route: one file at its limit and the form around it (413 beyond).
pub const ATTACHMENT_BODY_BYTES_MAX: usize =
    ATTACHMENT_BYTES_MAX as usize + MULTIPART_OVERHEAD_BYTES;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/entries/{seq}/attachments",
            get(list).post(upload).layer(body_limit()),
        )
        .route("/api/entries/{seq}/attachments/{hash}", get(download))
        .route(
            "/entries/{seq}/attachments",
            post(upload_form).layer(body_limit()),
        )
}

fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(ATTACHMENT_BODY_BYTES_MAX)
}

/// Whether a request's path is an upload of a document (the early size check's limit).
pub fn is_upload_path(path: &str) -> bool {
    path.ends_with("/attachments")
}

/// The address a document downloads from.
pub fn url(a: &Attachment) -> String {
    format!("/api/entries/{}/attachments/{}", a.note.target, a.note.hash)
}

/// `{"name", "size", "hash", "url", "uploaded_by"}`.
pub fn to_json(a: &Attachment) -> Value {
    json!({
        "name": a.note.name,
        "size": a.note.size,
        "hash": a.note.hash,
        "url": url(a),
        "uploaded_by": a.uploaded_by,
    })
}

/// A refusal of the store's, as the client is told it.
fn refused(e: AttachError) -> WebError {
    let e = match e {
        AttachError::Store(store) => return store.into(),
        other => other,
    };
    let status = match &e {
        AttachError::NoEntry(_) => StatusCode::NOT_FOUND,
        AttachError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AttachError::NotAttachable { .. } | AttachError::BadName { .. } | AttachError::Empty => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        AttachError::Unreadable(_) | AttachError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    WebError::new(status, e.to_string())
}

/// The entry `seq` must exist: 404 otherwise, before an upload is read.
async fn existing(state: &AppState, seq: u64) -> Result<(), WebError> {
    let found = state.read(move |ledger| ledger.entry_at(seq)).await??;
    match found {
        Some(_) => Ok(()),
        None => Err(WebError::not_found(format!("没有第 {seq} 条记录"))),
    }
}

/// `GET /api/entries/{seq}/attachments`.
async fn list(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, WebError> {
    let seq = crate::api::seq_path(path)?;
    existing(&state, seq).await?;
    let found = state
        .read(move |ledger| ledger.attachments_of(seq))
        .await??;
    Ok(Json(Value::Array(found.iter().map(to_json).collect())))
}

/// `POST /api/entries/{seq}/attachments`: 201 (attached), 200 (already there).
async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let (attached, new) = receive_and_attach(&state, &caller, path, multipart).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(to_json(&attached))).into_response())
}

/// The entry page's upload form: back to the page's documents, or the error on a page.
async fn upload_form(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let back = match &path {
        Ok(Path(seq)) => crate::api::seq(seq).ok(),
        Err(_) => None,
    };
    match receive_and_attach(&state, &caller, path, multipart).await {
        Ok((attached, _)) => {
            Redirect::to(&format!("/entries/{}#attachments", attached.note.target)).into_response()
        }
        Err(e) => {
            let body = maud::html! {
                h1 { "附加原始凭证" }
                p.error role="alert" { (e.message) }
                @if let Some(seq) = back {
                    p { a href=(format!("/entries/{seq}#attachments")) { "返回第 " (seq) " 条记录" } }
                }
            };
            let unit = state.ledger().unit().full.clone();
            let page = crate::pages::layout::page("附加原始凭证", &unit, &caller, "/entries", body);
            (e.status, page).into_response()
        }
    }
}

/// Checks the right, the entry and the file's name, streams the file to a private temporary file,
/// and attaches it in one batch.
async fn receive_and_attach(
    state: &AppState,
    caller: &Caller,
    path: Result<Path<String>, PathRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(Attachment, bool), WebError> {
    require(caller, Right::Post)?;
    let seq = crate::api::seq_path(path)?;
    existing(state, seq).await?;
    let mut multipart = multipart
        .map_err(|_| WebError::bad_request("请以 multipart/form-data 上传文件（字段 file）"))?;
    let received = receive(&mut multipart).await?;
    let operator = caller.name.clone();
    let source = format!("网页上传 {}", received.name);
    let attached = state
        .write(move |ledger| {
            let result =
                ledger.attach_file(seq, &received.name, &received.path(), &operator, &source);
            // The temporary file goes with `received`, after the batch read it.
            drop(received);
            result
        })
        .await?
        .map_err(refused)?;
    Ok((attached.attachment, attached.new))
}

/// An uploaded file in a private temporary folder, removed when this is dropped.
struct Received {
    dir: tempfile::TempDir,
    name: String,
}

impl Received {
    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("upload")
    }
}

fn multipart_error(e: MultipartError) -> WebError {
    let limit = format!(
        "上传内容超过每个附件 {} MB 的上限",
        ATTACHMENT_BYTES_MAX / (1024 * 1024)
    );
    crate::actions::multipart_refusal(e, limit)
}

/// Reads the form: the part named `file` is streamed to disk (its name checked first, its size
/// counted as it comes); other parts are skipped. Exactly one file.
async fn receive(multipart: &mut Multipart) -> Result<Received, WebError> {
    let mut received: Option<Received> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            skip(&mut field).await?;
            continue;
        }
        if received.is_some() {
            return Err(WebError::bad_request("一次只能上传一个附件（字段 file）"));
        }
        let given = field.file_name().unwrap_or("").to_string();
        if given.trim().is_empty() {
            return Err(WebError::bad_request("请选择要附加的文件（字段 file）"));
        }
        let name = check_name(&given).map_err(refused)?;
        let dir = crate::actions::private_upload_dir()?;
        let path = dir.path().join("upload");
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(crate::actions::save_error)?;
        let mut size = 0u64;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            size += chunk.len() as u64;
            if size > ATTACHMENT_BYTES_MAX {
                return Err(refused(AttachError::TooLarge { size }));
            }
            file.write_all(&chunk)
                .await
                .map_err(crate::actions::save_error)?;
        }
        file.flush().await.map_err(crate::actions::save_error)?;
        if size == 0 {
            return Err(refused(AttachError::Empty));
        }
        received = Some(Received { dir, name });
    }
    received.ok_or_else(|| WebError::bad_request("请选择要附加的文件（字段 file）"))
}

/// Reads a part that is not the file to its end, keeping nothing (the CSRF token rides in the
/// address, not the body).
async fn skip(field: &mut Field<'_>) -> Result<(), WebError> {
    let mut seen = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        seen += chunk.len();
        if seen > 1024 {
            return Err(WebError::bad_request("表单中除文件外的字段过长"));
        }
    }
    Ok(())
}

/// `GET /api/entries/{seq}/attachments/{hash}`: the bytes as stored (hashed again on the way out),
/// as a download: `application/octet-stream`, `Content-Disposition: attachment` with the name in
/// RFC 5987 form, no sniffing, and a sandboxing CSP, so that an uploaded HTML or SVG file never runs
/// as a page of the workspace.
async fn download(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, WebError> {
    let (seq, hash) = match path {
        Ok(Path((seq, hash))) => (crate::api::seq(&seq)?, hash),
        Err(_) => return Err(WebError::bad_request("地址中的序号或哈希无法读取")),
    };
    let found = state
        .read(move |ledger| -> Result<_, WebError> {
            let Some(attachment) = ledger.attachment(seq, &hash)? else {
                return Ok(None);
            };
            let bytes = ledger
                .attachment_bytes(&attachment.note.hash)?
                .ok_or_else(|| {
                    WebError::internal(format!(
                        "附件“{}”的内容不在台账中（台账已损坏，请运行校验）",
                        attachment.note.name
                    ))
                })?;
            Ok(Some((attachment, bytes)))
        })
        .await??;
    let (attachment, bytes) =
        found.ok_or_else(|| WebError::not_found(format!("第 {seq} 条没有这个附件")))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition(&attachment.note.name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOWNLOAD_CSP),
    );
    Ok(response)
}

/// A download's policy: nothing may run or load, and the document is its own opaque origin.
pub const DOWNLOAD_CSP: &str = "sandbox; default-src 'none'";

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII stand-in for old clients (non-ASCII
/// characters and quotes as `_`), and the real name percent-encoded (RFC 5987, RFC 6266).
pub fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' && c != '%' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(b as char)
            }
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn a_chinese_name_is_percent_encoded_with_an_ascii_stand_in() {
        assert_eq!(
            disposition("发票 1.pdf"),
            "attachment; filename=\"__ 1.pdf\"; filename*=UTF-8''%E5%8F%91%E7%A5%A8%201.pdf"
        );
        assert_eq!(
            disposition("a\"b.txt"),
            "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt"
        );
    }
}
