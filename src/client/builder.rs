//! Client settings, checked once in [`ClientBuilder::build`] so that every problem is reported
//! with the setting that caused it, before anything is sent.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::connect::Connector;
use super::error::{BuildError, Timeouts};
use super::{Client, Settings};

/// Settings for a [`Client`]. Every setter is infallible; [`ClientBuilder::build`] checks them.
///
/// ```no_run
/// use std::time::Duration;
///
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let cert = std::fs::read("push-service.crt.pem")?;
/// let key = std::fs::read("push-service.key.pem")?;
/// let client = mpns::Client::builder()
///     .timeout(Duration::from_secs(10))
///     .client_certificate_pem(&cert, &key)
///     .proxy("http://proxy.internal:3128")
///     .concurrency(32)
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    timeout: Duration,
    connect_timeout: Duration,
    pool_idle_timeout: Duration,
    concurrency: usize,
    identity: Option<IdentitySource>,
    roots: Vec<Vec<u8>>,
    proxy: Option<String>,
}

#[derive(Clone)]
enum IdentitySource {
    Pem { cert: Vec<u8>, key: Vec<u8> },
    Pkcs12 { der: Vec<u8>, password: String },
}

impl std::fmt::Debug for IdentitySource {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentitySource::Pem { .. } => f.write_str("Pem(..)"),
            IdentitySource::Pkcs12 { .. } => f.write_str("Pkcs12(..)"),
        }
    }
}

/// The most concurrent requests a bulk send may keep in flight.
const MAX_CONCURRENCY: usize = 65536;

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            pool_idle_timeout: Duration::from_secs(90),
            concurrency: 16,
            identity: None,
            roots: Vec::new(),
            proxy: None,
        }
    }
}

impl ClientBuilder {
    /// The longest a whole request may take, from connecting to the last byte of the answer
    /// (default 15 s, as Microsoft advised senders).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest connecting may take, TLS handshake included (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long an idle pooled connection is kept for reuse (default 90 s).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// How many requests a bulk send keeps in flight at once (default 16, 1..=65536).
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests;
        self
    }

    /// The TLS client certificate for authenticated channels, as a PEM certificate (chain) and
    /// a PEM PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`). Replaces any earlier identity.
    pub fn client_certificate_pem(mut self, cert_pem: &[u8], key_pem: &[u8]) -> Self {
        self.identity = Some(IdentitySource::Pem {
            cert: cert_pem.to_vec(),
            key: key_pem.to_vec(),
        });
        self
    }

    /// The TLS client certificate for authenticated channels, as a PKCS#12 (`.pfx`) archive
    /// and its password. Replaces any earlier identity.
    pub fn client_certificate_pkcs12(mut self, der: &[u8], password: &str) -> Self {
        self.identity = Some(IdentitySource::Pkcs12 {
            der: der.to_vec(),
            password: password.to_owned(),
        });
        self
    }

    /// Trusts the certificates in `pem` (one or more) in addition to the system's roots.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.roots.push(pem.to_vec());
        self
    }

    /// Sends every request through this HTTP proxy, `http://host:port` (`https` channels are
    /// tunnelled with `CONNECT`). Credentials in the URL (`http://user:pass@host:port`) are sent
    /// as `Proxy-Authorization: Basic`. Only plain HTTP proxies are supported. Without this, no
    /// proxy is used, whatever the environment says.
    pub fn proxy(mut self, url: &str) -> Self {
        self.proxy = Some(url.to_owned());
        self
    }

    /// Checks the settings and builds the client (one connection pool, shared by its clones).
    pub fn build(self) -> Result<Client, BuildError> {
        check_duration("timeout", self.timeout)?;
        check_duration("connect_timeout", self.connect_timeout)?;
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(BuildError::OutOfRange {
                field: "concurrency",
                value: self.concurrency.to_string(),
                range: "1..=65536",
            });
        }
        let mut tls = native_tls::TlsConnector::builder();
        match &self.identity {
            None => {}
            Some(IdentitySource::Pem { cert, key }) => {
                let identity = native_tls::Identity::from_pkcs8(cert, key).map_err(|e| {
                    BuildError::ClientCertificate {
                        format: "PEM",
                        detail: error_text(&e),
                    }
                })?;
                tls.identity(identity);
            }
            Some(IdentitySource::Pkcs12 { der, password }) => {
                let identity = native_tls::Identity::from_pkcs12(der, password).map_err(|e| {
                    BuildError::ClientCertificate {
                        format: "PKCS#12",
                        detail: error_text(&e),
                    }
                })?;
                tls.identity(identity);
            }
        }
        for (index, pem) in self.roots.iter().enumerate() {
            let blocks = pem_certificates(pem);
            if blocks.is_empty() {
                return Err(BuildError::RootCertificate {
                    index,
                    detail: "no PEM certificate found".into(),
                });
            }
            for block in blocks {
                let cert = native_tls::Certificate::from_pem(block).map_err(|e| {
                    BuildError::RootCertificate {
                        index,
                        detail: error_text(&e),
                    }
                })?;
                tls.add_root_certificate(cert);
            }
        }
        let tls = if self.identity.is_none() && self.roots.is_empty() {
            default_tls()?
        } else {
            tls.build().map_err(|e| BuildError::Http(error_text(&e)))?
        };
        let proxy = self.proxy.as_deref().map(proxy).transpose()?;
        let proxy_auth = proxy
            .as_ref()
            .and_then(|p| p.basic_auth().cloned())
            .map(|mut auth| {
                // Kept out of `Debug` output and of logs.
                auth.set_sensitive(true);
                auth
            });
        let connector = Connector::new(tls.into(), proxy, self.connect_timeout);
        // HTTP/1 only (MPNS speaks nothing else); redirects are never followed, since hyper's
        // client does not follow them (following one would turn the POST into a GET elsewhere).
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Ok(Client {
            http,
            settings: Arc::new(Settings {
                timeouts: Timeouts {
                    connect: self.connect_timeout,
                    total: self.timeout,
                },
                concurrency: self.concurrency,
                proxy_auth,
            }),
        })
    }
}

fn check_duration(field: &'static str, value: Duration) -> Result<(), BuildError> {
    if value.is_zero() {
        Err(BuildError::OutOfRange {
            field,
            value: format!("{value:?}"),
            range: "above 0s",
        })
    } else {
        Ok(())
    }
}

/// The proxy's address, and its credentials if the URL has some (`http://user:pass@host:port`).
/// Only plain HTTP proxies are supported; without a scheme, `http://` is assumed.
fn proxy(url: &str) -> Result<Intercept, BuildError> {
    let refuse = |detail: String| BuildError::Proxy {
        url: url.to_owned(),
        detail,
    };
    let uri: hyper::Uri = url.parse().map_err(|e| refuse(error_text(&e)))?;
    if let Some(scheme) = uri.scheme_str().filter(|s| !s.eq_ignore_ascii_case("http")) {
        return Err(refuse(format!(
            "the scheme {scheme}:// is not supported; the proxy must be an http:// URL"
        )));
    }
    Matcher::builder()
        .all(url.to_owned())
        .build()
        .intercept(&hyper::Uri::from_static("http://mpns.invalid/"))
        .ok_or_else(|| refuse("not a proxy URL (expected http://host:port)".to_owned()))
}

/// The `-----BEGIN CERTIFICATE-----` blocks of a PEM bundle, markers included.
fn pem_certificates(pem: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let find = |haystack: &[u8], needle: &[u8]| {
        haystack
            .windows(needle.len())
            .position(|window| window == needle)
    };
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = find(rest, BEGIN) {
        let Some(len) = find(&rest[start..], END) else {
            // An unterminated block: hand it over whole, so the TLS library names the problem.
            blocks.push(&rest[start..]);
            break;
        };
        let end = start + len + END.len();
        blocks.push(&rest[start..end]);
        rest = &rest[end..];
    }
    blocks
}

/// The error and its causes in one line.
/// The TLS settings of a client with no identity and no extra roots, built once per process:
/// building them reads every system root certificate (milliseconds of CPU), and a back end or a
/// test suite that builds many clients would pay that each time. Clones share the settings.
fn default_tls() -> Result<native_tls::TlsConnector, BuildError> {
    static DEFAULT: std::sync::OnceLock<Result<native_tls::TlsConnector, String>> =
        std::sync::OnceLock::new();
    DEFAULT
        .get_or_init(|| native_tls::TlsConnector::new().map_err(|e| error_text(&e)))
        .clone()
        .map_err(BuildError::Http)
}

fn error_text(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}
