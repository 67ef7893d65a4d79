//! The `mlp` architecture: dense layers with ReLU and dropout over a flat feature vector.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::error::{ModelError, dropout_in_range, positive};
use super::lexical::LexicalHeadConfig;

/// Config of the `mlp` architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpConfig {
    /// Length of the input feature vector.
    pub input_size: usize,
    /// Width of each hidden layer, in order (may be empty: a linear classifier).
    #[serde(default)]
    pub hidden_sizes: Vec<usize>,
    /// Number of output classes.
    pub classes: usize,
    /// Dropout probability after each hidden layer while training.
    #[serde(default)]
    pub dropout: f64,
    /// The input rows are a sentence embedding followed by hashed word ids, expanded into a
    /// bag of words before the first layer (see [`super::lexical`]); absent: a plain vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lexical: Option<LexicalHeadConfig>,
}

impl MlpConfig {
    /// Checks every size and the dropout probability.
    pub fn validate(&self) -> Result<(), ModelError> {
        positive("input_size", self.input_size)?;
        positive("classes", self.classes)?;
        for (i, &h) in self.hidden_sizes.iter().enumerate() {
            positive(&format!("hidden_sizes[{i}]"), h)?;
        }
        if let Some(lexical) = &self.lexical {
            lexical.validate()?;
            if lexical.row_len() != self.input_size {
                return Err(ModelError::ZeroSize {
                    field: format!(
                        "input_size ({} given; a lexical head reads {} sentence values and {} ids)",
                        self.input_size, lexical.sentence, lexical.lexical.features
                    ),
                });
            }
        }
        dropout_in_range(self.dropout)
    }

    /// Width of the first layer's input: the input, or its expansion for a lexical head.
    pub fn first_layer_len(&self) -> usize {
        self.lexical.map_or(self.input_size, |l| l.dense_len())
    }

    /// Builds the network with freshly initialized weights (call [`Self::validate`] first).
    pub fn init(&self, device: &Device) -> Mlp {
        Mlp {
            layers: super::linear_stack(
                self.first_layer_len(),
                &self.hidden_sizes,
                self.classes,
                device,
            ),
            dropout: DropoutConfig::new(self.dropout).init(),
            lexical: self.lexical,
        }
    }
}

/// The `mlp` network.
#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
    dropout: Dropout,
    #[module(skip)]
    lexical: Option<LexicalHeadConfig>,
}

impl Mlp {
    /// An `mlp` made of given dense layers (no dropout): for importing trained weights, such
    /// as a pretrained classifier head.
    pub fn from_layers(layers: Vec<Linear>) -> Mlp {
        Mlp {
            layers,
            dropout: DropoutConfig::new(0.0).init(),
            lexical: None,
        }
    }

    /// The same network taking un-normalized input: `(x − mean) / std` per feature folded into
    /// the first layer (`W' = W / std`, `b' = b − Σ W·mean/std`). Lets a head trained on
    /// normalized embeddings read the backbone's raw output.
    pub fn fold_input_normalization(mut self, mean: &[f32], std: &[f32]) -> Mlp {
        let first = &mut self.layers[0];
        let weight = first.weight.val();
        let [input, _] = weight.dims();
        let device = weight.device();
        let per = |v: &[f32], default: f32| crate::preprocess::per_group(v, input, default);
        let inv_std = Tensor::<1>::from_data(
            burn::tensor::TensorData::new(per(std, 1.0).iter().map(|s| 1.0 / s).collect(), [input]),
            &device,
        )
        .reshape([input, 1]);
        let mean = Tensor::<1>::from_data(
            burn::tensor::TensorData::new(per(mean, 0.0), [input]),
            &device,
        )
        .reshape([1, input]);
        let scaled = weight * inv_std;
        let shift = mean.matmul(scaled.clone()).reshape([scaled.dims()[1]]);
        let bias = match &first.bias {
            Some(b) => b.val() - shift,
            None => shift.neg(),
        };
        first.weight = burn::module::Param::from_tensor(scaled);
        first.bias = Some(burn::module::Param::from_tensor(bias));
        self
    }

    /// The same dense layers reading `lexical` rows (expanded before the first layer, which
    /// must be [`LexicalHeadConfig::dense_len`] wide), or plain vectors with `None`: a head
    /// trained on expanded rows becomes one that reads the rows themselves.
    pub fn with_lexical(self, lexical: Option<LexicalHeadConfig>) -> Mlp {
        Mlp { lexical, ..self }
    }

    /// The dense layers, first to last (ReLU between them; the last gives the logits).
    pub fn layers(&self) -> &[Linear] {
        &self.layers
    }

    /// The lexical input of this head, if it has one (see [`MlpConfig::lexical`]).
    pub fn lexical(&self) -> Option<&LexicalHeadConfig> {
        self.lexical.as_ref()
    }

    /// `[batch, input_size]` → logits `[batch, classes]`.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        let mut x = match &self.lexical {
            Some(lexical) => lexical.expand(input),
            None => input,
        };
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = self.dropout.forward(relu(x));
            }
        }
        x
    }
}
