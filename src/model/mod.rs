//! Model architectures: burn modules built at run time from serde configs, so any config of a
//! supported architecture loads without recompiling the wasm.

mod cnn;
pub mod efficientnet;
mod error;
pub mod lexical;
pub mod minilm;
mod mlp;
pub mod text_ngram;

pub use cnn::{Cnn, CnnConfig, PoolKind};
pub use efficientnet::{EfficientNetLite, EfficientNetLiteConfig};
pub use error::ModelError;
pub use lexical::{LexicalConfig, LexicalHeadConfig};
pub use minilm::{MiniLm, MiniLmConfig};
pub use mlp::{Mlp, MlpConfig};
pub use text_ngram::{TextNgram, TextNgramConfig};

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// Dense layers mapping `input` through each of `hidden` to `output` features.
pub(crate) fn linear_stack(
    input: usize,
    hidden: &[usize],
    output: usize,
    device: &Device,
) -> Vec<burn::nn::Linear> {
    let widths: Vec<usize> = std::iter::once(input)
        .chain(hidden.iter().copied())
        .chain([output])
        .collect();
    widths
        .windows(2)
        .map(|w| burn::nn::LinearConfig::new(w[0], w[1]).init(device))
        .collect()
}

/// Each row of `x` scaled to unit L2 length (a zero row stays zero).
pub(crate) fn unit_rows(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
    x.div(norm)
}

/// The architecture names this build understands, as they appear in `{"arch": ...}`.
pub const KNOWN_ARCHITECTURES: &[&str] = &[
    "mlp",
    "cnn",
    "text_ngram",
    "efficientnet_lite0",
    "minilm_l6",
];

/// An architecture config, tagged by `arch` in JSON (`{"arch": "cnn", ...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "lowercase")]
pub enum ArchConfig {
    /// A multi-layer perceptron over a flat feature vector.
    Mlp(MlpConfig),
    /// A small convolutional network over a `channels × height × width` image.
    Cnn(CnnConfig),
    /// A fastText-style classifier over hashed n-gram ids of a text.
    #[serde(rename = "text_ngram")]
    TextNgram(TextNgramConfig),
    /// A pretrained image backbone: RGB image → 1280-d embedding (used as a bundle's backbone,
    /// never as its classifier).
    #[serde(rename = "efficientnet_lite0")]
    EfficientNetLite0(EfficientNetLiteConfig),
    /// A pretrained text backbone: WordPiece ids → 384-d sentence embedding (a bundle's
    /// backbone, never its classifier).
    #[serde(rename = "minilm_l6")]
    MiniLmL6(MiniLmConfig),
}

impl ArchConfig {
    /// The architecture's name as in `{"arch": ...}`.
    pub fn arch_name(&self) -> &'static str {
        match self {
            ArchConfig::Mlp(_) => "mlp",
            ArchConfig::Cnn(_) => "cnn",
            ArchConfig::TextNgram(_) => "text_ngram",
            ArchConfig::EfficientNetLite0(_) => "efficientnet_lite0",
            ArchConfig::MiniLmL6(_) => "minilm_l6",
        }
    }

    /// Number of `f32` values one input item has (the flattened input size).
    pub fn input_len(&self) -> usize {
        match self {
            ArchConfig::Mlp(c) => c.input_size,
            ArchConfig::Cnn(c) => c.channels * c.height * c.width,
            ArchConfig::TextNgram(c) => c.input_len(),
            ArchConfig::EfficientNetLite0(c) => c.input_len(),
            ArchConfig::MiniLmL6(c) => c.input_len(),
        }
    }

    /// Number of outputs per item: classes for a classifier, the embedding size for a
    /// backbone.
    pub fn classes(&self) -> usize {
        match self {
            ArchConfig::Mlp(c) => c.classes,
            ArchConfig::Cnn(c) => c.classes,
            ArchConfig::TextNgram(c) => c.classes,
            ArchConfig::EfficientNetLite0(_) => efficientnet::EMBEDDING_SIZE,
            ArchConfig::MiniLmL6(c) => c.embedding_len(),
        }
    }

    /// Whether this architecture is a backbone (outputs embeddings, not class scores).
    pub fn is_backbone(&self) -> bool {
        matches!(
            self,
            ArchConfig::EfficientNetLite0(_) | ArchConfig::MiniLmL6(_)
        )
    }

    /// Checks that the config describes a buildable network.
    pub fn validate(&self) -> Result<(), ModelError> {
        match self {
            ArchConfig::Mlp(c) => c.validate(),
            ArchConfig::Cnn(c) => c.validate(),
            ArchConfig::TextNgram(c) => c.validate(),
            ArchConfig::EfficientNetLite0(c) => c.validate(),
            ArchConfig::MiniLmL6(c) => c.validate(),
        }
    }

    /// Builds the network with freshly initialized weights on `device`.
    pub fn init(&self, device: &Device) -> Result<Model, ModelError> {
        self.validate()?;
        Ok(match self {
            ArchConfig::Mlp(c) => Model::Mlp(c.init(device)),
            ArchConfig::Cnn(c) => Model::Cnn(c.init(device)),
            ArchConfig::TextNgram(c) => Model::TextNgram(c.init(device)),
            ArchConfig::EfficientNetLite0(c) => Model::EfficientNetLite0(c.init(device)),
            ArchConfig::MiniLmL6(c) => Model::MiniLmL6(c.init(device)),
        })
    }
}

/// A classifier of any supported architecture.
// One `Model` exists per loaded network, so the backbone variant's size costs nothing; burn's
// `Module` derive does not see through a `Box`.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Model {
    /// See [`Mlp`].
    Mlp(Mlp),
    /// See [`Cnn`].
    Cnn(Cnn),
    /// See [`TextNgram`].
    TextNgram(TextNgram),
    /// See [`EfficientNetLite`].
    EfficientNetLite0(EfficientNetLite),
    /// See [`MiniLm`].
    MiniLmL6(MiniLm),
}

impl Model {
    /// Maps a batch of flattened inputs `[batch, input_len]` to logits `[batch, classes]`
    /// (embeddings `[batch, 1280]` for a backbone).
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        match self {
            Model::Mlp(m) => m.forward(input),
            Model::Cnn(m) => m.forward(input),
            Model::TextNgram(m) => m.forward(input),
            Model::EfficientNetLite0(m) => m.forward(input),
            Model::MiniLmL6(m) => m.forward(input),
        }
    }
}
