//! The `mpns` sender's tests, one program: see `../README.md` for where a new test goes.

mod support;

mod client {
    mod retry;
    mod rows;
    mod send;
    mod tls;
    mod tunnel;
}
mod message {
    mod validation;
}
mod phone;
mod wire {
    mod golden;
    mod outcomes;
    mod payloads;
    mod props;
}
