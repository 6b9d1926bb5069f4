//! The emulated Windows Phone's shell: what the user sees of an app's notifications.
//!
//! This part is pure (no clock, no sockets): the start screen with the app's pinned tiles
//! ([`Shell`], [`Tile`]), the toast tray ([`Toast`]), the rules for tile images
//! ([`classify_image`], [`AllowedImageUris`]), the table of what each notification does by app
//! state and battery ([`decide`]), and two renderings of the whole visible state: stable text
//! for snapshots ([`render_text`]) and an SVG picture for people ([`render_svg`]). The push
//! client on top of it owns channels, downloads remote images and raises events.
//!
//! Decisions where Microsoft's documentation is silent are written on the item they concern.

mod delivery;
mod image;
mod render_svg;
mod render_text;
mod shell;
mod tile;
mod toast;

pub use delivery::{decide, AppState, Bindings, Fate, Incoming, PowerLevel, Why};
pub use image::{
    check_remote_image, classify_image, AllowedImageUris, ImageError, ImageSource, TileBinding,
    MAX_ALLOWED_URI_CHARS,
};
pub use render_svg::render_svg;
pub use render_text::{render_text, render_tile_text};
pub use shell::{
    Applied, ChannelErrorKind, FetchId, FetchProgress, ImageFetch, Shell, ShellError,
    TEMPLATE_MISMATCH,
};
pub use tile::{
    badge_for, opaque_color, parse_count, template_name, Face, Role, Side, Size, Slot, Tile,
    TileKey,
};
pub use toast::{LaunchTarget, Toast, ToastSound};
