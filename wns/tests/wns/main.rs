//! The WNS sender's tests, one program: payloads against Microsoft's examples and snapshots,
//! properties of every built payload, the wire request and answer, and the client against a
//! mock token endpoint and channel on loopback (`wiremock`), and end to end against the
//! harness's fake WNS and its emulated Windows devices (`e2e`), and through a `World` that holds
//! phones and Windows devices on one clock (`world`).

mod client;
mod e2e;
mod golden;
mod payloads;
mod props;
mod support;
mod world;
