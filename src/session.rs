//! Inference sessions: a verified bundle's model on a chosen device; `predict` returns
//! probabilities, top-k with labels and per-item uncertainty. Reads are async (a synchronous
//! tensor read panics on WebGPU).

use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};
use serde::Serialize;
use thiserror::Error;

use crate::bundle::{Bundle, BundleError, Manifest};
use crate::bundle::{InputSpec, TextInput, TokenizerKind};
use std::sync::{Arc, OnceLock};

use crate::device::{Backend, DeviceChoice, DeviceError, SelectedDevice, select_device};
use crate::kernels::{CpuNetwork, softmax_rows};
use crate::model::Model;
use crate::preprocess::normalize;
use crate::text::{NgramHasher, TextError, Vocab, WordPiece};
use crate::uncertainty::Uncertainty;

/// Why a session could not load or predict.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SessionError {
    /// The bundle was rejected.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// No device could be set up.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The input length does not match `batch × item length`.
    #[error(
        "input has {got} values but a batch of {batch} needs {expected} \
         ({per_item} per item: {shape})"
    )]
    InputLength {
        /// `batch × per_item`.
        expected: usize,
        /// The values given.
        got: usize,
        /// The batch size given.
        batch: usize,
        /// Values per item.
        per_item: usize,
        /// The item shape in words, e.g. `1x28x28 image`.
        shape: String,
    },
    /// The batch size is zero.
    #[error("batch size must be at least 1")]
    EmptyBatch,
    /// The input holds NaN or infinity.
    #[error("input value at index {0} is not a finite number")]
    NonFinite(usize),
    /// Reading the result back from the device failed.
    #[error("reading the result from the device failed: {0}")]
    Read(String),
    /// Embeddings were asked of a bundle without a backbone.
    #[error("this model has no backbone, so it has no embeddings; predict on the input instead")]
    NoBackbone,
    /// Texts were given to a model whose input is not text.
    #[error("this model takes {0}, not text")]
    NotText(String),
    /// A text model's input holds a value that is not a token id of its vocabulary.
    #[error(
        "input value {value} at index {index} is not a token id (an integer below {vocab}); \
         make text input with encodeTexts"
    )]
    InvalidTokenId {
        /// Position in the input.
        index: usize,
        /// The value found.
        value: f32,
        /// The vocabulary size.
        vocab: usize,
    },
    /// The text model's vocabulary is missing or unusable.
    #[error(transparent)]
    Vocabulary(#[from] TextError),
    /// The backbone file of a text model carries no vocabulary.
    #[error(
        "the backbone file carries no WordPiece vocabulary; re-import it with `kindling backbone import`"
    )]
    NoVocabulary,
}

impl SessionError {
    /// A stable, machine-readable code (shown to JavaScript as `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            SessionError::Bundle(e) => e.code(),
            SessionError::Device(e) => e.code(),
            SessionError::InputLength { .. } => "INPUT_SHAPE",
            SessionError::EmptyBatch => "INPUT_EMPTY_BATCH",
            SessionError::NonFinite(_) => "INPUT_NOT_FINITE",
            SessionError::Read(_) => "DEVICE_READ_FAILED",
            SessionError::NoBackbone => "NO_BACKBONE",
            SessionError::NotText(_) => "NOT_TEXT",
            SessionError::InvalidTokenId { .. } => "INPUT_TOKEN_ID",
            SessionError::Vocabulary(e) => e.code(),
            SessionError::NoVocabulary => "NO_VOCABULARY",
        }
    }
}

/// One class and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScore {
    /// Output index.
    pub index: usize,
    /// Class label from the manifest.
    pub label: String,
    /// Probability in `[0, 1]`.
    pub probability: f32,
}

/// The prediction for one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemPrediction {
    /// The `k` most likely classes, most likely first.
    pub top_k: Vec<ClassScore>,
    /// Uncertainty scores of this item.
    pub uncertainty: Uncertainty,
}

/// The result of [`Session::predict`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// Probabilities, row-major `[batch, classes]`.
    pub probs: Vec<f32>,
    /// Number of classes (row length of `probs`).
    pub classes: usize,
    /// Per-item top-k and uncertainty.
    pub items: Vec<ItemPrediction>,
}

/// A loaded model ready to predict: the classifier and, for a format-2 bundle, the backbone
/// whose embeddings it reads.
#[derive(Debug)]
pub struct Session {
    model: Model,
    backbone: Option<Model>,
    /// The backbone packed for the CPU kernels ([`crate::kernels`]) on first use, shared with
    /// the sessions of later heads; `None` inside when it does not run on them.
    kernel_backbone: Packed,
    /// The model packed for the CPU kernels on first use, likewise.
    kernel_model: Packed,
    tokenizer: Option<TextEncoder>,
    manifest: Manifest,
    device: SelectedDevice,
}

impl Session {
    /// Sets up the device for `choice` and loads the bundle's model onto it.
    pub async fn load(bundle: &Bundle, choice: DeviceChoice) -> Result<Session, SessionError> {
        let device = select_device(choice).await?;
        Session::on_device(bundle, device)
    }

    /// Loads the bundle's model onto an already selected device.
    pub fn on_device(bundle: &Bundle, device: SelectedDevice) -> Result<Session, SessionError> {
        let backbone = bundle.load_backbone(&device.device)?;
        let model = bundle.load_model(&device.device)?;
        Ok(Session {
            model,
            backbone,
            kernel_backbone: Packed::default(),
            kernel_model: Packed::default(),
            tokenizer: tokenizer_of(bundle)?,
            manifest: bundle.manifest().clone(),
            device,
        })
    }

    /// A session with the head of `bundle` on this session's backbone (the same backbone,
    /// checked by the hashes of its files; the backbone's weights are shared, not copied): a
    /// new model version of a backbone project loads in milliseconds and downloads kilobytes.
    pub fn with_head(&self, bundle: &Bundle) -> Result<Session, SessionError> {
        let same_backbone = match (&self.manifest.backbone, &bundle.manifest().backbone) {
            (Some(a), Some(b)) => a.files.iter().any(|f| b.files.contains(f)),
            _ => false,
        };
        if !same_backbone {
            return Err(SessionError::Bundle(BundleError::Inconsistent(
                "the new head reads another backbone; load the whole bundle instead".into(),
            )));
        }
        Ok(Session {
            model: bundle.load_model(&self.device.device)?,
            backbone: self.backbone.clone(),
            kernel_backbone: Arc::clone(&self.kernel_backbone),
            kernel_model: Packed::default(),
            tokenizer: self.tokenizer.clone(),
            manifest: bundle.manifest().clone(),
            device: self.device.clone(),
        })
    }

    /// Whether the model reads a backbone's embeddings.
    pub fn has_backbone(&self) -> bool {
        self.backbone.is_some()
    }

    /// Size of one embedding (the head's input), if the model has a backbone.
    pub fn embedding_size(&self) -> Option<usize> {
        self.manifest.backbone.as_ref().map(|b| b.embedding_size())
    }

    /// Values at the start of each embedding that form its vector (what distances, neighbours
    /// and the local head read): all of them, except for a text backbone that carries the
    /// texts' word ids after the sentence embedding (`lexical`), whose ids are not a vector.
    pub fn vector_size(&self) -> Option<usize> {
        let ids = self.lexical_head().map_or(0, |l| l.lexical.features);
        Some(self.embedding_size()? - ids)
    }

    /// What a lexical head reads on this backbone (the sentence embedding, then the texts' word
    /// ids; not fitted yet), if it carries words.
    pub fn lexical_head(&self) -> Option<crate::model::LexicalHeadConfig> {
        let backbone = self.manifest.backbone.as_ref()?;
        let crate::model::ArchConfig::MiniLmL6(c) = &backbone.architecture else {
            return None;
        };
        Some(crate::model::LexicalHeadConfig::unfitted(
            crate::model::minilm::EMBEDDING_SIZE,
            c.lexical?,
        ))
    }

    /// The vector part ([`Session::vector_size`]) of each of the embeddings in `rows`.
    pub fn vectors(&self, rows: &[f32]) -> Result<Vec<f32>, SessionError> {
        let (Some(size), Some(vector)) = (self.embedding_size(), self.vector_size()) else {
            return Err(SessionError::NoBackbone);
        };
        if size == vector {
            return Ok(rows.to_vec());
        }
        Ok(rows
            .chunks(size)
            .flat_map(|row| row[..vector.min(row.len())].iter().copied())
            .collect())
    }

    /// The backend that runs this session.
    pub fn backend(&self) -> Backend {
        self.device.backend
    }

    /// Why `auto` fell back to the CPU, if it did.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.device.fallback_reason.as_deref()
    }

    /// The bundle's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Checks that `input` holds `batch` items of the right length, all finite (for a text
    /// model: all token ids of its vocabulary).
    pub fn check_input(&self, input: &[f32], batch: usize) -> Result<(), SessionError> {
        check_values(input, batch, self.manifest.input.len(), || {
            self.describe_item()
        })?;
        if let (Some(tokenizer), InputSpec::Text(spec)) = (&self.tokenizer, &self.manifest.input) {
            let vocab = tokenizer.ids();
            let buckets = spec.lexical.map_or(0, |l| l.buckets);
            let row = spec.row_len();
            // Token ids come first in a row, then the lexical ids (below `buckets`).
            let bound = |i: usize| {
                if i % row < spec.max_tokens {
                    vocab
                } else {
                    buckets
                }
            };
            if let Some(index) = input
                .iter()
                .enumerate()
                .position(|(i, v)| v.fract() != 0.0 || *v < 0.0 || *v >= bound(i) as f32)
            {
                return Err(SessionError::InvalidTokenId {
                    index,
                    value: input[index],
                    vocab: bound(index),
                });
            }
        }
        Ok(())
    }

    fn describe_item(&self) -> String {
        match &self.manifest.input {
            InputSpec::Image(i) => {
                format!("{}x{}x{} image, CHW", i.channels, i.height, i.width)
            }
            InputSpec::Tabular(t) => format!("{} features", t.features.len()),
            InputSpec::Text(t) => format!("{} token ids", t.max_tokens),
        }
    }

    /// Token ids of `texts` as model input `[texts.len(), max_tokens]` (row-major, `[PAD]` = 0
    /// after `[SEP]`; longer texts are cut): what [`Session::predict`] and
    /// [`Session::embed`] take for a text model.
    pub fn encode_texts<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<f32>, SessionError> {
        let (Some(tokenizer), InputSpec::Text(spec)) = (&self.tokenizer, &self.manifest.input)
        else {
            return Err(SessionError::NotText(self.describe_item()));
        };
        let mut out = vec![0.0f32; texts.len() * spec.row_len()];
        for (row, text) in out.chunks_mut(spec.row_len()).zip(texts) {
            tokenizer.encode_row(spec, text.as_ref(), row)?;
        }
        Ok(out)
    }

    /// The normalized input batch (row-major) and its shape. Text ids are cut to the longest
    /// text of the batch (padding past it changes nothing but the cost).
    fn input_values(
        &self,
        input: &[f32],
        batch: usize,
    ) -> Result<(Vec<f32>, [usize; 2]), SessionError> {
        self.check_input(input, batch)?;
        let per_item = self.manifest.input.len();
        if let (Some(_), InputSpec::Text(spec)) = (&self.tokenizer, &self.manifest.input) {
            // Lexical ids (after the tokens) are kept whole: the backbone finds them at the end.
            let tokens = spec.max_tokens;
            let longest = input
                .chunks(per_item)
                .map(|row| {
                    row[..tokens]
                        .iter()
                        .rposition(|v| *v != 0.0)
                        .map_or(1, |i| i + 1)
                })
                .max()
                .unwrap_or(1);
            let values: Vec<f32> = input
                .chunks(per_item)
                .flat_map(|row| row[..longest].iter().chain(&row[tokens..]).copied())
                .collect();
            let width = longest + per_item - tokens;
            return Ok((values, [batch, width]));
        }
        let mut values = input.to_vec();
        normalize(&self.manifest.input, &mut values);
        Ok((values, [batch, per_item]))
    }

    /// A row-major batch as a tensor on the session's device.
    fn tensor(&self, values: Vec<f32>, shape: [usize; 2]) -> Tensor<2> {
        Tensor::<2>::from_data(TensorData::new(values, shape), &self.device.device)
    }

    /// `network` on the CPU kernels, packed the first time a CPU session needs it: `None` on
    /// WebGPU and for architectures the kernels do not cover (burn's ops run those).
    async fn packed(&self, cell: &Packed, network: Option<&Model>) -> Option<Arc<CpuNetwork>> {
        if let Some(packed) = cell.get() {
            return packed.clone();
        }
        let packed = match (network, self.device.backend) {
            (Some(net), Backend::CpuSimd | Backend::Cpu) => CpuNetwork::from_model(net)
                .await
                .ok()
                .flatten()
                .map(Arc::new),
            _ => None,
        };
        cell.get_or_init(|| packed).clone()
    }

    /// The backbone's output for `batch` raw items, or the items themselves without one.
    async fn features(&self, input: &[f32], batch: usize) -> Result<Features, SessionError> {
        let (values, shape) = self.input_values(input, batch)?;
        let Some(backbone) = &self.backbone else {
            return Ok(Features::Values(values, shape));
        };
        Ok(
            match self.packed(&self.kernel_backbone, Some(backbone)).await {
                Some(cpu) => Features::Values(cpu.forward(&values, batch), [batch, cpu.outputs()]),
                None => Features::Tensor(Box::new(backbone.forward(self.tensor(values, shape)))),
            },
        )
    }

    /// The classifier's probabilities for its input.
    async fn classify(&self, x: Features) -> Result<Vec<f32>, SessionError> {
        if let Some(cpu) = self.packed(&self.kernel_model, Some(&self.model)).await {
            let (values, [batch, _]) = x.into_values().await?;
            let mut probs = cpu.forward(&values, batch);
            softmax_rows(&mut probs, cpu.outputs());
            return Ok(probs);
        }
        let x = match x {
            Features::Values(values, shape) => self.tensor(values, shape),
            Features::Tensor(t) => *t,
        };
        read(softmax(self.model.forward(x), 1)).await
    }

    /// Class probabilities `[batch, classes]` (row-major) for `batch` raw items.
    pub async fn probabilities(
        &self,
        input: &[f32],
        batch: usize,
    ) -> Result<Vec<f32>, SessionError> {
        let x = self.features(input, batch).await?;
        self.classify(x).await
    }

    /// Embeddings `[batch, embedding_size]` (row-major) of `batch` raw items: the backbone's
    /// output, what the head reads.
    pub async fn embed(&self, input: &[f32], batch: usize) -> Result<Vec<f32>, SessionError> {
        if self.backbone.is_none() {
            return Err(SessionError::NoBackbone);
        }
        Ok(self.features(input, batch).await?.into_values().await?.0)
    }

    /// Class probabilities `[batch, classes]` of `batch` embeddings (from [`Session::embed`]):
    /// the head alone, for items whose embeddings are stored.
    pub async fn probabilities_of_embeddings(
        &self,
        embeddings: &[f32],
        batch: usize,
    ) -> Result<Vec<f32>, SessionError> {
        let size = self.embedding_size().ok_or(SessionError::NoBackbone)?;
        check_values(embeddings, batch, size, || format!("{size}-d embedding"))?;
        self.classify(Features::Values(embeddings.to_vec(), [batch, size]))
            .await
    }

    /// Predicts `batch` raw items: probabilities, the `top_k` classes per item and uncertainty.
    pub async fn predict(
        &self,
        input: &[f32],
        batch: usize,
        top_k: usize,
    ) -> Result<Prediction, SessionError> {
        let probs = self.probabilities(input, batch).await?;
        Ok(self.prediction(probs, top_k))
    }

    /// Predicts from `batch` stored embeddings (the head alone), as [`Session::predict`].
    pub async fn predict_embeddings(
        &self,
        embeddings: &[f32],
        batch: usize,
        top_k: usize,
    ) -> Result<Prediction, SessionError> {
        let probs = self.probabilities_of_embeddings(embeddings, batch).await?;
        Ok(self.prediction(probs, top_k))
    }

    /// Top-k with labels and uncertainty for probabilities `[batch, classes]` in this model's
    /// classes (also for probabilities computed elsewhere, such as by a local head).
    pub fn prediction(&self, probs: Vec<f32>, top_k: usize) -> Prediction {
        let classes = self.manifest.labels.len();
        let items = probs
            .chunks(classes)
            .map(|p| ItemPrediction {
                top_k: top_classes(p, &self.manifest.labels, top_k),
                uncertainty: Uncertainty::from_probs(p),
            })
            .collect();
        Prediction {
            probs,
            classes,
            items,
        }
    }
}

/// How a text model turns texts into ids.
#[derive(Debug, Clone)]
pub enum TextEncoder {
    /// WordPiece, with the backbone's vocabulary.
    WordPiece(WordPiece),
    /// Hashed n-grams.
    Hashed(NgramHasher),
}

impl TextEncoder {
    /// The ids of `text`, at most `max` (WordPiece: `[CLS] … [SEP]`).
    pub fn encode(&self, text: &str, max: usize) -> Result<Vec<u32>, TextError> {
        match self {
            TextEncoder::WordPiece(w) => Ok(w.encode(text, max)?.ids),
            TextEncoder::Hashed(h) => Ok(h.encode(text, max)),
        }
    }

    /// Writes the ids of `text` into `row` as model input values (at most `row.len()` ids;
    /// the rest of `row` is left as it is: zero is padding).
    pub fn encode_into(&self, text: &str, row: &mut [f32]) -> Result<(), TextError> {
        let ids = self.encode(text, row.len())?;
        for (slot, id) in row.iter_mut().zip(ids) {
            *slot = id as f32;
        }
        Ok(())
    }

    /// Writes one model input row of `text` for `spec` (`row.len()` = `spec.row_len()`, zeros
    /// beforehand): its token ids, then its lexical ids if the spec has them.
    pub fn encode_row(
        &self,
        spec: &TextInput,
        text: &str,
        row: &mut [f32],
    ) -> Result<(), TextError> {
        let (tokens, lexical) = row.split_at_mut(spec.max_tokens);
        self.encode_into(text, tokens)?;
        if let Some(l) = &spec.lexical {
            let hasher = NgramHasher {
                buckets: l.buckets as u32,
                lowercase: spec.lowercase,
            };
            for (slot, id) in lexical
                .iter_mut()
                .zip(hasher.encode_words(text, l.features))
            {
                *slot = id as f32;
            }
        }
        Ok(())
    }

    /// How many ids there are (valid ids are below this).
    pub fn ids(&self) -> usize {
        match self {
            TextEncoder::WordPiece(w) => w.vocab().len(),
            TextEncoder::Hashed(h) => h.buckets as usize,
        }
    }
}

/// The text encoder of a text bundle (a WordPiece vocabulary is read from the backbone file).
pub fn tokenizer_of(bundle: &Bundle) -> Result<Option<TextEncoder>, SessionError> {
    let InputSpec::Text(spec) = &bundle.manifest().input else {
        return Ok(None);
    };
    match spec.tokenizer {
        TokenizerKind::HashedNgrams => Ok(Some(TextEncoder::Hashed(NgramHasher {
            buckets: spec.buckets.unwrap_or(2) as u32,
            lowercase: spec.lowercase,
        }))),
        TokenizerKind::WordPiece => {
            let text = bundle.vocabulary()?.ok_or(SessionError::NoVocabulary)?;
            let vocab = Vocab::from_text(&text)?;
            if let Some(crate::model::ArchConfig::MiniLmL6(_)) =
                bundle.manifest().backbone.as_ref().map(|b| &b.architecture)
                && vocab.len() != crate::model::minilm::VOCAB_SIZE
            {
                return Err(TextError::InvalidVocab(format!(
                    "{} tokens, but minilm_l6 embeds {}",
                    vocab.len(),
                    crate::model::minilm::VOCAB_SIZE
                ))
                .into());
            }
            Ok(Some(TextEncoder::WordPiece(WordPiece::new(
                vocab,
                spec.lowercase,
            ))))
        }
    }
}

/// Checks that `values` holds `batch` items of `per_item` values, all finite.
fn check_values(
    values: &[f32],
    batch: usize,
    per_item: usize,
    shape: impl FnOnce() -> String,
) -> Result<(), SessionError> {
    if batch == 0 {
        return Err(SessionError::EmptyBatch);
    }
    if values.len() != batch * per_item {
        return Err(SessionError::InputLength {
            expected: batch * per_item,
            got: values.len(),
            batch,
            per_item,
            shape: shape(),
        });
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(SessionError::NonFinite(i));
    }
    Ok(())
}

/// A network packed for the CPU kernels, once, shared between sessions.
type Packed = Arc<OnceLock<Option<Arc<CpuNetwork>>>>;

/// A batch on its way through a session: row-major values (the kernels' side), or a tensor
/// on the device (burn's side).
enum Features {
    /// Values and their `[batch, width]`.
    Values(Vec<f32>, [usize; 2]),
    /// A `[batch, width]` tensor.
    Tensor(Box<Tensor<2>>),
}

impl Features {
    /// The values and their shape, read back from the device if need be.
    async fn into_values(self) -> Result<(Vec<f32>, [usize; 2]), SessionError> {
        match self {
            Features::Values(values, shape) => Ok((values, shape)),
            Features::Tensor(t) => {
                let shape = t.dims();
                Ok((read(*t).await?, shape))
            }
        }
    }
}

/// Reads a 2-d result back from the device, asynchronously.
async fn read(t: Tensor<2>) -> Result<Vec<f32>, SessionError> {
    crate::device::read_f32(t).await.map_err(SessionError::Read)
}

/// The `k` most likely classes of one item, most likely first (ties keep label order).
pub fn top_classes(probs: &[f32], labels: &[String], k: usize) -> Vec<ClassScore> {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(k)
        .map(|i| ClassScore {
            index: i,
            label: labels.get(i).cloned().unwrap_or_else(|| i.to_string()),
            probability: probs[i],
        })
        .collect()
}
