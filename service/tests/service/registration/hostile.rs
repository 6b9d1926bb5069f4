//! The service served as it ships (`serve`), tried as an attacker would on loopback (issue 14,
//! findings 1 to 3): slow and oversized requests, idle and surplus connections, cross-site
//! and DNS-rebinding requests, the operator's token and the phones' rate limit. Every test
//! talks raw HTTP/1.1 over a `TcpStream`, so that what the server did to the connection (and
//! when) is what is asserted.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use mpns_service::patterns::{Patterns, PatternsConfig};
use mpns_service::registration::{
    serve, serve_with, RateLimit, RunningService, ServerLimits, ServiceConfig, Store,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::service::LIVE_CHANNEL;

/// The limits the tests serve with: one second each, so a figure is measured in seconds.
fn tight() -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        max_connections: 1024,
        drain_deadline: Duration::from_secs(1),
    }
}

async fn start(config: ServiceConfig) -> RunningService {
    serve_with(
        "127.0.0.1:0".parse().unwrap(),
        Store::in_memory().unwrap(),
        config,
        |state| {
            let patterns = Patterns::start(state, mpns::Client::new(), PatternsConfig::default());
            crate::support::app(patterns)
        },
    )
    .await
    .unwrap()
}

async fn start_tight() -> RunningService {
    start(ServiceConfig {
        limits: tight(),
        ..ServiceConfig::default()
    })
    .await
}

/// Reads until the server closes the connection or `limit` passes: what arrived, and when the
/// end came (None: still open at `limit`).
async fn read_to_end(stream: &mut TcpStream, limit: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), None),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(started.elapsed()),
                )
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends one request and reads one answer whose body has a `content-length`.
async fn exchange(stream: &mut TcpStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    crate::support::within("an answer", async {
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "closed before answering: {}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    return text;
                }
            }
        }
    })
    .await
}

fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

fn get(path: &str, addr: SocketAddr, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}\r\n")
}

fn post_json(path: &str, addr: SocketAddr, extra: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
}

// ---- finding 1: timeouts, caps and the body limit ----------------------------------------

/// 20 connections send one header line every 300 ms and never finish their head: each is
/// closed by the server once the 1 s header deadline passes (before: held as long as lines
/// kept coming).
#[tokio::test]
async fn slowloris_header_lines_are_cut_off_at_the_header_timeout() {
    let service = start_tight().await;
    let addr = service.local_addr();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let started = Instant::now();
            stream
                .write_all(format!("GET /api/server-info HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
                .await
                .unwrap();
            let mut buf = [0u8; 256];
            for i in 0.. {
                tokio::select! {
                    read = stream.read(&mut buf) => {
                        // The server ended it (EOF, or a reset while we were writing).
                        let _ = read;
                        return started.elapsed();
                    }
                    _ = tokio::time::sleep(Duration::from_millis(300)) => {
                        if started.elapsed() > Duration::from_secs(6) {
                            panic!("held for 6 s while sending a header line every 300 ms");
                        }
                        if stream.write_all(format!("X-Slow-{i}: 1\r\n").as_bytes()).await.is_err() {
                            return started.elapsed();
                        }
                    }
                }
            }
            unreachable!()
        }));
    }
    let mut closed = Vec::new();
    for task in tasks {
        closed.push(task.await.unwrap());
    }
    let longest = closed.iter().max().unwrap();
    let shortest = closed.iter().min().unwrap();
    println!(
        "20 slowloris connections closed after {shortest:?}..={longest:?} (header timeout 1 s)"
    );
    assert!(*shortest >= Duration::from_millis(900), "{shortest:?}");
    assert!(*longest < Duration::from_secs(3), "{longest:?}");
}

/// A chunked body that sends one byte every 300 ms gets `408` once the 1 s body deadline
/// passes, and the connection is closed (before: no answer at all).
#[tokio::test]
async fn a_slow_chunked_body_gets_408_at_the_body_timeout() {
    let service = start(ServiceConfig {
        limits: ServerLimits {
            header_timeout: Duration::from_secs(5),
            ..tight()
        },
        ..ServiceConfig::default()
    })
    .await;
    let addr = service.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /api/registrations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let started = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..30 {
            if writer.write_all(b"1\r\n{\r\n").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(6), reader.read(&mut buf)).await {
            Err(_) => panic!("no answer within 6 s: {}", String::from_utf8_lossy(&got)),
            Ok(Ok(0)) | Ok(Err(_)) => break started.elapsed(),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    };
    trickle.abort();
    let answer = String::from_utf8_lossy(&got);
    println!(
        "slow chunked body: {} after {ended:?}, then closed",
        answer.lines().next().unwrap_or("")
    );
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    assert!(ended >= Duration::from_millis(900), "{ended:?}");
    assert!(ended < Duration::from_secs(3), "{ended:?}");
}

/// A head that declares 100 MB is answered `413` at once, without reading a byte of body and,
/// with `Expect: 100-continue`, without `100 Continue` first.
#[tokio::test]
async fn an_oversized_content_length_is_refused_from_the_head() {
    let service = start_tight().await;
    let addr = service.local_addr();
    for expect in ["", "Expect: 100-continue\r\n"] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(
                format!(
                    "POST /api/registrations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n{expect}\r\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        let (answer, closed) = read_to_end(&mut stream, Duration::from_secs(5)).await;
        println!(
            "Content-Length 100 MB ({expect:?}): {} bytes answered, closed after {closed:?}",
            answer.len()
        );
        assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
        assert!(!answer.contains("100 Continue"), "{answer}");
        assert!(answer.contains("body_too_large"), "{answer}");
        let closed = closed.expect("the connection is closed after the 413");
        assert!(closed < Duration::from_millis(900), "{closed:?}");
    }
}

/// A head of 200 KB (one huge header) is refused with `431` and the connection closed, instead
/// of being buffered whole (the read buffer per connection is capped at 64 KiB; hyper's default
/// of about 400 KB took it).
#[tokio::test]
async fn a_200_kb_request_head_is_refused_with_431() {
    let service = start_tight().await;
    let addr = service.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let huge = "a".repeat(200 * 1024);
    let request =
        format!("GET /api/server-info HTTP/1.1\r\nHost: {addr}\r\nX-Huge: {huge}\r\n\r\n");
    // The server may close while the rest is still being written.
    let _ = stream.write_all(request.as_bytes()).await;
    let (answer, closed) = read_to_end(&mut stream, Duration::from_secs(5)).await;
    println!(
        "200 KB head: {:?}, closed after {closed:?}",
        answer.lines().next()
    );
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    assert!(closed.expect("closed") < Duration::from_millis(900));
}

/// After an answer, a keep-alive connection that sends nothing more is closed once the 1 s
/// idle (header) timeout passes.
#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_timeout() {
    let service = start_tight().await;
    let addr = service.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let answer = exchange(&mut stream, &get("/api/server-info", addr, "")).await;
    assert_eq!(status_of(&answer), 200, "{answer}");
    let (rest, closed) = read_to_end(&mut stream, Duration::from_secs(5)).await;
    println!("idle keep-alive connection closed after {closed:?}");
    assert_eq!(rest, "");
    let closed = closed.expect("closed within 5 s");
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
    assert!(closed < Duration::from_secs(3), "{closed:?}");
}

/// With a cap of 4, a fifth connection is closed as soon as it is accepted, and a new one is
/// served once one of the four went away.
#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    let service = start(ServiceConfig {
        limits: ServerLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 4,
            ..tight()
        },
        ..ServiceConfig::default()
    })
    .await;
    let addr = service.local_addr();
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let answer = exchange(&mut stream, &get("/api/server-info", addr, "")).await;
        assert_eq!(status_of(&answer), 200, "{answer}");
        held.push(stream);
    }
    let mut fifth = TcpStream::connect(addr).await.unwrap();
    let _ = fifth
        .write_all(get("/api/server-info", addr, "").as_bytes())
        .await;
    let (answer, closed) = read_to_end(&mut fifth, Duration::from_secs(5)).await;
    println!(
        "connection over the cap of 4 closed after {closed:?} with {} bytes",
        answer.len()
    );
    assert_eq!(answer, "");
    assert!(closed.expect("closed") < Duration::from_secs(1));
    drop(held.pop());
    // The server notices the closed connection on its own time: try until one is served.
    let answer = crate::support::within("a connection under the cap", async {
        loop {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let _ = stream
                .write_all(get("/api/server-info", addr, "").as_bytes())
                .await;
            let (answer, _) = read_to_end(&mut stream, Duration::from_millis(500)).await;
            if !answer.is_empty() {
                return answer;
            }
        }
    })
    .await;
    assert_eq!(status_of(&answer), 200, "{answer}");
}

// ---- finding 2: cross-site requests ------------------------------------------------------

/// A CORS "simple request" (`text/plain`, no custom header) to the one-time send is refused,
/// so is a `text/plain` body with the operator header (415); JSON with the header is sent.
#[tokio::test]
async fn a_text_plain_post_to_send_is_refused() {
    let service = start_tight().await;
    let addr = service.local_addr();
    let body = r#"{"toast_title":"pwned","tile":false,"raw":false}"#;
    let plain = |extra: &str| {
        format!(
            "POST /api/patterns/one-time/send HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n{extra}\r\n{body}",
            body.len()
        )
    };
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let answer = exchange(&mut stream, &plain("Origin: http://evil.example\r\n")).await;
    assert_eq!(status_of(&answer), 403, "{answer}");
    assert!(answer.contains("foreign_origin"), "{answer}");
    let answer = exchange(&mut stream, &plain("")).await;
    assert_eq!(status_of(&answer), 403, "{answer}");
    assert!(answer.contains("cross_site_request"), "{answer}");
    let answer = exchange(&mut stream, &plain("X-Mpns-Operator: 1\r\n")).await;
    assert_eq!(status_of(&answer), 415, "{answer}");
    let empty = format!(
        "POST /api/patterns/one-time/send HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
    );
    let answer = exchange(&mut stream, &empty).await;
    assert_eq!(status_of(&answer), 403, "{answer}");
    let answer = exchange(
        &mut stream,
        &post_json("/api/patterns/one-time/send", addr, "", body),
    )
    .await;
    assert_eq!(status_of(&answer), 202, "{answer}");
}

/// A JSON array where an object is expected is refused with a message that says so (serde
/// would take it as the fields in order).
#[tokio::test]
async fn a_json_array_is_refused_where_an_object_is_expected() {
    let service = start_tight().await;
    let addr = service.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let array = format!(r#"["ann","{LIVE_CHANNEL}","7.1"]"#);
    let answer = exchange(
        &mut stream,
        &post_json("/api/registrations", addr, "", &array),
    )
    .await;
    assert_eq!(status_of(&answer), 422, "{answer}");
    assert!(answer.contains("not an array"), "{answer}");
    let answer = exchange(
        &mut stream,
        &post_json("/api/patterns/active", addr, "", r#"["counter"]"#),
    )
    .await;
    assert_eq!(status_of(&answer), 422, "{answer}");
    let object =
        format!(r#"{{"user_name":"ann","channel_uri":"{LIVE_CHANNEL}","os_version":"7.1"}}"#);
    let answer = exchange(
        &mut stream,
        &post_json("/api/registrations", addr, "", &object),
    )
    .await;
    assert_eq!(status_of(&answer), 201, "{answer}");
}

/// A DNS-rebinding page reaches the server under its own name: `Host: evil.example` is
/// refused (421) before any route answers; the server's address, `localhost` and a configured
/// public name are served.
#[tokio::test]
async fn a_foreign_host_is_refused_and_the_servers_own_names_are_served() {
    let service = start(ServiceConfig {
        limits: tight(),
        public_names: vec!["push.example.com".into()],
        ..ServiceConfig::default()
    })
    .await;
    let addr = service.local_addr();
    let port = addr.port();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    for (host, status) in [
        (format!("evil.example:{port}"), 421),
        ("evil.example".to_owned(), 421),
        (format!("127.0.0.2:{port}"), 421),
        (format!("{addr}"), 200),
        (format!("localhost:{port}"), 200),
        (format!("LOCALHOST:{port}"), 200),
        ("push.example.com".to_owned(), 200),
    ] {
        let request = format!("GET /api/subscribers HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let answer = exchange(&mut stream, &request).await;
        assert_eq!(status_of(&answer), status, "Host {host}: {answer}");
    }
    for (origin, status) in [
        ("http://evil.example", 403),
        ("null", 403),
        (&*format!("http://localhost:{port}"), 200),
        ("https://push.example.com", 200),
    ] {
        let answer = exchange(
            &mut stream,
            &get("/api/subscribers", addr, &format!("Origin: {origin}\r\n")),
        )
        .await;
        assert_eq!(status_of(&answer), status, "Origin {origin}: {answer}");
    }
}

// ---- finding 3: the operator's token and the phones' rate limit --------------------------

/// With a token, the operator's routes need `Authorization: Bearer <token>`; phones' routes
/// stay open.
#[tokio::test]
async fn operator_routes_need_the_token_and_phone_routes_do_not() {
    let service = start(ServiceConfig {
        limits: tight(),
        operator_token: Some("s3cret-token".into()),
        ..ServiceConfig::default()
    })
    .await;
    let addr = service.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    for (auth, status) in [
        ("", 401),
        ("Authorization: Bearer wrong\r\n", 401),
        ("Authorization: Bearer s3cret-toke\r\n", 401),
        ("Authorization: Basic czNjcmV0LXRva2Vu\r\n", 401),
        ("Authorization: Bearer s3cret-token\r\n", 200),
    ] {
        for path in ["/api/subscribers", "/api/status-log", "/api/patterns"] {
            let answer = exchange(&mut stream, &get(path, addr, auth)).await;
            assert_eq!(status_of(&answer), status, "{path} {auth:?}: {answer}");
            if status == 401 {
                assert!(
                    answer
                        .to_ascii_lowercase()
                        .contains("www-authenticate: bearer"),
                    "{answer}"
                );
            }
        }
    }
    let answer = exchange(
        &mut stream,
        &post_json("/api/patterns/active", addr, "", r#"{"pattern":"counter"}"#),
    )
    .await;
    assert_eq!(status_of(&answer), 401, "{answer}");
    let object =
        format!(r#"{{"user_name":"ann","channel_uri":"{LIVE_CHANNEL}","os_version":"7.1"}}"#);
    let answer = exchange(
        &mut stream,
        &post_json("/api/registrations", addr, "", &object),
    )
    .await;
    assert_eq!(status_of(&answer), 201, "{answer}");
    let answer = exchange(&mut stream, &get("/api/server-info?user=ann", addr, "")).await;
    assert_eq!(status_of(&answer), 200, "{answer}");
    let answer = exchange(&mut stream, &get("/images/numbers/7.png", addr, "")).await;
    assert_eq!(status_of(&answer), 200, "{answer}");
}

/// `serve` does not open the operator's routes on a non-loopback address without a token
/// (nothing is bound: the refusal comes first), unless told so.
#[tokio::test]
async fn serve_refuses_a_public_address_without_a_token() {
    let error = serve(
        "0.0.0.0:0".parse().unwrap(),
        Store::in_memory().unwrap(),
        ServiceConfig::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let message = error.to_string();
    assert!(message.contains("--operator-token"), "{message}");
    assert!(message.contains("--insecure-no-operator-auth"), "{message}");
    let empty = serve(
        "127.0.0.1:0".parse().unwrap(),
        Store::in_memory().unwrap(),
        ServiceConfig {
            operator_token: Some("  ".into()),
            ..ServiceConfig::default()
        },
    )
    .await
    .unwrap_err();
    assert!(empty.to_string().contains("empty"), "{empty}");
}

/// One client (127.0.0.1) that asks faster than 5 a second with a burst of 5 gets `429` with
/// `Retry-After`; another client (127.0.0.2) is still served at once.
#[tokio::test]
async fn one_client_is_rate_limited_and_another_is_not() {
    let service = start(ServiceConfig {
        limits: tight(),
        phone_rate_limit: Some(RateLimit {
            per_second: NonZeroU32::new(5).unwrap(),
            burst: NonZeroU32::new(5).unwrap(),
        }),
        ..ServiceConfig::default()
    })
    .await;
    let addr = service.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..20 {
        let answer = exchange(&mut stream, &get("/api/server-info", addr, "")).await;
        if status_of(&answer) == 429 {
            retry_after = answer.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("retry-after:")
                    .map(|v| v.trim().to_owned())
            });
        }
        statuses.push(status_of(&answer));
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    println!("20 quick requests from one client: {limited} got 429 (5/s, burst 5)");
    assert!(statuses[..5].iter().all(|s| *s == 200), "{statuses:?}");
    assert!(limited >= 10, "{statuses:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));

    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut other = socket.connect(addr).await.unwrap();
    for _ in 0..5 {
        let answer = exchange(&mut other, &get("/api/server-info", addr, "")).await;
        assert_eq!(status_of(&answer), 200, "{answer}");
    }
}

/// Issue 14, finding 8 for the library: a request whose body never finishes holds
/// `RunningService::shutdown` only until the drain deadline (here 1 s; the body deadline is
/// 30 s, which bounded it before).
#[tokio::test]
async fn a_half_sent_request_holds_shutdown_only_until_the_drain_deadline() {
    let service = start(ServiceConfig {
        limits: ServerLimits {
            body_timeout: Duration::from_secs(30),
            drain_deadline: Duration::from_secs(1),
            ..tight()
        },
        ..ServiceConfig::default()
    })
    .await;
    let addr = service.local_addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /api/registrations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"user_name\""
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut probe = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(200), stream.peek(&mut probe)).await;
    assert!(early.is_err(), "the service answered a half-sent body");
    let t0 = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), service.shutdown())
        .await
        .expect("shutdown returns within 10 s")
        .unwrap();
    let took = t0.elapsed();
    println!("service shutdown with a half-sent request: {took:?}");
    assert!(
        took >= Duration::from_millis(900),
        "{took:?}: it did not wait for the request at all"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
}
