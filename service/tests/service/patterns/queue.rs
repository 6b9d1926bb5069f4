//! The patterns' sends as the durable queue runs them: bounded concurrency, a parked retry
//! holding no request slot, a batch's counts while it runs, stored channels re-checked at send
//! time, retries surviving a restart, and cancelling a batch. Same set-up as `delivery`.

use crate::support::patterns as patterns_support;
use crate::support::within;

use std::time::Duration;

use mpns_harness::fake::{Connection, DeviceUpdate};
use mpns_harness::FakeMpns;
use mpns_service::patterns::PatternsConfig;
use patterns_support::{device, set, tile_only, World, HOUR};
use serde_json::json;

#[tokio::test]
async fn no_more_requests_are_in_flight_than_the_concurrency_allows() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    // A stand-in MPNS that notes how many requests it holds at once; each answer yields to the
    // runtime a few times first, so that overlapping requests would overlap here.
    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        max: AtomicUsize,
        total: AtomicUsize,
    }
    let gauge = Arc::new(Gauge::default());
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::post({
            let gauge = gauge.clone();
            move || {
                let gauge = gauge.clone();
                async move {
                    let now = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
                    gauge.max.fetch_max(now, Ordering::SeqCst);
                    for _ in 0..20 {
                        tokio::task::yield_now().await;
                    }
                    gauge.now.fetch_sub(1, Ordering::SeqCst);
                    gauge.total.fetch_add(1, Ordering::SeqCst);
                    [
                        ("X-NotificationStatus", "Received"),
                        ("X-DeviceConnectionStatus", "Connected"),
                        ("X-SubscriptionStatus", "Active"),
                    ]
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let config = PatternsConfig {
        concurrency: 2,
        ..PatternsConfig::default()
    };
    // The stand-in's address is an allowed host: every send checks the channel again.
    let world = World::with_hosts(FakeMpns::builder(), config, &[&addr.to_string()]).await;
    let store = world.state().store().clone();
    for i in 0..12 {
        store
            .register(&mpns_service::registration::Registration {
                user_name: format!("u{i}"),
                channel_uri: format!("http://{addr}/throttledthirdparty/01.00/c{i}"),
                os_version: "8.0".into(),
                registered_at: patterns_support::start_time(),
                last_outcome: None,
                platform: mpns_service::registration::Platform::Mpns,
            })
            .unwrap();
    }
    world.activate("one-time").await;
    world.send("one-time", json!({})).await;
    world.wait_idle().await;
    assert_eq!(gauge.total.load(Ordering::SeqCst), 12 + 36, "all sent");
    let max = gauge.max.load(Ordering::SeqCst);
    assert!(max <= 2, "{max} requests were in flight at once");
    assert_eq!(max, 2, "the two slots were used");
}

#[tokio::test]
async fn a_temporarily_disconnected_device_is_not_retried_mpns_queues_for_it() {
    let world = World::new().await;
    let phone = world.channel("7.1", DeviceUpdate::default());
    world.register("ann", &phone, "7.1").await;
    world.activate("one-time").await;
    set(
        &world,
        &phone,
        DeviceUpdate::connection(Connection::TempDisconnected),
    );
    world.send("one-time", tile_only()).await;
    world.wait_idle().await;
    assert_eq!(
        world.clock.waiting(),
        0,
        "200 Received is accepted: nothing to retry"
    );
    let records = world.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].response.device,
        Some(Connection::TempDisconnected)
    );
    let state =
        |w: &World| serde_json::to_value(&w.records()[0].delivery).unwrap()["state"].clone();
    assert_eq!(state(&world), "queued");

    // Back in coverage: MPNS delivers what it queued; the service sent nothing more.
    set(
        &world,
        &phone,
        DeviceUpdate::connection(Connection::Connected),
    );
    world
        .fake
        .wait_until(|f| {
            serde_json::to_value(&f.notifications(None).unwrap()[0].delivery).unwrap()["state"]
                == "delivered"
        })
        .await;
    assert_eq!(world.records().len(), 1);
    assert_eq!(state(&world), "delivered");
}

#[tokio::test]
async fn a_send_waiting_an_hour_to_retry_holds_no_slot_so_the_others_go_out_meanwhile() {
    let world = World::one_slot().await;
    let ann = world.channel("8.0", DeviceUpdate::default());
    world.register("ann", &ann, "8.0").await;
    for user in ["bob", "cat"] {
        let phone = world.channel("8.0", DeviceUpdate::default());
        world.register(user, &phone, "8.0").await;
    }
    world.activate("one-time").await;
    set(
        &world,
        &ann,
        device(|d| d.connection = Some(Connection::Inactive)),
    );
    world.send("one-time", tile_only()).await;

    // With its one slot, the service sends ann's tile first (412: retry in an hour), then bob's
    // and cat's while ann's retry waits on the clock.
    world.fake.wait_for_notifications(3).await;
    world.clock.wait_for_sleepers(1).await;
    let statuses: Vec<_> = world.records().iter().map(|r| r.response.status).collect();
    assert_eq!(statuses, [412, 200, 200]);

    set(
        &world,
        &ann,
        DeviceUpdate::connection(Connection::Connected),
    );
    world.clock.advance(HOUR);
    world.wait_idle().await;
    let statuses: Vec<_> = world.records().iter().map(|r| r.response.status).collect();
    assert_eq!(statuses, [412, 200, 200, 200]);
}

#[tokio::test]
async fn a_batch_counts_every_job_as_running_from_the_moment_it_is_sent() {
    use mpns_service::patterns::{OneTime, SendRequest};

    let world = World::one_slot().await;
    for user in ["ann", "bob", "cat", "dan"] {
        let phone = world.channel("8.0", DeviceUpdate::default());
        world.register(user, &phone, "8.0").await;
    }
    world.activate("one-time").await;
    let batch = world
        .patterns
        .send(SendRequest::OneTime(OneTime::default()))
        .await
        .unwrap();
    // Tile, toast and raw to each of the four: twelve jobs, all counted at once though they
    // start a few at a time.
    assert_eq!(batch.subscribers(), 4);
    assert_eq!(batch.in_flight(), 12);
    assert_eq!(world.patterns.in_flight(), 12);
    within("the batch of twelve jobs to finish", batch.finished()).await;
    assert_eq!(batch.in_flight(), 0);
    assert_eq!(world.records().len(), 12);
}

#[tokio::test]
async fn a_stored_channel_on_a_host_no_longer_allowed_is_skipped_and_logged_never_sent() {
    let world = World::new().await;
    let phone = world.channel("8.0", DeviceUpdate::default());
    world.register("ann", &phone, "8.0").await;
    // Stored when its host was allowed (another fake, on another port); it is not any more.
    let gone = "http://127.0.0.1:9/throttledthirdparty/01.00/gone";
    world
        .state()
        .store()
        .register(&mpns_service::registration::Registration {
            user_name: "old".into(),
            channel_uri: gone.into(),
            os_version: "8.0".into(),
            registered_at: patterns_support::start_time(),
            last_outcome: None,
            platform: mpns_service::registration::Platform::Mpns,
        })
        .unwrap();
    world.activate("one-time").await;
    world.send("one-time", tile_only()).await;
    world.wait_idle().await;
    assert_eq!(world.records().len(), 1, "only ann's tile reached MPNS");
    let rows = world.state().store().status_log(0, 100).unwrap();
    let refused: Vec<_> = rows.iter().filter(|e| e.channel_uri == gone).collect();
    assert_eq!(
        refused.len(),
        2,
        "Update Info and the tile, each logged: {rows:?}"
    );
    for row in refused {
        assert_eq!(row.http_status, None);
        let error = row.error.as_deref().unwrap();
        assert!(error.starts_with("not sent: "), "{error}");
        assert!(
            error.contains("127.0.0.1"),
            "names the refused host: {error}"
        );
    }
}

#[tokio::test]
async fn a_retry_parked_before_a_restart_goes_out_at_its_time_with_the_same_message_id() {
    let mut world = World::new().await;
    let phone = world.inactive_one_time_subscriber("ann", "7.1").await;
    world.send("one-time", tile_only()).await;
    world.fake.wait_for_notifications(1).await;
    world.clock.wait_for_sleepers(1).await;
    // The process "dies": its patterns stop; new ones start on the same store.
    world.restart_patterns();
    world
        .fake
        .update_device(phone.id, &DeviceUpdate::connection(Connection::Connected))
        .unwrap();
    assert_eq!(world.patterns.in_flight(), 1, "the parked retry resumed");
    world.clock.wait_for_sleepers(1).await;
    world.clock.advance(HOUR - Duration::from_secs(1));
    assert_eq!(world.records().len(), 1, "not a second early");
    world.clock.advance(Duration::from_secs(1));
    world.wait_idle().await;
    let records = world.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].response.status, 200);
    assert_eq!(records[1].received_at_ms, 3_600_000);
    assert_eq!(records[1].message_id, records[0].message_id);
    assert_eq!(records[1].repeat, 1, "the fake sees the same message again");
}

#[tokio::test]
async fn a_cancelled_batch_sends_nothing_more_and_its_parked_retries_never_go_out() {
    let world = World::one_slot().await;
    world.inactive_one_time_subscriber("ann", "7.1").await;
    let batch = world
        .patterns
        .send(mpns_service::patterns::SendRequest::OneTime(
            serde_json::from_value(tile_only()).unwrap(),
        ))
        .await
        .unwrap();
    world.fake.wait_for_notifications(1).await;
    world.clock.wait_for_sleepers(1).await;
    assert_eq!(world.patterns.cancel(batch.id()).await.unwrap(), Some(1));
    within("the cancelled batch to end", batch.finished()).await;
    world.clock.advance(HOUR);
    world.wait_idle().await;
    assert_eq!(world.records().len(), 1, "the retry was cancelled");
    let shown = world.state().store().batches(1).unwrap();
    assert_eq!((shown[0].cancelled, shown[0].cancelled_jobs), (true, 1));
    assert_eq!(world.patterns.cancel(9999).await.unwrap(), None);
}
