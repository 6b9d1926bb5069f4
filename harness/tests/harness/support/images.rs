//! A tiny image server on 127.0.0.1 for the fetch and schedule tests: images of chosen sizes,
//! statuses, content types, held or delayed answers (on the test's clock), a script of replies,
//! and a count of requests the tests can wait on.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use mpns_harness::Clock;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The PNG signature followed by zeros: `len` bytes in all (at least 8).
pub(crate) fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.resize(len.max(8), 0);
    v
}

/// The JPEG start-of-image marker followed by zeros.
pub(crate) fn jpeg(len: usize) -> Vec<u8> {
    let mut v = b"\xFF\xD8\xFF\xE0".to_vec();
    v.resize(len.max(4), 0);
    v
}

/// What `/script/...` answers, one per request in order.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// 200, `image/png`, a PNG of this many bytes.
    Png(usize),
    /// This status with a short text body.
    Status(u16),
    /// Never answers.
    Hold,
}

struct Inner {
    clock: Clock,
    paths: Mutex<Vec<String>>,
    hits: watch::Sender<usize>,
    script: Mutex<VecDeque<Reply>>,
}

/// The running server. Dropping it leaves the server running until the test's runtime ends.
#[derive(Clone)]
pub(crate) struct ImageServer {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl ImageServer {
    /// Starts on an ephemeral port; returns once listening. Delays (`/slow/...`) use `clock`.
    pub(crate) async fn start(clock: Clock) -> ImageServer {
        let inner = Arc::new(Inner {
            clock,
            paths: Mutex::new(Vec::new()),
            hits: watch::channel(0).0,
            script: Mutex::new(VecDeque::new()),
        });
        let app = Router::new()
            .route("/png/{size}", get(png_route))
            .route("/jpeg/{size}", get(jpeg_route))
            .route("/octet/{size}", get(octet_route))
            .route("/untyped/{size}", get(untyped_route))
            .route("/chunked/{size}", get(chunked_route))
            .route("/endless", get(endless_route))
            .route("/status/{code}", get(status_route))
            .route("/html", get(html_route))
            .route("/text-png/{size}", get(text_png_route))
            .route("/gif", get(gif_route))
            .route("/empty", get(empty_route))
            .route("/hold", get(hold_route))
            .route("/slow/{secs}/{size}", get(slow_route))
            .route("/script/{name}", get(script_route))
            .layer(axum::middleware::from_fn_with_state(inner.clone(), count))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ImageServer { addr, inner }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `127.0.0.1:PORT`, as errors name the host.
    pub(crate) fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Requests received so far.
    pub(crate) fn hits(&self) -> usize {
        *self.inner.hits.borrow()
    }

    /// The paths requested, in order.
    pub(crate) fn paths(&self) -> Vec<String> {
        self.inner.paths.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (panics after 10 s of real time, naming the
    /// count, so that a broken test fails instead of hanging).
    pub(crate) async fn wait_for_hits(&self, n: usize) {
        let mut rx = self.inner.hits.subscribe();
        let waited = tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|h| *h >= n)).await;
        assert!(
            waited.is_ok(),
            "the image server got {} requests, not {n}, within 10 s",
            self.hits()
        );
    }

    /// Queues replies for `/script/...`, answered in order.
    pub(crate) fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.script.lock().unwrap().extend(replies);
    }
}

async fn count(
    State(inner): State<Arc<Inner>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    inner
        .paths
        .lock()
        .unwrap()
        .push(req.uri().path().to_owned());
    inner.hits.send_modify(|h| *h += 1);
    next.run(req).await
}

fn with_type(body: Vec<u8>, content_type: Option<&'static str>) -> Response {
    let mut r = Response::new(Body::from(body));
    if let Some(t) = content_type {
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(t));
    }
    r
}

async fn png_route(Path(size): Path<usize>) -> Response {
    with_type(png(size), Some("image/png"))
}

async fn jpeg_route(Path(size): Path<usize>) -> Response {
    with_type(jpeg(size), Some("image/jpeg"))
}

async fn octet_route(Path(size): Path<usize>) -> Response {
    with_type(png(size), Some("application/octet-stream"))
}

async fn untyped_route(Path(size): Path<usize>) -> Response {
    with_type(png(size), None)
}

/// A PNG of `size` bytes in 4 KB chunks, without Content-Length.
async fn chunked_route(Path(size): Path<usize>) -> Response {
    let chunks: Vec<Result<Vec<u8>, Infallible>> =
        png(size).chunks(4096).map(|c| Ok(c.to_vec())).collect();
    let mut r = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    r
}

/// A PNG that never ends, in 16 KB chunks, without Content-Length.
async fn endless_route() -> Response {
    let first = futures_util::stream::once(async { Ok::<_, Infallible>(png(16 * 1024)) });
    let rest = futures_util::stream::repeat_with(|| Ok::<_, Infallible>(vec![0u8; 16 * 1024]));
    let body = futures_util::StreamExt::chain(first, rest);
    let mut r = Response::new(Body::from_stream(body));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    r
}

async fn status_route(Path(code): Path<u16>) -> Response {
    status(code)
}

fn status(code: u16) -> Response {
    let mut r = with_type(format!("status {code}").into_bytes(), Some("text/plain"));
    *r.status_mut() = StatusCode::from_u16(code).expect("a valid status code");
    r
}

async fn html_route() -> Response {
    with_type(
        b"<html>not found</html>".to_vec(),
        Some("text/html; charset=utf-8"),
    )
}

async fn text_png_route(Path(size): Path<usize>) -> Response {
    with_type(png(size), Some("text/plain"))
}

async fn gif_route() -> Response {
    with_type(b"GIF89a\x01\x00\x01\x00".to_vec(), Some("image/gif"))
}

async fn empty_route() -> Response {
    with_type(Vec::new(), Some("image/png"))
}

async fn hold_route() -> Response {
    std::future::pending::<()>().await;
    unreachable!("a pending future never completes")
}

/// Answers a PNG of `size` bytes after `secs` seconds on the server's clock.
async fn slow_route(
    State(inner): State<Arc<Inner>>,
    Path((secs, size)): Path<(u64, usize)>,
) -> Response {
    inner.clock.sleep(Duration::from_secs(secs)).await;
    with_type(png(size), Some("image/png"))
}

async fn script_route(State(inner): State<Arc<Inner>>) -> Response {
    let next = inner.script.lock().unwrap().pop_front();
    // Once the script is used up: a 1000-byte PNG.
    let reply = next.unwrap_or(Reply::Png(1000));
    match reply {
        Reply::Png(n) => with_type(png(n), Some("image/png")),
        Reply::Status(code) => status(code),
        Reply::Hold => hold_route().await,
    }
}
