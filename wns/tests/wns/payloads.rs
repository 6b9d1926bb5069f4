//! Each kind's exact wire request (snapshots), and what the builders refuse, field named.

use std::time::Duration;

use wns::{
    ActivationType, Audio, Badge, BuildError, CachePolicy, ChannelUri, Glyph, Image, Input,
    LegacyTile, Match, Options, Priority, Raw, Scenario, Tile, TileBinding, TileImagePlacement,
    TileSize, TileTextStyle, Toast, ToastAction, ToastDuration, WireRequest, MAX_PAYLOAD,
};

use crate::support::snapshots;

fn channel() -> ChannelUri {
    "https://db5.notify.windows.com/?token=AwYAAAB%2fQAhYEnXzIwQ"
        .parse()
        .unwrap()
}

fn http(request: WireRequest) -> String {
    String::from_utf8(request.to_http_bytes()).unwrap()
}

#[test]
fn a_toast_with_every_part_on_the_wire() {
    let toast = Toast::new()
        .launch("chat?id=42&from=toast")
        .duration(ToastDuration::Long)
        .scenario(Scenario::Reminder)
        .text("Ann <ann@example.com>")
        .text("Lunch at 1? \"Usual\" place")
        .image(
            Image::app_logo("https://example.com/ann.png")
                .alt("Ann")
                .circle(),
        )
        .image(Image::hero("ms-appx:///Assets/lunch.png"))
        .input(Input::text("reply").placeholder("Type a reply"))
        .input(
            Input::selection("when")
                .title("When?")
                .choice("1", "1 pm")
                .choice("2", "2 pm"),
        )
        .action(
            ToastAction::new("Send", "reply?id=42")
                .next_to_input("reply")
                .activation(ActivationType::Background),
        )
        .action(
            ToastAction::new("Open map", "https://maps.example/?q=lunch")
                .activation(ActivationType::Protocol),
        )
        .audio(Audio::sound("ms-winsoundevent:Notification.Reminder").looping())
        .build()
        .unwrap()
        .with_options(
            Options::new()
                .ttl(Duration::from_secs(3600))
                .request_for_status()
                .tag("lunch42")
                .group("chats")
                .priority(Priority::High)
                .correlation_vector("7m+MIF/zukuEsvNq7wwnBA.0"),
        )
        .unwrap();
    snapshots().bind(|| {
        insta::assert_snapshot!(
            "wns_toast_every_part",
            http(WireRequest::notification(
                &channel(),
                &toast,
                "EgAcAQMAAAAALYAAY"
            ))
        );
    });
}

#[test]
fn tiles_badges_raw_and_delete_on_the_wire() {
    let adaptive = Tile::new()
        .display_name("Weather")
        .binding(
            TileBinding::new(TileSize::Medium)
                .styled_text("21°", TileTextStyle::TitleNumeral)
                .image(
                    "https://example.com/sun.png",
                    TileImagePlacement::Background,
                ),
        )
        .binding(
            TileBinding::new(TileSize::Wide)
                .text("Monday")
                .styled_text("Sunny, 21°", TileTextStyle::CaptionSubtle)
                .image("ms-appdata:///local/sun.png", TileImagePlacement::Peek),
        )
        .build()
        .unwrap()
        .with_options(Options::new().tag("mon"))
        .unwrap();
    let legacy = LegacyTile::new("TileSquare150x150Text04")
        .fallback("TileSquareText04")
        .text("Monday 21°")
        .and(
            LegacyTile::new("TileWide310x150ImageAndText01")
                .image("https://example.com/sun.png")
                .text("Monday, sunny"),
        )
        .build()
        .unwrap();
    let count = Badge::number(7).build().unwrap();
    let glyph = Badge::glyph(Glyph::Alert)
        .build()
        .unwrap()
        .with_options(Options::new().cache_policy(CachePolicy::NoCache))
        .unwrap();
    let raw = Raw::new(&b"{\"sync\":\"inbox\"}"[..])
        .build()
        .unwrap()
        .with_options(
            Options::new()
                .cache_policy(CachePolicy::Cache)
                .priority(Priority::VeryLow),
        )
        .unwrap();
    let phone = channel().windows_phone();
    let delete = WireRequest::delete(
        &phone,
        &Match::TagInGroup {
            tag: "lunch42".into(),
            group: "chats".into(),
        },
        "EgAcAQ",
    )
    .unwrap();
    let all = [
        http(WireRequest::notification(&channel(), &adaptive, "EgAcAQ")),
        http(WireRequest::notification(&channel(), &legacy, "EgAcAQ")),
        http(WireRequest::notification(&channel(), &count, "EgAcAQ")),
        http(WireRequest::notification(&channel(), &glyph, "EgAcAQ")),
        http(WireRequest::notification(&channel(), &raw, "EgAcAQ")),
        http(delete),
    ]
    .join("\n\n----\n\n");
    snapshots().bind(|| insta::assert_snapshot!("wns_tile_badge_raw_delete", all));
}

#[test]
fn the_builders_refuse_with_the_field_named() {
    let big = "é".repeat(MAX_PAYLOAD / 2);
    let cases: Vec<(Result<wns::Notification, BuildError>, &str)> = vec![
        (Toast::new().build(), "text is required"),
        (
            Toast::new().text("a").text("b").text("c").text("d").build(),
            "text: at most 3 allowed, 4 given",
        ),
        (Toast::new().text(big.clone()).build(), "the payload is 50"),
        (
            Toast::new()
                .text("a")
                .image(Image::hero("ftp://x/y.png"))
                .build(),
            "image.src: \"ftp://x/y.png\" is not a source",
        ),
        (
            Toast::new()
                .text("a")
                .image(Image::hero("https://a/1.png"))
                .image(Image::hero("https://a/2.png"))
                .build(),
            "image (hero): at most 1",
        ),
        (
            Toast::new().text("bell \u{7}").build(),
            "text: U+0007 cannot appear in XML",
        ),
        (
            (0..6)
                .fold(Toast::new().text("a"), |t, i| {
                    t.action(ToastAction::new(format!("b{i}"), "x"))
                })
                .build(),
            "action: at most 5 allowed, 6 given",
        ),
        (
            (0..6)
                .fold(Toast::new().text("a"), |t, i| {
                    t.input(Input::text(format!("i{i}")))
                })
                .build(),
            "input: at most 5 allowed, 6 given",
        ),
        (
            Toast::new()
                .text("a")
                .input(Input::text("r"))
                .input(Input::text("r"))
                .build(),
            "input.id: \"r\" is used by two inputs",
        ),
        (
            Toast::new().text("a").input(Input::selection("s")).build(),
            "input.choice is required",
        ),
        (
            Toast::new()
                .text("a")
                .action(ToastAction::new("Send", "x").next_to_input("nope"))
                .build(),
            "action.next_to_input: no input has the id \"nope\"",
        ),
        (
            Toast::new()
                .text("a")
                .audio(Audio::sound("ms-winsoundevent:Notification.Looping.Alarm").looping())
                .build(),
            "audio.looping: looping audio needs duration long",
        ),
        (
            Toast::new()
                .text("a")
                .audio(Audio::sound("https://example.com/a.mp3"))
                .build(),
            "audio.src",
        ),
        (Raw::new("").build(), "raw is required"),
        (
            Raw::new(vec![b'x'; MAX_PAYLOAD + 1]).build(),
            "the payload is 5001 bytes; WNS takes at most 5000 bytes",
        ),
        (Tile::new().build(), "binding is required"),
        (
            Tile::new()
                .binding(TileBinding::new(TileSize::Small).text("a"))
                .binding(TileBinding::new(TileSize::Small).text("b"))
                .build(),
            "binding: two bindings for TileSmall",
        ),
        (
            LegacyTile::new("Wide").text("a").build(),
            "template: \"Wide\" is not a tile template name",
        ),
        (
            Badge::number(1)
                .build()
                .unwrap()
                .with_options(Options::new().tag("x")),
            "X-WNS-Tag does not apply to a badge notification",
        ),
        (
            Raw::new("x")
                .build()
                .unwrap()
                .with_options(Options::new().suppress_popup()),
            "X-WNS-SuppressPopup does not apply to a raw notification",
        ),
        (
            Toast::new()
                .text("a")
                .build()
                .unwrap()
                .with_options(Options::new().tag("seventeen-chars!!")),
            "X-WNS-Tag: must be 1 to 16 ASCII letters and digits",
        ),
        (
            Toast::new()
                .text("a")
                .build()
                .unwrap()
                .with_options(Options::new().ttl(Duration::from_millis(500))),
            "X-WNS-TTL: must be at least one second",
        ),
        (
            Toast::new()
                .text("a")
                .build()
                .unwrap()
                .with_options(Options::new().correlation_vector("a b")),
            "MS-CV: must be 1 to 128 visible ASCII",
        ),
    ];
    for (i, (result, expected)) in cases.into_iter().enumerate() {
        let err = result.expect_err(&format!("case {i} ({expected}) was accepted"));
        assert!(
            err.to_string().contains(expected),
            "case {i}: {err} does not say {expected:?}"
        );
    }
}

#[test]
fn the_size_limit_counts_utf8_bytes_not_characters() {
    // 2,480 characters of two bytes each: under 5,000 characters, over 5,000 bytes with the XML.
    let text = "é".repeat(2480);
    assert!(text.chars().count() < MAX_PAYLOAD);
    let err = Toast::new().text(text).build().unwrap_err();
    assert!(matches!(err, BuildError::TooLarge { bytes, max: MAX_PAYLOAD } if bytes > MAX_PAYLOAD));
    // Exactly 5,000 bytes is taken.
    let raw = Raw::new(vec![b'x'; MAX_PAYLOAD]).build().unwrap();
    assert_eq!(raw.body().len(), MAX_PAYLOAD);
}
