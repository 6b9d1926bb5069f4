//! The receiving side of MPNS, simulated: a fake MPNS server that answers as Microsoft
//! documented it, emulated Windows Phones (apps, push channels, the shell's tiles and toasts, and
//! what each notification does to them), and the [`World`] that boots them on one clock. It shares no
//! code with the `mpns` sender crate on purpose: it reads the wire with its own parser, so a
//! mistake on one side is caught by the other instead of being mirrored.
//!
//! [`apps`] holds app code that runs on the emulated phones, such as the recipe's Push Patterns
//! client, which talks to its back end over HTTP only. "The recipe" is Microsoft's .NET *Push
//! Notification Server Side Helper Library* sample this project started from; the repository's
//! `docs/push-recipe.md` says what it was, and `docs/mpns-protocol.md` is the protocol as this
//! harness understands it (comments cite its sections).

pub mod apps;
pub mod cli;
mod clock;
mod lock;
pub mod mpns;
pub mod phone;
mod world;

pub use clock::Clock;
pub use mpns::protocol::Mode;
pub use mpns::{
    Answer, ChannelId, ChannelInfo, ChannelOptions, Connection, Delivered, DeviceId, DeviceUpdate,
    DeviceView, Event, FakeError, FakeMpns, FakeMpnsBuilder, Fate, FaultAction, FaultRule,
    NotificationRecord, NotificationStatus, Power, Subscription, TlsConfig,
};
pub use world::World;
