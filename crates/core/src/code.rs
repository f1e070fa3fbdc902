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

/// A classification code of any level, digits only.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassCode(String);

impl ClassCode {
    /// Parses a 3, 5 or 7 digit code.
    pub fn parse(text: &str) -> Result<ClassCode, String> {
        let text = text.trim();
        let digits = text.chars().all(|c| c.is_ascii_digit());
        if !digits || ![3, 5, 7].contains(&text.len()) {
            return Err(format!(
                "“{text}”不是功能分类科目编码（应为3位类、5位款或7位项的数字）"
            ));
        }
        Ok(ClassCode(text.to_string()))
    }

    pub fn level(&self) -> Level {
        match self.0.len() {
            3 => Level::Lei,
            5 => Level::Kuan,
            _ => Level::Xiang,
        }
    }

    /// The 款 and 类 above this code, nearest first.
    pub fn ancestors(&self) -> Vec<ClassCode> {
        [5, 3]
            .into_iter()
            .filter(|&len| len < self.0.len())
            .map(|len| ClassCode(self.0[..len].to_string()))
            .collect()
    }

    /// The 款 and 类 codes above this one, nearest first, without allocating.
    pub fn ancestor_strs(&self) -> impl Iterator<Item = &str> {
        [5, 3]
            .into_iter()
            .filter(|&len| len < self.0.len())
            .map(|len| &self.0[..len])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClassCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 7-digit 项 code: what every posting carries.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    fn postings_need_seven_digits() {
        assert!(FunctionCode::parse("22904").is_err());
        assert!(FunctionCode::parse("229040A").is_err());
        assert!(ClassCode::parse("2290").is_err());
        assert_eq!(ClassCode::parse("229").unwrap().level(), Level::Lei);
    }
}
