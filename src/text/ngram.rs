//! fastText-style hashed n-gram features: the words of a text (BERT's basic tokenization), each
//! word, each pair of adjacent words and each character 3–5-gram of `<word>` hashed with 64-bit
//! FNV-1a into `buckets − 1` ids (id 0 is padding), in text order, at most `max_features`.

use super::basic::BasicTokenizer;

/// FNV-1a 64-bit offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64-bit prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The three kinds of feature, hashed apart (a tag byte first).
#[derive(Clone, Copy)]
enum Kind {
    Word = 1,
    Bigram = 2,
    Chars = 3,
}

/// FNV-1a over `kind`'s tag and `parts` (separated by a 0x1f byte).
fn fnv1a(kind: Kind, parts: &[&[u8]]) -> u64 {
    let mut h = FNV_OFFSET;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    };
    eat(kind as u8);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            eat(0x1f);
        }
        for &b in *part {
            eat(b);
        }
    }
    h
}

/// Hashes texts into n-gram feature ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NgramHasher {
    /// Ids are `1..buckets` (0 is padding).
    pub buckets: u32,
    /// Lower-case and strip accents first.
    pub lowercase: bool,
}

impl NgramHasher {
    fn bucket(&self, hash: u64) -> u32 {
        1 + (hash % u64::from(self.buckets.max(2) - 1)) as u32
    }

    /// The feature ids of `text`, in text order (per word: the word, the bigram ending at it,
    /// its character n-grams), at most `max_features` (a long text is read only as far as
    /// needed).
    pub fn encode(&self, text: &str, max_features: usize) -> Vec<u32> {
        self.hash(text, max_features, true)
    }

    /// The ids of `text`'s words and word bigrams only (no character n-grams), in text order,
    /// at most `max_features`: the lexical features a text backbone carries
    /// (`crate::model::lexical`).
    pub fn encode_words(&self, text: &str, max_features: usize) -> Vec<u32> {
        self.hash(text, max_features, false)
    }

    fn hash(&self, text: &str, max_features: usize, char_ngrams: bool) -> Vec<u32> {
        let mut out = Vec::with_capacity(max_features.min(text.len() * 4 + 4));
        let mut previous = String::new();
        let mut padded: Vec<char> = Vec::new();
        let mut chars = String::new();
        BasicTokenizer {
            lowercase: self.lowercase,
        }
        .for_each_word(text, |word| {
            let mut push = |id: u32| {
                if out.len() < max_features {
                    out.push(id);
                }
                out.len() < max_features
            };
            if !push(self.bucket(fnv1a(Kind::Word, &[word.as_bytes()]))) {
                return false;
            }
            if !previous.is_empty()
                && !push(self.bucket(fnv1a(Kind::Bigram, &[previous.as_bytes(), word.as_bytes()])))
            {
                return false;
            }
            previous.clear();
            previous.push_str(word);
            if char_ngrams {
                padded.clear();
                padded.push('<');
                padded.extend(word.chars());
                padded.push('>');
                for n in 3..=5 {
                    for window in padded.windows(n) {
                        chars.clear();
                        chars.extend(window);
                        if !push(self.bucket(fnv1a(Kind::Chars, &[chars.as_bytes()]))) {
                            return false;
                        }
                    }
                }
            }
            true
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASHER: NgramHasher = NgramHasher {
        buckets: 1 << 16,
        lowercase: true,
    };

    #[test]
    fn fnv1a_matches_the_published_test_vector() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; with our tag byte first it differs, so check
        // the raw function on the byte alone.
        let mut h = FNV_OFFSET;
        h ^= u64::from(b'a');
        h = h.wrapping_mul(FNV_PRIME);
        assert_eq!(h, 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn counts_words_bigrams_and_character_ngrams() {
        // "free money": free (1) + <free> 3-5-grams (4+3+2) ; money (1) + bigram (1) + <money> (5+4+3).
        let ids = HASHER.encode("Free MONEY", 1000);
        assert_eq!(ids.len(), 1 + 9 + 1 + 1 + 12);
        assert!(ids.iter().all(|&i| (1..1 << 16).contains(&i)));
        assert_eq!(ids, HASHER.encode("free money", 1000), "lower-cased first");
    }

    #[test]
    fn words_only_gives_the_words_and_bigrams_of_the_full_encoding() {
        let all = HASHER.encode("Free MONEY now", 1000);
        let words = HASHER.encode_words("Free MONEY now", 1000);
        assert_eq!(words.len(), 3 + 2);
        assert!(words.iter().all(|id| all.contains(id)));
        assert_eq!(words[0], all[0], "the first word comes first");
        assert_eq!(HASHER.encode_words("a b c d", 3).len(), 3);
    }

    #[test]
    fn stops_at_the_feature_budget_and_is_deterministic() {
        let long = "word ".repeat(100_000);
        let ids = HASHER.encode(&long, 64);
        assert_eq!(ids.len(), 64);
        assert_eq!(ids, HASHER.encode(&long, 64));
        assert!(HASHER.encode("", 64).is_empty());
    }
}
