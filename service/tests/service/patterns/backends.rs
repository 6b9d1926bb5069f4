//! The same pattern scenario on both store back ends: SQLite and PostgreSQL must keep the same
//! status log (`support::pg::stores`; without `MPNS_TEST_DATABASE_URL` only SQLite runs, with a
//! loud SKIP for the other).

use crate::support::patterns as patterns_support;

use std::time::Duration;

use mpns_harness::fake::{Connection, DeviceUpdate, FaultRule, Subscription};
use mpns_harness::FakeMpns;
use mpns_service::patterns::PatternsConfig;
use patterns_support::{World, HOUR};
use serde_json::json;

fn device(update: impl FnOnce(&mut DeviceUpdate)) -> DeviceUpdate {
    let mut d = DeviceUpdate::default();
    update(&mut d);
    d
}

/// One scripted scenario on each back end (a 503 retried a minute later, a 412 retried at the
/// hour once the device is back, a 404 Expired pruned, a plain 200), its status logs rendered
/// to the same text: one snapshot, and the two asserted equal. Without
/// `MPNS_TEST_DATABASE_URL` only the SQLite half runs (with a loud SKIP for the other).
#[tokio::test]
async fn sqlite_and_postgres_give_the_same_status_log_for_one_scripted_scenario() {
    let mut logs = Vec::new();
    for store in crate::support::pg::stores(
        "sqlite_and_postgres_give_the_same_status_log_for_one_scripted_scenario",
    ) {
        // One request at a time: the log's order is the subscribers' order.
        let config = PatternsConfig {
            concurrency: 1,
            ..PatternsConfig::default()
        };
        let world = World::with_store(FakeMpns::builder(), config, &[], (*store).clone()).await;
        let ann = world.channel("8.0", DeviceUpdate::default());
        let bob = world.channel("8.0", device(|d| d.connection = Some(Connection::Inactive)));
        let cid = world.channel(
            "8.0",
            device(|d| d.subscription = Some(Subscription::Expired)),
        );
        let dan = world.channel("8.0", DeviceUpdate::default());
        let users = [("ann", &ann), ("bob", &bob), ("cid", &cid), ("dan", &dan)];
        for (user, channel) in users {
            world.register(user, channel, "8.0").await;
        }
        world.fake.add_fault(FaultRule::next_503(1)).unwrap();
        world
            .send("one-time", json!({"tile": false, "raw": false}))
            .await;
        world.fake.wait_for_notifications(4).await;
        world.clock.wait_for_sleepers(1).await;
        world.clock.advance(Duration::from_secs(60));
        world.fake.wait_for_notifications(5).await;
        world
            .fake
            .update_device(bob.id, &DeviceUpdate::connection(Connection::Connected))
            .unwrap();
        world.clock.wait_for_sleepers(1).await;
        world.clock.advance(HOUR - Duration::from_secs(60));
        world.wait_idle().await;
        assert_eq!(
            world.subscriber_names(),
            ["ann", "bob", "dan"],
            "{}",
            store.backend
        );
        let who: std::collections::HashMap<String, &str> = users
            .iter()
            .map(|(u, c)| (c.uri.rsplit('/').next().unwrap().to_owned(), *u))
            .collect();
        let rendered: Vec<String> = world
            .status_log()
            .iter()
            .map(|row| {
                format!(
                    "{}s {} {} {} {} {} to {}",
                    row["seconds"],
                    row["pattern"].as_str().unwrap(),
                    row["type"].as_str().unwrap(),
                    row["http"],
                    row["statuses"].as_str().unwrap(),
                    if row["has_message_id"] == true {
                        "id"
                    } else {
                        "no-id"
                    },
                    who[row["channel"].as_str().unwrap()],
                )
            })
            .collect();
        logs.push((store.backend, rendered));
    }
    let (_, first) = &logs[0];
    for (backend, log) in &logs[1..] {
        assert_eq!(log, first, "{backend}'s status log differs from SQLite's");
    }
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!("store_status_log_same_on_both_back_ends", first.join("\n"));
    });
}
