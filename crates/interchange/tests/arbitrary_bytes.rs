//! Any bytes as an import file give parsed rows or problems, never a panic: random bytes, and
//! random cells under every real header (so the row parsers see hostile values, not only bad CSV).

use proptest::prelude::*;
use taizhang_interchange::columns::{columns, file_kinds};
use taizhang_interchange::ImportFile;

fn read_everything(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.csv");
    std::fs::write(&path, bytes).unwrap();
    if let Ok(file) = ImportFile::open(&path, None) {
        if let Ok(rows) = file.rows() {
            for row in rows {
                if let Err(errors) = &row.parsed {
                    errors.iter().for_each(|e| drop(file.problem(row.line, e)));
                }
            }
        }
    }
}

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9,.\\-]{0,12}",
        "[0-9]{4}[-/年][0-9]{1,2}[-/月][0-9]{1,2}日?",
        "\\PC{0,8}",
        Just(String::new()),
        "(按年|按半年|大型|小型|货物|服务|政府性基金预算|项目支出|建设|[0-9]{1,2}:[0-9]{1,3};?)",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        read_everything(&bytes);
    }

    #[test]
    fn random_cells_under_real_headers_never_panic(kind in 0usize..7, rows in prop::collection::vec(prop::collection::vec(cell(), 0..18), 0..8)) {
        let kind = file_kinds().nth(kind).expect("seven file kinds");
        let header: Vec<&str> = columns(kind).iter().map(|c| c.key).collect();
        let mut text = header.join(",");
        text.push('\n');
        for row in rows {
            let quoted: Vec<String> = row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
            text.push_str(&quoted.join(","));
            text.push('\n');
        }
        read_everything(text.as_bytes());
    }
}
