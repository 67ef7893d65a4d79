//! Training is reproducible: the same seed gives the same losses and predictions. In its own
//! test binary, because burn's device RNG is process-wide and other training tests draw from it.

use kindling_server::cli::train::train_bundle;

mod shared;

#[test]
fn training_is_reproducible_with_a_seed() {
    let mut a = shared::args("mlp");
    a.epochs = 1;
    a.limit = Some(600);
    let (first, _) = train_bundle(&a).unwrap();
    let (second, _) = train_bundle(&a).unwrap();
    assert_eq!(first.history[0].train_loss, second.history[0].train_loss);
    assert_eq!(first.test.predictions, second.test.predictions);
    a.seed += 1;
    let (third, _) = train_bundle(&a).unwrap();
    assert_ne!(
        first.history[0].train_loss, third.history[0].train_loss,
        "the seed must matter"
    );
}
