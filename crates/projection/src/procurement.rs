//! 政府采购支出情况: year Y's procurement (contracts signed in Y plus amendments dated in Y, every
//! fund), its split by category, and the SME and small/micro shares.

use rust_decimal::{Decimal, RoundingStrategy};
use taizhang_core::{Amount, Category, SmeClass};

use crate::sums::SumKey;
use crate::Facts;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CategoryFigures {
    pub total: Amount,
    pub sme: Amount,
    pub small_micro: Amount,
}

impl CategoryFigures {
    pub fn sme_pct(&self) -> Option<Decimal> {
        percent(self.sme, self.total)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Procurement {
    pub year: i32,
    /// Per category, in the order 货物, 工程, 服务.
    pub by_category: Vec<(Category, CategoryFigures)>,
    pub all: CategoryFigures,
}

impl Procurement {
    pub fn category(&self, category: Category) -> CategoryFigures {
        self.by_category
            .iter()
            .find(|(c, _)| *c == category)
            .map(|(_, f)| *f)
            .unwrap_or_default()
    }

    pub fn small_micro_pct_of_sme(&self) -> Option<Decimal> {
        percent(self.all.small_micro, self.all.sme)
    }

    pub fn small_micro_pct_of_total(&self) -> Option<Decimal> {
        percent(self.all.small_micro, self.all.total)
    }
}

/// `part` as a percentage of `whole`, one decimal, half away from zero; `None` when `whole` is zero.
pub fn percent(part: Amount, whole: Amount) -> Option<Decimal> {
    if whole.is_zero() {
        return None;
    }
    let mut pct = (part.decimal() * Decimal::ONE_HUNDRED / whole.decimal())
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    pct.rescale(1);
    Some(pct)
}

pub fn procurement(facts: &Facts, year: i32) -> Procurement {
    let mut by_category: Vec<(Category, CategoryFigures)> = Category::ALL
        .iter()
        .map(|&c| (c, CategoryFigures::default()))
        .collect();
    for (key, &amount) in &facts.sums.0 {
        let SumKey::Procurement {
            year: y,
            category,
            class,
        } = key
        else {
            continue;
        };
        if *y != year {
            continue;
        }
        let figures = &mut by_category
            .iter_mut()
            .find(|(c, _)| c == category)
            .expect("every category is listed")
            .1;
        figures.total += amount;
        if class.is_sme() {
            figures.sme += amount;
        }
        if *class == SmeClass::SmallMicro {
            figures.small_micro += amount;
        }
    }
    let all = by_category
        .iter()
        .fold(CategoryFigures::default(), |mut all, (_, f)| {
            all.total += f.total;
            all.sme += f.sme;
            all.small_micro += f.small_micro;
            all
        });
    Procurement {
        year,
        by_category,
        all,
    }
}

/// The supplier parts of the contracts signed in `year`, by signing date: what the year's
/// procurement figures are made of, with the year's amendments (which the journal lists).
pub fn parts_signed(facts: &Facts, year: i32) -> Vec<taizhang_core::ContractPart> {
    use chrono::Datelike;
    let mut parts: Vec<_> = facts
        .contracts
        .iter()
        .filter(|c| c.terms.sign_date.year() == year)
        .cloned()
        .collect();
    parts.sort_by(|a, b| (a.terms.sign_date, &a.terms.no).cmp(&(b.terms.sign_date, &b.terms.no)));
    parts
}
