//! Kindling's native side: data set readers, training with burn's autodiff, and the
//! subcommands of the `kindling` CLI.

pub mod backbone;
pub mod cli;
pub mod data;
pub mod demo_bundle;
pub mod jobs;
pub mod onnx;
pub mod serve;
pub mod train;
