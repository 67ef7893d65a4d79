//! EfficientNet-Lite0 on the CPU kernels of this module: the burn network's weights packed
//! once (1×1 convolutions as [`PackedMatrix`], depthwise as [`Depthwise`], the stem as an
//! im2col product), activations kept NHWC from the stem to the pooled embedding, and every
//! bias, ReLU6 and residual fused into the layer that produces it — no pass over a feature map
//! does only an activation or an add. Same results as [`EfficientNetLite::forward`] within
//! float rounding (tests below and the browser parity tests).

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::{Tensor, TensorData};

use super::depthwise::{Depthwise, same_padding};
use super::gemm::{Activation, PackedMatrix};
use crate::model::EfficientNetLite;

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

/// One MBConv block on the kernels.
#[derive(Debug)]
struct Block {
    expand: Option<PackedMatrix>,
    depthwise: Depthwise,
    project: PackedMatrix,
    residual: bool,
}

/// EfficientNet-Lite0 with its weights packed for the CPU kernels.
#[derive(Debug)]
pub struct EfficientNetCpu {
    image_size: usize,
    stem: PackedMatrix,
    stem_kernel: usize,
    stem_stride: usize,
    blocks: Vec<Block>,
    head: PackedMatrix,
}

/// A convolution's weights `[out, in/groups, kh, kw]` and bias, read from the device.
struct ConvWeights {
    shape: [usize; 4],
    weight: Vec<f32>,
    bias: Option<Vec<f32>>,
}

impl ConvWeights {
    async fn read(conv: &Conv2d, layer: &str) -> Result<Self, UnsupportedNetwork> {
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
            weight: values(weight, layer).await?,
            bias: match &conv.bias {
                Some(b) => Some(values(b.val(), layer).await?),
                None => None,
            },
        })
    }

    /// A 1×1 convolution as a `[in, out]` matrix.
    fn pointwise(&self, layer: &str) -> Result<PackedMatrix, UnsupportedNetwork> {
        let [out, inp, kh, kw] = self.shape;
        if kh != 1 || kw != 1 {
            return Err(UnsupportedNetwork::Layer {
                layer: layer.to_string(),
                reason: format!("expected a 1×1 convolution, got {kh}×{kw}"),
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

async fn values<const D: usize>(t: Tensor<D>, layer: &str) -> Result<Vec<f32>, UnsupportedNetwork> {
    let data: TensorData = t
        .into_data_async()
        .await
        .map_err(|e| UnsupportedNetwork::Read {
            layer: layer.to_string(),
            reason: format!("{e:?}"),
        })?;
    data.convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| UnsupportedNetwork::Read {
            layer: layer.to_string(),
            reason: format!("{e:?}"),
        })
}

impl EfficientNetCpu {
    /// Packs the weights of `net` (reads them from its device once).
    pub async fn from_network(net: &EfficientNetLite) -> Result<Self, UnsupportedNetwork> {
        let stem = ConvWeights::read(&net.stem, "stem").await?;
        let [stem_out, stem_in, k, _] = stem.shape;
        if stem_in != 3 || net.stem.groups != 1 {
            return Err(UnsupportedNetwork::Layer {
                layer: "stem".into(),
                reason: "expected an ungrouped convolution of 3 channels".into(),
            });
        }
        // im2col columns are ordered (ky, kx, channel), as the NHWC patches are read.
        let w = &stem.weight;
        let stem_matrix = PackedMatrix::pack(
            k * k * 3,
            stem_out,
            |col, o| {
                let (tap, c) = (col / 3, col % 3);
                let (ky, kx) = (tap / k, tap % k);
                w[((o * 3 + c) * k + ky) * k + kx]
            },
            stem.bias.as_deref(),
        );
        let mut blocks = Vec::with_capacity(net.blocks.len());
        for (i, block) in net.blocks.iter().enumerate() {
            let expand = match &block.expand {
                Some(conv) => {
                    let name = format!("blocks.{i}.expand");
                    Some(ConvWeights::read(conv, &name).await?.pointwise(&name)?)
                }
                None => None,
            };
            let name = format!("blocks.{i}.depthwise");
            let dw = ConvWeights::read(&block.depthwise, &name).await?;
            let [channels, per_group, k, _] = dw.shape;
            if per_group != 1 || block.depthwise.groups != channels {
                return Err(UnsupportedNetwork::Layer {
                    layer: name,
                    reason: "expected one filter per channel".into(),
                });
            }
            let depthwise = Depthwise::new(
                channels,
                k,
                block.depthwise.stride[0],
                |c, ky, kx| dw.weight[(c * k + ky) * k + kx],
                dw.bias.as_deref(),
            );
            let name = format!("blocks.{i}.project");
            let project = ConvWeights::read(&block.project, &name)
                .await?
                .pointwise(&name)?;
            blocks.push(Block {
                expand,
                depthwise,
                project,
                residual: block.residual,
            });
        }
        let head = ConvWeights::read(&net.head, "head")
            .await?
            .pointwise("head")?;
        Ok(EfficientNetCpu {
            image_size: net.image_size(),
            stem: stem_matrix,
            stem_kernel: k,
            stem_stride: net.stem.stride[0],
            blocks,
            head,
        })
    }

    /// Size of one embedding.
    pub fn embedding_size(&self) -> usize {
        self.head.n()
    }

    /// `[batch, 3·S·S]` (CHW, normalized) → embeddings `[batch, embedding_size]`.
    pub fn forward(&self, input: &[f32], batch: usize) -> Vec<f32> {
        let s = self.image_size;
        assert_eq!(
            input.len(),
            batch * 3 * s * s,
            "input of {batch} {s}×{s} RGB images"
        );
        let mut out = vec![0.0f32; batch * self.embedding_size()];
        let mut buffers = Buffers::default();
        for (image, embedding) in input
            .chunks_exact(3 * s * s)
            .zip(out.chunks_exact_mut(self.embedding_size()))
        {
            self.forward_one(image, &mut buffers, embedding);
        }
        out
    }

    fn forward_one(&self, image: &[f32], b: &mut Buffers, embedding: &mut [f32]) {
        let s = self.image_size;
        let (k, stride) = (self.stem_kernel, self.stem_stride);
        let (mut h, pad) = same_padding(s, k, stride);
        let mut w = h;
        im2col_chw(
            image,
            s,
            k,
            stride,
            pad,
            h,
            grow(&mut b.patches, h * w * k * k * 3),
        );
        let x = grow(&mut b.x, h * w * self.stem.n());
        self.stem
            .multiply(&b.patches, h * w, Activation::Relu6, None, x);
        for block in &self.blocks {
            let pixels = h * w;
            let hidden = match &block.expand {
                Some(expand) => {
                    let e = grow(&mut b.expanded, pixels * expand.n());
                    expand.multiply(&b.x, pixels, Activation::Relu6, None, e);
                    &b.expanded
                }
                None => &b.x,
            };
            let (oh, ow) = block.depthwise.output_size(h, w);
            let d = grow(&mut b.depthwise, oh * ow * block.project.k());
            block.depthwise.run(hidden, h, w, Activation::Relu6, d);
            let y = grow(&mut b.y, oh * ow * block.project.n());
            let residual = block.residual.then_some(&b.x[..]);
            block
                .project
                .multiply(&b.depthwise, oh * ow, Activation::Linear, residual, y);
            std::mem::swap(&mut b.x, &mut b.y);
            (h, w) = (oh, ow);
        }
        let pixels = h * w;
        let features = grow(&mut b.expanded, pixels * self.head.n());
        self.head
            .multiply(&b.x, pixels, Activation::Relu6, None, features);
        average_rows(
            &b.expanded[..pixels * self.head.n()],
            self.head.n(),
            embedding,
        );
    }
}

/// Scratch feature maps, reused from image to image.
#[derive(Default)]
struct Buffers {
    patches: Vec<f32>,
    x: Vec<f32>,
    expanded: Vec<f32>,
    depthwise: Vec<f32>,
    y: Vec<f32>,
}

/// `buf` with at least `len` values; the first `len` as a slice.
fn grow(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// Patches `[oh·ow, k·k·3]` of a CHW image for a stride-`stride` `k×k` convolution with `pad`
/// pixels of zero padding before (and whatever "SAME" needs after); columns `(ky, kx, c)`.
fn im2col_chw(
    image: &[f32],
    s: usize,
    k: usize,
    stride: usize,
    pad: usize,
    o: usize,
    out: &mut [f32],
) {
    let plane = s * s;
    for oy in 0..o {
        for ox in 0..o {
            let row = &mut out[(oy * o + ox) * k * k * 3..][..k * k * 3];
            for ky in 0..k {
                for kx in 0..k {
                    let iy = (oy * stride + ky).wrapping_sub(pad);
                    let ix = (ox * stride + kx).wrapping_sub(pad);
                    let inside = iy < s && ix < s;
                    for c in 0..3 {
                        row[(ky * k + kx) * 3 + c] = if inside {
                            image[c * plane + iy * s + ix]
                        } else {
                            0.0
                        };
                    }
                }
            }
        }
    }
}

/// Mean of the rows of `m` (`[rows, n]`) into `out`.
fn average_rows(m: &[f32], n: usize, out: &mut [f32]) {
    out.fill(0.0);
    let rows = m.len() / n;
    for row in m.chunks_exact(n) {
        for (o, v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
    let scale = 1.0 / rows as f32;
    out.iter_mut().for_each(|o| *o *= scale);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EfficientNetLiteConfig;
    use burn::tensor::Device;

    #[test]
    fn packed_network_matches_burns_forward_on_random_weights() {
        let device = Device::flex();
        let net = EfficientNetLiteConfig { image_size: 64 }.init(&device);
        let cpu = pollster::block_on(EfficientNetCpu::from_network(&net)).unwrap();
        let batch = 2;
        let input: Vec<f32> = (0..batch * 3 * 64 * 64)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let expected = pollster::block_on(
            net.forward(Tensor::<2>::from_data(
                TensorData::new(input.clone(), [batch, 3 * 64 * 64]),
                &device,
            ))
            .into_data_async(),
        )
        .unwrap()
        .try_into_vec::<f32>()
        .unwrap();
        let got = cpu.forward(&input, batch);
        assert_eq!(got.len(), expected.len());
        let scale = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "the random network must not be all zeros");
        let worst = got
            .iter()
            .zip(&expected)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            worst <= 1e-4 * scale.max(1.0),
            "max |Δ| {worst} (scale {scale})"
        );
    }
}
