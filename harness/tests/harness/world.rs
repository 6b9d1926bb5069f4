//! The World: many start at once, each on its own ports and clock; `advance` and `settle`
//! return only once the phones have applied what became due, remote image downloads included.

use std::time::{Duration, Instant};

use crate::support::phone::*;
use crate::support::wait::within;
use crate::support::xml::flip_xml;
use axum::routing::get;
use mpns_harness::phone::{Outcome, TileKey};
use mpns_harness::protocol::Template;
use mpns_harness::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_worlds_start_concurrently_and_stay_apart() {
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..20 {
        tasks.push(tokio::spawn(async move {
            let world = World::start().await;
            let phone = world.add_phone("lumia", "8.0").unwrap();
            let app = phone.install("weather").unwrap();
            app.launch();
            app.open_channel("push").unwrap();
            app.bind_toast().unwrap();
            app.send_to_background().unwrap();
            let answer = send_toast(&uri(&app), &format!("world {i}"), "x", None).await;
            world.settle().await;
            (world, app, answer)
        }));
    }
    let mut worlds = Vec::new();
    for t in tasks {
        worlds.push(within("a world to start and deliver", t).await.unwrap());
    }
    let all = t0.elapsed();
    let slowest = worlds.iter().map(|(w, _, _)| w.started_in()).max().unwrap();
    println!(
        "20 worlds: each started in at most {:.1} ms; all started, used and settled in {:.1} ms",
        slowest.as_secs_f64() * 1000.0,
        all.as_secs_f64() * 1000.0
    );
    let mut uris: Vec<_> = worlds
        .iter()
        .map(|(w, _, _)| w.fake().uri().to_owned())
        .collect();
    uris.sort();
    uris.dedup();
    assert_eq!(uris.len(), 20, "each World has its own port");
    // Start time is a benchmark figure (the bench command measures it), never a test verdict.
    for (i, (world, app, answer)) in worlds.iter().enumerate() {
        assert_eq!(answer, "200 Received Connected Active");
        let texts: Vec<_> = app.toasts().into_iter().map(|t| t.text1).collect();
        assert_eq!(texts, [format!("world {i}")], "only its own World's toast");
        assert_eq!(world.fake().notifications(None).unwrap().len(), 1);
    }
}

#[tokio::test]
async fn advance_returns_once_every_phone_applied_the_batched_deliveries() {
    let world = World::start().await;
    let mut apps = Vec::new();
    for name in ["a", "b", "c"] {
        let phone = world.add_phone(name, "8.0").unwrap();
        let app = phone.install("weather").unwrap();
        app.pin_primary(Template::FlipTile, &[]).unwrap();
        app.launch();
        app.open_channel("push").unwrap();
        app.bind_tile().unwrap();
        apps.push(app);
    }
    for (i, app) in apps.iter().enumerate() {
        let class = [11, 21, 1][i];
        let count = (i + 1).to_string();
        let body = flip_xml(&[("Count", Some(&count))]);
        assert_eq!(
            send(&uri(app), Some("token"), class, &body).await,
            "200 Received Connected Active"
        );
    }
    world.settle().await;
    let badges = |apps: &[mpns_harness::App]| -> Vec<Option<u8>> {
        apps.iter()
            .map(|a| a.tile(&TileKey::Primary).unwrap().badge())
            .collect()
    };
    assert_eq!(badges(&apps), [None, None, Some(3)]);
    world.advance(Duration::from_secs(450)).await;
    assert_eq!(badges(&apps), [Some(1), None, Some(3)]);
    world.advance(Duration::from_secs(450)).await;
    assert_eq!(badges(&apps), [Some(1), Some(2), Some(3)]);
    assert_eq!(world.now(), Duration::from_secs(900));
}

/// An image server on a loopback port: `/ok.png` answers at once, `/hang.png` never does,
/// `/big.png` is one byte over 80 KB.
async fn image_server() -> String {
    let app = axum::Router::new()
        .route(
            "/tiles/ok.png",
            // The PNG signature: the phone checks that an image is a PNG or a JPEG.
            get(|| async { vec![0x89u8, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'] }),
        )
        .route(
            "/tiles/big.png",
            get(|| async {
                let mut png = vec![0x89u8, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
                png.resize(80 * 1024 + 1, 0);
                png
            }),
        )
        .route(
            "/tiles/hang.png",
            get(|| async { std::future::pending::<&'static str>().await }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn settle_waits_for_a_remote_image_and_the_tile_shows_it() {
    let base = image_server().await;
    let (world, _phone, app) = ready("8.0").await;
    app.launch();
    app.unbind_tile().unwrap();
    app.bind_tile_with([format!("{base}/tiles/")]).unwrap();
    let image = format!("{base}/tiles/ok.png");
    let body = flip_xml(&[("BackgroundImage", Some(&image)), ("Count", Some("2"))]);
    assert_eq!(
        send_tile(&uri(&app), &body).await,
        "200 Received Connected Active"
    );
    world.settle().await;
    let tile = app.tile(&TileKey::Primary).unwrap();
    assert_eq!(tile.get("BackgroundImage"), Some(image.as_str()));
    assert_eq!(tile.badge(), Some(2));
    let outcomes: Vec<_> = app.deliveries().into_iter().map(|d| d.outcome).collect();
    assert!(
        matches!(outcomes[0], Outcome::TileWaiting { images: 1, .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], Outcome::ImagesApplied { .. }),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn an_image_server_that_never_answers_times_out_after_15_clock_seconds_and_the_tile_stays() {
    let base = image_server().await;
    let (world, _phone, app) = ready("8.0").await;
    app.launch();
    app.unbind_tile().unwrap();
    app.bind_tile_with([format!("{base}/tiles/")]).unwrap();
    let image = format!("{base}/tiles/hang.png");
    let body = flip_xml(&[("BackgroundImage", Some(&image)), ("Count", Some("2"))]);
    send_tile(&uri(&app), &body).await;
    // Not settle: the download is open until the clock passes 15 s.
    world.advance(Duration::from_secs(15)).await;
    let tile = app.tile(&TileKey::Primary).unwrap();
    assert_eq!(tile.get("BackgroundImage"), None);
    assert_eq!(tile.badge(), None, "the whole update was dropped");
    let last = app.deliveries().pop().unwrap();
    assert!(
        matches!(last.outcome, Outcome::ImageFailed { .. }),
        "expected a failed image, got {:?}",
        last.outcome
    );
    assert_eq!(world.now(), Duration::from_secs(15));
}

#[tokio::test]
async fn an_image_over_80_kb_is_refused_and_the_whole_tile_update_is_dropped() {
    let base = image_server().await;
    let (world, _phone, app) = ready("8.0").await;
    app.launch();
    app.unbind_tile().unwrap();
    app.bind_tile_with([format!("{base}/tiles/")]).unwrap();
    let image = format!("{base}/tiles/big.png");
    let body = flip_xml(&[("BackgroundImage", Some(&image)), ("Count", Some("2"))]);
    send_tile(&uri(&app), &body).await;
    world.settle().await;
    let tile = app.tile(&TileKey::Primary).unwrap();
    assert_eq!(tile.get("BackgroundImage"), None);
    assert_eq!(tile.badge(), None, "the whole update was dropped");
    let last = app.deliveries().pop().unwrap();
    match last.outcome {
        Outcome::ImageFailed { reason, .. } => {
            assert!(
                reason.contains("over the 80 KB limit"),
                "the reason names the limit: {reason}"
            )
        }
        other => panic!("expected a failed image, got {other:?}"),
    }
}
