//! `taizhang check`: every warning the ledger holds now (domain.md "Warnings at posting"). It finds
//! problems to look into; it never fails because of them (exit 0 whatever it finds).

use std::collections::BTreeSet;

use serde_json::json;
use taizhang_core::Body;
use taizhang_projection::warnings::{self, Warning};
use taizhang_store::Ledger;

use crate::cli::LogFormat;
use crate::output;

pub fn run(ledger: &Ledger, format: LogFormat) -> anyhow::Result<bool> {
    let found = every_warning(ledger)?;
    match format {
        LogFormat::Json => output::json(&json!({
            "count": found.len(),
            "warnings": found.iter().map(|w| json!({
                "rule": w.rule,
                "subject": w.subject,
                "message": w.message,
            })).collect::<Vec<_>>(),
        })),
        LogFormat::Table => output::out(&as_text(&found)),
    }
    Ok(true)
}

/// The state's warnings, the declared sizes' and those of every payment still standing (a reversed
/// payment's warning went with it).
fn every_warning(ledger: &Ledger) -> anyhow::Result<Vec<Warning>> {
    let facts = ledger.facts()?;
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
    Ok(found)
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
        _ => "其他",
    }
}
