//! Serving connections with limits: `axum::serve` has no header, body or idle timeout and no
//! connection cap, so one slow client could hold a connection (and its memory) for ever. Here
//! each connection is a hyper HTTP/1 connection on its own task, with:
//!
//! - a header-read deadline ([`ServerLimits::header_timeout`]): hyper closes a connection whose
//!   request head has not fully arrived in time. hyper arms the same timer as soon as a
//!   keep-alive connection is idle, so it is also the idle keep-alive timeout;
//! - a body deadline ([`ServerLimits::body_timeout`]) on the whole request body, answered
//!   `408` (see [`super::guard`]);
//! - a cap on open connections ([`ServerLimits::max_connections`]): a connection over the cap is
//!   closed at once, before anything is read, so that it costs no memory;
//! - graceful shutdown: stop accepting, let requests in flight finish for at most
//!   [`ServerLimits::drain_deadline`], then drop the connections still open.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// The default time a client has to send a request's head (and the idle keep-alive timeout).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time a client has to send a whole request body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The default cap on open connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The default time requests in flight get to finish once the server is told to stop.
pub const DEFAULT_DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// The read buffer's cap per connection, which bounds a request head (`431` past it).
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Timeouts and caps of a listener (see the README's "Security" section).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a client may take to send a request's head (request line and headers); also
    /// how long a keep-alive connection may stay idle between requests. Default 10 s.
    pub header_timeout: Duration,
    /// How long a client may take to send a whole request body once its head arrived; a slower
    /// body gets `408` and the connection is closed. Default 30 s.
    pub body_timeout: Duration,
    /// The most connections open at once; one more is closed as soon as it is accepted.
    /// Default 1024.
    pub max_connections: usize,
    /// Once told to stop, how long requests in flight get to finish before their connections
    /// are dropped, so that a half-sent request cannot hold a shutdown. Default 10 s.
    pub drain_deadline: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            drain_deadline: DEFAULT_DRAIN_DEADLINE,
        }
    }
}

/// The address a connection arrived on (ours), for the `Host` check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LocalAddr(pub(crate) SocketAddr);

/// Accepts connections until `shutdown`, then lets the open ones finish their requests.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: CancellationToken,
) {
    let tracker = TaskTracker::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: back off a little instead of spinning.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max = limits.max_connections, "connection cap reached: closed");
            drop(stream);
            continue;
        };
        let local = stream.local_addr().ok();
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let shutdown = shutdown.clone();
        tracker.spawn(async move {
            let _permit = permit;
            let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                if let Some(local) = local {
                    req.extensions_mut().insert(LocalAddr(local));
                }
                app.clone().oneshot(req)
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                // The read buffer grows to 64 KiB at most (hyper's default is about 400 KB): a
                // head that does not fit is refused with 431 (hyper checks between reads, so
                // one of up to about 120 KiB may still be parsed).
                .max_buf_size(MAX_HEAD_BYTES)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    // Past the drain deadline the connection is dropped, answered or not.
                    let _ = tokio::time::timeout(limits.drain_deadline, conn.as_mut()).await;
                }
            }
        });
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}
