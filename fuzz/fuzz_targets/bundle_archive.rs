//! A `.kbundle` archive from untrusted bytes (an upload, a download): parsing and verifying it,
//! and loading the model when it verifies, must return an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = kindling::Bundle::from_archive(data) {
        let _ = bundle.load_model(&burn::tensor::Device::flex());
    }
});
