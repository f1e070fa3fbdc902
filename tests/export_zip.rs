//! The year-end export as one zip (the web workspace's `GET /api/export`): the same files, byte for
//! byte, as `taizhang export` writes to its folder for the same ledger and year.

mod common;

use std::io::Read;

use common::{example, two_year, TestLedger};
use taizhang_interchange::export::CsvEncoding;
use taizhang_posting::export::{year_export, year_zip};
use taizhang_store::Ledger;

/// (name, bytes) of every file in a zip, in its order.
fn unzipped(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).expect("an entry");
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).expect("readable");
            (file.name().expect("a name").to_string(), bytes)
        })
        .collect()
}

/// Exports `year` with the binary and as a zip from the library; both must hold the same files.
fn zip_equals_folder(ledger: &TestLedger, year: &str, csv_encoding: &str, encoding: CsvEncoding) {
    let out = ledger
        .dir
        .path()
        .join(format!("export-{year}-{csv_encoding}"));
    let out_arg = out.to_str().expect("a UTF-8 path");
    ledger.ok(&[
        "export",
        "--year",
        year,
        "--out",
        out_arg,
        "--csv-encoding",
        csv_encoding,
    ]);
    let opened = Ledger::open_read_only(&ledger.path).expect("open");
    let year: i32 = year.parse().expect("a year");
    let zipped = unzipped(&year_zip(&opened, year, encoding).expect("zip"));
    let mut in_folder: Vec<String> = std::fs::read_dir(&out)
        .expect("the folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    in_folder.sort();
    let mut names: Vec<String> = zipped.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    assert_eq!(names, in_folder);
    assert!(names.iter().any(|n| n == "manifest.json"));
    assert!(names.iter().any(|n| n.ends_with("决算报表.xlsx")));
    for (name, bytes) in &zipped {
        let written = std::fs::read(out.join(name)).expect("the file");
        assert!(&written == bytes, "{name} differs from the folder's");
    }
}

#[test]
fn the_zip_holds_the_files_export_writes_byte_for_byte() {
    let ledger = two_year();
    zip_equals_folder(&ledger, "2022", "utf8-bom", CsvEncoding::Utf8Bom);
    zip_equals_folder(&ledger, "2023", "gb18030", CsvEncoding::Gb18030);
    let example_ledger = TestLedger::new();
    example_ledger.import(&[&example()]);
    zip_equals_folder(&example_ledger, "2022", "utf8", CsvEncoding::Utf8);
}

#[test]
fn the_same_ledger_exports_the_same_bytes() {
    let ledger = two_year();
    let opened = Ledger::open_read_only(&ledger.path).expect("open");
    let first = year_export(&opened, 2022, CsvEncoding::Utf8Bom).expect("export");
    let second = year_export(&opened, 2022, CsvEncoding::Utf8Bom).expect("export");
    assert_eq!(first.files, second.files);
    assert_eq!(
        first.files.last().map(|f| f.name.as_str()),
        Some("manifest.json")
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&first.files.last().expect("manifest").bytes).expect("JSON");
    assert_eq!(manifest["ledger_entries"], first.head.count);
    assert_eq!(
        manifest["files"].as_array().map(Vec::len),
        Some(first.files.len() - 1)
    );
    let zip = year_zip(&opened, 2022, CsvEncoding::Utf8Bom).expect("zip");
    assert_eq!(
        zip,
        year_zip(&opened, 2022, CsvEncoding::Utf8Bom).expect("zip")
    );
}
