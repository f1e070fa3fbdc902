//! The SME payment clock (domain.md "The SME payment clock"; 《保障中小企业款项支付条例》).
//!
//! Each acceptance of an SME part is a due: its date plus the contract's term in calendar days, moved
//! to the next working day when that day is a rest day. The part's payments (same contract, payee the
//! part's supplier) settle its dues oldest first, whenever they were made (an advance settles the
//! first due). Each slice of a due paid late, or still unpaid at the as-of day, is late by the days
//! past the due date; its late interest is slice × daily rate × days, rounded to 分 per slice (half
//! away from zero). Large suppliers without special status are not on the clock.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use taizhang_core::{Amount, Basis, ContractPart, SmeClass, Special, SupplierSize};

use crate::calendar::{self, Calendar};
use crate::flows::{until, Flows};
use crate::rulebook::{self, Rulebook};

/// One slice of a due: paid by a voucher on a day, or still unpaid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    pub amount: Amount,
    /// The paying voucher and its day; `None`: unpaid at the as-of day.
    pub paid: Option<(String, NaiveDate)>,
    pub days_late: i64,
    pub interest: Amount,
}

/// One due: an acceptance of an SME part, as of a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub contract_no: String,
    pub supplier_name: String,
    pub size: SupplierSize,
    pub special: Option<Special>,
    pub date: NaiveDate,
    pub basis: Basis,
    pub due_date: NaiveDate,
    pub amount: Amount,
    pub paid: Amount,
    pub outstanding: Amount,
    /// The largest lateness of its slices, in days (0: none late).
    pub overdue_days: i64,
    pub late_interest: Amount,
    pub slices: Vec<Slice>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentClock {
    pub as_of: NaiveDate,
    pub rows: Vec<Due>,
    /// Due dates computed outside the calendar's years (Monday–Friday assumed).
    pub notes: Vec<String>,
}

/// The clock as of a day: one row per acceptance of an SME part dated on or before it.
pub fn payment_clock(flows: &Flows, parts: &[ContractPart], as_of: NaiveDate) -> PaymentClock {
    payment_clock_on(
        calendar::official(),
        rulebook::shipped(),
        flows,
        parts,
        as_of,
    )
}

/// [`payment_clock`] on a given calendar and rules. An acceptance before the regulation (no rule
/// valid on its day) is not on the clock.
pub fn payment_clock_on(
    calendar: &Calendar,
    rules: &Rulebook,
    flows: &Flows,
    parts: &[ContractPart],
    as_of: NaiveDate,
) -> PaymentClock {
    let mut rows = Vec::new();
    let mut uncovered = BTreeSet::new();
    for part in parts {
        if !SmeClass::of(part.part.size, part.part.special).is_sme() {
            continue;
        }
        let key = (part.terms.no.clone(), part.part.name.clone());
        let acceptances = flows.acceptances.get(&key);
        let clauses = &part.terms.clauses;
        let mut rates = Vec::new();
        let mut dues: Vec<Due> = acceptances
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|a| a.date <= as_of)
            .filter_map(|a| {
                let (days, rate) = rules.clock_defaults(a.date)?;
                let days = clauses.payment_terms_days.unwrap_or(days);
                rates.push(clauses.late_interest_daily_pct.unwrap_or(rate));
                let plain = calendar::plus_days(a.date, days);
                if !calendar.covers(plain.year()) {
                    uncovered.insert(plain.year());
                }
                Some(Due {
                    contract_no: a.contract_no.clone(),
                    supplier_name: a.supplier_name.clone(),
                    size: part.part.size,
                    special: part.part.special,
                    date: a.date,
                    basis: a.basis,
                    due_date: calendar.working_on_or_after(plain),
                    amount: a.amount,
                    paid: Amount::ZERO,
                    outstanding: a.amount,
                    overdue_days: 0,
                    late_interest: Amount::ZERO,
                    slices: Vec::new(),
                })
            })
            .collect();
        settle(&mut dues, flows, &key, as_of);
        for (due, rate) in dues.iter_mut().zip(rates) {
            close(due, as_of, rate);
        }
        rows.extend(dues);
    }
    PaymentClock {
        as_of,
        rows,
        notes: uncovered.into_iter().map(calendar::fallback_note).collect(),
    }
}

/// Spreads the part's payments over its dues, oldest due first.
fn settle(dues: &mut [Due], flows: &Flows, key: &(String, String), as_of: NaiveDate) {
    let mut next = 0;
    for payment in until(flows.paid.get(key), as_of) {
        let mut left = payment.amount;
        while left > Amount::ZERO {
            let Some(due) = dues.get_mut(next) else {
                return;
            };
            let slice = left.min(due.outstanding);
            due.slices.push(Slice {
                amount: slice,
                paid: Some((payment.voucher.clone(), payment.date)),
                days_late: 0,
                interest: Amount::ZERO,
            });
            due.paid += slice;
            due.outstanding = due.amount - due.paid;
            left -= slice;
            if due.outstanding.is_zero() {
                next += 1;
            }
        }
    }
}

/// Adds the unpaid slice and works out each slice's lateness and interest.
fn close(due: &mut Due, as_of: NaiveDate, rate: Decimal) {
    if due.outstanding > Amount::ZERO {
        due.slices.push(Slice {
            amount: due.outstanding,
            paid: None,
            days_late: 0,
            interest: Amount::ZERO,
        });
    }
    for slice in &mut due.slices {
        let on = slice.paid.as_ref().map_or(as_of, |(_, day)| *day);
        slice.days_late = (on - due.due_date).num_days().max(0);
        slice.interest = interest(slice.amount, rate, slice.days_late);
        due.overdue_days = due.overdue_days.max(slice.days_late);
        due.late_interest += slice.interest;
    }
}

/// slice × rate % a day × days, rounded to 分 half away from zero; never negative.
pub fn interest(slice: Amount, daily_pct: Decimal, days: i64) -> Amount {
    if days <= 0 || slice <= Amount::ZERO || daily_pct <= Decimal::ZERO {
        return Amount::ZERO;
    }
    let fen = Decimal::from(slice.fen())
        .checked_mul(daily_pct)
        .and_then(|x| x.checked_mul(Decimal::from(days)))
        .map(|x| x / Decimal::from(100));
    let rounded = fen
        .map(|x| x.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero))
        .and_then(|x| x.to_i64());
    Amount::from_fen(rounded.unwrap_or(i64::MAX / 4))
}

/// The 31 March publication of year Y: dues still unpaid at 31 December whose due date had passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overdue {
    pub year: i32,
    pub contracts: usize,
    pub amount: Amount,
    pub rows: Vec<Due>,
    pub notes: Vec<String>,
}

pub fn overdue(flows: &Flows, parts: &[ContractPart], year: i32) -> Overdue {
    let as_of = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    let clock = payment_clock(flows, parts, as_of);
    let rows: Vec<Due> = clock
        .rows
        .into_iter()
        .filter(|d| d.outstanding > Amount::ZERO && d.due_date < as_of)
        .collect();
    let contracts: BTreeSet<&str> = rows.iter().map(|d| d.contract_no.as_str()).collect();
    Overdue {
        year,
        contracts: contracts.len(),
        amount: rows.iter().fold(Amount::ZERO, |s, d| s + d.outstanding),
        rows,
        notes: clock.notes,
    }
}

/// Dues unpaid on `today` that fall due within `days` days (today included), soonest first.
pub fn falling_due(flows: &Flows, parts: &[ContractPart], today: NaiveDate, days: u32) -> Vec<Due> {
    let until = calendar::plus_days(today, days);
    let mut rows: Vec<Due> = payment_clock(flows, parts, today)
        .rows
        .into_iter()
        .filter(|d| d.outstanding > Amount::ZERO && d.due_date >= today && d.due_date <= until)
        .collect();
    rows.sort_by(|a, b| (a.due_date, &a.contract_no).cmp(&(b.due_date, &b.contract_no)));
    rows
}

/// The late slices a voucher paid: (due, slice) for the warnings at import.
pub fn late_slices<'a>(clock: &'a PaymentClock, voucher: &str) -> Vec<(&'a Due, &'a Slice)> {
    clock
        .rows
        .iter()
        .flat_map(|d| d.slices.iter().map(move |s| (d, s)))
        .filter(|(_, s)| s.days_late > 0 && s.paid.as_ref().is_some_and(|(v, _)| v == voucher))
        .collect()
}
