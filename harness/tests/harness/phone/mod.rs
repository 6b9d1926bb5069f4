//! The emulated Windows Phone: channels, its connection to MPNS, errors and events, the shell
//! (tiles, toasts, the delivery table), image downloads, tile schedules, and rendering.

mod channel;
mod connection;
mod errors;
mod events;
mod fetch;
mod render;
mod schedule;
mod schedule_app;
mod shell;
mod shell_delivery;
mod shell_props;
mod shell_render;
mod table;
