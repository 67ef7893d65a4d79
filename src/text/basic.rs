//! BERT's basic tokenization, as `BertTokenizer` (`do_lower_case=True`) does it: remove control
//! characters and U+FFFD, put spaces around CJK ideographs, split on whitespace, lower-case,
//! strip accents (NFD, drop non-spacing marks) and split off every punctuation character.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Settings of the basic tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicTokenizer {
    /// Lower-case and strip accents (the `uncased` BERT vocabularies).
    pub lowercase: bool,
}

impl BasicTokenizer {
    /// Calls `f` with each word of `text` in order until it returns `false` (so a caller that
    /// needs only the first words of a long text stops early).
    pub fn for_each_word(&self, text: &str, mut f: impl FnMut(&str) -> bool) {
        let mut word = String::new();
        let mut normalized = String::new();
        // Emits the word built so far (lower-cased, accents stripped) split at punctuation.
        let mut flush = |word: &mut String, f: &mut dyn FnMut(&str) -> bool| -> bool {
            if word.is_empty() {
                return true;
            }
            normalized.clear();
            if self.lowercase {
                normalized.extend(
                    word.to_lowercase()
                        .nfd()
                        .filter(|c| c.general_category() != GeneralCategory::NonspacingMark),
                );
            } else {
                normalized.push_str(word);
            }
            word.clear();
            let mut start = 0;
            for (i, c) in normalized.char_indices() {
                if is_punctuation(c) {
                    if start < i && !f(&normalized[start..i]) {
                        return false;
                    }
                    if !f(&normalized[i..i + c.len_utf8()]) {
                        return false;
                    }
                    start = i + c.len_utf8();
                }
            }
            start >= normalized.len() || f(&normalized[start..])
        };
        for c in text.chars() {
            if c == '\0' || c == '\u{FFFD}' || is_control(c) {
                continue;
            }
            if is_whitespace(c) {
                if !flush(&mut word, &mut f) {
                    return;
                }
            } else if is_cjk(c) {
                if !flush(&mut word, &mut f) {
                    return;
                }
                word.push(c);
                if !flush(&mut word, &mut f) {
                    return;
                }
            } else {
                word.push(c);
            }
        }
        flush(&mut word, &mut f);
    }
}

/// All words of `text` (see [`BasicTokenizer::for_each_word`]).
pub fn words(tokenizer: BasicTokenizer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    tokenizer.for_each_word(text, |w| {
        out.push(w.to_string());
        true
    });
    out
}

/// Space, tab, newline, carriage return and Unicode space separators (`Zs`).
fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r') || c.general_category() == GeneralCategory::SpaceSeparator
}

/// Other (`C*`) characters except tab, newline and carriage return (which count as whitespace).
fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.general_category_group() == GeneralCategoryGroup::Other
}

/// ASCII symbols and punctuation (BERT counts `$`, `+`, `^`, `` ` `` … too) and Unicode
/// punctuation (`P*`).
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.general_category_group() == GeneralCategoryGroup::Punctuation
}

/// The CJK Unified Ideograph blocks BERT splits into single characters.
fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B820..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNCASED: BasicTokenizer = BasicTokenizer { lowercase: true };

    #[test]
    fn splits_punctuation_and_lowercases() {
        assert_eq!(
            words(UNCASED, "Hello, World! It's $5.00"),
            [
                "hello", ",", "world", "!", "it", "'", "s", "$", "5", ".", "00"
            ]
        );
    }

    #[test]
    fn strips_accents_and_controls() {
        assert_eq!(
            words(UNCASED, "Café\u{200B} naïve\u{0}\u{FFFD}"),
            ["cafe", "naive"]
        );
    }

    #[test]
    fn cjk_characters_become_words() {
        assert_eq!(words(UNCASED, "ab中文cd"), ["ab", "中", "文", "cd"]);
    }

    #[test]
    fn cased_keeps_case_and_accents() {
        let cased = BasicTokenizer { lowercase: false };
        assert_eq!(words(cased, "Café Ünï"), ["Café", "Ünï"]);
    }

    #[test]
    fn stops_when_asked() {
        let mut seen = Vec::new();
        UNCASED.for_each_word("one two three four", |w| {
            seen.push(w.to_string());
            seen.len() < 2
        });
        assert_eq!(seen, ["one", "two"]);
    }
}
