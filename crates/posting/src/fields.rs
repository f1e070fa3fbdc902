//! An entry's fields in people's words, for every front end that shows one (`taizhang show`, the
//! web's entry page): each field's Chinese name, vocabulary words in Chinese, amounts in 元 with
//! thousands separators. The fields are read off the stored record's JSON (`log --format json`), so a
//! new field shows without a change here; only its Chinese name may need adding.

use serde_json::Value;
use taizhang_core::{Amount, Kind};
use taizhang_interchange::columns;

/// A field's Chinese name: its kind's import column, else one of the fields that are not columns;
/// `None` for a field without one (shown by its stored key).
pub fn label(kind: Kind, key: &str) -> Option<&'static str> {
    let chinese = columns::chinese(kind, key);
    let chinese = if chinese.is_empty() {
        extra_label(key)
    } else {
        chinese
    };
    (!chinese.is_empty()).then_some(chinese)
}

/// Fields that are not columns of an import file.
fn extra_label(key: &str) -> &'static str {
    match key {
        "through" => "结账至",
        "voucher_no" => "凭证号",
        "date" => "日期",
        "reason" => "原因",
        "before" => "更正前的供应商分配",
        "clear_special" => "取消特殊主体",
        "name" => "名称",
        "role" => "角色",
        "active" => "启用",
        "number" => "序号",
        "full" => "单位全称",
        "short" => "单位简称",
        "require_approval" => "入账须经审核",
        "batch" => "待审批次",
        "maker" => "制单",
        "approved" => "批准",
        "entries" => "入账条数",
        "files" => "文件",
        "target" => "所属记录",
        "size" => "大小（字节）",
        "hash" => "哈希",
        _ => "",
    }
}

/// The Chinese word of a vocabulary field's English key.
pub fn word_label(key: &str, word: &str) -> Option<&'static str> {
    use taizhang_core::*;
    match key {
        "fund" => Fund::parse(word).ok().map(Fund::label),
        "expense_type" => ExpenseType::parse(word).ok().map(ExpenseType::label),
        "purpose" => Purpose::parse(word).ok().map(Purpose::label),
        "category" => Category::parse(word).ok().map(Category::label),
        "method" => Method::parse(word).ok().map(Method::label),
        "size" => SupplierSize::parse(word).ok().map(SupplierSize::label),
        "special" => Special::parse(word).ok().map(Special::label),
        "frequency" => Frequency::parse(word).ok().map(Frequency::label),
        "industry" => Industry::parse(word).ok().map(Industry::label),
        "adjust_reason" => AdjustReason::parse(word).ok().map(AdjustReason::label),
        "basis" => Basis::parse(word).ok().map(Basis::label),
        "role" => Role::parse(word).ok().map(Role::label),
        _ => None,
    }
}

/// An amount field's value as "1,234.50 元"; `None` for any other field.
pub fn amount_text(key: &str, text: &str) -> Option<String> {
    if !matches!(key, "amount" | "share_amount" | "delta") {
        return None;
    }
    let amount = Amount::parse(text).ok()?;
    Some(format!(
        "{} 元",
        taizhang_interchange::layout::grouped(amount.decimal())
    ))
}

/// A text field's value for people: its vocabulary word, its amount, or itself.
pub fn shown_text(key: &str, text: &str) -> String {
    if text.is_empty() {
        return "（空）".into();
    }
    word_label(key, text)
        .map(str::to_string)
        .or_else(|| amount_text(key, text))
        .unwrap_or_else(|| text.to_string())
}

/// Any field's value for people, by the last part of its key.
pub fn shown(key: &str, value: &Value) -> String {
    match value {
        Value::Null => "（无）".into(),
        Value::String(s) => shown_text(key, s),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_in_chinese() {
        assert_eq!(label(Kind::Payment, "payee"), Some("收款人"));
        assert_eq!(label(Kind::Close, "through"), Some("结账至"));
        assert_eq!(label(Kind::Payment, "no_such_field"), None);
        assert_eq!(shown_text("fund", "gov_fund"), "政府性基金预算");
        assert_eq!(shown_text("amount", "1234567.5"), "1,234,567.50 元");
        assert_eq!(shown_text("memo", ""), "（空）");
        assert_eq!(shown("x", &Value::Null), "（无）");
    }
}
