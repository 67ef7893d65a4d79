//! CPU inference kernels written for WebAssembly SIMD128: a matrix product with the bias,
//! activation and residual fused into its store, depthwise and dense convolutions over NHWC
//! maps, pooling, and the networks assembled from them. burn's `flex` backend runs every op as
//! its own pass over the tensor (a convolution, then a scalar clamp, then an add); for
//! inference these kernels run a whole layer in one pass. CPU sessions use them for every
//! architecture they cover ([`CpuNetwork::from_model`]); training and the others stay on burn.

mod classifier;
mod conv;
mod depthwise;
mod efficientnet;
mod gemm;
mod parallel;
mod pool;
mod simd;
mod weights;

pub use classifier::{CnnCpu, MlpCpu};
pub use efficientnet::EfficientNetCpu;
pub use gemm::{Activation, PackedMatrix};
pub use weights::UnsupportedNetwork;

use crate::model::Model;

/// A network packed for the kernels.
#[derive(Debug)]
pub enum CpuNetwork {
    /// See [`EfficientNetCpu`].
    EfficientNet(EfficientNetCpu),
    /// See [`CnnCpu`].
    Cnn(CnnCpu),
    /// See [`MlpCpu`].
    Mlp(MlpCpu),
}

impl CpuNetwork {
    /// Packs `model` (reading its weights off its device), or `Ok(None)` for an architecture
    /// the kernels do not cover (`text_ngram`, `minilm_l6`, an `mlp` with lexical input).
    pub async fn from_model(model: &Model) -> Result<Option<CpuNetwork>, UnsupportedNetwork> {
        Ok(Some(match model {
            Model::EfficientNetLite0(net) => {
                CpuNetwork::EfficientNet(EfficientNetCpu::from_network(net).await?)
            }
            Model::Cnn(net) => CpuNetwork::Cnn(CnnCpu::from_network(net).await?),
            Model::Mlp(net) if net.lexical().is_some() => return Ok(None),
            Model::Mlp(net) => CpuNetwork::Mlp(MlpCpu::from_network(net).await?),
            Model::TextNgram(_) | Model::MiniLmL6(_) => return Ok(None),
        }))
    }

    /// `[batch, input_len]` (normalized) → `[batch, outputs]`: logits of a classifier, the
    /// embeddings of a backbone — what [`Model::forward`] gives.
    pub fn forward(&self, input: &[f32], batch: usize) -> Vec<f32> {
        parallel::busy_pool(|| match self {
            CpuNetwork::EfficientNet(n) => n.forward(input, batch),
            CpuNetwork::Cnn(n) => n.forward(input, batch),
            CpuNetwork::Mlp(n) => n.forward(input, batch),
        })
    }

    /// Values per item of the output.
    pub fn outputs(&self) -> usize {
        match self {
            CpuNetwork::EfficientNet(n) => n.embedding_size(),
            CpuNetwork::Cnn(n) => n.outputs(),
            CpuNetwork::Mlp(n) => n.outputs(),
        }
    }
}

/// Softmax of each `classes`-long row, in place (max subtracted first).
pub fn softmax_rows(values: &mut [f32], classes: usize) {
    for row in values.chunks_exact_mut(classes) {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
        let mut sum = 0.0f32;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        row.iter_mut().for_each(|v| *v /= sum);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArchConfig, CnnConfig, MlpConfig, PoolKind};
    use burn::tensor::activation::softmax;
    use burn::tensor::{Device, Tensor, TensorData};

    fn burn_forward(model: &Model, input: &[f32], batch: usize, device: &Device) -> Vec<f32> {
        let x = Tensor::<2>::from_data(
            TensorData::new(input.to_vec(), [batch, input.len() / batch]),
            device,
        );
        pollster::block_on(softmax(model.forward(x), 1).into_data_async())
            .unwrap()
            .try_into_vec::<f32>()
            .unwrap()
    }

    fn check(config: ArchConfig) {
        let device = Device::flex();
        let model = config.init(&device).unwrap();
        let packed = pollster::block_on(CpuNetwork::from_model(&model))
            .unwrap()
            .unwrap();
        let batch = 3;
        let input: Vec<f32> = (0..batch * config.input_len())
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let expected = burn_forward(&model, &input, batch, &device);
        let mut got = packed.forward(&input, batch);
        softmax_rows(&mut got, packed.outputs());
        assert_eq!(got.len(), expected.len(), "{config:?}");
        let worst = got
            .iter()
            .zip(&expected)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-5, "{config:?}: max |Δp| {worst}");
    }

    #[test]
    fn packed_cnns_match_burn_with_max_and_average_pooling_rgb_and_remainders() {
        for (channels, size, pool, pools, kernels) in [
            (1, 28, PoolKind::Max, vec![2, 2], vec![3, 3]),
            (3, 15, PoolKind::Avg, vec![2, 3], vec![5, 2]),
            (3, 9, PoolKind::Max, vec![1, 2], vec![1, 3]),
        ] {
            check(ArchConfig::Cnn(CnnConfig {
                channels,
                height: size,
                width: size + 1,
                conv_channels: vec![8, 12],
                kernel_sizes: kernels,
                pool_sizes: pools,
                pool,
                dense_sizes: vec![16],
                classes: 5,
                dropout: 0.0,
            }));
        }
    }

    #[test]
    fn packed_mlp_matches_burn() {
        check(ArchConfig::Mlp(MlpConfig {
            input_size: 20,
            hidden_sizes: vec![13, 9],
            classes: 4,
            dropout: 0.0,
            lexical: None,
        }));
    }
}
