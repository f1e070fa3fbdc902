//! Idle bond money (domain.md "Bond money rules"): per bond and project, the proceeds received minus
//! the bond payments that spend them (建设, 其他), the spending taken from the oldest receipts first, so
//! that what is left is the latest receipts' money. A report lists, as of a day, the money left from
//! receipts more than N days old (no national threshold exists: N is the caller's).

use chrono::NaiveDate;
use taizhang_core::Amount;

use crate::flows::{until, Flows};

/// The days after which unspent bond money counts as idle when none is given.
pub const DEFAULT_DAYS: u32 = 90;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdleRow {
    pub bond_code: String,
    pub project_code: String,
    /// Unspent money from receipts more than N days old.
    pub idle: Amount,
    /// The oldest such receipt with money left, and its age in days.
    pub oldest_date: NaiveDate,
    pub days: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdleFunds {
    pub as_of: NaiveDate,
    pub days: u32,
    pub rows: Vec<IdleRow>,
}

pub fn idle_funds(flows: &Flows, as_of: NaiveDate, days: u32) -> IdleFunds {
    let rows = flows
        .received
        .iter()
        .filter_map(|(key, received)| {
            let spent = until(flows.spent.get(key), as_of)
                .into_iter()
                .fold(Amount::ZERO, |s, f| s + f.amount);
            idle_row(key, until(Some(received), as_of), spent, as_of, days)
        })
        .collect();
    IdleFunds { as_of, days, rows }
}

fn idle_row(
    (bond, project): &(String, String),
    receipts: Vec<&crate::flows::Flow>,
    mut spent: Amount,
    as_of: NaiveDate,
    days: u32,
) -> Option<IdleRow> {
    let mut idle = Amount::ZERO;
    let mut oldest = None;
    for receipt in receipts {
        let used = spent.min(receipt.amount);
        spent -= used;
        let left = receipt.amount - used;
        let age = (as_of - receipt.date).num_days();
        if left > Amount::ZERO && age > i64::from(days) {
            idle += left;
            oldest.get_or_insert(receipt.date);
        }
    }
    let oldest_date = oldest?;
    Some(IdleRow {
        bond_code: bond.clone(),
        project_code: project.clone(),
        idle,
        oldest_date,
        days: (as_of - oldest_date).num_days(),
    })
}
