//! The fake MPNS server.

pub mod protocol;
