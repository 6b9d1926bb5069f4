//! The registration service's validators on arbitrary input: `AllowedHosts::with_host` and
//! `AllowedHosts::check` directly, and the user name, OS version and channel URI rules through
//! the real `POST /api/registrations` route (an in-memory store). Every input must get an
//! answer: accepted (201/200) or refused with a 4xx JSON error naming the field, never a panic
//! or a 500.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use axum::body::Body;
use axum::Router;
use libfuzzer_sys::fuzz_target;
use mpns_service::registration::{router, AllowedHosts, ServiceConfig, ServiceState, Store};
use tower::ServiceExt;

#[derive(Arbitrary, Debug)]
struct Input {
    allowed: String,
    channel_uri: String,
    user_name: String,
    os_version: String,
}

fn app() -> &'static (tokio::runtime::Runtime, Router) {
    static APP: OnceLock<(tokio::runtime::Runtime, Router)> = OnceLock::new();
    APP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let config = ServiceConfig {
            allowed_hosts: AllowedHosts::default().with_host("127.0.0.1:4040").unwrap(),
            ..ServiceConfig::default()
        };
        let state = ServiceState::new(Store::in_memory().expect("a store"), config);
        (runtime, router(state))
    })
}

fuzz_target!(|input: Input| {
    if let Ok(hosts) = AllowedHosts::none().with_host(&input.allowed) {
        let _ = hosts.check(&input.channel_uri);
    }
    let checked = AllowedHosts::default()
        .with_host("127.0.0.1:4040")
        .unwrap()
        .check(&input.channel_uri);
    if let Ok(uri) = &checked {
        assert_eq!(uri.as_str(), input.channel_uri);
    }

    let (runtime, app) = app();
    let body = serde_json::json!({
        "user_name": input.user_name,
        "channel_uri": input.channel_uri,
        "os_version": input.os_version,
    });
    let request = http::Request::post("/api/registrations")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = runtime.block_on(app.clone().oneshot(request)).unwrap();
    let status = response.status().as_u16();
    assert!(
        matches!(status, 200 | 201 | 400 | 413 | 422),
        "status {status} for {input:?}"
    );
    if checked.is_err() {
        assert_ne!(
            status / 100,
            2,
            "a refused channel URI was registered: {input:?}"
        );
    }
});
