//! The `cnn` and `mlp` classifiers on the kernels: convolutions as packed products over NHWC
//! maps (bias + ReLU fused), pooling, then the dense layers as products over the batch. The
//! first dense layer of a `cnn` is packed to read the NHWC map, so nothing is transposed back
//! to burn's CHW flattening at run time.

use super::conv::{Conv, chw_to_hwc};
use super::gemm::{Activation, PackedMatrix};
use super::parallel;
use super::pool::pool;
use super::weights::{ConvWeights, LinearWeights, UnsupportedNetwork};
use crate::model::{Cnn, Mlp, PoolKind};

/// Dense layers with ReLU between them; the last gives logits.
#[derive(Debug)]
pub struct DenseStack(Vec<PackedMatrix>);

impl DenseStack {
    /// `[batch, inputs]` → logits `[batch, outputs]`.
    fn forward(&self, mut x: Vec<f32>, batch: usize) -> Vec<f32> {
        let last = self.0.len() - 1;
        for (i, layer) in self.0.iter().enumerate() {
            let mut y = vec![0.0f32; batch * layer.n()];
            let activation = if i < last {
                Activation::Relu
            } else {
                Activation::Linear
            };
            layer.multiply(&x, batch, activation, None, &mut y);
            x = y;
        }
        x
    }

    fn outputs(&self) -> usize {
        self.0.last().map_or(0, |l| l.n())
    }
}

/// An `mlp` on the kernels.
#[derive(Debug)]
pub struct MlpCpu(DenseStack);

impl MlpCpu {
    /// Packs the layers of `mlp`.
    pub async fn from_network(mlp: &Mlp) -> Result<Self, UnsupportedNetwork> {
        let mut layers = Vec::with_capacity(mlp.layers().len());
        for (i, layer) in mlp.layers().iter().enumerate() {
            layers.push(
                LinearWeights::read(layer, &format!("layers.{i}"))
                    .await?
                    .pack(|i| i),
            );
        }
        Ok(MlpCpu(DenseStack(layers)))
    }

    /// `[batch, inputs]` → logits `[batch, classes]`.
    pub fn forward(&self, input: &[f32], batch: usize) -> Vec<f32> {
        self.0.forward(input.to_vec(), batch)
    }

    /// Number of classes.
    pub fn outputs(&self) -> usize {
        self.0.outputs()
    }
}

/// Feature maps and patches of one image, reused from image to image.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    y: Vec<f32>,
    patches: Vec<f32>,
}

/// One conv → ReLU → pool block.
#[derive(Debug)]
struct ConvBlock {
    conv: Conv,
    pool: Option<(PoolKind, usize)>,
}

/// A `cnn` on the kernels.
#[derive(Debug)]
pub struct CnnCpu {
    input: [usize; 3],
    /// Values of the last feature map (the dense layers' input).
    features: usize,
    blocks: Vec<ConvBlock>,
    dense: DenseStack,
}

impl CnnCpu {
    /// Packs the layers of `cnn`.
    pub async fn from_network(cnn: &Cnn) -> Result<Self, UnsupportedNetwork> {
        let input = cnn.input_shape();
        let [_, mut h, mut w] = input;
        let mut channels = input[0];
        let mut blocks = Vec::new();
        for (i, (conv, pool)) in cnn.convs().zip(cnn.pools()).enumerate() {
            let name = format!("blocks.{i}.conv");
            let weights = ConvWeights::read(conv, &name).await?;
            if conv.groups != 1 {
                return Err(UnsupportedNetwork::Layer {
                    layer: name,
                    reason: "grouped convolution".into(),
                });
            }
            let conv = weights.conv();
            (h, w) = conv.output_size(h, w);
            if let Some((_, p)) = pool {
                (h, w) = (h / p, w / p);
            }
            channels = conv.channels_out();
            blocks.push(ConvBlock { conv, pool });
        }
        let mut dense = Vec::new();
        for (i, layer) in cnn.dense().iter().enumerate() {
            let weights = LinearWeights::read(layer, &format!("dense.{i}")).await?;
            dense.push(if i == 0 {
                // Our input i = (y·w + x)·c + ch is burn's CHW-flattened ch·h·w + y·w + x.
                let c = channels;
                weights.pack(|i| (i % c) * h * w + i / c)
            } else {
                weights.pack(|i| i)
            });
        }
        Ok(CnnCpu {
            input,
            features: h * w * channels,
            blocks,
            dense: DenseStack(dense),
        })
    }

    /// `[batch, c·h·w]` (CHW, normalized) → logits `[batch, classes]`.
    pub fn forward(&self, input: &[f32], batch: usize) -> Vec<f32> {
        let [c, h, w] = self.input;
        let mut features = vec![0.0f32; batch * self.features];
        parallel::for_each_item(
            &input[..batch * c * h * w],
            c * h * w,
            &mut features,
            self.features,
            |scratch: &mut Scratch, image, out| self.feature_map(image, scratch, out),
        );
        self.dense.forward(features, batch)
    }

    /// The last feature map of one image (NHWC, flattened) into `out`.
    fn feature_map(&self, image: &[f32], s: &mut Scratch, out: &mut [f32]) {
        let [c, h0, w0] = self.input;
        s.x.resize(c * h0 * w0, 0.0);
        chw_to_hwc(image, c, h0 * w0, &mut s.x);
        let (mut h, mut w) = (h0, w0);
        for block in &self.blocks {
            let (oh, ow) = block.conv.output_size(h, w);
            let co = block.conv.channels_out();
            s.y.resize(oh * ow * co, 0.0);
            block
                .conv
                .run(&s.x, (h, w), Activation::Relu, &mut s.patches, &mut s.y);
            (h, w) = (oh, ow);
            match block.pool {
                Some((kind, p)) => {
                    s.x.resize((h / p) * (w / p) * co, 0.0);
                    pool(kind, p, &s.y, (h, w, co), &mut s.x);
                    (h, w) = (h / p, w / p);
                }
                None => std::mem::swap(&mut s.x, &mut s.y),
            }
        }
        out.copy_from_slice(&s.x[..out.len()]);
    }

    /// Number of classes.
    pub fn outputs(&self) -> usize {
        self.dense.outputs()
    }
}
