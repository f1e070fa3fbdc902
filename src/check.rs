//! `taizhang check`: every warning the ledger holds now (domain.md "Warnings at posting"), the SME
//! dues paid late or overdue today, and those falling due within N days. It finds problems to look
//! into; it never fails because of them (exit 0 whatever it finds).
//!
//! "Today" is Beijing's date, or `TAIZHANG_TODAY` (YYYY-MM-DD) when set: to see the ledger as a
//! given day would, and for tests that must not depend on the day they run.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde_json::json;
use taizhang_core::{Amount, Body};
use taizhang_interchange::layout::grouped;
use taizhang_interchange::reports::falling_due_json;
use taizhang_projection::clock::{self, Due};
use taizhang_projection::flows::Flows;
use taizhang_projection::warnings::{self, Warning};
use taizhang_store::Ledger;

use crate::cli::LogFormat;
use crate::output;

pub fn run(ledger: &Ledger, days: u32, format: LogFormat) -> anyhow::Result<bool> {
    let today = today()?;
    let (found, due) = every_warning(ledger, today, days)?;
    match format {
        LogFormat::Json => output::json(&json!({
            "count": found.len(),
            "warnings": found.iter().map(|w| json!({
                "rule": w.rule,
                "subject": w.subject,
                "message": w.message,
            })).collect::<Vec<_>>(),
            "today": today.to_string(),
            "days": days,
            "falling_due": falling_due_json(&due),
        })),
        LogFormat::Table => output::out(&format!(
            "{}{}",
            as_text(&found),
            due_text(&due, today, days)
        )),
    }
    Ok(true)
}

/// Beijing's date, or the one `TAIZHANG_TODAY` gives (refused when it is not a date).
fn today() -> anyhow::Result<NaiveDate> {
    taizhang_posting::today::today().map_err(|e| anyhow::anyhow!(e))
}

/// The SME dues of the clock as of today: slices paid late, dues overdue and unpaid.
fn clock_warnings(
    flows: &Flows,
    facts: &taizhang_projection::Facts,
    today: NaiveDate,
) -> Vec<Warning> {
    let now = clock::payment_clock(flows, &facts.contracts, today);
    let mut found = Vec::new();
    for due in &now.rows {
        for slice in due.slices.iter().filter(|s| s.days_late > 0) {
            match &slice.paid {
                Some((voucher, _)) => found.push(warnings::late_settlement(voucher, due, slice)),
                None => found.push(overdue_warning(due, slice.days_late, slice.interest)),
            }
        }
    }
    found
}

fn overdue_warning(due: &Due, days: i64, interest: Amount) -> Warning {
    Warning {
        rule: "sme_overdue",
        subject: due.contract_no.clone(),
        message: format!(
            "合同 {} 中小企业“{}”于 {} {}的应付款尚有 {} 元未付，到期日 {}，已逾期 {days} 天，逾期利息 {interest} 元（《保障中小企业款项支付条例》）",
            due.contract_no, due.supplier_name, due.date, due.basis, due.outstanding, due.due_date
        ),
    }
}

fn due_text(due: &[Due], today: NaiveDate, days: u32) -> String {
    // Nothing falling due says nothing: most ledgers keep no clock, and the line would carry a date.
    if due.is_empty() {
        return String::new();
    }
    let mut text = format!(
        "今天（{today}）起 {days} 天内到期的中小企业应付款 {} 笔：\n",
        due.len()
    );
    for d in due {
        text.push_str(&format!(
            "【即将到期】合同 {} “{}” {} {}，到期日 {}，尚未支付 {} 元\n",
            d.contract_no,
            d.supplier_name,
            d.date,
            d.basis,
            d.due_date,
            grouped(d.outstanding.decimal())
        ));
    }
    text
}

/// The state's warnings, the declared sizes' and those of every payment still standing (a reversed
/// payment's warning went with it).
fn every_warning(
    ledger: &Ledger,
    today: NaiveDate,
    days: u32,
) -> anyhow::Result<(Vec<Warning>, Vec<Due>)> {
    let facts = ledger.facts()?;
    let mut flows = Flows::default();
    let mut found = warnings::state_warnings(&facts);
    found.extend(
        facts
            .contracts
            .iter()
            .filter_map(warnings::declared_size_warning),
    );
    for o in &facts.openings {
        found.extend(warnings::entry_warnings(&Body::Opening(o.clone()), &facts));
    }
    let mut per_entry = Vec::new();
    let mut reversed = BTreeSet::new();
    ledger.for_each_entry(1, |posted| {
        flows.apply(&posted.body);
        match &posted.body {
            Body::Reversal(r) => {
                reversed.insert(r.voucher_no.clone());
            }
            body @ Body::Payment(_) => per_entry.extend(warnings::entry_warnings(body, &facts)),
            _ => {}
        }
        true
    })?;
    found.extend(
        per_entry
            .into_iter()
            .filter(|w| !reversed.contains(&w.subject)),
    );
    found.extend(clock_warnings(&flows, &facts, today));
    let due = clock::falling_due(&flows, &facts.contracts, today, days);
    Ok((found, due))
}

fn as_text(found: &[Warning]) -> String {
    if found.is_empty() {
        return "台账中没有需要注意的情况。\n".into();
    }
    let mut text = format!("台账中有 {} 处需要注意：\n", found.len());
    for w in found {
        text.push_str(&format!("【{}】{}\n", rule_label(w.rule), w.message));
    }
    text
}

/// The rule's name for people; the English key stays in the JSON for scripts.
fn rule_label(rule: &str) -> &'static str {
    match rule {
        "overpaid" => "超付",
        "bond_over_allocation" => "债券资金超分配",
        "bond_over_received" => "债券资金超到位",
        "before_value_date" => "早于起息日",
        "declared_size" => "声明规模不符",
        "opening_restated" => "年初数调整未说明原因",
        "sme_late" => "中小企业款项逾期支付",
        "sme_overdue" => "中小企业款项逾期未付",
        _ => "其他",
    }
}
