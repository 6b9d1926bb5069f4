//! The `mpns-service` crate's tests, one program: see `../README.md` for where a new test goes.

mod support;

mod cli {
    mod crash;
    mod fake_mpns;
    mod sandbox;
    mod send;
    mod send_wns;
    mod shared_database;
}
mod e2e {
    mod delivery;
    mod patterns;
    mod props;
    mod props_ask_to_pin;
    mod props_custom_tile;
    mod props_one_time;
    mod props_tile_schedule;
    mod security;
    mod windows;
}
mod layers;
mod patterns {
    mod backends;
    mod basics;
    mod delivery;
    mod props;
    mod queue;
}
mod registration {
    mod api;
    mod hostile;
    mod images;
    mod openapi;
    mod security;
    mod store;
}
mod sandbox {
    mod browser;
    mod console_controls;
    mod fake_ui;
    mod start;
}
