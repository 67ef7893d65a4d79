//! Why a model bundle was rejected. Each failure has its own variant and a stable code.

use thiserror::Error;

use crate::model::ModelError;

/// Why a model bundle cannot be loaded.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BundleError {
    /// `manifest.json` is not valid JSON or lacks a required field.
    #[error("manifest.json is invalid: {0}")]
    InvalidManifest(String),
    /// The manifest's `format_version` is not one this runtime reads.
    #[error(
        "bundle format version {found} is not supported (this runtime reads versions 1 to {supported}); \
         re-export the bundle or upgrade kindling"
    )]
    UnsupportedFormatVersion {
        /// The version the manifest declares.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// The manifest names an architecture this build does not know.
    #[error("unknown architecture `{found}`; this runtime knows: {known}")]
    UnknownArchitecture {
        /// The `arch` the manifest names.
        found: String,
        /// Comma-separated list of supported architectures.
        known: String,
    },
    /// The architecture config is invalid (zero sizes, mismatched layer lists, ...).
    #[error("{0}")]
    InvalidConfig(#[from] ModelError),
    /// Manifest parts disagree with each other (labels vs classes, input spec vs architecture).
    #[error("manifest is inconsistent: {0}")]
    Inconsistent(String),
    /// The weights are in a format this runtime does not read.
    #[error("weights format `{0}` is not supported; use `burnpack`")]
    UnsupportedWeightsFormat(String),
    /// A file the manifest lists is not in the bundle.
    #[error("bundle file `{0}` is missing")]
    MissingFile(String),
    /// A file ended before the size the manifest declares (an interrupted download or copy).
    #[error("`{file}` is truncated: {actual} of {expected} bytes; download the bundle again")]
    Truncated {
        /// The file at fault.
        file: String,
        /// The size the manifest declares.
        expected: u64,
        /// The bytes present.
        actual: u64,
    },
    /// A file is larger than the manifest declares.
    #[error("`{file}` has {actual} bytes but the manifest declares {expected}")]
    SizeMismatch {
        /// The file at fault.
        file: String,
        /// The size the manifest declares.
        expected: u64,
        /// The bytes present.
        actual: u64,
    },
    /// A file's sha256 differs from the manifest's: the bytes were altered or mixed up.
    #[error("`{file}` failed its integrity check: sha256 {actual}, manifest says {expected}")]
    HashMismatch {
        /// The file at fault.
        file: String,
        /// The hash the manifest declares.
        expected: String,
        /// The hash of the bytes present.
        actual: String,
    },
    /// A backbone file's sha256 differs from the manifest's: the shared backbone was altered,
    /// mixed up with another one, or served stale from a cache.
    #[error(
        "backbone file `{file}` is corrupt: sha256 {actual}, expected {expected}; \
         clear the cached backbone and download it again"
    )]
    BackboneHashMismatch {
        /// The file at fault.
        file: String,
        /// The hash the manifest declares.
        expected: String,
        /// The hash of the bytes present.
        actual: String,
    },
    /// The bundle needs a backbone file that was not given (a head-only archive).
    #[error("this bundle's head needs the backbone `{name}` ({file}), which was not provided")]
    BackboneMissing {
        /// The backbone's name.
        name: String,
        /// The file that would satisfy it.
        file: String,
    },
    /// The backbone has no file stored in the requested element type.
    #[error("the backbone has no `{requested}` weights; it has: {available}")]
    BackboneDtypeUnavailable {
        /// The element type asked for.
        requested: String,
        /// The element types present, comma-separated.
        available: String,
    },
    /// The weights bytes are not a readable burnpack record.
    #[error("weights file `{file}` is corrupt: {reason}")]
    CorruptWeights {
        /// The file at fault.
        file: String,
        /// What the reader reported.
        reason: String,
    },
    /// The weights are readable but do not fit the architecture config (names or shapes).
    #[error("weights do not fit the `{arch}` config: {reason}")]
    WeightsMismatch {
        /// The architecture the manifest declares.
        arch: String,
        /// What did not fit.
        reason: String,
    },
    /// The bytes are not a Kindling bundle archive (wrong magic number).
    #[error("not a kindling bundle archive (expected it to start with `KINDLING`)")]
    NotAnArchive,
    /// Reading or writing a bundle directory failed.
    #[error("bundle I/O error on `{path}`: {reason}")]
    Io {
        /// The path at fault.
        path: String,
        /// The operating system's message.
        reason: String,
    },
}

impl BundleError {
    /// A stable, machine-readable code (shown to JavaScript as `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::InvalidManifest(_) => "BUNDLE_INVALID_MANIFEST",
            BundleError::UnsupportedFormatVersion { .. } => "BUNDLE_UNSUPPORTED_VERSION",
            BundleError::UnknownArchitecture { .. } => "BUNDLE_UNKNOWN_ARCHITECTURE",
            BundleError::InvalidConfig(_) => "BUNDLE_INVALID_CONFIG",
            BundleError::Inconsistent(_) => "BUNDLE_INCONSISTENT",
            BundleError::UnsupportedWeightsFormat(_) => "BUNDLE_UNSUPPORTED_WEIGHTS_FORMAT",
            BundleError::MissingFile(_) => "BUNDLE_MISSING_FILE",
            BundleError::Truncated { .. } => "BUNDLE_TRUNCATED",
            BundleError::SizeMismatch { .. } => "BUNDLE_SIZE_MISMATCH",
            BundleError::HashMismatch { .. } => "BUNDLE_HASH_MISMATCH",
            BundleError::BackboneHashMismatch { .. } => "BACKBONE_HASH_MISMATCH",
            BundleError::BackboneMissing { .. } => "BACKBONE_MISSING",
            BundleError::BackboneDtypeUnavailable { .. } => "BACKBONE_DTYPE_UNAVAILABLE",
            BundleError::CorruptWeights { .. } => "BUNDLE_CORRUPT_WEIGHTS",
            BundleError::WeightsMismatch { .. } => "BUNDLE_WEIGHTS_MISMATCH",
            BundleError::NotAnArchive => "BUNDLE_NOT_AN_ARCHIVE",
            BundleError::Io { .. } => "BUNDLE_IO",
        }
    }
}
