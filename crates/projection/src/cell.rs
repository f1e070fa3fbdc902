//! Table 7 drill-down: which entries make up a cell, and how much each adds to it. The auditor's
//! question "which vouchers are behind this figure?".
//!
//! A cell is a row (a 类, 款 or 项 code, or 合计) and a column of [`crate::table7::COLUMN_KEYS`] in a
//! year. What an entry adds to a cell is read off the changes it makes to the running sums
//! ([`crate::sums::changes`], the one definition table 7 is computed from), so the contributions of
//! all entries add up to the cell exactly, by construction:
//! - 本年收入 / 本年支出 / 基本支出 / 项目支出: the receipts and payments of fund 政府性基金预算 dated in
//!   the year under the row's code; a reversal counts negatively on its own date (as in the sums),
//!   the entry it reverses still counts positively on its own.
//! - 年初结转和结余 has no entries of its own: it is the closing balance carried from the year before,
//!   unless an opening balance was given for the year. So its entries are, per 项 code, the opening
//!   balance given for the latest year up to the cell's (if any), then every receipt (+) and payment
//!   (−) and their reversals from that year (or the beginning) up to the year before the cell's.
//! - 年末结转和结余 = opening + income − expense: the same entries as the opening, and those of the
//!   year itself, signed the same way.
//!
//! Entries that touch a cell with a zero contribution (an opening balance given as 0.00, which
//! still replaces the carried amount) are listed too: they explain the figure.

use std::collections::BTreeMap;

use taizhang_core::{Amount, Body, ClassCode, ExpenseType, FunctionCode, Fund};

use crate::sums::{changes, SumKey};
use crate::table7::{Columns, Table7};
use crate::Facts;

/// A column of table 7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Opening,
    Income,
    Expense,
    Basic,
    Project,
    Closing,
}

impl Column {
    pub const ALL: [Column; 6] = [
        Column::Opening,
        Column::Income,
        Column::Expense,
        Column::Basic,
        Column::Project,
        Column::Closing,
    ];

    /// The column of a table-7 JSON key ("opening", "income", …).
    pub fn parse(key: &str) -> Option<Column> {
        let i = crate::table7::COLUMN_KEYS.iter().position(|k| *k == key)?;
        Column::ALL.get(i).copied()
    }

    /// The JSON key of the column.
    pub fn key(self) -> &'static str {
        let i = Column::ALL.iter().position(|c| *c == self).unwrap_or(0);
        crate::table7::COLUMN_KEYS[i]
    }

    /// The column's amount in a row.
    pub fn of(self, c: &Columns) -> Amount {
        match self {
            Column::Opening => c.opening,
            Column::Income => c.income,
            Column::Expense => c.expense,
            Column::Basic => c.basic,
            Column::Project => c.project,
            Column::Closing => c.closing,
        }
    }
}

/// A row of table 7: a code, or the 合计 row over all 类.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellRow {
    Total,
    Code(ClassCode),
}

/// What the 合计 row is called in the table-7 JSON (its tail differences name it so).
pub const TOTAL_CODE: &str = "合计";

impl CellRow {
    /// "合计" (or "total") for the total row, else a 3-, 5- or 7-digit code.
    pub fn parse(text: &str) -> Result<CellRow, String> {
        match text.trim() {
            TOTAL_CODE | "total" => Ok(CellRow::Total),
            code => ClassCode::parse(code).map(CellRow::Code),
        }
    }

    /// Whether a 项 code rolls up into this row.
    pub fn covers(&self, code: &FunctionCode) -> bool {
        match self {
            CellRow::Total => true,
            CellRow::Code(row) => code.as_str().starts_with(row.as_str()),
        }
    }

    /// How the table-7 JSON names the row.
    pub fn code(&self) -> &str {
        match self {
            CellRow::Total => TOTAL_CODE,
            CellRow::Code(c) => c.as_str(),
        }
    }
}

/// One cell of table 7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub year: i32,
    pub row: CellRow,
    pub column: Column,
}

impl Cell {
    /// A cell as a request names it (`year`, `code`, `column` of `GET /api/table7/cell`); a refusal
    /// says in Chinese which field is wrong, echoing at most 40 characters of it.
    pub fn parse(year: i32, code: &str, column: &str) -> Result<Cell, (&'static str, String)> {
        use taizhang_core::text::excerpt;
        let row = CellRow::parse(code).map_err(|_| {
            let shown = excerpt(code.trim());
            let why = format!("“{shown}”不是表7的行（应为3位类、5位款或7位项的编码，或“合计”）");
            ("code", why)
        })?;
        let column = Column::parse(column.trim()).ok_or_else(|| {
            let shown = excerpt(column.trim());
            let keys = crate::table7::COLUMN_KEYS.join("、");
            ("column", format!("“{shown}”不是表7的栏（可选 {keys}）"))
        })?;
        Ok(Cell { year, row, column })
    }
}

/// The cell's exact value in a table 7 (of the cell's year); zero for a row the table leaves out
/// because all its figures are zero.
pub fn value(table: &Table7, row: &CellRow, column: Column) -> Amount {
    match row {
        CellRow::Total => column.of(&table.total),
        CellRow::Code(code) => table
            .rows
            .iter()
            .find(|r| &r.code == code)
            .map_or(Amount::ZERO, |r| column.of(&r.columns)),
    }
}

/// A cell with what it needs to weigh an entry: for each 项 code under its row, the latest year up
/// to the cell's for which an opening balance was given (the carried balance starts over there).
#[derive(Clone, Debug)]
pub struct Drill {
    cell: Cell,
    opening_from: BTreeMap<FunctionCode, i32>,
}

impl Drill {
    pub fn new(facts: &Facts, cell: Cell) -> Drill {
        let mut opening_from: BTreeMap<FunctionCode, i32> = BTreeMap::new();
        let given = facts
            .openings
            .iter()
            .filter(|o| o.fund == Fund::GovFund && o.year <= cell.year && cell.row.covers(&o.code));
        for o in given {
            let from = opening_from.entry(o.code).or_insert(o.year);
            *from = (*from).max(o.year);
        }
        Drill { cell, opening_from }
    }

    pub fn cell(&self) -> &Cell {
        &self.cell
    }

    /// Whether the entry is a receipt or payment whose reversal may count in the cell: fund 政府性
    /// 基金预算 and a code under the row. A reversal's contribution needs the entry it reverses.
    pub fn concerns(&self, body: &Body) -> bool {
        let (fund, code) = match body {
            Body::Receipt(r) => (r.fund, &r.code),
            Body::Payment(p) => (p.fund, &p.code),
            _ => return false,
        };
        fund == Fund::GovFund && self.cell.row.covers(code)
    }

    /// What the entry adds to the cell (signed), or `None` when it does not count in it at all.
    /// `referred` is as for [`changes`]: a reversal's original (without it a reversal counts nowhere).
    pub fn contribution(&self, body: &Body, referred: Option<&Body>) -> Option<Amount> {
        let mut counts = false;
        let mut total = Amount::ZERO;
        for (key, amount) in changes(body, referred) {
            match self.weight(&key) {
                Some(Sign::Plus) => total += amount,
                Some(Sign::Minus) => total -= amount,
                None => continue,
            }
            counts = true;
        }
        counts.then_some(total)
    }

    /// How a running sum counts in the cell, if it does.
    fn weight(&self, key: &SumKey) -> Option<Sign> {
        match key {
            SumKey::Income {
                year,
                fund: Fund::GovFund,
                code,
            } if self.cell.row.covers(code) => self.flow(*year, code, None),
            SumKey::Expense {
                year,
                fund: Fund::GovFund,
                code,
                expense_type,
                ..
            } if self.cell.row.covers(code) => self.flow(*year, code, Some(*expense_type)),
            SumKey::Opening {
                year,
                fund: Fund::GovFund,
                code,
            } if self.cell.row.covers(code) => {
                let balance = matches!(self.cell.column, Column::Opening | Column::Closing);
                (balance && self.opening_from.get(code) == Some(year)).then_some(Sign::Plus)
            }
            _ => None,
        }
    }

    /// How a flow of `year` counts: income when `expense` is `None`, else an expense of that type.
    fn flow(&self, year: i32, code: &FunctionCode, expense: Option<ExpenseType>) -> Option<Sign> {
        let this_year = year == self.cell.year;
        // Flows before the latest given opening are replaced by it.
        let carried = self.opening_from.get(code).is_none_or(|from| year >= *from);
        let balance_sign = if expense.is_some() {
            Sign::Minus
        } else {
            Sign::Plus
        };
        let counts = match self.cell.column {
            Column::Income => this_year && expense.is_none(),
            Column::Expense => this_year && expense.is_some(),
            Column::Basic => this_year && expense == Some(ExpenseType::Basic),
            Column::Project => this_year && expense == Some(ExpenseType::Project),
            Column::Opening => carried && year < self.cell.year,
            Column::Closing => carried && year <= self.cell.year,
        };
        let sign = match self.cell.column {
            Column::Opening | Column::Closing => balance_sign,
            _ => Sign::Plus,
        };
        counts.then_some(sign)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sign {
    Plus,
    Minus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_named_by_year_code_and_column_key() {
        let cell = Cell::parse(2022, " 2290402 ", "expense").expect("a cell");
        assert_eq!(cell.row.code(), "2290402");
        assert_eq!(cell.column, Column::Expense);
        assert_eq!(
            Cell::parse(2022, "合计", "closing").map(|c| c.row),
            Ok(CellRow::Total)
        );
        assert_eq!(
            Cell::parse(2022, "total", "opening").map(|c| c.row),
            Ok(CellRow::Total)
        );
        let (field, why) = Cell::parse(2022, "22904x", "expense").expect_err("bad code");
        assert_eq!(field, "code");
        assert!(why.contains("“22904x”"), "{why}");
        let (field, why) = Cell::parse(2022, "229", "支出").expect_err("bad column");
        assert_eq!(field, "column");
        assert!(why.contains("opening、income"), "{why}");
        let long = "9".repeat(100);
        let (_, why) = Cell::parse(2022, &long, "income").expect_err("bad code");
        assert!(why.chars().count() < 100, "{why}");
        for column in Column::ALL {
            assert_eq!(Column::parse(column.key()), Some(column));
        }
    }
}
