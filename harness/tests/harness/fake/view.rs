//! The fake's web view over HTTP, without a browser: the page and its assets with their
//! Content-Security-Policy, `GET /` leading to it, and the two endpoints the page needs beyond
//! the rest of the control API (a notification's exact bytes, and its drawing as a phone shows
//! it). The page in a real browser is tested in the service's program (`sandbox::fake_ui`).

use mpns_harness::fake::ChannelOptions;
use mpns_harness::FakeMpns;
use serde_json::Value;

use crate::support::client::client;
use crate::support::requests::{notification, raw, send, tile, toast_text};
use crate::support::xml::tile_xml;

#[tokio::test]
async fn the_web_view_is_served_at_fake_ui_and_at_the_root_under_a_policy_that_runs_only_its_own_script(
) {
    let fake = FakeMpns::start().await;
    let c = client();
    let page = c
        .get(format!("{}/_fake/ui", fake.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script src="/_fake/ui/app.js" defer></script>"#));
    assert!(html.contains(r#"href="/_fake/ui/app.css""#));

    for (path, kind, needle) in [
        (
            "/_fake/ui/app.js",
            "text/javascript",
            "new EventSource('/_fake/events')",
        ),
        ("/_fake/ui/app.css", "text/css", "#channels"),
    ] {
        let r = c.get(format!("{}{path}", fake.uri())).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(kind), "{path}: {ct}");
        assert!(r.text().await.unwrap().contains(needle), "{path}");
    }

    // `GET /` leads a person to the page; a sender's POST to `/` is still a malformed channel URI.
    let root = c.get(format!("{}/", fake.uri())).send().await.unwrap();
    assert_eq!(root.url().path(), "/_fake/ui", "followed the redirect");
    assert_eq!(root.status().as_u16(), 200);
    let posted = c
        .post(format!("{}/", fake.uri()))
        .header("X-NotificationClass", "2")
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 400);
}

#[tokio::test]
async fn with_a_control_listener_of_its_own_the_web_view_is_there_and_not_on_the_notification_listener(
) {
    let fake = FakeMpns::builder()
        .control_listen("127.0.0.1:0".parse().unwrap())
        .start()
        .await;
    let c = client();
    let on_control = c
        .get(format!("{}/", fake.control_uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(on_control.url().path(), "/_fake/ui");
    assert_eq!(on_control.status().as_u16(), 200);
    let on_notify = c.get(format!("{}/", fake.uri())).send().await.unwrap();
    assert_eq!(on_notify.url().path(), "/", "no redirect");
    assert_eq!(on_notify.status().as_u16(), 400);
    let posted = c
        .post(format!("{}/", fake.control_uri()))
        .header("X-Requested-With", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 404, "only GET / is the page");
}

/// GET `path` on the fake: status, content type and body bytes.
async fn get(fake: &FakeMpns, path: &str) -> (u16, String, Vec<u8>) {
    let r = client()
        .get(format!("{}{path}", fake.uri()))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

fn error_of(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).expect("a JSON error");
    v["error"].as_str().expect("an error text").to_owned()
}

#[tokio::test]
async fn a_toast_and_a_tile_are_drawn_as_a_phone_shows_them_and_what_a_phone_does_not_show_is_refused_with_the_reason(
) {
    let fake = FakeMpns::start().await;
    let ch = fake
        .create_channel(ChannelOptions {
            app: Some("Weather".into()),
            ..Default::default()
        })
        .unwrap();
    let c = client();
    // 1: a toast whose text would be markup if it were not escaped.
    assert_eq!(
        send(toast_text(&c, &ch.uri, 2, "Storm <b>warning</b>"))
            .await
            .status,
        200
    );
    // 2: a tile with a count, a title and a remote background image.
    let body = tile_xml(
        None,
        None,
        &[
            ("BackgroundImage", Some("http://img.example.com/storm.png")),
            ("Count", Some("7")),
            ("Title", Some("Oslo")),
        ],
    );
    assert_eq!(
        send(notification(&c, &ch.uri, Some("token"), 1, body))
            .await
            .status,
        200
    );
    // 3: raw; 4: a tile whose count a phone refuses; 5: not XML at all.
    assert_eq!(send(raw(&c, &ch.uri, 3, "ping")).await.status, 200);
    let bad_count = tile_xml(None, None, &[("Count", Some("lots"))]);
    send(notification(&c, &ch.uri, Some("token"), 1, bad_count)).await;
    let malformed = send(notification(&c, &ch.uri, Some("toast"), 2, "<oops".into())).await;
    assert_eq!(malformed.status, 400);
    let seqs: Vec<u64> = fake
        .notifications(Some(ch.id))
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs.len(), 5, "{seqs:?}");
    let render = |seq: u64| format!("/_fake/channels/{}/notifications/{seq}/render", ch.id);

    let (status, ct, svg) = get(&fake, &render(seqs[0])).await;
    assert_eq!((status, ct.as_str()), (200, "image/svg+xml"));
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.starts_with("<svg "), "{svg}");
    assert!(
        svg.contains("Storm &lt;b&gt;warning&lt;/b&gt;"),
        "escaped: {svg}"
    );
    assert!(!svg.contains("<b>"), "{svg}");
    assert!(svg.contains("Weather"), "the channel's app: {svg}");

    let (status, _, svg) = get(&fake, &render(seqs[1])).await;
    assert_eq!(status, 200);
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains(">7</text>"), "the badge: {svg}");
    assert!(svg.contains(">Oslo</text>"), "the title: {svg}");
    assert!(svg.contains("http://img.exampl"), "the image's box: {svg}");

    for (seq, why) in [
        (seqs[2], "is raw"),
        (seqs[3], "a phone would not show"),
        (seqs[4], "not a well-formed"),
    ] {
        let (status, ct, body) = get(&fake, &render(seq)).await;
        assert_eq!((status, ct.as_str()), (422, "application/json"), "{seq}");
        let e = error_of(&body);
        assert!(e.contains(why) && e.contains(&seq.to_string()), "{e}");
    }

    let (status, _, body) = get(&fake, &render(999)).await;
    assert_eq!(status, 404);
    assert!(error_of(&body).contains("holds no notification 999"));
    let (status, _, body) = get(&fake, "/_fake/channels/77/notifications/1/render").await;
    assert_eq!(status, 404);
    assert!(error_of(&body).contains("no channel with id 77"));
    let (status, _, body) = get(
        &fake,
        &format!("/_fake/channels/{}/notifications/first/render", ch.id),
    )
    .await;
    assert_eq!(status, 400);
    assert!(error_of(&body).contains("\"first\" is not a number"));
}

#[tokio::test]
async fn the_body_endpoint_gives_the_bytes_exactly_as_sent_where_the_record_has_lossy_text() {
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let bytes: Vec<u8> = vec![b'a', 0xff, 0x00, 0xfe, b'<', b'z'];
    let sent = client()
        .post(&ch.uri)
        .header("X-NotificationClass", "3")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 200);
    send(tile(&client(), &ch.uri, 1, None)).await;
    let records = fake.notifications(Some(ch.id)).unwrap();
    let lossy = serde_json::to_value(&records[0]).unwrap()["body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(lossy.contains('\u{FFFD}'), "{lossy:?}");

    let (status, ct, got) = get(
        &fake,
        &format!(
            "/_fake/channels/{}/notifications/{}/body",
            ch.id, records[0].seq
        ),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "application/octet-stream"));
    assert_eq!(got, bytes);
    let (status, _, got) = get(
        &fake,
        &format!(
            "/_fake/channels/{}/notifications/{}/body",
            ch.id, records[1].seq
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(got.starts_with(b"<?xml"));
    let (status, _, body) = get(
        &fake,
        &format!("/_fake/channels/{}/notifications/0/body", ch.id),
    )
    .await;
    assert_eq!(status, 404);
    assert!(error_of(&body).contains("no notification 0"));
}
