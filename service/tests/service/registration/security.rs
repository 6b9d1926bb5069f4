//! Untrusted input: channel URIs the service would send requests to, and image parameters that
//! must never reach outside the image set.

use crate::support::service as service_support;

use axum::http::StatusCode;
use mpns_service::registration::AllowedHosts;
use service_support::{App, FAKE_HOST, LIVE_CHANNEL};

fn snapshot(name: &str, text: String) {
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!(name, text);
    });
}

/// Every refused channel URI with the status and message the service answered.
#[tokio::test]
async fn channel_uris_off_the_allowed_hosts_are_refused_with_the_reason() {
    let app = App::new();
    let refused = [
        // other hosts and lookalikes
        "http://evil.example/channel",
        "http://notify.live.net/channel",
        "http://db3.notify.live.net.evil.com/channel",
        "http://db3notify.live.net/channel",
        "http://db3.notify.live.net./channel",
        "http://db3.notify-live.net/channel",
        // userinfo tricks
        "http://db3.notify.live.net@evil.example/channel",
        "http://user:pass@db3.notify.live.net/channel",
        "http://evil.example\\@db3.notify.live.net/channel",
        // other schemes
        "ftp://db3.notify.live.net/channel",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://db3.notify.live.net:70/_",
        "//db3.notify.live.net/channel",
        // IP literals and private addresses
        "http://127.0.0.1/channel",
        "http://10.0.0.5/channel",
        "http://192.168.1.1:8080/channel",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/channel",
        "http://[fd00::1]/channel",
        "http://[::ffff:10.0.0.1]/channel",
        "http://2130706433/channel",
        "http://0x7f.1/channel",
        "http://127.1/channel",
        "http://8.8.8.8/channel",
        // the configured fake MPNS, but on another port or with percent tricks
        "http://127.0.0.1:4041/channel",
        "http://127.0.0.1/channel",
        "http://127.0.0.1%3a4040/channel",
        // ports on live hosts, broken ports
        "http://db3.notify.live.net:8080/channel",
        "http://db3.notify.live.net:/channel",
        "http://db3.notify.live.net:99999/channel",
        // characters that cannot be sent
        "http://db3.notify.live.net/chan nel",
        "http://db3.notify.live.net/chan\r\nX-Injected: 1",
        "",
    ];
    let mut report = String::new();
    for uri in refused {
        let reply = app.register("ann", uri, "7.1").await;
        assert!(
            reply.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{uri:?} was answered {}",
            reply.status
        );
        let body = reply.json();
        assert_eq!(body["error"]["field"], "channel_uri", "{uri:?}");
        report.push_str(&format!(
            "{uri:?}\n  {} {}: {}\n",
            reply.status.as_u16(),
            body["error"]["code"].as_str().unwrap(),
            body["error"]["message"].as_str().unwrap()
        ));
    }
    snapshot("service_refused_channel_uris", report);
    assert_eq!(app.get("/api/subscribers").await.json()["count"], 0);
}

#[tokio::test]
async fn live_hosts_and_the_configured_host_are_accepted() {
    let app = App::new();
    let accepted = [
        LIVE_CHANNEL,
        "https://db3.notify.live.net/unthrottledthirdparty/01.00/AAF",
        "HTTP://DB3.Notify.Live.Net/throttledthirdparty/01.00/AAF",
        "http://db3.notify.live.net:80/throttledthirdparty/01.00/AAF",
        "https://sn1.notify.live.net:443/unthrottledthirdparty/01.00/AAE",
        "HTTPS://sn1.notify.live.net/throttledthirdparty/01.00/AAF",
        "http://a-b.c.notify.live.net/throttledthirdparty/01.00/AAF_x-1=.~",
        "http://s.notify.live.net/u/1/sin/HmQAAAD1XJMX/d2luZG93c3Bob25lZGVmYXVsdA/EKTs2gmt/WuhpYBv0",
        "http://s.notify.live.net/u/1/db3/HmQAAAD1XJMX",
        "http://127.0.0.1:4040/throttledthirdparty/01.00/AAF",
        "http://127.0.0.1:4040/unthrottledthirdparty/01.00/AAE",
    ];
    for (i, uri) in accepted.iter().enumerate() {
        let reply = app.register(&format!("user{i}"), uri, "7.1").await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{uri}: {:?}",
            reply.json()
        );
        assert_eq!(reply.json()["registration"]["channel_uri"], *uri);
    }
}

/// Issue 14, findings 4 and 11: an allowed host does not open all its paths, and a live host
/// is a DNS name (at most 253 characters, labels at most 63).
#[test]
fn channel_uris_need_a_channel_path_and_a_live_host_of_dns_length() {
    let hosts = AllowedHosts::default().with_host(FAKE_HOST).unwrap();
    let mut report = String::new();
    let long_label = format!(
        "http://{}.notify.live.net/throttledthirdparty/01.00/AAF",
        "a".repeat(64)
    );
    let long_name = format!(
        "http://{}.notify.live.net/throttledthirdparty/01.00/AAF",
        vec!["a".repeat(59); 4].join(".")
    );
    assert_eq!(
        long_name.len() - "http:///throttledthirdparty/01.00/AAF".len(),
        255
    );
    let longest = format!(
        "http://{}.{}.notify.live.net/throttledthirdparty/01.00/AAF",
        vec!["a".repeat(59); 3].join("."),
        "a".repeat(56)
    );
    assert!(
        hosts.check(&longest).is_ok(),
        "a 253-character live host is fine"
    );
    for uri in [
        "http://127.0.0.1:4040/_fake/reset",
        "http://127.0.0.1:4040/_fake/channels",
        "http://127.0.0.1:4040/",
        "http://127.0.0.1:4040",
        "http://127.0.0.1:4040/throttledthirdparty/01.00/",
        "http://127.0.0.1:4040/throttledthirdparty/02.00/AAF",
        "http://127.0.0.1:4040/throttledthirdparty/01.00/AAF/callback",
        "http://127.0.0.1:4040/throttledthirdparty/01.00/..",
        "http://127.0.0.1:4040/throttledthirdparty/01.00/a%2fb",
        "http://127.0.0.1:4040/throttledthirdparty/01.00/AAF?x=1",
        "http://127.0.0.1:4040/throttledthirdparty/01.00/AAF#x",
        "http://127.0.0.1:4040/u/1/db3/AAF",
        "http://db3.notify.live.net/x",
        "http://db3.notify.live.net/u/1/db3",
        "http://db3.notify.live.net/u/1/a/b/c/d/e/f/g/h/i",
        "http://db3.notify.live.net/u/2/db3/AAF",
        "http://db3.notify.live.net/throttledthirdparty/01.00/AAF?y=1",
        long_label.as_str(),
        long_name.as_str(),
    ] {
        let e = hosts.check(uri).unwrap_err();
        report.push_str(&format!("{uri:?}\n  {}: {}\n", e.code, e));
    }
    snapshot("service_refused_channel_paths", report);
}

#[test]
fn private_addresses_are_refused_unless_configured_exactly() {
    let default = AllowedHosts::default();
    assert!(default
        .check("http://127.0.0.1:4040/throttledthirdparty/01.00/c")
        .is_err());
    let message = default.check("http://10.1.2.3/c").unwrap_err().to_string();
    assert_eq!(
        message,
        "channel URI host 10.1.2.3 is a private, loopback or link-local address; only *.notify.live.net and the configured push hosts are allowed"
    );
    let message = default.check("http://8.8.8.8/c").unwrap_err().to_string();
    assert!(message.contains("is an IP address"), "{message}");

    let configured = AllowedHosts::default().with_host(FAKE_HOST).unwrap();
    assert!(configured
        .check("http://127.0.0.1:4040/throttledthirdparty/01.00/c")
        .is_ok());
    assert!(configured
        .check("https://127.0.0.1:4040/unthrottledthirdparty/01.00/c")
        .is_ok());
    assert!(configured
        .check("http://127.0.0.1:4041/throttledthirdparty/01.00/c")
        .is_err());

    let v6 = AllowedHosts::none().with_host("[::1]:9000").unwrap();
    assert!(v6
        .check("http://[::1]:9000/throttledthirdparty/01.00/c")
        .is_ok());
    assert!(
        v6.check(LIVE_CHANNEL).is_err(),
        "none() does not allow the live hosts"
    );
}

#[test]
fn configured_hosts_must_be_host_and_port() {
    for bad in ["", "http://x", "x:0", "x:70000", "a b", "x:", "[::1"] {
        let err = AllowedHosts::default().with_host(bad).unwrap_err();
        assert!(err.starts_with(&format!("allowed host {bad:?}")), "{err}");
    }
}

#[tokio::test]
async fn path_tricks_in_number_images_are_404() {
    let app = App::new();
    let tricks = [
        "/images/numbers/..%2F..%2FCargo.toml",
        "/images/numbers/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/images/numbers/%2e%2e",
        "/images/numbers/..",
        "/images/numbers/%2Fetc%2Fpasswd",
        "/images/numbers//etc/passwd",
        "/images/numbers/C:%5CWindows%5Cwin.ini",
        "/images/numbers/100.png",
        "/images/numbers/-1.png",
        "/images/numbers/+1.png",
        "/images/numbers/07.png",
        "/images/numbers/1.png.exe",
        "/images/numbers/1.PNG",
        "/images/numbers/1",
        "/images/numbers/%31%00.png",
        "/images/numbers/%FF.png",
        "/images/numbers/%C0%AE%C0%AE%2F",
        "/images/numbers/99999999999999999999999999999999.png",
        "/images/numbers/number3.png",
        "/images/../Cargo.toml",
        "/ImageService/GetTileImage",
        "/ImageService/GetTileImage?parameter=",
        "/ImageService/GetTileImage?parameter=..%2F..%2FCargo.toml",
        "/ImageService/GetTileImage?parameter=%2Fetc%2Fpasswd",
        "/ImageService/GetTileImage?uri=number10000.png",
        "/ImageService/GetTileImage?parameter=number3.png%00",
        "/ImageService/GetTileImage?parameter=%FF",
        "/ImageService/GetTileImage?parameter=Numbers/number3.png",
        "/images/custom.png?background=..%2F..%2FCargo.toml",
        "/images/custom.png?background=%2Fetc%2Fpasswd",
        "/images/custom.png?background=tile4",
    ];
    for path in tricks {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.header("content-type"), "application/json", "{path}");
        assert_eq!(reply.json()["error"]["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn the_recipes_image_url_works_with_both_query_keys() {
    let app = App::new();
    let by_parameter = app
        .get("/ImageService/GetTileImage?parameter=number3.png")
        .await;
    let by_uri = app.get("/ImageService/GetTileImage?uri=number3.png").await;
    let direct = app.get("/images/numbers/3.png").await;
    for reply in [&by_parameter, &by_uri, &direct] {
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-type"), "image/png");
    }
    assert_eq!(by_parameter.body, direct.body);
    assert_eq!(by_uri.body, direct.body);
}
