//! Dates, fiscal years and quarters. The fiscal year is the calendar year (预算年度).

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// The years a date, a fiscal year or a quarter may name: 1990 (before any special bond or the
/// government procurement law) to 2100. A year outside is a typo (0000, 9999, 24 for 2024).
pub const YEAR_MIN: i32 = 1990;
pub const YEAR_MAX: i32 = 2100;

/// Refuses a year outside [`YEAR_MIN`]..=[`YEAR_MAX`]; `what` is the text as written.
pub fn check_year(year: i32, what: &str) -> Result<i32, String> {
    if (YEAR_MIN..=YEAR_MAX).contains(&year) {
        Ok(year)
    } else {
        Err(format!(
            "“{}”的年份不在 {YEAR_MIN} 至 {YEAR_MAX} 年之间",
            crate::text::excerpt(what)
        ))
    }
}

/// Parses the three date spellings of interchange.md: `2022-06-30`, `2022/6/30`, `2022年6月30日`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let date = parse_any_date(text)?;
    check_year(date.year(), text.trim())?;
    Ok(date)
}

fn parse_any_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    if let Some(date) = iso_date(text) {
        return Ok(date);
    }
    let bad = || {
        format!(
            "“{}”不是日期（应如 2022-06-30、2022/6/30 或 2022年6月30日）",
            crate::text::excerpt(text)
        )
    };
    let (year, month, day) = date_parts(text).ok_or_else(bad)?;
    let number = |s: &str, max_len: usize| -> Option<u32> {
        let s = s.trim();
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, day) = match (number(year, 4), number(month, 2), number(day, 2)) {
        (Some(y), Some(m), Some(d)) if year.trim().len() == 4 => (y, m, d),
        _ => return Err(bad()),
    };
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| format!("“{text}”不是存在的日期"))
}

/// `2022-06-30` exactly, the spelling of nearly every row, read without the general path.
fn iso_date(text: &str) -> Option<NaiveDate> {
    let b: &[u8; 10] = text.as_bytes().try_into().ok()?;
    let digits = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
}

/// Year, month and day as written, in any of the three spellings.
fn date_parts(text: &str) -> Option<(&str, &str, &str)> {
    if let Some(rest) = text.strip_suffix('日') {
        let (year, rest) = rest.split_once('年')?;
        let (month, day) = rest.split_once('月')?;
        return Some((year, month, day));
    }
    let mut parts = text.split(if text.contains('-') { '-' } else { '/' });
    let found = (parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some(found)
}

/// A quarter of a fiscal year, written `2023Q2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub number: u32,
}

impl Quarter {
    pub fn parse(text: &str) -> Result<Quarter, String> {
        let bad = || format!("“{}”不是季度（应如 2023Q2）", crate::text::excerpt(text));
        let (year, number) = text
            .trim()
            .to_ascii_uppercase()
            .split_once('Q')
            .map(|(y, q)| (y.to_string(), q.to_string()))
            .ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let number: u32 = number.parse().map_err(|_| bad())?;
        // The stored form (sum keys) is read with this too: years the ledger accepted before the
        // plausible range (1900–9999) still read. What a user types goes through `parse_typed`.
        if !(1..=4).contains(&number) || !(1900..=9999).contains(&year) {
            return Err(bad());
        }
        Ok(Quarter { year, number })
    }

    /// A quarter typed by a user (`--quarter`): also within [`YEAR_MIN`]..=[`YEAR_MAX`].
    pub fn parse_typed(text: &str) -> Result<Quarter, String> {
        let quarter = Quarter::parse(text)?;
        check_year(quarter.year, text.trim())?;
        Ok(quarter)
    }

    pub fn of(date: NaiveDate) -> Quarter {
        Quarter {
            year: date.year(),
            number: date.month0() / 3 + 1,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, (self.number - 1) * 3 + 1, 1)
            .expect("quarters start on real days")
    }

    pub fn last_day(self) -> NaiveDate {
        let next = if self.number == 4 {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year, self.number * 3 + 1, 1)
        };
        next.and_then(|d| d.pred_opt())
            .expect("quarters end on real days")
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_spellings_of_a_date() {
        let expect = NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
        for text in ["2022-06-30", "2022/6/30", "2022年6月30日", " 2022-6-30 "] {
            assert_eq!(parse_date(text), Ok(expect), "{text}");
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        for text in [
            "2022-02-30",
            "2022-13-01",
            "22-1-1",
            "2022.1.1",
            "",
            "2022年6月",
            "2022-1-1-1",
            "+2022-1-1",
            "0000-01-01",
            "9999-12-31",
            "1989-12-31",
            "2101-01-01",
        ] {
            assert!(parse_date(text).is_err(), "{text}");
        }
    }

    #[test]
    fn quarters_have_first_and_last_days() {
        let q = Quarter::parse("2023q2").unwrap();
        assert_eq!(q.to_string(), "2023Q2");
        assert_eq!(q.first_day(), NaiveDate::from_ymd_opt(2023, 4, 1).unwrap());
        assert_eq!(q.last_day(), NaiveDate::from_ymd_opt(2023, 6, 30).unwrap());
        assert_eq!(
            Quarter::parse("2023Q4").unwrap().last_day(),
            NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()
        );
        assert!(Quarter::parse("2023Q5").is_err());
        assert!(Quarter::parse_typed("24Q1").is_err());
        assert!(Quarter::parse_typed("9999Q4").is_err());
        assert!(Quarter::parse_typed("2023Q4").is_ok());
        // As stored by earlier versions, which took any year from 1900.
        assert!(Quarter::parse("9999Q4").is_ok());
    }
}
