//! Wiring for the reports: read the facts, call the projection, print in the chosen format.

use taizhang_core::Quarter;
use taizhang_interchange::reports::{self as layout, SmallMicroShareOf, Unit};
use taizhang_projection::{
    bond, checks, clock, contracts, idle, opening, procurement, table7, Facts,
};
use taizhang_store::Ledger;

use crate::cli::{Format, ShareOf, TextFormat};
use crate::output;
use taizhang_posting::Misuse;

pub enum ReportRequest {
    Table7 {
        year: i32,
        format: TextFormat,
    },
    Procurement {
        year: i32,
        format: TextFormat,
        share_of: ShareOf,
    },
    BondUse {
        quarter: String,
        format: Format,
    },
    Contracts {
        year: i32,
        format: Format,
    },
    OpeningAdjustments {
        year: i32,
        format: Format,
    },
    Schedule {
        code: String,
        format: Format,
    },
    PaymentClock {
        as_of: chrono::NaiveDate,
        format: Format,
    },
    Overdue {
        year: i32,
        format: TextFormat,
    },
    IdleFunds {
        as_of: chrono::NaiveDate,
        days: u32,
        format: Format,
    },
    ProcurementChecks {
        year: i32,
        format: Format,
    },
}

pub fn unit(ledger: &Ledger) -> Unit {
    let names = ledger.unit();
    Unit {
        full: names.full.clone(),
        short: names.short.clone(),
    }
}

pub fn share_of(s: ShareOf) -> SmallMicroShareOf {
    match s {
        ShareOf::Sme => SmallMicroShareOf::Sme,
        ShareOf::Total => SmallMicroShareOf::Total,
    }
}

pub fn run(ledger: &Ledger, request: ReportRequest) -> anyhow::Result<()> {
    let facts = ledger.facts()?;
    let unit = unit(ledger);
    if let Some(request) = clocks(ledger, &facts, &unit, request)? {
        return others(&facts, &unit, request);
    }
    Ok(())
}

/// The clocks and checks of issue 17; any other request is given back.
fn clocks(
    ledger: &Ledger,
    facts: &Facts,
    unit: &Unit,
    request: ReportRequest,
) -> anyhow::Result<Option<ReportRequest>> {
    match request {
        ReportRequest::PaymentClock { as_of, format } => {
            let c = clock::payment_clock(&ledger.flows()?, &facts.contracts, as_of);
            output::report(
                format.into(),
                &layout::payment_clock_sheet(&c, unit),
                || layout::payment_clock_json(&c),
                None,
            )?;
            notes(&c.notes);
        }
        ReportRequest::Overdue { year, format } => {
            let o = clock::overdue(&ledger.flows()?, &facts.contracts, year);
            let text = || layout::overdue_text(&o, unit);
            output::report(
                format,
                &layout::overdue_sheet(&o, unit),
                || layout::overdue_json(&o),
                Some(&text),
            )?;
            notes(&o.notes);
        }
        ReportRequest::IdleFunds {
            as_of,
            days,
            format,
        } => {
            let i = idle::idle_funds(&ledger.flows()?, as_of, days);
            output::report(
                format.into(),
                &layout::idle_funds_sheet(&i, unit),
                || layout::idle_funds_json(&i),
                None,
            )?;
        }
        ReportRequest::ProcurementChecks { year, format } => {
            let c = checks::procurement_checks(&facts.contracts, year);
            output::report(
                format.into(),
                &layout::checks_sheet(&c, unit),
                || layout::checks_json(&c),
                None,
            )?;
            notes(&c.notes);
        }
        other => return Ok(Some(other)),
    }
    Ok(None)
}

/// Notes on how a figure was computed (a year outside the calendar), on stderr: the report's own
/// output stays as interchange.md fixes it.
fn notes(notes: &[String]) {
    for note in notes {
        eprintln!("提示：{note}");
    }
}

fn others(facts: &Facts, unit: &Unit, request: ReportRequest) -> anyhow::Result<()> {
    match request {
        ReportRequest::Table7 { year, format } => {
            let t = table7::table7(facts, year);
            let text = || layout::table7_text(&t, unit, &table7::uses_by_lei(facts, year));
            output::report(
                format,
                &layout::table7_sheet(&t, unit),
                || layout::table7_json(&t, unit),
                Some(&text),
            )?;
            for tail in &t.tail_differences {
                eprintln!(
                    "提示：{} 的“{}”列有尾数误差：本行 {} 万元，下级合计 {} 万元",
                    tail.code,
                    layout::column_label(tail.column),
                    tail.parent,
                    tail.sum_of_children
                );
            }
            if !t.broken_identities.is_empty() {
                anyhow::bail!("表7 恒等式不成立：{}", t.broken_identities.join("；"));
            }
        }
        ReportRequest::Procurement {
            year,
            format,
            share_of: s,
        } => {
            let p = procurement::procurement(facts, year);
            let text = || layout::procurement_text(&p, unit, share_of(s));
            output::report(
                format,
                &layout::procurement_sheet(&p, unit),
                || layout::procurement_json(&p, unit, share_of(s)),
                Some(&text),
            )?;
        }
        ReportRequest::BondUse { quarter, format } => {
            let quarter = Quarter::parse_typed(&quarter).map_err(Misuse)?;
            let b = bond::bond_use(facts, quarter);
            output::report(
                format.into(),
                &layout::bond_use_sheet(&b, unit),
                || layout::bond_use_json(&b),
                None,
            )?;
        }
        ReportRequest::Contracts { year, format } => {
            let rows = contracts::contracts(facts, year);
            output::report(
                format.into(),
                &layout::contracts_sheet(year, &rows, unit),
                || layout::contracts_json(year, &rows),
                None,
            )?;
        }
        ReportRequest::OpeningAdjustments { year, format } => {
            let rows = opening::adjustments(facts, year);
            output::report(
                format.into(),
                &layout::opening_adjustments_sheet(year, &rows, unit),
                || layout::opening_adjustments_json(year, &rows),
                None,
            )?;
        }
        // Codes are stored in NFC: the one asked for is compared in the same form.
        ReportRequest::Schedule { code, format } => {
            schedule(facts, &taizhang_core::text::nfc(code.trim()), format)?
        }
        ReportRequest::PaymentClock { .. }
        | ReportRequest::Overdue { .. }
        | ReportRequest::IdleFunds { .. }
        | ReportRequest::ProcurementChecks { .. } => {}
    }
    Ok(())
}

fn schedule(facts: &Facts, code: &str, format: Format) -> anyhow::Result<()> {
    let Some((terms, face)) = bond::bond_face(facts, code) else {
        anyhow::bail!("债券 {code} 不在台账中");
    };
    let coupons = bond::schedule(&terms, face);
    output::report(
        format.into(),
        &layout::schedule_sheet(code, &terms.name, face, &coupons),
        || layout::schedule_json(code, &coupons),
        None,
    )?;
    Ok(())
}
