//! A lexical head (`crate::model::lexical` — the sentence embedding, scaled, beside the bag of
//! words) fitted from the rows a lexical text backbone embeds, by full-batch Adam with the
//! gradient written out over sparse rows: a row is its 384 sentence values and its few hundred
//! distinct words, not 16,768 dense values, so a fit costs what the words cost. One
//! implementation: the server's jobs fit their text heads with it (then [`LexicalLocalHead::to_model`])
//! and the browser's local head refits with it after each label, warm-started. With fewer than [`WORDS_FROM_LABELS`] labels the sentence embedding alone is the
//! better reader (spam F1 at 20 random labels 0.669 for it, 0.618 with the words; numpy replica,
//! 10 seeds), and the browser keeps the sentence-only local head (`crate::local_head`) there.

use burn::tensor::Device;

use crate::local_head::{LocalHeadError, check_labeled, linear_layer};
use crate::model::lexical::sentence_scale_for;
use crate::model::{ArchConfig, LexicalHeadConfig, Mlp, MlpConfig};

/// From this many labels on, a local head over a lexical text backbone reads the words too
/// (spam F1 at 50 random labels: 0.801 with the words, 0.758 without; numpy replica).
pub const WORDS_FROM_LABELS: usize = 50;

/// Adam steps of a fit that does not start from a previous one.
pub const COLD_STEPS: usize = 200;

/// How a lexical head is fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LexicalFit {
    /// Adam steps from a previous fit (from zero: at least [`COLD_STEPS`]).
    pub steps: usize,
    /// Adam's learning rate (the inputs are unit-length, not standardized).
    pub learning_rate: f32,
    /// L2 penalty on the weights.
    pub weight_decay: f32,
}

impl Default for LexicalFit {
    /// 200 steps, learning rate 0.1, weight decay 1e-4: the README's text benchmark.
    fn default() -> Self {
        LexicalFit {
            steps: COLD_STEPS,
            learning_rate: 0.1,
            weight_decay: 1e-4,
        }
    }
}

/// A fitted lexical head: probabilities = softmax(W · expand(row) + b).
#[derive(Debug, Clone, PartialEq)]
pub struct LexicalLocalHead {
    /// What a row holds and the sentence scale it was fitted with.
    pub lexical: LexicalHeadConfig,
    /// Number of classes.
    pub classes: usize,
    /// `[classes, sentence + buckets]`, row-major.
    pub weight: Vec<f32>,
    /// `[classes]`.
    pub bias: Vec<f32>,
    /// Labeled items it was fitted on.
    pub trained_on: usize,
}

/// One expanded row, sparse: (index into `sentence + buckets`, value).
type SparseRow = Vec<(u32, f32)>;

/// Each `lexical.row_len()`-value row of `rows` expanded as the server's head expands it
/// ([`LexicalHeadConfig::expand`]), sparse.
fn sparse_rows(rows: &[f32], lexical: &LexicalHeadConfig) -> Vec<SparseRow> {
    let sentence = lexical.sentence;
    rows.chunks(lexical.row_len())
        .map(|row| {
            let mut out: SparseRow = row[..sentence]
                .iter()
                .enumerate()
                .map(|(j, v)| (j as u32, v * lexical.sentence_scale))
                .collect();
            let mut ids: Vec<u32> = row[sentence..]
                .iter()
                .map(|v| *v as u32)
                .filter(|&id| id != 0 && (id as usize) < lexical.lexical.buckets)
                .collect();
            ids.sort_unstable();
            let start = out.len();
            for run in ids.chunk_by(|a, b| a == b) {
                out.push((
                    (sentence + run[0] as usize) as u32,
                    (1.0 + run.len() as f32).ln(),
                ));
            }
            let norm = out[start..]
                .iter()
                .map(|(_, v)| v * v)
                .sum::<f32>()
                .sqrt()
                .max(1e-12);
            for (_, v) in &mut out[start..] {
                *v /= norm;
            }
            out
        })
        .collect()
}

/// Softmax of `logits` in place, each probability kept ≥ 1e-12 (see `crate::local_head`).
fn softmax(logits: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for l in logits.iter_mut() {
        *l = (*l - max).exp();
        sum += *l;
    }
    for l in logits.iter_mut() {
        *l = (*l / sum).max(1e-12);
    }
}

impl LexicalLocalHead {
    /// The head as a bundle's classifier: its architecture (an `mlp` with `lexical`) and the
    /// network on `device`, which gives the same probabilities on any backend.
    pub fn to_model(&self, device: &Device) -> (ArchConfig, Mlp) {
        let linear = linear_layer(&self.weight, &self.bias, self.lexical.dense_len(), device);
        let arch = ArchConfig::Mlp(MlpConfig {
            input_size: self.lexical.row_len(),
            hidden_sizes: vec![],
            classes: self.classes,
            dropout: 0.0,
            lexical: Some(self.lexical),
        });
        (
            arch,
            Mlp::from_layers(vec![linear]).with_lexical(Some(self.lexical)),
        )
    }

    /// The logits of one sparse row, into `out`.
    fn logits(&self, row: &SparseRow, out: &mut [f32]) {
        let width = self.lexical.dense_len();
        for (c, o) in out.iter_mut().enumerate() {
            let w = &self.weight[c * width..(c + 1) * width];
            *o = self.bias[c] + row.iter().map(|&(j, v)| w[j as usize] * v).sum::<f32>();
        }
    }

    /// Class probabilities `[n, classes]` of `n` rows (as the backbone embeds them).
    pub fn probabilities(&self, rows: &[f32]) -> Result<Vec<f32>, LocalHeadError> {
        let size = self.lexical.row_len();
        if !rows.len().is_multiple_of(size) {
            return Err(LocalHeadError::Shape {
                got: rows.len(),
                items: rows.len() / size,
                size,
            });
        }
        let mut out = vec![0.0f32; rows.len() / size * self.classes];
        for (row, p) in sparse_rows(rows, &self.lexical)
            .iter()
            .zip(out.chunks_mut(self.classes))
        {
            self.logits(row, p);
            softmax(p);
        }
        Ok(out)
    }
}

/// Fits a lexical head on `labels.len()` rows of `lexical.row_len()` values (its
/// `sentence_scale` is set for the label count), `classes` outputs: `fit.steps` Adam steps
/// from `warm` when it has the same shape, else at least [`COLD_STEPS`] from zero.
pub fn fit_lexical_head(
    rows: &[f32],
    labels: &[u32],
    lexical: LexicalHeadConfig,
    classes: usize,
    fit: LexicalFit,
    warm: Option<&LexicalLocalHead>,
) -> Result<LexicalLocalHead, LocalHeadError> {
    let n = labels.len();
    let size = lexical.row_len();
    check_labeled(rows.len(), labels, size, classes)?;
    let lexical = LexicalHeadConfig {
        sentence_scale: sentence_scale_for(n),
        ..lexical
    };
    let width = lexical.dense_len();
    let warm = warm.filter(|h| {
        h.classes == classes && h.lexical.dense_len() == width && h.lexical.row_len() == size
    });
    let steps = if warm.is_some() {
        fit.steps
    } else {
        fit.steps.max(COLD_STEPS)
    };
    let mut head = LexicalLocalHead {
        lexical,
        classes,
        weight: warm.map_or_else(|| vec![0.0; classes * width], |h| h.weight.clone()),
        bias: warm.map_or_else(|| vec![0.0; classes], |h| h.bias.clone()),
        trained_on: n,
    };
    let sparse = sparse_rows(rows, &lexical);
    let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let (mut mw, mut vw) = (
        vec![0.0f32; head.weight.len()],
        vec![0.0f32; head.weight.len()],
    );
    let (mut mb, mut vb) = (vec![0.0f32; classes], vec![0.0f32; classes]);
    let mut gw = vec![0.0f32; head.weight.len()];
    let mut gb = vec![0.0f32; classes];
    let mut p = vec![0.0f32; classes];
    for step in 1..=steps {
        for (g, w) in gw.iter_mut().zip(&head.weight) {
            *g = fit.weight_decay * w;
        }
        gb.fill(0.0);
        for (row, &label) in sparse.iter().zip(labels) {
            head.logits(row, &mut p);
            softmax(&mut p);
            for (c, &pc) in p.iter().enumerate() {
                let d = (pc - f32::from(c == label as usize)) / n as f32;
                gb[c] += d;
                let g = &mut gw[c * width..(c + 1) * width];
                for &(j, v) in row {
                    g[j as usize] += d * v;
                }
            }
        }
        let c1 = 1.0 - beta1.powi(step as i32);
        let c2 = 1.0 - beta2.powi(step as i32);
        let adam = |w: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]| {
            for i in 0..w.len() {
                m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i];
                w[i] -= fit.learning_rate * (m[i] / c1) / ((v[i] / c2).sqrt() + eps);
            }
        };
        adam(&mut head.weight, &gw, &mut mw, &mut vw);
        adam(&mut head.bias, &gb, &mut mb, &mut vb);
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LexicalConfig;
    use burn::tensor::{Tensor, TensorData};

    const LEXICAL: LexicalHeadConfig = LexicalHeadConfig {
        sentence: 4,
        lexical: LexicalConfig {
            buckets: 64,
            features: 6,
        },
        sentence_scale: 0.5,
    };

    /// Sentence values that say nothing and word ids that are not linearly separable as
    /// numbers (every pair sums to 53): 40 rows of two classes.
    fn rows() -> (Vec<f32>, Vec<u32>) {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..40u32 {
            let class = i % 2;
            x.extend([0.5f32; 4]);
            let (a, b) = if class == 0 {
                (3.0, 50.0)
            } else {
                (10.0, 43.0)
            };
            let (a, b) = if i % 4 < 2 { (a, b) } else { (b, a) };
            x.extend([a, b, 9.0, 9.0, 0.0, 0.0]);
            y.push(class);
        }
        (x, y)
    }

    #[test]
    fn sparse_rows_are_the_servers_expansion() {
        let (x, _) = rows();
        let dense = LEXICAL
            .expand(Tensor::<2>::from_data(
                TensorData::new(x[..20].to_vec(), [2, 10]),
                &Device::flex(),
            ))
            .into_data()
            .iter::<f32>()
            .collect::<Vec<_>>();
        let width = LEXICAL.dense_len();
        for (r, sparse) in sparse_rows(&x[..20], &LEXICAL).iter().enumerate() {
            let mut row = vec![0.0f32; width];
            for &(j, v) in sparse {
                row[j as usize] = v;
            }
            for (a, b) in row.iter().zip(&dense[r * width..(r + 1) * width]) {
                assert!((a - b).abs() < 1e-6, "row {r}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn learns_from_the_words_and_warm_starts() {
        let (x, y) = rows();
        let quick = |steps| LexicalFit {
            steps,
            ..LexicalFit::default()
        };
        let head = fit_lexical_head(&x, &y, LEXICAL, 2, quick(20), None).unwrap();
        assert_eq!(head.lexical.sentence_scale, sentence_scale_for(40));
        let right = |h: &LexicalLocalHead| {
            h.probabilities(&x)
                .unwrap()
                .chunks(2)
                .zip(&y)
                .filter(|(p, l)| (p[1] > p[0]) == (**l == 1))
                .count()
        };
        assert_eq!(right(&head), 40);
        let warm = fit_lexical_head(&x, &y, LEXICAL, 2, quick(5), Some(&head)).unwrap();
        assert_eq!(right(&warm), 40);
        // As a bundle's head (burn's expansion and `Linear`): the same probabilities.
        let device = Device::flex();
        let (_, mlp) = head.to_model(&device);
        let burn = mlp
            .forward(Tensor::from_data(
                TensorData::new(x.clone(), [40, 10]),
                &device,
            ))
            .into_data()
            .iter::<f32>()
            .collect::<Vec<_>>();
        let ours = head.probabilities(&x).unwrap();
        for (logits, p) in burn.chunks(2).zip(ours.chunks(2)) {
            let p1 = 1.0 / (1.0 + (logits[0] - logits[1]).exp());
            assert!((p1 - p[1]).abs() < 1e-5, "{p1} vs {}", p[1]);
        }
        assert_eq!(
            fit_lexical_head(&x[..10], &[0], LEXICAL, 2, quick(5), None)
                .unwrap_err()
                .code(),
            "LOCAL_HEAD_TOO_FEW"
        );
        assert_eq!(
            fit_lexical_head(&x[..9], &[0], LEXICAL, 2, quick(5), None)
                .unwrap_err()
                .code(),
            "INPUT_SHAPE"
        );
    }
}
