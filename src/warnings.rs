//! Warnings while posting (domain.md "Warnings at posting"): a batch is watched for the warnings it
//! brings — those of its own entries (a bond payment before the bond's value date, a declared size
//! the declared figures contradict) and those of the ledger's state after it that the state before it
//! did not have (a contract overpaid, bond money spent beyond its allocation or proceeds). The rules
//! are the projection's; this module only says where each warning comes from. Under `--strict` a
//! warning is a problem and the batch is refused.

use rustc_hash::FxHashMap;
use taizhang_core::Body;
use taizhang_interchange::Problem;
use taizhang_projection::warnings::{self, Warning};
use taizhang_projection::Facts;
use taizhang_store::{Ledger, StoreError, Writer};

/// Where a row came from: the file's name as messages give it, and the line.
#[derive(Clone, Debug)]
pub struct RowPlace {
    pub file: String,
    pub line: u64,
}

/// What a batch is compared with, and where its rows touched each subject.
pub struct Watch {
    before: Facts,
    /// Bonds posted in this batch, for the value-date check of later payments in it.
    new_bonds: Vec<taizhang_core::BondAllocation>,
    /// The last row of the batch that touched a contract, and a bond's project: (file index, line).
    /// Looked up by `&str`, so a row allocates only for a subject new to the batch (rows are many).
    contracts: FxHashMap<String, (usize, u64)>,
    bonds: FxHashMap<String, FxHashMap<String, (usize, u64)>>,
}

impl Watch {
    /// Reads the ledger's state before the batch.
    pub fn new(ledger: &Ledger) -> Result<Watch, StoreError> {
        Ok(Watch {
            before: ledger.facts()?,
            new_bonds: Vec::new(),
            contracts: FxHashMap::default(),
            bonds: FxHashMap::default(),
        })
    }

    /// The warnings of one row about to be offered (declared sizes are the parser's); remembers
    /// which subjects it touches.
    pub fn see(&mut self, body: &Body, file: usize, line: u64) -> Vec<Warning> {
        let place = (file, line);
        match body {
            Body::Payment(p) => {
                if let Some(no) = &p.contract_no {
                    touch(&mut self.contracts, no, place);
                }
                self.touch_bond(p.bond_code.as_deref(), p.project_code.as_deref(), place);
                if p.bond_code.is_some() {
                    return self.payment_warnings(body);
                }
            }
            Body::Receipt(r) => {
                self.touch_bond(r.bond_code.as_deref(), r.project_code.as_deref(), place)
            }
            Body::Amendment(a) => touch(&mut self.contracts, &a.contract_no, place),
            Body::Bond(b) => self.new_bonds.push(b.clone()),
            Body::Opening(_) => return warnings::entry_warnings(body, &self.before),
            _ => {}
        }
        Vec::new()
    }

    fn touch_bond(&mut self, bond: Option<&str>, project: Option<&str>, place: (usize, u64)) {
        if let (Some(bond), Some(project)) = (bond, project) {
            let projects = match self.bonds.get_mut(bond) {
                Some(projects) => projects,
                None => self.bonds.entry(bond.to_string()).or_default(),
            };
            touch(projects, project, place);
        }
    }

    fn payment_warnings(&mut self, body: &Body) -> Vec<Warning> {
        if !self.new_bonds.is_empty() {
            self.before.bonds.append(&mut self.new_bonds);
        }
        warnings::entry_warnings(body, &self.before)
    }

    /// The state warnings the batch brings, each placed at the last row that touched its subject
    /// (`files` names the batch's files by index; a warning with no such row, e.g. one a reversal
    /// brought, is placed at `fallback`).
    pub fn finish(
        mut self,
        writer: &Writer<'_>,
        files: &[String],
        fallback: &RowPlace,
    ) -> Vec<(Warning, RowPlace)> {
        self.before.bonds.append(&mut self.new_bonds);
        let mut after = self.before.clone();
        after
            .sums
            .apply(writer.pending_changes().map(|(k, a)| (k.clone(), *a)));
        warnings::new_state_warnings(&self.before, &after)
            .into_iter()
            .map(|w| {
                let place = self.last_touch(&w.subject).map_or_else(
                    || fallback.clone(),
                    |(file, line)| RowPlace {
                        file: files.get(file).cloned().unwrap_or_default(),
                        line,
                    },
                );
                (w, place)
            })
            .collect()
    }

    /// The last row that touched a warning's subject: a contract number or "bond/project".
    fn last_touch(&self, subject: &str) -> Option<(usize, u64)> {
        if let Some(&place) = self.contracts.get(subject) {
            return Some(place);
        }
        self.bonds.iter().find_map(|(bond, projects)| {
            let project = subject.strip_prefix(bond.as_str())?.strip_prefix('/')?;
            projects.get(project).copied()
        })
    }
}

fn touch(map: &mut FxHashMap<String, (usize, u64)>, key: &str, place: (usize, u64)) {
    match map.get_mut(key) {
        Some(last) => *last = place,
        None => {
            map.insert(key.to_string(), place);
        }
    }
}

/// A warning as a line of the batch's report.
pub fn problem(warning: &Warning, place: &RowPlace) -> Problem {
    Problem {
        file: place.file.clone(),
        line: place.line,
        column: String::new(),
        message: warning.message.clone(),
    }
}
