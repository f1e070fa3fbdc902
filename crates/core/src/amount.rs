//! Money in 元, exact to the 分. Never a float.
//!
//! An [`Amount`] always has scale 2. Parsing accepts what Excel writes ("1,234.50", "12", "0.5")
//! and refuses anything that would lose precision (a third decimal) or is not a plain decimal.

use std::borrow::Cow;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// The largest amount the ledger accepts in one row: 10^13 元 (ten trillion). Larger is a typo.
pub const AMOUNT_MAX_YUAN: i64 = 10_000_000_000_000;

/// An amount of money in 元 with exactly two decimals. May be negative (reversals, amendments).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// An amount from a number of 分 (cents).
    pub fn from_fen(fen: i64) -> Amount {
        Amount(Decimal::new(fen, 2))
    }

    /// The number of 分. Exact for any one parsed amount (bounded by [`AMOUNT_MAX_YUAN`]); a sum of
    /// many may not fit, see [`Amount::try_fen`].
    pub fn fen(self) -> i64 {
        self.try_fen()
            .expect("a single amount is bounded by AMOUNT_MAX_YUAN")
    }

    /// The number of 分, if it fits an i64 (about 9.2 × 10^16 元).
    pub fn try_fen(self) -> Option<i64> {
        i64::try_from(self.0 * Decimal::ONE_HUNDRED).ok()
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    /// Parses a written amount. `"1,234.50"`, `"1234.5"`, `"-3"` are accepted; `"1.234"`,
    /// `"1e3"`, `"abc"`, `""` are not.
    pub fn parse(text: &str) -> Result<Amount, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("金额为空".to_string());
        }
        // Decimal's own parser also takes "1_000" (Rust's digit separator): no accountant writes it,
        // and "9_9" is more likely a slip than ninety-nine. Everything else it refuses itself.
        if text.as_bytes().contains(&b'_') {
            return Err(format!(
                "“{}”不是金额（应为数字，如 1234.50）",
                crate::text::excerpt(text)
            ));
        }
        let plain = strip_thousands(text)?;
        let value = Decimal::from_str_exact(&plain)
            .map_err(|_| format!("“{text}”不是金额（应为数字，如 1234.50）"))?;
        if value.scale() > 2 && value.normalize().scale() > 2 {
            return Err(format!("“{text}”超过两位小数（金额精确到分）"));
        }
        if value.abs() > Decimal::from(AMOUNT_MAX_YUAN) {
            return Err(format!("“{text}”超出金额上限"));
        }
        Ok(Amount::from_decimal_exact(value))
    }

    /// Like [`Amount::parse`], and the amount must be greater than zero.
    pub fn parse_positive(text: &str) -> Result<Amount, String> {
        let amount = Amount::parse(text)?;
        if amount <= Amount::ZERO {
            return Err(format!("金额须大于零，实为“{}”", text.trim()));
        }
        Ok(amount)
    }

    /// Like [`Amount::parse`], and the amount must not be negative.
    pub fn parse_non_negative(text: &str) -> Result<Amount, String> {
        let amount = Amount::parse(text)?;
        if amount < Amount::ZERO {
            return Err(format!("金额不得为负，实为“{}”", text.trim()));
        }
        Ok(amount)
    }

    fn from_decimal_exact(value: Decimal) -> Amount {
        let mut value = value.normalize();
        value.rescale(2);
        Amount(value)
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// The amount in 万元, rounded half away from zero to two decimals (四舍五入).
    pub fn wan_yuan(self) -> Decimal {
        (self.0 / Decimal::from(10_000))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }
}

/// Removes thousands separators, refusing misplaced ones ("1,23.5").
fn strip_thousands(text: &str) -> Result<Cow<'_, str>, String> {
    if !text.contains(',') {
        return Ok(Cow::Borrowed(text));
    }
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let integer = body.split('.').next().unwrap_or("");
    let groups: Vec<&str> = integer.split(',').collect();
    let well_placed =
        !groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3);
    if !well_placed {
        return Err(format!("“{text}”的千位分隔符位置不对"));
    }
    Ok(Cow::Owned(format!("{sign}{}", body.replace(',', ""))))
}

impl FromStr for Amount {
    type Err = String;
    fn from_str(s: &str) -> Result<Amount, String> {
        Amount::parse(s)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl Add for Amount {
    type Output = Amount;
    fn add(self, rhs: Amount) -> Amount {
        Amount(self.0 + rhs.0)
    }
}

impl Sub for Amount {
    type Output = Amount;
    fn sub(self, rhs: Amount) -> Amount {
        Amount(self.0 - rhs.0)
    }
}

impl Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Amount {
        Amount(-self.0)
    }
}

impl AddAssign for Amount {
    fn add_assign(&mut self, rhs: Amount) {
        self.0 += rhs.0;
    }
}

impl SubAssign for Amount {
    fn sub_assign(&mut self, rhs: Amount) {
        self.0 -= rhs.0;
    }
}

impl Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Result<&str, ()>) {
        let got = Amount::parse(text).map(|a| a.to_string()).map_err(|_| ());
        assert_eq!(got, expect.map(str::to_string), "parsing {text:?}");
    }

    #[test]
    fn parses_what_excel_writes() {
        check("1,234.50", Ok("1234.50"));
        check("12", Ok("12.00"));
        check("0.5", Ok("0.50"));
        check(" -3 ", Ok("-3.00"));
        check("1.230", Ok("1.23"));
        check("1,234,567.89", Ok("1234567.89"));
    }

    #[test]
    fn refuses_what_loses_precision_or_is_not_money() {
        check("1.234", Err(()));
        check("1e3", Err(()));
        check("abc", Err(()));
        check("", Err(()));
        check("1,23.5", Err(()));
        check(",123", Err(()));
        check("NaN", Err(()));
        check("99999999999999999", Err(()));
        check("1_000.00", Err(()));
        check("9_9", Err(()));
        check("0x10", Err(()));
    }

    #[test]
    fn wan_yuan_rounds_half_away_from_zero() {
        assert_eq!(
            Amount::parse("1752200").unwrap().wan_yuan().to_string(),
            "175.22"
        );
        assert_eq!(Amount::parse("50").unwrap().wan_yuan().to_string(), "0.01");
        assert_eq!(
            Amount::parse("49.99").unwrap().wan_yuan().to_string(),
            "0.00"
        );
        assert_eq!(
            Amount::parse("-50").unwrap().wan_yuan().to_string(),
            "-0.01"
        );
    }

    #[test]
    fn fen_round_trips() {
        let a = Amount::parse("1234.56").unwrap();
        assert_eq!(a.fen(), 123456);
        assert_eq!(Amount::from_fen(a.fen()), a);
    }
}
