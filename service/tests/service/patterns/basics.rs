//! Each push pattern's happy path, against a fake MPNS on 127.0.0.1: the operator's action goes
//! through the service's routes, the real client sends, and the fake's records (the parsed
//! payloads and its answers) are snapshots.
//!
//! Each pattern's main snapshot includes a channel on 7.8 and one on 8.0 GDR3 (registered as
//! `8.0.10492.0`, as the phone prints `Environment.OSVersion`), made after the others so the
//! earlier channels keep their ids. The World fails a test whose requests the fake's lint noted.

use crate::support::patterns as patterns_support;
use crate::support::within;

use axum::http::StatusCode;
use mpns_harness::fake::{ChannelInfo, DeviceUpdate, NotificationRecord, NotificationStatus};
use patterns_support::{raw_text, snapshot, summarize, tile_props, World};
use serde_json::json;

fn not_pinned() -> DeviceUpdate {
    DeviceUpdate {
        primary_tile_pinned: Some(false),
        ..DeviceUpdate::default()
    }
}

#[tokio::test]
async fn activating_a_pattern_sends_update_info_to_every_subscriber() {
    let world = World::new().await;
    let channels = [
        world.channel("7.0", DeviceUpdate::default()),
        world.channel("7.1", DeviceUpdate::default()),
        world.channel("8.0", DeviceUpdate::default()),
    ];
    for (user, channel) in ["ann", "bob", "cy"].iter().zip(&channels) {
        world.register(user, channel, &channel.os_version).await;
    }
    let (status, body) = world
        .request(
            "POST",
            "/api/patterns/active",
            Some(json!({"pattern": "counter"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        body,
        json!({"active": "counter", "push_pattern": "Counter", "subscribers": 3, "batch": 1}),
        "the first batch of the send queue"
    );
    world.wait_idle().await;

    let records = world.records();
    assert_eq!(records.len(), 3);
    for r in &records {
        assert_eq!(raw_text(r).as_deref(), Some("Update Info"));
        assert_eq!(r.response.notification, Some(NotificationStatus::Received));
    }
    snapshot("patterns_activation_update_info", &summarize(&records));

    let (_, info) = world
        .request("GET", "/api/server-info?user=ann", None)
        .await;
    assert_eq!(info["push_pattern"], "Counter");
    let log = world.status_log();
    assert_eq!(log.len(), 3, "every Update Info is logged: {log:?}");
    assert!(log
        .iter()
        .all(|e| e["pattern"] == "Counter" && e["type"] == "Raw"));
}

#[tokio::test]
async fn one_time_sends_tile_toast_and_raw_shaped_for_each_os() {
    let world = World::new().await;
    let old = world.channel("7.0", DeviceUpdate::default());
    let mango = world.channel("7.1", DeviceUpdate::default());
    let eight = world.channel("8.0", DeviceUpdate::default());
    let light_up = world.channel("7.8", DeviceUpdate::default());
    let gdr3 = world.channel("8.0.10492.0", DeviceUpdate::default());
    world.register("ann", &old, "7.0").await;
    world.register("bob", &mango, "7.10.7720.68").await;
    world.register("cy", &eight, "8.0").await;
    world.register("dee", &light_up, "7.8").await;
    world.register("eve", &gdr3, "8.0.10492.0").await;
    world.activate("one-time").await;

    let reply = world
        .send(
            "one-time",
            json!({"count": 7, "toast_param": "/Views/Inbox.xaml?from=toast", "toast_silent": true}),
        )
        .await;
    assert_eq!(
        reply,
        json!({"pattern": "one-time", "subscribers": 5, "batch": 2}),
        "the batch after the activation's"
    );
    world.wait_idle().await;

    let records = world.records();
    assert_eq!(records.len(), 15, "three messages to each of five phones");
    let summary = summarize(&records);
    snapshot("patterns_one_time_by_os", &summary);

    // The shapes, asserted as well as snapshotted:
    let of = |channel: u64, target: &str| {
        summary
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["channel"] == channel && r["target"] == target.to_lowercase())
            .cloned()
            .unwrap()
    };
    assert_eq!(of(old.id.0, "Toast")["content"]["param"], json!(null));
    assert_eq!(
        of(mango.id.0, "Toast")["content"]["param"],
        "/Views/Inbox.xaml?from=toast"
    );
    assert_eq!(of(old.id.0, "Tile")["content"]["template"], "Standard");
    assert_eq!(of(mango.id.0, "Tile")["content"]["template"], "Standard");
    assert_eq!(of(eight.id.0, "Tile")["content"]["template"], "FlipTile");
    assert_eq!(of(light_up.id.0, "Tile")["content"]["template"], "Standard");
    assert_eq!(of(gdr3.id.0, "Tile")["content"]["template"], "FlipTile");
    // Silence only where the phone knows wp:Sound.
    assert_eq!(of(gdr3.id.0, "Toast")["content"]["sound"], "silent");
    for before_gdr3 in [&old, &mango, &eight, &light_up] {
        assert_eq!(
            of(before_gdr3.id.0, "Toast")["content"]["sound"],
            json!(null)
        );
    }
    let log = world.status_log();
    assert_eq!(
        log.len(),
        5 + 15,
        "activation's Update Info, then the fifteen sends"
    );
    assert!(log
        .iter()
        .all(|e| e["pattern"] == "One Time" && e["has_message_id"] == true));
}

#[tokio::test]
async fn one_time_refuses_a_sound_with_silence_and_a_sound_that_is_no_package_file() {
    let world = World::new().await;
    world.activate("one-time").await;
    for (body, field) in [
        (
            json!({"toast_sound": "Audio/ding.wav", "toast_silent": true}),
            "toast_silent",
        ),
        (
            json!({"toast_sound": "http://example.com/ding.wav"}),
            "toast_sound",
        ),
        (json!({"toast_sound": ""}), "toast_sound"),
    ] {
        let (status, reply) = world
            .request("POST", "/api/patterns/one-time/send", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {reply}");
        assert_eq!(reply["error"]["field"], field, "{body}: {reply}");
    }
    assert!(world.records().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn one_time_sends_only_the_chosen_types() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.activate("one-time").await;
    world
        .send(
            "one-time",
            json!({"tile": false, "toast": false, "raw_message": "Level 2 is out"}),
        )
        .await;
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(records.len(), 1);
    assert_eq!(raw_text(&records[0]).as_deref(), Some("Level 2 is out"));
}

#[tokio::test]
async fn counter_sends_nothing_more_when_the_probe_says_the_app_runs() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.activate("counter").await;
    world.send("counter", json!({})).await;
    world.wait_idle().await;

    let records = world.records();
    assert_eq!(records.len(), 1, "only the probe");
    assert_eq!(raw_text(&records[0]).as_deref(), Some("Game Update"));
    let (_, info) = world
        .request("GET", "/api/server-info?user=ann", None)
        .await;
    assert_eq!(info["counter"], 0);
}

#[tokio::test]
async fn counter_counts_up_on_the_tile_while_the_app_is_not_seen_running() {
    // A battery at CriticalLow suppresses everything: the probe is not Received.
    let world = World::new().await;
    let phone = world.channel(
        "7.1",
        DeviceUpdate {
            power: Some(mpns_harness::fake::Power::CriticalLow),
            ..DeviceUpdate::default()
        },
    );
    world.register("ann", &phone, "7.1").await;
    let critical = || DeviceUpdate {
        power: Some(mpns_harness::fake::Power::CriticalLow),
        ..DeviceUpdate::default()
    };
    let light_up = world.channel("7.8", critical());
    let gdr3 = world.channel("8.0.10492.0", critical());
    world.register("dee", &light_up, "7.8").await;
    world.register("eve", &gdr3, "8.0.10492.0").await;
    world.activate("counter").await;
    for _ in 0..3 {
        world.send("counter", json!({})).await;
        world.wait_idle().await;
    }
    let records = world.records();
    assert_eq!(
        records.len(),
        18,
        "probe and tile, three times, to three phones"
    );
    for (channel, template) in [
        (&phone, "Standard"),
        (&light_up, "Standard"),
        (&gdr3, "FlipTile"),
    ] {
        let tiles: Vec<_> = records
            .iter()
            .filter(|r| r.channel == Some(channel.id) && raw_text(r).is_none())
            .collect();
        assert_eq!(
            tile_props(tiles[2]),
            vec![
                "BackgroundImage=/Resources/TileImages/TileBackground2.jpg",
                "Count=3",
                "Title=Updates",
            ]
        );
        let content = serde_json::to_value(&tiles[2].content).unwrap();
        assert_eq!(content["template"], template, "{}", channel.os_version);
    }
    snapshot("patterns_counter_not_running", &summarize(&records));
    let (_, info) = world
        .request("GET", "/api/server-info?user=ann", None)
        .await;
    assert_eq!(info["counter"], 3);
}

/// Forgets what the fake recorded, registers `user` again on `phone` (8.0) and returns the one
/// notification that registration got.
async fn sent_on_registering_again(
    world: &World,
    user: &str,
    phone: &ChannelInfo,
) -> Vec<NotificationRecord> {
    world.clear_records();
    world.register(user, phone, "8.0").await;
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(records.len(), 1, "one notification for the registration");
    records
}

#[tokio::test]
async fn registering_while_counter_is_active_resets_the_counter_and_clears_the_badge() {
    let world = World::new().await;
    let phone = world.channel(
        "8.0",
        DeviceUpdate {
            power: Some(mpns_harness::fake::Power::CriticalLow),
            ..DeviceUpdate::default()
        },
    );
    world.register("ann", &phone, "8.0").await;
    world.activate("counter").await;
    world.send("counter", json!({"title": "Unread"})).await;
    world.wait_idle().await;
    let (_, info) = world
        .request("GET", "/api/server-info?user=ann", None)
        .await;
    assert_eq!(info["counter"], 1);

    let records = sent_on_registering_again(&world, "ann", &phone).await;
    assert_eq!(
        tile_props(&records[0]),
        vec![
            "BackgroundImage=/Resources/TileImages/TileBackground2.jpg",
            "Count=0",
            "Title=Unread",
        ]
    );
    snapshot(
        "patterns_counter_reset_on_registration",
        &summarize(&records),
    );
    let (_, info) = world
        .request("GET", "/api/server-info?user=ann", None)
        .await;
    assert_eq!(info["counter"], 0);
}

#[tokio::test]
async fn a_restarted_service_answers_registrations_with_the_settings_of_the_last_send() {
    let mut world = World::new().await;
    let phone = world.channel(
        "8.0",
        DeviceUpdate {
            power: Some(mpns_harness::fake::Power::CriticalLow),
            ..DeviceUpdate::default()
        },
    );
    world.register("ann", &phone, "8.0").await;
    world.activate("counter").await;
    world
        .send(
            "counter",
            json!({"title": "Unread", "background_image": "/Resources/TileImages/TileBackground3.jpg"}),
        )
        .await;
    world.wait_idle().await;

    world.restart_patterns();
    let records = sent_on_registering_again(&world, "ann", &phone).await;
    assert_eq!(
        tile_props(&records[0]),
        vec![
            "BackgroundImage=/Resources/TileImages/TileBackground3.jpg",
            "Count=0",
            "Title=Unread",
        ]
    );
}

#[tokio::test]
async fn ask_to_pin_sends_only_the_tile_when_it_is_pinned() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.activate("ask-to-pin").await;
    world.send("ask-to-pin", json!({})).await;
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].response.notification,
        Some(NotificationStatus::Received)
    );
    snapshot("patterns_ask_to_pin_pinned", &summarize(&records));
}

#[tokio::test]
async fn ask_to_pin_asks_with_a_raw_when_the_tile_is_not_pinned() {
    let world = World::new().await;
    let pinned = world.channel("7.1", DeviceUpdate::default());
    let unpinned = world.channel("8.0", not_pinned());
    let light_up = world.channel("7.8", not_pinned());
    let gdr3 = world.channel("8.0.10492.0", DeviceUpdate::default());
    world.register("ann", &pinned, "7.1").await;
    world.register("bob", &unpinned, "8.0").await;
    world.register("dee", &light_up, "7.8").await;
    world.register("eve", &gdr3, "8.0.10492.0").await;
    world.activate("ask-to-pin").await;
    world
        .send("ask-to-pin", json!({"count": 4, "title": "New levels"}))
        .await;
    world.wait_idle().await;

    let records = world.records();
    assert_eq!(
        records.len(),
        6,
        "a tile each, and a question where not pinned"
    );
    let asks: Vec<_> = records
        .iter()
        .filter(|r| raw_text(r).as_deref() == Some("AskToPin"))
        .map(|r| r.channel)
        .collect();
    assert_eq!(asks.len(), 2);
    assert!(asks.contains(&Some(unpinned.id)), "{asks:?}");
    assert!(asks.contains(&Some(light_up.id)), "{asks:?}");
    snapshot("patterns_ask_to_pin_not_pinned", &summarize(&records));
}

#[tokio::test]
async fn registering_while_ask_to_pin_is_active_resends_the_stored_tile_and_asks_again() {
    let world = World::new().await;
    let phone = world.channel("7.1", not_pinned());
    world.register("bob", &phone, "7.1").await;
    world.activate("ask-to-pin").await;
    world
        .send("ask-to-pin", json!({"count": 9, "title": "Stored"}))
        .await;
    world.wait_idle().await;
    // The operator changes the form; bob's stored tile stays what he was sent.
    world.clear_records();

    world.register("bob", &phone, "7.1").await;
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(
        tile_props(&records[0]),
        vec![
            "BackgroundImage=/Resources/TileImages/TileBackground3.jpg",
            "Count=9",
            "Title=Stored",
        ]
    );
    assert_eq!(raw_text(&records[1]).as_deref(), Some("AskToPin"));

    // Pinned now: the stored tile again, and no question.
    world
        .fake
        .update_device(
            phone.id,
            &DeviceUpdate {
                primary_tile_pinned: Some(true),
                ..DeviceUpdate::default()
            },
        )
        .unwrap();
    world.clear_records();
    world.register("bob", &phone, "7.1").await;
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].response.notification,
        Some(NotificationStatus::Received)
    );
}

#[tokio::test]
async fn custom_tile_points_the_tile_at_the_service_image_the_phone_can_fetch() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    let light_up = world.channel("7.8", DeviceUpdate::default());
    let gdr3 = world.channel("8.0.10492.0", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.register("dee", &light_up, "7.8").await;
    world.register("eve", &gdr3, "8.0.10492.0").await;
    world.activate("custom-tile").await;
    world
        .send(
            "custom-tile",
            json!({"text": "Hi & bye", "size": 24, "color": "#FF0000", "background": "tile2", "count": 2, "title": "Art"}),
        )
        .await;
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(records.len(), 3);
    let summary = summarize(&records);
    snapshot("patterns_custom_tile", &summary);
    let templates: Vec<_> = summary
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["content"]["template"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(templates, ["Standard", "Standard", "FlipTile"]);

    let props = tile_props(&records[0]);
    let image = props[0].strip_prefix("BackgroundImage=").unwrap();
    assert_eq!(
        image,
        "http://127.0.0.1:8000/images/custom.png?text=Hi%20%26%20bye&size=24&color=%23FF0000&background=tile2"
    );
    // The phone fetches it from the service: a PNG.
    let path = image.strip_prefix("http://127.0.0.1:8000").unwrap();
    let (status, _) = world.request("GET", path, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn tile_schedule_test_now_sends_the_selected_number_image() {
    let world = World::new().await;
    let old = world.channel("7.1", DeviceUpdate::default());
    let eight = world.channel("8.0", DeviceUpdate::default());
    let light_up = world.channel("7.8", DeviceUpdate::default());
    let gdr3 = world.channel("8.0.10492.0", DeviceUpdate::default());
    world.register("ann", &old, "7.1").await;
    world.register("cy", &eight, "8.0").await;
    world.register("dee", &light_up, "7.8").await;
    world.register("eve", &gdr3, "8.0.10492.0").await;
    world.activate("tile-schedule").await;

    world.test_now("ann", 3).await;
    world.test_now("cy", 7).await;
    world.test_now("dee", 1).await;
    world.test_now("eve", 9).await;
    world.wait_idle().await;
    let records = world.records();
    let summary = summarize(&records);
    snapshot("patterns_tile_schedule_test_now", &summary);
    let mut images: Vec<_> = records.iter().flat_map(tile_props).collect();
    images.sort();
    assert_eq!(
        images,
        vec![
            "BackgroundImage=http://127.0.0.1:8000/images/numbers/1.png",
            "BackgroundImage=http://127.0.0.1:8000/images/numbers/3.png",
            "BackgroundImage=http://127.0.0.1:8000/images/numbers/7.png",
            "BackgroundImage=http://127.0.0.1:8000/images/numbers/9.png",
        ]
    );
    let templates: Vec<_> = summary
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["content"]["template"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(templates, ["Standard", "FlipTile", "Standard", "FlipTile"]);
    // And the service serves that image.
    let (status, _) = world.request("GET", "/images/numbers/3.png", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn tile_schedule_requests_send_nothing_while_another_pattern_is_active() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.activate("one-time").await;
    world.test_now("ann", 3).await;
    world.wait_idle().await;
    assert!(world.records().is_empty());
    // Under Ask to Pin, a registration is answered; "Test Now" still is not.
    world.activate("ask-to-pin").await;
    world.test_now("ann", 4).await;
    world.register("ann", &phone, "7.1").await;
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        tile_props(&records[0])[0],
        "BackgroundImage=/Resources/TileImages/TileBackground3.jpg"
    );
}

#[tokio::test]
async fn the_service_with_patterns_serves_phones_and_the_operator_on_a_real_listener() {
    use mpns_service::patterns::{Patterns, PatternsConfig};
    use mpns_service::registration::{serve_with, AllowedHosts, ServiceConfig, Store};
    use std::sync::Arc;

    let clock = mpns_harness::Clock::virtual_clock();
    let fake = mpns_harness::FakeMpns::builder()
        .clock(clock.clone())
        .start()
        .await;
    let shared = patterns_support::SharedClock::new(clock);
    let config = ServiceConfig {
        allowed_hosts: AllowedHosts::default()
            .with_host(fake.uri().trim_start_matches("http://"))
            .unwrap(),
        clock: Arc::new(shared),
        ..ServiceConfig::default()
    };
    let mut started = None;
    let running = serve_with(
        "127.0.0.1:0".parse().unwrap(),
        Store::in_memory().unwrap(),
        config,
        |state| {
            let patterns = Patterns::start(state, mpns::Client::new(), PatternsConfig::default());
            started = Some(patterns.clone());
            crate::support::app(patterns)
        },
    )
    .await
    .unwrap();
    let patterns = started.unwrap();
    let phone = fake
        .create_channel(mpns_harness::fake::ChannelOptions::default())
        .unwrap();

    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{}{path}", running.base_url()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let reply = post(
        "/api/registrations",
        json!({"user_name": "ann", "channel_uri": phone.uri, "os_version": "8.0"}),
    )
    .await
    .unwrap();
    assert_eq!(reply.status(), 201);
    within(
        "the patterns to handle the registration",
        patterns.wait_for_events(1),
    )
    .await;
    let reply = post("/api/patterns/active", json!({"pattern": "custom-tile"}))
        .await
        .unwrap();
    assert_eq!(reply.status(), 202);
    let reply = post("/api/patterns/custom-tile/send", json!({"text": "Live"}))
        .await
        .unwrap();
    assert_eq!(reply.status(), 202);
    within(
        "the patterns to finish the custom tile",
        patterns.wait_idle(),
    )
    .await;

    let records = fake.notifications(None).unwrap();
    assert_eq!(records.len(), 2, "Update Info, then the tile");
    let image = tile_props(&records[1])[0]
        .strip_prefix("BackgroundImage=")
        .unwrap()
        .to_owned();
    assert!(
        image.starts_with(&format!(
            "{}/images/custom.png?text=Live",
            running.base_url()
        )),
        "the image URI names the bound address: {image}"
    );
    // What the phone would fetch:
    let png = http.get(&image).send().await.unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    running.shutdown().await.unwrap();
}
