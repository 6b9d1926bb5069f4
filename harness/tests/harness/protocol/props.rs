//! Properties of the protocol reader: it never panics and always explains a refusal, and it
//! reads back exactly what a correct sender wrote.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use mpns_harness::protocol::{
    inspect, Content, Mode, Sound, Target, Template, TileContent, TileValue, ToastContent,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Any input: Ok, or 400/405 with at least one sentence.

const VALID_TOAST: &str = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Hi &amp; bye</wp:Text1><wp:Text2>There</wp:Text2><wp:Param>/P.xaml?a=1&amp;b=2</wp:Param><wp:Sound Silent="true"/></wp:Toast></wp:Notification>"#;
const VALID_TILE: &str = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification" Version="2.0"><wp:Tile Id="/S.xaml?a=1&amp;b=2" Template="FlipTile"><wp:SmallBackgroundImage Action="Clear"/><wp:Count>3</wp:Count><wp:Title>T</wp:Title></wp:Tile></wp:Notification>"#;

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        4 => Just(Method::POST),
        1 => Just(Method::GET),
        1 => Just(Method::PUT),
        1 => "[A-Z]{1,8}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
    ]
}

fn header_name() -> impl Strategy<Value = HeaderName> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "x-windowsphone-target",
            "x-notificationclass",
            "x-messageid",
            "content-type",
            "content-length",
            "x-callbackuri",
            "host",
        ])
        .prop_map(HeaderName::from_static),
        1 => "[a-z][a-z0-9-]{0,30}".prop_map(|n| HeaderName::from_bytes(n.as_bytes()).unwrap()),
    ]
}

fn header_value() -> impl Strategy<Value = Option<HeaderValue>> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "toast", "token", "tile", "raw", "Toast", "", "1", "2", "3", "12", "23", "99",
            "text/xml", "text/xml; charset=utf-8", "text/xml; charset=latin1",
            "5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11", "0", "1000000",
        ])
        .prop_map(|v| Some(HeaderValue::from_static(v))),
        1 => prop::collection::vec(any::<u8>(), 0..1200)
            .prop_map(|b| HeaderValue::from_bytes(&b).ok()),
    ]
}

fn header_map() -> impl Strategy<Value = HeaderMap> {
    prop::collection::vec((header_name(), header_value()), 0..8).prop_map(|pairs| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Some(value) = value {
                map.append(name, value);
            }
        }
        map
    })
}

/// One edit of a document: insert, delete or replace at a position (taken modulo the length).
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, &'static str),
    Delete(usize, usize),
    Replace(usize, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let piece = prop::sample::select(vec![
        "<",
        ">",
        "&",
        ";",
        "/",
        "\"",
        "'",
        "=",
        "!",
        "?",
        "[",
        "]",
        "-",
        " ",
        "\r",
        "\u{0}",
        "é",
        "&amp;",
        "&#",
        "&#x;",
        "&lol;",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<!DOCTYPE a>",
        "<?xml version=\"1.0\"?>",
        "<wp:Text1>",
        "</wp:Text1>",
        "<wp:Count>",
        "xmlns:wp=\"x\"",
        "<wp:Tile>",
        "<wp:Toast>",
        " Action=\"Clear\"",
        "\u{FFFE}",
        "\u{1F389}",
    ]);
    prop_oneof![
        (any::<usize>(), piece.clone()).prop_map(|(i, s)| Edit::Insert(i, s)),
        (any::<usize>(), 1..20usize).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), piece).prop_map(|(i, s)| Edit::Replace(i, s)),
    ]
}

fn mutated(doc: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(edit(), 1..6).prop_map(move |edits| {
        let mut bytes = doc.as_bytes().to_vec();
        for e in edits {
            let len = bytes.len().max(1);
            match e {
                Edit::Insert(i, s) => {
                    let i = i % (bytes.len() + 1);
                    bytes.splice(i..i, s.bytes());
                }
                Edit::Delete(i, n) => {
                    let i = i % len;
                    let end = (i + n).min(bytes.len());
                    if i < end {
                        bytes.drain(i..end);
                    }
                }
                Edit::Replace(i, s) => {
                    let i = i % len;
                    let end = (i + s.len()).min(bytes.len());
                    if i <= end {
                        bytes.splice(i..end, s.bytes());
                    }
                }
            }
        }
        bytes
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..4000),
        1 => any::<String>().prop_map(String::into_bytes),
        3 => mutated(VALID_TOAST),
        3 => mutated(VALID_TILE),
    ]
}

/// A diagnostic is a non-empty sentence without control characters.
fn readable(d: &str) -> bool {
    !d.is_empty() && d.ends_with('.') && !d.chars().any(char::is_control)
}

proptest! {
    #[test]
    fn any_request_is_accepted_or_refused_with_a_reason(
        method in method(),
        headers in header_map(),
        body in body(),
        strict in any::<bool>(),
    ) {
        let mode = if strict { Mode::Strict } else { Mode::Lenient };
        match inspect(&method, &headers, &body, mode) {
            Ok(seen) => {
                prop_assert_eq!(method, Method::POST);
                let kind_fits = matches!(
                    (&seen.content, seen.target),
                    (Content::Toast(_), Target::Toast)
                        | (Content::Tile(_), Target::Tile)
                        | (Content::Raw { .. }, Target::Raw)
                );
                prop_assert!(kind_fits, "{:?}", seen);
                prop_assert!(seen.diagnostics.iter().all(|d| readable(d)), "{:?}", seen.diagnostics);
            }
            Err(r) => {
                let expected = if method == Method::POST { 400 } else { 405 };
                prop_assert_eq!(r.status, expected);
                prop_assert!(!r.diagnostics.is_empty());
                prop_assert!(r.diagnostics.iter().all(|d| readable(d)), "{:?}", r.diagnostics);
            }
        }
    }

    #[test]
    fn mutated_valid_documents_under_valid_headers_never_panic(
        body in prop_oneof![mutated(VALID_TOAST), mutated(VALID_TILE)],
        strict in any::<bool>(),
    ) {
        let mode = if strict { Mode::Strict } else { Mode::Lenient };
        for target in ["toast", "token"] {
            let headers = sent(Some(target), if target == "toast" { "2" } else { "1" });
            if let Err(r) = inspect(&Method::POST, &headers, &body, mode) {
                prop_assert_eq!(r.status, 400);
                prop_assert!(!r.diagnostics.is_empty());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Valid notifications: read back exactly, with nothing to say in strict mode.

fn sent(target: Option<&str>, class: &str) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(
        "content-type",
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    if let Some(t) = target {
        map.insert("x-windowsphone-target", HeaderValue::from_str(t).unwrap());
    }
    map.insert("x-notificationclass", HeaderValue::from_str(class).unwrap());
    map.insert(
        "x-messageid",
        HeaderValue::from_static("5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11"),
    );
    map
}

fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Random text of XML characters, rich in the ones that need escaping.
fn text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        2 => prop::sample::select(vec!['&', '<', '>', '"', '\'', '\r', '\n', '\t', ' ', ']']),
        2 => any::<char>().prop_filter("an XML character", |&c| xml_char(c)),
        3 => prop::char::range('a', 'z'),
    ];
    prop::collection::vec(c, 0..12)
        .prop_map(|cs| cs.into_iter().collect::<String>())
        // `&...;` in the plain text would (rightly) be reported as escaped twice.
        .prop_filter("no &...; in the plain text", |s| {
            !(s.contains('&') && s.contains(';'))
        })
}

/// The tiny escaper a correct sender uses. `refs` writes non-ASCII characters as `&#x..;`.
fn escape(s: &str, attribute: bool, refs: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if refs && !c.is_ascii() => out.push_str(&format!("&#x{:X};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn element(name: &str, value: &str, refs: bool) -> String {
    format!("<wp:{name}>{}</wp:{name}>", escape(value, false, refs))
}

/// `prefix` then any text: a value of the shape the phone expects, with any text after it.
fn text_after(prefix: &'static str) -> impl Strategy<Value = String> {
    text().prop_map(move |t| format!("{prefix}{t}"))
}

/// A toast the phone would show as sent: some text, a page or query Param, a named sound.
/// (Values of other shapes are read back just as exactly, but get a note: see `protocol::lint`.)
fn toast() -> impl Strategy<Value = ToastContent> {
    let sound = prop_oneof![
        Just(None),
        Just(Some(Sound::Silent)),
        text_after("a").prop_map(|t| Some(Sound::Path(t))),
    ];
    let param = prop_oneof![text_after("/"), text_after("?")];
    (
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(param),
        sound,
    )
        .prop_filter("some text to show", |(text1, text2, _, _)| {
            [text1, text2]
                .iter()
                .any(|t| t.as_deref().is_some_and(|t| !t.trim().is_empty()))
        })
        .prop_map(|(text1, text2, param, sound)| ToastContent {
            text1,
            text2,
            param,
            sound,
        })
}

/// A value of the shape the phone takes for tile element `name`, else any text.
fn tile_value(name: &str) -> BoxedStrategy<String> {
    match name {
        "Count" => (0u8..=99).prop_map(|n| n.to_string()).boxed(),
        "BackgroundColor" => any::<[u8; 3]>()
            .prop_map(|[r, g, b]| format!("#FF{r:02X}{g:02X}{b:02X}"))
            .boxed(),
        n if n.starts_with("CycleImage") => text_after("/").boxed(),
        _ => text().boxed(),
    }
}

fn toast_xml(t: &ToastContent, refs: bool) -> String {
    let mut inner = String::new();
    for (name, value) in [
        ("Text1", &t.text1),
        ("Text2", &t.text2),
        ("Param", &t.param),
    ] {
        if let Some(v) = value {
            inner.push_str(&element(name, v, refs));
        }
    }
    match &t.sound {
        Some(Sound::Silent) => inner.push_str(r#"<wp:Sound Silent="true"/>"#),
        Some(Sound::Path(p)) => inner.push_str(&element("Sound", p, refs)),
        None => {}
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast>{inner}</wp:Toast></wp:Notification>"#
    )
}

fn tile() -> impl Strategy<Value = (TileContent, bool)> {
    let template = prop::sample::select(vec![
        Template::Standard,
        Template::FlipTile,
        Template::IconicTile,
        Template::CycleTile,
    ]);
    (
        template,
        prop::option::of(text_after("/")),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(template, id, version2, self_closing)| {
            let values: Vec<_> = template
                .elements()
                .iter()
                .map(|name| {
                    prop::option::of(prop_oneof![
                        1 => Just(TileValue::Clear),
                        3 => tile_value(name).prop_map(TileValue::Set),
                    ])
                })
                .collect();
            values.prop_map(move |values| {
                let properties = template
                    .elements()
                    .iter()
                    .zip(values)
                    .filter_map(|(name, v)| v.map(|v| ((*name).to_owned(), v)))
                    .collect();
                (
                    TileContent {
                        id: id.clone(),
                        template,
                        // WP8 templates always carry Version="2.0" from a correct sender.
                        version2: version2 || template != Template::Standard,
                        properties,
                    },
                    self_closing,
                )
            })
        })
}

fn tile_xml(t: &TileContent, self_closing: bool, refs: bool) -> String {
    let mut attrs = String::new();
    if let Some(id) = &t.id {
        attrs.push_str(&format!(r#" Id="{}""#, escape(id, true, refs)));
    }
    if t.template != Template::Standard {
        attrs.push_str(&format!(r#" Template="{:?}""#, t.template));
    }
    let mut inner = String::new();
    for (name, value) in &t.properties {
        match value {
            TileValue::Clear if self_closing => {
                inner.push_str(&format!(r#"<wp:{name} Action="Clear"/>"#))
            }
            TileValue::Clear => {
                inner.push_str(&format!(r#"<wp:{name} Action="Clear"></wp:{name}>"#))
            }
            TileValue::Set(v) if v.is_empty() && self_closing => {
                inner.push_str(&format!("<wp:{name}/>"))
            }
            TileValue::Set(v) => inner.push_str(&element(name, v, refs)),
        }
    }
    let version = if t.version2 { r#" Version="2.0""# } else { "" };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"{version}><wp:Tile{attrs}>{inner}</wp:Tile></wp:Notification>"#
    )
}

proptest! {
    #[test]
    fn valid_toast_reads_back_exactly_in_strict_mode(
        t in toast(),
        refs in any::<bool>(),
        class in prop::sample::select(vec!["2", "12", "22"]),
    ) {
        let body = toast_xml(&t, refs);
        let seen = inspect(&Method::POST, &sent(Some("toast"), class), body.as_bytes(), Mode::Strict)
            .map_err(|r| TestCaseError::fail(format!("{r:?}\n{body}")))?;
        prop_assert!(seen.diagnostics.is_empty(), "{:?}", seen.diagnostics);
        prop_assert_eq!(seen.content, Content::Toast(t));
    }

    #[test]
    fn valid_tile_reads_back_exactly_in_strict_mode(
        (t, self_closing) in tile(),
        refs in any::<bool>(),
        class in prop::sample::select(vec!["1", "11", "21"]),
    ) {
        let body = tile_xml(&t, self_closing, refs);
        let seen = inspect(&Method::POST, &sent(Some("token"), class), body.as_bytes(), Mode::Strict)
            .map_err(|r| TestCaseError::fail(format!("{r:?}\n{body}")))?;
        prop_assert!(seen.diagnostics.is_empty(), "{:?}", seen.diagnostics);
        prop_assert_eq!(seen.content, Content::Tile(t));
    }

    #[test]
    fn valid_raw_reads_back_exactly_in_strict_mode(
        body in prop::collection::vec(any::<u8>(), 0..=1024),
        class in prop::sample::select(vec!["3", "13", "23"]),
    ) {
        let seen = inspect(&Method::POST, &sent(None, class), &body, Mode::Strict)
            .map_err(|r| TestCaseError::fail(format!("{r:?}")))?;
        prop_assert!(seen.diagnostics.is_empty());
        prop_assert_eq!(seen.content, Content::Raw { body: body.into() });
    }
}
