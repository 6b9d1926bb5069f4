//! The request path for channel URIs: it answers as MPNS did, records every request and applies
//! fault rules.
//!
//! Decisions where docs/mpns-protocol.md is silent or split:
//! - a path that is neither a channel URI nor under `/_fake/` gets 400 ("malformed channel
//!   URI", docs/mpns-protocol.md §3.2); a well-formed channel URI with an unknown token gets 404
//!   Dropped/Disconnected/Expired;
//! - the order of checks is: URI shape (400), body size (400, read no further than 3 KB),
//!   method (405), request content (400), fault rules, then the device model (see the `answer`
//!   module for its precedence);
//! - `POST {channel}/callback` on an unauthenticated channel gets 401 (callbacks are for
//!   authenticated services only), a missing or non-http(s) `X-CallbackURI` or a blob over 1 KB
//!   gets 400;
//! - the status headers go out with lowercase names (HTTP/1 header names are case-insensitive;
//!   hyper writes them lowercase);
//! - every answer on a channel path carries `X-MessageID`, also 400/405 ones.
//!
//! The request path takes no global lock: a read lock on the token map while cloning one `Arc`,
//! then the channel's device lock. Exceptions, each short: requests to unknown channels are
//! recorded under one lock; a batched notification schedules its delivery on the clock's timer
//! list; an installed fault rule with a probability draws from its own seeded generator.

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Limited};

use super::answer::Answer;
use super::conn::{ConnCtl, CONN};
use super::engine::Core;
use super::events::Event;
use super::faults::Fault;
use super::record::{self, RequestInfo};
use super::registry::ChannelRef;
use crate::protocol::{self, Inspected, MAX_BODY_BYTES};

/// Most bytes of a `/callback` blob (docs/mpns-protocol.md §1.3).
const MAX_CALLBACK_BYTES: usize = 1024;

/// How long a request body may take to arrive (wall clock) before the request is refused.
const BODY_READ_LIMIT: Duration = Duration::from_secs(30);

const ZERO_ID: HeaderValue = HeaderValue::from_static("00000000-0000-0000-0000-000000000000");
const X_NOTIFICATION_STATUS: HeaderName = HeaderName::from_static("x-notificationstatus");
const X_DEVICE_STATUS: HeaderName = HeaderName::from_static("x-deviceconnectionstatus");
const X_SUBSCRIPTION_STATUS: HeaderName = HeaderName::from_static("x-subscriptionstatus");
const X_MESSAGE_ID: HeaderName = HeaderName::from_static("x-messageid");

/// Where a channel URI points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Notify,
    Callback,
}

/// `/throttledthirdparty/01.00/<token>` or `/unthrottledthirdparty/01.00/<token>`, optionally
/// followed by `/callback`: (authenticated, token, endpoint).
fn parse_channel_path(path: &str) -> Option<(bool, &str, Endpoint)> {
    let (authenticated, rest) = if let Some(r) = path.strip_prefix("/throttledthirdparty/01.00/") {
        (false, r)
    } else if let Some(r) = path.strip_prefix("/unthrottledthirdparty/01.00/") {
        (true, r)
    } else {
        return None;
    };
    let (token, endpoint) = match rest.strip_suffix("/callback") {
        Some(t) => (t, Endpoint::Callback),
        None => (rest, Endpoint::Notify),
    };
    let ok = !token.is_empty()
        && token.len() <= 2048
        && token.bytes().all(|b| TOKEN_BYTES[usize::from(b)]);
    ok.then_some((authenticated, token, endpoint))
}

/// The bytes a channel token may hold, by value (a table: every request checks its token).
const TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'=' | b'.' | b'~');
        b += 1;
    }
    table
};

fn mpns_response(answer: &Answer, message_id: HeaderValue) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    let h = r.headers_mut();
    if let Some(n) = answer.notification {
        h.insert(X_NOTIFICATION_STATUS, HeaderValue::from_static(n.as_str()));
    }
    if let Some(d) = answer.device {
        h.insert(X_DEVICE_STATUS, HeaderValue::from_static(d.as_str()));
    }
    if let Some(s) = answer.subscription {
        h.insert(X_SUBSCRIPTION_STATUS, HeaderValue::from_static(s.as_str()));
    }
    h.insert(X_MESSAGE_ID, message_id);
    if answer.status == 405 {
        h.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    r
}

/// What the record keeps of a request: its method, and one small buffer of its own holding
/// the body, the message ID, the path and the headers (packed).
///
/// hyper's header values, URI and body point into the connection's read buffer (8 KB or more):
/// a record that kept them would keep that whole buffer alive, and the connection would have to
/// allocate a fresh one for every request. The path and the headers are cut to
/// [`record::PATH_KEPT`] and [`record::HEADERS_KEPT`] bytes, so that a request with 90 headers
/// of 4 KB costs its record at most those (the record's diagnostics say what was left out).
fn request_info(parts: Parts, body: &[u8], id: &HeaderValue) -> RequestInfo {
    let Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    // Only a path (and query) is copied; other forms of request target are kept as they are.
    let (path, other_uri) = match (uri.scheme(), uri.authority()) {
        (None, None) => (uri.path_and_query().map_or("", |p| p.as_str()), None),
        _ => ("", Some(uri.clone())),
    };
    let full_path = path.len();
    let path = &path.as_bytes()[..full_path.min(record::PATH_KEPT)];
    let (keep, left_out, kept_bytes) = record::kept_headers(&headers);
    let mut notes = Vec::new();
    if path.len() < full_path {
        notes.push(format!(
            "the path is {full_path} bytes; the record keeps its first {}",
            path.len()
        ));
    }
    if left_out > 0 {
        notes.push(format!(
            "{} headers ({} bytes packed); the record keeps the first {keep}, up to {} bytes",
            headers.len(),
            record::packed_len(&headers),
            record::HEADERS_KEPT
        ));
    }
    let truncated = (!notes.is_empty()).then(|| format!("Record truncated: {}.", notes.join("; ")));
    let mut data = Vec::with_capacity(body.len() + id.len() + path.len() + kept_bytes);
    data.extend_from_slice(body);
    data.extend_from_slice(id.as_bytes());
    data.extend_from_slice(path);
    record::pack_headers(&headers, keep, &mut data);
    RequestInfo {
        method,
        other_uri,
        data: Bytes::from(data),
        lens: [body.len(), id.len(), path.len()],
        truncated,
    }
}

/// Reads at most `limit` bytes of body. `Err` carries the diagnostic.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, String> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared {
        if n > limit as u64 {
            return Err(format!(
                "The body has {n} bytes (Content-Length), over the limit of {limit} bytes; it was not read."
            ));
        }
    }
    let mut collect = std::pin::pin!(collect(Limited::new(body, limit)));
    // A small body has usually arrived with the head: then no timer is set up for it.
    let read = match futures_util::poll!(collect.as_mut()) {
        Poll::Ready(r) => Ok(r),
        Poll::Pending => tokio::time::timeout(BODY_READ_LIMIT, collect).await,
    };
    match read {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(format!(
            "The body is over the limit of {limit} bytes; reading stopped there."
        )),
        Ok(Err(e)) => Err(format!("The body could not be read: {e}.")),
        Err(_) => Err(format!(
            "The body did not arrive within {} s.",
            BODY_READ_LIMIT.as_secs()
        )),
    }
}

/// The body's data frames as one buffer. A body that comes in one frame (as a small one
/// does) is taken as it is, without a copy or a list of frames.
async fn collect(mut body: Limited<Body>) -> Result<Bytes, axum::BoxError> {
    let mut first = Bytes::new();
    let mut more = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if first.is_empty() && more.is_empty() {
            first = data;
        } else {
            if more.is_empty() {
                more.extend_from_slice(&std::mem::take(&mut first));
            }
            more.extend_from_slice(&data);
        }
    }
    Ok(if more.is_empty() {
        first
    } else {
        more.freeze()
    })
}

/// Every request outside `/_fake/`.
pub(super) async fn channel_request(State(core): State<Arc<Core>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let message_id = parts.headers.get(&X_MESSAGE_ID).cloned().unwrap_or(ZERO_ID);
    let conn = CONN.try_with(Arc::clone).ok();
    let client_cn = conn.as_ref().and_then(|c| c.client_cn.clone());
    let Some((authenticated, token, endpoint)) = parse_channel_path(parts.uri.path()) else {
        let diagnostic = format!(
            "Malformed channel URI {}: expected /throttledthirdparty/01.00/<token> or /unthrottledthirdparty/01.00/<token> (control API under /_fake/).",
            protocol_text_short(parts.uri.path())
        );
        let answer = Answer::bare(400);
        let info = request_info(parts, &[], &message_id);
        core.record_refused(None, info, None, answer, None, vec![diagnostic]);
        return mpns_response(&answer, message_id);
    };
    let channel = core.resolve(token, authenticated);
    if endpoint == Endpoint::Callback {
        let answer =
            callback_request(&core, channel.as_ref(), &parts, body, client_cn.as_deref()).await;
        return mpns_response(&answer, message_id);
    }
    let bytes = match read_body(&parts.headers, body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(diagnostic) => {
            let answer = Answer::bare(400);
            let info = request_info(parts, &[], &message_id);
            core.record_refused(channel.as_ref(), info, None, answer, None, vec![diagnostic]);
            return mpns_response(&answer, message_id);
        }
    };
    let inspected = protocol::inspect(&parts.method, &parts.headers, &bytes, core.config.mode);
    let info = request_info(parts, &bytes, &message_id);
    let inspected = match inspected {
        Ok(i) => i,
        Err(rejection) => {
            let answer = Answer::bare(rejection.status);
            core.record_refused(
                channel.as_ref(),
                info,
                None,
                answer,
                None,
                rejection.diagnostics,
            );
            return mpns_response(&answer, message_id);
        }
    };
    if let Some((answer, record)) =
        apply_fault(&core, channel.as_ref(), conn.as_deref(), &inspected).await
    {
        if record {
            let diagnostics = inspected.diagnostics.clone();
            core.record_refused(
                channel.as_ref(),
                info,
                Some(&inspected),
                answer,
                None,
                diagnostics,
            );
        }
        return mpns_response(&answer, message_id);
    }
    let answer = core.receive(channel.as_ref(), inspected, client_cn.as_deref(), info);
    mpns_response(&answer, message_id)
}

fn protocol_text_short(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    format!("{out:?}")
}

/// Applies the first matching fault rule. `Some((answer, record))` answers now; `None` goes on
/// (after a delay, if the rule said so). Dropping and never answering do not return.
async fn apply_fault(
    core: &Core,
    channel: Option<&ChannelRef>,
    conn: Option<&ConnCtl>,
    inspected: &Inspected,
) -> Option<(Answer, bool)> {
    let (rule, fault) =
        core.faults
            .check(channel.map(|c| c.id), inspected.target, inspected.batching)?;
    let channel_id = channel.map(|c| c.id);
    let action = match fault {
        Fault::Status503 => "status_503".to_owned(),
        Fault::Delay(d) => format!("delay {} ms", d.as_millis()),
        Fault::DropConnection => "drop_connection".to_owned(),
        Fault::NeverAnswer => "never_answer".to_owned(),
    };
    core.events.emit(|| Event::FaultApplied {
        rule,
        channel: channel_id,
        action,
    });
    core.touch();
    let kill = conn.map(|c| c.kill.clone());
    match fault {
        Fault::Status503 => Some((Answer::bare(503), true)),
        Fault::Delay(d) => {
            tokio::select! {
                _ = tokio::time::sleep(d) => None,
                _ = core.shutdown.cancelled() => Some((Answer::bare(503), false)),
            }
        }
        Fault::DropConnection => {
            if let Some(kill) = kill {
                kill.cancel();
                std::future::pending::<()>().await;
            }
            Some((Answer::bare(503), false))
        }
        Fault::NeverAnswer => {
            core.shutdown.cancelled().await;
            if let Some(kill) = kill {
                kill.cancel();
                std::future::pending::<()>().await;
            }
            Some((Answer::bare(503), false))
        }
    }
}

/// `POST {channel}/callback`: stores `X-CallbackURI` and the blob (docs/mpns-protocol.md §1.3).
async fn callback_request(
    core: &Core,
    channel: Option<&ChannelRef>,
    parts: &Parts,
    body: Body,
    client_cn: Option<&str>,
) -> Answer {
    if parts.method != Method::POST {
        return Answer::bare(405);
    }
    let uri = parts
        .headers
        .get("x-callbackuri")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .and_then(|u| reqwest::Url::parse(u).ok());
    let Some(uri) = uri else {
        return Answer::bare(400);
    };
    let Ok(blob) = read_body(&parts.headers, body, MAX_CALLBACK_BYTES).await else {
        return Answer::bare(400);
    };
    core.register_callback(channel, client_cn, uri.to_string(), blob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_paths_are_parsed_and_odd_ones_refused() {
        assert_eq!(
            parse_channel_path("/throttledthirdparty/01.00/AAF_x-1"),
            Some((false, "AAF_x-1", Endpoint::Notify))
        );
        assert_eq!(
            parse_channel_path("/unthrottledthirdparty/01.00/AAE/callback"),
            Some((true, "AAE", Endpoint::Callback))
        );
        for bad in [
            "/",
            "/throttledthirdparty/01.00/",
            "/throttledthirdparty/02.00/abc",
            "/throttledthirdparty/01.00/a/b",
            "/throttledthirdparty/01.00/a%20b",
        ] {
            assert_eq!(parse_channel_path(bad), None, "{bad}");
        }
    }
}
