//! The rule parameters (`ledger-data/rules/`): thresholds, percentages and terms with their sources
//! and validity dates, compiled in and parsed once. Next year's notice is a data change.

use std::sync::OnceLock;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use taizhang_core::{Amount, Category};

const RESERVE_CSV: &str = include_str!("../../../ledger-data/rules/reserve.csv");
const PAYMENT_CSV: &str = include_str!("../../../ledger-data/rules/payment.csv");

/// One row of `reserve.csv`: the reserve a project of a category must make, from a day to a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReserveRule {
    pub category: Category,
    /// Budgets over this reserve a share; at or under it, the project is in principle wholly for SMEs.
    pub threshold: Amount,
    pub min_share_pct: Decimal,
    pub min_small_micro_pct: Decimal,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub source: String,
}

/// One row of `payment.csv`: a named value (terms, rates, the notice period).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRule {
    pub rule: String,
    pub value: Decimal,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub source: String,
}

#[derive(Debug, Default)]
pub struct Rulebook {
    pub reserve: Vec<ReserveRule>,
    pub payment: Vec<PaymentRule>,
}

/// The shipped rules.
pub fn shipped() -> &'static Rulebook {
    static RULES: OnceLock<Rulebook> = OnceLock::new();
    RULES.get_or_init(|| Rulebook {
        reserve: RESERVE_CSV
            .lines()
            .skip(1)
            .filter_map(reserve_row)
            .collect(),
        payment: PAYMENT_CSV
            .lines()
            .skip(1)
            .filter_map(payment_row)
            .collect(),
    })
}

/// The cells of a line: the files quote nothing, and the source (the last column) may hold commas.
fn cells(line: &str, n: usize) -> Option<Vec<&str>> {
    let cells: Vec<&str> = line.splitn(n, ',').map(str::trim).collect();
    (cells.len() == n).then_some(cells)
}

fn optional_date(text: &str) -> Option<Option<NaiveDate>> {
    if text.is_empty() {
        Some(None)
    } else {
        text.parse().ok().map(Some)
    }
}

fn reserve_row(line: &str) -> Option<ReserveRule> {
    let c = cells(line, 7)?;
    Some(ReserveRule {
        category: Category::parse(c[0]).ok()?,
        threshold: Amount::parse(c[1]).ok()?,
        min_share_pct: c[2].parse().ok()?,
        min_small_micro_pct: c[3].parse().ok()?,
        valid_from: c[4].parse().ok()?,
        valid_to: optional_date(c[5])?,
        source: c[6].to_string(),
    })
}

fn payment_row(line: &str) -> Option<PaymentRule> {
    let c = cells(line, 5)?;
    Some(PaymentRule {
        rule: c[0].to_string(),
        value: c[1].parse().ok()?,
        valid_from: c[2].parse().ok()?,
        valid_to: optional_date(c[3])?,
        source: c[4].to_string(),
    })
}

fn valid(from: NaiveDate, to: Option<NaiveDate>, on: NaiveDate) -> bool {
    from <= on && to.is_none_or(|to| on <= to)
}

impl Rulebook {
    /// The reserve rule of a category on a day: of the rows valid then, the one valid from latest.
    pub fn reserve(&self, category: Category, on: NaiveDate) -> Option<&ReserveRule> {
        self.reserve
            .iter()
            .filter(|r| r.category == category && valid(r.valid_from, r.valid_to, on))
            .max_by_key(|r| r.valid_from)
    }

    /// A payment rule on a day, the same way.
    pub fn payment(&self, rule: &str, on: NaiveDate) -> Option<&PaymentRule> {
        self.payment
            .iter()
            .filter(|r| r.rule == rule && valid(r.valid_from, r.valid_to, on))
            .max_by_key(|r| r.valid_from)
    }

    /// The longest term an SME part may agree (60 days), whatever the day: the regulation's limit
    /// has stood since 2020; a contract signed before it is held to it too.
    pub fn sme_terms_days_max(&self) -> u32 {
        self.payment
            .iter()
            .filter(|r| r.rule == "max_terms_days")
            .max_by_key(|r| r.valid_from)
            .and_then(|r| u32::try_from(r.value.trunc().mantissa()).ok())
            .unwrap_or(60)
    }

    /// The term and daily late-interest rate in percent that hold for an acceptance on a day
    /// without an agreed one; `None` before the regulation (2020-09-01): no clock then.
    pub fn clock_defaults(&self, on: NaiveDate) -> Option<(u32, Decimal)> {
        let days = self.payment("default_terms_days", on)?;
        let rate = self.payment("default_late_interest_daily_pct", on)?;
        Some((
            u32::try_from(days.value.trunc().mantissa()).ok()?,
            rate.value,
        ))
    }

    /// The working days after signing within which the contract is published (2).
    pub fn notice_working_days(&self, signed: NaiveDate) -> u32 {
        self.payment("notice_working_days", signed)
            .and_then(|r| u32::try_from(r.value.trunc().mantissa()).ok())
            .unwrap_or(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn every_shipped_row_reads() {
        let rules = shipped();
        assert_eq!(rules.reserve.len(), RESERVE_CSV.lines().count() - 1);
        assert_eq!(rules.payment.len(), PAYMENT_CSV.lines().count() - 1);
        assert_eq!(rules.sme_terms_days_max(), 60);
        assert_eq!(rules.notice_working_days(d("2023-09-28")), 2);
        assert_eq!(
            rules.clock_defaults(d("2020-09-01")),
            Some((30, Decimal::new(5, 2)))
        );
        assert_eq!(rules.clock_defaults(d("2020-08-31")), None);
    }

    #[test]
    fn the_works_reserve_rises_to_40_percent_from_july_2022() {
        let rules = shipped();
        let before = rules.reserve(Category::Works, d("2022-06-30")).unwrap();
        assert_eq!(before.min_share_pct, Decimal::from(30));
        let after = rules.reserve(Category::Works, d("2022-07-01")).unwrap();
        assert_eq!(after.min_share_pct, Decimal::from(40));
        assert!(after.source.contains("财库〔2022〕19号"));
        let goods = rules.reserve(Category::Goods, d("2023-01-01")).unwrap();
        assert_eq!(goods.threshold, Amount::from_fen(200_000_000));
        assert!(rules.reserve(Category::Goods, d("2020-12-31")).is_none());
    }
}
