//! The WNS sender's tests, one program: payloads against Microsoft's examples and snapshots,
//! properties of every built payload, the wire request and answer, and the client against a
//! mock token endpoint and channel on loopback (`wiremock`).

mod client;
mod golden;
mod payloads;
mod props;
mod support;
