use std::sync::Arc;

use super::{Config, Core};
use crate::clock::Clock;
use crate::fake::answer::Connection;
use crate::fake::error::FakeError;
use crate::fake::model::{ChannelId, ChannelInfo, ChannelOptions, DeviceId, DeviceUpdate};

fn core() -> Arc<Core> {
    Core::new(
        Config {
            seed: Some(1),
            ..Config::default()
        },
        Clock::virtual_clock(),
    )
}

fn connection(core: &Core, id: ChannelId) -> Connection {
    core.device_view(id).unwrap().connection
}

fn token(info: &ChannelInfo) -> &str {
    info.uri.rsplit('/').next().unwrap()
}

#[test]
fn a_channel_without_a_device_name_gets_device_named_after_its_id() {
    let core = core();
    let first = core.create_channel(ChannelOptions::default()).unwrap();
    assert_eq!(first.device, DeviceId::from("device-1"));
    let joined = core
        .create_channel(ChannelOptions {
            device: Some("device-1".into()),
            app: Some("other".into()),
            ..ChannelOptions::default()
        })
        .unwrap();
    let alone = core.create_channel(ChannelOptions::default()).unwrap();
    assert_eq!(alone.device, DeviceId::from("device-3"));

    let off = DeviceUpdate::connection(Connection::Disconnected);
    core.update_device_by_id(&"device-1".into(), &off).unwrap();
    assert_eq!(connection(&core, first.id), Connection::Disconnected);
    assert_eq!(connection(&core, joined.id), Connection::Disconnected);
    assert_eq!(connection(&core, alone.id), Connection::Connected);
}

#[test]
fn a_device_named_before_its_default_channel_exists_is_the_one_the_channel_gets() {
    let core = core();
    let off = DeviceUpdate::connection(Connection::TempDisconnected);
    core.update_device_by_id(&"device-1".into(), &off).unwrap();
    // Not channel 1's name: a look-alike with a leading zero is a device of its own.
    core.update_device_by_id(&"device-02".into(), &off).unwrap();
    let first = core.create_channel(ChannelOptions::default()).unwrap();
    let second = core.create_channel(ChannelOptions::default()).unwrap();
    assert_eq!(connection(&core, first.id), Connection::TempDisconnected);
    assert_eq!(connection(&core, second.id), Connection::Connected);
}

#[test]
fn tokens_resolve_to_their_channel_until_rotated_and_after_a_reset() {
    let core = core();
    let a = core.create_channel(ChannelOptions::default()).unwrap();
    let b = core
        .create_channel(ChannelOptions {
            authenticated: true,
            ..ChannelOptions::default()
        })
        .unwrap();
    assert_eq!(core.resolve(token(&a), false).map(|r| r.id), Some(a.id));
    assert!(core.resolve(token(&a), true).is_none(), "wrong kind of URI");
    assert_eq!(core.resolve(token(&b), true).map(|r| r.id), Some(b.id));

    let rotated = core.rotate(a.id).unwrap();
    assert!(core.resolve(token(&a), false).is_none());
    assert_eq!(
        core.resolve(token(&rotated), false).map(|r| r.id),
        Some(a.id)
    );
    assert_eq!(core.resolve(token(&b), true).map(|r| r.id), Some(b.id));

    core.reset();
    assert!(core.resolve(token(&rotated), false).is_none());
    assert_eq!(core.channel_info(a.id), Err(FakeError::NoSuchChannel(a.id)));
    let c = core.create_channel(ChannelOptions::default()).unwrap();
    assert_eq!(c.id, ChannelId(3), "ids go on counting after a reset");
    assert_eq!(core.resolve(token(&c), false).map(|r| r.id), Some(c.id));
    assert_eq!(core.channel_ids(), vec![c.id]);
}

/// A refused request of `n` bytes of body, as the request path would record it.
fn refused(n: usize) -> crate::fake::record::RequestInfo {
    crate::fake::record::RequestInfo {
        method: axum::http::Method::POST,
        other_uri: None,
        data: bytes::Bytes::from(vec![b'x'; n]),
        lens: [n, 0, 0],
        truncated: None,
    }
}

#[test]
fn the_log_byte_budget_is_counted_exactly_and_given_back_on_clear_and_reset() {
    let core = Core::new(
        Config {
            log_bytes: 10_000,
            ..Config::default()
        },
        Clock::virtual_clock(),
    );
    let bare = crate::fake::answer::Answer::bare(400);
    let a = core.create_channel(ChannelOptions::default()).unwrap();
    let b = core.create_channel(ChannelOptions::default()).unwrap();
    let (ra, rb) = (
        core.resolve_id(a.id).unwrap(),
        core.resolve_id(b.id).unwrap(),
    );
    for _ in 0..20 {
        core.record_refused(Some(&ra), refused(1000), None, bare, None, vec![]);
    }
    let one = core.log_bytes_used() / core.notifications(Some(a.id)).unwrap().len();
    assert!(one > 1000, "a record costs its body and more: {one}");
    assert!(core.log_bytes_used() <= 10_000, "{}", core.log_bytes_used());
    let kept_a = core.notifications(Some(a.id)).unwrap().len();
    assert_eq!(kept_a, 10_000 / one);
    assert_eq!(
        core.records_dropped(Some(a.id)).unwrap(),
        20 - kept_a as u64
    );

    // Over the budget, another log drops its own oldest but keeps its newest.
    for _ in 0..3 {
        core.record_refused(Some(&rb), refused(1000), None, bare, None, vec![]);
        core.record_refused(None, refused(1000), None, bare, None, vec![]);
    }
    assert_eq!(core.notifications(Some(b.id)).unwrap().len(), 1);
    assert_eq!(core.records_dropped(Some(b.id)).unwrap(), 2);
    assert_eq!(
        core.records_dropped(None).unwrap(),
        20 - kept_a as u64 + 2 + 2
    );
    let held = core.notifications(None).unwrap().len();
    assert_eq!(core.log_bytes_used(), held * one);

    core.clear_notifications(Some(a.id)).unwrap();
    assert_eq!(core.records_dropped(Some(a.id)).unwrap(), 0);
    assert_eq!(
        core.log_bytes_used(),
        2 * one,
        "b's and the unrouted log's newest"
    );
    drop((ra, rb));
    core.reset();
    assert_eq!(
        core.log_bytes_used(),
        0,
        "a reset gives back every log's bytes"
    );
}

#[test]
fn channels_past_the_cap_or_with_overlong_names_are_refused_with_the_limit() {
    let core = Core::new(
        Config {
            max_channels: 2,
            ..Config::default()
        },
        Clock::virtual_clock(),
    );
    core.create_channel(ChannelOptions::default()).unwrap();
    core.create_channel(ChannelOptions::default()).unwrap();
    let e = core.create_channel(ChannelOptions::default()).unwrap_err();
    assert_eq!(e, FakeError::TooManyChannels { limit: 2 });
    assert!(e.to_string().contains("maximum of 2 channels"), "{e}");
    core.reset();
    core.create_channel(ChannelOptions::default()).unwrap();
    let e = core
        .create_channel(ChannelOptions {
            app: Some("a".repeat(257)),
            ..ChannelOptions::default()
        })
        .unwrap_err();
    assert_eq!(
        e,
        FakeError::Invalid("app is 257 bytes long; the limit is 256".into())
    );
}
