//! The `text_ngram` classifier, fastText-style: hashed word / bigram / character n-gram ids
//! (`crate::text::NgramHasher`) → an embedding bag (the mean of the ids' vectors, padding
//! excluded) → dense layers → class logits. Small, trained from scratch in seconds.

use burn::module::{Module, Param};
use burn::nn::{Embedding, EmbeddingConfig, Linear};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

use super::error::{ModelError, positive};

/// Config of a `text_ngram` classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextNgramConfig {
    /// Hash buckets (ids `1..buckets`; 0 is padding); at most 2^24 (ids travel as f32).
    pub buckets: usize,
    /// Width of a feature vector.
    pub dim: usize,
    /// Feature ids per text (the input length).
    pub max_features: usize,
    /// Hidden layer widths between the bag and the classes (empty: linear).
    #[serde(default)]
    pub hidden_sizes: Vec<usize>,
    /// Number of classes.
    pub classes: usize,
}

/// Largest bucket count: ids are carried as f32, exact up to 2^24.
pub const MAX_BUCKETS: usize = 1 << 24;

impl TextNgramConfig {
    /// Values per input item: `max_features` ids.
    pub fn input_len(&self) -> usize {
        self.max_features
    }

    /// Checks sizes.
    pub fn validate(&self) -> Result<(), ModelError> {
        positive("dim", self.dim)?;
        positive("max_features", self.max_features)?;
        positive("classes", self.classes)?;
        for h in &self.hidden_sizes {
            positive("hidden_sizes", *h)?;
        }
        if !(2..=MAX_BUCKETS).contains(&self.buckets) {
            return Err(ModelError::ZeroSize {
                field: format!("buckets (2..={MAX_BUCKETS}, got {})", self.buckets),
            });
        }
        Ok(())
    }

    /// Builds the network: feature vectors start at zero (an unseen bucket stays exactly zero,
    /// which keeps trained bundles small after compression), dense layers at random.
    pub fn init(&self, device: &Device) -> TextNgram {
        let mut embedding = EmbeddingConfig::new(self.buckets, self.dim).init(device);
        embedding.weight = Param::from_tensor(Tensor::zeros([self.buckets, self.dim], device));
        TextNgram {
            embedding,
            layers: super::linear_stack(self.dim, &self.hidden_sizes, self.classes, device),
        }
    }
}

/// The `text_ngram` network.
#[derive(Module, Debug)]
pub struct TextNgram {
    /// One vector per hash bucket.
    pub embedding: Embedding,
    /// Dense layers, ReLU between them.
    pub layers: Vec<Linear>,
}

impl TextNgram {
    /// Feature ids `[batch, length]` (as floats, 0 = padding) → logits `[batch, classes]`.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let [batch, length] = input.dims();
        let ids: Tensor<2, Int> = input.int();
        let keep = ids.clone().equal_elem(0).bool_not().float();
        let counts = keep.clone().sum_dim(1).clamp_min(1.0);
        let vectors = self.embedding.forward(ids) * keep.reshape([batch, length, 1]);
        let dim = vectors.dims()[2];
        let mut x = vectors.sum_dim(1).reshape([batch, dim]).div(counts);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = relu(x);
            }
        }
        x
    }
}
