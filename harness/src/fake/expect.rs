//! Expectations for Rust tests ("channel 3 gets exactly one toast"), checked when the fake is
//! dropped so a test cannot forget to check them, with a report that lists what the channel
//! actually got.

use std::fmt::Write as _;
use std::sync::Mutex;

use super::answer::NotificationStatus;
use super::engine::Core;
use super::model::ChannelId;
use crate::lock::MutexExt;
use crate::protocol::{Content, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expectation {
    channel: ChannelId,
    /// `None`: any type.
    target: Option<Target>,
    count: usize,
}

/// The expectations registered on one fake.
#[derive(Default)]
pub(crate) struct Expectations {
    list: Mutex<Vec<Expectation>>,
}

/// Expectations about one channel, registered as they are stated:
/// `fake.expect(id).toasts(1).tiles(0)`.
///
/// Counts are of notifications answered `200 Received` (MPNS took them for delivery).
pub struct Expect<'a> {
    list: &'a Expectations,
    channel: ChannelId,
}

impl<'a> Expect<'a> {
    pub(crate) fn new(list: &'a Expectations, channel: ChannelId) -> Self {
        Self { list, channel }
    }

    fn add(self, target: Option<Target>, count: usize) -> Self {
        self.list.list.locked().push(Expectation {
            channel: self.channel,
            target,
            count,
        });
        self
    }

    /// Exactly `n` toasts received.
    pub fn toasts(self, n: usize) -> Self {
        self.add(Some(Target::Toast), n)
    }

    /// Exactly `n` tile notifications received.
    pub fn tiles(self, n: usize) -> Self {
        self.add(Some(Target::Tile), n)
    }

    /// Exactly `n` raw notifications received.
    pub fn raws(self, n: usize) -> Self {
        self.add(Some(Target::Raw), n)
    }

    /// Exactly `n` notifications of any type received.
    pub fn notifications(self, n: usize) -> Self {
        self.add(None, n)
    }
}

fn kind(t: Option<Target>, n: usize) -> String {
    let word = match t {
        Some(Target::Toast) => "toast",
        Some(Target::Tile) => "tile notification",
        Some(Target::Raw) => "raw notification",
        None => "notification",
    };
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn method(t: Option<Target>) -> &'static str {
    match t {
        Some(Target::Toast) => "toasts",
        Some(Target::Tile) => "tiles",
        Some(Target::Raw) => "raws",
        None => "notifications",
    }
}

impl Expectations {
    pub(crate) fn verify(&self, core: &Core) -> Result<(), String> {
        let list = self.list.locked().clone();
        let mut failures = String::new();
        let mut channels = Vec::new();
        for e in &list {
            let got = match core.notifications(Some(e.channel)) {
                Ok(records) => records
                    .iter()
                    .filter(|r| r.response.notification == Some(NotificationStatus::Received))
                    .filter(|r| e.target.is_none() || r.target == e.target)
                    .count(),
                Err(err) => {
                    let _ = writeln!(failures, "- channel {}: {err}", e.channel);
                    continue;
                }
            };
            if got != e.count {
                let _ = writeln!(
                    failures,
                    "- channel {}: expected exactly {} answered 200 Received, got {got} (fake.expect(ChannelId({})).{}({}))",
                    e.channel,
                    kind(e.target, e.count),
                    e.channel.0,
                    method(e.target),
                    e.count,
                );
                if !channels.contains(&e.channel) {
                    channels.push(e.channel);
                }
            }
        }
        if failures.is_empty() {
            return Ok(());
        }
        let mut report = format!("fake MPNS expectations not met:\n{failures}");
        for id in channels {
            let records = core.notifications(Some(id)).unwrap_or_default();
            let _ = writeln!(
                report,
                "channel {id} received {} request(s):",
                records.len()
            );
            if records.is_empty() {
                let _ = writeln!(report, "  (none)");
            }
            for r in records.iter() {
                let what = match r.content.as_deref() {
                    Some(Content::Toast(t)) => format!(
                        "toast text1={:?} text2={:?}",
                        t.text1.as_deref().unwrap_or(""),
                        t.text2.as_deref().unwrap_or("")
                    ),
                    Some(Content::Tile(t)) => format!("tile {:?} id={:?}", t.template, t.id),
                    Some(Content::Raw { body }) => format!("raw {} bytes", body.len()),
                    None => format!("{} (not understood)", r.method),
                };
                let repeat = match r.repeat {
                    0 => String::new(),
                    n => format!(" (repeat {n} of X-MessageID {:?})", r.message_id),
                };
                let _ = writeln!(
                    report,
                    "  #{} {what} -> {}{repeat}",
                    r.seq,
                    super::events::describe(&r.response, r.fate)
                );
                for d in &r.diagnostics {
                    let _ = writeln!(report, "      note: {d}");
                }
            }
        }
        report.push_str(
            "Fix the sender so it sends what the test means, or change the expectation to what is right.",
        );
        Err(report)
    }
}
