//! `kindling bench photos`: a real-photo set (e.g. TrashNet, given by path; never part of the
//! tests) — or a text set (`train.jsonl` + `test.jsonl`, e.g. SpamAssassin from
//! `scripts/spam-data.mjs`) — through the pretrained backbone, then a simulated labeler: heads
//! trained on the embeddings of 50…1,000 labels chosen at random or by the margin queue, test
//! accuracy (and F1 of `--positive`) at each count, against a head on all labels. Prints a
//! table; writes CSV + SVG.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::active_learning::queue_round;
use super::bench_crossing::{Curve, crossing_spread, labels_to_reach};
use clap::Args;
use kindling::uncertainty::Strategy;
use kindling::{Bundle, DeviceChoice, Session};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::backbone::embed::embed_photos;
use crate::backbone::head::{HeadConfig, fit_head};
use crate::data::Dataset;
use kindling::bundle::InputSpec;
use kindling::svm_head::SvmHeadConfig;

/// Arguments of `kindling bench photos`.
#[derive(Debug, Args)]
pub struct BenchPhotosArgs {
    /// Photo folder with `train/` and `test/` (or class folders, split with --test-split), or
    /// a folder with `train.jsonl` and `test.jsonl` (`{"text", "label"}` per line) for a text
    /// backbone.
    #[arg(long)]
    pub data: PathBuf,
    /// A class whose F1 is reported too (e.g. `spam`).
    #[arg(long)]
    pub positive: Option<String>,
    /// Backbone bundle (`kindling backbone import`); not needed with `--arch text_ngram`.
    #[arg(long, required_unless_present = "arch")]
    pub backbone: Option<PathBuf>,
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
    /// One in this many queue slots is a random pick, as in the app's queue
    /// (`kindling::queue::EXPLORE_EVERY`); 0: pure ranking, the README's table.
    #[arg(long, default_value_t = 0)]
    pub explore_every: usize,
    /// Share held out when the folder has no `test/`.
    #[arg(long, default_value_t = 0.2)]
    pub test_split: f64,
    /// Where the CSV and SVG go.
    #[arg(long, default_value = "docs/bench")]
    pub out: PathBuf,
    /// Hidden layer widths of the head (none: a linear head).
    #[arg(long, value_delimiter = ',')]
    pub hidden: Vec<usize>,
    /// Weight decay (L2) of a softmax-regression or hidden-layer head (default: the server's —
    /// 1e-3 for photos, 1e-2 for texts).
    #[arg(long)]
    pub weight_decay: Option<f32>,
    /// Full-batch Adam steps per head (softmax regression and hidden layers; default 200).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Fit linear heads on photos by softmax regression (Adam, `--steps`, `--weight-decay`),
    /// the learner before 2026-12-06, instead of the server's support vector machines.
    #[arg(long)]
    pub softmax: bool,
    /// `C` of the support vector machines fitted as linear heads on photos (default: the
    /// server's, `kindling::svm_head::SvmHeadConfig`).
    #[arg(long, conflicts_with = "softmax")]
    pub svm_c: Option<f32>,
    /// Also embed each photo mirrored: train on both, average both at test time.
    #[arg(long)]
    pub flip: bool,
    /// `text_ngram`: instead of heads on the backbone's embeddings, train the hashed n-gram
    /// classifier from scratch at every step, as a text project's jobs do (text data only;
    /// `--backbone` is then not read).
    #[arg(long)]
    pub arch: Option<String>,
    /// With `--arch text_ngram`: fit the browser's own `text_ngram` at every step — naive Bayes
    /// over the same hashed n-grams (`kindling::local_ngram`), what a text project suggests
    /// with before it has a version — instead of training one as a project's job does.
    #[arg(long, requires = "arch")]
    pub local: bool,
    /// Cache embeddings here (keyed by backbone hash and photo list); none: recompute.
    #[arg(long, env = "KINDLING_EMBEDDING_CACHE")]
    pub cache: Option<PathBuf>,
    /// The backbone's input spec, set by `run`: a text backbone that carries the texts' words
    /// gets the server's lexical head (`HeadConfig::for_input`; `--hidden` and `--steps` are
    /// then not read, `--weight-decay` is).
    #[arg(skip)]
    pub backbone_input: Option<InputSpec>,
}

/// What is trained on the labels at each step.
enum Learner {
    /// A head on the backbone's embeddings.
    Head(HeadConfig),
    /// `text_ngram` from scratch, with the options of a text project's job.
    TextNgram(u64),
    /// The browser's local `text_ngram` (naive Bayes; no seed).
    LocalNgram,
}

/// The data is texts (`train.jsonl` + `test.jsonl`), not photos.
fn is_text_data(args: &BenchPhotosArgs) -> bool {
    args.data.join("train.jsonl").is_file()
}

/// The head's weight decay: `--weight-decay`, else the server's for this kind of data.
fn weight_decay(args: &BenchPhotosArgs) -> f32 {
    args.weight_decay.unwrap_or(if is_text_data(args) {
        crate::backbone::head::TEXT_WEIGHT_DECAY
    } else {
        HeadConfig::default().weight_decay
    })
}

/// The learner of this run.
fn head_config(args: &BenchPhotosArgs, seed: u64) -> Learner {
    if args.arch.as_deref() == Some("text_ngram") {
        return if args.local {
            Learner::LocalNgram
        } else {
            Learner::TextNgram(seed)
        };
    }
    if let Some(input) = &args.backbone_input
        && input.text().is_some_and(|t| t.lexical.is_some())
    {
        let config = HeadConfig {
            seed,
            ..HeadConfig::default()
        }
        .for_input(input);
        return Learner::Head(HeadConfig {
            weight_decay: args.weight_decay.unwrap_or(config.weight_decay),
            ..config
        });
    }
    // Linear heads on photos are SVMs, as the server's jobs and the browser's local head fit
    // them below `HIDDEN_FROM_LABELS` labels.
    let svm =
        (!is_text_data(args) && args.hidden.is_empty() && !args.softmax).then(|| SvmHeadConfig {
            c: args.svm_c.unwrap_or(SvmHeadConfig::default().c),
            ..SvmHeadConfig::default()
        });
    Learner::Head(HeadConfig {
        hidden: args.hidden.clone(),
        steps: args.steps.unwrap_or(HeadConfig::default().steps),
        weight_decay: weight_decay(args),
        seed,
        svm,
        ..HeadConfig::default()
    })
}

/// Refuses a head flag the run's learner would not read: `--steps` / `--weight-decay` with SVM
/// heads, `--svm-c` without them.
fn check_head_flags(args: &BenchPhotosArgs) -> anyhow::Result<()> {
    let svm = matches!(
        head_config(args, 0),
        Learner::Head(HeadConfig { svm: Some(_), .. })
    );
    if svm {
        anyhow::ensure!(
            args.steps.is_none() && args.weight_decay.is_none(),
            "--steps and --weight-decay apply to softmax-regression and hidden-layer heads; the \
             linear heads on photos are SVMs (--svm-c), or add --softmax"
        );
    } else {
        anyhow::ensure!(
            args.svm_c.is_none(),
            "--svm-c applies to the linear heads on photos (SVMs), not to this run's learner"
        );
    }
    Ok(())
}

/// Embeddings of one split: as photographed and, with `--flip`, mirrored (same order).
struct Split {
    plain: Dataset,
    mirrored: Option<Dataset>,
}

impl Split {
    fn len(&self) -> usize {
        self.plain.len()
    }

    /// The training set of items `idx`: each embedding, and its mirror when there is one.
    fn training(&self, idx: &[usize]) -> Dataset {
        let mut d = self.plain.subset(idx);
        if let Some(m) = &self.mirrored {
            let extra = m.subset(idx);
            d.items.extend(extra.items);
            d.labels.extend(extra.labels);
        }
        d
    }

    /// Class probabilities of every item (averaged with the mirror when there is one).
    fn probabilities(&self, head: &kindling::Model, idx: &[usize]) -> Vec<f32> {
        let device = burn::tensor::Device::flex();
        let mut p = crate::train::probabilities(head, &self.plain.subset(idx), &device);
        if let Some(m) = &self.mirrored {
            let q = crate::train::probabilities(head, &m.subset(idx), &device);
            for (a, b) in p.iter_mut().zip(q) {
                *a = (*a + b) / 2.0;
            }
        }
        p
    }

    /// Test accuracy, and the F1 of class `positive` when given.
    fn scores(&self, head: &kindling::Model, positive: Option<usize>) -> (f64, Option<f64>) {
        let all: Vec<usize> = (0..self.len()).collect();
        let classes = self.plain.classes.len();
        let probs = self.probabilities(head, &all);
        let predicted: Vec<usize> = probs
            .chunks(classes)
            .map(|row| {
                (0..classes)
                    .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                    .unwrap_or(0)
            })
            .collect();
        let truth = self.plain.labels.iter().map(|l| *l as usize);
        let correct = predicted
            .iter()
            .zip(truth.clone())
            .filter(|(p, t)| **p == *t)
            .count();
        let f1 = positive.map(|c| {
            let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
            for (p, t) in predicted.iter().zip(truth) {
                match (*p == c, t == c) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fn_ += 1,
                    (false, false) => {}
                }
            }
            2.0 * tp as f64 / (2 * tp + fp + fn_).max(1) as f64
        });
        (correct as f64 / self.len().max(1) as f64, f1)
    }
}

/// Trains the learner on `labeled` items of `pool`.
fn head_on(pool: &Split, labeled: &[usize], learner: &Learner) -> anyhow::Result<kindling::Model> {
    let device = burn::tensor::Device::flex();
    let seed = match learner {
        Learner::Head(config) => return Ok(fit_head(&pool.training(labeled), config, &device)?.1),
        Learner::TextNgram(seed) => *seed,
        Learner::LocalNgram => {
            use crate::data::texts::{NGRAM_BUCKETS, NGRAM_FEATURES};
            use kindling::local_ngram::{LocalNgramConfig, local_ngram_from_ids};
            let d = pool.training(labeled);
            // The hashed texts, their padding (id 0) dropped.
            let rows: Vec<Vec<u32>> = d
                .items
                .chunks(d.item_len)
                .map(|r| r.iter().filter(|&&v| v != 0.0).map(|&v| v as u32).collect())
                .collect();
            let config = LocalNgramConfig {
                buckets: NGRAM_BUCKETS as u32,
                max_features: NGRAM_FEATURES,
                ..LocalNgramConfig::default()
            };
            let bundle =
                local_ngram_from_ids(&rows, &d.labels, &d.classes, config, "bench", String::new())?;
            return Ok(bundle.load_model(&device)?);
        }
    };
    let data = crate::data::LoadedData {
        train: pool.training(labeled),
        // Training reports on a test set; the benchmark measures on its own (below).
        test: Some(pool.training(&labeled[..1])),
        description: "labeled texts".into(),
    };
    let arch = crate::train::preset("text_ngram", &data.train.input, data.train.classes.len())?;
    let opts = crate::train::text_ngram_options(labeled.len(), seed);
    Ok(crate::train::train(&arch, &data, &opts, &device)?.model)
}

/// Draws of the seeds for the crossing's bootstrap interval.
const RESAMPLES: usize = 2000;

/// One simulated labeling run.
struct Run {
    /// Accuracy (and F1 of the positive class) at each checkpoint of `--labels`.
    checkpoints: Vec<(usize, f64, Option<f64>)>,
    /// Accuracy of the head that chose each round's items (the queue's strategies only), by the
    /// labels it was trained on, where that is not a checkpoint: the curve between checkpoints,
    /// at no extra training.
    rounds: Vec<(usize, f64)>,
}

impl Run {
    /// Accuracy by labels over both the rounds and the checkpoints: a count in both (a round's
    /// head is a checkpoint's) is one point.
    fn curve(&self) -> Curve {
        let checkpoints = self.checkpoints.iter().map(|&(l, a, _)| (l, a));
        self.rounds.iter().copied().chain(checkpoints).collect()
    }
}

/// One simulated labeling run: accuracy (and F1 of `positive`) at each of `checkpoints` labels.
fn run_one(
    pool: &Split,
    test: &Split,
    strategy: Strategy,
    args: &BenchPhotosArgs,
    positive: Option<usize>,
    seed: u64,
) -> anyhow::Result<Run> {
    let config = head_config(args, seed);
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
    let mut rounds = Vec::new();
    let classes = pool.plain.classes.len();
    // The head of the last checkpoint, which the next round chooses with (not trained twice).
    let mut checkpoint_head = None;
    // The random start itself can be a checkpoint (e.g. 20 labels).
    if args.labels.contains(&labeled.len()) {
        let head = head_on(pool, &labeled, &config)?;
        let (acc, f1) = test.scores(&head, positive);
        curve.push((labeled.len(), acc, f1));
        checkpoint_head = Some(head);
    }
    while labeled.len() < until {
        let next_checkpoint = args
            .labels
            .iter()
            .copied()
            .find(|&c| c > labeled.len())
            .unwrap_or(until);
        let take = args.step.min(next_checkpoint - labeled.len());
        if strategy != Strategy::Random {
            let head = match checkpoint_head.take() {
                Some(head) => head,
                None => {
                    let head = head_on(pool, &labeled, &config)?;
                    rounds.push((labeled.len(), test.scores(&head, positive).0));
                    head
                }
            };
            let probs = pool.probabilities(&head, &unlabeled);
            // Pure ranking unless `--explore-every` (the README's curves are).
            unlabeled = queue_round(
                &unlabeled,
                Some((&probs, classes)),
                strategy,
                seed,
                labeled.len(),
                args.explore_every,
            );
        }
        labeled.extend(unlabeled.drain(..take));
        if args.labels.contains(&labeled.len()) {
            let head = head_on(pool, &labeled, &config)?;
            let (acc, f1) = test.scores(&head, positive);
            checkpoint_head = Some(head);
            eprintln!(
                "  seed {seed} {strategy:?}: {} labels → {:.2}%{}",
                labeled.len(),
                100.0 * acc,
                f1.map_or(String::new(), |f| format!(", F1 {f:.3}"))
            );
            curve.push((labeled.len(), acc, f1));
        }
    }
    Ok(Run {
        checkpoints: curve,
        rounds,
    })
}

/// The embeddings of `photos`, from `cache` when it holds them for this backbone and this
/// list of files, else computed (and stored there).
fn embed_split(
    session: &Session,
    backbone_sha: &str,
    photos: &[(PathBuf, u32)],
    classes: &[String],
    mirror: bool,
    cache: Option<&Path>,
) -> anyhow::Result<(Dataset, f64)> {
    let mut key = format!("{backbone_sha}\n{mirror}\n");
    for (p, l) in photos {
        let size = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let _ = writeln!(key, "{}\t{l}\t{size}", p.display());
    }
    cached(cache, &key, classes, || {
        let folder = embed_photos(session, photos, classes.to_vec(), 16, false, mirror)?;
        folder.report_failures();
        let per_photo = folder.seconds / folder.data.len().max(1) as f64;
        Ok((folder.data, per_photo))
    })
}

/// The data set stored in `cache` under `key` (with 0 seconds per item), else `compute`d and
/// stored there.
fn cached(
    cache: Option<&Path>,
    key: &str,
    classes: &[String],
    compute: impl FnOnce() -> anyhow::Result<(Dataset, f64)>,
) -> anyhow::Result<(Dataset, f64)> {
    let file = cache.map(|dir| {
        dir.join(format!(
            "{}.emb",
            &kindling::bundle::sha256_hex(key.as_bytes())[..24]
        ))
    });
    if let Some(file) = &file
        && let Ok(bytes) = std::fs::read(file)
        && let Some(data) = decode_cached(&bytes, classes)
    {
        return Ok((data, 0.0));
    }
    let (data, seconds) = compute()?;
    if let Some(file) = &file {
        std::fs::create_dir_all(file.parent().unwrap_or(Path::new(".")))?;
        std::fs::write(file, encode_cached(&data))?;
    }
    Ok((data, seconds))
}

/// `n: u64, dim: u64, n·dim f32, n u32` little-endian.
fn encode_cached(d: &Dataset) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + d.items.len() * 4 + d.labels.len() * 4);
    out.extend((d.len() as u64).to_le_bytes());
    out.extend((d.item_len as u64).to_le_bytes());
    out.extend(d.items.iter().flat_map(|v| v.to_le_bytes()));
    out.extend(d.labels.iter().flat_map(|v| v.to_le_bytes()));
    out
}

fn decode_cached(bytes: &[u8], classes: &[String]) -> Option<Dataset> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let dim = u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?) as usize;
    let floats = bytes.get(16..16 + n * dim * 4)?;
    let labels = bytes.get(16 + n * dim * 4..16 + n * dim * 4 + n * 4)?;
    Some(Dataset {
        items: floats
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        labels: labels
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        item_len: dim,
        classes: classes.to_vec(),
        input: crate::backbone::embed::embedding_spec(dim),
    })
}

/// The embeddings of labeled texts, from `cache` when it holds them for this backbone and
/// these texts, else computed (and stored there); with seconds per text.
fn embed_text_split(
    session: &Session,
    backbone_sha: &str,
    rows: &[(String, u32)],
    classes: &[String],
    cache: Option<&Path>,
) -> anyhow::Result<(Dataset, f64)> {
    let mut key = format!("{backbone_sha}\ntexts\n");
    for (text, label) in rows {
        let _ = writeln!(
            key,
            "{}\t{label}",
            kindling::bundle::sha256_hex(text.as_bytes())
        );
    }
    cached(cache, &key, classes, || {
        let t = Instant::now();
        let data = crate::backbone::embed::embed_texts(session, rows, classes)?;
        let per_text = t.elapsed().as_secs_f64() / rows.len().max(1) as f64;
        Ok((data, per_text))
    })
}

/// Test accuracy of `head` on embeddings `test`.
pub(crate) fn accuracy_of(head: &kindling::Model, test: &Dataset) -> f64 {
    Split {
        plain: test.clone(),
        mirrored: None,
    }
    .scores(head, None)
    .0
}

/// A backbone bundle's CPU session and what keys the embedding cache: the sha256 of its
/// (first) backbone file and its input spec (the same weights read 128 or 256 tokens, 224 or
/// 160 pixels, and embed differently).
fn backbone_session(dir: &Path) -> anyhow::Result<(Bundle, Session, String)> {
    let base = super::bundle::read_bundle(dir)?;
    let session = pollster::block_on(Session::load(&base, DeviceChoice::Cpu))?;
    let manifest = base.manifest();
    let sha = manifest
        .backbone
        .as_ref()
        .and_then(|b| b.files.first())
        .map(|f| f.sha256.clone())
        .unwrap_or_default();
    let key = format!("{sha} {}", serde_json::to_string(&manifest.input)?);
    Ok((base, session, key))
}

/// The train and test embeddings (from `cache` when there) of the photo folder `root`
/// (`train/` and `test/`, or class folders split 80/20) by the backbone bundle `backbone`.
pub(crate) fn embedded_photo_splits(
    root: &Path,
    backbone: &Path,
    cache: Option<&Path>,
) -> anyhow::Result<(Dataset, Dataset)> {
    let (_, session, sha) = backbone_session(backbone)?;
    let (train, test, classes) = super::train_head::photo_splits(root, 0.2, 1)?;
    let (train, _) = embed_split(&session, &sha, &train, &classes, false, cache)?;
    let (test, _) = embed_split(&session, &sha, &test, &classes, false, cache)?;
    Ok((train, test))
}

/// Runs `kindling bench photos`.
pub fn run(mut args: BenchPhotosArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (backbone, sha) = match (&args.backbone, args.arch.as_deref()) {
        (_, Some("text_ngram")) => (None, String::new()),
        (Some(dir), None) => {
            let (base, session, sha) = backbone_session(dir)?;
            args.backbone_input = Some(base.manifest().input.clone());
            (Some((base, session)), sha)
        }
        (None, None) => anyhow::bail!("give --backbone (or --arch text_ngram)"),
        (_, Some(other)) => anyhow::bail!("--arch {other}: only `text_ngram` is benchmarked"),
    };
    let session = || {
        backbone
            .as_ref()
            .map(|(_, s)| s)
            .ok_or_else(|| anyhow::anyhow!("this needs --backbone"))
    };
    check_head_flags(&args)?;
    let texts = is_text_data(&args);
    let (train, test, classes, train_s, test_s) = if texts {
        use crate::backbone::embed::read_labeled_texts;
        let (train_rows, classes) =
            read_labeled_texts(&args.data.join("train.jsonl"), "text", "label", None)?;
        let (test_rows, _) = read_labeled_texts(
            &args.data.join("test.jsonl"),
            "text",
            "label",
            Some(&classes),
        )?;
        let cache = args.cache.as_deref();
        let (train, train_s, test, test_s) = if args.arch.as_deref() == Some("text_ngram") {
            let InputSpec::Text(spec) = crate::data::texts::ngram_input() else {
                unreachable!("ngram_input is a text spec")
            };
            let hashed = |rows| crate::data::texts::hashed_dataset(rows, &classes, &spec);
            (hashed(&train_rows), 0.0, hashed(&test_rows), 0.0)
        } else {
            let (train, train_s) =
                embed_text_split(session()?, &sha, &train_rows, &classes, cache)?;
            let (test, test_s) = embed_text_split(session()?, &sha, &test_rows, &classes, cache)?;
            (train, train_s, test, test_s)
        };
        let plain = |d| Split {
            plain: d,
            mirrored: None,
        };
        (plain(train), plain(test), classes, train_s, test_s)
    } else {
        let (train_photos, test_photos, classes) =
            super::train_head::photo_splits(&args.data, args.test_split, 1)?;
        let split = |photos: &[(PathBuf, u32)]| -> anyhow::Result<(Split, f64)> {
            let (plain, ms) = embed_split(
                session()?,
                &sha,
                photos,
                &classes,
                false,
                args.cache.as_deref(),
            )?;
            let mirrored = if args.flip {
                Some(
                    embed_split(
                        session()?,
                        &sha,
                        photos,
                        &classes,
                        true,
                        args.cache.as_deref(),
                    )?
                    .0,
                )
            } else {
                None
            };
            Ok((Split { plain, mirrored }, ms))
        };
        let (train, train_s) = split(&train_photos)?;
        let (test, test_s) = split(&test_photos)?;
        (train, test, classes, train_s, test_s)
    };
    let positive = match &args.positive {
        Some(p) => Some(
            classes
                .iter()
                .position(|c| c == p)
                .ok_or_else(|| anyhow::anyhow!("--positive {p}: not a class ({classes:?})"))?,
        ),
        None => None,
    };
    let item = if texts { "text" } else { "photo" };
    let backbone_name = match args.arch.as_deref() {
        Some(arch) if args.local => format!("{arch}, the browser's naive Bayes"),
        Some(arch) => arch.to_string(),
        None => backbone
            .as_ref()
            .and_then(|(b, _)| {
                let m = b.manifest();
                let size = m
                    .input
                    .image()
                    .map_or(String::new(), |i| format!(" ({} px)", i.width));
                m.backbone
                    .as_ref()
                    .map(|bb| format!("{}{size} + head", bb.name))
            })
            .unwrap_or_else(|| "backbone".to_string()),
    };
    let embed_ms = 1000.0 * (train_s + test_s) / 2.0;

    let mut all: Vec<usize> = (0..train.len()).collect();
    let t = Instant::now();
    let full = head_on(&train, &all, &head_config(&args, 1))?;
    let full_seconds = t.elapsed().as_secs_f64();
    let (full_acc, full_f1) = test.scores(&full, positive);
    all.shuffle(&mut StdRng::seed_from_u64(1));
    let mut head_times = Vec::new();
    for n in [100, 1000] {
        if n <= all.len() {
            let t = Instant::now();
            head_on(&train, &all[..n], &head_config(&args, 1))?;
            head_times.push((n, t.elapsed().as_secs_f64()));
        }
    }

    let strategies = [("random", Strategy::Random), ("margin", Strategy::Margin)];
    let mut csv = String::from("seed,strategy,labels,test_accuracy,f1\n");
    let mut curves: Vec<(String, BTreeMap<usize, Vec<f64>>)> = strategies
        .iter()
        .map(|(n, _)| (n.to_string(), BTreeMap::new()))
        .collect();
    let mut f1s: BTreeMap<(String, usize), Vec<f64>> = BTreeMap::new();
    let mut margin_curves = Vec::new();
    // Random order's most labels and its accuracy there, by seed (the queue's target).
    let mut random_most: Vec<(usize, f64)> = Vec::new();
    for seed in 1..=args.seeds {
        for ((name, s), (_, curve)) in strategies.iter().zip(curves.iter_mut()) {
            let run = run_one(&train, &test, *s, &args, positive, seed)?;
            for &(labels, acc, f1) in &run.checkpoints {
                let f1_cell = f1.map_or(String::new(), |f| format!("{f:.5}"));
                writeln!(csv, "{seed},{name},{labels},{acc:.5},{f1_cell}")?;
                curve.entry(labels).or_default().push(acc);
                if let Some(f) = f1 {
                    f1s.entry((name.to_string(), labels)).or_default().push(f);
                }
            }
            match s {
                Strategy::Margin => margin_curves.push(run.curve()),
                Strategy::Random => random_most.extend(run.checkpoints.last().map(|c| (c.0, c.1))),
                _ => {}
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
    let stem = match (texts, args.arch.as_deref()) {
        (true, Some(arch)) if args.local => format!("texts-{arch}-local"),
        (true, Some(arch)) => format!("texts-{arch}"),
        (true, None) => "texts".to_string(),
        (false, _) => "photos".to_string(),
    };
    let csv_path = args.out.join(format!("{stem}-active-learning.csv"));
    let svg_path = args.out.join(format!("{stem}-active-learning.svg"));
    std::fs::write(&csv_path, &csv)?;
    let title = format!(
        "{}: {backbone_name}, test accuracy vs labels (mean of {} seeds)",
        data_name(&args.data),
        args.seeds
    );
    let max_x = args.labels.iter().copied().max().unwrap_or(1) as f64;
    std::fs::write(
        &svg_path,
        super::active_learning::chart(
            &means,
            Some((full_acc, "all labels")),
            &title,
            max_x,
            "labels",
        ),
    )?;

    let learner = match head_config(&args, 0) {
        Learner::TextNgram(_) => {
            "text_ngram trained from scratch with a project job's options".to_string()
        }
        Learner::LocalNgram => {
            "the browser's local text_ngram (naive Bayes over the hashed n-grams)".to_string()
        }
        Learner::Head(c) => format!(
            "embedding {} natively; head: {}{}{}",
            if embed_ms > 0.0 {
                format!("{embed_ms:.1} ms per {item}")
            } else {
                "cached".into()
            },
            match c.svm {
                Some(svm) => format!(
                    "linear, one-vs-rest SVMs (squared hinge, C {}, temperature {})",
                    svm.c, svm.temperature
                ),
                None => format!(
                    "hidden {:?}, {} steps, weight decay {}",
                    c.hidden, c.steps, c.weight_decay
                ),
            },
            c.lexical.map_or(String::new(), |l| format!(
                ", reading the words too ({} buckets, {} ids per text, sentence × max(0.35, \
                 35 / labels))",
                l.lexical.buckets, l.lexical.features
            )),
            if args.flip {
                ", mirrored photos too (training + test-time average)"
            } else {
                ""
            }
        ),
    };
    println!(
        "\n{}: {} train / {} test {item}s, {} classes; {learner}",
        data_name(&args.data),
        train.len(),
        test.len(),
        classes.len(),
    );
    println!(
        "head on all {} labels: {:.2}% test accuracy{} (trained in {:.2} s)",
        train.len(),
        100.0 * full_acc,
        full_f1.map_or(String::new(), |f| format!(", F1 {f:.3}")),
        full_seconds
    );
    for (n, s) in &head_times {
        println!("head training, {n} labels: {:.0} ms natively", 1000.0 * s);
    }
    println!("\n| labels | random order | margin queue |\n|---|---|---|");
    for &n in &args.labels {
        let at = |name: &str| {
            let acc = means
                .iter()
                .find(|(m, _)| m == name)
                .and_then(|(_, c)| c.iter().find(|(l, _)| *l == n))
                .map_or("–".to_string(), |(_, a)| format!("{:.2}%", 100.0 * a));
            match f1s.get(&(name.to_string(), n)) {
                Some(f) => format!("{acc} (F1 {:.3})", f.iter().sum::<f64>() / f.len() as f64),
                None => acc,
            }
        };
        println!("| {n} | {} | {} |", at("random"), at("margin"));
    }
    // The yardstick for the queue: how few of its labels match random order's most.
    let queue = match args.explore_every {
        0 => "the margin queue".to_string(),
        n => format!("the margin queue (one random pick in {n}, as in the app)"),
    };
    if !margin_curves.is_empty() && random_most.len() == margin_curves.len() {
        let most = random_most[0].0;
        let targets: Vec<f64> = random_most.iter().map(|&(_, acc)| acc).collect();
        let target = targets.iter().sum::<f64>() / targets.len() as f64;
        let curves: Vec<&Curve> = margin_curves.iter().collect();
        let spread = crossing_spread(&margin_curves, &targets, RESAMPLES, 0x5eed);
        let bound = |b: Option<usize>| b.map_or(format!("beyond {most}"), |n| n.to_string());
        let spread_line = format!(
            "95% bootstrap interval over the {} seeds: {}–{} labels{}",
            margin_curves.len(),
            bound(spread.interval.0),
            bound(spread.interval.1),
            match spread.never {
                0 => String::new(),
                n => format!("; {n} of {RESAMPLES} draws never reach it"),
            }
        );
        match labels_to_reach(&curves, target) {
            Some(n) => println!(
                "\n{queue} reaches random order's {most}-label accuracy ({:.2}%) at {n} \
                 labels ({:.2} of them; mean of the seeds, checked after every round; \
                 {spread_line})",
                100.0 * target,
                n as f64 / most as f64
            ),
            None => println!(
                "\n{queue} does not reach random order's {most}-label accuracy ({:.2}%) \
                 within {most} labels ({spread_line})",
                100.0 * target
            ),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_that_is_both_a_round_and_a_checkpoint_is_one_point_of_the_curve() {
        let run = Run {
            checkpoints: vec![(30, 0.7, None), (50, 0.9, Some(0.5))],
            rounds: vec![(20, 0.5), (30, 0.7), (40, 0.8)],
        };
        let curve: Vec<(usize, f64)> = run.curve().into_iter().collect();
        assert_eq!(curve, [(20, 0.5), (30, 0.7), (40, 0.8), (50, 0.9)]);
    }
}
