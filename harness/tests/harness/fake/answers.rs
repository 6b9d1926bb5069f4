//! Every answer MPNS documented, produced by the fake over real HTTP, plus the causes behind
//! each (suppression, queue, throttle, device states), and delivery timing on the virtual clock.

use std::time::Duration;

use crate::support::client::client;
use crate::support::requests::*;
use mpns_harness::fake::{
    ChannelOptions, Connection, DeliveryState, DeviceUpdate, FaultRule, Power, Subscription,
};
use mpns_harness::FakeMpns;

fn state(f: impl FnOnce(&mut DeviceUpdate)) -> DeviceUpdate {
    let mut u = DeviceUpdate::default();
    f(&mut u);
    u
}

/// Sets up a fake and a channel so that the next toast gets the given documented row, sends it
/// and returns what came back. `None` when the row is not one the fake produces.
async fn produce(row: (u16, &str, &str, &str)) -> Option<Seen> {
    let c = client();
    let builder = FakeMpns::builder();
    let builder = match row.0 {
        406 => builder.daily_limit(1),
        _ => builder,
    };
    let fake = builder.start().await;
    let mut opts = ChannelOptions::default();
    let conn = match row.2 {
        "TempDisconnected" => Some(Connection::TempDisconnected),
        "Disconnected" => Some(Connection::Disconnected),
        "Inactive" => Some(Connection::Inactive),
        _ => None,
    };
    let mut update = state(|u| u.connection = conn);
    let mut use_fault = false;
    let mut method_get = false;
    let mut bad_xml = false;
    match row {
        (200, "Received", _, "Active") => {}
        (200, "QueueFull", _, "Active") => update.queue_capacity = Some(0),
        (200, "Suppressed", _, "Active") => update.bound_toast = Some(false),
        (400, "", "", "") => bad_xml = true,
        (401, "", "", "") => opts.authenticated = true,
        (404, "Dropped", _, "Expired") => update.subscription = Some(Subscription::Expired),
        (405, "", "", "") => method_get = true,
        (406, "Dropped", _, "Active") => {}
        (412, "Dropped", _, "") => {}
        (503, "", "", "") => use_fault = true,
        _ => return None,
    }
    opts.device_state = Some(update);
    let ch = fake.create_channel(opts).unwrap();
    if row.0 == 406 {
        let first = send(toast(&c, &ch.uri, 2)).await;
        assert_eq!(first.status, 200, "the first toast of the day is taken");
    }
    if use_fault {
        fake.add_fault(FaultRule::next_503(1)).unwrap();
    }
    let req = if method_get {
        c.get(&ch.uri)
    } else if bad_xml {
        toast(&c, &ch.uri, 2).body("<wp:Notification xmlns:wp=\"WPNotification\"><wp:Toast>")
    } else {
        toast(&c, &ch.uri, 2)
    };
    Some(send(req).await)
}

#[tokio::test]
async fn every_documented_row_of_the_status_table_is_reproduced_over_http() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/responses/status-table.csv"
    );
    let table = std::fs::read_to_string(path).expect("fixtures/responses/status-table.csv");
    let mut checked = 0;
    for line in table.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.splitn(7, ',').collect();
        if cols[6].starts_with("extra:") {
            continue;
        }
        let status: u16 = cols[0].parse().unwrap();
        let row = (status, cols[1], cols[2], cols[3]);
        let got = produce(row)
            .await
            .unwrap_or_else(|| panic!("no scenario produces documented row {line}"));
        assert_eq!(got.row(), row, "row {line}");
        checked += 1;
    }
    assert_eq!(
        checked, 17,
        "the documented rows of docs/mpns-protocol.md §3.2"
    );
}

#[tokio::test]
async fn message_id_is_echoed_and_zeros_when_absent() {
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let c = client();
    let id = "5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11";
    let with = send(toast(&c, &ch.uri, 2).header("X-MessageID", id)).await;
    assert_eq!(with.message_id, id);
    let without = send(toast(&c, &ch.uri, 2)).await;
    assert_eq!(without.message_id, "00000000-0000-0000-0000-000000000000");
    let refused = send(c.get(&ch.uri).header("X-MessageID", id)).await;
    assert_eq!((refused.status, refused.message_id.as_str()), (405, id));
}

#[tokio::test]
async fn methods_other_than_post_get_405_with_allow_post() {
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let c = client();
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let r = c.request(method.clone(), &ch.uri).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 405, "{method}");
        assert_eq!(r.headers()["allow"], "POST");
    }
    let records = fake.notifications(Some(ch.id)).unwrap();
    assert_eq!(records.len(), 3);
    assert!(
        records[0].diagnostics[0].contains("POST"),
        "{:?}",
        records[0].diagnostics
    );
}

#[tokio::test]
async fn oversize_body_is_refused_with_400_and_not_read() {
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let c = client();
    let big = "x".repeat(3073);
    let r = send(raw(&c, &ch.uri, 3, &big)).await;
    assert_eq!(r.status, 400);
    let just = send(raw(&c, &ch.uri, 3, &"x".repeat(1000))).await;
    assert_eq!(just.status, 200);
    let records = fake.notifications(Some(ch.id)).unwrap();
    assert_eq!(records[0].body, "", "the oversize body was not read");
    assert!(
        records[0].diagnostics[0].contains("3072"),
        "{:?}",
        records[0].diagnostics
    );
}

#[tokio::test]
async fn oversize_chunked_body_is_refused_with_400_after_reading_at_most_the_limit() {
    use tokio::io::AsyncWriteExt;
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let path = ch.uri.trim_start_matches(fake.uri());
    let mut tcp = tokio::net::TcpStream::connect(fake.addr()).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nX-NotificationClass: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    // Four chunks of 1000 bytes: past the 3072-byte limit without any Content-Length.
    for _ in 0..4 {
        tcp.write_all(b"3e8\r\n").await.unwrap();
        tcp.write_all(&[b'x'; 1000]).await.unwrap();
        tcp.write_all(b"\r\n").await.unwrap();
    }
    // The last chunk is never sent: the fake must answer without waiting for it.
    let text = read_head(&mut tcp).await;
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    let records = fake.notifications(Some(ch.id)).unwrap();
    assert_eq!(records[0].response.status, 400);
}

#[tokio::test]
async fn a_toast_sent_in_chunks_is_read_whole_and_recorded_as_sent() {
    use tokio::io::AsyncWriteExt;
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let path = ch.uri.trim_start_matches(fake.uri());
    let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\"><wp:Toast><wp:Text1>Tom &amp; Jerry</wp:Text1><wp:Text2>In three chunks</wp:Text2></wp:Toast></wp:Notification>";
    let id = "5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11";
    let mut tcp = tokio::net::TcpStream::connect(fake.addr()).await.unwrap();
    let head = format!(
        "POST {path}?q=1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\nX-WindowsPhone-Target: toast\r\nX-NotificationClass: 2\r\nX-MessageID: {id}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    // Three chunks, each flushed on its own, so the fake sees several body frames.
    for part in [&body[..50], &body[50..120], &body[120..]] {
        let chunk = format!("{:x}\r\n{part}\r\n", part.len());
        tcp.write_all(chunk.as_bytes()).await.unwrap();
        tcp.flush().await.unwrap();
    }
    tcp.write_all(b"0\r\n\r\n").await.unwrap();
    let text = read_head(&mut tcp).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let records = fake.notifications(Some(ch.id)).unwrap();
    let r = &records[0];
    assert_eq!(r.body, body.as_bytes(), "the chunks were joined in order");
    assert_eq!(r.uri, format!("{path}?q=1").as_str(), "the path and query");
    assert_eq!(r.message_id, id);
    let names: Vec<&str> = r.headers.keys().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "host",
            "content-type",
            "x-windowsphone-target",
            "x-notificationclass",
            "x-messageid",
            "transfer-encoding"
        ],
        "every header, in order"
    );
    assert_eq!(r.headers["x-notificationclass"], "2");
    match r.content.as_deref() {
        Some(mpns_harness::protocol::Content::Toast(t)) => {
            assert_eq!(t.text1.as_deref(), Some("Tom & Jerry"));
            assert_eq!(t.text2.as_deref(), Some("In three chunks"));
        }
        other => panic!("not a toast: {other:?}"),
    }
}

#[tokio::test]
async fn a_path_that_is_no_channel_uri_gets_400_and_an_unknown_token_404() {
    let fake = FakeMpns::start().await;
    let c = client();
    let r = send(toast(&c, &format!("{}/not/a/channel", fake.uri()), 2)).await;
    assert_eq!(r.status, 400);
    let r = send(toast(
        &c,
        &format!("{}/throttledthirdparty/01.00/AAFnope", fake.uri()),
        2,
    ))
    .await;
    assert_eq!(r.row(), (404, "Dropped", "Disconnected", "Expired"));
    let all = fake.notifications(None).unwrap();
    assert_eq!(all.len(), 2, "requests to unknown URIs are recorded too");
    assert!(all[0].diagnostics[0].contains("Malformed channel URI"));
}

#[tokio::test]
async fn an_authenticated_channel_uri_under_the_throttled_path_is_unknown() {
    let fake = FakeMpns::builder()
        .allow_authenticated_over_http(true)
        .start()
        .await;
    let ch = fake
        .create_channel(ChannelOptions {
            authenticated: true,
            service_name: Some("push.example.com".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(ch.uri.contains("/unthrottledthirdparty/01.00/"));
    let c = client();
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.status, 200);
    let wrong = ch.uri.replace("unthrottled", "throttled");
    assert_eq!(send(toast(&c, &wrong, 2)).await.status, 404);
}

#[tokio::test]
async fn suppressed_for_each_documented_cause() {
    let c = client();
    let fake = FakeMpns::start().await;
    type Case = (&'static str, DeviceUpdate, u8);
    let cases: Vec<Case> = vec![
        ("toast not bound", state(|u| u.bound_toast = Some(false)), 2),
        ("tile not bound", state(|u| u.bound_tile = Some(false)), 1),
        (
            "primary tile not pinned",
            state(|u| u.primary_tile_pinned = Some(false)),
            1,
        ),
        ("low power, toast", state(|u| u.power = Some(Power::Low)), 2),
        ("low power, tile", state(|u| u.power = Some(Power::Low)), 1),
        (
            "critical power, raw",
            state(|u| u.power = Some(Power::CriticalLow)),
            3,
        ),
    ];
    for (why, update, class) in cases {
        let ch = fake
            .create_channel(ChannelOptions {
                device_state: Some(update),
                ..Default::default()
            })
            .unwrap();
        let req = match class {
            1 => tile(&c, &ch.uri, 1, None),
            2 => toast(&c, &ch.uri, 2),
            _ => raw(&c, &ch.uri, 3, "hi"),
        };
        let got = send(req).await;
        assert_eq!(
            got.row(),
            (200, "Suppressed", "Connected", "Active"),
            "{why}"
        );
    }
    // Low power still lets raw through.
    let ch = fake
        .create_channel(ChannelOptions {
            device_state: Some(state(|u| u.power = Some(Power::Low))),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        send(raw(&c, &ch.uri, 3, "hi")).await.notification,
        "Received"
    );
}

#[tokio::test]
async fn a_secondary_tile_update_needs_that_tile_pinned() {
    let c = client();
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let id = "/City.xaml?name=Oslo";
    let got = send(tile(&c, &ch.uri, 1, Some("/City.xaml?name=Oslo"))).await;
    assert_eq!(got.notification, "Suppressed");
    fake.update_device(ch.id, &state(|u| u.secondary_tiles = Some(vec![id.into()])))
        .unwrap();
    let got = send(tile(&c, &ch.uri, 1, Some("/City.xaml?name=Oslo"))).await;
    assert_eq!(got.notification, "Received");
    let got = send(tile(&c, &ch.uri, 1, Some("/City.xaml?name=Bergen"))).await;
    assert_eq!(got.notification, "Suppressed");
}

#[tokio::test]
async fn queue_full_once_the_device_queue_reaches_capacity() {
    let c = client();
    let fake = FakeMpns::builder().queue_capacity(2).start().await;
    let ch = fake
        .create_channel(ChannelOptions {
            device_state: Some(DeviceUpdate::connection(Connection::TempDisconnected)),
            ..Default::default()
        })
        .unwrap();
    let a = send(toast(&c, &ch.uri, 2)).await;
    let b = send(toast(&c, &ch.uri, 2)).await;
    let full = send(toast(&c, &ch.uri, 2)).await;
    assert_eq!(a.row(), (200, "Received", "TempDisconnected", "Active"));
    assert_eq!(b.notification, "Received");
    assert_eq!(full.row(), (200, "QueueFull", "TempDisconnected", "Active"));
    assert_eq!(fake.device(ch.id).unwrap().queued, 2);
    // Reconnecting empties the queue; there is room again.
    fake.update_device(ch.id, &DeviceUpdate::connection(Connection::Connected))
        .unwrap();
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.notification, "Received");
}

#[tokio::test]
async fn the_queue_of_a_temp_disconnected_device_is_delivered_in_order_on_reconnect() {
    let c = client();
    let fake = FakeMpns::start().await;
    let ch = fake
        .create_channel(ChannelOptions {
            device_state: Some(DeviceUpdate::connection(Connection::TempDisconnected)),
            ..Default::default()
        })
        .unwrap();
    let mut deliveries = fake.deliveries(&ch.device);
    for text in ["one", "two", "three"] {
        let got = send(toast_text(&c, &ch.uri, 2, text)).await;
        assert_eq!(got.row(), (200, "Received", "TempDisconnected", "Active"));
    }
    assert!(
        deliveries.try_recv().is_err(),
        "nothing reaches a disconnected device"
    );
    fake.update_device(ch.id, &DeviceUpdate::connection(Connection::Connected))
        .unwrap();
    let mut texts = Vec::new();
    for _ in 0..3 {
        let d = deliveries.try_recv().expect("delivered on reconnect");
        match &*d.content {
            mpns_harness::protocol::Content::Toast(t) => texts.push(t.text1.clone().unwrap()),
            other => panic!("not a toast: {other:?}"),
        }
    }
    assert_eq!(texts, ["one", "two", "three"]);
}

#[tokio::test]
async fn batched_classes_are_delivered_after_450_and_900_seconds_of_virtual_time() {
    let c = client();
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let mut deliveries = fake.deliveries(&ch.device);
    send(toast_text(&c, &ch.uri, 22, "slow")).await;
    send(toast_text(&c, &ch.uri, 12, "medium")).await;
    send(toast_text(&c, &ch.uri, 2, "now")).await;
    let text = |d: mpns_harness::fake::Delivered| match &*d.content {
        mpns_harness::protocol::Content::Toast(t) => (t.text1.clone().unwrap(), d.delivered_at),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        text(deliveries.try_recv().unwrap()),
        ("now".into(), Duration::ZERO)
    );
    assert!(deliveries.try_recv().is_err());
    fake.advance(Duration::from_secs(449));
    assert!(deliveries.try_recv().is_err(), "not before 450 s");
    fake.advance(Duration::from_secs(1));
    assert_eq!(
        text(deliveries.try_recv().unwrap()),
        ("medium".into(), Duration::from_secs(450))
    );
    fake.advance(Duration::from_secs(449));
    assert!(deliveries.try_recv().is_err(), "not before 900 s");
    fake.advance(Duration::from_secs(1));
    assert_eq!(
        text(deliveries.try_recv().unwrap()),
        ("slow".into(), Duration::from_secs(900))
    );
    let records = fake.notifications(Some(ch.id)).unwrap();
    assert_eq!(
        records[0].delivery,
        DeliveryState::Delivered { at_ms: 900_000 }
    );
}

#[tokio::test]
async fn raw_for_an_app_that_is_not_running_is_suppressed_and_never_delivered() {
    let c = client();
    let fake = FakeMpns::start().await;
    let ch = fake
        .create_channel(ChannelOptions {
            device_state: Some(state(|u| u.app_running = Some(false))),
            ..Default::default()
        })
        .unwrap();
    let mut deliveries = fake.deliveries(&ch.device);
    assert_eq!(
        send(raw(&c, &ch.uri, 3, "ping")).await.row(),
        (200, "Suppressed", "Connected", "Active")
    );
    assert!(deliveries.try_recv().is_err());
    // A toast to the same closed app is still shown by the shell.
    assert_eq!(
        send(toast(&c, &ch.uri, 2)).await.row(),
        (200, "Received", "Connected", "Active")
    );
}

#[tokio::test]
async fn raw_accepted_while_the_app_runs_is_discarded_if_it_stops_before_delivery() {
    let c = client();
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let mut deliveries = fake.deliveries(&ch.device);
    assert_eq!(
        send(raw(&c, &ch.uri, 13, "later")).await.notification,
        "Received",
        "batched: due in 450 s"
    );
    fake.update_device(ch.id, &state(|u| u.app_running = Some(false)))
        .unwrap();
    fake.advance(std::time::Duration::from_secs(450));
    assert!(deliveries.try_recv().is_err());
    let rec = &fake.notifications(Some(ch.id)).unwrap()[0];
    assert!(
        matches!(rec.delivery, DeliveryState::Discarded { .. }),
        "{:?}",
        rec.delivery
    );
}

#[tokio::test]
async fn five_hundred_a_day_then_406_until_the_virtual_day_has_passed() {
    let c = client();
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    for i in 0..500 {
        let got = send(raw(&c, &ch.uri, 3, "x")).await;
        assert_eq!(got.status, 200, "notification {i}");
    }
    assert_eq!(
        send(raw(&c, &ch.uri, 3, "x")).await.row(),
        (406, "Dropped", "Connected", "Active")
    );
    fake.advance(Duration::from_secs(23 * 3600));
    assert_eq!(
        send(raw(&c, &ch.uri, 3, "x")).await.status,
        406,
        "still the same day"
    );
    fake.advance(Duration::from_secs(3600));
    assert_eq!(
        send(raw(&c, &ch.uri, 3, "x")).await.status,
        200,
        "a new day"
    );
    assert_eq!(fake.channel(ch.id).unwrap().sent_today, 1);
}

#[tokio::test]
async fn authenticated_channels_have_no_daily_limit() {
    let c = client();
    let fake = FakeMpns::builder()
        .daily_limit(2)
        .allow_authenticated_over_http(true)
        .start()
        .await;
    let ch = fake
        .create_channel(ChannelOptions {
            authenticated: true,
            ..Default::default()
        })
        .unwrap();
    for _ in 0..5 {
        assert_eq!(send(raw(&c, &ch.uri, 3, "x")).await.status, 200);
    }
}

#[tokio::test]
async fn a_rotated_channel_answers_404_on_its_old_uri() {
    let c = client();
    let fake = FakeMpns::builder().seed(7).start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let new = fake.rotate_channel(ch.id).unwrap();
    assert_ne!(new.uri, ch.uri);
    assert_eq!(send(toast(&c, &ch.uri, 2)).await.status, 404);
    assert_eq!(send(toast(&c, &new.uri, 2)).await.status, 200);
}

#[tokio::test]
async fn a_callback_is_posted_when_the_device_goes_inactive() {
    // The callback target: another fake's unknown path records what it gets.
    let sink = FakeMpns::start().await;
    let target = format!("{}/throttledthirdparty/01.00/callbacksink", sink.uri());
    let c = client();
    let fake = FakeMpns::builder()
        .allow_authenticated_over_http(true)
        .start()
        .await;
    let ch = fake
        .create_channel(ChannelOptions {
            authenticated: true,
            service_name: Some("push.example.com".into()),
            ..Default::default()
        })
        .unwrap();
    let r = send(
        c.post(format!("{}/callback", ch.uri))
            .header("X-CallbackURI", &target)
            .header("Content-Type", "application/*")
            .body("blob-123"),
    )
    .await;
    assert_eq!(
        (r.status, r.subscription.as_str(), r.device.as_str()),
        (200, "Active", "Connected")
    );
    assert_eq!(
        fake.channel(ch.id).unwrap().callback.unwrap().blob,
        "blob-123"
    );
    fake.update_device(ch.id, &DeviceUpdate::connection(Connection::Inactive))
        .unwrap();
    sink.wait_for_notifications(1).await;
    let got = &sink.notifications(None).unwrap()[0];
    assert_eq!(got.body, "blob-123");
    assert!(
        fake.channel(ch.id).unwrap().callback.is_none(),
        "fired once, then gone"
    );
}

#[tokio::test]
async fn callback_registration_is_refused_on_unauthenticated_channels_and_over_1_kb() {
    let c = client();
    let fake = FakeMpns::builder()
        .allow_authenticated_over_http(true)
        .start()
        .await;
    let plain = fake.create_channel(ChannelOptions::default()).unwrap();
    let auth = fake
        .create_channel(ChannelOptions {
            authenticated: true,
            ..Default::default()
        })
        .unwrap();
    let post = |uri: &str, body: String| {
        c.post(format!("{uri}/callback"))
            .header("X-CallbackURI", "http://127.0.0.1:9/cb")
            .body(body)
    };
    assert_eq!(send(post(&plain.uri, "b".into())).await.status, 401);
    assert_eq!(send(post(&auth.uri, "b".repeat(1025))).await.status, 400);
    assert_eq!(send(post(&auth.uri, "b".repeat(1024))).await.status, 200);
    let missing = c.post(format!("{}/callback", auth.uri)).body("b");
    assert_eq!(send(missing).await.status, 400);
}

#[tokio::test]
async fn a_device_changed_by_name_affects_all_its_channels() {
    let c = client();
    let fake = FakeMpns::start().await;
    let phone = mpns_harness::fake::DeviceId::from("phone");
    let mk = |app: &str| ChannelOptions {
        device: Some(phone.clone()),
        app: Some(app.into()),
        ..Default::default()
    };
    let a = fake.create_channel(mk("a")).unwrap();
    let b = fake.create_channel(mk("b")).unwrap();
    fake.update_device_by_id(&phone, &DeviceUpdate::connection(Connection::Disconnected))
        .unwrap();
    assert_eq!(
        send(toast(&c, &a.uri, 2)).await.row(),
        (412, "Dropped", "Disconnected", "")
    );
    assert_eq!(send(toast(&c, &b.uri, 2)).await.status, 412);
    let err = fake
        .update_device_by_id(&phone, &state(|u| u.bound_toast = Some(false)))
        .unwrap_err();
    assert!(
        err.to_string().contains("bound_toast belongs to a channel"),
        "{err}"
    );
}

/// The log keeps a request's bytes and parses its content again when a record is read; the
/// event sent at arrival carries the content parsed then. They must agree on every path a
/// request can take: delivered, queued, refused by a fault after parsing, to an unknown
/// channel, refused by the protocol, and to a path that is no channel URI.
#[tokio::test]
async fn records_read_back_match_what_the_fake_saw_on_arrival() {
    use mpns_harness::fake::{Event, FaultRule};
    let fake = FakeMpns::start().await;
    let mut events = fake.events();
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let c = client();
    let flip = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification" Version="2.0"><wp:Tile Id="/City.xaml?id=1" Template="FlipTile"><wp:Title>Oslo &amp; Bergen</wp:Title><wp:Count Action="Clear"></wp:Count></wp:Tile></wp:Notification>"#;
    let sends = [
        send(toast_text(&c, &ch.uri, 2, "Tom & Jerry ✓"))
            .await
            .status,
        send(tile(&c, &ch.uri, 11, None)).await.status,
        send(
            c.post(&ch.uri)
                .header("Content-Type", "text/xml; charset=utf-8")
                .header("X-WindowsPhone-Target", "token")
                .header("X-NotificationClass", "1")
                .body(flip),
        )
        .await
        .status,
        send(raw(&c, &ch.uri, 3, "<any>raw</any>")).await.status,
        {
            fake.add_fault(FaultRule::next_503(1)).unwrap();
            send(toast(&c, &ch.uri, 2)).await.status
        },
        send(toast(
            &c,
            &format!("{}/throttledthirdparty/01.00/AAFnope", fake.uri()),
            2,
        ))
        .await
        .status,
        send(toast(&c, &ch.uri, 7)).await.status,
        send(toast(&c, &format!("{}/not/a/channel", fake.uri()), 2))
            .await
            .status,
    ];
    assert_eq!(sends, [200, 200, 200, 200, 503, 404, 400, 400]);
    let mut seen_on_arrival = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::Notification { record } = event {
            seen_on_arrival.push(record);
        }
    }
    let read_back = fake.notifications(None).unwrap();
    assert_eq!(read_back.len(), 8);
    assert_eq!(seen_on_arrival.len(), 8);
    for (then, now) in seen_on_arrival.iter().zip(&read_back) {
        assert_eq!(then.seq, now.seq);
        assert_eq!(then.content, now.content, "record {}", now.seq);
        assert_eq!(then.uri, now.uri);
        assert_eq!(then.headers, now.headers);
        assert_eq!(then.body, now.body);
        assert_eq!(then.message_id, now.message_id);
        assert_eq!(then.diagnostics, now.diagnostics);
    }
    let parsed: Vec<bool> = read_back.iter().map(|r| r.content.is_some()).collect();
    assert_eq!(
        parsed,
        [true, true, true, true, true, true, false, false],
        "parsed: the four accepted, the one a fault refused and the one to an unknown channel"
    );
    match read_back[2].content.as_deref() {
        Some(mpns_harness::protocol::Content::Tile(t)) => {
            assert_eq!(t.id.as_deref(), Some("/City.xaml?id=1"));
            assert!(t.version2);
            assert_eq!(t.properties.len(), 2);
        }
        other => panic!("not a tile: {other:?}"),
    }
}
