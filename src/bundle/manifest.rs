//! `manifest.json`: what a bundle holds, how to feed its model, and how to verify its files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::BundleError;
use crate::model::{ArchConfig, KNOWN_ARCHITECTURES};

/// The bundle format version this runtime writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The parsed `manifest.json` of a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Bundle format version; see [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Model name, e.g. `fashion-mnist-cnn`.
    pub name: String,
    /// Model version, e.g. `"3"`; a new training run gets a new version.
    pub version: String,
    /// Architecture config, tagged by `arch`.
    pub architecture: ArchConfig,
    /// What one input item is and how it is preprocessed.
    pub input: InputSpec,
    /// Class labels, index = model output index.
    pub labels: Vec<String>,
    /// Evaluation metrics recorded at training time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// The weights file.
    pub weights: WeightsFile,
    /// When the bundle was written (RFC 3339, UTC).
    pub created_at: String,
}

/// The one input kind the model takes, with its preprocessing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum InputSpec {
    /// An image: pixels scaled to `[0, 1]`, channel-first (CHW), then `(x − mean) / std` per
    /// channel.
    Image(ImageInput),
    /// A vector of numeric features, then `(x − mean) / std` per feature.
    Tabular(TabularInput),
}

/// Image input: size, channels and normalization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    /// Width in pixels after resizing.
    pub width: usize,
    /// Height in pixels after resizing.
    pub height: usize,
    /// 1 = grayscale (luma), 3 = RGB.
    pub channels: usize,
    /// Per-channel mean subtracted after scaling to `[0, 1]` (one value, or one per channel).
    #[serde(default = "zero")]
    pub mean: Vec<f32>,
    /// Per-channel standard deviation divided by (one value, or one per channel).
    #[serde(default = "one")]
    pub std: Vec<f32>,
    /// Whether light-on-dark images were trained on (dark strokes on white must be inverted).
    #[serde(default)]
    pub light_on_dark: bool,
}

/// Tabular input: feature names and normalization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TabularInput {
    /// Feature names, in input order.
    pub features: Vec<String>,
    /// Per-feature mean.
    pub mean: Vec<f32>,
    /// Per-feature standard deviation.
    pub std: Vec<f32>,
}

fn zero() -> Vec<f32> {
    vec![0.0]
}
fn one() -> Vec<f32> {
    vec![1.0]
}

impl InputSpec {
    /// Number of `f32` values per input item.
    pub fn len(&self) -> usize {
        match self {
            InputSpec::Image(i) => i.width * i.height * i.channels,
            InputSpec::Tabular(t) => t.features.len(),
        }
    }

    /// Whether an item has no values at all (an invalid spec).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One weights file of a bundle, with what it takes to verify it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsFile {
    /// File name relative to the manifest, e.g. `weights.bpk`.
    pub path: String,
    /// Record format: `burnpack`.
    pub format: String,
    /// Lowercase hex sha256 of the file.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// Evaluation metrics stored with a trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Metrics {
    /// Accuracy on the held-out test split, in `[0, 1]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Number of held-out test items the metrics were measured on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_items: Option<usize>,
    /// Per-class precision and recall, in label order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_class: Vec<ClassMetrics>,
    /// Confusion matrix: `confusion[true][predicted]` counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confusion: Vec<Vec<u32>>,
    /// Anything else the trainer recorded (epochs, training time, data set, ...).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Precision and recall of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// The class label.
    pub label: String,
    /// Of the items predicted as this class, the share that are.
    pub precision: f64,
    /// Of the items of this class, the share predicted as it.
    pub recall: f64,
    /// Number of test items of this class.
    pub support: usize,
}

impl Manifest {
    /// Parses and checks `manifest.json`: format version first, then the architecture name,
    /// then every field, then that the parts agree with each other.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, BundleError> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| BundleError::InvalidManifest(e.to_string()))?;
        let version = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| {
                BundleError::InvalidManifest("missing numeric `format_version`".into())
            })?;
        if version != u64::from(FORMAT_VERSION) {
            return Err(BundleError::UnsupportedFormatVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let arch = value
            .pointer("/architecture/arch")
            .and_then(|v| v.as_str())
            .ok_or_else(|| BundleError::InvalidManifest("missing `architecture.arch`".into()))?;
        if !KNOWN_ARCHITECTURES.contains(&arch) {
            return Err(BundleError::UnknownArchitecture {
                found: arch.to_string(),
                known: KNOWN_ARCHITECTURES.join(", "),
            });
        }
        let manifest: Manifest = serde_json::from_value(value)
            .map_err(|e| BundleError::InvalidManifest(e.to_string()))?;
        manifest.check()?;
        Ok(manifest)
    }

    /// Serializes the manifest as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serializes")
    }

    /// Checks that the architecture is valid and agrees with the labels and the input spec.
    pub fn check(&self) -> Result<(), BundleError> {
        self.architecture.validate()?;
        let classes = self.architecture.classes();
        if self.labels.len() != classes {
            return Err(BundleError::Inconsistent(format!(
                "{} labels for a model with {classes} classes",
                self.labels.len()
            )));
        }
        if self.input.len() != self.architecture.input_len() {
            return Err(BundleError::Inconsistent(format!(
                "the input spec describes {} values per item but the `{}` takes {}",
                self.input.len(),
                self.architecture.arch_name(),
                self.architecture.input_len()
            )));
        }
        let channels = match &self.input {
            InputSpec::Image(i) => i.channels,
            InputSpec::Tabular(t) => t.features.len(),
        };
        let (mean, std) = match &self.input {
            InputSpec::Image(i) => (&i.mean, &i.std),
            InputSpec::Tabular(t) => (&t.mean, &t.std),
        };
        for (name, v) in [("mean", mean), ("std", std)] {
            if v.len() != 1 && v.len() != channels {
                return Err(BundleError::Inconsistent(format!(
                    "input `{name}` has {} values; give 1 or {channels}",
                    v.len()
                )));
            }
        }
        if std.iter().any(|s| !s.is_finite() || *s == 0.0) {
            return Err(BundleError::Inconsistent(
                "input `std` must be finite and non-zero".into(),
            ));
        }
        if self.weights.format != "burnpack" {
            return Err(BundleError::UnsupportedWeightsFormat(
                self.weights.format.clone(),
            ));
        }
        Ok(())
    }
}
