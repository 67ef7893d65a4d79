//! `manifest.json`: what a bundle holds, how to feed its model, and how to verify its files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::BundleError;
use crate::model::{ArchConfig, KNOWN_ARCHITECTURES, LexicalConfig};

/// The bundle format version this runtime writes: 2 adds an optional shared `backbone`.
pub const FORMAT_VERSION: u32 = 2;
/// The bundle format versions this runtime reads.
pub const READABLE_FORMAT_VERSIONS: [u32; 2] = [1, 2];

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
    /// The frozen, shared backbone whose embeddings the classifier reads (format 2). Absent:
    /// the classifier reads the preprocessed input itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backbone: Option<BackboneRef>,
    /// Architecture config of the classifier (with a backbone: the head), tagged by `arch`.
    pub architecture: ArchConfig,
    /// What one input item is and how it is preprocessed (with a backbone: the backbone's
    /// input).
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
    /// A text, tokenized into `max_tokens` ids (`[CLS] … [SEP]`, then `[PAD]` = 0).
    Text(TextInput),
}

/// How a text becomes token ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenizerKind {
    /// BERT basic tokenization + WordPiece; the vocabulary (`vocab.txt`) travels inside the
    /// backbone's weights file, so a text input with this tokenizer needs a backbone.
    WordPiece,
    /// Hashed word, word-bigram and character 3–5-gram ids (`buckets` of them), for a
    /// `text_ngram` classifier.
    #[serde(rename = "hashed_ngrams")]
    HashedNgrams,
}

/// Text input: tokenizer and length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    /// The tokenizer.
    pub tokenizer: TokenizerKind,
    /// Ids per item, `[CLS]` and `[SEP]` included; longer texts are cut.
    pub max_tokens: usize,
    /// Lower-case and strip accents first (uncased vocabularies).
    pub lowercase: bool,
    /// Hash buckets of `hashed_ngrams` (ids `1..buckets`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buckets: Option<usize>,
    /// Hashed word and bigram ids after the token ids of each row, for a text backbone that
    /// carries them (`crate::model::lexical`); the same as the backbone's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lexical: Option<LexicalConfig>,
}

impl TextInput {
    /// Values per item: `max_tokens` ids, then the lexical ids if any.
    pub fn row_len(&self) -> usize {
        self.max_tokens + self.lexical.map_or(0, |l| l.features)
    }
}

/// How a source image is fitted to the input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMode {
    /// Resize the whole image to the input size (aspect ratio not kept): small drawings,
    /// digits, icons.
    #[default]
    Stretch,
    /// Scale the shorter side to the input size and cut the center: photos.
    CenterCrop,
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
    /// How a source image of another size or aspect ratio is fitted.
    #[serde(default, skip_serializing_if = "is_stretch")]
    pub resize: ResizeMode,
}

fn is_stretch(mode: &ResizeMode) -> bool {
    *mode == ResizeMode::Stretch
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
            InputSpec::Text(t) => t.row_len(),
        }
    }

    /// The image spec, for an image input.
    pub fn image(&self) -> Option<&ImageInput> {
        match self {
            InputSpec::Image(i) => Some(i),
            InputSpec::Tabular(_) | InputSpec::Text(_) => None,
        }
    }

    /// The text spec, for a text input.
    pub fn text(&self) -> Option<&TextInput> {
        match self {
            InputSpec::Text(t) => Some(t),
            InputSpec::Image(_) | InputSpec::Tabular(_) => None,
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
    /// Element type the tensors are stored in (`f16` halves a download; computation is f32).
    #[serde(default, skip_serializing_if = "WeightsDtype::is_f32")]
    pub dtype: WeightsDtype,
}

/// Element type of a weights file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightsDtype {
    /// 32-bit floats.
    #[default]
    F32,
    /// 16-bit floats, widened to f32 when loaded.
    F16,
}

impl WeightsDtype {
    /// Whether this is the default `f32`.
    pub fn is_f32(&self) -> bool {
        *self == WeightsDtype::F32
    }

    /// The name used in manifests and options: `f32` or `f16`.
    pub fn name(&self) -> &'static str {
        match self {
            WeightsDtype::F32 => "f32",
            WeightsDtype::F16 => "f16",
        }
    }
}

/// A shared backbone: its architecture and its weights files, content-addressed (a file's
/// name is its sha256, so any number of model versions share one download).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackboneRef {
    /// Backbone name, e.g. `efficientnet_lite0-imagenet`.
    pub name: String,
    /// The backbone's architecture (a backbone architecture such as `efficientnet_lite0`).
    pub architecture: ArchConfig,
    /// The same weights in one or more element types (at most one per `dtype`).
    pub files: Vec<WeightsFile>,
}

impl BackboneRef {
    /// The file stored as `dtype`, if the backbone has one.
    pub fn file(&self, dtype: WeightsDtype) -> Option<&WeightsFile> {
        self.files.iter().find(|f| f.dtype == dtype)
    }

    /// Size of the embedding the backbone outputs.
    pub fn embedding_size(&self) -> usize {
        self.architecture.classes()
    }
}

/// The content-addressed file name of a backbone weights file.
pub fn backbone_file_name(sha256: &str) -> String {
    format!("backbone-{sha256}.bpk")
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
        if !READABLE_FORMAT_VERSIONS
            .iter()
            .any(|v| u64::from(*v) == version)
        {
            return Err(BundleError::UnsupportedFormatVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        for pointer in ["/architecture/arch", "/backbone/architecture/arch"] {
            let Some(arch) = value.pointer(pointer) else {
                if pointer == "/architecture/arch" {
                    return Err(BundleError::InvalidManifest(
                        "missing `architecture.arch`".into(),
                    ));
                }
                continue;
            };
            let arch = arch.as_str().unwrap_or_default();
            if !KNOWN_ARCHITECTURES.contains(&arch) {
                return Err(BundleError::UnknownArchitecture {
                    found: arch.to_string(),
                    known: KNOWN_ARCHITECTURES.join(", "),
                });
            }
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

    /// Checks that the architecture is valid and agrees with the labels, the input spec and
    /// the backbone.
    pub fn check(&self) -> Result<(), BundleError> {
        self.architecture.validate()?;
        if self.architecture.is_backbone() {
            return Err(BundleError::Inconsistent(format!(
                "`{}` is a backbone; it goes in `backbone`, with a classifier head in \
                 `architecture`",
                self.architecture.arch_name()
            )));
        }
        let classes = self.architecture.classes();
        if self.labels.len() != classes {
            return Err(BundleError::Inconsistent(format!(
                "{} labels for a model with {classes} classes",
                self.labels.len()
            )));
        }
        let first = match &self.backbone {
            Some(b) => {
                self.check_backbone(b)?;
                &b.architecture
            }
            None => &self.architecture,
        };
        if self.input.len() != first.input_len() {
            return Err(BundleError::Inconsistent(format!(
                "the input spec describes {} values per item but the `{}` takes {}",
                self.input.len(),
                first.arch_name(),
                first.input_len()
            )));
        }
        let (channels, mean, std) = match &self.input {
            InputSpec::Image(i) => (i.channels, &i.mean, &i.std),
            InputSpec::Tabular(t) => (t.features.len(), &t.mean, &t.std),
            InputSpec::Text(t) => {
                match (t.tokenizer, &self.architecture) {
                    (TokenizerKind::WordPiece, _) if self.backbone.is_none() => {
                        return Err(BundleError::Inconsistent(
                            "a `wordpiece` text input needs a backbone (its file carries the \
                             vocabulary)"
                                .into(),
                        ));
                    }
                    (TokenizerKind::HashedNgrams, ArchConfig::TextNgram(c))
                        if t.buckets == Some(c.buckets) => {}
                    (TokenizerKind::HashedNgrams, _) => {
                        return Err(BundleError::Inconsistent(
                            "a `hashed_ngrams` text input goes with a `text_ngram` classifier \
                             of the same `buckets`"
                                .into(),
                        ));
                    }
                    _ => {}
                }
                let backbone_lexical = match self.backbone.as_ref().map(|b| &b.architecture) {
                    Some(ArchConfig::MiniLmL6(c)) => c.lexical,
                    _ => None,
                };
                if t.lexical != backbone_lexical {
                    return Err(BundleError::Inconsistent(
                        "the text input's `lexical` ids differ from the backbone's".into(),
                    ));
                }
                if let ArchConfig::Mlp(head) = &self.architecture
                    && let Some(l) = &head.lexical
                    && Some(l.lexical) != t.lexical
                {
                    return Err(BundleError::Inconsistent(
                        "the head's `lexical` ids differ from the text input's".into(),
                    ));
                }
                return check_weights_format(&self.weights);
            }
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
        check_weights_format(&self.weights)
    }

    fn check_backbone(&self, backbone: &BackboneRef) -> Result<(), BundleError> {
        if self.format_version < 2 {
            return Err(BundleError::Inconsistent(
                "a `backbone` needs format_version 2".into(),
            ));
        }
        backbone.architecture.validate()?;
        if !backbone.architecture.is_backbone() {
            return Err(BundleError::Inconsistent(format!(
                "backbone architecture `{}` is a classifier, not a backbone",
                backbone.architecture.arch_name()
            )));
        }
        let embedding = backbone.embedding_size();
        if self.architecture.input_len() != embedding {
            return Err(BundleError::Inconsistent(format!(
                "the head takes {} values but the backbone outputs {embedding}",
                self.architecture.input_len()
            )));
        }
        if backbone.files.is_empty() {
            return Err(BundleError::Inconsistent(
                "the backbone lists no weights files".into(),
            ));
        }
        for (i, f) in backbone.files.iter().enumerate() {
            check_weights_format(f)?;
            if backbone.files[..i].iter().any(|g| g.dtype == f.dtype) {
                return Err(BundleError::Inconsistent(format!(
                    "the backbone lists two `{}` files",
                    f.dtype.name()
                )));
            }
        }
        Ok(())
    }
}

fn check_weights_format(file: &WeightsFile) -> Result<(), BundleError> {
    if file.format != "burnpack" {
        return Err(BundleError::UnsupportedWeightsFormat(file.format.clone()));
    }
    Ok(())
}

impl Manifest {
    /// Whether the classifier reads a backbone's embeddings.
    pub fn has_backbone(&self) -> bool {
        self.backbone.is_some()
    }
}
