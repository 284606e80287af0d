//! How text becomes search terms, Chinese and English alike.
//!
//! Text is cut into runs by script. A run of Han characters is segmented with jieba's
//! dictionary (HMM off: the same words must come out of a post and of a query, whatever
//! surrounds them). Characters the dictionary knows no word for come out one by one, and each
//! two neighbours also as a bigram, so an unknown name is still found as a whole and not as its
//! characters scattered over a post. At indexing, a long word also gives the dictionary words
//! inside it (北京大学 → 北京, 大学, 北京大学, all at its position), so a query for 北京 finds a
//! post about 北京大学, while a query for 北京大学 finds only posts holding that word: never
//! one with 北京 and 大学 in different sentences. Kana and Hangul runs, which jieba does not
//! segment, are bigrams. Any other run of letters and digits is a word: NFKC-normalized
//! (full-width forms become ASCII), lowercased, accents folded, English-stemmed (the filters of
//! [`analyzer`]).
//!
//! Positions count the words of a run in order; bigrams and sub-words share the position of
//! the character or word they start at, so phrase queries over the same analysis line up.

use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};
use unicode_normalization::UnicodeNormalization;

/// The dictionary, loaded once (about 0.3 s and 40 MB: jieba's own, compiled into the crate).
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Tokens longer than this (in bytes) are dropped: no one searches for them, and they bloat the
/// term dictionary.
const MAX_TOKEN_BYTES: usize = 64;

/// Whether the analysis is of a document (with the sub-words of long words) or of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Index,
    Query,
}

/// The analyzer of post text, people's names and bios: [`ScriptTokenizer`] and the filters,
/// English stemming.
pub fn analyzer(mode: Mode) -> TextAnalyzer {
    stemmed_in(mode, Language::English)
}

fn stemmed_in(mode: Mode, language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(ScriptTokenizer { mode })
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(language))
        .build()
}

/// The stemmer of a post's language (an ISO 639-1 code, as posts carry it), when there is one
/// and it is not English's.
pub fn stemmer_of(code: &str) -> Option<Language> {
    Some(match code.get(..2)?.to_ascii_lowercase().as_str() {
        "ar" => Language::Arabic,
        "da" => Language::Danish,
        "nl" => Language::Dutch,
        "fi" => Language::Finnish,
        "fr" => Language::French,
        "de" => Language::German,
        "el" => Language::Greek,
        "hu" => Language::Hungarian,
        "it" => Language::Italian,
        "no" | "nb" | "nn" => Language::Norwegian,
        "pt" => Language::Portuguese,
        "ro" => Language::Romanian,
        "ru" => Language::Russian,
        "es" => Language::Spanish,
        "sv" => Language::Swedish,
        "ta" => Language::Tamil,
        "tr" => Language::Turkish,
        _ => return None,
    })
}

/// The tokens of a post in `language` (see [`stemmer_of`]): the English analysis, and at the
/// same position each word's stem in the post's language where it differs. A query in English
/// analysis finds the post as before; one that says `lang:` finds it by its own language's
/// stems too.
pub fn tokens_in(language: Language, text: &str) -> Vec<Token> {
    let collect = |mut analyzer: TextAnalyzer| {
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push(stream.token().clone());
        }
        tokens
    };
    let english = collect(analyzer(Mode::Index));
    let own = collect(stemmed_in(Mode::Index, language));
    let mut merged = Vec::with_capacity(english.len() * 2);
    // The same tokenizer made both, so the n-th tokens are the same word.
    for (en, other) in english.into_iter().zip(own) {
        let differs = en.text != other.text;
        merged.push(en);
        if differs {
            merged.push(other);
        }
    }
    merged
}

/// Forces the dictionary to load now rather than on the first post.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Han,
    /// Kana, Hangul: no dictionary, bigrams.
    Syllabic,
    Word,
    Other,
}

fn script(c: char) -> Script {
    match c as u32 {
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0x3007 => Script::Han,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xAC00..=0xD7AF | 0x1100..=0x11FF => Script::Syllabic,
        _ if c.is_alphanumeric() => Script::Word,
        _ => Script::Other,
    }
}

/// Cuts text by script and segments each run (see the module's comment).
#[derive(Debug, Clone)]
pub struct ScriptTokenizer {
    mode: Mode,
}

impl Tokenizer for ScriptTokenizer {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        // NFKC first, char by char, so that full-width letters and digits join their run and
        // offsets still point into the original text.
        let mut tokens = Vec::new();
        let mut position = 0;
        let mut run_start = 0;
        let mut run_script = Script::Other;
        let mut run_text = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let folded: String = std::iter::once(c).nfkc().collect();
            let kind = folded.chars().next().map_or(Script::Other, script);
            if kind != run_script {
                emit(self.mode, run_script, &text[run_start..at], &run_text, run_start, &mut position, &mut tokens);
                run_start = at;
                run_script = kind;
                run_text.clear();
            }
            run_text.push_str(&folded);
            if chars.peek().is_none() {
                emit(self.mode, run_script, &text[run_start..], &run_text, run_start, &mut position, &mut tokens);
            }
        }
        Tokens { tokens, next: 0 }
    }
}

fn token(text: &str, from: usize, to: usize, position: usize) -> Token {
    Token { offset_from: from, offset_to: to, position, text: text.to_owned(), position_length: 1 }
}

/// The tokens of one run: `original` is the run as written (offsets point into it, from
/// `base`), `folded` its NFKC form.
fn emit(
    mode: Mode,
    script: Script,
    original: &str,
    folded: &str,
    base: usize,
    position: &mut usize,
    tokens: &mut Vec<Token>,
) {
    match script {
        Script::Other => {}
        Script::Word => {
            tokens.push(token(folded, base, base + original.len(), *position));
            *position += 1;
        }
        Script::Syllabic => {
            let chars: Vec<(usize, char)> = original.char_indices().collect();
            bigrams(&chars, original, base, position, tokens);
        }
        Script::Han => {
            let words = JIEBA.cut(original, false);
            let mut i = 0;
            while i < words.len() {
                // A stretch of single characters: the dictionary knew no word for them.
                let singles = words[i..].iter().take_while(|w| w.word.chars().count() == 1).count();
                if singles >= 2 {
                    let chars: Vec<(usize, char)> = words[i..i + singles]
                        .iter()
                        .map(|w| (w.byte_start, w.word.chars().next().expect("one char")))
                        .collect();
                    bigrams(&chars, original, base, position, tokens);
                    i += singles;
                    continue;
                }
                let word = &words[i];
                let (from, to) = (base + word.byte_start, base + word.byte_end);
                if mode == Mode::Index {
                    sub_words(word.word, from, *position, tokens);
                }
                tokens.push(token(word.word, from, to, *position));
                *position += 1;
                i += 1;
            }
        }
    }
}

/// Each character of `chars` (byte offset in `run`, char), and each pair of neighbours, the
/// pair at the position of its first character.
fn bigrams(chars: &[(usize, char)], run: &str, base: usize, position: &mut usize, tokens: &mut Vec<Token>) {
    let end_of = |i: usize| chars.get(i + 1).map_or(run.len(), |(at, _)| *at);
    for (i, (at, c)) in chars.iter().enumerate() {
        tokens.push(token(c.encode_utf8(&mut [0; 4]), base + at, base + end_of(i), *position));
        if let Some((_, next)) = chars.get(i + 1) {
            let pair: String = [*c, *next].iter().collect();
            tokens.push(token(&pair, base + at, base + end_of(i + 1), *position));
        }
        *position += 1;
    }
}

/// The dictionary words of two and three characters inside a longer word, as jieba's search
/// mode finds them.
fn sub_words(word: &str, from: usize, position: usize, tokens: &mut Vec<Token>) {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    if chars.len() <= 2 {
        return;
    }
    for n in [2, 3] {
        if n >= chars.len() {
            break;
        }
        for start in 0..=chars.len() - n {
            let begin = chars[start].0;
            let end = chars.get(start + n).map_or(word.len(), |(at, _)| *at);
            let piece = &word[begin..end];
            if JIEBA.has_word(piece) {
                tokens.push(token(piece, from + begin, from + end, position));
            }
        }
    }
}

/// A run's tokens, computed at once (posts are short).
pub struct Tokens {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// What [`analyzer`] makes of `text`: the terms, each with its position.
pub fn terms(mode: Mode, text: &str) -> Vec<(usize, String)> {
    terms_in(mode, Language::English, text)
}

/// What the analyzer stemming in `language` makes of `text`.
pub fn terms_in(mode: Mode, language: Language, text: &str) -> Vec<(usize, String)> {
    let mut analyzer = stemmed_in(mode, language);
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.position, t.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(mode: Mode, text: &str) -> Vec<String> {
        terms(mode, text).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn english_is_lowercased_folded_and_stemmed_and_full_width_is_ascii() {
        assert_eq!(words(Mode::Index, "Running Cafés, ＲＵＳＴ ２０２６!"), ["run", "cafe", "rust", "2026"]);
    }

    #[test]
    fn chinese_is_segmented_with_sub_words_at_indexing_only() {
        let indexed = terms(Mode::Index, "我在北京大学读书");
        let at = |word: &str| indexed.iter().find(|(_, t)| t == word).map(|(p, _)| *p);
        assert_eq!(at("北京大学"), at("北京"), "sub-words share the word's position: {indexed:?}");
        assert!(at("大学").is_some() && at("读书").is_some(), "{indexed:?}");
        assert_eq!(words(Mode::Query, "北京大学"), ["北京大学"]);
    }

    #[test]
    fn unknown_characters_come_alone_and_as_bigrams_and_mixed_text_keeps_both_scripts() {
        let terms = words(Mode::Query, "饕餮 and Rust");
        assert!(terms.contains(&"饕餮".to_owned()), "{terms:?}");
        assert!(terms.ends_with(&["and".to_owned(), "rust".to_owned()]), "{terms:?}");
        assert_eq!(words(Mode::Query, "カタカナ")[..2], ["カ".to_owned(), "カタ".to_owned()]);
    }

    #[test]
    fn a_post_in_another_language_has_its_own_stems_beside_the_english_ones() {
        let spanish = stemmer_of("es-MX").unwrap();
        let text = "Estamos corriendo rápido";
        let tokens: Vec<(usize, String)> = tokens_in(spanish, text).into_iter().map(|t| (t.position, t.text)).collect();
        let english: Vec<(usize, String)> = terms(Mode::Index, text);
        assert!(english.iter().all(|t| tokens.contains(t)), "{tokens:?}");
        assert_eq!(terms_in(Mode::Query, spanish, "corremos"), [(0, "corr".to_owned())]);
        assert_eq!(terms(Mode::Query, "corremos"), [(0, "corremo".to_owned())], "English stems it otherwise");
        assert!(tokens.contains(&(1, "corr".to_owned())), "at the word's position: {tokens:?}");
        assert_eq!(stemmer_of("en"), None);
        assert_eq!(stemmer_of("zh"), None);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Ｒust 北京大学";
        let mut analyzer = analyzer(Mode::Query);
        let mut stream = analyzer.token_stream(text);
        let mut spans = Vec::new();
        while stream.advance() {
            let t = stream.token();
            spans.push(&text[t.offset_from..t.offset_to]);
        }
        assert_eq!(spans, ["Ｒust", "北京大学"]);
    }
}
