//! Synthetic posts for benchmarks (`examples/index_bench`, `riffle-bench --workloads
//! search-*`): English-like and Chinese-like words drawn with Zipf's law, as words are in real
//! text, so a query meets common and rare words alike. Not used by the service.

/// A vocabulary and a random source; the same seed gives the same posts.
pub struct Corpus {
    words: Vec<String>,
    /// Cumulative Zipf weights of `words`, for sampling by rank.
    cumulative: Vec<f64>,
    rng: fastrand::Rng,
}

const SYLLABLES: &[&str] = &[
    "ka", "ro", "mi", "sen", "ta", "lo", "ver", "in", "gra", "pha", "nel", "dor", "sti", "que", "lan", "bu", "zo",
    "ren", "ther", "al",
];

impl Corpus {
    /// 6,000 English-like words (two or three syllables) and 3,000 Chinese-like ones (two Han
    /// characters, most of them unknown to the dictionary), interleaved by rank.
    pub fn new(seed: u64) -> Corpus {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut words = Vec::new();
        for n in 0..9_000 {
            let word = if n % 3 == 2 {
                (0..2).map(|_| char::from_u32(rng.u32(0x4E00..0x9FA5)).unwrap_or('中')).collect()
            } else {
                (0..rng.usize(2..4)).map(|_| SYLLABLES[rng.usize(..SYLLABLES.len())]).collect::<String>()
            };
            words.push(word);
        }
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Corpus { words, cumulative, rng }
    }

    /// A word, the common ones more often (Zipf, s = 1).
    pub fn word(&mut self) -> &str {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let at = self.rng.f64() * total;
        let rank = self.cumulative.partition_point(|&c| c < at).min(self.words.len() - 1);
        &self.words[rank]
    }

    /// A number in `range`, from the corpus's random source.
    pub fn below(&mut self, bound: u32) -> u32 {
        self.rng.u32(..bound)
    }

    /// Post `id`: 8 to 40 words, one of 50 tags, by one of 10,000 authors, a tenth with media,
    /// one second after post `id - 1`.
    pub fn post(&mut self, id: u64) -> crate::index::PostDoc {
        let count = self.rng.usize(8..40);
        let mut text = String::new();
        for _ in 0..count {
            let word = self.word().to_owned();
            text.push_str(&word);
            text.push(' ');
        }
        crate::index::PostDoc {
            id,
            author_id: format!("user{}", self.rng.u32(..10_000)),
            text,
            tags: vec![format!("topic{}", self.rng.u8(..50))],
            language: Some(if self.rng.bool() { "en" } else { "zh" }.into()),
            visibility: "public".into(),
            has_media: self.rng.u8(..10) == 0,
            created_at_ms: 1_767_225_600_000 + id as i64 * 1000,
        }
    }
}
