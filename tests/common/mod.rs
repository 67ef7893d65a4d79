//! Small real bundles for the native tests.

#![allow(dead_code)]

use burn::tensor::Device;
use kindling::bundle::{BundleInfo, ImageInput, InputSpec, TabularInput};
use kindling::model::{CnnConfig, MlpConfig, PoolKind};
use kindling::{ArchConfig, Bundle};

pub fn device() -> Device {
    Device::flex()
}

pub fn mlp_config(hidden: usize) -> ArchConfig {
    ArchConfig::Mlp(MlpConfig {
        input_size: 4,
        hidden_sizes: vec![hidden],
        classes: 3,
        dropout: 0.1,
        lexical: None,
    })
}

pub fn cnn_config() -> ArchConfig {
    ArchConfig::Cnn(CnnConfig {
        channels: 1,
        height: 8,
        width: 8,
        conv_channels: vec![4, 6],
        kernel_sizes: vec![3, 3],
        pool_sizes: vec![2, 2],
        pool: PoolKind::Max,
        dense_sizes: vec![12],
        classes: 5,
        dropout: 0.0,
    })
}

pub fn info_for(arch: &ArchConfig) -> BundleInfo {
    let input = match arch {
        ArchConfig::Mlp(c) => InputSpec::Tabular(TabularInput {
            features: (0..c.input_size).map(|i| format!("f{i}")).collect(),
            mean: vec![0.5],
            std: vec![2.0],
        }),
        ArchConfig::Cnn(c) => InputSpec::Image(ImageInput {
            width: c.width,
            height: c.height,
            channels: c.channels,
            mean: vec![0.1],
            std: vec![0.3],
            light_on_dark: true,
            resize: Default::default(),
        }),
        ArchConfig::EfficientNetLite0(c) => InputSpec::Image(ImageInput {
            width: c.image_size,
            height: c.image_size,
            channels: 3,
            mean: vec![0.5],
            std: vec![0.5],
            light_on_dark: false,
            resize: kindling::bundle::ResizeMode::CenterCrop,
        }),
        ArchConfig::TextNgram(c) => InputSpec::Text(kindling::bundle::TextInput {
            tokenizer: kindling::bundle::TokenizerKind::HashedNgrams,
            max_tokens: c.max_features,
            lowercase: true,
            buckets: Some(c.buckets),
            lexical: None,
        }),
        ArchConfig::MiniLmL6(c) => InputSpec::Text(kindling::bundle::TextInput {
            tokenizer: kindling::bundle::TokenizerKind::WordPiece,
            max_tokens: c.max_tokens,
            lowercase: true,
            buckets: None,
            lexical: c.lexical,
        }),
    };
    BundleInfo {
        name: format!("test-{}", arch.arch_name()),
        version: "1".into(),
        input,
        labels: (0..arch.classes()).map(|i| format!("class {i}")).collect(),
        metrics: None,
        created_at: "2026-11-30T00:00:00Z".into(),
    }
}

/// A bundle of `arch` with seeded random weights.
pub fn bundle(arch: ArchConfig, seed: u64) -> Bundle {
    let dev = device();
    dev.seed(seed);
    let model = arch.init(&dev).expect("valid config");
    Bundle::from_model(info_for(&arch), arch, model).expect("bundle")
}

/// Deterministic pseudo-random inputs in [0, 1).
pub fn inputs(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x % 10_000) as f32 / 10_000.0
        })
        .collect()
}
