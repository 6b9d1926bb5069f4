//! The fake MPNS tried as a misbehaving client (or a web page) would (issue 14, findings 1 and
//! 2): slow heads, idle and surplus connections, and control calls that a page of another site
//! could make. Raw HTTP/1.1 over a `TcpStream`, so that what the server did to the connection,
//! and when, is what is asserted.

use std::time::{Duration, Instant};

use mpns_harness::FakeMpns;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

/// Sends one request and reads one answer that has a `content-length`.
async fn exchange(stream: &mut TcpStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
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
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an answer within 10 s")
}

fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

async fn tight() -> FakeMpns {
    FakeMpns::builder()
        .header_timeout(Duration::from_secs(1))
        .start()
        .await
}

/// Ten connections that send one header line every 300 ms are closed once the 1 s header
/// deadline passes; so is one that sends nothing at all.
#[tokio::test]
async fn slow_heads_and_silent_connections_are_closed_at_the_header_timeout() {
    let fake = tight().await;
    let addr = fake.addr();
    let mut tasks = Vec::new();
    for i in 0..10 {
        tasks.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let started = Instant::now();
            if i > 0 {
                let line = format!("GET /_fake/channels HTTP/1.1\r\nHost: {addr}\r\n");
                stream.write_all(line.as_bytes()).await.unwrap();
            }
            let mut buf = [0u8; 256];
            for n in 0.. {
                tokio::select! {
                    _ = stream.read(&mut buf) => return started.elapsed(),
                    _ = tokio::time::sleep(Duration::from_millis(300)) => {
                        assert!(started.elapsed() < Duration::from_secs(6), "connection {i} held for 6 s");
                        if i > 0 && stream.write_all(format!("X-Slow-{n}: 1\r\n").as_bytes()).await.is_err() {
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
    println!("fake MPNS: slow and silent connections closed after {closed:?} (header timeout 1 s)");
    for c in closed {
        assert!(c >= Duration::from_millis(900), "{c:?}");
        assert!(c < Duration::from_secs(3), "{c:?}");
    }
}

/// A keep-alive connection idle after its answer is closed after the 1 s header timeout.
#[tokio::test]
async fn an_idle_keep_alive_connection_to_the_fake_is_closed() {
    let fake = tight().await;
    let addr = fake.addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let answer = exchange(
        &mut stream,
        &format!("GET /_fake/channels HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    )
    .await;
    assert_eq!(status_of(&answer), 200, "{answer}");
    let (rest, closed) = read_to_end(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(rest, "");
    let closed = closed.expect("closed within 5 s");
    println!("fake MPNS: idle keep-alive connection closed after {closed:?}");
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
    assert!(closed < Duration::from_secs(3), "{closed:?}");
}

/// With a cap of 3, a fourth connection is closed as soon as it is accepted.
#[tokio::test]
async fn connections_over_the_fakes_cap_are_closed_at_once() {
    let fake = FakeMpns::builder().max_connections(3).start().await;
    let addr = fake.addr();
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let answer = exchange(
            &mut stream,
            &format!("GET /_fake/channels HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
        )
        .await;
        assert_eq!(status_of(&answer), 200, "{answer}");
        held.push(stream);
    }
    let mut fourth = TcpStream::connect(addr).await.unwrap();
    let _ = fourth
        .write_all(format!("GET /_fake/channels HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await;
    let (answer, closed) = read_to_end(&mut fourth, Duration::from_secs(5)).await;
    assert_eq!(answer, "");
    let closed = closed.expect("closed");
    println!("fake MPNS: connection over the cap of 3 closed after {closed:?}");
    assert!(closed < Duration::from_secs(1), "{closed:?}");
}

/// Control calls that change state: a `text/plain` JSON body is 415, a body-less POST without
/// `X-Requested-With` is 403 (a page of another site could send it), an array where an object
/// is expected is 400 (as the control API's OpenAPI document says); JSON, or the header, is
/// served.
#[tokio::test]
async fn control_calls_a_cross_site_page_could_make_are_refused() {
    let fake = FakeMpns::start().await;
    let addr = fake.addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let post = |path: &str, headers: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let fault = r#"{"action":"status_503","count":2}"#;
    let answer = exchange(
        &mut stream,
        &post("/_fake/faults", "Content-Type: text/plain\r\n", fault),
    )
    .await;
    assert_eq!(status_of(&answer), 403, "{answer}");
    let answer = exchange(
        &mut stream,
        &post(
            "/_fake/faults",
            "Content-Type: text/plain\r\nX-Requested-With: test\r\n",
            fault,
        ),
    )
    .await;
    assert_eq!(status_of(&answer), 415, "{answer}");
    assert!(answer.contains("application/json"), "{answer}");
    assert!(fake.faults().is_empty());
    for path in ["/_fake/reset", "/_fake/channels"] {
        let answer = exchange(&mut stream, &post(path, "", "")).await;
        assert_eq!(status_of(&answer), 403, "{path}: {answer}");
    }
    assert!(fake.channels().is_empty());
    let answer = exchange(
        &mut stream,
        &post(
            "/_fake/faults",
            "Content-Type: application/json\r\n",
            r#"["status_503",2]"#,
        ),
    )
    .await;
    assert_eq!(status_of(&answer), 400, "{answer}");
    assert!(answer.contains("expected a JSON object"), "{answer}");
    let answer = exchange(
        &mut stream,
        &post("/_fake/faults", "Content-Type: application/json\r\n", fault),
    )
    .await;
    assert_eq!(status_of(&answer), 201, "{answer}");
    let answer = exchange(
        &mut stream,
        &post("/_fake/channels", "X-Requested-With: curl\r\n", ""),
    )
    .await;
    assert_eq!(status_of(&answer), 201, "{answer}");
    assert_eq!(fake.channels().len(), 1);
}

/// A head that declares 100 MB is answered from the head, with and without `Expect:
/// 100-continue` and never with `100 Continue` first: `413` on a control route, and on a
/// channel URI the `400` MPNS answers to a payload over its limit (docs/mpns-protocol.md).
#[tokio::test]
async fn an_oversized_content_length_is_refused_by_the_fake_from_the_head() {
    let fake = FakeMpns::start().await;
    let addr = fake.addr();
    let channel = fake.create_channel(Default::default()).unwrap();
    let channel_path = channel.uri.trim_start_matches(fake.uri()).to_owned();
    for (path, status) in [("/_fake/faults", 413), (&*channel_path, 400)] {
        for expect in ["", "Expect: 100-continue\r\n"] {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(
                    format!(
                        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-NotificationClass: 2\r\nX-WindowsPhone-Target: toast\r\nContent-Length: 100000000\r\n{expect}\r\n"
                    )
                    .as_bytes(),
                )
                .await
                .unwrap();
            let (answer, closed) = read_to_end(&mut stream, Duration::from_secs(3)).await;
            println!(
                "fake MPNS {path} with Content-Length 100 MB {expect:?}: {:?} ({} bytes), closed after {closed:?}",
                answer.lines().next(),
                answer.len()
            );
            assert!(!answer.contains("100 Continue"), "{answer}");
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status} ")),
                "{path} {expect:?}: {answer}"
            );
            assert!(closed.is_some(), "the connection stays open after refusing");
        }
    }
}

/// Issue 14, finding 8 for the library: a request whose body never finishes holds
/// `FakeMpns::shutdown` only until the drain deadline.
#[tokio::test]
async fn a_half_sent_request_holds_shutdown_only_until_the_drain_deadline() {
    let fake = FakeMpns::builder()
        .drain_deadline(Duration::from_secs(1))
        .start()
        .await;
    let addr = fake.addr();
    let channel = fake.create_channel(Default::default()).unwrap();
    let path = channel.uri.trim_start_matches(fake.uri()).to_owned();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The head and 10 of 100 promised bytes: the handler waits for the rest.
    stream
        .write_all(
            format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml\r\nX-NotificationClass: 2\r\nX-WindowsPhone-Target: toast\r\nContent-Length: 100\r\n\r\n<wp:Notif"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    // The request is being served once the fake has its head (its record comes later).
    let mut probe = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(200), stream.peek(&mut probe)).await;
    assert!(early.is_err(), "the fake answered a half-sent body");
    let t0 = Instant::now();
    crate::support::wait::within("shutdown to return", fake.shutdown()).await;
    let took = t0.elapsed();
    println!("fake MPNS shutdown with a half-sent request: {took:?}");
    assert!(
        took >= Duration::from_millis(900),
        "{took:?}: it did not wait for the request at all"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
}
