//! What the reader refuses in both modes: schema errors, escaping mistakes, hostile XML and
//! ill-formed documents; and the snapshots of what it hands on and of every rejection's wording.

use super::*;

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
