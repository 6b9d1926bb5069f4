//! How the log keeps a request: packed into one buffer and read back into a
//! `NotificationRecord` only when someone asks. Kept apart from the engine because its layout is
//! a measured choice (see `Kept`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use bytes::Bytes;

use crate::fake::answer::{Answer, Fate};
use crate::fake::model::{ChannelId, DeliveryState, NotificationRecord};
use crate::protocol::{Batching, Content, Mode, Target};

/// What the request path knows about a request besides its inspection: its method, and one
/// buffer of its own holding the body, the message ID, the path and the headers (packed).
pub(crate) struct RequestInfo {
    pub method: Method,
    /// The request target as hyper read it when it is not a plain path (the path is in
    /// `data` otherwise).
    pub other_uri: Option<Uri>,
    /// The body, the `X-MessageID` answered, the path and query, and the headers packed by
    /// [`pack_headers`], one after the other.
    pub data: Bytes,
    /// The lengths of the body, the message ID and the path in `data`.
    pub lens: [usize; 3],
    /// When the path or the headers were cut to [`PATH_KEPT`] / [`HEADERS_KEPT`]: a diagnostic
    /// saying what was left out, added to the record's diagnostics.
    pub truncated: Option<String>,
}

/// The most bytes of a request's path (and query) a record keeps.
pub const PATH_KEPT: usize = 2 * 1024;

/// The most bytes of packed headers (as `pack_headers` writes them) a record keeps: whole
/// headers, in the order they came, until the next one would go past it.
pub const HEADERS_KEPT: usize = 8 * 1024;

/// `data` cut into the body, the message ID, the path and the packed headers.
pub(super) fn split_data(data: &Bytes, lens: [u32; 3]) -> [Bytes; 4] {
    let mut rest = data.clone();
    let mut take = |n: u32| rest.split_to(usize::try_from(n).unwrap_or(usize::MAX).min(rest.len()));
    let [body, id, path] = lens.map(&mut take);
    [body, id, path, rest]
}

/// A record as the log keeps it, smaller than a [`NotificationRecord`]: the request in one
/// buffer (headers packed, the path as bytes), and the content parsed again when the record is
/// read. Inspection depends only on the method, the headers, the body and the mode, all kept,
/// so the content read back is the content the request had on arrival.
///
/// Most records are never read, and the oldest one is dropped for every new one once a
/// channel's log is full; by then it is long out of the CPU's caches. A header map, a URI and
/// the parsed content cost allocations to build, and cache misses to free.
#[derive(Clone)]
pub(super) struct Kept {
    pub(super) method: Method,
    pub(super) other_uri: Option<Box<Uri>>,
    pub(super) data: Bytes,
    pub(super) lens: [u32; 3],
    pub(super) outcome: Outcome,
}

/// What a record says besides its request.
#[derive(Clone)]
pub(super) struct Outcome {
    pub(super) seq: u64,
    pub(super) received_at_ms: u64,
    pub(super) channel: Option<ChannelId>,
    /// The mode the request was inspected in, when it was inspected successfully.
    pub(super) inspected: Option<Mode>,
    pub(super) target: Option<Target>,
    pub(super) batching: Option<Batching>,
    pub(super) response: Answer,
    pub(super) fate: Option<Fate>,
    pub(super) diagnostics: Vec<String>,
    pub(super) delivery: DeliveryState,
    /// How many times the channel had received this request's `X-MessageID` before.
    pub(super) repeat: u32,
}

impl Kept {
    pub(super) fn new(info: RequestInfo, mut outcome: Outcome) -> Self {
        if let Some(note) = info.truncated {
            outcome.diagnostics.push(note);
        }
        Kept {
            method: info.method,
            other_uri: info.other_uri.map(Box::new),
            data: info.data,
            lens: info.lens.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            outcome,
        }
    }

    pub(super) fn seq(&self) -> u64 {
        self.outcome.seq
    }

    /// What the record costs a log, in bytes: its place in the log, the record itself in its
    /// `Arc`, its buffer and its diagnostics (their text and their `String`s), a target other
    /// than a path (lengths, not capacities: a record copied by `Arc::make_mut` costs the same).
    /// The allocator's own overhead is not counted.
    pub(super) fn cost(&self) -> usize {
        std::mem::size_of::<Arc<Kept>>()
            + 2 * std::mem::size_of::<usize>()
            + std::mem::size_of::<Kept>()
            + self.data.len()
            + self
                .outcome
                .diagnostics
                .iter()
                .map(|d| std::mem::size_of::<String>() + d.len())
                .sum::<usize>()
            + self
                .other_uri
                .as_ref()
                .map_or(0, |u| std::mem::size_of::<Uri>() + u.to_string().len())
    }

    /// The record, with its content parsed again from the request.
    pub(super) fn to_record(&self) -> Arc<NotificationRecord> {
        self.record_with(|method, headers, body| {
            let mode = self.outcome.inspected?;
            let inspected = crate::protocol::inspect(method, headers, body, mode).ok()?;
            Some(Arc::new(inspected.content))
        })
    }

    /// The record, its content given by `content` (from the method, headers and body).
    pub(super) fn record_with(
        &self,
        content: impl FnOnce(&Method, &HeaderMap, &Bytes) -> Option<Arc<Content>>,
    ) -> Arc<NotificationRecord> {
        let [body, id, path, packed] = split_data(&self.data, self.lens);
        let headers = unpack_headers(&packed);
        let uri = match &self.other_uri {
            Some(uri) => Uri::clone(uri),
            // It was a valid URI when the request arrived.
            None => Uri::from_maybe_shared(path).unwrap_or_default(),
        };
        let content = content(&self.method, &headers, &body);
        let o = &self.outcome;
        Arc::new(NotificationRecord {
            seq: o.seq,
            channel: o.channel,
            received_at_ms: o.received_at_ms,
            method: self.method.clone(),
            uri,
            headers,
            body,
            content,
            target: o.target,
            batching: o.batching,
            message_id: HeaderValue::from_maybe_shared(id).unwrap_or(HeaderValue::from_static("")),
            response: o.response,
            fate: o.fate,
            diagnostics: o.diagnostics.clone(),
            delivery: o.delivery.clone(),
            repeat: o.repeat,
        })
    }
}

/// The bytes [`pack_headers`] writes for `headers`.
pub(crate) fn packed_len(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| 8 + name.as_str().len() + value.len())
        .sum()
}

/// The headers a record keeps: how many (the first ones whose packed bytes fit in
/// [`HEADERS_KEPT`]), how many are left out, and their packed bytes.
pub(crate) fn kept_headers(headers: &HeaderMap) -> (usize, usize, usize) {
    let mut kept = 0;
    let mut n = 0;
    for (name, value) in headers {
        let len = 8 + name.as_str().len() + value.len();
        if kept + len > HEADERS_KEPT {
            break;
        }
        kept += len;
        n += 1;
    }
    (n, headers.len() - n, kept)
}

/// Writes each of the first `n` headers as its name and its value, each as a 4-byte length and
/// the bytes.
pub(crate) fn pack_headers(headers: &HeaderMap, n: usize, buf: &mut impl bytes::BufMut) {
    for (name, value) in headers.iter().take(n) {
        for part in [name.as_str().as_bytes(), value.as_bytes()] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            buf.put_slice(&len.to_le_bytes());
            buf.put_slice(part);
        }
    }
}

pub(super) fn unpack_headers(packed: &Bytes) -> HeaderMap {
    let mut at = 0;
    let mut next = || {
        let len = packed.get(at..at + 4)?;
        let len = usize::try_from(u32::from_le_bytes(len.try_into().ok()?)).ok()?;
        let start = at + 4;
        at = start.checked_add(len).filter(|end| *end <= packed.len())?;
        Some(packed.slice(start..at))
    };
    let mut headers = HeaderMap::new();
    while let (Some(name), Some(value)) = (next(), next()) {
        // Both were a valid name and value when packed.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&name),
            HeaderValue::from_maybe_shared(value),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

pub(super) fn set_delivery(log: &mut Log, seq: u64, state: DeliveryState) {
    let Some(i) = find_seq(&log.records, seq) else {
        return;
    };
    // The delivery state is a small enum: the record's cost does not change.
    Arc::make_mut(&mut log.records[i]).outcome.delivery = state;
}

/// The default byte budget of all the fake's logs together (see [`Log`]).
pub(crate) const LOG_BYTES_DEFAULT: usize = 256 * 1024 * 1024;

/// One log of records (a channel's, or the one for requests that named no channel), bounded by
/// a count (the fake's `log_limit`) and by a byte budget shared by every log of the fake
/// (`log_bytes`).
///
/// A push that takes the log past its count, or all the logs together past the budget, drops
/// this log's oldest records until both hold again, but always keeps the newest one; the drops
/// are counted (`dropped`). So the logs hold at most the budget plus one record per log, and a
/// record is at most about 14 KB (3 KB of body, [`HEADERS_KEPT`], [`PATH_KEPT`], diagnostics).
///
/// Each log adds its bytes to the shared counter and takes them back when records go or the log
/// is dropped (a reset drops every channel's log), so the counter is exact. A log is one per
/// channel, a million channels are a million logs: it holds no byte count of its own (it sums
/// its records' costs when cleared or dropped, which visits each record anyway).
pub(super) struct Log {
    records: VecDeque<Arc<Kept>>,
    /// Records dropped to stay within the limits since the log was last cleared.
    dropped: u32,
    /// The bytes of every log of this fake.
    used: Arc<AtomicUsize>,
}

impl Log {
    pub(super) fn new(used: Arc<AtomicUsize>) -> Log {
        Log {
            records: VecDeque::new(),
            dropped: 0,
            used,
        }
    }

    pub(super) fn records(&self) -> &VecDeque<Arc<Kept>> {
        &self.records
    }

    pub(super) fn len(&self) -> usize {
        self.records.len()
    }

    pub(super) fn dropped(&self) -> u64 {
        u64::from(self.dropped)
    }

    /// The bytes of the records, as [`Kept::cost`] counts them.
    fn bytes(&self) -> usize {
        self.records.iter().map(|r| r.cost()).sum()
    }

    /// Appends `rec`, then drops the oldest records while the log holds more than `max_records`
    /// or all logs more than `max_bytes`, keeping `rec`. Returns the first record dropped for
    /// the caller to free outside its lock (freeing a record is most of what this costs); a
    /// second one, rare (a large record after small ones), is freed here.
    #[must_use = "the oldest record is dropped by the caller, outside the lock"]
    pub(super) fn push(
        &mut self,
        rec: Arc<Kept>,
        max_records: usize,
        max_bytes: usize,
    ) -> Option<Arc<Kept>> {
        self.used.fetch_add(rec.cost(), Ordering::Relaxed);
        self.records.push_back(rec);
        let mut first = None;
        while self.records.len() > 1
            && (self.records.len() > max_records.max(1)
                || self.used.load(Ordering::Relaxed) > max_bytes)
        {
            let Some(old) = self.records.pop_front() else {
                break;
            };
            self.used.fetch_sub(old.cost(), Ordering::Relaxed);
            self.dropped = self.dropped.saturating_add(1);
            if first.is_none() {
                first = Some(old);
            }
        }
        first
    }

    /// Forgets every record (and the count of dropped ones).
    pub(super) fn clear(&mut self) {
        self.used.fetch_sub(self.bytes(), Ordering::Relaxed);
        self.dropped = 0;
        self.records.clear();
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.used.fetch_sub(self.bytes(), Ordering::Relaxed);
    }
}

/// Where record `seq` is in a log.
pub(super) fn find_seq(log: &VecDeque<Arc<Kept>>, seq: u64) -> Option<usize> {
    // Most often the newest record: delivered as it arrives.
    if log.back().is_some_and(|r| r.seq() == seq) {
        return Some(log.len() - 1);
    }
    // Sequence numbers are taken before the device's lock, so two requests racing on one
    // channel may be logged out of order: a search by halves that misses looks at each.
    log.binary_search_by_key(&seq, |r| r.seq())
        .ok()
        .or_else(|| log.iter().rposition(|r| r.seq() == seq))
}
