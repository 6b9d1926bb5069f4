//! The patterns when MPNS does not simply accept: devices away or inactive, expired channels,
//! full queues, 503s, the daily limit, and the counter's ceiling. One virtual clock drives the
//! fake MPNS and the service's retries; the tests wait for retries to park on it, move it, and
//! wait for the fake to record the next attempt (no sleeps).

use crate::support::patterns as patterns_support;

use std::time::Duration;

use axum::http::StatusCode;
use futures_util::StreamExt;
use mpns::RetryPolicy;
use mpns_harness::fake::{Connection, DeviceUpdate, FaultRule, Power, Subscription};
use mpns_harness::FakeMpns;
use mpns_service::patterns::PatternsConfig;
use patterns_support::{
    device, raw_text, set, snapshot, summarize, tile_only, tile_props, World, HOUR,
};
use serde_json::json;

#[tokio::test]
async fn counter_does_nothing_more_when_the_device_is_temporarily_disconnected() {
    let world = World::new().await;
    let phone = world.channel(
        "7.1",
        device(|d| d.connection = Some(Connection::TempDisconnected)),
    );
    world.register("ann", &phone, "7.1").await;
    world.activate("counter").await;
    world.send("counter", json!({})).await;
    world.wait_idle().await;

    let records = world.records();
    assert_eq!(records.len(), 1, "only the probe");
    assert_eq!(
        records[0].response.device,
        Some(Connection::TempDisconnected)
    );
    let (_, info) = world
        .request("GET", "/api/server-info?user=ann", None)
        .await;
    assert_eq!(info["counter"], 0, "not counted");
}

#[tokio::test]
async fn a_closed_app_on_a_connected_phone_gets_the_counted_tile() {
    // The fake answers a raw probe for a closed app Suppressed (harness answer.rs explains
    // why), which is what the recipe's "is the app running?" test relies on.
    let world = World::new().await;
    let phone = world.channel("7.1", device(|d| d.app_running = Some(false)));
    world.register("ann", &phone, "7.1").await;
    world.activate("counter").await;
    world.send("counter", json!({})).await;
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(records.len(), 2, "probe, then the tile");
    assert_eq!(
        records[0].response.notification,
        Some(mpns_harness::fake::NotificationStatus::Suppressed)
    );
    assert!(raw_text(&records[0]).is_some(), "the probe is raw");
    assert!(tile_props(&records[1]).contains(&"Count=1".to_owned()));
}

#[tokio::test]
async fn a_probe_answered_503_sends_the_tile_at_once_and_the_probe_later() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.activate("counter").await;
    world
        .fake
        .add_fault(FaultRule {
            target: Some(mpns_harness::fake::TargetFilter::Raw),
            ..FaultRule::next_503(1)
        })
        .unwrap();
    world.send("counter", json!({})).await;
    world.fake.wait_for_notifications(2).await;
    world.clock.wait_for_sleepers(1).await;
    world.clock.advance(Duration::from_secs(60));
    world.wait_idle().await;

    let records = world.records();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].response.status, 503);
    assert_eq!(tile_props(&records[1])[1], "Count=1");
    assert_eq!(raw_text(&records[2]).as_deref(), Some("Game Update"));
    assert_eq!(records[2].received_at_ms, 60_000);
    snapshot("patterns_counter_probe_503", &summarize(&records));
}

#[tokio::test]
async fn an_inactive_device_gets_412_retried_hourly_then_delivered_once_back() {
    let world = World::new().await;
    let phone = world.inactive_one_time_subscriber("ann", "7.1").await;
    world.send("one-time", tile_only()).await;

    world.fake.wait_for_notifications(1).await;
    world.clock.wait_for_sleepers(1).await;
    // Not a minute early: MPNS may block senders that retry a 412 faster than hourly.
    world.clock.advance(HOUR - Duration::from_secs(1));
    assert_eq!(world.records().len(), 1);
    assert_eq!(
        world.clock.waiting(),
        1,
        "the retry still waits for its hour"
    );
    world.clock.advance(Duration::from_secs(1));
    world.fake.wait_for_notifications(2).await;

    world
        .fake
        .update_device(phone.id, &DeviceUpdate::connection(Connection::Connected))
        .unwrap();
    world.clock.wait_for_sleepers(1).await;
    world.clock.advance(HOUR);
    world.wait_idle().await;

    let records = world.records();
    let statuses: Vec<_> = records.iter().map(|r| r.response.status).collect();
    assert_eq!(statuses, [412, 412, 200]);
    let times: Vec<_> = records.iter().map(|r| r.received_at_ms).collect();
    assert_eq!(times, [0, 3_600_000, 7_200_000]);
    snapshot("patterns_inactive_retried_hourly", &summarize(&records));
    let log: Vec<_> = world
        .status_log()
        .into_iter()
        .filter(|e| e["type"] == "Tile")
        .map(|e| {
            format!(
                "{} {} {}",
                e["seconds"],
                e["http"],
                e["statuses"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        log,
        [
            "0 412 Dropped/Inactive/-",
            "3600 412 Dropped/Inactive/-",
            "7200 200 Received/Connected/Active"
        ]
    );
}

#[tokio::test]
async fn retries_stop_at_the_policy_limit() {
    let config = PatternsConfig {
        retry: RetryPolicy::default().max_hourly_retries(2),
        ..PatternsConfig::default()
    };
    let world = World::with(FakeMpns::builder(), config).await;
    let phone = world.channel("8.0", DeviceUpdate::default());
    world.register("ann", &phone, "8.0").await;
    world.activate("one-time").await;
    set(
        &world,
        &phone,
        device(|d| d.connection = Some(Connection::Disconnected)),
    );
    world.send("one-time", tile_only()).await;
    for sent in 1..=2 {
        world.fake.wait_for_notifications(sent).await;
        world.clock.wait_for_sleepers(1).await;
        world.clock.advance(HOUR);
    }
    world.wait_idle().await;
    assert_eq!(world.records().len(), 3, "the first send and two retries");
    assert_eq!(world.clock.waiting(), 0, "nothing left waiting");
    assert_eq!(world.subscriber_names(), ["ann"], "412 does not prune");
}

#[tokio::test]
async fn an_expired_subscription_is_pruned_and_not_retried() {
    let world = World::new().await;
    let gone = world.channel(
        "7.1",
        device(|d| d.subscription = Some(Subscription::Expired)),
    );
    let fine = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &gone, "7.1").await;
    world.register("bob", &fine, "7.1").await;
    world.activate("one-time").await;
    assert_eq!(
        world.subscriber_names(),
        ["bob"],
        "activation's Update Info already met the 404 and pruned ann"
    );

    world.register("ann", &gone, "7.1").await;
    world.clear_records();
    world.send("one-time", tile_only()).await;
    world.wait_idle().await;
    assert_eq!(world.clock.waiting(), 0, "a 404 is never retried");
    let records = world.fake.notifications(Some(gone.id)).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].response.status, 404);
    assert_eq!(world.subscriber_names(), ["bob"]);
    let expired: Vec<_> = world
        .status_log()
        .into_iter()
        .filter(|e| e["http"] == 404)
        .collect();
    assert_eq!(expired.len(), 2, "both 404s are logged");
    assert_eq!(expired[0]["statuses"], "Dropped/Connected/Expired");
}

#[tokio::test]
async fn queue_full_is_backed_off_and_delivered_when_the_queue_has_room() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.activate("one-time").await;
    set(&world, &phone, device(|d| d.queue_capacity = Some(0)));

    world.send("one-time", tile_only()).await;
    world.fake.wait_for_notifications(1).await;
    world.clock.wait_for_sleepers(1).await;
    world.clock.advance(Duration::from_secs(60));
    world.fake.wait_for_notifications(2).await;
    world
        .fake
        .update_device(
            phone.id,
            &DeviceUpdate {
                queue_capacity: Some(30),
                ..DeviceUpdate::default()
            },
        )
        .unwrap();
    world.clock.wait_for_sleepers(1).await;
    world.clock.advance(Duration::from_secs(120));
    world.wait_idle().await;

    let records = world.records();
    let answers: Vec<_> = records
        .iter()
        .map(|r| {
            format!(
                "{} {:?}",
                r.received_at_ms,
                r.response.notification.unwrap()
            )
        })
        .collect();
    assert_eq!(
        answers,
        ["0 QueueFull", "60000 QueueFull", "180000 Received"]
    );
    snapshot("patterns_queue_full_backed_off", &summarize(&records));
}

#[tokio::test]
async fn two_503s_are_backed_off_and_the_third_attempt_is_delivered() {
    let world = World::new().await;
    let phone = world.channel("8.0", DeviceUpdate::default());
    world.register("ann", &phone, "8.0").await;
    world.activate("custom-tile").await;
    world.fake.add_fault(FaultRule::next_503(2)).unwrap();
    world
        .send("custom-tile", json!({"text": "Try again"}))
        .await;
    for (sent, wait) in [(1, 60), (2, 120)] {
        world.fake.wait_for_notifications(sent).await;
        world.clock.wait_for_sleepers(1).await;
        world.clock.advance(Duration::from_secs(wait));
    }
    world.wait_idle().await;
    let records = world.records();
    let answers: Vec<_> = records
        .iter()
        .map(|r| (r.received_at_ms, r.response.status))
        .collect();
    assert_eq!(answers, [(0, 503), (60_000, 503), (180_000, 200)]);
    let ids: Vec<_> = records.iter().map(|r| r.message_id.clone()).collect();
    assert!(
        ids[0] == ids[1] && ids[1] == ids[2],
        "a retry is the same notification: {ids:?}"
    );
    snapshot("patterns_503_backed_off", &summarize(&records));
    let log: Vec<_> = world
        .status_log()
        .into_iter()
        .filter(|e| e["type"] == "Tile")
        .map(|e| e["http"].clone())
        .collect();
    assert_eq!(
        log,
        [json!(503), json!(503), json!(200)],
        "every attempt logged"
    );
}

#[tokio::test]
async fn throttled_at_500_a_day_the_send_is_retried_hourly_until_the_day_turns() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.activate("one-time").await; // the first of the day's 500
    let client = mpns::Client::new();
    let filler = mpns::Raw::new(&b"filler"[..]).build().unwrap();
    let channel: mpns::ChannelUri = phone.uri.parse().unwrap();
    let results: Vec<_> = client
        .send_bulk(&filler, std::iter::repeat_n(channel, 499))
        .collect()
        .await;
    assert!(results
        .iter()
        .all(|(_, r)| r.as_ref().unwrap().status == 200));
    assert_eq!(world.fake.channel(phone.id).unwrap().sent_today, 500);
    world.clear_records();

    world
        .send("one-time", json!({"tile": false, "toast": false}))
        .await;
    for hour in 1..=24 {
        world.fake.wait_for_notifications(hour).await;
        world.clock.wait_for_sleepers(1).await;
        world.clock.advance(HOUR);
    }
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(records.len(), 25);
    assert!(records[..24].iter().all(|r| r.response.status == 406));
    assert_eq!(records[24].response.status, 200);
    assert_eq!(records[24].received_at_ms, 24 * 3_600_000);
    assert_eq!(
        raw_text(&records[24]).as_deref(),
        Some("Game has been released")
    );
    let first_and_last = vec![records[0].clone(), records[23].clone(), records[24].clone()];
    snapshot("patterns_throttled_hourly", &summarize(&first_and_last));
}

#[tokio::test]
async fn the_counter_stops_at_99_after_120_increments() {
    let world = World::new().await;
    let phone = world.channel("7.1", device(|d| d.power = Some(Power::CriticalLow)));
    world.register("ann", &phone, "7.1").await;
    world.activate("counter").await;
    for _ in 0..120 {
        world.send("counter", json!({})).await;
        world.wait_idle().await;
    }
    let (_, info) = world
        .request("GET", "/api/server-info?user=ann", None)
        .await;
    assert_eq!(info["counter"], 99);
    let counts: Vec<_> = world
        .records()
        .iter()
        .flat_map(tile_props)
        .filter(|p| p.starts_with("Count="))
        .collect();
    assert_eq!(counts.len(), 120, "every send still sends its tile");
    assert_eq!(counts[98], "Count=99");
    assert!(counts[98..].iter().all(|c| c == "Count=99"));
    let log = world.status_log();
    assert!(log.iter().all(|e| e["http"] == 200), "no send failed");
}

#[tokio::test]
async fn an_inactive_counter_probe_sends_the_tile_which_arrives_when_the_device_is_back() {
    let world = World::new().await;
    let phone = world.channel("8.0", DeviceUpdate::default());
    world.register("ann", &phone, "8.0").await;
    world.activate("counter").await;
    set(
        &world,
        &phone,
        device(|d| d.connection = Some(Connection::Inactive)),
    );
    world.send("counter", json!({})).await;
    world.fake.wait_for_notifications(2).await;
    // The queue's worker is the one sleeper, once nothing is in flight: probe and tile both
    // wait for the same hour.
    world.clock.wait_for_sleepers(1).await;
    world
        .fake
        .update_device(phone.id, &DeviceUpdate::connection(Connection::Connected))
        .unwrap();
    world.clock.advance(HOUR);
    world.wait_idle().await;
    let records = world.records();
    let after: Vec<_> = records
        .iter()
        .filter(|r| r.received_at_ms == 3_600_000)
        .collect();
    assert_eq!(after.len(), 2, "probe and tile, an hour later");
    assert!(after.iter().all(|r| r.response.status == 200));
    let tile = after.iter().find(|r| raw_text(r).is_none()).unwrap();
    assert_eq!(tile_props(tile)[1], "Count=1");
}

#[tokio::test]
async fn ask_to_pin_asks_after_the_retried_tile_is_suppressed() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.activate("ask-to-pin").await;
    set(
        &world,
        &phone,
        device(|d| {
            d.connection = Some(Connection::Inactive);
            d.primary_tile_pinned = Some(false);
        }),
    );
    world.send("ask-to-pin", json!({})).await;
    world.fake.wait_for_notifications(1).await;
    world.clock.wait_for_sleepers(1).await;
    world
        .fake
        .update_device(phone.id, &DeviceUpdate::connection(Connection::Connected))
        .unwrap();
    world.clock.advance(HOUR);
    world.wait_idle().await;
    let ask: Vec<_> = world
        .records()
        .into_iter()
        .filter(|r| raw_text(r).as_deref() == Some("AskToPin"))
        .collect();
    assert_eq!(ask.len(), 1);
    assert_eq!(ask[0].received_at_ms, 3_600_000);
}

#[tokio::test]
async fn operator_mistakes_get_clear_errors() {
    let world = World::new().await;
    let mut errors = serde_json::Map::new();
    let cases = [
        (
            "unknown pattern to activate",
            "POST",
            "/api/patterns/active",
            Some(json!({"pattern": "blink"})),
        ),
        (
            "count out of range",
            "POST",
            "/api/patterns/one-time/send",
            Some(json!({"count": 120})),
        ),
        (
            "nothing chosen",
            "POST",
            "/api/patterns/one-time/send",
            Some(json!({"tile": false, "toast": false, "raw": false})),
        ),
        (
            "unknown field",
            "POST",
            "/api/patterns/counter/send",
            Some(json!({"colour": "red"})),
        ),
        (
            "bad custom colour",
            "POST",
            "/api/patterns/custom-tile/send",
            Some(json!({"color": "sparkly"})),
        ),
        (
            "bad custom background",
            "POST",
            "/api/patterns/custom-tile/send",
            Some(json!({"background": "../../etc/passwd"})),
        ),
        (
            "raw too long",
            "POST",
            "/api/patterns/one-time/send",
            Some(json!({"raw_message": "x".repeat(1100)})),
        ),
        (
            "not the active pattern",
            "POST",
            "/api/patterns/counter/send",
            Some(json!({})),
        ),
        (
            "tile schedule has no send",
            "POST",
            "/api/patterns/tile-schedule/send",
            None,
        ),
        ("no such pattern", "POST", "/api/patterns/blink/send", None),
    ];
    for (name, method, path, body) in cases {
        let (status, reply) = world.request(method, path, body).await;
        assert!(status.is_client_error(), "{name}: {status}");
        errors.insert(
            name.into(),
            json!({"status": status.as_u16(), "body": reply}),
        );
    }
    snapshot(
        "patterns_operator_errors",
        &serde_json::Value::Object(errors),
    );

    let (status, list) = world.request("GET", "/api/patterns", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["active"], "one-time");
    assert_eq!(
        list["patterns"][2],
        json!({"id": "ask-to-pin", "name": "Ask to Pin", "active": false})
    );
    // An empty body sends the recipe's defaults.
    let (status, reply) = world
        .request("POST", "/api/patterns/one-time/send", None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
}
