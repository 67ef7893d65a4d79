//! Lexical features beside a sentence embedding: a text's words and word bigrams hashed into
//! `buckets` (`crate::text::NgramHasher::encode_words`, ids `1..buckets`, 0 = padding). A text
//! backbone with them (`minilm_l6` with `lexical`) outputs its sentence embedding followed by
//! the text's first `features` ids, so they are stored and shipped with the embedding; a head
//! with them (`mlp` with `lexical`) expands the ids into a bag of words — log(1 + count) per
//! bucket, L2-normalized — and reads it beside the (scaled) sentence embedding. Spam is lexical:
//! on SpamAssassin this lifts spam F1 with 100 labels from 0.865 to 0.955 (see the README).

use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor};
use serde::{Deserialize, Serialize};

use super::error::{ModelError, positive};
use super::text_ngram::MAX_BUCKETS;

/// Hashed word and word-bigram ids carried with a text (backbone input and output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexicalConfig {
    /// Hash buckets: ids `1..buckets`, 0 is padding; at most 2^24 (ids travel as f32).
    pub buckets: usize,
    /// Ids kept per text (its first words and bigrams, in text order).
    pub features: usize,
}

/// The bucket count `kindling backbone import` gives a text backbone (2^14): with 2^12
/// buckets spam F1 at 100 labels was 0.942, 2^13 0.950, 2^14 0.960 (numpy replica, 3 seeds).
pub const DEFAULT_BUCKETS: usize = 1 << 14;

/// The ids kept per text by default: about the first 512 words of an email.
pub const DEFAULT_FEATURES: usize = 1024;

impl LexicalConfig {
    /// Checks sizes.
    pub fn validate(&self) -> Result<(), ModelError> {
        positive("lexical.features", self.features)?;
        if !(2..=MAX_BUCKETS).contains(&self.buckets) {
            return Err(ModelError::ZeroSize {
                field: format!("lexical.buckets (2..={MAX_BUCKETS}, got {})", self.buckets),
            });
        }
        Ok(())
    }
}

/// A head's lexical input: it reads `sentence` embedding values followed by `features`
/// hashed ids, and its first layer sees `sentence_scale ×` the embedding beside the
/// `buckets`-wide bag of words.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexicalHeadConfig {
    /// Sentence embedding values first in each row.
    pub sentence: usize,
    /// The ids' hashing, as the backbone's.
    #[serde(flatten)]
    pub lexical: LexicalConfig,
    /// Weight of the (unit-length) sentence embedding against the (unit-length) bag of words.
    pub sentence_scale: f32,
}

/// The sentence embedding's weight against the bag of words for a head trained on `labels`
/// labels: `max(0.35, 35 / labels)` — with a few labels the sentence embedding generalizes
/// better than words, with more the words win. Numpy replica on SpamAssassin (spam F1): a fixed
/// 0.35 gave 0.444 / 0.621 / 0.764 at 20 / 30 / 50 random labels (the sentence embedding alone
/// 0.669 / 0.717 / 0.758; 10 seeds) and 0.917 / 0.960 / 0.971 at 50 / 100 / 200 margin labels
/// (3 seeds; 0.5: 0.952 at 100, 1.0: 0.939, 2.0: 0.897); this schedule 0.618 / 0.733 / 0.801
/// and 0.922 / 0.955 / 0.972.
pub fn sentence_scale_for(labels: usize) -> f32 {
    (35.0 / labels.max(1) as f32).max(0.35)
}

impl LexicalHeadConfig {
    /// A head reading `sentence` embedding values, then `lexical` ids, before it is fitted:
    /// the fit sets `sentence_scale` for its label count ([`sentence_scale_for`]).
    pub fn unfitted(sentence: usize, lexical: LexicalConfig) -> LexicalHeadConfig {
        LexicalHeadConfig {
            sentence,
            lexical,
            sentence_scale: 1.0,
        }
    }

    /// Values per row the head reads: the embedding and the ids.
    pub fn row_len(&self) -> usize {
        self.sentence + self.lexical.features
    }

    /// Width of the expanded input of the first layer.
    pub fn dense_len(&self) -> usize {
        self.sentence + self.lexical.buckets
    }

    /// Checks sizes and the scale.
    pub fn validate(&self) -> Result<(), ModelError> {
        positive("lexical.sentence", self.sentence)?;
        self.lexical.validate()?;
        if !(self.sentence_scale.is_finite() && self.sentence_scale > 0.0) {
            return Err(ModelError::ZeroSize {
                field: format!("lexical.sentence_scale (got {})", self.sentence_scale),
            });
        }
        Ok(())
    }

    /// Rows `[batch, sentence + features]` → `[batch, sentence + buckets]`: the scaled
    /// embedding, then the bag of words.
    pub fn expand(&self, rows: Tensor<2>) -> Tensor<2> {
        let [batch, _] = rows.dims();
        let sentence = rows.clone().slice([0..batch, 0..self.sentence]) * self.sentence_scale;
        let ids = rows.slice([0..batch, self.sentence..self.row_len()]);
        let bag = bag_of_words(ids, self.lexical.buckets);
        Tensor::cat(vec![sentence, bag], 1)
    }
}

/// Ids `[batch, n]` (as floats, 0 = padding) → `[batch, buckets]`: log(1 + count) per bucket,
/// each row scaled to unit length (a row of padding only stays zero).
pub fn bag_of_words(ids: Tensor<2>, buckets: usize) -> Tensor<2> {
    let [batch, n] = ids.dims();
    let device: Device = ids.device();
    let index: Tensor<2, Int> = ids.int();
    let counts = Tensor::<2>::zeros([batch, buckets], &device).scatter(
        1,
        index,
        Tensor::<2>::ones([batch, n], &device),
        IndexingUpdateOp::Add,
    );
    let counts = counts.slice_fill([0..batch, 0..1], 0.0);
    super::unit_rows(counts.log1p())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().iter::<f32>().collect()
    }

    #[test]
    fn the_bag_counts_ids_as_log_one_plus_count_at_unit_length_and_ignores_padding() {
        let device = Device::flex();
        // Row 0: id 2 three times, id 1 once, padding twice. Row 1: padding only.
        let ids = Tensor::<2>::from_data(
            TensorData::new(
                vec![2.0, 1.0, 2.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                [2, 6],
            ),
            &device,
        );
        let bag = values(bag_of_words(ids, 4));
        let (a, b) = (4f32.ln(), 2f32.ln());
        let norm = (a * a + b * b).sqrt();
        let want = [0.0, b / norm, a / norm, 0.0, 0.0, 0.0, 0.0, 0.0];
        for (got, want) in bag.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{bag:?} vs {want:?}");
        }
    }

    #[test]
    fn a_head_row_expands_into_the_scaled_embedding_then_the_bag() {
        let device = Device::flex();
        let head = LexicalHeadConfig {
            sentence: 2,
            lexical: LexicalConfig {
                buckets: 3,
                features: 2,
            },
            sentence_scale: 0.5,
        };
        let rows =
            Tensor::<2>::from_data(TensorData::new(vec![0.6, -0.8, 1.0, 1.0], [1, 4]), &device);
        let dense = values(head.expand(rows));
        assert_eq!(dense.len(), head.dense_len());
        for (got, want) in dense.iter().zip([0.3, -0.4, 0.0, 1.0, 0.0]) {
            assert!((got - want).abs() < 1e-6, "{dense:?}");
        }
    }
}
