//! Shared by the pattern tests: one virtual clock driving both the fake MPNS (batching,
//! throttling) and the service's retries, a fake MPNS on 127.0.0.1, the registration service
//! with the patterns (through `oneshot`), and helpers to read what the fake recorded.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use mpns::{Client, Sleep};
use mpns_harness::fake::{ChannelInfo, ChannelOptions, DeviceUpdate, NotificationRecord};
use mpns_harness::FakeMpns;
use mpns_service::patterns::{Patterns, PatternsConfig};
use mpns_service::registration::{AllowedHosts, ServiceConfig, ServiceState, Store};
use serde_json::{json, Value};
use tokio::sync::Notify;
use tower::ServiceExt;

use crate::support::within;

/// 2026-11-26T13:14:26Z: what the virtual clock's zero reads as.
pub(crate) fn start_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_698_866)
}

pub(crate) const HOUR: Duration = Duration::from_secs(3600);

/// `mpns::Clock` over the harness's virtual clock, so that one clock moves the fake and the
/// service together. It also counts pending sleeps, so a test can wait until a retry is parked
/// on the clock before moving it (instead of sleeping).
#[derive(Clone)]
pub(crate) struct SharedClock {
    clock: mpns_harness::Clock,
    base: SystemTime,
    sleeps: Arc<Sleeps>,
}

#[derive(Default)]
struct Sleeps {
    /// Deadlines of sleeps not yet dropped, by id.
    pending: Mutex<Vec<(u64, Duration)>>,
    next: Mutex<u64>,
    added: Notify,
}

struct SleepGuard {
    id: u64,
    sleeps: Arc<Sleeps>,
}

impl Drop for SleepGuard {
    fn drop(&mut self) {
        self.sleeps
            .pending
            .lock()
            .unwrap()
            .retain(|(id, _)| *id != self.id);
    }
}

impl SharedClock {
    pub(crate) fn new(clock: mpns_harness::Clock) -> SharedClock {
        SharedClock {
            clock,
            base: start_time(),
            sleeps: Arc::default(),
        }
    }

    /// Sleeps whose deadline is still ahead.
    pub(crate) fn waiting(&self) -> usize {
        let now = self.clock.now();
        self.sleeps
            .pending
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, at)| *at > now)
            .count()
    }

    /// Waits (on events, at most 10 s of wall-clock time) until `n` sleeps are parked with a
    /// deadline ahead.
    pub(crate) async fn wait_for_sleepers(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let added = self.sleeps.added.notified();
            tokio::pin!(added);
            added.as_mut().enable();
            if self.waiting() >= n {
                return;
            }
            if tokio::time::timeout_at(deadline, added).await.is_err() {
                panic!(
                    "waited 10 s for {n} retries parked on the clock; {} are",
                    self.waiting()
                );
            }
        }
    }

    /// Completes when a sleep is next parked on the clock.
    pub(crate) async fn sleeper_added(&self) {
        self.sleeps.added.notified().await;
    }

    /// Moves the one clock: the fake's timers and the service's sleeps.
    pub(crate) fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

impl mpns::Clock for SharedClock {
    fn now(&self) -> SystemTime {
        self.base + self.clock.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let at = self.clock.now().saturating_add(duration);
        let id = {
            let mut next = self.sleeps.next.lock().unwrap();
            *next += 1;
            *next
        };
        self.sleeps.pending.lock().unwrap().push((id, at));
        self.sleeps.added.notify_waiters();
        let guard = SleepGuard {
            id,
            sleeps: self.sleeps.clone(),
        };
        let clock = self.clock.clone();
        Box::pin(async move {
            let _guard = guard;
            clock.sleep_until(at).await;
        })
    }
}

/// The fake MPNS, the service with its patterns, and the clock they share.
///
/// Every request the fake received must be free of lint diagnostics (the fake's notes on what
/// deviates from the documented protocol): checked before [`clear_records`](World::clear_records)
/// (and so [`activate`](World::activate)) forgets the records and again when the World is dropped, so no pattern test can forget it.
pub(crate) struct World {
    pub fake: FakeMpns,
    pub clock: SharedClock,
    pub patterns: Patterns,
    /// Registrations and "Test Now" requests made through the helpers (service events).
    events: std::sync::atomic::AtomicU64,
}

impl World {
    pub(crate) async fn new() -> World {
        World::with(FakeMpns::builder(), PatternsConfig::default()).await
    }

    /// A world whose service sends one request at a time.
    pub(crate) async fn one_slot() -> World {
        let config = PatternsConfig {
            concurrency: 1,
            ..PatternsConfig::default()
        };
        World::with(FakeMpns::builder(), config).await
    }

    pub(crate) async fn with(
        builder: mpns_harness::FakeMpnsBuilder,
        config: PatternsConfig,
    ) -> World {
        World::with_hosts(builder, config, &[]).await
    }

    /// [`World::with`], allowing channels on `hosts` too (stand-in servers of a test).
    pub(crate) async fn with_hosts(
        builder: mpns_harness::FakeMpnsBuilder,
        config: PatternsConfig,
        hosts: &[&str],
    ) -> World {
        World::with_store(builder, config, hosts, Store::in_memory().unwrap()).await
    }

    /// [`World::with_hosts`] on a given store (a PostgreSQL one, say).
    pub(crate) async fn with_store(
        builder: mpns_harness::FakeMpnsBuilder,
        config: PatternsConfig,
        hosts: &[&str],
        store: Store,
    ) -> World {
        let harness_clock = mpns_harness::Clock::virtual_clock();
        let fake = builder.clock(harness_clock.clone()).start().await;
        let clock = SharedClock::new(harness_clock);
        let host = fake.uri().trim_start_matches("http://").to_owned();
        let mut allowed_hosts = AllowedHosts::default().with_host(&host).unwrap();
        for extra in hosts {
            allowed_hosts = allowed_hosts.with_host(extra).unwrap();
        }
        let service = ServiceConfig {
            allowed_hosts,
            public_base_url: Some("http://127.0.0.1:8000".into()),
            clock: Arc::new(clock.clone()),
            ..ServiceConfig::default()
        };
        let state = ServiceState::new(store, service);
        let patterns = Patterns::start(state, Client::new(), config);
        World {
            fake,
            clock,
            patterns,
            events: Default::default(),
        }
    }

    /// Stops the patterns and starts them again on the same store, as a restarted service
    /// would (the in-memory database stays).
    pub(crate) fn restart_patterns(&mut self) {
        let state = self.state().clone();
        self.patterns = Patterns::start(state, Client::new(), PatternsConfig::default());
        self.events = Default::default();
    }

    pub(crate) fn state(&self) -> &ServiceState {
        self.patterns.state()
    }

    /// A channel on a fresh device with this OS and initial state.
    pub(crate) fn channel(&self, os: &str, state: DeviceUpdate) -> ChannelInfo {
        self.fake
            .create_channel(ChannelOptions {
                os_version: Some(os.into()),
                device_state: Some(state),
                ..ChannelOptions::default()
            })
            .unwrap()
    }

    pub(crate) async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(path);
        let body = match body {
            Some(v) => {
                builder = builder.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let response = crate::support::app(self.patterns.clone())
            .oneshot(builder.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, value)
    }

    /// Registers through the service's API and checks it was accepted.
    pub(crate) async fn register(&self, user: &str, channel: &ChannelInfo, os: &str) {
        let (status, body) = self
            .request(
                "POST",
                "/api/registrations",
                Some(json!({"user_name": user, "channel_uri": channel.uri, "os_version": os})),
            )
            .await;
        assert!(status.is_success(), "registration refused: {status} {body}");
        self.event_handled().await;
    }

    /// "Test Now" through the service's API (202 expected); waits until the patterns handled it.
    pub(crate) async fn test_now(&self, user: &str, number: u8) {
        let (status, body) = self
            .request(
                "POST",
                "/api/tile-update",
                Some(json!({"user_name": user, "number": number})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        self.event_handled().await;
    }

    /// Waits until the patterns have handled the event just made (and started its jobs).
    async fn event_handled(&self) {
        let n = self
            .events
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        within(
            &format!("the patterns to handle service event {n}"),
            self.patterns.wait_for_events(n),
        )
        .await;
    }

    /// Waits until no job of the patterns is running (retries included): at most
    /// [`WAIT_LIMIT`](crate::support::WAIT_LIMIT) of wall-clock time, then the test fails saying
    /// how many jobs are still running and how many are parked on the clock.
    pub(crate) async fn wait_idle(&self) {
        let idle = self.patterns.wait_idle();
        if tokio::time::timeout(crate::support::WAIT_LIMIT, idle)
            .await
            .is_err()
        {
            panic!(
                "waited {:?} (wall clock) for the patterns to finish: {} job(s) running, {} parked on the clock (advance the clock past the retry first)",
                crate::support::WAIT_LIMIT,
                self.patterns.in_flight(),
                self.clock.waiting(),
            );
        }
    }

    /// Activates through the operator route, waits for the `Update Info` sends, and forgets
    /// what the fake recorded so far.
    pub(crate) async fn activate(&self, pattern: &str) {
        let (status, body) = self
            .request(
                "POST",
                "/api/patterns/active",
                Some(json!({ "pattern": pattern })),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        self.wait_idle().await;
        self.clear_records();
    }

    /// `user` on a new channel of a phone with `os`, One Time active, the phone Inactive: MPNS
    /// answers its sends 412, and the service parks each retry for an hour.
    pub(crate) async fn inactive_one_time_subscriber(&self, user: &str, os: &str) -> ChannelInfo {
        let phone = self.channel(os, DeviceUpdate::default());
        self.register(user, &phone, os).await;
        self.activate("one-time").await;
        set(
            self,
            &phone,
            device(|d| d.connection = Some(mpns_harness::fake::Connection::Inactive)),
        );
        phone
    }

    /// Forgets what the fake recorded so far, after checking it for lint diagnostics.
    pub(crate) fn clear_records(&self) {
        assert_no_lint(&self.records());
        self.fake.clear_notifications(None).unwrap();
    }

    /// Sends a pattern through the operator route (202 expected).
    pub(crate) async fn send(&self, pattern: &str, body: Value) -> Value {
        let (status, reply) = self
            .request("POST", &format!("/api/patterns/{pattern}/send"), Some(body))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
        reply
    }

    pub(crate) fn records(&self) -> Vec<NotificationRecord> {
        self.fake.notifications(None).unwrap()
    }

    /// The service's status log, as JSON rows without ids, ids of messages and times.
    pub(crate) fn status_log(&self) -> Vec<Value> {
        self.state()
            .store()
            .status_log(0, 1000)
            .unwrap()
            .into_iter()
            .map(|e| {
                json!({
                    "pattern": e.pattern,
                    "type": e.message_type,
                    "http": e.http_status,
                    "statuses": format!(
                        "{}/{}/{}",
                        e.notification_status.as_deref().unwrap_or("-"),
                        e.device_connection_status.as_deref().unwrap_or("-"),
                        e.subscription_status.as_deref().unwrap_or("-")
                    ),
                    "channel": e.channel_uri.rsplit('/').next().unwrap_or(""),
                    "has_message_id": e.message_id.is_some(),
                    "seconds": e.at.duration_since(start_time()).unwrap().as_secs(),
                })
            })
            .collect()
    }

    pub(crate) fn subscriber_names(&self) -> Vec<String> {
        self.state()
            .store()
            .subscribers()
            .unwrap()
            .into_iter()
            .map(|r| r.user_name)
            .collect()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_no_lint(&self.records());
        }
    }
}

/// Fails the test if a request the fake received has a lint diagnostic (the fake's notes on
/// what deviates from the documented protocol, `NotificationRecord::diagnostics`), listing each.
pub(crate) fn assert_no_lint(records: &[NotificationRecord]) {
    let notes: Vec<String> = records
        .iter()
        .filter(|r| !r.diagnostics.is_empty())
        .map(|r| {
            format!(
                "#{} {:?} to channel {:?}: {}",
                r.seq,
                r.target,
                r.channel.map(|c| c.0),
                r.diagnostics.join(" | ")
            )
        })
        .collect();
    assert!(
        notes.is_empty(),
        "the fake MPNS's lint found {} request(s) deviating from the protocol; fix what the pattern sends:\n{}",
        notes.len(),
        notes.join("\n")
    );
}

/// What a notification record says, without volatile ids: channel, arrival time (virtual, ms),
/// class, the parsed content and the answer. Sorted by channel, time, then type and body (sends
/// made at the same moment reach the fake in any order).
pub(crate) fn summarize(records: &[NotificationRecord]) -> Value {
    let mut rows: Vec<(u64, u64, String, Value)> = records
        .iter()
        .map(|r| {
            let target = serde_json::to_value(r.target).unwrap();
            let row = json!({
                "channel": r.channel.map(|c| c.0),
                "at_ms": r.received_at_ms,
                "target": target,
                "batching": r.batching,
                "content": r.content,
                "answer": r.response,
                "delivery": r.delivery,
            });
            let key = format!("{target}{}", String::from_utf8_lossy(&r.body));
            (r.channel.map_or(0, |c| c.0), r.received_at_ms, key, row)
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    Value::Array(rows.into_iter().map(|r| r.3).collect())
}

/// A named snapshot under the top-level `snapshots/`.
pub(crate) fn snapshot(name: &str, value: &Value) {
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!(name, serde_json::to_string_pretty(value).unwrap());
    });
}

/// The tile properties of a record, as `name=value` (`name clear` for a clear).
pub(crate) fn tile_props(record: &NotificationRecord) -> Vec<String> {
    let content = serde_json::to_value(&record.content).unwrap();
    content["properties"]
        .as_array()
        .map(|props| {
            props
                .iter()
                .map(|p| match p[1]["set"].as_str() {
                    Some(v) => format!("{}={v}", p[0].as_str().unwrap()),
                    None => format!("{} clear", p[0].as_str().unwrap()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The raw text of a record, if it is a raw notification.
pub(crate) fn raw_text(record: &NotificationRecord) -> Option<String> {
    let content = serde_json::to_value(&record.content).unwrap();
    (content["type"] == "raw")
        .then(|| content["body"].as_str().map(str::to_owned))
        .flatten()
}

/// A device update made by `update` from the default (nothing changed).
pub(crate) fn device(update: impl FnOnce(&mut DeviceUpdate)) -> DeviceUpdate {
    let mut d = DeviceUpdate::default();
    update(&mut d);
    d
}

/// Changes `channel`'s device on the World's fake.
pub(crate) fn set(world: &World, channel: &ChannelInfo, update: DeviceUpdate) {
    world.fake.update_device(channel.id, &update).unwrap();
}

/// A tile-only One Time send.
pub(crate) fn tile_only() -> Value {
    json!({"toast": false, "raw": false, "count": 5, "title": "Retry"})
}
