//! The Push Patterns app against a stand-in registration service (axum, recording each request):
//! the exact HTTP calls it makes, what it does with raw notifications sent straight to its
//! channel, and its errors. The real service and patterns are exercised end to end in the root
//! package's `tests/e2e_patterns*.rs`.

use std::sync::{Arc, Mutex};

use crate::support::phone::send_raw;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use mpns_harness::fake::Connection;
use mpns_harness::phone::{AppState, TileKey};
use mpns_harness::push_patterns::{AppError, Screen, Settings, ASK_TO_PIN, CHANNEL_NAME};
use mpns_harness::{PushPatterns, World};
use serde_json::{json, Value};

/// Every request the stand-in saw, as `METHOD path?query body`.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

async fn stand_in() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route(
            "/api/registrations",
            post(|State(s): State<Seen>, Json(body): Json<Value>| async move {
                s.push(format!("POST /api/registrations {body}"));
                if body["user_name"] == "refused" {
                    return (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Json(json!({"error": {"code": "invalid", "field": "user_name", "message": "user_name \"refused\" is not allowed"}})),
                    );
                }
                (StatusCode::CREATED, Json(json!({"replaced": false})))
            }),
        )
        .route(
            "/api/registrations/{user}",
            delete(|State(s): State<Seen>, Path(user): Path<String>| async move {
                s.push(format!("DELETE /api/registrations/{user}"));
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/api/server-info",
            get(|State(s): State<Seen>, RawQuery(q): RawQuery| async move {
                s.push(format!("GET /api/server-info?{}", q.unwrap_or_default()));
                Json(json!({"push_pattern": "Counter", "pattern": "counter", "counter": 7}))
            }),
        )
        .route(
            "/api/tile-update",
            post(|State(s): State<Seen>, Json(body): Json<Value>| async move {
                s.push(format!("POST /api/tile-update {body}"));
                (
                    StatusCode::ACCEPTED,
                    Json(json!({"image_uri": format!("http://x/images/numbers/{}.png", body["number"])})),
                )
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn logged_in(world: &World, user: &str) -> (PushPatterns, Seen) {
    let (url, seen) = stand_in().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = PushPatterns::install(&phone, &url).unwrap();
    app.pin().unwrap();
    app.launch().await.unwrap();
    app.set_settings(Settings::all_on()).await.unwrap();
    app.login(user).await.unwrap();
    (app, seen)
}

#[tokio::test]
async fn login_registers_user_channel_and_os_then_reads_the_server_info() {
    let world = World::start().await;
    let (app, seen) = logged_in(&world, "ann lee").await;
    let uri = app.app().channel_uri().unwrap();
    let register: Value =
        serde_json::from_str(seen.all()[0].trim_start_matches("POST /api/registrations ")).unwrap();
    assert_eq!(
        register,
        json!({"user_name": "ann lee", "channel_uri": uri, "os_version": "8.0"})
    );
    assert_eq!(seen.all()[1], "GET /api/server-info?user=ann+lee");
    assert_eq!(seen.all().len(), 2);
    assert_eq!(app.screen(), Screen::Inbox);
    assert_eq!(app.server_info().unwrap().counter, 7);
    let channel = app.app().find_channel(CHANNEL_NAME).unwrap();
    assert!(channel.toast_bound);
    assert!(channel.tile_binding.is_some());
}

#[tokio::test]
async fn raw_messages_go_on_top_of_the_inbox_and_each_refreshes_the_server_info() {
    let world = World::start().await;
    let (app, seen) = logged_in(&world, "ann").await;
    let uri = app.app().channel_uri().unwrap();
    for text in ["first", "second", "third"] {
        send_raw(&uri, text).await;
    }
    world.settle().await;
    app.settle().await;
    assert_eq!(app.inbox(), ["third", "second", "first"]);
    let infos = seen
        .all()
        .iter()
        .filter(|l| l.starts_with("GET /api/server-info"))
        .count();
    assert_eq!(infos, 1 + 3, "login, then one per raw");
    assert_eq!(app.prompt(), None);
}

#[tokio::test]
async fn ask_to_pin_shows_one_popup_at_a_time_and_respects_show_again() {
    let world = World::start().await;
    let (app, _seen) = logged_in(&world, "ann").await;
    let uri = app.app().channel_uri().unwrap();
    send_raw(&uri, ASK_TO_PIN).await;
    send_raw(&uri, ASK_TO_PIN).await;
    send_raw(&uri, "AskToPin ").await; // not exactly: no popup
    world.settle().await;
    app.settle().await;
    assert_eq!(app.prompts_shown(), 1, "one popup at a time");
    assert!(app.prompt().unwrap().show_again);
    assert!(app.dismiss_prompt(true));
    send_raw(&uri, ASK_TO_PIN).await;
    world.settle().await;
    app.settle().await;
    assert_eq!(app.prompts_shown(), 2);
    assert!(app.dismiss_prompt(false));
    // The choice survives a restart.
    app.close();
    app.launch().await.unwrap();
    let uri = app.app().channel_uri().unwrap();
    send_raw(&uri, ASK_TO_PIN).await;
    world.settle().await;
    app.settle().await;
    assert_eq!(app.prompts_shown(), 2);
    assert_eq!(app.inbox(), [ASK_TO_PIN]);
    assert!(!app.dismiss_prompt(true), "nothing to dismiss");
}

#[tokio::test]
async fn turning_push_off_closes_the_channel_and_unregisters_the_escaped_user() {
    let world = World::start().await;
    let (app, seen) = logged_in(&world, "ann/lee").await;
    let uri = app.app().channel_uri().unwrap();
    app.set_settings(Settings::default()).await.unwrap();
    assert!(app.app().channel().is_none());
    assert_eq!(
        seen.all().last().unwrap(),
        "DELETE /api/registrations/ann/lee",
        "one path segment, decoded by the service"
    );
    assert!(send_raw(&uri, "late").await.contains("404"));
}

#[tokio::test]
async fn tile_off_unbinds_the_tile_and_test_now_posts_the_selected_number() {
    let world = World::start().await;
    let (app, seen) = logged_in(&world, "ann").await;
    app.set_settings(Settings {
        tile: false,
        ..Settings::all_on()
    })
    .await
    .unwrap();
    assert!(app.app().channel().unwrap().tile_binding.is_none());
    app.select_number(4).unwrap();
    assert_eq!(
        app.select_number(10),
        Err(AppError::NumberOutOfRange { number: 10 })
    );
    let image = app.test_now().await.unwrap();
    assert_eq!(image, "http://x/images/numbers/4.png");
    assert!(seen
        .all()
        .contains(&r#"POST /api/tile-update {"number":4,"user_name":"ann"}"#.to_owned()));
    assert!(app.app().tile(&TileKey::Primary).is_some());
}

#[tokio::test]
async fn the_app_reports_refusals_and_impossible_actions_clearly() {
    let world = World::start().await;
    let (url, _seen) = stand_in().await;
    let phone = world.add_phone("omnia", "7.1").unwrap();
    let app = PushPatterns::install(&phone, &url).unwrap();
    assert_eq!(
        app.login("ann").await,
        Err(AppError::NotRunning { action: "log in" })
    );
    app.launch().await.unwrap();
    assert_eq!(app.screen(), Screen::PushSettings);
    assert_eq!(app.login("  ").await, Err(AppError::BadUserName));
    app.set_settings(Settings::all_on()).await.unwrap();

    let refused = app.login("refused").await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "Register: the service answered 422: user_name \"refused\" is not allowed"
    );

    phone.set_connection(Connection::Disconnected);
    app.close();
    app.app().launch(); // the phone's own launch, without logging in
    assert_eq!(app.app().state(), AppState::Foreground);
    let _ = app.app().close_channel();
    assert_eq!(app.login("ann").await, Err(AppError::ChannelOpenFailed));
    assert_eq!(app.errors().len(), 4, "{:?}", app.errors());

    assert!(PushPatterns::install(&phone, "not a url").is_err());
}
