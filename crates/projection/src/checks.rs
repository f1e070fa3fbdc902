//! The procurement checks of a year (domain.md "Procurement rules a ledger can check"): the
//! contract notice within 2 working days of signing (政府采购法实施条例第五十条, on the official
//! calendar), and the reserved shares of 财库〔2020〕46号 and 〔2022〕19号 with the thresholds and
//! percentages of `ledger-data/rules/` valid on the signing day. Findings, not refusals: the law allows
//! exceptions with reasons.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use taizhang_core::{Amount, ContractPart, ContractTerms, SmeClass};

use crate::calendar::{self, Calendar};
use crate::rulebook::{self, Rulebook};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub contract_no: String,
    /// `notice_late`, `notice_missing`, `reserve_share`, `reserve_small_micro` or `not_reserved`.
    pub rule: &'static str,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checks {
    pub year: i32,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

/// The checks of the contracts signed in `year`.
pub fn procurement_checks(parts: &[ContractPart], year: i32) -> Checks {
    checks_on(calendar::official(), rulebook::shipped(), parts, year)
}

pub fn checks_on(
    calendar: &Calendar,
    rules: &Rulebook,
    parts: &[ContractPart],
    year: i32,
) -> Checks {
    let mut contracts: BTreeMap<&str, (&ContractTerms, Vec<&ContractPart>)> = BTreeMap::new();
    for part in parts.iter().filter(|p| p.terms.sign_date.year() == year) {
        contracts
            .entry(part.terms.no.as_str())
            .or_insert_with(|| (&part.terms, Vec::new()))
            .1
            .push(part);
    }
    let mut findings = Vec::new();
    let mut uncovered = BTreeSet::new();
    for (terms, parts) in contracts.values() {
        findings.extend(notice(calendar, rules, terms, &mut uncovered));
        findings.extend(reserve(rules, terms, parts));
    }
    Checks {
        year,
        findings,
        notes: uncovered.into_iter().map(calendar::fallback_note).collect(),
    }
}

fn finding(terms: &ContractTerms, rule: &'static str, detail: String) -> Finding {
    Finding {
        contract_no: terms.no.clone(),
        rule,
        detail,
    }
}

fn notice(
    calendar: &Calendar,
    rules: &Rulebook,
    terms: &ContractTerms,
    uncovered: &mut BTreeSet<i32>,
) -> Option<Finding> {
    let signed = terms.sign_date;
    let n = rules.notice_working_days(signed);
    let deadline = calendar.working_days_after(signed, n);
    for year in signed.year()..=deadline.year() {
        if !calendar.covers(year) {
            uncovered.insert(year);
        }
    }
    let law = "政府采购法实施条例第五十条";
    match terms.clauses.notice_date {
        None => Some(finding(
            terms,
            "notice_missing",
            format!("签订于 {signed}，未填合同公告日期（应在签订后 {n} 个工作日内、最迟 {deadline} 公告，{law}）"),
        )),
        Some(notice) if notice > deadline => Some(finding(
            terms,
            "notice_late",
            format!("签订于 {signed}，公告于 {notice}，晚于第 {n} 个工作日 {deadline}（{law}）"),
        )),
        Some(_) => None,
    }
}

/// `part` as a percentage of `whole`, for the detail text.
fn share(part: Amount, whole: Amount) -> String {
    crate::procurement::percent(part, whole).map_or_else(|| "—".to_string(), |p| format!("{p}%"))
}

fn reserve(rules: &Rulebook, terms: &ContractTerms, parts: &[&ContractPart]) -> Vec<Finding> {
    let clauses = &terms.clauses;
    let Some(budget) = clauses.budget else {
        return Vec::new();
    };
    let Some(rule) = rules.reserve(terms.category, terms.sign_date) else {
        return Vec::new();
    };
    let reserved = clauses.reserved.unwrap_or(Amount::ZERO);
    let mut out = Vec::new();
    let at_least = |pct: Decimal, of: Amount| of.decimal() * pct / Decimal::from(100);
    if budget > rule.threshold {
        if reserved.decimal() < at_least(rule.min_share_pct, budget) {
            out.push(finding(
                terms,
                "reserve_share",
                format!(
                    "预算 {budget} 元超过 {} 元，预留 {reserved} 元（{}），低于 {}%（{}）",
                    rule.threshold,
                    share(reserved, budget),
                    rule.min_share_pct,
                    rule.source
                ),
            ));
        }
    } else if reserved < budget
        && parts
            .iter()
            .any(|p| !SmeClass::of(p.part.size, p.part.special).is_sme())
    {
        let large: Vec<&str> = parts
            .iter()
            .filter(|p| !SmeClass::of(p.part.size, p.part.special).is_sme())
            .map(|p| p.part.name.as_str())
            .collect();
        out.push(finding(terms, "not_reserved", format!(
            "预算 {budget} 元未超过 {} 元，原则上应全部预留给中小企业，预留 {reserved} 元，授予大型企业“{}”（{}）",
            rule.threshold, large.join("”“"), rule.source
        )));
    }
    if reserved > Amount::ZERO {
        let small = clauses.reserved_small_micro.unwrap_or(Amount::ZERO);
        if small.decimal() < at_least(rule.min_small_micro_pct, reserved) {
            out.push(finding(
                terms,
                "reserve_small_micro",
                format!(
                    "预留 {reserved} 元中给小微企业 {small} 元（{}），低于 {}%（{}）",
                    share(small, reserved),
                    rule.min_small_micro_pct,
                    rule.source
                ),
            ));
        }
    }
    out
}

/// The notice deadline of a signing day: the working day by which the contract is published.
pub fn notice_deadline(signed: NaiveDate) -> NaiveDate {
    calendar::official().working_days_after(signed, rulebook::shipped().notice_working_days(signed))
}
