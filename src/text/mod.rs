//! Text → model input, one implementation for native and browser: BERT's basic tokenization
//! (cleaning, lower-casing, accent stripping, punctuation and CJK splitting), WordPiece over a
//! `vocab.txt` vocabulary, and hashed word / character n-grams.

mod basic;
mod error;
mod ngram;
mod wordpiece;

pub use basic::{BasicTokenizer, words};
pub use error::TextError;
pub use ngram::NgramHasher;
pub use wordpiece::{Encoding, Vocab, WordPiece};
