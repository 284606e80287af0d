//! Bytes to text: which character encoding a feed or page is in.
//!
//! Servers and documents disagree often enough (a `charset=utf-8` header on a GB2312 feed, a
//! declaration nobody updated) that no single source of truth works. The order here: a byte
//! order mark; then valid UTF-8 is UTF-8 (non-ASCII text in another encoding is almost never
//! valid UTF-8); then the first of the HTTP `charset`, the XML declaration and the HTML `<meta>`
//! that decodes without an error; then `chardetng`'s guess. Labels follow WHATWG, so `gb2312`
//! decodes as GBK (its superset), which is what such feeds really contain.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

/// `bytes` as text, and the encoding it was read in. XML's declaration is rewritten to say
/// UTF-8, so that a parser that honours it does not decode the text a second time. Valid UTF-8
/// that says so (or says nothing) is borrowed as it is.
pub fn decode<'a>(bytes: &'a [u8], content_type: Option<&str>) -> (Cow<'a, str>, &'static Encoding) {
    if Encoding::for_bom(bytes).is_none()
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        return (declare_utf8(Cow::Borrowed(text)), UTF_8);
    }
    let (text, encoding) = decode_raw(bytes, content_type);
    (declare_utf8(Cow::Owned(text)), encoding)
}

fn decode_raw(bytes: &[u8], content_type: Option<&str>) -> (String, &'static Encoding) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), encoding);
    }
    let head = &bytes[..bytes.len().min(2048)];
    let declared = [content_type.and_then(header_charset), xml_declared(head), html_meta_charset(head)];
    for label in declared.into_iter().flatten() {
        if let Some(encoding) = Encoding::for_label(label.as_bytes())
            && let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(bytes)
        {
            return (text.into_owned(), encoding);
        }
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    // Not UTF-8: that was tried above.
    let encoding = detector.guess(None, chardetng::Utf8Detection::Deny);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), encoding)
}

/// `charset` of a `Content-Type` value.
fn header_charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim().eq_ignore_ascii_case("charset").then(|| value.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// The value of `attribute="…"` (or `'…'`) in `text`.
fn attribute(text: &str, attribute: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(&format!("{attribute}="))? + attribute.len() + 1;
    let rest = &text[at..];
    let quote = rest.chars().next()?;
    let value = if quote == '"' || quote == '\'' {
        rest[1..].split(quote).next()?
    } else {
        rest.split(|c: char| c.is_whitespace() || c == '>' || c == ';' || c == '/').next()?
    };
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The `encoding` of an XML declaration at the start of `head`.
fn xml_declared(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    let declaration = text.trim_start().strip_prefix("<?xml")?.split("?>").next()?;
    attribute(declaration, "encoding")
}

/// `<meta charset="…">` or `<meta http-equiv="Content-Type" content="…; charset=…">`.
fn html_meta_charset(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<meta") {
        let start = from + at;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &text[start..end];
        if let Some(charset) = attribute(tag, "charset") {
            return Some(charset);
        }
        from = end;
    }
    None
}

/// Rewrites the declaration's `encoding` to UTF-8 (the text is UTF-8 now); a declaration of
/// UTF-8, or of none, stays as it is.
fn declare_utf8(text: Cow<'_, str>) -> Cow<'_, str> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with("<?xml") {
        return text;
    }
    let Some(end) = trimmed.find("?>") else { return text };
    if attribute(&trimmed[..end], "encoding").is_none_or(|e| e.eq_ignore_ascii_case("utf-8")) {
        return text;
    }
    let rest = &trimmed[end + 2..];
    Cow::Owned(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{rest}"))
}

#[cfg(test)]
mod tests {
    use encoding_rs::{BIG5, GBK, WINDOWS_1252};

    use super::*;

    fn encoded(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        encoding.encode(text).0.into_owned()
    }

    #[test]
    fn chinese_feeds_decode_by_their_declaration() {
        let doc = "<?xml version=\"1.0\" encoding=\"gb2312\"?><rss><title>新闻中心</title></rss>";
        let bytes = encoded(GBK, doc);
        let (text, encoding) = decode(&bytes, Some("text/xml"));
        assert_eq!(encoding, GBK);
        assert!(text.contains("新闻中心") && text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{text}");
        let big5 = "<?xml version='1.0' encoding='big5'?><rss><title>臺灣新聞</title></rss>";
        assert!(decode(&encoded(BIG5, big5), None).0.contains("臺灣新聞"));
    }

    #[test]
    fn a_wrong_header_loses_to_what_decodes() {
        let doc = "<?xml version=\"1.0\" encoding=\"GB18030\"?><rss><title>天气预报</title></rss>";
        let bytes = encoded(GBK, doc);
        let (text, _) = decode(&bytes, Some("application/rss+xml; charset=utf-8"));
        assert!(text.contains("天气预报"), "{text}");
        let utf8 = "<rss><title>café 咖啡</title></rss>";
        let (text, encoding) = decode(utf8.as_bytes(), Some("text/xml; charset=windows-1252"));
        assert_eq!((text.as_ref(), encoding), (utf8, UTF_8), "valid UTF-8 wins over a wrong header");
    }

    #[test]
    fn header_bom_and_meta_are_honoured() {
        let latin = "<rss><title>Caf\u{e9} cr\u{e8}me \u{2014} na\u{ef}ve</title></rss>";
        let bytes = encoded(WINDOWS_1252, latin);
        let (text, encoding) = decode(&bytes, Some("text/xml; charset=\"windows-1252\""));
        assert_eq!((text.as_ref(), encoding), (latin, WINDOWS_1252));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("<feed/>".as_bytes());
        assert_eq!(decode(&bom, None).0, "<feed/>");
        let page = "<html><head><meta charset=gbk><title>首页</title></head></html>";
        assert!(decode(&encoded(GBK, page), Some("text/html")).0.contains("首页"));
    }

    #[test]
    fn undeclared_text_is_guessed() {
        let doc = "<rss><title>这是一个没有声明编码的中文订阅源，内容足够长以便猜测。</title></rss>";
        assert!(decode(&encoded(GBK, doc), None).0.contains("没有声明编码"));
    }
}
