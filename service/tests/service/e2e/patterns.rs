//! Each push pattern through the whole World: the operator acts over the service's HTTP routes,
//! the patterns send with the real `mpns` client, the fake MPNS answers and delivers, the
//! emulated phones render, and the Push Patterns app on each phone reacts over HTTP.
//!
//! Each pattern's snapshots include a phone on 7.8 ("htc", user cy) and one on 8.0 GDR3 ("icon",
//! user dee, OS 8.0.10492), added after the others so the earlier phones' channels and
//! renderings keep their numbers. The Scene fails a test whose requests the fake's lint noted.

use crate::support::e2e as e2e_support;

use e2e_support::{snapshot, Scene, HOUR};
use mpns_harness::phone::{AppState, Outcome, TileKey, ToastSound};
use mpns_harness::protocol::Template;
use mpns_harness::push_patterns::{Screen, Settings, ASK_TO_PIN};
use serde_json::json;

/// The 7.8 phone of each pattern test.
const HTC: (&str, &str, &str) = ("htc", "7.8", "cy");
/// The 8.0 GDR3 phone of each pattern test (its app registers `Environment.OSVersion`).
const ICON: (&str, &str, &str) = ("icon", "8.0.10492", "dee");

#[tokio::test]
async fn one_time_reaches_a_running_app_and_a_closed_one() {
    let scene = Scene::start().await;
    let lumia = scene.logged_in("lumia", "8.0", "ann").await;
    let omnia = scene.logged_in("omnia", "7.1", "bob").await;
    let htc = scene.logged_in(HTC.0, HTC.1, HTC.2).await;
    let icon = scene.logged_in(ICON.0, ICON.1, ICON.2).await;
    omnia.close();
    htc.close();
    icon.close();
    scene.activate("one-time").await;
    assert_eq!(lumia.inbox(), ["Update Info"]);
    assert_eq!(lumia.server_info().unwrap().push_pattern, "One Time");
    scene.clear_records();

    // A sound: only the GDR3 phone is sent one.
    scene
        .send("one-time", json!({"toast_sound": "Audio/ding.wav"}))
        .await;
    scene.quiesce().await;

    // Running: the raw is in the inbox, last on top; the toast raised the in-app event, unshown.
    assert_eq!(lumia.inbox(), ["Game has been released", "Update Info"]);
    assert!(lumia.app().toasts().is_empty());
    let tile = lumia.app().tile(&TileKey::Primary).unwrap();
    assert_eq!(tile.title(), Some("Game Update"));
    assert_eq!(tile.badge(), Some(1));
    // Closed: the toast is in the tray, the raw is gone, the tile updated.
    assert_eq!(omnia.app().toasts()[0].text1, "Game Update");
    assert!(omnia.inbox().is_empty());
    assert_eq!(
        omnia.app().tile(&TileKey::Primary).unwrap().badge(),
        Some(1)
    );
    let raw_answers: Vec<_> = scene
        .records()
        .iter()
        .filter(|r| format!("{:?}", r.target).contains("Raw"))
        .map(|r| r.response.notification)
        .collect();
    assert_eq!(raw_answers.len(), 4);
    // 7.8: the standard tile and a toast with the default sound; GDR3: the Flip tile and the
    // toast with its sound.
    assert_eq!(htc.app().toasts()[0].sound, ToastSound::Default);
    assert_eq!(
        htc.app().tile(&TileKey::Primary).unwrap().template(),
        Template::Standard
    );
    assert_eq!(
        icon.app().toasts()[0].sound,
        ToastSound::Custom("Audio/ding.wav".into())
    );
    assert_eq!(
        icon.app().tile(&TileKey::Primary).unwrap().template(),
        Template::FlipTile
    );
    assert_eq!(omnia.app().toasts()[0].sound, ToastSound::Default);
    snapshot("e2e_one_time_lumia", &scene.render(&lumia));
    snapshot("e2e_one_time_omnia", &scene.render(&omnia));
    snapshot("e2e_one_time_htc_7_8", &scene.render(&htc));
    snapshot("e2e_one_time_icon_gdr3", &scene.render(&icon));
    snapshot("e2e_one_time_payloads", &scene.payloads());
}

#[tokio::test]
async fn counter_running_app_gets_the_raw_closed_app_counts_up_and_login_resets() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "7.1", "ann").await;
    // Closed from the start: each send counts their badges up.
    let htc = scene.logged_in(HTC.0, HTC.1, HTC.2).await;
    let icon = scene.logged_in(ICON.0, ICON.1, ICON.2).await;
    htc.close();
    icon.close();
    scene.activate("counter").await;
    assert_eq!(app.server_info().unwrap().push_pattern, "Counter");
    scene.clear_records();

    // Running: the probe lands in the inbox; no tile follows.
    scene.send("counter", json!({})).await;
    scene.quiesce().await;
    assert_eq!(app.inbox()[0], "Game Update");
    assert_eq!(scene.records_of(&app).len(), 1, "only the probe");
    assert_eq!(app.app().tile(&TileKey::Primary).unwrap().badge(), None);
    assert_eq!(scene.counter("ann").await, 0);

    // Not running: each send counts the badge up.
    app.close();
    for _ in 0..3 {
        scene.send("counter", json!({})).await;
        scene.quiesce().await;
    }
    assert_eq!(app.app().tile(&TileKey::Primary).unwrap().badge(), Some(3));
    assert_eq!(scene.counter("ann").await, 3);
    for other in [&htc, &icon] {
        let tile = other.app().tile(&TileKey::Primary).unwrap();
        assert_eq!(tile.badge(), Some(4), "closed for all four sends");
    }
    assert_eq!(scene.counter("cy").await, 4);
    assert_eq!(scene.counter("dee").await, 4);
    snapshot("e2e_counter_closed_app", &scene.render(&app));
    snapshot("e2e_counter_closed_app_htc_7_8", &scene.render(&htc));
    snapshot("e2e_counter_closed_app_icon_gdr3", &scene.render(&icon));
    snapshot("e2e_counter_payloads", &scene.payloads());

    // Launching logs in again: the registration resets the counter and clears the badge.
    app.launch().await.unwrap();
    scene.quiesce().await;
    assert_eq!(app.registrations(), 2);
    assert_eq!(app.app().tile(&TileKey::Primary).unwrap().badge(), None);
    assert_eq!(scene.counter("ann").await, 0);
    // The app read the server info right after registering, racing with the reset (as the
    // recipe's did); read again, it shows 0.
    assert_eq!(app.refresh_server_info().await.unwrap().counter, 0);
}

#[tokio::test]
async fn ask_to_pin_prompts_until_told_not_to_and_stops_once_pinned() {
    let scene = Scene::start().await;
    let mut apps = Vec::new();
    for (name, os, user) in [("lumia", "8.0", "ann"), HTC, ICON] {
        let app = scene.phone(name, os);
        app.launch().await.unwrap();
        app.set_settings(Settings::all_on()).await.unwrap();
        app.login(user).await.unwrap();
        apps.push(app);
    }
    let [app, htc, icon] = <[_; 3]>::try_from(apps).unwrap();
    scene.activate("ask-to-pin").await;
    scene.clear_records();

    scene.send("ask-to-pin", json!({})).await;
    scene.quiesce().await;
    for app in [&app, &htc, &icon] {
        let prompt = app.prompt().expect("the AskToPin popup shows");
        assert_eq!(prompt.title, "Important");
        assert!(prompt.show_again);
        assert_eq!(app.inbox()[0], ASK_TO_PIN);
    }
    snapshot("e2e_ask_to_pin_prompt", &scene.render(&app));
    snapshot("e2e_ask_to_pin_prompt_htc_7_8", &scene.render(&htc));
    snapshot("e2e_ask_to_pin_prompt_icon_gdr3", &scene.render(&icon));
    snapshot("e2e_ask_to_pin_payloads", &scene.payloads());

    // "Show this message again" cleared: the next AskToPin only lands in the inbox.
    assert!(app.dismiss_prompt(false));
    scene.send("ask-to-pin", json!({"count": 2})).await;
    scene.quiesce().await;
    assert_eq!(app.inbox()[..2], [ASK_TO_PIN, ASK_TO_PIN]);
    assert_eq!(app.prompt(), None);
    assert_eq!(app.prompts_shown(), 1);
    assert!(!app.shows_ask_to_pin(), "the choice is kept");

    // Pinned: the tile shows and nobody asks.
    app.pin().unwrap();
    scene.clear_records();
    scene
        .send("ask-to-pin", json!({"count": 7, "title": "Pinned"}))
        .await;
    scene.quiesce().await;
    assert_eq!(scene.records_of(&app).len(), 1, "the tile only");
    let tile = app.app().tile(&TileKey::Primary).unwrap();
    assert_eq!((tile.badge(), tile.title()), (Some(7), Some("Pinned")));

    // A registration sends the stored tile again: relaunching changes nothing on the tile.
    app.close();
    app.launch().await.unwrap();
    scene.quiesce().await;
    let again = app.app().tile(&TileKey::Primary).unwrap();
    assert_eq!((again.badge(), again.title()), (Some(7), Some("Pinned")));
    assert_eq!(scene.records_of(&app).len(), 2, "the stored tile, re-sent");
}

#[tokio::test]
async fn custom_tile_image_is_downloaded_from_the_service_and_shown() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "8.0", "ann").await;
    let htc = scene.logged_in(HTC.0, HTC.1, HTC.2).await;
    let icon = scene.logged_in(ICON.0, ICON.1, ICON.2).await;
    scene.activate("custom-tile").await;
    scene.clear_records();

    scene
        .send(
            "custom-tile",
            json!({"text": "Hello phone", "size": 24, "color": "Yellow", "count": 4, "title": "Custom"}),
        )
        .await;
    scene.quiesce().await;
    let tile = app.app().tile(&TileKey::Primary).unwrap();
    let image = tile.get("BackgroundImage").unwrap().to_owned();
    assert!(
        image.starts_with(&format!("{}/images/custom.png?", scene.base_url())),
        "{image}"
    );
    assert_eq!(tile.badge(), Some(4));
    let applied = app
        .app()
        .deliveries()
        .iter()
        .any(|d| matches!(d.outcome, Outcome::ImagesApplied { .. }));
    assert!(applied, "the phone downloaded the PNG and applied the tile");
    // The phone fetched what the service draws: the same URL answers a PNG.
    let png = reqwest::get(&image).await.unwrap().bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // 7.8 gets the standard tile, GDR3 the Flip tile, both with the same image.
    for (other, template) in [(&htc, Template::Standard), (&icon, Template::FlipTile)] {
        let tile = other.app().tile(&TileKey::Primary).unwrap();
        assert_eq!(tile.template(), template);
        assert_eq!(tile.get("BackgroundImage"), Some(image.as_str()));
        assert_eq!(tile.badge(), Some(4));
    }
    snapshot("e2e_custom_tile", &scene.render(&app));
    snapshot("e2e_custom_tile_htc_7_8", &scene.render(&htc));
    snapshot("e2e_custom_tile_icon_gdr3", &scene.render(&icon));
    snapshot("e2e_custom_tile_payloads", &scene.payloads());
}

#[tokio::test]
async fn tile_schedule_test_now_sets_the_selected_number_image() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "7.1", "ann").await;
    let htc = scene.logged_in(HTC.0, HTC.1, HTC.2).await;
    let icon = scene.logged_in(ICON.0, ICON.1, ICON.2).await;
    assert!(!app.shows_schedule_panel());
    scene.activate("tile-schedule").await;
    assert!(app.shows_schedule_panel(), "Update Info refreshed the info");
    scene.clear_records();

    for (app, n) in [(&app, 3), (&htc, 4), (&icon, 5)] {
        app.select_number(n).unwrap();
        let uri = app.test_now().await.unwrap();
        assert_eq!(uri, format!("{}/images/numbers/{n}.png", scene.base_url()));
        scene.quiesce().await;
        let tile = app.app().tile(&TileKey::Primary).unwrap();
        assert_eq!(tile.get("BackgroundImage"), Some(uri.as_str()));
        assert!(app
            .app()
            .deliveries()
            .iter()
            .any(|d| matches!(d.outcome, Outcome::ImagesApplied { .. })));
    }
    snapshot("e2e_tile_schedule_test_now", &scene.render(&app));
    snapshot("e2e_tile_schedule_test_now_htc_7_8", &scene.render(&htc));
    snapshot("e2e_tile_schedule_test_now_icon_gdr3", &scene.render(&icon));
    snapshot("e2e_tile_schedule_test_now_payloads", &scene.payloads());
    assert!(app.select_number(10).is_err());
}

#[tokio::test]
async fn tile_schedule_downloads_the_selected_number_image_every_hour() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "7.1", "ann").await;
    scene.activate("tile-schedule").await;
    app.select_number(5).unwrap();
    app.schedule().await.unwrap();
    app.settle().await;
    let status = app.schedule_status().await.unwrap();
    assert_eq!(status.successes, 1, "the first run is at once: {status:?}");
    for _ in 0..3 {
        scene.advance(HOUR).await;
        app.settle().await;
    }
    let status = app.schedule_status().await.unwrap();
    assert_eq!(status.successes, 4, "{status:?}");
    assert_eq!(status.failures, 0, "{status:?}");
    app.stop_schedule().await;
    scene.advance(HOUR).await;
    app.settle().await;
    assert_eq!(app.schedule_status().await.unwrap().successes, 4);
}

#[tokio::test]
async fn tile_schedule_sets_the_tile_to_the_scheduled_number_image() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "7.1", "ann").await;
    let htc = scene.logged_in(HTC.0, HTC.1, HTC.2).await;
    let icon = scene.logged_in(ICON.0, ICON.1, ICON.2).await;
    scene.activate("tile-schedule").await;
    for app in [&app, &htc, &icon] {
        app.select_number(5).unwrap();
        app.schedule().await.unwrap();
    }
    scene.advance(HOUR).await;
    for app in [&app, &htc, &icon] {
        app.settle().await;
        let tile = app.app().tile(&TileKey::Primary).unwrap();
        assert_eq!(
            tile.get("BackgroundImage"),
            Some(app.number_image_url(5).as_str())
        );
    }
    snapshot("e2e_tile_schedule_scheduled", &scene.render(&app));
    snapshot("e2e_tile_schedule_scheduled_htc_7_8", &scene.render(&htc));
    snapshot(
        "e2e_tile_schedule_scheduled_icon_gdr3",
        &scene.render(&icon),
    );
}

#[tokio::test]
async fn first_launch_shows_settings_and_push_is_off_until_turned_on() {
    let scene = Scene::start().await;
    let app = scene.phone("lumia", "8.0");
    app.launch().await.unwrap();
    assert_eq!(app.screen(), Screen::PushSettings);
    assert!(!app.settings().push, "push is off by default");
    app.login("ann").await.unwrap();
    scene.quiesce().await;
    assert_eq!(app.screen(), Screen::Inbox);
    assert!(
        app.app().channel().is_none(),
        "no channel while push is off"
    );
    assert!(scene.subscribers().is_empty(), "nothing registered");
    assert_eq!(app.server_info().unwrap().push_pattern, "One Time");

    app.set_settings(Settings::all_on()).await.unwrap();
    scene.quiesce().await;
    assert_eq!(scene.subscribers(), ["ann"]);
    let channel = app.app().channel().unwrap();
    assert!(channel.toast_bound && channel.tile_binding.is_some());

    // Off again: unbound, closed and unregistered.
    app.set_settings(Settings::default()).await.unwrap();
    scene.quiesce().await;
    assert!(app.app().channel().is_none());
    assert!(scene.subscribers().is_empty());
    assert!(app.errors().is_empty(), "{:?}", app.errors());
}

#[tokio::test]
async fn every_launch_registers_and_a_new_channel_uri_is_registered_again() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "8.0", "ann").await;
    assert_eq!(app.registrations(), 1);
    app.close();
    app.launch().await.unwrap();
    scene.quiesce().await;
    assert_eq!(app.registrations(), 2, "registered again on launch");
    assert_eq!(app.screen(), Screen::Inbox, "the saved user logs in");

    // MPNS gives the channel a new URI: the running app registers it.
    let channel = app.app().channel().unwrap();
    let rotated = scene.world.fake().rotate_channel(channel.id).unwrap();
    scene.quiesce().await;
    assert_eq!(app.registrations(), 3);
    let subscribers = scene.service.state().store().subscribers().unwrap();
    assert_eq!(subscribers[0].channel_uri, rotated.uri);
    assert_eq!(app.app().state(), AppState::Foreground);
}

#[tokio::test]
async fn raw_is_not_shown_with_raw_turned_off_and_the_app_task_can_stop() {
    let scene = Scene::start().await;
    let app = scene.logged_in("lumia", "8.0", "ann").await;
    app.set_settings(Settings {
        raw: false,
        ..Settings::all_on()
    })
    .await
    .unwrap();
    scene.activate("one-time").await;
    assert!(app.inbox().is_empty(), "raw off: nothing shown");
    assert_eq!(
        app.app().raw_inbox().len(),
        1,
        "the phone did deliver it to the app"
    );
    app.set_settings(Settings::all_on()).await.unwrap();
    app.stop();
    scene.activate("counter").await;
    assert!(app.inbox().is_empty(), "a stopped task handles nothing");
}

#[tokio::test]
async fn activating_a_pattern_refreshes_every_running_app_and_leaves_closed_ones_alone() {
    let scene = Scene::start().await;
    let lumia = scene.logged_in("lumia", "8.0", "ann").await;
    let omnia = scene.logged_in("omnia", "7.0", "bob").await;
    let htc = scene.logged_in("htc", "7.8", "cy").await;
    htc.close();
    scene.clear_records();

    scene.activate("ask-to-pin").await;
    for app in [&lumia, &omnia] {
        assert_eq!(app.inbox(), ["Update Info"]);
        assert_eq!(app.server_info().unwrap().push_pattern, "Ask to Pin");
    }
    assert!(htc.inbox().is_empty());
    let answers: Vec<_> = scene
        .records()
        .iter()
        .map(|r| format!("{:?}", r.response.notification.unwrap()))
        .collect();
    assert_eq!(answers, ["Received", "Received", "Suppressed"]);
    snapshot("e2e_activation_payloads", &scene.payloads());

    // The 7.0 phone gets the standard tile and a toast without Param, and shows both (this
    // found a phone bug: 7.0 refused the front's BackgroundImage as a back-face property).
    scene.activate("one-time").await;
    omnia.close();
    scene.send("one-time", json!({})).await;
    scene.quiesce().await;
    let tile = omnia.app().tile(&TileKey::Primary).unwrap();
    assert_eq!(tile.title(), Some("Game Update"));
    assert_eq!(omnia.app().toasts()[0].param, None);
    assert!(omnia
        .app()
        .deliveries()
        .iter()
        .all(|d| !matches!(d.outcome, Outcome::Refused { .. })));
}
