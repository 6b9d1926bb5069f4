//! What the builders refuse, and what their errors say.

use mpns::{
    ChannelUri, CycleTile, FlipTile, IconicTile, MessageError, OsVersion, Raw, RequestError, Tile,
    Toast, WireRequest, MAX_HEADER_BYTES,
};

fn message(result: Result<mpns::Message, MessageError>) -> String {
    result.expect_err("the build should fail").to_string()
}

#[test]
fn a_toast_without_text_is_refused() {
    assert_eq!(
        message(Toast::new().build()),
        "Toast is empty: it needs a non-empty Text1 or Text2"
    );
    assert!(Toast::new().text1("").text2("").build().is_err());
    assert!(Toast::new().text1("").text2("x").build().is_ok());
    assert!(Toast::new().param("/P.xaml").build().is_err());
}

#[test]
fn a_tile_that_changes_nothing_is_refused() {
    assert_eq!(
        message(Tile::new().build()),
        "Tile is empty: set or clear at least one property"
    );
    assert_eq!(
        message(FlipTile::new().id("/A.xaml").build()),
        "FlipTile is empty: set or clear at least one property"
    );
    assert!(IconicTile::new().build().is_err());
    assert!(CycleTile::new().build().is_err());
}

#[test]
fn param_must_start_with_a_slash_or_a_question_mark() {
    assert_eq!(
        message(Toast::new().text1("a").param("Page2.xaml").build()),
        "Param \"Page2.xaml\" must start with / (a page of the app) or ? (a query string for the default page)"
    );
    assert!(Toast::new().text1("a").param("").build().is_err());
    assert!(Toast::new().text1("a").param("/Page2.xaml").build().is_ok());
    assert!(Toast::new().text1("a").param("?a=1").build().is_ok());
}

#[test]
fn a_sound_must_be_a_path_in_the_package() {
    assert_eq!(
        message(Toast::new().text1("a").sound("http://x/a.wav").build()),
        "Sound \"http://x/a.wav\" must be the path of a sound file inside the app package: it is a URL"
    );
    assert_eq!(
        message(Toast::new().text1("a").sound("").build()),
        "Sound \"\" must be the path of a sound file inside the app package: it is empty (use silent() for a silent toast)"
    );
}

#[test]
fn the_last_of_sound_and_silent_wins() {
    let body = |t: Toast| String::from_utf8(t.build().unwrap().body().to_vec()).unwrap();
    assert!(body(Toast::new().text1("a").sound("a.wav").silent())
        .contains("<wp:Sound Silent=\"true\"/>"));
    assert!(body(Toast::new().text1("a").silent().sound("a.wav"))
        .contains("<wp:Sound>a.wav</wp:Sound>"));
}

#[test]
fn a_secondary_tile_id_must_start_with_a_slash() {
    assert_eq!(
        message(Tile::new().title("t").id("Sec.xaml").build()),
        "tile Id \"Sec.xaml\" must be the secondary tile's navigation URI, starting with /"
    );
    assert!(CycleTile::new().title("t").id("").build().is_err());
}

#[test]
fn count_is_checked_on_every_template() {
    let expected = "Count 120 is out of range 0..=99";
    assert_eq!(message(Tile::new().count(120).build()), expected);
    assert_eq!(message(FlipTile::new().count(120).build()), expected);
    assert_eq!(message(IconicTile::new().count(120).build()), expected);
    assert_eq!(message(CycleTile::new().count(120).build()), expected);
    assert_eq!(
        message(Tile::new().count(-1).build()),
        "Count -1 is out of range 0..=99"
    );
    assert!(Tile::new().count(0).build().is_ok());
    assert!(Tile::new().count(99).build().is_ok());
}

#[test]
fn cycle_images_are_local_and_at_most_nine() {
    assert_eq!(
        message(CycleTile::new().image(4, "HTTPS://example.com/a.png").build()),
        "CycleImage4 \"HTTPS://example.com/a.png\" is remote, but cycle tile images must be local URIs (not http:// or https://)"
    );
    assert_eq!(
        message(
            CycleTile::new()
                .images((0..10).map(|i| format!("/{i}.png")))
                .build()
        ),
        "CycleImage index 10 is out of range 1..=9 (a cycle tile has at most 9 images)"
    );
    assert_eq!(
        message(CycleTile::new().clear_image(0).build()),
        "CycleImage index 0 is out of range 1..=9 (a cycle tile has at most 9 images)"
    );
    assert!(CycleTile::new()
        .images((1..=9).map(|i| format!("/{i}.png")))
        .build()
        .is_ok());
    // Small images may be remote: only the cycle images are restricted.
    assert!(CycleTile::new()
        .small_background_image("http://x/s.png")
        .build()
        .is_ok());
}

#[test]
fn forbidden_characters_are_named_with_field_and_code_point() {
    assert_eq!(
        message(Toast::new().text1("ok").text2("bell\u{7}").build()),
        "Text2 contains U+0007 at character 4, which XML 1.0 does not allow"
    );
    assert_eq!(
        message(Tile::new().id("/A.xaml?\u{0}").count(1).build()),
        "Id contains U+0000 at character 8, which XML 1.0 does not allow"
    );
    assert_eq!(
        message(IconicTile::new().wide_content3("\u{FFFF}").build()),
        "WideContent3 contains U+FFFF at character 0, which XML 1.0 does not allow"
    );
}

#[test]
fn without_an_os_level_nothing_is_version_checked() {
    assert!(Toast::new()
        .text1("a")
        .param("/P.xaml")
        .sound("a.wav")
        .build()
        .is_ok());
    assert!(Tile::new().id("/S.xaml").clear_back_title().build().is_ok());
}

#[test]
fn features_newer_than_the_target_os_are_refused_naming_both() {
    let cases: Vec<(Result<mpns::Message, MessageError>, &str)> = vec![
        (
            Toast::new().text1("a").param("/P.xaml").os(OsVersion::V7_0).build(),
            "Param needs Windows Phone 7.1 or later, but the target OS is 7.0",
        ),
        (
            Toast::new().text1("a").sound("a.wav").os(OsVersion::V8_0).build(),
            "Sound needs Windows Phone 8.0 GDR3 (8.0.10492) or later, but the target OS is 8.0",
        ),
        (
            Toast::new().text1("a").silent().os(OsVersion::V7_8).build(),
            "Silent sound needs Windows Phone 8.0 GDR3 (8.0.10492) or later, but the target OS is 7.8",
        ),
        (
            Tile::new().title("t").id("/S.xaml").os(OsVersion::V7_0).build(),
            "Id needs Windows Phone 7.1 or later, but the target OS is 7.0",
        ),
        (
            Tile::new().back_content("b").os(OsVersion::V7_0).build(),
            "BackContent needs Windows Phone 7.1 or later, but the target OS is 7.0",
        ),
        (
            Tile::new().clear_title().os(OsVersion::V7_0).build(),
            "Action=\"Clear\" needs Windows Phone 7.1 or later, but the target OS is 7.0",
        ),
        (
            Tile::new().clear_count().os(OsVersion::V7_0).build(),
            "Action=\"Clear\" needs Windows Phone 7.1 or later, but the target OS is 7.0",
        ),
        (
            FlipTile::new().title("t").os(OsVersion::V7_1).build(),
            "FlipTile needs Windows Phone 7.8 or later, but the target OS is 7.1",
        ),
        (
            IconicTile::new().title("t").os(OsVersion::V7_0).build(),
            "IconicTile needs Windows Phone 7.8 or later, but the target OS is 7.0",
        ),
        (
            CycleTile::new().title("t").os(OsVersion::V7_1).build(),
            "CycleTile needs Windows Phone 7.8 or later, but the target OS is 7.1",
        ),
    ];
    for (result, expected) in cases {
        assert_eq!(message(result), expected);
    }
}

#[test]
fn each_feature_is_accepted_from_the_os_level_that_introduced_it() {
    assert!(Toast::new()
        .text1("a")
        .text2("b")
        .os(OsVersion::V7_0)
        .build()
        .is_ok());
    assert!(Tile::new()
        .background_image("/a.png")
        .count(1)
        .title("t")
        .os(OsVersion::V7_0)
        .build()
        .is_ok());
    assert!(Toast::new()
        .text1("a")
        .param("/P.xaml")
        .os(OsVersion::V7_1)
        .build()
        .is_ok());
    assert!(Tile::new()
        .id("/S.xaml")
        .clear_count()
        .back_title("b")
        .os(OsVersion::V7_1)
        .build()
        .is_ok());
    assert!(FlipTile::new()
        .clear_title()
        .os(OsVersion::V7_8)
        .build()
        .is_ok());
    assert!(IconicTile::new()
        .title("t")
        .os(OsVersion::V8_0)
        .build()
        .is_ok());
    assert!(CycleTile::new()
        .title("t")
        .os(OsVersion::V7_8)
        .build()
        .is_ok());
    assert!(Toast::new()
        .text1("a")
        .sound("a.wav")
        .os(OsVersion::V8_0Gdr3)
        .build()
        .is_ok());
    assert!(Toast::new()
        .text1("a")
        .silent()
        .os(OsVersion::V8_0Gdr3)
        .build()
        .is_ok());
    assert!(Raw::new(&b"x"[..]).os(OsVersion::V7_0).build().is_ok());
}

#[test]
fn a_raw_limit_above_the_body_limit_is_refused() {
    assert_eq!(
        message(Raw::new(&b"x"[..]).max_len(3073).build()),
        "raw payload limit 3073 is above the MPNS body limit of 3072 bytes"
    );
}

#[test]
fn the_callback_uri_must_be_absolute_http() {
    let channel: ChannelUri = "https://127.0.0.1:9/unthrottledthirdparty/01.00/AAE"
        .parse()
        .unwrap();
    assert_eq!(
        WireRequest::callback(&channel, "/relative", &b""[..]).unwrap_err().to_string(),
        "X-CallbackURI \"/relative\" must be an absolute http:// or https:// URL without whitespace or control characters"
    );
    assert!(WireRequest::callback(&channel, "https://a b", &b""[..]).is_err());
}

#[test]
fn callback_blobs_up_to_one_kilobyte_are_accepted() {
    let channel: ChannelUri = "https://127.0.0.1:9/unthrottledthirdparty/01.00/AAE"
        .parse()
        .unwrap();
    let uri = "https://svc.example.com/cb";
    assert!(WireRequest::callback(&channel, uri, vec![7u8; 1024]).is_ok());
    assert_eq!(
        WireRequest::callback(&channel, uri, vec![7u8; 1025]),
        Err(RequestError::TooLarge {
            what: "callback blob",
            len: 1025,
            limit: 1024
        })
    );
}

#[test]
fn a_callback_whose_headers_exceed_one_kilobyte_is_refused() {
    let channel: ChannelUri = "https://127.0.0.1:9/unthrottledthirdparty/01.00/AAE"
        .parse()
        .unwrap();
    let base = WireRequest::callback(&channel, "https://s.example.com/", &b"b"[..]).unwrap();
    let room = MAX_HEADER_BYTES - base.header_len();
    let fits = format!("https://s.example.com/{}", "a".repeat(room));
    let request = WireRequest::callback(&channel, &fits, &b"b"[..]).unwrap();
    assert_eq!(request.header_len(), MAX_HEADER_BYTES);
    let too_long = format!("{fits}a");
    assert_eq!(
        WireRequest::callback(&channel, &too_long, &b"b"[..])
            .unwrap_err()
            .to_string(),
        "header block is 1025 bytes, 1 over the limit of 1024 bytes"
    );
}
