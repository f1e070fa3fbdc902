//! Attachments (原始凭证) over HTTP: upload by a maker, list, download byte for byte as a download
//! that never renders in the workspace's origin; the rights, the limits and the refusals; the entry
//! page's section and form.

mod api_support;

use api_support::*;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;
use taizhang_store::attachments::ATTACHMENT_BYTES_MAX;

/// The seq of the example's payment 付-2022-003.
async fn payment_seq(app: &App) -> u64 {
    let page = app
        .get_json("lisi", "/api/entries?voucher=付-2022-003&kind=payment")
        .await;
    page["entries"][0]["seq"].as_u64().expect("the payment")
}

/// Bytes 0..=255, repeated: every byte value, in a file that is no text.
fn all_bytes(times: usize) -> Vec<u8> {
    (0..=255u8).cycle().take(256 * times).collect()
}

/// A small PDF of one empty page, its cross-reference table at the right offsets.
fn small_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

fn sm3_hex(bytes: &[u8]) -> String {
    taizhang_store::hash::hex(&taizhang_store::HashAlgo::Sm3.digest(bytes))
}

#[tokio::test]
async fn a_makers_upload_lists_and_downloads_byte_for_byte() {
    let app = App::new();
    let seq = payment_seq(&app).await;
    let uri = format!("/api/entries/{seq}/attachments");
    let empty = app.get_json("wangwu", &uri).await;
    assert_eq!(empty, serde_json::json!([]));

    let binary = all_bytes(300);
    let pdf = small_pdf();
    let mut urls = Vec::new();
    for (name, bytes) in [("付款凭证扫描.png", &binary), ("发票 2022-003.pdf", &pdf)] {
        let before = app.count().await;
        let form = Multipart::default().file("file", name, bytes);
        let answer = app.upload("zhangsan", &uri, &form).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        let json = answer.json();
        assert_eq!(json["name"], name);
        assert_eq!(json["size"], bytes.len());
        assert_eq!(json["hash"], sm3_hex(bytes));
        assert_eq!(json["uploaded_by"], "zhangsan");
        let url = json["url"].as_str().expect("a url").to_string();
        assert_eq!(url, format!("{uri}/{}", sm3_hex(bytes)));
        assert_eq!(app.count().await, before + 1, "one entry per document");
        urls.push((url, name, bytes.clone()));
    }

    // The list, in the order attached, is what each upload answered.
    let list = app.get_json("wangwu", &uri).await;
    let names: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|a| a["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["付款凭证扫描.png", "发票 2022-003.pdf"]);
    assert_eq!(list[1]["size"], pdf.len());
    assert_eq!(list[1]["uploaded_by"], "zhangsan");

    for (url, name, bytes) in &urls {
        // A viewer may read the paper behind an entry.
        let download = app.get("wangwu", url).await;
        assert_eq!(download.status, StatusCode::OK, "{}", download.text());
        assert_eq!(download.body.as_ref(), bytes.as_slice(), "{name}");
        assert_eq!(download.header("content-type"), "application/octet-stream");
        assert_eq!(download.header("x-content-type-options"), "nosniff");
        let csp = download.header("content-security-policy");
        assert!(csp.starts_with("sandbox"), "{csp}");
        let disposition = download.header("content-disposition");
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    }
    let disposition = app.get("wangwu", &urls[1].0).await;
    assert!(
        disposition
            .header("content-disposition")
            .ends_with("filename*=UTF-8''%E5%8F%91%E7%A5%A8%202022-003.pdf"),
        "{}",
        disposition.header("content-disposition")
    );

    // The same bytes again on the same entry: nothing new, the earlier attachment answered.
    let before = app.count().await;
    let again = Multipart::default().file("file", "另一个名字.pdf", &pdf);
    let answer = app.upload("zhangsan", &uri, &again).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["name"], "发票 2022-003.pdf");
    assert_eq!(app.count().await, before);

    // The entry's JSON in the journal carries the attachment entries with their target.
    let log = app.get_json("lisi", "/api/entries?kind=attachment").await;
    let entries = log["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    assert!(entries
        .iter()
        .all(|e| e["body"]["attachment"]["target"] == seq));

    // A hash the entry does not have, and a seq no entry has.
    let unknown = app
        .get("wangwu", &format!("{uri}/{}", "ab".repeat(32)))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let verify = app.get_json("lisi", "/api/verify").await;
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test]
async fn only_a_maker_uploads_and_refusals_change_nothing() {
    let app = App::new();
    let seq = payment_seq(&app).await;
    let uri = format!("/api/entries/{seq}/attachments");
    let before = app.count().await;
    let form = Multipart::default().file("file", "发票.pdf", &small_pdf());
    for user in ["wangwu", "lisi", "sunqi", "zhaoliu"] {
        let answer = app.upload(user, &uri, &form).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{user}: {}",
            answer.text()
        );
    }

    // A kind that could run in a browser, or none of the kinds taken: 422, named.
    for name in [
        "页面.html",
        "图.svg",
        "脚本.js",
        "没有扩展名",
        "../发票.pdf",
    ] {
        let bad = Multipart::default().file("file", name, b"<svg onload=alert(1)>");
        let answer = app.upload("zhangsan", &uri, &bad).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            answer.text()
        );
        assert!(answer.json()["error"]
            .as_str()
            .unwrap_or("")
            .contains("文件名"));
    }
    // An empty file, and no file at all.
    let empty = Multipart::default().file("file", "空.pdf", b"");
    assert_eq!(
        app.upload("zhangsan", &uri, &empty).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let none = Multipart::default().field("note", "x");
    assert_eq!(
        app.upload("zhangsan", &uri, &none).await.status,
        StatusCode::BAD_REQUEST
    );

    // No such entry: 404, for the list and the upload; an entry documents do not belong to: 422.
    let missing = "/api/entries/999999/attachments";
    assert_eq!(
        app.get("wangwu", missing).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.upload("zhangsan", missing, &form).await.status,
        StatusCode::NOT_FOUND
    );
    let unit_entry = app
        .upload("zhangsan", "/api/entries/1/attachments", &form)
        .await;
    assert_eq!(unit_entry.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unit_entry.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("单位名称"));

    assert_eq!(app.count().await, before, "nothing was posted");
}

#[tokio::test]
async fn a_file_over_the_limit_is_413_declared_or_not() {
    let app = App::new();
    let seq = payment_seq(&app).await;
    let uri = format!("/api/entries/{seq}/attachments");
    let before = app.count().await;
    let big = vec![7u8; ATTACHMENT_BYTES_MAX as usize + 1];
    let form = Multipart::default().file("file", "大文件.pdf", &big);
    // Sent without a length: cut off as it streams.
    let answer = app.upload("zhangsan", &uri, &form).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text()
    );
    assert!(answer.json()["error"]
        .as_str()
        .unwrap_or("")
        .contains("32 MB"));
    // Declared: refused before a byte is read.
    let body = form.body();
    let request = form
        .request(Method::POST, &uri)
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", app.token("zhangsan")),
        )
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .expect("request");
    assert_eq!(
        app.send(request).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // A file at the limit is taken.
    let at_limit = vec![7u8; ATTACHMENT_BYTES_MAX as usize];
    let form = Multipart::default().file("file", "正好.pdf", &at_limit);
    let answer = app.upload("zhangsan", &uri, &form).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let download = app
        .get("lisi", answer.json()["url"].as_str().unwrap_or(""))
        .await;
    assert_eq!(download.body.len(), at_limit.len());
    assert!(download.body.iter().all(|&b| b == 7));
    assert_eq!(app.count().await, before + 1);
}

fn with_session(
    session: &Session,
    method: Method,
    uri: &str,
    csrf: bool,
) -> axum::http::request::Builder {
    let uri = if csrf {
        format!("{uri}?csrf_token={}", session.csrf)
    } else {
        uri.to_string()
    };
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, &session.cookie)
}

#[tokio::test]
async fn the_entry_page_lists_documents_and_a_maker_uploads_from_it() {
    let app = App::new();
    let seq = payment_seq(&app).await;
    let page_uri = format!("/entries/{seq}");
    let maker = app.login("zhangsan").await;
    let viewer = app.login("wangwu").await;

    let page = |session: &Session| {
        with_session(session, Method::GET, &page_uri, false)
            .body(Body::empty())
            .expect("request")
    };
    let html = app.send(page(&maker)).await.text();
    assert!(html.contains(r#"id="attachments""#), "{html}");
    assert!(html.contains("尚无附件"), "{html}");
    assert!(html.contains(r#"id="attach-form""#), "{html}");
    assert!(html.contains(&format!(
        "/entries/{seq}/attachments?csrf_token={}",
        maker.csrf
    )));
    let html = app.send(page(&viewer)).await.text();
    assert!(
        !html.contains(r#"id="attach-form""#),
        "a viewer gets no form"
    );

    let form = Multipart::default()
        .file("file", "验收单.jpg", &all_bytes(4))
        .field("note", "无关的字段");
    let upload = |csrf: bool| {
        with_session(
            &maker,
            Method::POST,
            &format!("/entries/{seq}/attachments"),
            csrf,
        )
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(form.body()))
        .expect("request")
    };
    let before = app.count().await;
    let forged = app.send(upload(false)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(app.count().await, before);
    let done = app.send(upload(true)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert_eq!(
        done.header("location"),
        format!("/entries/{seq}#attachments")
    );
    assert_eq!(app.count().await, before + 1);

    let html = app.send(page(&viewer)).await.text();
    let hash = sm3_hex(&all_bytes(4));
    assert!(html.contains("验收单.jpg"), "{html}");
    assert!(
        html.contains(&format!("/api/entries/{seq}/attachments/{hash}")),
        "{html}"
    );
    assert!(html.contains("zhangsan"), "{html}");
    // The download from the page's link, with the viewer's session.
    let link = with_session(
        &viewer,
        Method::GET,
        &format!("/api/entries/{seq}/attachments/{hash}"),
        false,
    )
    .body(Body::empty())
    .expect("request");
    let download = app.send(link).await;
    assert_eq!(download.body.as_ref(), all_bytes(4).as_slice());

    // A refused upload from the page is told on a page, in Chinese.
    let bad = Multipart::default().file("file", "页面.html", b"<script>alert(1)</script>");
    let request = with_session(
        &maker,
        Method::POST,
        &format!("/entries/{seq}/attachments"),
        true,
    )
    .header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={BOUNDARY}"),
    )
    .body(Body::from(bad.body()))
    .expect("request");
    let refused = app.send(request).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("不能作为附件"),
        "{}",
        refused.text()
    );
}

/// A text file holding a page is served as bytes to save, never as a page of the workspace.
#[tokio::test]
async fn a_document_holding_html_is_never_served_as_a_page() {
    let app = App::new();
    let seq = payment_seq(&app).await;
    let uri = format!("/api/entries/{seq}/attachments");
    let page = b"<html><script>fetch('/api/session')</script></html>";
    let form = Multipart::default().file("file", "说明.txt", page);
    let json: Value = app.upload("zhangsan", &uri, &form).await.json();
    let download = app.get("lisi", json["url"].as_str().unwrap_or("")).await;
    assert_eq!(download.body.as_ref(), page);
    assert_eq!(download.header("content-type"), "application/octet-stream");
    assert_eq!(download.header("x-content-type-options"), "nosniff");
    assert!(download
        .header("content-security-policy")
        .contains("sandbox"));
    assert!(download
        .header("content-disposition")
        .starts_with("attachment"));
}
