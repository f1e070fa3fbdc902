//! Which entries a journal page shows: [`EntryFilter`], a pure test on an entry's body by kind, date,
//! voucher, contract, code, payee and free text. Paging and reading are the store's and the posting
//! crate's; this only says yes or no to one entry, so that the web page, the API and any later CLI
//! option filter the same way.

use chrono::NaiveDate;
use taizhang_core::{Body, Kind};

/// What a journal page asks for. Every field left `None` (or empty) lets every entry through; the
/// fields given must all match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub kind: Option<Kind>,
    /// First and last day, inclusive, of the date that counts for the entry (its own date; an opening
    /// balance's is 1 January of its year; undated entries — catalogue names, the unit's names, a
    /// period close — never match a date range).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A voucher number, exactly: the receipt or payment and its reversal.
    pub voucher: Option<String>,
    /// A contract number, exactly: its parts, amendments and the payments under it.
    pub contract: Option<String>,
    /// A code or the start of one: "229" matches 2290402 (receipts, payments, openings, catalogue
    /// names).
    pub code: Option<String>,
    /// Part of a payee (payments) or a supplier's name (contract parts, amendments).
    pub payee: Option<String>,
    /// Part of any of the entry's words: voucher, memo, payee, contract number and title, supplier,
    /// reason, bond and project codes and names, catalogue names, the unit's names. Letters compare
    /// without regard to case.
    pub text: Option<String>,
}

impl EntryFilter {
    /// The filter of one calendar year (dates from 1 January to 31 December).
    pub fn year(mut self, year: i32) -> EntryFilter {
        self.from = NaiveDate::from_ymd_opt(year, 1, 1);
        self.to = NaiveDate::from_ymd_opt(year, 12, 31);
        self
    }

    /// Whether the filter lets every entry through (a page then costs only its own entries).
    pub fn is_empty(&self) -> bool {
        let texts = [
            &self.voucher,
            &self.contract,
            &self.code,
            &self.payee,
            &self.text,
        ];
        self.kind.is_none()
            && self.from.is_none()
            && self.to.is_none()
            && texts.iter().all(|t| given(t).is_none())
    }

    pub fn matches(&self, body: &Body) -> bool {
        self.kind.is_none_or(|k| body.kind() == k)
            && self.date_matches(body)
            && given(&self.voucher).is_none_or(|v| voucher_of(body) == Some(v))
            && given(&self.contract).is_none_or(|c| contract_of(body) == Some(c))
            && given(&self.code).is_none_or(|c| code_of(body).is_some_and(|own| own.starts_with(c)))
            && given(&self.payee).is_none_or(|p| payee_of(body).is_some_and(|own| own.contains(p)))
            && given(&self.text).is_none_or(|t| text_matches(body, t))
    }

    fn date_matches(&self, body: &Body) -> bool {
        if self.from.is_none() && self.to.is_none() {
            return true;
        }
        body.period_date().is_some_and(|d| {
            self.from.is_none_or(|from| d >= from) && self.to.is_none_or(|to| d <= to)
        })
    }
}

/// A text field that was given: trimmed, and not empty.
fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn voucher_of(body: &Body) -> Option<&str> {
    match body {
        Body::Receipt(r) => Some(&r.voucher_no),
        Body::Payment(p) => Some(&p.voucher_no),
        Body::Reversal(r) => Some(&r.voucher_no),
        _ => None,
    }
}

fn contract_of(body: &Body) -> Option<&str> {
    match body {
        Body::Contract(c) => Some(&c.terms.no),
        Body::Amendment(a) => Some(&a.contract_no),
        Body::Acceptance(a) => Some(&a.contract_no),
        Body::Payment(p) => p.contract_no.as_deref(),
        _ => None,
    }
}

fn code_of(body: &Body) -> Option<&str> {
    match body {
        Body::Receipt(r) => Some(r.code.as_str()),
        Body::Payment(p) => Some(p.code.as_str()),
        Body::Opening(o) => Some(o.code.as_str()),
        Body::Catalog(c) => Some(c.code.as_str()),
        _ => None,
    }
}

fn payee_of(body: &Body) -> Option<&str> {
    match body {
        Body::Payment(p) => Some(&p.payee),
        Body::Contract(c) => Some(&c.part.name),
        Body::Amendment(a) => Some(&a.supplier_name),
        Body::Acceptance(a) => Some(&a.supplier_name),
        _ => None,
    }
}

fn opt(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or("")
}

/// The words of an entry that free text searches.
fn words(body: &Body) -> Vec<&str> {
    match body {
        Body::Receipt(r) => vec![
            &r.voucher_no,
            &r.memo,
            opt(&r.bond_code),
            opt(&r.project_code),
        ],
        Body::Payment(p) => vec![
            &p.voucher_no,
            &p.memo,
            &p.payee,
            opt(&p.contract_no),
            opt(&p.bond_code),
            opt(&p.project_code),
        ],
        Body::Contract(c) => vec![&c.terms.no, &c.terms.title, &c.part.name],
        Body::Amendment(a) => vec![&a.contract_no, &a.supplier_name, &a.reason],
        Body::Acceptance(a) => vec![&a.contract_no, &a.supplier_name, &a.memo],
        Body::Reversal(r) => vec![&r.voucher_no, &r.reason],
        Body::Bond(b) => vec![
            &b.terms.code,
            &b.terms.name,
            &b.project_code,
            &b.project_name,
        ],
        Body::Catalog(c) => vec![&c.name],
        Body::Unit(u) => vec![&u.full, &u.short],
        Body::Opening(o) => vec![opt(&o.code_name)],
        Body::Close(_) => vec![],
        Body::User(u) => vec![&u.name],
        Body::Setting(_) => vec![],
        Body::Review(r) => vec![&r.maker, &r.reason],
        Body::Attachment(a) => vec![&a.name, &a.hash],
    }
}

fn text_matches(body: &Body, text: &str) -> bool {
    let needle = text.to_lowercase();
    words(body).into_iter().any(|w| {
        // Most words are Chinese or digits: compare as they are before paying for a lowercase copy.
        w.contains(&needle) || w.to_lowercase().contains(&needle)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use taizhang_core::{
        Amount, ExpenseType, FunctionCode, Fund, Payment, Purpose, Receipt, Reversal,
    };

    fn payment() -> Body {
        Body::Payment(Payment {
            voucher_no: "J-0042".into(),
            date: NaiveDate::from_ymd_opt(2022, 10, 15).unwrap(),
            fund: Fund::GovFund,
            code: FunctionCode::parse("2290402").unwrap(),
            code_name: None,
            expense_type: ExpenseType::Project,
            amount: Amount::from_fen(1_200_000),
            project_code: Some("P1".into()),
            contract_no: Some("HT-2022-01".into()),
            bond_code: Some("TB-01".into()),
            purpose: Purpose::Construction,
            payee: "甲设备股份有限公司".into(),
            econ_code: None,
            memo: "Equipment 设备款".into(),
        })
    }

    fn receipt() -> Body {
        Body::Receipt(Receipt {
            voucher_no: "R-1".into(),
            date: NaiveDate::from_ymd_opt(2023, 1, 2).unwrap(),
            fund: Fund::GovFund,
            code: FunctionCode::parse("2120803").unwrap(),
            code_name: None,
            amount: Amount::from_fen(100),
            bond_code: None,
            project_code: None,
            memo: String::new(),
        })
    }

    fn reversal() -> Body {
        Body::Reversal(Reversal {
            voucher_no: "J-0042".into(),
            date: NaiveDate::from_ymd_opt(2023, 3, 1).unwrap(),
            reason: "重复支付".into(),
        })
    }

    /// Which of payment, receipt, reversal the filter lets through.
    fn check(filter: EntryFilter, expect: [bool; 3]) {
        let got = [payment(), receipt(), reversal()].map(|b| filter.matches(&b));
        assert_eq!(got, expect, "{filter:?}");
    }

    fn text(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn each_filter_lets_through_what_it_names() {
        check(EntryFilter::default(), [true, true, true]);
        let kind = |k| EntryFilter {
            kind: Some(k),
            ..EntryFilter::default()
        };
        check(kind(Kind::Payment), [true, false, false]);
        check(kind(Kind::Reversal), [false, false, true]);
        check(EntryFilter::default().year(2022), [true, false, false]);
        check(EntryFilter::default().year(2023), [false, true, true]);
        let from = EntryFilter {
            from: NaiveDate::from_ymd_opt(2023, 2, 1),
            ..EntryFilter::default()
        };
        check(from, [false, false, true]);
        let voucher = EntryFilter {
            voucher: text(" J-0042 "),
            ..EntryFilter::default()
        };
        check(voucher, [true, false, true]);
        let contract = EntryFilter {
            contract: text("HT-2022-01"),
            ..EntryFilter::default()
        };
        check(contract, [true, false, false]);
        let code = |c| EntryFilter {
            code: text(c),
            ..EntryFilter::default()
        };
        check(code("229"), [true, false, false]);
        check(code("212"), [false, true, false]);
        check(code("2290403"), [false, false, false]);
        let payee = EntryFilter {
            payee: text("甲设备"),
            ..EntryFilter::default()
        };
        check(payee, [true, false, false]);
        let search = |t| EntryFilter {
            text: text(t),
            ..EntryFilter::default()
        };
        check(search("equipment"), [true, false, false]);
        check(search("重复"), [false, false, true]);
        check(search("HT-2022"), [true, false, false]);
        check(search("0042"), [true, false, true]);
        check(search("   "), [true, true, true]);
    }

    #[test]
    fn all_given_fields_must_match() {
        let both = EntryFilter {
            kind: Some(Kind::Payment),
            voucher: text("J-0042"),
            ..EntryFilter::default()
        };
        check(both, [true, false, false]);
        let none = EntryFilter {
            code: text("229"),
            payee: text("乙"),
            ..EntryFilter::default()
        };
        check(none, [false, false, false]);
        assert!(EntryFilter::default().is_empty());
        assert!(!EntryFilter::default().year(2022).is_empty());
    }
}
