//! EfficientNet-Lite0 on the CPU kernels of this module: the burn network's weights packed
//! once (1×1 convolutions as [`PackedMatrix`], depthwise as [`Depthwise`], the stem as an
//! im2col product), activations kept NHWC from the stem to the pooled embedding, and every
//! bias, ReLU6 and residual fused into the layer that produces it — no pass over a feature map
//! does only an activation or an add. Same results as [`EfficientNetLite::forward`] within
//! float rounding (tests below and the browser parity tests).

use super::conv::{Conv, chw_to_hwc};
use super::depthwise::Depthwise;
use super::gemm::{Activation, PackedMatrix};
use super::parallel;
use super::weights::{ConvWeights, UnsupportedNetwork};
use crate::model::EfficientNetLite;

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
    stem: Conv,
    blocks: Vec<Block>,
    head: PackedMatrix,
}

impl EfficientNetCpu {
    /// Packs the weights of `net` (reads them from its device once).
    pub async fn from_network(net: &EfficientNetLite) -> Result<Self, UnsupportedNetwork> {
        let stem = ConvWeights::read(&net.stem, "stem").await?;
        if stem.shape[1] != 3 || net.stem.groups != 1 {
            return Err(UnsupportedNetwork::Layer {
                layer: "stem".into(),
                reason: "expected an ungrouped convolution of 3 channels".into(),
            });
        }
        let stem_conv = stem.conv();
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
                dw.stride,
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
            stem: stem_conv,
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
        parallel::for_each_item(
            input,
            3 * s * s,
            &mut out,
            self.embedding_size(),
            |b, image, embedding| self.forward_one(image, b, embedding),
        );
        out
    }

    fn forward_one(&self, image: &[f32], b: &mut Buffers, embedding: &mut [f32]) {
        let s = self.image_size;
        chw_to_hwc(image, 3, s * s, grow(&mut b.y, 3 * s * s));
        let (mut h, mut w) = self.stem.output_size(s, s);
        let x = grow(&mut b.x, h * w * self.stem.channels_out());
        self.stem
            .run(&b.y, (s, s), Activation::Relu6, &mut b.patches, x);
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
    use burn::tensor::{Device, Tensor, TensorData};

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
