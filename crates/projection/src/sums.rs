//! The running sums every report is computed from, and the change each entry makes to them.
//!
//! The store keeps [`Sums`] up to date in the same transaction as the entries, so a report reads a
//! few hundred sums instead of the whole history. [`Sums::rebuild`] computes the same from the log;
//! `verify` and the property tests compare the two.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use taizhang_core::{
    Amendment, Amount, Body, Category, ContractPart, ExpenseType, FunctionCode, Fund, Purpose,
    Quarter, SmeClass,
};

/// One running sum. Years and quarters are those of the entry's own date (cash basis).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SumKey {
    Income {
        year: i32,
        fund: Fund,
        code: FunctionCode,
    },
    /// Payments by year, fund, code, type, purpose and project: what the explanation of table 7
    /// says each 类 was used for.
    Expense {
        year: i32,
        fund: Fund,
        code: FunctionCode,
        expense_type: ExpenseType,
        purpose: Purpose,
        project: Option<String>,
    },
    /// An opening balance given for a year (replaces the carried-forward amount).
    Opening {
        year: i32,
        fund: Fund,
        code: FunctionCode,
    },
    /// Contract parts by signing year, amendments by their own year.
    Procurement {
        year: i32,
        category: Category,
        class: SmeClass,
    },
    BondReceived {
        bond: String,
        project: String,
        quarter: Quarter,
    },
    BondPaid {
        bond: String,
        project: String,
        quarter: Quarter,
        purpose: Purpose,
    },
    ContractPaid {
        contract_no: String,
        year: i32,
    },
    /// Original amount in the signing year, amendments in theirs.
    ContractAmount {
        contract_no: String,
        year: i32,
    },
    /// A supplier part after every amendment, whatever its date.
    PartAmount {
        contract_no: String,
        supplier: String,
    },
}

/// All running sums, in 元.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sums(pub BTreeMap<SumKey, Amount>);

impl Sums {
    pub fn get(&self, key: &SumKey) -> Amount {
        self.0.get(key).copied().unwrap_or(Amount::ZERO)
    }

    /// Adds changes; sums that come back to zero are dropped, so a rebuilt map compares equal.
    pub fn apply(&mut self, changes: impl IntoIterator<Item = (SumKey, Amount)>) {
        for (key, delta) in changes {
            let value = self.0.entry(key.clone()).or_insert(Amount::ZERO);
            *value += delta;
            if value.is_zero() {
                self.0.remove(&key);
            }
        }
    }

    /// The sums of a whole log, each entry with the one it refers to (see [`changes`]).
    pub fn rebuild<'a>(entries: impl IntoIterator<Item = (&'a Body, Option<&'a Body>)>) -> Sums {
        let mut sums = Sums::default();
        for (body, referred) in entries {
            sums.apply(changes(body, referred));
        }
        sums
    }
}

/// The change an entry makes to the sums. `referred` is the entry it refers to: for a reversal the
/// receipt or payment it reverses (whose change it takes away, counted on the reversal's own date),
/// for an amendment the contract part it changes (whose category and size it keeps).
pub fn changes(body: &Body, referred: Option<&Body>) -> Vec<(SumKey, Amount)> {
    match (body, referred) {
        (Body::Reversal(r), Some(original)) => money_changes(original, r.date)
            .into_iter()
            .map(|(k, a)| (k, -a))
            .collect(),
        (Body::Amendment(a), Some(Body::Contract(part))) => amendment_changes(a, part),
        (Body::Reversal(_) | Body::Amendment(_), _) => Vec::new(),
        _ => {
            let date = body.period_date().unwrap_or(NaiveDate::MIN);
            money_changes(body, date)
        }
    }
}

/// The change of an entry as if dated `date` (its own date, or its reversal's).
fn money_changes(body: &Body, date: NaiveDate) -> Vec<(SumKey, Amount)> {
    let year = date.year();
    let quarter = Quarter::of(date);
    let mut out = Vec::new();
    match body {
        Body::Receipt(r) => {
            out.push((
                SumKey::Income {
                    year,
                    fund: r.fund,
                    code: r.code,
                },
                r.amount,
            ));
            if let (Some(bond), Some(project)) = (&r.bond_code, &r.project_code) {
                out.push((
                    SumKey::BondReceived {
                        bond: bond.clone(),
                        project: project.clone(),
                        quarter,
                    },
                    r.amount,
                ));
            }
        }
        Body::Payment(p) => {
            out.push((
                SumKey::Expense {
                    year,
                    fund: p.fund,
                    code: p.code,
                    expense_type: p.expense_type,
                    purpose: p.purpose,
                    project: p.project_code.clone(),
                },
                p.amount,
            ));
            if let (Some(bond), Some(project)) = (&p.bond_code, &p.project_code) {
                out.push((
                    SumKey::BondPaid {
                        bond: bond.clone(),
                        project: project.clone(),
                        quarter,
                        purpose: p.purpose,
                    },
                    p.amount,
                ));
            }
            if let Some(no) = &p.contract_no {
                out.push((
                    SumKey::ContractPaid {
                        contract_no: no.clone(),
                        year,
                    },
                    p.amount,
                ));
            }
        }
        Body::Opening(o) => out.push((
            SumKey::Opening {
                year: o.year,
                fund: o.fund,
                code: o.code,
            },
            o.amount,
        )),
        Body::Contract(c) => {
            let class = SmeClass::of(c.part.size, c.part.special);
            out.push((
                SumKey::Procurement {
                    year,
                    category: c.terms.category,
                    class,
                },
                c.part.amount,
            ));
            out.push((
                SumKey::ContractAmount {
                    contract_no: c.terms.no.clone(),
                    year,
                },
                c.part.amount,
            ));
            out.push((
                SumKey::PartAmount {
                    contract_no: c.terms.no.clone(),
                    supplier: c.part.name.clone(),
                },
                c.part.amount,
            ));
        }
        Body::Amendment(_)
        | Body::Bond(_)
        | Body::Catalog(_)
        | Body::Reversal(_)
        | Body::Close(_)
        | Body::Unit(_)
        | Body::User(_)
        | Body::Acceptance(_)
        | Body::Setting(_)
        | Body::Review(_)
        | Body::Attachment(_) => {}
    }
    out
}

/// An amendment's change in its own year. A correction of the class moves the part's amount at
/// that moment from its old class to its new one (the total unchanged); the change of amount counts
/// in the class the part has after the amendment. The part's state before (filled in by the ledger)
/// is in the amendment; without it, the part was never corrected and its own class holds.
fn amendment_changes(amendment: &Amendment, part: &ContractPart) -> Vec<(SumKey, Amount)> {
    let year = amendment.date.year();
    let no = &amendment.contract_no;
    let procurement = |class| SumKey::Procurement {
        year,
        category: part.terms.category,
        class,
    };
    let (old_class, class) = match &amendment.before {
        Some(before) => {
            let (size, special) = amendment.class_after(before);
            (
                SmeClass::of(before.size, before.special),
                SmeClass::of(size, special),
            )
        }
        None => {
            let own = SmeClass::of(part.part.size, part.part.special);
            (own, own)
        }
    };
    let mut changes = Vec::new();
    if let Some(before) = amendment.before.filter(|_| old_class != class) {
        changes.push((procurement(old_class), -before.amount));
        changes.push((procurement(class), before.amount));
    }
    if amendment.delta.is_zero() {
        return changes;
    }
    changes.extend([
        (procurement(class), amendment.delta),
        (
            SumKey::ContractAmount {
                contract_no: no.clone(),
                year,
            },
            amendment.delta,
        ),
        (
            SumKey::PartAmount {
                contract_no: no.clone(),
                supplier: amendment.supplier_name.clone(),
            },
            amendment.delta,
        ),
    ]);
    changes
}
