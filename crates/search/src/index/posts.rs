//! The posts index: one document per post, upserted by id; the queries over it with the
//! audience's rules; and the tags of public posts with their use counts.

use std::{
    cmp::Reverse,
    collections::{BinaryHeap, HashMap, HashSet},
    ops::Bound,
};

use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, TantivyDocument, Term,
    collector::TopDocs,
    query::{
        BooleanQuery, ConstScoreQuery, EnableScoring, Occur, PhraseQuery, Query as TantivyQuery, RangeQuery, TermQuery,
    },
    schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value},
    tokenizer::PreTokenizedString,
};

use super::{ANALYZER, Opened};
use crate::domain::{
    analyzer::{self, Mode},
    query::{Query, Text},
    ranking,
};

/// A post as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostDoc {
    pub id: u64,
    pub author_id: String,
    pub text: String,
    pub tags: Vec<String>,
    pub language: Option<String>,
    /// `public`, `unlisted` (never found) or `followers` (what the author's followers see).
    pub visibility: String,
    pub has_media: bool,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    author: Field,
    text: Field,
    tags: Field,
    /// The tags of public posts alone: what tag suggestions count.
    public_tags: Field,
    language: Field,
    visibility: Field,
    has_media: Field,
    created_at: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: builder.add_u64_field("id", INDEXED | STORED | FAST),
        author: builder.add_text_field("author", STRING | STORED | FAST),
        text: builder.add_text_field("text", text),
        tags: builder.add_text_field("tags", STRING),
        public_tags: builder.add_text_field("public_tags", STRING),
        language: builder.add_text_field("language", STRING),
        visibility: builder.add_text_field("visibility", STRING | FAST),
        has_media: builder.add_bool_field("has_media", INDEXED),
        created_at: builder.add_i64_field("created_at_ms", INDEXED | STORED | FAST),
    };
    (builder.build(), fields)
}

/// Where a hit stands in its order: the next page starts after it.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct SortKey {
    /// Relevance with freshness, or the creation time (milliseconds).
    pub primary: f64,
    /// Breaks ties: equal keys would make a page boundary ambiguous.
    pub id: u64,
}

/// A post found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub author_id: String,
    /// The text, HTML-escaped, with the matches in `<mark>`.
    pub snippet: String,
    pub created_at_ms: i64,
    pub key: SortKey,
}

/// Which posts come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Best matches first, newer ones preferred ([`ranking::freshness`] at `now_ms`: kept in
    /// the cursor, so that the pages of one search rank alike).
    Relevance {
        now_ms: i64,
    },
    Newest,
}

/// Who may see which posts, decided by the caller: the authors to leave out (blocked either
/// way), and whose followers-only posts the viewer may see.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub hidden_authors: Vec<String>,
    pub followed_authors: Vec<String>,
}

/// A tag and the public posts that carry it (deleted ones may count until the index merges
/// their segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub tag: String,
    pub posts: u64,
}

pub struct PostIndex {
    reader: IndexReader,
    writer: std::sync::Mutex<IndexWriter>,
    fields: Fields,
}

/// The audience's rules in one segment's terms: the dictionary ordinals of the visibilities
/// and of the authors it names.
struct SegmentAudience {
    public: Option<u64>,
    followers: Option<u64>,
    hidden: HashSet<u64>,
    followed: HashSet<u64>,
}

impl SegmentAudience {
    fn new(
        visibility: &tantivy::columnar::StrColumn,
        author: &tantivy::columnar::StrColumn,
        audience: &Audience,
    ) -> std::io::Result<Self> {
        let ordinals = |values: &[String]| -> std::io::Result<HashSet<u64>> {
            values.iter().filter_map(|v| author.dictionary().term_ord(v).transpose()).collect()
        };
        Ok(SegmentAudience {
            public: visibility.dictionary().term_ord("public")?,
            followers: visibility.dictionary().term_ord("followers")?,
            hidden: ordinals(&audience.hidden_authors)?,
            followed: ordinals(&audience.followed_authors)?,
        })
    }

    /// Whether a post of this visibility and author may be shown (the rule of [`PostIndex::build`]).
    fn may_see(&self, visibility: Option<u64>, author: Option<u64>) -> bool {
        let by = |set: &HashSet<u64>| author.is_some_and(|a| set.contains(&a));
        let is = |wanted: Option<u64>| visibility.is_some() && visibility == wanted;
        !by(&self.hidden) && (is(self.public) || (is(self.followers) && by(&self.followed)))
    }
}

/// A key with its post, ordered by the key (keys are never NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Keyed(SortKey, DocAddress);

impl Eq for Keyed {}

impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.primary.total_cmp(&other.0.primary).then(self.0.id.cmp(&other.0.id))
    }
}

/// The `limit` greatest keys offered.
struct TopKeys {
    limit: usize,
    heap: BinaryHeap<Reverse<Keyed>>,
}

impl TopKeys {
    fn new(limit: usize) -> Self {
        TopKeys { limit, heap: BinaryHeap::with_capacity(limit + 1) }
    }

    fn offer(&mut self, key: SortKey, address: DocAddress) {
        if self.limit == 0 {
            return;
        }
        self.heap.push(Reverse(Keyed(key, address)));
        if self.heap.len() > self.limit {
            self.heap.pop();
        }
    }

    /// The lowest key a full page holds: what a newcomer must beat.
    fn lowest(&self) -> Option<f64> {
        (self.heap.len() == self.limit).then(|| self.heap.peek().map(|Reverse(k)| k.0.primary)).flatten()
    }

    fn into_sorted(self) -> Vec<(SortKey, DocAddress)> {
        let mut keys: Vec<Keyed> = self.heap.into_iter().map(|Reverse(k)| k).collect();
        keys.sort_unstable_by(|a, b| b.cmp(a));
        keys.into_iter().map(|Keyed(key, address)| (key, address)).collect()
    }
}

impl PostIndex {
    /// The index in `dir` (see [`super::open_dir`]).
    pub fn open(dir: &std::path::Path) -> anyhow::Result<(PostIndex, Opened)> {
        let (schema, fields) = schema();
        let (index, opened) = super::open_dir(dir, schema)?;
        Ok((Self::with(index, fields)?, opened))
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> tantivy::Result<PostIndex> {
        let (schema, fields) = schema();
        Self::with(Index::create_in_ram(schema), fields)
    }

    fn with(index: Index, fields: Fields) -> tantivy::Result<PostIndex> {
        super::register_analyzer(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer(50_000_000)?;
        Ok(PostIndex { reader, writer: std::sync::Mutex::new(writer), fields })
    }

    /// How many posts the index holds (as of the last commit).
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, post: &PostDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, post.id);
        doc.add_text(f.author, &post.author_id);
        match post.language.as_deref().and_then(analyzer::stemmer_of) {
            Some(language) => doc.add_pre_tokenized_text(
                f.text,
                PreTokenizedString { text: post.text.clone(), tokens: analyzer::tokens_in(language, &post.text) },
            ),
            None => doc.add_text(f.text, &post.text),
        }
        for tag in &post.tags {
            doc.add_text(f.tags, tag);
            if post.visibility == "public" {
                doc.add_text(f.public_tags, tag);
            }
        }
        if let Some(language) = &post.language {
            doc.add_text(f.language, language.to_ascii_lowercase());
        }
        doc.add_text(f.visibility, &post.visibility);
        doc.add_bool(f.has_media, post.has_media);
        doc.add_i64(f.created_at, post.created_at_ms);
        doc
    }

    /// Adds posts, replacing the earlier version of any already indexed; seen after `commit`.
    pub fn upsert(&self, posts: &[PostDoc]) -> tantivy::Result<()> {
        let writer = self.writer.lock().expect("not poisoned");
        for post in posts {
            writer.delete_term(Term::from_field_u64(self.fields.id, post.id));
            writer.add_document(self.document(post))?;
        }
        Ok(())
    }

    /// Removes a post; gone after `commit`.
    pub fn remove(&self, id: u64) {
        self.writer.lock().expect("not poisoned").delete_term(Term::from_field_u64(self.fields.id, id));
    }

    /// Makes what was written searchable.
    pub fn commit(&self) -> tantivy::Result<()> {
        self.writer.lock().expect("not poisoned").commit()?;
        self.reader.reload()
    }

    /// The posts `query` finds that `audience` may see, in `order`, after `after` (the key of
    /// the previous page's last hit), each with its text as an HTML snippet: escaped, the
    /// matches in `<mark>`.
    pub fn hits(
        &self,
        query: &Query,
        authors: &[String],
        audience: &Audience,
        order: Order,
        after: Option<SortKey>,
        limit: usize,
    ) -> tantivy::Result<Vec<Hit>> {
        let built = self.build(query, authors, audience);
        let searcher = self.reader.searcher();
        let mut snippets = tantivy::snippet::SnippetGenerator::create(&searcher, &built, self.fields.text)?;
        snippets.set_max_num_chars(280);
        let ranked = match (order, self.text_alone(query, authors)) {
            (Order::Relevance { now_ms }, Some(text)) => {
                self.ranked_by_text(&searcher, text.as_ref(), audience, now_ms, after, limit)?
            }
            _ => self.ranked(&searcher, &built, order, after, limit)?,
        };
        ranked
            .into_iter()
            .map(|(key, address)| {
                let doc: TantivyDocument = searcher.doc(address)?;
                let mut snippet = snippets.snippet_from_doc(&doc);
                snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
                let text = |field| doc.get_first(field).and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                let html = if snippet.is_empty() {
                    html_escape::encode_safe(&text(self.fields.text)).into_owned()
                } else {
                    snippet.to_html()
                };
                Ok(Hit {
                    id: key.id,
                    author_id: text(self.fields.author),
                    snippet: html,
                    created_at_ms: doc.get_first(self.fields.created_at).and_then(|v| v.as_i64()).unwrap_or_default(),
                    key,
                })
            })
            .collect()
    }

    /// The first `limit` matches of a query of words and phrases alone, by relevance, after
    /// `after`: the text query's own pruned pass (block-max WAND for one word: blocks whose best
    /// score cannot reach the page are skipped), the audience checked per candidate from fast
    /// fields instead of intersecting every match with the visibility lists. Exact, the same
    /// page as [`Self::ranked`]: a segment's posts are at most [`ranking::freshness`] of its
    /// newest post fresh, so a match scoring below the page's lowest key divided by that can
    /// never enter the page.
    fn ranked_by_text(
        &self,
        searcher: &tantivy::Searcher,
        text: &dyn TantivyQuery,
        audience: &Audience,
        now_ms: i64,
        after: Option<SortKey>,
        limit: usize,
    ) -> tantivy::Result<Vec<(SortKey, DocAddress)>> {
        let weight = text.weight(EnableScoring::enabled_from_searcher(searcher))?;
        let mut page = TopKeys::new(limit);
        for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
            let fast = segment.fast_fields();
            let columns = (fast.str("visibility")?, fast.str("author")?);
            let (Some(visibility), Some(author)) = columns else { continue };
            let ids = fast.u64("id")?.first_or_default_col(0);
            let created = fast.i64("created_at_ms")?;
            let freshest = ranking::freshness(now_ms - created.max_value());
            let created = created.first_or_default_col(0);
            let rules = SegmentAudience::new(&visibility, &author, audience)?;
            let alive = segment.alive_bitset();
            // Below this BM25 score a match cannot beat the page's lowest key (a hair lower than
            // exact, for the rounding to f32).
            let bound = |page: &TopKeys| page.lowest().map_or(Score::MIN, |low| (low / freshest * 0.999_999) as Score);
            let mut threshold = bound(&page);
            weight.for_each_pruning(threshold, segment, &mut |doc, score| {
                if alive.is_some_and(|a| a.is_deleted(doc))
                    || !rules.may_see(visibility.ords().first(doc), author.ords().first(doc))
                {
                    return threshold;
                }
                let primary = f64::from(score) * ranking::freshness(now_ms - created.get_val(doc));
                let key = SortKey { primary, id: ids.get_val(doc) };
                if after.is_none_or(|after| key < after) {
                    page.offer(key, DocAddress::new(ordinal as u32, doc));
                    threshold = bound(&page);
                }
                threshold
            })?;
        }
        Ok(page.into_sorted())
    }

    /// The query's words and phrases alone, when it has nothing else (no tags, people, dates,
    /// language, media or exclusions): what [`Self::ranked_by_text`] can rank.
    fn text_alone(&self, query: &Query, authors: &[String]) -> Option<Box<dyn TantivyQuery>> {
        let plain = query.exclude.is_empty()
            && query.tags.is_empty()
            && query.exclude_tags.is_empty()
            && authors.is_empty()
            && query.from.is_empty()
            && query.language.is_none()
            && !query.has_media
            && query.before_ms.is_none()
            && query.after_ms.is_none();
        if !plain {
            return None;
        }
        let mut texts: Vec<Box<dyn TantivyQuery>> = query
            .include
            .iter()
            .filter_map(|text| {
                let (Text::Word(t) | Text::Phrase(t)) = text;
                self.text_query(t, None)
            })
            .collect();
        match texts.len() {
            0 => None,
            1 => texts.pop(),
            _ => Some(Box::new(BooleanQuery::new(texts.into_iter().map(|q| (Occur::Must, q)).collect()))),
        }
    }

    /// The first `limit` matches in `order` that come after `after`. Every match gets a key
    /// (relevance × freshness, or creation time; then the id); those at or before `after` get
    /// one below every real key and are dropped, so a page never repeats an earlier one.
    fn ranked(
        &self,
        searcher: &tantivy::Searcher,
        built: &BooleanQuery,
        order: Order,
        after: Option<SortKey>,
        limit: usize,
    ) -> tantivy::Result<Vec<(SortKey, DocAddress)>> {
        const BEFORE_EVERYTHING: SortKey = SortKey { primary: f64::NEG_INFINITY, id: 0 };
        let keyed = TopDocs::with_limit(limit).tweak_score(move |segment: &SegmentReader| {
            let fast = segment.fast_fields();
            let ids = fast.u64("id").ok().map(|c| c.first_or_default_col(0));
            let created = fast.i64("created_at_ms").ok().map(|c| c.first_or_default_col(0));
            move |doc: DocId, score: Score| {
                let id = ids.as_ref().map_or(0, |c| c.get_val(doc));
                let created_at_ms = created.as_ref().map_or(0, |c| c.get_val(doc));
                let primary = match order {
                    Order::Relevance { now_ms } => f64::from(score) * ranking::freshness(now_ms - created_at_ms),
                    Order::Newest => created_at_ms as f64,
                };
                let key = SortKey { primary, id };
                if after.is_some_and(|after| key >= after) { BEFORE_EVERYTHING } else { key }
            }
        });
        let mut found = searcher.search(built, &keyed)?;
        found.retain(|(key, _)| key.primary > f64::NEG_INFINITY);
        Ok(found)
    }

    /// The tags of public posts that start with `prefix` (normalized), the most used first.
    pub fn tags(&self, prefix: &str, limit: usize) -> tantivy::Result<Vec<TagCount>> {
        let searcher = self.reader.searcher();
        let mut counts: HashMap<String, u64> = HashMap::new();
        for segment in searcher.segment_readers() {
            let terms = segment.inverted_index(self.fields.public_tags)?;
            let mut stream = terms.terms().range().ge(prefix.as_bytes()).into_stream()?;
            while stream.advance() {
                let Ok(tag) = std::str::from_utf8(stream.key()) else { continue };
                if !tag.starts_with(prefix) {
                    break;
                }
                *counts.entry(tag.to_owned()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
        let mut tags: Vec<TagCount> = counts.into_iter().map(|(tag, posts)| TagCount { tag, posts }).collect();
        tags.sort_unstable_by(|a, b| b.posts.cmp(&a.posts).then_with(|| a.tag.cmp(&b.tag)));
        tags.truncate(limit);
        Ok(tags)
    }

    /// `text` analyzed as a query (with the stemmer of `lang:`, where it has one): one term, a
    /// phrase of its terms at their positions, or nothing (only punctuation).
    fn text_query(&self, text: &str, language: Option<&str>) -> Option<Box<dyn TantivyQuery>> {
        let terms = match language.and_then(analyzer::stemmer_of) {
            Some(language) => analyzer::terms_in(Mode::Query, language, text),
            None => analyzer::terms(Mode::Query, text),
        };
        let first = terms.first()?.0;
        let mut terms: Vec<(usize, Term)> =
            terms.into_iter().map(|(p, t)| (p - first, Term::from_field_text(self.fields.text, &t))).collect();
        Some(if terms.len() == 1 {
            Box::new(TermQuery::new(terms.remove(0).1, IndexRecordOption::WithFreqs))
        } else {
            Box::new(PhraseQuery::new_with_offset(terms))
        })
    }

    fn term(&self, field: Field, value: &str) -> Box<dyn TantivyQuery> {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
    }

    fn any_of(&self, field: Field, values: &[String]) -> Box<dyn TantivyQuery> {
        Box::new(BooleanQuery::new(values.iter().map(|v| (Occur::Should, self.term(field, v))).collect()))
    }

    /// `authors` are the ids of the `from:` people (resolved by the caller), in order.
    fn build(&self, query: &Query, authors: &[String], audience: &Audience) -> BooleanQuery {
        let f = self.fields;
        // Filters decide what is found, not how well it matches: they score nothing.
        let filter = |q: Box<dyn TantivyQuery>| -> Box<dyn TantivyQuery> { Box::new(ConstScoreQuery::new(q, 0.0)) };
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        for text in &query.include {
            let (Text::Word(t) | Text::Phrase(t)) = text;
            if let Some(q) = self.text_query(t, query.language.as_deref()) {
                clauses.push((Occur::Must, q));
            }
        }
        for text in &query.exclude {
            let (Text::Word(t) | Text::Phrase(t)) = text;
            if let Some(q) = self.text_query(t, query.language.as_deref()) {
                clauses.push((Occur::MustNot, q));
            }
        }
        for tag in &query.tags {
            clauses.push((Occur::Must, self.term(f.tags, tag)));
        }
        for tag in &query.exclude_tags {
            clauses.push((Occur::MustNot, self.term(f.tags, tag)));
        }
        if !authors.is_empty() {
            clauses.push((Occur::Must, filter(self.any_of(f.author, authors))));
        }
        if let Some(language) = &query.language {
            clauses.push((Occur::Must, filter(self.term(f.language, language))));
        }
        if query.has_media {
            let media = TermQuery::new(Term::from_field_bool(f.has_media, true), IndexRecordOption::Basic);
            clauses.push((Occur::Must, filter(Box::new(media))));
        }
        if query.before_ms.is_some() || query.after_ms.is_some() {
            let lower =
                query.after_ms.map_or(Bound::Unbounded, |ms| Bound::Included(Term::from_field_i64(f.created_at, ms)));
            let upper =
                query.before_ms.map_or(Bound::Unbounded, |ms| Bound::Excluded(Term::from_field_i64(f.created_at, ms)));
            clauses.push((Occur::Must, filter(Box::new(RangeQuery::new(lower, upper)))));
        }
        // Public posts, and followers-only posts of the people the viewer follows.
        let mut visible = vec![(Occur::Should, self.term(f.visibility, "public"))];
        if !audience.followed_authors.is_empty() {
            let followers_only = BooleanQuery::new(vec![
                (Occur::Must, self.term(f.visibility, "followers")),
                (Occur::Must, self.any_of(f.author, &audience.followed_authors)),
            ]);
            visible.push((Occur::Should, Box::new(followers_only)));
        }
        clauses.push((Occur::Must, filter(Box::new(BooleanQuery::new(visible)))));
        for hidden in &audience.hidden_authors {
            clauses.push((Occur::MustNot, self.term(f.author, hidden)));
        }
        BooleanQuery::new(clauses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::parse;

    fn post(id: u64, text: &str) -> PostDoc {
        PostDoc {
            id,
            author_id: "ada".into(),
            text: text.into(),
            tags: text::extract(text).tags,
            language: None,
            visibility: "public".into(),
            has_media: false,
            created_at_ms: 1_767_225_600_000 + id as i64 * 86_400_000,
        }
    }

    fn index(posts: &[PostDoc]) -> PostIndex {
        let index = PostIndex::in_memory().unwrap();
        index.upsert(posts).unwrap();
        index.commit().unwrap();
        index
    }

    /// The ids of what `query` finds, in the index's order.
    const RELEVANCE: Order = Order::Relevance { now_ms: 1_767_225_600_000 };

    fn ids(index: &PostIndex, query: &Query, authors: &[String], audience: &Audience, order: Order) -> Vec<u64> {
        index.hits(query, authors, audience, order, None, 100).unwrap().into_iter().map(|h| h.id).collect()
    }

    fn found(index: &PostIndex, q: &str) -> Vec<u64> {
        let mut ids = ids(index, &parse(q).unwrap(), &[], &Audience::default(), RELEVANCE);
        ids.sort_unstable();
        ids
    }

    #[test]
    fn a_chinese_word_finds_the_word_and_not_its_characters_apart() {
        let index = index(&[
            post(1, "我在北京大学读书"),
            post(2, "我去过北京。后来上了大学。"),
            post(3, "热力学第二定律"),
            post(4, "天气很热，用力学习"),
            post(5, "熱力学の法則"),
            post(6, "熱い。力を出して学ぶ"),
        ]);
        assert_eq!(found(&index, "北京大学"), [1]);
        assert_eq!(found(&index, "北京"), [1, 2], "a word inside a longer one is found too");
        assert_eq!(found(&index, "热力学"), [3]);
        assert_eq!(found(&index, "熱力学"), [5]);
    }

    #[test]
    fn english_stems_phrases_and_mixed_text() {
        let index = index(&[
            post(1, "I run every morning"),
            post(2, "Running the sorted set benchmark in Rust"),
            post(3, "a set that is sorted"),
            post(4, "用 Rust 写搜索引擎"),
        ]);
        assert_eq!(found(&index, "running"), [1, 2]);
        assert_eq!(found(&index, "\"sorted set\""), [2]);
        assert_eq!(found(&index, "rust 搜索"), [4]);
        assert_eq!(found(&index, "rust -搜索"), [2]);
    }

    #[test]
    fn snippets_are_escaped_with_the_matches_marked() {
        let index = index(&[post(1, "<script>alert(1)</script> Running in 北京大学")]);
        let hits = index.hits(&parse("run 北京大学").unwrap(), &[], &Audience::default(), RELEVANCE, None, 10).unwrap();
        assert_eq!(hits.len(), 1);
        let html = &hits[0].snippet;
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
        assert!(html.contains("<mark>Running</mark>") && html.contains("<mark>北京大学</mark>"), "{html}");
    }

    #[test]
    fn filters_and_visibility() {
        let mut posts = vec![post(1, "rust #Release notes"), post(2, "rust chat"), post(3, "rust for followers")];
        posts[1].language = Some("EN".into());
        posts[1].has_media = true;
        posts[2].visibility = "followers".into();
        posts[2].author_id = "bob".into();
        let index = index(&posts);
        assert_eq!(found(&index, "#release"), [1]);
        assert_eq!(found(&index, "rust lang:en has:media"), [2]);
        assert_eq!(found(&index, "rust before:2026-01-03"), [1], "created on day 2");
        assert_eq!(found(&index, "rust after:2026-01-02"), [2], "day 3 on; day 4 is followers-only");
        let query = parse("rust").unwrap();
        let follower = Audience { followed_authors: vec!["bob".into()], ..Audience::default() };
        let mut seen = ids(&index, &query, &[], &follower, Order::Newest);
        assert_eq!(seen, [3, 2, 1], "a follower sees it, newest first");
        let blocked = Audience { hidden_authors: vec!["ada".into()], ..follower };
        seen = ids(&index, &query, &[], &blocked, Order::Newest);
        assert_eq!(seen, [3]);
        assert_eq!(
            ids(&index, &parse("rust").unwrap(), &["bob".into()], &Audience::default(), Order::Newest),
            Vec::<u64>::new()
        );
        index.remove(1);
        index.commit().unwrap();
        assert_eq!(found(&index, "#release"), Vec::<u64>::new());
    }

    #[test]
    fn the_language_of_a_post_picks_its_stemmer() {
        let mut spanish = post(1, "Estamos corriendo");
        spanish.language = Some("es".into());
        let index = index(&[spanish, post(2, "corremos")]);
        assert_eq!(found(&index, "corriendo"), [1], "English analysis finds it as before");
        assert_eq!(found(&index, "corremos lang:es"), [1], "the Spanish stem finds another form");
        assert_eq!(found(&index, "corremos"), [2], "without lang:, English stems only");
    }

    #[test]
    fn pages_follow_one_another_without_repeats_or_gaps() {
        let posts: Vec<PostDoc> =
            (1..=25).map(|id| post(id, &format!("rust {}", "notes ".repeat(id as usize % 4)))).collect();
        let index = index(&posts);
        let query = parse("rust").unwrap();
        for order in [RELEVANCE, Order::Newest] {
            let (mut seen, mut after) = (Vec::new(), None);
            loop {
                let page = index.hits(&query, &[], &Audience::default(), order, after, 7).unwrap();
                let Some(last) = page.last() else { break };
                after = Some(last.key);
                seen.extend(page.iter().map(|h| h.id));
            }
            assert_eq!(seen.len(), 25, "{order:?}: {seen:?}");
            let mut unique = seen.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), 25, "{order:?}: no post twice");
            if order == Order::Newest {
                assert_eq!(seen, (1..=25).rev().collect::<Vec<u64>>());
            }
        }
    }

    #[test]
    fn of_two_equal_matches_the_newer_ranks_first() {
        let index = index(&[post(1, "sorted sets"), post(9, "sorted sets")]);
        let now = Order::Relevance { now_ms: 1_767_225_600_000 + 10 * 86_400_000 };
        assert_eq!(ids(&index, &parse("sorted").unwrap(), &[], &Audience::default(), now), [9, 1]);
    }

    #[test]
    fn tags_of_public_posts_are_suggested_by_prefix_most_used_first() {
        let mut posts = vec![post(1, "#rust #rustlang"), post(2, "#rust"), post(3, "#ruby"), post(4, "#rustacean")];
        posts[3].visibility = "followers".into();
        let index = index(&posts);
        let tags = index.tags("rus", 10).unwrap();
        let found: Vec<(&str, u64)> = tags.iter().map(|t| (t.tag.as_str(), t.posts)).collect();
        assert_eq!(found, [("rust", 2), ("rustlang", 1)], "followers-only tags are not suggested");
        assert_eq!(index.tags("ru", 1).unwrap()[0].tag, "rust");
    }

    /// The pruned relevance path and the general one rank every query of words and phrases
    /// alike, page by page, for any audience: the first is an optimization, not a new rule.
    mod pruned_and_general_agree {
        use proptest::prelude::*;

        use super::*;

        const WORDS: [&str; 6] = ["river", "stone", "light", "cloud", "green", "quiet"];
        const VISIBILITIES: [&str; 3] = ["public", "followers", "unlisted"];
        const AUTHORS: [&str; 4] = ["ada", "bob", "cy", "dee"];

        fn corpus() -> impl Strategy<Value = Vec<PostDoc>> {
            let post = (prop::collection::vec(0..WORDS.len(), 1..12), 0..3usize, 0..4usize, 0..400i64);
            prop::collection::vec(post, 1..120).prop_map(|posts| {
                posts
                    .into_iter()
                    .enumerate()
                    .map(|(n, (words, visibility, author, age_days))| PostDoc {
                        id: n as u64 + 1,
                        author_id: AUTHORS[author].into(),
                        text: words.iter().map(|w| WORDS[*w]).collect::<Vec<_>>().join(" "),
                        tags: Vec::new(),
                        language: None,
                        visibility: VISIBILITIES[visibility].into(),
                        has_media: false,
                        created_at_ms: RELEVANCE_NOW - age_days * 86_400_000,
                    })
                    .collect()
            })
        }

        const RELEVANCE_NOW: i64 = 1_767_225_600_000;

        fn pages(index: &PostIndex, query: &Query, audience: &Audience, pruned: bool) -> Vec<u64> {
            let searcher = index.reader.searcher();
            let built = index.build(query, &[], audience);
            let (mut all, mut after) = (Vec::new(), None);
            loop {
                let page = if pruned {
                    let text = index.text_alone(query, &[]).expect("words and phrases alone");
                    index.ranked_by_text(&searcher, text.as_ref(), audience, RELEVANCE_NOW, after, 7).unwrap()
                } else {
                    index.ranked(&searcher, &built, Order::Relevance { now_ms: RELEVANCE_NOW }, after, 7).unwrap()
                };
                let Some((last, _)) = page.last() else { return all };
                after = Some(*last);
                all.extend(page.iter().map(|(key, _)| key.id));
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            #[test]
            fn on_any_corpus(
                posts in corpus(),
                // Segments: the corpus is committed in this many parts.
                parts in 1..4usize,
                word in 0..WORDS.len(),
                second in prop::option::of(0..WORDS.len()),
                phrase in any::<bool>(),
                viewer_follows in prop::collection::vec(0..AUTHORS.len(), 0..3),
                hidden in prop::option::of(0..AUTHORS.len()),
                deleted in prop::collection::vec(1..120u64, 0..10),
            ) {
                let index = PostIndex::in_memory().unwrap();
                for chunk in posts.chunks(posts.len().div_ceil(parts)) {
                    index.upsert(chunk).unwrap();
                    index.commit().unwrap();
                }
                for id in deleted {
                    index.remove(id);
                }
                index.commit().unwrap();
                let q = match (second, phrase) {
                    (Some(second), true) => format!("\"{} {}\"", WORDS[word], WORDS[second]),
                    (Some(second), false) => format!("{} {}", WORDS[word], WORDS[second]),
                    (None, _) => WORDS[word].to_owned(),
                };
                let query = parse(&q).unwrap();
                let audience = Audience {
                    hidden_authors: hidden.map(|h| AUTHORS[h].to_owned()).into_iter().collect(),
                    followed_authors: viewer_follows.iter().map(|a| AUTHORS[*a].to_owned()).collect(),
                };
                prop_assert_eq!(pages(&index, &query, &audience, true), pages(&index, &query, &audience, false), "{}", q);
            }
        }
    }
}
