//! Typed notifications. A [`Message`] is validated and rendered to its wire body when it is
//! built, so a value of this type can always be sent, and sending it to many channels never
//! renders it twice.

use bytes::Bytes;
use uuid::Uuid;

/// Which of the three MPNS notification types a message is.
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
/// rendered body. Built by the message builders, never by hand.
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
