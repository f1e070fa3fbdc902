//! What "today" is for the clocks: Beijing's date (the units keep Beijing time whatever the
//! computer's zone), or the day `TAIZHANG_TODAY` (YYYY-MM-DD) gives, to see the ledger as of another
//! day (the guide's transcripts and the tests use it).

use chrono::{FixedOffset, NaiveDate};

/// Beijing's date now.
pub fn beijing_today() -> NaiveDate {
    let now = chrono::Utc::now();
    match FixedOffset::east_opt(8 * 3600) {
        Some(beijing) => now.with_timezone(&beijing).date_naive(),
        None => now.date_naive(),
    }
}

/// `TAIZHANG_TODAY` when set (or why it cannot be read), else Beijing's date.
pub fn today() -> Result<NaiveDate, String> {
    match std::env::var("TAIZHANG_TODAY") {
        Ok(text) => {
            taizhang_core::parse_date(&text).map_err(|e| format!("环境变量 TAIZHANG_TODAY：{e}"))
        }
        Err(_) => Ok(beijing_today()),
    }
}
