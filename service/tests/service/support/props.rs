//! What the pattern properties share: a generated population of phones running the Push
//! Patterns app (OS version, pinned or not, app closed, in the background or in the foreground,
//! battery, and a connection that is away for the first operator action), 503s for one phone,
//! a way to run the World to its end (retries parked on the clock included), and the checks
//! every pattern's property makes of the wire: no lint diagnostic, one status-log row per
//! request the fake received, nothing delivered twice.

use std::collections::BTreeMap;

use mpns_harness::fake::DeliveryState;
use mpns_harness::fake::{Connection, FaultRule, NotificationRecord};
use mpns_harness::phone::{Outcome, PowerLevel, Tile, TileKey};
use mpns_harness::push_patterns::Settings;
use mpns_harness::PushPatterns;
use proptest::prelude::*;

use crate::support::e2e::{Scene, HOUR};

/// The OS versions an emulated phone runs, 7.0 to 8.1 with 8.0 GDR3 (`8.0.10492`, as its apps
/// register it).
pub(crate) const PHONE_OS: [&str; 6] = ["7.0", "7.1", "7.8", "8.0", "8.0.10492", "8.1"];

/// Where the app is while the operator acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    Closed,
    Background,
    Foreground,
}

/// One phone of a population.
#[derive(Debug, Clone)]
pub(crate) struct PhoneSpec {
    pub os: &'static str,
    pub pinned: bool,
    pub run: Run,
    pub power: PowerLevel,
    /// The device's connection during the first operator action (then it comes back).
    pub away: Connection,
}

impl PhoneSpec {
    /// 8.0 and later get Flip tiles.
    pub(crate) fn flip(&self) -> bool {
        self.os.starts_with('8')
    }

    /// 7.0 gets no toast `Param`.
    pub(crate) fn takes_param(&self) -> bool {
        self.os != "7.0"
    }
}

pub(crate) fn phone_spec() -> impl Strategy<Value = PhoneSpec> {
    (
        prop::sample::select(&PHONE_OS[..]),
        any::<bool>(),
        prop_oneof![
            Just(Run::Closed),
            Just(Run::Background),
            Just(Run::Foreground)
        ],
        prop_oneof![
            6 => Just(PowerLevel::Normal),
            1 => Just(PowerLevel::Low),
            1 => Just(PowerLevel::CriticalLow),
        ],
        prop_oneof![
            6 => Just(Connection::Connected),
            1 => Just(Connection::TempDisconnected),
            1 => Just(Connection::Inactive),
        ],
    )
        .prop_map(|(os, pinned, run, power, away)| PhoneSpec {
            os,
            pinned,
            run,
            power,
            away,
        })
}

/// The next `count` requests to one phone's channel get 503 (`phone` is an index, taken modulo
/// the population's size).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fault {
    pub phone: usize,
    pub count: u64,
}

pub(crate) fn fault() -> impl Strategy<Value = Option<Fault>> {
    prop::option::of((0usize..8, 1u64..=2).prop_map(|(phone, count)| Fault { phone, count }))
}

/// A runtime for one case.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A population of phones in the World.
pub(crate) struct Population {
    pub specs: Vec<PhoneSpec>,
    pub apps: Vec<PushPatterns>,
}

impl Population {
    /// Every phone pinned or not as its spec says, launched, all settings on and logged in as
    /// `u{i}` (phone `p{i}`); then `pattern` is activated (its `Update Info` reaches every app,
    /// all in the foreground), and each phone takes its app state, battery and connection.
    pub(crate) async fn start(scene: &Scene, specs: Vec<PhoneSpec>, pattern: &str) -> Population {
        let mut apps = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let app = scene.phone(&format!("p{i}"), spec.os);
            if spec.pinned {
                app.pin().unwrap();
            }
            app.launch().await.unwrap();
            app.set_settings(Settings::all_on()).await.unwrap();
            app.login(&format!("u{i}")).await.unwrap();
            apps.push(app);
        }
        scene.quiesce().await;
        scene.activate(pattern).await;
        for (spec, app) in specs.iter().zip(&apps) {
            app.enter(spec.run);
            let phone = app.app().phone();
            phone.set_power(spec.power);
            phone.set_connection(spec.away);
        }
        Population { specs, apps }
    }

    /// Installs `fault` on its phone's channel.
    pub(crate) fn inject(&self, fault: Option<Fault>) {
        let Some(fault) = fault else { return };
        let app = &self.apps[fault.phone % self.apps.len()];
        let rule = FaultRule {
            channel: Some(app.app().channel().expect("a registered phone").id),
            count: Some(fault.count),
            ..FaultRule::next_503(fault.count)
        };
        app.app().phone().fake().add_fault(rule).unwrap();
    }

    /// Runs the World to its end: settles; brings every phone back ([`heal`](Self::heal): its
    /// queued notifications are delivered, a 412 will be retried); while retries are parked, moves the clock an hour
    /// (the longest delay the retry policy asks for) and settles again. Fails after a day.
    pub(crate) async fn drain(&self, scene: &Scene) {
        for _ in 0..24 {
            scene.settle_until_parked().await;
            self.heal(scene).await;
            if scene.patterns.in_flight() == 0 {
                return;
            }
            scene.world.advance(HOUR).await;
        }
        panic!(
            "still {} job(s) running after a day of retries",
            scene.patterns.in_flight()
        );
    }

    /// Brings every phone back (connected), waits until the fake delivered what it queued
    /// for them, and settles.
    pub(crate) async fn heal(&self, scene: &Scene) {
        for app in &self.apps {
            let phone = app.app().phone();
            if phone.connection() != Connection::Connected {
                phone.set_connection(Connection::Connected);
            }
        }
        scene
            .world
            .fake()
            .wait_until(|f| {
                f.notifications(None)
                    .unwrap()
                    .iter()
                    .all(|r| !matches!(r.delivery, DeliveryState::Queued { .. }))
            })
            .await;
        scene.settle_until_parked().await;
    }

    /// The fake's records for phone `i`'s channel(s), in arrival order.
    pub(crate) fn records(&self, scene: &Scene, i: usize) -> Vec<NotificationRecord> {
        let ids: Vec<_> = self.apps[i]
            .app()
            .channel()
            .map(|c| c.id)
            .into_iter()
            .collect();
        scene
            .records()
            .into_iter()
            .filter(|r| r.channel.is_some_and(|c| ids.contains(&c)))
            .collect()
    }
}

/// Moving the Push Patterns app between states.
pub(crate) trait Enter {
    /// Closes the app, sends it to the background, or leaves it in the foreground.
    fn enter(&self, run: Run);
}

impl Enter for PushPatterns {
    fn enter(&self, run: Run) {
        match run {
            Run::Closed => self.close(),
            Run::Background => self.send_to_background().unwrap(),
            Run::Foreground => {}
        }
    }
}

/// What the primary tile shows, in the model's terms: BackgroundImage, badge, title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Front {
    pub image: Option<String>,
    pub badge: Option<u8>,
    pub title: Option<String>,
}

impl Front {
    /// What the app pins (the manifest's image and title).
    pub(crate) fn pinned() -> Front {
        Front {
            image: Some("/Background.png".into()),
            badge: None,
            title: Some("Push Patterns".into()),
        }
    }

    pub(crate) fn of(tile: &Tile) -> Front {
        Front {
            image: tile.get("BackgroundImage").map(str::to_owned),
            badge: tile.badge(),
            title: tile.title().map(str::to_owned),
        }
    }

    /// A count as the badge shows it (0 hides it).
    pub(crate) fn badge(count: u8) -> Option<u8> {
        (count > 0).then_some(count)
    }
}

/// The primary tile's front, if pinned.
pub(crate) fn shown(app: &PushPatterns) -> Option<Front> {
    app.app().tile(&TileKey::Primary).map(|t| Front::of(&t))
}

/// The content of a record as JSON (`type`, `template`, `properties`, `text1`, ...).
pub(crate) fn content(record: &NotificationRecord) -> serde_json::Value {
    serde_json::to_value(&record.content).unwrap()
}

/// The checks every pattern's property makes of what went over the wire:
/// - the fake's lint found nothing wrong with any request;
/// - the status log has one row per request the fake received (same message id, channel and
///   HTTP status), and no other;
/// - no message reached a channel twice (the faults injected, 503 and 412, deliver nothing, so
///   nothing explains a repeat), and no phone applied one delivery twice.
pub(crate) fn check_wire(scene: &Scene, population: &Population) {
    let records = scene.records();
    for r in &records {
        assert!(
            r.diagnostics.is_empty(),
            "the fake's lint flagged request #{} ({:?}): {:?}",
            r.seq,
            r.target,
            r.diagnostics
        );
    }

    let fake = scene.world.fake().uri().to_owned();
    let key = |id: &str, path: &str, status: Option<u16>| {
        (id.to_ascii_lowercase(), path.to_owned(), status)
    };
    let mut received: BTreeMap<(String, String, Option<u16>), usize> = BTreeMap::new();
    for r in &records {
        let id = r.message_id.to_str().unwrap_or_default();
        *received
            .entry(key(id, r.uri.path(), Some(r.response.status)))
            .or_default() += 1;
    }
    let mut logged: BTreeMap<(String, String, Option<u16>), usize> = BTreeMap::new();
    let log = scene
        .service
        .state()
        .store()
        .status_log(0, 100_000)
        .unwrap();
    for e in &log {
        let path = e.channel_uri.strip_prefix(&fake).unwrap_or(&e.channel_uri);
        *logged
            .entry(key(
                e.message_id.as_deref().unwrap_or(""),
                path,
                e.http_status,
            ))
            .or_default() += 1;
    }
    assert_eq!(
        logged,
        received,
        "the status log ({} rows) must have one row per request the fake received ({})",
        log.len(),
        records.len()
    );

    let mut delivered: BTreeMap<(u64, String), usize> = BTreeMap::new();
    for r in &records {
        if matches!(r.delivery, DeliveryState::Delivered { .. }) {
            let id = r.message_id.to_str().unwrap_or_default().to_owned();
            *delivered
                .entry((r.channel.map_or(0, |c| c.0), id))
                .or_default() += 1;
        }
    }
    for ((channel, id), n) in delivered {
        assert_eq!(
            n, 1,
            "message {id} was delivered {n} times to channel {channel}"
        );
    }
    for app in &population.apps {
        // A tile that waits for its image is recorded twice: waiting, then applied or dropped.
        let mut seqs: Vec<u64> = app
            .app()
            .deliveries()
            .iter()
            .filter(|d| !matches!(d.outcome, Outcome::TileWaiting { .. }))
            .map(|d| d.seq)
            .collect();
        let all = seqs.len();
        seqs.sort_unstable();
        seqs.dedup();
        assert_eq!(
            seqs.len(),
            all,
            "{}: a delivery was applied twice",
            app.app().phone().name()
        );
    }
}
