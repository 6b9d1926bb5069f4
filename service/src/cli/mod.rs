//! The `mpns` command's subcommands (binary only; the library does not see this module).

pub(crate) mod sandbox;
pub(crate) mod send;
pub(crate) mod serve;
pub(crate) mod wns_config;
