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

mod refusals;
