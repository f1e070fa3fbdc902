//! Bytes as a stored value (a chunk of records, or a bare format-1 record): records or errors, never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use taizhang_core::Body;
use taizhang_store::{chunk, record};

fuzz_target!(|bytes: &[u8]| {
    for stored in chunk::records(bytes).flatten() {
        if let Ok((_, _, payload)) = record::split(&stored) {
            if let Ok(entry) = record::decode_payload(payload) {
                let _ = Body::try_from(&entry.body);
            }
        }
    }
});
