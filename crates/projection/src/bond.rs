//! Coupon schedules and the quarterly bond-use report (专项债券资金使用情况).

use chrono::{Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use taizhang_core::{Amount, BondAllocation, BondTerms, Purpose, Quarter};

use crate::sums::SumKey;
use crate::Facts;

/// One payment date of a bond.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coupon {
    pub date: NaiveDate,
    pub interest: Amount,
    pub principal: Amount,
    /// Principal left after this date's payment.
    pub outstanding: Amount,
}

/// The schedule of `face` under `terms`: a coupon every 12 or 6 months counted from the value date
/// (so a 31 August value date gives 29 February, then 31 August), principal repaid at the amortization
/// anniversaries and the rest at maturity; each coupon on the principal outstanding before it.
pub fn schedule(terms: &BondTerms, face: Amount) -> Vec<Coupon> {
    let per_year = terms.frequency.per_year();
    let months = 12 / per_year;
    let periods = terms.term_years * per_year;
    let mut outstanding = face;
    let mut out = Vec::with_capacity(periods as usize);
    for k in 1..=periods {
        let date = terms
            .value_date
            .checked_add_months(Months::new(k * months))
            .unwrap_or(NaiveDate::MAX);
        let interest = round_fen(
            outstanding.decimal() * terms.coupon_rate
                / Decimal::ONE_HUNDRED
                / Decimal::from(per_year),
        );
        let principal = if k == periods {
            outstanding
        } else {
            repayment(terms, face, k, per_year).min(outstanding)
        };
        outstanding -= principal;
        out.push(Coupon {
            date,
            interest,
            principal,
            outstanding,
        });
    }
    out
}

/// What the amortization plan repays at period `k`, if `k` falls on a planned anniversary.
fn repayment(terms: &BondTerms, face: Amount, k: u32, per_year: u32) -> Amount {
    if !k.is_multiple_of(per_year) {
        return Amount::ZERO;
    }
    terms
        .amortization
        .iter()
        .filter(|r| r.year == k / per_year)
        .map(|r| round_fen(face.decimal() * r.percent / Decimal::ONE_HUNDRED))
        .sum()
}

fn round_fen(value: Decimal) -> Amount {
    let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    Amount::from_fen(i64::try_from(rounded * Decimal::ONE_HUNDRED).unwrap_or(i64::MAX))
}

/// The unit's whole allocation of a bond: the sum over its projects.
pub fn bond_face(facts: &Facts, bond_code: &str) -> Option<(BondTerms, Amount)> {
    let allocations: Vec<&BondAllocation> = facts
        .bonds
        .iter()
        .filter(|b| b.terms.code == bond_code)
        .collect();
    let terms = allocations.first()?.terms.clone();
    Some((terms, allocations.iter().map(|a| a.amount).sum()))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BondUseRow {
    pub bond_code: String,
    pub bond_name: String,
    pub project_code: String,
    pub project_name: String,
    pub allocated: Amount,
    pub received_to_date: Amount,
    pub spent_quarter: Amount,
    pub spent_to_date: Amount,
    /// spent_to_date ÷ allocated, percent, two decimals.
    pub progress_pct: Decimal,
    pub unspent: Amount,
    pub interest_quarter: Amount,
    pub interest_to_date: Amount,
    pub fees_to_date: Amount,
    pub next_coupon: Option<(NaiveDate, Amount)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BondUse {
    pub quarter: Quarter,
    pub rows: Vec<BondUseRow>,
}

/// A row per bond and project issued by the quarter's end, all figures as of its last day.
pub fn bond_use(facts: &Facts, quarter: Quarter) -> BondUse {
    let rows = facts
        .bonds
        .iter()
        .filter(|b| b.terms.issue_date <= quarter.last_day())
        .map(|b| bond_use_row(facts, b, quarter))
        .collect();
    BondUse { quarter, rows }
}

fn bond_use_row(facts: &Facts, allocation: &BondAllocation, quarter: Quarter) -> BondUseRow {
    let bond = &allocation.terms.code;
    let project = &allocation.project_code;
    let (mut received, mut paid_to_date, mut paid_quarter) =
        (Amount::ZERO, [Amount::ZERO; 4], [Amount::ZERO; 4]);
    for (key, &amount) in &facts.sums.0 {
        match key {
            SumKey::BondReceived {
                bond: b,
                project: p,
                quarter: q,
            } if b == bond && p == project && *q <= quarter => received += amount,
            SumKey::BondPaid {
                bond: b,
                project: p,
                quarter: q,
                purpose,
            } if b == bond && p == project && *q <= quarter => {
                paid_to_date[*purpose as usize] += amount;
                if *q == quarter {
                    paid_quarter[*purpose as usize] += amount;
                }
            }
            _ => {}
        }
    }
    let spent_to_date = paid_to_date[Purpose::Construction as usize];
    let mut progress = if allocation.amount.is_zero() {
        Decimal::ZERO
    } else {
        (spent_to_date.decimal() * Decimal::ONE_HUNDRED / allocation.amount.decimal())
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    };
    progress.rescale(2);
    let next_coupon = schedule(&allocation.terms, allocation.amount)
        .into_iter()
        .find(|c| c.date > quarter.last_day())
        .map(|c| (c.date, c.interest));
    BondUseRow {
        bond_code: bond.clone(),
        bond_name: allocation.terms.name.clone(),
        project_code: project.clone(),
        project_name: allocation.project_name.clone(),
        allocated: allocation.amount,
        received_to_date: received,
        spent_quarter: paid_quarter[Purpose::Construction as usize],
        spent_to_date,
        progress_pct: progress,
        unspent: received - spent_to_date - paid_to_date[Purpose::Other as usize],
        interest_quarter: paid_quarter[Purpose::Interest as usize],
        interest_to_date: paid_to_date[Purpose::Interest as usize],
        fees_to_date: paid_to_date[Purpose::IssueFee as usize],
        next_coupon,
    }
}

/// A figure of a bond-use row that the entries behind it can be listed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UseFigure {
    /// 累计到位: receipts under the bond and project up to the quarter's end.
    Received,
    /// 本季支出: construction payments in the quarter.
    SpentQuarter,
    /// 累计支出: construction payments up to the quarter's end.
    SpentToDate,
    /// 结余资金: received less construction and other payments.
    Unspent,
    InterestQuarter,
    InterestToDate,
    FeesToDate,
}

impl UseFigure {
    pub const ALL: [UseFigure; 7] = [
        UseFigure::Received,
        UseFigure::SpentQuarter,
        UseFigure::SpentToDate,
        UseFigure::Unspent,
        UseFigure::InterestQuarter,
        UseFigure::InterestToDate,
        UseFigure::FeesToDate,
    ];

    /// The key of the bond-use JSON that names this figure.
    pub fn key(self) -> &'static str {
        match self {
            UseFigure::Received => "received_to_date",
            UseFigure::SpentQuarter => "spent_quarter",
            UseFigure::SpentToDate => "spent_to_date",
            UseFigure::Unspent => "unspent",
            UseFigure::InterestQuarter => "interest_quarter",
            UseFigure::InterestToDate => "interest_to_date",
            UseFigure::FeesToDate => "fees_to_date",
        }
    }

    pub fn parse(key: &str) -> Option<UseFigure> {
        UseFigure::ALL.into_iter().find(|f| f.key() == key.trim())
    }

    /// The figure in a row.
    pub fn of(self, row: &BondUseRow) -> Amount {
        match self {
            UseFigure::Received => row.received_to_date,
            UseFigure::SpentQuarter => row.spent_quarter,
            UseFigure::SpentToDate => row.spent_to_date,
            UseFigure::Unspent => row.unspent,
            UseFigure::InterestQuarter => row.interest_quarter,
            UseFigure::InterestToDate => row.interest_to_date,
            UseFigure::FeesToDate => row.fees_to_date,
        }
    }

    /// Whether a running sum counts in this figure, and with which sign.
    fn weight(self, key: &SumKey, bond: &str, project: &str, quarter: Quarter) -> Option<i64> {
        let (b, p, q, purpose) = match key {
            SumKey::BondReceived {
                bond: b,
                project: p,
                quarter: q,
            } => (b, p, *q, None),
            SumKey::BondPaid {
                bond: b,
                project: p,
                quarter: q,
                purpose,
            } => (b, p, *q, Some(*purpose)),
            _ => return None,
        };
        if b != bond || p != project || q > quarter {
            return None;
        }
        let in_quarter = q == quarter;
        match (self, purpose) {
            (UseFigure::Received, None) | (UseFigure::Unspent, None) => Some(1),
            (UseFigure::SpentToDate, Some(Purpose::Construction)) => Some(1),
            (UseFigure::SpentQuarter, Some(Purpose::Construction)) if in_quarter => Some(1),
            (UseFigure::Unspent, Some(Purpose::Construction | Purpose::Other)) => Some(-1),
            (UseFigure::InterestToDate, Some(Purpose::Interest)) => Some(1),
            (UseFigure::InterestQuarter, Some(Purpose::Interest)) if in_quarter => Some(1),
            (UseFigure::FeesToDate, Some(Purpose::IssueFee)) => Some(1),
            _ => None,
        }
    }
}

/// What one entry adds to a figure of the bond-use row of `bond` and `project` as of `quarter`, or
/// `None` when it does not count there. Read off [`crate::sums::changes`], the one definition the
/// row is summed from, so the contributions of all entries add up to the figure exactly (a reversal
/// counts against its original in the reversal's quarter). `referred` is a reversal's original.
pub fn use_contribution(
    body: &taizhang_core::Body,
    referred: Option<&taizhang_core::Body>,
    (bond, project, quarter): (&str, &str, Quarter),
    figure: UseFigure,
) -> Option<Amount> {
    let mut found = None;
    for (key, amount) in crate::sums::changes(body, referred) {
        if let Some(sign) = figure.weight(&key, bond, project, quarter) {
            let signed = if sign < 0 { -amount } else { amount };
            found = Some(found.unwrap_or(Amount::ZERO) + signed);
        }
    }
    found
}

#[cfg(test)]
mod use_tests {
    use super::*;
    use taizhang_core::{Body, ExpenseType, FunctionCode, Fund, Payment, Receipt, Reversal};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn payment(voucher: &str, date: NaiveDate, purpose: Purpose, fen: i64) -> Body {
        Body::Payment(Payment {
            econ_code: None,
            voucher_no: voucher.into(),
            date,
            fund: Fund::GovFund,
            code: FunctionCode::parse("2290402").unwrap(),
            code_name: None,
            expense_type: ExpenseType::Project,
            amount: Amount::from_fen(fen),
            project_code: Some("P1".into()),
            contract_no: None,
            bond_code: Some("B1".into()),
            purpose,
            payee: "甲公司".into(),
            memo: String::new(),
        })
    }

    #[test]
    fn each_entry_counts_in_the_figures_its_sums_make() {
        let q4 = Quarter {
            year: 2022,
            number: 4,
        };
        let row = ("B1", "P1", q4);
        let receipt = Body::Receipt(Receipt {
            voucher_no: "R1".into(),
            date: day(2022, 8, 10),
            fund: Fund::GovFund,
            code: FunctionCode::parse("2290402").unwrap(),
            code_name: None,
            amount: Amount::from_fen(1_000_000),
            bond_code: Some("B1".into()),
            project_code: Some("P1".into()),
            memo: String::new(),
        });
        let build = payment("P1", day(2022, 10, 25), Purpose::Construction, 300_000);
        let early = payment("P2", day(2022, 8, 15), Purpose::Construction, 100_000);
        let interest = payment("P3", day(2022, 12, 15), Purpose::Interest, 5_000);
        let got = |b: &Body, f| use_contribution(b, None, row, f);
        assert_eq!(
            got(&receipt, UseFigure::Received),
            Some(Amount::from_fen(1_000_000))
        );
        assert_eq!(
            got(&receipt, UseFigure::Unspent),
            Some(Amount::from_fen(1_000_000))
        );
        assert_eq!(got(&receipt, UseFigure::SpentToDate), None);
        assert_eq!(
            got(&build, UseFigure::SpentQuarter),
            Some(Amount::from_fen(300_000))
        );
        assert_eq!(got(&early, UseFigure::SpentQuarter), None, "paid in Q3");
        assert_eq!(
            got(&early, UseFigure::SpentToDate),
            Some(Amount::from_fen(100_000))
        );
        assert_eq!(
            got(&build, UseFigure::Unspent),
            Some(Amount::from_fen(-300_000))
        );
        assert_eq!(
            got(&interest, UseFigure::Unspent),
            None,
            "interest is budgeted"
        );
        assert_eq!(
            got(&interest, UseFigure::InterestQuarter),
            Some(Amount::from_fen(5_000))
        );
        // Another bond's row, or a quarter before the payment: nothing.
        assert_eq!(
            use_contribution(&build, None, ("B2", "P1", q4), UseFigure::SpentToDate),
            None
        );
        let q3 = Quarter {
            year: 2022,
            number: 3,
        };
        assert_eq!(
            use_contribution(&build, None, ("B1", "P1", q3), UseFigure::SpentToDate),
            None
        );
        // A reversal takes the payment back in its own quarter.
        let reversal = Body::Reversal(Reversal {
            voucher_no: "P1".into(),
            date: day(2022, 11, 1),
            reason: "重复".into(),
        });
        assert_eq!(
            use_contribution(&reversal, Some(&build), row, UseFigure::SpentQuarter),
            Some(Amount::from_fen(-300_000))
        );
    }
}
