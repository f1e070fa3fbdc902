//! `taizhang post KIND --help`: a kind's columns as options, with their Chinese names, whether they
//! are required and what they accept. Generated from the interchange crate's column lists, so the
//! help cannot name a column the program does not read.

use taizhang_core::{
    Category, ExpenseType, Frequency, Fund, Industry, Kind, Method, Purpose, Special, SupplierSize,
};
use taizhang_interchange::columns::{self, Column};

use crate::screen::text_width;

/// Whether `--help` (or `-h`) stands where an option name would among a `post` command's fields
/// (a value that happens to read "--help", as in `--memo --help`, does not count).
pub fn wants_help(fields: &[String]) -> bool {
    let mut iter = fields.iter();
    while let Some(field) = iter.next() {
        if field == "--help" || field == "-h" {
            return true;
        }
        if field.starts_with("--") && !field.contains('=') {
            iter.next();
        }
    }
    false
}

/// The help of `post KIND`: usage, one line per column, an example.
pub fn help(kind: Kind) -> String {
    let columns = columns::columns(kind);
    let options: Vec<String> = columns
        .iter()
        .map(|c| format!("--{}", c.key.replace('_', "-")))
        .collect();
    let option_width = options.iter().map(|o| o.len()).max().unwrap_or(0);
    let name_width = columns
        .iter()
        .map(|c| text_width(c.chinese))
        .max()
        .unwrap_or(0);
    let mut text = format!(
        "逐笔记账：{}（{}），一行导入文件的内容写成选项\n\n用法：taizhang post {} --列名 值 …\n\n各列（列名的下划线换成短横；导入文件的表头可用英文列名或中文列名）：\n",
        kind.label(),
        kind.key(),
        kind.key()
    );
    for (column, option) in columns.iter().zip(&options) {
        let pad = " ".repeat(name_width - text_width(column.chinese));
        text.push_str(&format!(
            "{}\n",
            format!(
                "  {option:<option_width$}  {}{pad}  {}  {}",
                column.chinese,
                if column.required { "必填" } else { "可选" },
                hint(column)
            )
            .trim_end()
        ));
    }
    text.push_str(&format!(
        "\n其他选项写在种类之后、各列之前（taizhang post {} --operator 张会计 --列名 值 …）：\n  --operator 操作员  --strict 声明函数据与规模不符时拒绝  --ledger 台账文件\n",
        kind.key()
    ));
    text.push_str("各种文件的列、可选值和示例行见 docs/formats.md。\n");
    text
}

/// What a column accepts, in a few words.
fn hint(column: &Column) -> String {
    let words = |labels: Vec<&str>| format!("取值：{}", labels.join("、"));
    match column.key {
        "fund" => words(Fund::ALL.iter().map(|v| v.label()).collect()),
        "expense_type" => words(ExpenseType::ALL.iter().map(|v| v.label()).collect()),
        "purpose" => words(Purpose::ALL.iter().map(|v| v.label()).collect()) + "（默认其他）",
        "category" => words(Category::ALL.iter().map(|v| v.label()).collect()),
        "method" => words(Method::ALL.iter().map(|v| v.label()).collect()),
        "size" => words(SupplierSize::ALL.iter().map(|v| v.label()).collect()),
        "special" => words(Special::ALL.iter().map(|v| v.label()).collect()),
        "frequency" => words(Frequency::ALL.iter().map(|v| v.label()).collect()),
        "industry" => format!(
            "工信部联企业〔2011〕300号的十六个行业之一：{}",
            Industry::ALL
                .iter()
                .map(|v| v.label())
                .collect::<Vec<_>>()
                .join("；")
        ),
        "amount" | "share_amount" => "元，最多两位小数，可带千位分隔符".to_string(),
        "delta" => "元，不为零，可为负".to_string(),
        "date" | "sign_date" | "issue_date" | "value_date" => {
            "如 2022-06-30、2022/6/30 或 2022年6月30日".to_string()
        }
        "function_code" => "7 位项级科目编码".to_string(),
        "function_name" => "随程序的科目目录中没有此编码时必填".to_string(),
        "contract_no" | "bond_code" if column.required => String::new(),
        "contract_no" | "bond_code" => "须是台账中已有的".to_string(),
        "code" => "3、5 或 7 位科目编码".to_string(),
        "coupon_rate" => "百分数，如 3.25".to_string(),
        "term_years" => "年".to_string(),
        "amortization" => "“年:百分比;…”，如 6:20;7:20".to_string(),
        "revenue" | "assets" => "万元".to_string(),
        "people" => "人".to_string(),
        "year" => "如 2022".to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn help_is_asked_where_an_option_stands() {
        assert!(wants_help(&fields(&["--help"])));
        assert!(wants_help(&fields(&["--voucher-no", "X", "-h"])));
        assert!(!wants_help(&fields(&["--memo", "--help"])));
        assert!(wants_help(&fields(&["--memo=x", "--help"])));
    }
}
