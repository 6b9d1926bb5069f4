//! The sender against a harness `World`: its fake WNS starts on the World's clock beside the
//! fake MPNS, its Windows devices render with the phones, and World time ages channels and
//! tokens.

use std::sync::Arc;
use std::time::Duration;

use mpns_harness::fake_wns::{Flow, Settings};
use mpns_harness::windows::{AppState, WindowsVersion};
use mpns_harness::{WindowsPc, World};
use wns::{
    Action, Badge, ChannelUri, Client, Credentials, Raw, Tile, TileBinding, TileSize, Toast,
};

use crate::support::FakeClock;

const APP: &str = "contoso.chat";

/// A World with one Windows device named `pc`, the app's channel on it, and a client for the app
/// trusting the fake's test CA; on the World's clock when `shared_clock`, else on the real one.
async fn world_with_pc(
    version: WindowsVersion,
    shared_clock: bool,
) -> (World, WindowsPc, ChannelUri, Client) {
    let world = World::start().await;
    let pc = world.add_windows_device("ann-pc", version).await.unwrap();
    let fake = world.fake_wns().await.unwrap();
    let app = fake.register_app(APP, Flow::Store).unwrap();
    let channel = pc.open_channel(APP).unwrap();
    let mut builder = Client::builder(
        Credentials::store(app.client_id, app.client_secret).with_token_url(app.token_url),
    )
    .allow_host(fake.addr().to_string())
    .add_root_certificate_pem(fake.ca_pem().unwrap().as_bytes());
    if shared_clock {
        builder = builder.clock(Arc::new(FakeClock::new(world.clock())));
    }
    let client = builder.build().unwrap();
    (world, pc, channel.uri.parse().unwrap(), client)
}

#[tokio::test]
async fn toast_badge_tile_and_raw_reach_a_windows_device_in_a_world_and_render_beside_a_phone() {
    let (world, pc, channel, client) = world_with_pc(WindowsVersion::Windows10, true).await;
    world.add_phone("lumia", "8.0").unwrap();
    let clash = world
        .add_windows_device("lumia", WindowsVersion::Windows11)
        .await;
    assert!(
        clash.unwrap_err().to_string().contains("\"lumia\""),
        "names are one namespace"
    );
    assert_eq!(world.windows_devices().len(), 1);
    // In the foreground, the app takes the raw itself (and Windows shows no banner).
    pc.with(|d, _| d.set_app_state(APP, AppState::Foreground));

    let toast = Toast::new()
        .text("Ann")
        .text("Lunch at 1?")
        .build()
        .unwrap();
    let badge = Badge::number(7).build().unwrap();
    let tile = Tile::new()
        .binding(TileBinding::new(TileSize::Medium).text("Lunch"))
        .build()
        .unwrap();
    let raw = Raw::new(&b"sync:42"[..]).build().unwrap();
    for n in [&toast, &badge, &tile, &raw] {
        let outcome = client.send(&channel, n).await.unwrap();
        assert!(outcome.is_received(), "{outcome:?}");
    }
    world.settle().await;

    let text = world.render_text();
    assert!(
        text.contains("Notification center:\n  [contoso.chat] Ann — Lunch at 1?"),
        "{text}"
    );
    assert!(text.contains("Badges: contoso.chat=7"), "{text}");
    assert!(text.contains("[contoso.chat] TileMedium: Lunch"), "{text}");
    assert!(text.contains("\"lumia\""), "the phone renders too: {text}");
    let (to_app, to_task) = pc.with(|d, _| {
        let (a, t) = d.raw_received(APP);
        (a.iter().map(|b| b.to_vec()).collect::<Vec<_>>(), t.len())
    });
    assert_eq!(to_app, [b"sync:42".to_vec()]);
    assert_eq!(to_task, 0);
    let fake = world.fake_wns().await.unwrap();
    assert!(
        fake.records().iter().all(|r| r.lint.is_empty()),
        "the sender's requests lint clean"
    );
    assert!(pc.render_svg().starts_with("<svg"), "{}", pc.render_svg());
}

#[tokio::test]
async fn after_30_days_of_world_time_the_channel_answers_410_and_the_action_is_to_forget_it() {
    let (world, pc, channel, client) = world_with_pc(WindowsVersion::Windows11, true).await;
    let toast = Toast::new().text("day one").build().unwrap();
    assert!(client.send(&channel, &toast).await.unwrap().is_received());

    world
        .advance(Duration::from_secs(30 * 24 * 3600 - 60))
        .await;
    assert!(
        client.send(&channel, &toast).await.unwrap().is_received(),
        "a minute short of 30 days the channel still takes notifications"
    );
    world.advance(Duration::from_secs(60)).await;
    let outcome = client
        .send(&channel, &Toast::new().text("day thirty").build().unwrap())
        .await
        .unwrap();
    assert_eq!(outcome.status, 410, "{outcome:?}");
    assert_eq!(outcome.action(), Action::ForgetChannel);
    let text = pc.render_text();
    assert!(!text.contains("day thirty"), "{text}");

    // The app asks again and gets a fresh channel that works.
    let fresh: ChannelUri = pc.open_channel(APP).unwrap().uri.parse().unwrap();
    assert_ne!(fresh, channel);
    assert!(client.send(&fresh, &toast).await.unwrap().is_received());
}

#[tokio::test]
async fn a_token_that_expires_mid_run_on_world_time_is_refreshed_once_for_concurrent_sends() {
    // The sender on the real clock: its token looks fresh to it; the World's clock ages it.
    let (world, _pc, channel, client) = world_with_pc(WindowsVersion::Windows11, false).await;
    let fake = world.fake_wns().await.unwrap();
    fake.set_settings(Settings {
        token_lifetime_secs: 3600,
        ..Settings::default()
    })
    .unwrap();
    let toast = Toast::new().text("before").build().unwrap();
    assert!(client.send(&channel, &toast).await.unwrap().is_received());
    assert_eq!(client.token_fetches(), 1);

    world.advance(Duration::from_secs(3601)).await;
    let toast = Toast::new().text("after").build().unwrap();
    let sends = (0..8).map(|_| client.send(&channel, &toast));
    for outcome in futures_util::future::join_all(sends).await {
        assert!(outcome.unwrap().is_received());
    }
    assert_eq!(client.token_fetches(), 2, "one refresh for all eight sends");
    let statuses: Vec<u16> = fake.records().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        9,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 200 | 401)),
        "{statuses:?}"
    );
}
