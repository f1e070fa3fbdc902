//! taizhang-projection: pure functions from the ledger's entries to its reports.
//!
//! Every report is computed from [`Facts`]: the running [`Sums`] (kept up to date by the store in the
//! same transaction as the entries, or rebuilt from the log — the two must agree), the catalogue
//! names, and the bond and contract entries. No I/O, no layout: figures are exact 元; rounding to 万元
//! and wording live in the interchange crate.

pub mod bond;
pub mod calendar;
pub mod cell;
pub mod checks;
pub mod clock;
pub mod contracts;
pub mod flows;
pub mod idle;
pub mod journal;
pub mod opening;
pub mod overview;
pub mod procurement;
pub mod rulebook;
pub mod sums;
pub mod table7;
pub mod warnings;

use std::collections::BTreeMap;

use taizhang_core::{Acceptance, BondAllocation, ClassCode, ContractPart, Opening};

pub use sums::{changes, SumKey, Sums};

/// What the reports are computed from.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub sums: Sums,
    /// Names the ledger added to the shipped catalogue.
    pub names: BTreeMap<ClassCode, String>,
    /// Every bond allocation, by bond code and project code.
    pub bonds: Vec<BondAllocation>,
    /// Every contract part, by contract number and supplier name.
    pub contracts: Vec<ContractPart>,
    /// Every opening balance given, by year, fund and code (with the reason of a restated one).
    pub openings: Vec<Opening>,
    /// Every acceptance, by contract, supplier and date (through the index, not the log).
    pub acceptances: Vec<Acceptance>,
}

impl Facts {
    /// The name of a code: the shipped catalogue first, then the ledger's.
    pub fn name(&self, code: &ClassCode) -> String {
        taizhang_core::catalog::builtin()
            .get(code.as_str())
            .map(|n| n.to_string())
            .or_else(|| self.names.get(code).cloned())
            .unwrap_or_else(|| "（未命名科目）".to_string())
    }
}
