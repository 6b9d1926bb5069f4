//! Properties of the payloads: whatever text goes in comes back out of a real XML parser
//! unchanged, the size limits sit exactly where documented, and Count and BackgroundColor are
//! accepted exactly when they are valid.

use mpns::{
    CycleTile, FlipTile, IconicTile, Message, MessageError, Raw, Tile, Toast, WireRequest,
    MAX_HEADER_BYTES,
};
use proptest::prelude::*;
use quick_xml::events::Event;
use quick_xml::XmlVersion;

/// One element as a parser sees it: local name, attributes (prefixed names kept) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
}

fn element(name: &str, attributes: &[(&str, &str)], text: &str) -> Element {
    Element {
        name: name.to_owned(),
        attributes: attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        text: text.to_owned(),
    }
}

/// Parses a payload with quick-xml, applying XML 1.0 end-of-line and attribute-value
/// normalisation, and returns its elements in document order. Also checks the declaration and
/// that every element carries the `wp` prefix.
fn parse(body: &[u8]) -> Vec<Element> {
    let text = std::str::from_utf8(body).expect("payload is UTF-8");
    assert!(text.starts_with(r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification "#));
    let mut reader = quick_xml::Reader::from_str(text);
    let mut elements: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let start = |e: &quick_xml::events::BytesStart<'_>| {
        let qname = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
        let name = qname
            .strip_prefix("wp:")
            .unwrap_or_else(|| panic!("{qname} lacks wp:"));
        let attributes = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                let value = a.normalized_value(XmlVersion::Explicit1_0).unwrap();
                (key, value.into_owned())
            })
            .collect();
        Element {
            name: name.to_owned(),
            attributes,
            text: String::new(),
        }
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Decl(_) => {}
            Event::Start(e) => {
                open.push(elements.len());
                elements.push(start(&e));
            }
            Event::Empty(e) => elements.push(start(&e)),
            Event::End(_) => {
                open.pop().expect("balanced tags");
            }
            Event::Text(t) => {
                let i = *open.last().expect("text inside an element");
                elements[i].text.push_str(&t.xml10_content().unwrap());
            }
            Event::GeneralRef(r) => {
                let i = *open.last().expect("reference inside an element");
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().unwrap().unwrap()
                } else {
                    let name = r.decode().unwrap();
                    let s = quick_xml::escape::resolve_predefined_entity(&name)
                        .unwrap_or_else(|| panic!("unknown entity {name}"));
                    s.chars().next().unwrap()
                };
                elements[i].text.push(c);
            }
            Event::Eof => break,
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert!(open.is_empty(), "unclosed elements");
    elements
}

fn xml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        // Mostly the characters that need care: the five escaped ones and XML whitespace.
        prop::sample::select(vec![
            '&', '<', '>', '"', '\'', '\t', '\n', '\r', ' ', ';', '#'
        ]),
        any::<char>().prop_filter("XML 1.0 Char", |c| matches!(
            *c,
            '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..
        )),
    ]
}

fn xml_text() -> impl Strategy<Value = String> {
    prop::collection::vec(xml_char(), 0..12).prop_map(|v| v.into_iter().collect())
}

fn root(version: bool) -> Element {
    if version {
        element(
            "Notification",
            &[("xmlns:wp", "WPNotification"), ("Version", "2.0")],
            "",
        )
    } else {
        element("Notification", &[("xmlns:wp", "WPNotification")], "")
    }
}

fn texts(names: &[&str], values: &[String]) -> Vec<Element> {
    names
        .iter()
        .zip(values)
        .map(|(n, v)| element(n, &[], v))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn toast_text_survives_a_round_trip_through_an_xml_parser(
        t1 in xml_text(), t2 in xml_text(), p in xml_text(), s in xml_text()
    ) {
        let text2 = format!("x{t2}");
        let param = format!("/{p}");
        let sound = format!("a{s}");
        prop_assume!(!sound.contains("://"));
        let toast = Toast::new().text1(&t1).text2(&text2).param(&param).sound(&sound).build().unwrap();
        let mut expected = vec![root(false), element("Toast", &[], "")];
        expected.extend(texts(&["Text1", "Text2", "Param", "Sound"], &[t1, text2, param, sound]));
        prop_assert_eq!(parse(toast.body()), expected);
    }

    #[test]
    fn standard_tile_text_survives_a_round_trip_through_an_xml_parser(
        values in prop::collection::vec(xml_text(), 6), id in xml_text(), count in 0i64..=99
    ) {
        let id = format!("/{id}");
        let tile = Tile::new()
            .id(&id)
            .background_image(&values[0])
            .count(count)
            .title(&values[1])
            .back_background_image(&values[2])
            .back_title(&values[3])
            .back_content(&values[4])
            .build()
            .unwrap();
        let mut expected = vec![root(false), element("Tile", &[("Id", &id)], "")];
        expected.push(element("BackgroundImage", &[], &values[0]));
        expected.push(element("Count", &[], &count.to_string()));
        expected.extend(texts(&["Title", "BackBackgroundImage", "BackTitle", "BackContent"], &values[1..5]));
        prop_assert_eq!(parse(tile.body()), expected);
    }

    #[test]
    fn flip_tile_text_survives_a_round_trip_through_an_xml_parser(
        v in prop::collection::vec(xml_text(), 9), id in xml_text(), version: bool
    ) {
        let id = format!("/{id}");
        let mut flip = FlipTile::new()
            .id(&id)
            .small_background_image(&v[0])
            .wide_background_image(&v[1])
            .wide_back_background_image(&v[2])
            .wide_back_content(&v[3])
            .background_image(&v[4])
            .count(7)
            .title(&v[5])
            .back_background_image(&v[6])
            .back_title(&v[7])
            .back_content(&v[8]);
        if !version {
            flip = flip.omit_version();
        }
        let mut expected = vec![root(version), element("Tile", &[("Id", &id), ("Template", "FlipTile")], "")];
        expected.extend(texts(
            &["SmallBackgroundImage", "WideBackgroundImage", "WideBackBackgroundImage", "WideBackContent", "BackgroundImage"],
            &v[0..5],
        ));
        expected.push(element("Count", &[], "7"));
        expected.extend(texts(&["Title", "BackBackgroundImage", "BackTitle", "BackContent"], &v[5..9]));
        prop_assert_eq!(parse(flip.build().unwrap().body()), expected);
    }

    #[test]
    fn iconic_tile_text_survives_a_round_trip_through_an_xml_parser(
        v in prop::collection::vec(xml_text(), 6), id in xml_text()
    ) {
        let id = format!("/{id}");
        let iconic = IconicTile::new()
            .id(&id)
            .small_icon_image(&v[0])
            .icon_image(&v[1])
            .wide_content1(&v[2])
            .wide_content2(&v[3])
            .wide_content3(&v[4])
            .count(0)
            .title(&v[5])
            .background_color("#FFabcdef")
            .build()
            .unwrap();
        let mut expected = vec![root(true), element("Tile", &[("Id", &id), ("Template", "IconicTile")], "")];
        expected.extend(texts(&["SmallIconImage", "IconImage", "WideContent1", "WideContent2", "WideContent3"], &v[0..5]));
        expected.push(element("Count", &[], "0"));
        expected.push(element("Title", &[], &v[5]));
        expected.push(element("BackgroundColor", &[], "#FFabcdef"));
        prop_assert_eq!(parse(iconic.body()), expected);
    }

    #[test]
    fn cycle_tile_text_survives_a_round_trip_through_an_xml_parser(
        v in prop::collection::vec(xml_text(), 11), id in xml_text()
    ) {
        let id = format!("/{id}");
        let images: Vec<String> = v[1..10].iter().map(|s| format!("/{s}")).collect();
        let cycle = CycleTile::new()
            .id(&id)
            .small_background_image(&v[0])
            .images(&images)
            .title(&v[10])
            .build()
            .unwrap();
        let mut expected = vec![root(true), element("Tile", &[("Id", &id), ("Template", "CycleTile")], "")];
        expected.push(element("SmallBackgroundImage", &[], &v[0]));
        let names: Vec<String> = (1..=9).map(|i| format!("CycleImage{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        expected.extend(texts(&names, &images));
        expected.push(element("Title", &[], &v[10]));
        prop_assert_eq!(parse(cycle.body()), expected);
    }

    #[test]
    fn a_character_xml_forbids_is_refused_naming_field_and_code_point(
        prefix in xml_text(),
        bad in prop_oneof![0u32..0x9, 0xBu32..0xD, 0xEu32..0x20, Just(0xFFFE), Just(0xFFFF)],
        field in 0usize..4,
    ) {
        let bad = char::from_u32(bad).unwrap();
        let value = format!("{prefix}{bad}");
        let (result, name) = match field {
            0 => (Toast::new().text1(&value).build(), "Text1"),
            1 => (Tile::new().back_content(&value).build(), "BackContent"),
            2 => (FlipTile::new().wide_back_content(&value).build(), "WideBackContent"),
            _ => (IconicTile::new().wide_content2(&value).build(), "WideContent2"),
        };
        let index = prefix.chars().count();
        prop_assert_eq!(result.clone(), Err(MessageError::InvalidXmlChar { field: name, ch: bad, index }));
        let text = result.unwrap_err().to_string();
        let code = format!("U+{:04X}", u32::from(bad));
        prop_assert!(text.starts_with(name) && text.contains(&code), "{}", text);
    }

    #[test]
    fn count_is_accepted_exactly_in_zero_to_ninety_nine(
        n in prop_oneof![any::<i64>(), -3i64..103, Just(i64::MIN), Just(i64::MAX)]
    ) {
        let result = Tile::new().count(n).build();
        if (0..=99).contains(&n) {
            prop_assert!(result.is_ok());
        } else {
            let err = result.unwrap_err();
            prop_assert_eq!(err.to_string(), format!("Count {n} is out of range 0..=99"));
        }
    }

    #[test]
    fn background_color_is_accepted_exactly_when_it_is_opaque_argb(
        s in prop_oneof![".{0,12}", "#[fF]{2}[0-9a-fA-F]{6}", "#?[0-9a-gA-G]{5,10}"]
    ) {
        let valid = s.len() == 9
            && s.starts_with('#')
            && s[1..].chars().all(|c| c.is_ascii_hexdigit())
            && s[1..3].eq_ignore_ascii_case("ff");
        let result = IconicTile::new().background_color(&s).build();
        // Characters XML forbids are refused before the colour rule applies.
        if s.chars().all(|c| c == '\t' || c == '\n' || c == '\r' || !c.is_control()) && !s.contains(['\u{FFFE}', '\u{FFFF}']) {
            match result {
                Ok(_) => prop_assert!(valid, "{:?} accepted", s),
                Err(MessageError::BadColor { value, reason }) => {
                    prop_assert!(!valid, "{:?} refused: {}", s, reason);
                    prop_assert_eq!(value, s);
                }
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        } else {
            prop_assert!(result.is_err());
        }
    }

    #[test]
    fn only_alpha_ff_is_accepted_for_background_color(alpha: u8, rgb in 0u32..0x100_0000, lower: bool) {
        let mut colour = format!("#{alpha:02X}{rgb:06X}");
        if lower {
            colour = colour.to_lowercase();
        }
        let result = IconicTile::new().background_color(&colour).build();
        if alpha == 0xFF {
            prop_assert!(result.is_ok());
        } else {
            let text = result.unwrap_err().to_string();
            let needle = format!("alpha is {}", &colour[1..3]);
            prop_assert!(text.contains(&needle), "{}", text);
        }
    }

    #[test]
    fn bodies_of_3071_and_3072_bytes_build_and_3073_is_refused(
        prefix in xml_text(), kind in 0usize..5, extra in 0usize..3
    ) {
        // Builds a message whose only free text is `text`; its body grows one byte per 'a'.
        let build = |text: &str| -> Result<Message, MessageError> {
            match kind {
                0 => Toast::new().text1(text).build(),
                1 => Tile::new().title(text).build(),
                2 => FlipTile::new().back_content(text).build(),
                3 => IconicTile::new().wide_content1(text).build(),
                _ => CycleTile::new().title(text).build(),
            }
        };
        let base = build(&format!("a{prefix}")).unwrap().body().len();
        let target = 3071 + extra;
        let text = format!("a{prefix}{}", "a".repeat(target - base));
        match build(&text) {
            Ok(message) => {
                prop_assert!(target <= 3072);
                prop_assert_eq!(message.body().len(), target);
            }
            Err(err) => {
                prop_assert_eq!(target, 3073);
                prop_assert_eq!(err.clone(), MessageError::TooLarge { what: "payload", len: 3073, limit: 3072 });
                prop_assert_eq!(err.to_string(), "payload is 3073 bytes, 1 over the limit of 3072 bytes");
            }
        }
    }

    #[test]
    fn raw_bodies_up_to_1024_bytes_build_by_default(bytes in prop::collection::vec(any::<u8>(), 1023..=1025)) {
        let result = Raw::new(bytes.clone()).build();
        if bytes.len() <= 1024 {
            let message = result.unwrap();
            prop_assert_eq!(message.body(), &bytes[..]);
        } else {
            prop_assert_eq!(
                result.unwrap_err().to_string(),
                "raw payload is 1025 bytes, 1 over the limit of 1024 bytes"
            );
        }
    }

    #[test]
    fn a_raised_raw_limit_is_exact(limit in 1usize..=3072, delta in 0usize..3) {
        let len = limit - 1 + delta;
        let result = Raw::new(vec![b'r'; len]).max_len(limit).build();
        prop_assert_eq!(result.is_ok(), len <= limit);
        if len > limit {
            prop_assert_eq!(
                result.unwrap_err(),
                MessageError::TooLarge { what: "raw payload", len, limit }
            );
        }
    }

    #[test]
    fn notification_headers_stay_far_below_one_kilobyte(token in "[A-Za-z0-9_-]{1,2000}", kind in 0usize..3) {
        let channel: mpns::ChannelUri = format!("http://db3.notify.live.net/throttledthirdparty/01.00/{token}").parse().unwrap();
        let message = match kind {
            0 => Toast::new().text1("a").build(),
            1 => Tile::new().count(1).build(),
            _ => Raw::new(vec![0u8; 1024]).build(),
        }
        .unwrap();
        let request = WireRequest::notification(&channel, &message, uuid::Uuid::new_v4());
        prop_assert!(request.header_len() < MAX_HEADER_BYTES / 4);
        prop_assert!(request.check_header_len().is_ok());
    }
}
