//! Phone apps that run on an emulated [`Phone`](crate::phone::Phone): app code on top of an
//! [`App`](crate::phone::App) (its channel, its shell) that talks to a back end over HTTP.
//!
//! [`PushPatterns`](crate::PushPatterns) is the recipe's "Push Patterns" client (docs/push-recipe.md §4): it logs a user in
//! with the registration service, keeps its channel registered, shows the raw messages it
//! receives and reacts to the ones the patterns send (`Update Info`, `AskToPin`). Like every
//! part of this crate it knows the service only by its HTTP API (JSON), never by its code.

pub mod push_patterns;
