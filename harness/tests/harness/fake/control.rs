//! The control API under `/_fake/` over real HTTP: channels, device state, recorded
//! notifications, reset, fault rules, the clock, and the event stream.

use std::time::{Duration, Instant};

use crate::support::client::client;
use crate::support::requests::*;
use crate::support::wait::within;
use mpns_harness::FakeMpns;
use serde_json::{json, Value};

async fn post_json(c: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let r = c.post(url).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get_json(c: &reqwest::Client, url: String) -> (u16, Value) {
    let r = c.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_channel_created_without_a_body_starts_ready_for_a_plain_client() {
    let fake = FakeMpns::start().await;
    let c = client();
    let r = c
        .post(format!("{}/_fake/channels", fake.uri()))
        // A body-less POST shows it is no cross-site form with this header.
        .header("x-requested-with", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let created: Value = r.json().await.unwrap();
    let uri = created["uri"].as_str().unwrap();
    assert!(uri.starts_with(&format!("{}/throttledthirdparty/01.00/", fake.uri())));
    assert_eq!(created["id"], 1);
    let d = &created["device_state"];
    assert_eq!(d["connection"], "Connected");
    assert_eq!(d["subscription"], "Active");
    assert_eq!(d["power"], "Normal");
    assert_eq!(
        (d["bound_tile"].clone(), d["bound_toast"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(d["app_running"], true);
    assert_eq!(d["primary_tile_pinned"], true);
    let got = send(toast(&c, uri, 2)).await;
    assert_eq!(got.row(), (200, "Received", "Connected", "Active"));
    let got = send(tile(&c, uri, 1, None)).await;
    assert_eq!(got.notification, "Received");
}

#[tokio::test]
async fn channel_options_and_device_state_round_trip() {
    let fake = FakeMpns::start().await;
    let c = client();
    let base = fake.uri();
    let (status, created) = post_json(
        &c,
        format!("{base}/_fake/channels"),
        json!({
            "device": "lumia-920",
            "app": "weather",
            "os_version": "7.1",
            "authenticated": true,
            "service_name": "push.example.com",
            "device_state": {"power": "Low", "secondary_tiles": ["/City.xaml?id=1"]}
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert!(created["uri"]
        .as_str()
        .unwrap()
        .contains("/unthrottledthirdparty/01.00/"));
    assert_eq!(created["device"], "lumia-920");
    assert_eq!(created["os_version"], "7.1");
    assert_eq!(created["service_name"], "push.example.com");
    assert_eq!(created["device_state"]["power"], "Low");
    let id = created["id"].as_u64().unwrap();

    let r = c
        .patch(format!("{base}/_fake/channels/{id}/device"))
        .json(&json!({"connection": "TempDisconnected", "queue_capacity": 3, "bound_toast": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (_, d) = get_json(&c, format!("{base}/_fake/channels/{id}/device")).await;
    assert_eq!(d["connection"], "TempDisconnected");
    assert_eq!(d["queue_capacity"], 3);
    assert_eq!(d["bound_toast"], false);
    assert_eq!(d["power"], "Low", "unset fields stay");
    assert_eq!(d["secondary_tiles"], json!(["/City.xaml?id=1"]));

    let r = c
        .put(format!("{base}/_fake/channels/{id}/device"))
        .json(&json!({"power": "Normal"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let (_, list) = get_json(&c, format!("{base}/_fake/channels")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["app"], "weather");

    // A device holds one channel per app.
    let (status, err) = post_json(
        &c,
        format!("{base}/_fake/channels"),
        json!({"device": "lumia-920", "app": "weather"}),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("one channel per app"),
        "{err}"
    );
}

#[tokio::test]
async fn control_errors_are_json_naming_the_problem() {
    let fake = FakeMpns::start().await;
    let c = client();
    let base = fake.uri();
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            c.get(format!("{base}/_fake/channels/99/device")),
            404,
            "no channel with id 99",
        ),
        (
            c.get(format!("{base}/_fake/channels/abc/device")),
            400,
            "not a number",
        ),
        (
            c.patch(format!("{base}/_fake/channels/1/device"))
                .header("content-type", "application/json")
                .body(r#"{"connection":"Sleeping"}"#),
            400,
            "unknown variant `Sleeping`",
        ),
        (
            c.post(format!("{base}/_fake/channels"))
                .header("content-type", "application/json")
                .body(r#"{"colour":"red"}"#),
            400,
            "unknown field `colour`",
        ),
        (
            c.post(format!("{base}/_fake/faults"))
                .header("content-type", "application/json")
                .body(r#"{"action":"status_503","probability":0.5}"#),
            400,
            "seed",
        ),
        (
            c.post(format!("{base}/_fake/faults"))
                .header("content-type", "application/json")
                .body(r#"{"action":"delay"}"#),
            400,
            "delay_ms",
        ),
        (
            c.post(format!("{base}/_fake/clock/advance"))
                .header("content-type", "application/json")
                .body(r#"{}"#),
            400,
            "seconds",
        ),
        (
            c.get(format!("{base}/_fake/nothing")),
            404,
            "no control endpoint",
        ),
        (
            c.delete(format!("{base}/_fake/faults/7")),
            404,
            "no fault rule with id 7",
        ),
    ];
    fake.create_channel(Default::default()).unwrap();
    for (req, status, words) in cases {
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{words}");
        let body: Value = r.json().await.unwrap();
        let msg = body["error"].as_str().unwrap();
        assert!(msg.contains(words), "{msg:?} should contain {words:?}");
    }
}

#[tokio::test]
async fn notifications_are_listed_with_headers_body_content_answer_and_diagnostics_then_cleared() {
    let fake = FakeMpns::start().await;
    let c = client();
    let base = fake.uri();
    let a = fake.create_channel(Default::default()).unwrap();
    let b = fake.create_channel(Default::default()).unwrap();
    send(toast(&c, &a.uri, 2).header("X-MessageID", "5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11")).await;
    send(raw(&c, &b.uri, 3, "hello")).await;
    // No XML declaration: lenient mode takes it with a diagnostic.
    let no_decl = r#"<wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>A</wp:Text1></wp:Toast></wp:Notification>"#;
    send(toast(&c, &a.uri, 2).body(no_decl)).await;

    let (_, list) = get_json(&c, format!("{base}/_fake/channels/{}/notifications", a.id)).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let first = &list[0];
    assert_eq!(first["channel"], a.id.0);
    assert_eq!(first["method"], "POST");
    assert_eq!(first["message_id"], "5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11");
    assert_eq!(first["body"], TOAST);
    assert_eq!(first["content"]["type"], "toast");
    assert_eq!(first["content"]["text1"], "Hi");
    assert_eq!(first["response"]["status"], 200);
    assert_eq!(first["response"]["notification"], "Received");
    assert_eq!(first["delivery"]["state"], "delivered");
    assert!(first["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h[0] == "x-windowsphone-target" && h[1] == "toast"));
    assert_eq!(first["diagnostics"], json!([]));
    let diags = list[1]["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty(), "a missing XML declaration is reported");

    let (_, all) = get_json(&c, format!("{base}/_fake/notifications")).await;
    let seqs: Vec<u64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3], "all channels, in arrival order");

    let r = c
        .delete(format!("{base}/_fake/channels/{}/notifications", a.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (_, all) = get_json(&c, format!("{base}/_fake/notifications")).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    c.delete(format!("{base}/_fake/notifications"))
        .send()
        .await
        .unwrap();
    let (_, all) = get_json(&c, format!("{base}/_fake/notifications")).await;
    assert_eq!(all, json!([]));
}

#[tokio::test]
async fn strict_mode_refuses_what_lenient_mode_notes() {
    let c = client();
    let no_decl = r#"<wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>A</wp:Text1></wp:Toast></wp:Notification>"#;
    let lenient = FakeMpns::start().await;
    let strict = FakeMpns::builder()
        .mode(mpns_harness::protocol::Mode::Strict)
        .start()
        .await;
    let a = lenient.create_channel(Default::default()).unwrap();
    let b = strict.create_channel(Default::default()).unwrap();
    assert_eq!(send(toast(&c, &a.uri, 2).body(no_decl)).await.status, 200);
    assert_eq!(send(toast(&c, &b.uri, 2).body(no_decl)).await.status, 400);
}

#[tokio::test]
async fn reset_forgets_channels_records_and_faults() {
    let fake = FakeMpns::start().await;
    let c = client();
    let base = fake.uri();
    let ch = fake.create_channel(Default::default()).unwrap();
    send(toast(&c, &ch.uri, 2)).await;
    post_json(
        &c,
        format!("{base}/_fake/faults"),
        json!({"action": "status_503"}),
    )
    .await;
    let r = c
        .post(format!("{base}/_fake/reset"))
        .header("x-requested-with", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(
        get_json(&c, format!("{base}/_fake/channels")).await.1,
        json!([])
    );
    assert_eq!(
        get_json(&c, format!("{base}/_fake/notifications")).await.1,
        json!([])
    );
    assert_eq!(
        get_json(&c, format!("{base}/_fake/faults")).await.1,
        json!([])
    );
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.status, 404);
}

#[tokio::test]
async fn the_next_two_get_503_then_answers_are_normal() {
    let fake = FakeMpns::start().await;
    let c = client();
    let base = fake.uri();
    let ch = fake.create_channel(Default::default()).unwrap();
    let (status, created) = post_json(
        &c,
        format!("{base}/_fake/faults"),
        json!({"action": "status_503", "count": 2, "channel": ch.id.0, "target": "toast"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["id"], 1);
    // A tile does not match the rule.
    assert_eq!(send(tile(&c, &ch.uri, 1, None)).await.status, 200);
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.row(), (503, "", "", ""));
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.status, 503);
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.status, 200);
    let (_, faults) = get_json(&c, format!("{base}/_fake/faults")).await;
    assert_eq!(faults[0]["remaining"], 0);
    assert_eq!(faults[0]["applied"], 2);
    let statuses: Vec<u64> = fake
        .notifications(Some(ch.id))
        .unwrap()
        .iter()
        .map(|r| u64::from(r.response.status))
        .collect();
    assert_eq!(statuses, [200, 503, 503, 200], "503s are recorded too");
}

#[tokio::test]
async fn a_class_filter_matches_only_that_class() {
    let fake = FakeMpns::start().await;
    let c = client();
    fake.add_fault(mpns_harness::fake::FaultRule {
        class: Some(12),
        ..mpns_harness::fake::FaultRule::new(mpns_harness::fake::FaultAction::Status503)
    })
    .unwrap();
    let ch = fake.create_channel(Default::default()).unwrap();
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.status, 200);
    assert_eq!(send(toast(&c, &ch.uri, 12)).await.status, 503);
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error_for_the_sender() {
    let fake = FakeMpns::start().await;
    let c = client();
    let ch = fake.create_channel(Default::default()).unwrap();
    post_json(
        &c,
        format!("{}/_fake/faults", fake.uri()),
        json!({"action": "drop_connection", "count": 1}),
    )
    .await;
    let err = toast(&c, &ch.uri, 2).send().await.unwrap_err();
    assert!(!err.is_status(), "{err:?}");
    assert_eq!(
        send(toast(&c, &ch.uri, 2)).await.status,
        200,
        "then normal again"
    );
}

#[tokio::test]
async fn a_delay_rule_holds_the_answer_for_that_long() {
    let fake = FakeMpns::start().await;
    let c = client();
    let ch = fake.create_channel(Default::default()).unwrap();
    post_json(
        &c,
        format!("{}/_fake/faults", fake.uri()),
        json!({"action": "delay", "delay_ms": 300, "count": 1}),
    )
    .await;
    let started = Instant::now();
    let got = send(toast(&c, &ch.uri, 2)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(got.status, 200, "answered normally after the delay");
    // The rule was for one request: it is used up, so the next request is not held.
    let used: Vec<(Option<u64>, u64)> = fake
        .faults()
        .iter()
        .map(|f| (f.remaining, f.applied))
        .collect();
    assert_eq!(
        used,
        vec![(Some(0), 1)],
        "remaining and applied of the delay rule"
    );
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.status, 200);
}

#[tokio::test]
async fn a_never_answering_rule_times_the_sender_out_and_does_not_block_shutdown() {
    let fake = FakeMpns::start().await;
    let c = client();
    let ch = fake.create_channel(Default::default()).unwrap();
    fake.add_fault(mpns_harness::fake::FaultRule::new(
        mpns_harness::fake::FaultAction::NeverAnswer,
    ))
    .unwrap();
    let err = toast(&c, &ch.uri, 2)
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    // A request still held when the fake shuts down is cut off.
    let held = tokio::spawn(toast(&c, &ch.uri, 2).send());
    fake.wait_until(|f| f.faults()[0].applied == 2).await;
    fake.shutdown().await;
    let held = within("the held request to be cut off at shutdown", held).await;
    assert!(held.unwrap().is_err());
}

#[tokio::test]
async fn the_clock_advances_through_the_api_and_delivers_batched_notifications() {
    let fake = FakeMpns::start().await;
    let c = client();
    let base = fake.uri();
    let ch = fake.create_channel(Default::default()).unwrap();
    send(toast(&c, &ch.uri, 12)).await;
    let (_, recs) = get_json(&c, format!("{base}/_fake/channels/{}/notifications", ch.id)).await;
    assert_eq!(
        recs[0]["delivery"],
        json!({"state": "queued", "due_at_ms": 450_000})
    );
    let (status, clock) = post_json(
        &c,
        format!("{base}/_fake/clock/advance"),
        json!({"seconds": 450}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(clock, json!({"now_ms": 450_000, "virtual": true}));
    let (_, recs) = get_json(&c, format!("{base}/_fake/channels/{}/notifications", ch.id)).await;
    assert_eq!(
        recs[0]["delivery"],
        json!({"state": "delivered", "at_ms": 450_000})
    );
}

#[tokio::test]
async fn a_real_clock_refuses_to_be_advanced() {
    let fake = FakeMpns::builder()
        .clock(mpns_harness::Clock::real())
        .start()
        .await;
    let (status, err) = post_json(
        &client(),
        format!("{}/_fake/clock/advance", fake.uri()),
        json!({"seconds": 1}),
    )
    .await;
    assert_eq!(status, 409);
    assert!(err["error"].as_str().unwrap().contains("real"));
}

#[tokio::test]
async fn the_event_stream_reports_channels_notifications_and_deliveries() {
    let fake = FakeMpns::start().await;
    let c = client();
    let mut stream = c
        .get(format!("{}/_fake/events", fake.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // The stream opens with a comment: from then on the subscription is live.
    let first = stream.chunk().await.unwrap().unwrap();
    assert!(
        String::from_utf8_lossy(&first).starts_with(':'),
        "{first:?}"
    );
    let ch = fake.create_channel(Default::default()).unwrap();
    send(toast(&c, &ch.uri, 2)).await;
    let mut text = String::new();
    for want in [
        "event: channel_created",
        "event: delivered",
        "event: notification",
    ] {
        while !text.contains(want) {
            let chunk = stream.chunk().await.unwrap().expect("more events");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(text.contains(r#""type":"notification""#), "{text}");
    assert!(text.contains(&ch.uri), "{text}");
}

#[tokio::test]
async fn used_up_counted_rules_stop_being_checked_and_only_the_newest_spent_ones_are_listed() {
    let fake = FakeMpns::start().await;
    let c = client();
    let base = fake.uri();
    let ch = fake.create_channel(Default::default()).unwrap();
    // A live rule that never matches a toast, then 300 rules of one 503 each.
    let (status, live) = post_json(
        &c,
        format!("{base}/_fake/faults"),
        json!({"action": "status_503", "target": "raw"}),
    )
    .await;
    assert_eq!(status, 201);
    for _ in 0..300 {
        let (status, _) = post_json(
            &c,
            format!("{base}/_fake/faults"),
            json!({"action": "status_503", "count": 1}),
        )
        .await;
        assert_eq!(status, 201);
    }
    for _ in 0..300 {
        assert_eq!(send(toast(&c, &ch.uri, 2)).await.status, 503);
    }
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.status, 200, "all used up");
    let (_, faults) = get_json(&c, format!("{base}/_fake/faults")).await;
    let faults = faults.as_array().unwrap();
    assert_eq!(
        faults.len(),
        1 + mpns_harness::fake::SPENT_KEPT,
        "the live rule and the newest spent ones, not all 301"
    );
    assert_eq!(faults[0]["id"], live["id"]);
    assert_eq!(faults[0]["remaining"], Value::Null);
    let spent_ids: Vec<u64> = faults[1..]
        .iter()
        .map(|f| {
            assert_eq!(
                (f["remaining"].as_u64(), f["applied"].as_u64()),
                (Some(0), Some(1))
            );
            f["id"].as_u64().unwrap()
        })
        .collect();
    let newest = 302 - mpns_harness::fake::SPENT_KEPT as u64;
    assert_eq!(spent_ids, (newest..302).collect::<Vec<_>>());
    // A listed spent rule can still be removed by its id.
    let r = c
        .delete(format!("{base}/_fake/faults/301"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(fake.faults().len(), mpns_harness::fake::SPENT_KEPT);
}

#[tokio::test]
async fn an_oversized_body_to_a_control_route_is_refused_with_413_and_a_json_error() {
    let fake = FakeMpns::start().await;
    let c = client();
    let ch = fake.create_channel(Default::default()).unwrap();
    let huge = format!("{{\"connection\":\"{}\"}}", "x".repeat(3 << 20));
    let requests = [
        c.post(format!("{}/_fake/faults", fake.uri())),
        c.put(format!("{}/_fake/channels/{}/device", fake.uri(), ch.id.0)),
    ];
    for req in requests {
        let r = req
            .header("content-type", "application/json")
            .body(huge.clone())
            .send()
            .await
            .unwrap();
        let url = r.url().path().to_owned();
        assert_eq!(r.status().as_u16(), 413, "{url}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("application/json"), "{url}: {ct}");
        let body: Value = r.json().await.unwrap();
        let msg = body["error"].as_str().unwrap();
        assert!(msg.contains("too large"), "{url}: {msg:?}");
    }
}

/// Issue 14, finding 6: channels (and their names) were unbounded. Past `max_channels` the
/// control API answers 507 with a JSON error naming the limit; a name over 256 bytes gets 400.
#[tokio::test]
async fn channels_past_the_cap_get_507_and_overlong_names_400_both_as_json() {
    let fake = FakeMpns::builder().max_channels(2).start().await;
    let c = client();
    let url = format!("{}/_fake/channels", fake.uri());
    for _ in 0..2 {
        let (status, body) = post_json(&c, url.clone(), json!({})).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = post_json(&c, url.clone(), json!({})).await;
    assert_eq!(status, 507, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(message.contains("maximum of 2 channels"), "{message}");
    assert!(message.contains("--max-channels"), "{message}");
    assert_eq!(fake.channels().len(), 2);

    let reset = c
        .post(format!("{}/_fake/reset", fake.uri()))
        .header("X-Requested-With", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status().as_u16(), 204);
    let (status, body) = post_json(&c, url.clone(), json!({"app": "a".repeat(300)})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "app is 300 bytes long; the limit is 256");
    let (status, body) = post_json(&c, url.clone(), json!({"device": "d".repeat(257)})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "device is 257 bytes long; the limit is 256");
    let (status, body) = post_json(&c, url, json!({})).await;
    assert_eq!(status, 201, "after a reset there is room again: {body}");
}

#[tokio::test]
async fn a_repeated_message_id_is_counted_per_channel_in_records_channels_and_repeats() {
    let fake = FakeMpns::start().await;
    let c = client();
    let base = fake.uri();
    let a = fake.create_channel(Default::default()).unwrap();
    let b = fake.create_channel(Default::default()).unwrap();
    let id = "5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11";
    for _ in 0..3 {
        send(toast(&c, &a.uri, 2).header("X-MessageID", id)).await;
    }
    // The same id on another channel is that channel's first; requests without one are never
    // counted as repeats.
    send(toast(&c, &b.uri, 2).header("X-MessageID", id)).await;
    send(toast(&c, &b.uri, 2)).await;
    send(toast(&c, &b.uri, 2)).await;

    let repeats = |ch| -> Vec<u32> {
        let records = fake.notifications(Some(ch)).unwrap();
        records.iter().map(|r| r.repeat).collect()
    };
    assert_eq!(repeats(a.id), [0, 1, 2]);
    assert_eq!(repeats(b.id), [0, 0, 0]);
    assert_eq!(fake.channel(a.id).unwrap().repeats, 2);
    assert_eq!(fake.channel(b.id).unwrap().repeats, 0);
    let (_, body) = get_json(&c, format!("{base}/_fake/repeats")).await;
    assert_eq!(
        body,
        json!({"total": 2, "repeats": [{"channel": a.id.0, "message_id": id, "times": 3}]})
    );
    let (_, list) = get_json(&c, format!("{base}/_fake/channels/{}/notifications", a.id)).await;
    assert_eq!(list[2]["repeat"], 2);
    let (_, channel) = get_json(&c, format!("{base}/_fake/channels/{}", a.id)).await;
    assert_eq!(channel["repeats"], 2);
}
