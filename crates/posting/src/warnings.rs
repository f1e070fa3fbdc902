//! Warnings while posting (domain.md "Warnings at posting"): a batch is watched for the warnings it
//! brings — those of its own entries (a bond payment before the bond's value date, a declared size
//! the declared figures contradict) and those of the ledger's state after it that the state before it
//! did not have (a contract overpaid, bond money spent beyond its allocation or proceeds), and the
//! SME dues a payment of the batch settles late (the payment clock). The rules are the projection's;
//! this module only says where each warning comes from. Under `--strict` a warning is a problem and
//! the batch is refused.

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use taizhang_core::{Amount, Body, ContractPart};
use taizhang_interchange::Problem;
use taizhang_projection::clock::{late_slices, payment_clock};
use taizhang_projection::flows::Flows;
use taizhang_projection::warnings::{self, BondMoney, ContractMoney, Warning};
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
    /// The batch's running figures of each contract and bond project it touches, and where they
    /// crossed a limit. Looked up by `&str`, so a row allocates only for a subject new to the batch.
    contracts: FxHashMap<String, ContractRun>,
    bonds: FxHashMap<String, FxHashMap<String, BondRun>>,
    /// Every contract's and bond project's money before the batch (the projection's figures, read
    /// once): where a subject's run starts.
    contracts_before: FxHashMap<String, ContractMoney>,
    bonds_before: FxHashMap<String, FxHashMap<String, BondMoney>>,
    /// `before.bonds` up to here were posted before the batch; the rest, and `new_bonds`, in it.
    bonds_before_len: usize,
    /// The payment clock's flows: the ledger's (read from the log only when it holds acceptances;
    /// with none, nothing was on the clock) and the batch's folded in as its rows come.
    clock: Flows,
    /// Contract parts posted in this batch.
    new_parts: Vec<ContractPart>,
    /// The batch's payments to a contract while a clock runs: voucher, contract, date, row.
    clock_payments: Vec<(String, String, NaiveDate, Place)>,
    /// The row just seen, a payment or a contract part, kept once [`Watch::offered`] says it was
    /// posted (a row already in the ledger warns no more, nor counts twice).
    clock_pending: Option<ClockRow>,
}

enum ClockRow {
    Payment(String, String, NaiveDate, Place),
    Part(Box<ContractPart>),
}

/// A place in the batch: (file index, line).
type Place = (usize, u64);

/// A contract as the batch runs through it: amount after amendments and paid to date (both as the
/// ledger held them before the batch, plus the batch's payments).
struct ContractRun {
    last: Place,
    money: ContractMoney,
    /// The row whose payment first took `paid` past `amount`.
    overpaid_at: Option<Place>,
}

/// A bond project as the batch runs through it.
struct BondRun {
    last: Place,
    money: BondMoney,
    over_allocation_at: Option<Place>,
    over_received_at: Option<Place>,
}

impl Watch {
    /// Reads the ledger's state before the batch.
    pub fn new(ledger: &Ledger) -> Result<Watch, StoreError> {
        let before = ledger.facts()?;
        let contracts_before = (warnings::contract_money(&before).into_iter())
            .map(|(no, money)| (no.to_string(), money))
            .collect();
        let mut bonds_before: FxHashMap<String, FxHashMap<String, BondMoney>> =
            FxHashMap::default();
        for ((bond, project), money) in warnings::bond_money(&before) {
            (bonds_before.entry(bond.to_string()).or_default()).insert(project.to_string(), money);
        }
        let clock = if before.acceptances.is_empty() {
            Flows::default()
        } else {
            ledger.flows()?
        };
        Ok(Watch {
            clock,
            new_parts: Vec::new(),
            clock_payments: Vec::new(),
            clock_pending: None,
            bonds_before_len: before.bonds.len(),
            before,
            new_bonds: Vec::new(),
            contracts: FxHashMap::default(),
            bonds: FxHashMap::default(),
            contracts_before,
            bonds_before,
        })
    }

    /// The warnings of one row about to be offered (declared sizes are the parser's); follows the
    /// figures of the subjects it touches.
    pub fn see(&mut self, body: &Body, file: usize, line: u64) -> Vec<Warning> {
        let place = (file, line);
        self.follow_clock(body, place);
        match body {
            Body::Payment(p) => {
                if let Some(no) = &p.contract_no {
                    self.contract(no, place).pay(p.amount, place);
                }
                let counts = warnings::spends_proceeds(p.purpose);
                let project = self.project_of(p.bond_code.as_deref(), p.project_code.as_deref());
                if let (Some(bond), Some(project)) = (p.bond_code.as_deref(), project) {
                    let run = self.bond(bond, &project, place);
                    if counts {
                        run.spend(p.amount, place);
                    }
                }
                if p.bond_code.is_some() {
                    return self.payment_warnings(body);
                }
            }
            Body::Receipt(r) => {
                let project = self.project_of(r.bond_code.as_deref(), r.project_code.as_deref());
                if let (Some(bond), Some(project)) = (r.bond_code.as_deref(), project) {
                    self.bond(bond, &project, place).money.received += r.amount;
                }
            }
            Body::Amendment(a) => self.contract(&a.contract_no, place).last = place,
            Body::Bond(b) => self.new_bonds.push(b.clone()),
            Body::Opening(_) => return warnings::entry_warnings(body, &self.before),
            _ => {}
        }
        Vec::new()
    }

    /// Folds a row into the payment clock. A batch posts acceptances before payments (kinds in
    /// dependency order), so a payment finds the batch's dues already there; without any acceptance
    /// there is no clock to keep, and a large import of payments pays nothing for it.
    fn follow_clock(&mut self, body: &Body, place: Place) {
        self.clock_pending = None;
        match body {
            Body::Acceptance(_) | Body::Reversal(_) => self.clock.apply(body),
            Body::Contract(c) => self.clock_pending = Some(ClockRow::Part(Box::new(c.clone()))),
            Body::Payment(p) if self.clock.has_acceptances() => {
                if let Some(no) = &p.contract_no {
                    self.clock.apply(body);
                    self.clock_pending = Some(ClockRow::Payment(
                        p.voucher_no.clone(),
                        no.clone(),
                        p.date,
                        place,
                    ));
                }
            }
            _ => {}
        }
    }

    /// Whether the row last seen was posted (not already in the ledger, not refused).
    pub fn offered(&mut self, posted: bool) {
        match self.clock_pending.take() {
            Some(ClockRow::Payment(voucher, no, date, place)) if posted => {
                self.clock_payments.push((voucher, no, date, place))
            }
            Some(ClockRow::Part(part)) if posted => self.new_parts.push(*part),
            _ => {}
        }
    }

    /// The SME dues the batch's payments settle late, each at its payment's row.
    fn late_settlements(&self) -> Vec<(Warning, Place)> {
        let mut found = Vec::new();
        for (voucher, no, date, place) in &self.clock_payments {
            let parts: Vec<ContractPart> = (self.before.contracts.iter())
                .chain(&self.new_parts)
                .filter(|p| &p.terms.no == no)
                .cloned()
                .collect();
            let clock = payment_clock(&self.clock, &parts, *date);
            for (due, slice) in late_slices(&clock, voucher) {
                found.push((warnings::late_settlement(voucher, due, slice), *place));
            }
        }
        found
    }

    /// The project a row names, or the bond's only one (as the ledger fills it in).
    fn project_of(&self, bond: Option<&str>, project: Option<&str>) -> Option<String> {
        if let Some(project) = project {
            return Some(project.to_string());
        }
        let bond = bond?;
        let mut projects = (self.before.bonds.iter())
            .chain(&self.new_bonds)
            .filter(|b| b.terms.code == bond)
            .map(|b| &b.project_code);
        match (projects.next(), projects.next()) {
            (Some(only), None) => Some(only.clone()),
            _ => None,
        }
    }

    fn contract(&mut self, no: &str, place: Place) -> &mut ContractRun {
        if !self.contracts.contains_key(no) {
            let money = self.contracts_before.get(no).copied().unwrap_or_default();
            self.contracts
                .insert(no.to_string(), ContractRun::new(money, place));
        }
        let run = self.contracts.get_mut(no).expect("inserted above");
        run.last = place;
        run
    }

    fn bond(&mut self, bond: &str, project: &str, place: Place) -> &mut BondRun {
        let known = self
            .bonds
            .get(bond)
            .is_some_and(|p| p.contains_key(project));
        if !known {
            let mut money = (self.bonds_before.get(bond))
                .and_then(|projects| projects.get(project))
                .copied()
                .unwrap_or_default();
            money.allocated += (self.before.bonds[self.bonds_before_len..].iter())
                .chain(&self.new_bonds)
                .filter(|b| b.terms.code == bond && b.project_code == project)
                .map(|b| b.amount)
                .sum();
            (self.bonds.entry(bond.to_string()).or_default())
                .insert(project.to_string(), BondRun::new(money, place));
        }
        let run = (self.bonds.get_mut(bond))
            .and_then(|p| p.get_mut(project))
            .expect("inserted above");
        run.last = place;
        run
    }

    fn payment_warnings(&mut self, body: &Body) -> Vec<Warning> {
        if !self.new_bonds.is_empty() {
            self.before.bonds.append(&mut self.new_bonds);
        }
        warnings::entry_warnings(body, &self.before)
    }

    /// The state warnings the batch brings, each placed at the row that crossed its limit, else at
    /// the last row that touched its subject (`files` names the batch's files by index; a warning
    /// with no such row, e.g. one a reversal brought, is placed at `fallback`).
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
        let place = |(file, line): Place| RowPlace {
            file: files.get(file).cloned().unwrap_or_default(),
            line,
        };
        let late: Vec<(Warning, RowPlace)> = (self.late_settlements().into_iter())
            .map(|(w, at)| (w, place(at)))
            .collect();
        warnings::new_state_warnings(&self.before, &after)
            .into_iter()
            .map(|w| {
                let place = self.place_of(&w).map_or_else(
                    || fallback.clone(),
                    |(file, line)| RowPlace {
                        file: files.get(file).cloned().unwrap_or_default(),
                        line,
                    },
                );
                (w, place)
            })
            .chain(late)
            .collect()
    }

    /// Where a state warning comes from: the row that crossed its limit, else the last row that
    /// touched its subject (a contract number, or "bond/project").
    fn place_of(&self, w: &Warning) -> Option<Place> {
        if let Some(run) = self.contracts.get(&w.subject) {
            return Some(run.overpaid_at.unwrap_or(run.last));
        }
        let run = self.bonds.iter().find_map(|(bond, projects)| {
            let project = w.subject.strip_prefix(bond.as_str())?.strip_prefix('/')?;
            projects.get(project)
        })?;
        let crossed = match w.rule {
            "bond_over_allocation" => run.over_allocation_at,
            "bond_over_received" => run.over_received_at,
            _ => None,
        };
        Some(crossed.unwrap_or(run.last))
    }
}

impl ContractRun {
    fn new(money: ContractMoney, place: Place) -> ContractRun {
        ContractRun {
            last: place,
            money,
            overpaid_at: None,
        }
    }

    fn pay(&mut self, amount: Amount, place: Place) {
        self.money.paid += amount;
        if self.money.paid > self.money.amount && self.overpaid_at.is_none() {
            self.overpaid_at = Some(place);
        }
    }
}

impl BondRun {
    fn new(money: BondMoney, place: Place) -> BondRun {
        BondRun {
            last: place,
            money,
            over_allocation_at: None,
            over_received_at: None,
        }
    }

    fn spend(&mut self, amount: Amount, place: Place) {
        let m = &mut self.money;
        m.spent += amount;
        if m.spent > m.allocated && self.over_allocation_at.is_none() {
            self.over_allocation_at = Some(place);
        }
        if m.spent > m.received && self.over_received_at.is_none() {
            self.over_received_at = Some(place);
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
