//! The phone shell's tiles, images and toast tray, driven by parsed notifications.

use mpns_harness::phone::{
    check_remote_image, classify_image, AllowedImageUris, Applied, ChannelErrorKind, FetchProgress,
    ImageError, ImageSource, Shell, ShellError, TileBinding, TileKey, MAX_ALLOWED_URI_CHARS,
    TEMPLATE_MISMATCH,
};
use mpns_harness::protocol::{Content, Sound, Template, TileContent, TileValue, ToastContent};

/// A tile push: `Some(v)` sets, `None` is `Action="Clear"`.
fn tile(id: Option<&str>, template: Template, props: &[(&str, Option<&str>)]) -> Content {
    Content::Tile(TileContent {
        id: id.map(str::to_owned),
        template,
        version2: template != Template::Standard,
        properties: props
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Some(v) => TileValue::Set((*v).to_owned()),
                    None => TileValue::Clear,
                };
                ((*k).to_owned(), v)
            })
            .collect(),
    })
}

fn toast(text1: &str, text2: &str, param: Option<&str>, sound: Option<Sound>) -> Content {
    Content::Toast(ToastContent {
        text1: Some(text1.to_owned()),
        text2: Some(text2.to_owned()),
        param: param.map(str::to_owned),
        sound,
    })
}

const LOCAL: &TileBinding = &TileBinding::LocalImagesOnly;

fn flip_shell() -> Shell {
    let mut shell = Shell::new("Weather", "/MainPage.xaml");
    shell
        .pin(
            TileKey::Primary,
            Template::FlipTile,
            &[
                ("Title", "Weather"),
                ("BackgroundImage", "/Images/sun.png"),
                ("BackTitle", "Oslo"),
                ("Count", "3"),
            ],
        )
        .unwrap();
    shell
}

fn primary(shell: &Shell) -> &mpns_harness::phone::Tile {
    shell.tile(&TileKey::Primary).expect("primary tile pinned")
}

fn updated_now(a: Applied) -> bool {
    matches!(a, Applied::TileUpdated { fetches, .. } if fetches.is_empty())
}

#[test]
fn action_clear_removes_a_property_and_omitted_elements_keep_theirs() {
    let mut shell = flip_shell();
    let a = shell
        .apply(
            &tile(
                None,
                Template::FlipTile,
                &[("Title", None), ("BackContent", Some("Rain"))],
            ),
            LOCAL,
        )
        .unwrap();
    assert!(updated_now(a));
    let t = primary(&shell);
    assert_eq!(t.title(), None);
    assert_eq!(t.get("BackContent"), Some("Rain"));
    assert_eq!(t.get("BackTitle"), Some("Oslo"), "omitted: unchanged");
    assert_eq!(t.get("BackgroundImage"), Some("/Images/sun.png"));
    assert_eq!(t.badge(), Some(3));
}

#[test]
fn clearing_count_hides_the_badge_and_clearing_an_image_removes_it() {
    let mut shell = flip_shell();
    shell
        .apply(
            &tile(
                None,
                Template::FlipTile,
                &[("Count", None), ("BackgroundImage", None)],
            ),
            LOCAL,
        )
        .unwrap();
    let t = primary(&shell);
    assert_eq!(t.badge(), None);
    assert_eq!(t.count(), 0);
    assert_eq!(t.get("BackgroundImage"), None);
    assert_eq!(t.title(), Some("Weather"));
}

#[test]
fn an_empty_value_clears_like_action_clear() {
    let mut shell = flip_shell();
    shell
        .apply(
            &tile(
                None,
                Template::FlipTile,
                &[
                    ("Title", Some("")),
                    ("Count", Some("")),
                    ("BackgroundImage", Some("")),
                ],
            ),
            LOCAL,
        )
        .unwrap();
    let t = primary(&shell);
    assert_eq!(t.title(), None);
    assert_eq!(t.badge(), None);
    assert_eq!(t.get("BackgroundImage"), None);
    assert_eq!(t.get("BackTitle"), Some("Oslo"));
}

#[test]
fn a_push_for_another_template_is_ignored_with_the_documented_error() {
    let mut shell = flip_shell();
    let before = primary(&shell).clone();
    let err = shell
        .apply(
            &tile(None, Template::IconicTile, &[("Title", Some("Iconic"))]),
            LOCAL,
        )
        .unwrap_err();
    assert_eq!(
        err,
        ShellError::TemplateMismatch {
            tile: TileKey::Primary,
            pinned: Template::FlipTile,
            pushed: Template::IconicTile
        }
    );
    let text = err.to_string();
    assert!(text.starts_with(TEMPLATE_MISMATCH), "{text}");
    assert!(
        text.contains("FlipTile") && text.contains("IconicTile"),
        "{text}"
    );
    assert_eq!(err.channel_error(), None);
    assert_eq!(primary(&shell), &before);
    // A standard (no Template) push to a FlipTile is a mismatch too.
    assert!(matches!(
        shell.apply(
            &tile(None, Template::Standard, &[("Count", Some("1"))]),
            LOCAL
        ),
        Err(ShellError::TemplateMismatch { .. })
    ));
    assert_eq!(primary(&shell), &before);
}

#[test]
fn count_shows_1_to_99_hides_0_and_shows_99_above() {
    let mut shell = flip_shell();
    for (sent, badge) in [
        ("0", None),
        ("1", Some(1)),
        ("42", Some(42)),
        ("99", Some(99)),
        ("100", Some(99)),
        ("120", Some(99)),
        ("007", Some(7)),
        (" 5 ", Some(5)),
        ("99999999999999999999999", Some(99)),
    ] {
        shell
            .apply(
                &tile(None, Template::FlipTile, &[("Count", Some(sent))]),
                LOCAL,
            )
            .unwrap();
        assert_eq!(primary(&shell).badge(), badge, "Count {sent:?}");
    }
}

#[test]
fn a_count_that_is_negative_fractional_or_not_a_number_is_a_payload_format_error_and_changes_nothing(
) {
    let mut shell = flip_shell();
    let before = primary(&shell).clone();
    for bad in ["-1", "1.5", "five", "+3", "0x10", " "] {
        let err = shell
            .apply(
                &tile(
                    None,
                    Template::FlipTile,
                    &[("Title", Some("New")), ("Count", Some(bad))],
                ),
                LOCAL,
            )
            .unwrap_err();
        assert!(
            matches!(err, ShellError::BadCount { .. }),
            "{bad:?}: {err:?}"
        );
        assert_eq!(
            err.channel_error(),
            Some(ChannelErrorKind::PayloadFormatError)
        );
        assert!(err.to_string().contains(&format!("Count '{bad}'")), "{err}");
        assert_eq!(
            primary(&shell),
            &before,
            "the Title in the same push is not applied either"
        );
    }
}

#[test]
fn a_secondary_push_updates_only_the_tile_with_that_id() {
    let mut shell = flip_shell();
    let oslo = TileKey::Secondary("/City.xaml?name=Oslo".into());
    let bergen = TileKey::Secondary("/City.xaml?name=Bergen".into());
    shell
        .pin(oslo.clone(), Template::Standard, &[("Title", "Oslo")])
        .unwrap();
    shell
        .pin(bergen.clone(), Template::Standard, &[("Title", "Bergen")])
        .unwrap();
    let a = shell
        .apply(
            &tile(
                Some("/City.xaml?name=Oslo"),
                Template::Standard,
                &[("Count", Some("7"))],
            ),
            LOCAL,
        )
        .unwrap();
    assert_eq!(
        a,
        Applied::TileUpdated {
            tile: oslo.clone(),
            fetches: vec![]
        }
    );
    assert_eq!(shell.tile(&oslo).unwrap().badge(), Some(7));
    assert_eq!(shell.tile(&bergen).unwrap().badge(), None);
    assert_eq!(primary(&shell).badge(), Some(3), "primary untouched");
    // And a push without Id goes to the primary tile only.
    shell
        .apply(
            &tile(None, Template::FlipTile, &[("Count", Some("9"))]),
            LOCAL,
        )
        .unwrap();
    assert_eq!(primary(&shell).badge(), Some(9));
    assert_eq!(shell.tile(&oslo).unwrap().badge(), Some(7));
}

#[test]
fn a_push_to_a_tile_that_is_not_pinned_does_nothing_and_says_so() {
    let mut shell = Shell::new("Weather", "/MainPage.xaml");
    assert_eq!(
        shell
            .apply(
                &tile(None, Template::FlipTile, &[("Count", Some("1"))]),
                LOCAL
            )
            .unwrap(),
        Applied::TileNotPinned {
            tile: TileKey::Primary
        }
    );
    shell
        .pin(TileKey::Primary, Template::FlipTile, &[])
        .unwrap();
    let id = "/City.xaml?name=Nowhere";
    assert_eq!(
        shell
            .apply(
                &tile(Some(id), Template::FlipTile, &[("Count", Some("1"))]),
                LOCAL
            )
            .unwrap(),
        Applied::TileNotPinned {
            tile: TileKey::Secondary(id.into())
        }
    );
    assert_eq!(shell.tiles().count(), 1);
    assert_eq!(primary(&shell).badge(), None);
}

#[test]
fn pinning_twice_is_refused_and_the_template_changes_only_by_unpinning_and_pinning_again() {
    let mut shell = flip_shell();
    assert_eq!(
        shell.pin(TileKey::Primary, Template::IconicTile, &[]),
        Err(ShellError::AlreadyPinned {
            tile: TileKey::Primary
        })
    );
    assert!(shell.unpin(&TileKey::Primary));
    assert!(
        !shell.unpin(&TileKey::Primary),
        "second unpin: nothing pinned"
    );
    shell
        .pin(
            TileKey::Primary,
            Template::IconicTile,
            &[
                ("IconImage", "/Images/icon.png"),
                ("BackgroundColor", "#FF1BA1E2"),
            ],
        )
        .unwrap();
    let t = primary(&shell);
    assert_eq!(t.template(), Template::IconicTile);
    assert_eq!(t.title(), None, "nothing of the old tile survives");
    assert!(shell
        .apply(
            &tile(None, Template::IconicTile, &[("WideContent1", Some("Hi"))]),
            LOCAL
        )
        .is_ok());
    assert!(shell
        .apply(
            &tile(None, Template::FlipTile, &[("Title", Some("x"))]),
            LOCAL
        )
        .is_err());
}

#[test]
fn pinning_refuses_a_property_of_another_template_and_remote_images() {
    let mut shell = Shell::new("App", "/MainPage.xaml");
    let err = shell
        .pin(TileKey::Primary, Template::CycleTile, &[("BackTitle", "x")])
        .unwrap_err();
    assert!(matches!(err, ShellError::UnknownProperty { .. }), "{err:?}");
    assert!(err.to_string().contains("CycleImage9"), "{err}");
    let err = shell
        .pin(
            TileKey::Secondary("/S.xaml".into()),
            Template::Standard,
            &[("BackgroundImage", "http://img.example.com/a.png")],
        )
        .unwrap_err();
    assert!(matches!(err, ShellError::BadImage { .. }), "{err:?}");
    assert!(err.to_string().contains("local images only"), "{err}");
    assert_eq!(shell.tiles().count(), 0);
}

#[test]
fn images_are_classified_as_package_isostore_or_remote() {
    for uri in [
        "/Images/a.png",
        "Assets/Tiles/x.png",
        "a.png",
        "/Images/with space.png",
    ] {
        assert_eq!(classify_image(uri), Ok(ImageSource::Package), "{uri}");
    }
    for uri in [
        "isostore:/Shared/ShellContent/a.png",
        "isostore:/shared/shellcontent/tiles/b.jpg",
    ] {
        assert_eq!(
            classify_image(uri),
            Ok(ImageSource::IsolatedStorage),
            "{uri}"
        );
    }
    for uri in [
        "http://img.example.com/a.png",
        "HTTPS://img.example.com:8443/a?x=1",
    ] {
        assert!(
            matches!(classify_image(uri), Ok(ImageSource::Remote(_))),
            "{uri}"
        );
    }
    for uri in [
        "isostore:/a.png",
        "isostore:/Shared/a.png",
        "isostore:/Shared/ShellContent/",
        "isostore:Shared/ShellContent/a.png",
        "ftp://img.example.com/a.png",
        "ms-appx:///Assets/a.png",
        "file:///c:/a.png",
        "//img.example.com/a.png",
        "http://",
        "",
        " /Images/a.png",
    ] {
        assert!(
            matches!(classify_image(uri), Err(ImageError::Invalid { .. })),
            "{uri:?} should be invalid"
        );
    }
}

#[test]
fn an_invalid_isostore_image_is_message_bad_content_and_changes_nothing() {
    let mut shell = flip_shell();
    let before = primary(&shell).clone();
    let err = shell
        .apply(
            &tile(
                None,
                Template::FlipTile,
                &[
                    ("Count", Some("8")),
                    ("BackgroundImage", Some("isostore:/Data/a.png")),
                ],
            ),
            LOCAL,
        )
        .unwrap_err();
    assert_eq!(
        err.channel_error(),
        Some(ChannelErrorKind::MessageBadContent)
    );
    assert!(err.to_string().contains("Shared/ShellContent"), "{err}");
    assert_eq!(primary(&shell), &before);
}

#[test]
fn allowed_base_uris_match_scheme_host_port_and_path_prefix() {
    let allowed =
        AllowedImageUris::new(["http://img.example.com", "https://cdn.example.net/tiles/"])
            .unwrap();
    for ok in [
        "http://img.example.com/a.png",
        "http://IMG.EXAMPLE.COM/deep/b.png?x=1",
        "http://img.example.com:80/a.png",
        "https://cdn.example.net/tiles/a.png",
    ] {
        assert!(allowed.allows(ok), "{ok} should be allowed");
    }
    for no in [
        "https://img.example.com/a.png",
        "http://img.example.com:8080/a.png",
        "http://img.example.com.evil.net/a.png",
        "http://evil.net/img.example.com/a.png",
        "https://cdn.example.net/other/a.png",
        "http://cdn.example.net/tiles/a.png",
        "/Images/a.png",
    ] {
        assert!(!allowed.allows(no), "{no} should not be allowed");
    }
    assert!(!AllowedImageUris::new(Vec::<String>::new())
        .unwrap()
        .allows("http://img.example.com/a.png"));
}

#[test]
fn each_allowed_base_uri_is_at_most_256_characters() {
    let base = "http://img.example.com/";
    let exactly = format!("{base}{}", "a".repeat(MAX_ALLOWED_URI_CHARS - base.len()));
    assert_eq!(exactly.chars().count(), 256);
    assert!(AllowedImageUris::new([exactly.as_str()]).is_ok());
    let over = format!("{exactly}b");
    let err = AllowedImageUris::new(["http://ok.example.com", over.as_str()]).unwrap_err();
    assert_eq!(
        err,
        "Allowed image URI 2 has 257 characters, over the limit of 256."
    );
    let err = AllowedImageUris::new(["/Images/"]).unwrap_err();
    assert!(err.contains("not an absolute http(s) URI"), "{err}");
}

#[test]
fn a_remote_image_without_a_bound_list_or_outside_it_is_message_bad_content() {
    let url = "http://img.example.com/a.png";
    assert_eq!(
        check_remote_image(url, LOCAL),
        Err(ImageError::RemoteNotBound { uri: url.into() })
    );
    let other =
        TileBinding::RemoteFrom(AllowedImageUris::new(["http://other.example.com"]).unwrap());
    assert_eq!(
        check_remote_image(url, &other),
        Err(ImageError::RemoteNotAllowed { uri: url.into() })
    );
    let mut shell = flip_shell();
    let before = primary(&shell).clone();
    for binding in [LOCAL, &other] {
        let err = shell
            .apply(
                &tile(
                    None,
                    Template::FlipTile,
                    &[("Title", Some("x")), ("WideBackgroundImage", Some(url))],
                ),
                binding,
            )
            .unwrap_err();
        assert_eq!(
            err.channel_error(),
            Some(ChannelErrorKind::MessageBadContent)
        );
        assert!(err.to_string().contains("MessageBadContent"), "{err}");
        assert_eq!(primary(&shell), &before);
    }
    assert!(shell.pending_fetches().is_empty());
}

fn remote_binding() -> TileBinding {
    TileBinding::RemoteFrom(AllowedImageUris::new(["http://img.example.com/tiles/"]).unwrap())
}

#[test]
fn an_allowed_remote_image_waits_for_its_fetch_and_then_the_whole_update_applies() {
    let mut shell = flip_shell();
    let url = "http://img.example.com/tiles/rain.png";
    let Applied::TileUpdated { tile: key, fetches } = shell
        .apply(
            &tile(
                None,
                Template::FlipTile,
                &[("BackgroundImage", Some(url)), ("Title", Some("Rain"))],
            ),
            &remote_binding(),
        )
        .unwrap()
    else {
        panic!("a tile update")
    };
    assert_eq!(key, TileKey::Primary);
    assert_eq!(fetches.len(), 1);
    assert_eq!(fetches[0].url, url);
    assert_eq!(fetches[0].property, "BackgroundImage");
    assert_eq!(shell.pending_fetches(), fetches);
    assert_eq!(primary(&shell).title(), Some("Weather"), "not applied yet");
    assert_eq!(
        primary(&shell).get("BackgroundImage"),
        Some("/Images/sun.png")
    );

    assert_eq!(
        shell.image_fetched(fetches[0].id),
        FetchProgress::Applied {
            tile: TileKey::Primary
        }
    );
    assert_eq!(primary(&shell).title(), Some("Rain"));
    assert_eq!(primary(&shell).get("BackgroundImage"), Some(url));
    assert!(shell.pending_fetches().is_empty());
    assert_eq!(
        shell.image_fetched(fetches[0].id),
        FetchProgress::Unknown,
        "reported twice"
    );
}

#[test]
fn a_failed_fetch_leaves_the_tile_as_it_was_and_drops_the_whole_update() {
    let mut shell = flip_shell();
    let before = primary(&shell).clone();
    let Applied::TileUpdated { fetches, .. } = shell
        .apply(
            &tile(
                None,
                Template::FlipTile,
                &[
                    (
                        "BackgroundImage",
                        Some("http://img.example.com/tiles/a.png"),
                    ),
                    ("Count", Some("50")),
                    (
                        "WideBackgroundImage",
                        Some("http://img.example.com/tiles/b.png"),
                    ),
                ],
            ),
            &remote_binding(),
        )
        .unwrap()
    else {
        panic!("a tile update")
    };
    assert_eq!(fetches.len(), 2);
    assert_eq!(
        shell.image_fetched(fetches[0].id),
        FetchProgress::Waiting {
            tile: TileKey::Primary,
            remaining: 1
        }
    );
    assert_eq!(primary(&shell), &before);
    assert_eq!(
        shell.image_failed(fetches[1].id),
        FetchProgress::Dropped {
            tile: TileKey::Primary
        }
    );
    assert_eq!(primary(&shell), &before);
    assert!(shell.pending_fetches().is_empty());
    assert_eq!(shell.image_fetched(fetches[1].id), FetchProgress::Unknown);
}

#[test]
fn unpinning_a_tile_drops_the_updates_waiting_for_its_images() {
    let mut shell = flip_shell();
    let Applied::TileUpdated { fetches, .. } = shell
        .apply(
            &tile(
                None,
                Template::FlipTile,
                &[(
                    "BackgroundImage",
                    Some("http://img.example.com/tiles/a.png"),
                )],
            ),
            &remote_binding(),
        )
        .unwrap()
    else {
        panic!("a tile update")
    };
    shell.unpin(&TileKey::Primary);
    shell
        .pin(TileKey::Primary, Template::FlipTile, &[])
        .unwrap();
    assert_eq!(shell.image_fetched(fetches[0].id), FetchProgress::Unknown);
    assert_eq!(primary(&shell).get("BackgroundImage"), None);
}

#[test]
fn cycle_images_must_be_local_even_from_an_allowed_domain() {
    let mut shell = Shell::new("Photos", "/MainPage.xaml");
    shell
        .pin(
            TileKey::Primary,
            Template::CycleTile,
            &[("CycleImage1", "/Images/1.jpg")],
        )
        .unwrap();
    let before = primary(&shell).clone();
    let err = shell
        .apply(
            &tile(
                None,
                Template::CycleTile,
                &[("CycleImage2", Some("http://img.example.com/tiles/2.jpg"))],
            ),
            &remote_binding(),
        )
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ShellError::BadImage { error: ImageError::RemoteNotSupported { .. }, property, .. } if property == "CycleImage2"
        ),
        "{err:?}"
    );
    assert_eq!(
        err.channel_error(),
        Some(ChannelErrorKind::MessageBadContent)
    );
    assert_eq!(primary(&shell), &before);
    // Local cycle images apply at once.
    let a = shell
        .apply(
            &tile(
                None,
                Template::CycleTile,
                &[("CycleImage2", Some("isostore:/Shared/ShellContent/2.jpg"))],
            ),
            &remote_binding(),
        )
        .unwrap();
    assert!(updated_now(a));
    assert_eq!(
        primary(&shell).get("CycleImage2"),
        Some("isostore:/Shared/ShellContent/2.jpg")
    );
}

#[test]
fn toasts_go_to_the_tray_in_arrival_order_with_their_text_param_and_sound() {
    let mut shell = Shell::new("Mail", "/MainPage.xaml");
    assert_eq!(
        shell
            .apply(
                &toast("New mail", "From Ann", Some("/Inbox.xaml?id=7&x=1"), None),
                LOCAL
            )
            .unwrap(),
        Applied::ToastShown { index: 0 }
    );
    shell
        .apply(
            &toast("Reminder", "", Some("?tab=2"), Some(Sound::Silent)),
            LOCAL,
        )
        .unwrap();
    shell
        .apply(
            &toast("Ping", "", None, Some(Sound::Path("Audio/ding.wav".into()))),
            LOCAL,
        )
        .unwrap();
    let texts: Vec<_> = shell.toasts().iter().map(|t| t.text1.as_str()).collect();
    assert_eq!(texts, ["New mail", "Reminder", "Ping"]);
    use mpns_harness::phone::ToastSound;
    let sounds: Vec<_> = shell.toasts().iter().map(|t| t.sound.clone()).collect();
    assert_eq!(
        sounds,
        [
            ToastSound::Default,
            ToastSound::Silent,
            ToastSound::Custom("Audio/ding.wav".into())
        ]
    );

    let first = shell.tap(0).unwrap();
    assert_eq!(first.page, "/Inbox.xaml");
    assert_eq!(first.query, "id=7&x=1");
    assert_eq!(first.get("id"), Some("7"));
    assert_eq!(first.get("x"), Some("1"));
    assert_eq!(first.get("y"), None);
    let second = shell.tap(1).unwrap();
    assert_eq!(
        (second.page.as_str(), second.get("tab")),
        ("/MainPage.xaml", Some("2"))
    );
    let third = shell.tap(2).unwrap();
    assert_eq!(third.uri(), "/MainPage.xaml");
    assert_eq!(shell.toasts().len(), 3, "tapping leaves the tray as it is");
    assert_eq!(
        shell.tap(3),
        Err(ShellError::NoSuchToast { index: 3, len: 3 })
    );
}

#[test]
fn a_toast_param_in_neither_documented_form_is_a_payload_format_error() {
    let mut shell = Shell::new("Mail", "/MainPage.xaml");
    let err = shell
        .apply(&toast("Hi", "", Some("Inbox.xaml"), None), LOCAL)
        .unwrap_err();
    assert_eq!(
        err.channel_error(),
        Some(ChannelErrorKind::PayloadFormatError)
    );
    assert!(err.to_string().contains("Param 'Inbox.xaml'"), "{err}");
    assert!(shell.toasts().is_empty());
}

#[test]
fn a_raw_notification_is_not_for_the_shell() {
    let mut shell = flip_shell();
    let before = primary(&shell).clone();
    let raw = Content::Raw {
        body: bytes::Bytes::from_static(b"<data/>"),
    };
    assert_eq!(shell.apply(&raw, LOCAL).unwrap(), Applied::NotForShell);
    assert_eq!(primary(&shell), &before);
    assert!(shell.toasts().is_empty());
}

#[test]
fn a_tile_push_read_from_the_wire_reaches_the_secondary_tile_with_its_escaped_id() {
    use axum::http::{HeaderMap, Method};
    use mpns_harness::protocol::{inspect, Mode};
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "text/xml; charset=utf-8".parse().unwrap());
    headers.insert("x-windowsphone-target", "token".parse().unwrap());
    headers.insert("x-notificationclass", "1".parse().unwrap());
    let body = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification" Version="2.0"><wp:Tile Id="/City.xaml?name=Oslo&amp;unit=C" Template="FlipTile"><wp:Count>4</wp:Count><wp:Title Action="Clear"></wp:Title><wp:BackContent>Sun &amp; wind</wp:BackContent></wp:Tile></wp:Notification>"#;
    let seen = inspect(&Method::POST, &headers, body.as_bytes(), Mode::Strict).unwrap();

    let mut shell = Shell::new("Weather", "/MainPage.xaml");
    let key = TileKey::Secondary("/City.xaml?name=Oslo&unit=C".into());
    shell
        .pin(
            key.clone(),
            Template::FlipTile,
            &[("Title", "Oslo"), ("BackTitle", "Oslo")],
        )
        .unwrap();
    assert!(updated_now(shell.apply(&seen.content, LOCAL).unwrap()));
    let t = shell.tile(&key).unwrap();
    assert_eq!(t.badge(), Some(4));
    assert_eq!(t.title(), None);
    assert_eq!(t.get("BackContent"), Some("Sun & wind"));
    assert_eq!(t.get("BackTitle"), Some("Oslo"));
}
