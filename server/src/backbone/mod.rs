//! Pretrained backbones: importing published weights into Kindling's architectures (BatchNorm
//! folded) and writing them as content-addressed backbone files of a format-2 bundle, in f32 and
//! f16.

pub mod embed;
pub mod fold;
pub mod head;
pub mod import;
pub mod import_minilm;

use burn::store::burn_pack::{Reader, Tensor as PackTensor, Writer};
use burn::tensor::{Bytes, DType, TensorData};
use kindling::bundle::{
    BundleError, ImageInput, InputSpec, ResizeMode, TextInput, TokenizerKind, VOCAB_METADATA_KEY,
    WeightsDtype,
};
use kindling::model::{
    ArchConfig, EfficientNetLiteConfig, LexicalConfig, MiniLmConfig, MlpConfig, Model,
};
use kindling::{Bundle, bundle::BundleInfo, bundle::model_to_burnpack};

use import::ImportedEfficientNet;
use import_minilm::ImportedMiniLm;

/// The name all-MiniLM-L6-v2 goes by in manifests.
pub const MINILM_L6: &str = "all-minilm-l6-v2";

/// The input spec of all-MiniLM-L6-v2: uncased WordPiece, `max_tokens` ids per text, then
/// the `lexical` word and bigram ids if given.
pub fn minilm_input(max_tokens: usize, lexical: Option<LexicalConfig>) -> InputSpec {
    InputSpec::Text(TextInput {
        tokenizer: TokenizerKind::WordPiece,
        max_tokens,
        lowercase: true,
        buckets: None,
        lexical,
    })
}

/// The imported text encoder as a format-2 bundle: the backbone (f32 attached, f16 returned to
/// be written beside it; both carry the vocabulary) under an untrained one-class placeholder
/// head. Heads are trained over it by `kindling train --backbone` or a project's jobs. With
/// `lexical`, each text also carries its hashed words and bigrams (the embedding is the
/// sentence embedding, then those ids: see `kindling::model::lexical`); the weights file is the
/// same either way.
pub fn minilm_bundle(
    imported: ImportedMiniLm,
    max_tokens: usize,
    lexical: Option<LexicalConfig>,
    created_at: String,
) -> Result<(Bundle, BackboneFiles), BundleError> {
    let files = backbone_files(Model::MiniLmL6(imported.encoder), Some(&imported.vocab))?;
    let config = MiniLmConfig {
        max_tokens,
        lexical,
    };
    let size = config.embedding_len();
    let head_arch = ArchConfig::Mlp(MlpConfig {
        input_size: size,
        hidden_sizes: vec![],
        classes: 1,
        dropout: 0.0,
        lexical: None,
    });
    let device = burn::tensor::Device::flex();
    let mut linear = burn::nn::LinearConfig::new(size, 1).init(&device);
    linear.weight =
        burn::module::Param::from_tensor(burn::tensor::Tensor::zeros([size, 1], &device));
    linear.bias = Some(burn::module::Param::from_tensor(
        burn::tensor::Tensor::zeros([1], &device),
    ));
    let mut metrics = kindling::bundle::Metrics::default();
    metrics
        .extra
        .insert("untrained".into(), serde_json::Value::Bool(true));
    let info = BundleInfo {
        name: MINILM_L6.into(),
        version: "untrained".into(),
        input: minilm_input(max_tokens, lexical),
        labels: vec!["untrained".into()],
        metrics: Some(metrics),
        created_at,
    };
    let bundle = Bundle::with_backbone(
        info,
        head_arch,
        Model::Mlp(kindling::model::Mlp::from_layers(vec![linear])),
        MINILM_L6.into(),
        ArchConfig::MiniLmL6(config),
        files.clone(),
    )?;
    Ok((bundle, files))
}

/// The name EfficientNet-Lite0 with ImageNet weights goes by in manifests.
pub const EFFICIENTNET_LITE0_IMAGENET: &str = "efficientnet_lite0-imagenet";

/// The input spec of the EfficientNet-Lite ImageNet weights: RGB at `size`, shorter side scaled
/// and center cut, `(x·255 − 127) / 128`.
pub fn efficientnet_input(size: usize) -> InputSpec {
    InputSpec::Image(ImageInput {
        width: size,
        height: size,
        channels: 3,
        mean: vec![127.0 / 255.0],
        std: vec![128.0 / 255.0],
        light_on_dark: false,
        resize: ResizeMode::CenterCrop,
    })
}

/// Rewrites a burnpack file deterministically — without the random parameter ids burn records,
/// so the same weights always give the same bytes and the same content address — with every
/// f32 tensor stored as `dtype` (f16: half the bytes; loading widens them back to f32). Kindling's
/// own metadata (`kindling.*`, such as a text backbone's vocabulary) is kept.
pub fn canonical_burnpack(f32_bytes: &[u8], dtype: WeightsDtype) -> Result<Vec<u8>, BundleError> {
    canonical_burnpack_with(f32_bytes, dtype, None)
}

/// [`canonical_burnpack`], also storing `vocab` as the WordPiece vocabulary when given.
fn canonical_burnpack_with(
    f32_bytes: &[u8],
    dtype: WeightsDtype,
    vocab: Option<&str>,
) -> Result<Vec<u8>, BundleError> {
    let corrupt = |e: String| BundleError::CorruptWeights {
        file: "backbone".into(),
        reason: e,
    };
    let reader = Reader::from_bytes(Bytes::from_bytes_vec(f32_bytes.to_vec()))
        .map_err(|e| corrupt(e.to_string()))?;
    let mut metadata: Vec<(String, String)> = reader
        .metadata()
        .iter()
        .filter(|(k, _)| k.starts_with("kindling."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(vocab) = vocab {
        metadata.retain(|(k, _)| k != VOCAB_METADATA_KEY);
        metadata.push((VOCAB_METADATA_KEY.to_string(), vocab.to_string()));
    }
    let tensors = reader.into_tensors().map_err(|e| corrupt(e.to_string()))?;
    let mut out = Vec::with_capacity(tensors.len());
    for t in tensors {
        let (name, stored, shape, _id, bytes) =
            t.into_parts().map_err(|e| corrupt(e.to_string()))?;
        let (bytes, stored) = if stored == DType::F32 && dtype == WeightsDtype::F16 {
            let data =
                TensorData::from_bytes(bytes, shape.clone(), DType::F32).convert_dtype(DType::F16);
            (data.into_bytes(), DType::F16)
        } else {
            (bytes, stored)
        };
        out.push(PackTensor::new(name, stored, shape, None, bytes));
    }
    let writer = metadata
        .iter()
        .fold(Writer::new(out), |w, (k, v)| w.with_metadata(k, v));
    Ok(writer
        .into_bytes()
        .map_err(|e| corrupt(e.to_string()))?
        .to_vec())
}

/// A backbone's files: the bytes of each element type.
pub type BackboneFiles = Vec<(WeightsDtype, Vec<u8>)>;

/// The backbone's files: f32 burnpack and its f16 copy, both canonical, carrying `vocab` (a
/// text backbone's WordPiece vocabulary) when given.
pub fn backbone_files(backbone: Model, vocab: Option<&str>) -> Result<BackboneFiles, BundleError> {
    let raw = model_to_burnpack(backbone)?;
    Ok(vec![
        (
            WeightsDtype::F32,
            canonical_burnpack_with(&raw, WeightsDtype::F32, vocab)?,
        ),
        (
            WeightsDtype::F16,
            canonical_burnpack_with(&raw, WeightsDtype::F16, vocab)?,
        ),
    ])
}

/// The imported network as a format-2 bundle: the backbone (f32 attached, f16 returned to be
/// written beside it) and the ImageNet classifier as its head.
pub fn imagenet_bundle(
    imported: ImportedEfficientNet,
    image_size: usize,
    labels: Vec<String>,
    created_at: String,
) -> Result<(Bundle, BackboneFiles), BundleError> {
    let files = backbone_files(Model::EfficientNetLite0(imported.backbone), None)?;
    let head_arch = ArchConfig::Mlp(MlpConfig {
        input_size: kindling::model::efficientnet::EMBEDDING_SIZE,
        hidden_sizes: vec![],
        classes: imported.classes,
        lexical: None,
        dropout: 0.0,
    });
    let info = BundleInfo {
        name: EFFICIENTNET_LITE0_IMAGENET.into(),
        version: "imagenet".into(),
        input: efficientnet_input(image_size),
        labels,
        metrics: None,
        created_at,
    };
    let bundle = Bundle::with_backbone(
        info,
        head_arch,
        Model::Mlp(imported.classifier),
        EFFICIENTNET_LITE0_IMAGENET.into(),
        ArchConfig::EfficientNetLite0(EfficientNetLiteConfig { image_size }),
        files.clone(),
    )?;
    Ok((bundle, files))
}

/// A format-2 bundle of `base`'s backbone with a zero (untrained) linear head over `labels`:
/// every class equally likely, so the queue starts in random order and the browser can embed
/// items before the first head is trained. Marked `untrained` in its metrics, which makes the
/// first trained head publish over it.
pub fn untrained_head_bundle(
    base: &Bundle,
    labels: Vec<String>,
    version: String,
    created_at: String,
) -> Result<Bundle, BundleError> {
    let embedding = base
        .manifest()
        .backbone
        .as_ref()
        .map(|b| b.embedding_size())
        .ok_or_else(|| BundleError::Inconsistent("the bundle has no backbone".into()))?;
    let device = burn::tensor::Device::flex();
    let classes = labels.len();
    let mut linear = burn::nn::LinearConfig::new(embedding, classes).init(&device);
    linear.weight = burn::module::Param::from_tensor(burn::tensor::Tensor::zeros(
        [embedding, classes],
        &device,
    ));
    linear.bias = Some(burn::module::Param::from_tensor(
        burn::tensor::Tensor::zeros([classes], &device),
    ));
    let arch = ArchConfig::Mlp(MlpConfig {
        input_size: embedding,
        hidden_sizes: vec![],
        classes,
        dropout: 0.0,
        lexical: None,
    });
    let mut metrics = kindling::bundle::Metrics::default();
    metrics
        .extra
        .insert("untrained".into(), serde_json::Value::Bool(true));
    let name = format!(
        "{}-untrained",
        base.manifest()
            .backbone
            .as_ref()
            .map_or("backbone", |b| b.name.as_str())
    );
    let info = BundleInfo {
        name,
        version,
        input: base.manifest().input.clone(),
        labels,
        metrics: Some(metrics),
        created_at,
    };
    Bundle::head_on(
        base,
        info,
        arch,
        Model::Mlp(kindling::model::Mlp::from_layers(vec![linear])),
    )
}
