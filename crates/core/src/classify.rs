//! Enterprise size (中小企业划型) from a supplier's declared figures, 工信部联企业〔2011〕300号.
//!
//! All sixteen industries of the standard's 第四条 (domain.md "Enterprise size"; the text of the
//! standard, items 一 to 十六, is the source of every threshold, 其他未列明行业 included).

use rust_decimal::Decimal;

use crate::vocab::{Industry, SupplierSize};

/// The figures of a 中小企业声明函: last year's people, revenue and assets (万元).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Figures {
    pub people: Option<u64>,
    pub revenue: Option<Decimal>,
    pub assets: Option<Decimal>,
}

/// Which figure a threshold compares.
#[derive(Clone, Copy)]
enum Measure {
    People,
    Revenue,
    Assets,
}

impl Measure {
    fn label(self) -> &'static str {
        match self {
            Measure::People => "从业人员",
            Measure::Revenue => "营业收入",
            Measure::Assets => "资产总额",
        }
    }
}

/// One line of the table: both conditions, each "figure ≥ bound" (the SME ceiling negated).
type Line = [(Measure, i64); 2];

struct Rule {
    /// At or above both of these, a firm is large.
    large: Line,
    medium: Line,
    small: Line,
}

fn rule(industry: Industry) -> Rule {
    use Measure::*;
    match industry {
        Industry::Industrial => Rule {
            large: [(People, 1000), (Revenue, 40000)],
            medium: [(People, 300), (Revenue, 2000)],
            small: [(People, 20), (Revenue, 300)],
        },
        Industry::Construction => Rule {
            large: [(Revenue, 80000), (Assets, 80000)],
            medium: [(Revenue, 6000), (Assets, 5000)],
            small: [(Revenue, 300), (Assets, 300)],
        },
        Industry::Wholesale => Rule {
            large: [(People, 200), (Revenue, 40000)],
            medium: [(People, 20), (Revenue, 5000)],
            small: [(People, 5), (Revenue, 1000)],
        },
        Industry::Retail => Rule {
            large: [(People, 300), (Revenue, 20000)],
            medium: [(People, 50), (Revenue, 500)],
            small: [(People, 10), (Revenue, 100)],
        },
        Industry::Software => Rule {
            large: [(People, 300), (Revenue, 10000)],
            medium: [(People, 100), (Revenue, 1000)],
            small: [(People, 10), (Revenue, 50)],
        },
        Industry::Leasing => Rule {
            large: [(People, 300), (Assets, 120000)],
            medium: [(People, 100), (Assets, 8000)],
            small: [(People, 10), (Assets, 100)],
        },
        Industry::Agriculture => one(Revenue, [20000, 500, 50]),
        Industry::Transport => Rule {
            large: [(People, 1000), (Revenue, 30000)],
            medium: [(People, 300), (Revenue, 3000)],
            small: [(People, 20), (Revenue, 200)],
        },
        Industry::Warehousing => Rule {
            large: [(People, 200), (Revenue, 30000)],
            medium: [(People, 100), (Revenue, 1000)],
            small: [(People, 20), (Revenue, 100)],
        },
        Industry::Postal => Rule {
            large: [(People, 1000), (Revenue, 30000)],
            medium: [(People, 300), (Revenue, 2000)],
            small: [(People, 20), (Revenue, 100)],
        },
        // 住宿业 and 餐饮业 share their lines in the standard.
        Industry::Accommodation | Industry::Catering => Rule {
            large: [(People, 300), (Revenue, 10000)],
            medium: [(People, 100), (Revenue, 2000)],
            small: [(People, 10), (Revenue, 100)],
        },
        Industry::InfoTransmission => Rule {
            large: [(People, 2000), (Revenue, 100000)],
            medium: [(People, 100), (Revenue, 1000)],
            small: [(People, 10), (Revenue, 100)],
        },
        Industry::RealEstate => Rule {
            large: [(Revenue, 200000), (Assets, 10000)],
            medium: [(Revenue, 1000), (Assets, 5000)],
            small: [(Revenue, 100), (Assets, 2000)],
        },
        Industry::PropertyManagement => Rule {
            large: [(People, 1000), (Revenue, 5000)],
            medium: [(People, 300), (Revenue, 1000)],
            small: [(People, 100), (Revenue, 500)],
        },
        // 第四条（十六）: 从业人员300人以下为中小微型；100人及以上中型，10人及以上小型，10人以下微型.
        Industry::Other => one(People, [300, 100, 10]),
    }
}

/// An industry measured by one figure only: the second condition of each line repeats the first.
fn one(measure: Measure, [large, medium, small]: [i64; 3]) -> Rule {
    Rule {
        large: [(measure, large), (measure, large)],
        medium: [(measure, medium), (measure, medium)],
        small: [(measure, small), (measure, small)],
    }
}

/// The size the figures give for the industry; names the missing figure if one is needed.
pub fn classify(industry: Industry, figures: &Figures) -> Result<SupplierSize, String> {
    let rule = rule(industry);
    let meets = |line: &Line| -> Result<bool, String> {
        line.iter().try_fold(true, |all, &(measure, bound)| {
            let value = figure(figures, measure)
                .ok_or_else(|| format!("{}的划型需要{}", industry.label(), measure.label()))?;
            Ok(all && value >= Decimal::from(bound))
        })
    };
    Ok(if meets(&rule.large)? {
        SupplierSize::Large
    } else if meets(&rule.medium)? {
        SupplierSize::Medium
    } else if meets(&rule.small)? {
        SupplierSize::Small
    } else {
        SupplierSize::Micro
    })
}

fn figure(figures: &Figures, measure: Measure) -> Option<Decimal> {
    match measure {
        Measure::People => figures.people.map(Decimal::from),
        Measure::Revenue => figures.revenue,
        Measure::Assets => figures.assets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(industry: Industry, people: u64, revenue: i64, assets: i64, expect: SupplierSize) {
        let figures = Figures {
            people: Some(people),
            revenue: Some(revenue.into()),
            assets: Some(assets.into()),
        };
        assert_eq!(
            classify(industry, &figures),
            Ok(expect),
            "{industry} {people} {revenue} {assets}"
        );
    }

    #[test]
    fn software_boundaries() {
        use SupplierSize::*;
        check(Industry::Software, 300, 10000, 0, Large);
        check(Industry::Software, 299, 10000, 0, Medium);
        check(Industry::Software, 300, 9999, 0, Medium);
        check(Industry::Software, 100, 1000, 0, Medium);
        check(Industry::Software, 99, 1000, 0, Small);
        check(Industry::Software, 10, 50, 0, Small);
        check(Industry::Software, 10, 49, 0, Micro);
        check(Industry::Software, 9, 50, 0, Micro);
    }

    /// Every industry at each line and just below it. Figures not named by an industry's rule are
    /// given generously so that they never decide.
    #[test]
    fn every_industry_at_and_just_below_each_line() {
        use SupplierSize::*;
        let big = 10_000_000;
        // Per industry: people, revenue and assets exactly at the large, medium and small lines.
        type Lines = [(u64, i64, i64); 3];
        let cases: [(Industry, Lines); 7] = [
            (
                Industry::Industrial,
                [(1000, 40000, big), (300, 2000, big), (20, 300, big)],
            ),
            (
                Industry::Construction,
                [
                    (big as u64, 80000, 80000),
                    (big as u64, 6000, 5000),
                    (big as u64, 300, 300),
                ],
            ),
            (
                Industry::Wholesale,
                [(200, 40000, big), (20, 5000, big), (5, 1000, big)],
            ),
            (
                Industry::Retail,
                [(300, 20000, big), (50, 500, big), (10, 100, big)],
            ),
            (
                Industry::Software,
                [(300, 10000, big), (100, 1000, big), (10, 50, big)],
            ),
            (
                Industry::Leasing,
                [(300, big, 120000), (100, big, 8000), (10, big, 100)],
            ),
            (
                Industry::Other,
                [(300, big, big), (100, big, big), (10, big, big)],
            ),
        ];
        for (industry, lines) in cases {
            for ((people, revenue, assets), (at, below)) in
                lines
                    .into_iter()
                    .zip([(Large, Medium), (Medium, Small), (Small, Micro)])
            {
                check(industry, people, revenue, assets, at);
                // Just below on each measure the rule names (people by one person, money by 0.01 万元).
                let minus = |v: i64| Decimal::from(v) - Decimal::new(1, 2);
                let below_people = Figures {
                    people: Some(people - 1),
                    revenue: Some(revenue.into()),
                    assets: Some(assets.into()),
                };
                let below_revenue = Figures {
                    people: Some(people),
                    revenue: Some(minus(revenue)),
                    assets: Some(assets.into()),
                };
                let below_assets = Figures {
                    people: Some(people),
                    revenue: Some(revenue.into()),
                    assets: Some(minus(assets)),
                };
                let named = match industry {
                    Industry::Construction => vec![below_revenue, below_assets],
                    Industry::Leasing => vec![below_people, below_assets],
                    Industry::Other => vec![below_people],
                    _ => vec![below_people, below_revenue],
                };
                for figures in named {
                    assert_eq!(
                        classify(industry, &figures),
                        Ok(below),
                        "{industry} just below {at}: {figures:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn missing_figures_are_named() {
        let figures = Figures {
            people: Some(50),
            revenue: None,
            assets: None,
        };
        let err = classify(Industry::Construction, &figures).unwrap_err();
        assert!(err.contains("营业收入"), "{err}");
        assert_eq!(classify(Industry::Other, &figures), Ok(SupplierSize::Small));
    }
}
