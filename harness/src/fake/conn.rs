//! Serving connections: one hyper connection per task, so that a fault rule can drop a
//! connection without answering; shutdown stops accepting, lets requests in flight finish, and
//! ends event streams and never-answering requests.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::tls::Acceptor;

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
pub(super) async fn serve(
    listener: TcpListener,
    tls: Option<Arc<Acceptor>>,
    router: Router,
    shutdown: CancellationToken,
) {
    let tracker = TaskTracker::new();
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
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        tracker.spawn(async move {
            match tls {
                None => serve_connection(stream, None, router, shutdown).await,
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        h = acceptor.accept(stream) => h,
                        _ = shutdown.cancelled() => return,
                    };
                    if let Ok((stream, cn)) = handshake {
                        serve_connection(stream, cn, router, shutdown).await;
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
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = kill.cancelled() => {}
        _ = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = kill.cancelled() => {}
            }
        }
    }
}
