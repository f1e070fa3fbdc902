//! Text typed by people, before it is stored: what no stored text may hold, the one form it is
//! stored and compared in, and how much of it a message echoes.
//!
//! Stored text is shown in reports, the log and CSV files, and keys (voucher, contract, supplier,
//! bond and project codes) are compared byte for byte. So no stored text may hold a control
//! character (a line break or an ESC would forge lines of `log` or of a CSV file), a character that
//! is invisible (zero-width spaces and joiners, a byte order mark) or that reorders what is shown
//! (bidirectional controls): two keys that look the same must be the same. And text is stored in
//! Unicode normalization form C, so that "é" typed as one character or as "e" and an accent is one
//! key. Chinese text, ASCII and full-width forms are already in that form: for them nothing changes.

use std::borrow::Cow;
use std::fmt;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// A character no stored text may hold, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forbidden {
    /// Its place in the text, counting characters from 1.
    pub position: usize,
    pub char: char,
    /// What it is, in words.
    pub name: &'static str,
}

impl Forbidden {
    pub fn is_line_break(&self) -> bool {
        matches!(self.char, '\n' | '\r')
    }
}

impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "第 {} 个字符是{}（U+{:04X}），这类看不见或会改变显示的字符不能记入台账，请删去",
            self.position, self.name, self.char as u32
        )
    }
}

/// What a character is, if no stored text may hold it.
pub fn forbidden(c: char) -> Option<&'static str> {
    Some(match c {
        '\n' | '\r' => "换行",
        '\t' => "制表符",
        '\u{1b}' => "转义符（ESC）",
        '\u{feff}' => "字节顺序标记（BOM）",
        '\u{200b}' => "零宽空格",
        '\u{200c}' => "零宽不连字",
        '\u{200d}' => "零宽连字",
        '\u{2060}' => "零宽不换行空格",
        '\u{200e}' | '\u{200f}' | '\u{61c}' => "文字方向标记",
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => "双向文本控制符",
        '\u{2028}' => "行分隔符",
        '\u{2029}' => "段落分隔符",
        c if c.is_control() => "控制字符",
        _ => return None,
    })
}

/// The first character no stored text may hold, if there is one.
pub fn find_forbidden(text: &str) -> Option<Forbidden> {
    // Printable ASCII, most text, holds none: checked a byte at a time without decoding.
    if text.bytes().all(|b| (b' '..b'\x7f').contains(&b)) {
        return None;
    }
    text.chars().enumerate().find_map(|(i, c)| {
        forbidden(c).map(|name| Forbidden {
            position: i + 1,
            char: c,
            name,
        })
    })
}

/// Refuses text that holds a forbidden character; the message says which and where.
pub fn check(text: &str) -> Result<(), String> {
    find_forbidden(text).map_or(Ok(()), |f| Err(f.to_string()))
}

/// The text in normalization form C. Borrowed when it already is, as ASCII and Chinese text are.
pub fn nfc(text: &str) -> Cow<'_, str> {
    if plainly_nfc_bytes(text) || text.chars().all(plainly_nfc) {
        return Cow::Borrowed(text);
    }
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        IsNormalized::No | IsNormalized::Maybe => Cow::Owned(text.nfc().collect()),
    }
}

/// Whether text made only of bytes for which this holds is in NFC, read from the bytes alone: ASCII,
/// and characters from U+4000 to U+9FFF (CJK ideographs, most of Chinese text), whose UTF-8 lead bytes
/// are E4–E9 and whose other bytes are below C0. Such characters neither decompose nor compose.
#[inline]
pub fn byte_keeps_nfc(b: u8) -> bool {
    (b < 0xc0) | (b.wrapping_sub(0xe4) < 6)
}

fn plainly_nfc_bytes(text: &str) -> bool {
    text.is_ascii() || text.bytes().all(byte_keeps_nfc)
}

/// Characters that are in NFC whatever surrounds them (starters that neither decompose nor
/// compose): ASCII, CJK ideographs, CJK punctuation and full-width forms. Checked first because the
/// general test looks each character up in tables.
fn plainly_nfc(c: char) -> bool {
    matches!(c, '\0'..='\u{7f}' | '\u{3000}'..='\u{3029}' | '\u{4e00}'..='\u{9fff}' | '\u{ff01}'..='\u{ff5e}')
}

/// How many characters of someone's input a message repeats.
pub const ECHO_CHARS_MAX: usize = 40;

/// Input as a message repeats it: at most [`ECHO_CHARS_MAX`] characters, then "…".
pub fn excerpt(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(ECHO_CHARS_MAX) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

/// Whether two people's names may name the same person, for the one check where a false "no" lets
/// someone through (nobody approves their own batch): compared trimmed, in compatibility form
/// (full-width "ｓｕｎｑｉ" is "sunqi"), without case. Never a key: stored names stay as they are.
pub fn same_person(a: &str, b: &str) -> bool {
    let fold = |s: &str| -> String { s.trim().nfkc().flat_map(char::to_lowercase).collect() };
    fold(a) == fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_reordering_characters_are_found_where_they_are() {
        for (text, position, name) in [
            ("记-0\u{200b}1", 4, "零宽空格"),
            ("A\u{202e}BC", 2, "双向文本控制符"),
            ("\u{2066}x", 1, "双向文本控制符"),
            ("张三\u{1b}[31m", 3, "转义符（ESC）"),
            ("甲\u{2028}乙", 2, "行分隔符"),
            ("a\u{61c}", 2, "文字方向标记"),
            ("x\u{feff}", 2, "字节顺序标记（BOM）"),
            ("x\u{85}", 2, "控制字符"),
        ] {
            let found = find_forbidden(text).expect(text);
            assert_eq!((found.position, found.name), (position, name), "{text:?}");
        }
        for text in [
            "记-2022-001",
            "青山区大数据中心　（全角空格）",
            "Café",
            "“引号”…—",
        ] {
            assert_eq!(find_forbidden(text), None, "{text}");
        }
    }

    #[test]
    fn decomposed_text_is_composed_and_composed_text_borrowed() {
        // Every character from U+4000 to U+9FFF is a starter that neither decomposes nor composes.
        for c in '\u{4000}'..='\u{9fff}' {
            let text = format!("a{c}\u{301}");
            assert_eq!(nfc(&text), text.nfc().collect::<String>(), "{c}");
            assert!(unicode_normalization::is_nfc(&c.to_string()), "{c}");
        }
        assert_eq!(nfc("Cafe\u{301}"), "Café");
        assert!(matches!(nfc("Café"), Cow::Borrowed(_)));
        assert!(matches!(nfc("青山区，（一）"), Cow::Borrowed(_)));
        assert_eq!(nfc("\u{1100}\u{1161}"), "\u{ac00}");
    }

    #[test]
    fn long_input_is_cut_when_echoed() {
        let long = "甲".repeat(1000);
        let echoed = excerpt(&long);
        assert_eq!(echoed.chars().count(), ECHO_CHARS_MAX + 1);
        assert!(echoed.ends_with('…'));
        assert_eq!(excerpt("短"), "短");
    }

    #[test]
    fn the_same_person_under_another_spelling() {
        use super::same_person;
        assert!(same_person("sunqi", "sunqi "));
        assert!(same_person("ｓｕｎｑｉ", "sunqi"));
        assert!(same_person("SunQi", "sunqi"));
        assert!(same_person("Jos\u{e9}", "Jose\u{301}"));
        assert!(!same_person("sunqi", "sunqi2"));
        assert!(!same_person("张三", "张叁"));
    }
}
