//! Training with burn's autodiff: seeded splits and shuffling, normalization fitted on the
//! training split, Adam, early stopping on validation accuracy, and an honest evaluation on a
//! held-out test split.

mod augment;
mod evaluate;
mod preset;
mod split;

pub use evaluate::{Evaluation, evaluate, probabilities};
pub use preset::preset;
pub use split::{Splits, split};

use std::time::Instant;

use anyhow::Context;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use kindling::ArchConfig;
use kindling::bundle::InputSpec;
use kindling::model::Model;
use kindling::preprocess::normalize;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::data::{Dataset, LoadedData};

/// Below this many labeled texts a `text_ngram` job keeps no validation split: it would hold
/// fewer than 30 items, too few to pick an epoch by (with 36 labels, 4 validation items picked
/// a barely trained first epoch that named 49% of held-out emails).
pub const TEXT_NGRAM_MIN_VALIDATED: usize = 300;

/// The options a project's job trains `text_ngram` with on `labels` labeled texts: Adam at
/// 1e-2 (the sparse bag learns slowly at 1e-3), batches of an eighth of the data (8–64) and up
/// to 30 epochs, so that even 20 labels get ~100 steps; from [`TEXT_NGRAM_MIN_VALIDATED`]
/// labels on, a tenth is held out to stop early (patience 5) and keep the best epoch, below
/// it all labels train for the 30 epochs and the last epoch is kept.
pub fn text_ngram_options(labels: usize, seed: u64) -> TrainOptions {
    TrainOptions {
        epochs: 30,
        batch_size: (labels / 8).clamp(8, 64),
        learning_rate: 1e-2,
        seed,
        val_split: if labels < TEXT_NGRAM_MIN_VALIDATED {
            0.0
        } else {
            0.1
        },
        test_split: 0.0,
        patience: 5,
        augment_shift: 0,
        limit: None,
        quiet: true,
        on_epoch: EpochHook::default(),
    }
}

/// Training hyper-parameters.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Maximum number of epochs.
    pub epochs: usize,
    /// Items per gradient step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Seed for splits, shuffling, initialization and dropout.
    pub seed: u64,
    /// Share of the training pool held out for validation (early stopping); 0: none, every
    /// epoch runs and the last one is kept.
    pub val_split: f64,
    /// Share held out for testing when the source has no test split of its own.
    pub test_split: f64,
    /// Epochs without a better validation accuracy before stopping.
    pub patience: usize,
    /// Shift training images at random by up to this many pixels (0: no augmentation).
    pub augment_shift: usize,
    /// Use only this many items of the training pool (quick runs); `None` uses all.
    pub limit: Option<usize>,
    /// Hide the progress bar.
    pub quiet: bool,
    /// Called after every epoch; it can stop training.
    pub on_epoch: EpochHook,
}

impl TrainOptions {
    /// What the benchmarks train with: Adam at 1e-3, a 10% validation split for early stopping
    /// after `patience` epochs, the data set's own test split, no augmentation, no progress bar.
    pub fn for_bench(epochs: usize, batch_size: usize, patience: usize, seed: u64) -> TrainOptions {
        TrainOptions {
            epochs,
            batch_size,
            learning_rate: 1e-3,
            seed,
            val_split: 0.1,
            test_split: 0.0,
            patience,
            augment_shift: 0,
            limit: None,
            quiet: true,
            on_epoch: EpochHook::default(),
        }
    }
}

/// A callback after each epoch with its numbers; returning `false` cancels training
/// ([`Cancelled`]).
#[derive(Clone, Default)]
pub struct EpochHook(pub Option<std::sync::Arc<EpochFn>>);

/// The function an [`EpochHook`] calls: `false` stops training.
pub type EpochFn = dyn Fn(&EpochStats) -> bool + Send + Sync;

impl std::fmt::Debug for EpochHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "EpochHook(set)"
        } else {
            "EpochHook(none)"
        })
    }
}

/// Training was stopped by its [`EpochHook`].
#[derive(Debug, thiserror::Error)]
#[error("training was cancelled")]
pub struct Cancelled;

/// One epoch's numbers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EpochStats {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Training accuracy (with dropout on).
    pub train_accuracy: f64,
    /// Validation accuracy.
    pub val_accuracy: f64,
    /// Seconds this epoch took.
    pub seconds: f64,
}

/// What training produced.
#[derive(Debug)]
pub struct TrainOutcome {
    /// The best model (by validation accuracy), on a plain (non-autodiff) device.
    pub model: Model,
    /// The input spec with the normalization fitted on the training split.
    pub input: InputSpec,
    /// Test-split evaluation of `model`.
    pub test: Evaluation,
    /// Per-epoch history.
    pub history: Vec<EpochStats>,
    /// Items in the train / validation / test splits.
    pub split_sizes: [usize; 3],
    /// Wall-clock seconds spent in training epochs.
    pub train_seconds: f64,
    /// Training images (items) per second over all epochs.
    pub items_per_second: f64,
}

/// Per-channel (images) or per-feature (tabular) mean and std of `data`, as an input spec
/// (token ids are not normalized: a text spec is returned as it is).
pub fn fit_normalization(data: &Dataset) -> InputSpec {
    let (groups, group_len) = match &data.input {
        InputSpec::Image(i) => (i.channels, i.width * i.height),
        InputSpec::Tabular(t) => (t.features.len(), 1),
        InputSpec::Text(_) => return data.input.clone(),
    };
    let mut sum = vec![0.0f64; groups];
    let mut sq = vec![0.0f64; groups];
    for item in data.items.chunks(data.item_len) {
        for (i, &v) in item.iter().enumerate() {
            let g = i / group_len;
            sum[g] += f64::from(v);
            sq[g] += f64::from(v) * f64::from(v);
        }
    }
    let n = (data.len() * group_len).max(1) as f64;
    let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
    let std: Vec<f32> = sq
        .iter()
        .zip(&mean)
        .map(|(q, &m)| ((q / n - f64::from(m).powi(2)).max(0.0).sqrt() as f32).max(1e-6))
        .collect();
    let mut spec = data.input.clone();
    match &mut spec {
        InputSpec::Image(i) => (i.mean, i.std) = (mean, std),
        InputSpec::Tabular(t) => (t.mean, t.std) = (mean, std),
        InputSpec::Text(_) => {}
    }
    spec
}

/// A copy of `data` normalized per `spec` (the same code the runtime runs before predicting).
pub fn normalized(data: &Dataset, spec: &InputSpec) -> Dataset {
    let mut out = data.clone();
    normalize(spec, &mut out.items);
    out.input = spec.clone();
    out
}

/// A batch as tensors on `device`.
pub fn batch_tensors(
    data: &Dataset,
    indices: &[usize],
    device: &Device,
) -> (Tensor<2>, Tensor<1, Int>) {
    let mut values = Vec::with_capacity(indices.len() * data.item_len);
    for &i in indices {
        values.extend_from_slice(data.item(i));
    }
    let x = Tensor::<2>::from_data(
        TensorData::new(values, [indices.len(), data.item_len]),
        device,
    );
    let labels: Vec<i64> = indices.iter().map(|&i| i64::from(data.labels[i])).collect();
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [indices.len()]), device);
    (x, y)
}

/// Trains `arch` on `data` with burn's autodiff over `device` (a plain device: flex or wgpu).
pub fn train(
    arch: &ArchConfig,
    data: &LoadedData,
    opts: &TrainOptions,
    device: &Device,
) -> anyhow::Result<TrainOutcome> {
    let splits = split(data, opts)?;
    let spec = fit_normalization(&splits.train);
    let train_set = normalized(&splits.train, &spec);
    let val_set = normalized(&splits.val, &spec);
    let test_set = normalized(&splits.test, &spec);

    let ad = device.clone().autodiff();
    ad.seed(opts.seed);
    let mut model = arch.init(&ad).context("building the model")?;
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&ad);
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut order: Vec<usize> = (0..train_set.len()).collect();
    let shift = augment::Shift::new(&spec, opts.augment_shift);

    let mut history = Vec::new();
    let mut best: Option<(f64, Model)> = None;
    let mut stale = 0;
    let started = Instant::now();
    let mut seen = 0usize;
    for epoch in 1..=opts.epochs {
        let epoch_start = Instant::now();
        order.shuffle(&mut rng);
        let batches = order.len().div_ceil(opts.batch_size);
        let bar = progress_bar(batches as u64, epoch, opts);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for chunk in order.chunks(opts.batch_size) {
            let (x, y) = match &shift {
                Some(shift) => {
                    let mut values = Vec::with_capacity(chunk.len() * train_set.item_len);
                    for &i in chunk {
                        shift.apply(train_set.item(i), &mut rng, &mut values);
                    }
                    let x = Tensor::<2>::from_data(
                        TensorData::new(values, [chunk.len(), train_set.item_len]),
                        &ad,
                    );
                    let labels: Vec<i64> = chunk
                        .iter()
                        .map(|&i| i64::from(train_set.labels[i]))
                        .collect();
                    (
                        x,
                        Tensor::<1, Int>::from_data(TensorData::new(labels, [chunk.len()]), &ad),
                    )
                }
                None => batch_tensors(&train_set, chunk, &ad),
            };
            let logits = model.forward(x);
            let loss = loss_fn.forward(logits.clone(), y.clone());
            let hits = logits.argmax(1).flatten::<1>(0, 1).equal(y).int().sum();
            let loss_value = loss.clone().into_scalar::<f32>();
            correct += hits.into_scalar::<i64>() as usize;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(opts.learning_rate, model, grads);
            loss_sum += f64::from(loss_value) * chunk.len() as f64;
            seen += chunk.len();
            bar.inc(1);
            bar.set_message(format!("loss {:.4}", loss_value));
        }
        let n = train_set.len() as f64;
        // Without a validation split the last epoch is kept (NaN: nothing measured).
        let val_accuracy = if val_set.is_empty() {
            f64::NAN
        } else {
            evaluate(&model.valid(), &val_set, device).accuracy
        };
        bar.finish_and_clear();
        let stats = EpochStats {
            epoch,
            train_loss: loss_sum / n,
            train_accuracy: correct as f64 / n,
            val_accuracy,
            seconds: epoch_start.elapsed().as_secs_f64(),
        };
        if !opts.quiet {
            eprintln!(
                "epoch {epoch}: loss {:.4}, train acc {:.2}%, val acc {:.2}% ({:.1} s)",
                stats.train_loss,
                100.0 * stats.train_accuracy,
                100.0 * stats.val_accuracy,
                stats.seconds
            );
        }
        let go_on = opts.on_epoch.0.as_ref().is_none_or(|hook| hook(&stats));
        history.push(stats);
        if !go_on {
            return Err(Cancelled.into());
        }
        if val_set.is_empty() || best.as_ref().is_none_or(|(acc, _)| val_accuracy > *acc) {
            best = Some((val_accuracy, model.valid()));
            stale = 0;
        } else {
            stale += 1;
            if stale >= opts.patience {
                if !opts.quiet {
                    eprintln!("early stop: no better validation accuracy for {stale} epochs");
                }
                break;
            }
        }
    }
    let train_seconds = started.elapsed().as_secs_f64();
    let (_, best_model) = best.context("no epoch ran (epochs = 0?)")?;
    let test = evaluate(&best_model, &test_set, device);
    Ok(TrainOutcome {
        model: best_model,
        input: spec,
        test,
        history,
        split_sizes: [train_set.len(), val_set.len(), test_set.len()],
        train_seconds,
        items_per_second: seen as f64 / train_seconds.max(1e-9),
    })
}

fn progress_bar(len: u64, epoch: usize, opts: &TrainOptions) -> ProgressBar {
    if opts.quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "epoch {epoch} [{{bar:30}}] {{pos}}/{{len}} batches, {{per_sec}}, eta {{eta}} — {{msg}}"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}
