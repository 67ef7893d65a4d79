//! Weights files that pass the manifest's size and sha256 check but are not what the manifest
//! says (a buggy exporter, a hand-edited bundle): a valid burnpack of a tiny MLP, patched and
//! cut by the fuzzer, re-hashed into its manifest, then loaded. Errors, never panics.
#![no_main]

use std::sync::OnceLock;

use kindling::bundle::{BundleInfo, InputSpec, TabularInput, sha256_hex};
use kindling::model::{ArchConfig, MlpConfig};
use libfuzzer_sys::fuzz_target;

/// The tiny MLP's manifest (as JSON) and weights.
fn seed() -> &'static (serde_json::Value, Vec<u8>) {
    static SEED: OnceLock<(serde_json::Value, Vec<u8>)> = OnceLock::new();
    SEED.get_or_init(|| {
        let arch = ArchConfig::Mlp(MlpConfig {
            input_size: 4,
            hidden_sizes: vec![3],
            classes: 2,
            dropout: 0.0,
        });
        let device = burn::tensor::Device::flex();
        let model = arch.init(&device).expect("a valid config");
        let info = BundleInfo {
            name: "fuzz".into(),
            version: "1".into(),
            input: InputSpec::Tabular(TabularInput {
                features: (0..4).map(|i| format!("f{i}")).collect(),
                mean: vec![0.0],
                std: vec![1.0],
            }),
            labels: vec!["a".into(), "b".into()],
            metrics: None,
            created_at: "2026-01-01T00:00:00Z".into(),
        };
        let bundle = kindling::Bundle::from_model(info, arch, model).expect("builds");
        let manifest = serde_json::from_str(&bundle.manifest().to_json()).expect("json");
        (manifest, bundle.weights().to_vec())
    })
}

fuzz_target!(|data: &[u8]| {
    let (manifest, weights) = seed();
    if data.len() < 3 {
        return;
    }
    // Bytes 0–1: where to patch; byte 2: 0 = overwrite, 1 = cut there, 2 = insert.
    let at = usize::from(u16::from_le_bytes([data[0], data[1]])) % (weights.len() + 1);
    let patch = &data[3..];
    let mut bytes = weights.clone();
    match data[2] % 3 {
        0 => {
            for (i, b) in patch.iter().enumerate() {
                if let Some(slot) = bytes.get_mut(at + i) {
                    *slot = *b;
                }
            }
        }
        1 => bytes.truncate(at),
        _ => {
            bytes.splice(at..at, patch.iter().copied());
        }
    }
    let mut m = manifest.clone();
    m["weights"]["size"] = bytes.len().into();
    m["weights"]["sha256"] = sha256_hex(&bytes).into();
    if let Ok(bundle) = kindling::Bundle::from_parts(m.to_string().as_bytes(), bytes) {
        let _ = bundle.load_model(&burn::tensor::Device::flex());
    }
});
