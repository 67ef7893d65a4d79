//! Errors raised while validating or building a model from its config.

use thiserror::Error;

/// Why an architecture config cannot be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelError {
    /// A size that must be positive (input, layer width, classes, kernel) is zero.
    #[error("model config: `{field}` must be greater than zero")]
    ZeroSize {
        /// The config field at fault.
        field: String,
    },
    /// Two per-layer lists that must have one entry per conv layer have different lengths.
    #[error("model config: `{field}` has {found} entries but `conv_channels` has {expected}")]
    LayerCountMismatch {
        /// The list at fault.
        field: String,
        /// The number of conv layers.
        expected: usize,
        /// The number of entries found.
        found: usize,
    },
    /// The dropout probability is outside `[0, 1)`.
    #[error("model config: dropout must be in [0, 1), got {0}")]
    InvalidDropout(f64),
    /// The image channel count is neither 1 (grayscale) nor 3 (RGB).
    #[error("model config: channels must be 1 (grayscale) or 3 (RGB), got {0}")]
    InvalidChannels(usize),
    /// Pooling shrinks the image to nothing before the dense layers.
    #[error("model config: pooling reduces the {height}x{width} input to an empty feature map")]
    EmptyFeatureMap {
        /// Input height.
        height: usize,
        /// Input width.
        width: usize,
    },
    /// The image is smaller than the network's stride-2 stages allow.
    #[error("model config: image_size {size} is below the minimum of {min} pixels")]
    ImageTooSmall {
        /// The size given.
        size: usize,
        /// The smallest size the network takes.
        min: usize,
    },
    /// A text backbone's maximum length is outside what its position embeddings cover.
    #[error("model config: max_tokens must be {min}..={max}, got {found}")]
    MaxTokensOutOfRange {
        /// The length given.
        found: usize,
        /// The shortest allowed ([CLS], one token, [SEP]).
        min: usize,
        /// The longest allowed.
        max: usize,
    },
}

/// Returns [`ModelError::ZeroSize`] when `value` is zero.
pub(crate) fn positive(field: &str, value: usize) -> Result<(), ModelError> {
    if value == 0 {
        return Err(ModelError::ZeroSize {
            field: field.to_string(),
        });
    }
    Ok(())
}

/// Returns [`ModelError::InvalidDropout`] unless `p` is in `[0, 1)`.
pub(crate) fn dropout_in_range(p: f64) -> Result<(), ModelError> {
    if !(p.is_finite() && (0.0..1.0).contains(&p)) {
        return Err(ModelError::InvalidDropout(p));
    }
    Ok(())
}
