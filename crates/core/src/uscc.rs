//! 统一社会信用代码 (GB 32100-2015) with the organization code inside it (GB 11714-1997).

use std::fmt;

/// The 31 characters a code may use: digits and capitals without I, O, S, V, Z.
const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A valid 18-character unified social credit code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Uscc(String);

impl Uscc {
    pub fn parse(text: &str) -> Result<Uscc, String> {
        let code = text.trim().to_ascii_uppercase();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(format!(
                "统一社会信用代码“{code}”应为18位，实为{}位",
                chars.len()
            ));
        }
        let values: Vec<u32> = chars
            .iter()
            .map(|&c| {
                charset_value(c).ok_or_else(|| {
                    format!("统一社会信用代码“{code}”含不允许的字符“{c}”（不使用 I、O、S、V、Z）")
                })
            })
            .collect::<Result<_, _>>()?;
        if !chars[2..8].iter().all(char::is_ascii_digit) {
            return Err(format!(
                "统一社会信用代码“{code}”第3至8位应为行政区划码（数字）"
            ));
        }
        let org_check = organization_check(&chars[8..16]);
        if org_check != chars[16] {
            return Err(format!(
                "统一社会信用代码“{code}”中组织机构代码的校验码应为“{org_check}”，实为“{}”",
                chars[16]
            ));
        }
        let check = uscc_check(&values[..17]);
        if check != chars[17] {
            return Err(format!(
                "统一社会信用代码“{code}”的校验码应为“{check}”，实为“{}”",
                chars[17]
            ));
        }
        Ok(Uscc(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn charset_value(c: char) -> Option<u32> {
    CHARSET.find(c).map(|i| i as u32)
}

/// The 18th character of a code whose first 17 characters have these charset values.
pub fn uscc_check(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    CHARSET.as_bytes()[check as usize] as char
}

/// The 9th character of an organization code: letters count A=10 … Z=35, as GB 11714 says.
fn organization_check(body: &[char]) -> char {
    let sum: u32 = body
        .iter()
        .zip(ORG_WEIGHTS)
        .map(|(&c, w)| c.to_digit(36).unwrap_or(0) * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).expect("a digit below 10"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_code_is_valid() {
        assert!(Uscc::parse("91350100M000100Y43").is_ok());
        assert!(Uscc::parse("91350100m000100y43").is_ok());
    }

    #[test]
    fn wrong_check_characters_are_named() {
        let err = Uscc::parse("91350100M000100Y44").unwrap_err();
        assert!(err.contains("校验码应为“3”"), "{err}");
        let err = Uscc::parse("91350100M000100Y53").unwrap_err();
        assert!(err.contains("组织机构代码"), "{err}");
        let err = Uscc::parse("91350100M0I0100Y43").unwrap_err();
        assert!(err.contains("“I”"), "{err}");
        assert!(Uscc::parse("9135010").is_err());
    }
}
