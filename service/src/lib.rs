//! The recipe's registration service and its five push patterns, built on the [`mpns`] sender,
//! with the sandbox that puts them together with a fake MPNS and emulated phones.
//!
//! "The recipe" is the .NET *Push Notification Server Side Helper Library* sample this project
//! started from; `docs/push-recipe.md` says what it was and what we changed.
//!
//! The layers, lowest first, each using only those below it:
//!
//! - [`registration`]: the service phones talk to (registrations, the status log, tile images,
//!   the phone-facing routes) and its store;
//! - [`patterns`]: the five push patterns, their operator routes and their own error type;
//! - `sandbox` (feature `sandbox`) and the `mpns` command (feature `cli`): put the routers
//!   together, with the harness's fake MPNS and phones.

pub mod patterns;
pub mod registration;
#[cfg(feature = "sandbox")]
pub mod sandbox;
