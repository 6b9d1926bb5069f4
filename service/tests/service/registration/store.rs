//! The service's store, on both back ends (`support::pg::stores`: SQLite in memory, and a fresh
//! PostgreSQL database when `MPNS_TEST_DATABASE_URL` names a server): migrations of old files
//! and of a database several processes open at once, nothing lost across a restart, pruning of
//! expired channels, and the concurrency properties (no lost registration, no lost counter
//! increment, never above 99). The send queue's own store tests are unit tests beside it
//! (`service/src/registration/store/send_queue.rs`), on both back ends too.

use crate::support::service as service_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use crate::support::pg::{self, stores};
use axum::http::StatusCode;
use mpns::{MessageKind, Outcome};
use mpns_service::registration::{
    PatternKind, Registration, StatusEntry, Store, StoreError, MAX_COUNTER, SCHEMA_VERSION,
};
use proptest::prelude::*;
use service_support::{App, LIVE_CHANNEL};

/// A database file in a fresh temporary folder, removed when dropped.
struct TempDb {
    dir: tempfile::TempDir,
}

impl TempDb {
    fn new() -> TempDb {
        TempDb {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("service.sqlite3")
    }
}

fn registration(user: &str, channel: &str) -> Registration {
    Registration {
        user_name: user.to_owned(),
        channel_uri: channel.to_owned(),
        os_version: "8.0".to_owned(),
        registered_at: UNIX_EPOCH + Duration::from_millis(1_795_698_866_123),
        last_outcome: None,
        platform: mpns_service::registration::Platform::Mpns,
    }
}

fn expired() -> Outcome {
    Outcome::from_parts(
        404,
        [
            ("X-NotificationStatus", "Dropped"),
            ("X-DeviceConnectionStatus", "Connected"),
            ("X-SubscriptionStatus", "Expired"),
        ],
    )
}

/// The registered users' names, in the store's order.
fn user_names(store: &Store) -> Vec<String> {
    store
        .subscribers()
        .unwrap()
        .into_iter()
        .map(|r| r.user_name)
        .collect()
}

#[test]
fn a_fresh_database_file_is_at_the_latest_schema() {
    let db = TempDb::new();
    let store = Store::open(db.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(
        store.tile_requests().unwrap().is_empty(),
        "the last step's table exists"
    );
}

#[test]
fn a_version_one_database_is_migrated_and_keeps_its_rows() {
    let db = TempDb::new();
    {
        // What the first release wrote: step 1 of the schema only.
        let conn = rusqlite::Connection::open(db.path()).unwrap();
        conn.execute_batch(
            "CREATE TABLE registrations (
                user_name TEXT PRIMARY KEY NOT NULL, channel_uri TEXT NOT NULL,
                os_version TEXT NOT NULL, registered_at INTEGER NOT NULL);
             CREATE INDEX registrations_by_channel ON registrations (channel_uri);
             CREATE TABLE status_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT, pattern TEXT NOT NULL,
                message_type TEXT NOT NULL, http_status INTEGER, notification TEXT, device TEXT,
                subscription TEXT, message_id TEXT, channel_uri TEXT NOT NULL, at INTEGER NOT NULL,
                error TEXT);
             INSERT INTO registrations VALUES ('ann', 'http://db3.notify.live.net/x', '7.1', 1000);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = Store::open(db.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let ann = store.registration("ann").unwrap().expect("row kept");
    assert_eq!(ann.channel_uri, "http://db3.notify.live.net/x");
    assert_eq!(ann.registered_at, UNIX_EPOCH + Duration::from_secs(1));
    assert_eq!(ann.last_outcome, None);
    assert_eq!(
        ann.platform,
        mpns_service::registration::Platform::Mpns,
        "a registration from before platforms is an MPNS one"
    );
    // The tables of the later steps exist and work.
    assert_eq!(
        store
            .increment_counter(PatternKind::Counter, "ann")
            .unwrap(),
        1
    );
}

#[test]
fn a_database_from_a_newer_build_is_refused_with_a_clear_error() {
    let db = TempDb::new();
    {
        let conn = rusqlite::Connection::open(db.path()).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(db.path()).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }));
    assert_eq!(
        err.to_string(),
        format!("database schema version 99 is newer than the {SCHEMA_VERSION} versions this program knows; use a newer build or another database")
    );
}

#[tokio::test]
async fn a_restart_on_the_same_file_loses_nothing() {
    let db = TempDb::new();
    let tile = serde_json::json!({"title": "Game Update", "count": 1, "background": "/Resources/TileImages/TileBackground3.jpg"});
    let at = UNIX_EPOCH + Duration::from_secs(1_795_698_866);
    {
        let app = App::with_store(Store::open(db.path()).unwrap());
        assert_eq!(
            app.register("ann", LIVE_CHANNEL, "7.1").await.status,
            StatusCode::CREATED
        );
        app.register(
            "bob",
            "http://127.0.0.1:4040/throttledthirdparty/01.00/b",
            "8.0",
        )
        .await;
        let store = app.state.store();
        store.set_active_pattern(PatternKind::AskToPin).unwrap();
        store
            .increment_counter(PatternKind::Counter, "ann")
            .unwrap();
        store
            .increment_counter(PatternKind::Counter, "ann")
            .unwrap();
        store
            .set_last_tile(PatternKind::AskToPin, "bob", &tile, at)
            .unwrap();
        store
            .record_send(&StatusEntry::from_outcome(
                PatternKind::AskToPin,
                MessageKind::Tile,
                "http://127.0.0.1:4040/throttledthirdparty/01.00/b",
                &Outcome::from_parts(200, [("X-NotificationStatus", "Suppressed")]),
                at,
            ))
            .unwrap();
        let reply = app
            .post_json("/api/tile-update", r#"{"user_name":"ann","number":4}"#)
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED);
    }

    let store = Store::open(db.path()).unwrap();
    let app = App::with_store(store.clone());
    let users = user_names(&store);
    assert_eq!(users, ["ann", "bob"]);
    assert_eq!(
        store
            .registration("bob")
            .unwrap()
            .unwrap()
            .last_outcome
            .as_deref(),
        Some("200 Suppressed/-/-")
    );
    assert_eq!(store.active_pattern().unwrap(), PatternKind::AskToPin);
    assert_eq!(store.counter(PatternKind::Counter, "ann").unwrap(), 2);
    assert_eq!(
        store.last_tile(PatternKind::AskToPin, "bob").unwrap(),
        Some(tile)
    );
    assert_eq!(store.status_log(0, 10).unwrap().len(), 1);
    assert_eq!(store.tile_requests().unwrap()[0].number, 4);
    let info = app.get("/api/server-info?user=ann").await.json();
    assert_eq!(info["push_pattern"], "Ask to Pin");
}

/// The log entry of a One Time toast to `channel` answered with `outcome`.
fn one_time_toast(channel: &str, outcome: &Outcome) -> StatusEntry {
    StatusEntry::from_outcome(
        PatternKind::OneTime,
        MessageKind::Toast,
        channel,
        outcome,
        UNIX_EPOCH,
    )
}

#[test]
fn expired_subscription_is_pruned_after_404() {
    for store in stores("expired_subscription_is_pruned_after_404") {
        let store = &*store;
        let dead = "http://db3.notify.live.net/dead";
        store.register(&registration("ann", dead)).unwrap();
        store.register(&registration("bob", dead)).unwrap();
        store.register(&registration("cid", LIVE_CHANNEL)).unwrap();

        let recorded = store
            .record_send(&one_time_toast(dead, &expired()))
            .unwrap();
        assert_eq!(recorded.pruned, ["ann", "bob"]);
        let left = user_names(store);
        assert_eq!(left, ["cid"]);
        let log = store.status_log(0, 10).unwrap();
        assert_eq!(
            log.len(),
            1,
            "the send is logged even though its users are gone"
        );
        assert_eq!(log[0].subscription_status.as_deref(), Some("Expired"));
    }
}

#[test]
fn sends_recorded_together_are_logged_in_order_and_each_prunes_its_own_channel() {
    for store in
        stores("sends_recorded_together_are_logged_in_order_and_each_prunes_its_own_channel")
    {
        let store = &*store;
        let dead = "http://db3.notify.live.net/dead";
        store.register(&registration("ann", dead)).unwrap();
        store.register(&registration("cid", LIVE_CHANNEL)).unwrap();
        let ok = Outcome::from_parts(200, [("X-NotificationStatus", "Received")]);
        let recorded = store
            .record_sends(&[
                one_time_toast(LIVE_CHANNEL, &ok),
                one_time_toast(dead, &expired()),
                one_time_toast(LIVE_CHANNEL, &ok),
            ])
            .unwrap();
        assert_eq!(recorded.len(), 3);
        assert!(recorded[0].id < recorded[1].id && recorded[1].id < recorded[2].id);
        assert!(recorded[0].pruned.is_empty() && recorded[2].pruned.is_empty());
        assert_eq!(recorded[1].pruned, ["ann"]);
        let log = store.status_log(0, 10).unwrap();
        let channels: Vec<_> = log.iter().map(|e| e.channel_uri.as_str()).collect();
        assert_eq!(channels, [LIVE_CHANNEL, dead, LIVE_CHANNEL]);
        let left = user_names(store);
        assert_eq!(left, ["cid"]);
    }
}

#[test]
fn a_user_who_re_registered_on_a_new_channel_is_not_pruned_by_the_old_one() {
    for store in stores("a_user_who_re_registered_on_a_new_channel_is_not_pruned_by_the_old_one") {
        let store = &*store;
        let old = "http://db3.notify.live.net/old";
        store.register(&registration("ann", old)).unwrap();
        store.register(&registration("ann", LIVE_CHANNEL)).unwrap();
        let recorded = store
            .record_send(&StatusEntry::from_outcome(
                PatternKind::OneTime,
                MessageKind::Raw,
                old,
                &expired(),
                UNIX_EPOCH,
            ))
            .unwrap();
        assert!(recorded.pruned.is_empty());
        assert_eq!(store.subscribers().unwrap().len(), 1);
    }
}

#[test]
fn a_404_without_expired_and_a_dropped_200_prune_nothing() {
    for store in stores("a_404_without_expired_and_a_dropped_200_prune_nothing") {
        let store = &*store;
        store.register(&registration("ann", LIVE_CHANNEL)).unwrap();
        for outcome in [
            Outcome::from_parts(404, [("Server", "nginx")]),
            Outcome::from_parts(200, [("X-NotificationStatus", "Dropped")]),
            Outcome::from_parts(412, [("X-DeviceConnectionStatus", "Inactive")]),
        ] {
            let recorded = store
                .record_send(&StatusEntry::from_outcome(
                    PatternKind::OneTime,
                    MessageKind::Tile,
                    LIVE_CHANNEL,
                    &outcome,
                    UNIX_EPOCH,
                ))
                .unwrap();
            assert!(recorded.pruned.is_empty(), "{outcome:?}");
        }
        assert_eq!(store.subscribers().unwrap().len(), 1);
    }
}

#[test]
fn the_counter_stops_at_99_and_reset_starts_it_over() {
    for store in stores("the_counter_stops_at_99_and_reset_starts_it_over") {
        let store = &*store;
        let p = PatternKind::Counter;
        let values: Vec<u8> = (0..120)
            .map(|_| store.increment_counter(p, "ann").unwrap())
            .collect();
        assert_eq!(values[0], 1);
        assert_eq!(values[98], 99);
        assert!(values[99..].iter().all(|&v| v == MAX_COUNTER));
        store.reset_counter(p, "ann").unwrap();
        assert_eq!(store.counter(p, "ann").unwrap(), 0);
        assert_eq!(store.increment_counter(p, "ann").unwrap(), 1);
        assert_eq!(
            store.counter(PatternKind::AskToPin, "ann").unwrap(),
            0,
            "counters are per pattern"
        );
    }
}

#[test]
fn registering_resets_the_counter_only_while_counter_is_the_active_pattern() {
    for store in stores("registering_resets_the_counter_only_while_counter_is_the_active_pattern") {
        let store = &*store;
        let p = PatternKind::Counter;
        store.register(&registration("ann", LIVE_CHANNEL)).unwrap();
        for _ in 0..3 {
            store.increment_counter(p, "ann").unwrap();
        }
        store.set_active_pattern(PatternKind::OneTime).unwrap();
        store.register(&registration("ann", LIVE_CHANNEL)).unwrap();
        assert_eq!(
            store.counter(p, "ann").unwrap(),
            3,
            "another pattern is active"
        );
        store.set_active_pattern(p).unwrap();
        store
            .increment_counter(PatternKind::AskToPin, "ann")
            .unwrap();
        store.register(&registration("ann", LIVE_CHANNEL)).unwrap();
        assert_eq!(store.counter(p, "ann").unwrap(), 0, "logged on: reset");
        assert_eq!(store.counter(PatternKind::AskToPin, "ann").unwrap(), 1);
    }
}

#[derive(Debug, Clone)]
enum CounterOp {
    Increment(usize),
    Reset(usize),
}

fn counter_op() -> impl Strategy<Value = CounterOp> {
    prop_oneof![
        8 => (0usize..3).prop_map(CounterOp::Increment),
        1 => (0usize..3).prop_map(CounterOp::Reset),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any sequence of increments and resets agrees with a clamped model, value by value.
    #[test]
    fn counter_matches_a_clamped_model(ops in proptest::collection::vec(counter_op(), 0..400)) {
        let store = Store::in_memory().unwrap();
        let users = ["ann", "bob", "cid"];
        let mut model = [0u8; 3];
        for op in ops {
            match op {
                CounterOp::Increment(u) => {
                    model[u] = (model[u] + 1).min(MAX_COUNTER);
                    let got = store.increment_counter(PatternKind::Counter, users[u]).unwrap();
                    prop_assert_eq!(got, model[u]);
                }
                CounterOp::Reset(u) => {
                    model[u] = 0;
                    store.reset_counter(PatternKind::Counter, users[u]).unwrap();
                }
            }
        }
        for (u, user) in users.iter().enumerate() {
            prop_assert_eq!(store.counter(PatternKind::Counter, user).unwrap(), model[u]);
        }
    }

    /// Increments from several threads at once: none is lost, none goes past 99. The values
    /// handed out are exactly 1..=min(n, 99), then 99 for every increment past the ceiling.
    #[test]
    fn concurrent_increments_are_never_lost_and_never_exceed_99(
        threads in 2usize..6,
        per_thread in 0usize..60,
    ) {
        let store = Store::in_memory().unwrap();
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    (0..per_thread)
                        .map(|_| store.increment_counter(PatternKind::Counter, "ann").unwrap())
                        .collect::<Vec<u8>>()
                })
            })
            .collect();
        let mut seen: Vec<u8> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        seen.sort_unstable();
        let n = threads * per_thread;
        let ceiling = n.min(MAX_COUNTER as usize);
        let mut expected: Vec<u8> = (1..=ceiling as u8).collect();
        expected.extend(std::iter::repeat_n(MAX_COUNTER, n - ceiling));
        prop_assert_eq!(seen, expected);
        prop_assert_eq!(store.counter(PatternKind::Counter, "ann").unwrap() as usize, ceiling);
    }

    /// Users registering at once through the HTTP API, each several times from several tasks:
    /// every user ends up registered exactly once, on one of the channels they sent.
    #[test]
    fn concurrent_registrations_never_lose_a_registration(
        users in 1usize..50,
        tasks in 2usize..6,
        rounds in 1usize..3,
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (registered, sent) = runtime.block_on(async {
            let app = std::sync::Arc::new(App::new());
            let mut joins = Vec::new();
            for task in 0..tasks {
                let app = app.clone();
                joins.push(tokio::spawn(async move {
                    let mut sent = Vec::new();
                    for round in 0..rounds {
                        for u in 0..users {
                            let user = format!("user{u:02}");
                            let channel = format!("http://db3.notify.live.net/throttledthirdparty/01.00/c{u}-{task}-{round}");
                            let reply = app.register(&user, &channel, "7.1").await;
                            assert!(reply.status.is_success(), "{:?}", reply.json());
                            sent.push((user, channel));
                        }
                    }
                    sent
                }));
            }
            let mut sent: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for join in joins {
                for (user, channel) in join.await.unwrap() {
                    sent.entry(user).or_default().insert(channel);
                }
            }
            let list = app.get("/api/subscribers").await.json();
            (list, sent)
        });
        let subscribers = registered["subscribers"].as_array().unwrap();
        prop_assert_eq!(registered["count"].as_u64().unwrap() as usize, users);
        prop_assert_eq!(subscribers.len(), users);
        for entry in subscribers {
            let user = entry["user_name"].as_str().unwrap();
            let channel = entry["channel_uri"].as_str().unwrap();
            prop_assert!(sent[user].contains(channel), "{} has a channel it never sent: {}", user, channel);
        }
    }
}

#[test]
fn the_latest_tile_requests_read_only_the_rows_asked_for_newest_first() {
    for store in stores("the_latest_tile_requests_read_only_the_rows_asked_for_newest_first") {
        let at = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        for i in 0..1000u32 {
            store
                .record_tile_request(
                    "ann",
                    "http://x/c",
                    u8::try_from(i % 10).unwrap(),
                    "http://x/i.png",
                    at,
                )
                .unwrap();
        }
        let latest = store.latest_tile_requests(5).unwrap();
        let ids: Vec<i64> = latest.iter().map(|r| r.id).collect();
        assert_eq!(ids, [1000, 999, 998, 997, 996], "{}", store.backend);
    }
}

/// The proptests above run on SQLite (a fresh PostgreSQL database per case would cost seconds);
/// here the same properties, on fixed cases, on both back ends.
#[test]
fn counters_match_a_clamped_model_and_concurrent_increments_are_never_lost_on_both_back_ends() {
    for store in stores(
        "counters_match_a_clamped_model_and_concurrent_increments_are_never_lost_on_both_back_ends",
    ) {
        let mut model = 0u8;
        for i in 0..130 {
            if i % 37 == 36 {
                store.reset_counter(PatternKind::Counter, "ann").unwrap();
                model = 0;
            } else {
                model = (model + 1).min(MAX_COUNTER);
                let got = store
                    .increment_counter(PatternKind::Counter, "ann")
                    .unwrap();
                assert_eq!(got, model, "{} step {i}", store.backend);
            }
        }
        for (threads, per_thread) in [(4, 30), (3, 20)] {
            store.reset_counter(PatternKind::Counter, "bob").unwrap();
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let store = (*store).clone();
                    std::thread::spawn(move || {
                        (0..per_thread)
                            .map(|_| {
                                store
                                    .increment_counter(PatternKind::Counter, "bob")
                                    .unwrap()
                            })
                            .collect::<Vec<u8>>()
                    })
                })
                .collect();
            let mut seen: Vec<u8> = handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect();
            seen.sort_unstable();
            let n = threads * per_thread;
            let ceiling = n.min(MAX_COUNTER as usize);
            let mut expected: Vec<u8> = (1..=ceiling as u8).collect();
            expected.extend(std::iter::repeat_n(MAX_COUNTER, n - ceiling));
            assert_eq!(seen, expected, "{}", store.backend);
        }
    }
}

#[test]
fn postgres_processes_starting_at_once_migrate_a_fresh_database_once() {
    let Some(server) =
        pg::server("postgres_processes_starting_at_once_migrate_a_fresh_database_once")
    else {
        return;
    };
    let db = pg::FreshDatabase::create(&server);
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || Store::connect(&url))
        })
        .collect();
    for store in opened {
        let store = store.join().unwrap().unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert!(store.is_shared());
    }
    let mut client = db.client();
    let rows = client
        .query("SELECT version FROM mpns_schema", &[])
        .unwrap();
    assert_eq!(rows.len(), 1);
    let tables: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        tables, 10,
        "9 tables of the schema and mpns_schema, each made once"
    );
}

#[test]
fn a_postgres_database_from_a_newer_build_is_refused_with_a_clear_error() {
    let Some(server) =
        pg::server("a_postgres_database_from_a_newer_build_is_refused_with_a_clear_error")
    else {
        return;
    };
    let db = pg::FreshDatabase::create(&server);
    drop(Store::connect(&db.url).unwrap());
    db.client()
        .execute("UPDATE mpns_schema SET version = 99", &[])
        .unwrap();
    let err = Store::connect(&db.url).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
}

#[test]
fn a_bad_or_unreachable_database_url_is_a_clear_error_without_the_password() {
    let err = Store::open_database("postgres://ann:s3cret@127.0.0.1:notaport/mpns").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::BadUrl { .. }), "{text}");
    assert!(
        text.starts_with("bad PostgreSQL URL postgres://ann:***@127.0.0.1:notaport/mpns: "),
        "{text}"
    );
    // Port 1 on loopback: nothing listens there.
    let err = Store::open_database("postgresql://ann:s3cret@127.0.0.1:1/mpns").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Connect { .. }), "{text}");
    assert!(
        text.starts_with(
            "could not connect to PostgreSQL at postgresql://ann:***@127.0.0.1:1/mpns: "
        ),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");
}
