//! `kindling bench photos`: a real-photo set (e.g. TrashNet, given by path; never part of the
//! tests) through the pretrained backbone, then a simulated labeler: heads trained on the
//! embeddings of 50…1,000 labels chosen at random or by the margin queue, test accuracy at
//! each count, against a head on all labels. Prints a table; writes CSV + SVG.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use kindling::uncertainty::{Strategy, Uncertainty};
use kindling::{DeviceChoice, Session};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::backbone::embed::{EmbeddedFolder, embed_photos};
use crate::backbone::head::{HeadConfig, fit_head};
use crate::data::Dataset;
use crate::train::evaluate;

/// Arguments of `kindling bench photos`.
#[derive(Debug, Args)]
pub struct BenchPhotosArgs {
    /// Photo folder with `train/` and `test/` (or class folders, split with --test-split).
    #[arg(long)]
    pub data: PathBuf,
    /// Backbone bundle (`kindling backbone import`).
    #[arg(long)]
    pub backbone: PathBuf,
    /// Label counts to report.
    #[arg(long, value_delimiter = ',', default_value = "50,100,200,500,1000")]
    pub labels: Vec<usize>,
    /// Labels chosen at random before the queue takes over.
    #[arg(long, default_value_t = 20)]
    pub start: usize,
    /// Labels per queue round (the head is retrained after each).
    #[arg(long, default_value_t = 10)]
    pub step: usize,
    /// Seeds to average.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Share held out when the folder has no `test/`.
    #[arg(long, default_value_t = 0.2)]
    pub test_split: f64,
    /// Where the CSV and SVG go.
    #[arg(long, default_value = "docs/bench")]
    pub out: PathBuf,
}

fn accuracy(head: &kindling::Model, test: &Dataset) -> f64 {
    evaluate(head, test, &burn::tensor::Device::flex()).accuracy
}

/// Trains a head on `labeled` items of `pool`.
fn head_on(pool: &Dataset, labeled: &[usize], seed: u64) -> anyhow::Result<kindling::Model> {
    let config = HeadConfig {
        seed,
        ..HeadConfig::default()
    };
    Ok(fit_head(
        &pool.subset(labeled),
        &config,
        &burn::tensor::Device::flex(),
    )?
    .1)
}

/// One simulated labeling run: accuracy at each of `checkpoints` labels.
fn run_one(
    pool: &Dataset,
    test: &Dataset,
    strategy: Strategy,
    args: &BenchPhotosArgs,
    seed: u64,
) -> anyhow::Result<Vec<(usize, f64)>> {
    let mut order: Vec<usize> = (0..pool.len()).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let until = args
        .labels
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .min(pool.len());
    let mut labeled: Vec<usize> = order[..args.start.min(until)].to_vec();
    let mut unlabeled: Vec<usize> = order[labeled.len()..].to_vec();
    let mut curve = Vec::new();
    let device = burn::tensor::Device::flex();
    while labeled.len() < until {
        let next_checkpoint = args
            .labels
            .iter()
            .copied()
            .find(|&c| c > labeled.len())
            .unwrap_or(until);
        let take = args.step.min(next_checkpoint - labeled.len());
        if strategy != Strategy::Random {
            let head = head_on(pool, &labeled, seed)?;
            let candidates = pool.subset(&unlabeled);
            let probs = crate::train::probabilities(&head, &candidates, &device);
            let scores: Vec<f32> = probs
                .chunks(pool.classes.len())
                .map(|p| Uncertainty::from_probs(p).score(strategy))
                .collect();
            let mut idx: Vec<usize> = (0..unlabeled.len()).collect();
            idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
            unlabeled = idx.iter().map(|&i| unlabeled[i]).collect();
        }
        labeled.extend(unlabeled.drain(..take));
        if args.labels.contains(&labeled.len()) {
            let acc = accuracy(&head_on(pool, &labeled, seed)?, test);
            eprintln!(
                "  seed {seed} {strategy:?}: {} labels → {:.2}%",
                labeled.len(),
                100.0 * acc
            );
            curve.push((labeled.len(), acc));
        }
    }
    Ok(curve)
}

fn embed_split(
    session: &Session,
    photos: &[(PathBuf, u32)],
    classes: &[String],
) -> anyhow::Result<EmbeddedFolder> {
    let folder = embed_photos(session, photos, classes.to_vec(), 16, false)?;
    for f in &folder.failures {
        eprintln!("skipped {}: {} ({})", f.path.display(), f.reason, f.code);
    }
    Ok(folder)
}

/// Runs `kindling bench photos`.
pub fn run(args: BenchPhotosArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let base = super::bundle::read_bundle(&args.backbone)?;
    let session = pollster::block_on(Session::load(&base, DeviceChoice::Cpu))?;
    let (train_photos, test_photos, classes) =
        super::train_head::photo_splits(&args.data, args.test_split, 1)?;
    let train = embed_split(&session, &train_photos, &classes)?;
    let test = embed_split(&session, &test_photos, &classes)?;
    let photos = train.data.len() + test.data.len();
    let embed_ms = 1000.0 * (train.seconds + test.seconds) / photos.max(1) as f64;

    let mut all: Vec<usize> = (0..train.data.len()).collect();
    let t = Instant::now();
    let full = head_on(&train.data, &all, 1)?;
    let full_seconds = t.elapsed().as_secs_f64();
    let full_acc = accuracy(&full, &test.data);
    all.shuffle(&mut StdRng::seed_from_u64(1));
    let mut head_times = Vec::new();
    for n in [100, 1000] {
        if n <= all.len() {
            let t = Instant::now();
            head_on(&train.data, &all[..n], 1)?;
            head_times.push((n, t.elapsed().as_secs_f64()));
        }
    }

    let strategies = [("random", Strategy::Random), ("margin", Strategy::Margin)];
    let mut csv = String::from("seed,strategy,labels,test_accuracy\n");
    let mut curves: Vec<(String, BTreeMap<usize, Vec<f64>>)> = strategies
        .iter()
        .map(|(n, _)| (n.to_string(), BTreeMap::new()))
        .collect();
    for seed in 1..=args.seeds {
        for ((name, s), (_, curve)) in strategies.iter().zip(curves.iter_mut()) {
            for (labels, acc) in run_one(&train.data, &test.data, *s, &args, seed)? {
                writeln!(csv, "{seed},{name},{labels},{acc:.5}")?;
                curve.entry(labels).or_default().push(acc);
            }
        }
    }
    let means: Vec<(String, Vec<(usize, f64)>)> = curves
        .iter()
        .map(|(n, c)| {
            let points = c
                .iter()
                .map(|(&l, a)| (l, a.iter().sum::<f64>() / a.len() as f64))
                .collect();
            (n.clone(), points)
        })
        .collect();
    std::fs::create_dir_all(&args.out)?;
    let csv_path = args.out.join("photos-active-learning.csv");
    let svg_path = args.out.join("photos-active-learning.svg");
    std::fs::write(&csv_path, &csv)?;
    let title = format!(
        "{}: EfficientNet-Lite0 + linear head, test accuracy vs labels (mean of {} seeds)",
        data_name(&args.data),
        args.seeds
    );
    let max_x = args.labels.iter().copied().max().unwrap_or(1) as f64;
    std::fs::write(
        &svg_path,
        super::active_learning::chart(&means, Some((full_acc, "all labels")), &title, max_x),
    )?;

    println!(
        "\n{}: {} train / {} test photos, {} classes; embedding {:.1} ms per photo natively",
        data_name(&args.data),
        train.data.len(),
        test.data.len(),
        classes.len(),
        embed_ms
    );
    println!(
        "head on all {} labels: {:.2}% test accuracy (trained in {:.2} s)",
        train.data.len(),
        100.0 * full_acc,
        full_seconds
    );
    for (n, s) in &head_times {
        println!("head training, {n} labels: {:.0} ms natively", 1000.0 * s);
    }
    println!("\n| labels | random order | margin queue |\n|---|---|---|");
    for &n in &args.labels {
        let at = |name: &str| {
            means
                .iter()
                .find(|(m, _)| m == name)
                .and_then(|(_, c)| c.iter().find(|(l, _)| *l == n))
                .map_or("–".to_string(), |(_, a)| format!("{:.2}%", 100.0 * a))
        };
        println!("| {n} | {} | {} |", at("random"), at("margin"));
    }
    println!(
        "\nwrote {} and {} in {:.0} s",
        csv_path.display(),
        svg_path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn data_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
