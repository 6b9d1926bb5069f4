//! What every served request passes before a handler sees it (the README's "Security"
//! section):
//!
//! 1. `Host` must be one of the listener's own names (the address the connection arrived on,
//!    `localhost`, the host of the public base URL and the configured public names): a page on
//!    another site that rebinds its DNS name to this server is answered `421`.
//! 2. `Origin`, when a browser sends one, must name one of those hosts too, else `403`.
//! 3. A `Content-Length` over the body limit is answered `413` from the head, before any body is
//!    read and before any `100 Continue`.
//! 4. Phone-facing routes (register, unregister, server info, tile update, images) are open,
//!    with a per-client rate limit keyed by the peer's IP address (`429` with `Retry-After`).
//! 5. Every other route is the operator's: with a token configured it needs
//!    `Authorization: Bearer <token>` (compared in constant time), else `401`; a call that
//!    changes state (any method but GET, HEAD and OPTIONS) needs `Content-Type:
//!    application/json` or the header `X-Mpns-Operator`, which a page of another site cannot
//!    send without a CORS preflight that this server never grants (`403`).
//! 6. The whole request body must arrive within the body deadline, else `408` and the
//!    connection is closed.

use std::future::Future;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http_body::{Frame, SizeHint};
use subtle::ConstantTimeEq;

use super::error::error_response;
use super::listener::LocalAddr;

/// The header a script sends to show that a state-changing operator call is not a cross-site
/// form or `text/plain` post (any value).
pub const OPERATOR_HEADER: &str = "x-mpns-operator";

/// A per-client request rate for the phone-facing routes: `per_second` on average, `burst`
/// at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second a client may make on average.
    pub per_second: NonZeroU32,
    /// Requests a client may make at once before the average applies.
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    /// 100 requests a second, 200 at once: a phone makes a handful a minute.
    fn default() -> Self {
        RateLimit {
            per_second: NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(200).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// The guard's settings, made once per listener.
pub(super) struct Guard {
    /// Lower-case host names and addresses this listener answers to (besides the address a
    /// connection arrived on).
    names: Vec<String>,
    token: Option<String>,
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU64,
    body_limit: usize,
    body_timeout: Duration,
}

impl Guard {
    pub(super) fn new(
        names: Vec<String>,
        token: Option<String>,
        rate: Option<RateLimit>,
        body_limit: usize,
        body_timeout: Duration,
    ) -> Guard {
        let mut names: Vec<String> = names
            .iter()
            .map(|n| host_part(n).to_ascii_lowercase())
            .collect();
        names.push("localhost".into());
        Guard {
            names,
            token,
            limiter: rate
                .map(|r| RateLimiter::keyed(Quota::per_second(r.per_second).allow_burst(r.burst))),
            checks: AtomicU64::new(0),
            body_limit,
            body_timeout,
        }
    }

    fn knows_host(&self, host: &str, local: Option<LocalAddr>) -> bool {
        let host = host_part(host).to_ascii_lowercase();
        if let Some(LocalAddr(addr)) = local {
            if host.trim_start_matches('[').trim_end_matches(']') == addr.ip().to_string() {
                return true;
            }
        }
        self.names.contains(&host)
    }

    fn token_ok(&self, req: &Request) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .map(str::to_owned)
            .or_else(|| events_query_token(req));
        given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.as_bytes())))
    }
}

/// `EventSource` cannot send headers, so the console's event stream may carry the token as
/// `?access_token=` (that route only).
fn events_query_token(req: &Request) -> Option<String> {
    if req.uri().path() != "/console/api/events" {
        return None;
    }
    req.uri().query()?.split('&').find_map(|pair| {
        pair.strip_prefix("access_token=").map(|v| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// `example.com:8000` -> `example.com`, `[::1]:80` -> `[::1]`.
fn host_part(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// The routes phones call: open, rate-limited.
pub(super) fn is_phone_route(path: &str) -> bool {
    path == "/api/registrations"
        || path.starts_with("/api/registrations/")
        || path == "/api/server-info"
        || path == "/api/tile-update"
        || path.starts_with("/images/")
        || path.starts_with("/ImageService/")
}

/// The console's page and static files and the API's OpenAPI document: open (they hold no
/// data; the page asks for the token).
pub(super) fn is_static_route(path: &str) -> bool {
    matches!(
        path,
        "/" | "/console"
            | "/console/"
            | "/console/console.css"
            | "/console/console.js"
            | super::OPENAPI_PATH
    )
}

/// Whether the request says its body is JSON (`application/json`, `application/*+json`).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// The middleware (see the module doc).
pub(super) async fn guard(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let local = req.extensions().get::<LocalAddr>().copied();
    if let Some(host) = req
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("(not ASCII)").to_owned())
    {
        if !guard.knows_host(&host, local) {
            let shown: String = host.chars().take(80).collect();
            return error_response(
                StatusCode::MISDIRECTED_REQUEST,
                "unknown_host",
                None,
                &format!(
                    "Host {shown:?} is not a name of this server; a public name must be configured (--public-name)"
                ),
            );
        }
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("(not ASCII)");
        let host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        if !host.is_some_and(|h| guard.knows_host(h, local)) {
            let shown: String = origin.chars().take(80).collect();
            return error_response(
                StatusCode::FORBIDDEN,
                "foreign_origin",
                None,
                &format!("requests from pages of {shown} are not accepted"),
            );
        }
    }
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        if length > guard.body_limit as u64 {
            let mut response = error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                None,
                &format!(
                    "the request body ({length} bytes) is larger than the limit of {} bytes",
                    guard.body_limit
                ),
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    }
    let path = req.uri().path();
    if is_phone_route(path) {
        if let (Some(limiter), Some(ConnectInfo(peer))) = (
            &guard.limiter,
            req.extensions()
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .copied(),
        ) {
            // Forget clients that went quiet now and then, so the map stays small.
            if guard.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
                limiter.retain_recent();
            }
            if let Err(not_until) = limiter.check_key(&peer.ip()) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                let mut response = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    None,
                    &format!("too many requests from {}; retry in {secs} s", peer.ip()),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
                return response;
            }
        }
    } else if !is_static_route(path) {
        if !guard.token_ok(&req) {
            let mut response = error_response(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                None,
                "the operator's routes need Authorization: Bearer <token> (the token given with --operator-token, --operator-token-file or MPNS_OPERATOR_TOKEN)",
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mpns operator\""),
            );
            return response;
        }
        let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && !is_json(req.headers()) && !req.headers().contains_key(OPERATOR_HEADER) {
            return error_response(
                StatusCode::FORBIDDEN,
                "cross_site_request",
                None,
                "a call that changes state needs Content-Type: application/json or the header X-Mpns-Operator: 1 (a page of another site can send neither)",
            );
        }
    }
    let timed_out = Arc::new(AtomicBool::new(false));
    let (parts, body) = req.into_parts();
    let body = if http_body::Body::is_end_stream(&body) {
        body
    } else {
        Body::new(DeadlineBody {
            inner: body,
            sleep: Box::pin(tokio::time::sleep(guard.body_timeout)),
            timed_out: timed_out.clone(),
            limit: guard.body_timeout,
        })
    };
    let response = next.run(Request::from_parts(parts, body)).await;
    if timed_out.load(Ordering::Relaxed) {
        let mut response = error_response(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            None,
            &format!(
                "the request body did not arrive within {} s",
                guard.body_timeout.as_secs_f64()
            ),
        );
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response.into_response();
    }
    response
}

/// A request body that must arrive whole before a deadline.
struct DeadlineBody {
    inner: Body,
    sleep: Pin<Box<tokio::time::Sleep>>,
    timed_out: Arc<AtomicBool>,
    limit: Duration,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(format!(
                "the request body did not arrive within {:?}",
                this.limit
            )))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::host_part;

    #[test]
    fn host_part_drops_the_port_only() {
        assert_eq!(host_part("example.com:8000"), "example.com");
        assert_eq!(host_part("example.com"), "example.com");
        assert_eq!(host_part("[::1]:80"), "[::1]");
        assert_eq!(host_part("127.0.0.1:1"), "127.0.0.1");
    }
}
