//! The fake MPNS server: answers channel URIs as Microsoft documented MPNS, keeps a device model
//! per channel, and exposes a control API, fault injection and expectations for tests.

mod answer;
mod control;
mod events;
mod expect;
mod faults;
#[cfg(test)]
mod model_tests;
pub mod protocol;
mod server;
mod state;
mod tls;

pub use answer::{Answer, Connection, Fate, NotificationStatus, Power, Subscription};
pub use events::Event;
pub use expect::Expect;
pub use faults::{FaultAction, FaultRule, FaultStatus, TargetFilter};
pub use server::{FakeMpns, FakeMpnsBuilder, MAX_CALLBACK_BYTES};
pub use state::{
    CallbackInfo, ChannelId, ChannelInfo, ChannelOptions, Delivered, DeliveryState, DeviceId,
    DeviceUpdate, DeviceView, FakeError, NotificationRecord,
};
pub use tls::TlsConfig;
