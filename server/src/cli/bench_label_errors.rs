//! `kindling bench label-errors`: how many wrong labels the likely-errors queue finds. Take a
//! pool of training items, flip a known share of their labels (uniform: to any other class;
//! class-conditional: each class to one fixed other class, as a systematic confusion would),
//! get out-of-sample probabilities by k-fold training on the noisy labels, order the items with
//! `kindling::label_errors::likely_errors` (confident learning) in the queue's two rounds (the
//! second trains without the first's most suspect items) — on a backbone's embeddings combined
//! with neighbour agreement (`kindling::neighbours`), as `review_queue` does — and report the
//! precision and recall of the flipped labels among the first 5%, 10% and 20% reviewed, against
//! reviewing in random order; then the test accuracy of a model trained on the noisy labels, on the labels
//! after a reviewer fixed what the first 10% showed, and on the clean labels. Writes a CSV and
//! an SVG (recall against the share reviewed). Numbers to print, not a test.
//!
//! With `--backbone`, `--data` is a photo folder (`train/` and `test/` of class folders, e.g.
//! TrashNet): the items are the backbone's embeddings, the queue's fold models are the linear
//! heads the browser's `likelyErrors` fits, and the accuracies are the server's heads'.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::tensor::Device;
use clap::Args;
use kindling::label_errors::{
    NEIGHBOURS, likely_errors, out_of_fold_probabilities, second_round_left_out, with_neighbours,
};
use kindling::local_head::LocalHeadConfig;
use kindling::neighbours::{by_agreement, neighbour_agreement};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use crate::backbone::head::{HeadConfig, fit_head};
use crate::data::{DataSource, Dataset, LoadedData, load};
use crate::train::{TrainOptions, normalized, probabilities, train};

/// Arguments of `kindling bench label-errors`.
#[derive(Debug, Args)]
pub struct LabelErrorsArgs {
    /// Data set with a test split: `fashion-mnist`, `mnist` or an IDX directory; with
    /// `--backbone`, a photo folder with `train/` and `test/`.
    #[arg(long, default_value = "fashion-mnist")]
    pub data: String,
    /// Backbone bundle (`kindling backbone import`): rank and train on its embeddings of the
    /// photos in `--data` (then `--arch`, `--epochs` and `--patience` are not read).
    #[arg(long)]
    pub backbone: Option<PathBuf>,
    /// Cache embeddings here (keyed by backbone hash and photo list); none: recompute.
    #[arg(long, env = "KINDLING_EMBEDDING_CACHE")]
    pub cache: Option<PathBuf>,
    /// Architecture preset of the fold models and of the before/after models.
    #[arg(long, default_value = "mlp")]
    pub arch: String,
    /// Training items in the pool (a seeded random subset).
    #[arg(long, default_value_t = 10_000)]
    pub pool: usize,
    /// Share of the pool's labels flipped.
    #[arg(long, default_value_t = 0.1)]
    pub noise: f64,
    /// Noise kinds: `uniform` (to any other class), `class-conditional` (class c to class c+1).
    #[arg(
        long,
        default_value = "uniform,class-conditional",
        value_delimiter = ','
    )]
    pub kinds: Vec<String>,
    /// Folds of the out-of-sample probabilities.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Maximum epochs per model (early stopping on a 10% validation split of noisy labels).
    #[arg(long, default_value_t = 15)]
    pub epochs: usize,
    /// Early stopping: epochs without a better validation accuracy.
    #[arg(long, default_value_t = 3)]
    pub patience: usize,
    /// Seed of the pool, the flips, the folds and the models.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Models (seeds `seed`, `seed + 1`, …) averaged for each test accuracy (clean, noisy,
    /// after fixing): one model's run-to-run spread is as large as what 10% noise costs.
    #[arg(long, default_value_t = 1)]
    pub model_seeds: u64,
    /// Where the CSV and the SVG go.
    #[arg(long, default_value = "artifacts/bench/label-errors")]
    pub out: PathBuf,
}

/// Shares of the pool reviewed that the table reports.
const REVIEWED: [f64; 3] = [0.05, 0.10, 0.20];
/// The share a reviewer goes through before the "after fixing" model is trained.
const FIX_SHARE: f64 = 0.10;
/// The least accuracy the noise must cost for "share of it recovered" to be reported.
const MEANINGFUL_COST: f64 = 0.005;

fn options(args: &LabelErrorsArgs) -> TrainOptions {
    TrainOptions::for_bench(args.epochs, 64, args.patience, args.seed)
}

/// Flips `noise` of `labels` (returns the flipped positions, sorted).
fn flip(
    labels: &mut [u32],
    classes: u32,
    noise: f64,
    kind: &str,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<usize>> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.shuffle(rng);
    let mut flipped: Vec<usize> = order[..(noise * labels.len() as f64).round() as usize].to_vec();
    for &i in &flipped {
        labels[i] = match kind {
            "uniform" => (labels[i] + rng.random_range(1..classes)) % classes,
            "class-conditional" => (labels[i] + 1) % classes,
            other => anyhow::bail!("unknown noise kind `{other}` (uniform, class-conditional)"),
        };
    }
    flipped.sort_unstable();
    Ok(flipped)
}

/// What the fold models and the before/after models are.
enum Learner {
    /// An architecture trained on the items (`--arch`, early stopping).
    Model(kindling::ArchConfig),
    /// Heads on a backbone's embeddings: the browser's linear heads for the queue, the
    /// server's head (`HeadConfig::for_labels`) for the accuracies.
    Heads,
}

impl Learner {
    /// Out-of-sample probabilities of `noisy`'s items, the models trained without the items
    /// `left_out` marks.
    fn out_of_sample(
        &self,
        noisy: &Dataset,
        test: &Dataset,
        args: &LabelErrorsArgs,
        left_out: &[bool],
    ) -> anyhow::Result<Vec<f32>> {
        match self {
            Learner::Model(arch) => out_of_sample(arch, noisy, test, args, left_out),
            // The pool is shuffled, so `out_of_fold_probabilities`' folds (i % folds) are too.
            Learner::Heads => Ok(pollster::block_on(out_of_fold_probabilities(
                &noisy.items,
                &noisy.labels,
                noisy.item_len,
                noisy.classes.len(),
                args.folds,
                left_out,
                LocalHeadConfig::default(),
                &Device::flex(),
            ))
            .map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))?),
        }
    }

    /// The features the review view ranks with neighbour agreement: a backbone's embeddings
    /// (for a model without a backbone it ranks class probabilities, without neighbours).
    fn neighbour_features<'a>(&self, noisy: &'a Dataset) -> Option<&'a [f32]> {
        match self {
            Learner::Heads => Some(&noisy.items),
            Learner::Model(_) => None,
        }
    }

    /// Test accuracy of models trained on `train`: the mean over `args.model_seeds` seeds.
    fn accuracy(
        &self,
        train_set: Dataset,
        test: &Dataset,
        args: &LabelErrorsArgs,
    ) -> anyhow::Result<f64> {
        let seeds = args.model_seeds.max(1);
        let mut sum = 0.0;
        for s in 0..seeds {
            let seed = args.seed + s;
            sum += match self {
                Learner::Model(arch) => {
                    let data = LoadedData {
                        train: train_set.clone(),
                        test: Some(test.clone()),
                        description: String::new(),
                    };
                    let options = TrainOptions {
                        seed,
                        ..options(args)
                    };
                    train(arch, &data, &options, &Device::flex())?.test.accuracy
                }
                Learner::Heads => {
                    let config = HeadConfig::for_labels(train_set.len(), seed);
                    let (_, head) = fit_head(&train_set, &config, &Device::flex())?;
                    super::bench_photos::accuracy_of(&head, test)
                }
            };
        }
        Ok(sum / seeds as f64)
    }
}

/// Out-of-sample probabilities `[n, classes]` of `noisy`'s items: each from the model of the
/// folds it is not in, trained without the items `left_out` marks (`&[]`: none).
fn out_of_sample(
    arch: &kindling::ArchConfig,
    noisy: &Dataset,
    test: &Dataset,
    args: &LabelErrorsArgs,
    left_out: &[bool],
) -> anyhow::Result<Vec<f32>> {
    let n = noisy.len();
    let k = noisy.classes.len();
    let mut probs = vec![0f32; n * k];
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut StdRng::seed_from_u64(args.seed ^ 0xf01d));
    for f in 0..args.folds {
        let held: Vec<usize> = order.iter().copied().skip(f).step_by(args.folds).collect();
        let rest: Vec<usize> = order
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, _)| i % args.folds != f)
            .map(|(_, x)| x)
            .filter(|&x| !left_out.get(x).copied().unwrap_or(false))
            .collect();
        let data = LoadedData {
            train: noisy.subset(&rest),
            test: Some(test.clone()),
            description: String::new(),
        };
        let outcome = train(arch, &data, &options(args), &Device::flex())?;
        let held_probs = probabilities(
            &outcome.model,
            &normalized(&noisy.subset(&held), &outcome.input),
            &Device::flex(),
        );
        for (row, &i) in held_probs.chunks(k).zip(&held) {
            probs[i * k..(i + 1) * k].copy_from_slice(row);
        }
        eprintln!(
            "  fold {}/{}: trained on {} items, test {:.2}%",
            f + 1,
            args.folds,
            rest.len(),
            100.0 * outcome.test.accuracy
        );
    }
    Ok(probs)
}

/// `(precision, recall)` of the flipped items among the first `share` of `order`.
fn found(order: &[usize], flipped: &[usize], share: f64) -> (f64, f64) {
    let reviewed = ((share * order.len() as f64).round() as usize).min(order.len());
    let hits = order[..reviewed]
        .iter()
        .filter(|i| flipped.binary_search(i).is_ok())
        .count();
    (
        hits as f64 / reviewed.max(1) as f64,
        hits as f64 / flipped.len().max(1) as f64,
    )
}

/// Runs `kindling bench label-errors`.
pub fn run(args: LabelErrorsArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.folds >= 2, "--folds must be at least 2");
    let (data, learner, learner_name) = match &args.backbone {
        Some(backbone) => {
            let (train, test) = super::bench_photos::embedded_photo_splits(
                Path::new(&args.data),
                backbone,
                args.cache.as_deref(),
            )?;
            let data = LoadedData {
                train,
                test: Some(test),
                description: String::new(),
            };
            (
                data,
                Learner::Heads,
                "linear heads on embeddings".to_string(),
            )
        }
        None => {
            let source = DataSource::parse(&args.data, "label")?;
            let data = load(&source, 28)?;
            let arch =
                crate::train::preset(&args.arch, &data.train.input, data.train.classes.len())?;
            (data, Learner::Model(arch), args.arch.clone())
        }
    };
    let test = data.test.clone().context(
        "the data set needs a test split of its own (fashion-mnist, mnist, an IDX directory)",
    )?;
    std::fs::create_dir_all(&args.out)?;
    let started = std::time::Instant::now();
    let mut pool: Vec<usize> = (0..data.train.len()).collect();
    pool.shuffle(&mut StdRng::seed_from_u64(args.seed));
    pool.truncate(args.pool);
    let clean = data.train.subset(&pool);
    let classes = clean.classes.len() as u32;
    eprintln!("clean labels: {learner_name} on {} items", clean.len());
    let clean_acc = learner.accuracy(clean.clone(), &test, &args)?;

    let mut csv = String::from("kind,order,reviewed_share,precision,recall\n");
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    for kind in &args.kinds {
        eprintln!("== {kind} noise, {:.0}%", 100.0 * args.noise);
        let mut rng = StdRng::seed_from_u64(args.seed ^ 0xbad_1abe1);
        let mut noisy = clean.clone();
        let flipped = flip(&mut noisy.labels, classes, args.noise, kind, &mut rng)?;
        let k = classes as usize;
        // The queue's two rounds and neighbour agreement, as `label_errors::review_queue` runs
        // them on features.
        let probs = learner.out_of_sample(&noisy, &test, &args, &[])?;
        let first = likely_errors(&probs, k, &noisy.labels)?;
        let left_out = second_round_left_out(&first);
        eprintln!(
            "second round: {} of {} items left out of training",
            left_out.iter().filter(|&&l| l).count(),
            noisy.len()
        );
        let second = learner.out_of_sample(&noisy, &test, &args, &left_out)?;
        let items = |q: Vec<kindling::label_errors::Suspect>| -> Vec<usize> {
            q.iter().map(|s| s.item).collect()
        };
        let second_round = likely_errors(&second, k, &noisy.labels)?;
        let agreement = learner.neighbour_features(&noisy).map(|features| {
            let started = std::time::Instant::now();
            let a = neighbour_agreement(features, &noisy.labels, noisy.item_len, NEIGHBOURS);
            eprintln!(
                "neighbour agreement: {} items × {} values in {:.0} ms",
                noisy.len(),
                noisy.item_len,
                started.elapsed().as_secs_f64() * 1e3
            );
            a
        });
        let queue = items(match &agreement {
            Some(a) => with_neighbours(second_round.clone(), a),
            None => second_round.clone(),
        });
        let two_rounds = items(second_round);
        let first_round = items(first);
        let by_agreement = agreement.as_deref().map(by_agreement);
        // Two plain scores of the first round's probabilities for comparison (the queue divides
        // self-confidence by the class's mean): ascending self-confidence, and descending margin
        // of the most likely other class over it.
        let score_order = |score: &dyn Fn(&[f32], usize) -> f32| {
            let mut order: Vec<usize> = (0..noisy.len()).collect();
            order.sort_by(|&a, &b| {
                let (ra, rb) = (&probs[a * k..(a + 1) * k], &probs[b * k..(b + 1) * k]);
                score(rb, noisy.labels[b] as usize)
                    .total_cmp(&score(ra, noisy.labels[a] as usize))
                    .then(a.cmp(&b))
            });
            order
        };
        let by_confidence = score_order(&|row, y| -row[y]);
        let by_margin = score_order(&|row, y| {
            let other = (0..row.len())
                .filter(|&j| j != y)
                .map(|j| row[j])
                .fold(f32::MIN, f32::max);
            other - row[y]
        });
        let mut random: Vec<usize> = (0..noisy.len()).collect();
        random.shuffle(&mut rng);
        let mut orders = vec![("likely-errors queue", &queue)];
        if let Some(by_agreement) = &by_agreement {
            orders.push(("two rounds, no neighbours", &two_rounds));
            orders.push(("neighbour agreement only", by_agreement));
        }
        orders.extend([
            ("first round only", &first_round),
            ("self-confidence only", &by_confidence),
            ("margin only", &by_margin),
            ("random order", &random),
        ]);
        for (name, order) in orders {
            let mut curve = Vec::new();
            for pct in 0..=30usize {
                let (p, r) = found(order, &flipped, pct as f64 / 100.0);
                writeln!(csv, "{kind},{name},{:.2},{p:.4},{r:.4}", pct as f64 / 100.0)?;
                curve.push((pct, r));
            }
            curves.push((format!("{kind}: {name}"), curve));
            let cells: Vec<String> = REVIEWED
                .iter()
                .map(|&s| {
                    let (p, r) = found(order, &flipped, s);
                    format!("{:.0}% / {:.0}%", 100.0 * p, 100.0 * r)
                })
                .collect();
            rows.push(format!("| {kind} | {name} | {} |", cells.join(" | ")));
        }
        // A reviewer goes through the first 10% and corrects the wrong labels it shows.
        let reviewed = (FIX_SHARE * queue.len() as f64).round() as usize;
        let mut fixed = noisy.clone();
        for &i in &queue[..reviewed] {
            fixed.labels[i] = clean.labels[i];
        }
        let noisy_acc = learner.accuracy(noisy, &test, &args)?;
        let fixed_acc = learner.accuracy(fixed, &test, &args)?;
        let cost = clean_acc - noisy_acc;
        // A cost within one model's run-to-run spread makes "share recovered" meaningless.
        let recovered = if cost >= MEANINGFUL_COST {
            format!(
                "{:.0}% of what the noise cost recovered",
                100.0 * (fixed_acc - noisy_acc) / cost
            )
        } else {
            format!(
                "the noise cost {:.2} points, under {:.1}: no recovery share",
                100.0 * cost,
                100.0 * MEANINGFUL_COST
            )
        };
        rows.push(format!(
            "| {kind} | test accuracy: clean {:.2}%, noisy {:.2}%, after fixing the first 10% {:.2}% ({recovered}) | | | |",
            100.0 * clean_acc,
            100.0 * noisy_acc,
            100.0 * fixed_acc,
        ));
    }
    let csv_path = args.out.join("label-errors.csv");
    std::fs::write(&csv_path, &csv)?;
    let svg_path = args.out.join("label-errors.svg");
    let title = format!(
        "Wrong labels found vs share reviewed ({}, {:.0}% flipped, {} items, {}-fold {})",
        args.data,
        100.0 * args.noise,
        clean.len(),
        args.folds,
        learner_name
    );
    std::fs::write(
        &svg_path,
        super::active_learning::chart(&curves, None, &title, 30.0, "% of items reviewed"),
    )?;
    println!(
        "\n{} items of {}, {:.0}% of their labels flipped; precision / recall of the flipped labels among the items reviewed first:\n",
        clean.len(),
        args.data,
        100.0 * args.noise
    );
    println!(
        "| noise | order | 5% reviewed | 10% reviewed | 20% reviewed |\n|---|---|---|---|---|"
    );
    for r in rows {
        println!("{r}");
    }
    println!(
        "\nwrote {} and {} in {:.0} s",
        csv_path.display(),
        svg_path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
