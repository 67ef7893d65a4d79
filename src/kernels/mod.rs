//! CPU inference kernels written for WebAssembly SIMD128: a matrix product with the bias,
//! activation and residual fused into its store, depthwise convolution over NHWC maps, and the
//! networks assembled from them. burn's `flex` backend runs every op as its own pass over the
//! tensor (a convolution, then a scalar clamp, then an add); for the frozen backbones these
//! kernels run a whole layer in one pass.

mod depthwise;
mod efficientnet;
mod gemm;
mod parallel;
mod simd;

pub use efficientnet::{EfficientNetCpu, UnsupportedNetwork};
pub use gemm::{Activation, PackedMatrix};
