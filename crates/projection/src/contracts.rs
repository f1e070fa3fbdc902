//! Contract follow-up: per contract, the amount after amendments, paid to date and remaining.

use std::collections::BTreeMap;

use chrono::Datelike;
use taizhang_core::{Amount, ContractTerms};

use crate::sums::SumKey;
use crate::Facts;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractRow {
    pub terms: ContractTerms,
    pub suppliers: Vec<String>,
    pub amount: Amount,
    pub paid: Amount,
    pub remaining: Amount,
    /// Paid more than the contract amount: something to look into.
    pub overpaid: bool,
}

/// Every contract signed by the end of `year`, as of that day, by signing date.
pub fn contracts(facts: &Facts, year: i32) -> Vec<ContractRow> {
    let mut amounts: BTreeMap<&str, (Amount, Amount)> = BTreeMap::new();
    for (key, &amount) in &facts.sums.0 {
        match key {
            SumKey::ContractAmount {
                contract_no,
                year: y,
            } if *y <= year => amounts.entry(contract_no).or_default().0 += amount,
            SumKey::ContractPaid {
                contract_no,
                year: y,
            } if *y <= year => amounts.entry(contract_no).or_default().1 += amount,
            _ => {}
        }
    }
    let mut rows: BTreeMap<(chrono::NaiveDate, &str), ContractRow> = BTreeMap::new();
    for part in facts
        .contracts
        .iter()
        .filter(|c| c.terms.sign_date.year() <= year)
    {
        let no = part.terms.no.as_str();
        let (amount, paid) = amounts.get(no).copied().unwrap_or_default();
        rows.entry((part.terms.sign_date, no))
            .or_insert_with(|| ContractRow {
                terms: part.terms.clone(),
                suppliers: Vec::new(),
                amount,
                paid,
                remaining: amount - paid,
                overpaid: paid > amount,
            })
            .suppliers
            .push(part.part.name.clone());
    }
    rows.into_values().collect()
}
