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
