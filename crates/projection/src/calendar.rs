//! The official working-day calendar (`ledger-data/calendar/`), compiled in and parsed once.
//!
//! Weekends are off and Monday to Friday worked, except the days the State Council's yearly holiday
//! notice lists: its holidays off, its 调休 weekend days worked. A year the file does not cover falls
//! back to Monday–Friday; the callers say so in a note ([`Calendar::covers`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};

const DAYS_CSV: &str = include_str!("../../../ledger-data/calendar/days.csv");
const NOTICES_CSV: &str = include_str!("../../../ledger-data/calendar/notices.csv");

/// The calendar: the days that differ from Monday–Friday, and the years its notices cover.
#[derive(Debug, Default)]
pub struct Calendar {
    /// true: a 调休 working weekend day; false: a holiday.
    exceptions: BTreeMap<NaiveDate, bool>,
    years: BTreeSet<i32>,
}

/// The shipped calendar.
pub fn official() -> &'static Calendar {
    static CALENDAR: OnceLock<Calendar> = OnceLock::new();
    CALENDAR.get_or_init(|| Calendar::parse(DAYS_CSV, NOTICES_CSV))
}

impl Calendar {
    /// Reads `date,kind,festival,notice_year` and `notice_year,…`; a line that does not read is
    /// skipped (the shipped files are checked by the tests below).
    pub fn parse(days: &str, notices: &str) -> Calendar {
        let exceptions = days
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut cells = line.split(',');
                let date = cells.next()?.trim().parse().ok()?;
                let working = match cells.next()?.trim() {
                    "workday" => true,
                    "holiday" => false,
                    _ => return None,
                };
                Some((date, working))
            })
            .collect();
        let years = notices
            .lines()
            .skip(1)
            .filter_map(|line| line.split(',').next()?.trim().parse().ok())
            .collect();
        Calendar { exceptions, years }
    }

    /// Whether the official notices cover the year (otherwise Monday–Friday is assumed).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn is_working(&self, date: NaiveDate) -> bool {
        self.exceptions
            .get(&date)
            .copied()
            .unwrap_or(!matches!(date.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// `date` if it is a working day, else the next working day (民法典第二百零三条: a period ending
    /// on a rest day ends on the day after it).
    pub fn working_on_or_after(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date;
        // The longest run of rest days is the Spring Festival's (ten days in 2020): a bound, not a
        // loop without end, for dates at the edge of the calendar type.
        for _ in 0..30 {
            if self.is_working(day) {
                return day;
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
        }
        day
    }

    /// The `n`th working day after `date`, `date` itself not counted.
    pub fn working_days_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        for _ in 0..n {
            day = match day.succ_opt() {
                Some(next) => self.working_on_or_after(next),
                None => day,
            };
        }
        day
    }

    /// Whether any day from `from` to `to` lies in a year the calendar does not cover.
    pub fn covers_span(&self, from: NaiveDate, to: NaiveDate) -> bool {
        (from.year()..=to.year()).all(|y| self.covers(y))
    }
}

/// `date` plus `days` calendar days (the day itself not counted), saturating at the end of time.
pub fn plus_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// The note a report gives when a date it computed lies outside the calendar's years.
pub fn fallback_note(year: i32) -> String {
    format!("{year} 年不在随程序的工作日历（2020 年起各年国务院办公厅节假日安排）中，该年按周一至周五为工作日计算")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_shipped_calendar_covers_2020_to_2026_and_every_line_reads() {
        let calendar = official();
        for year in 2020..=2026 {
            assert!(calendar.covers(year), "{year}");
        }
        assert!(!calendar.covers(2019) && !calendar.covers(2027));
        let lines = DAYS_CSV.lines().skip(1).filter(|l| !l.trim().is_empty());
        assert_eq!(calendar.exceptions.len(), lines.count());
    }

    #[test]
    fn national_day_2023_and_its_working_weekend() {
        let calendar = official();
        // 29 Sep – 6 Oct off; Saturday 7 and Sunday 8 October worked.
        assert!(!calendar.is_working(d("2023-09-29")));
        assert!(!calendar.is_working(d("2023-10-06")));
        assert!(calendar.is_working(d("2023-10-07")));
        assert!(calendar.is_working(d("2023-10-08")));
        // Signed 2023-09-28: the 1st working day after is 7 October, the 2nd 8 October.
        assert_eq!(
            calendar.working_days_after(d("2023-09-28"), 2),
            d("2023-10-08")
        );
        assert_eq!(
            calendar.working_on_or_after(d("2023-10-01")),
            d("2023-10-07")
        );
    }

    #[test]
    fn the_spring_festival_2024_is_skipped() {
        let calendar = official();
        // 2024: 10–17 February off, Sunday 4 and Saturday 18 February worked.
        assert!(calendar.is_working(d("2024-02-04")));
        assert!(!calendar.is_working(d("2024-02-12")));
        assert!(calendar.is_working(d("2024-02-18")));
        // Signed Thursday 8 February: the 1st working day is Friday the 9th, the 2nd Sunday the 18th.
        assert_eq!(
            calendar.working_days_after(d("2024-02-08"), 2),
            d("2024-02-18")
        );
    }

    #[test]
    fn years_outside_the_calendar_fall_back_to_monday_to_friday() {
        let calendar = official();
        // 2030-10-01 is a Tuesday: worked, as no notice covers 2030.
        assert!(calendar.is_working(d("2030-10-01")));
        assert_eq!(
            calendar.working_on_or_after(d("2030-10-05")),
            d("2030-10-07")
        );
        assert!(!calendar.covers_span(d("2026-12-30"), d("2027-01-02")));
    }
}
