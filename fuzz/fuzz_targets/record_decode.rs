//! Bytes as a stored record: a record or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use taizhang_core::Body;
use taizhang_store::record;

fuzz_target!(|bytes: &[u8]| {
    if let Ok((_, _, payload)) = record::split(bytes) {
        if let Ok(entry) = record::decode_payload(payload) {
            let _ = Body::try_from(&entry.body);
        }
    }
});
