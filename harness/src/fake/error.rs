//! The one error type of the fake's Rust and control APIs: refusals of the operator's own calls.
//! What MPNS answers a sender is data (an `Answer`), never this.

use crate::fake::model::{ChannelId, DeviceId};

/// Errors of the Rust and control APIs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FakeError {
    /// No channel with this id.
    #[error("no channel with id {0}; GET /_fake/channels lists them")]
    NoSuchChannel(ChannelId),
    /// The device already has a channel for that app.
    #[error("device {device} already has channel {existing} for app {app}; a device holds one channel per app (rotate or expire it instead)")]
    AppHasChannel {
        /// The device.
        device: DeviceId,
        /// The app.
        app: String,
        /// Its existing channel.
        existing: ChannelId,
    },
    /// The fake holds as many channels as it may (`max_channels`, default a million); a reset
    /// empties it. The control API answers 507 Insufficient Storage.
    #[error("the fake holds its maximum of {limit} channels; reset it (POST /_fake/reset) or start it with a higher --max-channels")]
    TooManyChannels {
        /// The cap.
        limit: usize,
    },
    /// A field is invalid.
    #[error("{0}")]
    Invalid(String),
}

/// A JSON error with the path of the field at fault: `field.path: what is wrong at line L
/// column C`, or the error alone when it is about the whole document.
pub(crate) fn path_error(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    if path == "." {
        e.inner().to_string()
    } else {
        format!("{path}: {}", e.inner())
    }
}
