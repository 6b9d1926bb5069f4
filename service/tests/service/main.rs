//! The `mpns-service` crate's tests, one program: see `../README.md` for where a new test goes.

mod support;

mod cli {
    mod sandbox;
    mod send;
}
mod e2e {
    mod delivery;
    mod patterns;
    mod props;
    mod security;
}
mod layers;
mod patterns {
    mod basics;
    mod delivery;
    mod props;
}
mod registration {
    mod api;
    mod images;
    mod security;
    mod store;
}
mod sandbox {
    mod browser;
    mod console_controls;
    mod start;
}
