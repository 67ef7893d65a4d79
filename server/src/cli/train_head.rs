//! `kindling train --data PHOTOS --backbone BUNDLE`: a folder of real photos (any size, PNG /
//! JPEG / WebP, one subfolder per class; `train/` and `test/` subfolders are used as the
//! splits when present) → embeddings with the pretrained backbone → a head trained in
//! seconds → a format-2 bundle that shares the backbone file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kindling::bundle::{BundleInfo, Metrics};
use kindling::{Bundle, DeviceChoice, Session};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::backbone::embed::{LabeledPhotos, embed_photos, list_photo_folder};
use crate::backbone::head::{HeadConfig, fit_head};
use crate::data::Dataset;
use crate::train::{Evaluation, evaluate};

/// The photo folder's train and test photos: its `train/` and `test/` subfolders, or a seeded
/// split of its class folders (`test_share` of each class held out).
pub fn photo_splits(
    root: &Path,
    test_share: f64,
    seed: u64,
) -> anyhow::Result<(LabeledPhotos, LabeledPhotos, Vec<String>)> {
    let (train_dir, test_dir) = (root.join("train"), root.join("test"));
    if train_dir.is_dir() && test_dir.is_dir() {
        let (train, classes) = list_photo_folder(&train_dir, None)?;
        let (test, _) = list_photo_folder(&test_dir, Some(&classes))?;
        return Ok((train, test, classes));
    }
    let (all, classes) = list_photo_folder(root, None)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in 0..classes.len() as u32 {
        let mut of_class: Vec<_> = all.iter().filter(|(_, l)| *l == class).cloned().collect();
        of_class.shuffle(&mut rng);
        let held = ((of_class.len() as f64) * test_share).round() as usize;
        test.extend(of_class.drain(..held.min(of_class.len())));
        train.extend(of_class);
    }
    Ok((train, test, classes))
}

/// Runs the backbone path of `kindling train`.
pub fn run(args: &super::train::TrainArgs, backbone_dir: &Path) -> anyhow::Result<()> {
    let base = super::bundle::read_bundle(backbone_dir)?;
    anyhow::ensure!(
        base.manifest().backbone.is_some(),
        "{} has no backbone; make one with `kindling backbone import`",
        backbone_dir.display()
    );
    let session = pollster::block_on(Session::load(&base, DeviceChoice::Cpu))?;
    let root = PathBuf::from(&args.data);
    let (train, test, classes, item) = if base.manifest().input.text().is_some() {
        let (train, test, classes) = embedded_texts(args, &session, &root)?;
        (train, test, classes, "text")
    } else {
        let (train, test, classes) = embedded_photos(args, &session, &root)?;
        (train, test, classes, "photo")
    };
    let mut train_set = train;
    if let Some(limit) = args.limit {
        train_set = train_set.subset(&(0..limit.min(train_set.len())).collect::<Vec<_>>());
    }
    let config =
        HeadConfig::for_labels(train_set.len(), args.seed).for_input(&base.manifest().input);
    let started = std::time::Instant::now();
    let device = burn::tensor::Device::flex();
    let (arch, head) = fit_head(&train_set, &config, &device)?;
    let train_seconds = started.elapsed().as_secs_f64();
    let eval: Evaluation = evaluate(&head, &test, &device);
    super::train::print_evaluation(&eval);
    println!(
        "head trained on {} {item}s in {train_seconds:.2} s",
        train_set.len()
    );
    let mut metrics: Metrics = eval.metrics();
    metrics
        .extra
        .insert("data".into(), serde_json::json!(root.display().to_string()));
    metrics
        .extra
        .insert("train_items".into(), serde_json::json!(train_set.len()));
    metrics
        .extra
        .insert("train_seconds".into(), serde_json::json!(train_seconds));
    let name = args.name.clone().unwrap_or_else(|| {
        let data = args
            .data
            .rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or("data");
        let data = data.rsplit_once('.').map_or(data, |(stem, _)| stem);
        let backbone = base
            .manifest()
            .backbone
            .as_ref()
            .map_or("backbone", |b| b.architecture.arch_name());
        format!("{data}-{backbone}")
    });
    let info = BundleInfo {
        name,
        version: args.model_version.clone(),
        input: base.manifest().input.clone(),
        labels: classes,
        metrics: Some(metrics),
        created_at: crate::clock::now_rfc3339(),
    };
    let bundle = Bundle::head_on(&base, info, arch, head)?;
    if let Some(out) = &args.out {
        bundle.write_dir(out)?;
        copy_other_backbone_files(&bundle, backbone_dir, out)?;
        println!(
            "wrote bundle {} v{} to {} (head: {} bytes)",
            bundle.manifest().name,
            bundle.manifest().version,
            out.display(),
            bundle.weights().len()
        );
    }
    super::train::publish_if_asked(args, &bundle)
}

/// The photo folder's train and test photos, embedded (unreadable photos reported and left
/// out), with the class names.
fn embedded_photos(
    args: &super::train::TrainArgs,
    session: &Session,
    root: &Path,
) -> anyhow::Result<(Dataset, Dataset, Vec<String>)> {
    let (train_photos, test_photos, classes) = photo_splits(root, args.test_split, args.seed)?;
    eprintln!(
        "photos: {} to train on, {} to test on, {} classes",
        train_photos.len(),
        test_photos.len(),
        classes.len()
    );
    let embed = |photos: &LabeledPhotos| {
        embed_photos(session, photos, classes.clone(), 16, args.quiet, false)
    };
    let (train, test) = (embed(&train_photos)?, embed(&test_photos)?);
    train.report_failures();
    test.report_failures();
    let embedded = train.data.len() + test.data.len();
    eprintln!(
        "embedded {embedded} photos in {:.1} s ({:.1} ms per photo)",
        train.seconds + test.seconds,
        1000.0 * (train.seconds + test.seconds) / embedded.max(1) as f64
    );
    Ok((train.data, test.data, classes))
}

/// The labeled texts of a JSONL/CSV file (`--text-column`, `--label-column`), split with a
/// seeded shuffle (`--test-split` of each class held out) and embedded, with the class names.
fn embedded_texts(
    args: &super::train::TrainArgs,
    session: &Session,
    path: &Path,
) -> anyhow::Result<(Dataset, Dataset, Vec<String>)> {
    let (rows, classes) = crate::backbone::embed::read_labeled_texts(
        path,
        &args.text_column,
        &args.label_column,
        None,
    )?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in 0..classes.len() as u32 {
        let mut of_class: Vec<_> = rows.iter().filter(|(_, l)| *l == class).cloned().collect();
        of_class.shuffle(&mut rng);
        let held = ((of_class.len() as f64) * args.test_split).round() as usize;
        test.extend(of_class.drain(..held.min(of_class.len())));
        train.extend(of_class);
    }
    eprintln!(
        "texts: {} to train on, {} to test on, {} classes",
        train.len(),
        test.len(),
        classes.len()
    );
    let started = std::time::Instant::now();
    let train = crate::backbone::embed::embed_texts(session, &train, &classes)?;
    let test = crate::backbone::embed::embed_texts(session, &test, &classes)?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "embedded {} texts in {seconds:.1} s ({:.1} ms per text)",
        train.len() + test.len(),
        1000.0 * seconds / (train.len() + test.len()).max(1) as f64
    );
    Ok((train, test, classes))
}

/// Copies the backbone files `write_dir` did not write (the other element types) from `from`.
fn copy_other_backbone_files(bundle: &Bundle, from: &Path, to: &Path) -> anyhow::Result<()> {
    let Some(backbone) = &bundle.manifest().backbone else {
        return Ok(());
    };
    for f in &backbone.files {
        let (src, dst) = (from.join(&f.path), to.join(&f.path));
        if src.is_file() && !dst.exists() {
            std::fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}
