//! The user's documents cannot drift from the program:
//! - docs/guide.md is run: every command of its code blocks, in order, in one folder holding a copy
//!   of the bundled example, each transcript's printed lines compared with what the program prints
//!   (hashes aside);
//! - docs/formats.md lists exactly the columns the program reads, and its example rows import.
//!
//! How the guide is read:
//! - a ```sh block: each line is a command (`taizhang …`, or `cargo run --release -- …` for the
//!   program itself); a `# comment` at the end of a line is dropped; the command must succeed;
//! - a ``` block whose lines start with `$ `: a transcript; `$ taizhang …` is run and the lines after it
//!   are what it prints (stdout, then stderr); `$ export NAME=VALUE` sets the environment of the
//!   commands after it; a transcript showing a refusal (已拒绝, 用法错误, 错误：, 校验未通过) expects
//!   the command to fail;
//! - a ```csv NAME block: the file NAME, written into the folder before the commands after it;
//! - a block right after the line `<!-- guide-test: skip -->` is not run: for commands that need what
//!   the guide only names (a user's own files, another computer). Use it sparingly.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::example;
use taizhang_interchange::columns;

const SKIP_MARKER: &str = "<!-- guide-test: skip -->";

/// A fenced block of a Markdown document.
struct Block {
    info: String,
    lines: Vec<String>,
    skip: bool,
    /// The line of the opening fence, 1-based, for messages.
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    let mut previous = "";
    for (i, line) in markdown.lines().enumerate() {
        match (&mut open, line.trim_start().strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_string(),
                    lines: Vec::new(),
                    skip: previous.trim() == SKIP_MARKER,
                    line: i + 1,
                })
            }
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some(block), None) => block.lines.push(line.to_string()),
            (None, None) => {}
        }
        if !line.trim().is_empty() {
            previous = line;
        }
    }
    blocks
}

/// Splits a command line as a shell would for the guide's commands: words, quotes, no expansion.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
}

/// The folder the guide runs in, and the environment its `export` lines set.
struct Session {
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl Session {
    fn new() -> Session {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("qingshan-2022");
        std::fs::create_dir(&copy).unwrap();
        for file in std::fs::read_dir(example()).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "csv") {
                std::fs::copy(&file, copy.join(file.file_name().unwrap())).unwrap();
            }
        }
        Session {
            dir,
            env: BTreeMap::new(),
        }
    }

    /// Runs the program with the words after `taizhang`; returns success, stdout and stderr.
    fn run(&self, args: &[String]) -> (bool, String, String) {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("taizhang"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("TAIZHANG_LEDGER")
            .env_remove("COLUMNS")
            .env("USER", "会计");
        command.envs(&self.env);
        let out = command.output().expect("the binary runs");
        (
            out.status.success(),
            String::from_utf8(out.stdout).expect("UTF-8 stdout"),
            String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        )
    }

    /// The program's words of a guide command, or `None` when it is not the program's.
    fn program_args(line: &str) -> Option<Vec<String>> {
        let line = match line.find(" #") {
            Some(at) => &line[..at],
            None => line,
        };
        let line = line.trim();
        let rest = line
            .strip_prefix("taizhang ")
            .or_else(|| line.strip_prefix("cargo run --release -- "))?;
        Some(words(rest))
    }

    fn sh(&self, block: &Block) {
        for line in block.lines.iter().filter(|l| !l.trim().is_empty()) {
            let args = Self::program_args(line).unwrap_or_else(|| {
                panic!(
                    "guide.md:{}: “{line}” is not a taizhang command (mark the block with {SKIP_MARKER})",
                    block.line
                )
            });
            let (ok, _, stderr) = self.run(&args);
            assert!(ok, "guide.md:{}: `{line}` failed:\n{stderr}", block.line);
        }
    }

    fn transcript(&mut self, block: &Block) {
        let mut steps: Vec<(String, Vec<String>)> = Vec::new();
        for line in &block.lines {
            match line.strip_prefix("$ ") {
                Some(command) => steps.push((command.to_string(), Vec::new())),
                None => steps
                    .last_mut()
                    .unwrap_or_else(|| panic!("guide.md:{}: output before a command", block.line))
                    .1
                    .push(line.clone()),
            }
        }
        for (command, expected) in steps {
            if let Some(assignment) = command.strip_prefix("export ") {
                let (name, value) = assignment.split_once('=').expect("export NAME=VALUE");
                self.env.insert(name.to_string(), value.to_string());
                continue;
            }
            let args = Self::program_args(&command).unwrap_or_else(|| {
                panic!(
                    "guide.md:{}: “{command}” is not a taizhang command",
                    block.line
                )
            });
            let (ok, stdout, stderr) = self.run(&args);
            let refused = expected.iter().any(|l| {
                ["已拒绝", "用法错误", "错误：", "校验未通过"]
                    .iter()
                    .any(|w| l.starts_with(w))
            });
            assert_eq!(
                ok,
                !refused,
                "guide.md:{}: `{command}` {}:\n{stdout}{stderr}",
                block.line,
                if refused {
                    "should be refused"
                } else {
                    "failed"
                }
            );
            let actual: Vec<String> = stdout.lines().chain(stderr.lines()).map(normal).collect();
            let expected: Vec<String> = expected.iter().map(|l| normal(l)).collect();
            assert_eq!(
                actual, expected,
                "guide.md:{}: `{command}` prints otherwise than the guide shows",
                block.line
            );
        }
    }

    fn file(&self, block: &Block, name: &str) {
        let mut text = block.lines.join("\n");
        text.push('\n');
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }
}

/// A line as compared: trailing spaces dropped, hashes (64 hex digits) alike, recorded times alike.
fn normal(line: &str) -> String {
    let line = times_alike(line);
    let mut out = String::new();
    let mut hex = String::new();
    for c in line.trim_end().chars() {
        if c.is_ascii_hexdigit() {
            hex.push(c);
            continue;
        }
        out.push_str(if hex.len() == 64 { "<哈希>" } else { &hex });
        hex.clear();
        out.push(c);
    }
    out.push_str(if hex.len() == 64 { "<哈希>" } else { &hex });
    out
}

/// "2026-12-02 14:30:15+08:00" (as `log` prints a recorded time) becomes "<时间>".
fn times_alike(line: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-dd dd:dd:dd+08:00";
    let bytes = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let fits = bytes.len() - i >= SHAPE.len()
            && SHAPE.iter().zip(&bytes[i..]).all(|(&s, &b)| {
                if s == b'd' {
                    b.is_ascii_digit()
                } else {
                    s == b
                }
            });
        if fits {
            out.push_str("<时间>");
            i += SHAPE.len();
        } else {
            let c = line[i..].chars().next().expect("a character starts here");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn doc(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join(name),
    )
    .expect("the document exists")
}

#[test]
fn every_command_of_the_guide_runs_as_the_guide_shows() {
    let guide = doc("guide.md");
    let mut session = Session::new();
    let mut run = 0;
    for block in blocks(&guide).iter().filter(|b| !b.skip) {
        let info: Vec<&str> = block.info.split_whitespace().collect();
        match info.as_slice() {
            ["sh"] => session.sh(block),
            ["csv", name] => session.file(block, name),
            [] if block.lines.iter().any(|l| l.starts_with("$ ")) => session.transcript(block),
            _ => continue,
        }
        run += 1;
    }
    assert!(run >= 8, "only {run} blocks of the guide were run");
}

/// Each kind's section of formats.md has a table row per column the program reads: English and
/// Chinese name and 必填/可选 as columns.rs says, and no other.
#[test]
fn formats_lists_exactly_the_columns_the_program_reads() {
    let formats = doc("formats.md");
    for kind in columns::file_kinds() {
        let heading = format!("（`{}`）", kind.key());
        let section = formats
            .split("\n## ")
            .find(|s| s.lines().next().is_some_and(|h| h.contains(&heading)))
            .unwrap_or_else(|| panic!("formats.md has no section headed …{heading}"));
        let documented: Vec<(String, String, bool)> = section
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let key = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                let required = match *cells.get(3)? {
                    "必填" => true,
                    "可选" => false,
                    other => panic!(
                        "formats.md {}: “{other}” is neither 必填 nor 可选",
                        kind.key()
                    ),
                };
                Some((key.to_string(), cells[2].to_string(), required))
            })
            .collect();
        let program: Vec<(String, String, bool)> = columns::columns(kind)
            .iter()
            .map(|c| (c.key.to_string(), c.chinese.to_string(), c.required))
            .collect();
        assert_eq!(documented, program, "formats.md, section {}", kind.key());
    }
}

/// The example rows of formats.md are one valid batch: written as files and imported together.
#[test]
fn the_example_rows_of_formats_import() {
    let formats = doc("formats.md");
    let ledger = common::TestLedger::new();
    let folder = ledger.dir.path().join("examples");
    std::fs::create_dir(&folder).unwrap();
    let mut files = 0;
    for block in blocks(&formats) {
        if let ["csv", name] = block.info.split_whitespace().collect::<Vec<_>>().as_slice() {
            std::fs::write(folder.join(name), block.lines.join("\n") + "\n").unwrap();
            files += 1;
        }
    }
    assert_eq!(files, columns::file_kinds().count(), "one example per kind");
    let stderr = ledger.import(&[&folder]);
    assert!(stderr.contains("新记账 8 条"), "{stderr}");
}

#[test]
fn the_guide_reader_reads_blocks_words_and_hashes() {
    let markdown =
        "text\n<!-- guide-test: skip -->\n\n```sh\ntaizhang x\n```\n```csv a.csv\nk\n```\n";
    let found = blocks(markdown);
    assert_eq!(found.len(), 2);
    assert!(found[0].skip && !found[1].skip);
    assert_eq!(found[1].info, "csv a.csv");
    assert_eq!(
        words("report  --unit '青山 区' \"\" x"),
        ["report", "--unit", "青山 区", "", "x"]
    );
    assert_eq!(
        normal(&format!("链头 {}，", "ab".repeat(32))),
        "链头 <哈希>，"
    );
    assert_eq!(normal("2205187 "), "2205187");
    assert_eq!(
        normal("  23  2026-12-02 14:31:07+08:00  支出"),
        "  23  <时间>  支出"
    );
}
