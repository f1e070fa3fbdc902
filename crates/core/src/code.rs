//! Functional classification codes (功能分类科目): 类 (3 digits), 款 (5), 项 (7).

use std::fmt;

/// The level of a classification code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Lei,
    Kuan,
    Xiang,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Lei => "类",
            Level::Kuan => "款",
            Level::Xiang => "项",
        }
    }
}

/// A classification code of any level, digits only. Held inline: codes are copied into every
/// posting and running-sum key, and a heap string each time showed in the import's profile.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClassCode {
    digits: [u8; 7],
    len: u8,
}

impl ClassCode {
    /// Parses a 3, 5 or 7 digit code.
    pub fn parse(text: &str) -> Result<ClassCode, String> {
        let text = text.trim();
        let digits = text.bytes().all(|b| b.is_ascii_digit());
        if !digits || ![3, 5, 7].contains(&text.len()) {
            return Err(format!(
                "“{text}”不是功能分类科目编码（应为3位类、5位款或7位项的数字）"
            ));
        }
        Ok(ClassCode::of_digits(text.as_bytes()))
    }

    /// `bytes` are 3, 5 or 7 ASCII digits.
    fn of_digits(bytes: &[u8]) -> ClassCode {
        let mut digits = [0; 7];
        digits[..bytes.len()].copy_from_slice(bytes);
        ClassCode {
            digits,
            len: bytes.len() as u8,
        }
    }

    pub fn level(&self) -> Level {
        match self.len {
            3 => Level::Lei,
            5 => Level::Kuan,
            _ => Level::Xiang,
        }
    }

    /// The 款 and 类 above this code, nearest first.
    pub fn ancestors(&self) -> Vec<ClassCode> {
        self.ancestor_strs()
            .map(|s| ClassCode::of_digits(s.as_bytes()))
            .collect()
    }

    /// The 款 and 类 codes above this one, nearest first, without allocating.
    pub fn ancestor_strs(&self) -> impl Iterator<Item = &str> {
        let code = self.as_str();
        [5, 3]
            .into_iter()
            .filter(move |&len| len < code.len())
            .map(move |len| &code[..len])
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this is always the code.
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Debug for ClassCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClassCode({:?})", self.as_str())
    }
}

/// Ordered as the code's text: "229" before "22904" before "2290402".
impl Ord for ClassCode {
    fn cmp(&self, other: &ClassCode) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for ClassCode {
    fn partial_cmp(&self, other: &ClassCode) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ClassCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 7-digit 项 code: what every posting carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionCode(ClassCode);

impl FunctionCode {
    pub fn parse(text: &str) -> Result<FunctionCode, String> {
        let code = ClassCode::parse(text)
            .ok()
            .filter(|c| c.level() == Level::Xiang)
            .ok_or_else(|| format!("“{}”不是7位项级功能分类科目编码", text.trim()))?;
        Ok(FunctionCode(code))
    }

    pub fn class(&self) -> &ClassCode {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for FunctionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_know_their_parents() {
        let code = FunctionCode::parse("2290402").unwrap();
        let parents: Vec<String> = code
            .class()
            .ancestors()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(parents, ["22904", "229"]);
    }

    #[test]
    fn codes_order_as_their_text() {
        let mut codes: Vec<ClassCode> = ["2290402", "229", "22904", "2120803", "2010350"]
            .iter()
            .map(|c| ClassCode::parse(c).unwrap())
            .collect();
        codes.sort();
        let texts: Vec<&str> = codes.iter().map(ClassCode::as_str).collect();
        assert_eq!(texts, ["2010350", "2120803", "229", "22904", "2290402"]);
    }

    #[test]
    fn postings_need_seven_digits() {
        assert!(FunctionCode::parse("22904").is_err());
        assert!(FunctionCode::parse("229040A").is_err());
        assert!(ClassCode::parse("2290").is_err());
        assert_eq!(ClassCode::parse("229").unwrap().level(), Level::Lei);
    }
}

/// A 部门预算支出经济分类 code (3-digit 类 or 5-digit 款), as a payment may carry it (domain.md "Bond
/// money rules").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EconCode(String);

impl EconCode {
    pub fn parse(text: &str) -> Result<EconCode, String> {
        let text = text.trim();
        if !text.bytes().all(|b| b.is_ascii_digit()) || ![3, 5].contains(&text.len()) {
            return Err(format!(
                "“{}”不是经济分类科目编码（应为3位类或5位款的数字）",
                crate::text::excerpt(text)
            ));
        }
        Ok(EconCode(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the code is recurring spending (经常性支出): 301 工资福利支出, 302 商品和服务支出,
    /// 303 对个人和家庭的补助, or a 款 under them. Bond money may never pay it (预算法第三十五条).
    pub fn is_recurring(&self) -> bool {
        ["301", "302", "303"].contains(&&self.0[..3])
    }
}

impl fmt::Display for EconCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod econ_tests {
    use super::EconCode;

    #[test]
    fn recurring_codes_are_301_302_303_and_their_kuan() {
        for code in ["301", "30101", "302", "30299", "303"] {
            assert!(EconCode::parse(code).unwrap().is_recurring(), "{code}");
        }
        for code in ["309", "310", "31002", "304"] {
            assert!(!EconCode::parse(code).unwrap().is_recurring(), "{code}");
        }
        for bad in ["30", "3010", "3010101", "30a", ""] {
            assert!(EconCode::parse(bad).is_err(), "{bad}");
        }
    }
}
