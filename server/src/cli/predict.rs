//! `kindling predict`: native inference over image files or raw f32 inputs, for scripts and
//! for checking the browser against the native build.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use kindling::bundle::InputSpec;
use kindling::preprocess::image_from_rgba;
use kindling::{DeviceChoice, Prediction, Session};

/// Arguments of `kindling predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Bundle directory or `.kbundle` archive.
    #[arg(long)]
    pub bundle: PathBuf,
    /// Image files (PNG or JPEG), resized and converted per the bundle's input spec.
    pub files: Vec<PathBuf>,
    /// Raw little-endian f32 inputs, items back to back (instead of image files).
    #[arg(long, conflicts_with = "files")]
    pub raw: Option<PathBuf>,
    /// Classes to print per item.
    #[arg(long, default_value_t = 3)]
    pub top_k: usize,
    /// Print one JSON object per item (with all probabilities) instead of text.
    #[arg(long)]
    pub json: bool,
    /// `cpu` (default) or `webgpu` (burn's wgpu backend; needs the `webgpu` build feature).
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// Loads `path` (PNG/JPEG) as one input item for `spec`.
pub fn image_item(spec: &InputSpec, path: &Path) -> anyhow::Result<Vec<f32>> {
    let InputSpec::Image(spec) = spec else {
        bail!("this bundle takes tabular input, not images");
    };
    let img = image::open(path)
        .with_context(|| format!("cannot read image {}", path.display()))?
        .to_rgba8();
    let (w, h) = img.dimensions();
    Ok(image_from_rgba(spec, img.as_raw(), w as usize, h as usize)?)
}

/// Reads raw little-endian f32 values.
pub fn read_f32(path: &Path) -> anyhow::Result<Vec<f32>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() % 4 != 0 {
        bail!(
            "{} is not a whole number of f32 values ({} bytes)",
            path.display(),
            bytes.len()
        );
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect())
}

/// Runs `kindling predict`.
pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    let bundle = super::bundle::read_bundle(&args.bundle)?;
    let choice: DeviceChoice = args.device.parse()?;
    let session = pollster::block_on(Session::load(&bundle, choice))?;
    let spec = &bundle.manifest().input;
    let (names, input): (Vec<String>, Vec<f32>) = match &args.raw {
        Some(raw) => {
            let values = read_f32(raw)?;
            let n = values.len() / spec.len().max(1);
            ((0..n).map(|i| format!("item {i}")).collect(), values)
        }
        None => {
            if args.files.is_empty() {
                bail!("give image files or --raw FILE");
            }
            let mut values = Vec::new();
            for f in &args.files {
                values.extend(image_item(spec, f)?);
            }
            (
                args.files.iter().map(|f| f.display().to_string()).collect(),
                values,
            )
        }
    };
    let out = pollster::block_on(session.predict(&input, names.len(), args.top_k))?;
    print_prediction(&names, &out, args.json)?;
    eprintln!("device: {}", session.backend());
    Ok(())
}

fn print_prediction(names: &[String], out: &Prediction, json: bool) -> anyhow::Result<()> {
    for ((name, item), probs) in names
        .iter()
        .zip(&out.items)
        .zip(out.probs.chunks(out.classes))
    {
        if json {
            let line = serde_json::json!({
                "item": name, "top_k": item.top_k, "uncertainty": item.uncertainty, "probs": probs,
            });
            println!("{line}");
        } else {
            let top: Vec<String> = item
                .top_k
                .iter()
                .map(|c| format!("{} {:.1}%", c.label, c.probability * 100.0))
                .collect();
            println!("{name}: {}", top.join(", "));
        }
    }
    Ok(())
}
