//! The MPNS request headers: target, class, message ID, content type, and the 1 KB header limit.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};

use super::{Batching, Findings, Target};

/// Most bytes the request headers may take, counted as `Name: value\r\n` for every header
/// in the map (name + value + 4 bytes), the request line excluded.
pub const MAX_HEADER_BYTES: usize = 1024;

const TARGET: HeaderName = HeaderName::from_static("x-windowsphone-target");
const CLASS: HeaderName = HeaderName::from_static("x-notificationclass");
const MESSAGE_ID: HeaderName = HeaderName::from_static("x-messageid");

/// What the headers say, as far as they could be read.
pub(super) struct Head {
    /// `None` when the target header is not understood (the body is then not read).
    pub target: Option<Target>,
    pub batching: Batching,
    pub message_id: Option<String>,
}

/// The size of the header block, as [`MAX_HEADER_BYTES`] counts it.
fn header_size(name: &HeaderName, value: &HeaderValue) -> usize {
    name.as_str().len() + value.len() + 4
}

/// A header this module reads: its first value and how many times it was sent.
#[derive(Default, Clone, Copy)]
struct Found<'h> {
    first: Option<&'h HeaderValue>,
    count: usize,
}

/// The headers this module reads, gathered in one pass over the map: a request carries five
/// or six headers, and a lookup by name would hash the name each time.
#[derive(Default)]
struct Seen<'h> {
    size: usize,
    target: Found<'h>,
    class: Found<'h>,
    message_id: Found<'h>,
    content_type: Found<'h>,
    content_length: Found<'h>,
}

impl<'h> Seen<'h> {
    fn of(headers: &'h HeaderMap) -> Self {
        let mut seen = Seen::default();
        for (name, value) in headers {
            seen.size += header_size(name, value);
            let found = if name == TARGET {
                &mut seen.target
            } else if name == CLASS {
                &mut seen.class
            } else if name == MESSAGE_ID {
                &mut seen.message_id
            } else if name == header::CONTENT_TYPE {
                &mut seen.content_type
            } else if name == header::CONTENT_LENGTH {
                &mut seen.content_length
            } else {
                continue;
            };
            found.first.get_or_insert(value);
            found.count += 1;
        }
        seen
    }
}

pub(super) fn read(headers: &HeaderMap, body_len: usize, f: &mut Findings) -> Head {
    let seen = Seen::of(headers);
    if seen.size > MAX_HEADER_BYTES {
        f.error(format!(
            "The request headers take {} bytes, over MPNS's limit of {MAX_HEADER_BYTES} bytes (1 KB).",
            seen.size
        ));
    }
    let target = target(seen.target, f);
    let batching = match target {
        Some(target) => class(seen.class, target, f),
        None => Batching::Immediate,
    };
    let message_id = message_id(seen.message_id, f);
    if let Some(target) = target {
        content_type(seen.content_type, target, f);
    }
    content_length(seen.content_length, body_len, f);
    Head {
        target,
        batching,
        message_id,
    }
}

/// The single value of a header, as text; `None` when absent. Records an error (and returns
/// `Err`) when it is sent more than once or is not plain text.
fn single<'h>(found: Found<'h>, shown: &str, f: &mut Findings) -> Result<Option<&'h str>, ()> {
    let Some(first) = found.first else {
        return Ok(None);
    };
    if found.count > 1 {
        f.error(format!(
            "{shown} is sent {} times; send it once.",
            found.count
        ));
        return Err(());
    }
    text(first, shown, f).map(Some)
}

fn text<'h>(value: &'h HeaderValue, shown: &str, f: &mut Findings) -> Result<&'h str, ()> {
    match value.to_str() {
        Ok(s) => Ok(s.trim_matches([' ', '\t'])),
        Err(_) => {
            f.error(format!(
                "{shown} has a value that is not plain ASCII text; it must be one of the documented values."
            ));
            Err(())
        }
    }
}

fn target(found: Found<'_>, f: &mut Findings) -> Option<Target> {
    let value = single(found, "X-WindowsPhone-Target", f).ok()?;
    let Some(value) = value else {
        return Some(Target::Raw);
    };
    match value {
        "token" => return Some(Target::Tile),
        "toast" => return Some(Target::Toast),
        _ => {}
    }
    let lower = |s: &str| value.eq_ignore_ascii_case(s);
    if lower("tile") || lower("token") {
        f.deviation(format!(
            "X-WindowsPhone-Target '{value}' is not the documented spelling: a tile update sends token."
        ));
        Some(Target::Tile)
    } else if lower("toast") {
        f.deviation(format!(
            "X-WindowsPhone-Target '{value}' is not the documented spelling: a toast sends toast."
        ));
        Some(Target::Toast)
    } else if lower("raw") {
        f.deviation(format!(
            "X-WindowsPhone-Target '{value}' is not a documented value: a raw notification sends no X-WindowsPhone-Target."
        ));
        Some(Target::Raw)
    } else {
        f.error(format!(
            "X-WindowsPhone-Target '{}' is not a notification type: send token (tile) or toast, or leave it out for raw.",
            super::text::shorten(value)
        ));
        None
    }
}

/// The three classes of a target, immediate first.
fn classes(target: Target) -> [u8; 3] {
    match target {
        Target::Tile => [1, 11, 21],
        Target::Toast => [2, 12, 22],
        Target::Raw => [3, 13, 23],
    }
}

/// How a target is named in messages.
pub(super) fn target_words(target: Target) -> &'static str {
    match target {
        Target::Tile => "target token",
        Target::Toast => "target toast",
        Target::Raw => "a raw notification (no X-WindowsPhone-Target)",
    }
}

/// How a notification type is named in messages.
pub(super) fn kind_words(target: Target) -> &'static str {
    match target {
        Target::Tile => "a tile update",
        Target::Toast => "a toast",
        Target::Raw => "a raw notification",
    }
}

fn class(found: Found<'_>, target: Target, f: &mut Findings) -> Batching {
    let [now, mid, late] = classes(target);
    let Ok(value) = single(found, "X-NotificationClass", f) else {
        return Batching::Immediate;
    };
    let Some(value) = value else {
        f.note(format!(
            "X-NotificationClass is absent, so the notification is delivered immediately (as with class {now}); Microsoft's samples always send it."
        ));
        return Batching::Immediate;
    };
    let fits = || format!("{} takes {now}, {mid} or {late}", kind_words(target));
    let digits = !value.is_empty()
        && value.len() <= 3
        && value.bytes().all(|b| b.is_ascii_digit())
        && !value.starts_with('0');
    let n: u16 = if digits {
        value.parse().unwrap_or(0)
    } else {
        0
    };
    match n {
        0 => {
            f.error(format!(
                "X-NotificationClass '{}' is not a class number: {}.",
                super::text::shorten(value),
                fits()
            ));
            Batching::Immediate
        }
        n if n == u16::from(now) => Batching::Immediate,
        n if n == u16::from(mid) => Batching::Within450s,
        n if n == u16::from(late) => Batching::Within900s,
        n => {
            f.error(format!(
                "X-NotificationClass {n} does not fit {}: {}.",
                target_words(target),
                fits()
            ));
            Batching::Immediate
        }
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits in either case.
pub(super) fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn message_id(found: Found<'_>, f: &mut Findings) -> Option<String> {
    let value = single(found, "X-MessageID", f).ok()??;
    if !is_guid(value) {
        f.deviation(format!(
            "X-MessageID '{}' is not a GUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.",
            super::text::shorten(value)
        ));
    }
    Some(value.to_owned())
}

fn content_type(found: Found<'_>, target: Target, f: &mut Findings) {
    let Ok(value) = single(found, "Content-Type", f) else {
        return;
    };
    let raw = target == Target::Raw;
    let Some(value) = value else {
        if raw {
            f.deviation(
                "Content-Type is absent; Microsoft's samples send text/xml even for raw notifications.",
            );
        } else {
            f.error(format!(
                "Content-Type is absent; {} must be sent as text/xml.",
                kind_words(target)
            ));
        }
        return;
    };
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("text/xml") {
        let msg = format!(
            "Content-Type '{}' is not text/xml; Microsoft's samples send text/xml for every notification type.",
            super::text::shorten(value)
        );
        if raw {
            f.deviation(msg);
        } else {
            f.error(msg);
        }
        return;
    }
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"'))
    });
    match charset {
        None => f.deviation(format!(
            "Content-Type '{value}' names no charset; strict mode asks for text/xml; charset=utf-8."
        )),
        Some(cs) if cs.eq_ignore_ascii_case("utf-8") => {}
        Some(cs) => {
            let msg = format!(
                "Content-Type charset '{}' is not utf-8; MPNS payloads are UTF-8.",
                super::text::shorten(cs)
            );
            if raw {
                f.deviation(msg);
            } else {
                f.error(msg);
            }
        }
    }
}

fn content_length(found: Found<'_>, body_len: usize, f: &mut Findings) {
    let Ok(Some(value)) = single(found, "Content-Length", f) else {
        return;
    };
    match value.parse::<usize>() {
        Ok(n) if n == body_len => {}
        Ok(n) => f.error(format!(
            "Content-Length {n} does not match the body's {body_len} bytes; it counts UTF-8 bytes, not characters."
        )),
        Err(_) => f.error(format!(
            "Content-Length '{}' is not a byte count.",
            super::text::shorten(value)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_recognized() {
        assert!(is_guid("5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11"));
        assert!(is_guid("5F0C2E2A-9A53-4BB7-9A3C-2F5D6B0F4A11"));
        assert!(!is_guid("{5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11}"));
        assert!(!is_guid("5f0c2e2a9a534bb79a3c2f5d6b0f4a11"));
        assert!(!is_guid("5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a1g"));
    }
}
