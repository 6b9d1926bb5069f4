//! A sender that is not this project's, tested against the fake MPNS: plain `reqwest` posts
//! toasts, and the test asserts on what the fake answered and what it recorded. Nothing of the
//! `mpns` crate is used; `mpns-harness` is the only dependency besides reqwest and tokio.

use mpns_harness::fake::{ChannelOptions, Connection, DeviceUpdate, NotificationStatus};
use mpns_harness::FakeMpns;

const TOAST: &str = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Hello</wp:Text1><wp:Text2>from reqwest</wp:Text2></wp:Toast></wp:Notification>"#;

/// The sender under test (yours goes here): one toast to one channel URI.
async fn send_toast(http: &reqwest::Client, channel_uri: &str) -> reqwest::Response {
    http.post(channel_uri)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("X-WindowsPhone-Target", "toast")
        .header("X-NotificationClass", "2")
        .body(TOAST)
        .send()
        .await
        .expect("the fake answers")
}

#[tokio::test]
async fn a_plain_reqwest_sender_gets_mpns_answers_and_its_requests_are_recorded() {
    let fake = FakeMpns::start().await;
    let phone = fake.create_channel(ChannelOptions::default()).unwrap();
    // Checked when `fake` is dropped (a panic with a report of what arrived), or now with
    // `fake.verify()`: exactly one toast answered 200 Received.
    fake.expect(phone.id).toasts(1);
    let http = reqwest::Client::new();

    let answer = send_toast(&http, &phone.uri).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["X-NotificationStatus"], "Received");
    assert_eq!(answer.headers()["X-DeviceConnectionStatus"], "Connected");
    assert_eq!(answer.headers()["X-SubscriptionStatus"], "Active");

    // The phone goes off: MPNS answers 412, and so does the fake.
    let off = DeviceUpdate {
        connection: Some(Connection::Disconnected),
        ..DeviceUpdate::default()
    };
    fake.update_device(phone.id, &off).unwrap();
    let answer = send_toast(&http, &phone.uri).await;
    assert_eq!(answer.status(), 412);
    assert_eq!(answer.headers()["X-NotificationStatus"], "Dropped");

    // What arrived: every request, its answer, and what the fake's lint says about it.
    let records = fake.notifications(Some(phone.id)).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0].response.notification,
        Some(NotificationStatus::Received)
    );
    assert!(
        records[0].diagnostics.is_empty(),
        "{:?}",
        records[0].diagnostics
    );
    assert_eq!(records[1].response.status, 412);
    // No message was sent twice with the same X-MessageID.
    assert!(fake.repeats().is_empty());
    fake.verify().unwrap();
}
