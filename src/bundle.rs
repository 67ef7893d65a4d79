//! Model bundles: a `manifest.json` plus a burnpack weights file, verified (size, sha256,
//! shapes) before a model is built from them. Bundles come as a directory any static host can
//! serve, or as one archive file (see `docs/bundle-format.md`).

mod archive;
mod error;
mod manifest;

pub use error::BundleError;
pub use manifest::{
    ClassMetrics, FORMAT_VERSION, ImageInput, InputSpec, Manifest, Metrics, TabularInput,
    WeightsFile,
};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use sha2::{Digest, Sha256};

use crate::model::{ArchConfig, Model};

/// The manifest's file name inside a bundle directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The weights file name this runtime writes.
pub const WEIGHTS_FILE: &str = "weights.bpk";

/// A verified bundle: its manifest and the weights bytes that match it.
#[derive(Debug, Clone)]
pub struct Bundle {
    manifest: Manifest,
    weights: Vec<u8>,
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
        let weights = model
            .into_record()
            .into_bytes()
            .map_err(|e| BundleError::CorruptWeights {
                file: WEIGHTS_FILE.into(),
                reason: e.to_string(),
            })?
            .to_vec();
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            name: info.name,
            version: info.version,
            architecture,
            input: info.input,
            labels: info.labels,
            metrics: info.metrics,
            weights: WeightsFile {
                path: WEIGHTS_FILE.into(),
                format: "burnpack".into(),
                sha256: sha256_hex(&weights),
                size: weights.len() as u64,
            },
            created_at: info.created_at,
        };
        manifest.check()?;
        Ok(Bundle { manifest, weights })
    }

    /// Verifies a manifest and its weights bytes (size, then sha256) and returns the bundle.
    /// The weights are parsed only when a model is built ([`Bundle::load_model`]).
    pub fn from_parts(manifest_json: &[u8], weights: Vec<u8>) -> Result<Bundle, BundleError> {
        let manifest = Manifest::from_json(manifest_json)?;
        verify_file(&manifest.weights, &weights)?;
        Ok(Bundle { manifest, weights })
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
        let file = &self.manifest.weights.path;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(self.weights.clone()))
            .map_err(|e| BundleError::CorruptWeights {
                file: file.clone(),
                reason: e.to_string(),
            })?;
        let arch = &self.manifest.architecture;
        arch.init(device)?
            .try_load_record(record)
            .map_err(|e| BundleError::WeightsMismatch {
                arch: arch.arch_name().into(),
                reason: e.to_string(),
            })
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
        let manifest = dir.join(MANIFEST_FILE);
        std::fs::write(&manifest, self.manifest.to_json()).map_err(|e| io(&manifest, e))?;
        Ok(())
    }

    /// Reads and verifies a bundle directory.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_dir(dir: &std::path::Path) -> Result<Bundle, BundleError> {
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
        Bundle::from_parts(&manifest_json, weights)
    }
}

/// Checks a file's bytes against the size and hash the manifest declares.
fn verify_file(declared: &WeightsFile, bytes: &[u8]) -> Result<(), BundleError> {
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
    let hash = sha256_hex(bytes);
    if !hash.eq_ignore_ascii_case(&declared.sha256) {
        return Err(BundleError::HashMismatch {
            file: declared.path.clone(),
            expected: declared.sha256.clone(),
            actual: hash,
        });
    }
    Ok(())
}
