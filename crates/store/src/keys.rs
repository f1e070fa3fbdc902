//! The string keys of the index tables: idempotency keys and running-sum keys.
//!
//! Fields are joined with U+001F (unit separator), which the import refuses in text, so a key never
//! splits wrongly. A prefix of whole fields selects a range (all allocations of a bond, all parts of a
//! contract). These strings are stored: changing them needs a format version.

use taizhang_core::{Category, EntryKey, ExpenseType, Fund, Purpose, Quarter, SmeClass};
use taizhang_projection::SumKey;

pub const SEP: char = '\u{1f}';

pub fn join(fields: &[&str]) -> String {
    let mut out = String::new();
    join_into(&mut out, fields);
    out
}

fn join_into(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.push_str(f);
    }
}

/// All keys that start with these whole fields: `[start, end)`.
pub fn prefix_range(fields: &[&str]) -> (String, String) {
    let mut start = join(fields);
    start.push(SEP);
    let mut end = join(fields);
    end.push(char::from_u32(SEP as u32 + 1).expect("U+0020"));
    (start, end)
}

pub fn entry_key(key: &EntryKey) -> String {
    let mut out = String::new();
    write_entry_key(&mut out, key);
    out
}

/// [`entry_key`] into a buffer the caller reuses: the import writes one per row.
pub fn write_entry_key(out: &mut String, key: &EntryKey) {
    out.clear();
    match key {
        EntryKey::Voucher(v) => join_into(out, &["V", v]),
        EntryKey::ContractPart {
            contract_no,
            supplier,
        } => join_into(out, &["C", contract_no, supplier]),
        EntryKey::Amendment {
            contract_no,
            date,
            supplier,
        } => join_into(out, &["A", contract_no, &date.to_string(), supplier]),
        EntryKey::Bond { code, project } => join_into(out, &["B", code, project]),
        EntryKey::Opening { year, fund, code } => {
            join_into(out, &["O", &year.to_string(), fund.key(), code.as_str()])
        }
        EntryKey::Catalog(code) => join_into(out, &["N", code.as_str()]),
        EntryKey::Reversal(v) => join_into(out, &["R", v]),
        EntryKey::Close(d) => join_into(out, &["X", &d.to_string()]),
        // Zero-filled: the newest naming is the last key under "U".
        EntryKey::Unit(n) => join_into(out, &["U", &format!("{n:010}")]),
        // "P" for person; zero-filled like the unit's, so the newest change is the last key.
        EntryKey::User(n) => join_into(out, &["P", &format!("{n:010}")]),
        // "K" for 验收 (A is taken by amendments); contract and supplier first, so that a part's
        // acceptances are one prefix range, in date order.
        EntryKey::Acceptance {
            contract_no,
            supplier,
            date,
        } => join_into(out, &["K", contract_no, supplier, &date.to_string()]),
        // "S" for settings, zero-filled: the newest is the last key.
        EntryKey::Setting(n) => join_into(out, &["S", &format!("{n:010}")]),
        // "Q" for 审 (R is taken by reversals): one decision per pending batch.
        EntryKey::Review(n) => join_into(out, &["Q", &format!("{n:020}")]),
        // "F" for file: an entry's documents are one prefix range.
        EntryKey::Attachment { target, hash } => {
            join_into(out, &["F", &format!("{target:020}"), hash])
        }
    }
}

fn class_key(class: SmeClass) -> &'static str {
    match class {
        SmeClass::Large => "large",
        SmeClass::Medium => "medium",
        SmeClass::SmallMicro => "small_micro",
    }
}

pub fn sum_key(key: &SumKey) -> String {
    match key {
        SumKey::Income { year, fund, code } => {
            join(&["inc", &year.to_string(), fund.key(), code.as_str()])
        }
        SumKey::Expense {
            year,
            fund,
            code,
            expense_type,
            purpose,
            project,
        } => join(&[
            "exp",
            &year.to_string(),
            fund.key(),
            code.as_str(),
            expense_type.key(),
            purpose.key(),
            project.as_deref().unwrap_or(""),
        ]),
        SumKey::Opening { year, fund, code } => {
            join(&["open", &year.to_string(), fund.key(), code.as_str()])
        }
        SumKey::Procurement {
            year,
            category,
            class,
        } => join(&["proc", &year.to_string(), category.key(), class_key(*class)]),
        SumKey::BondReceived {
            bond,
            project,
            quarter,
        } => join(&["brec", bond, project, &quarter.to_string()]),
        SumKey::BondPaid {
            bond,
            project,
            quarter,
            purpose,
        } => join(&["bpaid", bond, project, &quarter.to_string(), purpose.key()]),
        SumKey::ContractPaid { contract_no, year } => {
            join(&["cpaid", contract_no, &year.to_string()])
        }
        SumKey::ContractAmount { contract_no, year } => {
            join(&["camt", contract_no, &year.to_string()])
        }
        SumKey::PartAmount {
            contract_no,
            supplier,
        } => join(&["part", contract_no, supplier]),
    }
}

/// The inverse of [`sum_key`]; `None` for a key this version does not know (a damaged file).
pub fn parse_sum_key(text: &str) -> Option<SumKey> {
    let f: Vec<&str> = text.split(SEP).collect();
    let year = |s: &str| s.parse::<i32>().ok();
    let code = |s: &str| taizhang_core::FunctionCode::parse(s).ok();
    let fund = |s: &str| Fund::parse(s).ok();
    Some(match f.as_slice() {
        ["inc", y, fu, c] => SumKey::Income {
            year: year(y)?,
            fund: fund(fu)?,
            code: code(c)?,
        },
        ["exp", y, fu, c, t, pu, pr] => SumKey::Expense {
            year: year(y)?,
            fund: fund(fu)?,
            code: code(c)?,
            expense_type: ExpenseType::parse(t).ok()?,
            purpose: Purpose::parse(pu).ok()?,
            project: (!pr.is_empty()).then(|| pr.to_string()),
        },
        ["open", y, fu, c] => SumKey::Opening {
            year: year(y)?,
            fund: fund(fu)?,
            code: code(c)?,
        },
        ["proc", y, cat, class] => SumKey::Procurement {
            year: year(y)?,
            category: Category::parse(cat).ok()?,
            class: [SmeClass::Large, SmeClass::Medium, SmeClass::SmallMicro]
                .into_iter()
                .find(|c| class_key(*c) == *class)?,
        },
        ["brec", b, p, q] => SumKey::BondReceived {
            bond: b.to_string(),
            project: p.to_string(),
            quarter: Quarter::parse(q).ok()?,
        },
        ["bpaid", b, p, q, pu] => SumKey::BondPaid {
            bond: b.to_string(),
            project: p.to_string(),
            quarter: Quarter::parse(q).ok()?,
            purpose: Purpose::parse(pu).ok()?,
        },
        ["cpaid", c, y] => SumKey::ContractPaid {
            contract_no: c.to_string(),
            year: year(y)?,
        },
        ["camt", c, y] => SumKey::ContractAmount {
            contract_no: c.to_string(),
            year: year(y)?,
        },
        ["part", c, s] => SumKey::PartAmount {
            contract_no: c.to_string(),
            supplier: s.to_string(),
        },
        _ => return None,
    })
}
