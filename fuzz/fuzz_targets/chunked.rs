//! See [`mqtt_proto_fuzz::chunked`] for the input layout and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mqtt_proto_fuzz::chunked(data));
