//! The control API's OpenAPI document: served at `/_fake/openapi.json`, and the copy kept in
//! the repository (`docs/openapi/fake-mpns.json`) is the one served. After a change to the API,
//! `UPDATE_OPENAPI=1 cargo test -p mpns-harness --test harness openapi` rewrites the copy;
//! review its diff like a snapshot's.

use std::path::Path;

use crate::support::client::client;
use mpns_harness::FakeMpns;
use serde_json::Value;

const CHECKED_IN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../docs/openapi/fake-mpns.json"
);

#[tokio::test]
async fn the_served_openapi_document_is_the_one_in_the_repository() {
    let fake = FakeMpns::start().await;
    let r = client()
        .get(format!("{}/_fake/openapi.json", fake.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let served = r.text().await.unwrap();
    let doc: Value = serde_json::from_str(&served).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], "1.0.0", "the control API's version");
    let served = format!("{served}\n");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(CHECKED_IN, &served).unwrap();
        return;
    }
    let kept = std::fs::read_to_string(Path::new(CHECKED_IN)).unwrap_or_default();
    assert!(
        kept == served,
        "docs/openapi/fake-mpns.json differs from the document the fake serves; if the API change \
         is meant, run `UPDATE_OPENAPI=1 cargo test -p mpns-harness --test harness openapi` and \
         review the diff"
    );
}

#[tokio::test]
async fn the_openapi_document_is_served_on_a_control_listener_of_its_own() {
    let fake = FakeMpns::builder()
        .control_listen("127.0.0.1:0".parse().unwrap())
        .start()
        .await;
    let c = client();
    let on_control = c
        .get(format!("{}/_fake/openapi.json", fake.control_uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(on_control.status().as_u16(), 200);
    let doc: Value = on_control.json().await.unwrap();
    assert!(
        doc["paths"]["/_fake/settings"]["patch"].is_object(),
        "{doc}"
    );
    let on_notify = c
        .get(format!("{}/_fake/openapi.json", fake.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        on_notify.status().as_u16(),
        400,
        "not served on the notification listener"
    );
}
