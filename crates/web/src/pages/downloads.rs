//! A report page's downloads: the same sheet as `taizhang report` and `taizhang export` build, as an
//! xlsx workbook (the interchange crate's writer) or as CSV with a BOM (Excel on a Chinese Windows
//! reads BOM-less UTF-8 as the local code page), named as the export names its files.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use taizhang_core::Quarter;
use taizhang_interchange::export::CsvEncoding;
use taizhang_interchange::layout::to_csv;
use taizhang_interchange::xlsx;
use taizhang_store::Ledger;

use crate::http::WebError;
use crate::pages::reports::{sheet_of, Report};
use crate::pages::view;
use crate::pages::view::PageError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct DownloadQuery {
    year: Option<String>,
    quarter: Option<String>,
    code: Option<String>,
    as_of: Option<String>,
    days: Option<String>,
}

#[derive(Clone, Copy)]
pub enum Format {
    Xlsx,
    Csv,
}

fn year(q: &DownloadQuery) -> Result<i32, WebError> {
    view::year_param(q.year.as_deref())?
        .ok_or_else(|| WebError::bad_request("缺少参数 year（如 year=2022）"))
}

fn quarter(q: &DownloadQuery) -> Result<Quarter, WebError> {
    view::quarter_param(q.quarter.as_deref().unwrap_or(""))
}

/// `as_of`: required in a download's address (the page writes it).
fn as_of(q: &DownloadQuery) -> Result<chrono::NaiveDate, WebError> {
    let text = q.as_of.as_deref().map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(WebError::bad_request(
            "缺少参数 as_of（如 as_of=2022-12-31）",
        ));
    }
    crate::api::parse_as_of(text)
}

fn days(q: &DownloadQuery) -> Result<u32, WebError> {
    crate::api::parse_days(q.days.as_deref().map(str::trim).filter(|t| !t.is_empty()))
}

fn code(q: &DownloadQuery) -> Result<String, WebError> {
    let code = q.code.as_deref().map(str::trim).unwrap_or("");
    if code.is_empty() {
        return Err(WebError::bad_request("缺少参数 code（债券编码）"));
    }
    Ok(taizhang_core::text::nfc(code).into_owned())
}

/// The workbook's creation time: when the newest entry was recorded (seconds since 1970, UTC), as
/// the year-end export sets it, so the same ledger gives the same bytes.
fn created_at(ledger: &Ledger) -> Result<i64, WebError> {
    let head = ledger.head()?;
    let newest = ledger.entry_at(head.count)?;
    Ok(newest.map_or(0, |p| p.record.recorded_at.0.div_euclid(1_000_000)))
}

async fn send(state: AppState, report: Report, format: Format) -> Result<Response, PageError> {
    let (name, sheet, created) = state
        .read(move |ledger| -> Result<_, WebError> {
            let (name, sheet) = sheet_of(ledger, report)?;
            Ok((name, sheet, created_at(ledger)?))
        })
        .await??;
    let (bytes, kind, ext) = match format {
        Format::Xlsx => {
            let tab: String = sheet.title.chars().take(31).collect();
            let bytes = xlsx::workbook_bytes(&[(tab, sheet)], created)
                .map_err(|e| WebError::internal(format!("写 xlsx 失败：{e}")))?;
            (
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            )
        }
        Format::Csv => {
            let bytes = CsvEncoding::Utf8Bom.encode(&to_csv(&sheet));
            (bytes, "text/csv; charset=utf-8", "csv")
        }
    };
    let file = format!("{name}.{ext}");
    // RFC 6266: an ASCII fallback and the real (possibly Chinese) name percent-encoded.
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        file.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
            "_"
        ),
        view::encode(&file)
    );
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

macro_rules! download {
    ($name:ident, $format:expr, |$q:ident| $report:expr) => {
        pub async fn $name(
            State(state): State<AppState>,
            Query($q): Query<DownloadQuery>,
        ) -> Result<Response, PageError> {
            send(state, $report, $format).await
        }
    };
}

download!(table7_xlsx, Format::Xlsx, |q| Report::Table7(year(&q)?));
download!(table7_csv, Format::Csv, |q| Report::Table7(year(&q)?));
download!(procurement_xlsx, Format::Xlsx, |q| Report::Procurement(
    year(&q)?
));
download!(procurement_csv, Format::Csv, |q| Report::Procurement(year(
    &q
)?));
download!(contracts_xlsx, Format::Xlsx, |q| Report::Contracts(year(
    &q
)?));
download!(contracts_csv, Format::Csv, |q| Report::Contracts(year(&q)?));
download!(bond_use_xlsx, Format::Xlsx, |q| Report::BondUse(quarter(
    &q
)?));
download!(bond_use_csv, Format::Csv, |q| Report::BondUse(quarter(&q)?));
download!(schedule_xlsx, Format::Xlsx, |q| Report::Schedule(code(&q)?));
download!(schedule_csv, Format::Csv, |q| Report::Schedule(code(&q)?));
download!(payment_clock_xlsx, Format::Xlsx, |q| Report::PaymentClock(
    as_of(&q)?
));
download!(payment_clock_csv, Format::Csv, |q| Report::PaymentClock(
    as_of(&q)?
));
download!(overdue_xlsx, Format::Xlsx, |q| Report::Overdue(year(&q)?));
download!(overdue_csv, Format::Csv, |q| Report::Overdue(year(&q)?));
download!(idle_funds_xlsx, Format::Xlsx, |q| Report::IdleFunds(
    as_of(&q)?,
    days(&q)?
));
download!(idle_funds_csv, Format::Csv, |q| Report::IdleFunds(
    as_of(&q)?,
    days(&q)?
));
download!(procurement_checks_xlsx, Format::Xlsx, |q| {
    Report::ProcurementChecks(year(&q)?)
});
download!(procurement_checks_csv, Format::Csv, |q| {
    Report::ProcurementChecks(year(&q)?)
});
