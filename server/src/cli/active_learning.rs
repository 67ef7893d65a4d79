//! `kindling bench active-learning`: how many labels each queue strategy needs. A simulated
//! labeler answers with the true labels: start from random labels, then repeatedly train,
//! order the unlabeled pool with each strategy — the labeling app's queue itself
//! (`kindling::queue::queue_order`, with its every-10th random pick unless `--explore-every`
//! says otherwise) — label the first batch, until the budget; test accuracy is recorded after
//! every round.
//! Writes a CSV and an SVG chart; prints the labels each strategy needs to reach 95% of the
//! accuracy of a model trained on the whole training set. Numbers to print, not a test.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use burn::tensor::Device;
use clap::Args;
use kindling::queue::{EXPLORE_EVERY, queue_order};
use kindling::uncertainty::{Strategy, Uncertainty};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::data::{DataSource, Dataset, LoadedData, load};
use crate::train::{TrainOptions, normalized, probabilities, train};

/// Arguments of `kindling bench active-learning`.
#[derive(Debug, Args)]
pub struct ActiveLearningArgs {
    /// Data set with a test split: `fashion-mnist`, `mnist` or an IDX directory.
    #[arg(long, default_value = "fashion-mnist")]
    pub data: String,
    /// Architecture preset trained every round (`mlp` is fast enough for many rounds).
    #[arg(long, default_value = "mlp")]
    pub arch: String,
    /// Strategies to compare.
    #[arg(
        long,
        default_value = "random,least-confidence,margin,entropy",
        value_delimiter = ','
    )]
    pub strategies: Vec<String>,
    /// Seeds 1..=N (each: its own initial labels, pool and initialization); results averaged.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Random labels to start from.
    #[arg(long, default_value_t = 100)]
    pub start: usize,
    /// Labels added per round.
    #[arg(long, default_value_t = 100)]
    pub step: usize,
    /// Stop at this many labels.
    #[arg(long, default_value_t = 5000)]
    pub until: usize,
    /// Use a random subset of this many training items as the unlabeled pool (default: all).
    #[arg(long)]
    pub pool: Option<usize>,
    /// Maximum epochs per round (early stopping on a 10% validation split).
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Early stopping: epochs without a better validation accuracy.
    #[arg(long, default_value_t = 5)]
    pub patience: usize,
    /// Items per gradient step.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// One in this many queue slots is a random pick, as in the app (0: pure ranking).
    #[arg(long, default_value_t = EXPLORE_EVERY)]
    pub explore_every: usize,
    /// Where the CSV and the SVG go.
    #[arg(long, default_value = "artifacts/bench/active-learning")]
    pub out: PathBuf,
}

fn strategy(name: &str) -> anyhow::Result<Strategy> {
    Ok(match name {
        "random" => Strategy::Random,
        "least-confidence" => Strategy::LeastConfidence,
        "margin" => Strategy::Margin,
        "entropy" => Strategy::Entropy,
        other => {
            anyhow::bail!("unknown strategy `{other}` (random, least-confidence, margin, entropy)")
        }
    })
}

fn options(args: &ActiveLearningArgs, seed: u64) -> TrainOptions {
    TrainOptions::for_bench(args.epochs, args.batch_size, args.patience, seed)
}

/// One simulated labeling run; returns `(labels, test accuracy)` per round.
fn run_one(
    all: &Dataset,
    test: &Dataset,
    pool: &[usize],
    arch: &kindling::ArchConfig,
    strategy: Strategy,
    args: &ActiveLearningArgs,
    seed: u64,
) -> anyhow::Result<Vec<(usize, f64)>> {
    let device = Device::flex();
    let mut labeled: Vec<usize> = pool[..args.start.min(pool.len())].to_vec();
    let mut unlabeled: Vec<usize> = pool[labeled.len()..].to_vec();
    let mut curve = Vec::new();
    loop {
        let data = LoadedData {
            train: all.subset(&labeled),
            test: Some(test.clone()),
            description: String::new(),
        };
        let outcome = train(arch, &data, &options(args, seed), &device)?;
        curve.push((labeled.len(), outcome.test.accuracy));
        eprintln!(
            "  seed {seed} {strategy:?}: {} labels → {:.2}%",
            labeled.len(),
            100.0 * outcome.test.accuracy
        );
        if labeled.len() >= args.until || unlabeled.is_empty() {
            return Ok(curve);
        }
        let take = args
            .step
            .min(args.until - labeled.len())
            .min(unlabeled.len());
        // The app's queue: every unlabeled item has a prediction (a random order needs none).
        let probs = (strategy != Strategy::Random).then(|| {
            let candidates = normalized(&all.subset(&unlabeled), &outcome.input);
            probabilities(&outcome.model, &candidates, &device)
        });
        unlabeled = queue_round(
            &unlabeled,
            probs.as_deref().map(|p| (p, all.classes.len())),
            strategy,
            seed,
            labeled.len(),
            args.explore_every,
        );
        labeled.extend(unlabeled.drain(..take));
    }
}

/// `unlabeled` in the app's queue order for one round of a simulated labeler (`probs`: the
/// head's class probabilities for them, one row of `classes` per item in the same order, or
/// `None` for random order, which needs none), with a seed per round so random picks and ties
/// differ between rounds (`labeled`: the labels so far).
pub(crate) fn queue_round(
    unlabeled: &[usize],
    probs: Option<(&[f32], usize)>,
    strategy: Strategy,
    seed: u64,
    labeled: usize,
    explore_every: usize,
) -> Vec<usize> {
    let items: Vec<Option<Uncertainty>> = match probs {
        Some((probs, classes)) => probs
            .chunks(classes.max(1))
            .map(|p| Some(Uncertainty::from_probs(p)))
            .collect(),
        None => vec![Some(Uncertainty::from_probs(&[])); unlabeled.len()],
    };
    let round_seed = seed ^ 0xa11ce ^ ((labeled as u64) << 20);
    queue_order(&items, strategy, round_seed, explore_every)
        .iter()
        .map(|&i| unlabeled[i])
        .collect()
}

/// Runs `kindling bench active-learning`.
pub fn run(args: ActiveLearningArgs) -> anyhow::Result<()> {
    let strategies: Vec<(String, Strategy)> = args
        .strategies
        .iter()
        .map(|s| Ok((s.clone(), strategy(s)?)))
        .collect::<anyhow::Result<_>>()?;
    let source = DataSource::parse(&args.data, "label")?;
    let data = load(&source, 28)?;
    let test = data.test.clone().context(
        "the data set needs a test split of its own (fashion-mnist, mnist, an IDX directory)",
    )?;
    let arch = crate::train::preset(&args.arch, &data.train.input, data.train.classes.len())?;
    std::fs::create_dir_all(&args.out)?;
    let started = std::time::Instant::now();

    eprintln!(
        "reference: {} on all {} training items",
        args.arch,
        data.train.len()
    );
    let full = train(&arch, &data, &options(&args, 0), &Device::flex())?;
    let target = 0.95 * full.test.accuracy;
    eprintln!(
        "reference accuracy {:.2}% → target (95%) {:.2}%",
        100.0 * full.test.accuracy,
        100.0 * target
    );

    let mut csv = String::from("seed,strategy,labels,test_accuracy\n");
    // strategy → labels → accuracies over seeds
    let mut curves: Vec<(String, std::collections::BTreeMap<usize, Vec<f64>>)> = strategies
        .iter()
        .map(|(n, _)| (n.clone(), Default::default()))
        .collect();
    for seed in 1..=args.seeds {
        let mut pool: Vec<usize> = (0..data.train.len()).collect();
        pool.shuffle(&mut StdRng::seed_from_u64(seed));
        if let Some(n) = args.pool {
            pool.truncate(n.max(args.start));
        }
        println!(
            "seed {seed}: pool of {} items, the first {} labeled at random",
            pool.len(),
            args.start
        );
        for ((name, s), (_, curve)) in strategies.iter().zip(curves.iter_mut()) {
            for (labels, acc) in run_one(&data.train, &test, &pool, &arch, *s, &args, seed)? {
                writeln!(csv, "{seed},{name},{labels},{acc:.5}")?;
                curve.entry(labels).or_default().push(acc);
            }
        }
    }
    let csv_path = args.out.join("active-learning.csv");
    std::fs::write(&csv_path, &csv)?;
    let means: Vec<(String, Vec<(usize, f64)>)> = curves
        .iter()
        .map(|(n, c)| {
            (
                n.clone(),
                c.iter()
                    .map(|(&l, accs)| (l, accs.iter().sum::<f64>() / accs.len() as f64))
                    .collect(),
            )
        })
        .collect();
    let svg_path = args.out.join("active-learning.svg");
    let title = format!(
        "Test accuracy vs labels ({}, {}, mean of {} seeds)",
        args.data, args.arch, args.seeds
    );
    let target_line = (target, "95% of the accuracy on all data");
    std::fs::write(
        &svg_path,
        chart(
            &means,
            Some(target_line),
            &title,
            args.until as f64,
            "labels",
        ),
    )?;

    println!(
        "\nreference: {} trained on all {} items: {:.2}% test accuracy; 95% of it: {:.2}%",
        args.arch,
        data.train.len(),
        100.0 * full.test.accuracy,
        100.0 * target
    );
    println!(
        "seeds 1..={} averaged; {} → {} labels in steps of {}\n",
        args.seeds, args.start, args.until, args.step
    );
    println!(
        "| strategy | labels to reach 95% of full-data accuracy | accuracy at {} labels |",
        args.until
    );
    println!("|---|---|---|");
    for (name, curve) in &means {
        let reached = curve
            .iter()
            .find(|(_, a)| *a >= target)
            .map(|(l, _)| l.to_string());
        let last = curve.last().map_or(0.0, |(_, a)| *a);
        println!(
            "| {name} | {} | {:.2}% |",
            reached.unwrap_or_else(|| format!("not within {}", args.until)),
            100.0 * last
        );
    }
    println!(
        "\nwrote {} and {} in {:.0} s",
        csv_path.display(),
        svg_path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A share (test accuracy, recall) against a count (labels, % reviewed) as an SVG line chart,
/// one line per curve, with an optional dashed target line; `x_label` names the x axis.
pub fn chart(
    curves: &[(String, Vec<(usize, f64)>)],
    target: Option<(f64, &str)>,
    title: &str,
    max_x: f64,
    x_label: &str,
) -> String {
    let (w, h, l, r, t, b) = (720.0, 420.0, 60.0, 170.0, 30.0, 50.0);
    let values = || curves.iter().flat_map(|(_, c)| c.iter().map(|(_, a)| *a));
    let first = values().next().unwrap_or(0.5);
    let anchor = target.map_or(first, |(v, _)| v);
    let min_y = values().fold(anchor, f64::min) - 0.02;
    let max_y = values().fold(anchor, f64::max) + 0.01;
    let x = |v: f64| l + v / max_x * (w - l - r);
    let y = |v: f64| t + (1.0 - (v - min_y) / (max_y - min_y)) * (h - t - b);
    let colors = ["#6b6b6b", "#b3470c", "#1f5fbf", "#2e8b57", "#8a2be2"];
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12"><rect width="{w}" height="{h}" fill="#fff"/><text x="{l}" y="18" font-size="14">{title}</text>"##
    );
    for i in 0..=5 {
        let v = min_y + (max_y - min_y) * f64::from(i) / 5.0;
        let _ = write!(
            s,
            r##"<line x1="{l}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#e4e4de"/><text x="{}" y="{:.1}" text-anchor="end">{:.1}%</text>"##,
            w - r,
            y(v),
            y(v),
            l - 6.0,
            y(v) + 4.0,
            100.0 * v
        );
        let lx = max_x * f64::from(i) / 5.0;
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" text-anchor="middle">{lx:.0}</text>"##,
            x(lx),
            h - b + 18.0
        );
    }
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="{}" text-anchor="middle">{x_label}</text>"##,
        (l + w - r) / 2.0,
        h - 10.0
    );
    if let Some((target, label)) = target {
        let _ = write!(
            s,
            r##"<line x1="{l}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#000" stroke-dasharray="5 4"/><text x="{}" y="{:.1}">{label}</text>"##,
            w - r,
            y(target),
            y(target),
            l + 6.0,
            y(target) - 5.0
        );
    }
    for (i, (name, curve)) in curves.iter().enumerate() {
        let color = colors[i % colors.len()];
        let points: Vec<String> = curve
            .iter()
            .map(|(lab, a)| format!("{:.1},{:.1}", x(*lab as f64), y(*a)))
            .collect();
        let _ = write!(
            s,
            r##"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/><text x="{}" y="{}" fill="{color}">{name}</text>"##,
            points.join(" "),
            w - r + 6.0,
            t + 20.0 + 18.0 * i as f64
        );
    }
    s.push_str("</svg>\n");
    s
}
