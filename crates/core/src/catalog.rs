//! The function-code catalogue shipped with the program (`ledger-data/catalog/functions.csv`).
//!
//! Compiled in, so the program needs no data files at run time. A ledger adds names with `catalog`
//! entries; the store looks there after here.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

const FUNCTIONS_CSV: &str = include_str!("../../../ledger-data/catalog/functions.csv");

/// The shipped names by code. The file is `code,name,source` with a header and no quoted fields.
/// A hash map: every posting asks for its code and the code's 款 and 类.
pub fn builtin() -> &'static FxHashMap<&'static str, &'static str> {
    static CATALOG: OnceLock<FxHashMap<&'static str, &'static str>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        FUNCTIONS_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut cells = line.split(',');
                Some((cells.next()?.trim(), cells.next()?.trim()))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use crate::code::ClassCode;

    #[test]
    fn shipped_codes_are_well_formed_and_named() {
        let catalog = super::builtin();
        assert!(catalog.len() >= 24);
        for (code, name) in catalog {
            assert!(ClassCode::parse(code).is_ok(), "{code}");
            assert!(!name.is_empty(), "{code}");
        }
        assert_eq!(
            catalog["2290402"],
            "其他地方自行试点项目收益专项债券收入安排的支出"
        );
    }
}
