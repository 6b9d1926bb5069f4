//! A phone's event log and streams, and what the phone does when it falls behind the fake.

use std::time::Duration;

use crate::support::phone::*;
use crate::support::xml::toast_xml;
use mpns_harness::fake::Connection;
use mpns_harness::phone::{ChannelError, PhoneEvent, PowerLevel, RateLimit};
use mpns_harness::{FakeMpns, World};

#[tokio::test]
async fn a_stream_made_now_skips_earlier_events_and_one_from_the_start_sees_them_all() {
    let (_world, phone, app) = ready("8.0").await;
    let mut now = phone.events();
    assert_eq!(now.try_next(), None);
    phone.set_power(PowerLevel::Low);
    let e = now.try_next().unwrap();
    assert_eq!(
        e.error(),
        Some(ChannelError::PowerLevelChanged {
            level: PowerLevel::Low
        })
    );
    let all: Vec<_> = phone.events_from_start().drain();
    assert_eq!(all.len(), 2);
    assert!(matches!(&all[0], PhoneEvent::ChannelUriUpdated { app: a, .. } if a == app.name()));
    assert_eq!(all[1], e);
    assert_eq!(phone.all_events(), all);
}

#[tokio::test]
async fn the_phones_own_stream_is_consumed_by_next_event_take_events_and_wait_for() {
    let (_world, phone, _app) = ready("8.0").await;
    assert!(matches!(
        phone.next_event().await,
        PhoneEvent::ChannelUriUpdated { .. }
    ));
    assert!(phone.take_events().is_empty());
    phone.set_connection(Connection::TempDisconnected);
    phone.set_power(PowerLevel::CriticalLow);
    phone.set_connection(Connection::Connected);
    let e = phone.wait_for(|e| e.error().is_some()).await;
    assert_eq!(
        e.error(),
        Some(ChannelError::PowerLevelChanged {
            level: PowerLevel::CriticalLow
        })
    );
    let rest = phone.take_events();
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert!(matches!(
        rest[0],
        PhoneEvent::ConnectionStatusChanged { .. }
    ));
}

#[tokio::test]
async fn a_phone_without_open_channels_raises_no_events() {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    phone.install("weather").unwrap().launch();
    phone.set_power(PowerLevel::Low);
    phone.set_connection(Connection::Inactive);
    world.settle().await;
    assert!(phone.all_events().is_empty());
    assert_eq!(phone.connection(), Connection::Inactive);
}

#[tokio::test]
async fn a_phone_more_than_1024_deliveries_behind_counts_the_ones_it_lost() {
    let world = World::start_with(FakeMpns::builder().queue_capacity(2000).daily_limit(5000)).await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    phone.set_rate_limit(RateLimit {
        max: 10_000,
        per: Duration::from_secs(60),
    });
    let app = phone.install("weather").unwrap();
    app.launch();
    app.open_channel("push").unwrap();
    app.bind_toast().unwrap();
    app.send_to_background().unwrap();
    let uri = uri(&app);
    let body = toast_xml("batched", "x", None);
    for _ in 0..1100 {
        assert_eq!(
            send(&uri, Some("toast"), 12, &body).await,
            "200 Received Connected Active"
        );
    }
    // All 1100 become due at the same instant and are handed over at once.
    world.advance(Duration::from_secs(450)).await;
    assert_eq!(phone.lost_deliveries(), 76);
    assert_eq!(app.toasts().len(), 1024);
    assert!(phone.render_text().contains("lost deliveries: 76"));
}
