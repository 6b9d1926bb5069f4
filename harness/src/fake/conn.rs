//! Serving connections: one hyper connection per task, so that a fault rule can drop a
//! connection without answering; shutdown stops accepting, lets requests in flight finish, and
//! ends event streams and never-answering requests.
//!
//! The fake runs in other people's CI, next to code that may misbehave: a client must send its
//! request head within [`ConnLimits::header_timeout`] (hyper's HTTP/1 header-read timer, which
//! also closes a keep-alive connection idle that long; the first bytes and a TLS handshake get
//! the same deadline), and at most [`ConnLimits::max_connections`] connections are open at once
//! (one more is closed as soon as it is accepted).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::tls::Acceptor;

/// The default time a client has to send a request head (and to stay idle between requests).
pub(crate) const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default cap on open connections per listener.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The default time requests in flight get to finish once the fake is told to stop.
pub(crate) const DEFAULT_DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// A listener's timeouts and connection cap.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnLimits {
    pub(crate) header_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) drain_deadline: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            drain_deadline: DEFAULT_DRAIN_DEADLINE,
        }
    }
}

/// Per-connection controls, which the handlers reach through [`CONN`].
pub(crate) struct ConnCtl {
    pub(super) kill: CancellationToken,
    /// Subject CN of the verified client certificate (TLS connections only).
    pub(super) client_cn: Option<Arc<str>>,
}

tokio::task_local! {
    /// The connection a request came on, set around every poll of its handler. A request
    /// extension would cost a map and two allocations per request; cloning the `Arc` costs none
    /// (cloning a cancellation token takes a lock).
    pub(super) static CONN: Arc<ConnCtl>;
}

/// Accepts connections until shutdown; each connection is served on its own task (after a TLS
/// handshake when `tls` is set).
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<Arc<Acceptor>>,
    router: Router,
    shutdown: CancellationToken,
    limits: ConnLimits,
) {
    let tracker = TaskTracker::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors and the like: back off a little instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::warn!(
                max = limits.max_connections,
                "connection cap reached: closed"
            );
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        tracker.spawn(async move {
            let _permit = permit;
            match tls {
                None => {
                    // Until the first byte, hyper's timer is not running yet (the HTTP/2
                    // preface check waits for bytes): the same deadline applies.
                    let mut byte = [0u8; 1];
                    let first = tokio::select! {
                        r = tokio::time::timeout(limits.header_timeout, stream.peek(&mut byte)) => r,
                        _ = shutdown.cancelled() => return,
                    };
                    if matches!(first, Ok(Ok(n)) if n > 0) {
                        serve_connection(stream, None, router, shutdown, limits).await;
                    }
                }
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        h = tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)) => h,
                        _ = shutdown.cancelled() => return,
                    };
                    if let Ok(Ok((stream, cn))) = handshake {
                        serve_connection(stream, cn, router, shutdown, limits).await;
                    }
                }
            }
        });
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}

pub(super) async fn serve_connection<I>(
    io: I,
    client_cn: Option<Arc<str>>,
    router: Router,
    shutdown: CancellationToken,
    limits: ConnLimits,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kill = CancellationToken::new();
    let ctl = Arc::new(ConnCtl {
        kill: kill.clone(),
        client_cn,
    });
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        CONN.scope(ctl.clone(), router.clone().oneshot(req))
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = kill.cancelled() => {}
        _ = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            // Past the drain deadline the connection is dropped, answered or not.
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = kill.cancelled() => {}
                _ = tokio::time::sleep(limits.drain_deadline) => {}
            }
        }
    }
}
