//! Labeled texts as training data for `text_ngram`: each text hashed into its n-gram ids (the
//! same Rust code the browser runs), padded with 0.

use kindling::bundle::{InputSpec, TextInput, TokenizerKind};
use kindling::session::TextEncoder;
use kindling::text::NgramHasher;

use super::Dataset;

/// Hash buckets of the default `text_ngram` input (65,536 × 32-d vectors: 8 MB of f32 before
/// compression; buckets no training text reaches stay zero and compress away).
pub const NGRAM_BUCKETS: usize = 1 << 16;
/// Feature ids per text of the default `text_ngram` input (about 120 words of a text).
pub const NGRAM_FEATURES: usize = 2048;

/// The input spec of a `text_ngram` model: hashed n-grams, lower-cased.
pub fn ngram_input() -> InputSpec {
    InputSpec::Text(TextInput {
        lexical: None,
        tokenizer: TokenizerKind::HashedNgrams,
        max_tokens: NGRAM_FEATURES,
        lowercase: true,
        buckets: Some(NGRAM_BUCKETS),
    })
}

/// The hasher of a `hashed_ngrams` text spec.
pub fn hasher(spec: &TextInput) -> NgramHasher {
    NgramHasher {
        buckets: spec.buckets.unwrap_or(NGRAM_BUCKETS) as u32,
        lowercase: spec.lowercase,
    }
}

/// Hashes labeled texts into a data set of `spec` (a `hashed_ngrams` text spec).
pub fn hashed_dataset(rows: &[(String, u32)], classes: &[String], spec: &TextInput) -> Dataset {
    let encoder = TextEncoder::Hashed(hasher(spec));
    let mut items = vec![0.0f32; rows.len() * spec.max_tokens];
    for (row, (text, _)) in items.chunks_mut(spec.max_tokens).zip(rows) {
        encoder
            .encode_into(text, row)
            .expect("hashing a text cannot fail");
    }
    Dataset {
        items,
        labels: rows.iter().map(|(_, l)| *l).collect(),
        item_len: spec.max_tokens,
        classes: classes.to_vec(),
        input: InputSpec::Text(spec.clone()),
    }
}
