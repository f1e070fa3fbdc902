//! Bytes as an import file: a parsed batch or problems, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use taizhang_interchange::ImportFile;

fuzz_target!(|bytes: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("fuzz.csv");
    std::fs::write(&path, bytes).expect("writing the input");
    if let Ok(file) = ImportFile::open(&path, None) {
        if let Ok(rows) = file.rows() {
            for row in rows {
                if let Err(errors) = &row.parsed {
                    for e in errors {
                        let _ = file.problem(row.line, e).to_string();
                    }
                }
            }
        }
    }
});
