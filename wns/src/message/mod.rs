//! Typed notifications: [`Toast`], [`Tile`] (adaptive or a legacy template), [`Badge`] and
//! [`Raw`], each validated and rendered once by its builder into a [`Notification`], which
//! carries the `X-WNS-Type`, the body and the optional headers ([`Options`]).

mod badge;
mod error;
mod options;
mod raw;
mod tile;
mod toast;
pub(crate) mod xml;

use bytes::Bytes;

pub use badge::{Badge, Glyph};
pub use error::BuildError;
pub(crate) use options::check_label;
pub use options::{CachePolicy, Options, Priority, MAX_TAG};
pub use raw::Raw;
pub use tile::{LegacyTile, Tile, TileBinding, TileImagePlacement, TileSize, TileTextStyle};
pub use toast::{
    ActivationType, Audio, Duration as ToastDuration, Image, ImagePlacement, Input, Scenario,
    Toast, ToastAction,
};

/// The most WNS takes in a notification's body, in bytes: it answers `413` above it.
pub const MAX_PAYLOAD: usize = 5000;

/// The four kinds of WNS notification, as `X-WNS-Type` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `wns/toast`: a banner and an entry in the notification center.
    Toast,
    /// `wns/tile`: the app's Start tile (Windows 10; Windows 11 shows no live tiles).
    Tile,
    /// `wns/badge`: the number or glyph on the tile and the taskbar icon.
    Badge,
    /// `wns/raw`: bytes for the app itself.
    Raw,
}

impl Kind {
    /// The `X-WNS-Type` header's value.
    pub fn wns_type(self) -> &'static str {
        match self {
            Kind::Toast => "wns/toast",
            Kind::Tile => "wns/tile",
            Kind::Badge => "wns/badge",
            Kind::Raw => "wns/raw",
        }
    }

    /// The `Content-Type` WNS wants for this kind: `text/xml`, or `application/octet-stream`
    /// for raw (WNS answers 400 to a raw notification sent as `text/xml`).
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Raw => "application/octet-stream",
            _ => "text/xml",
        }
    }

    /// `toast`, `tile`, `badge` or `raw`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Toast => "toast",
            Kind::Tile => "tile",
            Kind::Badge => "badge",
            Kind::Raw => "raw",
        }
    }
}

/// A validated notification, ready to send: its kind, its body (at most [`MAX_PAYLOAD`] bytes)
/// and its optional headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    kind: Kind,
    body: Bytes,
    options: Options,
}

impl Notification {
    /// Checks the size; every builder ends here.
    pub(crate) fn new(kind: Kind, body: Bytes) -> Result<Notification, BuildError> {
        if body.len() > MAX_PAYLOAD {
            return Err(BuildError::TooLarge {
                bytes: body.len(),
                max: MAX_PAYLOAD,
            });
        }
        Ok(Notification {
            kind,
            body,
            options: Options::default(),
        })
    }

    /// The same notification with these optional headers, checked against its kind (a tag
    /// only on toasts and tiles, a group and suppress-popup only on toasts, and so on).
    pub fn with_options(mut self, options: Options) -> Result<Notification, BuildError> {
        options.check(self.kind)?;
        self.options = options;
        Ok(self)
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The body, exactly as it is sent.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Its optional headers.
    pub fn options(&self) -> &Options {
        &self.options
    }
}
