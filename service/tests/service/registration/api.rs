//! The registration service's JSON API, through `oneshot` (no sockets) except for the one test
//! that serves on a real listener.

use crate::support::service as service_support;

use std::time::Duration;

use axum::http::StatusCode;
use mpns::{MessageKind, Outcome};
use mpns_service::registration::{
    serve, PatternKind, ServiceConfig, ServiceEvent, StatusEntry, Store, DEFAULT_BODY_LIMIT,
};
use serde_json::json;
use service_support::{App, FAKE_HOST, LIVE_CHANNEL};

use crate::support::within;

fn snapshot(name: &str, value: &serde_json::Value) {
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!(name, serde_json::to_string_pretty(value).unwrap());
    });
}

#[tokio::test]
async fn registering_a_new_user_answers_201_and_lists_the_subscriber() {
    let app = App::new();
    let reply = app.register("ann", LIVE_CHANNEL, "7.10.7720.68").await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(
        reply.json(),
        json!({
            "registration": {
                "user_name": "ann",
                "channel_uri": LIVE_CHANNEL,
                "os_version": "7.10.7720.68",
                "registered_at": "2026-11-26T13:14:26.000Z",
                "last_outcome": null,
                "platform": "mpns",
            },
            "replaced": false,
        })
    );
    let list = app.get("/api/subscribers").await.json();
    assert_eq!(list["count"], 1);
    assert_eq!(list["subscribers"][0]["user_name"], "ann");
}

#[tokio::test]
async fn registering_the_same_user_again_replaces_the_channel() {
    let app = App::new();
    app.register("ann", LIVE_CHANNEL, "7.1").await;
    app.clock.advance(Duration::from_secs(60));
    let other = format!("http://{FAKE_HOST}/throttledthirdparty/01.00/AAF2");
    let reply = app.register("ann", &other, "8.0").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["replaced"], true);

    let list = app.get("/api/subscribers").await.json();
    assert_eq!(list["count"], 1);
    assert_eq!(list["subscribers"][0]["channel_uri"], other.as_str());
    assert_eq!(list["subscribers"][0]["os_version"], "8.0");
    assert_eq!(
        list["subscribers"][0]["registered_at"],
        "2026-11-26T13:15:26.000Z"
    );
}

#[tokio::test]
async fn two_users_may_share_one_channel() {
    let app = App::new();
    app.register("ann", LIVE_CHANNEL, "7.1").await;
    app.register("bob", LIVE_CHANNEL, "7.1").await;
    let list = app.get("/api/subscribers").await.json();
    assert_eq!(list["count"], 2);
    assert_eq!(list["subscribers"][1]["user_name"], "bob");
}

#[tokio::test]
async fn unregister_removes_the_user_and_a_second_unregister_is_404() {
    let app = App::new();
    app.register("ann", LIVE_CHANNEL, "7.1").await;
    app.register("bob", LIVE_CHANNEL, "7.1").await;
    let reply = app.delete("/api/registrations/ann").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_empty());
    let list = app.get("/api/subscribers").await.json();
    assert_eq!(list["count"], 1);
    assert_eq!(list["subscribers"][0]["user_name"], "bob");

    let again = app.delete("/api/registrations/ann").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        again.json()["error"]["message"],
        "user \"ann\" is not registered"
    );
}

#[tokio::test]
async fn unregister_decodes_percent_escapes_in_the_user_name() {
    let app = App::new();
    app.register("ann smith/2", LIVE_CHANNEL, "7.1").await;
    let reply = app.delete("/api/registrations/ann%20smith%2F2").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/subscribers").await.json()["count"], 0);
}

#[tokio::test]
async fn server_info_names_the_active_pattern_and_the_callers_counter() {
    let app = App::new();
    let info = app.get("/api/server-info").await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(
        info.json(),
        json!({"push_pattern": "One Time", "pattern": "one-time", "counter": 0})
    );

    let store = app.state.store();
    store.set_active_pattern(PatternKind::Counter).unwrap();
    for _ in 0..3 {
        store
            .increment_counter(PatternKind::Counter, "ann")
            .unwrap();
    }
    store
        .increment_counter(PatternKind::Counter, "bob")
        .unwrap();
    assert_eq!(
        app.get("/api/server-info?user=ann").await.json(),
        json!({"push_pattern": "Counter", "pattern": "counter", "counter": 3})
    );
    assert_eq!(
        app.get("/api/server-info?user=bob").await.json()["counter"],
        1
    );
    assert_eq!(
        app.get("/api/server-info?user=nobody").await.json()["counter"],
        0
    );
}

#[tokio::test]
async fn server_info_counter_is_the_active_patterns_own() {
    let app = App::new();
    let store = app.state.store();
    store
        .increment_counter(PatternKind::Counter, "ann")
        .unwrap();
    store.set_active_pattern(PatternKind::AskToPin).unwrap();
    let info = app.get("/api/server-info?user=ann").await.json();
    assert_eq!(info["push_pattern"], "Ask to Pin");
    assert_eq!(info["counter"], 0);
}

#[tokio::test]
async fn status_log_lists_recorded_sends_oldest_first_after_a_cursor() {
    let app = App::new();
    app.register("ann", LIVE_CHANNEL, "7.1").await;
    let store = app.state.store();
    let ok = Outcome::from_parts(
        200,
        [
            ("X-NotificationStatus", "Received"),
            ("X-DeviceConnectionStatus", "Connected"),
            ("X-SubscriptionStatus", "Active"),
            ("X-MessageID", "00000000-0000-0000-0000-000000000001"),
        ],
    );
    let at = service_support::start_time();
    for kind in [MessageKind::Tile, MessageKind::Toast, MessageKind::Raw] {
        store
            .record_send(&StatusEntry::from_outcome(
                PatternKind::OneTime,
                kind,
                LIVE_CHANNEL,
                &ok,
                at,
            ))
            .unwrap();
    }
    store
        .record_send(&StatusEntry::from_failure(
            PatternKind::Counter,
            MessageKind::Raw,
            LIVE_CHANNEL,
            "connection refused",
            at,
        ))
        .unwrap();

    let all = app.get("/api/status-log").await.json();
    snapshot("service_status_log", &all);
    let after = app.get("/api/status-log?after=2&limit=1").await.json();
    assert_eq!(after["entries"].as_array().unwrap().len(), 1);
    assert_eq!(after["entries"][0]["id"], 3);
    assert_eq!(after["entries"][0]["message_type"], "Raw");

    let subscriber = &app.get("/api/subscribers").await.json()["subscribers"][0];
    assert_eq!(
        subscriber["last_outcome"], "no answer: connection refused",
        "the last send's outcome is kept on the registration"
    );
}

#[tokio::test]
async fn status_log_limit_out_of_range_is_refused() {
    let app = App::new();
    let reply = app.get("/api/status-log?limit=5000").await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.json()["error"]["message"],
        "limit 5000 is out of range 1..=1000"
    );
    let reply = app.get("/api/status-log?limit=lots").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"]["code"], "bad_query");
}

#[tokio::test]
async fn tile_update_records_the_request_and_returns_the_number_image_uri() {
    let app = App::new();
    let mut events = app.state.subscribe();
    app.register("ann", LIVE_CHANNEL, "7.1").await;
    let reply = app
        .post_json("/api/tile-update", r#"{"user_name":"ann","number":7}"#)
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let body = reply.json();
    assert_eq!(
        body["image_uri"],
        "http://127.0.0.1:8000/images/numbers/7.png"
    );
    assert_eq!(body["request"]["channel_uri"], LIVE_CHANNEL);
    assert_eq!(body["request"]["number"], 7);

    let recorded = app.state.store().tile_requests().unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].image_uri, body["image_uri"]);

    assert!(
        matches!(within("the registration event", events.recv()).await.unwrap(), ServiceEvent::Registered(r) if r.user_name == "ann")
    );
    assert!(
        matches!(within("the tile update event", events.recv()).await.unwrap(), ServiceEvent::TileUpdateRequested(r) if r.number == 7)
    );

    // The URI it hands out is served.
    let image = app.get("/images/numbers/7.png").await;
    assert_eq!(image.status, StatusCode::OK);
}

#[tokio::test]
async fn tile_update_for_an_unregistered_user_is_404_and_out_of_range_numbers_are_422() {
    let app = App::new();
    let reply = app
        .post_json("/api/tile-update", r#"{"user_name":"ghost","number":1}"#)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(app.state.store().tile_requests().unwrap().is_empty());

    app.register("ann", LIVE_CHANNEL, "7.1").await;
    for n in ["100", "-1", "9223372036854775807"] {
        let reply = app
            .post_json(
                "/api/tile-update",
                &format!(r#"{{"user_name":"ann","number":{n}}}"#),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            reply.json()["error"]["message"],
            format!("number {n} is out of range 0..=99")
        );
    }
    assert!(app.state.store().tile_requests().unwrap().is_empty());
}

#[tokio::test]
async fn validation_errors_name_the_field_and_the_rule() {
    let app = App::new();
    let long_name = "n".repeat(65);
    let cases = [
        (
            "empty_user_name",
            json!({"user_name": "", "channel_uri": LIVE_CHANNEL, "os_version": "7.1"}),
        ),
        (
            "long_user_name",
            json!({"user_name": long_name, "channel_uri": LIVE_CHANNEL, "os_version": "7.1"}),
        ),
        (
            "control_in_user_name",
            json!({"user_name": "ann\u{7}", "channel_uri": LIVE_CHANNEL, "os_version": "7.1"}),
        ),
        (
            "invisible_in_user_name",
            json!({"user_name": "a\u{200B}nn", "channel_uri": LIVE_CHANNEL, "os_version": "7.1"}),
        ),
        (
            "padded_user_name",
            json!({"user_name": " ann", "channel_uri": LIVE_CHANNEL, "os_version": "7.1"}),
        ),
        (
            "unknown_os_version",
            json!({"user_name": "ann", "channel_uri": LIVE_CHANNEL, "os_version": "6.5"}),
        ),
        (
            "other_host",
            json!({"user_name": "ann", "channel_uri": "http://evil.example/x", "os_version": "7.1"}),
        ),
        (
            "missing_field",
            json!({"user_name": "ann", "channel_uri": LIVE_CHANNEL}),
        ),
        (
            "wrong_type",
            json!({"user_name": 5, "channel_uri": LIVE_CHANNEL, "os_version": "7.1"}),
        ),
    ];
    let mut answers = serde_json::Map::new();
    for (name, body) in cases {
        let reply = app.post_json("/api/registrations", &body.to_string()).await;
        assert!(reply.status.is_client_error(), "{name}: {}", reply.status);
        answers.insert(
            name.to_owned(),
            json!({"status": reply.status.as_u16(), "body": reply.json()}),
        );
    }
    snapshot(
        "service_validation_errors",
        &serde_json::Value::Object(answers),
    );
    assert_eq!(app.get("/api/subscribers").await.json()["count"], 0);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_clear_errors() {
    let app = App::new();
    let mut answers = serde_json::Map::new();

    let reply = app
        .post_json("/api/registrations", r#"{"user_name": "ann","#)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    answers.insert("truncated_json".into(), reply.json());

    let reply = app.post_json("/api/registrations", "not json at all").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    answers.insert("not_json_text".into(), reply.json());

    let reply = app
        .send(
            axum::http::Request::post("/api/registrations")
                .header("content-type", "text/plain")
                .body(axum::body::Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    answers.insert("wrong_content_type".into(), reply.json());

    let padding = "x".repeat(DEFAULT_BODY_LIMIT);
    let big = json!({"user_name": "ann", "channel_uri": LIVE_CHANNEL, "os_version": "7.1", "pad": padding});
    let reply = app.post_json("/api/registrations", &big.to_string()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    answers.insert("oversized".into(), reply.json());

    snapshot("service_body_errors", &serde_json::Value::Object(answers));
    assert_eq!(app.get("/api/subscribers").await.json()["count"], 0);
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_accepted() {
    let app = App::new();
    let mut body =
        json!({"user_name": "ann", "channel_uri": LIVE_CHANNEL, "os_version": "7.1", "pad": ""});
    let room = DEFAULT_BODY_LIMIT - body.to_string().len();
    body["pad"] = json!("x".repeat(room));
    assert_eq!(body.to_string().len(), DEFAULT_BODY_LIMIT);
    let reply = app.post_json("/api/registrations", &body.to_string()).await;
    assert_eq!(reply.status, StatusCode::CREATED);
}

#[tokio::test]
async fn unknown_routes_answer_a_json_404() {
    let app = App::new();
    let reply = app.get("/api/nothing-here").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.json()["error"]["message"],
        "no route /api/nothing-here"
    );
}

#[tokio::test]
async fn a_wrong_method_answers_a_json_405() {
    let app = App::new();
    let reply = app.get("/api/registrations").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        reply.json()["error"]["message"],
        "/api/registrations does not take GET"
    );
}

#[tokio::test]
async fn custom_image_uris_are_encoded_so_that_the_image_shows_exactly_the_text() {
    let app = App::new();
    let uri = app
        .state
        .custom_image_uri("R&D #1 100% ok?", 16, "#00ff00", "tile2");
    assert_eq!(
        uri,
        "http://127.0.0.1:8000/images/custom.png?text=R%26D%20%231%20100%25%20ok%3F&size=16&color=%2300ff00&background=tile2"
    );
    let path = uri.strip_prefix("http://127.0.0.1:8000").unwrap();
    let encoded = app.get(path).await;
    assert_eq!(encoded.status, StatusCode::OK);
    // The same image as asking with the text spelled out parameter by parameter.
    let same = app
        .send(
            axum::http::Request::get(format!(
                "/images/custom.png?{}",
                [
                    ("text", "R&D #1 100% ok?"),
                    ("size", "16"),
                    ("color", "#00ff00"),
                    ("background", "tile2"),
                ]
                .iter()
                .map(|(k, v)| format!(
                    "{k}={}",
                    v.replace('%', "%25")
                        .replace('&', "%26")
                        .replace('#', "%23")
                        .replace(' ', "+")
                ))
                .collect::<Vec<_>>()
                .join("&")
            ))
            .body(axum::body::Body::empty())
            .unwrap(),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(encoded.body, same.body);
    let other = app
        .get("/images/custom.png?text=R&size=16&color=%2300ff00&background=tile2")
        .await;
    assert_ne!(encoded.body, other.body, "the text after & was not lost");
}

#[tokio::test]
async fn a_served_service_answers_on_its_port_and_shuts_down_gracefully() {
    let config = ServiceConfig {
        allowed_hosts: mpns_service::registration::AllowedHosts::default(),
        ..ServiceConfig::default()
    };
    let running = serve(
        "127.0.0.1:0".parse().unwrap(),
        Store::in_memory().unwrap(),
        config,
    )
    .await
    .unwrap();
    let base = running.base_url();
    assert_ne!(running.local_addr().port(), 0);

    let client = reqwest::Client::new();
    let reply = client
        .post(format!("{base}/api/registrations"))
        .header("content-type", "application/json")
        .body(
            json!({"user_name": "ann", "channel_uri": LIVE_CHANNEL, "os_version": "8.0"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);

    // Image URIs handed out point at the bound address.
    let reply = client
        .post(format!("{base}/api/tile-update"))
        .header("content-type", "application/json")
        .body(r#"{"user_name":"ann","number":3}"#)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&reply.text().await.unwrap()).unwrap();
    assert_eq!(body["image_uri"], format!("{base}/images/numbers/3.png"));
    let image = client
        .get(body["image_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/png");

    let store = running.state().store().clone();
    running.shutdown().await.unwrap();
    assert!(
        client
            .get(format!("{base}/api/subscribers"))
            .send()
            .await
            .is_err(),
        "nothing listens after shutdown"
    );
    assert_eq!(store.subscribers().unwrap().len(), 1);
}

#[tokio::test]
async fn a_name_sent_decomposed_and_precomposed_registers_one_user_stored_in_nfc() {
    let app = App::new();
    let precomposed = "Jos\u{e9}";
    let decomposed = "Jose\u{301}";
    let reply = app.register(decomposed, LIVE_CHANNEL, "7.1").await;
    assert!(reply.status.is_success(), "{:?}", reply.status);
    let second = format!("{LIVE_CHANNEL}2");
    let reply = app.register(precomposed, &second, "7.1").await;
    assert!(reply.status.is_success(), "{:?}", reply.status);
    let subscribers = app.get("/api/subscribers").await.json();
    assert_eq!(subscribers["count"], 1, "{subscribers}");
    assert_eq!(subscribers["subscribers"][0]["user_name"], precomposed);
    assert_eq!(subscribers["subscribers"][0]["channel_uri"], second);
}

/// Issue 14, finding 11: the paging cursor is a user name, normalised like the stored ones;
/// a decomposed `José` as the cursor does not list the (NFC) `José` again.
#[tokio::test]
async fn a_decomposed_cursor_pages_after_the_nfc_name_it_stands_for() {
    let app = App::new();
    for (i, name) in ["Josex", "Jos\u{e9}"].iter().enumerate() {
        let reply = app
            .register(name, &format!("{LIVE_CHANNEL}{i}"), "7.1")
            .await;
        assert!(reply.status.is_success(), "{:?}", reply.status);
    }
    let page = app.get("/api/subscribers?after=Jose%CC%81").await.json();
    assert_eq!(page["count"], 2);
    assert_eq!(page["subscribers"], serde_json::json!([]), "{page}");
    let page = app.get("/api/subscribers?after=Josex").await.json();
    assert_eq!(page["subscribers"][0]["user_name"], "Jos\u{e9}", "{page}");
}

#[tokio::test]
async fn subscribers_page_through_250_users_as_100_100_and_50_without_repeats() {
    let app = App::new();
    for i in 0..250 {
        let reply = app
            .register(&format!("user{i:03}"), &format!("{LIVE_CHANNEL}{i}"), "7.1")
            .await;
        assert!(reply.status.is_success(), "{:?}", reply.status);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut sizes = Vec::new();
    let mut path = "/api/subscribers?limit=100".to_owned();
    loop {
        let page = app.get(&path).await.json();
        assert_eq!(page["count"], 250);
        let names = page["subscribers"].as_array().unwrap();
        sizes.push(names.len());
        for r in names {
            assert!(
                seen.insert(r["user_name"].as_str().unwrap().to_owned()),
                "repeated {r}"
            );
        }
        match page["next"].as_str() {
            Some(next) => path = format!("/api/subscribers?limit=100&after={next}"),
            None => break,
        }
    }
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(seen.len(), 250);
}

#[tokio::test]
async fn subscribers_refuse_a_limit_out_of_range_or_not_a_number() {
    let app = App::new();
    for limit in ["0", "1001"] {
        let reply = app.get(&format!("/api/subscribers?limit={limit}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.json()["error"]["field"], "limit");
    }
    let reply = app.get("/api/subscribers?limit=lots").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"]["code"], "bad_query");
}
