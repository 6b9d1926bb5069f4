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
