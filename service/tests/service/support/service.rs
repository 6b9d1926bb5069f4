//! Shared by the service tests: an app on an in-memory store with a manual clock, and small
//! request helpers for `oneshot`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use mpns::ManualClock;
use mpns_service::registration::{router, AllowedHosts, ServiceConfig, ServiceState, Store};
use tower::ServiceExt;

/// 2026-11-26T13:14:26Z, the clock's start in every test.
pub(crate) fn start_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_698_866)
}

pub(crate) const FAKE_HOST: &str = "127.0.0.1:4040";
pub(crate) const LIVE_CHANNEL: &str =
    "http://db3.notify.live.net/throttledthirdparty/01.00/AAFbc87n";

pub(crate) fn config(clock: Arc<ManualClock>) -> ServiceConfig {
    ServiceConfig {
        allowed_hosts: AllowedHosts::default().with_host(FAKE_HOST).unwrap(),
        public_base_url: Some("http://127.0.0.1:8000".into()),
        clock,
        ..ServiceConfig::default()
    }
}

pub(crate) struct App {
    pub state: ServiceState,
    pub clock: Arc<ManualClock>,
}

impl App {
    pub(crate) fn new() -> App {
        App::with_store(Store::in_memory().unwrap())
    }

    pub(crate) fn with_store(store: Store) -> App {
        let clock = Arc::new(ManualClock::new(start_time()));
        App {
            state: ServiceState::new(store, config(clock.clone())),
            clock,
        }
    }

    pub(crate) fn router(&self) -> Router {
        router(self.state.clone())
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn post_json(&self, path: &str, body: &str) -> Reply {
        self.send(
            Request::post(path)
                .header("content-type", "application/json")
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.send(Request::delete(path).body(Body::empty()).unwrap())
            .await
    }

    pub(crate) async fn register(&self, user: &str, channel: &str, os: &str) -> Reply {
        let body = serde_json::json!({"user_name": user, "channel_uri": channel, "os_version": os});
        self.post_json("/api/registrations", &body.to_string())
            .await
    }
}

pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}
