//! `/docs`: the API reference, rendered from Riffle's OpenAPI document in our own templates:
//! every operation with its parameters, request body, answers (problems included) and a curl
//! example, and every schema. It is rendered once, when the web app starts; it needs no
//! script (the page's filter box is the script's addition) and nothing from the internet.

use maud::{Markup, PreEscaped, html};
use serde_json::Value;

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

/// The rendered reference.
pub struct Reference {
    body: String,
}

impl Reference {
    pub fn new(spec: Value) -> Self {
        Self { body: render(&spec).into_string() }
    }

    pub fn body(&self) -> PreEscaped<&str> {
        PreEscaped(&self.body)
    }
}

fn render(spec: &Value) -> Markup {
    let info = &spec["info"];
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    let schemas = spec["components"]["schemas"].as_object().cloned().unwrap_or_default();
    let operations: Vec<(&str, &str, &Value)> = paths
        .iter()
        .flat_map(|(path, item)| METHODS.iter().filter_map(move |m| item.get(*m).map(|op| (path.as_str(), *m, op))))
        .collect();
    html! {
        h1 { (str_of(&info["title"])) " " small { (str_of(&info["version"])) } }
        p { (str_of(&info["description"])) }
        p { "The machine-readable document: " a href="/openapi.json" { "/openapi.json" } " (OpenAPI 3.1)." }
        p {
            label for="docs-filter" { "Filter operations " }
            input #docs-filter type="search" data-filter=".operation" placeholder="/timelines, like, 404…";
        }
        nav.toc aria-label="Operations" {
            ul {
                @for (path, method, op) in &operations {
                    li.operation { a href={ "#" (anchor(method, path)) } { code { (method.to_uppercase()) " " (path) } } " " (str_of(&op["summary"]).lines().next().unwrap_or("")) }
                }
            }
        }
        @for (path, method, op) in &operations { (operation(path, method, op)) }
        h2 #schemas { "Schemas" }
        @for (name, schema) in &schemas {
            section.schema id={ "schema-" (name) } {
                h3 { (name) }
                (schema_view(schema, 0))
            }
        }
    }
}

fn operation(path: &str, method: &str, op: &Value) -> Markup {
    let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
    let responses = op["responses"].as_object().cloned().unwrap_or_default();
    let secured =
        op.get("security").and_then(Value::as_array).is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
    html! {
        section.operation id=(anchor(method, path)) {
            h2 { code { span.method { (method.to_uppercase()) } " " (path) } }
            @if let Some(summary) = op["summary"].as_str() { p { (summary) } }
            @if let Some(description) = op["description"].as_str() { p { (description) } }
            @if secured { p.auth { "Needs " code { "Authorization: Bearer <access token>" } "." } }
            @if !parameters.is_empty() {
                h3 { "Parameters" }
                table {
                    thead { tr { th { "Name" } th { "In" } th { "Type" } th { "Required" } th { "Description" } } }
                    tbody {
                        @for p in &parameters {
                            tr {
                                td { code { (str_of(&p["name"])) } }
                                td { (str_of(&p["in"])) }
                                td { (type_of(&p["schema"])) }
                                td { @if p["required"].as_bool() == Some(true) { "yes" } @else { "no" } }
                                td { (str_of(&p["description"])) }
                            }
                        }
                    }
                }
            }
            @if let Some(body) = op.get("requestBody") {
                h3 { "Request body" }
                @for (media, content) in body["content"].as_object().cloned().unwrap_or_default() {
                    p { code { (media) } }
                    (schema_view(&content["schema"], 0))
                }
            }
            h3 { "Answers" }
            table {
                thead { tr { th { "Status" } th { "Description" } th { "Body" } } }
                tbody {
                    @for (status, answer) in &responses {
                        tr {
                            td { code { (status) } }
                            td { (str_of(&answer["description"])) }
                            td {
                                @for (media, content) in answer["content"].as_object().cloned().unwrap_or_default() {
                                    code { (media) } " " (type_of(&content["schema"])) br;
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Example" }
            pre tabindex="0" { code { (curl(path, method, secured, op.get("requestBody").is_some())) } }
        }
    }
}

fn curl(path: &str, method: &str, secured: bool, has_body: bool) -> String {
    let mut out = String::from("curl");
    if method != "get" {
        out.push_str(&format!(" -X {}", method.to_uppercase()));
    }
    if secured {
        out.push_str(" -H 'Authorization: Bearer $TOKEN'");
    }
    if has_body {
        out.push_str(" -H 'Content-Type: application/json' -d '{…}'");
    }
    out.push_str(&format!(" http://localhost:8000{path}"));
    out
}

/// A schema: an object's fields as a table (nested objects one level deep), anything else by
/// its type; references link to their schema.
fn schema_view(schema: &Value, depth: usize) -> Markup {
    let properties = schema["properties"].as_object();
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    html! {
        @if let (Some(properties), true) = (properties, depth < 2) {
            @if let Some(description) = schema["description"].as_str() { p { (description) } }
            table.fields {
                thead { tr { th { "Field" } th { "Type" } th { "Required" } th { "Description" } } }
                tbody {
                    @for (name, field) in properties {
                        tr {
                            td { code { (name) } }
                            td { (type_of(field)) }
                            td { @if required.contains(&name.as_str()) { "yes" } @else { "no" } }
                            td { (str_of(&field["description"])) }
                        }
                    }
                }
            }
        } @else if let Some(all) = schema["allOf"].as_array() {
            @for part in all { (schema_view(part, depth + 1)) }
        } @else {
            p { (type_of(schema)) " " (str_of(&schema["description"])) }
        }
    }
}

/// A schema's type in a few words, with a link for a reference.
fn type_of(schema: &Value) -> Markup {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return html! { a href={ "#schema-" (name) } { (name) } };
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[key].as_array() {
            let sep = if key == "allOf" { " & " } else { " | " };
            return html! { @for (i, option) in options.iter().enumerate() { @if i > 0 { (sep) } (type_of(option)) } };
        }
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => String::from("any"),
    };
    html! {
        (kind)
        @if let Some(items) = schema.get("items") { " of " (type_of(items)) }
        @if let Some(values) = schema["enum"].as_array() {
            " (" @for (i, v) in values.iter().enumerate() { @if i > 0 { ", " } code { (str_of(v)) } } ")"
        }
        @if let Some(format) = schema["format"].as_str() { " (" (format) ")" }
    }
}

fn str_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn anchor(method: &str, path: &str) -> String {
    let slug: String = path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("op-{method}{slug}")
}
