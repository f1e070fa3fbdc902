//! An entry's fields for people, as `taizhang show` prints them: each by its column's Chinese name,
//! vocabulary words in Chinese, amounts with thousands separators. Read off the stored record's JSON
//! (the fields of `log --format json`, in stored order), so a new field shows without a change here.

use serde_json::Value;
use taizhang_core::{Body, Kind};
use taizhang_posting::fields;
use taizhang_store::EntryLine;

/// (label, key, value shown) for every field of the entry's body.
pub fn body_fields(line: &EntryLine, kind: Kind) -> Vec<(String, String, String)> {
    let Ok(Value::Object(outer)) = serde_json::to_value(&line.body) else {
        return Vec::new();
    };
    let Some((_, Value::Object(fields))) = outer.into_iter().next() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    flatten("", &fields, &mut |key, value| {
        out.push((label(kind, key), key.to_string(), shown(key, value)));
    });
    out
}

/// Nested objects (a bond's terms, a part's declaration) are shown field by field, "terms.code".
fn flatten(
    prefix: &str,
    fields: &serde_json::Map<String, Value>,
    each: &mut dyn FnMut(&str, &Value),
) {
    for (key, value) in fields {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) => flatten(&full, inner, each),
            other => each(&full, other),
        }
    }
}

fn label(kind: Kind, key: &str) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    fields::label(kind, last).map_or_else(|| key.to_string(), str::to_string)
}

fn shown(key: &str, value: &Value) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    match value {
        Value::Null => "（无）".into(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        Value::Array(items) if items.is_empty() => "（无）".into(),
        Value::Array(items) => items.iter().map(compact).collect::<Vec<_>>().join("；"),
        Value::Number(n) if last == "term_years" => format!("{n} 年"),
        Value::String(s) if last == "coupon_rate" => format!("{s}%"),
        Value::Number(n) if last == "coupon_rate" => format!("{n}%"),
        Value::String(s) => fields::shown_text(last, s),
        other => other.to_string(),
    }
}

/// A list item (an amortization step) in one line: "year 3，percent 20".
fn compact(value: &Value) -> String {
    match value {
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k} {s}"),
                other => format!("{k} {other}"),
            })
            .collect::<Vec<_>>()
            .join("，"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A settings entry in words.
pub fn approval_words(require_approval: bool) -> &'static str {
    if require_approval {
        "入账须经审核"
    } else {
        "入账无须审核"
    }
}

/// A review in words: the batch, its maker and the decision.
pub fn review_words(r: &taizhang_core::Review) -> String {
    if r.approved {
        format!(
            "批准待审批次 {}（制单 {}，{} 条）",
            r.batch, r.maker, r.entries
        )
    } else {
        format!("退回待审批次 {}（制单 {}）：{}", r.batch, r.maker, r.reason)
    }
}

/// One line of the journal: the date that counts, what the entry is called, its code, amount and
/// counterparty (or memo).
pub struct Summary {
    pub date: String,
    pub name: String,
    pub code: String,
    pub amount: Option<taizhang_core::Amount>,
    pub party: String,
}

pub fn summary(body: &Body) -> Summary {
    let date = body.period_date().map_or(String::new(), |d| d.to_string());
    let name = body.key().describe();
    let (code, amount, party) = match body {
        Body::Receipt(r) => (r.code.to_string(), Some(r.amount), r.memo.clone()),
        Body::Payment(p) => (p.code.to_string(), Some(p.amount), p.payee.clone()),
        Body::Opening(o) => (o.code.to_string(), Some(o.amount), String::new()),
        Body::Contract(c) => (String::new(), Some(c.part.amount), c.terms.title.clone()),
        Body::Amendment(a) => (String::new(), Some(a.delta), a.reason.clone()),
        Body::Bond(b) => (String::new(), Some(b.amount), b.project_name.clone()),
        Body::Reversal(r) => (String::new(), None, r.reason.clone()),
        Body::Catalog(c) => (c.code.to_string(), None, c.name.clone()),
        Body::User(u) => {
            let state = if u.active { "" } else { "，已停用" };
            let who = format!("{}（{}{state}）", u.name, u.role.label());
            (String::new(), None, who)
        }
        Body::Acceptance(a) => (String::new(), Some(a.amount), a.supplier_name.clone()),
        Body::Unit(u) => (String::new(), None, u.full.clone()),
        Body::Close(c) => (String::new(), None, format!("结账至 {}", c.through)),
        Body::Setting(c) => (
            String::new(),
            None,
            approval_words(c.require_approval).into(),
        ),
        Body::Review(r) => (String::new(), None, review_words(r)),
        Body::Attachment(a) => (
            String::new(),
            None,
            format!("{}（第 {} 条）", a.name, a.target),
        ),
    };
    Summary {
        date,
        name,
        code,
        amount,
        party,
    }
}
