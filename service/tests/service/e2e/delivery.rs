//! The patterns through the whole World when MPNS does not simply accept: a device away or
//! inactive, an expired channel, a full queue, 503s and the daily limit. Retries wait on the one
//! virtual clock; the tests wait for them to park, move the clock, and look at the phone.

use crate::support::e2e as e2e_support;

use std::time::Duration;

use e2e_support::{snapshot, Scene, HOUR};
use futures_util::StreamExt;
use mpns_harness::fake::{Connection, DeviceUpdate, FaultRule, NotificationStatus};
use mpns_harness::phone::TileKey;
use mpns_harness::push_patterns::Settings;
use serde_json::json;

/// A tile-only One Time send.
fn tile_only(count: u8) -> serde_json::Value {
    json!({"toast": false, "raw": false, "count": count, "title": "Retry"})
}

fn statuses(scene: &Scene) -> Vec<(u64, u16)> {
    scene
        .records()
        .iter()
        .map(|r| (r.received_at_ms, r.response.status))
        .collect()
}

#[tokio::test]
async fn counter_sends_nothing_after_the_probe_to_a_temporarily_disconnected_phone_which_gets_it_on_reconnect(
) {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "7.1", "ann").await;
    scene.activate("counter").await;
    scene.clear_records();
    let phone = app.app().phone().clone();
    phone.set_connection(Connection::TempDisconnected);

    scene.send("counter", json!({})).await;
    scene.quiesce().await;
    let records = scene.records();
    assert_eq!(records.len(), 1, "only the probe");
    assert_eq!(
        records[0].response.device,
        Some(Connection::TempDisconnected)
    );
    assert_eq!(app.inbox(), ["Update Info"], "queued, not delivered yet");
    assert_eq!(scene.counter("ann").await, 0, "not counted");

    phone.set_connection(Connection::Connected);
    scene
        .world
        .fake()
        .wait_until(|f| {
            serde_json::to_value(&f.notifications(None).unwrap()[0].delivery).unwrap()["state"]
                == "delivered"
        })
        .await;
    scene.quiesce().await;
    assert_eq!(app.inbox(), ["Game Update", "Update Info"]);
    assert_eq!(scene.records().len(), 1, "the service sent nothing more");
    assert_eq!(app.app().tile(&TileKey::Primary).unwrap().badge(), None);
    snapshot("e2e_temp_disconnected_reconnected", &scene.render(&app));
}

#[tokio::test]
async fn an_inactive_phone_gets_412_retried_after_an_hour_then_shows_the_tile() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "8.0", "ann").await;
    scene.activate("one-time").await;
    scene.clear_records();
    let phone = app.app().phone().clone();
    phone.set_connection(Connection::Inactive);

    scene.send("one-time", tile_only(5)).await;
    scene.world.fake().wait_for_notifications(1).await;
    scene.clock.wait_for_sleepers(1).await;
    scene.world.advance(HOUR - Duration::from_secs(1)).await;
    assert_eq!(scene.records().len(), 1, "not a second early");
    scene.world.advance(Duration::from_secs(1)).await;
    scene.world.fake().wait_for_notifications(2).await;

    phone.set_connection(Connection::Connected);
    scene.clock.wait_for_sleepers(1).await;
    scene.world.advance(HOUR).await;
    scene.quiesce().await;
    assert_eq!(
        statuses(&scene),
        [(0, 412), (3_600_000, 412), (7_200_000, 200)]
    );
    let tile = app.app().tile(&TileKey::Primary).unwrap();
    assert_eq!((tile.badge(), tile.title()), (Some(5), Some("Retry")));
    snapshot("e2e_inactive_retried_payloads", &scene.payloads());
}

#[tokio::test]
async fn an_expired_channel_is_pruned_and_the_next_launch_registers_a_new_one() {
    let scene = Scene::start().await;
    // Raw only: closing the app closes its channel (nothing else keeps it).
    let ann = scene.phone("lumia", "8.0");
    ann.launch().await.unwrap();
    ann.set_settings(Settings {
        push: true,
        tile: false,
        toast: false,
        raw: true,
    })
    .await
    .unwrap();
    ann.login("ann").await.unwrap();
    let _bob = scene.logged_in("omnia", "7.1", "bob").await;
    scene.quiesce().await;
    let old_uri = ann.app().channel_uri().unwrap();
    ann.close();
    assert!(ann.app().channel().is_none());

    scene.activate("one-time").await;
    assert_eq!(scene.subscribers(), ["bob"], "ann's 404 pruned her");
    let gone: Vec<_> = scene
        .records()
        .into_iter()
        .filter(|r| r.response.status == 404)
        .collect();
    assert_eq!(gone.len(), 1);
    assert_eq!(
        scene.clock.waiting(),
        0,
        "a 404 is not retried ({} parked)",
        scene.clock.waiting()
    );

    ann.launch().await.unwrap();
    scene.quiesce().await;
    assert_eq!(scene.subscribers(), ["ann", "bob"]);
    let new_uri = ann.app().channel_uri().unwrap();
    assert_ne!(new_uri, old_uri, "a new channel");
    let stored = scene.service.state().store().registration("ann").unwrap();
    assert_eq!(stored.unwrap().channel_uri, new_uri);
}

#[tokio::test]
async fn a_full_queue_is_backed_off_and_the_tile_arrives_once_there_is_room() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "7.1", "ann").await;
    scene.activate("one-time").await;
    scene.clear_records();
    let channel = app.app().channel().unwrap().id;
    let capacity = |n| DeviceUpdate {
        queue_capacity: Some(n),
        ..DeviceUpdate::default()
    };
    scene
        .world
        .fake()
        .update_device(channel, &capacity(0))
        .unwrap();

    scene.send("one-time", tile_only(8)).await;
    scene.world.fake().wait_for_notifications(1).await;
    scene.clock.wait_for_sleepers(1).await;
    scene.world.advance(Duration::from_secs(60)).await;
    scene.world.fake().wait_for_notifications(2).await;
    scene
        .world
        .fake()
        .update_device(channel, &capacity(30))
        .unwrap();
    scene.clock.wait_for_sleepers(1).await;
    scene.world.advance(Duration::from_secs(120)).await;
    scene.quiesce().await;

    let answers: Vec<_> = scene
        .records()
        .iter()
        .map(|r| (r.received_at_ms, r.response.notification))
        .collect();
    assert_eq!(
        answers,
        [
            (0, Some(NotificationStatus::QueueFull)),
            (60_000, Some(NotificationStatus::QueueFull)),
            (180_000, Some(NotificationStatus::Received))
        ]
    );
    assert_eq!(app.app().tile(&TileKey::Primary).unwrap().badge(), Some(8));
}

#[tokio::test]
async fn two_503s_are_backed_off_and_the_custom_tile_arrives_with_its_image() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "8.0", "ann").await;
    scene.activate("custom-tile").await;
    scene.clear_records();
    scene
        .world
        .fake()
        .add_fault(FaultRule::next_503(2))
        .unwrap();

    scene
        .send("custom-tile", json!({"text": "Third time"}))
        .await;
    for (sent, wait) in [(1, 60), (2, 120)] {
        scene.world.fake().wait_for_notifications(sent).await;
        scene.clock.wait_for_sleepers(1).await;
        scene.world.advance(Duration::from_secs(wait)).await;
    }
    scene.quiesce().await;
    assert_eq!(statuses(&scene), [(0, 503), (60_000, 503), (180_000, 200)]);
    let tile = app.app().tile(&TileKey::Primary).unwrap();
    assert!(tile
        .get("BackgroundImage")
        .unwrap()
        .contains("/images/custom.png?text=Third%20time"));
    snapshot("e2e_503_backed_off", &scene.render(&app));
}

#[tokio::test]
async fn throttled_at_500_a_day_the_tile_is_retried_hourly_and_shown_when_the_day_turns() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "7.1", "ann").await;
    scene.activate("one-time").await; // the first of the day's 500
    app.close(); // the filler raws are suppressed, not shown
    let channel: mpns::ChannelUri = app.app().channel_uri().unwrap().parse().unwrap();
    let filler = mpns::Raw::new(&b"filler"[..]).build().unwrap();
    let results: Vec<_> = mpns::Client::new()
        .send_bulk(&filler, std::iter::repeat_n(channel, 499))
        .collect()
        .await;
    assert!(results
        .iter()
        .all(|(_, r)| r.as_ref().unwrap().status == 200));
    let id = app.app().channel().unwrap().id;
    assert_eq!(scene.world.fake().channel(id).unwrap().sent_today, 500);
    scene.world.settle().await;
    scene.clear_records();

    scene.send("one-time", tile_only(9)).await;
    for hour in 1..=24 {
        scene.world.fake().wait_for_notifications(hour).await;
        scene.clock.wait_for_sleepers(1).await;
        scene.world.advance(HOUR).await;
    }
    scene.quiesce().await;
    let records = scene.records();
    assert_eq!(records.len(), 25);
    assert!(records[..24].iter().all(|r| r.response.status == 406));
    assert_eq!(
        (records[24].received_at_ms, records[24].response.status),
        (24 * 3_600_000, 200)
    );
    assert_eq!(app.app().tile(&TileKey::Primary).unwrap().badge(), Some(9));
}
