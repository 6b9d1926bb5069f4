//! What the tests share. Each file is one concept; a helper lives here only when a test uses it.

pub mod alloc;
pub mod client;
pub mod images;
pub mod phone;
pub mod requests;
pub mod snapshots;
pub mod wait;
pub mod xml;
