//! Hostile clients against the fake WNS's listener.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;
use crate::support::wait::within;

/// Reads until the server closes the connection; what it sent.
async fn until_closed(sock: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let _ = within(
        "the fake WNS to close the connection",
        sock.read_to_end(&mut got),
    )
    .await;
    got
}

#[tokio::test]
async fn a_slow_head_and_an_idle_connection_are_closed_at_the_header_timeout() {
    let fake = FakeWns::builder()
        .header_timeout(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let mut slow = TcpStream::connect(fake.addr()).await.unwrap();
    let t0 = Instant::now();
    slow.write_all(b"POST /?token=x HTTP/1.1\r\nHost: a\r\n")
        .await
        .unwrap();
    let got = until_closed(&mut slow).await;
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    assert!(
        got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    let mut idle = TcpStream::connect(fake.addr()).await.unwrap();
    let t0 = Instant::now();
    until_closed(&mut idle).await;
    assert!(t0.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    let fake = FakeWns::builder().max_connections(2).start().await.unwrap();
    let _a = TcpStream::connect(fake.addr()).await.unwrap();
    let _b = TcpStream::connect(fake.addr()).await.unwrap();
    let mut third = TcpStream::connect(fake.addr()).await.unwrap();
    let t0 = Instant::now();
    let got = until_closed(&mut third).await;
    assert!(got.is_empty());
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn reset_without_a_custom_header_is_refused() {
    let s = setup().await;
    let url = format!("{}/_fake/reset", s.fake.url());
    assert_eq!(client().post(&url).send().await.unwrap().status(), 403);
    assert!(s.fake.channel(s.channel.id).is_some(), "nothing was reset");
    let ok = client()
        .post(&url)
        .header("X-Requested-With", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    assert!(s.fake.channel(s.channel.id).is_none());
}
