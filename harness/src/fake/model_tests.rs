//! Model-based property test: random sequences of device changes, sends and clock moves give
//! the same answers and the same deliveries from the fake's core as from a small reference
//! model written straight from docs/mpns-protocol.md §3 (status table), §4 (daily limit), §6.3 (power),
//! §7 (connection states) and §2 (batching).

use std::time::Duration;

use proptest::prelude::*;

use super::answer::{Answer, Connection, NotificationStatus as N, Power, Subscription};
use super::engine::{Config, Core};
use super::model::{ChannelId, ChannelOptions, DeviceId, DeviceUpdate};
use super::record::RequestInfo;
use crate::clock::Clock;
use crate::protocol::{Batching, Content, Inspected, Target, Template, TileContent, ToastContent};

const LIMIT: u32 = 3;
const CAPACITY: usize = 2;
const DAY: u64 = 86_400;
const SECONDARY: &str = "/City.xaml?id=1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Toast,
    PrimaryTile,
    SecondaryTile,
    Raw,
}

#[derive(Debug, Clone)]
enum Op {
    Send {
        channel: usize,
        kind: Kind,
        batching: Batching,
    },
    Connection(usize, Connection),
    Power(usize, Power),
    Subscription(usize, Subscription),
    BoundTile(usize, bool),
    BoundToast(usize, bool),
    AppRunning(usize, bool),
    PrimaryPinned(usize, bool),
    SecondaryPinned(usize, bool),
    Capacity(usize, usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let ch = 0..3usize;
    let kind = prop_oneof![
        Just(Kind::Toast),
        Just(Kind::PrimaryTile),
        Just(Kind::SecondaryTile),
        Just(Kind::Raw)
    ];
    let batching = prop_oneof![
        Just(Batching::Immediate),
        Just(Batching::Within450s),
        Just(Batching::Within900s)
    ];
    let conn = prop_oneof![
        3 => Just(Connection::Connected),
        2 => Just(Connection::TempDisconnected),
        1 => Just(Connection::Disconnected),
        1 => Just(Connection::Inactive)
    ];
    let power = prop_oneof![
        3 => Just(Power::Normal),
        1 => Just(Power::Low),
        1 => Just(Power::CriticalLow)
    ];
    let sub = prop_oneof![4 => Just(Subscription::Active), 1 => Just(Subscription::Expired)];
    prop_oneof![
        8 => (ch.clone(), kind, batching).prop_map(|(channel, kind, batching)| Op::Send { channel, kind, batching }),
        2 => (ch.clone(), conn).prop_map(|(c, x)| Op::Connection(c, x)),
        1 => (ch.clone(), power).prop_map(|(c, x)| Op::Power(c, x)),
        1 => (ch.clone(), sub).prop_map(|(c, x)| Op::Subscription(c, x)),
        1 => (ch.clone(), any::<bool>()).prop_map(|(c, x)| Op::BoundTile(c, x)),
        1 => (ch.clone(), any::<bool>()).prop_map(|(c, x)| Op::BoundToast(c, x)),
        1 => (ch.clone(), any::<bool>()).prop_map(|(c, x)| Op::AppRunning(c, x)),
        1 => (ch.clone(), any::<bool>()).prop_map(|(c, x)| Op::PrimaryPinned(c, x)),
        1 => (ch.clone(), any::<bool>()).prop_map(|(c, x)| Op::SecondaryPinned(c, x)),
        1 => (ch.clone(), 0..4usize).prop_map(|(c, x)| Op::Capacity(c, x)),
        2 => prop_oneof![Just(100u64), Just(449), Just(450), Just(900), Just(3_600), Just(DAY)].prop_map(Op::Advance),
    ]
}

/// The reference model. Channels 0 and 1 share device 0 (two apps); channel 2 is an
/// authenticated channel on device 1 whose sender has no certificate.
#[derive(Debug, Clone)]
struct MChannel {
    device: usize,
    authenticated: bool,
    subscription: Subscription,
    bound_tile: bool,
    bound_toast: bool,
    app_running: bool,
    primary: bool,
    secondary: bool,
    sent: u32,
    day_start: u64,
}

#[derive(Debug, Clone)]
struct MDevice {
    connection: Connection,
    power: Power,
    capacity: usize,
    /// (seq, channel, due, is_raw), in arrival order.
    queue: Vec<(u64, usize, u64, bool)>,
}

#[derive(Debug, Clone)]
struct Model {
    now: u64,
    seq: u64,
    channels: Vec<MChannel>,
    devices: Vec<MDevice>,
    /// (channel, seq, at) in delivery order, per device.
    delivered: Vec<Vec<(usize, u64, u64)>>,
}

impl Model {
    fn new() -> Self {
        let ch = |device, authenticated| MChannel {
            device,
            authenticated,
            subscription: Subscription::Active,
            bound_tile: true,
            bound_toast: true,
            app_running: true,
            primary: true,
            secondary: false,
            sent: 0,
            day_start: 0,
        };
        let dev = || MDevice {
            connection: Connection::Connected,
            power: Power::Normal,
            capacity: CAPACITY,
            queue: Vec::new(),
        };
        Model {
            now: 0,
            seq: 0,
            channels: vec![ch(0, false), ch(0, false), ch(1, true)],
            devices: vec![dev(), dev()],
            delivered: vec![Vec::new(), Vec::new()],
        }
    }

    /// docs/mpns-protocol.md §7: a connected device gets what is due, in arrival order; a raw notification
    /// to an app that is not running is discarded (§6.4), as is anything for an expired channel.
    fn pump(&mut self, d: usize) {
        if self.devices[d].connection != Connection::Connected {
            return;
        }
        let now = self.now;
        let (due, rest): (Vec<_>, Vec<_>) = self.devices[d].queue.iter().partition(|q| q.2 <= now);
        self.devices[d].queue = rest;
        for (seq, ch, _, is_raw) in due {
            let c = &self.channels[ch];
            if c.subscription == Subscription::Active && (!is_raw || c.app_running) {
                self.delivered[d].push((ch, seq, now));
            }
        }
    }

    fn advance(&mut self, by: u64) {
        let target = self.now + by;
        let mut dues: Vec<u64> = self
            .devices
            .iter()
            .flat_map(|d| d.queue.iter().map(|q| q.2))
            .filter(|&t| t > self.now && t <= target)
            .collect();
        dues.sort_unstable();
        dues.dedup();
        for t in dues {
            self.now = t;
            for d in 0..self.devices.len() {
                self.pump(d);
            }
        }
        self.now = target;
    }

    fn send(&mut self, ch: usize, kind: Kind, batching: Batching) -> Answer {
        use Connection::*;
        self.seq += 1;
        let now = self.now;
        let c = &mut self.channels[ch];
        let d = &mut self.devices[c.device];
        let full = |status, n, dev, sub| Answer {
            status,
            notification: Some(n),
            device: Some(dev),
            subscription: sub,
        };
        if c.subscription == Subscription::Expired {
            let dev = if d.connection == Inactive {
                Disconnected
            } else {
                d.connection
            };
            return full(404, N::Dropped, dev, Some(Subscription::Expired));
        }
        if c.authenticated {
            return Answer::bare(401);
        }
        if matches!(d.connection, Disconnected | Inactive) {
            return full(412, N::Dropped, d.connection, None);
        }
        if now - c.day_start >= DAY {
            c.day_start = now;
            c.sent = 0;
        }
        let active = Some(Subscription::Active);
        if c.sent >= LIMIT {
            return full(406, N::Dropped, d.connection, active);
        }
        c.sent += 1;
        let suppressed = match kind {
            Kind::Toast => !c.bound_toast || d.power != Power::Normal,
            Kind::PrimaryTile => !c.bound_tile || !c.primary || d.power != Power::Normal,
            Kind::SecondaryTile => !c.bound_tile || !c.secondary || d.power != Power::Normal,
            Kind::Raw => d.power == Power::CriticalLow || !c.app_running,
        };
        if suppressed {
            return full(200, N::Suppressed, d.connection, active);
        }
        if d.queue.len() >= d.capacity {
            return full(200, N::QueueFull, d.connection, active);
        }
        let delay = match batching {
            Batching::Immediate => 0,
            Batching::Within450s => 450,
            Batching::Within900s => 900,
        };
        d.queue.push((self.seq, ch, now + delay, kind == Kind::Raw));
        let connection = d.connection;
        let device = c.device;
        self.pump(device);
        full(200, N::Received, connection, active)
    }
}

fn inspected(kind: Kind, batching: Batching) -> Inspected {
    let tile = |id: Option<&str>| {
        Content::Tile(TileContent {
            id: id.map(str::to_owned),
            template: Template::Standard,
            version2: false,
            properties: Vec::new(),
        })
    };
    let (target, content) = match kind {
        Kind::Toast => (Target::Toast, Content::Toast(ToastContent::default())),
        Kind::PrimaryTile => (Target::Tile, tile(None)),
        Kind::SecondaryTile => (Target::Tile, tile(Some(SECONDARY))),
        Kind::Raw => (
            Target::Raw,
            Content::Raw {
                body: bytes::Bytes::from_static(b"r"),
            },
        ),
    };
    Inspected {
        target,
        batching,
        message_id: None,
        content,
        diagnostics: Vec::new(),
    }
}

fn info() -> RequestInfo {
    RequestInfo {
        method: axum::http::Method::POST,
        other_uri: None,
        data: bytes::Bytes::new(),
        lens: [0; 3],
        truncated: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_core_answers_and_delivers_like_the_reference_model(ops in prop::collection::vec(op(), 1..60)) {
        let clock = Clock::virtual_clock();
        let core = Core::new(
            Config { daily_limit: LIMIT, queue_capacity: CAPACITY, seed: Some(1), ..Config::default() },
            clock.clone(),
        );
        let devices = [DeviceId::from("d0"), DeviceId::from("d1")];
        let mut sinks: Vec<_> = devices.iter().map(|d| core.subscribe_device(d)).collect();
        let mut ids: Vec<ChannelId> = Vec::new();
        for (device, app, authenticated) in [(0, "a", false), (0, "b", false), (1, "c", true)] {
            let info = core.create_channel(ChannelOptions {
                device: Some(devices[device].clone()),
                app: Some(app.into()),
                authenticated,
                ..ChannelOptions::default()
            }).unwrap();
            ids.push(info.id);
        }
        let mut model = Model::new();
        let mut got: Vec<Vec<(usize, u64, u64)>> = vec![Vec::new(), Vec::new()];
        for (step, op) in ops.iter().enumerate() {
            let set = |ch: usize, u: DeviceUpdate| { core.update_device(ids[ch], &u).unwrap(); };
            match op.clone() {
                Op::Send { channel, kind, batching } => {
                    let cref = core.resolve_id(ids[channel]);
                    let real = core.receive(cref.as_ref(), inspected(kind, batching), None, info());
                    let expected = model.send(channel, kind, batching);
                    prop_assert_eq!(real, expected, "step {} {:?}", step, op);
                }
                Op::Connection(c, x) => {
                    set(c, DeviceUpdate { connection: Some(x), ..Default::default() });
                    let d = model.channels[c].device;
                    model.devices[d].connection = x;
                }
                Op::Power(c, x) => {
                    set(c, DeviceUpdate { power: Some(x), ..Default::default() });
                    let d = model.channels[c].device;
                    model.devices[d].power = x;
                }
                Op::Capacity(c, x) => {
                    set(c, DeviceUpdate { queue_capacity: Some(x), ..Default::default() });
                    let d = model.channels[c].device;
                    model.devices[d].capacity = x;
                }
                Op::Subscription(c, x) => {
                    set(c, DeviceUpdate { subscription: Some(x), ..Default::default() });
                    model.channels[c].subscription = x;
                }
                Op::BoundTile(c, x) => {
                    set(c, DeviceUpdate { bound_tile: Some(x), ..Default::default() });
                    model.channels[c].bound_tile = x;
                }
                Op::BoundToast(c, x) => {
                    set(c, DeviceUpdate { bound_toast: Some(x), ..Default::default() });
                    model.channels[c].bound_toast = x;
                }
                Op::AppRunning(c, x) => {
                    set(c, DeviceUpdate { app_running: Some(x), ..Default::default() });
                    model.channels[c].app_running = x;
                }
                Op::PrimaryPinned(c, x) => {
                    set(c, DeviceUpdate { primary_tile_pinned: Some(x), ..Default::default() });
                    model.channels[c].primary = x;
                }
                Op::SecondaryPinned(c, x) => {
                    let tiles = if x { vec![SECONDARY.to_owned()] } else { Vec::new() };
                    set(c, DeviceUpdate { secondary_tiles: Some(tiles), ..Default::default() });
                    model.channels[c].secondary = x;
                }
                Op::Advance(s) => {
                    clock.advance(Duration::from_secs(s));
                    model.advance(s);
                }
            }
            // Every state change pumps a connected device in the fake, as in the model.
            if !matches!(op, Op::Send { .. } | Op::Advance(_)) {
                for d in 0..2 {
                    model.pump(d);
                }
            }
            for (d, sink) in sinks.iter_mut().enumerate() {
                while let Ok(x) = sink.try_recv() {
                    let ch = ids.iter().position(|id| *id == x.channel).unwrap();
                    got[d].push((ch, x.seq, x.delivered_at.as_secs()));
                }
            }
            prop_assert_eq!(&got, &model.delivered, "deliveries after step {} {:?}", step, op);
        }
    }
}
