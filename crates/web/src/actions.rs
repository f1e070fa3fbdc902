//! The writes a request can make — import uploaded files, post, reverse, close — through the same
//! posting paths as the CLI (taizhang-posting), with the caller as operator. Shared by the API and
//! the pages' forms, so both say the same. Every batch runs through [`AppState::write`]: one at a
//! time, on a blocking thread.

use std::collections::HashMap;
use std::path::PathBuf;

use axum::extract::multipart::{Multipart, MultipartError};
use serde_json::{json, Value};
use taizhang_core::Kind;
use taizhang_posting::{self as posting, ImportOptions, Tally};
use taizhang_store::Ledger;
use tokio::io::AsyncWriteExt;

use crate::auth::Caller;
use crate::http::{problems_json, WebError};
use crate::state::AppState;

/// The longest upload name taken, in characters (a file system takes 255 bytes; a Chinese
/// character is three of them).
const FILE_NAME_CHARS_MAX: usize = 80;
/// The most files one upload takes: more than anyone picks by hand, and each becomes a file on disk
/// and a reader in the batch (twenty thousand one-byte parts held the writing turn for 15 seconds).
pub const UPLOAD_FILES_MAX: usize = 100;
/// The most other fields (check, action) and the longest value of one: a form has two.
const FIELDS_MAX: usize = 16;
const FIELD_BYTES_MAX: usize = 1024;

/// What a batch did, as the front ends tell it.
#[derive(Debug)]
pub struct Outcome {
    pub committed: bool,
    pub tally: Tally,
    /// The newest entry's number after a committed batch (a reversal's own page).
    pub last_seq: Option<u64>,
}

impl Outcome {
    /// Whether it passed: posted, or a dry run without problems.
    pub fn passed(&self) -> bool {
        self.tally.passed(self.committed)
    }

    /// The answer of the API: 200 `{"posted", "already", "warnings"}` (and `seq`, the newest
    /// entry, after a post, reverse or close that posted), or 422 with the problems.
    pub fn into_json(self) -> Result<Value, WebError> {
        if let Some(id) = self.tally.pending {
            return Ok(json!({ "pending": id }));
        }
        if !self.passed() {
            return Err(WebError::refused(self.tally.problems));
        }
        let mut body = json!({
            "posted": self.tally.posted,
            "already": self.tally.already,
            "warnings": problems_json(&self.tally.warnings),
        });
        if let (Some(seq), Some(map)) = (self.last_seq, body.as_object_mut()) {
            map.insert("seq".into(), json!(seq));
        }
        Ok(body)
    }
}

/// The API's answer: [`Outcome::into_json`] with 200, or 202 `{"pending": ID}` when the batch
/// waits for a checker (approval required).
impl axum::response::IntoResponse for Outcome {
    fn into_response(self) -> axum::response::Response {
        let status = match self.tally.pending {
            Some(_) => axum::http::StatusCode::ACCEPTED,
            None => axum::http::StatusCode::OK,
        };
        match self.into_json() {
            Ok(body) => (status, axum::Json(body)).into_response(),
            Err(e) => e.into_response(),
        }
    }
}

/// Runs a batch on the writing thread and notes the head it left.
async fn batch(
    state: &AppState,
    run: impl FnOnce(&Ledger) -> anyhow::Result<(bool, Tally)> + Send + 'static,
) -> Result<Outcome, WebError> {
    state
        .write(move |ledger| -> Result<Outcome, WebError> {
            let (committed, tally) = run(ledger)?;
            // Batches take turns (`write`), so the head is this batch's own. A pending batch
            // posted nothing.
            let last_seq = match committed && tally.posted > 0 && tally.pending.is_none() {
                true => Some(ledger.head()?.count),
                false => None,
            };
            Ok(Outcome {
                committed,
                tally,
                last_seq,
            })
        })
        .await?
}

/// What names the request in the problems of a one-entry batch (post, reverse, close).
pub const REQUEST: &str = "请求";

/// The posting crate names a typed entry's problems as the CLI's: file "命令行", column "--voucher-no".
/// A request has no command line: its problems name the request and the field as the request
/// named it ("voucher_no", the form's field and the JSON's key).
fn as_request(mut outcome: Outcome) -> Outcome {
    let tally = &mut outcome.tally;
    for p in tally.problems.iter_mut().chain(tally.warnings.iter_mut()) {
        if p.file == "命令行" {
            p.file = REQUEST.to_string();
            if let Some(option) = p.column.strip_prefix("--") {
                p.column = option.replace('-', "_");
            }
        }
    }
    outcome
}

/// Uploaded files kept in a private temporary folder (removed when this is dropped), each under
/// its own file name, and the form's other fields.
pub struct Upload {
    /// Holds the folder: dropped after the batch, and with it the files.
    dir: tempfile::TempDir,
    /// Path in the folder, and the name as the user gave it (what messages and sources say).
    pub files: Vec<(PathBuf, String)>,
    pub fields: HashMap<String, String>,
}

impl Upload {
    /// Whether the form asks for a dry run: `check=1` (API) or `action=check` (the page's button).
    pub fn dry_run(&self) -> bool {
        let field = |k: &str| self.fields.get(k).map(|v| v.trim().to_string());
        matches!(field("check").as_deref(), Some("1" | "true" | "on"))
            || field("action").as_deref() == Some("check")
    }
}

fn multipart_error(e: MultipartError) -> WebError {
    let limit = format!(
        "上传内容超过 {} MB 的上限",
        crate::http::UPLOAD_BYTES_MAX / (1024 * 1024)
    );
    multipart_refusal(e, limit)
}

/// A multipart form that could not be read, told in words: `too_large` for a body past the route's
/// limit (the import's, a document's).
pub(crate) fn multipart_refusal(e: MultipartError, too_large: String) -> WebError {
    let status = e.status();
    let message = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        too_large
    } else {
        "上传的表单（multipart）无法读取：请重新选择文件后再试".to_string()
    };
    WebError::new(status, message)
}

/// Reads a multipart form: every part named `files` is saved (streamed, never whole in memory) in a
/// new private folder under its own name; other parts are short text fields.
pub async fn receive(mut multipart: Multipart) -> Result<Upload, WebError> {
    let dir = private_upload_dir()?;
    let mut upload = Upload {
        dir,
        files: Vec::new(),
        fields: HashMap::new(),
    };
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let key = field.name().unwrap_or("").to_string();
        if key != "files" {
            if upload.fields.len() >= FIELDS_MAX {
                return Err(WebError::bad_request("表单字段过多"));
            }
            let text = short_text(&mut field, &key).await?;
            upload.fields.insert(key, text);
            continue;
        }
        if upload.files.len() >= UPLOAD_FILES_MAX {
            return Err(WebError::bad_request(format!(
                "一次最多上传 {UPLOAD_FILES_MAX} 个文件"
            )));
        }
        let given = field.file_name().unwrap_or("").to_string();
        let mut out: Option<(tokio::fs::File, PathBuf, String)> = None;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            let (file, _, _) = match out.as_mut() {
                Some(open) => open,
                // A browser sends an empty part for a file input left empty: only a part with
                // content becomes a file.
                None => {
                    let name = file_name(&given, &upload.files)?;
                    let path = upload.dir.path().join(&name);
                    let file = tokio::fs::File::create(&path).await.map_err(save_error)?;
                    out.insert((file, path, name))
                }
            };
            file.write_all(&chunk).await.map_err(save_error)?;
        }
        match out {
            Some((mut file, path, name)) => {
                file.flush().await.map_err(save_error)?;
                upload.files.push((path, name))
            }
            None if given.trim().is_empty() => {}
            None => {
                let name = file_name(&given, &upload.files)?;
                return Err(WebError::bad_request(format!("文件 {name} 是空的")));
            }
        }
    }
    if upload.files.is_empty() {
        return Err(WebError::bad_request(
            "请选择要导入的文件（表单字段 files，可选多个 CSV 或 Excel 文件）",
        ));
    }
    Ok(upload)
}

/// A text field's value, read a chunk at a time and refused once it passes [`FIELD_BYTES_MAX`]:
/// read whole first, a 60 MB value sat in memory before it was found too long.
async fn short_text(
    field: &mut axum::extract::multipart::Field<'_>,
    key: &str,
) -> Result<String, WebError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > FIELD_BYTES_MAX {
            return Err(WebError::bad_request(format!(
                "表单字段 {} 过长",
                crate::api::excerpt(key)
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| {
        WebError::bad_request(format!(
            "表单字段 {} 不是 UTF-8 文字",
            crate::api::excerpt(key)
        ))
    })
}

/// A new folder for one upload, readable by this user only. tempfile's folders take the umask
/// (0755 here): other accounts on the machine could read the accounts being imported, and what a
/// killed server left behind.
pub fn upload_dir() -> std::io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("taizhang-upload-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder.tempdir()
}

pub(crate) fn save_error(e: std::io::Error) -> WebError {
    let words = taizhang_interchange::oserr::describe(&e);
    WebError::internal(format!("无法保存上传的文件：{words}"))
}

/// [`upload_dir`], its failure told as the client hears it.
pub(crate) fn private_upload_dir() -> Result<tempfile::TempDir, WebError> {
    upload_dir().map_err(|e| {
        let words = taizhang_interchange::oserr::describe(&e);
        WebError::internal(format!("无法建立临时文件夹：{words}"))
    })
}

/// The name an upload is saved and named under: the user's own file name, refused when it is a path
/// (a separator or `..`), blank, too long, holds control or invisible characters, or repeats one of
/// the batch.
pub fn file_name(given: &str, taken: &[(PathBuf, String)]) -> Result<String, WebError> {
    let bad = |why: &str| {
        WebError::bad_request(format!("上传的文件名“{}”{why}", crate::api::excerpt(given)))
    };
    let name = taizhang_core::text::nfc(given.trim()).into_owned();
    if name.is_empty() {
        return Err(WebError::bad_request("上传的文件没有文件名"));
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(bad("含路径分隔符，请只上传文件本身"));
    }
    if taizhang_core::text::check(&name).is_err() || name.contains(':') {
        return Err(bad("含控制字符、不可见字符或冒号，请改名后再上传"));
    }
    if name.chars().count() > FILE_NAME_CHARS_MAX {
        return Err(bad(&format!("超过 {FILE_NAME_CHARS_MAX} 个字符")));
    }
    if taken.iter().any(|(_, n)| *n == name) {
        return Err(bad("在本次上传中重复出现"));
    }
    Ok(name)
}

/// Imports the uploaded files as one batch (or checks them: nothing written), all or nothing.
pub async fn import(
    state: &AppState,
    caller: &Caller,
    upload: Upload,
) -> Result<Outcome, WebError> {
    let dry_run = upload.dry_run();
    let operator = caller.name.clone();
    let outcome = batch(state, move |ledger| {
        let options = ImportOptions {
            strict: false,
            dry_run,
            progress: None,
        };
        let outcome = posting::import_named(ledger, &upload.files, None, &operator, options);
        drop(upload); // the temporary folder goes once the batch has read it
        outcome
    })
    .await?;
    // The import's answer is exactly interchange.md's `{"posted", "already", "warnings"}`.
    Ok(Outcome {
        last_seq: None,
        ..outcome
    })
}

/// Posts one entry from the CLI's options (`{"kind": "payment", "voucher_no": …}`; `strict` as
/// `post --strict`).
pub async fn post(state: &AppState, caller: &Caller, body: &Value) -> Result<Outcome, WebError> {
    let (kind, fields, strict) = post_fields(body)?;
    let operator = caller.name.clone();
    let outcome = batch(state, move |ledger| {
        posting::post_options(ledger, kind, &fields, &operator, strict)
    })
    .await?;
    Ok(as_request(outcome))
}

/// The kind and `--option value` words of a post request.
fn post_fields(body: &Value) -> Result<(Kind, Vec<String>, bool), WebError> {
    let object = body.as_object().ok_or_else(|| {
        WebError::bad_request("请求体应为 JSON 对象，如 {\"kind\": \"payment\", …}")
    })?;
    let kind_word = text_field(body, "kind")?;
    let kind = Kind::parse(&kind_word)
        .filter(|k| taizhang_interchange::columns::file_kinds().any(|f| f == *k))
        .ok_or_else(|| {
            WebError::bad_request(format!(
                "参数 kind 不是可记账的种类“{}”（可选：catalog bond contract amendment opening receipt payment）",
                crate::api::excerpt(&kind_word)
            ))
        })?;
    let mut strict = false;
    let mut fields = Vec::new();
    for (key, value) in object {
        match key.as_str() {
            "kind" => continue,
            "strict" => {
                strict = value
                    .as_bool()
                    .ok_or_else(|| WebError::bad_request("参数 strict 应为 true 或 false"))?;
                continue;
            }
            "operator" => {
                return Err(WebError::bad_request(
                    "参数 operator 不能指定：网页记账的操作员就是登录的用户",
                ))
            }
            _ => {}
        }
        fields.push(format!("--{}", key.replace('_', "-")));
        fields.push(scalar(key, value)?);
    }
    Ok((kind, fields, strict))
}

/// A field's value as the command line would have it: a string, or a whole number. A fraction as a
/// JSON number is refused: money is written as text ("1234.56"), never through a float.
fn scalar(key: &str, value: &Value) -> Result<String, WebError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        _ => Err(WebError::bad_request(format!(
            "参数 {} 应为字符串（金额请写成 \"1234.56\" 这样的文字）",
            crate::api::excerpt(key)
        ))),
    }
}

/// A required text field of a JSON body.
fn text_field(body: &Value, key: &str) -> Result<String, WebError> {
    match body.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(WebError::bad_request(format!("参数 {key} 应为字符串"))),
        None => Err(WebError::bad_request(format!("缺少参数 {key}"))),
    }
}

/// What a reversal needs: the voucher, the date, the reason.
pub struct Reversal {
    pub voucher: String,
    pub date: String,
    pub reason: String,
}

impl Reversal {
    /// From the API's JSON `{"voucher", "date", "reason"}`.
    pub fn from_json(body: &Value) -> Result<Reversal, WebError> {
        Ok(Reversal {
            voucher: text_field(body, "voucher")?,
            date: text_field(body, "date")?,
            reason: text_field(body, "reason")?,
        })
    }
}

/// Reverses a receipt or payment, as `taizhang reverse`.
pub async fn reverse(
    state: &AppState,
    caller: &Caller,
    reversal: Reversal,
) -> Result<Outcome, WebError> {
    let operator = caller.name.clone();
    let fields = [
        ("voucher_no", reversal.voucher),
        ("date", reversal.date),
        ("reason", reversal.reason),
    ];
    let outcome = batch(state, move |ledger| {
        posting::post_one(ledger, Kind::Reversal, &fields, &operator, false)
    })
    .await?;
    Ok(as_request(outcome))
}

/// Closes the books through a date, as `taizhang close --through`.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    through: String,
) -> Result<Outcome, WebError> {
    let operator = caller.name.clone();
    let outcome = batch(state, move |ledger| {
        posting::post_one(
            ledger,
            Kind::Close,
            &[("through", through)],
            &operator,
            false,
        )
    })
    .await?;
    Ok(as_request(outcome))
}

/// The `through` of a close request's JSON.
pub fn through(body: &Value) -> Result<String, WebError> {
    text_field(body, "through")
}

// ---- 待审批次 (maker-checker) ----

/// Every pending batch, as `GET /api/pending` gives them: `{"pending": [batch_json…]}`.
pub async fn pending_list(state: &AppState) -> Result<Value, WebError> {
    let batches = state.read(|ledger| ledger.pending_batches()).await??;
    Ok(json!({
        "pending": batches.iter().map(posting::pending::batch_json).collect::<Vec<_>>(),
    }))
}

/// A pending batch as it would post now (rows, warnings, the table-7 cells it changes, why an
/// approval would be refused); `None`: no such batch waits. The preview runs the approval as a
/// batch that is abandoned, so it takes the writing turn.
pub async fn preview(
    state: &AppState,
    id: u64,
) -> Result<Option<posting::pending::Preview>, WebError> {
    let preview = state
        .write(move |ledger| posting::pending::preview(ledger, id))
        .await??;
    Ok(preview)
}

/// What a checker's decision comes to for the front ends: 200 with the posted batch, or the error
/// (403 own batch, 404 unknown, 422 refused with the problems, 400 a bad reason).
pub fn decided(decision: posting::pending::Decision, id: u64) -> Result<Value, WebError> {
    use posting::pending::Decision;
    match decision {
        Decision::Approved { review_seq, tally } => Ok(json!({
            "posted": tally.posted,
            "review_seq": review_seq,
            "warnings": problems_json(&tally.warnings),
        })),
        Decision::Rejected { review_seq } => Ok(json!({ "review_seq": review_seq })),
        Decision::Refused { problems } => Err(WebError::refused(problems)),
        Decision::OwnBatch => Err(WebError::forbidden(format!(
            "待审批次 {id} 是您本人制单的，不能由您本人审核（制单与审核须为两人）"
        ))),
        Decision::NotFound => Err(WebError::not_found(format!(
            "没有待审批次 {id}（编号有误，或已审核）"
        ))),
        Decision::BadReason(why) => Err(WebError::bad_request(why)),
    }
}

/// Approves pending batch `id` as the caller (a checker): posted all or nothing.
pub async fn approve(
    state: &AppState,
    caller: &Caller,
    id: u64,
) -> Result<posting::pending::Decision, WebError> {
    let checker = caller.name.clone();
    let decision = state
        .write(move |ledger| posting::pending::approve(ledger, id, &checker))
        .await??;
    Ok(decision)
}

/// Rejects pending batch `id` as the caller, with a reason (recorded in the chain).
pub async fn reject(
    state: &AppState,
    caller: &Caller,
    id: u64,
    reason: String,
) -> Result<posting::pending::Decision, WebError> {
    let checker = caller.name.clone();
    let decision = state
        .write(move |ledger| posting::pending::reject(ledger, id, &checker, &reason))
        .await??;
    Ok(decision)
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn an_upload_folder_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = super::upload_dir().expect("folder");
        let mode = std::fs::metadata(dir.path())
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
