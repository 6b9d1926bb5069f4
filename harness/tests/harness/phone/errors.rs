//! Each `ErrorOccurred` type a channel raises, caused through real HTTP sends to a fake MPNS.

use std::time::Duration;

use crate::support::phone::*;
use crate::support::xml::{flip_xml, tile_xml, toast_xml};
use mpns_harness::phone::{ChannelError, Outcome, PhoneEvent, PowerLevel, RateLimit, TileKey};
use mpns_harness::protocol::Template;

#[tokio::test]
async fn a_payload_format_error_closes_the_channel_and_later_sends_get_404() {
    let (world, phone, app) = ready("8.0").await;
    let uri = uri(&app);
    let bad = flip_xml(&[("Count", Some("-3"))]);
    assert_eq!(send_tile(&uri, &bad).await, "200 Received Connected Active");
    let e = phone.wait_for(|e| e.error().is_some()).await;
    let PhoneEvent::ErrorOccurred { error, message, .. } = &e else {
        unreachable!()
    };
    assert_eq!(*error, ChannelError::PayloadFormatError);
    assert!(message.contains("reopen"), "{message}");
    assert_eq!(app.channel(), None);
    assert_eq!(app.find_channel("push"), None);
    assert_eq!(
        send_toast(&uri, "after", "close", None).await,
        "404 Dropped Connected Expired"
    );
    world.settle().await;
    let tile = app.tile(&TileKey::Primary).unwrap();
    assert_eq!(tile.badge(), None, "the bad Count changed nothing");
    assert!(matches!(
        app.deliveries().last().unwrap().outcome,
        Outcome::Refused {
            error: Some(ChannelError::PayloadFormatError),
            ..
        }
    ));
}

#[tokio::test]
async fn notifications_already_delivered_behind_a_payload_format_error_are_dropped() {
    let (world, _phone, app) = ready("8.0").await;
    let uri = uri(&app);
    // Both batched (class 12): they reach the phone together, 450 s later.
    let bad = toast_xml("bad", "param", Some("page.xaml"));
    let good = toast_xml("good", "one", None);
    assert_eq!(
        send(&uri, Some("toast"), 12, &bad).await,
        "200 Received Connected Active"
    );
    assert_eq!(
        send(&uri, Some("toast"), 12, &good).await,
        "200 Received Connected Active"
    );
    world.advance(Duration::from_secs(450)).await;
    assert!(app.toasts().is_empty());
    let outcomes: Vec<_> = app.deliveries().into_iter().map(|d| d.outcome).collect();
    assert!(
        matches!(outcomes[0], Outcome::Refused { .. }),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], Outcome::ChannelClosed);
}

#[tokio::test]
async fn a_remote_image_without_an_allowed_list_raises_message_bad_content_and_keeps_the_channel() {
    let (world, phone, app) = ready("8.0").await;
    let uri = uri(&app);
    let body = flip_xml(&[
        ("BackgroundImage", Some("http://img.example.com/a.png")),
        ("Count", Some("4")),
    ]);
    assert_eq!(
        send_tile(&uri, &body).await,
        "200 Received Connected Active"
    );
    world.settle().await;
    let e = phone.wait_for(|e| e.error().is_some()).await;
    assert_eq!(e.error(), Some(ChannelError::MessageBadContent));
    assert!(app.channel().is_some(), "MessageBadContent does not close");
    assert_eq!(app.tile(&TileKey::Primary).unwrap().badge(), None);
    // A good update still works on the same channel.
    send_tile(&uri, &flip_xml(&[("Count", Some("4"))])).await;
    world.settle().await;
    assert_eq!(app.tile(&TileKey::Primary).unwrap().badge(), Some(4));
}

#[tokio::test]
async fn a_remote_image_outside_the_allowed_list_raises_message_bad_content() {
    let (world, phone, app) = ready("8.0").await;
    app.launch();
    app.unbind_tile().unwrap();
    app.bind_tile_with(["http://img.example.com/tiles/"])
        .unwrap();
    let body = flip_xml(&[(
        "BackgroundImage",
        Some("http://img.example.com/other/a.png"),
    )]);
    send_tile(&uri(&app), &body).await;
    world.settle().await;
    let e = phone.wait_for(|e| e.error().is_some()).await;
    assert_eq!(e.error(), Some(ChannelError::MessageBadContent));
    let PhoneEvent::ErrorOccurred { message, .. } = e else {
        unreachable!()
    };
    assert!(
        message.contains("none of the channel's allowed base URIs"),
        "{message}"
    );
}

#[tokio::test]
async fn too_many_notifications_in_a_window_raise_rate_too_high_once_and_drop_the_excess() {
    let (world, phone, app) = ready("8.0").await;
    phone.set_rate_limit(RateLimit {
        max: 3,
        per: Duration::from_secs(60),
    });
    let uri = uri(&app);
    for i in 0..5 {
        send_toast(&uri, &format!("t{i}"), "x", None).await;
    }
    world.settle().await;
    let errors: Vec<_> = phone
        .all_events()
        .iter()
        .filter_map(PhoneEvent::error)
        .collect();
    assert_eq!(errors, vec![ChannelError::NotificationRateTooHigh]);
    let texts: Vec<_> = app.toasts().into_iter().map(|t| t.text1).collect();
    assert_eq!(texts, ["t0", "t1", "t2"]);
    assert_eq!(
        app.deliveries()
            .iter()
            .filter(|d| d.outcome == Outcome::RateTooHigh)
            .count(),
        2
    );
    // A minute later the channel takes notifications again.
    world.advance(Duration::from_secs(60)).await;
    send_toast(&uri, "later", "x", None).await;
    world.settle().await;
    assert_eq!(app.toasts().last().unwrap().text1, "later");
}

#[tokio::test]
async fn a_power_level_change_raises_power_level_changed_with_the_new_level_on_each_channel() {
    let (_world, phone, app) = ready("8.0").await;
    let other = phone.install("news").unwrap();
    other.launch();
    other.open_channel("n").unwrap();
    let mut events = phone.events();
    phone.set_power(PowerLevel::Low);
    phone.set_power(PowerLevel::Low);
    phone.set_power(PowerLevel::CriticalLow);
    let got: Vec<_> = events
        .drain()
        .iter()
        .map(|e| (e.app().to_owned(), e.error().unwrap()))
        .collect();
    let low = ChannelError::PowerLevelChanged {
        level: PowerLevel::Low,
    };
    let critical = ChannelError::PowerLevelChanged {
        level: PowerLevel::CriticalLow,
    };
    assert_eq!(
        got,
        vec![
            ("news".to_owned(), low),
            (app.name().to_owned(), low),
            ("news".to_owned(), critical),
            (app.name().to_owned(), critical),
        ]
    );
    assert_eq!(phone.power(), PowerLevel::CriticalLow);
}

#[tokio::test]
async fn a_template_mismatch_is_ignored_without_a_channel_error() {
    let (world, phone, app) = ready("8.0").await;
    let body = tile_xml(Some("IconicTile"), None, &[("Count", Some("9"))]);
    assert_eq!(
        send_tile(&uri(&app), &body).await,
        "200 Received Connected Active"
    );
    world.settle().await;
    assert!(phone.all_events().iter().all(|e| e.error().is_none()));
    assert!(app.channel().is_some());
    let last = app.deliveries().pop().unwrap();
    let Outcome::Refused { error, message } = last.outcome else {
        panic!("expected a refusal, got {:?}", last.outcome);
    };
    assert_eq!(error, None);
    assert!(message.contains("Template type mismatch"), "{message}");
    assert_eq!(app.tile(&TileKey::Primary).unwrap().badge(), None);
}

#[tokio::test]
async fn a_toast_param_on_windows_phone_7_0_is_a_payload_format_error() {
    let (world, phone, app) = ready("7.0").await;
    send_toast(&uri(&app), "a", "b", Some("/Page.xaml")).await;
    world.settle().await;
    let e = phone.wait_for(|e| e.error().is_some()).await;
    assert_eq!(e.error(), Some(ChannelError::PayloadFormatError));
    let PhoneEvent::ErrorOccurred { message, .. } = e else {
        unreachable!()
    };
    assert!(
        message.contains("wp:Param is not supported on Windows Phone 7.0"),
        "{message}"
    );
    assert!(app.channel().is_none());
}

#[tokio::test]
async fn a_flip_tile_on_windows_phone_7_1_is_a_payload_format_error_and_cannot_be_pinned() {
    let (world, phone, app) = ready("7.1").await;
    assert!(app
        .pin_secondary("/x.xaml", Template::FlipTile, &[])
        .unwrap_err()
        .to_string()
        .contains("7.8 and later"));
    send_tile(&uri(&app), &flip_xml(&[("Count", Some("1"))])).await;
    world.settle().await;
    let e = phone.wait_for(|e| e.error().is_some()).await;
    assert_eq!(e.error(), Some(ChannelError::PayloadFormatError));
}

#[tokio::test]
async fn a_standard_tile_with_back_content_works_on_7_1_but_not_on_7_0() {
    let body = tile_xml(None, None, &[("BackContent", Some("behind"))]);
    let (world, _phone, app) = ready("7.1").await;
    send_tile(&uri(&app), &body).await;
    world.settle().await;
    assert_eq!(
        app.tile(&TileKey::Primary).unwrap().get("BackContent"),
        Some("behind")
    );
    let (world, phone, app) = ready("7.0").await;
    send_tile(&uri(&app), &body).await;
    world.settle().await;
    assert_eq!(
        phone.wait_for(|e| e.error().is_some()).await.error(),
        Some(ChannelError::PayloadFormatError)
    );
}

#[tokio::test]
async fn an_unknown_error_raises_error_occurred_and_leaves_the_channel_open_with_its_uri() {
    let (world, phone, app) = ready("8.0").await;
    // Raised whatever the app's state: here it is not running (its bound channel lives on).
    app.close();
    let before = app.channel().unwrap();
    let mut events = phone.events();
    app.raise_unknown_error("The push client failed for no documented reason.")
        .unwrap();
    let e = events.next().await;
    let PhoneEvent::ErrorOccurred {
        app: name,
        channel,
        error,
        message,
    } = &e
    else {
        panic!("expected ErrorOccurred, got {}", e.describe());
    };
    assert_eq!(
        (name.as_str(), channel.as_str(), *error),
        ("weather", "push", ChannelError::Unknown)
    );
    assert_eq!(message, "The push client failed for no documented reason.");
    assert_eq!(
        e.describe(),
        "weather/push: ErrorOccurred Unknown: The push client failed for no documented reason."
    );
    assert!(events.drain().is_empty(), "one event, nothing else");
    // The channel survives: same URI, same bindings, and it still takes notifications.
    assert_eq!(app.channel(), Some(before.clone()));
    assert_eq!(
        send_toast(&before.uri, "still", "here", None).await,
        "200 Received Connected Active"
    );
    world.settle().await;
    assert_eq!(app.toasts().last().unwrap().text1, "still");
}

#[tokio::test]
async fn an_unknown_error_needs_an_open_channel_and_raises_nothing_without_one() {
    let (_world, phone, app) = ready("8.0").await;
    app.launch();
    app.close_channel().unwrap();
    let mut events = phone.events();
    let err = app.raise_unknown_error("x").unwrap_err();
    assert!(err.to_string().contains("has no open channel"), "{err}");
    assert!(events.drain().is_empty());
}
