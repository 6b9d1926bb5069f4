//! The `HttpNotificationChannel` lifecycle on an emulated phone, through a real fake MPNS:
//! open, find, bind, close, reopen, rotation, quota, and what the fake learns from each.

use crate::support::phone::*;
use crate::support::xml::flip_xml;
use mpns_harness::fake::Connection;
use mpns_harness::phone::{AppState, ChannelError, OsVersion, PhoneEvent, TileBinding};
use mpns_harness::{FakeMpns, PhoneError, World};

#[tokio::test]
async fn opening_a_channel_raises_channel_uri_updated_with_the_fake_mpns_uri() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("weather").unwrap();
    app.launch();
    app.open_channel("push").unwrap();
    let e = phone.next_event().await;
    let PhoneEvent::ChannelUriUpdated {
        app: a,
        channel,
        uri,
    } = e
    else {
        panic!("expected ChannelUriUpdated, got {e:?}");
    };
    assert_eq!((a.as_str(), channel.as_str()), ("weather", "push"));
    assert!(uri.starts_with(&format!(
        "{}/throttledthirdparty/01.00/",
        world.fake().uri()
    )));
    assert_eq!(app.channel_uri().as_deref(), Some(uri.as_str()));
    let info = world.fake().channel(app.channel().unwrap().id).unwrap();
    assert_eq!(info.uri, uri);
    assert_eq!(info.device.0, "lumia");
    assert_eq!(info.app, "weather");
    assert_eq!(info.os_version, "8.0");
}

#[tokio::test]
async fn find_returns_the_open_channel_by_name_or_none() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("weather").unwrap();
    app.launch();
    assert_eq!(app.find_channel("push"), None);
    app.open_channel("push").unwrap();
    let found = app.find_channel("push").expect("the channel");
    assert_eq!(found.name, "push");
    assert!(!found.toast_bound);
    assert_eq!(found.tile_binding, None);
    assert_eq!(app.find_channel("other"), None);
    app.close_channel().unwrap();
    assert_eq!(app.find_channel("push"), None);
}

#[tokio::test]
async fn a_second_open_in_the_same_app_is_an_error_whatever_its_name() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("weather").unwrap();
    app.launch();
    app.open_channel("push").unwrap();
    for name in ["push", "other"] {
        let err = app.open_channel(name).unwrap_err();
        assert_eq!(
            err,
            PhoneError::ChannelAlreadyOpen {
                app: "weather".into(),
                channel: "push".into()
            }
        );
        assert!(err.to_string().contains("one channel per app"), "{err}");
    }
    assert_eq!(world.fake().channels().len(), 1);
}

#[tokio::test]
async fn thirty_apps_may_hold_channels_and_the_thirty_first_gets_quota_exceeded() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "7.1").unwrap();
    for i in 0..30 {
        let app = phone.install(&format!("app{i:02}")).unwrap();
        app.launch();
        app.open_channel("c").unwrap();
    }
    let extra = phone.install("extra").unwrap();
    extra.launch();
    let err = extra.open_channel("c").unwrap_err();
    assert_eq!(err, PhoneError::ChannelQuotaExceeded { limit: 30 });
    assert!(
        err.to_string().starts_with("Channel quota exceeded"),
        "{err}"
    );
    assert_eq!(phone.channels_held(), (30, 30));
    // Closing one frees a place.
    let first = phone.app("app00").unwrap();
    first.launch();
    first.close_channel().unwrap();
    extra.launch();
    extra.open_channel("c").unwrap();
    assert_eq!(phone.channels_held(), (30, 30));
}

#[tokio::test]
async fn windows_phone_7_0_allows_fifteen_channels() {
    let world = World::start().await;
    let phone = world.add_phone("omnia", "7.0").unwrap();
    assert_eq!(phone.os(), OsVersion::Wp70);
    for i in 0..15 {
        let app = phone.install(&format!("app{i:02}")).unwrap();
        app.launch();
        app.open_channel("c").unwrap();
    }
    let extra = phone.install("extra").unwrap();
    extra.launch();
    assert_eq!(
        extra.open_channel("c").unwrap_err(),
        PhoneError::ChannelQuotaExceeded { limit: 15 }
    );
}

#[tokio::test]
async fn a_phone_on_8_0_gdr3_is_named_by_its_build_and_comes_between_8_0_and_8_1() {
    for name in ["8.0.10492", "8.0.10492.0", "8.0 GDR3"] {
        assert_eq!(OsVersion::parse(name), Ok(OsVersion::Wp80Gdr3), "{name}");
    }
    assert!(OsVersion::Wp80 < OsVersion::Wp80Gdr3 && OsVersion::Wp80Gdr3 < OsVersion::Wp81);
    let world = World::start().await;
    let phone = world.add_phone("icon", "8.0 GDR3").unwrap();
    assert_eq!(phone.os(), OsVersion::Wp80Gdr3);
    // What its apps register: the service reads GDR3 from the build number.
    assert_eq!(phone.os().as_str(), "8.0.10492");
}

#[tokio::test]
async fn opening_while_disconnected_raises_channel_open_failed_and_opens_nothing() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("weather").unwrap();
    app.launch();
    phone.set_connection(Connection::Disconnected);
    app.open_channel("push").unwrap();
    let e = phone.next_event().await;
    assert_eq!(e.error(), Some(ChannelError::ChannelOpenFailed), "{e:?}");
    assert_eq!(app.channel(), None);
    assert!(world.fake().channels().is_empty());
    // Later, connected again, the retry works.
    phone.set_connection(Connection::Connected);
    app.open_channel("push").unwrap();
    let e = phone
        .wait_for(|e| matches!(e, PhoneEvent::ChannelUriUpdated { .. }))
        .await;
    assert_eq!(e.app(), "weather");
}

#[tokio::test]
async fn the_channel_api_needs_the_app_running() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("weather").unwrap();
    assert_eq!(app.state(), AppState::NotRunning);
    let err = app.open_channel("push").unwrap_err();
    assert!(matches!(err, PhoneError::AppNotRunning { .. }), "{err:?}");
    assert!(err.to_string().contains("launch it first"), "{err}");
    app.launch();
    app.open_channel("push").unwrap();
    app.bind_toast().unwrap();
    app.close();
    assert!(matches!(
        app.bind_tile().unwrap_err(),
        PhoneError::AppNotRunning { .. }
    ));
}

#[tokio::test]
async fn binding_needs_a_channel_and_binding_twice_is_an_error() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("weather").unwrap();
    app.launch();
    assert!(matches!(
        app.bind_toast().unwrap_err(),
        PhoneError::NoChannel { .. }
    ));
    app.open_channel("push").unwrap();
    app.bind_toast().unwrap();
    assert_eq!(
        app.bind_toast().unwrap_err(),
        PhoneError::AlreadyBound {
            app: "weather".into(),
            what: "toast"
        }
    );
    app.bind_tile().unwrap();
    assert!(matches!(
        app.bind_tile_with(["http://img.example.com/"]).unwrap_err(),
        PhoneError::AlreadyBound { what: "tile", .. }
    ));
    app.unbind_tile().unwrap();
    app.unbind_tile().unwrap();
    app.bind_tile_with(["http://img.example.com/"]).unwrap();
    let c = app.channel().unwrap();
    assert!(c.toast_bound);
    assert!(matches!(c.tile_binding, Some(TileBinding::RemoteFrom(_))));
}

#[tokio::test]
async fn allowed_image_uris_over_256_characters_are_refused_and_leave_the_tile_unbound() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("weather").unwrap();
    app.launch();
    app.open_channel("push").unwrap();
    let ok = format!("http://img.example.com/{}", "a".repeat(256 - 23));
    assert_eq!(ok.chars().count(), 256);
    let long = format!("{ok}b");
    let err = app
        .bind_tile_with(["http://img.example.com/", long.as_str()])
        .unwrap_err();
    assert!(matches!(err, PhoneError::AllowedUris(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("Allowed image URI 2 has 257 characters, over the limit of 256"),
        "{err}"
    );
    assert_eq!(app.channel().unwrap().tile_binding, None);
    app.bind_tile_with([ok.as_str()]).unwrap();
}

#[tokio::test]
async fn bindings_reach_the_fake_so_it_suppresses_what_the_phone_would_drop() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("weather").unwrap();
    app.launch();
    app.open_channel("push").unwrap();
    let uri = uri(&app);
    assert_eq!(
        send_toast(&uri, "a", "b", None).await,
        "200 Suppressed Connected Active"
    );
    app.bind_toast().unwrap();
    assert_eq!(
        send_toast(&uri, "a", "b", None).await,
        "200 Received Connected Active"
    );
    let tile = flip_xml(&[("Count", Some("3"))]);
    app.bind_tile().unwrap();
    assert_eq!(
        send_tile(&uri, &tile).await,
        "200 Suppressed Connected Active",
        "the primary tile is not pinned"
    );
    app.pin_primary(mpns_harness::protocol::Template::FlipTile, &[])
        .unwrap();
    assert_eq!(
        send_tile(&uri, &tile).await,
        "200 Received Connected Active"
    );
    app.unbind_toast().unwrap();
    assert_eq!(
        send_toast(&uri, "a", "b", None).await,
        "200 Suppressed Connected Active"
    );
    world.settle().await;
    let view = world.fake().device(app.channel().unwrap().id).unwrap();
    assert!(view.bound_tile && !view.bound_toast && view.primary_tile_pinned && view.app_running);
}

#[tokio::test]
async fn a_closed_channel_answers_404_expired_and_reopening_gives_a_new_uri() {
    let (world, phone, app) = ready("8.0").await;
    let old = uri(&app);
    app.launch();
    app.close_channel().unwrap();
    assert_eq!(
        send_toast(&old, "a", "b", None).await,
        "404 Dropped Connected Expired"
    );
    app.open_channel("push").unwrap();
    let new = uri(&app);
    assert_ne!(new, old);
    assert_eq!(
        send_toast(&old, "a", "b", None).await,
        "404 Dropped Connected Expired"
    );
    // A new channel starts unbound.
    assert_eq!(
        send_toast(&new, "a", "b", None).await,
        "200 Suppressed Connected Active"
    );
    app.bind_toast().unwrap();
    app.send_to_background().unwrap();
    assert_eq!(
        send_toast(&new, "again", "b", None).await,
        "200 Received Connected Active"
    );
    world.settle().await;
    let toasts = app.toasts();
    assert_eq!(toasts.len(), 1);
    assert_eq!(toasts[0].text1, "again");
    let uris: Vec<_> = phone
        .all_events()
        .into_iter()
        .filter_map(|e| match e {
            PhoneEvent::ChannelUriUpdated { uri, .. } => Some(uri),
            _ => None,
        })
        .collect();
    assert_eq!(uris, vec![old, new]);
}

#[tokio::test]
async fn a_uri_rotated_by_mpns_raises_channel_uri_updated_again_and_the_old_uri_is_gone() {
    let (world, phone, app) = ready("8.0").await;
    let old = uri(&app);
    let mut events = phone.events();
    let rotated = world
        .fake()
        .rotate_channel(app.channel().unwrap().id)
        .unwrap();
    let e = events
        .wait_for(|e| matches!(e, PhoneEvent::ChannelUriUpdated { .. }))
        .await;
    assert_eq!(
        e,
        PhoneEvent::ChannelUriUpdated {
            app: "weather".into(),
            channel: "push".into(),
            uri: rotated.uri.clone()
        }
    );
    assert_eq!(uri(&app), rotated.uri);
    assert_eq!(app.channel().unwrap().uri_updates, 2);
    assert_eq!(
        send_toast(&old, "a", "b", None).await,
        "404 Dropped Disconnected Expired"
    );
    assert_eq!(
        send_toast(&rotated.uri, "new", "uri", None).await,
        "200 Received Connected Active"
    );
    world.settle().await;
    assert_eq!(app.toasts()[0].text1, "new");
}

#[tokio::test]
async fn settle_alone_picks_up_a_rotation() {
    let (world, _phone, app) = ready("8.0").await;
    let rotated = world
        .fake()
        .rotate_channel(app.channel().unwrap().id)
        .unwrap();
    world.settle().await;
    assert_eq!(uri(&app), rotated.uri);
}

#[tokio::test]
async fn closing_an_app_keeps_a_bound_channel_but_closes_a_raw_only_one() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let bound = phone.install("bound").unwrap();
    bound.launch();
    bound.open_channel("c").unwrap();
    bound.bind_toast().unwrap();
    let raw_only = phone.install("raw").unwrap();
    raw_only.launch();
    raw_only.open_channel("c").unwrap();
    let (bound_uri, raw_uri) = (uri(&bound), uri(&raw_only));
    bound.close();
    raw_only.close();
    assert!(bound.channel().is_some());
    assert!(raw_only.channel().is_none());
    assert_eq!(
        send_toast(&bound_uri, "a", "b", None).await,
        "200 Received Connected Active"
    );
    assert_eq!(
        send_raw(&raw_uri, "<x/>").await,
        "404 Dropped Connected Expired"
    );
    world.settle().await;
    assert_eq!(bound.toasts().len(), 1, "shown in the tray while closed");
}

#[tokio::test]
async fn an_authenticated_channel_uses_the_unthrottled_uri_and_its_service_name() {
    let world = World::start_with(FakeMpns::builder().allow_authenticated_over_http(true)).await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("bank").unwrap();
    app.launch();
    app.open_authenticated_channel("secure", "push.bank.example")
        .unwrap();
    let c = app.channel().unwrap();
    assert_eq!(c.service_name.as_deref(), Some("push.bank.example"));
    assert!(c.uri.contains("/unthrottledthirdparty/01.00/"), "{}", c.uri);
    let info = world.fake().channel(c.id).unwrap();
    assert!(info.authenticated);
    assert_eq!(info.service_name.as_deref(), Some("push.bank.example"));
    app.bind_toast().unwrap();
    assert_eq!(
        send_toast(&c.uri, "a", "b", None).await,
        "200 Received Connected Active"
    );
}

#[tokio::test]
async fn installing_twice_and_unknown_names_are_clear_errors() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    phone.install("weather").unwrap();
    assert_eq!(
        phone.install("weather").unwrap_err(),
        PhoneError::AppAlreadyInstalled {
            app: "weather".into()
        }
    );
    assert!(phone.app("nope").is_none());
    assert_eq!(
        world.add_phone("lumia", "8.0").unwrap_err(),
        PhoneError::PhoneAlreadyExists {
            name: "lumia".into()
        }
    );
    let err = world.add_phone("other", "9.0").unwrap_err();
    assert!(
        err.to_string()
            .contains("7.0, 7.1 (or 7.5), 7.8, 8.0, 8.0.10492 (GDR3), 8.1"),
        "{err}"
    );
}

/// Issue 14, finding 6: past the fake's channel cap, an app opening a channel gets the fake's
/// error naming the limit, and nothing is half-made: the fake holds what it held.
#[tokio::test]
async fn an_app_opening_a_channel_past_the_fakes_cap_gets_too_many_channels() {
    let world = World::start_with(FakeMpns::builder().max_channels(1)).await;
    let lumia = world.add_phone("lumia", "8.0").unwrap();
    let first = lumia.install("weather").unwrap();
    first.launch();
    first.open_channel("push").unwrap();
    let other = world.add_phone("nokia", "8.0").unwrap();
    let second = other.install("weather").unwrap();
    second.launch();
    let err = second.open_channel("push").unwrap_err();
    assert_eq!(
        err,
        PhoneError::Fake(mpns_harness::FakeError::TooManyChannels { limit: 1 })
    );
    assert!(err.to_string().contains("maximum of 1 channels"), "{err}");
    assert_eq!(second.channel_uri(), None);
    assert_eq!(world.fake().channels().len(), 1);
}
