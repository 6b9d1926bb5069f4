//! What every load sends, and through what: the toast the sender sends and wrk replays, and the
//! sender's client as a back end builds it.

use mpns::{Client, Message, Toast};

use crate::Res;

/// The toast every load sends, and the request the sender makes of it.
pub(crate) fn toast() -> Message {
    Toast::new()
        .text1("Game Update")
        .text2("Game has been released")
        .build()
        .expect("a valid toast")
}

pub(crate) fn client(concurrency: usize) -> Res<Client> {
    Client::builder()
        .concurrency(concurrency)
        .build()
        .map_err(|e| e.to_string())
}
