//! The tests' HTTP client. Its TLS settings are made once for the test program: making them reads
//! every system root certificate, and tests that built a client per request spent most of their
//! CPU time there. Each call still returns a client with its own connection pool, because a
//! pool must not outlive the runtime its connections run on (each test has its own).

use std::sync::OnceLock;

use reqwest::Client;

pub(crate) fn client() -> Client {
    static TLS: OnceLock<native_tls::TlsConnector> = OnceLock::new();
    let tls = TLS.get_or_init(|| native_tls::TlsConnector::new().expect("the system TLS library"));
    Client::builder()
        .no_proxy()
        .use_preconfigured_tls(tls.clone())
        .build()
        .expect("a reqwest client")
}

/// Sends `request` and reads its answer's JSON body (a failure to send or to read panics).
pub(crate) async fn json<T: serde::de::DeserializeOwned>(request: reqwest::RequestBuilder) -> T {
    request.send().await.unwrap().json().await.unwrap()
}
