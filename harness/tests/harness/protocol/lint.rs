//! Values the fake MPNS accepts, as MPNS did, but tells the sender about, because the phone
//! would not show them as meant.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use mpns_harness::protocol::{inspect, Mode};

fn headers(target: &str, class: &str) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in [
        ("content-type", "text/xml; charset=utf-8"),
        ("x-windowsphone-target", target),
        ("x-notificationclass", class),
    ] {
        map.append(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

/// The diagnostics of a request that both modes must accept.
fn notes(target: &str, root_attrs: &str, inner: &str) -> Vec<String> {
    let class = if target == "toast" { "2" } else { "1" };
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"{root_attrs}>{inner}</wp:Notification>"#
    );
    let mut seen = Vec::new();
    for mode in [Mode::Strict, Mode::Lenient] {
        match inspect(
            &Method::POST,
            &headers(target, class),
            body.as_bytes(),
            mode,
        ) {
            Ok(inspected) => seen.push(inspected.diagnostics),
            Err(refused) => panic!("{mode:?} refused a value-only problem: {refused:?}"),
        }
    }
    assert_eq!(seen[0], seen[1], "value notes are the same in both modes");
    seen.remove(0)
}

const V2: &str = r#" Version="2.0""#;

#[test]
fn a_param_that_is_neither_a_page_nor_a_query_is_noted_but_accepted() {
    let got = notes(
        "toast",
        "",
        "<wp:Toast><wp:Text1>Hi</wp:Text1><wp:Param>Page2.xaml</wp:Param></wp:Toast>",
    );
    assert_eq!(
        got,
        ["Param 'Page2.xaml' starts with neither '/' (a page) nor '?' (a query for the start page): the phone cannot launch it."]
    );
    for good in ["/Page2.xaml?a=1", "?a=1"] {
        let inner =
            format!("<wp:Toast><wp:Text1>Hi</wp:Text1><wp:Param>{good}</wp:Param></wp:Toast>");
        assert!(notes("toast", "", &inner).is_empty(), "{good}");
    }
}

#[test]
fn a_toast_without_any_text_is_noted() {
    let got = notes("toast", "", "<wp:Toast><wp:Text1> </wp:Text1></wp:Toast>");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("neither Text1 nor Text2"), "{got:?}");
}

#[test]
fn counts_outside_zero_to_ninety_nine_are_noted_with_what_the_phone_does() {
    let tile = |count: &str| format!("<wp:Tile><wp:Count>{count}</wp:Count></wp:Tile>");
    for fine in ["0", "1", "99", " 7 ", ""] {
        assert!(notes("token", "", &tile(fine)).is_empty(), "{fine:?}");
    }
    assert_eq!(
        notes("token", "", &tile("120")),
        ["Count 120 is over 99: the phone shows 99."]
    );
    for bad in ["-1", "abc", "1.5"] {
        let got = notes("token", "", &tile(bad));
        assert_eq!(got.len(), 1, "{bad:?}: {got:?}");
        assert!(got[0].contains("is not a whole number 0..=99"), "{got:?}");
    }
}

#[test]
fn an_iconic_colour_without_full_alpha_or_in_another_form_is_noted() {
    let iconic = |c: &str| {
        format!(
            r#"<wp:Tile Template="IconicTile"><wp:BackgroundColor>{c}</wp:BackgroundColor></wp:Tile>"#
        )
    };
    assert!(notes("token", V2, &iconic("#FF1BA1E2")).is_empty());
    assert!(notes("token", V2, &iconic("#ff1ba1e2")).is_empty());
    assert_eq!(
        notes("token", V2, &iconic("#801BA1E2")),
        ["BackgroundColor '#801BA1E2' has alpha 80 instead of FF: the phone uses the theme colour."]
    );
    for bad in ["#1BA1E2", "FF1BA1E2", "#GG1BA1E2", "blue"] {
        let got = notes("token", V2, &iconic(bad));
        assert_eq!(got.len(), 1, "{bad}: {got:?}");
        assert!(got[0].contains("is not #AARRGGBB"), "{got:?}");
    }
}

#[test]
fn a_remote_cycle_image_is_noted_and_a_local_one_is_not() {
    let cycle = |uri: &str| {
        format!(r#"<wp:Tile Template="CycleTile"><wp:CycleImage1>{uri}</wp:CycleImage1></wp:Tile>"#)
    };
    assert!(notes("token", V2, &cycle("/Assets/a.png")).is_empty());
    assert!(notes("token", V2, &cycle("isostore:/Shared/ShellContent/a.png")).is_empty());
    let got = notes("token", V2, &cycle("HTTP://img.example.com/a.png"));
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("CycleImage1 'HTTP://img.example.com/a.png' is remote"),
        "{got:?}"
    );
}

#[test]
fn a_tile_id_that_is_not_a_navigation_uri_is_noted() {
    let got = notes(
        "token",
        "",
        r#"<wp:Tile Id="Secondary.xaml"><wp:Title>x</wp:Title></wp:Tile>"#,
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("Tile Id 'Secondary.xaml'"), "{got:?}");
}
