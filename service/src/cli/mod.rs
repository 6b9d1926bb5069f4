//! The `mpns` command's subcommands (binary only; the library does not see this module).

pub mod sandbox;
pub mod send;
