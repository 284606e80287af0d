//! The schemas of post fields in the API's description, made from the rules `domain::posts`
//! checks, so that the spec and the server agree on what is valid. Lengths and counts are the
//! defaults of `[content]`; an instance that changes them says so in its own configuration.

use utoipa::openapi::{
    ArrayBuilder, Object, ObjectBuilder,
    schema::{SchemaType, Type},
};

use platform::http::spec::WHITESPACE_CLASS;

use crate::config::ContentConfig;

/// A post's text: not blank, at most `content.max_post_chars` characters, no control
/// characters but tabs and line breaks.
pub fn post_text() -> Object {
    let max = ContentConfig::default().max_post_chars;
    let w = WHITESPACE_CLASS;
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(format!(r"^(?=[\s\S]*[^{w}])[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$")))
        .description(Some(format!(
            "Up to `content.max_post_chars` characters ({max} by default), counted as Unicode characters; \
             at most `content.max_tags_per_post` hashtags, `max_mentions_per_post` mentions and \
             `max_links_per_post` links (10 each by default)"
        )))
        .build()
}

/// A language tag such as `en` or `zh-Hans`.
pub fn language() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(35))
        .pattern(Some(r"^[A-Za-z0-9]{2,3}(?:-[A-Za-z0-9]{1,8})*$"))
        .description(Some("A language tag such as `en` or `zh-Hans`"))
        .build()
}

/// Media to attach: ids of the author's own uploads, each once.
pub fn media_ids() -> utoipa::openapi::Array {
    let max = ContentConfig::default().max_media_per_post;
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .max_items(Some(max))
        .unique_items(true)
        .description(Some(format!(
            "Up to `content.max_media_per_post` ({max} by default) ids of media the author uploaded and has not attached yet"
        )))
        .build()
}
