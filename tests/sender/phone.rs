//! End to end: the real `mpns::Client` sends every kind of notification over HTTP to channel URIs
//! that emulated phones got from a fake MPNS, and the tests assert what each phone then shows.
//! The two crates share no code, so a mistake on one side is caught by the other.

use std::time::Duration;

use mpns::{
    Action, ChannelUri, Client, CycleTile, FlipTile, IconicTile, NotificationClass,
    NotificationStatus, Raw, SubscriptionStatus, Tile, Toast,
};
use mpns_harness::phone::{AppState, PhoneEvent, TileKey};
use mpns_harness::protocol::Template;
use mpns_harness::{App, World};

fn snapshot(name: &str, text: &str) {
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!(name, text);
    });
}

fn channel(app: &App) -> ChannelUri {
    app.channel_uri()
        .expect("the app has an open channel")
        .parse()
        .expect("the fake's channel URI parses as a ChannelUri")
}

/// A World with two phones:
/// - "lumia" (8.0), app "weather": primary FlipTile, secondary IconicTile `/Stocks.xaml`,
///   secondary CycleTile `/Photos.xaml`; bound to toast and tile; in the background;
///   app "ticker": in the foreground, channel not bound (raw only);
/// - "omnia" (7.1), app "classic": primary standard tile, bound to tile, not running.
async fn world() -> (World, App, App, App) {
    let world = World::start().await;
    let lumia = world.add_phone("lumia", "8.0").unwrap();
    let weather = lumia.install("weather").unwrap();
    weather
        .pin_primary(Template::FlipTile, &[("Title", "Weather")])
        .unwrap();
    weather
        .pin_secondary("/Stocks.xaml", Template::IconicTile, &[("Title", "Stocks")])
        .unwrap();
    weather
        .pin_secondary("/Photos.xaml", Template::CycleTile, &[("Title", "Photos")])
        .unwrap();
    weather.launch();
    weather.open_channel("weather").unwrap();
    weather.bind_toast().unwrap();
    weather.bind_tile().unwrap();
    let ticker = lumia.install("ticker").unwrap();
    ticker.launch();
    ticker.open_channel("ticks").unwrap();
    assert_eq!(weather.state(), AppState::Background);

    let omnia = world.add_phone("omnia", "7.1").unwrap();
    let classic = omnia.install("classic").unwrap();
    classic
        .pin_primary(Template::Standard, &[("Title", "Classic")])
        .unwrap();
    classic.launch();
    classic.open_channel("c").unwrap();
    classic.bind_tile().unwrap();
    classic.close();
    (world, weather, ticker, classic)
}

#[tokio::test]
async fn every_kind_sent_with_the_mpns_client_shows_on_the_phones() {
    let (world, weather, ticker, classic) = world().await;
    let client = Client::new();
    let w = channel(&weather);
    let messages = [
        FlipTile::new()
            .count(3)
            .title("Oslo")
            .back_title("Tomorrow")
            .back_content("Sunny & 21°")
            .build()
            .unwrap(),
        IconicTile::new()
            .id("/Stocks.xaml")
            .count(12)
            .wide_content1("MSFT 31.20")
            .wide_content2("AAPL 525.10")
            .background_color("#FF008A00")
            .build()
            .unwrap(),
        CycleTile::new()
            .id("/Photos.xaml")
            .images(["/Assets/a.jpg", "isostore:/Shared/ShellContent/b.jpg"])
            .count(2)
            .build()
            .unwrap(),
        Toast::new()
            .text1("Rain")
            .text2("from 5 pm <heavy>")
            .param("/City.xaml?name=Oslo&day=1")
            .build()
            .unwrap(),
    ];
    for m in &messages {
        let outcome = client.send(&w, m).await.unwrap();
        assert_eq!(outcome.status, 200, "{outcome:?}");
        assert_eq!(outcome.notification, Some(NotificationStatus::Received));
        assert_eq!(outcome.action(), Action::Delivered);
    }
    let raw = Raw::new(&b"<tick sym=\"MSFT\">31.20</tick>"[..])
        .build()
        .unwrap();
    let outcome = client.send(&channel(&ticker), &raw).await.unwrap();
    assert_eq!(outcome.action(), Action::Delivered);
    let standard = Tile::new()
        .count(99)
        .title("Classic")
        .back_content("Back side")
        .build()
        .unwrap();
    let outcome = client.send(&channel(&classic), &standard).await.unwrap();
    assert_eq!(outcome.action(), Action::Delivered);
    world.settle().await;

    let flip = weather.tile(&TileKey::Primary).unwrap();
    assert_eq!(flip.badge(), Some(3));
    assert_eq!(flip.title(), Some("Oslo"));
    assert_eq!(flip.get("BackContent"), Some("Sunny & 21°"));
    let iconic = weather
        .tile(&TileKey::Secondary("/Stocks.xaml".into()))
        .unwrap();
    assert_eq!(iconic.badge(), Some(12));
    assert_eq!(iconic.get("BackgroundColor"), Some("#FF008A00"));
    let cycle = weather
        .tile(&TileKey::Secondary("/Photos.xaml".into()))
        .unwrap();
    assert_eq!(
        cycle.get("CycleImage2"),
        Some("isostore:/Shared/ShellContent/b.jpg")
    );
    let toast = &weather.toasts()[0];
    assert_eq!(toast.text2, "from 5 pm <heavy>", "escaped once, read once");
    assert_eq!(toast.param.as_deref(), Some("/City.xaml?name=Oslo&day=1"));
    let inbox = ticker.raw_inbox();
    assert_eq!(inbox[0].body.as_ref(), b"<tick sym=\"MSFT\">31.20</tick>");
    assert_eq!(
        classic.tile(&TileKey::Primary).unwrap().badge(),
        Some(99),
        "the standard tile shows the count sent"
    );
    snapshot("e2e_phone_every_kind", &world.render_text());
}

#[tokio::test]
async fn a_toast_tapped_on_the_phone_launches_the_app_at_its_param() {
    let (world, weather, ticker, _) = world().await;
    let toast = Toast::new()
        .text1("Score")
        .text2("2-1")
        .param("/Match.xaml?id=42&team=home")
        .build()
        .unwrap();
    let outcome = Client::new()
        .send(&channel(&weather), &toast)
        .await
        .unwrap();
    assert_eq!(outcome.action(), Action::Delivered);
    world.settle().await;
    let target = weather.tap_toast(0).unwrap();
    assert_eq!(target.page, "/Match.xaml");
    assert_eq!(target.get("id"), Some("42"));
    assert_eq!(target.get("team"), Some("home"));
    assert_eq!(weather.state(), AppState::Foreground);
    assert_eq!(weather.launched_at(), Some(target));
    assert_eq!(ticker.state(), AppState::Background);

    // Now in the foreground: the next toast raises the event instead of the tray.
    let toast = Toast::new().text1("Score").text2("3-1").build().unwrap();
    Client::new()
        .send(&channel(&weather), &toast)
        .await
        .unwrap();
    world.settle().await;
    assert_eq!(weather.toasts().len(), 1);
    let e = weather
        .phone()
        .wait_for(|e| matches!(e, PhoneEvent::ShellToastNotificationReceived { .. }))
        .await;
    assert_eq!(e.app(), "weather");
}

#[tokio::test]
async fn a_closed_channel_answers_404_expired_and_the_client_says_remove_it() {
    let (world, weather, _, _) = world().await;
    let uri = channel(&weather);
    weather.launch();
    weather.close_channel().unwrap();
    let toast = Toast::new().text1("Gone").build().unwrap();
    let outcome = Client::new().send(&uri, &toast).await.unwrap();
    assert_eq!(outcome.status, 404);
    assert_eq!(outcome.subscription, Some(SubscriptionStatus::Expired));
    assert_eq!(outcome.action(), Action::RemoveChannel);
    world.settle().await;
    assert!(weather.toasts().is_empty());
}

#[tokio::test]
async fn an_expired_subscription_answers_404_too() {
    let (world, weather, _, _) = world().await;
    let id = weather.channel().unwrap().id;
    world
        .fake()
        .update_device(
            id,
            &mpns_harness::fake::DeviceUpdate {
                subscription: Some(mpns_harness::fake::Subscription::Expired),
                ..Default::default()
            },
        )
        .unwrap();
    let tile = FlipTile::new().count(1).build().unwrap();
    let outcome = Client::new().send(&channel(&weather), &tile).await.unwrap();
    assert_eq!(outcome.action(), Action::RemoveChannel);
}

#[tokio::test]
async fn a_tile_for_a_tile_that_is_not_pinned_is_suppressed() {
    let (world, weather, _, _) = world().await;
    let tile = FlipTile::new()
        .id("/NotPinned.xaml")
        .count(5)
        .build()
        .unwrap();
    let outcome = Client::new().send(&channel(&weather), &tile).await.unwrap();
    assert_eq!(outcome.status, 200);
    assert_eq!(outcome.notification, Some(NotificationStatus::Suppressed));
    assert_eq!(outcome.action(), Action::Suppressed);
    world.settle().await;
    assert!(weather.deliveries().is_empty(), "nothing reached the phone");
    // Unpinning the primary tile makes its updates Suppressed too.
    assert!(weather.unpin(&TileKey::Primary));
    let tile = FlipTile::new().count(5).build().unwrap();
    let outcome = Client::new().send(&channel(&weather), &tile).await.unwrap();
    assert_eq!(outcome.action(), Action::Suppressed);
}

#[tokio::test]
async fn a_batched_tile_from_the_client_lands_when_the_world_clock_passes_900_seconds() {
    let (world, weather, _, _) = world().await;
    let tile = FlipTile::new()
        .count(9)
        .class(NotificationClass::Within900s)
        .build()
        .unwrap();
    let outcome = Client::new().send(&channel(&weather), &tile).await.unwrap();
    assert_eq!(outcome.action(), Action::Delivered);
    world.advance(Duration::from_secs(899)).await;
    assert_eq!(weather.tile(&TileKey::Primary).unwrap().badge(), None);
    world.advance(Duration::from_secs(1)).await;
    assert_eq!(weather.tile(&TileKey::Primary).unwrap().badge(), Some(9));
}
