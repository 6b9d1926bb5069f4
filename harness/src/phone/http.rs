//! The phone's HTTP client for remote tile images: one per World, built on first use, with TLS
//! settings made once per process.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use crate::clock::Clock;

/// Downloads a remote tile image with the phone's rules (at most 80 KB, within 15 s on the
/// injected clock, PNG or JPEG).
pub(super) async fn fetch_remote(
    http: &reqwest::Client,
    clock: &Clock,
    url: &str,
) -> Result<Bytes, String> {
    super::fetch::fetch_image(http, clock, url)
        .await
        .map_err(|e| e.to_string())
}

/// A World's HTTP client for image downloads, built on first use (a World that never downloads
/// never builds it) and shared by its phones.
#[derive(Clone, Default)]
pub(crate) struct Http(Arc<OnceLock<reqwest::Client>>);

impl Http {
    pub(crate) fn get(&self) -> reqwest::Client {
        self.0.get_or_init(|| http_client(None)).clone()
    }
}

/// Builds an HTTP client with TLS settings made once per process: making them reads every system
/// root certificate, milliseconds of CPU that a test suite starting a World per test paid again
/// and again. Each client keeps its own connection pool (a pool must not outlive the runtime
/// its connections run on, and every test has its own runtime).
pub(crate) fn http_client(timeout: Option<std::time::Duration>) -> reqwest::Client {
    static TLS: OnceLock<Option<native_tls::TlsConnector>> = OnceLock::new();
    let mut builder = reqwest::Client::builder().no_proxy();
    if let Some(tls) = TLS.get_or_init(|| native_tls::TlsConnector::new().ok()) {
        builder = builder.use_preconfigured_tls(tls.clone());
    }
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().unwrap_or_else(|_| reqwest::Client::new())
}
