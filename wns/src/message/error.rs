//! What a builder refuses, with the field named.

/// A notification that WNS or the device would refuse or drop, caught before any I/O.
///
/// Every variant names the field at fault, so that a back end can report it to whoever wrote
/// the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The payload is larger than WNS takes: it answers 413 over [`MAX_PAYLOAD`](crate::MAX_PAYLOAD)
    /// bytes, counted in UTF-8 bytes.
    #[error("the payload is {bytes} bytes; WNS takes at most {max} bytes (UTF-8)")]
    TooLarge {
        /// The payload's size in bytes.
        bytes: usize,
        /// The limit, [`MAX_PAYLOAD`](crate::MAX_PAYLOAD).
        max: usize,
    },
    /// A required field is missing or empty.
    #[error("{field} is required and must not be empty")]
    Missing {
        /// The field, as the builder's method names it (`text`, `raw`, `action.content`, ...).
        field: &'static str,
    },
    /// More items of one kind than the schema allows.
    #[error("{field}: at most {max} allowed, {given} given")]
    TooMany {
        /// The field.
        field: &'static str,
        /// The schema's limit.
        max: usize,
        /// How many were given.
        given: usize,
    },
    /// A value the field does not take.
    #[error("{field}: {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// An option that this kind of notification does not carry (a tag on a badge, say).
    #[error("{option} does not apply to a {kind} notification")]
    NotForKind {
        /// The option (its header's name).
        option: &'static str,
        /// The notification's kind (`toast`, `tile`, `badge` or `raw`).
        kind: &'static str,
    },
}

impl BuildError {
    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> BuildError {
        BuildError::Invalid {
            field,
            problem: problem.into(),
        }
    }
}

/// Refuses a text that an XML document cannot hold (control characters), naming the field.
pub(crate) fn check_text(field: &'static str, text: &str) -> Result<(), BuildError> {
    match text.chars().find(|c| !super::xml::is_xml_char(*c)) {
        None => Ok(()),
        Some(c) => Err(BuildError::invalid(
            field,
            format!("U+{:04X} cannot appear in XML", c as u32),
        )),
    }
}
