//! The receiving side of MPNS, simulated: a fake MPNS server that answers as Microsoft
//! documented it, and (soon) emulated Windows Phones. It shares no code with the `mpns` sender
//! crate on purpose: it reads the wire with its own parser, so a mistake on one side is caught by
//! the other instead of being mirrored.

pub mod mpns;
pub mod phone;
