//! The app's one error type: what the recipe showed in message boxes, each naming the fix.

use super::NUMBER_IMAGES;
use crate::phone::PhoneError;

/// What went wrong in the app. The app is unchanged unless said otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The phone refused a channel or shell call.
    #[error(transparent)]
    Phone(PhoneError),
    /// The app must be running for that.
    #[error("cannot {action}: Push Patterns is not running; launch it first")]
    NotRunning {
        /// What was attempted.
        action: &'static str,
    },
    /// No user name saved yet.
    #[error("cannot {action}: no user is logged in; log in first")]
    NotLoggedIn {
        /// What was attempted.
        action: &'static str,
    },
    /// The user name is empty (the recipe's "Invalid user name").
    #[error("Invalid user name: it must not be empty")]
    BadUserName,
    /// The phone could not open the channel (not connected to MPNS).
    #[error("the push channel could not be opened (the phone is not connected to MPNS); launch again later")]
    ChannelOpenFailed,
    /// Push is off: no channel.
    #[error("cannot {action}: push notifications are off; turn them on in the settings")]
    PushOff {
        /// What was attempted.
        action: &'static str,
    },
    /// A number image outside the panel's list.
    #[error("number {number} is out of range 0..={}", NUMBER_IMAGES - 1)]
    NumberOutOfRange {
        /// The number asked for.
        number: u8,
    },
    /// The service could not be reached or answered something unreadable.
    #[error("{call}: {message}")]
    Http {
        /// The call.
        call: &'static str,
        /// Why.
        message: String,
    },
    /// The service refused.
    #[error("{call}: the service answered {status}: {message}")]
    Service {
        /// The call.
        call: &'static str,
        /// The HTTP status.
        status: u16,
        /// The service's message.
        message: String,
    },
    /// The tile schedule could not start.
    #[error("tile schedule: {0}")]
    Schedule(String),
}

impl From<PhoneError> for AppError {
    fn from(e: PhoneError) -> Self {
        AppError::Phone(e)
    }
}
