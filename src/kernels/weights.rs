//! Reading a burn network's weights off its device for packing (asynchronously: the same code
//! serves every backend), and the error when a network does not fit the kernels.

use burn::nn::conv::Conv2d;
use burn::nn::{Linear, PaddingConfig2d};
use burn::tensor::Tensor;

use super::conv::Conv;
use super::gemm::PackedMatrix;

/// Why a network cannot run on these kernels (it then runs on burn's ops as before).
#[derive(Debug, thiserror::Error)]
pub enum UnsupportedNetwork {
    /// A convolution has a shape, padding or dilation the kernels do not implement.
    #[error("{layer}: {reason}")]
    Layer {
        /// Which layer.
        layer: String,
        /// What about it.
        reason: String,
    },
    /// A weight tensor could not be read from the device.
    #[error("reading {layer}'s weights: {reason}")]
    Read {
        /// Which layer.
        layer: String,
        /// The device's error.
        reason: String,
    },
}

/// A convolution's weights `[out, in/groups, kh, kw]` and bias, read from the device.
pub(super) struct ConvWeights {
    /// `[out, in/groups, kh, kw]`.
    pub shape: [usize; 4],
    /// The filters, row-major in `shape`.
    pub weight: Vec<f32>,
    /// One value per output channel, if the layer has a bias.
    pub bias: Option<Vec<f32>>,
    /// The stride (the same on both axes).
    pub stride: usize,
}

impl ConvWeights {
    /// Reads `conv`'s weights, refusing what the kernels do not implement (padding other
    /// than SAME, dilation, non-square kernels, different strides per axis).
    pub async fn read(conv: &Conv2d, layer: &str) -> Result<Self, UnsupportedNetwork> {
        let unsupported = |reason: String| UnsupportedNetwork::Layer {
            layer: layer.to_string(),
            reason,
        };
        if !matches!(conv.padding, PaddingConfig2d::Same) {
            return Err(unsupported("padding is not SAME".into()));
        }
        if conv.dilation != [1, 1] || conv.kernel_size[0] != conv.kernel_size[1] {
            return Err(unsupported("dilated or non-square kernel".into()));
        }
        if conv.stride[0] != conv.stride[1] {
            return Err(unsupported("different strides per axis".into()));
        }
        let weight = conv.weight.val();
        let shape = weight.dims();
        Ok(ConvWeights {
            shape,
            stride: conv.stride[0],
            weight: values(weight, layer).await?,
            bias: match &conv.bias {
                Some(b) => Some(values(b.val(), layer).await?),
                None => None,
            },
        })
    }

    /// A dense convolution (groups 1) with the layer's stride.
    pub fn conv(&self) -> Conv {
        Conv::new(self.shape, &self.weight, self.bias.as_deref(), self.stride)
    }

    /// A 1×1 convolution as a `[in, out]` matrix.
    pub fn pointwise(&self, layer: &str) -> Result<PackedMatrix, UnsupportedNetwork> {
        let [out, inp, kh, kw] = self.shape;
        if kh != 1 || kw != 1 || self.stride != 1 {
            return Err(UnsupportedNetwork::Layer {
                layer: layer.to_string(),
                reason: format!(
                    "expected a 1×1 convolution of stride 1, got {kh}×{kw} of stride {}",
                    self.stride
                ),
            });
        }
        let w = &self.weight;
        Ok(PackedMatrix::pack(
            inp,
            out,
            |i, o| w[o * inp + i],
            self.bias.as_deref(),
        ))
    }
}

/// A layer's tensor read off its device (`f32`: bundles load f16 weights as f32).
pub(super) async fn values<const D: usize>(
    t: Tensor<D>,
    layer: &str,
) -> Result<Vec<f32>, UnsupportedNetwork> {
    crate::device::read_f32(t)
        .await
        .map_err(|reason| UnsupportedNetwork::Read {
            layer: layer.to_string(),
            reason,
        })
}

/// A dense layer's weights `[in, out]` and bias, read from the device.
pub(super) struct LinearWeights {
    inputs: usize,
    outputs: usize,
    weight: Vec<f32>,
    bias: Option<Vec<f32>>,
}

impl LinearWeights {
    /// Reads `linear`'s weights.
    pub async fn read(linear: &Linear, layer: &str) -> Result<Self, UnsupportedNetwork> {
        let weight = linear.weight.val();
        let [inputs, outputs] = weight.dims();
        Ok(LinearWeights {
            inputs,
            outputs,
            weight: values(weight, layer).await?,
            bias: match &linear.bias {
                Some(b) => Some(values(b.val(), layer).await?),
                None => None,
            },
        })
    }

    /// Packed, input `i` of the kernels' layout reading the layer's input `source(i)` (the
    /// identity, or NHWC → burn's CHW flattening).
    pub fn pack(&self, source: impl Fn(usize) -> usize) -> PackedMatrix {
        let out = self.outputs;
        PackedMatrix::pack(
            self.inputs,
            out,
            |i, o| self.weight[source(i) * out + o],
            self.bias.as_deref(),
        )
    }
}
