//! The fake MPNS's protocol reader (`mpns_harness::protocol::inspect`) on arbitrary requests:
//! a method, headers (those HTTP can carry) and a body. It must answer every one with an
//! inspection or a rejection, never panic; a rejection is a 4xx with a diagnostic saying why.
#![no_main]

use arbitrary::Arbitrary;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use mpns_harness::protocol::{inspect, Mode};

#[derive(Arbitrary, Debug)]
struct Request {
    post: bool,
    strict: bool,
    headers: Vec<(Header, Vec<u8>)>,
    body: Vec<u8>,
}

/// Mostly the headers the reader looks at, so that their values get explored.
#[derive(Arbitrary, Debug)]
enum Header {
    Target,
    Class,
    MessageId,
    ContentType,
    ContentLength,
    CallbackUri,
    Other(Vec<u8>),
}

fuzz_target!(|r: Request| {
    let mut headers = HeaderMap::new();
    for (name, value) in &r.headers {
        let name = match name {
            Header::Target => HeaderName::from_static("x-windowsphone-target"),
            Header::Class => HeaderName::from_static("x-notificationclass"),
            Header::MessageId => HeaderName::from_static("x-messageid"),
            Header::ContentType => HeaderName::from_static("content-type"),
            Header::ContentLength => HeaderName::from_static("content-length"),
            Header::CallbackUri => HeaderName::from_static("x-callbackuri"),
            Header::Other(bytes) => match HeaderName::from_bytes(bytes) {
                Ok(n) => n,
                Err(_) => continue,
            },
        };
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    let method = if r.post { Method::POST } else { Method::PUT };
    let mode = if r.strict {
        Mode::Strict
    } else {
        Mode::Lenient
    };
    match inspect(&method, &headers, &r.body, mode) {
        Ok(_) => {}
        Err(rejection) => {
            assert!(
                (400..500).contains(&rejection.status),
                "{}",
                rejection.status
            );
            assert!(!rejection.diagnostics.is_empty(), "a rejection says why");
        }
    }
});
