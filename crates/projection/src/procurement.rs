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

/// What one entry adds to `year`'s procurement figures, per category and SME class: a contract part
/// signed in the year its amount, an amendment dated in the year its change (a correction of the
/// class moves the part's amount from the old class to the new). Read off [`crate::sums::changes`],
/// the one definition the figures are summed from, so the contributions of all entries add up to
/// them exactly. `referred` is the contract part an amendment changes.
pub fn contributions(
    body: &taizhang_core::Body,
    referred: Option<&taizhang_core::Body>,
    year: i32,
) -> Vec<(Category, SmeClass, Amount)> {
    crate::sums::changes(body, referred)
        .into_iter()
        .filter_map(|(key, amount)| match key {
            SumKey::Procurement {
                year: y,
                category,
                class,
            } if y == year => Some((category, class, amount)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use taizhang_core::{
        Amendment, Body, ContractPart, ContractTerms, Fund, Method, SupplierPart, SupplierSize,
    };

    fn part(signed: NaiveDate, size: SupplierSize, fen: i64) -> Body {
        Body::Contract(ContractPart {
            terms: ContractTerms {
                clauses: Default::default(),
                no: "HT-1".into(),
                title: "平台建设".into(),
                sign_date: signed,
                category: Category::Services,
                method: Method::Open,
                fund: Fund::GovFund,
                project_code: None,
            },
            part: SupplierPart {
                name: "甲公司".into(),
                uscc: None,
                size,
                special: None,
                amount: Amount::from_fen(fen),
                declaration: None,
            },
        })
    }

    #[test]
    fn parts_count_in_their_signing_year_and_amendments_in_theirs() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let signed = part(day(2022, 7, 8), SupplierSize::Small, 800_000_000);
        assert_eq!(
            contributions(&signed, None, 2022),
            vec![(
                Category::Services,
                SmeClass::SmallMicro,
                Amount::from_fen(800_000_000)
            )]
        );
        assert!(contributions(&signed, None, 2023).is_empty());
        let amendment = Body::Amendment(Amendment {
            contract_no: "HT-1".into(),
            date: day(2023, 3, 1),
            supplier_name: "甲公司".into(),
            delta: Amount::from_fen(-50_000),
            reason: "减少工作量".into(),
            correction: None,
            before: None,
        });
        assert_eq!(
            contributions(&amendment, Some(&signed), 2023),
            vec![(
                Category::Services,
                SmeClass::SmallMicro,
                Amount::from_fen(-50_000)
            )]
        );
        assert!(contributions(&amendment, Some(&signed), 2022).is_empty());
        // Without its part an amendment adds nothing (as in the sums).
        assert!(contributions(&amendment, None, 2023).is_empty());
    }
}
