//! Fitting a report to the terminal's width: the width of text as a terminal shows it (CJK characters
//! take two columns), wrapping that never breaks a figure, a code or a date, and the widths a table's
//! columns get. Only for a terminal: output to a file or a pipe keeps its one full-width layout.

use std::io::IsTerminal;

use unicode_width::UnicodeWidthChar;

/// Columns of the terminal stdout is; `None` when stdout is a file or a pipe. `COLUMNS` is asked
/// only when the terminal does not say its size.
pub fn width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .filter(|&w| w > 0)
}

/// Display width of a text in terminal columns.
pub fn text_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Punctuation that closes what comes before it (避头点).
const CLOSING: &str = "）】」』，。、；：！？”’)";

/// A text cut into what may not be broken: runs of narrow characters (a figure "1,234.50", a code
/// "QS-ZHXQS-1", a date), single wide characters (CJK text breaks between any two), and spaces.
fn tokens(line: &str) -> Vec<&str> {
    let mut tokens: Vec<&str> = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let narrow = |c: char| char_width(c) < 2 && !c.is_whitespace();
        let end = if narrow(c) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !narrow(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            end
        } else {
            i + c.len_utf8()
        };
        // Closing punctuation does not start a line: it goes with the piece before it.
        match tokens.last_mut() {
            Some(last) if CLOSING.contains(c) && !last.trim().is_empty() => {
                // Pieces are contiguous: the one before ends where this character starts.
                let start = i - last.len();
                *last = &line[start..end];
            }
            _ => tokens.push(&line[i..end]),
        }
    }
    tokens
}

/// The widest piece of a text that wrapping keeps whole.
pub fn unbreakable_width(text: &str) -> usize {
    text.lines()
        .flat_map(tokens)
        .map(text_width)
        .max()
        .unwrap_or(0)
}

/// The text wrapped to `width` columns: breaks at spaces and between wide characters; a piece wider
/// than the width (only where the caller allowed it) is cut by characters.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut lines = Vec::new();
    for line in text.lines() {
        let mut current = String::new();
        let mut used = 0;
        // An indent ("  其中：货物") is kept on the line's first piece; spaces elsewhere may break.
        let mut leading = true;
        for token in tokens(line) {
            let w = text_width(token);
            if token.trim().is_empty() {
                if (leading || used > 0) && used + w <= width {
                    current.push_str(token);
                    used += w;
                }
                continue;
            }
            leading = false;
            if used + w > width && used > 0 {
                lines.push(std::mem::take(&mut current).trim_end().to_string());
                used = 0;
            }
            if w > width {
                for c in token.chars() {
                    if used + char_width(c) > width {
                        lines.push(std::mem::take(&mut current));
                        used = 0;
                    }
                    current.push(c);
                    used += char_width(c);
                }
            } else {
                current.push_str(token);
                used += w;
            }
        }
        lines.push(current.trim_end().to_string());
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Column widths that fit `total` columns of content: each column at least its `min`, the rest
/// given to the columns furthest from their natural width. `None` when even the minimums do not fit.
pub fn fit_columns(natural: &[usize], min: &[usize], total: usize) -> Option<Vec<usize>> {
    let needed: usize = min.iter().sum();
    if needed > total {
        return None;
    }
    let mut widths = min.to_vec();
    let mut spare = total - needed;
    while spare > 0 {
        let Some((i, _)) = widths
            .iter()
            .zip(natural)
            .enumerate()
            .filter(|(_, (w, n))| w < n)
            .max_by_key(|(_, (w, n))| *n - *w)
        else {
            break;
        };
        widths[i] += 1;
        spare -= 1;
    }
    Some(widths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_codes_stay_whole_and_chinese_breaks_anywhere() {
        assert_eq!(text_width("合计 7,115.81"), 13);
        assert_eq!(unbreakable_width("P1 智慧新青山 100,000,000.00"), 14);
        assert_eq!(
            wrap("QS-ZHXQS-1 智慧新青山（一期）", 12),
            ["QS-ZHXQS-1", "智慧新青山（", "一期）"]
        );
        assert_eq!(wrap("年初结转和结余\n1", 8), ["年初结转", "和结余", "1"]);
        assert_eq!(wrap("", 8), [""]);
        assert_eq!(wrap("  其中：货物", 20), ["  其中：货物"]);
        assert_eq!(wrap("企业（占货物支出）", 16), ["企业（占货物支", "出）"]);
    }

    #[test]
    fn spare_columns_go_where_they_are_missed_most() {
        assert_eq!(fit_columns(&[10, 40], &[4, 2], 30), Some(vec![4, 26]));
        assert_eq!(fit_columns(&[10, 40], &[4, 2], 5), None);
        assert_eq!(fit_columns(&[3, 4], &[3, 2], 100), Some(vec![3, 4]));
    }
}
