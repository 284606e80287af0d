//! The URL of a feed or site, as the crawler accepts it: absolute `http` or `https`, with a
//! host, without credentials, at most 2,048 characters; the fragment is dropped.

use url::Url;

use super::CrawlerError;

pub const MAX_URL_CHARS: usize = 2048;

/// Parses `raw` as the URL of a feed or site (`field` names it in the error).
pub fn parse(field: &'static str, raw: &str) -> Result<Url, CrawlerError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(CrawlerError::invalid(field, "must not be empty"));
    }
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(CrawlerError::invalid(field, format!("must be at most {MAX_URL_CHARS} characters")));
    }
    // A bare host (`example.org/feed`, `example.org:8080/feed`) is what people paste; it means
    // https. Anything else with a colon before any slash names a scheme (`javascript:`).
    let names_scheme = raw.split_once(':').is_some_and(|(before, after)| {
        !before.contains(['/', '.']) && !after.starts_with(|c: char| c.is_ascii_digit())
    });
    let with_scheme = if raw.contains("://") || names_scheme { raw.to_owned() } else { format!("https://{raw}") };
    let mut url = Url::parse(&with_scheme).map_err(|e| CrawlerError::invalid(field, format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CrawlerError::invalid(
            field,
            format!("has scheme `{}`; only http and https are fetched", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(CrawlerError::invalid(field, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CrawlerError::invalid(field, "must not contain a user name or password"));
    }
    url.set_fragment(None);
    Ok(url)
}

/// The key two spellings of one article share: no fragment, no `utm_*` and other tracking
/// parameters, lowercase host, no default port, no trailing slash on the path.
pub fn canonical(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !(k.starts_with("utm_") || matches!(k.as_ref(), "fbclid" | "gclid" | "mc_cid" | "mc_eid")))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    let text = url.to_string();
    text.strip_suffix('/').map(str::to_owned).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_web_urls_are_accepted() {
        assert_eq!(parse("url", "example.org/feed#x").unwrap().as_str(), "https://example.org/feed");
        assert_eq!(parse("url", "example.org:8080/rss").unwrap().as_str(), "https://example.org:8080/rss");
        for (bad, why) in [
            ("", "empty"),
            ("ftp://example.org/feed", "scheme `ftp`"),
            ("file:///etc/passwd", "scheme `file`"),
            ("javascript:alert(1)", "scheme"),
            ("https://user:pw@example.org/", "user name"),
            ("http://", "not a URL"),
        ] {
            let err = parse("url", bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(parse("url", &format!("https://example.org/{}", "a".repeat(2100))).is_err());
    }

    #[test]
    fn tracking_parameters_do_not_make_another_article() {
        let a = Url::parse("https://Example.org/post/?utm_source=rss&id=3#top").unwrap();
        let b = Url::parse("https://example.org/post/?id=3").unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(canonical(&Url::parse("https://example.org/a/").unwrap()), "https://example.org/a");
    }
}
