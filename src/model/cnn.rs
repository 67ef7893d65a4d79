//! The `cnn` architecture: conv → ReLU → pool blocks, then dense layers, over a CHW image.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::error::{ModelError, dropout_in_range, positive};

/// How a conv block pools its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    /// Max pooling.
    #[default]
    Max,
    /// Average pooling.
    Avg,
}

/// Config of the `cnn` architecture. Convolutions use "same" padding; block `i` pools by
/// `pool_sizes[i]` (1 means no pooling).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CnnConfig {
    /// Input channels: 1 (grayscale) or 3 (RGB).
    pub channels: usize,
    /// Input height in pixels.
    pub height: usize,
    /// Input width in pixels.
    pub width: usize,
    /// Output channels of each conv layer.
    pub conv_channels: Vec<usize>,
    /// Square kernel size of each conv layer.
    pub kernel_sizes: Vec<usize>,
    /// Pooling window (and stride) after each conv layer; 1 disables pooling for that layer.
    pub pool_sizes: Vec<usize>,
    /// Pooling kind for every block.
    #[serde(default)]
    pub pool: PoolKind,
    /// Width of each dense layer between the conv blocks and the classifier.
    #[serde(default)]
    pub dense_sizes: Vec<usize>,
    /// Number of output classes.
    pub classes: usize,
    /// Dropout probability before each dense layer while training.
    #[serde(default)]
    pub dropout: f64,
}

impl CnnConfig {
    /// Checks sizes, list lengths, channels and dropout, and that pooling leaves pixels.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.channels != 1 && self.channels != 3 {
            return Err(ModelError::InvalidChannels(self.channels));
        }
        positive("height", self.height)?;
        positive("width", self.width)?;
        positive("classes", self.classes)?;
        let layers = self.conv_channels.len();
        for (field, len) in [
            ("kernel_sizes", self.kernel_sizes.len()),
            ("pool_sizes", self.pool_sizes.len()),
        ] {
            if len != layers {
                return Err(ModelError::LayerCountMismatch {
                    field: field.to_string(),
                    expected: layers,
                    found: len,
                });
            }
        }
        for i in 0..layers {
            positive(&format!("conv_channels[{i}]"), self.conv_channels[i])?;
            positive(&format!("kernel_sizes[{i}]"), self.kernel_sizes[i])?;
            positive(&format!("pool_sizes[{i}]"), self.pool_sizes[i])?;
        }
        for (i, &d) in self.dense_sizes.iter().enumerate() {
            positive(&format!("dense_sizes[{i}]"), d)?;
        }
        dropout_in_range(self.dropout)?;
        if self.feature_map().is_none() {
            return Err(ModelError::EmptyFeatureMap {
                height: self.height,
                width: self.width,
            });
        }
        Ok(())
    }

    /// `(channels, height, width)` after the conv blocks, `None` if pooling empties it.
    pub fn feature_map(&self) -> Option<(usize, usize, usize)> {
        let (mut h, mut w) = (self.height, self.width);
        for &p in &self.pool_sizes {
            h /= p;
            w /= p;
        }
        let c = self.conv_channels.last().copied().unwrap_or(self.channels);
        (h > 0 && w > 0).then_some((c, h, w))
    }

    /// Builds the network with freshly initialized weights (call [`Self::validate`] first).
    pub fn init(&self, device: &Device) -> Cnn {
        let mut in_channels = self.channels;
        let mut blocks = Vec::with_capacity(self.conv_channels.len());
        for i in 0..self.conv_channels.len() {
            let k = self.kernel_sizes[i];
            let conv = Conv2dConfig::new([in_channels, self.conv_channels[i]], [k, k])
                .with_padding(PaddingConfig2d::Same)
                .init(device);
            let p = self.pool_sizes[i];
            let pool = match (p, self.pool) {
                (1, _) => None,
                (p, PoolKind::Max) => Some(Pool::Max(
                    MaxPool2dConfig::new([p, p]).with_strides([p, p]).init(),
                )),
                (p, PoolKind::Avg) => Some(Pool::Avg(
                    AvgPool2dConfig::new([p, p]).with_strides([p, p]).init(),
                )),
            };
            blocks.push(ConvBlock { conv, pool });
            in_channels = self.conv_channels[i];
        }
        let (c, h, w) = self.feature_map().unwrap_or((in_channels, 1, 1));
        let dense = super::linear_stack(c * h * w, &self.dense_sizes, self.classes, device);
        Cnn {
            blocks,
            dense,
            dropout: DropoutConfig::new(self.dropout).init(),
            input_shape: [self.channels, self.height, self.width],
        }
    }
}

/// The pooling step of one conv block.
#[derive(Module, Debug)]
pub enum Pool {
    /// Max pooling.
    Max(MaxPool2d),
    /// Average pooling.
    Avg(AvgPool2d),
}

/// One conv → ReLU → pool block.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    pool: Option<Pool>,
}

impl ConvBlock {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = relu(self.conv.forward(x));
        match &self.pool {
            None => x,
            Some(Pool::Max(p)) => max_pool(x, p.kernel_size[0]),
            Some(Pool::Avg(p)) => p.forward(x),
        }
    }
}

/// Max pooling over non-overlapping `p × p` windows (stride `p`, no padding; a remainder row or
/// column is dropped, as `MaxPool2d` does) written as two reductions over a reshaped view:
/// `[b, c, h, w] → [b, c, h/p, p, w/p, p]`, max over the two window axes. The same values as
/// `MaxPool2d::forward`, which on burn's `flex` backend computes the argmax indices for a
/// backward pass too and took 30% of the MNIST `cnn`'s time in the browser (profiled with
/// `scripts/profile-browser.mjs`).
fn max_pool(x: Tensor<4>, p: usize) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let (oh, ow) = (h / p, w / p);
    let x = if h % p != 0 || w % p != 0 {
        x.slice([0..b, 0..c, 0..oh * p, 0..ow * p])
    } else {
        x
    };
    // The last axis first: flex reduces contiguous rows without index arithmetic, and the
    // strided reduction that follows reads half as much.
    x.reshape([b, c, oh, p, ow, p])
        .max_dim(5)
        .max_dim(3)
        .reshape([b, c, oh, ow])
}

/// The `cnn` network.
#[derive(Module, Debug)]
pub struct Cnn {
    blocks: Vec<ConvBlock>,
    dense: Vec<Linear>,
    dropout: Dropout,
    input_shape: [usize; 3],
}

impl Cnn {
    /// The convolutions of the conv → ReLU → pool blocks, first to last (same padding,
    /// stride 1; pooling as the config says).
    pub fn convs(&self) -> impl Iterator<Item = &Conv2d> {
        self.blocks.iter().map(|b| &b.conv)
    }

    /// The pooling after each convolution, first to last: kind and window (`None`: none).
    pub fn pools(&self) -> impl Iterator<Item = Option<(PoolKind, usize)>> + '_ {
        self.blocks.iter().map(|b| match &b.pool {
            None => None,
            Some(Pool::Max(p)) => Some((PoolKind::Max, p.kernel_size[0])),
            Some(Pool::Avg(p)) => Some((PoolKind::Avg, p.kernel_size[0])),
        })
    }

    /// `[channels, height, width]` of one input image.
    pub fn input_shape(&self) -> [usize; 3] {
        self.input_shape
    }

    /// The dense layers after the flattened feature map (ReLU between them).
    pub fn dense(&self) -> &[Linear] {
        &self.dense
    }

    /// `[batch, channels*height*width]` (CHW order) → logits `[batch, classes]`.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let [batch, _] = input.dims();
        let [c, h, w] = self.input_shape;
        let mut x = input.reshape([batch, c, h, w]);
        for block in &self.blocks {
            x = block.forward(x);
        }
        let mut x: Tensor<2> = x.flatten(1, 3);
        let last = self.dense.len() - 1;
        for (i, layer) in self.dense.iter().enumerate() {
            x = layer.forward(self.dropout.forward(x));
            if i < last {
                x = relu(x);
            }
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::{Device, Distribution, Tensor};

    #[test]
    fn max_pool_equals_burns_max_pool2d_including_dropped_remainders() {
        let device = Device::flex();
        for (p, h, w) in [(2, 28, 28), (2, 7, 9), (3, 10, 8), (1, 5, 5)] {
            let x = Tensor::<4>::random([2, 3, h, w], Distribution::Normal(0.0, 1.0), &device);
            let ours = super::max_pool(x.clone(), p);
            let burns = MaxPool2dConfig::new([p, p])
                .with_strides([p, p])
                .init()
                .forward(x);
            assert_eq!(ours.dims(), burns.dims(), "p={p} {h}×{w}");
            let diff = (ours - burns).abs().max().into_scalar::<f32>();
            assert_eq!(diff, 0.0, "p={p} {h}×{w}");
        }
    }
}
