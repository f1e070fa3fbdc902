//! 台账: the journal newest first, paged by sequence number (`after_seq`, never an offset), filtered
//! by kind, dates, voucher, contract, code, payee and text through a plain GET form; one entry with
//! every field, where it came from, who posted it, its place in the chain and its reversals both
//! ways; and a contract with its parts, amendments, payments and their reversals (`taizhang show`).

use axum::extract::{Path, Query, State};
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;
use taizhang_core::{Amount, Body, Kind, Right};
use taizhang_posting::read::{self, EntryDetail, Page};
use taizhang_projection::contracts::{self, ContractRow};
use taizhang_projection::journal::EntryFilter;
use taizhang_store::attachments::{ATTACHMENT_BYTES_MAX, ATTACHMENT_EXTENSIONS};
use taizhang_store::{Attachment, ContractEntries, EntryLine, Posted};

use crate::auth::Caller;
use crate::http::WebError;
use crate::pages::view::PageError;
use crate::pages::{fields, layout, view};
use crate::state::AppState;

/// The journal's parameters, as the API's (`/api/entries`) plus dates, payee and text.
#[derive(Deserialize, Default, Clone)]
pub struct JournalQuery {
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    year: Option<String>,
    voucher: Option<String>,
    contract: Option<String>,
    code: Option<String>,
    payee: Option<String>,
    text: Option<String>,
    after_seq: Option<String>,
    limit: Option<String>,
}

impl JournalQuery {
    fn filter(&self) -> Result<EntryFilter, WebError> {
        let kind = match given(&self.kind) {
            None => None,
            Some(k) => Some(Kind::parse(k).ok_or_else(|| {
                WebError::bad_request(format!(
                    "参数 kind 不是记录种类：“{}”",
                    crate::api::excerpt(k)
                ))
            })?),
        };
        let mut filter = EntryFilter {
            kind,
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
            voucher: self.voucher.clone(),
            contract: self.contract.clone(),
            code: self.code.clone(),
            payee: self.payee.clone(),
            text: self.text.clone(),
        };
        if let Some(year) = view::year_param(self.year.as_deref())? {
            filter = filter.year(year);
        }
        Ok(filter)
    }

    /// The query of the next page: the same filters, after `seq`.
    fn next(&self, seq: u64) -> String {
        let pairs = [
            ("kind", &self.kind),
            ("from", &self.from),
            ("to", &self.to),
            ("year", &self.year),
            ("voucher", &self.voucher),
            ("contract", &self.contract),
            ("code", &self.code),
            ("payee", &self.payee),
            ("text", &self.text),
            ("limit", &self.limit),
        ];
        let mut query = format!("after_seq={seq}");
        for (key, value) in pairs {
            if let Some(v) = given(value) {
                query.push_str(&format!("&{key}={}", view::encode(v)));
            }
        }
        query
    }
}

fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn date(field: &Option<String>, name: &str) -> Result<Option<chrono::NaiveDate>, WebError> {
    let Some(text) = given(field) else {
        return Ok(None);
    };
    taizhang_core::period::parse_date(text)
        .map(Some)
        .map_err(|e| WebError::bad_request(format!("参数 {name} 不是日期（YYYY-MM-DD）：{e}")))
}

fn number(field: &Option<String>, name: &str) -> Result<Option<u64>, WebError> {
    let Some(text) = given(field) else {
        return Ok(None);
    };
    text.parse().map(Some).map_err(|_| {
        WebError::bad_request(format!(
            "参数 {name} 应为正整数，而不是“{}”",
            crate::api::excerpt(text)
        ))
    })
}

pub async fn journal(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<JournalQuery>,
) -> Result<Markup, PageError> {
    let filter = query.filter()?;
    let after = number(&query.after_seq, "after_seq")?;
    let limit = number(&query.limit, "limit")?.map(|n| n.min(10_000) as usize);
    let (page, reversed) = state
        .read(move |ledger| -> Result<_, WebError> {
            let page = read::entries_page(ledger, &filter, after, limit)?;
            let reversed = reversed_amounts(ledger, &page)?;
            Ok((page, reversed))
        })
        .await??;
    let body = html! {
        h1 { "台账" }
        (filters(&query))
        (journal_table(&page, &reversed, after))
        p.pager.noprint {
            @if after.is_some() { a href="/entries" { "« 最新" } " " }
            @if let Some(next) = page.next_after_seq {
                a #next-page href=(format!("/entries?{}", query.next(next))) { "更早的记录 ›" }
            }
        }
    };
    let unit = state.ledger().unit().full.clone();
    Ok(layout::page("台账", &unit, &caller, "/entries", body))
}

fn filters(q: &JournalQuery) -> Markup {
    let value = |f: &Option<String>| f.clone().unwrap_or_default();
    let kind = given(&q.kind).and_then(Kind::parse);
    html! {
        form #filters .filters.noprint method="get" action="/entries" {
            label { "种类"
                select name="kind" {
                    option value="" { "全部" }
                    @for k in Kind::ALL {
                        option value=(k.key()) selected[kind == Some(k)] { (k.label()) }
                    }
                }
            }
            label { "自" input type="date" name="from" value=(value(&q.from)); }
            label { "至" input type="date" name="to" value=(value(&q.to)); }
            label { "凭证号" input name="voucher" size="10" value=(value(&q.voucher)); }
            label { "合同编号" input name="contract" size="12" value=(value(&q.contract)); }
            label { "科目编码" input name="code" size="8" value=(value(&q.code)); }
            label { "收款人" input name="payee" size="10" value=(value(&q.payee)); }
            label { "文字" input name="text" size="10" value=(value(&q.text)); }
            button type="submit" { "筛选" }
            a href="/entries" { "清除" }
        }
    }
}

/// For each reversal on the page, the amount it takes back (its original's, negative), read
/// through the index: the journal shows a reversal as the red figure it is.
fn reversed_amounts(
    ledger: &taizhang_store::Ledger,
    page: &Page,
) -> Result<std::collections::BTreeMap<u64, Amount>, WebError> {
    let mut amounts = std::collections::BTreeMap::new();
    for posted in &page.entries {
        if let Body::Reversal(_) = posted.body {
            let links = ledger.reversal_links(&posted.body)?;
            let amount = links.reverses.and_then(|o| match o.body {
                Body::Payment(p) => Some(p.amount),
                Body::Receipt(r) => Some(r.amount),
                _ => None,
            });
            if let Some(amount) = amount {
                amounts.insert(posted.record.seq, -amount);
            }
        }
    }
    Ok(amounts)
}

fn journal_table(
    page: &Page,
    reversed: &std::collections::BTreeMap<u64, Amount>,
    after: Option<u64>,
) -> Markup {
    html! {
        @if page.entries.is_empty() {
            p.muted { @if after.is_some() { "没有更早的记录。" } @else { "没有符合条件的记录。" } }
        } @else {
            table #entries .journal {
                thead { tr { th.num { "序号" } th { "日期" } th { "种类" } th { "记录" } th { "科目" } th.num { "金额（元）" } th { "收款人 / 摘要" } th { "操作员" } } }
                tbody {
                    @for p in &page.entries {
                        @let s = fields::summary(&p.body);
                        tr.entry data-seq=(p.record.seq) {
                            td.num { a href=(format!("/entries/{}", p.record.seq)) { (p.record.seq) } }
                            td.date { (s.date) }
                            td { span class=(format!("kind {}", p.body.kind().key())) { (p.body.kind().label()) } }
                            td { a href=(format!("/entries/{}", p.record.seq)) { (s.name) } }
                            td { (s.code) }
                            @match s.amount.or_else(|| reversed.get(&p.record.seq).copied()) {
                                Some(a) => (view::money_td(a)),
                                None => td {},
                            }
                            td.party { (s.party) }
                            td.muted { (p.record.operator) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn entry(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(seq): Path<String>,
) -> Result<Markup, PageError> {
    let seq: u64 = seq.trim().parse().map_err(|_| {
        WebError::bad_request(format!(
            "记录序号应为正整数，而不是“{}”",
            crate::api::excerpt(&seq)
        ))
    })?;
    let (detail, documents) = state
        .read(move |ledger| -> Result<_, WebError> {
            let Some(detail) = read::entry_detail(ledger, seq)? else {
                return Ok(None);
            };
            Ok(Some((detail, ledger.attachments_of(seq)?)))
        })
        .await??
        .ok_or_else(|| WebError::not_found(format!("台账中没有第 {seq} 条记录")))?;
    let title = format!("第 {seq} 条");
    let body = html! {
        (entry_body(&detail, &caller))
        (attachments_section(&detail, &documents, &caller))
    };
    let unit = state.ledger().unit().full.clone();
    Ok(layout::page(&title, &unit, &caller, "/entries", body))
}

fn entry_body(d: &EntryDetail, caller: &Caller) -> Markup {
    let e = &d.entry;
    let line = EntryLine::of(e);
    let kind = e.body.kind();
    let seq = e.record.seq;
    html! {
        nav.crumbs.noprint { a href="/entries" { "台账" } " › 第 " (seq) " 条" }
        h1 { "第 " (seq) " 条 · " (kind.label()) }
        p.lead { (e.body.key().describe()) }
        @if !d.hash_holds {
            p.error role="alert" { "警告：这条记录的内容与它的哈希不符，记录被改动过，以下所示不可信。请运行校验。" }
        }
        (reversal_links(d))
        table #entry-fields .fields {
            tr { th { "序号" } td { (seq) } }
            tr { th { "种类" } td { (kind.label()) "（" (kind.key()) "）" } }
            @for (label, key, value) in fields::body_fields(&line, kind) {
                tr data-field=(key) {
                    th { (label) }
                    td { @if key == "contract_no" && value != "（无）" { a href=(format!("/contracts/{}", view::encode(&value))) { (value) } } @else { (value) } }
                }
            }
            tr { th { "来源" } td #entry-source { (line.source) } }
            @match &d.review {
                Some((review, checker)) => {
                    tr { th { "制单" } td #entry-operator { (line.operator) } }
                    tr { th { "审核" } td #entry-checker { (checker) " " a.noprint href=(format!("/entries/{review}")) { "第 " (review) " 条审核记录" } } }
                }
                None => { tr { th { "操作员" } td #entry-operator { (line.operator) } } }
            }
            tr { th { "记账时间" } td { (view::beijing(line.recorded_at.0)) } }
            tr { th { "哈希" } td { code #entry-hash { (line.hash) } } }
            tr { th { "前一哈希" } td {
                code #entry-prev-hash { (line.prev_hash) }
                @if seq > 1 { " " a.noprint href=(format!("/entries/{}", seq - 1)) { "第 " (seq - 1) " 条" } }
            } }
        }
        (contract_link(&e.body))
        (reverse_form(d, caller))
    }
}

fn reversal_links(d: &EntryDetail) -> Markup {
    html! {
        @if let Some(r) = &d.links.reversed_by {
            p #reversed-by .notice {
                "已被冲销："
                a href=(format!("/entries/{}", r.record.seq)) { "第 " (r.record.seq) " 条" }
                (reversal_note(&r.body))
            }
        }
        @if let Some(o) = &d.links.reverses {
            p #reverses .notice {
                "冲销的是："
                a href=(format!("/entries/{}", o.record.seq)) { "第 " (o.record.seq) " 条（" (o.body.key().describe()) "）" }
            }
        }
    }
}

fn reversal_note(body: &Body) -> Markup {
    html! {
        @if let Body::Reversal(r) = body { "，" (r.date) "，原因：" (r.reason) }
    }
}

fn contract_link(body: &Body) -> Markup {
    let no = match body {
        Body::Payment(p) => p.contract_no.as_deref(),
        Body::Contract(c) => Some(c.terms.no.as_str()),
        Body::Amendment(a) => Some(a.contract_no.as_str()),
        _ => None,
    };
    let bond = match body {
        Body::Payment(p) => p.bond_code.as_deref(),
        Body::Receipt(r) => r.bond_code.as_deref(),
        Body::Bond(b) => Some(b.terms.code.as_str()),
        _ => None,
    };
    html! {
        @if let Some(no) = no {
            p #entry-contract { "合同：" a href=(format!("/contracts/{}", view::encode(no))) { (no) "（各供应商分配、补充协议和支付）" } }
        }
        @if let Some(code) = bond {
            p #entry-bond { "债券：" a href=(format!("/bonds#bond-{}", view::encode(code))) { (code) "（分配与还本付息计划）" } }
        }
    }
}

/// 附件（原始凭证）: the entry's documents with their download links, and for a maker the upload
/// form (multipart; the CSRF token in the form's address like the import's).
fn attachments_section(d: &EntryDetail, documents: &[Attachment], caller: &Caller) -> Markup {
    let attachable = taizhang_store::attachments::attachable(&d.entry.body);
    if !attachable && documents.is_empty() {
        return html! {};
    }
    let seq = d.entry.record.seq;
    let accept: Vec<String> = ATTACHMENT_EXTENSIONS
        .iter()
        .map(|e| format!(".{e}"))
        .collect();
    html! {
        section #attachments .attachments {
            h2 { "附件（原始凭证）" }
            @if documents.is_empty() {
                p.muted { "尚无附件。" }
            } @else {
                table #attachment-list {
                    thead { tr { th { "文件名" } th.num { "大小（字节）" } th { "哈希" } th { "上传人" } th { "上传时间" } } }
                    tbody {
                        @for a in documents {
                            tr.attachment data-seq=(a.seq) {
                                td { a href=(crate::attachments::url(a)) download=(a.note.name) { (a.note.name) } }
                                td.num { (a.note.size) }
                                td { code { (a.note.hash) } }
                                td { (a.uploaded_by) }
                                td { (view::beijing(a.recorded_at.0)) }
                            }
                        }
                    }
                }
            }
            @if attachable && caller.role.can(Right::Post) {
                form #attach-form .noprint method="post" enctype="multipart/form-data"
                    action=(layout::action(caller, &format!("/entries/{seq}/attachments"))) {
                    label { "选择文件" input type="file" name="file" required accept=(accept.join(",")); }
                    " "
                    button type="submit" { "上传附件" }
                }
                p.muted.noprint {
                    "可附加 " (ATTACHMENT_EXTENSIONS.join("、")) "，每个文件至多 "
                    (ATTACHMENT_BYTES_MAX / (1024 * 1024)) " MB。附件记入哈希链，上传后不能删除。"
                }
            }
        }
    }
}

/// The reversal form: for a maker, on a receipt or payment not reversed yet (web-contract.md).
fn reverse_form(d: &EntryDetail, caller: &Caller) -> Markup {
    let reversible = matches!(d.entry.body, Body::Receipt(_) | Body::Payment(_));
    if !caller.role.can(Right::Post) || !reversible || d.links.reversed_by.is_some() {
        return html! {};
    }
    let today = view::beijing_today();
    let action = layout::action(caller, &format!("/entries/{}/reverse", d.entry.record.seq));
    html! {
        section.reverse.noprint {
            h2 { "冲销这条记录" }
            p.muted { "冲销以红字记录一条新分录，原记录不变。冲销日期所在期间不得已结账。" }
            form #reverse-form method="post" action=(action) {
                label { "冲销日期" input type="date" name="date" required value=(today); }
                label.wide { "原因" input name="reason" required maxlength="200" placeholder="如：重复支付"; }
                button type="submit" { "冲销" }
            }
        }
    }
}

pub async fn contract(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(no): Path<String>,
) -> Result<Markup, PageError> {
    let no = taizhang_core::text::nfc(no.trim()).into_owned();
    let asked = no.clone();
    let (found, row) = state
        .read(move |ledger| -> Result<_, WebError> {
            let found = ledger.contract_entries(&asked)?;
            // Every year the ledger can hold: the contract as of now, amendments and payments in.
            let rows = contracts::contracts(&ledger.facts()?, 2100);
            let row = rows.into_iter().find(|r| r.terms.no == asked);
            Ok((found, row))
        })
        .await??;
    if found.parts.is_empty() {
        return Err(WebError::not_found(format!(
            "台账中没有合同编号为“{}”的合同",
            crate::api::excerpt(&no)
        ))
        .into());
    }
    let body = contract_body(&no, &found, row.as_ref());
    let unit = state.ledger().unit().full.clone();
    Ok(layout::page(
        &format!("合同 {no}"),
        &unit,
        &caller,
        "/entries",
        body,
    ))
}

fn contract_body(no: &str, c: &ContractEntries, row: Option<&ContractRow>) -> Markup {
    let title = c.parts.first().and_then(|p| match &p.body {
        Body::Contract(part) => Some(part.terms.title.clone()),
        _ => None,
    });
    let groups: [(&str, &str, &[Posted]); 4] = [
        ("parts", "供应商分配（合同行）", &c.parts),
        ("amendments", "补充协议", &c.amendments),
        ("payments", "支付", &c.payments),
        ("reversals", "支付的冲销", &c.reversals),
    ];
    html! {
        nav.crumbs.noprint { a href="/entries" { "台账" } " › 合同 " (no) }
        h1 { "合同 " (no) }
        @if let Some(t) = title { p.lead { (t) } }
        @if let Some(r) = row {
            table #contract-figures .fields {
                tr { th { "签订日期" } td { (r.terms.sign_date) } th { "类别 / 方式" } td { (r.terms.category.label()) " / " (r.terms.method.label()) } }
                tr { th { "合同金额（含补充协议）" } td.num { (view::yuan(r.amount)) } th { "累计支付" } td.num { (view::yuan(r.paid)) } }
                tr { th { "未付金额" } (view::money_td(r.remaining)) th { "提示" } td { @if r.overpaid { span.neg { "超付" } } } }
            }
        }
        @for (id, heading, entries) in groups {
            section id=(format!("contract-{id}")) {
                h2 { (heading) "（" (entries.len()) " 条）" }
                @if !entries.is_empty() {
                    table.journal {
                        thead { tr { th.num { "序号" } th { "日期" } th { "记录" } th.num { "金额（元）" } th { "供应商 / 收款人 / 原因" } } }
                        tbody {
                            @for p in entries.iter() {
                                @let s = fields::summary(&p.body);
                                tr.entry {
                                    td.num { a href=(format!("/entries/{}", p.record.seq)) { (p.record.seq) } }
                                    td.date { (s.date) }
                                    td { a href=(format!("/entries/{}", p.record.seq)) { (s.name) } }
                                    @match s.amount { Some(a) => (view::money_td(a)), None => td {} }
                                    td { (party(&p.body, &s.party)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn party(body: &Body, fallback: &str) -> String {
    match body {
        Body::Contract(c) => format!("{}（{}）", c.part.name, c.part.size.label()),
        Body::Amendment(a) => format!("{}：{}", a.supplier_name, a.reason),
        _ => fallback.to_string(),
    }
}
