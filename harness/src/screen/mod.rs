//! What a Windows Phone shows of an app's notifications, pure (no clock, no sockets): the
//! start screen with the app's pinned tiles ([`Shell`](shell::Shell), [`Tile`](tile::Tile)),
//! the toast tray ([`Toast`](toast::Toast)), the rules for tile images, and two renderings of
//! the whole visible state (stable text for snapshots, an SVG picture for people).
//!
//! It is the emulated phone's core, kept below the fake MPNS so that the fake's web view can
//! draw a notification as a phone would show it without the fake depending on the phone. Its
//! public names are re-exported from [`phone`](crate::phone), where the phone's users find
//! them; the rules it follows where the documentation is silent are listed there.

pub(crate) mod image;
pub(crate) mod render_svg;
pub(crate) mod render_text;
pub(crate) mod shell;
pub(crate) mod tile;
pub(crate) mod toast;
