//! The `minilm_l6` text backbone: a BERT encoder (6 post-norm layers, hidden 384, 12 heads,
//! FFN 1536 with exact GELU, LayerNorm ε 1e-12, vocabulary 30,522) as in all-MiniLM-L6-v2,
//! mapping WordPiece ids to a 384-d sentence embedding: the mean of the token states (padding
//! excluded), L2-normalized. The token-type embedding (always type 0) is folded into the
//! position embeddings when weights are imported.

use burn::module::Module;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig};
use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

use super::error::ModelError;
use super::lexical::LexicalConfig;

/// Size of the sentence embedding (the hidden width).
pub const EMBEDDING_SIZE: usize = 384;
/// Encoder layers.
pub const LAYERS: usize = 6;
/// Attention heads.
pub const HEADS: usize = 12;
/// Width of the feed-forward layers.
pub const FFN_SIZE: usize = 1536;
/// Vocabulary size of the uncased BERT WordPiece vocabulary.
pub const VOCAB_SIZE: usize = 30_522;
/// Positions the position embeddings cover (the longest sequence the network takes).
pub const MAX_POSITIONS: usize = 512;
/// LayerNorm ε of the weights.
pub const LAYER_NORM_EPS: f64 = 1e-12;

/// Config of the `minilm_l6` backbone: how many tokens (with `[CLS]` and `[SEP]`) a text is
/// cut to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiniLmConfig {
    /// Maximum tokens per text, `[CLS]` and `[SEP]` included (128 for all-MiniLM-L6-v2's
    /// tokenizer; at most 512).
    pub max_tokens: usize,
    /// Hashed word and bigram ids that follow the token ids in each input row and are passed
    /// through after the sentence embedding (see [`super::lexical`]); absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lexical: Option<LexicalConfig>,
}

impl MiniLmConfig {
    /// Values per input item: one token id per position (`[PAD]` = 0 after `[SEP]`), then the
    /// lexical ids if any.
    pub fn input_len(&self) -> usize {
        self.max_tokens + self.lexical_len()
    }

    /// Values per output item: the sentence embedding, then the lexical ids if any.
    pub fn embedding_len(&self) -> usize {
        EMBEDDING_SIZE + self.lexical_len()
    }

    fn lexical_len(&self) -> usize {
        self.lexical.map_or(0, |l| l.features)
    }

    /// Checks the length is within the position embeddings.
    pub fn validate(&self) -> Result<(), ModelError> {
        if let Some(lexical) = &self.lexical {
            lexical.validate()?;
        }
        if !(3..=MAX_POSITIONS).contains(&self.max_tokens) {
            return Err(ModelError::MaxTokensOutOfRange {
                found: self.max_tokens,
                min: 3,
                max: MAX_POSITIONS,
            });
        }
        Ok(())
    }

    /// Builds the network with freshly initialized weights.
    pub fn init(&self, device: &Device) -> MiniLm {
        MiniLm {
            lexical: self.lexical_len(),
            words: EmbeddingConfig::new(VOCAB_SIZE, EMBEDDING_SIZE).init(device),
            positions: EmbeddingConfig::new(MAX_POSITIONS, EMBEDDING_SIZE).init(device),
            norm: LayerNormConfig::new(EMBEDDING_SIZE)
                .with_epsilon(LAYER_NORM_EPS)
                .init(device),
            encoder: TransformerEncoderConfig::new(EMBEDDING_SIZE, FFN_SIZE, HEADS, LAYERS)
                .with_dropout(0.0)
                .with_norm_first(false)
                .with_layer_norm_eps(LAYER_NORM_EPS)
                .init(device),
        }
    }
}

/// The MiniLM-L6 sentence encoder.
#[derive(Module, Debug)]
pub struct MiniLm {
    /// Token embeddings `[vocab, 384]`.
    pub words: Embedding,
    /// Position embeddings `[512, 384]` (token type 0 folded in).
    pub positions: Embedding,
    /// LayerNorm over the summed embeddings.
    pub norm: LayerNorm,
    /// The 6 post-norm transformer layers.
    pub encoder: TransformerEncoder,
    /// Lexical ids at the end of each input row, passed through (0: none).
    #[module(skip)]
    pub lexical: usize,
}

impl MiniLm {
    /// Token ids `[batch, length]` (as floats; `[PAD]` = 0 marks padding; any `length` up to
    /// 512), then the config's lexical ids → L2-normalized sentence embeddings `[batch, 384]`,
    /// then the lexical ids as they came.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        if self.lexical == 0 {
            return self.sentences(input);
        }
        let [batch, width] = input.dims();
        let split = width - self.lexical;
        let tokens = input.clone().slice([0..batch, 0..split]);
        let ids = input.slice([0..batch, split..width]);
        Tensor::cat(vec![self.sentences(tokens), ids], 1)
    }

    /// Token ids `[batch, length]` → sentence embeddings `[batch, 384]`.
    fn sentences(&self, input: Tensor<2>) -> Tensor<2> {
        let [batch, length] = input.dims();
        let ids: Tensor<2, Int> = input.int();
        let padding = ids.clone().equal_elem(0);
        let device = ids.device();
        let positions = Tensor::<1, Int>::arange(0..length as i64, &device)
            .reshape([1, length])
            .expand([batch, length]);
        let x = self.words.forward(ids) + self.positions.forward(positions);
        let x = self.norm.forward(x);
        let x = self
            .encoder
            .forward(TransformerEncoderInput::new(x).mask_pad(padding.clone()));
        let keep = padding.bool_not().float().reshape([batch, length, 1]);
        let counts = keep.clone().sum_dim(1).clamp_min(1.0);
        let pooled = (x * keep)
            .sum_dim(1)
            .div(counts)
            .reshape([batch, EMBEDDING_SIZE]);
        super::unit_rows(pooled)
    }
}
