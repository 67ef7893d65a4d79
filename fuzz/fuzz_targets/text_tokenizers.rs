//! Text from items and uploads through the tokenizers: BERT basic splitting, WordPiece (with a
//! small vocabulary) and the hashed n-grams of `text_ngram`. Any bytes, any Unicode: tokens
//! within bounds, never a panic.
#![no_main]

use std::sync::OnceLock;

use kindling::text::{BasicTokenizer, NgramHasher, Vocab, WordPiece, words};
use libfuzzer_sys::fuzz_target;

fn wordpiece() -> &'static WordPiece {
    static WP: OnceLock<WordPiece> = OnceLock::new();
    WP.get_or_init(|| {
        let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nquick\nbrown\n##s\n##ing\nfox\na\n##b\n##c\n!\n,\n";
        WordPiece::new(Vocab::from_text(vocab).expect("valid vocabulary"), true)
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = words(BasicTokenizer { lowercase: true }, &text);
    if let Ok(enc) = wordpiece().encode(&text, 64) {
        let n = wordpiece().vocab().len() as u32;
        assert!(enc.ids.iter().all(|&id| id < n), "token ids within the vocabulary");
    }
    let hasher = NgramHasher {
        buckets: 1 << 12,
        lowercase: true,
    };
    let ids = hasher.encode(&text, 256);
    assert!(ids.iter().all(|&id| id < 1 << 12));
});
