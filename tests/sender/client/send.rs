//! The client over real HTTP on 127.0.0.1: headers on the wire, message ids, timeouts, broken
//! connections, connection reuse, bulk fan-out and a proxy.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use mpns::{
    Action, ChannelUri, Client, DeviceConnectionStatus, NotificationClass, Raw, Toast,
    TransportErrorKind, WireRequest,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::within;

fn received(request: &Request) -> ResponseTemplate {
    let mut answer = ResponseTemplate::new(200)
        .insert_header("X-NotificationStatus", "Received")
        .insert_header("X-DeviceConnectionStatus", "Connected")
        .insert_header("X-SubscriptionStatus", "Active");
    if let Some(id) = request.headers.get("x-messageid") {
        answer = answer.insert_header("X-MessageID", id.clone());
    }
    answer
}

async fn mpns_mock() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(received)
        .mount(&server)
        .await;
    server
}

fn channel(base: &str, token: &str) -> ChannelUri {
    format!("{base}/throttledthirdparty/01.00/{token}")
        .parse()
        .unwrap()
}

fn toast() -> Toast {
    Toast::new()
        .text1("Game Update")
        .text2("Game has been released")
}

#[tokio::test]
async fn request_headers_on_the_wire_are_exactly_those_of_the_wire_request() {
    let server = mpns_mock().await;
    let id = Uuid::parse_str("5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11").unwrap();
    let message = toast()
        .class(NotificationClass::Within450s)
        .message_id(id)
        .build()
        .unwrap();
    let ch = channel(&server.uri(), "AAF");
    let outcome = Client::new().send(&ch, &message).await.unwrap();
    assert_eq!(outcome.action(), Action::Delivered);

    let expected = WireRequest::notification(&ch, &message, id);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method.as_str(), "POST");
    // wiremock rebuilds the URL from its own address, so compare the path and the Host header.
    assert_eq!(sent.url.path(), expected.path_and_query());
    assert_eq!(sent.headers["host"].to_str().unwrap(), expected.host());
    assert_eq!(sent.body, expected.body.to_vec());
    for (name, value) in &expected.headers {
        let got: Vec<_> = sent.headers.get_all(*name).iter().collect();
        assert_eq!(got.len(), 1, "{name} is sent once");
        assert_eq!(got[0].to_str().unwrap(), value, "{name}");
    }
    let names: BTreeSet<String> = sent.headers.keys().map(|k| k.to_string()).collect();
    let mut allowed: BTreeSet<String> = expected
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    // What the HTTP stack itself adds; nothing else.
    allowed.extend(["host", "content-length"].map(String::from));
    assert_eq!(names, allowed);
    assert_eq!(
        sent.headers["content-length"].to_str().unwrap(),
        expected.body.len().to_string()
    );
}

#[tokio::test]
async fn raw_notifications_go_without_a_target_header() {
    let server = mpns_mock().await;
    let message = Raw::new(b"Update Info".to_vec()).build().unwrap();
    Client::new()
        .send(&channel(&server.uri(), "AAF"), &message)
        .await
        .unwrap();
    let sent = &server.received_requests().await.unwrap()[0];
    assert!(sent.headers.get("x-windowsphone-target").is_none());
    assert_eq!(sent.headers["x-notificationclass"], "3");
    assert_eq!(sent.body, b"Update Info");
}

#[tokio::test]
async fn each_send_without_a_fixed_id_carries_a_fresh_v4_message_id_that_is_echoed() {
    let server = mpns_mock().await;
    let client = Client::new();
    let message = toast().build().unwrap();
    let ch = channel(&server.uri(), "AAF");
    let first = client.send(&ch, &message).await.unwrap();
    let second = client.send(&ch, &message).await.unwrap();
    let ids: Vec<Uuid> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| Uuid::parse_str(r.headers["x-messageid"].to_str().unwrap()).unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(ids.iter().all(|id| id.get_version_num() == 4));
    assert_eq!(first.message_id, Some(ids[0].to_string()));
    assert_eq!(second.message_id, Some(ids[1].to_string()));
}

#[tokio::test]
async fn a_fixed_message_id_is_sent_on_every_send() {
    let server = mpns_mock().await;
    let id = Uuid::new_v4();
    let message = toast().message_id(id).build().unwrap();
    let client = Client::new();
    let ch = channel(&server.uri(), "AAF");
    for _ in 0..3 {
        let outcome = client.send(&ch, &message).await.unwrap();
        assert_eq!(outcome.message_id, Some(id.to_string()));
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_request_timeout_is_a_timeout_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client
        .send(&channel(&server.uri(), "AAF"), &toast().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("200ms request timeout"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_timeout_too_long_for_the_clock_sends_instead_of_panicking() {
    let server = mpns_mock().await;
    for timeout in [Duration::MAX, Duration::from_secs(u64::MAX)] {
        let client = Client::builder().timeout(timeout).build().unwrap();
        let outcome = client
            .send(&channel(&server.uri(), "AAF"), &toast().build().unwrap())
            .await
            .unwrap();
        assert_eq!(outcome.status, 200, "{timeout:?}");
    }
}

#[tokio::test]
async fn nothing_listening_is_connection_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = Client::new()
        .send(
            &channel(&format!("http://{addr}"), "AAF"),
            &toast().build().unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::ConnectionRefused, "{err}");
    assert!(
        !err.to_string().contains("AAF"),
        "the channel token stays out of the message: {err}"
    );
}

// ---- a raw HTTP/1.1 server, for what wiremock cannot do --------------------------------------

/// Every request received: head text and body.
type Log = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// Answer 200 Received to every request, keeping the connection open.
    KeepAlive,
    /// Read the request, then close without a byte.
    CloseAfterRequest,
    /// Read the request, then reset the connection (RST).
    ResetAfterRequest,
    /// Read the request, then answer with bytes that are not HTTP.
    Garbage,
    /// Close as soon as the connection is accepted.
    CloseAtOnce,
    /// Like KeepAlive, but each answer waits for a permit from the gate.
    Gated,
}

struct RawServer {
    base: String,
    accepted: Arc<AtomicUsize>,
    requests: Log,
    arrived: Arc<Notify>,
    gate: Arc<Semaphore>,
}

impl RawServer {
    async fn start(behaviour: Behaviour) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = RawServer {
            base,
            accepted: Arc::default(),
            requests: Arc::default(),
            arrived: Arc::default(),
            gate: Arc::new(Semaphore::new(0)),
        };
        let (accepted, requests, arrived, gate) = (
            server.accepted.clone(),
            server.requests.clone(),
            server.arrived.clone(),
            server.gate.clone(),
        );
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let (requests, arrived, gate) = (requests.clone(), arrived.clone(), gate.clone());
                tokio::spawn(serve(stream, behaviour, requests, arrived, gate));
            }
        });
        server
    }

    fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    async fn wait_for_requests(&self, n: usize) {
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if self.request_count() >= n {
                return;
            }
            arrived.await;
        }
    }
}

async fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    requests: Log,
    arrived: Arc<Notify>,
    gate: Arc<Semaphore>,
) {
    if behaviour == Behaviour::CloseAtOnce {
        return;
    }
    let mut buffer = Vec::new();
    while let Some((head, body)) = read_request(&mut stream, &mut buffer).await {
        let id = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("x-messageid")
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default();
        requests.lock().unwrap().push((head, body));
        arrived.notify_waiters();
        match behaviour {
            Behaviour::CloseAfterRequest | Behaviour::CloseAtOnce => return,
            Behaviour::ResetAfterRequest => {
                stream.set_zero_linger().unwrap();
                return;
            }
            Behaviour::Garbage => {
                let _ = stream.write_all(b"HELLO THERE\r\n\r\n").await;
                return;
            }
            Behaviour::Gated => gate.acquire().await.unwrap().forget(),
            Behaviour::KeepAlive => {}
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\nX-NotificationStatus: Received\r\nX-DeviceConnectionStatus: Connected\r\nX-SubscriptionStatus: Active\r\nX-MessageID: {id}\r\nContent-Length: 0\r\n\r\n"
        );
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// One request (head text, body) from the connection, or `None` at end of stream.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buffer.len() < head_end + len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[head_end..head_end + len].to_vec();
    buffer.drain(..head_end + len);
    Some((head, body))
}

// ---- broken connections ----------------------------------------------------------------------

async fn failure_from(behaviour: Behaviour) -> mpns::TransportError {
    let server = RawServer::start(behaviour).await;
    Client::new()
        .send(&channel(&server.base, "AAF"), &toast().build().unwrap())
        .await
        .expect_err("a broken connection is not an answer")
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_an_incomplete_response() {
    let err = failure_from(Behaviour::CloseAfterRequest).await;
    assert_eq!(err.kind(), TransportErrorKind::IncompleteResponse, "{err}");
}

#[tokio::test]
async fn a_reset_connection_is_a_connection_reset() {
    let err = failure_from(Behaviour::ResetAfterRequest).await;
    assert_eq!(err.kind(), TransportErrorKind::ConnectionReset, "{err}");
}

#[tokio::test]
async fn an_answer_that_is_not_http_is_an_invalid_response() {
    let err = failure_from(Behaviour::Garbage).await;
    assert_eq!(err.kind(), TransportErrorKind::InvalidResponse, "{err}");
}

#[tokio::test]
async fn a_connection_closed_before_the_request_is_read_is_an_error_not_a_panic() {
    let err = failure_from(Behaviour::CloseAtOnce).await;
    assert!(
        matches!(
            err.kind(),
            TransportErrorKind::IncompleteResponse | TransportErrorKind::ConnectionReset
        ),
        "{err}"
    );
}

// ---- connection reuse and bulk ---------------------------------------------------------------

#[tokio::test]
async fn sequential_sends_reuse_one_connection() {
    let server = RawServer::start(Behaviour::KeepAlive).await;
    let client = Client::new();
    let message = toast().build().unwrap();
    for i in 0..20 {
        let outcome = client
            .send(&channel(&server.base, &format!("T{i}")), &message)
            .await
            .unwrap();
        assert_eq!(outcome.action(), Action::Delivered);
    }
    assert_eq!(server.request_count(), 20);
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn clones_of_a_client_share_its_connection_pool() {
    let server = RawServer::start(Behaviour::KeepAlive).await;
    let client = Client::new();
    let message = toast().build().unwrap();
    for i in 0..5 {
        let clone = client.clone();
        clone
            .send(&channel(&server.base, &format!("T{i}")), &message)
            .await
            .unwrap();
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bulk_to_2000_channels_yields_every_channel_exactly_once_with_the_right_request() {
    let server = mpns_mock().await;
    let client = Client::builder().concurrency(16).build().unwrap();
    let message = toast().build().unwrap();
    let channels: Vec<ChannelUri> = (0..2000)
        .map(|i| channel(&server.uri(), &format!("C{i:04}")))
        .collect();
    let results: Vec<_> = client.send_bulk(&message, channels.clone()).collect().await;
    assert_eq!(results.len(), 2000);
    let seen: HashSet<&ChannelUri> = results.iter().map(|(c, _)| c).collect();
    assert_eq!(seen, channels.iter().collect());
    for (ch, result) in &results {
        let outcome = result.as_ref().unwrap_or_else(|e| panic!("{ch}: {e}"));
        assert_eq!(outcome.action(), Action::Delivered);
        assert_eq!(outcome.device, Some(DeviceConnectionStatus::Connected));
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2000);
    let paths: HashSet<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths.len(), 2000, "each channel got exactly one request");
    let ids: HashSet<&str> = requests
        .iter()
        .map(|r| r.headers["x-messageid"].to_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2000, "each request has its own message id");
    for r in &requests {
        assert_eq!(r.body, message.body());
        assert_eq!(r.headers["x-windowsphone-target"], "toast");
        assert_eq!(r.headers["x-notificationclass"], "2");
        assert_eq!(r.headers["content-type"], "text/xml; charset=utf-8");
    }
}

#[tokio::test]
async fn bulk_pulls_channels_lazily_and_keeps_at_most_concurrency_requests_in_flight() {
    let server = RawServer::start(Behaviour::Gated).await;
    let client = Client::builder().concurrency(16).build().unwrap();
    let message = Raw::new(b"Update Info".to_vec()).build().unwrap();
    let pulled = Arc::new(AtomicUsize::new(0));
    let base = server.base.clone();
    let counter = pulled.clone();
    // A lazy source of 100_000 channels: only what is pulled ever exists.
    let channels = (0..100_000).map(move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        channel(&base, &format!("L{i}"))
    });
    let mut stream = client.send_bulk(&message, channels);
    let consumer = tokio::spawn(async move {
        let mut done = 0usize;
        while let Some((_, result)) = stream.next().await {
            result.unwrap();
            done += 1;
            if done == 40 {
                break;
            }
        }
        done
    });

    within(
        "16 requests in flight at the server",
        server.wait_for_requests(16),
    )
    .await;
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        16,
        "no channel beyond the 16 in flight"
    );
    assert_eq!(server.request_count(), 16);

    server.gate.add_permits(1_000);
    let consumed = within("the consumer to take 40 answers", consumer).await;
    assert_eq!(consumed.unwrap(), 40);
    let pulled = pulled.load(Ordering::SeqCst);
    assert!(
        (40..=56).contains(&pulled),
        "pulled {pulled}: at most 16 beyond what was consumed"
    );
    assert!(server.accepted.load(Ordering::SeqCst) <= 32);
}

// ---- proxy -----------------------------------------------------------------------------------

#[tokio::test]
async fn an_http_channel_goes_through_the_proxy_in_absolute_form() {
    let proxy = RawServer::start(Behaviour::KeepAlive).await;
    let client = Client::builder().proxy(&proxy.base).build().unwrap();
    // `.invalid` never resolves: the request can only succeed through the proxy.
    let ch: ChannelUri = "http://mpns.invalid/throttledthirdparty/01.00/AAF"
        .parse()
        .unwrap();
    let outcome = client.send(&ch, &toast().build().unwrap()).await.unwrap();
    assert_eq!(outcome.action(), Action::Delivered);
    let requests = proxy.requests.lock().unwrap();
    let first_line = requests[0].0.lines().next().unwrap().to_owned();
    assert_eq!(
        first_line,
        "POST http://mpns.invalid/throttledthirdparty/01.00/AAF HTTP/1.1"
    );
}

#[tokio::test]
async fn an_https_channel_is_tunnelled_through_the_proxy_with_connect() {
    let proxy = RawServer::start(Behaviour::CloseAfterRequest).await;
    let client = Client::builder().proxy(&proxy.base).build().unwrap();
    let ch: ChannelUri = "https://mpns.invalid/unthrottledthirdparty/01.00/AAE"
        .parse()
        .unwrap();
    let err = client
        .send(&ch, &toast().build().unwrap())
        .await
        .expect_err("the proxy closes the tunnel");
    assert!(
        matches!(
            err.kind(),
            TransportErrorKind::Connect
                | TransportErrorKind::IncompleteResponse
                | TransportErrorKind::ConnectionReset
        ),
        "{err}"
    );
    let requests = proxy.requests.lock().unwrap();
    assert!(
        requests[0]
            .0
            .starts_with("CONNECT mpns.invalid:443 HTTP/1.1\r\n"),
        "{}",
        requests[0].0
    );
}

#[tokio::test]
async fn proxy_credentials_in_the_url_are_sent_as_basic_proxy_authorization() {
    let proxy = RawServer::start(Behaviour::KeepAlive).await;
    let with_credentials = proxy.base.replacen("http://", "http://push:s3cret@", 1);
    let client = Client::builder().proxy(&with_credentials).build().unwrap();
    let ch: ChannelUri = "http://mpns.invalid/throttledthirdparty/01.00/AAF"
        .parse()
        .unwrap();
    client.send(&ch, &toast().build().unwrap()).await.unwrap();
    let requests = proxy.requests.lock().unwrap();
    let head = requests[0].0.to_ascii_lowercase();
    // base64("push:s3cret")
    assert!(
        head.contains("\r\nproxy-authorization: basic chvzadpzm2nyzxq=\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn an_https_tunnel_carries_the_proxy_credentials_in_its_connect() {
    let proxy = RawServer::start(Behaviour::CloseAfterRequest).await;
    let with_credentials = proxy.base.replacen("http://", "http://push:s3cret@", 1);
    let client = Client::builder().proxy(&with_credentials).build().unwrap();
    let ch: ChannelUri = "https://mpns.invalid/unthrottledthirdparty/01.00/AAE"
        .parse()
        .unwrap();
    client
        .send(&ch, &toast().build().unwrap())
        .await
        .expect_err("the proxy closes the tunnel");
    let requests = proxy.requests.lock().unwrap();
    let head = requests[0].0.to_ascii_lowercase();
    assert!(head.starts_with("connect mpns.invalid:443 "), "{head}");
    assert!(
        head.contains("\r\nproxy-authorization: basic chvzadpzm2nyzxq=\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn a_tls_handshake_that_never_completes_is_a_connect_timeout() {
    // Accepts connections and holds them without a byte: the TCP connect succeeds, the TLS
    // handshake never ends, and only the connect timeout (handshake included) can stop it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    let hold = held.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            hold.lock().unwrap().push(stream);
        }
    });
    let client = Client::builder()
        .connect_timeout(Duration::from_millis(200))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let ch: ChannelUri = format!("https://{addr}/unthrottledthirdparty/01.00/AAE")
        .parse()
        .unwrap();
    let err = client
        .send(&ch, &toast().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("200ms connect timeout"), "{err}");
}

// ---- callback --------------------------------------------------------------------------------

#[tokio::test]
async fn register_callback_posts_the_blob_and_callback_uri_to_the_callback_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-SubscriptionStatus", "Active")
                .insert_header("X-DeviceConnectionStatus", "Connected"),
        )
        .mount(&server)
        .await;
    let ch = channel(&server.uri(), "AAE");
    let outcome = Client::new()
        .register_callback(
            &ch,
            "https://push.example.com/inactive?u=42",
            b"user 42".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.device, Some(DeviceConnectionStatus::Connected));
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(sent.url.path(), "/throttledthirdparty/01.00/AAE/callback");
    assert_eq!(
        sent.headers["x-callbackuri"],
        "https://push.example.com/inactive?u=42"
    );
    assert_eq!(sent.body, b"user 42");
}

#[tokio::test]
async fn a_callback_blob_over_1_kb_is_refused_before_anything_is_sent() {
    let server = mpns_mock().await;
    let err = Client::new()
        .register_callback(
            &channel(&server.uri(), "AAE"),
            "https://push.example.com/cb",
            vec![b'x'; 1025],
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::InvalidRequest);
    assert!(err.to_string().contains("1025 bytes"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---- builder errors --------------------------------------------------------------------------

#[test]
fn builder_errors_name_the_setting() {
    let zero = Client::builder()
        .timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(zero.to_string(), "timeout 0ns is out of range above 0s");
    let bad_proxy = Client::builder().proxy("not a url").build().unwrap_err();
    assert!(
        bad_proxy.to_string().starts_with("proxy \"not a url\""),
        "{bad_proxy}"
    );
    let socks = Client::builder()
        .proxy("socks5://127.0.0.1:1080")
        .build()
        .unwrap_err();
    assert!(
        socks
            .to_string()
            .starts_with("proxy \"socks5://127.0.0.1:1080\" cannot be used: the scheme socks5://"),
        "{socks}"
    );
    let bad_pem = Client::builder()
        .client_certificate_pem(b"nope", b"nope")
        .build()
        .unwrap_err();
    assert!(
        bad_pem.to_string().starts_with("client certificate (PEM)"),
        "{bad_pem}"
    );
    let bad_p12 = Client::builder()
        .client_certificate_pkcs12(b"nope", "pw")
        .build()
        .unwrap_err();
    assert!(
        bad_p12
            .to_string()
            .starts_with("client certificate (PKCS#12)"),
        "{bad_p12}"
    );
    let bad_root = Client::builder()
        .add_root_certificate_pem(b"nope")
        .build()
        .unwrap_err();
    assert!(
        bad_root.to_string().starts_with("root certificate #0"),
        "{bad_root}"
    );
}
