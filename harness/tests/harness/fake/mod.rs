//! The fake MPNS server over real HTTP: its answers, its control API, its wire handling, TLS, the
//! Rust-test conveniences, and the standalone `fake-mpns` binary.

mod answers;
pub(crate) mod binary;
mod control;
mod expect;
mod hostile;
mod openapi;
mod scenario;
mod tls;
mod view;
mod wire;
