//! Table 7, 政府性基金预算财政拨款收入支出决算表: per 项 code of fund 政府性基金预算, rolled up to 款,
//! 类 and 合计, with the identities of domain.md checked and the 尾数误差 of rounding to 万元 found.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use taizhang_core::{Amount, ClassCode, ExpenseType, FunctionCode, Fund, Level, Opening};

use crate::sums::{SumKey, Sums};
use crate::Facts;

/// The six columns of the table, in 元.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Columns {
    pub opening: Amount,
    pub income: Amount,
    pub expense: Amount,
    pub basic: Amount,
    pub project: Amount,
    pub closing: Amount,
}

/// Column keys as the JSON names them, in table order.
pub const COLUMN_KEYS: [&str; 6] = [
    "opening", "income", "expense", "basic", "project", "closing",
];

impl Columns {
    pub fn values(&self) -> [Amount; 6] {
        [
            self.opening,
            self.income,
            self.expense,
            self.basic,
            self.project,
            self.closing,
        ]
    }

    fn add(&mut self, other: &Columns) {
        self.opening += other.opening;
        self.income += other.income;
        self.expense += other.expense;
        self.basic += other.basic;
        self.project += other.project;
        self.closing += other.closing;
    }

    fn is_zero(&self) -> bool {
        self.values().iter().all(|a| a.is_zero())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub code: ClassCode,
    pub name: String,
    pub level: Level,
    pub columns: Columns,
}

/// A parent whose value rounded to 万元 differs from the sum of its children's rounded values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TailDifference {
    /// A 类 or 款 code, or "合计".
    pub code: String,
    pub column: &'static str,
    pub parent: Decimal,
    pub sum_of_children: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table7 {
    pub year: i32,
    /// 类, 款 and 项 rows in table order (the 合计 row is `total`).
    pub rows: Vec<Row>,
    pub total: Columns,
    pub tail_differences: Vec<TailDifference>,
    /// Identities that do not hold, in words. Empty unless there is a bug; reports show it loudly.
    pub broken_identities: Vec<String>,
}

/// Table 7 of `year`.
pub fn table7(facts: &Facts, year: i32) -> Table7 {
    let leaves = leaf_columns(&facts.sums, &facts.openings, year);
    let rows = roll_up(facts, &leaves);
    let total =
        rows.iter()
            .filter(|r| r.level == Level::Lei)
            .fold(Columns::default(), |mut t, r| {
                t.add(&r.columns);
                t
            });
    let tail_differences = tail_differences(&rows, &total);
    let broken_identities = broken_identities(&rows, &total);
    Table7 {
        year,
        rows,
        total,
        tail_differences,
        broken_identities,
    }
}

/// Every 项 code of the fund with any amount in `year`, its columns computed exactly.
fn leaf_columns(sums: &Sums, openings: &[Opening], year: i32) -> BTreeMap<FunctionCode, Columns> {
    let mut flows: BTreeMap<(i32, FunctionCode), (Amount, Amount, Amount)> = BTreeMap::new();
    let mut given_openings: BTreeMap<(i32, FunctionCode), Amount> = BTreeMap::new();
    for (key, &amount) in &sums.0 {
        match key {
            SumKey::Income {
                year,
                fund: Fund::GovFund,
                code,
            } => flows.entry((*year, *code)).or_default().0 += amount,
            SumKey::Expense {
                year,
                fund: Fund::GovFund,
                code,
                expense_type,
                ..
            } => {
                let flow = flows.entry((*year, *code)).or_default();
                match expense_type {
                    ExpenseType::Basic => flow.1 += amount,
                    ExpenseType::Project => flow.2 += amount,
                }
            }
            SumKey::Opening {
                year,
                fund: Fund::GovFund,
                code,
            } => {
                given_openings.insert((*year, *code), amount);
            }
            _ => {}
        }
    }
    // A given opening of 0.00 is no running sum (sums at zero are dropped) but replaces the carried
    // amount all the same: the entries say so.
    for o in openings.iter().filter(|o| o.fund == Fund::GovFund) {
        given_openings.insert((o.year, o.code), o.amount);
    }
    let codes: BTreeSet<&FunctionCode> = flows
        .keys()
        .chain(given_openings.keys())
        .map(|(_, c)| c)
        .collect();
    let first_year = flows
        .keys()
        .chain(given_openings.keys())
        .map(|(y, _)| *y)
        .min()
        .unwrap_or(year);
    codes
        .into_iter()
        .map(|code| {
            (
                *code,
                carried_columns(code, first_year, year, &flows, &given_openings),
            )
        })
        .filter(|(_, columns)| !columns.is_zero())
        .collect()
}

/// The year's columns of one code, carrying each closing balance into the next year's opening unless
/// an opening balance was given for that year.
fn carried_columns(
    code: &FunctionCode,
    first_year: i32,
    year: i32,
    flows: &BTreeMap<(i32, FunctionCode), (Amount, Amount, Amount)>,
    given_openings: &BTreeMap<(i32, FunctionCode), Amount>,
) -> Columns {
    let mut closing = Amount::ZERO;
    let mut columns = Columns::default();
    for y in first_year..=year {
        let key = (y, *code);
        let opening = given_openings.get(&key).copied().unwrap_or(closing);
        let (income, basic, project) = flows.get(&key).copied().unwrap_or_default();
        let expense = basic + project;
        closing = opening + income - expense;
        columns = Columns {
            opening,
            income,
            expense,
            basic,
            project,
            closing,
        };
    }
    columns
}

/// 类, 款 and 项 rows in table order: each parent before its children, by code.
fn roll_up(facts: &Facts, leaves: &BTreeMap<FunctionCode, Columns>) -> Vec<Row> {
    let mut by_code: BTreeMap<String, Columns> = BTreeMap::new();
    for (code, columns) in leaves {
        by_code.insert(code.to_string(), *columns);
        for parent in code.class().ancestors() {
            by_code.entry(parent.to_string()).or_default().add(columns);
        }
    }
    // Codes sort as strings so that "229" < "22904" < "2290402" < "22905": parents first.
    by_code
        .into_iter()
        .map(|(code, columns)| {
            let code = ClassCode::parse(&code).expect("codes in the sums are valid");
            Row {
                name: facts.name(&code),
                level: code.level(),
                code,
                columns,
            }
        })
        .collect()
}

fn children<'a>(rows: &'a [Row], parent: Option<&'a Row>) -> impl Iterator<Item = &'a Row> {
    rows.iter().filter(move |r| match parent {
        None => r.level == Level::Lei,
        Some(p) => r.code.ancestors().first() == Some(&p.code),
    })
}

fn tail_differences(rows: &[Row], total: &Columns) -> Vec<TailDifference> {
    let parents = std::iter::once((None, "合计".to_string(), *total)).chain(
        rows.iter()
            .filter(|r| r.level != Level::Xiang)
            .map(|r| (Some(r), r.code.to_string(), r.columns)),
    );
    let mut out = Vec::new();
    for (parent, code, columns) in parents {
        let kids: Vec<&Row> = children(rows, parent).collect();
        for (i, column) in COLUMN_KEYS.iter().enumerate() {
            let rounded = columns.values()[i].wan_yuan();
            let sum: Decimal = kids.iter().map(|k| k.columns.values()[i].wan_yuan()).sum();
            if rounded != sum {
                out.push(TailDifference {
                    code: code.clone(),
                    column,
                    parent: rounded,
                    sum_of_children: sum,
                });
            }
        }
    }
    out
}

/// The identities of domain.md, exactly in 元: 3 = 4 + 5, 6 = 1 + 2 − 3, parent = Σ children.
fn broken_identities(rows: &[Row], total: &Columns) -> Vec<String> {
    let mut out = Vec::new();
    let all = rows
        .iter()
        .map(|r| (r.code.to_string(), Some(r), r.columns))
        .chain(std::iter::once(("合计".to_string(), None, *total)));
    for (code, row, c) in all {
        if c.expense != c.basic + c.project {
            out.push(format!("{code}: 本年支出 ≠ 基本支出 + 项目支出"));
        }
        if c.closing != c.opening + c.income - c.expense {
            out.push(format!("{code}: 年末结转和结余 ≠ 年初 + 收入 − 支出"));
        }
        if row.is_none_or(|r| r.level != Level::Xiang) {
            let mut sum = Columns::default();
            children(rows, row).for_each(|k| sum.add(&k.columns));
            if sum != c {
                out.push(format!("{code}: 不等于下级之和"));
            }
        }
    }
    out
}

/// What a 类's expense of the year went to: one project (or none named), with its purposes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    /// The project's name (from its bond allocation), else its code; `None` for payments naming none.
    pub project: Option<String>,
    /// Amounts by purpose, largest first.
    pub purposes: Vec<(taizhang_core::Purpose, Amount)>,
}

/// What each 类's expense of the year was for: by project, largest first (payments naming no project
/// last), and within a project by purpose.
pub fn uses_by_lei(facts: &Facts, year: i32) -> BTreeMap<ClassCode, Vec<Use>> {
    type ByPurpose = BTreeMap<taizhang_core::Purpose, Amount>;
    let mut by_lei: BTreeMap<ClassCode, BTreeMap<Option<String>, ByPurpose>> = BTreeMap::new();
    for (key, &amount) in &facts.sums.0 {
        if let SumKey::Expense {
            year: y,
            fund: Fund::GovFund,
            code,
            purpose,
            project,
            ..
        } = key
        {
            if *y == year {
                let lei = code
                    .class()
                    .ancestors()
                    .last()
                    .cloned()
                    .expect("a 项 code has a 类");
                *by_lei
                    .entry(lei)
                    .or_default()
                    .entry(project.clone())
                    .or_default()
                    .entry(*purpose)
                    .or_insert(Amount::ZERO) += amount;
            }
        }
    }
    by_lei
        .into_iter()
        .map(|(lei, projects)| {
            let mut uses: Vec<(Amount, Use)> = projects
                .into_iter()
                .map(|(project, purposes)| {
                    let mut purposes: Vec<_> =
                        purposes.into_iter().filter(|(_, a)| !a.is_zero()).collect();
                    purposes.sort_by_key(|&(_, amount)| std::cmp::Reverse(amount));
                    let total = purposes.iter().map(|(_, a)| *a).sum();
                    (
                        total,
                        Use {
                            project: project.map(|code| project_name(facts, code)),
                            purposes,
                        },
                    )
                })
                .filter(|(_, u)| !u.purposes.is_empty())
                .collect();
            uses.sort_by_key(|(total, u)| (u.project.is_none(), std::cmp::Reverse(*total)));
            (lei, uses.into_iter().map(|(_, u)| u).collect())
        })
        .collect()
}

fn project_name(facts: &Facts, code: String) -> String {
    facts
        .bonds
        .iter()
        .find(|b| b.project_code == code)
        .map_or(code, |b| b.project_name.clone())
}
