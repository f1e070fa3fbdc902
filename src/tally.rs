//! How a batch's outcome is told on the terminal: problems, the summary, warnings, and a progress bar
//! for large imports. The words of the summary are the posting crate's, shared with the web.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use taizhang_interchange::Problem;
use taizhang_posting::Tally;

/// Problems (and, apart, warnings) printed for one file; the rest are counted in one line. A bad
/// export of 200,000 rows printed 200,000 lines, and no one reads past the first screen.
const PROBLEMS_PER_FILE_MAX: usize = 50;

/// Prints the outcome to stderr; returns whether the batch was committed (or, for `--check`, passed).
pub fn report(tally: &Tally, committed: bool, quiet: bool) -> bool {
    print_capped(&tally.problems, "", "处问题");
    for line in tally.outcome_lines(committed, quiet) {
        eprintln!("{line}");
    }
    let outcome = tally.passed(committed);
    // Posted anyway, listed after the summary (domain.md "Warnings at posting"); a batch refused
    // for its errors posted nothing to warn about.
    if outcome {
        print_capped(&tally.warnings, "警告：", "条警告");
    }
    outcome
}

/// Prints problems, at most [`PROBLEMS_PER_FILE_MAX`] of each file, then for each file with more a
/// line that counts the rest.
fn print_capped(problems: &[Problem], prefix: &str, unit: &str) {
    let mut per_file: Vec<(&str, usize)> = Vec::new();
    for p in problems {
        let at = match per_file.iter().position(|(file, _)| *file == p.file) {
            Some(at) => at,
            None => {
                per_file.push((&p.file, 0));
                per_file.len() - 1
            }
        };
        per_file[at].1 += 1;
        match (per_file[at].1 <= PROBLEMS_PER_FILE_MAX, p.line) {
            (false, _) => {}
            // A warning of the batch as a whole (one a reversal brought): no file and line to name.
            (true, 0) => eprintln!("{prefix}{}", p.message),
            (true, _) => eprintln!("{prefix}{p}"),
        }
    }
    for (file, n) in per_file
        .into_iter()
        .filter(|(_, n)| *n > PROBLEMS_PER_FILE_MAX)
    {
        eprintln!(
            "{prefix}{file}：另有 {} {unit}未列出（共 {n} {unit}）",
            n - PROBLEMS_PER_FILE_MAX
        );
    }
}

/// A spinner counting rows, on a terminal only and never under `--quiet`.
pub fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} 已处理 {pos} 条 {elapsed}")
            .expect("a valid template"),
    );
    bar
}
