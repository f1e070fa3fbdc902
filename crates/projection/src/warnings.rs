//! The warnings of domain.md "Warnings at posting": what the ledger holds that is allowed but should
//! be looked into (a contract paid beyond its amount, bond money spent beyond its allocation or its
//! proceeds, a bond payment dated before the bond's value date, a declared size that the declared
//! figures contradict).
//!
//! Two kinds: [`state_warnings`] are facts about the running sums (the same at any moment they hold),
//! so a batch's new warnings are those of the state after it that the state before it did not have;
//! [`entry_warnings`] belong to one entry whatever else is posted. Not errors: the entry is posted,
//! and `--strict` turns a batch's new warnings into a refusal. Pure, like every projection.

use std::collections::BTreeMap;

use taizhang_core::classify::classify;
use taizhang_core::{Amount, Body, ContractPart, Opening, Purpose};

use crate::opening::carried_into;

use crate::sums::SumKey;
use crate::Facts;

/// One warning. `rule` is a stable English key for scripts, `subject` what it is about (a contract
/// number, "债券/项目", a voucher), `message` the Chinese sentence with the figures.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    pub rule: &'static str,
    pub subject: String,
    pub message: String,
}

/// What a warning is about, for telling which warnings a batch newly brought.
type WarningId = (&'static str, String);

impl Warning {
    fn id(&self) -> WarningId {
        (self.rule, self.subject.clone())
    }
}

/// Every warning the sums hold: overpaid contracts, bond projects spent beyond their allocation or
/// beyond the proceeds received.
pub fn state_warnings(facts: &Facts) -> Vec<Warning> {
    let mut warnings = overpaid_contracts(facts);
    warnings.extend(overspent_bonds(facts));
    warnings
}

/// The state warnings of `after` that `before` did not have (or had with other figures).
pub fn new_state_warnings(before: &Facts, after: &Facts) -> Vec<Warning> {
    let old: BTreeMap<WarningId, String> = state_warnings(before)
        .into_iter()
        .map(|w| (w.id(), w.message))
        .collect();
    state_warnings(after)
        .into_iter()
        .filter(|w| old.get(&w.id()) != Some(&w.message))
        .collect()
}

/// The warnings that belong to one entry: a bond payment before the bond's value date, an opening
/// balance that restates the carried one without a reason.
pub fn entry_warnings(body: &Body, facts: &Facts) -> Vec<Warning> {
    let p = match body {
        Body::Payment(p) => p,
        Body::Opening(o) => return restated_opening(o, facts).into_iter().collect(),
        _ => return Vec::new(),
    };
    let Some(bond_code) = &p.bond_code else {
        return Vec::new();
    };
    let value_date = facts
        .bonds
        .iter()
        .find(|b| &b.terms.code == bond_code)
        .map(|b| b.terms.value_date);
    match value_date {
        Some(value_date) if p.date < value_date => vec![Warning {
            rule: "before_value_date",
            subject: p.voucher_no.clone(),
            message: format!(
                "凭证 {} 以债券 {bond_code} 资金支付，日期 {} 早于该债券起息日 {value_date}",
                p.voucher_no, p.date
            ),
        }],
        _ => Vec::new(),
    }
}

/// An opening given for a year, fund and code that differs from the closing balance the ledger
/// carries into it, with no reason (domain.md: the adjustment needs one).
fn restated_opening(o: &Opening, facts: &Facts) -> Option<Warning> {
    if o.adjust_reason.is_some() {
        return None;
    }
    let carried = carried_into(facts, o.fund, &o.code, o.year)?;
    (carried != o.amount).then(|| Warning {
        rule: "opening_restated",
        subject: format!("{}/{}/{}", o.year, o.fund.key(), o.code),
        message: format!(
            "{} 年{} {} 年初结转和结余填报 {} 元，与上年结转的 {carried} 元不同（调整 {} 元），未填调整原因",
            o.year,
            o.fund,
            o.code,
            o.amount,
            o.amount - carried
        ),
    })
}

/// A contract part whose declared figures put the supplier in another size than it declared.
pub fn declared_size_warning(part: &ContractPart) -> Option<Warning> {
    let declaration = part.part.declaration.as_ref()?;
    let found = classify(declaration.industry, &declaration.figures).ok()?;
    (found != part.part.size).then(|| Warning {
        rule: "declared_size",
        subject: format!("{}/{}", part.terms.no, part.part.name),
        message: format!(
            "合同 {} 供应商“{}”声明为{}，按其声明的{}数据应为{}",
            part.terms.no, part.part.name, part.part.size, declaration.industry, found
        ),
    })
}

/// A contract's amount after every amendment and what has been paid on it, all years.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContractMoney {
    pub amount: Amount,
    pub paid: Amount,
}

/// Every contract's money, by contract number.
pub fn contract_money(facts: &Facts) -> BTreeMap<&str, ContractMoney> {
    let mut money: BTreeMap<&str, ContractMoney> = BTreeMap::new();
    for (key, &amount) in &facts.sums.0 {
        match key {
            SumKey::ContractAmount { contract_no, .. } => {
                money.entry(contract_no).or_default().amount += amount
            }
            SumKey::ContractPaid { contract_no, .. } => {
                money.entry(contract_no).or_default().paid += amount
            }
            _ => {}
        }
    }
    money
}

fn overpaid_contracts(facts: &Facts) -> Vec<Warning> {
    contract_money(facts)
        .into_iter()
        .filter(|(_, m)| m.paid > m.amount)
        .map(|(no, ContractMoney { amount, paid })| Warning {
            rule: "overpaid",
            subject: no.to_string(),
            message: format!(
                "合同 {no} 累计支付 {paid} 元，超过合同金额（含补充协议）{amount} 元，超付 {} 元",
                paid - amount
            ),
        })
        .collect()
}

/// Per bond and project: allocated, received and spent (as bond-use's unspent balance counts it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BondMoney {
    pub allocated: Amount,
    pub received: Amount,
    pub spent: Amount,
}

/// Whether a payment of this purpose spends bond proceeds: 建设 and 其他 (interest and fees are paid
/// from the budget; interchange.md, bond-use's unspent).
pub fn spends_proceeds(purpose: Purpose) -> bool {
    matches!(purpose, Purpose::Construction | Purpose::Other)
}

/// Every bond project's money, by bond code and project code.
pub fn bond_money(facts: &Facts) -> BTreeMap<(&str, &str), BondMoney> {
    let mut money: BTreeMap<(&str, &str), BondMoney> = BTreeMap::new();
    for b in &facts.bonds {
        money
            .entry((&b.terms.code, &b.project_code))
            .or_default()
            .allocated += b.amount;
    }
    for (key, &amount) in &facts.sums.0 {
        match key {
            SumKey::BondReceived { bond, project, .. } => {
                money.entry((bond, project)).or_default().received += amount
            }
            SumKey::BondPaid {
                bond,
                project,
                purpose,
                ..
            } if spends_proceeds(*purpose) => {
                money.entry((bond, project)).or_default().spent += amount
            }
            _ => {}
        }
    }
    money
}

fn overspent_bonds(facts: &Facts) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for ((bond, project), m) in bond_money(facts) {
        let subject = format!("{bond}/{project}");
        if m.spent > m.allocated {
            warnings.push(Warning {
                rule: "bond_over_allocation",
                subject: subject.clone(),
                message: format!(
                    "债券 {bond} 项目 {project} 累计支出 {} 元，超过分配金额 {} 元（{}）",
                    m.spent,
                    m.allocated,
                    percent_of(m.spent, m.allocated)
                ),
            });
        }
        if m.spent > m.received {
            warnings.push(Warning {
                rule: "bond_over_received",
                subject,
                message: format!(
                    "债券 {bond} 项目 {project} 累计支出 {} 元，超过已到位资金 {} 元，未使用余额为 {} 元",
                    m.spent,
                    m.received,
                    m.received - m.spent
                ),
            });
        }
    }
    warnings
}

/// "216.00 %" of the allocation; "分配金额为零" when there is none to divide by.
fn percent_of(part: Amount, whole: Amount) -> String {
    if whole.is_zero() {
        return "分配金额为零".into();
    }
    let pct = (part.decimal() * rust_decimal::Decimal::from(100) / whole.decimal())
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("为分配金额的 {pct:.2}%")
}

/// A slice of an SME due that a payment settled after the due date (《保障中小企业款项支付条例》).
pub fn late_settlement(
    voucher: &str,
    due: &crate::clock::Due,
    slice: &crate::clock::Slice,
) -> Warning {
    Warning {
        rule: "sme_late",
        subject: voucher.to_string(),
        message: format!(
            "凭证号 {voucher} 向中小企业“{}”支付合同 {} 于 {} {}的应付款 {} 元，到期日 {}，逾期 {} 天，逾期利息 {} 元（《保障中小企业款项支付条例》）",
            due.supplier_name,
            due.contract_no,
            due.date,
            due.basis,
            slice.amount,
            due.due_date,
            slice.days_late,
            slice.interest
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taizhang_core::Quarter;

    fn contract_sums(amount: i64, paid: i64) -> Facts {
        let mut facts = Facts::default();
        facts.sums.apply([
            (
                SumKey::ContractAmount {
                    contract_no: "HT-1".into(),
                    year: 2023,
                },
                Amount::from_fen(amount),
            ),
            (
                SumKey::ContractPaid {
                    contract_no: "HT-1".into(),
                    year: 2024,
                },
                Amount::from_fen(paid),
            ),
        ]);
        facts
    }

    #[test]
    fn a_contract_paid_exactly_its_amount_is_not_overpaid_one_fen_more_is() {
        assert!(state_warnings(&contract_sums(10_000, 10_000)).is_empty());
        let warnings = state_warnings(&contract_sums(10_000, 10_001));
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].rule, "overpaid");
        assert!(warnings[0].message.contains("超付 0.01 元"), "{warnings:?}");
    }

    #[test]
    fn a_batch_brings_only_the_warnings_the_state_before_did_not_have() {
        let before = contract_sums(10_000, 20_000);
        let same = contract_sums(10_000, 20_000);
        assert!(new_state_warnings(&before, &same).is_empty());
        let worse = contract_sums(10_000, 30_000);
        assert_eq!(new_state_warnings(&before, &worse).len(), 1);
    }

    #[test]
    fn bond_spending_counts_construction_and_other_not_interest() {
        let mut facts = Facts::default();
        let q = Quarter {
            year: 2023,
            number: 1,
        };
        let paid = |purpose| SumKey::BondPaid {
            bond: "B1".into(),
            project: "P1".into(),
            quarter: q,
            purpose,
        };
        facts.sums.apply([
            (
                SumKey::BondReceived {
                    bond: "B1".into(),
                    project: "P1".into(),
                    quarter: q,
                },
                Amount::from_fen(100),
            ),
            (paid(Purpose::Interest), Amount::from_fen(500)),
        ]);
        let rules: Vec<&str> = state_warnings(&facts).iter().map(|w| w.rule).collect();
        assert!(rules.is_empty(), "{rules:?}");
        facts
            .sums
            .apply([(paid(Purpose::Other), Amount::from_fen(101))]);
        let rules: Vec<&str> = state_warnings(&facts).iter().map(|w| w.rule).collect();
        // No allocation in these facts: spent 1.01 is beyond allocation 0 and proceeds 1.00.
        assert_eq!(rules, ["bond_over_allocation", "bond_over_received"]);
    }
}
