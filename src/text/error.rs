//! Errors of text tokenization.

use thiserror::Error;

/// Why a vocabulary could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    /// The vocabulary lacks a special token WordPiece needs.
    #[error(
        "the vocabulary has no `{0}` token (a BERT vocab.txt lists [PAD], [UNK], [CLS], [SEP])"
    )]
    MissingSpecialToken(&'static str),
    /// The vocabulary is empty or lists a token twice.
    #[error("invalid vocabulary: {0}")]
    InvalidVocab(String),
    /// The maximum length leaves no room for `[CLS]`, one token and `[SEP]`.
    #[error("max_tokens is {0}; it must be at least 3 ([CLS], one token, [SEP])")]
    MaxTokensTooSmall(usize),
}

impl TextError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TextError::MissingSpecialToken(_) => "VOCAB_MISSING_TOKEN",
            TextError::InvalidVocab(_) => "VOCAB_INVALID",
            TextError::MaxTokensTooSmall(_) => "TEXT_MAX_TOKENS",
        }
    }
}
