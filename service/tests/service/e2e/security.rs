//! Untrusted input against the service as served on a real socket, next to a fake MPNS whose
//! host:port is the only extra push host: channel URIs aimed at the service itself or at other
//! loopback ports, oversized bodies (with and without a length) on every POST route, malformed
//! bodies on the operator's and the phones' routes, and path tricks sent byte for byte (no
//! client normalising `..` first).

use crate::support::e2e as e2e_support;

use e2e_support::Scene;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const POST_ROUTES: [&str; 4] = [
    "/api/registrations",
    "/api/tile-update",
    "/api/patterns/active",
    "/api/patterns/one-time/send",
];

#[tokio::test]
async fn channel_uris_aimed_at_the_service_itself_or_other_loopback_ports_are_refused() {
    let scene = Scene::start().await;
    let fake = scene.world.fake().uri().to_owned();
    let port: u16 = fake.rsplit(':').next().unwrap().parse().unwrap();
    let service = scene.base_url();
    let refused = [
        format!("{service}/api/patterns/active"),
        format!("{service}/api/registrations"),
        format!("http://127.0.0.1:{}/x", port.wrapping_add(1)),
        format!("http://localhost:{port}/x"),
        format!("http://[::ffff:127.0.0.1]:{port}/x"),
        format!("http://127.0.0.2:{port}/x"),
        format!("http://0.0.0.0:{port}/x"),
        format!("http://user@127.0.0.1:{port}/x"),
        format!("ftp://127.0.0.1:{port}/x"),
        format!("ws://127.0.0.1:{port}/x"),
    ];
    for uri in &refused {
        let (status, body) = scene
            .operator(
                "POST",
                "/api/registrations",
                Some(json!({"user_name": "mallory", "channel_uri": uri, "os_version": "8.0"})),
            )
            .await;
        assert_eq!(status, 422, "{uri}: {body}");
        assert_eq!(body["error"]["field"], "channel_uri", "{uri}");
        assert!(
            !body["error"]["message"].as_str().unwrap().is_empty(),
            "{uri}: the reason is given"
        );
    }
    assert!(scene.subscribers().is_empty());
    // The fake's own host:port is accepted.
    let (status, _) = scene
        .operator(
            "POST",
            "/api/registrations",
            Some(json!({"user_name": "ann", "channel_uri": format!("{fake}/throttledthirdparty/01.00/AAFx"), "os_version": "8.0"})),
        )
        .await;
    assert_eq!(status, 201);
}

/// Issue 14, finding 4: the fake's host:port is allowed, but not all its paths. A registration
/// aimed at its control API (`/_fake/reset`, `/_fake/channels`, ...) was accepted, and the next
/// send reset the fake: every real phone was then pruned as expired.
#[tokio::test]
async fn a_channel_uri_on_the_allowed_fake_host_but_not_on_a_channel_path_is_refused_and_the_fake_is_not_reset(
) {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "8.0", "ann").await;
    let fake = scene.world.fake().uri().to_owned();
    let channels_before = scene.world.fake().channels().len();
    assert!(channels_before >= 1);
    for path in [
        "/_fake/reset",
        "/_fake/channels",
        "/_fake/clock/advance",
        "/throttledthirdparty/01.00/../../_fake/reset",
        "/throttledthirdparty/01.00/..",
        "/throttledthirdparty/01.00/AAF/callback",
        "/throttledthirdparty/01.00/AAF?x=/_fake/reset",
        "/u/1/db3/AAF/x",
        "/",
        "",
    ] {
        let uri = format!("{fake}{path}");
        let (status, body) = scene
            .operator(
                "POST",
                "/api/registrations",
                Some(json!({"user_name": "mallory", "channel_uri": uri, "os_version": "8.0"})),
            )
            .await;
        assert_eq!(status, 422, "{uri}: {body}");
        assert_eq!(body["error"]["code"], "path_not_allowed", "{uri}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("not a channel path")
                && message.contains("/throttledthirdparty/01.00/<token>"),
            "{uri}: {message}"
        );
    }
    assert_eq!(scene.subscribers(), ["ann"]);
    // A send to everyone reaches ann's phone; the fake still knows its channels.
    scene.clear_records();
    scene
        .send(
            "one-time",
            json!({"toast": true, "raw": false, "count": 3, "title": "Hi"}),
        )
        .await;
    scene.quiesce().await;
    let records = scene.records();
    let ann = app.app().channel().expect("ann's app has a channel").id;
    assert!(!records.is_empty(), "the send reached the fake");
    for r in &records {
        assert_eq!(r.channel, Some(ann), "only ann's channel: {:?}", r.uri);
        assert_eq!(r.response.status, 200, "{:?}", r.diagnostics);
    }
    assert_eq!(scene.world.fake().channels().len(), channels_before);
    assert_eq!(scene.subscribers(), ["ann"], "nobody pruned");
}

#[tokio::test]
async fn oversized_bodies_get_413_on_every_post_route_with_or_without_a_length() {
    let scene = Scene::start().await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let big = format!(r#"{{"user_name": "{}"}}"#, "a".repeat(40 * 1024));
    for route in POST_ROUTES {
        let url = format!("{}{route}", scene.base_url());
        let sized = http
            .post(&url)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(sized.status(), 413, "{route} with Content-Length");
        let body: serde_json::Value =
            serde_json::from_slice(&sized.bytes().await.unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "body_too_large", "{route}");

        // Chunked, no length: the limit still holds while reading.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..40).map(|_| Ok(vec![b' '; 1024])).collect();
        let streamed = http
            .post(&url)
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(streamed.status(), 413, "{route} chunked");
    }
    assert!(scene.subscribers().is_empty());
}

#[tokio::test]
async fn malformed_bodies_on_phone_and_operator_routes_get_clear_errors() {
    let scene = Scene::start().await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for route in POST_ROUTES {
        let url = format!("{}{route}", scene.base_url());
        for bad in ["{", "[1,2", "{\"pattern\": }", "\u{0}"] {
            let reply = http
                .post(&url)
                .header("content-type", "application/json")
                .body(bad)
                .send()
                .await
                .unwrap();
            let status = reply.status().as_u16();
            let body: serde_json::Value =
                serde_json::from_slice(&reply.bytes().await.unwrap()).unwrap();
            assert_eq!(status, 400, "{route} {bad:?}: {body}");
            // `[1,2` fails as the wrong shape before its missing end is reached.
            let code = body["error"]["code"].as_str().unwrap();
            assert!(
                code == "malformed_json" || code == "wrong_fields",
                "{route} {bad:?}: {body}"
            );
            assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        }
    }
    // Wrong field types and unknown fields name what is wrong.
    let (status, body) = scene
        .operator(
            "POST",
            "/api/tile-update",
            Some(json!({"user_name": "ann", "number": "three"})),
        )
        .await;
    assert!(status == 400 || status == 422, "{status} {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("number"),
        "{body}"
    );
    let (status, body) = scene
        .operator(
            "POST",
            "/api/patterns/active",
            Some(json!({"pattern": "counter", "also": 1})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("also"),
        "{body}"
    );
}

/// Sends `request_target` byte for byte and returns the status and the body.
async fn raw_get(scene: &Scene, request_target: &str) -> (u16, String) {
    let addr = scene.service.local_addr();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {request_target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn path_tricks_sent_byte_for_byte_never_leave_the_image_set() {
    let scene = Scene::start().await;
    let tricks = [
        "/images/numbers/../../Cargo.toml",
        "/images/numbers/3.png/../../../Cargo.toml",
        "/images/numbers/..%2f..%2fCargo.toml",
        "/images/numbers/%2e%2e/%2e%2e/Cargo.toml",
        "/images/numbers/..\\..\\Cargo.toml",
        "/images/./numbers/../../Cargo.toml",
        "/ImageService/GetTileImage?parameter=../../Cargo.toml",
        "/ImageService/GetTileImage?uri=..%5C..%5CCargo.toml",
        "/ImageService/../Cargo.toml",
        "/images/custom.png/../../Cargo.toml",
    ];
    for path in tricks {
        let (status, text) = raw_get(&scene, path).await;
        assert!(
            status == 404 || status == 400,
            "{path}: answered {status}\n{text}"
        );
        assert!(!text.contains("[package]"), "{path} leaked a file");
        assert!(!text.contains("image/png"), "{path} served an image");
    }
    let (status, text) = raw_get(&scene, "/images/numbers/3.png").await;
    assert_eq!(status, 200, "{text}");
}
