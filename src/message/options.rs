//! The options every builder shares (batching class, fixed message id, target OS level) and the
//! last step of every build: the size check and the hand-over to [`Message`].

use bytes::Bytes;
use uuid::Uuid;

use super::{Message, MessageError, MessageKind, NotificationClass, OsVersion};

/// The largest body MPNS accepts for any notification (docs/mpns-protocol.md §2: a body of at most 3 KB).
pub const MAX_BODY: usize = 3072;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Common {
    pub(crate) class: NotificationClass,
    pub(crate) message_id: Option<Uuid>,
    pub(crate) os: Option<OsVersion>,
}

impl Common {
    /// Fails when a target OS level was given and it is below `needs`.
    pub(crate) fn require(
        &self,
        feature: &'static str,
        needs: OsVersion,
    ) -> Result<(), MessageError> {
        match self.os {
            Some(target) if target < needs => Err(MessageError::Unsupported {
                feature,
                needs,
                target,
            }),
            _ => Ok(()),
        }
    }

    /// Checks the body against `limit` and wraps it up.
    pub(crate) fn finish(
        self,
        kind: MessageKind,
        body: Bytes,
        what: &'static str,
        limit: usize,
    ) -> Result<Message, MessageError> {
        if body.len() > limit {
            return Err(MessageError::TooLarge {
                what,
                len: body.len(),
                limit,
            });
        }
        Ok(Message {
            kind,
            class: self.class,
            message_id: self.message_id,
            body,
        })
    }
}

/// The `class`, `message_id` and `os` methods of every builder (each has a `common: Common`).
macro_rules! common_options {
    () => {
        /// Sets the batching class (`X-NotificationClass`); the default is
        /// [`NotificationClass::Immediate`](crate::NotificationClass::Immediate).
        pub fn class(mut self, class: crate::NotificationClass) -> Self {
            self.common.class = class;
            self
        }

        /// Fixes the `X-MessageID` sent with this message, so that every send of it carries the
        /// same id; without it each send generates a fresh one.
        pub fn message_id(mut self, id: uuid::Uuid) -> Self {
            self.common.message_id = Some(id);
            self
        }

        /// Checks the message against a target OS level when it is built: a feature the level
        /// lacks is an error naming both. Without it nothing is version-checked.
        pub fn os(mut self, os: crate::OsVersion) -> Self {
            self.common.os = Some(os);
            self
        }
    };
}

pub(crate) use common_options;
