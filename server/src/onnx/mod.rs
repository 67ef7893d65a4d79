//! Bundles exported as ONNX models (`kindling bundle export-onnx`): the same weights and the
//! same computation — input normalization, the backbone if there is one, the classifier,
//! softmax — so onnxruntime and other ONNX readers give the probabilities Kindling gives (the
//! peers benchmark checks this within 1e-4).

mod export;
mod graph;
pub mod proto;

pub use export::{ExportError, Exported, export_onnx};
