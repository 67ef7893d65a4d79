//! `kindling bundle demo | inspect | export-onnx | pack`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use kindling::Bundle;

/// Bundle subcommands.
#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Write a bundle with deterministic, untrained weights (a stand-in until training runs).
    Demo {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Seed for the weights.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Print a bundle's manifest, sizes, hashes and metrics, and verify its integrity.
    Inspect {
        /// Bundle directory or `.kbundle` archive.
        path: PathBuf,
    },
    /// Export a bundle as an ONNX model (opset 17): raw input `[batch, len]` → normalization →
    /// backbone → classifier → softmax `probabilities [batch, classes]`, the same weights and
    /// numbers as a session (mlp, cnn, efficientnet_lite0 + head).
    ExportOnnx {
        /// Bundle directory or `.kbundle` archive.
        path: PathBuf,
        /// Output `.onnx` file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Pack a bundle directory into a single `.kbundle` archive.
    Pack {
        /// Bundle directory.
        dir: PathBuf,
        /// Output archive path.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Reads a bundle directory or `.kbundle` archive, verifying sizes and hashes.
pub fn read_bundle(path: &std::path::Path) -> anyhow::Result<Bundle> {
    if path.is_dir() {
        Ok(Bundle::read_dir(path)?)
    } else {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Bundle::from_archive(&bytes)?)
    }
}

/// Runs a bundle subcommand.
pub fn run(cmd: BundleCommand) -> anyhow::Result<()> {
    match cmd {
        BundleCommand::Demo { out, seed } => {
            let bundle = crate::demo_bundle::build(seed)?;
            bundle.write_dir(&out)?;
            println!(
                "wrote {} ({} bytes of weights)",
                out.display(),
                bundle.weights().len()
            );
        }
        BundleCommand::Inspect { path } => inspect(&path)?,
        BundleCommand::ExportOnnx { path, out } => {
            let exported = crate::onnx::export_onnx(&read_bundle(&path)?)?;
            std::fs::write(&out, &exported.bytes)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} ({} bytes, {:.2} MFLOP per item)",
                out.display(),
                exported.bytes.len(),
                exported.flops_per_item as f64 / 1e6
            );
        }
        BundleCommand::Pack { dir, out } => {
            let bundle = Bundle::read_dir(&dir)?;
            std::fs::write(&out, bundle.to_archive())
                .with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {}", out.display());
        }
    }
    Ok(())
}

fn inspect(path: &std::path::Path) -> anyhow::Result<()> {
    let bundle = read_bundle(path)?;
    let m = bundle.manifest();
    println!(
        "{} v{} (format {}), created {}",
        m.name, m.version, m.format_version, m.created_at
    );
    println!("architecture: {}", serde_json::to_string(&m.architecture)?);
    println!("input: {}", serde_json::to_string(&m.input)?);
    println!("labels ({}): {}", m.labels.len(), m.labels.join(", "));
    println!(
        "weights: {} ({}, {} bytes, sha256 {}) — size and hash verified",
        m.weights.path, m.weights.format, m.weights.size, m.weights.sha256
    );
    bundle.load_model(&burn::tensor::Device::flex())?;
    println!("weights load into the architecture: ok");
    match &m.metrics {
        Some(metrics) => println!("metrics: {}", serde_json::to_string_pretty(metrics)?),
        None => println!("metrics: none (untrained or not recorded)"),
    }
    Ok(())
}
