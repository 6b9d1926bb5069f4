//! The fake MPNS's protocol reader (`mpns_harness::protocol::inspect`) without sockets:
//! request by request, against the golden wire files, its lint, its properties and its
//! allocations.

mod alloc;
mod fixtures;
mod inspect;
mod lint;
mod props;
