//! A field that broke a rule: the one refusal both the registration service and the patterns
//! give for bad input. It carries no HTTP, so the validation helpers (user names, channel URIs,
//! image parameters) serve the patterns' domain code too; each layer's routes answer it with a
//! 422 naming the field.

/// A request field that broke a rule: which field, which rule, and a message for a person
/// ("count 120 is out of range 0..=99").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// The field, as named in the request (`channel_uri`).
    pub field: &'static str,
    /// A stable machine-readable rule name (`host_not_allowed`).
    pub code: &'static str,
    /// What a person reads.
    pub message: String,
}

impl FieldError {
    /// `field` broke the rule `code`.
    pub fn new(field: &'static str, code: &'static str, message: String) -> FieldError {
        FieldError {
            field,
            code,
            message,
        }
    }
}
