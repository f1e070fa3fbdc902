//! Opening balances (年初结转和结余) given against those the ledger carries: the closing balance of the
//! year before, per fund and code, as table 7 computes it. A given amount that differs is an
//! adjustment (年初结转和结余调整, domain.md "Table 7"), reported with its reason.

use std::collections::BTreeMap;

use taizhang_core::{AdjustReason, Amount, FunctionCode, Fund};

use crate::sums::SumKey;
use crate::Facts;

/// One row of the 年初结转和结余调整情况表.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdjustmentRow {
    pub fund: Fund,
    pub code: FunctionCode,
    pub name: String,
    pub carried: Amount,
    pub given: Amount,
    /// given − carried.
    pub adjustment: Amount,
    pub reason: Option<AdjustReason>,
}

/// The closing balance of `year − 1` that the ledger carries into `year` for a fund and code, or
/// `None` when it holds nothing for them before `year` (then a given opening starts the ledger and
/// adjusts nothing).
pub fn carried_into(facts: &Facts, fund: Fund, code: &FunctionCode, year: i32) -> Option<Amount> {
    let sums = &facts.sums;
    // Per earlier year: the given opening, if any, and income − expense.
    let mut years: BTreeMap<i32, (Option<Amount>, Amount)> = BTreeMap::new();
    for (key, &amount) in &sums.0 {
        match key {
            SumKey::Income {
                year: y,
                fund: f,
                code: c,
            } if *y < year && *f == fund && c == code => years.entry(*y).or_default().1 += amount,
            SumKey::Expense {
                year: y,
                fund: f,
                code: c,
                ..
            } if *y < year && *f == fund && c == code => years.entry(*y).or_default().1 -= amount,
            SumKey::Opening {
                year: y,
                fund: f,
                code: c,
            } if *y < year && *f == fund && c == code => {
                years.entry(*y).or_default().0 = Some(amount)
            }
            _ => {}
        }
    }
    // A given opening of 0.00 is no running sum, but an entry all the same.
    for o in (facts.openings.iter()).filter(|o| o.year < year && o.fund == fund && o.code == *code)
    {
        years.entry(o.year).or_default().0 = Some(o.amount);
    }
    let (&first, _) = years.first_key_value()?;
    let mut closing = Amount::ZERO;
    for y in first..year {
        let (given, flow) = years.get(&y).copied().unwrap_or_default();
        closing = given.unwrap_or(closing) + flow;
    }
    Some(closing)
}

/// The adjustments of `year`: every opening given for it that differs from the carried one.
pub fn adjustments(facts: &Facts, year: i32) -> Vec<AdjustmentRow> {
    let mut rows: Vec<AdjustmentRow> = facts
        .openings
        .iter()
        .filter(|o| o.year == year)
        .filter_map(|o| {
            let carried = carried_into(facts, o.fund, &o.code, year)?;
            (carried != o.amount).then(|| AdjustmentRow {
                fund: o.fund,
                code: o.code,
                name: facts.name(o.code.class()),
                carried,
                given: o.amount,
                adjustment: o.amount - carried,
                reason: o.adjust_reason,
            })
        })
        .collect();
    rows.sort_by_key(|r| (r.fund, r.code));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> FunctionCode {
        FunctionCode::parse("2290402").expect("a code")
    }

    fn flows(entries: &[(SumKey, i64)]) -> Facts {
        let mut facts = Facts::default();
        facts.sums.apply(
            entries
                .iter()
                .map(|(k, f)| (k.clone(), Amount::from_fen(*f))),
        );
        facts
    }

    fn income(year: i32, fen: i64) -> (SumKey, i64) {
        let key = SumKey::Income {
            year,
            fund: Fund::GovFund,
            code: code(),
        };
        (key, fen)
    }

    fn opening(year: i32, fen: i64) -> (SumKey, i64) {
        let key = SumKey::Opening {
            year,
            fund: Fund::GovFund,
            code: code(),
        };
        (key, fen)
    }

    #[test]
    fn nothing_before_the_year_carries_nothing() {
        let sums = flows(&[income(2023, 500)]);
        assert_eq!(carried_into(&sums, Fund::GovFund, &code(), 2023), None);
        assert_eq!(carried_into(&sums, Fund::General, &code(), 2024), None);
    }

    #[test]
    fn closings_carry_from_year_to_year_and_a_given_opening_replaces_its_year() {
        let sums = flows(&[income(2021, 500), opening(2022, 10_000), income(2022, 7)]);
        assert_eq!(
            carried_into(&sums, Fund::GovFund, &code(), 2022),
            Some(Amount::from_fen(500))
        );
        // 2022: the given 100.00 replaces the carried 5.00, plus 0.07 received.
        assert_eq!(
            carried_into(&sums, Fund::GovFund, &code(), 2024),
            Some(Amount::from_fen(10_007))
        );
    }
}
