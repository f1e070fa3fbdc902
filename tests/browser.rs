//! The web workspace in a real browser: Debian's headless Chromium driven through chromedriver
//! (WebDriver, with fantoccini) against the real `taizhang serve` on the bundled example. The pages are
//! read through the page contract (element ids and classes, docs/decisions.md "Browser tests"), and
//! every figure asserted is one that matters: the bond's progress, the table-7 cell and the entries
//! that add up to it, the entry count before and after each write.
//!
//! Two browser sessions (one per test) keep the run short; the screenshots of docs/img/ come from an
//! ignored test of this file: `cargo test --test browser -- --ignored screenshots`.

#[path = "browser_harness/mod.rs"]
mod harness;

use harness::{
    encode, example_payments, fen, Body, TestLedger, Workspace, ADMIN, AUDITOR, CHECKER, MAKER,
};

/// A 2023 batch of two payments; the second row's date does not exist (2023-02-30) when `bad`.
fn payments_2023(bad: bool) -> String {
    let second = if bad { "2023-02-30" } else { "2023-02-28" };
    format!(
        "voucher_no,date,fund,function_code,expense_type,amount,project_code,contract_no,bond_code,purpose,payee,memo\n\
         付-2023-001,2023-01-10,政府性基金预算,2290402,项目支出,\"1,000.00\",QS-ZHXQS-1,QS-2022-002,2205187,建设,示例工程咨询有限公司,监理费（第二期）\n\
         付-2023-002,{second},政府性基金预算,2290402,项目支出,\"2,000.00\",QS-ZHXQS-1,QS-2022-002,2205187,建设,示例工程咨询有限公司,监理费（第三期）\n"
    )
}

const BATCH_FILE: &str = "支出2023.csv";

/// The maker's year in the browser: log in, read the bond's progress, trace the 2290402 expense of
/// table 7 to its entries, import a batch (refused whole for one bad row, then posted), and reverse a
/// payment from its page.
#[tokio::test(flavor = "current_thread")]
async fn a_maker_traces_table7_imports_and_reverses() {
    let ledger = TestLedger::example();
    // Read before serving: the server holds the ledger.
    let bond_use = ledger.ok(&[
        "report",
        "bond-use",
        "--quarter",
        "2022Q4",
        "--format",
        "json",
    ]);
    let web = Workspace::start_on(ledger).await;
    log_in_and_out_of_errors(&web).await;
    overview_shows_the_bond_progress(&web, &bond_use).await;
    table7_cell_adds_up_to_its_entries(&web).await;
    import_is_all_or_nothing(&web).await;
    reverse_a_payment(&web).await;
    web.finish().await;
}

/// A wrong password is refused on the page; the right one opens the overview.
async fn log_in_and_out_of_errors(web: &Workspace) {
    web.goto("/login").await;
    web.type_into("form.login input[name=username]", MAKER.0)
        .await;
    web.type_into("form.login input[name=password]", "不是这个口令")
        .await;
    web.click("form.login button[type=submit]").await;
    let error = web.text("p.error").await;
    assert!(!error.trim().is_empty(), "a refused login says why");
    web.login(MAKER).await;
    assert_eq!(web.path().await, "/", "a login lands on the overview");
}

/// The overview's bar for bond 2205187 shows the share spent, as `report bond-use` computes it.
async fn overview_shows_the_bond_progress(web: &Workspace, bond_use: &str) {
    let bond_use: serde_json::Value =
        serde_json::from_str(bond_use).expect("report bond-use prints JSON");
    let pct = bond_use["rows"][0]["progress_pct"]
        .as_str()
        .expect("the bond's progress")
        .to_string();
    assert_eq!(
        pct, "69.41",
        "the example spends 69,405,912.36 of 100,000,000.00"
    );
    web.goto("/").await;
    let progress = web.text("div.progress[data-bond='2205187']").await;
    assert!(
        progress.contains(&format!("{pct}%")),
        "the bond's progress shows {pct}%: “{progress}”"
    );
    let count = web.entry_count().await;
    let chain = web.text("#chain").await;
    assert!(
        chain.contains(&count.to_string()),
        "the chain's state shows its {count} entries: “{chain}”"
    );
}

/// On 表7, the 2290402 支出 figure is a link; its page lists exactly the example's 2290402 payments,
/// each linking to its entry, and they add up to the figure.
async fn table7_cell_adds_up_to_its_entries(web: &Workspace) {
    web.goto("/table7?year=2022").await;
    web.click("a.cell[href*='code=2290402'][href*='column=expense']")
        .await;
    let value = web.text("#cell-value").await;
    assert_eq!(value.trim(), "69,405,912.36", "the cell's value in 元");
    assert_eq!(web.text("#cell-sum").await.trim(), value.trim());

    let expected: Vec<(String, i64)> = example_payments()
        .into_iter()
        .filter(|(_, code, _)| code == "2290402")
        .map(|(voucher, _, amount)| (voucher, amount))
        .collect();
    assert_eq!(
        expected.iter().map(|(_, a)| a).sum::<i64>(),
        fen(&value),
        "the example's 2290402 payments add up to the cell"
    );
    let rows = web.all("table#cell-entries tr.entry").await;
    assert_eq!(rows.len(), expected.len(), "one row per entry of the cell");
    let mut texts = Vec::new();
    for row in &rows {
        texts.push(row.text().await.expect("a row's text"));
        let link = row
            .find(fantoccini::Locator::Css("a[href^='/entries/']"))
            .await;
        assert!(
            link.is_ok(),
            "each row links to its entry: {:?}",
            texts.last()
        );
    }
    for (voucher, _) in &expected {
        let shown = texts
            .iter()
            .filter(|t| t.contains(voucher.as_str()))
            .count();
        assert_eq!(shown, 1, "{voucher} is one row of the cell: {texts:#?}");
    }
}

/// A batch with one bad row: the problem at its file and line, nothing posted. The corrected batch:
/// a dry run posts nothing, then the post adds both payments.
async fn import_is_all_or_nothing(web: &Workspace) {
    let dir = tempfile::tempdir().expect("a folder for the upload");
    let file = dir.path().join(BATCH_FILE);
    let before = web.entry_count().await;

    std::fs::write(&file, payments_2023(true)).expect("the bad batch is written");
    upload(web, &file, "post").await;
    web.wait("ul#problems li.problem").await;
    let problems = web.all("ul#problems li.problem").await;
    assert_eq!(problems.len(), 1, "one bad row, one problem");
    let problem = problems[0].text().await.expect("the problem's text");
    assert!(
        problem.contains(&format!("{BATCH_FILE}:3")) && problem.contains("2023-02-30"),
        "the problem names the file, line 3 and the bad date: “{problem}”"
    );
    assert!(!web.exists("#outcome").await || web.text("#outcome").await.trim().is_empty());
    assert_eq!(web.entry_count().await, before, "nothing posted");

    std::fs::write(&file, payments_2023(false)).expect("the good batch is written");
    upload(web, &file, "check").await;
    let dry = web.text("#outcome").await;
    assert!(
        !web.exists("ul#problems li.problem").await,
        "the good batch has no problem"
    );
    assert!(
        dry.contains("将新记账 2 条"),
        "the dry run tells of the two payments: “{dry}”"
    );
    assert_eq!(web.entry_count().await, before, "a dry run posts nothing");

    upload(web, &file, "post").await;
    let outcome = web.text("#outcome").await;
    assert!(
        outcome.contains("新记账 2 条"),
        "the outcome counts two new entries: “{outcome}”"
    );
    assert_eq!(web.entry_count().await, before + 2, "both payments posted");
}

/// Chooses `file` in the import form and presses the button of `action` (check or post).
async fn upload(web: &Workspace, file: &std::path::Path, action: &str) {
    web.goto("/import").await;
    let input = web
        .wait("form#import-form input[type=file][name=files]")
        .await;
    input
        .send_keys(&file.to_string_lossy())
        .await
        .expect("the file is chosen");
    web.click(&format!(
        "form#import-form button[name=action][value={action}]"
    ))
    .await;
    // The answer is a new page with an outcome or problems.
    web.wait("#outcome, ul#problems").await;
}

/// 付-2022-004 reversed from its page: the browser lands on the reversal, which links back, and the
/// original links forward and offers no second reversal.
async fn reverse_a_payment(web: &Workspace) {
    let before = web.entry_count().await;
    let original = web.open_voucher("付-2022-004").await;
    web.wait("form#reverse-form").await;
    web.set_value("form#reverse-form input[name=date]", "2023-01-05")
        .await;
    web.type_into("form#reverse-form input[name=reason]", "重复支付")
        .await;
    web.click("form#reverse-form button[type=submit]").await;
    web.wait("#reverses").await;
    assert_eq!(web.entry_count().await, before + 1, "one reversal posted");
    assert_eq!(
        web.entry_seq_shown().await,
        before + 1,
        "the browser shows the new reversal"
    );
    let back = web.wait("#reverses a").await;
    let href = back.attr("href").await.ok().flatten().unwrap_or_default();
    assert!(
        href.ends_with(&format!("/entries/{original}")),
        "the reversal links to entry {original}: {href}"
    );

    web.goto(&format!("/entries/{original}")).await;
    let forward = web.wait("#reversed-by a").await;
    let href = forward
        .attr("href")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(
        href.ends_with(&format!("/entries/{}", before + 1)),
        "the original links to its reversal: {href}"
    );
    assert!(
        !web.exists("form#reverse-form").await,
        "a reversed payment offers no second reversal"
    );
}

/// The auditor reads but cannot write: no writing menu items or forms, and forged requests with the
/// auditor's own session and valid CSRF token are refused 403, with nothing posted.
#[tokio::test(flavor = "current_thread")]
async fn an_auditor_sees_no_posting_form_and_forged_posts_are_refused() {
    let web = Workspace::start().await;
    web.login(AUDITOR).await;
    web.wait("div.progress[data-bond='2205187']").await;
    for href in ["/import", "/post", "/close"] {
        assert!(
            !web.exists(&format!("a[href^='{href}']")).await,
            "no menu item {href} for an auditor"
        );
    }
    web.goto("/import").await;
    assert!(!web.exists("form#import-form").await, "no import form");
    web.goto("/post").await;
    assert!(!web.exists("form#post-form").await, "no post form");
    web.goto("/close").await;
    assert!(!web.exists("form#close-form").await, "no close form");
    let payment = web.open_voucher("付-2022-004").await;
    assert!(!web.exists("form#reverse-form").await, "no reverse form");

    let before = web.entry_count().await;
    let token = web.csrf_token().await;
    let csv = payments_2023(false);
    let files = [(BATCH_FILE, csv.as_str())];
    let reverse_form = [("date", "2023-01-05"), ("reason", "伪造")];
    let with_token = |path: &str| format!("{path}?csrf_token={}", encode(&token));
    let forged = [
        (
            "POST /api/import",
            web.fetch(
                "POST",
                "/api/import",
                Body::Multipart {
                    fields: &[],
                    files: &files,
                },
                Some(&token),
            )
            .await,
        ),
        (
            "POST /import",
            web.fetch(
                "POST",
                &with_token("/import"),
                Body::Multipart {
                    fields: &[("action", "post")],
                    files: &files,
                },
                None,
            )
            .await,
        ),
        (
            "POST /entries/{seq}/reverse",
            web.fetch(
                "POST",
                &with_token(&format!("/entries/{payment}/reverse")),
                Body::Form(&reverse_form),
                None,
            )
            .await,
        ),
        (
            "POST /api/reverse",
            web.fetch(
                "POST",
                "/api/reverse",
                Body::Json(serde_json::json!({
                    "voucher": "付-2022-004", "date": "2023-01-05", "reason": "伪造"
                })),
                Some(&token),
            )
            .await,
        ),
        (
            "POST /api/close",
            web.fetch(
                "POST",
                "/api/close",
                Body::Json(serde_json::json!({ "through": "2022-12-31" })),
                Some(&token),
            )
            .await,
        ),
    ];
    for (what, (status, body)) in &forged {
        assert_eq!(*status, 403, "{what} by an auditor is refused: {body}");
    }
    assert_eq!(web.entry_count().await, before, "nothing posted");
    web.finish().await;
}

/// A finance office of two (issue 18): with approval required, the maker's batch waits as pending
/// and changes nothing; the maker cannot approve it and attaches the 原始凭证 to a payment; the
/// checker sees the table-7 cell it would change, approves it (both names on the entries), and
/// rejects a second batch with a reason, which posts nothing but the review.
#[tokio::test(flavor = "current_thread")]
async fn a_finance_office_posts_four_eyes_with_documents() {
    let ledger = TestLedger::example();
    ledger.ok(&[
        "settings",
        "--require-approval",
        "on",
        "--operator",
        ADMIN.0,
    ]);
    let web = Workspace::start_on(ledger).await;
    web.login(MAKER).await;
    let before = web.entry_count().await;
    let table7_before = web.api("/api/reports/table7?year=2023").await;

    let dir = tempfile::tempdir().expect("a folder for the uploads");
    let file = dir.path().join(BATCH_FILE);
    std::fs::write(&file, payments_2023(false)).expect("the batch is written");
    upload(&web, &file, "post").await;
    let outcome = web.text("#outcome").await;
    assert!(
        outcome.contains("已提交待审批次 1：2 条"),
        "the maker is told the batch waits: “{outcome}”"
    );
    assert_eq!(
        web.entry_count().await,
        before,
        "nothing posted while pending"
    );
    assert_eq!(
        web.api("/api/reports/table7?year=2023").await,
        table7_before,
        "a pending batch is invisible in table 7"
    );
    a_maker_cannot_approve_their_own_batch(&web).await;
    a_maker_attaches_the_document_of_a_payment(&web, dir.path()).await;
    let before = web.entry_count().await;

    switch_user(&web, CHECKER).await;
    web.goto("/pending").await;
    web.wait("table#pending-list tr[data-batch='1']").await;
    web.goto("/pending/1").await;
    assert_eq!(web.text("#batch-maker").await.trim(), MAKER.0);
    let change = web
        .text("table#table7-changes tr[data-code='2290402'][data-column='expense']")
        .await;
    assert!(
        change.contains("3,000.00"),
        "the checker sees 2290402's expense grow by the batch's 3,000.00: “{change}”"
    );
    web.click("form#approve-form button[type=submit]").await;
    web.wait("#entry-fields").await;
    let review = web.entry_seq_shown().await;
    assert_eq!(review, before + 1, "the review comes first");
    assert_eq!(
        web.entry_count().await,
        before + 3,
        "the review and both payments posted"
    );
    web.open_voucher("付-2023-002").await;
    assert_eq!(web.text("#entry-operator").await.trim(), MAKER.0);
    let checker = web.text("#entry-checker").await;
    assert!(
        checker.contains(CHECKER.0) && checker.contains(&format!("第 {review} 条")),
        "the entry names its checker and review: “{checker}”"
    );

    a_rejection_posts_nothing_but_its_reason(&web, dir.path()).await;
    a_batch_overtaken_by_a_close_cannot_be_approved(&web, dir.path()).await;
    web.finish().await;
}

/// A batch whose dates the admin closes while it waits: the checker is shown why it can no longer
/// post and offered no approval; a forged one is refused (422) with nothing posted.
async fn a_batch_overtaken_by_a_close_cannot_be_approved(web: &Workspace, dir: &std::path::Path) {
    maker_submits(web, dir, 3).await;

    switch_user(web, ADMIN).await;
    web.goto("/close").await;
    web.set_value("form#close-form input[name=through]", "2023-03-31")
        .await;
    web.click("form#close-form button[type=submit]").await;
    web.wait("#outcome, ul#problems").await;
    let before = web.entry_count().await;

    switch_user(web, CHECKER).await;
    web.goto("/pending/3").await;
    let refused = web.text("#batch-refused").await;
    assert!(
        refused.contains("支出2023-3.csv:2") && refused.contains("2023-03-31"),
        "the checker is told which row the close shuts out: “{refused}”"
    );
    assert!(!web.exists("form#approve-form").await, "no approve button");
    let token = web.csrf_token().await;
    let (status, text) = web
        .fetch("POST", "/api/pending/3/approve", Body::None, Some(&token))
        .await;
    assert_eq!(status, 422, "refused at approval: {text}");
    assert_eq!(web.entry_count().await, before, "nothing posted");
    let pending = web.api("/api/pending").await;
    assert_eq!(
        pending["pending"][0]["id"],
        serde_json::json!(3),
        "still waits"
    );
}

/// The maker's own batch offers no approval, and a forged approval is refused (403).
async fn a_maker_cannot_approve_their_own_batch(web: &Workspace) {
    web.goto("/pending/1").await;
    web.wait("#own-batch").await;
    assert!(!web.exists("form#approve-form").await, "no approve button");
    let token = web.csrf_token().await;
    let (status, text) = web
        .fetch("POST", "/api/pending/1/approve", Body::None, Some(&token))
        .await;
    assert_eq!(status, 403, "self-approval refused: {text}");
}

/// A payment's 原始凭证 uploaded from its page: listed with its size, downloaded as it was.
async fn a_maker_attaches_the_document_of_a_payment(web: &Workspace, dir: &std::path::Path) {
    let content = "%PDF-1.4\n% 付款审批单 付-2022-004\n1 0 obj << >> endobj\n%%EOF\n";
    let file = dir.join("付款审批单.pdf");
    std::fs::write(&file, content).expect("the document is written");
    let payment = web.open_voucher("付-2022-004").await;
    let input = web
        .wait("form#attach-form input[type=file][name=file]")
        .await;
    input
        .send_keys(&file.to_string_lossy())
        .await
        .expect("the file is chosen");
    web.click("form#attach-form button[type=submit]").await;
    web.wait("table#attachment-list tr.attachment").await;
    assert_eq!(web.entry_seq_shown().await, payment, "back on the payment");
    let row = web.text("table#attachment-list tr.attachment").await;
    assert!(
        row.contains("付款审批单.pdf") && row.contains(&content.len().to_string()),
        "the document is listed with its size: “{row}”"
    );
    let listed = web
        .api(&format!("/api/entries/{payment}/attachments"))
        .await;
    let url = listed[0]["url"].as_str().expect("a download address");
    let (status, downloaded) = web.fetch("GET", url, Body::None, None).await;
    assert_eq!(status, 200);
    assert_eq!(downloaded, content, "downloaded byte for byte");
}

/// A second batch, rejected with a reason: only the review is posted, nothing waits any more.
async fn a_rejection_posts_nothing_but_its_reason(web: &Workspace, dir: &std::path::Path) {
    maker_submits(web, dir, 2).await;
    let before = web.entry_count().await;

    switch_user(web, CHECKER).await;
    web.goto("/pending/2").await;
    web.type_into(
        "form#reject-form input[name=reason]",
        "监理费第三期尚未验收",
    )
    .await;
    web.click("form#reject-form button[type=submit]").await;
    web.wait("#entry-fields").await;
    assert_eq!(
        web.entry_count().await,
        before + 1,
        "only the review posted"
    );
    assert!(
        web.body_text().await.contains("监理费第三期尚未验收"),
        "the review records the reason"
    );
    let pending = web.api("/api/pending").await;
    assert_eq!(pending["pending"], serde_json::json!([]), "nothing waits");
}

/// The maker's batch `n` (n > 1): the two 2023 payments under vouchers of their own, waiting.
async fn maker_submits(web: &Workspace, dir: &std::path::Path, n: u32) {
    switch_user(web, MAKER).await;
    let file = dir.join(format!("支出2023-{n}.csv"));
    let batch = payments_2023(false)
        .replace("付-2023-001", &format!("付-2023-0{n}1"))
        .replace("付-2023-002", &format!("付-2023-0{n}2"));
    std::fs::write(&file, batch).expect("the batch is written");
    upload(web, &file, "post").await;
    let outcome = web.text("#outcome").await;
    assert!(
        outcome.contains(&format!("已提交待审批次 {n}")),
        "batch {n} waits: “{outcome}”"
    );
}

/// Logs out and in as someone else.
async fn switch_user(web: &Workspace, user: (&str, &str, &str)) {
    web.fetch(
        "POST",
        &format!("/logout?csrf_token={}", encode(&web.csrf_token().await)),
        Body::None,
        None,
    )
    .await;
    web.login(user).await;
}

/// Not a test: saves a screenshot of each page at 1366×768 into docs/img/ for the guide.
/// `cargo test --test browser -- --ignored screenshots`
#[tokio::test(flavor = "current_thread")]
#[ignore = "writes docs/img/: run by hand when the pages change"]
async fn screenshots() {
    let web = Workspace::start().await;
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img");
    std::fs::create_dir_all(&out).expect("docs/img");
    let shot = |name: &'static str| {
        let file = out.join(format!("web-{name}.png"));
        let web = &web;
        async move { web.screenshot(&file).await }
    };
    web.goto("/login").await;
    web.wait("form.login").await;
    web.viewport(1366, 768).await;
    shot("login").await;
    web.login(MAKER).await;
    web.wait("div.progress").await;
    shot("overview").await;
    for (name, path) in [
        ("entries", "/entries"),
        ("table7", "/table7?year=2022"),
        ("procurement", "/procurement?year=2022"),
        ("bonds", "/bonds"),
        ("bond-use", "/bond-use?quarter=2022Q4"),
        ("post", "/post"),
        ("export", "/export"),
        ("verify", "/verify"),
    ] {
        web.goto(path).await;
        shot(name).await;
    }
    web.goto("/table7?year=2022").await;
    web.click("a.cell[href*='code=2290402'][href*='column=expense']")
        .await;
    web.wait("#cell-value").await;
    shot("table7-cell").await;
    web.open_voucher("付-2022-004").await;
    shot("entry").await;

    let dir = tempfile::tempdir().expect("a folder for the upload");
    let file = dir.path().join(BATCH_FILE);
    std::fs::write(&file, payments_2023(true)).expect("the bad batch is written");
    upload(&web, &file, "check").await;
    shot("import-problems").await;
    std::fs::write(&file, payments_2023(false)).expect("the good batch is written");
    upload(&web, &file, "check").await;
    shot("import-check").await;

    web.fetch(
        "POST",
        &format!("/logout?csrf_token={}", encode(&web.csrf_token().await)),
        Body::None,
        None,
    )
    .await;
    web.login(ADMIN).await;
    web.goto("/close").await;
    shot("close").await;

    web.goto("/pending").await;
    web.click("form#settings-form button[type=submit]").await;
    web.wait("table#pending-list, #no-pending").await;
    switch_user(&web, MAKER).await;
    upload(&web, &file, "post").await;
    switch_user(&web, CHECKER).await;
    web.goto("/pending/1").await;
    web.wait("form#approve-form").await;
    shot("pending").await;
    web.finish().await;
}
