//! The harness's integration tests, one program with a module per area (see `tests/README.md`):
//! the fake MPNS over HTTP, the emulated phone, the fake's protocol reader, the World, the
//! apps that run on the phone, and the emulated Windows device for WNS. Run one area with
//! `cargo test -p mpns-harness --test harness phone::`.

mod app;
mod fake;
mod fake_wns;
mod guide;
mod phone;
mod protocol;
mod support;
mod windows;
mod world;
