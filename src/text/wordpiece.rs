//! WordPiece over a BERT `vocab.txt`: each word split greedily into the longest vocabulary
//! pieces (continuations prefixed `##`), a word that cannot be split becomes `[UNK]`; the text
//! is framed as `[CLS] … [SEP]` and cut to a maximum length.

use std::collections::HashMap;

use super::TextError;
use super::basic::BasicTokenizer;

/// Words longer than this many characters become `[UNK]` (as in BERT).
const MAX_WORD_CHARS: usize = 100;

/// A WordPiece vocabulary: token → id, ids in file order.
#[derive(Debug, Clone)]
pub struct Vocab {
    ids: HashMap<String, u32>,
    len: usize,
    pad: u32,
    unk: u32,
    cls: u32,
    sep: u32,
}

impl Vocab {
    /// Parses `vocab.txt`: one token per line, the line number is the id.
    pub fn from_text(text: &str) -> Result<Vocab, TextError> {
        let mut ids = HashMap::new();
        let mut len = 0u32;
        for line in text.lines() {
            let token = line.strip_suffix('\r').unwrap_or(line);
            if ids.insert(token.to_string(), len).is_some() {
                return Err(TextError::InvalidVocab(format!(
                    "token `{token}` is listed twice (line {})",
                    len + 1
                )));
            }
            len += 1;
        }
        if len == 0 {
            return Err(TextError::InvalidVocab("the vocabulary is empty".into()));
        }
        let special = |name: &'static str| {
            ids.get(name)
                .copied()
                .ok_or(TextError::MissingSpecialToken(name))
        };
        Ok(Vocab {
            pad: special("[PAD]")?,
            unk: special("[UNK]")?,
            cls: special("[CLS]")?,
            sep: special("[SEP]")?,
            len: len as usize,
            ids,
        })
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the vocabulary is empty (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The id of `token`, if listed.
    pub fn id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// The id of `[PAD]` (what fills a sequence after `[SEP]`).
    pub fn pad_id(&self) -> u32 {
        self.pad
    }
}

/// A WordPiece tokenizer: basic tokenization, then vocabulary pieces.
#[derive(Debug, Clone)]
pub struct WordPiece {
    vocab: Vocab,
    basic: BasicTokenizer,
}

/// Token ids of one text, framed by `[CLS]` and `[SEP]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    /// The ids, `[CLS]` first and `[SEP]` last, at most the maximum length.
    pub ids: Vec<u32>,
    /// Whether the text had more tokens than fit (the rest was cut).
    pub truncated: bool,
}

impl WordPiece {
    /// A tokenizer over `vocab`; `lowercase` for uncased vocabularies.
    pub fn new(vocab: Vocab, lowercase: bool) -> WordPiece {
        WordPiece {
            vocab,
            basic: BasicTokenizer { lowercase },
        }
    }

    /// The vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Encodes `text` as `[CLS] pieces… [SEP]`, at most `max_tokens` ids (pieces past that are
    /// cut; a long text is only read as far as needed).
    pub fn encode(&self, text: &str, max_tokens: usize) -> Result<Encoding, TextError> {
        if max_tokens < 3 {
            return Err(TextError::MaxTokensTooSmall(max_tokens));
        }
        let room = max_tokens - 2;
        let mut ids = Vec::with_capacity(room.min(text.len() / 2 + 2) + 2);
        ids.push(self.vocab.cls);
        let mut truncated = false;
        self.basic.for_each_word(text, |word| {
            self.push_pieces(word, &mut ids);
            if ids.len() - 1 > room {
                ids.truncate(1 + room);
                truncated = true;
                return false;
            }
            true
        });
        ids.push(self.vocab.sep);
        Ok(Encoding { ids, truncated })
    }

    /// Appends the pieces of one word (or `[UNK]`) to `out`.
    fn push_pieces(&self, word: &str, out: &mut Vec<u32>) {
        if word.chars().count() > MAX_WORD_CHARS {
            out.push(self.vocab.unk);
            return;
        }
        let start_len = out.len();
        let mut start = 0;
        let mut piece = String::with_capacity(word.len() + 2);
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while start < end {
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.push_str(&word[start..end]);
                if let Some(id) = self.vocab.id(&piece) {
                    found = Some(id);
                    break;
                }
                end = word[..end]
                    .char_indices()
                    .next_back()
                    .map_or(start, |(i, _)| i);
            }
            let Some(id) = found else {
                out.truncate(start_len);
                out.push(self.vocab.unk);
                return;
            };
            out.push(id);
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer() -> WordPiece {
        let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##aff\n##able\nrun\n##ning\n,\nhello\n";
        WordPiece::new(Vocab::from_text(vocab).unwrap(), true)
    }

    #[test]
    fn greedy_longest_pieces() {
        let e = tokenizer().encode("Unaffable running, hello", 16).unwrap();
        assert_eq!(e.ids, [2, 4, 5, 6, 7, 8, 9, 10, 3]);
        assert!(!e.truncated);
    }

    #[test]
    fn unknown_word_is_one_unk() {
        let e = tokenizer().encode("unxyz hello", 16).unwrap();
        assert_eq!(e.ids, [2, 1, 10, 3]);
    }

    #[test]
    fn truncates_inside_a_word_and_keeps_sep() {
        let e = tokenizer().encode("unaffable hello", 4).unwrap();
        assert_eq!(e.ids, [2, 4, 5, 3]);
        assert!(e.truncated);
    }

    #[test]
    fn rejects_too_small_a_length_and_bad_vocabularies() {
        assert_eq!(
            tokenizer().encode("x", 2),
            Err(TextError::MaxTokensTooSmall(2))
        );
        assert_eq!(
            Vocab::from_text("[PAD]\n[UNK]\n[CLS]\n").unwrap_err(),
            TextError::MissingSpecialToken("[SEP]")
        );
        assert!(matches!(
            Vocab::from_text("[PAD]\n[PAD]\n"),
            Err(TextError::InvalidVocab(_))
        ));
    }
}
