//! The patterns' own error type. It says what went wrong in the patterns' terms (a setting that
//! breaks a rule, a pattern that is not the active one, the store) and carries no HTTP: the
//! operator's routes ([`super::router`]) decide the status codes, so the patterns can be driven
//! from a command line or a test as well as from the web.

use crate::registration::{FieldError, PatternKind, StoreError};

/// Why the patterns refused or failed an operator's action.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// A setting broke a rule; the error names the field, the rule and the limit.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The pattern sent is not the active one (the recipe's Send button was on the active tab).
    #[error(
        "pattern {} is not active (the active pattern is {})",
        pattern.id(),
        active.id()
    )]
    NotActive {
        /// The pattern the operator sent.
        pattern: PatternKind,
        /// The pattern that is active.
        active: PatternKind,
    },
    /// The store failed.
    #[error("storage failed")]
    Store(#[from] StoreError),
    /// Something that should not fail did.
    #[error("internal error: {0}")]
    Internal(String),
}
