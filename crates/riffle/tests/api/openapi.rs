//! The committed OpenAPI document must match the code.

use serde_json::Value;

use crate::helpers::{Backends, TestApp};

const COMMITTED: &str = include_str!("../../../../openapi.json");

#[tokio::test]
async fn the_committed_spec_matches_the_code_and_what_is_served() {
    let generated = riffle::services::openapi(&riffle::services::resolve("all").unwrap());
    let generated: Value = serde_json::from_str(&generated.to_pretty_json().unwrap()).unwrap();
    let committed: Value = serde_json::from_str(COMMITTED).unwrap();
    assert!(
        generated == committed,
        "openapi.json is out of date: run `cargo run -p riffle -- openapi > openapi.json` and commit it"
    );
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let served: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert_eq!(served, generated, "/openapi.json serves the same document");
}
