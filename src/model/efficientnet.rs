//! The `efficientnet_lite0` backbone: EfficientNet-Lite0 (stem, 16 MBConv blocks without
//! squeeze-excite, ReLU6, 1×1 head conv to 1280 channels, global average pooling) mapping an
//! RGB image to a 1280-d embedding. BatchNorm is folded into the convolutions when weights are
//! imported, so every convolution here carries a bias and inference is conv + bias only.
//! Padding is TensorFlow's "SAME" (asymmetric for stride 2), as the ImageNet weights expect.

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::relu6;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::error::ModelError;

/// Channels of the stem convolution.
pub const STEM_CHANNELS: usize = 32;
/// Channels of the head convolution: the embedding size.
pub const EMBEDDING_SIZE: usize = 1280;
/// Smallest input size the network accepts (five stride-2 stages).
pub const MIN_IMAGE_SIZE: usize = 32;

/// One MBConv block of the network: expand 1×1 (skipped when `expand == 1`), depthwise
/// `kernel × kernel` with `stride`, project 1×1; residual when the shapes match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MbConvSpec {
    /// Expansion ratio of the hidden width.
    pub expand: usize,
    /// Depthwise kernel size.
    pub kernel: usize,
    /// Depthwise stride.
    pub stride: usize,
    /// Input channels.
    pub input: usize,
    /// Output channels.
    pub output: usize,
}

impl MbConvSpec {
    /// Hidden width (input × expansion).
    pub fn hidden(&self) -> usize {
        self.input * self.expand
    }

    /// Whether the block adds its input to its output.
    pub fn residual(&self) -> bool {
        self.stride == 1 && self.input == self.output
    }
}

/// The stages of EfficientNet-Lite0: `(expand, kernel, stride, in, out, repeats)`; a stage's
/// first block has the stride and the input width, the repeats have stride 1.
const LITE0_STAGES: [(usize, usize, usize, usize, usize, usize); 7] = [
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
];

/// The 16 blocks of EfficientNet-Lite0, in order.
pub fn lite0_blocks() -> Vec<MbConvSpec> {
    let mut blocks = Vec::with_capacity(16);
    for (expand, kernel, stride, input, output, repeats) in LITE0_STAGES {
        for r in 0..repeats {
            blocks.push(MbConvSpec {
                expand,
                kernel,
                stride: if r == 0 { stride } else { 1 },
                input: if r == 0 { input } else { output },
                output,
            });
        }
    }
    blocks
}

/// Config of the `efficientnet_lite0` backbone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EfficientNetLiteConfig {
    /// Side of the square RGB input in pixels (224 for the ImageNet weights; any size from 32
    /// works, as the network ends in global average pooling).
    pub image_size: usize,
}

impl EfficientNetLiteConfig {
    /// Checks the input size.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.image_size < MIN_IMAGE_SIZE {
            return Err(ModelError::ImageTooSmall {
                size: self.image_size,
                min: MIN_IMAGE_SIZE,
            });
        }
        Ok(())
    }

    /// Values per input item: `3 × image_size × image_size`.
    pub fn input_len(&self) -> usize {
        3 * self.image_size * self.image_size
    }

    /// Builds the network with freshly initialized weights (call [`Self::validate`] first).
    pub fn init(&self, device: &Device) -> EfficientNetLite {
        let conv = |c_in: usize, c_out: usize, k: usize, stride: usize, groups: usize| {
            Conv2dConfig::new([c_in, c_out], [k, k])
                .with_stride([stride, stride])
                .with_groups(groups)
                .with_padding(PaddingConfig2d::Same)
                .with_bias(true)
                .init(device)
        };
        let blocks = lite0_blocks()
            .into_iter()
            .map(|b| MbConv {
                expand: (b.expand != 1).then(|| conv(b.input, b.hidden(), 1, 1, 1)),
                depthwise: conv(b.hidden(), b.hidden(), b.kernel, b.stride, b.hidden()),
                project: conv(b.hidden(), b.output, 1, 1, 1),
                residual: b.residual(),
            })
            .collect();
        EfficientNetLite {
            stem: conv(3, STEM_CHANNELS, 3, 2, 1),
            blocks,
            head: conv(320, EMBEDDING_SIZE, 1, 1, 1),
            image_size: self.image_size,
        }
    }
}

/// One MBConv block with BatchNorm folded into its convolutions.
#[derive(Module, Debug)]
pub struct MbConv {
    /// Expand 1×1 conv (absent when the expansion ratio is 1).
    pub expand: Option<Conv2d>,
    /// Depthwise conv.
    pub depthwise: Conv2d,
    /// Project 1×1 conv (linear: no activation after it).
    pub project: Conv2d,
    /// Whether the input is added to the output.
    pub residual: bool,
}

impl MbConv {
    fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let mut x = input.clone();
        if let Some(expand) = &self.expand {
            x = relu6(expand.forward(x));
        }
        x = relu6(self.depthwise.forward(x));
        x = self.project.forward(x);
        if self.residual { x + input } else { x }
    }
}

/// The EfficientNet-Lite0 backbone (BatchNorm folded).
#[derive(Module, Debug)]
pub struct EfficientNetLite {
    /// Stem conv, 3 → 32, stride 2.
    pub stem: Conv2d,
    /// The 16 MBConv blocks.
    pub blocks: Vec<MbConv>,
    /// Head conv, 320 → 1280.
    pub head: Conv2d,
    image_size: usize,
}

impl EfficientNetLite {
    /// Side of the square input in pixels.
    pub fn image_size(&self) -> usize {
        self.image_size
    }

    /// `[batch, 3·S·S]` (CHW, normalized) → embeddings `[batch, 1280]`.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let [batch, _] = input.dims();
        let s = self.image_size;
        let mut x = relu6(self.stem.forward(input.reshape([batch, 3, s, s])));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = relu6(self.head.forward(x));
        let [b, c, h, w] = x.dims();
        x.reshape([b, c, h * w]).mean_dim(2).reshape([b, c])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lite0_has_sixteen_blocks_ending_at_320_channels() {
        let blocks = lite0_blocks();
        assert_eq!(blocks.len(), 16);
        assert_eq!(blocks[0].input, STEM_CHANNELS);
        assert_eq!(blocks[15].output, 320);
        for pair in blocks.windows(2) {
            assert_eq!(pair[0].output, pair[1].input);
        }
        let residual = blocks.iter().filter(|b| b.residual()).count();
        assert_eq!(residual, 9, "every repeat of a stage is residual");
        let strides: usize = blocks.iter().map(|b| b.stride).product();
        assert_eq!(strides * 2, 32, "stem + four stride-2 stages = /32");
    }
}
