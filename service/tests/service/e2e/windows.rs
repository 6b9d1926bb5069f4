//! WNS registrations in the product, end to end through the World: a Windows 11 PC (the World's
//! fake WNS) registers with the service beside MPNS phones, and One Time reaches each on its own
//! protocol through the durable send queue; the status log and the batch count both.

use std::time::Duration;

use mpns_harness::fake_wns::WnsFault;
use mpns_harness::windows::WindowsVersion;
use serde_json::{json, Value};

use crate::support::e2e::{Scene, WNS_APP};

/// A Windows 11 PC named `name` in the scene's World with the app's channel, registered with the
/// service as `user` over HTTP (platform `wns`); the channel URI.
async fn windows_pc(scene: &Scene, name: &str, user: &str) -> String {
    let pc = scene
        .world
        .add_windows_device(name, WindowsVersion::Windows11)
        .await
        .unwrap();
    let channel = pc.open_channel(WNS_APP).unwrap().uri;
    // The app takes raw notifications in its background task while it is not running.
    pc.with(|d, _| d.set_background_task(WNS_APP, true));
    let (status, body) = scene
        .operator(
            "POST",
            "/api/registrations",
            Some(json!({
                "user_name": user,
                "channel_uri": channel,
                "os_version": "10.0.22631",
                "platform": "wns",
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["registration"]["platform"], "wns");
    channel
}

#[tokio::test]
async fn one_time_reaches_mpns_phones_and_a_windows_pc_each_on_its_own_protocol() {
    let scene = Scene::with_wns().await;
    let phone = scene.logged_in("lumia", "8.0", "ann").await;
    scene.activate("one-time").await;
    windows_pc(&scene, "ann-pc", "bob").await;
    scene.clear_records();
    scene
        .send(
            "one-time",
            json!({"count": 7, "toast_title": "Game Update", "toast_subtitle": "Level 2", "raw_message": "sync"}),
        )
        .await;
    scene.quiesce().await;

    // The phone, over MPNS: tile, toast and raw, as before.
    let kinds: Vec<String> = scene
        .records_of(&phone)
        .iter()
        .map(|r| format!("{:?}", r.target))
        .collect();
    assert_eq!(kinds.len(), 3, "tile, toast and raw: {kinds:?}");
    let shown = scene.render(&phone);
    assert!(shown.contains("Level 2"), "{shown}");

    // The PC, over WNS: a ToastGeneric toast, the count as a badge, the raw.
    let pc = scene.world.windows_device("ann-pc").unwrap();
    let text = pc.render_text();
    assert!(
        text.contains(&format!("[{WNS_APP}] Game Update — Level 2")),
        "{text}"
    );
    assert!(text.contains(&format!("Badges: {WNS_APP}=7")), "{text}");
    let raw: Vec<Vec<u8>> = pc.with(|d, _| {
        let (_, task) = d.raw_received(WNS_APP);
        task.iter().map(|b| b.to_vec()).collect()
    });
    assert_eq!(raw, [b"sync".to_vec()]);
    let fake = scene.world.fake_wns().await.unwrap();
    let wns_types: Vec<String> = fake
        .records()
        .iter()
        .filter(|r| r.status == 200)
        .filter_map(|r| {
            r.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("x-wns-type"))
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(wns_types, ["wns/badge", "wns/toast", "wns/raw"], "{text}");
    let lint: Vec<_> = fake.records().into_iter().flat_map(|r| r.lint).collect();
    assert!(lint.is_empty(), "{lint:?}");

    // The status log says the platform of each row; the batch counts all six jobs.
    let (_, log) = scene.operator("GET", "/api/status-log", None).await;
    let rows: Vec<(String, String, u64)> = log["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .map(|e| {
            (
                e["platform"].as_str().unwrap_or("?").to_owned(),
                e["message_type"].as_str().unwrap_or("?").to_owned(),
                e["http_status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    for (platform, ty) in [
        ("wns", "Badge"),
        ("wns", "Toast"),
        ("wns", "Raw"),
        ("mpns", "Tile"),
        ("mpns", "Toast"),
    ] {
        assert!(
            rows.contains(&(platform.to_owned(), ty.to_owned(), 200)),
            "{platform} {ty} in {rows:?}"
        );
    }
    let (_, batches) = scene.operator("GET", "/api/batches", None).await;
    let send: &Value = batches["batches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["origin"] == "send")
        .unwrap_or_else(|| panic!("{batches}"));
    assert_eq!(send["delivered"], 6, "{send}");
    assert_eq!(send["given_up"], 0, "{send}");
}

#[tokio::test]
async fn wns_answers_map_to_the_queue_and_patterns_without_a_wns_equivalent_say_so() {
    let scene = Scene::with_wns().await;
    scene.activate("one-time").await;
    let channel = windows_pc(&scene, "ann-pc", "ann").await;
    let fake = scene.world.fake_wns().await.unwrap();

    // A 503 with Retry-After waits on the clock and goes out after it.
    fake.add_fault(WnsFault {
        status: 503,
        times: 1,
        channel: None,
        retry_after_secs: Some(120),
        description: None,
    })
    .unwrap();
    scene
        .send(
            "one-time",
            json!({"tile": false, "raw": false, "toast_title": "Later"}),
        )
        .await;
    scene.settle_until_parked().await;
    let (_, batches) = scene.operator("GET", "/api/batches", None).await;
    assert_eq!(batches["batches"][0]["waiting"], 1, "{batches}");
    scene.advance(Duration::from_secs(120)).await;
    let pc = scene.world.windows_device("ann-pc").unwrap();
    assert!(pc.render_text().contains("Later"), "{}", pc.render_text());
    let (_, batches) = scene.operator("GET", "/api/batches", None).await;
    assert_eq!(batches["batches"][0]["delivered"], 1, "{batches}");

    // A pattern with no WNS equivalent is given up with a row that says so.
    scene.activate("ask-to-pin").await;
    scene.send("ask-to-pin", json!({})).await;
    scene.quiesce().await;
    let (_, log) = scene.operator("GET", "/api/status-log", None).await;
    let last = log["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["platform"], "wns", "{last}");
    assert!(
        last["error"]
            .as_str()
            .is_some_and(|e| e.contains("Ask to Pin is not sent to Windows devices (WNS)")),
        "{last}"
    );

    // Counter: the probe raw, then the count as a badge, one more per send.
    scene.activate("counter").await;
    for n in ["1", "2"] {
        scene.send("counter", json!({})).await;
        scene.quiesce().await;
        assert_eq!(
            pc.with(|d, _| d.badge(WNS_APP).map(str::to_owned))
                .as_deref(),
            Some(n)
        );
    }
    assert_eq!(scene.counter("ann").await, 2);

    // A 410 forgets the channel: the registration is pruned.
    scene.activate("one-time").await;
    fake.add_fault(WnsFault {
        status: 410,
        times: 1,
        channel: None,
        retry_after_secs: None,
        description: None,
    })
    .unwrap();
    scene
        .send("one-time", json!({"tile": false, "raw": false}))
        .await;
    scene.quiesce().await;
    assert!(scene.subscribers().is_empty(), "{:?}", scene.subscribers());
    let (_, batches) = scene.operator("GET", "/api/batches", None).await;
    assert_eq!(batches["batches"][0]["given_up"], 1, "{batches}");
    let (_, log) = scene.operator("GET", "/api/status-log", None).await;
    let last = log["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["http_status"].as_u64(), last["channel_uri"].as_str()),
        (Some(410), Some(channel.as_str()))
    );
}

#[tokio::test]
async fn a_wns_registration_needs_an_https_channel_on_an_allowed_host_and_a_windows_version() {
    let scene = Scene::with_wns().await;
    let wns_addr = scene.world.fake_wns().await.unwrap().addr();
    let cases = [
        (
            json!({"channel_uri": format!("http://{wns_addr}/?token=abc"), "os_version": "10.0"}),
            "scheme_not_allowed",
        ),
        (
            json!({"channel_uri": "https://evil.example/?token=abc", "os_version": "10.0"}),
            "host_not_allowed",
        ),
        (
            json!({"channel_uri": format!("https://{wns_addr}/x?token=abc"), "os_version": "10.0"}),
            "not_a_channel_path",
        ),
        (
            json!({"channel_uri": format!("https://{wns_addr}/?token=abc"), "os_version": "8.0"}),
            "unknown",
        ),
    ];
    for (mut body, code) in cases {
        body["user_name"] = json!("ann");
        body["platform"] = json!("wns");
        let (status, answer) = scene
            .operator("POST", "/api/registrations", Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body} -> {answer}");
        assert!(answer.to_string().contains(code), "{body} -> {answer}");
    }
    let (status, answer) = scene
        .operator(
            "POST",
            "/api/registrations",
            Some(json!({"user_name": "ann", "channel_uri": "https://db5.notify.windows.com/?token=AwYAAAB%2bQ", "os_version": "10", "platform": "ios"})),
        )
        .await;
    assert!(matches!(status, 400 | 422), "{status} {answer}");
    assert!(answer.to_string().contains("platform"), "{answer}");
    // A real WNS host is allowed as *.notify.live.net is.
    let (status, answer) = scene
        .operator(
            "POST",
            "/api/registrations",
            Some(json!({"user_name": "ann", "channel_uri": "https://db5.notify.windows.com/?token=AwYAAAB%2bQ", "os_version": "10", "platform": "wns"})),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert!(scene.subscribers() == ["ann"]);
}
