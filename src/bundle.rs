//! Model bundles: a `manifest.json` plus a burnpack weights file — and, in format 2, a shared,
//! content-addressed backbone file whose embeddings the (small) classifier head reads — all
//! verified (size, sha256, shapes) before a model is built from them. Bundles come as a
//! directory any static host can serve, or as one archive file (see `docs/bundle-format.md`).

mod archive;
pub use archive::ArchiveParts;
mod error;
mod manifest;

pub use error::BundleError;
pub use manifest::{
    BackboneRef, ClassMetrics, FORMAT_VERSION, ImageInput, InputSpec, Manifest, Metrics,
    READABLE_FORMAT_VERSIONS, ResizeMode, TabularInput, TextInput, TokenizerKind, WeightsDtype,
    WeightsFile, backbone_file_name,
};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType, Device};
use sha2::{Digest, Sha256};

use crate::model::{ArchConfig, Model};

/// The manifest's file name inside a bundle directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The weights file name this runtime writes.
pub const WEIGHTS_FILE: &str = "weights.bpk";
/// The burnpack metadata key under which a text backbone's file carries its WordPiece
/// vocabulary (the `vocab.txt` text), so the vocabulary is content-addressed, cached and
/// verified with the weights.
pub const VOCAB_METADATA_KEY: &str = "kindling.vocab";

/// A verified bundle: its manifest, the weights bytes that match it and, for a bundle with a
/// backbone, the verified bytes of one of the backbone's files (absent in a head-only bundle
/// until [`Bundle::attach_backbone`]).
#[derive(Debug, Clone)]
pub struct Bundle {
    manifest: Manifest,
    weights: Vec<u8>,
    backbone: Option<BackboneWeights>,
}

/// The verified bytes of one backbone weights file.
#[derive(Debug, Clone)]
pub struct BackboneWeights {
    /// The manifest entry the bytes match.
    pub file: WeightsFile,
    /// The burnpack bytes.
    pub bytes: Vec<u8>,
}

/// What a new bundle says about its model, apart from the weights.
#[derive(Debug, Clone)]
pub struct BundleInfo {
    /// Model name.
    pub name: String,
    /// Model version.
    pub version: String,
    /// Input spec.
    pub input: InputSpec,
    /// Class labels.
    pub labels: Vec<String>,
    /// Training metrics, if any.
    pub metrics: Option<Metrics>,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Bundle {
    /// Builds a bundle from a model and its architecture; the weights are serialized as burnpack
    /// and the manifest gets their size and hash.
    pub fn from_model(
        info: BundleInfo,
        architecture: ArchConfig,
        model: Model,
    ) -> Result<Bundle, BundleError> {
        Bundle::assemble(info, architecture, model, None)
    }

    /// Serializes `model` and writes the manifest around it (with `backbone` when given),
    /// checked.
    fn assemble(
        info: BundleInfo,
        architecture: ArchConfig,
        model: Model,
        backbone: Option<BackboneRef>,
    ) -> Result<Bundle, BundleError> {
        let weights = model_to_burnpack(model)?;
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            name: info.name,
            version: info.version,
            backbone,
            architecture,
            input: info.input,
            labels: info.labels,
            metrics: info.metrics,
            weights: WeightsFile {
                path: WEIGHTS_FILE.into(),
                format: "burnpack".into(),
                sha256: sha256_hex(&weights),
                size: weights.len() as u64,
                dtype: WeightsDtype::F32,
            },
            created_at: info.created_at,
        };
        manifest.check()?;
        Ok(Bundle {
            manifest,
            weights,
            backbone: None,
        })
    }

    /// Builds a format-2 bundle: a classifier head over a backbone whose files (one per
    /// element type) are given with their bytes; the manifest records each file's hash.
    pub fn with_backbone(
        info: BundleInfo,
        head_architecture: ArchConfig,
        head: Model,
        backbone_name: String,
        backbone_architecture: ArchConfig,
        backbone_files: Vec<(WeightsDtype, Vec<u8>)>,
    ) -> Result<Bundle, BundleError> {
        let files: Vec<WeightsFile> = backbone_files
            .iter()
            .map(|(dtype, bytes)| {
                let sha256 = sha256_hex(bytes);
                WeightsFile {
                    path: backbone_file_name(&sha256),
                    format: "burnpack".into(),
                    sha256,
                    size: bytes.len() as u64,
                    dtype: *dtype,
                }
            })
            .collect();
        let backbone = BackboneRef {
            name: backbone_name,
            architecture: backbone_architecture,
            files,
        };
        let mut bundle = Bundle::assemble(info, head_architecture, head, Some(backbone))?;
        if let Some((dtype, bytes)) = backbone_files.into_iter().next() {
            bundle.attach_backbone(dtype, bytes)?;
        }
        Ok(bundle)
    }

    /// A format-2 bundle of a new head on the backbone of `base` (its manifest entry, input
    /// spec and attached file are shared; `info.input` is replaced): how a project's model
    /// versions are made.
    pub fn head_on(
        base: &Bundle,
        info: BundleInfo,
        head_architecture: ArchConfig,
        head: Model,
    ) -> Result<Bundle, BundleError> {
        let Some(backbone) = base.manifest.backbone.clone() else {
            return Err(BundleError::Inconsistent(
                "the base bundle has no backbone to put a head on".into(),
            ));
        };
        let info = BundleInfo {
            input: base.manifest.input.clone(),
            ..info
        };
        let mut bundle = Bundle::assemble(info, head_architecture, head, Some(backbone))?;
        bundle.backbone = base.backbone.clone();
        Ok(bundle)
    }

    /// Verifies a manifest and its weights bytes (size, then sha256) and returns the bundle.
    /// The weights are parsed only when a model is built ([`Bundle::load_model`]). A bundle
    /// with a backbone needs [`Bundle::attach_backbone`] before a session can run it.
    pub fn from_parts(manifest_json: &[u8], weights: Vec<u8>) -> Result<Bundle, BundleError> {
        Bundle::from_parts_hashed(manifest_json, weights, None)
    }

    /// [`Bundle::from_parts`] with the sha256 of `weights` computed by the caller (`None`:
    /// hashed here). The browser hashes with its native `crypto.subtle`: this crate's portable
    /// sha256 was a quarter of a cold start there.
    pub fn from_parts_hashed(
        manifest_json: &[u8],
        weights: Vec<u8>,
        sha256: Option<&str>,
    ) -> Result<Bundle, BundleError> {
        let manifest = Manifest::from_json(manifest_json)?;
        verify_file(&manifest.weights, &weights, sha256)?;
        Ok(Bundle {
            manifest,
            weights,
            backbone: None,
        })
    }

    /// Verifies `bytes` against the backbone file of element type `dtype` (size, then sha256:
    /// a mismatch is [`BundleError::BackboneHashMismatch`]) and keeps them.
    pub fn attach_backbone(
        &mut self,
        dtype: WeightsDtype,
        bytes: Vec<u8>,
    ) -> Result<(), BundleError> {
        self.attach_backbone_hashed(dtype, bytes, None)
    }

    /// [`Bundle::attach_backbone`] with the sha256 of `bytes` computed by the caller (`None`:
    /// hashed here), as in [`Bundle::from_parts_hashed`].
    pub fn attach_backbone_hashed(
        &mut self,
        dtype: WeightsDtype,
        bytes: Vec<u8>,
        sha256: Option<&str>,
    ) -> Result<(), BundleError> {
        let file = self.backbone_file(dtype)?.clone();
        verify_file(&file, &bytes, sha256).map_err(|e| match e {
            BundleError::HashMismatch {
                file,
                expected,
                actual,
            } => BundleError::BackboneHashMismatch {
                file,
                expected,
                actual,
            },
            other => other,
        })?;
        self.backbone = Some(BackboneWeights { file, bytes });
        Ok(())
    }

    /// The manifest entry of the backbone file stored as `dtype`.
    pub fn backbone_file(&self, dtype: WeightsDtype) -> Result<&WeightsFile, BundleError> {
        let Some(backbone) = &self.manifest.backbone else {
            return Err(BundleError::Inconsistent(
                "this bundle has no backbone".into(),
            ));
        };
        backbone
            .file(dtype)
            .ok_or_else(|| BundleError::BackboneDtypeUnavailable {
                requested: dtype.name().into(),
                available: backbone
                    .files
                    .iter()
                    .map(|f| f.dtype.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The attached backbone file, if any.
    pub fn backbone(&self) -> Option<&BackboneWeights> {
        self.backbone.as_ref()
    }

    /// Builds the backbone on `device` from the attached file (widened to f32), or `None` for
    /// a bundle without a backbone.
    pub fn load_backbone(&self, device: &Device) -> Result<Option<Model>, BundleError> {
        let Some(backbone) = &self.manifest.backbone else {
            return Ok(None);
        };
        let Some(weights) = &self.backbone else {
            let file = backbone
                .files
                .first()
                .map(|f| f.path.clone())
                .unwrap_or_default();
            return Err(BundleError::BackboneMissing {
                name: backbone.name.clone(),
                file,
            });
        };
        load_weights(
            &backbone.architecture,
            &weights.file,
            &weights.bytes,
            device,
        )
        .map(Some)
    }

    /// The WordPiece vocabulary (`vocab.txt` text) carried by the attached backbone file, if
    /// it carries one.
    pub fn vocabulary(&self) -> Result<Option<String>, BundleError> {
        let Some(weights) = &self.backbone else {
            return Ok(None);
        };
        let reader = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(weights.bytes.clone()))
            .map_err(|e| BundleError::CorruptWeights {
                file: weights.file.path.clone(),
                reason: e.to_string(),
            })?;
        Ok(reader.metadata().get(VOCAB_METADATA_KEY).cloned())
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The weights bytes (burnpack).
    pub fn weights(&self) -> &[u8] {
        &self.weights
    }

    /// Builds the model on `device` and loads the weights into it, checking that every tensor
    /// the architecture needs is present with the right shape and that nothing is left over.
    pub fn load_model(&self, device: &Device) -> Result<Model, BundleError> {
        load_weights(
            &self.manifest.architecture,
            &self.manifest.weights,
            &self.weights,
            device,
        )
    }

    /// Writes `manifest.json` and the weights file into `dir` (created if missing).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn write_dir(&self, dir: &std::path::Path) -> Result<(), BundleError> {
        let io = |path: &std::path::Path, e: std::io::Error| BundleError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let weights = dir.join(&self.manifest.weights.path);
        std::fs::write(&weights, &self.weights).map_err(|e| io(&weights, e))?;
        if let Some(b) = &self.backbone {
            let path = dir.join(&b.file.path);
            std::fs::write(&path, &b.bytes).map_err(|e| io(&path, e))?;
        }
        let manifest = dir.join(MANIFEST_FILE);
        std::fs::write(&manifest, self.manifest.to_json()).map_err(|e| io(&manifest, e))?;
        Ok(())
    }

    /// Writes one more backbone file (another element type of the same backbone) into `dir`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn write_backbone_file(
        &self,
        dir: &std::path::Path,
        dtype: WeightsDtype,
        bytes: &[u8],
    ) -> Result<(), BundleError> {
        let file = self.backbone_file(dtype)?;
        verify_file(file, bytes, None)?;
        let path = dir.join(&file.path);
        std::fs::write(&path, bytes).map_err(|e| BundleError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Reads and verifies a bundle directory; a backbone is read from the same directory, in
    /// the first element type present there (f32 before f16).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_dir(dir: &std::path::Path) -> Result<Bundle, BundleError> {
        Bundle::read_dir_with(dir, None)
    }

    /// Reads and verifies a bundle directory, taking the backbone file of `dtype` when given.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_dir_with(
        dir: &std::path::Path,
        dtype: Option<WeightsDtype>,
    ) -> Result<Bundle, BundleError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => BundleError::MissingFile(name.to_string()),
                _ => BundleError::Io {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                },
            })
        };
        let manifest_json = read(MANIFEST_FILE)?;
        let manifest = Manifest::from_json(&manifest_json)?;
        let weights = read(&manifest.weights.path)?;
        let mut bundle = Bundle::from_parts(&manifest_json, weights)?;
        if let Some(backbone) = &manifest.backbone {
            let candidates: Vec<&WeightsFile> = match dtype {
                Some(d) => vec![bundle.backbone_file(d)?],
                None => [WeightsDtype::F32, WeightsDtype::F16]
                    .iter()
                    .filter_map(|d| backbone.file(*d))
                    .collect(),
            };
            let found = candidates
                .iter()
                .find(|f| dir.join(&f.path).is_file())
                .copied()
                .cloned();
            let Some(file) = found else {
                return Err(BundleError::BackboneMissing {
                    name: backbone.name.clone(),
                    file: candidates
                        .first()
                        .map(|f| f.path.clone())
                        .unwrap_or_default(),
                });
            };
            bundle.attach_backbone(file.dtype, read(&file.path)?)?;
        }
        Ok(bundle)
    }
}

/// Serializes a model's parameters as burnpack bytes.
pub fn model_to_burnpack(model: Model) -> Result<Vec<u8>, BundleError> {
    Ok(model
        .into_record()
        .into_bytes()
        .map_err(|e| BundleError::CorruptWeights {
            file: WEIGHTS_FILE.into(),
            reason: e.to_string(),
        })?
        .to_vec())
}

/// Builds `arch` on `device` and loads burnpack `bytes` into it (tensors stored as f16 are
/// widened to f32), checking every tensor's presence, shape and dtype.
///
/// The dtypes are checked from the file's metadata before anything loads: a tensor that is not
/// a float (an integer or boolean dtype written by a buggy exporter) would make burn panic, and
/// an f32 file must hold f32 tensors only. An f32 file is loaded as recorded: casting to the
/// module's dtype would read each (lazily initialized) parameter's dtype and so run its random
/// initializer first — 60% of a small model's load time in the browser, more for a backbone.
/// Other dtypes (f16 backbones) are widened to the module's f32.
fn load_weights(
    arch: &ArchConfig,
    file: &WeightsFile,
    bytes: &[u8],
    device: &Device,
) -> Result<Model, BundleError> {
    let corrupt = |reason: String| BundleError::CorruptWeights {
        file: file.path.clone(),
        reason,
    };
    // Shared once, so the dtype check and the record view the same bytes without a copy.
    let bytes = Bytes::from_bytes_vec(bytes.to_vec()).shared();
    let tensors = burn_pack::Reader::from_bytes(bytes.clone())
        .and_then(burn_pack::Reader::into_tensors)
        .map_err(|e| corrupt(e.to_string()))?;
    for tensor in &tensors {
        let dtype = tensor.dtype;
        let expected = match file.dtype {
            WeightsDtype::F32 => dtype == DType::F32,
            WeightsDtype::F16 => dtype.is_float(),
        };
        if !expected {
            return Err(corrupt(format!(
                "the manifest says {}, but tensor `{}` is stored as {dtype:?}",
                file.dtype.name(),
                tensor.name
            )));
        }
    }
    drop(tensors);
    let record = ModuleRecord::from_bytes(bytes).map_err(|e| corrupt(e.to_string()))?;
    let record = match file.dtype {
        WeightsDtype::F32 => record,
        WeightsDtype::F16 => record.cast_to_module_dtype(),
    };
    arch.init(device)?
        .try_load_record(record)
        .map_err(|e| BundleError::WeightsMismatch {
            arch: arch.arch_name().into(),
            reason: e.to_string(),
        })
}

/// Checks a file's bytes against the size and hash the manifest declares; `sha256` is the
/// bytes' digest when the caller computed it (else it is computed here).
fn verify_file(
    declared: &WeightsFile,
    bytes: &[u8],
    sha256: Option<&str>,
) -> Result<(), BundleError> {
    let actual = bytes.len() as u64;
    if actual < declared.size {
        return Err(BundleError::Truncated {
            file: declared.path.clone(),
            expected: declared.size,
            actual,
        });
    }
    if actual > declared.size {
        return Err(BundleError::SizeMismatch {
            file: declared.path.clone(),
            expected: declared.size,
            actual,
        });
    }
    let hash = sha256.map_or_else(|| sha256_hex(bytes), str::to_owned);
    if !hash.eq_ignore_ascii_case(&declared.sha256) {
        return Err(BundleError::HashMismatch {
            file: declared.path.clone(),
            expected: declared.sha256.clone(),
            actual: hash,
        });
    }
    Ok(())
}
