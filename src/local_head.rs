//! A linear head fitted on a device from labeled embeddings, with no autodiff: softmax
//! regression by full-batch Adam with weight decay, the gradient written out
//! (`∂L/∂W = Xᵀ(P − Y)/n + λW`). Small enough to retrain in the browser after every few labels
//! (the "local head": offline, never published), and warm-started from the previous fit.
//! Embeddings are standardized per feature with statistics of the labeled set.

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

use crate::model::{ArchConfig, Mlp, MlpConfig};
use thiserror::Error;

/// Why a local head could not be fitted or used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LocalHeadError {
    /// The embeddings do not split into items of the expected size.
    #[error("{got} embedding values are not {items} items of {size}")]
    Shape {
        /// Values given.
        got: usize,
        /// Items (labels) given.
        items: usize,
        /// Embedding size.
        size: usize,
    },
    /// A label is not a class index.
    #[error("label {label} is not one of the {classes} classes")]
    Label {
        /// The label.
        label: u32,
        /// Number of classes.
        classes: usize,
    },
    /// Nothing to learn from.
    #[error("a local head needs labeled items of at least 2 classes")]
    TooFew,
    /// Reading the result back from the device failed.
    #[error("reading the local head from the device failed: {0}")]
    Read(String),
    /// A fitting option is out of range.
    #[error("invalid local head option: {0}")]
    Config(String),
}

impl LocalHeadError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            LocalHeadError::Shape { .. } => "INPUT_SHAPE",
            LocalHeadError::Label { .. } => "LOCAL_HEAD_LABEL",
            LocalHeadError::TooFew => "LOCAL_HEAD_TOO_FEW",
            LocalHeadError::Read(_) => "DEVICE_READ_FAILED",
            LocalHeadError::Config(_) => "INVALID_ARGUMENT",
        }
    }
}

/// How a local head is fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalHeadConfig {
    /// Adam steps (each one pass over all labeled embeddings).
    pub steps: usize,
    /// Adam's learning rate.
    pub learning_rate: f32,
    /// L2 penalty.
    pub weight_decay: f32,
}

impl Default for LocalHeadConfig {
    fn default() -> Self {
        LocalHeadConfig {
            steps: 100,
            learning_rate: 0.02,
            weight_decay: 1e-3,
        }
    }
}

/// A fitted linear head: probabilities = softmax(W·((x − mean)/std) + b).
#[derive(Debug, Clone, PartialEq)]
pub struct LinearHead {
    /// Embedding size.
    pub size: usize,
    /// Number of classes.
    pub classes: usize,
    /// `[classes, size]`, row-major.
    pub weight: Vec<f32>,
    /// `[classes]`.
    pub bias: Vec<f32>,
    /// Per-feature mean of the labeled embeddings.
    pub mean: Vec<f32>,
    /// Per-feature standard deviation of the labeled embeddings.
    pub std: Vec<f32>,
    /// Labeled items it was fitted on.
    pub trained_on: usize,
}

fn t2(values: Vec<f32>, shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

async fn read(t: Tensor<2>) -> Result<Vec<f32>, LocalHeadError> {
    crate::device::read_f32(t)
        .await
        .map_err(LocalHeadError::Read)
}

/// Checks that `values` values are `labels.len()` items of `size`, every label a class index,
/// and at least two items of two classes.
pub(crate) fn check_labeled(
    values: usize,
    labels: &[u32],
    size: usize,
    classes: usize,
) -> Result<(), LocalHeadError> {
    let n = labels.len();
    if size == 0 || values != n * size {
        return Err(LocalHeadError::Shape {
            got: values,
            items: n,
            size,
        });
    }
    if let Some(&label) = labels.iter().find(|&&l| l as usize >= classes) {
        return Err(LocalHeadError::Label { label, classes });
    }
    let distinct = labels
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if n < 2 || distinct < 2 {
        return Err(LocalHeadError::TooFew);
    }
    Ok(())
}

/// Fits a linear head on `labels.len()` embeddings of `size` values (row-major), `classes`
/// outputs, on `device`; starts from `warm` when it has the same shape.
pub async fn fit_linear_head(
    embeddings: &[f32],
    labels: &[u32],
    size: usize,
    classes: usize,
    config: LocalHeadConfig,
    warm: Option<&LinearHead>,
    device: &Device,
) -> Result<LinearHead, LocalHeadError> {
    let n = labels.len();
    check_labeled(embeddings.len(), labels, size, classes)?;
    let (mean, std) = standardization(embeddings, size);
    let standardized = standardize(embeddings, &mean, &std);

    // Every product is laid out so that its output has many columns (`W·Xᵀ` is
    // `[classes, n]`, `D·X` is `[classes, size]`): burn's CPU matmul in wasm was ~100× slower
    // on the transposed shapes, whose output has only `classes` columns.
    let transposed = transpose(&standardized, n, size);
    let x = t2(standardized, [n, size], device);
    let xt = t2(transposed, [size, n], device);
    let mut onehot_t = vec![0.0f32; classes * n];
    for (i, &l) in labels.iter().enumerate() {
        onehot_t[l as usize * n + i] = 1.0;
    }
    let y = t2(onehot_t, [classes, n], device);
    let (mut w, mut b) = match warm.filter(|h| h.size == size && h.classes == classes) {
        Some(h) => (
            t2(h.weight.clone(), [classes, size], device),
            t2(h.bias.clone(), [classes, 1], device),
        ),
        None => (
            Tensor::zeros([classes, size], device),
            Tensor::zeros([classes, 1], device),
        ),
    };
    let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let (mut mw, mut vw) = (w.zeros_like(), w.zeros_like());
    let (mut mb, mut vb) = (b.zeros_like(), b.zeros_like());
    let lr = config.learning_rate;
    for step in 1..=config.steps {
        // Probabilities kept ≥ 1e-12: a saturated softmax otherwise yields subnormal floats,
        // on which x86 arithmetic is ~100× slower (a 1,000-label fit took 34 s in wasm).
        let p = softmax(w.clone().matmul(xt.clone()) + b.clone(), 0).clamp_min(1e-12);
        let d = (p - y.clone()).div_scalar(n as f32);
        let gw = d.clone().matmul(x.clone()) + w.clone().mul_scalar(config.weight_decay);
        let gb = d.sum_dim(1);
        mw = mw.mul_scalar(beta1) + gw.clone().mul_scalar(1.0 - beta1);
        vw = vw.mul_scalar(beta2) + gw.powi_scalar(2).mul_scalar(1.0 - beta2);
        mb = mb.mul_scalar(beta1) + gb.clone().mul_scalar(1.0 - beta1);
        vb = vb.mul_scalar(beta2) + gb.powi_scalar(2).mul_scalar(1.0 - beta2);
        let c1 = 1.0 - beta1.powi(step as i32);
        let c2 = 1.0 - beta2.powi(step as i32);
        w = w
            - (mw.clone().div_scalar(c1) / (vw.clone().div_scalar(c2).sqrt().add_scalar(eps)))
                .mul_scalar(lr);
        b = b
            - (mb.clone().div_scalar(c1) / (vb.clone().div_scalar(c2).sqrt().add_scalar(eps)))
                .mul_scalar(lr);
    }
    Ok(LinearHead {
        size,
        classes,
        weight: read(w).await?,
        bias: read(b).await?,
        mean,
        std,
        trained_on: n,
    })
}

impl LinearHead {
    /// The head as a one-layer [`Mlp`] reading raw embeddings (the standardization folded into
    /// its weights), with its architecture: what a server's job publishes.
    pub fn to_model(&self, device: &Device) -> (ArchConfig, Mlp) {
        let linear = linear_layer(&self.weight, &self.bias, self.size, device);
        let arch = ArchConfig::Mlp(MlpConfig {
            input_size: self.size,
            hidden_sizes: vec![],
            classes: self.classes,
            dropout: 0.0,
            lexical: None,
        });
        let mlp = Mlp::from_layers(vec![linear]).fold_input_normalization(&self.mean, &self.std);
        (arch, mlp)
    }

    /// Class probabilities `[n, classes]` of `n` embeddings, on `device`.
    pub async fn probabilities(
        &self,
        embeddings: &[f32],
        device: &Device,
    ) -> Result<Vec<f32>, LocalHeadError> {
        if !embeddings.len().is_multiple_of(self.size) {
            return Err(LocalHeadError::Shape {
                got: embeddings.len(),
                items: embeddings.len() / self.size,
                size: self.size,
            });
        }
        let n = embeddings.len() / self.size;
        let standardized = standardize(embeddings, &self.mean, &self.std);
        let xt = t2(
            transpose(&standardized, n, self.size),
            [self.size, n],
            device,
        );
        let w = t2(self.weight.clone(), [self.classes, self.size], device);
        let b = t2(self.bias.clone(), [self.classes, 1], device);
        let p_t = read(softmax(w.matmul(xt) + b, 0)).await?;
        Ok(transpose(&p_t, self.classes, n))
    }
}

/// A burn `Linear` layer of `weight` (`[classes, width]`, row-major, as the local heads keep
/// it; burn keeps `[width, classes]`) and `bias` (`[classes]`).
pub(crate) fn linear_layer(weight: &[f32], bias: &[f32], width: usize, device: &Device) -> Linear {
    let classes = bias.len();
    let mut linear = LinearConfig::new(width, classes).init(device);
    linear.weight = Param::from_tensor(t2(
        transpose(weight, classes, width),
        [width, classes],
        device,
    ));
    linear.bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(bias.to_vec(), [classes]),
        device,
    )));
    linear
}

/// Per-feature mean and standard deviation (at least 1e-3) of row-major rows of `size` values
/// (host side: one pass).
pub(crate) fn standardization(embeddings: &[f32], size: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (embeddings.len() / size).max(1) as f64;
    let mut mean = vec![0.0f64; size];
    let mut sq = vec![0.0f64; size];
    for row in embeddings.chunks(size) {
        for (j, &v) in row.iter().enumerate() {
            mean[j] += f64::from(v);
            sq[j] += f64::from(v) * f64::from(v);
        }
    }
    let mean: Vec<f32> = mean.iter().map(|m| (m / n) as f32).collect();
    let std: Vec<f32> = sq
        .iter()
        .zip(&mean)
        .map(|(q, &m)| ((q / n - f64::from(m).powi(2)).max(0.0).sqrt() as f32).max(1e-3))
        .collect();
    (mean, std)
}

/// `(x − mean) / std` per feature of row-major rows of `mean.len()` values.
pub(crate) fn standardize(embeddings: &[f32], mean: &[f32], std: &[f32]) -> Vec<f32> {
    embeddings
        .chunks(mean.len())
        .flat_map(|row| {
            row.iter()
                .zip(mean.iter().zip(std))
                .map(|(v, (m, s))| (v - m) / s)
        })
        .collect()
}

/// `rows × cols` row-major → `cols × rows` row-major.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; values.len()];
    for (i, row) in values.chunks(cols).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            out[j * rows + i] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argmax(row: &[f32]) -> usize {
        (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap()
    }

    /// Three clusters in 8-d: the fitted head classifies every training point and a new
    /// point near each centre; a warm start from it reaches the same answers in 5 steps.
    #[test]
    fn separates_clusters_and_warm_starts() {
        let device = Device::flex();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..30u32 {
            let c = i % 3;
            for d in 0..8u32 {
                let centre = if d % 3 == c { 4.0 } else { 1.0 };
                x.push(centre + ((i * 7 + d) % 5) as f32 * 0.1);
            }
            y.push(c);
        }
        let head = pollster::block_on(fit_linear_head(
            &x,
            &y,
            8,
            3,
            LocalHeadConfig::default(),
            None,
            &device,
        ))
        .unwrap();
        let p = pollster::block_on(head.probabilities(&x, &device)).unwrap();
        for (row, &label) in p.chunks(3).zip(&y) {
            assert_eq!(argmax(row), label as usize);
        }
        let quick = LocalHeadConfig {
            steps: 5,
            ..Default::default()
        };
        let warm =
            pollster::block_on(fit_linear_head(&x, &y, 8, 3, quick, Some(&head), &device)).unwrap();
        let p = pollster::block_on(warm.probabilities(&x, &device)).unwrap();
        for (row, &label) in p.chunks(3).zip(&y) {
            assert_eq!(argmax(row), label as usize);
        }
        let err = pollster::block_on(fit_linear_head(
            &x[..16],
            &[0, 0],
            8,
            3,
            quick,
            None,
            &device,
        ))
        .unwrap_err();
        assert_eq!(err.code(), "LOCAL_HEAD_TOO_FEW");
    }
}
