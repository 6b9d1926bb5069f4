//! Typed notifications. A [`Message`] is validated and rendered to its wire body when it is
//! built, so a value of this type can always be sent, and sending it to many channels never
//! renders it twice.

mod cycle;
mod error;
mod flip;
mod iconic;
mod options;

pub use options::MAX_BODY;
mod os;
pub(crate) mod props;
mod raw;
mod tile;
mod toast;
mod xml;

use bytes::Bytes;
use uuid::Uuid;

pub use cycle::CycleTile;
pub use error::MessageError;
pub use flip::FlipTile;
pub use iconic::IconicTile;
pub use os::OsVersion;
pub use raw::Raw;
pub use tile::Tile;
pub use toast::Toast;

/// Which of the three MPNS notification types a message is.
///
/// ```
/// use mpns::{MessageKind, Raw, Tile};
///
/// assert_eq!(MessageKind::Tile.target(), Some("token"));
/// assert_eq!(Raw::new(&b"x"[..]).build()?.kind(), MessageKind::Raw);
/// assert_eq!(Tile::new().count(1).build()?.kind().target(), Some("token"));
/// # Ok::<(), mpns::MessageError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A toast (`X-WindowsPhone-Target: toast`).
    Toast,
    /// A tile update of any template (`X-WindowsPhone-Target: token`).
    Tile,
    /// A raw notification for the running app (no target header).
    Raw,
}

impl MessageKind {
    /// The `X-WindowsPhone-Target` header value, absent for raw.
    pub fn target(self) -> Option<&'static str> {
        match self {
            MessageKind::Toast => Some("toast"),
            MessageKind::Tile => Some("token"),
            MessageKind::Raw => None,
        }
    }

    /// 1 for tiles, 2 for toasts, 3 for raw: the base of `X-NotificationClass`.
    fn class_base(self) -> u8 {
        match self {
            MessageKind::Tile => 1,
            MessageKind::Toast => 2,
            MessageKind::Raw => 3,
        }
    }
}

/// How soon MPNS should deliver: the batching interval behind `X-NotificationClass`.
///
/// The header value depends on the kind too (tile 1/11/21, toast 2/12/22, raw 3/13/23), so
/// builders take this enum and never a raw number.
///
/// ```
/// use mpns::{MessageKind, NotificationClass};
///
/// assert_eq!(NotificationClass::Immediate.header_value(MessageKind::Toast), 2);
/// assert_eq!(NotificationClass::Within450s.header_value(MessageKind::Tile), 11);
/// assert_eq!(NotificationClass::Within900s.header_value(MessageKind::Raw), 23);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NotificationClass {
    /// Deliver at once (class 1, 2 or 3).
    #[default]
    Immediate,
    /// Deliver within 450 seconds (class 11, 12 or 13).
    Within450s,
    /// Deliver within 900 seconds (class 21, 22 or 23).
    Within900s,
}

impl NotificationClass {
    /// The `X-NotificationClass` header value for a message of `kind`.
    pub fn header_value(self, kind: MessageKind) -> u8 {
        let interval = match self {
            NotificationClass::Immediate => 0,
            NotificationClass::Within450s => 10,
            NotificationClass::Within900s => 20,
        };
        kind.class_base() + interval
    }
}

/// A notification ready to send: its kind, batching class, optional fixed message id and its
/// rendered body. Built by the message builders ([`Toast`], [`Tile`], [`FlipTile`],
/// [`IconicTile`], [`CycleTile`], [`Raw`]), never by hand, so it is always valid and within the
/// size limits.
///
/// ```
/// use mpns::{MessageKind, NotificationClass, Toast};
/// use uuid::Uuid;
///
/// let id = Uuid::from_u128(7);
/// let toast = Toast::new().text1("Hi").class(NotificationClass::Within900s).message_id(id).build()?;
/// assert_eq!(toast.kind(), MessageKind::Toast);
/// assert_eq!(toast.class(), NotificationClass::Within900s);
/// assert_eq!(toast.message_id(), Some(id));
/// assert!(toast.body().starts_with(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
/// # Ok::<(), mpns::MessageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub(crate) kind: MessageKind,
    pub(crate) class: NotificationClass,
    pub(crate) message_id: Option<Uuid>,
    pub(crate) body: Bytes,
}

impl Message {
    /// Toast, tile or raw.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The batching class this message is sent with.
    pub fn class(&self) -> NotificationClass {
        self.class
    }

    /// The fixed `X-MessageID`, if one was given; otherwise each send generates one.
    pub fn message_id(&self) -> Option<Uuid> {
        self.message_id
    }

    /// The exact body bytes that go on the wire.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}
