//! The golden wire files in `fixtures/wire/` (written from the sender's side) read by the fake
//! MPNS's own parser: each must be accepted in strict mode with nothing to say.

use std::path::{Path, PathBuf};

use crate::support::snapshots::snapshot_settings;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use mpns_harness::protocol::{inspect, Mode};

/// A request as stored in a `.http` file.
struct WireFile {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Parses `METHOD <path> HTTP/1.1`, header lines, an empty line, then the body bytes as they
/// are (CRLF line ends; bare LF is tolerated in the head so a hand-edited file still reads).
fn parse(bytes: &[u8]) -> Result<WireFile, String> {
    let (head, body) = match find(bytes, b"\r\n\r\n") {
        Some(i) => (&bytes[..i], &bytes[i + 4..]),
        None => match find(bytes, b"\n\n") {
            Some(i) => (&bytes[..i], &bytes[i + 2..]),
            None => return Err("no empty line between the headers and the body".into()),
        },
    };
    let head = std::str::from_utf8(head).map_err(|e| format!("head is not UTF-8: {e}"))?;
    let mut lines = head.lines();
    let request = lines.next().ok_or("no request line")?;
    let mut parts = request.split(' ');
    let (Some(method), Some(path), Some("HTTP/1.1"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!(
            "request line {request:?} is not `METHOD <path> HTTP/1.1`"
        ));
    };
    let method = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line {line:?} has no ':'"))?;
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| e.to_string())?,
            HeaderValue::from_str(value.trim()).map_err(|e| e.to_string())?,
        );
    }
    Ok(WireFile {
        method,
        path: path.to_owned(),
        headers,
        body: body.to_vec(),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn wire_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/wire");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "http"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn every_wire_fixture_is_accepted_in_strict_mode_without_diagnostics() {
    let files = wire_files();
    if files.is_empty() {
        eprintln!("fixtures/wire has no .http files yet: nothing to check");
        return;
    }
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let wire = match std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|b| parse(&b))
        {
            Ok(w) => w,
            Err(e) => {
                failures.push(format!("{name}: cannot be read: {e}"));
                continue;
            }
        };
        if wire.path.ends_with("/callback") {
            // A callback registration (docs/mpns-protocol.md §1.3), not a notification.
            let uri = wire
                .headers
                .get("x-callbackuri")
                .and_then(|v| v.to_str().ok());
            if !uri.is_some_and(|u| u.starts_with("http://") || u.starts_with("https://")) {
                failures.push(format!(
                    "{name}: a /callback registration needs an absolute X-CallbackURI"
                ));
            }
            if wire.body.len() > 1024 {
                failures.push(format!(
                    "{name}: the callback blob has {} bytes, over 1 KB",
                    wire.body.len()
                ));
            }
            continue;
        }
        match inspect(&wire.method, &wire.headers, &wire.body, Mode::Strict) {
            Ok(seen) if seen.diagnostics.is_empty() => {}
            Ok(seen) => failures.push(format!("{name}: accepted with {:?}", seen.diagnostics)),
            Err(r) => failures.push(format!("{name}: refused {} {:?}", r.status, r.diagnostics)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn wire_fixtures_read_as_snapshotted() {
    let files = wire_files();
    if files.is_empty() {
        eprintln!("fixtures/wire has no .http files yet: nothing to snapshot");
        return;
    }
    let mut out = String::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(wire) = parse(&std::fs::read(file).unwrap()) else {
            continue;
        };
        if wire.path.ends_with("/callback") {
            continue;
        }
        let seen = inspect(&wire.method, &wire.headers, &wire.body, Mode::Strict);
        let json = match &seen {
            Ok(seen) => serde_json::to_string_pretty(seen).unwrap(),
            Err(r) => serde_json::to_string_pretty(r).unwrap(),
        };
        out.push_str(&format!("== {name}\n{json}\n"));
    }
    snapshot_settings().bind(|| insta::assert_snapshot!("inspect_wire_fixtures", out));
}

#[test]
fn wire_file_format_is_parsed_as_documented() {
    let bytes = b"POST /throttledthirdparty/01.00/AAF HTTP/1.1\r\nHost: 127.0.0.1\r\nX-NotificationClass: 3\r\n\r\nline1\r\n\r\nline2";
    let wire = parse(bytes).unwrap();
    assert_eq!(wire.method, Method::POST);
    assert_eq!(wire.path, "/throttledthirdparty/01.00/AAF");
    assert_eq!(wire.headers.len(), 2);
    assert_eq!(wire.body, b"line1\r\n\r\nline2");
}
