//! Raw notifications: bytes for the running app, with no envelope.

use bytes::Bytes;

use super::options::{common_options, Common, MAX_BODY};
use super::{Message, MessageError, MessageKind};

/// The raw payload limit used unless [`Raw::max_len`] says otherwise: 1 KB, the size Microsoft's
/// blogs and Azure's documentation give for raw notifications.
pub(crate) const DEFAULT_RAW_LIMIT: usize = 1024;

/// Builds a raw notification: the body is the given bytes, exactly, and there is no
/// `X-WindowsPhone-Target` header. The phone hands it to the app only while the app runs.
///
/// The body may be empty. It may be at most 1024 bytes by default; [`max_len`](Self::max_len)
/// raises (or lowers) that up to 3072, the limit MPNS documents for every body. Sources disagree
/// on whether MPNS really took more than 1 KB of raw data, so raise it only if you know it works.
///
/// ```
/// use mpns::{MessageError, MessageKind, Raw};
///
/// let raw = Raw::new(&b"Update Info"[..]).build()?;
/// assert_eq!(raw.kind(), MessageKind::Raw);
/// assert_eq!(raw.body(), b"Update Info");
///
/// let big = vec![b'x'; 1500];
/// assert_eq!(
///     Raw::new(big.clone()).build().unwrap_err().to_string(),
///     "raw payload is 1500 bytes, 476 over the limit of 1024 bytes"
/// );
/// assert!(Raw::new(big).max_len(3072).build().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct Raw {
    common: Common,
    body: Bytes,
    limit: usize,
}

impl Raw {
    /// A raw notification carrying `body`.
    pub fn new(body: impl Into<Bytes>) -> Raw {
        Raw {
            common: Common::default(),
            body: body.into(),
            limit: DEFAULT_RAW_LIMIT,
        }
    }

    /// Sets the largest body accepted, in bytes (default 1024). A limit above 3072 fails at
    /// build time with [`MessageError::RawLimit`].
    pub fn max_len(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    common_options!();

    /// Checks the size and wraps the bytes up. A target OS level is accepted but checks nothing:
    /// every level receives raw notifications.
    ///
    /// # Errors
    ///
    /// [`MessageError`] when the body exceeds the limit or the limit exceeds 3072.
    pub fn build(self) -> Result<Message, MessageError> {
        if self.limit > MAX_BODY {
            return Err(MessageError::RawLimit {
                limit: self.limit,
                max: MAX_BODY,
            });
        }
        self.common
            .finish(MessageKind::Raw, self.body, "raw payload", self.limit)
    }
}
