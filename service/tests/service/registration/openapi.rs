//! The service's OpenAPI document: served at `/api/openapi.json` (open, even with an operator
//! token), and the copy kept in the repository (`docs/openapi/registration-service.json`) is
//! the one served. After a change to the API,
//! `UPDATE_OPENAPI=1 cargo test -p mpns-service --test service openapi` rewrites the copy;
//! review its diff like a snapshot's. (That the document and the router's routes agree is a
//! unit test beside the routes, `patterns::routes::tests`, which sees the route tables.)

use std::path::Path;

use mpns_service::patterns::{Patterns, PatternsConfig};
use mpns_service::registration::{serve_with, ServiceConfig, Store, API_VERSION, OPENAPI_PATH};
use serde_json::Value;

const CHECKED_IN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../docs/openapi/registration-service.json"
);

#[tokio::test]
async fn the_served_openapi_document_is_open_and_the_one_in_the_repository() {
    let config = ServiceConfig {
        operator_token: Some("s3cret".into()),
        ..ServiceConfig::default()
    };
    let running = serve_with(
        "127.0.0.1:0".parse().unwrap(),
        Store::in_memory().unwrap(),
        config,
        |state| {
            let patterns = Patterns::start(state, mpns::Client::new(), PatternsConfig::default());
            crate::support::app(patterns)
        },
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}{OPENAPI_PATH}", running.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "open without the operator token");
    assert_eq!(r.headers()["content-type"], "application/json");
    let served = r.text().await.unwrap();
    let doc: Value = serde_json::from_str(&served).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], API_VERSION);
    assert_eq!(API_VERSION, "1.0.0", "the README names the API's version");
    // The operator's routes beside it still need the token.
    let patterns = http
        .get(format!("{}/api/patterns", running.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(patterns.status().as_u16(), 401);

    let served = format!("{served}\n");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(CHECKED_IN, &served).unwrap();
        return;
    }
    let kept = std::fs::read_to_string(Path::new(CHECKED_IN)).unwrap_or_default();
    assert!(
        kept == served,
        "docs/openapi/registration-service.json differs from the document the service serves; \
         if the API change is meant, run \
         `UPDATE_OPENAPI=1 cargo test -p mpns-service --test service openapi` and review the diff"
    );
}
