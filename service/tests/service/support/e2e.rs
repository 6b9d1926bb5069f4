//! The whole World for end-to-end pattern tests: one harness `World` (fake MPNS and emulated
//! phones), the registration service with its patterns served on 127.0.0.1:0 (the fake's
//! host:port allowed as a push host), one virtual clock shared by all of them (the adapter of
//! `patterns_support`), and the Push Patterns app on each phone, talking to the service over
//! HTTP. The operator's actions go through the service's HTTP routes too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mpns_harness::fake::NotificationRecord;
use mpns_harness::fake_wns::Flow;
use mpns_harness::push_patterns::Settings;
use mpns_harness::{PushPatterns, World};
use mpns_service::patterns::{Patterns, PatternsConfig};
use mpns_service::registration::{
    serve_with, AllowedHosts, RunningService, ServiceConfig, ServiceEvent, Store,
};
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::support::patterns::{assert_no_lint, summarize, SharedClock};

pub(crate) const HOUR: Duration = Duration::from_secs(3600);

/// The app registered with the fake WNS of [`Scene::with_wns`].
pub(crate) const WNS_APP: &str = "contoso.pushpatterns";

/// Everything of one test.
///
/// Every request the fake received must be free of lint diagnostics: checked before
/// [`clear_records`](Scene::clear_records) forgets them and again when the Scene is dropped.
pub(crate) struct Scene {
    pub world: World,
    pub clock: SharedClock,
    pub patterns: Patterns,
    pub service: RunningService,
    http: reqwest::Client,
    events: Mutex<broadcast::Receiver<ServiceEvent>>,
    seen: AtomicU64,
    apps: Mutex<Vec<PushPatterns>>,
}

impl Scene {
    /// Sends one request at a time, so that what a phone receives from one operator action
    /// arrives in a stable order (the renderings list deliveries in arrival order).
    pub(crate) async fn start() -> Scene {
        Scene::with(PatternsConfig {
            concurrency: 1,
            ..PatternsConfig::default()
        })
        .await
    }

    pub(crate) async fn with(config: PatternsConfig) -> Scene {
        Scene::build(config, false).await
    }

    /// [`Scene::start`] with the World's fake WNS too: the app [`WNS_APP`] registered with it,
    /// the service sending to WNS registrations with that app's credentials (trusting the
    /// fake's test CA), the fake WNS's host allowed as a push host.
    pub(crate) async fn with_wns() -> Scene {
        let config = PatternsConfig {
            concurrency: 1,
            ..PatternsConfig::default()
        };
        Scene::build(config, true).await
    }

    async fn build(config: PatternsConfig, with_wns: bool) -> Scene {
        let world = World::start().await;
        let clock = SharedClock::new(world.clock().clone());
        let host = world.fake().uri().trim_start_matches("http://").to_owned();
        let mut allowed_hosts = AllowedHosts::default().with_host(&host).unwrap();
        let mut wns = None;
        if with_wns {
            let fake = world.fake_wns().await.unwrap();
            let app = fake.register_app(WNS_APP, Flow::Store).unwrap();
            let addr = fake.addr().to_string();
            allowed_hosts = allowed_hosts.with_host(&addr).unwrap();
            let client = wns::Client::builder(
                wns::Credentials::store(app.client_id, app.client_secret)
                    .with_token_url(app.token_url),
            )
            .allow_host(addr)
            .add_root_certificate_pem(fake.ca_pem().unwrap().as_bytes())
            .build()
            .unwrap();
            wns = Some(client);
        }
        let service_config = ServiceConfig {
            allowed_hosts,
            public_base_url: None,
            clock: Arc::new(clock.clone()),
            ..ServiceConfig::default()
        };
        let mut slot = None;
        let service = serve_with(
            "127.0.0.1:0".parse().unwrap(),
            Store::in_memory().unwrap(),
            service_config,
            |state| {
                let patterns = Patterns::start_with_wns(state, mpns::Client::new(), wns, config);
                slot = Some(patterns.clone());
                crate::support::app(patterns)
            },
        )
        .await
        .unwrap();
        let patterns = slot.expect("serve_with built the routes");
        let events = Mutex::new(service.state().subscribe());
        Scene {
            world,
            clock,
            patterns,
            service,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            events,
            seen: AtomicU64::new(0),
            apps: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn base_url(&self) -> String {
        self.service.base_url()
    }

    /// A phone with the Push Patterns app installed (not launched, tile not pinned).
    pub(crate) fn phone(&self, name: &str, os: &str) -> PushPatterns {
        let phone = self.world.add_phone(name, os).unwrap();
        let app = PushPatterns::install(&phone, &self.base_url()).unwrap();
        self.apps.lock().unwrap().push(app.clone());
        app
    }

    /// A phone whose app is pinned, launched, set to everything on and logged in as `user`.
    pub(crate) async fn logged_in(&self, name: &str, os: &str, user: &str) -> PushPatterns {
        let app = self.phone(name, os);
        app.pin().unwrap();
        app.launch().await.unwrap();
        app.set_settings(Settings::all_on()).await.unwrap();
        app.login(user).await.unwrap();
        self.quiesce().await;
        app
    }

    /// An operator call over HTTP; the JSON answer.
    pub(crate) async fn operator(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base_url());
        let mut request = self
            .http
            .request(method.parse().unwrap(), url)
            .timeout(Duration::from_secs(10));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    /// Activates a pattern (202 expected) and lets everything settle: the `Update Info` raw
    /// reached the running apps, which re-read the server info.
    pub(crate) async fn activate(&self, pattern: &str) {
        let (status, body) = self
            .operator(
                "POST",
                "/api/patterns/active",
                Some(json!({ "pattern": pattern })),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        self.quiesce().await;
    }

    /// Sends a pattern through the operator route (202 expected); does not wait.
    pub(crate) async fn send(&self, pattern: &str, body: Value) {
        let (status, reply) = self
            .operator("POST", &format!("/api/patterns/{pattern}/send"), Some(body))
            .await;
        assert_eq!(status, 202, "{reply}");
    }

    /// Waits until nothing moves without the clock: the phones applied what the fake delivered,
    /// the apps handled their events (and made their HTTP calls), the patterns reacted to every
    /// registration or "Test Now" and finished every send. Not for a retry parked on the clock
    /// (it panics after 10 s): advance the clock first.
    pub(crate) async fn quiesce(&self) {
        for _ in 0..50 {
            let before = (
                self.world.fake().notifications(None).unwrap().len(),
                self.seen(),
            );
            self.world.settle().await;
            self.settle_apps().await;
            let n = self.seen();
            if tokio::time::timeout(Duration::from_secs(10), async {
                self.patterns.wait_for_events(n).await;
                self.patterns.wait_idle().await;
            })
            .await
            .is_err()
            {
                panic!(
                    "the patterns did not finish within 10 s ({} job(s) running, {} parked on the clock): advance the clock past the retry first",
                    self.patterns.in_flight(),
                    self.patterns.parked()
                );
            }
            self.world.settle().await;
            self.settle_apps().await;
            let after = (
                self.world.fake().notifications(None).unwrap().len(),
                self.seen(),
            );
            if before == after {
                return;
            }
        }
        panic!("the scene kept moving after 50 rounds");
    }

    /// As [`quiesce`](Self::quiesce), but a job parked on the clock (a retry) is fine: returns
    /// once nothing moves without the clock and every job still running is asleep on it.
    /// Panics after 50 rounds, or when the jobs neither end nor park within 10 s.
    pub(crate) async fn settle_until_parked(&self) {
        for _ in 0..50 {
            let before = (self.records().len(), self.seen());
            self.world.settle().await;
            self.settle_apps().await;
            let n = self.seen();
            if tokio::time::timeout(Duration::from_secs(10), self.patterns.wait_for_events(n))
                .await
                .is_err()
            {
                panic!("the patterns did not handle {n} service event(s) within 10 s");
            }
            self.wait_parked().await;
            self.world.settle().await;
            self.settle_apps().await;
            if before == (self.records().len(), self.seen()) {
                return;
            }
        }
        panic!("the scene kept moving after 50 rounds");
    }

    /// Waits until every running job is asleep on the clock (or none runs). Re-checks when a
    /// retry parks, when the patterns go idle, and every few milliseconds otherwise (a job that
    /// ends while others sleep signals nothing); fails after 10 s.
    async fn wait_parked(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let running = self.patterns.in_flight();
            // The send queue's worker is the one sleeper on the clock for all parked jobs.
            let parked = self.patterns.parked();
            if running == 0 || parked >= running {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("{running} job(s) running, {parked} parked on the clock after 10 s: a send neither ended nor waited for a retry");
            }
            tokio::select! {
                () = self.patterns.wait_idle() => return,
                () = self.clock.sleeper_added() => {}
                () = tokio::time::sleep(Duration::from_millis(2)) => {}
            }
        }
    }

    async fn settle_apps(&self) {
        let apps = self.apps.lock().unwrap().clone();
        for app in apps {
            app.settle().await;
        }
    }

    /// Service events (registrations, "Test Now") seen so far.
    fn seen(&self) -> u64 {
        let mut rx = self.events.lock().unwrap();
        loop {
            match rx.try_recv() {
                Ok(_) => {
                    self.seen.fetch_add(1, Ordering::SeqCst);
                }
                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                    self.seen.fetch_add(n, Ordering::SeqCst);
                }
                Err(_) => break,
            }
        }
        self.seen.load(Ordering::SeqCst)
    }

    /// Advances the one clock and lets everything settle.
    pub(crate) async fn advance(&self, by: Duration) {
        self.world.advance(by).await;
        self.quiesce().await;
    }

    pub(crate) fn records(&self) -> Vec<NotificationRecord> {
        self.world.fake().notifications(None).unwrap()
    }

    /// What the fake recorded, without volatile ids (the service's address is `<service>`).
    pub(crate) fn payloads(&self) -> String {
        self.normalize(&serde_json::to_string_pretty(&summarize(&self.records())).unwrap())
    }

    /// Forget what the fake recorded so far (after checking it for lint diagnostics).
    pub(crate) fn clear_records(&self) {
        assert_no_lint(&self.records());
        self.world.fake().clear_notifications(None).unwrap();
    }

    /// What the fake recorded for the channel of `app`.
    pub(crate) fn records_of(&self, app: &PushPatterns) -> Vec<NotificationRecord> {
        let id = app.app().channel().expect("the app has a channel").id;
        self.world.fake().notifications(Some(id)).unwrap()
    }

    /// The phone (shell, channel, deliveries, events) and the app's own screen, as text.
    pub(crate) fn render(&self, app: &PushPatterns) -> String {
        let text = format!("{}\n{}", app.app().phone().render_text(), app.render_text());
        self.normalize(&text)
    }

    pub(crate) fn normalize(&self, text: &str) -> String {
        text.replace(&self.base_url(), "<service>")
    }

    /// The subscribers' user names.
    pub(crate) fn subscribers(&self) -> Vec<String> {
        self.service
            .state()
            .store()
            .subscribers()
            .unwrap()
            .into_iter()
            .map(|r| r.user_name)
            .collect()
    }

    /// `GET /api/server-info?user=` as the operator sees it.
    pub(crate) async fn counter(&self, user: &str) -> i64 {
        let (_, info) = self
            .operator("GET", &format!("/api/server-info?user={user}"), None)
            .await;
        info["counter"].as_i64().unwrap()
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_no_lint(&self.records());
        }
    }
}

/// A named text snapshot under the top-level `snapshots/`.
pub(crate) fn snapshot(name: &str, text: &str) {
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!(name, text);
    });
}
