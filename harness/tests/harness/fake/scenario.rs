//! Scenarios and run-time settings: channels with fixed tokens (URIs known in advance), device
//! states, fault rules, the daily limit and the queue capacity, from a file, from the builder,
//! through `POST /_fake/scenario` and `PATCH /_fake/settings`; and public base URIs.

use std::path::Path;

use crate::support::client::client;
use crate::support::requests::*;
use mpns_harness::fake::{ChannelOptions, Scenario};
use mpns_harness::FakeMpns;
use serde_json::{json, Value};

/// The example scenario checked into the repository.
fn example_path() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scenarios/example.toml"
    ))
}

#[tokio::test]
async fn the_example_scenario_loads_and_its_uris_are_known_in_advance() {
    let scenario = Scenario::from_file(example_path()).unwrap();
    let fake = FakeMpns::builder().scenario(scenario).start().await;
    let base = fake.uri();
    let weather = format!("{base}/throttledthirdparty/01.00/weather-lumia");
    let news = format!("{base}/throttledthirdparty/01.00/news-lumia");
    let nokia = format!("{base}/throttledthirdparty/01.00/weather-nokia");
    let uris: Vec<String> = fake.channels().into_iter().map(|c| c.uri).collect();
    assert_eq!(
        uris,
        [
            weather.clone(),
            news.clone(),
            nokia.clone(),
            format!("{base}/unthrottledthirdparty/01.00/bank-lumia"),
        ]
    );
    let c = client();
    // faults: the next two requests to channel 1 answer 503, then the daily limit of 3 holds.
    assert_eq!(send(toast(&c, &weather, 2)).await.status, 503);
    assert_eq!(send(toast(&c, &weather, 2)).await.status, 503);
    for _ in 0..3 {
        assert_eq!(
            send(toast(&c, &weather, 2)).await.row(),
            (200, "Received", "Connected", "Active")
        );
    }
    assert_eq!(
        send(toast(&c, &weather, 2)).await.status,
        406,
        "daily_limit = 3"
    );
    // device_state: the news channel's toasts are unbound.
    assert_eq!(
        send(toast(&c, &news, 2)).await.notification,
        "Suppressed",
        "bound_toast = false"
    );
    // devices.nokia: temporarily disconnected, with the queue capacity of 5.
    let nokia_id = fake.channels()[2].id;
    let device = fake.device(nokia_id).unwrap();
    assert_eq!(
        (device.queue_capacity, format!("{:?}", device.connection)),
        (5, "TempDisconnected".to_owned())
    );
    assert_eq!(
        send(toast(&c, &nokia, 2)).await.row(),
        (200, "Received", "TempDisconnected", "Active")
    );
}

#[tokio::test]
async fn the_same_scenario_in_json_loads_the_same_channels() {
    let toml = Scenario::from_file(example_path()).unwrap();
    let text = serde_json::to_string(&toml).unwrap();
    let dir = std::env::temp_dir().join(format!("h15-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("example.json");
    std::fs::write(&path, text).unwrap();
    let json = Scenario::from_file(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(json, toml);
    assert_eq!(json.channels.len(), 4);
    assert_eq!(json.daily_limit, Some(3));
}

#[test]
fn a_misspelt_field_in_a_scenario_file_is_named_with_the_file_and_line() {
    let dir = std::env::temp_dir().join(format!("h15-scenario-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("bad.toml");
    std::fs::write(&toml, "daily_limit = 3\n\n[[channels]]\ntokn = \"abc\"\n").unwrap();
    let json = dir.join("bad.json");
    std::fs::write(
        &json,
        "{\n  \"channels\": [{\"app\": \"a\"}],\n  \"queue_cap\": 1\n}",
    )
    .unwrap();
    let toml_err = Scenario::from_file(&toml).unwrap_err().to_string();
    let json_err = Scenario::from_file(&json).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    for (err, name, line, field) in [
        (&toml_err, "bad.toml", "line 4", "tokn"),
        (&json_err, "bad.json", "line 3", "queue_cap"),
    ] {
        assert!(err.contains(name), "{err}");
        assert!(err.contains(line), "{err}");
        assert!(err.contains(&format!("`{field}`")), "{err}");
    }
}

#[tokio::test]
async fn a_scenario_that_does_not_apply_names_the_entry_and_the_fake_does_not_start() {
    let scenario =
        Scenario::from_toml("[[channels]]\ntoken = \"same\"\n[[channels]]\ntoken = \"same\"\n")
            .unwrap();
    let err = FakeMpns::builder()
        .scenario(scenario)
        .try_start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = err.to_string();
    assert!(err.contains("channels[1]"), "{err}");
    assert!(err.contains("already the token of channel 1"), "{err}");
    let bad_rule = Scenario::from_toml("[[faults]]\naction = \"delay\"\n").unwrap();
    let err = FakeMpns::builder()
        .scenario(bad_rule)
        .try_start()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("faults[0]") && err.contains("delay_ms"),
        "{err}"
    );
}

#[tokio::test]
async fn a_fixed_token_through_the_control_api_gives_that_uri_and_a_bad_one_is_refused() {
    let fake = FakeMpns::start().await;
    let c = client();
    let url = format!("{}/_fake/channels", fake.uri());
    let r = c
        .post(&url)
        .json(&json!({"token": "my-channel_1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let created: Value = r.json().await.unwrap();
    let uri = format!("{}/throttledthirdparty/01.00/my-channel_1", fake.uri());
    assert_eq!(created["uri"], uri.as_str());
    assert_eq!(send(toast(&c, &uri, 2)).await.status, 200);
    for (token, why) in [
        ("my-channel_1", "already the token of channel 1"),
        ("", "1..=64 characters"),
        ("a/b", "1..=64 characters"),
        (&"x".repeat(65), "1..=64 characters"),
    ] {
        let r = c
            .post(&url)
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{token:?}");
        let body: Value = r.json().await.unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(why), "{token:?}: {error}");
    }
    assert_eq!(
        fake.channels().len(),
        1,
        "refused channels were not created"
    );
}

#[tokio::test]
async fn patching_the_settings_produces_406_without_a_restart() {
    let fake = FakeMpns::start().await;
    let c = client();
    let channel = fake.create_channel(ChannelOptions::default()).unwrap();
    let settings = format!("{}/_fake/settings", fake.uri());
    let before: Value = c.get(&settings).send().await.unwrap().json().await.unwrap();
    assert_eq!(before, json!({"daily_limit": 500, "queue_capacity": 30}));
    assert_eq!(send(toast(&c, &channel.uri, 2)).await.status, 200);
    let r = c
        .patch(&settings)
        .json(&json!({"daily_limit": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let after: Value = r.json().await.unwrap();
    assert_eq!(after, json!({"daily_limit": 1, "queue_capacity": 30}));
    assert_eq!(
        send(toast(&c, &channel.uri, 2)).await.status,
        406,
        "one sent today, limit now 1"
    );
    let r = c
        .patch(&settings)
        .json(&json!({"daily_limit": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(send(toast(&c, &channel.uri, 2)).await.status, 200);
}

#[tokio::test]
async fn patching_the_queue_capacity_makes_a_disconnected_device_answer_queue_full() {
    let fake = FakeMpns::start().await;
    let c = client();
    let channel = fake
        .create_channel(ChannelOptions {
            device_state: Some(mpns_harness::fake::DeviceUpdate::connection(
                mpns_harness::fake::Connection::TempDisconnected,
            )),
            ..Default::default()
        })
        .unwrap();
    let settings = format!("{}/_fake/settings", fake.uri());
    let r = c
        .patch(&settings)
        .json(&json!({"queue_capacity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(fake.device(channel.id).unwrap().queue_capacity, 1);
    assert_eq!(
        send(toast(&c, &channel.uri, 2)).await.notification,
        "Received"
    );
    assert_eq!(
        send(toast(&c, &channel.uri, 2)).await.notification,
        "QueueFull"
    );
    let later = fake.create_channel(ChannelOptions::default()).unwrap();
    assert_eq!(
        fake.device(later.id).unwrap().queue_capacity,
        1,
        "new devices too"
    );
}

#[tokio::test]
async fn bad_settings_are_refused_with_the_field_named() {
    let fake = FakeMpns::start().await;
    let c = client();
    let settings = format!("{}/_fake/settings", fake.uri());
    for (body, needle) in [
        (json!({"daily_limt": 1}), "daily_limt"),
        (
            json!({"queue_capacity": 2_000_000}),
            "queue_capacity 2000000 is out of range",
        ),
        (json!({"daily_limit": -1}), "daily_limit"),
    ] {
        let r = c.patch(&settings).json(&body).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{body}");
        let answer: Value = r.json().await.unwrap();
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(needle), "{body}: {error}");
    }
    let now: Value = c.get(&settings).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        now,
        json!({"daily_limit": 500, "queue_capacity": 30}),
        "nothing changed"
    );
}

#[tokio::test]
async fn a_scenario_posted_to_a_running_fake_creates_its_channels() {
    let fake = FakeMpns::start().await;
    let c = client();
    let r = c
        .post(format!("{}/_fake/scenario", fake.uri()))
        .json(&json!({"daily_limit": 1, "channels": [{"token": "late", "app": "late"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let created: Value = r.json().await.unwrap();
    let uri = format!("{}/throttledthirdparty/01.00/late", fake.uri());
    assert_eq!(created[0]["uri"], uri.as_str());
    assert_eq!(send(toast(&c, &uri, 2)).await.status, 200);
    assert_eq!(send(toast(&c, &uri, 2)).await.status, 406);
}

#[tokio::test]
async fn a_public_uri_is_the_base_of_channels_a_phone_creates_and_the_fake_still_answers_them() {
    let fake = FakeMpns::builder()
        .public_uri("http://fake.example:8080/")
        .start()
        .await;
    // As a phone's push client would: the Rust API.
    let channel = fake.create_channel(ChannelOptions::default()).unwrap();
    let path = channel
        .uri
        .strip_prefix("http://fake.example:8080")
        .unwrap_or_else(|| panic!("{} does not start with the public URI", channel.uri));
    assert!(path.starts_with("/throttledthirdparty/01.00/"), "{path}");
    // Reached through the bound address (as a proxy or a container network would forward it).
    let c = client();
    assert_eq!(
        send(toast(&c, &format!("{}{path}", fake.uri()), 2))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_public_uri_that_is_not_scheme_host_and_port_is_refused_by_name() {
    for (uri, needle) in [
        ("fake.example:8080", "must start with http:// or https://"),
        ("ftp://fake.example", "must start with http:// or https://"),
        (
            "http://fake.example:8080/mpns",
            "scheme, host and port only",
        ),
        ("http://user@fake.example", "user name"),
        ("http://fake.example?x=1", "scheme, host and port only"),
    ] {
        let err = FakeMpns::builder()
            .public_uri(uri)
            .try_start()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{uri}");
        let err = err.to_string();
        assert!(err.contains(needle), "{uri}: {err}");
    }
    let err = FakeMpns::builder()
        .public_tls_uri("https://fake.example")
        .try_start()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs TLS"), "{err}");
}

/// Schemathesis found serde reading `[null, null]` as an empty settings object (200); every
/// control API body must be a JSON object, as the document says.
#[tokio::test]
async fn a_json_array_is_refused_where_the_document_asks_for_an_object() {
    let fake = FakeMpns::start().await;
    let c = client();
    let base = fake.uri();
    for (method, path) in [
        (reqwest::Method::PATCH, "/_fake/settings"),
        (reqwest::Method::POST, "/_fake/channels"),
        (reqwest::Method::POST, "/_fake/scenario"),
        (reqwest::Method::POST, "/_fake/faults"),
        (reqwest::Method::POST, "/_fake/clock/advance"),
    ] {
        let r = c
            .request(method.clone(), format!("{base}{path}"))
            .header("content-type", "application/json")
            .body("[null, null]")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{method} {path}");
        let answer: Value = r.json().await.unwrap();
        let error = answer["error"].as_str().unwrap();
        assert!(
            error.contains("expected a JSON object"),
            "{method} {path}: {error}"
        );
    }
    assert!(fake.channels().is_empty());
    let err = Scenario::from_json("[]").unwrap_err().to_string();
    assert!(err.contains("a scenario is a JSON object"), "{err}");
}

#[tokio::test]
async fn a_null_body_creates_a_channel_with_every_default_as_an_empty_one_does() {
    let fake = FakeMpns::start().await;
    let r = client()
        .post(format!("{}/_fake/channels", fake.uri()))
        .header("content-type", "application/json")
        .body("null")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(fake.channels()[0].app, "app-1");
}
