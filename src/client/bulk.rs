//! One message to many channels. Channels are pulled lazily and at most `concurrency` requests
//! are in flight, so memory stays bounded however many channels there are; the payload is
//! rendered once and shared (`Bytes`), never copied per channel.

use std::sync::Arc;

use futures_util::stream::{self, BoxStream, Stream, StreamExt};

use uuid::Uuid;

use super::error::TransportError;
use super::{Client, Prepared};
use crate::message::Message;
use crate::wire::{ChannelUri, Outcome};

/// What a bulk send yields per channel, in completion order.
pub type BulkResult = (ChannelUri, Result<Outcome, TransportError>);

impl Client {
    /// Sends `message` to every channel, [`ClientBuilder::concurrency`](crate::ClientBuilder::concurrency)
    /// at a time, and yields each channel with its result as soon as it arrives (not in input
    /// order). Each request gets its own random `X-MessageID` unless the message has a fixed one.
    ///
    /// The channels are taken from the iterator only as slots free up, so a lazy iterator over
    /// a million rows never holds more than `concurrency` of them.
    ///
    /// For throughput, read the stream in a task on the runtime (`tokio::spawn`), as a request
    /// handler does, rather than from `Runtime::block_on`: that thread is not one of the
    /// runtime's workers, so every answer would have to wake it from another thread. On a
    /// 2-core machine the difference measured about a quarter more toasts per second (see
    /// `BENCHMARKS.md`).
    ///
    /// ```no_run
    /// # async fn demo(store: Vec<mpns::ChannelUri>) -> Result<(), Box<dyn std::error::Error>> {
    /// use futures_util::StreamExt;
    /// use mpns::{Action, Client, Raw};
    ///
    /// let client = Client::builder().concurrency(32).build()?;
    /// let message = Raw::new(b"Update Info".to_vec()).build()?;
    /// let mut results = client.send_bulk(&message, store);
    /// while let Some((channel, result)) = results.next().await {
    ///     match result {
    ///         Ok(outcome) if outcome.action() == Action::RemoveChannel => { /* forget `channel` */ }
    ///         Ok(_) => {}
    ///         Err(e) => eprintln!("{channel}: {e}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn send_bulk<I>(&self, message: &Message, channels: I) -> BoxStream<'static, BulkResult>
    where
        I: IntoIterator<Item = ChannelUri>,
        I::IntoIter: Send + 'static,
    {
        self.send_bulk_stream(message, stream::iter(channels))
    }

    /// Like [`Client::send_bulk`], for channels that arrive as a stream (a database cursor,
    /// a channel receiver).
    pub fn send_bulk_stream<S>(
        &self,
        message: &Message,
        channels: S,
    ) -> BoxStream<'static, BulkResult>
    where
        S: Stream<Item = ChannelUri> + Send + 'static,
    {
        // One clone of the client and one set of headers and body for the whole send, shared
        // by every request (cloning the client itself for each would clone its connector).
        let client = Arc::new(self.clone());
        let prepared = Arc::new(Prepared::new(message));
        let fixed_id = message.message_id();
        let concurrency = self.settings.concurrency;
        channels
            .map(move |channel| {
                let (client, prepared) = (client.clone(), prepared.clone());
                async move {
                    let id = fixed_id.unwrap_or_else(Uuid::new_v4);
                    let result = match prepared.as_ref() {
                        Ok(prepared) => match prepared.request(&channel, id) {
                            Ok(request) => client.round_trip(request).await,
                            Err(e) => Err(e),
                        },
                        Err(e) => Err(e.clone()),
                    };
                    (channel, result)
                }
            })
            .buffer_unordered(concurrency)
            .boxed()
    }
}
