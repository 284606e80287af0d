//! Completes the OpenAPI document with what the shared layers answer, so that the spec lists
//! every status a route can give: each handler documents its own answers, and this adds the ones
//! that come from around it (the rate limit, the token check, body parsing, the timeout) and
//! types every error as `application/problem+json`.

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;

const PROBLEM: &str = "application/problem+json";

/// What Rust's `char::is_whitespace` accepts, as the body of a regular expression's class, for
/// schemas whose fields the server trims or requires not blank.
pub const WHITESPACE_CLASS: &str = r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// What `char::is_control` accepts (Unicode's Cc), likewise.
pub const CONTROL_CLASS: &str = r"\x00-\x1F\x7F-\x9F";
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

/// Why the shared layers answer a status, for its description.
fn reason(status: &str) -> &'static str {
    match status {
        "400" => "malformed request: a body, path, header or query string that cannot be read",
        "401" => "the bearer token is missing, invalid, expired or revoked",
        "409" => "the cursor is not one this endpoint returned (or it has expired); start again without it",
        "413" => "the request body is larger than this endpoint accepts",
        "415" => "the body is not `application/json`",
        "422" => "a field is invalid; `errors` names each",
        "429" => "too many requests from this address; see `Retry-After`",
        "500" => "an unexpected failure (details are in the server's log)",
        "503" => "the request took too long, or the server is shutting down",
        _ => "see the problem's detail",
    }
}

fn problem_content() -> Value {
    json!({ PROBLEM: { "schema": { "$ref": "#/components/schemas/Problem" } } })
}

/// The statuses the layers around `operation` can answer.
fn shared_statuses(operation: &Map<String, Value>) -> Vec<&'static str> {
    let mut statuses = vec!["429", "500", "503"];
    if operation.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty()) {
        statuses.push("401");
    }
    if operation.get("parameters").and_then(Value::as_array).is_some_and(|p| !p.is_empty()) {
        statuses.extend(["400", "422"]);
    }
    let is_query_cursor = |p: &Value| p["in"] == "query" && p["name"] == "cursor";
    if operation.get("parameters").and_then(Value::as_array).is_some_and(|p| p.iter().any(is_query_cursor)) {
        statuses.push("409");
    }
    if let Some(body) = operation.get("requestBody") {
        statuses.extend(["400", "413", "422"]);
        if body.pointer("/content/application~1json").is_some() {
            statuses.push("415");
        }
    }
    statuses
}

/// Adds the shared answers to every operation and types every error as problem+json.
pub fn complete(spec: OpenApi) -> OpenApi {
    let mut document = serde_json::to_value(&spec).expect("the spec serializes");
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for method in METHODS {
                let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) else { continue };
                let shared = shared_statuses(operation);
                let responses = operation.entry("responses").or_insert_with(|| json!({}));
                let Some(responses) = responses.as_object_mut() else { continue };
                for status in shared {
                    responses
                        .entry(status)
                        .or_insert_with(|| json!({ "description": reason(status), "content": problem_content() }));
                }
                for (status, response) in responses.iter_mut() {
                    if !status.starts_with('4') && !status.starts_with('5') {
                        continue;
                    }
                    let Some(response) = response.as_object_mut() else { continue };
                    let content = response.entry("content").or_insert_with(|| json!({}));
                    if let Some(content) = content.as_object_mut() {
                        content.remove("application/json");
                        if !content.contains_key(PROBLEM) {
                            content.insert(PROBLEM.into(), problem_content()[PROBLEM].clone());
                        }
                    }
                }
            }
        }
    }
    serde_json::from_value(document).expect("the completed spec is a spec")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_problems_and_the_layers_answers_are_listed() {
        let spec: OpenApi = serde_json::from_value(json!({
            "openapi": "3.1.0",
            "info": { "title": "t", "version": "1" },
            "paths": {
                "/a": {
                    "post": {
                        "security": [{ "bearer": [] }],
                        "requestBody": { "content": { "application/json": { "schema": { "type": "object" } } } },
                        "responses": {
                            "201": { "description": "made", "content": { "application/json": {} } },
                            "404": { "description": "none", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                        }
                    },
                    "get": {
                        "parameters": [{ "in": "query", "name": "cursor", "required": false, "schema": { "type": "string" } }],
                        "responses": { "200": { "description": "ok" }, "412": { "description": "tus" } }
                    }
                }
            }
        }))
        .unwrap();
        let done = serde_json::to_value(complete(spec)).unwrap();
        let post = &done["paths"]["/a"]["post"]["responses"];
        for status in ["400", "401", "404", "413", "415", "422", "429", "500", "503"] {
            assert!(post[status]["content"][PROBLEM].is_object(), "{status}: {post}");
            assert!(post[status]["content"].get("application/json").is_none(), "{status}");
        }
        assert!(post["201"]["content"]["application/json"].is_object(), "successes keep their type");
        let get = &done["paths"]["/a"]["get"]["responses"];
        assert!(get.get("401").is_none(), "no token, no 401");
        assert!(get["412"]["content"][PROBLEM].is_object());
        assert!(get["409"]["content"][PROBLEM].is_object(), "a cursor can be refused: {get}");
        assert!(post.get("409").is_none(), "no cursor, no 409");
    }
}
