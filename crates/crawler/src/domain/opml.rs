//! OPML, the format feed readers exchange subscription lists in (`opml` crate). Folders are
//! walked; every outline with an `xmlUrl` is a feed.

use super::CrawlerError;

/// A feed an OPML document lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub url: String,
    pub title: String,
}

/// The feeds of `document`, in order, without duplicates.
pub fn read(document: &str) -> Result<Vec<Listed>, CrawlerError> {
    let parsed = opml::OPML::from_str(document.trim_start_matches('\u{feff}'))
        .map_err(|e| CrawlerError::InvalidOpml(format!("not an OPML document: {e}")))?;
    let mut listed = Vec::new();
    let mut pending: Vec<&opml::Outline> = parsed.body.outlines.iter().rev().collect();
    while let Some(outline) = pending.pop() {
        if let Some(url) = outline.xml_url.as_deref().map(str::trim).filter(|u| !u.is_empty())
            && !listed.iter().any(|l: &Listed| l.url == url)
        {
            let title = outline.title.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| outline.text.clone());
            listed.push(Listed { url: url.to_owned(), title });
        }
        pending.extend(outline.outlines.iter().rev());
    }
    Ok(listed)
}

/// A source as an export lists it.
#[derive(Debug, Clone)]
pub struct Exported {
    pub title: String,
    pub feed_url: String,
    pub home_url: Option<String>,
}

/// An OPML 2.0 document listing `sources`.
pub fn write(title: &str, sources: &[Exported]) -> String {
    let mut document = opml::OPML {
        head: Some(opml::Head { title: Some(title.to_owned()), ..opml::Head::default() }),
        ..opml::OPML::default()
    };
    for source in sources {
        document.body.outlines.push(opml::Outline {
            text: source.title.clone(),
            title: Some(source.title.clone()),
            r#type: Some("rss".into()),
            xml_url: Some(source.feed_url.clone()),
            html_url: source.home_url.clone(),
            ..opml::Outline::default()
        });
    }
    let body = document.to_string().expect("an OPML document of plain strings serializes");
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_walked_and_duplicates_dropped() {
        let doc = r#"<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>
            <outline text="Tech"><outline text="A" xmlUrl="https://a.example/feed"/>
            <outline text="B" title="Bee" xmlUrl="https://b.example/rss"/></outline>
            <outline text="A again" xmlUrl="https://a.example/feed"/><outline text="no feed"/></body></opml>"#;
        let listed = read(doc).unwrap();
        assert_eq!(
            listed,
            [
                Listed { url: "https://a.example/feed".into(), title: "A".into() },
                Listed { url: "https://b.example/rss".into(), title: "Bee".into() },
            ]
        );
    }

    #[test]
    fn export_reads_back() {
        let sources = [Exported {
            title: "Tom & Jerry <3".into(),
            feed_url: "https://t.example/f?a=1&b=2".into(),
            home_url: None,
        }];
        let listed = read(&write("Riffle", &sources)).unwrap();
        assert_eq!(listed, [Listed { url: "https://t.example/f?a=1&b=2".into(), title: "Tom & Jerry <3".into() }]);
    }

    #[test]
    fn what_is_not_opml_says_so() {
        for bad in ["", "not xml", "<html/>", "<opml version=\"2.0\"><body>"] {
            let err = read(bad).unwrap_err().to_string();
            assert!(err.contains("not an OPML document"), "{bad}: {err}");
        }
    }
}
