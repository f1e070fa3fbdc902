//! A damaged ledger is described in Chinese: whatever one flipped bit does to the file, what
//! `verify`, `log`, `check` and `report table7` print names the damage in the accountant's words,
//! never the storage engine's or the decoder's English, nor a dump of their types. Exit status is 0
//! or 1, never a panic.
//!
//! The flips are where damage reaches those libraries: the page that lists the tables (their names
//! and types) and the stored entries (the records the decoder reads).

mod common;

/// The ledger with one bit flipped at each of `positions` in turn, through the four commands: what
/// was said in English, with the position and the command.
fn english_after_flips(original: &[u8], positions: impl Iterator<Item = usize>) -> Vec<String> {
    let ledger = common::TestLedger::uninitialised();
    let mut found = Vec::new();
    for at in positions {
        let mut bytes = original.to_vec();
        bytes[at] ^= 1;
        std::fs::write(&ledger.path, &bytes).unwrap();
        for args in [
            &["verify"][..],
            &["log"],
            &["check"],
            &["report", "table7", "--year", "2022"],
        ] {
            let out = ledger.cmd(args).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "flip at {at}, {args:?}: {stderr}"
            );
            let said = stderr.replace(ledger.path.to_str().unwrap(), "");
            if let Some(word) = english_word(&said) {
                found.push(format!("flip at {at}, {args:?}: “{word}” in {said}"));
            }
        }
    }
    found
}

/// An ASCII word of four or more letters outside paths, option names, hashes and the known words: English. (Where
/// the engine stopped, "btree.rs:686", is a place in its source, named on purpose.)
fn english_word(text: &str) -> Option<String> {
    text.split_whitespace()
        .filter(|token| !token.contains('/') && !token.contains(".rs:") && !token.starts_with("--"))
        .flat_map(|token| token.split(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|token| !(token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit())))
        .flat_map(|token| token.split(|c: char| !c.is_ascii_alphabetic()))
        .find(|w| w.len() >= 4 && !KNOWN.contains(w))
        .map(str::to_string)
}

/// The program's name, its commands (a message may say which to run) and JSON.
const KNOWN: [&str; 12] = [
    "taizhang", "JSON", "verify", "unit", "init", "import", "check", "report", "backup", "archive",
    "restore", "table",
];

fn find(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(at, _)| at)
        .collect()
}

#[test]
fn a_flipped_bit_in_the_table_list_or_an_entry_is_described_in_chinese() {
    let ledger = common::two_year();
    let original = std::fs::read(&ledger.path).unwrap();
    // The table list: every table's name is stored there, next to its types. redb writes a changed
    // page to a new place, so an older copy may be in the file too: around each.
    let lists = find(&original, b"keys_short");
    assert!(!lists.is_empty());
    let table_lists = lists
        .iter()
        .flat_map(|&at| at.saturating_sub(100)..(at + 100).min(original.len()));
    // The entries: the records of the payments, whose vouchers start "P22-".
    let voucher = find(&original, b"P22-");
    assert!(!voucher.is_empty());
    let entries = voucher[0].saturating_sub(150)..(voucher[0] + 150).min(original.len());
    let english = english_after_flips(&original, table_lists.chain(entries.step_by(2)));
    assert!(english.is_empty(), "{english:#?}");
}
