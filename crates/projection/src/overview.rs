//! Figures of the web workspace's overview that no report has: the newest year the ledger has money
//! in (the overview's default year), and payments by month of a year (the spending chart).

use chrono::Datelike;
use taizhang_core::{Amount, Body};

use crate::sums::SumKey;
use crate::Facts;

/// The newest year with income, expense, procurement or an opening balance; `None` for a ledger
/// without any.
pub fn newest_year(facts: &Facts) -> Option<i32> {
    facts
        .sums
        .0
        .keys()
        .filter_map(|key| match key {
            SumKey::Income { year, .. }
            | SumKey::Expense { year, .. }
            | SumKey::Opening { year, .. }
            | SumKey::Procurement { year, .. } => Some(*year),
            _ => None,
        })
        .max()
}

/// Payments of every fund by month of one year (index 0 = January), in 元. A reversal of a payment
/// takes its amount back in the month of the reversal's own date, as the running sums do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthlySpending {
    pub year: i32,
    pub months: [Amount; 12],
}

impl MonthlySpending {
    pub fn new(year: i32) -> MonthlySpending {
        MonthlySpending {
            year,
            months: [Amount::ZERO; 12],
        }
    }

    /// Adds one entry; `referred` is the entry a reversal reverses (read by the caller through the
    /// index). Entries other than payments and their reversals add nothing.
    pub fn add(&mut self, body: &Body, referred: Option<&Body>) {
        match (body, referred) {
            (Body::Payment(p), _) => self.put(p.date, p.amount),
            (Body::Reversal(r), Some(Body::Payment(p))) => self.put(r.date, -p.amount),
            _ => {}
        }
    }

    fn put(&mut self, date: chrono::NaiveDate, amount: Amount) {
        if date.year() != self.year {
            return;
        }
        if let Some(month) = self.months.get_mut(date.month0() as usize) {
            *month += amount;
        }
    }

    pub fn total(&self) -> Amount {
        self.months.iter().copied().sum()
    }

    /// The largest month (the chart's scale); zero when nothing was paid or all months are negative.
    pub fn peak(&self) -> Amount {
        self.months
            .iter()
            .copied()
            .fold(Amount::ZERO, |a, b| if b > a { b } else { a })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use taizhang_core::{ExpenseType, FunctionCode, Fund, Payment, Purpose, Receipt, Reversal};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn payment(voucher: &str, date: NaiveDate, fen: i64) -> Body {
        Body::Payment(Payment {
            econ_code: None,
            voucher_no: voucher.into(),
            date,
            fund: Fund::GovFund,
            code: FunctionCode::parse("2290402").unwrap(),
            code_name: None,
            expense_type: ExpenseType::Project,
            amount: Amount::from_fen(fen),
            project_code: None,
            contract_no: None,
            bond_code: None,
            purpose: Purpose::Construction,
            payee: "甲公司".into(),
            memo: String::new(),
        })
    }

    #[test]
    fn payments_fall_in_their_month_and_reversals_in_theirs() {
        let mut m = MonthlySpending::new(2022);
        let march = payment("P1", day(2022, 3, 31), 150_000);
        let june = payment("P2", day(2022, 6, 1), 20_000);
        let other_year = payment("P3", day(2021, 12, 31), 99_999);
        m.add(&march, None);
        m.add(&june, None);
        m.add(&other_year, None);
        let receipt = Body::Receipt(Receipt {
            voucher_no: "R1".into(),
            date: day(2022, 3, 1),
            fund: Fund::GovFund,
            code: FunctionCode::parse("1030178").unwrap(),
            code_name: None,
            amount: Amount::from_fen(1_000_000),
            bond_code: None,
            project_code: None,
            memo: String::new(),
        });
        m.add(&receipt, None);
        let reversal = Body::Reversal(Reversal {
            voucher_no: "P1".into(),
            date: day(2022, 9, 2),
            reason: "重复".into(),
        });
        m.add(&reversal, Some(&march));
        // A reversal of last year's payment counts this year, in its own month.
        let late = Body::Reversal(Reversal {
            voucher_no: "P3".into(),
            date: day(2022, 1, 5),
            reason: "退回".into(),
        });
        m.add(&late, Some(&other_year));
        assert_eq!(m.months[0], Amount::from_fen(-99_999));
        assert_eq!(m.months[2], Amount::from_fen(150_000));
        assert_eq!(m.months[5], Amount::from_fen(20_000));
        assert_eq!(m.months[8], Amount::from_fen(-150_000));
        assert_eq!(m.total(), Amount::from_fen(20_000 - 99_999));
        assert_eq!(m.peak(), Amount::from_fen(150_000));
        assert_eq!(MonthlySpending::new(2022).peak(), Amount::ZERO);
    }

    #[test]
    fn the_newest_year_is_that_of_the_newest_money() {
        let mut facts = Facts::default();
        assert_eq!(newest_year(&facts), None);
        facts.sums.apply(crate::sums::changes(
            &payment("P1", day(2023, 2, 1), 100),
            None,
        ));
        facts.sums.apply(crate::sums::changes(
            &payment("P0", day(2022, 2, 1), 100),
            None,
        ));
        assert_eq!(newest_year(&facts), Some(2023));
    }
}
