//! taizhang-interchange: the outside of the program.
//!
//! CSV import (encoding detection, header aliases, row checks) and the one place where report layout
//! lives: labels, 万元 rounding, blank zero cells, running-text amounts, the paragraphs, the JSON
//! shapes of interchange.md, CSV and xlsx export.

pub mod columns;
pub mod export;
pub mod import;
pub mod lines;
pub mod oserr;
pub mod parse;
pub mod text;
pub mod workbook;

pub use import::{collect, ImportFile, Problem, Row};
pub use parse::{Cells, Parsed};
pub mod layout;
pub mod reports;
pub mod xlsx;
