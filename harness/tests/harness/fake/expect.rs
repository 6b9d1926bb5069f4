//! Rust-test conveniences: expectations checked on drop with a report of what was received,
//! and waits that wake on changes instead of sleeping.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use crate::support::client::client;
use crate::support::requests::*;
use crate::support::snapshots::snapshot_settings;
use crate::support::wait::within;
use mpns_harness::fake::{ChannelOptions, Connection, DeviceUpdate};
use mpns_harness::FakeMpns;

#[tokio::test]
async fn met_expectations_pass_on_drop() {
    let fake = FakeMpns::start().await;
    let c = client();
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    fake.expect(ch.id)
        .toasts(1)
        .tiles(1)
        .raws(0)
        .notifications(2);
    send(toast(&c, &ch.uri, 2)).await;
    send(tile(&c, &ch.uri, 1, None)).await;
    assert_eq!(fake.verify(), Ok(()));
    drop(fake);
}

#[tokio::test]
async fn a_failed_expectation_reports_what_the_channel_received() {
    let fake = FakeMpns::builder().seed(1).start().await;
    let c = client();
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    fake.expect(ch.id).toasts(1).tiles(0);
    send(toast_text(&c, &ch.uri, 2, "first")).await;
    send(toast_text(&c, &ch.uri, 2, "second")).await;
    // Not a Received answer: does not count, but is listed.
    fake.update_device(
        ch.id,
        &DeviceUpdate {
            bound_toast: Some(false),
            ..Default::default()
        },
    )
    .unwrap();
    send(toast_text(&c, &ch.uri, 2, "third")).await;
    let report = fake.verify().unwrap_err();
    snapshot_settings().bind(|| insta::assert_snapshot!("fake_expectation_report", report));
    // The same report is the panic when the fake is dropped.
    let panic = catch_unwind(AssertUnwindSafe(move || drop(fake))).unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(message, report);
}

#[tokio::test]
async fn an_expectation_on_an_unknown_channel_fails_naming_it() {
    let fake = FakeMpns::start().await;
    fake.expect(mpns_harness::fake::ChannelId(42)).toasts(0);
    let report = fake.verify().unwrap_err();
    assert!(report.contains("no channel with id 42"), "{report}");
    // Dropping it panics with the same report.
    assert!(catch_unwind(AssertUnwindSafe(move || drop(fake))).is_err());
}

#[tokio::test]
async fn wait_for_notifications_wakes_when_a_sender_gets_there() {
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let uri = ch.uri.clone();
    let sender = tokio::spawn(async move {
        let c = client();
        for _ in 0..5 {
            send(toast(&c, &uri, 2)).await;
        }
    });
    fake.wait_for_notifications(5).await;
    assert_eq!(fake.notifications(Some(ch.id)).unwrap().len(), 5);
    within("the sender to finish", sender).await.unwrap();
}

#[tokio::test]
async fn wait_until_sees_a_state_change_made_elsewhere() {
    let fake = std::sync::Arc::new(FakeMpns::start().await);
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let other = fake.clone();
    let id = ch.id;
    let changer = tokio::spawn(async move {
        other
            .update_device(id, &DeviceUpdate::connection(Connection::TempDisconnected))
            .unwrap();
    });
    fake.wait_until(|f| f.device(id).unwrap().connection == Connection::TempDisconnected)
        .await;
    within("the state change to finish", changer).await.unwrap();
}

#[tokio::test]
#[should_panic(expected = "never held")]
async fn a_wait_that_never_holds_fails_with_advice_instead_of_hanging() {
    let fake = FakeMpns::builder()
        .wait_limit(Duration::from_millis(50))
        .start()
        .await;
    fake.wait_until(|f| f.channels().len() == 1).await;
}
