//! The pages over HTTP, in process (the router and `oneshot`), on the bundled example with a maker
//! and an auditor: status, the figures that matter, the element ids the browser tests rely on
//! (notes/web-contract.md), the reverse form for a maker only, and the downloads.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use taizhang_core::{Kind, Role};
use taizhang_posting::ImportOptions;
use taizhang_store::{Credentials, HashAlgo, Ledger, UnitNames};
use taizhang_web::{auth, router, AppState};
use tower::ServiceExt;

struct Site {
    _dir: tempfile::TempDir,
    app: Router,
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The bundled example, a maker and an auditor, and one payment reversed (付-2022-002).
fn site() -> Site {
    site_with(|_| {})
}

/// [`site`] with more entries posted by `more`.
fn site_with(more: impl FnOnce(&Ledger)) -> Site {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let unit = UnitNames {
        full: "武汉市青山区大数据中心".into(),
        short: "青山区大数据中心".into(),
    };
    let ledger = Ledger::init(&dir.path().join("t.ledger"), unit, HashAlgo::Sm3).expect("init");
    let options = ImportOptions {
        strict: false,
        dry_run: false,
        progress: None,
    };
    let paths = [repo("ledger-data/qingshan-2022")];
    let (posted, tally) =
        taizhang_posting::import(&ledger, &paths, None, "测试", options).expect("import");
    assert!(posted, "{:?}", tally.problems);
    let reversal = [
        ("voucher_no", "付-2022-002".to_string()),
        ("date", "2022-12-20".to_string()),
        ("reason", "金额录入错误".to_string()),
    ];
    let (posted, tally) =
        taizhang_posting::post_one(&ledger, Kind::Reversal, &reversal, "测试", false)
            .expect("reverse");
    assert!(posted, "{:?}", tally.problems);
    for (name, role) in [("maker", Role::Maker), ("auditor", Role::Auditor)] {
        let credentials = Credentials {
            password: Some(auth::hash_password(&format!("{name}-password-1")).expect("hash")),
            tokens: Vec::new(),
        };
        ledger
            .change_user((name, role, true), Some(&credentials), "测试", "测试")
            .expect("user");
    }
    more(&ledger);
    Site {
        _dir: dir,
        app: router(AppState::new(ledger, false)),
    }
}

impl Site {
    /// Logs in through the form and returns the session cookie.
    async fn login(&self, name: &str) -> String {
        let form = format!("username={name}&password={name}-password-1");
        let request = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .expect("request");
        let response = self.app.clone().oneshot(request).await.expect("answer");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {name}");
        let cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie");
        cookie.split(';').next().unwrap_or_default().to_string()
    }

    async fn get(&self, cookie: &str, uri: &str) -> (StatusCode, Vec<u8>, String) {
        let request = Request::get(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .expect("request");
        let response = self.app.clone().oneshot(request).await.expect("answer");
        let status = response.status();
        let kind = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
            .await
            .expect("body");
        (status, body.to_vec(), kind)
    }

    /// A page that must answer 200 with HTML.
    async fn page(&self, cookie: &str, uri: &str) -> String {
        let (status, body, kind) = self.get(cookie, uri).await;
        let text = String::from_utf8(body).expect("UTF-8");
        assert_eq!(status, StatusCode::OK, "{uri}: {text}");
        assert!(kind.starts_with("text/html"), "{uri}: {kind}");
        text
    }
}

/// The text of the element that `marker` (an attribute) opens, up to its next tag.
fn text_after(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in page"));
    let rest = &html[at..];
    let open = rest.find('>').expect("tag end") + 1;
    let close = rest[open..].find('<').expect("next tag") + open;
    rest[open..close].to_string()
}

/// The `data-seq` of every journal row, in page order.
fn row_seqs(html: &str) -> Vec<u64> {
    let marker = r#"<tr class="entry" data-seq=""#;
    html.match_indices(marker)
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').expect("quote")]
                .parse()
                .expect("a seq")
        })
        .collect()
}

#[tokio::test]
async fn overview_shows_each_projects_progress_and_the_chain() {
    let site = site();
    let cookie = site.login("auditor").await;
    let html = site.page(&cookie, "/").await;
    assert!(
        html.contains(r#"class="progress" data-bond="2205187""#),
        "{html}"
    );
    assert!(html.contains("69.41%"), "{html}");
    assert!(html.contains(r#"id="chain""#));
    assert!(html.contains(r#"id="chain-head""#));
    assert!(html.contains("23.6%"), "the SME share of 2022");
    assert!(html.contains("<svg"), "the spending chart");
    assert!(
        html.contains("2022 年按月支出"),
        "the newest year by default"
    );
    let html = site.page(&cookie, "/?year=2023").await;
    assert!(html.contains("2023 年按月支出"));
    let (status, _, _) = site.get(&cookie, "/?year=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn table7_links_every_figure_to_its_cell_and_the_cell_adds_up() {
    let site = site();
    let cookie = site.login("auditor").await;
    let html = site.page(&cookie, "/table7?year=2022").await;
    assert!(html.contains("政府性基金预算财政拨款收入支出决算表"));
    let link = "/table7/cell?year=2022&amp;code=2290402&amp;column=expense";
    assert!(
        html.contains(&format!(r#"<a class="cell" href="{link}">6,940.59</a>"#)),
        "{html}"
    );
    assert!(html.contains(r#"href="/table7.xlsx?year=2022""#));
    assert!(html.contains(r#"href="/table7.csv?year=2022""#));
    let cell = site
        .page(
            &cookie,
            "/table7/cell?year=2022&code=2290402&column=expense",
        )
        .await;
    let value = text_after(&cell, r#"id="cell-value""#);
    assert_eq!(value, "69,405,912.36");
    assert_eq!(text_after(&cell, r#"id="cell-sum""#), value);
    assert!(cell.contains(r#"id="cell-entries""#));
    assert!(cell.matches(r#"<tr class="entry">"#).count() >= 5, "{cell}");
    assert!(cell.contains(r#"href="/entries/"#));
    // The reversed payment counts negatively in its own cell, which still adds up.
    let cell = site
        .page(
            &cookie,
            "/table7/cell?year=2022&code=2120803&column=expense",
        )
        .await;
    assert_eq!(
        text_after(&cell, r#"id="cell-value""#),
        text_after(&cell, r#"id="cell-sum""#)
    );
    assert!(cell.contains("冲销"));
    let (status, _, _) = site
        .get(
            &cookie,
            "/table7/cell?year=2022&code=2290402&column=nonsense",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn journal_is_newest_first_filtered_and_paged_by_seq() {
    let site = site();
    let cookie = site.login("auditor").await;
    let html = site.page(&cookie, "/entries?limit=5").await;
    assert!(html.contains(r#"id="entries""#));
    assert!(html.contains(r#"id="filters""#) && html.contains(r#"method="get""#));
    let seqs = row_seqs(&html);
    assert_eq!(seqs.len(), 5);
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );
    let next = format!(
        r#"id="next-page" href="/entries?after_seq={}&amp;limit=5""#,
        seqs[4]
    );
    assert!(html.contains(&next), "{html}");
    let older = site
        .page(&cookie, &format!("/entries?after_seq={}&limit=5", seqs[4]))
        .await;
    assert_eq!(row_seqs(&older).first(), Some(&(seqs[4] - 1)));
    let payments = site
        .page(&cookie, "/entries?kind=payment&code=2120803")
        .await;
    assert!(payments.contains("付-2022-002"));
    assert!(!payments.contains("收-2022-001"), "receipts filtered out");
    assert!(!payments.contains(r#"id="next-page""#));
    let reversals = site.page(&cookie, "/entries?kind=reversal").await;
    assert!(
        reversals.contains(r#"<td class="num neg">-142,200.00</td>"#),
        "a reversal shows the amount it takes back: {reversals}"
    );
    let (status, _, _) = site.get(&cookie, "/entries?from=2022-13-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The seq of the newest entry a journal filter finds.
async fn seq_of(site: &Site, cookie: &str, query: &str) -> u64 {
    let html = site.page(cookie, &format!("/entries?{query}")).await;
    *row_seqs(&html).first().expect("an entry")
}

#[tokio::test]
async fn an_entry_shows_its_chain_and_reversals_and_a_maker_may_reverse() {
    let site = site();
    let maker = site.login("maker").await;
    let auditor = site.login("auditor").await;
    let reversed = seq_of(&site, &auditor, "kind=payment&voucher=%E4%BB%98-2022-002").await;
    let reversal = seq_of(&site, &auditor, "kind=reversal").await;
    let html = site.page(&auditor, &format!("/entries/{reversed}")).await;
    for id in [
        "entry-fields",
        "entry-hash",
        "entry-prev-hash",
        "reversed-by",
    ] {
        assert!(html.contains(&format!(r#"id="{id}""#)), "{id}: {html}");
    }
    assert!(html.contains(&format!(r#"href="/entries/{reversal}""#)));
    assert!(html.contains("北京时间"));
    assert!(html.contains("142,200.00 元"));
    let back = site.page(&auditor, &format!("/entries/{reversal}")).await;
    assert!(back.contains(r#"id="reverses""#));
    assert!(back.contains(&format!(r#"href="/entries/{reversed}""#)));
    // A payment under a contract, not reversed: the form for the maker, none for the auditor.
    let open = seq_of(&site, &auditor, "kind=payment&contract=QS-2022-001").await;
    let for_maker = site.page(&maker, &format!("/entries/{open}")).await;
    assert!(for_maker.contains(r#"id="reverse-form""#));
    assert!(for_maker.contains(&format!(r#"action="/entries/{open}/reverse?csrf_token="#)));
    assert!(for_maker.contains(r#"name="date""#) && for_maker.contains(r#"name="reason""#));
    assert!(
        for_maker.contains(r#"href="/contracts/QS-2022-001""#),
        "{for_maker}"
    );
    let for_auditor = site.page(&auditor, &format!("/entries/{open}")).await;
    assert!(!for_auditor.contains("reverse-form"));
    // Nor on a payment already reversed.
    let done = site.page(&maker, &format!("/entries/{reversed}")).await;
    assert!(!done.contains("reverse-form"));
    let (status, _, _) = site.get(&auditor, "/entries/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_contract_shows_its_parts_and_payments() {
    let site = site();
    let cookie = site.login("auditor").await;
    let html = site.page(&cookie, "/contracts/QS-2022-001").await;
    assert!(html.contains(r#"id="contract-parts""#));
    assert!(html.contains(r#"id="contract-payments""#));
    assert!(html.contains(r#"<tr class="entry">"#));
    let (status, body, kind) = site.get(&cookie, "/contracts/NO-SUCH").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        kind.starts_with("text/html"),
        "a person gets a page, not JSON"
    );
    let text = String::from_utf8(body).expect("UTF-8");
    assert!(
        text.contains("台账中没有合同编号为“NO-SUCH”的合同"),
        "{text}"
    );
}

#[tokio::test]
async fn procurement_bonds_and_bond_use_show_their_figures() {
    let site = site();
    let cookie = site.login("auditor").await;
    let html = site.page(&cookie, "/procurement?year=2022").await;
    assert!(
        html.contains("政府采购支出总额7858.53万元"),
        "the paragraph"
    );
    assert!(
        html.contains(r##"<a class="share" href="#parts-sme">1,854.90</a>"##),
        "{html}"
    );
    assert!(html.contains(r#"id="parts-sme""#));
    // Each list of parts adds up to its figure in the table, exactly.
    for (id, sum) in [
        ("parts-all", "78,585,300.00"),
        ("parts-services", "78,585,300.00"),
        ("parts-goods", "0.00"),
        ("parts-sme", "18,549,000.00"),
        ("parts-small-micro", "14,825,200.00"),
    ] {
        let at = html.find(&format!(r#"id="{id}""#)).expect(id);
        assert_eq!(text_after(&html[at..], r#"class="sum""#), sum, "{id}");
    }
    let bonds = site.page(&cookie, "/bonds").await;
    assert!(bonds.contains("2205187"));
    assert!(bonds.contains("还本付息计划"));
    assert!(bonds.contains("2023-06-15"));
    let use_ = site.page(&cookie, "/bond-use?quarter=2022Q4").await;
    assert!(use_.contains("2022Q4 专项债券资金使用情况"));
    assert!(use_.contains("69,405,912.36"));
    assert!(use_.contains(r#"href="/bond-use.xlsx?quarter=2022Q4""#));
    let (status, _, _) = site.get(&cookie, "/bond-use?quarter=2022Q5").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn downloads_are_the_reports_sheets() {
    let site = site();
    let cookie = site.login("auditor").await;
    let (status, body, kind) = site.get(&cookie, "/table7.csv?year=2022").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"));
    assert!(body.starts_with("\u{feff}".as_bytes()), "a BOM");
    let text = String::from_utf8(body).expect("UTF-8");
    assert!(text.contains("2290402"));
    assert!(text.contains("\"6,940.59\""), "{text}");
    let (status, body, kind) = site.get(&cookie, "/table7.xlsx?year=2022").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"));
    assert!(body.starts_with(b"PK"), "a zip (xlsx)");
    for uri in [
        "/procurement.csv?year=2022",
        "/procurement.xlsx?year=2022",
        "/bond-use.csv?quarter=2022Q4",
        "/schedule.csv?code=2205187",
        "/contracts.xlsx?year=2022",
    ] {
        let (status, _, _) = site.get(&cookie, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    let (status, _, _) = site.get(&cookie, "/table7.csv").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the year is required");
}

#[tokio::test]
async fn verify_and_export_pages() {
    let site = site();
    let cookie = site.login("auditor").await;
    let overview = site.page(&cookie, "/").await;
    assert!(overview.contains("尚未校验"));
    let html = site.page(&cookie, "/verify").await;
    assert!(
        html.contains(r#"id="verify-result" class="status ok""#),
        "{html}"
    );
    // The count the API's verify gives: the example's entries, two users and the reversal.
    let (_, body, _) = site.get(&cookie, "/api/verify").await;
    let api: serde_json::Value = serde_json::from_slice(&body).expect("verify JSON");
    let count = api["count"].as_u64().expect("a count");
    assert!(count > 20, "the example was imported: {api}");
    assert_eq!(text_after(&html, r#"id="verify-count""#), count.to_string());
    let overview = site.page(&cookie, "/").await;
    assert!(
        overview.contains(r#"data-verified="ok""#),
        "the overview remembers the check"
    );
    let export = site.page(&cookie, "/export?year=2022").await;
    assert!(export.contains(r#"href="/api/export?year=2022""#));
    assert!(export.contains("尚未结账"));
}

#[tokio::test]
async fn pages_need_a_login() {
    let site = site();
    let request = Request::get("/table7?year=2022")
        .body(Body::empty())
        .expect("request");
    let response = site.app.clone().oneshot(request).await.expect("answer");
    assert!(response.status().is_redirection());
    let to = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok());
    assert_eq!(to, Some("/login?next=/table7%3Fyear%3D2022"));
}

#[tokio::test]
async fn procurement_parts_add_up_with_an_amendment_that_corrects_a_class() {
    // The medium-sized supplier was small all along, and its part is 23,800.00 less.
    let site = site_with(|ledger| {
        let fields = [
            ("contract_no", "QS-2022-001".to_string()),
            ("date", "2022-11-01".to_string()),
            ("supplier_name", "示例软件系统有限公司".to_string()),
            ("delta", "-23800.00".to_string()),
            ("reason", "更正声明函".to_string()),
            ("size", "小型".to_string()),
        ];
        let (posted, tally) =
            taizhang_posting::post_one(ledger, Kind::Amendment, &fields, "测试", false)
                .expect("amend");
        assert!(posted, "{:?}", tally.problems);
    });
    let cookie = site.login("auditor").await;
    let html = site.page(&cookie, "/procurement?year=2022").await;
    assert!(html.contains("政府采购支出总额7856.15万元"), "{html}");
    // The part counts as medium, the correction moves it to small/micro: −3,723,800.00 medium,
    // +3,700,000.00 small/micro.
    for (id, sum) in [
        ("parts-all", "78,561,500.00"),
        ("parts-sme", "18,525,200.00"),
        ("parts-small-micro", "18,525,200.00"),
    ] {
        let at = html.find(&format!(r#"id="{id}""#)).expect(id);
        assert_eq!(text_after(&html[at..], r#"class="sum""#), sum, "{id}");
    }
    assert!(
        html.contains("-3,723,800.00"),
        "the amount moved out of medium"
    );
}

#[tokio::test]
async fn a_cell_of_more_entries_than_a_page_is_paged_and_its_pages_add_up() {
    // 520 small payments under 2290402 in one batch: more than the 500 entries a page shows.
    let site = site_with(|ledger| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut csv = String::from(
            "voucher_no,date,fund,function_code,expense_type,amount,project_code,contract_no,bond_code,purpose,payee,memo\n",
        );
        for i in 0..520 {
            csv.push_str(&format!(
                "T-{i},2022-11-01,政府性基金预算,2290402,项目支出,1.{:02},,,,其他,某公司,零星\n",
                i % 100
            ));
        }
        let path = dir.path().join("payments.csv");
        std::fs::write(&path, csv).expect("write");
        let options = ImportOptions {
            strict: false,
            dry_run: false,
            progress: None,
        };
        let (posted, tally) =
            taizhang_posting::import(ledger, &[path], None, "测试", options).expect("import");
        assert!(posted, "{:?}", tally.problems);
    });
    let cookie = site.login("auditor").await;
    let first = site
        .page(
            &cookie,
            "/table7/cell?year=2022&code=2290402&column=expense",
        )
        .await;
    let value = text_after(&first, r#"id="cell-value""#);
    assert!(
        !first.contains(r#"id="cell-sum""#),
        "a page is not the whole cell"
    );
    assert_eq!(first.matches(r#"<tr class="entry">"#).count(), 500);
    let marker = r#"id="next-page" href=""#;
    let at = first.find(marker).expect("a next page") + marker.len();
    let next = first[at..at + first[at..].find('"').expect("quote")].replace("&amp;", "&");
    let second = site.page(&cookie, &next).await;
    assert!(!second.contains(r#"id="next-page""#));
    // The two page sums add up to the cell.
    let fen = |text: String| -> i64 {
        let digits: String = text
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse().expect("an amount")
    };
    let pages =
        fen(text_after(&first, r#"id="page-sum""#)) + fen(text_after(&second, r#"id="page-sum""#));
    assert_eq!(pages, fen(value));
}

#[tokio::test]
async fn every_bond_use_figure_lists_entries_that_add_up_to_it() {
    let site = site();
    let cookie = site.login("auditor").await;
    let html = site.page(&cookie, "/bond-use?quarter=2022Q4").await;
    let marker = r#"<a class="cell" href=""#;
    let links: Vec<String> = html
        .match_indices(marker)
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').expect("quote")].replace("&amp;", "&")
        })
        .collect();
    // 累计到位, 本季支出, 累计支出, 本季付息, 累计付息, 累计发行费 (结余 is zero, blank).
    assert_eq!(links.len(), 6, "{links:?}");
    for link in &links {
        let page = site.page(&cookie, link).await;
        let value = text_after(&page, r#"id="figure-value""#);
        assert_eq!(text_after(&page, r#"id="figure-sum""#), value, "{link}");
        assert!(page.contains(r#"<tr class="entry">"#), "{link}");
    }
    let spent = site
        .page(
            &cookie,
            "/bond-use/entries?quarter=2022Q4&bond=2205187&project=QS-ZHXQS-1&figure=spent_to_date",
        )
        .await;
    assert_eq!(text_after(&spent, r#"id="figure-value""#), "69,405,912.36");
    // The overview's figures link here too.
    let overview = site.page(&cookie, "/").await;
    assert!(overview.contains("figure=spent_to_date"));
    let (status, _, _) = site
        .get(
            &cookie,
            "/bond-use/entries?quarter=2022Q4&bond=2205187&project=QS-ZHXQS-1&figure=x",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = site
        .get(
            &cookie,
            "/bond-use/entries?quarter=2022Q4&bond=NONE&project=P&figure=unspent",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The overview answers the leader's "what is about to go wrong": the compliance counts, each linking
/// to its report (the example holds a late and an overdue SME due on purpose).
#[tokio::test]
async fn the_overview_shows_what_needs_attention() {
    let site = site();
    let cookie = site.login("auditor").await;
    let overview = site.page(&cookie, "/").await;
    assert!(overview.contains(r#"id="attention""#), "{overview}");
    for link in [
        "link-payment-clock",
        "link-overdue",
        "link-idle-funds",
        "link-procurement-checks",
    ] {
        assert!(overview.contains(&format!(r#"id="{link}""#)), "{link}");
    }
    // The same counts as the compliance page.
    let hub = site.page(&cookie, "/compliance").await;
    let counts = |html: &str| -> Vec<String> {
        html.split(r#"<td class="num">"#)
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap_or("").to_string())
            .collect()
    };
    let on_hub = counts(&hub);
    assert_eq!(on_hub.len(), 4, "{hub}");
    let attention = overview
        .split(r#"id="attention""#)
        .nth(1)
        .expect("the attention section");
    assert_eq!(counts(attention)[..4], on_hub[..]);
}
