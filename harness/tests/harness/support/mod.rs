//! What the tests share. Each file is one concept; a helper lives here only when a test uses it.

pub(crate) mod alloc;
pub(crate) mod client;
pub(crate) mod images;
pub(crate) mod phone;
pub(crate) mod process;
pub(crate) mod requests;
pub(crate) mod snapshots;
pub(crate) mod wait;
pub(crate) mod xml;
