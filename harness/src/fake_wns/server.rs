//! [`FakeWns`], the handle a test holds, its builder, the listener (http, or https with a test CA
//! made at start) and the test CA itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::core::Core;
use super::http::{router, Ctx};
use super::model::{
    AppCredentials, ChannelRequest, Connection, Flow, Settings, WnsChannel, WnsFault, WnsRecord,
};
use crate::clock::Clock;
use crate::fake::conn::{serve, ConnLimits};
use crate::fake::tls::{Acceptor, TlsConfig};
use crate::windows::{DeviceOutcome, WindowsDevice, WindowsVersion};

/// What a fake WNS call refused, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fake WNS: {0}")]
pub struct FakeWnsError(pub String);

/// A running fake WNS: token endpoints for both flows, channels bound to apps, the answer table,
/// the offline cache and the emulated Windows devices the channels lead to.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mpns_harness::fake_wns::{ChannelRequest, Flow};
/// use mpns_harness::windows::WindowsVersion;
/// use mpns_harness::FakeWns;
///
/// let fake = FakeWns::start().await;
/// let app = fake.register_app("contoso.chat", Flow::Store).unwrap();
/// assert_eq!(app.token_url, format!("{}/accesstoken.srf", fake.url()));
/// fake.add_device("ann-pc", WindowsVersion::Windows11).unwrap();
/// let channel = fake.create_channel(&ChannelRequest::new("contoso.chat", "ann-pc")).unwrap();
/// assert!(channel.uri.starts_with(&format!("{}/?token=", fake.url())));
/// fake.shutdown().await;
/// # }
/// ```
pub struct FakeWns {
    core: Arc<Core>,
    clock: Clock,
    addr: SocketAddr,
    ca_pem: Option<String>,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

/// Configures a [`FakeWns`].
#[must_use = "a builder does nothing until .start() is awaited"]
pub struct FakeWnsBuilder {
    addr: SocketAddr,
    https: bool,
    public_url: Option<String>,
    clock: Option<Clock>,
    seed: Option<u64>,
    settings: Settings,
    limits: ConnLimits,
}

impl FakeWnsBuilder {
    /// How long a client has to send each request head, which is also how long a keep-alive
    /// connection may stay idle (default 10 s), as on the fake MPNS.
    pub fn header_timeout(mut self, timeout: Duration) -> FakeWnsBuilder {
        self.limits.header_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Once [`FakeWns::shutdown`] is called, how long requests in flight get to finish before
    /// their connections are dropped (default 10 s).
    pub fn drain_deadline(mut self, deadline: Duration) -> FakeWnsBuilder {
        self.limits.drain_deadline = deadline;
        self
    }

    /// The most connections open at once; one more is closed as soon as it is accepted
    /// (default 1024; 0 is taken as 1).
    pub fn max_connections(mut self, n: usize) -> FakeWnsBuilder {
        self.limits.max_connections = n.max(1);
        self
    }

    /// Listen here (default `127.0.0.1:0`).
    pub fn listen(mut self, addr: SocketAddr) -> FakeWnsBuilder {
        self.addr = addr;
        self
    }

    /// Serve https with a certificate from a test CA made at start ([`FakeWns::ca_pem`]), valid
    /// for `localhost`, `127.0.0.1` and `*.notify.windows.com`.
    pub fn https(mut self) -> FakeWnsBuilder {
        self.https = true;
        self
    }

    /// The scheme, host and port written into channel URIs and token URLs (default: the bound
    /// address), for a fake that others reach by another name.
    pub fn public_url(mut self, url: impl Into<String>) -> FakeWnsBuilder {
        self.public_url = Some(url.into());
        self
    }

    /// The clock (default: a fresh virtual clock).
    pub fn clock(mut self, clock: Clock) -> FakeWnsBuilder {
        self.clock = Some(clock);
        self
    }

    /// Seed of the generator of ids, secrets and tokens (default: random).
    pub fn seed(mut self, seed: u64) -> FakeWnsBuilder {
        self.seed = Some(seed);
        self
    }

    /// Settings at start.
    pub fn settings(mut self, settings: Settings) -> FakeWnsBuilder {
        self.settings = settings;
        self
    }

    /// Binds and starts serving.
    pub async fn start(self) -> Result<FakeWns, FakeWnsError> {
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|e| FakeWnsError(format!("cannot listen on {}: {e}", self.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| FakeWnsError(e.to_string()))?;
        let (acceptor, ca_pem) = if self.https {
            let (config, ca) =
                test_ca().map_err(|e| FakeWnsError(format!("making the test CA: {e}")))?;
            let acceptor = Acceptor::new(&config).map_err(|e| FakeWnsError(e.to_string()))?;
            (Some(acceptor), Some(ca))
        } else {
            (None, None)
        };
        let scheme = if self.https { "https" } else { "http" };
        let base = match self.public_url {
            Some(u) => check_public_url(&u)?,
            None => format!("{scheme}://{addr}"),
        };
        let clock = self.clock.unwrap_or_else(Clock::virtual_clock);
        let core = Arc::new(Core::new(clock.clone(), base, self.seed));
        core.set_settings(self.settings).map_err(FakeWnsError)?;
        let app = router(Ctx {
            core: core.clone(),
            clock: clock.clone(),
        });
        let stop = CancellationToken::new();
        let task = tokio::spawn(serve(listener, acceptor, app, stop.clone(), self.limits));
        Ok(FakeWns {
            core,
            clock,
            addr,
            ca_pem,
            stop,
            task: Some(task),
        })
    }
}

fn check_public_url(u: &str) -> Result<String, FakeWnsError> {
    let uri: hyper::Uri = u
        .parse()
        .map_err(|e| FakeWnsError(format!("--public-url {u:?}: {e}")))?;
    let ok_scheme = matches!(uri.scheme_str(), Some("http" | "https"));
    let path_ok = uri.path_and_query().is_none_or(|p| p.as_str() == "/");
    if !ok_scheme || uri.authority().is_none() || !path_ok {
        return Err(FakeWnsError(format!(
            "--public-url {u:?}: give scheme, host and port only, like https://wns.example:8443"
        )));
    }
    Ok(u.trim_end_matches('/').to_owned())
}

/// A CA and a leaf certificate for `localhost`, `127.0.0.1` and `*.notify.windows.com`, both
/// EC P-256, valid from a day ago for a year: the leaf's config and the CA's PEM.
fn test_ca() -> Result<(TlsConfig, String), openssl::error::ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    let key = || -> Result<PKey<Private>, openssl::error::ErrorStack> {
        PKey::from_ec_key(EcKey::generate(&group)?)
    };
    let name = |cn: &str| -> Result<openssl::x509::X509Name, openssl::error::ErrorStack> {
        let mut n = X509NameBuilder::new()?;
        n.append_entry_by_nid(Nid::COMMONNAME, cn)?;
        Ok(n.build())
    };
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let not_before = Asn1Time::from_unix(since - 86_400)?;
    let not_after = Asn1Time::from_unix(since + 365 * 86_400)?;

    let ca_key = key()?;
    let mut ca = X509::builder()?;
    ca.set_version(2)?;
    let serial = BigNum::from_u32(1)?.to_asn1_integer()?;
    ca.set_serial_number(&serial)?;
    let ca_name = name("mpns-harness fake WNS test CA")?;
    ca.set_subject_name(&ca_name)?;
    ca.set_issuer_name(&ca_name)?;
    ca.set_pubkey(&ca_key)?;
    ca.set_not_before(&not_before)?;
    ca.set_not_after(&not_after)?;
    ca.append_extension(BasicConstraints::new().critical().ca().build()?)?;
    ca.sign(&ca_key, MessageDigest::sha256())?;
    let ca = ca.build();

    let leaf_key = key()?;
    let mut leaf = X509::builder()?;
    leaf.set_version(2)?;
    let serial = BigNum::from_u32(2)?.to_asn1_integer()?;
    leaf.set_serial_number(&serial)?;
    let leaf_name = name("localhost")?;
    leaf.set_subject_name(&leaf_name)?;
    leaf.set_issuer_name(ca.subject_name())?;
    leaf.set_pubkey(&leaf_key)?;
    leaf.set_not_before(&not_before)?;
    leaf.set_not_after(&not_after)?;
    let san = SubjectAlternativeName::new()
        .dns("localhost")
        .dns("*.notify.windows.com")
        .ip("127.0.0.1")
        .build(&leaf.x509v3_context(Some(&ca), None))?;
    leaf.append_extension(san)?;
    leaf.sign(&ca_key, MessageDigest::sha256())?;
    let leaf = leaf.build();

    let ca_pem = String::from_utf8_lossy(&ca.to_pem()?).into_owned();
    let config = TlsConfig::new(leaf.to_pem()?, leaf_key.private_key_to_pem_pkcs8()?);
    Ok((config, ca_pem))
}

impl FakeWns {
    /// A fake on `127.0.0.1`, an ephemeral port, plain http, a virtual clock.
    pub async fn start() -> FakeWns {
        FakeWns::builder()
            .start()
            .await
            .expect("a fake WNS on 127.0.0.1:0 starts")
    }

    /// A builder.
    pub fn builder() -> FakeWnsBuilder {
        FakeWnsBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            https: false,
            public_url: None,
            clock: None,
            seed: None,
            settings: Settings::default(),
            limits: ConnLimits::default(),
        }
    }

    /// The base URL written into channel URIs and token URLs.
    pub fn url(&self) -> &str {
        self.core.base_url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The test CA's certificate (PEM), when serving https.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The fake's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Registers an app; its back end authenticates with the credentials returned.
    pub fn register_app(&self, name: &str, flow: Flow) -> Result<AppCredentials, FakeWnsError> {
        self.core.register_app(name, flow).map_err(FakeWnsError)
    }

    /// Adds an emulated Windows device.
    pub fn add_device(&self, name: &str, version: WindowsVersion) -> Result<(), FakeWnsError> {
        self.core.add_device(name, version).map_err(FakeWnsError)
    }

    /// Looks at or changes a device (app states, power, what it shows).
    pub fn device<T>(
        &self,
        name: &str,
        f: impl FnOnce(&mut WindowsDevice, SystemTime) -> T,
    ) -> Result<T, FakeWnsError> {
        self.core.with_device(name, f).map_err(FakeWnsError)
    }

    /// Makes a channel, as a device's app asking Windows for one would.
    pub fn create_channel(&self, req: &ChannelRequest) -> Result<WnsChannel, FakeWnsError> {
        self.core.create_channel(req).map_err(FakeWnsError)
    }

    /// A channel as it is now.
    pub fn channel(&self, id: u64) -> Option<WnsChannel> {
        self.core.channel(id)
    }

    /// Takes a channel's device offline or back; back, it gets what WNS cached.
    pub fn set_connection(
        &self,
        id: u64,
        connection: Connection,
    ) -> Result<Vec<DeviceOutcome>, FakeWnsError> {
        self.core
            .set_connection(id, connection)
            .map_err(FakeWnsError)
    }

    /// The settings.
    pub fn settings(&self) -> Settings {
        self.core.settings()
    }

    /// Changes the settings.
    pub fn set_settings(&self, settings: Settings) -> Result<(), FakeWnsError> {
        self.core.set_settings(settings).map_err(FakeWnsError)
    }

    /// Scripts the next answers.
    pub fn add_fault(&self, fault: WnsFault) -> Result<(), FakeWnsError> {
        self.core.add_fault(fault).map_err(FakeWnsError)
    }

    /// Every request received, oldest first (the newest 10,000).
    pub fn records(&self) -> Vec<WnsRecord> {
        self.core.records()
    }

    /// Stops serving; open connections are dropped.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeWns {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
