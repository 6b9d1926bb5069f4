//! The sandbox over plain HTTP (no browser): it starts on port 0 with a data folder, its phones
//! register, a second start finds the data of the first, and the console's controls refuse bad
//! input with errors that name the field and the limit.

use std::time::Duration;

use mpns_service::sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

async fn start(data: &std::path::Path) -> Sandbox {
    Sandbox::start(SandboxConfig {
        data_dir: data.to_owned(),
        port: 0,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

async fn get(url: &str) -> Value {
    let r = reqwest::get(url).await.unwrap();
    assert!(r.status().is_success(), "GET {url}: {}", r.status());
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

async fn post(url: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Waits until `done` holds for the JSON at `path`, re-reading it each time the console
/// announces a change (server-sent events; keep-alives at the latest every 15 s), at most 10 s.
async fn wait_until(base: &str, path: &str, mut done: impl FnMut(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut events = reqwest::get(format!("{base}/console/api/events"))
        .await
        .unwrap();
    loop {
        let value = get(&format!("{base}{path}")).await;
        if done(&value) {
            return value;
        }
        match tokio::time::timeout_at(deadline, events.chunk()).await {
            Ok(Ok(Some(_))) => {}
            _ => panic!("waited 10 s for a condition on {path}; last seen: {value}"),
        }
    }
}

fn users(subscribers: &Value) -> Vec<String> {
    subscribers["subscribers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["user_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_finds_the_registrations_and_log_of_the_first() {
    let data = tempfile::tempdir().unwrap();
    let first = start(data.path()).await;
    let base = first.service_url();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(
        users(&get(&format!("{base}/api/subscribers")).await),
        ["ann", "bob", "cat", "dan"]
    );
    let (status, body) = post(
        &format!("{base}/api/patterns/active"),
        json!({"pattern": "one-time"}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = post(
        &format!("{base}/api/patterns/one-time/send"),
        json!({"toast": false, "raw": false}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let first_channels: Vec<String> = get(&format!("{base}/api/subscribers")).await["subscribers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["channel_uri"].as_str().unwrap().to_owned())
        .collect();
    // Four Update Info raws, three tiles and the Windows PC's badge (One Time's count).
    let log = wait_until(&base, "/api/status-log", |log| {
        log["entries"].as_array().unwrap().len() >= 8
    })
    .await;
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["platform"] == "wns"
                && e["message_type"] == "Badge"
                && e["http_status"] == 200),
        "{log}"
    );
    // The console shows the fourth device live: its badge, screen and event log.
    let state = wait_until(&base, "/console/api/state", |s| {
        s["windows"][0]["badge"] == "1"
    })
    .await;
    let pc = &state["windows"][0];
    assert_eq!(
        (pc["name"].as_str(), pc["user"].as_str()),
        (Some("dan-pc"), Some("dan"))
    );
    assert!(pc["svg"].as_str().unwrap().starts_with("<svg"), "{pc}");
    assert!(!pc["events"].as_array().unwrap().is_empty(), "{pc}");
    first.shutdown().await;
    assert!(data.path().join(mpns_service::sandbox::DB_FILE).is_file());

    let second = start(data.path()).await;
    let base = second.service_url();
    let subscribers = get(&format!("{base}/api/subscribers")).await;
    assert_eq!(
        users(&subscribers),
        ["ann", "bob", "cat", "dan"],
        "same users, registered again"
    );
    let second_channels: Vec<&str> = subscribers["subscribers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["channel_uri"].as_str().unwrap())
        .collect();
    assert!(
        second_channels
            .iter()
            .all(|c| !first_channels.iter().any(|f| f == c)),
        "a new fake MPNS gives new channel URIs: {first_channels:?} then {second_channels:?}"
    );
    let log = get(&format!("{base}/api/status-log")).await;
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["message_type"] == "Raw" && e["pattern"] == "One Time"),
        "the first run's Update Info sends are still in the log: {log}"
    );
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_controls_refuse_bad_input_naming_the_field_and_the_limit() {
    let data = tempfile::tempdir().unwrap();
    let sandbox = start(data.path()).await;
    let base = sandbox.service_url();

    let (status, body) = post(&format!("{base}/console/api/faults"), json!({"count": 0})).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "count");
    assert_eq!(body["error"]["message"], "count 0 is out of range 1..=1000");

    // An array is not taken for the fields in order.
    let (status, body) = post(&format!("{base}/console/api/faults"), json!([5])).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "count");
    let (status, _) = post(&format!("{base}/console/api/clock/advance"), json!([60])).await;
    assert_eq!(status, 422);

    let (status, body) = post(
        &format!("{base}/console/api/clock/advance"),
        json!({"seconds": 700000}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["message"],
        "seconds 700000 is out of range 1..=604800"
    );

    let (status, body) = post(
        &format!("{base}/console/api/phones/ann-lumia-920/connection"),
        json!({"connection": "Sleeping"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Connected, TempDisconnected, Disconnected, Inactive"),
        "{body}"
    );

    let (status, body) = post(&format!("{base}/console/api/phones/nobody/pin"), json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["field"], "phone");

    let (status, _) = post(
        &format!("{base}/console/api/phones/bob-lumia-800/unpin"),
        json!({}),
    )
    .await;
    assert_eq!(status, 422, "bob has nothing pinned");
    sandbox.shutdown().await;
}

/// Issue 14, finding 11: the console's JSON rejections (a content type that is not JSON, a
/// syntax error, a missing or mistyped field) were axum's plain text; and "Test Now" said
/// `0..=99` for a number the app takes as `0..=9`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_routes_refuse_unreadable_json_with_a_json_error_and_test_now_takes_0_to_9() {
    let data = tempfile::tempdir().unwrap();
    let sandbox = start(data.path()).await;
    let base = sandbox.service_url();
    let http = reqwest::Client::new();
    let ann = format!("{base}/console/api/phones/ann-lumia-920");
    let cases: [(String, &str, &str, &str); 6] = [
        (
            format!("{base}/console/api/faults"),
            "text/plain",
            r#"{"count": 1}"#,
            "not_json",
        ),
        (
            format!("{base}/console/api/faults"),
            "application/json",
            r#"{"count": "#,
            "malformed_json",
        ),
        (
            format!("{base}/console/api/faults"),
            "application/json",
            r#"{"cnt": 1}"#,
            "wrong_fields",
        ),
        (
            format!("{base}/console/api/clock/advance"),
            "application/json",
            "{}",
            "wrong_fields",
        ),
        (
            format!("{ann}/test-now"),
            "application/json",
            r#"{"number": "three"}"#,
            "wrong_fields",
        ),
        (
            format!("{ann}/connection"),
            "application/json",
            r#"{"connection": "Conn"#,
            "malformed_json",
        ),
    ];
    for (url, content_type, body, code) in cases {
        // The operator header lets a text/plain body past the cross-site guard, so that the
        // body reader's own refusal is what answers.
        let r = http
            .post(&url)
            .header("content-type", content_type)
            .header("X-Mpns-Operator", "1")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let media = r.headers()["content-type"].to_str().unwrap().to_owned();
        let text = r.text().await.unwrap();
        assert!(
            (400..500).contains(&status),
            "{url} {body}: {status} {text}"
        );
        assert_eq!(media, "application/json", "{url} {body}: {text}");
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["error"]["code"], code, "{url} {body}: {json}");
        assert!(
            !json["error"]["message"].as_str().unwrap().is_empty(),
            "{json}"
        );
    }

    for (number, message) in [
        (json!({"number": 10}), "number 10 is out of range 0..=9"),
        (json!({"number": 99}), "number 99 is out of range 0..=9"),
        (json!({"number": 300}), "number 300 is out of range 0..=9"),
        (json!({}), "number is required (0..=9)"),
    ] {
        let (status, body) = post(&format!("{ann}/test-now"), number.clone()).await;
        assert_eq!(status, 422, "{number}: {body}");
        assert_eq!(body["error"]["field"], "number");
        assert_eq!(body["error"]["message"], message);
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_a_subscription_gets_the_next_send_a_404_and_registering_again_brings_the_user_back(
) {
    let data = tempfile::tempdir().unwrap();
    let sandbox = start(data.path()).await;
    let base = sandbox.service_url();
    let (status, _) = post(
        &format!("{base}/console/api/phones/ann-lumia-920/expire"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    post(
        &format!("{base}/api/patterns/active"),
        json!({"pattern": "one-time"}),
    )
    .await;
    // Activation sends Update Info to everyone; ann's answer is 404 and the service prunes her.
    wait_until(&base, "/api/subscribers", |s| {
        users(s) == ["bob", "cat", "dan"]
    })
    .await;
    let log = get(&format!("{base}/api/status-log")).await;
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["http_status"] == 404 && e["subscription_status"] == "Expired"),
        "{log}"
    );
    let (status, body) = post(
        &format!("{base}/console/api/phones/ann-lumia-920/register"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["app_state"], "background",
        "the app went back where it was"
    );
    assert_eq!(
        users(&get(&format!("{base}/api/subscribers")).await),
        ["ann", "bob", "cat", "dan"]
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_now_on_a_phone_under_tile_schedule_puts_the_number_image_on_its_tile() {
    let data = tempfile::tempdir().unwrap();
    let sandbox = start(data.path()).await;
    let base = sandbox.service_url();
    let (status, body) = post(
        &format!("{base}/api/patterns/active"),
        json!({"pattern": "tile-schedule"}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = post(
        &format!("{base}/console/api/phones/ann-lumia-920/test-now"),
        json!({"number": 3}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let state = wait_until(&base, "/console/api/state", |s| {
        s["phones"][0]["tile"]["background_image"]
            .as_str()
            .is_some_and(|b| b.ends_with("/images/numbers/3.png"))
    })
    .await;
    assert_eq!(
        state["tile_requests"][0]["number"], 3,
        "{}",
        state["tile_requests"]
    );
    assert_eq!(state["tile_requests"][0]["user_name"], "ann");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn ask_to_pin_shows_the_apps_popup_in_the_console_until_ok_is_pressed() {
    let data = tempfile::tempdir().unwrap();
    let sandbox = start(data.path()).await;
    let base = sandbox.service_url();
    let cat = format!("{base}/console/api/phones/cat-lumia-610");
    // cat's app is in the foreground, so the raw AskToPin reaches it once its tile is unpinned.
    let (status, body) = post(&format!("{cat}/unpin"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["prompt"], Value::Null);
    let (status, body) = post(
        &format!("{base}/api/patterns/active"),
        json!({"pattern": "ask-to-pin"}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = post(&format!("{base}/api/patterns/ask-to-pin/send"), json!({})).await;
    assert_eq!(status, 202, "{body}");
    let state = wait_until(&base, "/console/api/state", |s| {
        !s["phones"][2]["prompt"].is_null()
    })
    .await;
    let prompt = &state["phones"][2]["prompt"];
    assert_eq!(prompt["title"], "Important");
    assert!(prompt["text"].as_str().unwrap().contains("pin"), "{prompt}");
    assert_eq!(prompt["show_again"], true);
    assert_eq!(state["phones"][0]["prompt"], Value::Null, "ann is pinned");

    let (status, body) = post(&format!("{cat}/dismiss-prompt"), json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "show_again");
    let (status, body) = post(
        &format!("{cat}/dismiss-prompt"),
        json!({"show_again": false}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["prompt"], Value::Null);
    let (status, body) = post(
        &format!("{cat}/dismiss-prompt"),
        json!({"show_again": false}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "prompt");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unknown_error_control_raises_error_occurred_unknown_and_the_channel_stays_open() {
    let data = tempfile::tempdir().unwrap();
    let sandbox = start(data.path()).await;
    let base = sandbox.service_url();
    let state = get(&format!("{base}/console/api/state")).await;
    let ann = &state["phones"][0];
    assert_eq!(ann["name"], "ann-lumia-920");
    let uri = ann["channel"]["uri"].as_str().unwrap().to_owned();

    let (status, body) = post(
        &format!("{base}/console/api/phones/ann-lumia-920/unknown-error"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let newest = body["events"][0].as_str().unwrap();
    assert!(
        newest.contains("ErrorOccurred Unknown:"),
        "the newest event is the error: {body}"
    );
    assert_eq!(
        body["channel"]["uri"],
        uri.as_str(),
        "same channel, same URI"
    );

    // The channel still takes notifications: activation's Update Info reaches ann's URI.
    post(
        &format!("{base}/api/patterns/active"),
        json!({"pattern": "one-time"}),
    )
    .await;
    let log = wait_until(&base, "/api/status-log", |log| {
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["channel_uri"] == uri.as_str())
    })
    .await;
    let entry = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["channel_uri"] == uri.as_str())
        .unwrap();
    assert_eq!(entry["http_status"], 200, "{entry}");
    assert_eq!(entry["subscription_status"], "Active", "{entry}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_state_shows_the_five_newest_test_now_requests_newest_first_of_many() {
    let data = tempfile::tempdir().unwrap();
    let sandbox = start(data.path()).await;
    let base = sandbox.service_url();
    for i in 0..40u32 {
        let (status, body) = post(
            &format!("{base}/api/tile-update"),
            json!({"user_name": "ann", "number": i % 10}),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    let state = get(&format!("{base}/console/api/state")).await;
    let shown = state["tile_requests"].as_array().expect("a list");
    let numbers: Vec<u64> = shown
        .iter()
        .map(|r| r["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [9, 8, 7, 6, 5], "{}", state["tile_requests"]);
    let ids: Vec<i64> = shown.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [40, 39, 38, 37, 36]);
    sandbox.shutdown().await;
}

/// The console's body-less phone actions (pin, unpin, expire, register) change state: a
/// cross-site form or `text/plain` post (no JSON, no `X-Mpns-Operator`) is refused with 403 and
/// changes nothing; the same call with the header is done. A `Host` that is not the sandbox's
/// (DNS rebinding) is refused before any route.
#[tokio::test]
async fn body_less_console_actions_need_the_operator_header_and_the_sandboxs_host() {
    let data = tempfile::tempdir().unwrap();
    let sandbox = start(data.path()).await;
    let base = sandbox.service_url();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let bob = "/console/api/phones/bob-lumia-800";
    let pinned = |state: &Value| {
        state["phones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "bob-lumia-800")
            .map(|p| p["pinned"].clone())
            .unwrap()
    };
    let before = pinned(&get(&format!("{base}/console/api/state")).await);
    for action in ["pin", "expire", "register", "unpin"] {
        let r = client
            .post(format!("{base}{bob}/{action}"))
            .header("content-type", "text/plain")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{action}");
        let text = r.text().await.unwrap();
        assert!(text.contains("X-Mpns-Operator"), "{text}");
    }
    assert_eq!(
        pinned(&get(&format!("{base}/console/api/state")).await),
        before
    );
    let r = client
        .post(format!("{base}{bob}/pin"))
        .header("x-mpns-operator", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_ne!(
        pinned(&get(&format!("{base}/console/api/state")).await),
        before
    );
    let port = sandbox.service_url().rsplit(':').next().unwrap().to_owned();
    let r = client
        .get(format!("{base}/console/api/state"))
        .header("host", format!("rebound.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 421);
    sandbox.shutdown().await;
}
