//! Mutual TLS for authenticated channels (docs/mpns-protocol.md §1.2): an https listener that asks every
//! client for a certificate, so the request path can compare the certificate's subject CN with
//! the channel's service name and answer 401 when it is missing, unverified or for another name.
//! The handshake never fails for want of a client certificate: MPNS's answer to that was a 401,
//! not a TLS alert.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::ssl::{Ssl, SslAcceptor, SslContext, SslMethod, SslVerifyMode};
use openssl::x509::{X509VerifyResult, X509};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

/// How long a TLS handshake may take before the connection is closed.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// The server certificate and key for the https listener, and the CA that client certificates
/// must chain to.
///
/// Without a client CA any client certificate is taken and only its CN is checked; with one, a
/// certificate that does not verify counts as no certificate (401).
#[derive(Clone)]
pub struct TlsConfig {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    client_ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("client_ca", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// A server certificate chain (PEM, leaf first) and its private key (PEM).
    pub fn new(cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        Self {
            cert_pem: cert_pem.into(),
            key_pem: key_pem.into(),
            client_ca_pem: None,
        }
    }

    /// Client certificates must chain to one of these CA certificates (PEM).
    #[must_use]
    pub fn client_ca(mut self, ca_pem: impl Into<Vec<u8>>) -> Self {
        self.client_ca_pem = Some(ca_pem.into());
        self
    }

    /// Reads the PEM files.
    pub fn from_files(cert: &Path, key: &Path, client_ca: Option<&Path>) -> io::Result<Self> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))
        };
        let mut cfg = Self::new(read(cert)?, read(key)?);
        if let Some(ca) = client_ca {
            cfg = cfg.client_ca(read(ca)?);
        }
        Ok(cfg)
    }
}

/// A configured TLS server side.
pub(crate) struct Acceptor {
    ctx: SslContext,
    verify_chain: bool,
}

fn invalid(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("TLS {what}: {e}"))
}

impl Acceptor {
    pub(crate) fn new(cfg: &TlsConfig) -> io::Result<Arc<Self>> {
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
            .map_err(|e| invalid("setup", e))?;
        let chain =
            X509::stack_from_pem(&cfg.cert_pem).map_err(|e| invalid("certificate PEM", e))?;
        let mut chain = chain.into_iter();
        let leaf = chain
            .next()
            .ok_or_else(|| invalid("certificate PEM", "no certificate in it"))?;
        b.set_certificate(&leaf)
            .map_err(|e| invalid("certificate", e))?;
        for extra in chain {
            b.add_extra_chain_cert(extra)
                .map_err(|e| invalid("certificate chain", e))?;
        }
        let key = PKey::private_key_from_pem(&cfg.key_pem).map_err(|e| invalid("key PEM", e))?;
        b.set_private_key(&key).map_err(|e| {
            invalid(
                "key",
                format!("does not match the certificate or cannot be used ({e})"),
            )
        })?;
        b.check_private_key()
            .map_err(|e| invalid("key", format!("does not match the certificate ({e})")))?;
        if let Some(ca) = &cfg.client_ca_pem {
            let cas = X509::stack_from_pem(ca).map_err(|e| invalid("client CA PEM", e))?;
            if cas.is_empty() {
                return Err(invalid("client CA PEM", "no certificate in it"));
            }
            for ca in cas {
                b.add_client_ca(&ca).map_err(|e| invalid("client CA", e))?;
                b.cert_store_mut()
                    .add_cert(ca)
                    .map_err(|e| invalid("client CA", e))?;
            }
        }
        // Ask for a client certificate, never fail the handshake over it: the verdict is
        // read afterwards and becomes a 401 on authenticated channels.
        b.set_verify_callback(SslVerifyMode::PEER, |_, _| true);
        Ok(Arc::new(Self {
            ctx: b.build().into_context(),
            verify_chain: cfg.client_ca_pem.is_some(),
        }))
    }

    /// Completes the handshake; returns the stream and the verified client certificate's CN.
    pub(crate) async fn accept(
        &self,
        tcp: TcpStream,
    ) -> io::Result<(SslStream<TcpStream>, Option<Arc<str>>)> {
        let ssl = Ssl::new(&self.ctx).map_err(io::Error::other)?;
        let mut stream = SslStream::new(ssl, tcp).map_err(io::Error::other)?;
        tokio::time::timeout(HANDSHAKE_LIMIT, Pin::new(&mut stream).accept())
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))?
            .map_err(io::Error::other)?;
        let ssl = stream.ssl();
        let verified = !self.verify_chain || ssl.verify_result() == X509VerifyResult::OK;
        let cn = ssl
            .peer_certificate()
            .filter(|_| verified)
            .and_then(|cert| {
                cert.subject_name()
                    .entries_by_nid(Nid::COMMONNAME)
                    .next()
                    .and_then(|e| e.data().to_string().ok())
                    .map(Arc::<str>::from)
            });
        Ok((stream, cn))
    }
}
