//! Streams as feeds for feed readers: one [`Channel`] rendered as Atom 1.0, RSS 2.0 or JSON
//! Feed 1.1. Post text is plain text, so every format carries it HTML-escaped (never as markup
//! of its own); media go out as enclosures (Atom `rel=enclosure`, the first as RSS's one
//! `<enclosure>`, JSON Feed `attachments`).

use atom_syndication as atom;
use serde::Serialize;
use time::{
    OffsetDateTime,
    format_description::well_known::{Rfc2822, Rfc3339},
};

/// The formats a feed is served in, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Atom,
    Rss,
    Json,
}

impl Format {
    /// The format a feed's file extension names (`atom`, `rss`, `json`).
    pub fn from_extension(extension: &str) -> Option<Format> {
        match extension {
            "atom" => Some(Format::Atom),
            "rss" => Some(Format::Rss),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// A feed: what it is, where it is, and a page of its posts, newest first.
#[derive(Debug, Clone)]
pub struct Channel {
    pub title: String,
    pub description: String,
    /// The feed's own address (this page).
    pub self_url: String,
    /// The address of its first page: the feed's identity.
    pub feed_url: String,
    /// Where people read the same stream.
    pub home_page_url: String,
    /// The next (older) page, when there is one.
    pub next_url: Option<String>,
    /// When the newest post was written (the feed's last change).
    pub updated: OffsetDateTime,
    pub items: Vec<Item>,
}

/// One post in a feed.
#[derive(Debug, Clone)]
pub struct Item {
    /// A permanent id (the post's URL).
    pub id: String,
    pub url: String,
    pub text: String,
    pub author_name: String,
    pub author_url: String,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub published: OffsetDateTime,
    pub enclosures: Vec<Enclosure>,
}

/// A medium attached to a post.
#[derive(Debug, Clone)]
pub struct Enclosure {
    pub url: String,
    pub mime: String,
    pub size: i64,
}

/// The longest item title, in characters: the post's first line, shortened.
const TITLE_CHARS: usize = 80;

impl Item {
    /// The title readers list the item under: its first line, shortened with `…`.
    pub fn title(&self) -> String {
        let line = self.text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
        if line.chars().count() <= TITLE_CHARS {
            return line.to_owned();
        }
        let mut short: String = line.chars().take(TITLE_CHARS - 1).collect();
        short.push('…');
        short
    }

    /// The text as HTML: escaped, paragraphs kept, lines broken where the author broke them.
    pub fn html(&self) -> String {
        self.text
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| format!("<p>{}</p>", html_escape::encode_text(p).replace('\n', "<br>")))
            .collect()
    }
}

/// `channel` in `format`.
pub fn render(channel: &Channel, format: Format) -> String {
    match format {
        Format::Atom => atom_feed(channel),
        Format::Rss => rss_feed(channel),
        Format::Json => json_feed(channel),
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn atom_time(at: OffsetDateTime) -> atom::FixedDateTime {
    atom::FixedDateTime::parse_from_rfc3339(&rfc3339(at)).unwrap_or_default()
}

fn atom_link(href: &str, rel: &str, mime: Option<&str>) -> atom::Link {
    atom::LinkBuilder::default().href(href.to_owned()).rel(rel.to_owned()).mime_type(mime.map(str::to_owned)).build()
}

fn atom_feed(channel: &Channel) -> String {
    let mut links = vec![
        atom_link(&channel.self_url, "self", Some("application/atom+xml")),
        atom_link(&channel.home_page_url, "alternate", None),
    ];
    links.extend(channel.next_url.iter().map(|next| atom_link(next, "next", Some("application/atom+xml"))));
    let entries: Vec<atom::Entry> = channel
        .items
        .iter()
        .map(|item| {
            let mut links = vec![atom_link(&item.url, "alternate", None)];
            links.extend(item.enclosures.iter().map(|e| {
                let mut link = atom_link(&e.url, "enclosure", Some(&e.mime));
                link.set_length(Some(e.size.to_string()));
                link
            }));
            atom::EntryBuilder::default()
                .id(item.id.clone())
                .title(atom::Text::plain(item.title()))
                .updated(atom_time(item.published))
                .published(Some(atom_time(item.published)))
                .authors(vec![
                    atom::PersonBuilder::default()
                        .name(item.author_name.clone())
                        .uri(Some(item.author_url.clone()))
                        .build(),
                ])
                .links(links)
                .categories(
                    item.tags
                        .iter()
                        .map(|t| atom::CategoryBuilder::default().term(t.clone()).build())
                        .collect::<Vec<_>>(),
                )
                .content(Some(
                    atom::ContentBuilder::default()
                        .value(Some(item.html()))
                        .content_type(Some("html".to_owned()))
                        .lang(item.language.clone())
                        .build(),
                ))
                .build()
        })
        .collect();
    atom::FeedBuilder::default()
        .id(channel.feed_url.clone())
        .title(atom::Text::plain(channel.title.clone()))
        .subtitle(Some(atom::Text::plain(channel.description.clone())))
        .updated(atom_time(channel.updated))
        .generator(Some(atom::Generator { value: "Riffle".into(), uri: None, version: None }))
        .links(links)
        .entries(entries)
        .build()
        .to_string()
}

fn rss_feed(channel: &Channel) -> String {
    use rss::extension::{atom::AtomExtension, dublincore::DublinCoreExtension};
    let mut atom_links = vec![atom_link(&channel.self_url, "self", Some("application/rss+xml"))];
    atom_links.extend(channel.next_url.iter().map(|next| atom_link(next, "next", Some("application/rss+xml"))));
    let items: Vec<rss::Item> = channel
        .items
        .iter()
        .map(|item| {
            let mut creator = DublinCoreExtension::default();
            creator.set_creators(vec![item.author_name.clone()]);
            rss::ItemBuilder::default()
                .title(Some(item.title()))
                .link(Some(item.url.clone()))
                .description(Some(item.html()))
                .guid(Some(rss::GuidBuilder::default().value(item.id.clone()).permalink(true).build()))
                .pub_date(item.published.format(&Rfc2822).ok())
                .categories(
                    item.tags
                        .iter()
                        .map(|t| rss::CategoryBuilder::default().name(t.clone()).build())
                        .collect::<Vec<_>>(),
                )
                // RSS has room for one enclosure per item.
                .enclosure(item.enclosures.first().map(|e| {
                    rss::EnclosureBuilder::default()
                        .url(e.url.clone())
                        .length(e.size.to_string())
                        .mime_type(e.mime.clone())
                        .build()
                }))
                .dublin_core_ext(Some(creator))
                .build()
        })
        .collect();
    rss::ChannelBuilder::default()
        .title(channel.title.clone())
        .link(channel.home_page_url.clone())
        .description(channel.description.clone())
        .generator(Some("Riffle".to_owned()))
        .last_build_date(channel.updated.format(&Rfc2822).ok())
        .atom_ext(Some(AtomExtension { links: atom_links }))
        .items(items)
        .build()
        .to_string()
}

/// JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), its fields as the spec names them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    description: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<&'a str>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: String,
    content_html: String,
    content_text: &'a str,
    date_published: String,
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Vec<String>)]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct JsonAuthor<'a> {
    name: &'a str,
    url: &'a str,
}

#[derive(Serialize, utoipa::ToSchema)]
struct JsonAttachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    size_in_bytes: i64,
}

fn json_feed(channel: &Channel) -> String {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &channel.title,
        description: &channel.description,
        home_page_url: &channel.home_page_url,
        feed_url: &channel.self_url,
        next_url: channel.next_url.as_deref(),
        items: channel
            .items
            .iter()
            .map(|item| JsonItem {
                id: &item.id,
                url: &item.url,
                title: item.title(),
                content_html: item.html(),
                content_text: &item.text,
                date_published: rfc3339(item.published),
                authors: vec![JsonAuthor { name: &item.author_name, url: &item.author_url }],
                language: item.language.as_deref(),
                tags: &item.tags,
                attachments: item
                    .enclosures
                    .iter()
                    .map(|e| JsonAttachment { url: &e.url, mime_type: &e.mime, size_in_bytes: e.size })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string(&feed).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(text: &str) -> Channel {
        let at = OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
        Channel {
            title: "Ada's posts".into(),
            description: "Posts by @ada".into(),
            self_url: "https://riffle.example/feeds/users/ada.atom?limit=1".into(),
            feed_url: "https://riffle.example/feeds/users/ada.atom".into(),
            home_page_url: "https://riffle.example/@ada".into(),
            next_url: Some("https://riffle.example/feeds/users/ada.atom?limit=1&cursor=MTI".into()),
            updated: at,
            items: vec![Item {
                id: "https://riffle.example/api/v1/posts/12".into(),
                url: "https://riffle.example/api/v1/posts/12".into(),
                text: text.into(),
                author_name: "Ada".into(),
                author_url: "https://riffle.example/@ada".into(),
                language: Some("en".into()),
                tags: vec!["rust".into()],
                published: at,
                enclosures: vec![Enclosure {
                    url: "https://riffle.example/api/v1/media/m1/content".into(),
                    mime: "image/png".into(),
                    size: 512,
                }],
            }],
        }
    }

    #[test]
    fn markup_in_a_post_is_text_in_every_format() {
        let channel = channel("<script>alert(1)</script> & <b>bold</b>");
        for format in [Format::Atom, Format::Rss] {
            let xml = render(&channel, format);
            assert!(!xml.contains("<script>"), "{format:?}: {xml}");
            assert!(!xml.contains("<b>"), "{format:?}: {xml}");
        }
        let json: serde_json::Value = serde_json::from_str(&render(&channel, Format::Json)).unwrap();
        let html = json["items"][0]["content_html"].as_str().unwrap();
        assert!(html.starts_with("<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"), "{html}");
    }

    #[test]
    fn titles_are_the_first_line_shortened() {
        let long = "x".repeat(200);
        let item = |text: &str| Item { text: text.into(), ..channel("").items.remove(0) };
        assert_eq!(item("\n  first line \nsecond").title(), "first line");
        let title = item(&long).title();
        assert_eq!(title.chars().count(), TITLE_CHARS);
        assert!(title.ends_with('…'));
        assert_eq!(item("one\ntwo\n\nthree").html(), "<p>one<br>two</p><p>three</p>");
    }

    #[test]
    fn every_format_links_the_next_page_and_carries_enclosures() {
        let channel = channel("hello");
        let atom = render(&channel, Format::Atom);
        assert!(atom.contains(r#"rel="next""#) && atom.contains(r#"rel="enclosure""#), "{atom}");
        let rss = render(&channel, Format::Rss);
        assert!(rss.contains("<enclosure") && rss.contains(r#"rel="next""#), "{rss}");
        let json: serde_json::Value = serde_json::from_str(&render(&channel, Format::Json)).unwrap();
        assert_eq!(json["next_url"], channel.next_url.unwrap().as_str());
        assert_eq!(json["items"][0]["attachments"][0]["mime_type"], "image/png");
    }
}
