//! The protocol reader is on the request hot path: it allocates only for what it returns (the
//! values, the message ID) plus a few small parser buffers, never per byte or per diagnostic
//! it does not emit.

use axum::http::{HeaderMap, HeaderValue, Method};
use mpns_harness::protocol::{inspect, Mode};

use crate::support::alloc::allocations_in;

fn headers(target: Option<&'static str>, class: &'static str) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(
        "content-type",
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    if let Some(t) = target {
        map.insert("x-windowsphone-target", HeaderValue::from_static(t));
    }
    map.insert("x-notificationclass", HeaderValue::from_static(class));
    map.insert(
        "x-messageid",
        HeaderValue::from_static("5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11"),
    );
    map
}

/// Allocations made by one `inspect` call (the result is dropped afterwards, not counted).
fn allocations(headers: &HeaderMap, body: &[u8]) -> usize {
    let (seen, n) = allocations_in(|| inspect(&Method::POST, headers, body, Mode::Strict));
    assert!(seen.is_ok(), "{seen:?}");
    drop(seen);
    n
}

#[test]
fn toast_inspection_allocates_little_more_than_its_result() {
    let body = br#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Hi</wp:Text1><wp:Text2>There</wp:Text2><wp:Param>/Page2.xaml?id=7&amp;a=b</wp:Param></wp:Toast></wp:Notification>"#;
    let n = allocations(&headers(Some("toast"), "2"), body);
    eprintln!("toast: {n} allocations");
    // The result: the message ID and three values (4). quick-xml's namespace reader: its
    // resolver and the end-tag name stack (about 9). Measured: 14.
    assert!(n <= 16, "{n} allocations");
}

#[test]
fn flip_tile_inspection_allocates_per_property_not_per_byte() {
    let body = br#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification" Version="2.0"><wp:Tile Id="/Weather.xaml?city=Oslo" Template="FlipTile"><wp:SmallBackgroundImage>/Assets/Tiles/small.png</wp:SmallBackgroundImage><wp:WideBackgroundImage>/Assets/Tiles/wide.png</wp:WideBackgroundImage><wp:WideBackBackgroundImage>/Assets/Tiles/wide-back.png</wp:WideBackBackgroundImage><wp:WideBackContent>Wide back content</wp:WideBackContent><wp:BackgroundImage>/Assets/Tiles/medium.png</wp:BackgroundImage><wp:Count>3</wp:Count><wp:Title>Oslo</wp:Title><wp:BackBackgroundImage>/Assets/Tiles/medium-back.png</wp:BackBackgroundImage><wp:BackTitle>Back title</wp:BackTitle><wp:BackContent>Back content</wp:BackContent></wp:Tile></wp:Notification>"#;
    let n = allocations(&headers(Some("token"), "1"), body);
    eprintln!("flip tile: {n} allocations");
    // Ten properties, each a name and a value, plus the Id, the message ID and the Vec's
    // growth (about 26), and the parser's buffers. Measured: 34.
    assert!(n <= 36, "{n} allocations");
}

#[test]
fn raw_inspection_allocates_only_the_body_copy_and_message_id() {
    let n = allocations(&headers(None, "3"), b"<score>3-1</score>");
    eprintln!("raw: {n} allocations");
    assert!(n <= 2, "{n} allocations");
}
