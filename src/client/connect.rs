//! Opening connections for the pool: TCP, TLS (native-tls, with the client certificate) and the
//! optional HTTP proxy, all within the connect timeout.
//!
//! An `http` channel behind the proxy is reached over a plain connection to the proxy, and the
//! pool then writes its requests in absolute form; an `https` channel is tunnelled with
//! `CONNECT` and the TLS handshake runs inside the tunnel.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper::Uri;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Intercept;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_native_tls::{TlsConnector, TlsStream};
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Opens one connection per call; the pool calls it only when no idle connection is left.
///
/// Cloned with the client on every request (hyper's pool does), hence one shared allocation.
#[derive(Clone)]
pub(super) struct Connector(Arc<Settings>);

struct Settings {
    tcp: HttpConnector,
    tls: TlsConnector,
    proxy: Option<Intercept>,
    timeout: Duration,
}

impl Connector {
    pub(super) fn new(tls: TlsConnector, proxy: Option<Intercept>, timeout: Duration) -> Self {
        let mut tcp = HttpConnector::new();
        // `https` URIs reach this TCP connector too; the TLS handshake is added here.
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        Connector(Arc::new(Settings {
            tcp,
            tls,
            proxy,
            timeout,
        }))
    }

    async fn connect(self, dst: Uri) -> Result<Stream, BoxError> {
        let settings = &*self.0;
        let https = dst.scheme() == Some(&hyper::http::uri::Scheme::HTTPS);
        let mut tcp = settings.tcp.clone();
        let (tcp, proxied) = match (&settings.proxy, https) {
            (None, _) => (tcp.call(dst.clone()).await?, false),
            (Some(proxy), false) => (tcp.call(proxy.uri().clone()).await?, true),
            (Some(proxy), true) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), tcp);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                (tunnel.call(dst.clone()).await?, false)
            }
        };
        let tcp = tcp.into_inner();
        let io = if https {
            let host = dst.host().ok_or("the channel URI has no host")?;
            // An IPv6 literal comes bracketed in a URI, and without brackets in a certificate.
            let host = host.trim_start_matches('[').trim_end_matches(']');
            Io::Tls(TokioIo::new(settings.tls.connect(host, tcp).await?))
        } else {
            Io::Plain(TokioIo::new(tcp))
        };
        Ok(Stream { io, proxied })
    }
}

impl Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let (connector, timeout) = (self.clone(), self.0.timeout);
        Box::pin(async move {
            match tokio::time::timeout(timeout, connector.connect(dst)).await {
                Ok(result) => result,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("not connected within the {timeout:?} connect timeout"),
                )
                .into()),
            }
        })
    }
}

/// A connection, plain or TLS.
pub(super) struct Stream {
    io: Io,
    /// Whether this is a plain connection to the proxy (requests then go in absolute form).
    proxied: bool,
}

enum Io {
    Plain(TokioIo<TcpStream>),
    Tls(TokioIo<TlsStream<TcpStream>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        Connected::new().proxy(self.proxied)
    }
}

impl Read for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(io) => Pin::new(io).poll_read(cx, buf),
            Io::Tls(io) => Pin::new(io).poll_read(cx, buf),
        }
    }
}

impl Write for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(io) => Pin::new(io).poll_write(cx, buf),
            Io::Tls(io) => Pin::new(io).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            Io::Tls(io) => Pin::new(io).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(io) => io.is_write_vectored(),
            Io::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(io) => Pin::new(io).poll_flush(cx),
            Io::Tls(io) => Pin::new(io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(io) => Pin::new(io).poll_shutdown(cx),
            Io::Tls(io) => Pin::new(io).poll_shutdown(cx),
        }
    }
}
