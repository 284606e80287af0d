//! The people index: one document per active account (username, display name, bio, followers),
//! for people search and the composer's `@` completion.

use std::ops::Bound;

use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, TantivyDocument, Term,
    collector::TopDocs,
    query::{BooleanQuery, Occur, Query as TantivyQuery, RangeQuery, TermQuery},
    schema::{FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value},
    tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer},
};

use super::{ANALYZER, Opened};
use crate::domain::analyzer::{self, Mode};

/// The analyzer of name words for completion: whole words, lowercased and folded, unstemmed (a
/// prefix of a stem is no prefix of what was typed).
const NAME_WORDS: &str = "name_words";

/// A person as the index keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDoc {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub followers: u64,
}

/// A person found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonHit {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub followers: u64,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    /// Lowercased, whole: completion by prefix.
    username: Field,
    /// The display name's words, for completion by prefix.
    name_words: Field,
    /// Username, display name and bio analyzed like posts: people search.
    words: Field,
    display_name: Field,
    followers: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analyzed = |tokenizer| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        username: builder.add_text_field("username", STRING | STORED),
        name_words: builder.add_text_field("name_words", analyzed(NAME_WORDS)),
        words: builder.add_text_field("words", analyzed(ANALYZER)),
        display_name: builder.add_text_field("display_name", STORED),
        followers: builder.add_u64_field("followers", FAST | STORED),
    };
    (builder.build(), fields)
}

pub struct PeopleIndex {
    reader: IndexReader,
    writer: std::sync::Mutex<IndexWriter>,
    fields: Fields,
}

impl PeopleIndex {
    /// The index in `dir` (see [`super::open_dir`]).
    pub fn open(dir: &std::path::Path) -> anyhow::Result<(PeopleIndex, Opened)> {
        let (schema, fields) = schema();
        let (index, opened) = super::open_dir(dir, schema)?;
        Ok((Self::with(index, fields)?, opened))
    }

    /// An index in memory (tests).
    pub fn in_memory() -> tantivy::Result<PeopleIndex> {
        let (schema, fields) = schema();
        Self::with(Index::create_in_ram(schema), fields)
    }

    fn with(index: Index, fields: Fields) -> tantivy::Result<PeopleIndex> {
        super::register_analyzer(&index);
        let name_words =
            TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build();
        index.tokenizers().register(NAME_WORDS, name_words);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer(15_000_000)?;
        Ok(PeopleIndex { reader, writer: std::sync::Mutex::new(writer), fields })
    }

    /// Adds or replaces a person; seen after `commit`.
    pub fn upsert(&self, person: &PersonDoc) -> tantivy::Result<()> {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &person.id);
        doc.add_text(f.username, person.username.to_lowercase());
        doc.add_text(f.name_words, &person.display_name);
        doc.add_text(f.words, format!("{} {} {}", person.username, person.display_name, person.bio));
        doc.add_text(f.display_name, &person.display_name);
        doc.add_u64(f.followers, person.followers);
        let writer = self.writer.lock().expect("not poisoned");
        writer.delete_term(Term::from_field_text(f.id, &person.id));
        writer.add_document(doc)?;
        Ok(())
    }

    /// Removes a person (suspended, deleted); gone after `commit`.
    pub fn remove(&self, id: &str) {
        self.writer.lock().expect("not poisoned").delete_term(Term::from_field_text(self.fields.id, id));
    }

    /// Makes what was written searchable.
    pub fn commit(&self) -> tantivy::Result<()> {
        self.writer.lock().expect("not poisoned").commit()?;
        self.reader.reload()
    }

    /// People whose username, name or bio hold every word of `text`, the best matches first
    /// (relevance, then more followers); none of `hidden`.
    pub fn search(&self, text: &str, hidden: &[String], limit: usize) -> tantivy::Result<Vec<PersonHit>> {
        let terms = analyzer::terms(Mode::Query, text);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = terms
            .into_iter()
            .map(|(_, t)| {
                let query = TermQuery::new(Term::from_field_text(self.fields.words, &t), IndexRecordOption::WithFreqs);
                (Occur::Must, Box::new(query) as Box<dyn TantivyQuery>)
            })
            .collect();
        self.hide(&mut clauses, hidden);
        let popular = TopDocs::with_limit(limit).tweak_score(|segment: &SegmentReader| {
            let followers = segment.fast_fields().u64("followers").ok().map(|c| c.first_or_default_col(0));
            move |doc: DocId, score: Score| {
                let followers = followers.as_ref().map_or(0, |c| c.get_val(doc));
                f64::from(score) * ((2 + followers) as f64).log2()
            }
        });
        let found = self.reader.searcher().search(&BooleanQuery::new(clauses), &popular)?;
        self.people(found.into_iter().map(|(_, a)| a))
    }

    /// People whose username or a word of whose name starts with `prefix`, those with the most
    /// followers first; none of `hidden`.
    pub fn complete(&self, prefix: &str, hidden: &[String], limit: usize) -> tantivy::Result<Vec<PersonHit>> {
        let prefix = prefix.to_lowercase();
        if prefix.is_empty() {
            return Ok(Vec::new());
        }
        let starts_with = |field: Field| -> Box<dyn TantivyQuery> {
            let mut end = prefix.clone();
            end.push(char::MAX);
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_text(field, &prefix)),
                Bound::Excluded(Term::from_field_text(field, &end)),
            ))
        };
        let either = BooleanQuery::new(vec![
            (Occur::Should, starts_with(self.fields.username)),
            (Occur::Should, starts_with(self.fields.name_words)),
        ]);
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = vec![(Occur::Must, Box::new(either))];
        self.hide(&mut clauses, hidden);
        let collector = TopDocs::with_limit(limit).order_by_fast_field::<u64>("followers", tantivy::Order::Desc);
        let found = self.reader.searcher().search(&BooleanQuery::new(clauses), &collector)?;
        self.people(found.into_iter().map(|(_, a)| a))
    }

    fn hide(&self, clauses: &mut Vec<(Occur, Box<dyn TantivyQuery>)>, hidden: &[String]) {
        for id in hidden {
            let term = TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic);
            clauses.push((Occur::MustNot, Box::new(term)));
        }
    }

    fn people(&self, addresses: impl Iterator<Item = tantivy::DocAddress>) -> tantivy::Result<Vec<PersonHit>> {
        let searcher = self.reader.searcher();
        addresses
            .map(|address| {
                let doc: TantivyDocument = searcher.doc(address)?;
                let text = |field| doc.get_first(field).and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                Ok(PersonHit {
                    id: text(self.fields.id),
                    username: text(self.fields.username),
                    display_name: text(self.fields.display_name),
                    followers: doc.get_first(self.fields.followers).and_then(|v| v.as_u64()).unwrap_or_default(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, username: &str, display_name: &str, bio: &str, followers: u64) -> PersonDoc {
        PersonDoc {
            id: id.into(),
            username: username.into(),
            display_name: display_name.into(),
            bio: bio.into(),
            followers,
        }
    }

    fn index() -> PeopleIndex {
        let index = PeopleIndex::in_memory().unwrap();
        for p in [
            person("1", "Ada", "Ada Lovelace", "I write programs for the analytical engine", 10),
            person("2", "adam", "Adam Smith", "economist", 500),
            person("3", "wang", "王小明", "我在北京大学研究热力学", 3),
            person("4", "zed", "Zed Adams", "", 0),
        ] {
            index.upsert(&p).unwrap();
        }
        index.commit().unwrap();
        index
    }

    fn usernames(hits: Vec<PersonHit>) -> Vec<String> {
        hits.into_iter().map(|h| h.username).collect()
    }

    #[test]
    fn completion_by_username_or_name_word_most_followed_first() {
        let index = index();
        assert_eq!(usernames(index.complete("ad", &[], 10).unwrap()), ["adam", "ada", "zed"]);
        assert_eq!(usernames(index.complete("LOVE", &[], 10).unwrap()), ["ada"]);
        assert_eq!(usernames(index.complete("王", &[], 10).unwrap()), ["wang"]);
        assert_eq!(usernames(index.complete("ad", &["2".into()], 10).unwrap()), ["ada", "zed"], "hidden");
    }

    #[test]
    fn search_finds_words_of_names_and_bios_in_both_languages() {
        let index = index();
        assert_eq!(usernames(index.search("program engine", &[], 10).unwrap()), ["ada"], "stemmed");
        assert_eq!(usernames(index.search("热力学", &[], 10).unwrap()), ["wang"]);
        assert_eq!(usernames(index.search("北京", &[], 10).unwrap()), ["wang"]);
        assert!(index.search("economist engine", &[], 10).unwrap().is_empty(), "every word must match");
        index.remove("3");
        index.commit().unwrap();
        assert!(index.search("热力学", &[], 10).unwrap().is_empty());
    }
}
