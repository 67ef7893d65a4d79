//! Config → model: output shapes, config validation, JSON round trips.

mod common;

use burn::tensor::{Tensor, TensorData};
use kindling::ArchConfig;
use kindling::model::{CnnConfig, ModelError};

fn forward_dims(arch: &ArchConfig, batch: usize) -> [usize; 2] {
    let dev = common::device();
    let model = arch.init(&dev).unwrap();
    let x = Tensor::<2>::from_data(
        TensorData::new(
            common::inputs(batch * arch.input_len(), 1),
            [batch, arch.input_len()],
        ),
        &dev,
    );
    model.forward(x).dims()
}

#[test]
fn mlp_maps_batch_to_classes() {
    assert_eq!(forward_dims(&common::mlp_config(7), 5), [5, 3]);
}

#[test]
fn cnn_maps_batch_to_classes() {
    assert_eq!(forward_dims(&common::cnn_config(), 3), [3, 5]);
}

#[test]
fn rgb_cnn_without_pooling_or_dense_layers() {
    let arch: ArchConfig = serde_json::from_str(
        r#"{"arch":"cnn","channels":3,"height":5,"width":6,"conv_channels":[2],
            "kernel_sizes":[3],"pool_sizes":[1],"classes":4}"#,
    )
    .unwrap();
    assert_eq!(arch.input_len(), 90);
    assert_eq!(forward_dims(&arch, 2), [2, 4]);
}

#[test]
fn config_json_round_trips_with_arch_tag() {
    for arch in [common::mlp_config(16), common::cnn_config()] {
        let json = serde_json::to_string(&arch).unwrap();
        assert!(json.contains(&format!("\"arch\":\"{}\"", arch.arch_name())));
        assert_eq!(serde_json::from_str::<ArchConfig>(&json).unwrap(), arch);
    }
}

#[test]
fn invalid_configs_are_rejected_with_reasons() {
    let ArchConfig::Cnn(base) = common::cnn_config() else {
        unreachable!()
    };
    let cases: Vec<(CnnConfig, ModelError)> = vec![
        (
            CnnConfig {
                channels: 2,
                ..base.clone()
            },
            ModelError::InvalidChannels(2),
        ),
        (
            CnnConfig {
                kernel_sizes: vec![3],
                ..base.clone()
            },
            ModelError::LayerCountMismatch {
                field: "kernel_sizes".into(),
                expected: 2,
                found: 1,
            },
        ),
        (
            CnnConfig {
                pool_sizes: vec![4, 4],
                ..base.clone()
            },
            ModelError::EmptyFeatureMap {
                height: 8,
                width: 8,
            },
        ),
        (
            CnnConfig {
                classes: 0,
                ..base.clone()
            },
            ModelError::ZeroSize {
                field: "classes".into(),
            },
        ),
        (
            CnnConfig {
                dropout: 1.0,
                ..base.clone()
            },
            ModelError::InvalidDropout(1.0),
        ),
    ];
    for (config, expected) in cases {
        assert_eq!(ArchConfig::Cnn(config).validate(), Err(expected));
    }
}
