//! The fake MPNS's protocol reader, request by request: what it accepts, what it refuses, and
//! what it tells the sender in each mode.

use crate::support::snapshots::snapshot_settings;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use mpns_harness::protocol::{
    inspect, Batching, Content, Inspected, Mode, Rejection, Sound, Target, Template, TileValue,
    MAX_BODY_BYTES, MAX_HEADER_BYTES, SAFE_RAW_BYTES,
};

const GUID: &str = "5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11";
const DECL: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

/// The headers the `mpns` sender writes for `target` (None = raw) and `class`.
fn sent(target: Option<&str>, class: &str) -> HeaderMap {
    let mut pairs = vec![("Content-Type", "text/xml; charset=utf-8")];
    if let Some(t) = target {
        pairs.push(("X-WindowsPhone-Target", t));
    }
    pairs.push(("X-NotificationClass", class));
    pairs.push(("X-MessageID", GUID));
    headers(&pairs)
}

fn toast_headers() -> HeaderMap {
    sent(Some("toast"), "2")
}

fn tile_headers() -> HeaderMap {
    sent(Some("token"), "1")
}

fn raw_headers() -> HeaderMap {
    sent(None, "3")
}

/// A full document around `inner` (the `wp:Toast`/`wp:Tile` element).
fn doc(inner: &str) -> String {
    format!(r#"{DECL}<wp:Notification xmlns:wp="WPNotification">{inner}</wp:Notification>"#)
}

/// A WP8 document (`Version="2.0"`) around `inner`.
fn doc2(inner: &str) -> String {
    format!(
        r#"{DECL}<wp:Notification xmlns:wp="WPNotification" Version="2.0">{inner}</wp:Notification>"#
    )
}

fn accept(mode: Mode, headers: &HeaderMap, body: &str) -> Inspected {
    match inspect(&Method::POST, headers, body.as_bytes(), mode) {
        Ok(seen) => seen,
        Err(r) => panic!("expected {mode:?} to accept, got {r:?}\nbody: {body}"),
    }
}

fn refuse(mode: Mode, headers: &HeaderMap, body: &str) -> Rejection {
    match inspect(&Method::POST, headers, body.as_bytes(), mode) {
        Ok(seen) => panic!("expected {mode:?} to refuse, got {seen:?}\nbody: {body}"),
        Err(r) => r,
    }
}

fn toast_of(seen: &Inspected) -> &mpns_harness::protocol::ToastContent {
    match &seen.content {
        Content::Toast(t) => t,
        other => panic!("expected a toast, got {other:?}"),
    }
}

fn tile_of(seen: &Inspected) -> &mpns_harness::protocol::TileContent {
    match &seen.content {
        Content::Tile(t) => t,
        other => panic!("expected a tile, got {other:?}"),
    }
}

fn set(name: &str, value: &str) -> (String, TileValue) {
    (name.to_owned(), TileValue::Set(value.to_owned()))
}

// ---------------------------------------------------------------------------------------------
// What the sender writes is accepted in strict mode, exactly.

#[test]
fn reference_toast_is_read_in_strict_mode_without_diagnostics() {
    let body = doc(
        "<wp:Toast><wp:Text1>Hi</wp:Text1><wp:Text2>There</wp:Text2><wp:Param>/Page2.xaml?id=7&amp;a=b</wp:Param><wp:Sound>Audio/ding.wav</wp:Sound></wp:Toast>",
    );
    let seen = accept(Mode::Strict, &toast_headers(), &body);
    assert_eq!(seen.target, Target::Toast);
    assert_eq!(seen.batching, Batching::Immediate);
    assert_eq!(seen.message_id.as_deref(), Some(GUID));
    assert!(seen.diagnostics.is_empty(), "{:?}", seen.diagnostics);
    let toast = toast_of(&seen);
    assert_eq!(toast.text1.as_deref(), Some("Hi"));
    assert_eq!(toast.text2.as_deref(), Some("There"));
    assert_eq!(toast.param.as_deref(), Some("/Page2.xaml?id=7&a=b"));
    assert_eq!(toast.sound, Some(Sound::Path("Audio/ding.wav".into())));
}

#[test]
fn silent_sound_is_read_as_silent() {
    let body = doc(r#"<wp:Toast><wp:Text1>Hi</wp:Text1><wp:Sound Silent="true"/></wp:Toast>"#);
    let seen = accept(Mode::Strict, &toast_headers(), &body);
    assert_eq!(toast_of(&seen).sound, Some(Sound::Silent));
}

#[test]
fn standard_tile_with_clears_and_secondary_id_is_read() {
    let body = doc(
        r#"<wp:Tile Id="/Secondary.xaml?city=Oslo&amp;u=c"><wp:BackgroundImage>http://img.example.com/f.png</wp:BackgroundImage><wp:Count>5</wp:Count><wp:Title>Oslo</wp:Title><wp:BackBackgroundImage Action="Clear"></wp:BackBackgroundImage><wp:BackTitle>Back</wp:BackTitle><wp:BackContent Action="Clear"/></wp:Tile>"#,
    );
    let seen = accept(Mode::Strict, &tile_headers(), &body);
    assert!(seen.diagnostics.is_empty(), "{:?}", seen.diagnostics);
    let tile = tile_of(&seen);
    assert_eq!(tile.id.as_deref(), Some("/Secondary.xaml?city=Oslo&u=c"));
    assert_eq!(tile.template, Template::Standard);
    assert!(!tile.version2);
    assert_eq!(
        tile.properties,
        vec![
            set("BackgroundImage", "http://img.example.com/f.png"),
            set("Count", "5"),
            set("Title", "Oslo"),
            ("BackBackgroundImage".into(), TileValue::Clear),
            set("BackTitle", "Back"),
            ("BackContent".into(), TileValue::Clear),
        ]
    );
}

#[test]
fn upper_case_id_attribute_names_the_secondary_tile_too() {
    let body = doc(r#"<wp:Tile ID="/S.xaml"><wp:Count>1</wp:Count></wp:Tile>"#);
    let seen = accept(Mode::Strict, &tile_headers(), &body);
    assert_eq!(tile_of(&seen).id.as_deref(), Some("/S.xaml"));
    assert!(seen.diagnostics.is_empty());
}

#[test]
fn every_wp8_template_element_is_accepted_in_microsofts_order() {
    for template in [
        Template::FlipTile,
        Template::IconicTile,
        Template::CycleTile,
    ] {
        let name = format!("{template:?}");
        let elements: String = template
            .elements()
            .iter()
            .map(|e| format!("<wp:{e}>{}</wp:{e}>", sample_value(e)))
            .collect();
        let body = doc2(&format!(
            r#"<wp:Tile Id="/T.xaml" Template="{name}">{elements}</wp:Tile>"#
        ));
        let seen = accept(Mode::Strict, &tile_headers(), &body);
        assert!(seen.diagnostics.is_empty(), "{:?}", seen.diagnostics);
        let tile = tile_of(&seen);
        assert_eq!(tile.template, template);
        assert!(tile.version2);
        let expected: Vec<_> = template
            .elements()
            .iter()
            .map(|e| set(e, &sample_value(e)))
            .collect();
        assert_eq!(tile.properties, expected);
    }
}

/// A value the phone would take for tile element `e`.
fn sample_value(e: &str) -> String {
    match e {
        "Count" => "5".to_owned(),
        "BackgroundColor" => "#FF1BA1E2".to_owned(),
        _ => format!("{e} value"),
    }
}

#[test]
fn template_element_lists_follow_the_reference_tables() {
    assert_eq!(Template::Standard.elements().len(), 6);
    assert_eq!(Template::FlipTile.elements().len(), 10);
    assert_eq!(Template::IconicTile.elements().len(), 8);
    assert_eq!(Template::CycleTile.elements().len(), 12);
    assert_eq!(Template::IconicTile.elements()[7], "BackgroundColor");
    assert_eq!(Template::CycleTile.elements()[9], "CycleImage9");
}

#[test]
fn raw_body_is_kept_byte_for_byte() {
    let body = "<anything>not parsed & not checked</anything>";
    let seen = accept(Mode::Strict, &raw_headers(), body);
    assert_eq!(seen.target, Target::Raw);
    assert_eq!(
        seen.content,
        Content::Raw {
            body: body.as_bytes().to_vec().into()
        }
    );
    assert!(seen.diagnostics.is_empty());
}

#[test]
fn raw_body_may_be_any_bytes() {
    let body = [0u8, 0xFF, 0xFE, b'<', b'&'];
    let seen = inspect(&Method::POST, &raw_headers(), &body, Mode::Strict).unwrap();
    assert_eq!(
        seen.content,
        Content::Raw {
            body: body.to_vec().into()
        }
    );
}

#[test]
fn batching_classes_map_to_intervals_for_each_target() {
    let cases = [
        (Some("token"), "1", Batching::Immediate),
        (Some("token"), "11", Batching::Within450s),
        (Some("token"), "21", Batching::Within900s),
        (Some("toast"), "2", Batching::Immediate),
        (Some("toast"), "12", Batching::Within450s),
        (Some("toast"), "22", Batching::Within900s),
        (None, "3", Batching::Immediate),
        (None, "13", Batching::Within450s),
        (None, "23", Batching::Within900s),
    ];
    for (target, class, batching) in cases {
        let body = match target {
            Some("toast") => doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>"),
            Some(_) => doc("<wp:Tile><wp:Count>1</wp:Count></wp:Tile>"),
            None => "raw".into(),
        };
        let seen = accept(Mode::Strict, &sent(target, class), &body);
        assert_eq!(seen.batching, batching, "{target:?} {class}");
    }
}

// ---------------------------------------------------------------------------------------------
// Method, class and target.

#[test]
fn any_method_but_post_gets_405() {
    let body = doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>");
    for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
        for mode in [Mode::Lenient, Mode::Strict] {
            let r = inspect(&method, &toast_headers(), body.as_bytes(), mode).unwrap_err();
            assert_eq!(r.status, 405);
            assert_eq!(
                r.diagnostics,
                vec![format!(
                    "Method {method} is not allowed: MPNS accepts only POST."
                )]
            );
        }
    }
}

#[test]
fn class_of_another_target_is_refused_in_both_modes() {
    let toast = doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>");
    let tile = doc("<wp:Tile><wp:Count>1</wp:Count></wp:Tile>");
    let cases = [
        (Some("token"), "2", tile.as_str(), "X-NotificationClass 2 does not fit target token: a tile update takes 1, 11 or 21."),
        (Some("toast"), "11", toast.as_str(), "X-NotificationClass 11 does not fit target toast: a toast takes 2, 12 or 22."),
        (None, "1", "raw", "X-NotificationClass 1 does not fit a raw notification (no X-WindowsPhone-Target): a raw notification takes 3, 13 or 23."),
        (Some("toast"), "4", toast.as_str(), "X-NotificationClass 4 does not fit target toast: a toast takes 2, 12 or 22."),
    ];
    for (target, class, body, message) in cases {
        for mode in [Mode::Lenient, Mode::Strict] {
            let r = refuse(mode, &sent(target, class), body);
            assert_eq!(r.status, 400);
            assert_eq!(r.diagnostics, vec![message.to_owned()]);
        }
    }
}

#[test]
fn class_that_is_not_a_number_is_refused() {
    let toast = doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>");
    for class in ["two", "", "02", "+2", "2.0", "1000"] {
        let r = refuse(Mode::Lenient, &sent(Some("toast"), class), &toast);
        assert_eq!(
            r.diagnostics,
            vec![format!(
                "X-NotificationClass '{class}' is not a class number: a toast takes 2, 12 or 22."
            )]
        );
    }
}

#[test]
fn absent_class_means_immediate_with_a_note_in_both_modes() {
    let toast = doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>");
    let h = headers(&[
        ("Content-Type", "text/xml; charset=utf-8"),
        ("X-WindowsPhone-Target", "toast"),
    ]);
    for mode in [Mode::Lenient, Mode::Strict] {
        let seen = accept(mode, &h, &toast);
        assert_eq!(seen.batching, Batching::Immediate);
        assert_eq!(seen.message_id, None);
        assert_eq!(
            seen.diagnostics,
            vec!["X-NotificationClass is absent, so the notification is delivered immediately (as with class 2); Microsoft's samples always send it."]
        );
    }
}

#[test]
fn unknown_target_is_refused_in_both_modes() {
    for mode in [Mode::Lenient, Mode::Strict] {
        let r = refuse(mode, &sent(Some("badge"), "2"), "x");
        assert_eq!(r.status, 400);
        assert_eq!(
            r.diagnostics,
            vec!["X-WindowsPhone-Target 'badge' is not a notification type: send token (tile) or toast, or leave it out for raw."]
        );
    }
}

#[test]
fn header_sent_twice_is_refused() {
    let mut h = toast_headers();
    h.append("x-notificationclass", HeaderValue::from_static("2"));
    let r = refuse(
        Mode::Lenient,
        &h,
        &doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>"),
    );
    assert_eq!(
        r.diagnostics,
        vec!["X-NotificationClass is sent 2 times; send it once."]
    );
}

#[test]
fn body_of_the_other_type_is_refused_in_both_modes() {
    for mode in [Mode::Lenient, Mode::Strict] {
        let r = refuse(
            mode,
            &toast_headers(),
            &doc("<wp:Tile><wp:Count>1</wp:Count></wp:Tile>"),
        );
        assert_eq!(r.diagnostics, vec!["The body holds wp:Tile but the headers say target toast: one POST carries one notification, of the type its X-WindowsPhone-Target names."]);
        let r = refuse(
            mode,
            &tile_headers(),
            &doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>"),
        );
        assert_eq!(r.diagnostics, vec!["The body holds wp:Toast but the headers say target token: one POST carries one notification, of the type its X-WindowsPhone-Target names."]);
    }
}

#[test]
fn content_length_must_count_bytes() {
    let body = doc("<wp:Toast><wp:Text1>Привет</wp:Text1></wp:Toast>");
    let chars = body.chars().count().to_string();
    let bytes = body.len().to_string();
    let mut h = toast_headers();
    h.insert("content-length", bytes.parse().unwrap());
    accept(Mode::Strict, &h, &body);
    h.insert("content-length", chars.parse().unwrap());
    let r = refuse(Mode::Lenient, &h, &body);
    assert_eq!(
        r.diagnostics,
        vec![format!("Content-Length {chars} does not match the body's {bytes} bytes; it counts UTF-8 bytes, not characters.")]
    );
}

// ---------------------------------------------------------------------------------------------
// Size limits, at the limit and one byte over.

/// Headers whose block is exactly `size` bytes as the reader counts it.
fn headers_of_size(size: usize) -> HeaderMap {
    let mut h = toast_headers();
    let used: usize = h.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
    let name = "x-padding";
    let pad = size - used - name.len() - 4;
    h.insert(name, "p".repeat(pad).parse().unwrap());
    h
}

#[test]
fn header_block_of_1024_bytes_is_accepted_and_1025_refused() {
    let body = doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>");
    accept(Mode::Strict, &headers_of_size(MAX_HEADER_BYTES), &body);
    for mode in [Mode::Lenient, Mode::Strict] {
        let r = refuse(mode, &headers_of_size(MAX_HEADER_BYTES + 1), &body);
        assert_eq!(
            r.diagnostics,
            vec!["The request headers take 1025 bytes, over MPNS's limit of 1024 bytes (1 KB)."]
        );
    }
}

/// A toast document of exactly `size` bytes.
fn toast_of_size(size: usize) -> String {
    let empty = doc("<wp:Toast><wp:Text1></wp:Text1></wp:Toast>");
    doc(&format!(
        "<wp:Toast><wp:Text1>{}</wp:Text1></wp:Toast>",
        "x".repeat(size - empty.len())
    ))
}

#[test]
fn body_of_3072_bytes_is_accepted_and_3073_refused() {
    assert_eq!(toast_of_size(MAX_BODY_BYTES).len(), 3072);
    accept(
        Mode::Strict,
        &toast_headers(),
        &toast_of_size(MAX_BODY_BYTES),
    );
    for mode in [Mode::Lenient, Mode::Strict] {
        let r = refuse(mode, &toast_headers(), &toast_of_size(MAX_BODY_BYTES + 1));
        assert_eq!(
            r.diagnostics,
            vec!["The body has 3073 bytes, over MPNS's limit of 3072 bytes (3 KB)."]
        );
        let r = refuse(mode, &raw_headers(), &"r".repeat(MAX_BODY_BYTES + 1));
        assert_eq!(
            r.diagnostics,
            vec!["The body has 3073 bytes, over MPNS's limit of 3072 bytes (3 KB)."]
        );
    }
}

#[test]
fn raw_body_over_1_kb_is_a_note_in_lenient_and_refused_in_strict() {
    let at_limit = "r".repeat(SAFE_RAW_BYTES);
    assert!(accept(Mode::Strict, &raw_headers(), &at_limit)
        .diagnostics
        .is_empty());
    let over = "r".repeat(SAFE_RAW_BYTES + 1);
    let message = "The raw body has 1025 bytes, over the 1024 bytes (1 KB) that are safe for raw notifications.";
    assert_eq!(
        accept(Mode::Lenient, &raw_headers(), &over).diagnostics,
        vec![message]
    );
    assert_eq!(
        refuse(Mode::Strict, &raw_headers(), &over).diagnostics,
        vec![message]
    );
    let max = "r".repeat(MAX_BODY_BYTES);
    assert_eq!(
        accept(Mode::Lenient, &raw_headers(), &max)
            .diagnostics
            .len(),
        1
    );
}

// ---------------------------------------------------------------------------------------------
// Lenient accepts with a diagnostic; strict refuses with the same sentence.

/// Asserts that lenient mode accepts with exactly `message` and strict mode refuses with it.
fn lenient_only(headers: &HeaderMap, body: &str, message: &str) -> Inspected {
    let seen = accept(Mode::Lenient, headers, body);
    assert_eq!(seen.diagnostics, vec![message.to_owned()], "lenient");
    let r = refuse(Mode::Strict, headers, body);
    assert_eq!(r.status, 400);
    assert_eq!(r.diagnostics, vec![message.to_owned()], "strict");
    seen
}

#[test]
fn missing_xml_declaration_is_lenient_only() {
    let body = r#"<wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>a</wp:Text1></wp:Toast></wp:Notification>"#;
    lenient_only(&toast_headers(), body, "No XML declaration: Microsoft's payloads begin with <?xml version=\"1.0\" encoding=\"utf-8\"?>.");
}

#[test]
fn toast_elements_out_of_order_are_lenient_only() {
    let body = doc("<wp:Toast><wp:Text2>b</wp:Text2><wp:Text1>a</wp:Text1></wp:Toast>");
    let seen = lenient_only(&toast_headers(), &body, "wp:Text1 comes after wp:Text2 in wp:Toast, out of Microsoft's order: Text1, Text2, Param, Sound.");
    assert_eq!(toast_of(&seen).text1.as_deref(), Some("a"));
    assert_eq!(toast_of(&seen).text2.as_deref(), Some("b"));
}

#[test]
fn tile_elements_out_of_order_are_lenient_only_and_kept_in_document_order() {
    // PushSharp put Title and Count first.
    let body = doc("<wp:Tile><wp:Title>T</wp:Title><wp:Count>3</wp:Count><wp:BackgroundImage>/a.png</wp:BackgroundImage></wp:Tile>");
    let seen = lenient_only(&tile_headers(), &body, "wp:Count comes after wp:Title in wp:Tile, out of Microsoft's order: BackgroundImage, Count, Title, BackBackgroundImage, BackTitle, BackContent.");
    assert_eq!(
        tile_of(&seen).properties,
        vec![
            set("Title", "T"),
            set("Count", "3"),
            set("BackgroundImage", "/a.png")
        ]
    );
}

#[test]
fn wp8_templates_without_version_are_lenient_only() {
    for (template, element) in [
        ("FlipTile", "WideBackContent"),
        ("IconicTile", "WideContent1"),
        ("CycleTile", "CycleImage1"),
    ] {
        let body = doc(&format!(
            r#"<wp:Tile Template="{template}"><wp:{element}>x</wp:{element}></wp:Tile>"#
        ));
        let seen = lenient_only(
            &tile_headers(),
            &body,
            &format!("{template} without Version=\"2.0\" on wp:Notification: Microsoft's WP8 templates declare it."),
        );
        assert!(!tile_of(&seen).version2);
    }
}

#[test]
fn content_type_without_charset_is_lenient_only() {
    let h = headers(&[
        ("Content-Type", "text/xml"),
        ("X-WindowsPhone-Target", "toast"),
        ("X-NotificationClass", "2"),
    ]);
    lenient_only(
        &h,
        &doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>"),
        "Content-Type 'text/xml' names no charset; strict mode asks for text/xml; charset=utf-8.",
    );
}

#[test]
fn content_type_charset_may_be_quoted_and_in_any_case() {
    for ct in [
        "text/xml; charset=\"utf-8\"",
        "Text/XML;charset=UTF-8",
        "text/xml ; charset = utf-8",
    ] {
        let h = headers(&[
            ("Content-Type", ct),
            ("X-WindowsPhone-Target", "toast"),
            ("X-NotificationClass", "2"),
        ]);
        let seen = accept(
            Mode::Strict,
            &h,
            &doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>"),
        );
        assert!(seen.diagnostics.is_empty(), "{ct}: {:?}", seen.diagnostics);
    }
}

#[test]
fn absent_content_type_on_raw_is_lenient_only() {
    let h = headers(&[("X-NotificationClass", "3")]);
    lenient_only(
        &h,
        "raw",
        "Content-Type is absent; Microsoft's samples send text/xml even for raw notifications.",
    );
}

#[test]
fn other_content_type_on_raw_is_lenient_only() {
    let h = headers(&[
        ("Content-Type", "application/octet-stream"),
        ("X-NotificationClass", "3"),
    ]);
    lenient_only(&h, "raw", "Content-Type 'application/octet-stream' is not text/xml; Microsoft's samples send text/xml for every notification type.");
}

#[test]
fn other_charset_on_raw_is_lenient_only() {
    let h = headers(&[
        ("Content-Type", "text/xml; charset=utf-16"),
        ("X-NotificationClass", "3"),
    ]);
    lenient_only(
        &h,
        "raw",
        "Content-Type charset 'utf-16' is not utf-8; MPNS payloads are UTF-8.",
    );
}

#[test]
fn absent_or_other_content_type_on_a_toast_is_refused_in_both_modes() {
    let body = doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>");
    let absent = headers(&[
        ("X-WindowsPhone-Target", "toast"),
        ("X-NotificationClass", "2"),
    ]);
    let json = headers(&[
        ("Content-Type", "application/json"),
        ("X-WindowsPhone-Target", "toast"),
        ("X-NotificationClass", "2"),
    ]);
    let latin = headers(&[
        ("Content-Type", "text/xml; charset=iso-8859-1"),
        ("X-WindowsPhone-Target", "toast"),
        ("X-NotificationClass", "2"),
    ]);
    for mode in [Mode::Lenient, Mode::Strict] {
        assert_eq!(
            refuse(mode, &absent, &body).diagnostics,
            vec!["Content-Type is absent; a toast must be sent as text/xml."]
        );
        assert_eq!(refuse(mode, &json, &body).diagnostics, vec!["Content-Type 'application/json' is not text/xml; Microsoft's samples send text/xml for every notification type."]);
        assert_eq!(
            refuse(mode, &latin, &body).diagnostics,
            vec!["Content-Type charset 'iso-8859-1' is not utf-8; MPNS payloads are UTF-8."]
        );
    }
}

#[test]
fn tile_and_raw_target_spellings_are_lenient_only() {
    let tile = doc("<wp:Tile><wp:Count>1</wp:Count></wp:Tile>");
    for spelling in ["tile", "Tile", "Token"] {
        let seen = lenient_only(
            &sent(Some(spelling), "1"),
            &tile,
            &format!("X-WindowsPhone-Target '{spelling}' is not the documented spelling: a tile update sends token."),
        );
        assert_eq!(seen.target, Target::Tile);
    }
    let seen = lenient_only(&sent(Some("raw"), "3"), "raw", "X-WindowsPhone-Target 'raw' is not a documented value: a raw notification sends no X-WindowsPhone-Target.");
    assert_eq!(seen.target, Target::Raw);
    let seen = lenient_only(
        &sent(Some("Toast"), "2"),
        &doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>"),
        "X-WindowsPhone-Target 'Toast' is not the documented spelling: a toast sends toast.",
    );
    assert_eq!(seen.target, Target::Toast);
}

#[test]
fn message_id_that_is_not_a_guid_is_lenient_only() {
    let h = headers(&[
        ("Content-Type", "text/xml; charset=utf-8"),
        ("X-WindowsPhone-Target", "toast"),
        ("X-NotificationClass", "2"),
        ("X-MessageID", "42"),
    ]);
    let seen = lenient_only(
        &h,
        &doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>"),
        "X-MessageID '42' is not a GUID in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.",
    );
    assert_eq!(seen.message_id.as_deref(), Some("42"));
}

#[test]
fn namespace_prefix_other_than_wp_is_lenient_only() {
    let body = format!(
        r#"{DECL}<Notification xmlns="WPNotification"><Toast><Text1>a</Text1></Toast></Notification>"#
    );
    let seen = lenient_only(&toast_headers(), &body, "<Notification> is in the WPNotification namespace but lacks the wp: prefix that Microsoft's payloads use.");
    assert_eq!(toast_of(&seen).text1.as_deref(), Some("a"));
}

#[test]
fn clear_with_a_value_is_lenient_only_and_clears() {
    let body = doc(r#"<wp:Tile><wp:Count Action="Clear">0</wp:Count></wp:Tile>"#);
    let seen = lenient_only(
        &tile_headers(),
        &body,
        "wp:Count has Action=\"Clear\" and also the value '0'; a cleared property takes no value.",
    );
    assert_eq!(
        tile_of(&seen).properties,
        vec![("Count".to_owned(), TileValue::Clear)]
    );
}

// ---------------------------------------------------------------------------------------------
// Schema errors: refused in both modes.

fn refused_in_both(headers: &HeaderMap, body: &str, message: &str) {
    for mode in [Mode::Lenient, Mode::Strict] {
        let r = refuse(mode, headers, body);
        assert_eq!(r.status, 400);
        assert_eq!(r.diagnostics, vec![message.to_owned()], "{mode:?}");
    }
}

#[test]
fn wrong_namespace_uri_is_refused_even_with_the_wp_prefix() {
    let body = format!(
        r#"{DECL}<wp:Notification xmlns:wp="http://example.com/WPNotification"><wp:Toast/></wp:Notification>"#
    );
    refused_in_both(&toast_headers(), &body, "<wp:Notification> is in the namespace 'http://example.com/WPNotification'; MPNS elements are in the namespace WPNotification.");
}

#[test]
fn undeclared_prefix_is_refused_with_the_fix() {
    let body = format!(r#"{DECL}<wp:Notification><wp:Toast/></wp:Notification>"#);
    refused_in_both(&toast_headers(), &body, "The prefix 'wp' of <wp:Notification> is not declared: add xmlns:wp=\"WPNotification\" to the root element.");
}

#[test]
fn element_in_no_namespace_is_refused() {
    let body = doc("<wp:Toast><Text1>a</Text1></wp:Toast>");
    refused_in_both(&toast_headers(), &body, "<Text1> is in no namespace; MPNS elements are in the namespace WPNotification (xmlns:wp=\"WPNotification\").");
}

#[test]
fn element_of_another_template_is_refused() {
    // PushSharp #86: an iconic tile sent as FlipTile.
    let body =
        doc2(r#"<wp:Tile Template="FlipTile"><wp:IconImage>/i.png</wp:IconImage></wp:Tile>"#);
    refused_in_both(&tile_headers(), &body, "<wp:IconImage> is not an element of the FlipTile template: it takes SmallBackgroundImage, WideBackgroundImage, WideBackBackgroundImage, WideBackContent, BackgroundImage, Count, Title, BackBackgroundImage, BackTitle, BackContent.");
}

#[test]
fn unknown_template_is_refused() {
    let body = doc2(r#"<wp:Tile Template="StandardTile"><wp:Count>1</wp:Count></wp:Tile>"#);
    refused_in_both(&tile_headers(), &body, "Template 'StandardTile' on wp:Tile is not FlipTile, IconicTile or CycleTile (leave it out for the standard tile).");
}

#[test]
fn unknown_toast_element_is_refused() {
    let body = doc("<wp:Toast><wp:Text3>c</wp:Text3></wp:Toast>");
    refused_in_both(
        &toast_headers(),
        &body,
        "<wp:Text3> is not a toast element: wp:Toast holds Text1, Text2, Param and Sound.",
    );
}

#[test]
fn duplicate_element_is_refused() {
    let body = doc("<wp:Toast><wp:Text1>a</wp:Text1><wp:Text1>b</wp:Text1></wp:Toast>");
    refused_in_both(
        &toast_headers(),
        &body,
        "wp:Text1 appears twice in wp:Toast; each element may appear once.",
    );
}

#[test]
fn two_notifications_in_one_post_are_refused() {
    let body = doc(
        "<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast><wp:Toast><wp:Text1>b</wp:Text1></wp:Toast>",
    );
    refused_in_both(
        &toast_headers(),
        &body,
        "wp:Notification holds a second element <wp:Toast>; one POST carries one notification.",
    );
}

#[test]
fn empty_notification_is_refused() {
    refused_in_both(
        &toast_headers(),
        &doc(""),
        "wp:Notification is empty: it must hold a wp:Toast.",
    );
}

#[test]
fn unknown_attribute_is_refused() {
    let body = doc(r#"<wp:Toast><wp:Text1 Action="Clear">a</wp:Text1></wp:Toast>"#);
    refused_in_both(
        &toast_headers(),
        &body,
        "wp:Text1 takes no attribute Action.",
    );
}

#[test]
fn version_other_than_2_0_is_refused() {
    let body = format!(
        r#"{DECL}<wp:Notification xmlns:wp="WPNotification" Version="1.0"><wp:Toast/></wp:Notification>"#
    );
    refused_in_both(
        &toast_headers(),
        &body,
        "Version '1.0' on wp:Notification is not 2.0, the only version MPNS templates declare.",
    );
}

#[test]
fn body_that_is_not_utf8_is_refused() {
    let mut body = doc("<wp:Toast><wp:Text1>caf\u{e9}</wp:Text1></wp:Toast>").into_bytes();
    // Windows-1252 é, as Encoding.Default wrote it (docs/mpns-protocol.md §9.10).
    let at = body.iter().position(|&b| b == 0xC3).unwrap();
    body.splice(at..at + 2, [0xE9]);
    for mode in [Mode::Lenient, Mode::Strict] {
        let r = inspect(&Method::POST, &toast_headers(), &body, mode).unwrap_err();
        assert_eq!(
            r.diagnostics,
            vec![format!("The body is not UTF-8: the bytes at offset {at} form no character; MPNS payloads are UTF-8.")]
        );
    }
}

#[test]
fn declaration_with_another_encoding_is_refused() {
    let body = r#"<?xml version="1.0" encoding="utf-16"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast/></wp:Notification>"#;
    refused_in_both(&toast_headers(), body, "The XML declaration says encoding 'utf-16'; MPNS payloads are UTF-8 and declare encoding=\"utf-8\".");
}

// ---------------------------------------------------------------------------------------------
// Escaping: the common mistakes named precisely.

#[test]
fn unescaped_ampersand_in_a_param_is_named() {
    let body =
        doc("<wp:Toast><wp:Text1>a</wp:Text1><wp:Param>/Page.xaml?a=1&b=2</wp:Param></wp:Toast>");
    refused_in_both(
        &toast_headers(),
        &body,
        "'&' not escaped in wp:Param: write it as &amp;.",
    );
}

#[test]
fn unescaped_ampersand_before_a_semicolon_is_named_too() {
    let body = doc("<wp:Toast><wp:Text1>Tom & Jerry; and more</wp:Text1></wp:Toast>");
    refused_in_both(
        &toast_headers(),
        &body,
        "'&' not escaped in wp:Text1: write it as &amp;.",
    );
}

#[test]
fn unescaped_ampersand_in_the_tile_id_is_named() {
    let body = doc(r#"<wp:Tile Id="/S.xaml?a=1&b=2"><wp:Count>1</wp:Count></wp:Tile>"#);
    refused_in_both(
        &tile_headers(),
        &body,
        "'&' not escaped in the Id attribute of wp:Tile: write it as &amp;.",
    );
}

#[test]
fn unescaped_less_than_is_named() {
    for text in ["a<b", "a < b", "1 <2", "x<"] {
        let body = doc(&format!("<wp:Toast><wp:Text1>{text}</wp:Text1></wp:Toast>"));
        refused_in_both(
            &toast_headers(),
            &body,
            "'<' not escaped in wp:Text1: write it as &lt;.",
        );
    }
}

#[test]
fn markup_inside_a_text_element_is_refused() {
    let body = doc("<wp:Toast><wp:Text1><b>bold</b></wp:Text1></wp:Toast>");
    refused_in_both(
        &toast_headers(),
        &body,
        "<b> is not allowed inside wp:Text1, which holds only text.",
    );
}

#[test]
fn html_entity_is_refused_with_the_allowed_list() {
    let body = doc("<wp:Toast><wp:Text1>a&nbsp;b</wp:Text1></wp:Toast>");
    refused_in_both(&toast_headers(), &body, "&nbsp; in wp:Text1 is not an XML entity: only &amp; &lt; &gt; &quot; &apos; and character references are allowed.");
}

#[test]
fn character_reference_to_a_forbidden_character_is_refused() {
    for reference in ["&#0;", "&#x1;", "&#xFFFE;", "&#xD800;", "&#x110000;"] {
        let body = doc(&format!(
            "<wp:Toast><wp:Text1>a{reference}</wp:Text1></wp:Toast>"
        ));
        let name = &reference[1..reference.len() - 1];
        refused_in_both(
            &toast_headers(),
            &body,
            &format!(
                "&{name}; in wp:Text1 is not a character reference to a character XML allows."
            ),
        );
    }
}

#[test]
fn literal_control_character_is_refused() {
    let body = doc("<wp:Toast><wp:Text1>a\u{1}b</wp:Text1></wp:Toast>");
    refused_in_both(
        &toast_headers(),
        &body,
        "wp:Text1 contains the character U+0001, which XML does not allow.",
    );
}

#[test]
fn character_references_and_line_ends_are_resolved() {
    let body = doc(
        "<wp:Toast><wp:Text1>&#x41;&#66;&lt;&gt;&quot;&apos;&amp;</wp:Text1><wp:Text2>a\r\nb\rc&#13;d<![CDATA[<&>]]></wp:Text2></wp:Toast>",
    );
    let seen = accept(Mode::Strict, &toast_headers(), &body);
    assert!(seen.diagnostics.is_empty(), "{:?}", seen.diagnostics);
    assert_eq!(toast_of(&seen).text1.as_deref(), Some("AB<>\"'&"));
    assert_eq!(toast_of(&seen).text2.as_deref(), Some("a\nb\nc\rd<&>"));
}

#[test]
fn double_escaping_is_reported_in_both_modes_without_refusal() {
    // PushSharp #277.
    let body = doc("<wp:Toast><wp:Text1>Tom &amp;amp; Jerry</wp:Text1><wp:Text2>&amp;lt;b&amp;gt;</wp:Text2><wp:Param>/P.xaml?a=1&amp;amp;b=2</wp:Param></wp:Toast>");
    for mode in [Mode::Lenient, Mode::Strict] {
        let seen = accept(mode, &toast_headers(), &body);
        assert_eq!(
            seen.diagnostics,
            vec![
                "'&' escaped twice in wp:Text1: the phone would show 'Tom &amp; Jerry'.",
                "'<' escaped twice in wp:Text2: the phone would show '&lt;b&gt;'.",
                "'&' escaped twice in wp:Param: the phone would show '/P.xaml?a=1&amp;b=2'.",
            ]
        );
    }
}

#[test]
fn double_escaped_tile_id_and_property_are_reported() {
    let body =
        doc(r#"<wp:Tile Id="/S.xaml?a=1&amp;amp;b=2"><wp:Title>it&amp;#39;s</wp:Title></wp:Tile>"#);
    let seen = accept(Mode::Strict, &tile_headers(), &body);
    assert_eq!(
        seen.diagnostics,
        vec![
            "'&' escaped twice in the Id attribute of wp:Tile: the phone would show '/S.xaml?a=1&amp;b=2'.",
            "A character reference escaped twice in wp:Title: the phone would show 'it&#39;s'.",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile XML: refused at once, in bounded time.

#[test]
fn billion_laughs_is_refused_without_expansion() {
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>&lol9;</wp:Text1></wp:Toast></wp:Notification>"#;
    refused_in_both(&toast_headers(), body, "The body declares a DOCTYPE: MPNS payloads may carry no DTD and no entity declarations, so it is refused unread.");
}

#[test]
fn external_entity_doctype_is_refused() {
    let body = r#"<!DOCTYPE n [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>&xxe;</wp:Text1></wp:Toast></wp:Notification>"#;
    refused_in_both(&toast_headers(), body, "The body declares a DOCTYPE: MPNS payloads may carry no DTD and no entity declarations, so it is refused unread.");
}

#[test]
fn undeclared_entity_without_doctype_is_never_expanded() {
    let body = doc("<wp:Toast><wp:Text1>&lol9;</wp:Text1></wp:Toast>");
    refused_in_both(&toast_headers(), &body, "&lol9; in wp:Text1 is not an XML entity: only &amp; &lt; &gt; &quot; &apos; and character references are allowed.");
}

#[test]
fn deeply_nested_markup_stops_at_the_first_unexpected_element() {
    let open = "<a>".repeat(700);
    let body = doc(&format!("<wp:Toast><wp:Text1>{open}</wp:Text1></wp:Toast>"));
    assert!(body.len() <= MAX_BODY_BYTES);
    refused_in_both(
        &toast_headers(),
        &body,
        "<a> is not allowed inside wp:Text1, which holds only text.",
    );
}

// ---------------------------------------------------------------------------------------------
// Well-formedness.

#[test]
fn truncated_body_is_refused() {
    let full = doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>");
    let cut = &full[..full.len() - "</wp:Toast></wp:Notification>".len()];
    refused_in_both(
        &toast_headers(),
        cut,
        "The body ends before wp:Toast is closed.",
    );
}

#[test]
fn mismatched_end_tag_is_refused() {
    let body = doc("<wp:Toast><wp:Text1>a</wp:Text2></wp:Toast>");
    let r = refuse(Mode::Lenient, &toast_headers(), &body);
    assert_eq!(r.diagnostics.len(), 1);
    assert!(
        r.diagnostics[0].starts_with("The end tag </wp:Text2> at byte"),
        "{:?}",
        r.diagnostics
    );
    assert!(r.diagnostics[0].ends_with("does not close <wp:Text1>."));
}

#[test]
fn text_between_elements_is_refused() {
    let body = doc("<wp:Toast>hello<wp:Text1>a</wp:Text1></wp:Toast>");
    refused_in_both(
        &toast_headers(),
        &body,
        "Text 'hello' is not allowed directly inside wp:Toast; only elements go there.",
    );
}

#[test]
fn whitespace_comments_and_bom_are_accepted_in_strict_mode() {
    let body = format!(
        "\u{feff}{DECL}\n<!-- sent by test -->\n<wp:Notification xmlns:wp=\"WPNotification\">\n  <wp:Toast>\n    <wp:Text1>a</wp:Text1>\n  </wp:Toast>\n</wp:Notification>\n"
    );
    let seen = accept(Mode::Strict, &toast_headers(), &body);
    assert!(seen.diagnostics.is_empty(), "{:?}", seen.diagnostics);
    assert_eq!(toast_of(&seen).text1.as_deref(), Some("a"));
}

#[test]
fn declaration_after_whitespace_is_refused() {
    let body = format!(" {}", doc("<wp:Toast/>"));
    refused_in_both(
        &toast_headers(),
        &body,
        "An XML declaration may only stand at the very start of the body.",
    );
}

#[test]
fn empty_body_for_a_toast_is_refused() {
    refused_in_both(
        &toast_headers(),
        "",
        "The body is empty; a toast needs a wp:Notification document.",
    );
}

// ---------------------------------------------------------------------------------------------
// Snapshots: the JSON the server hands on, and every rejection's wording.

#[test]
fn representative_requests_read_as_snapshotted() {
    let cases: Vec<(&str, HeaderMap, String)> = vec![
        (
            "inspect_toast_full",
            toast_headers(),
            doc("<wp:Toast><wp:Text1>Tom &amp; Jerry</wp:Text1><wp:Text2>Ünïcødé ✓ 🎉</wp:Text2><wp:Param>/Page2.xaml?a=1&amp;b=2</wp:Param><wp:Sound>Audio/ding.wav</wp:Sound></wp:Toast>"),
        ),
        (
            "inspect_toast_silent_batched",
            sent(Some("toast"), "22"),
            doc(r#"<wp:Toast><wp:Text1>Quiet</wp:Text1><wp:Sound Silent="true"/></wp:Toast>"#),
        ),
        (
            "inspect_tile_standard_secondary",
            tile_headers(),
            doc(r#"<wp:Tile Id="/SecondaryPage.xaml?city=Oslo"><wp:BackgroundImage>http://img.example.com/f.png</wp:BackgroundImage><wp:Count>5</wp:Count><wp:Title>Oslo</wp:Title><wp:BackBackgroundImage Action="Clear"></wp:BackBackgroundImage><wp:BackTitle>Back</wp:BackTitle><wp:BackContent>Rain, 4°C</wp:BackContent></wp:Tile>"#),
        ),
        (
            "inspect_tile_flip",
            sent(Some("token"), "11"),
            doc2(r#"<wp:Tile Id="/Weather.xaml" Template="FlipTile"><wp:SmallBackgroundImage>/s.png</wp:SmallBackgroundImage><wp:WideBackgroundImage Action="Clear"></wp:WideBackgroundImage><wp:WideBackBackgroundImage>/wb.png</wp:WideBackBackgroundImage><wp:WideBackContent>Wide back</wp:WideBackContent><wp:BackgroundImage>/m.png</wp:BackgroundImage><wp:Count>3</wp:Count><wp:Title>Oslo</wp:Title><wp:BackBackgroundImage>/mb.png</wp:BackBackgroundImage><wp:BackTitle>Back</wp:BackTitle><wp:BackContent>Back content</wp:BackContent></wp:Tile>"#),
        ),
        (
            "inspect_tile_iconic",
            sent(Some("token"), "21"),
            doc2(r#"<wp:Tile Template="IconicTile"><wp:SmallIconImage>/si.png</wp:SmallIconImage><wp:IconImage>/i.png</wp:IconImage><wp:WideContent1>Row 1</wp:WideContent1><wp:WideContent2>Row 2</wp:WideContent2><wp:WideContent3 Action="Clear"/><wp:Count>0</wp:Count><wp:Title>Mail</wp:Title><wp:BackgroundColor>#FF1BA1E2</wp:BackgroundColor></wp:Tile>"#),
        ),
        (
            "inspect_tile_cycle",
            tile_headers(),
            doc2(r#"<wp:Tile Template="CycleTile"><wp:SmallBackgroundImage>/s.png</wp:SmallBackgroundImage><wp:CycleImage1>/1.png</wp:CycleImage1><wp:CycleImage2>/2.png</wp:CycleImage2><wp:CycleImage3 Action="Clear"/><wp:Count>9</wp:Count><wp:Title>Photos</wp:Title></wp:Tile>"#),
        ),
        (
            "inspect_raw",
            raw_headers(),
            "<data><score>3-1</score></data>".to_owned(),
        ),
        (
            "inspect_lenient_pushsharp_style",
            headers(&[("Content-Type", "text/xml"), ("X-WindowsPhone-Target", "Tile"), ("X-NotificationClass", "1")]),
            r#"<wp:Notification xmlns:wp="WPNotification"><wp:Tile Template="FlipTile"><wp:Title>T</wp:Title><wp:Count>2</wp:Count></wp:Tile></wp:Notification>"#.to_owned(),
        ),
    ];
    for (name, headers, body) in cases {
        let seen = accept(Mode::Lenient, &headers, &body);
        let json = serde_json::to_string_pretty(&seen).unwrap();
        snapshot_settings().bind(|| insta::assert_snapshot!(name, json));
    }
}

#[test]
fn rejection_wording_is_stable() {
    let toast = toast_headers();
    let tile = tile_headers();
    let cases: Vec<(&str, Mode, HeaderMap, String)> = vec![
        ("no declaration", Mode::Strict, toast.clone(), r#"<wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>a</wp:Text1></wp:Toast></wp:Notification>"#.into()),
        ("flip without version, out of order, charset-less, tile spelling", Mode::Strict,
            headers(&[("Content-Type", "text/xml"), ("X-WindowsPhone-Target", "tile"), ("X-NotificationClass", "1"), ("X-MessageID", "abc")]),
            doc(r#"<wp:Tile Template="FlipTile"><wp:Title>T</wp:Title><wp:Count>2</wp:Count></wp:Tile>"#)),
        ("several header errors at once", Mode::Lenient,
            headers(&[("X-WindowsPhone-Target", "toast"), ("X-NotificationClass", "3"), ("Content-Length", "9")]),
            doc("<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast>")),
        ("root is not Notification", Mode::Lenient, toast.clone(), format!("{DECL}<Toast/>")),
        ("root in no namespace", Mode::Lenient, toast.clone(), format!("{DECL}<Notification><Toast/></Notification>")),
        ("second root", Mode::Lenient, toast.clone(), format!("{}<wp:Notification/>", doc("<wp:Toast/>"))),
        ("text after root", Mode::Lenient, toast.clone(), format!("{}trailing", doc("<wp:Toast/>"))),
        ("no root", Mode::Lenient, toast.clone(), format!("{DECL}<!-- nothing -->")),
        ("unclosed tag", Mode::Lenient, toast.clone(), doc("<wp:Toast><wp:Text1 </wp:Toast>")),
        ("bad attribute syntax", Mode::Lenient, tile.clone(), doc("<wp:Tile Id=/a.xaml><wp:Count>1</wp:Count></wp:Tile>")),
        ("duplicate attribute", Mode::Lenient, tile.clone(), doc(r#"<wp:Tile Id="/a" Id="/b"/>"#)),
        ("Id and ID", Mode::Lenient, tile.clone(), doc(r#"<wp:Tile Id="/a" ID="/b"/>"#)),
        ("bad Action", Mode::Lenient, tile.clone(), doc(r#"<wp:Tile><wp:Count Action="Reset">1</wp:Count></wp:Tile>"#)),
        ("bad Silent", Mode::Lenient, toast.clone(), doc(r#"<wp:Toast><wp:Sound Silent="yes"/></wp:Toast>"#)),
        ("silent with path", Mode::Lenient, toast.clone(), doc(r#"<wp:Toast><wp:Sound Silent="true">a.wav</wp:Sound></wp:Toast>"#)),
        ("lt in attribute", Mode::Lenient, tile.clone(), doc(r#"<wp:Tile Id="a<b"/>"#)),
        ("cdata end in text", Mode::Lenient, toast.clone(), doc("<wp:Toast><wp:Text1>a]]>b</wp:Text1></wp:Toast>")),
        ("comment with double hyphen", Mode::Lenient, toast.clone(), doc("<wp:Toast><!-- a -- b --></wp:Toast>")),
        ("xml 1.1", Mode::Lenient, toast.clone(), r#"<?xml version="1.1"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast/></wp:Notification>"#.into()),
        ("unknown tile element", Mode::Lenient, tile.clone(), doc("<wp:Tile><wp:WideContent1>x</wp:WideContent1></wp:Tile>")),
        ("empty tile notification", Mode::Lenient, tile.clone(), doc("")),
        ("stray end tag", Mode::Lenient, toast.clone(), format!("{}</wp:Notification>", doc("<wp:Toast/>"))),
        ("target with a list value", Mode::Lenient, headers(&[("X-WindowsPhone-Target", "Toast, token")]), "x".into()),
    ];
    let mut out = String::new();
    for (name, mode, headers, body) in cases {
        let r = refuse(mode, &headers, &body);
        out.push_str(&format!("{name} ({mode:?}) -> {}\n", r.status));
        for d in &r.diagnostics {
            out.push_str(&format!("  {d}\n"));
        }
    }
    snapshot_settings().bind(|| insta::assert_snapshot!("inspect_rejections", out));
}
