//! The posts index (tantivy): one document per post, upserted by id, and a [`Query`] made
//! into tantivy's queries with the same analysis the text was indexed with.

use std::ops::Bound;

use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
    collector::TopDocs,
    query::{AllQuery, BooleanQuery, Occur, PhraseQuery, Query as TantivyQuery, RangeQuery, TermQuery},
    schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value},
};

use crate::domain::{
    analyzer::{self, Mode},
    query::{Query, Text},
};

/// The name the post text's analyzer is registered under.
const ANALYZER: &str = "riffle";

/// A post as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostDoc {
    pub id: u64,
    pub author_id: String,
    pub text: String,
    pub tags: Vec<String>,
    pub language: Option<String>,
    /// `public`, `followers` (what the author's followers see) or `direct`.
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
        author: builder.add_text_field("author", STRING | STORED),
        text: builder.add_text_field("text", text),
        tags: builder.add_text_field("tags", STRING),
        language: builder.add_text_field("language", STRING),
        visibility: builder.add_text_field("visibility", STRING),
        has_media: builder.add_bool_field("has_media", INDEXED),
        created_at: builder.add_i64_field("created_at_ms", INDEXED | FAST),
    };
    (builder.build(), fields)
}

/// A post found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub id: u64,
    pub author_id: String,
    /// The text, HTML-escaped, with the matches in `<mark>`.
    pub snippet: String,
    pub created_at_ms: i64,
}

/// Which posts come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    Newest,
}

/// Who may see which posts, decided by the caller: the authors to leave out (blocked either
/// way), and whose followers-only posts the viewer may see.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub hidden_authors: Vec<String>,
    pub followed_authors: Vec<String>,
}

pub struct PostIndex {
    reader: IndexReader,
    writer: std::sync::Mutex<IndexWriter>,
    fields: Fields,
}

impl PostIndex {
    /// The index in `dir`, created when there is none. One that cannot be opened (damaged, or
    /// of another schema) is set aside and an empty one made: never served broken.
    pub fn open(dir: &std::path::Path) -> anyhow::Result<PostIndex> {
        let (schema, fields) = schema();
        std::fs::create_dir_all(dir)?;
        let opened = tantivy::directory::MmapDirectory::open(dir)
            .map_err(anyhow::Error::from)
            .and_then(|d| Ok(Index::open_or_create(d, schema.clone())?));
        let index = match opened {
            Ok(index) => index,
            Err(err) => {
                let aside = dir.with_extension(format!("damaged-{}", std::process::id()));
                tracing::error!(error = format!("{err:#}"), dir = %dir.display(), aside = %aside.display(),
                    "the search index cannot be opened; set aside, starting an empty one");
                std::fs::rename(dir, &aside)?;
                std::fs::create_dir_all(dir)?;
                Index::create_in_dir(dir, schema)?
            }
        };
        Ok(Self::with(index, fields)?)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> tantivy::Result<PostIndex> {
        let (schema, fields) = schema();
        Self::with(Index::create_in_ram(schema), fields)
    }

    fn with(index: Index, fields: Fields) -> tantivy::Result<PostIndex> {
        index.tokenizers().register(ANALYZER, analyzer::analyzer(Mode::Index));
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer(50_000_000)?;
        Ok(PostIndex { reader, writer: std::sync::Mutex::new(writer), fields })
    }

    fn document(&self, post: &PostDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, post.id);
        doc.add_text(f.author, &post.author_id);
        doc.add_text(f.text, &post.text);
        for tag in &post.tags {
            doc.add_text(f.tags, tag);
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

    /// The posts `query` finds that `audience` may see, best or newest first, each with its
    /// text as an HTML snippet: escaped, the matches in `<mark>`.
    pub fn hits(
        &self,
        query: &Query,
        authors: &[String],
        audience: &Audience,
        sort: Sort,
        limit: usize,
    ) -> tantivy::Result<Vec<Hit>> {
        let built = self.build(query, authors, audience);
        let searcher = self.reader.searcher();
        let mut snippets = tantivy::snippet::SnippetGenerator::create(&searcher, &built, self.fields.text)?;
        snippets.set_max_num_chars(280);
        self.addresses(&searcher, &built, sort, limit)?
            .into_iter()
            .map(|address| {
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
                    id: doc.get_first(self.fields.id).and_then(|v| v.as_u64()).unwrap_or_default(),
                    author_id: text(self.fields.author),
                    snippet: html,
                    created_at_ms: doc.get_first(self.fields.created_at).and_then(|v| v.as_i64()).unwrap_or_default(),
                })
            })
            .collect()
    }

    fn addresses(
        &self,
        searcher: &tantivy::Searcher,
        built: &BooleanQuery,
        sort: Sort,
        limit: usize,
    ) -> tantivy::Result<Vec<DocAddress>> {
        Ok(match sort {
            Sort::Relevance => searcher
                .search(built, &TopDocs::with_limit(limit).order_by_score())?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            Sort::Newest => searcher
                .search(built, &TopDocs::with_limit(limit).order_by_fast_field::<i64>("created_at_ms", Order::Desc))?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
        })
    }

    /// `text` analyzed as a query: one term, a phrase of its terms at their positions, or
    /// nothing (only punctuation).
    fn text_query(&self, text: &str) -> Option<Box<dyn TantivyQuery>> {
        let terms = analyzer::terms(Mode::Query, text);
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
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = vec![(Occur::Must, Box::new(AllQuery))];
        for text in &query.include {
            let (Text::Word(t) | Text::Phrase(t)) = text;
            if let Some(q) = self.text_query(t) {
                clauses.push((Occur::Must, q));
            }
        }
        for text in &query.exclude {
            let (Text::Word(t) | Text::Phrase(t)) = text;
            if let Some(q) = self.text_query(t) {
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
            clauses.push((Occur::Must, self.any_of(f.author, authors)));
        }
        if let Some(language) = &query.language {
            clauses.push((Occur::Must, self.term(f.language, language)));
        }
        if query.has_media {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_bool(f.has_media, true), IndexRecordOption::Basic)),
            ));
        }
        if query.before_ms.is_some() || query.after_ms.is_some() {
            let lower =
                query.after_ms.map_or(Bound::Unbounded, |ms| Bound::Included(Term::from_field_i64(f.created_at, ms)));
            let upper =
                query.before_ms.map_or(Bound::Unbounded, |ms| Bound::Excluded(Term::from_field_i64(f.created_at, ms)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
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
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(visible))));
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
    fn ids(index: &PostIndex, query: &Query, authors: &[String], audience: &Audience, sort: Sort) -> Vec<u64> {
        index.hits(query, authors, audience, sort, 100).unwrap().into_iter().map(|h| h.id).collect()
    }

    fn found(index: &PostIndex, q: &str) -> Vec<u64> {
        let mut ids = ids(index, &parse(q).unwrap(), &[], &Audience::default(), Sort::Relevance);
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
        let hits = index.hits(&parse("run 北京大学").unwrap(), &[], &Audience::default(), Sort::Relevance, 10).unwrap();
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
        let mut seen = ids(&index, &query, &[], &follower, Sort::Newest);
        assert_eq!(seen, [3, 2, 1], "a follower sees it, newest first");
        let blocked = Audience { hidden_authors: vec!["ada".into()], ..follower };
        seen = ids(&index, &query, &[], &blocked, Sort::Newest);
        assert_eq!(seen, [3]);
        assert_eq!(
            ids(&index, &parse("rust").unwrap(), &["bob".into()], &Audience::default(), Sort::Newest),
            Vec::<u64>::new()
        );
        index.remove(1);
        index.commit().unwrap();
        assert_eq!(found(&index, "#release"), Vec::<u64>::new());
    }
}
