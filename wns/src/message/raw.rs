//! Raw notifications: bytes for the app, never shown by Windows.

use bytes::Bytes;

use super::{BuildError, Kind, Notification};

/// A raw notification: 1 to [`MAX_PAYLOAD`](crate::MAX_PAYLOAD) bytes, sent as
/// `application/octet-stream`. WNS accepts an empty one but the device never delivers it, so the
/// builder refuses it.
///
/// ```
/// let raw = wns::Raw::new(r#"{"sync":true}"#).build()?;
/// assert_eq!(raw.kind().content_type(), "application/octet-stream");
/// assert!(wns::Raw::new("").build().is_err());
/// # Ok::<(), wns::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw {
    bytes: Bytes,
}

impl Raw {
    /// Raw bytes.
    pub fn new(bytes: impl Into<Bytes>) -> Raw {
        Raw {
            bytes: bytes.into(),
        }
    }

    /// Checks the size.
    pub fn build(&self) -> Result<Notification, BuildError> {
        if self.bytes.is_empty() {
            return Err(BuildError::Missing { field: "raw" });
        }
        Notification::new(Kind::Raw, self.bytes.clone())
    }
}
