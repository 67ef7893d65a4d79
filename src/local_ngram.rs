//! A `text_ngram` classifier trained where the labels are — in the browser, offline — with
//! fastText's recipe in plain Rust (no autodiff: the gradient of an embedding bag + softmax
//! regression is written out): per labeled text, the mean of its n-gram vectors, softmax
//! regression on it, SGD with a linearly decaying rate into the vectors of that text's n-grams
//! only. Turned into an ordinary bundle, so it predicts through a normal session.

use burn::module::Param;
use burn::tensor::{Tensor, TensorData};
use thiserror::Error;

use crate::bundle::{Bundle, BundleError, BundleInfo, InputSpec, TextInput, TokenizerKind};
use crate::device::{DeviceError, cpu_device};
use crate::model::{ArchConfig, Model, TextNgramConfig};
use crate::text::NgramHasher;

/// Why a local `text_ngram` could not be trained.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LocalNgramError {
    /// Fewer than two classes among the labels, or no labels.
    #[error("need labels of at least 2 classes to learn from (have {0})")]
    TooFewClasses(usize),
    /// A label is not an index of the class names, or the counts differ.
    #[error("{0}")]
    BadLabels(String),
    /// The bundle could not be made.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// This build has no CPU backend to hold the model's tensors (a WebGPU-only build).
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl LocalNgramError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            LocalNgramError::TooFewClasses(_) => "LOCAL_HEAD_TOO_FEW",
            LocalNgramError::BadLabels(_) => "INVALID_ARGUMENT",
            LocalNgramError::Bundle(e) => e.code(),
            LocalNgramError::Device(e) => e.code(),
        }
    }
}

/// Settings of a local `text_ngram`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalNgramConfig {
    /// Hash buckets.
    pub buckets: u32,
    /// Width of a feature vector.
    pub dim: usize,
    /// Feature ids per text.
    pub max_features: usize,
    /// Passes over the labels (at least; few labels get more, up to ~2,000 updates).
    pub epochs: usize,
    /// Starting learning rate (decays linearly to 0).
    pub learning_rate: f32,
    /// Seed of the initial vectors and the order.
    pub seed: u64,
}

impl Default for LocalNgramConfig {
    fn default() -> Self {
        LocalNgramConfig {
            buckets: 1 << 16,
            dim: 32,
            // Measured on SpamAssassin with 20 labels (79% on 300 held-out emails): the first
            // ~20 words (256 ids) teach more than 2,048 ids (46–64%), and 0.5–2 beat 0.2.
            max_features: 256,
            epochs: 10,
            learning_rate: 0.5,
            seed: 42,
        }
    }
}

/// xorshift64*: the seeded numbers for the initial vectors and the order.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Trains a `text_ngram` on `texts` labeled `labels` (indices into `classes`) and returns it as
/// a bundle named `name` (version `local`), whose input hashes texts as the browser does.
pub fn train_local_ngram(
    texts: &[&str],
    labels: &[u32],
    classes: &[String],
    config: LocalNgramConfig,
    name: &str,
    created_at: String,
) -> Result<Bundle, LocalNgramError> {
    if texts.len() != labels.len() {
        return Err(LocalNgramError::BadLabels(format!(
            "{} texts but {} labels",
            texts.len(),
            labels.len()
        )));
    }
    if let Some(l) = labels.iter().find(|l| **l as usize >= classes.len()) {
        return Err(LocalNgramError::BadLabels(format!(
            "label {l} is not a class index (there are {} classes)",
            classes.len()
        )));
    }
    let present = labels
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if present < 2 {
        return Err(LocalNgramError::TooFewClasses(present));
    }
    let hasher = NgramHasher {
        buckets: config.buckets,
        lowercase: true,
    };
    let rows: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| hasher.encode(t, config.max_features))
        .collect();
    let (dim, k) = (config.dim, classes.len());
    let mut rng = Rng(config.seed | 1);
    // fastText's start: small random vectors, a zero output layer.
    let scale = 1.0 / dim as f32;
    let mut emb: Vec<f32> = (0..config.buckets as usize * dim)
        .map(|_| (rng.unit() * 2.0 - 1.0) * scale)
        .collect();
    let mut w = vec![0.0f32; dim * k];
    let mut b = vec![0.0f32; k];
    let epochs = config.epochs.max(2000 / texts.len().max(1)).min(200);
    let total = (epochs * texts.len()) as f32;
    let mut order: Vec<usize> = (0..texts.len()).collect();
    let (mut pooled, mut grad, mut p) = (vec![0.0f32; dim], vec![0.0f32; dim], vec![0.0f32; k]);
    let mut step = 0.0f32;
    for _ in 0..epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            let lr = config.learning_rate * (1.0 - step / total);
            step += 1.0;
            let ids = &rows[i];
            if ids.is_empty() {
                continue;
            }
            pooled.iter_mut().for_each(|v| *v = 0.0);
            for &id in ids {
                let row = &emb[id as usize * dim..][..dim];
                pooled.iter_mut().zip(row).for_each(|(a, b)| *a += b);
            }
            let n = ids.len() as f32;
            pooled.iter_mut().for_each(|v| *v /= n);
            for c in 0..k {
                p[c] = b[c] + (0..dim).map(|d| pooled[d] * w[d * k + c]).sum::<f32>();
            }
            let max = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            p.iter_mut().for_each(|v| *v = (*v - max).exp());
            let sum: f32 = p.iter().sum();
            p.iter_mut().for_each(|v| *v /= sum);
            p[labels[i] as usize] -= 1.0; // now the gradient of the loss wrt the logits
            for d in 0..dim {
                grad[d] = (0..k).map(|c| w[d * k + c] * p[c]).sum();
                for c in 0..k {
                    w[d * k + c] -= lr * pooled[d] * p[c];
                }
            }
            for c in 0..k {
                b[c] -= lr * p[c];
            }
            for &id in ids {
                let row = &mut emb[id as usize * dim..][..dim];
                row.iter_mut()
                    .zip(&grad)
                    .for_each(|(e, g)| *e -= lr * g / n);
            }
        }
    }
    let arch = TextNgramConfig {
        buckets: config.buckets as usize,
        dim,
        max_features: config.max_features,
        hidden_sizes: vec![],
        classes: k,
    };
    // The CPU device only holds the tensors while the bundle is written.
    let device = cpu_device(None)?.device;
    let mut model = arch.init(&device);
    model.embedding.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(emb, [config.buckets as usize, dim]),
        &device,
    ));
    model.layers[0].weight =
        Param::from_tensor(Tensor::from_data(TensorData::new(w, [dim, k]), &device));
    model.layers[0].bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(b, [k]),
        &device,
    )));
    let info = BundleInfo {
        name: name.to_string(),
        version: "local".into(),
        input: InputSpec::Text(TextInput {
            lexical: None,
            tokenizer: TokenizerKind::HashedNgrams,
            max_tokens: config.max_features,
            lowercase: true,
            buckets: Some(config.buckets as usize),
        }),
        labels: classes.to_vec(),
        metrics: None,
        created_at,
    };
    Ok(Bundle::from_model(
        info,
        ArchConfig::TextNgram(arch),
        Model::TextNgram(model),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_two_topics_from_a_few_texts_and_refuses_one_class() {
        let texts = [
            "cheap pills free offer click now",
            "win money free prize click here",
            "limited offer buy cheap now",
            "meeting agenda for monday attached",
            "minutes of the project meeting",
            "please review the attached agenda",
        ];
        let labels = [0, 0, 0, 1, 1, 1];
        let classes = vec!["spam".to_string(), "ham".to_string()];
        let config = LocalNgramConfig {
            buckets: 1 << 12,
            ..LocalNgramConfig::default()
        };
        let bundle =
            train_local_ngram(&texts, &labels, &classes, config, "t", "now".into()).unwrap();
        let session =
            crate::Session::on_device(&bundle, crate::device::cpu_device(None).unwrap()).unwrap();
        let unseen = ["free cheap prize offer", "agenda for the meeting"];
        let ids = session.encode_texts(&unseen).unwrap();
        let p = pollster::block_on(session.probabilities(&ids, 2)).unwrap();
        assert!(p[0] > 0.5 && p[3] > 0.5, "spam then ham: {p:?}");
        assert!(matches!(
            train_local_ngram(&texts[..2], &[0, 0], &classes, config, "t", "now".into()),
            Err(LocalNgramError::TooFewClasses(1))
        ));
    }
}
