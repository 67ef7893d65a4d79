//! `kindling fixture`: the bundle, inputs and native probabilities the browser parity tests
//! load, so that the wasm build is checked against this native build on identical bytes.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kindling::{DeviceChoice, Session};

/// Arguments of `kindling fixture`.
#[derive(Debug, Args)]
pub struct FixtureArgs {
    /// Bundle directory or `.kbundle` archive to check.
    #[arg(long)]
    pub bundle: PathBuf,
    /// Output directory: `bundle.kbundle`, `inputs.f32`, `expected.f32`, `meta.json`.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of items.
    #[arg(long, default_value_t = 100)]
    pub count: usize,
    /// Raw little-endian f32 inputs to use (default: deterministic pseudo-random pixels).
    #[arg(long, conflicts_with = "data")]
    pub inputs: Option<PathBuf>,
    /// Take the first `count` items of this data set's held-out test split (`mnist`,
    /// `fashion-mnist`, an IDX directory).
    #[arg(long)]
    pub data: Option<String>,
    /// Use these photos (every PNG/JPEG/WebP in the folder, in name order; `count` is their
    /// number), decoded and preprocessed natively, for a bundle with an image input.
    #[arg(long, conflicts_with_all = ["data", "inputs"])]
    pub photos: Option<PathBuf>,
}

/// The photos in `dir` (name order), decoded and preprocessed for `bundle`.
fn photo_inputs(
    bundle: &kindling::Bundle,
    dir: &std::path::Path,
) -> anyhow::Result<(Vec<f32>, usize)> {
    let spec = bundle
        .manifest()
        .input
        .image()
        .context("--photos needs a bundle with an image input")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["png", "jpg", "jpeg", "webp"].contains(&e.to_ascii_lowercase().as_str())
            })
        })
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no photos in {}", dir.display());
    let mut inputs = Vec::new();
    for f in &files {
        let rgba = crate::data::photo::decode_photo(&std::fs::read(f)?)
            .with_context(|| format!("decoding {}", f.display()))?;
        let (w, h) = rgba.dimensions();
        inputs.extend(kindling::preprocess::image_from_rgba(
            spec,
            rgba.as_raw(),
            w as usize,
            h as usize,
        )?);
    }
    Ok((inputs, files.len()))
}

/// Deterministic pseudo-random values in `[0, 1)` (xorshift), for parity inputs.
pub fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed.max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as f32 / (1u32 << 24) as f32
        })
        .collect()
}

fn write_f32(path: &std::path::Path, values: &[f32]) -> anyhow::Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Runs `kindling fixture`.
pub fn run(mut args: FixtureArgs) -> anyhow::Result<()> {
    let bundle = super::bundle::read_bundle(&args.bundle)?;
    let per_item = bundle.manifest().input.len();
    let photos = match &args.photos {
        Some(dir) => Some(photo_inputs(&bundle, dir)?),
        None => None,
    };
    let inputs = match (&args.inputs, &args.data) {
        _ if photos.is_some() => {
            let (inputs, count) = photos.unwrap_or_default();
            args.count = count;
            inputs
        }
        (_, Some(spec)) => {
            let data = crate::data::load(&crate::data::DataSource::parse(spec, "label")?, 28)?;
            let test = data
                .test
                .context("this data set has no held-out test split")?;
            anyhow::ensure!(
                test.item_len == per_item,
                "the data set's items have {} values, the bundle takes {per_item}",
                test.item_len
            );
            anyhow::ensure!(
                test.len() >= args.count,
                "the test split has only {} items",
                test.len()
            );
            test.items[..args.count * per_item].to_vec()
        }
        (Some(p), None) => {
            let v = super::predict::read_f32(p)?;
            anyhow::ensure!(
                v.len() >= args.count * per_item,
                "{} holds fewer than {} items",
                p.display(),
                args.count
            );
            v[..args.count * per_item].to_vec()
        }
        (None, None) => pseudo_random(args.count * per_item, 0x5eed),
    };
    let session = pollster::block_on(Session::load(&bundle, DeviceChoice::Cpu))?;
    let probs = pollster::block_on(session.probabilities(&inputs, args.count))?;
    let classes = bundle.manifest().labels.len();
    let top1: Vec<&str> = probs
        .chunks(classes)
        .map(|row| {
            let best = (0..classes)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap_or(0);
            bundle.manifest().labels[best].as_str()
        })
        .collect();
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("bundle.kbundle"), bundle.to_archive())?;
    write_f32(&args.out.join("inputs.f32"), &inputs)?;
    write_f32(&args.out.join("expected.f32"), &probs)?;
    let meta = serde_json::json!({
        "count": args.count, "input_len": per_item, "classes": bundle.manifest().labels.len(),
        "bundle": bundle.manifest().name, "version": bundle.manifest().version,
        "top1": top1,
    });
    std::fs::write(
        args.out.join("meta.json"),
        serde_json::to_string_pretty(&meta)?,
    )?;
    println!(
        "wrote parity fixture for {} items to {}",
        args.count,
        args.out.display()
    );
    Ok(())
}
