//! The schemas of account fields in the API's description, made from the same rules the domain
//! types check (`domain::fields`), so that the spec and the server agree on what is valid.

use utoipa::openapi::{
    Object, ObjectBuilder,
    schema::{SchemaType, Type},
};

use crate::domain::{
    accounts::BIO_MAX_CHARS,
    fields::{DisplayName, Email, NewPassword, Username},
};

fn text(pattern: String, description: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).description(Some(description))
}

pub fn username() -> Object {
    let rules = format!("{}; unique without regard to case", Username::RULES);
    text(Username::pattern(), &rules).min_length(Some(3)).max_length(Some(30)).build()
}

pub fn email() -> Object {
    text(Email::pattern(), "An address like `name@example.org`; surrounding spaces are ignored").build()
}

pub fn optional_display_name() -> Object {
    text(DisplayName::pattern(), "1 to 50 characters once surrounding spaces are trimmed; defaults to the username")
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .build()
}

pub fn new_password() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(8))
        .max_length(Some(128))
        .description(Some(format!(
            "{}. Refused with advice when it is easy to guess (common or breached passwords, words, \
             patterns, your own names).",
            NewPassword::RULES
        )))
        .build()
}

/// A bio: at most [`BIO_MAX_CHARS`] characters once surrounding spaces are trimmed.
pub fn optional_bio() -> Object {
    let w = platform::http::spec::WHITESPACE_CLASS;
    let inner = BIO_MAX_CHARS - 2;
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(format!("^[{w}]*(?:[^{w}](?:[\\s\\S]{{0,{inner}}}[^{w}])?)?[{w}]*$")))
        .description(Some(format!("At most {BIO_MAX_CHARS} characters once surrounding spaces are trimmed")))
        .build()
}
