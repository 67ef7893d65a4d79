//! Text → model input, one implementation for native and browser: BERT's basic tokenization
//! (cleaning, lower-casing, accent stripping, punctuation and CJK splitting) and WordPiece over a
//! `vocab.txt` vocabulary.

mod basic;
mod error;
mod wordpiece;

pub use basic::{BasicTokenizer, words};
pub use error::TextError;
pub use wordpiece::{Encoding, Vocab, WordPiece};
