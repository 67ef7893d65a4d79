//! Folding an inference-mode BatchNorm into the convolution before it:
//! `BN(conv(x)) = conv'(x) + b'` with `w' = w · γ/√(σ²+ε)` per output channel and
//! `b' = β − μ · γ/√(σ²+ε)`. After folding, inference is conv + bias only.

/// The parameters and running statistics of one BatchNorm layer.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNormParams {
    /// Scale γ.
    pub gamma: Vec<f32>,
    /// Shift β.
    pub beta: Vec<f32>,
    /// Running mean μ.
    pub mean: Vec<f32>,
    /// Running variance σ².
    pub var: Vec<f32>,
    /// ε added to the variance.
    pub eps: f32,
}

impl BatchNormParams {
    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.gamma.len()
    }
}

/// Folds `bn` into a bias-free convolution whose weight is `weight` (row-major
/// `[out, in/groups, kh, kw]`, `out = bn.channels()`); returns the new weight and bias.
pub fn fold_batch_norm(weight: &[f32], bn: &BatchNormParams) -> (Vec<f32>, Vec<f32>) {
    let out = bn.channels();
    assert!(
        out > 0 && weight.len().is_multiple_of(out),
        "conv weight of {} values does not split into {out} output channels",
        weight.len()
    );
    let per_channel = weight.len() / out;
    let mut folded = Vec::with_capacity(weight.len());
    let mut bias = Vec::with_capacity(out);
    for c in 0..out {
        // f64 so that folding adds no rounding of its own.
        let scale = f64::from(bn.gamma[c]) / (f64::from(bn.var[c]) + f64::from(bn.eps)).sqrt();
        folded.extend(
            weight[c * per_channel..(c + 1) * per_channel]
                .iter()
                .map(|w| (f64::from(*w) * scale) as f32),
        );
        bias.push((f64::from(bn.beta[c]) - f64::from(bn.mean[c]) * scale) as f32);
    }
    (folded, bias)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::{BatchNormConfig, PaddingConfig2d};
    use burn::tensor::{Device, Distribution, Tensor, TensorData};

    /// A conv + BatchNorm pair with random weights and statistics, against the folded conv:
    /// the outputs agree within 1e-4 (plain, strided depthwise, and 1×1 cases).
    #[test]
    fn folded_conv_equals_conv_then_batch_norm() {
        let device = Device::flex();
        for (c_in, c_out, k, stride, groups) in [(3, 8, 3, 2, 1), (6, 6, 5, 2, 6), (8, 4, 1, 1, 1)]
        {
            let conv = Conv2dConfig::new([c_in, c_out], [k, k])
                .with_stride([stride, stride])
                .with_groups(groups)
                .with_padding(PaddingConfig2d::Same)
                .with_bias(false)
                .init(&device);
            let rand = |n: usize, lo: f64, hi: f64| -> Vec<f32> {
                Tensor::<1>::random([n], Distribution::Uniform(lo, hi), &device)
                    .into_data()
                    .try_to_vec::<f32>()
                    .unwrap()
            };
            let bn_params = BatchNormParams {
                gamma: rand(c_out, 0.5, 2.0),
                beta: rand(c_out, -1.0, 1.0),
                mean: rand(c_out, -0.5, 0.5),
                var: rand(c_out, 0.1, 3.0),
                eps: 1e-3,
            };
            let mut bn = BatchNormConfig::new(c_out).with_epsilon(1e-3).init(&device);
            let t =
                |v: &[f32]| Tensor::<1>::from_data(TensorData::new(v.to_vec(), [c_out]), &device);
            bn.gamma = Param::from_tensor(t(&bn_params.gamma));
            bn.beta = Param::from_tensor(t(&bn_params.beta));
            bn.running_mean = burn::module::RunningState::new(t(&bn_params.mean));
            bn.running_var = burn::module::RunningState::new(t(&bn_params.var));

            let x = Tensor::<4>::random([2, c_in, 9, 9], Distribution::Normal(0.0, 1.0), &device);
            let expected: Vec<f32> = bn
                .forward(conv.forward(x.clone()))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();

            let weight: Vec<f32> = conv.weight.val().into_data().try_to_vec::<f32>().unwrap();
            let shape = conv.weight.val().dims();
            let (w, b) = fold_batch_norm(&weight, &bn_params);
            let mut folded = conv.clone();
            folded.weight =
                Param::from_tensor(Tensor::<4>::from_data(TensorData::new(w, shape), &device));
            folded.bias = Some(Param::from_tensor(t(&b)));
            let got: Vec<f32> = folded.forward(x).into_data().try_to_vec::<f32>().unwrap();

            let max = expected
                .iter()
                .zip(&got)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(max < 1e-4, "k={k} groups={groups}: max |Δ| = {max}");
        }
    }
}
