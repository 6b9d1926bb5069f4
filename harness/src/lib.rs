//! The receiving side of MPNS, simulated: a fake MPNS server that answers as Microsoft
//! documented it, emulated Windows Phones (apps, push channels, the shell's tiles and toasts, and
//! what each notification does to them), and the [`World`] that boots them on one clock. It shares no
//! code with the `mpns` sender crate on purpose: it reads the wire with its own parser, so a
//! mistake on one side is caught by the other instead of being mirrored.
//!
//! [`PushPatterns`] is app code that runs on the emulated phones: the recipe's Push Patterns
//! client, which talks to its back end over HTTP only. "The recipe" is Microsoft's .NET *Push
//! Notification Server Side Helper Library* sample this project started from; the repository's
//! `docs/push-recipe.md` says what it was, and `docs/mpns-protocol.md` is the protocol as this
//! harness understands it (comments cite its sections).

//!
//! # The public API
//!
//! Every public name has exactly one path. The types a test drives are at the root:
//! [`World`] (with [`WindowsPc`], its Windows devices), [`Clock`], [`FakeMpns`] (with [`FakeMpnsBuilder`] and [`FakeError`]), [`Phone`],
//! [`App`] (with [`PhoneError`]) and [`PushPatterns`]. What they take and return is grouped in
//! seven modules:
//!
//! - [`fake`]: the fake MPNS's vocabulary: channels, device state, records, answers, faults,
//!   events, expectations, TLS;
//! - [`protocol`]: reading a request as MPNS would ([`protocol::inspect`]), usable without a
//!   server to lint a sender's requests;
//! - [`phone`]: the emulated phone's vocabulary: app state and power, events, the shell's tiles
//!   and toasts, delivery rules, remote images, tile schedules, renders;
//! - [`push_patterns`]: the Push Patterns app's settings, screens, prompts and names;
//! - [`fake_wns`]: a fake WNS (tokens for both flows, channels, the answer table, the offline
//!   cache, faults, settings, records), delivering to emulated Windows devices; [`FakeWns`] is
//!   at the root;
//! - [`windows`]: an emulated Windows 10 or 11 device for WNS (the notification center, tiles,
//!   badges, raw to apps and background tasks, power and priority), pure, ahead of the fake WNS;
//! - [`cli`]: the `fake-mpns` command line, shared with `mpns fake-mpns`.

mod apps;
pub mod cli;
mod clock;
pub mod fake;
pub mod fake_wns;
mod lock;
pub mod phone;
pub mod protocol;
mod screen;
pub mod windows;
mod world;

pub use apps::push_patterns;
pub use apps::push_patterns::app::PushPatterns;
pub use clock::Clock;
pub use fake::error::FakeError;
pub use fake::server::{FakeMpns, FakeMpnsBuilder};
pub use fake_wns::server::FakeWns;
pub use phone::error::PhoneError;
pub use phone::handle::{App, Phone};
pub use world::{WindowsPc, World};
