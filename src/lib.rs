//! Kindling: burn models that ship as verified bundles and run in the browser on WebGPU or the
//! CPU (WebAssembly SIMD128), with the same model code training natively.
//!
//! - [`model`]: architectures built from serde configs.
//! - [`bundle`]: the bundle format (manifest + weights), verified on load.
//! - [`session`]: load a bundle on a device and predict.
//! - [`uncertainty`]: least-confidence, margin and entropy scores.
//! - [`label_errors`]: which given labels are likely wrong (confident learning).
//! - [`agreement`]: Cohen's kappa and Krippendorff's alpha between annotators.
//! - [`local_head`]: a linear head fitted on labeled embeddings in the browser.
//! - [`svm_head`]: the same linear head fitted as support vector machines (the default).
//! - [`local_ngram`]: a `text_ngram` classifier trained on labeled texts in the browser.
//! - [`preprocess`]: pixels → model input, normalization.
//! - [`text`]: text → token ids (BERT basic tokenization + WordPiece).
//! - [`device`]: `auto | webgpu | cpu` selection, reporting what actually runs.
//! - `wasm` (wasm32 only): the JavaScript API.

pub mod agreement;
pub mod bundle;
pub mod device;
pub mod kernels;
pub mod label_errors;
pub mod local_head;
pub mod local_lexical_head;
pub mod local_ngram;
pub mod model;
pub mod neighbours;
pub mod preprocess;
pub mod queue;
pub mod session;
pub mod svm_head;
pub mod sync;
pub mod text;
pub mod uncertainty;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use bundle::{Bundle, BundleError, Manifest};
pub use device::{Backend, DeviceChoice};
pub use model::{ArchConfig, Model};
pub use session::{Prediction, Session, SessionError};
