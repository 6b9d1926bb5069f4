//! A phone's connection to MPNS (TempDisconnected, Disconnected, Inactive and back), batching on
//! the World's clock, and the events the channels raise.

use std::time::Duration;

use crate::support::phone::*;
use crate::support::xml::{flip_xml, toast_xml};
use mpns_harness::fake::Connection;
use mpns_harness::phone::{ChannelConnectionStatus, PhoneEvent};

fn statuses(events: Vec<PhoneEvent>) -> Vec<ChannelConnectionStatus> {
    events
        .into_iter()
        .filter_map(|e| match e {
            PhoneEvent::ConnectionStatusChanged { status, .. } => Some(status),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn while_temp_disconnected_notifications_queue_and_arrive_in_order_on_reconnect() {
    let (world, phone, app) = ready("8.0").await;
    let uri = uri(&app);
    let mut events = phone.events();
    phone.set_connection(Connection::TempDisconnected);
    assert_eq!(phone.connection(), Connection::TempDisconnected);
    for t in ["one", "two"] {
        assert_eq!(
            send_toast(&uri, t, "x", None).await,
            "200 Received TempDisconnected Active"
        );
    }
    world.settle().await;
    assert!(app.toasts().is_empty(), "nothing arrives while away");
    phone.set_connection(Connection::Connected);
    world.settle().await;
    let texts: Vec<_> = app.toasts().into_iter().map(|t| t.text1).collect();
    assert_eq!(texts, ["one", "two"]);
    assert_eq!(
        statuses(events.drain()),
        [
            ChannelConnectionStatus::Disconnected,
            ChannelConnectionStatus::Connected
        ]
    );
}

#[tokio::test]
async fn a_disconnected_or_inactive_phone_gets_412_and_raises_one_status_change() {
    let (world, phone, app) = ready("8.0").await;
    let uri = uri(&app);
    let mut events = phone.events();
    phone.set_connection(Connection::Disconnected);
    assert_eq!(
        send_toast(&uri, "a", "b", None).await,
        "412 Dropped Disconnected"
    );
    phone.set_connection(Connection::Inactive);
    assert_eq!(
        send_toast(&uri, "a", "b", None).await,
        "412 Dropped Inactive"
    );
    phone.set_connection(Connection::TempDisconnected);
    phone.set_connection(Connection::Connected);
    assert_eq!(
        send_toast(&uri, "back", "b", None).await,
        "200 Received Connected Active"
    );
    world.settle().await;
    assert_eq!(
        statuses(events.drain()),
        [
            ChannelConnectionStatus::Disconnected,
            ChannelConnectionStatus::Connected
        ],
        "the two-valued channel status changes only twice"
    );
    let texts: Vec<_> = app.toasts().into_iter().map(|t| t.text1).collect();
    assert_eq!(texts, ["back"], "refused sends are never delivered");
}

#[tokio::test]
async fn a_batched_toast_arrives_only_once_the_clock_passes_450_seconds() {
    let (world, _phone, app) = ready("8.0").await;
    let body = toast_xml("batched", "x", None);
    assert_eq!(
        send(&uri(&app), Some("toast"), 12, &body).await,
        "200 Received Connected Active"
    );
    world.advance(Duration::from_secs(449)).await;
    assert!(app.toasts().is_empty());
    world.advance(Duration::from_secs(1)).await;
    assert_eq!(app.toasts().len(), 1, "applied by the time advance returns");
    let d = app.deliveries().pop().unwrap();
    assert_eq!(d.at, Duration::from_secs(450));
}

#[tokio::test]
async fn a_batched_toast_due_while_temp_disconnected_arrives_on_reconnect() {
    let (world, phone, app) = ready("8.0").await;
    send(&uri(&app), Some("toast"), 22, &toast_xml("late", "x", None)).await;
    phone.set_connection(Connection::TempDisconnected);
    world.advance(Duration::from_secs(900)).await;
    assert!(app.toasts().is_empty());
    phone.set_connection(Connection::Connected);
    world.settle().await;
    assert_eq!(app.toasts()[0].text1, "late");
}

#[tokio::test]
async fn a_toast_in_the_foreground_raises_the_event_and_in_the_background_goes_to_the_tray() {
    let (world, phone, app) = ready("8.0").await;
    let uri = uri(&app);
    app.launch();
    send_toast(&uri, "front", "x", Some("/Page.xaml?a=1")).await;
    world.settle().await;
    let e = phone
        .wait_for(|e| matches!(e, PhoneEvent::ShellToastNotificationReceived { .. }))
        .await;
    let PhoneEvent::ShellToastNotificationReceived { toast, .. } = e else {
        unreachable!()
    };
    assert_eq!(toast.text1, "front");
    assert_eq!(toast.param.as_deref(), Some("/Page.xaml?a=1"));
    assert!(app.toasts().is_empty(), "not shown in the foreground");
    app.send_to_background().unwrap();
    send_toast(&uri, "back", "x", None).await;
    world.settle().await;
    assert_eq!(app.toasts()[0].text1, "back");
}

#[tokio::test]
async fn tapping_a_toast_launches_the_app_at_its_param() {
    let (world, _phone, app) = ready("8.0").await;
    app.close();
    send_toast(
        &uri(&app),
        "Rain",
        "at 5",
        Some("/Forecast.xaml?city=Oslo&day=2"),
    )
    .await;
    world.settle().await;
    let target = app.tap_toast(0).unwrap();
    assert_eq!(target.page, "/Forecast.xaml");
    assert_eq!(target.get("city"), Some("Oslo"));
    assert_eq!(target.get("day"), Some("2"));
    assert_eq!(app.state(), mpns_harness::phone::AppState::Foreground);
    assert_eq!(app.launched_at(), Some(target));
    assert!(app
        .tap_toast(1)
        .unwrap_err()
        .to_string()
        .contains("not in the tray"));
}

#[tokio::test]
async fn a_tile_update_changes_the_pinned_tile_whatever_the_app_does() {
    let (world, _phone, app) = ready("8.0").await;
    let uri = uri(&app);
    app.close();
    let body = flip_xml(&[
        ("Title", Some("Oslo")),
        ("BackContent", Some("Rain")),
        ("Count", Some("7")),
    ]);
    send_tile(&uri, &body).await;
    world.settle().await;
    let tile = app.tile(&mpns_harness::phone::TileKey::Primary).unwrap();
    assert_eq!(tile.badge(), Some(7));
    assert_eq!(tile.title(), Some("Oslo"));
    assert_eq!(tile.get("BackContent"), Some("Rain"));
    send_tile(&uri, &flip_xml(&[("Title", None), ("Count", Some("0"))])).await;
    world.settle().await;
    let tile = app.tile(&mpns_harness::phone::TileKey::Primary).unwrap();
    assert_eq!(tile.badge(), None);
    assert_eq!(tile.title(), None);
    assert_eq!(tile.get("BackContent"), Some("Rain"), "omitted: kept");
}
