//! The pages, in Chinese. Each is a view over the same reports the CLI prints; forms post without
//! scripts (the CSRF token rides in the form's address), and every figure links to what makes it up.

pub mod assets;
pub mod compliance;
pub mod downloads;
pub mod entries;
pub mod fields;
pub mod layout;
pub mod login;
pub mod overview;
pub mod pending;
pub mod reports;
pub mod verify;
pub mod view;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The pages that need a logged-in caller (addresses fixed by interchange.md), and the downloads of
/// each report page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::page))
        .route("/entries", get(entries::journal))
        .route("/entries/{seq}", get(entries::entry))
        .route("/contracts/{no}", get(entries::contract))
        .route("/table7", get(reports::table7_page))
        .route("/table7/cell", get(reports::table7_cell))
        .route("/procurement", get(reports::procurement_page))
        .route("/bonds", get(reports::bonds_page))
        .route("/bond-use", get(reports::bond_use_page))
        .route("/bond-use/entries", get(reports::bond_figure))
        .route("/compliance", get(compliance::hub))
        .route("/payment-clock", get(compliance::payment_clock_page))
        .route("/overdue", get(compliance::overdue_page))
        .route("/idle-funds", get(compliance::idle_funds_page))
        .route("/procurement-checks", get(compliance::checks_page))
        .route("/export", get(verify::export))
        .route("/verify", get(verify::page))
        .route("/table7.xlsx", get(downloads::table7_xlsx))
        .route("/table7.csv", get(downloads::table7_csv))
        .route("/procurement.xlsx", get(downloads::procurement_xlsx))
        .route("/procurement.csv", get(downloads::procurement_csv))
        .route("/contracts.xlsx", get(downloads::contracts_xlsx))
        .route("/contracts.csv", get(downloads::contracts_csv))
        .route("/bond-use.xlsx", get(downloads::bond_use_xlsx))
        .route("/bond-use.csv", get(downloads::bond_use_csv))
        .route("/schedule.xlsx", get(downloads::schedule_xlsx))
        .route("/schedule.csv", get(downloads::schedule_csv))
        .route("/payment-clock.xlsx", get(downloads::payment_clock_xlsx))
        .route("/payment-clock.csv", get(downloads::payment_clock_csv))
        .route("/overdue.xlsx", get(downloads::overdue_xlsx))
        .route("/overdue.csv", get(downloads::overdue_csv))
        .route("/idle-funds.xlsx", get(downloads::idle_funds_xlsx))
        .route("/idle-funds.csv", get(downloads::idle_funds_csv))
        .route(
            "/procurement-checks.xlsx",
            get(downloads::procurement_checks_xlsx),
        )
        .route(
            "/procurement-checks.csv",
            get(downloads::procurement_checks_csv),
        )
}
