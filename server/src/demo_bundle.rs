//! A bundle with deterministic (seeded, untrained) weights: a stand-in model for demos and
//! tests that need a real bundle before any training has run.

use burn::tensor::Device;
use kindling::bundle::{BundleInfo, ImageInput, InputSpec};
use kindling::model::{CnnConfig, PoolKind};
use kindling::{ArchConfig, Bundle};

/// The digit labels of MNIST.
pub fn digit_labels() -> Vec<String> {
    (0..10).map(|d| d.to_string()).collect()
}

/// The CNN the demo uses for 28×28 grayscale images, 10 classes.
pub fn demo_cnn() -> ArchConfig {
    ArchConfig::Cnn(CnnConfig {
        channels: 1,
        height: 28,
        width: 28,
        conv_channels: vec![16, 32],
        kernel_sizes: vec![3, 3],
        pool_sizes: vec![2, 2],
        pool: PoolKind::Max,
        dense_sizes: vec![64],
        classes: 10,
        dropout: 0.25,
    })
}

/// The 28×28 grayscale input spec shared by MNIST and Fashion-MNIST models.
pub fn mnist_input() -> InputSpec {
    InputSpec::Image(ImageInput {
        width: 28,
        height: 28,
        channels: 1,
        mean: vec![0.2860],
        std: vec![0.3530],
        light_on_dark: true,
        resize: Default::default(),
    })
}

/// Builds the deterministic demo bundle from `seed`.
pub fn build(seed: u64) -> anyhow::Result<Bundle> {
    let device = Device::flex();
    device.seed(seed);
    let arch = demo_cnn();
    let model = arch.init(&device)?;
    let info = BundleInfo {
        name: "demo-untrained-cnn".into(),
        version: format!("seed-{seed}"),
        input: mnist_input(),
        labels: digit_labels(),
        metrics: None,
        created_at: crate::clock::now_rfc3339(),
    };
    Ok(Bundle::from_model(info, arch, model)?)
}
