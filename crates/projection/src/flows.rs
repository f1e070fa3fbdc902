//! The dated flows the clocks need and the running sums do not keep: each part's acceptances and
//! payments, each bond project's receipts and payments, day by day.
//!
//! [`Flows`] is folded entry by entry ([`Flows::apply`]), so that it can be kept batch by batch or
//! rebuilt from the whole log, with the same result (tests/properties.rs). A reversal takes its
//! voucher out of the flows: a 红字冲销 says the money did not go (or come) as posted.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use taizhang_core::{Acceptance, Amount, Body};

use crate::warnings::spends_proceeds;

/// A dated amount under a voucher (or, for an acceptance, the day it stands for).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flow {
    pub date: NaiveDate,
    pub voucher: String,
    pub amount: Amount,
}

/// A supplier part: contract number and supplier name.
pub type PartKey = (String, String);
/// A bond project: bond code and project code.
pub type ProjectKey = (String, String);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flows {
    /// Each part's acceptances, by date.
    pub acceptances: BTreeMap<PartKey, BTreeMap<NaiveDate, Acceptance>>,
    /// Payments naming a contract, by contract and payee, by voucher.
    pub paid: BTreeMap<PartKey, BTreeMap<String, Flow>>,
    /// Receipts of bond money, by bond and project, by voucher.
    pub received: BTreeMap<ProjectKey, BTreeMap<String, Flow>>,
    /// Bond payments that spend the proceeds (建设, 其他), by bond and project, by voucher.
    pub spent: BTreeMap<ProjectKey, BTreeMap<String, Flow>>,
    /// Where each voucher went, so that its reversal can take it out.
    vouchers: BTreeMap<String, Vec<Place>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    Paid(PartKey),
    Received(ProjectKey),
    Spent(ProjectKey),
}

impl Flows {
    /// Folds every entry of a log, in order.
    pub fn rebuild<'a>(entries: impl IntoIterator<Item = &'a Body>) -> Flows {
        let mut flows = Flows::default();
        for body in entries {
            flows.apply(body);
        }
        flows
    }

    /// Adds what one entry changes.
    pub fn apply(&mut self, body: &Body) {
        match body {
            Body::Acceptance(a) => {
                let key = (a.contract_no.clone(), a.supplier_name.clone());
                self.acceptances
                    .entry(key)
                    .or_default()
                    .insert(a.date, a.clone());
            }
            Body::Payment(p) => {
                let flow = Flow {
                    date: p.date,
                    voucher: p.voucher_no.clone(),
                    amount: p.amount,
                };
                let mut places = Vec::new();
                if let Some(no) = &p.contract_no {
                    places.push(Place::Paid((no.clone(), p.payee.clone())));
                }
                if let (Some(bond), Some(project)) = (&p.bond_code, &p.project_code) {
                    if spends_proceeds(p.purpose) {
                        places.push(Place::Spent((bond.clone(), project.clone())));
                    }
                }
                self.place(flow, places);
            }
            Body::Receipt(r) => {
                if let (Some(bond), Some(project)) = (&r.bond_code, &r.project_code) {
                    let flow = Flow {
                        date: r.date,
                        voucher: r.voucher_no.clone(),
                        amount: r.amount,
                    };
                    self.place(flow, vec![Place::Received((bond.clone(), project.clone()))]);
                }
            }
            Body::Reversal(r) => {
                for place in self.vouchers.remove(&r.voucher_no).unwrap_or_default() {
                    if let Some(flows) = self.map(&place).get_mut(place.key()) {
                        flows.remove(&r.voucher_no);
                    }
                }
            }
            _ => {}
        }
    }

    fn place(&mut self, flow: Flow, places: Vec<Place>) {
        for place in &places {
            self.map(place)
                .entry(place.key().clone())
                .or_default()
                .insert(flow.voucher.clone(), flow.clone());
        }
        if !places.is_empty() {
            self.vouchers.insert(flow.voucher.clone(), places);
        }
    }

    fn map(&mut self, place: &Place) -> &mut BTreeMap<(String, String), BTreeMap<String, Flow>> {
        match place {
            Place::Paid(_) => &mut self.paid,
            Place::Received(_) => &mut self.received,
            Place::Spent(_) => &mut self.spent,
        }
    }

    /// Whether the ledger holds any acceptance: without one there is no clock to keep.
    pub fn has_acceptances(&self) -> bool {
        !self.acceptances.is_empty()
    }
}

impl Place {
    fn key(&self) -> &(String, String) {
        match self {
            Place::Paid(k) | Place::Received(k) | Place::Spent(k) => k,
        }
    }
}

/// Flows dated on or before a day, oldest first (by date, then voucher).
pub fn until(flows: Option<&BTreeMap<String, Flow>>, as_of: NaiveDate) -> Vec<&Flow> {
    let mut out: Vec<&Flow> = flows
        .into_iter()
        .flat_map(|m| m.values())
        .filter(|f| f.date <= as_of)
        .collect();
    out.sort();
    out
}
