//! The shell's visible state rendered as text (insta snapshots) and as an SVG picture.

use crate::support::snapshots::snapshot_settings;
use mpns_harness::phone::{
    render_svg, render_text, AllowedImageUris, Applied, Shell, TileBinding, TileKey,
};
use mpns_harness::protocol::{Content, Sound, Template, TileContent, TileValue, ToastContent};
use quick_xml::events::Event;
use quick_xml::Reader;

fn tile(id: Option<&str>, template: Template, props: &[(&str, Option<&str>)]) -> Content {
    Content::Tile(TileContent {
        id: id.map(str::to_owned),
        template,
        version2: template != Template::Standard,
        properties: props
            .iter()
            .map(|(k, v)| {
                let v = v.map_or(TileValue::Clear, |v| TileValue::Set(v.to_owned()));
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

fn snapshot(name: &str, text: &str) {
    snapshot_settings().bind(|| insta::assert_snapshot!(name, text));
}

fn push(shell: &mut Shell, c: &Content) {
    shell.apply(c, LOCAL).expect("push applies");
}

fn standard_shell() -> Shell {
    let mut s = Shell::new("Weather", "/MainPage.xaml");
    s.pin(
        TileKey::Primary,
        Template::Standard,
        &[
            ("BackgroundImage", "/Images/Tile.png"),
            ("Title", "Weather"),
        ],
    )
    .unwrap();
    push(
        &mut s,
        &tile(
            None,
            Template::Standard,
            &[
                ("Count", Some("5")),
                ("BackTitle", Some("Oslo")),
                ("BackContent", Some("Rain, 4°C")),
            ],
        ),
    );
    push(
        &mut s,
        &tile(
            None,
            Template::Standard,
            &[("Title", None), ("Count", Some("120"))],
        ),
    );
    s
}

fn flip_shell() -> Shell {
    let mut s = Shell::new("News", "/MainPage.xaml");
    s.pin(TileKey::Primary, Template::FlipTile, &[("Title", "News")])
        .unwrap();
    push(
        &mut s,
        &tile(
            None,
            Template::FlipTile,
            &[
                ("SmallBackgroundImage", Some("/Assets/small.png")),
                (
                    "WideBackgroundImage",
                    Some("isostore:/Shared/ShellContent/wide.png"),
                ),
                ("WideBackContent", Some("Markets up \"3%\" <today> & more")),
                ("BackgroundImage", Some("/Assets/medium.png")),
                ("Count", Some("12")),
                ("BackTitle", Some("Top story")),
            ],
        ),
    );
    push(
        &mut s,
        &tile(
            None,
            Template::FlipTile,
            &[("Count", Some("0")), ("BackTitle", None)],
        ),
    );
    s
}

fn iconic_shell() -> Shell {
    let mut s = Shell::new("Mail", "/MainPage.xaml");
    s.pin(
        TileKey::Primary,
        Template::IconicTile,
        &[
            ("IconImage", "/Assets/mail202.png"),
            ("SmallIconImage", "/Assets/mail110.png"),
        ],
    )
    .unwrap();
    push(
        &mut s,
        &tile(
            None,
            Template::IconicTile,
            &[
                ("WideContent1", Some("Ann: lunch?")),
                ("WideContent2", Some("Bob: report attached")),
                ("Count", Some("2")),
                ("Title", Some("Mail")),
                ("BackgroundColor", Some("#FF1BA1E2")),
            ],
        ),
    );
    push(
        &mut s,
        &tile(
            None,
            Template::IconicTile,
            &[
                ("WideContent2", None),
                ("BackgroundColor", Some("#801BA1E2")),
            ],
        ),
    );
    s
}

fn cycle_shell() -> Shell {
    let mut s = Shell::new("Photos", "/MainPage.xaml");
    s.pin(
        TileKey::Primary,
        Template::CycleTile,
        &[("CycleImage1", "/Assets/1.jpg"), ("Title", "Photos")],
    )
    .unwrap();
    push(
        &mut s,
        &tile(
            None,
            Template::CycleTile,
            &[
                ("CycleImage2", Some("/Assets/2.jpg")),
                ("CycleImage5", Some("isostore:/Shared/ShellContent/5.jpg")),
                ("Count", Some("99")),
            ],
        ),
    );
    push(
        &mut s,
        &tile(None, Template::CycleTile, &[("CycleImage1", None)]),
    );
    s
}

#[test]
fn standard_tile_renders_after_pushes() {
    snapshot("phone_shell_standard", &render_text(&standard_shell()));
}

#[test]
fn flip_tile_renders_after_pushes() {
    snapshot("phone_shell_flip", &render_text(&flip_shell()));
}

#[test]
fn iconic_tile_renders_after_pushes() {
    snapshot("phone_shell_iconic", &render_text(&iconic_shell()));
}

#[test]
fn cycle_tile_renders_after_pushes() {
    snapshot("phone_shell_cycle", &render_text(&cycle_shell()));
}

/// A primary flip tile, two secondary standard tiles (one waiting for a remote image), and three
/// toasts.
fn busy_shell() -> Shell {
    let mut s = flip_shell();
    for city in ["Oslo", "Bergen"] {
        s.pin(
            TileKey::Secondary(format!("/City.xaml?name={city}")),
            Template::Standard,
            &[("Title", city), ("BackgroundImage", "/Images/city.png")],
        )
        .unwrap();
    }
    push(
        &mut s,
        &tile(
            Some("/City.xaml?name=Oslo"),
            Template::Standard,
            &[("Count", Some("3")), ("BackContent", Some("Snow"))],
        ),
    );
    let remote =
        TileBinding::RemoteFrom(AllowedImageUris::new(["http://img.example.com/"]).unwrap());
    let a = s
        .apply(
            &tile(
                Some("/City.xaml?name=Bergen"),
                Template::Standard,
                &[("BackgroundImage", Some("http://img.example.com/bergen.png"))],
            ),
            &remote,
        )
        .unwrap();
    assert!(matches!(a, Applied::TileUpdated { fetches, .. } if fetches.len() == 1));
    push(
        &mut s,
        &toast(
            "Breaking",
            "Markets <up> & away",
            Some("/Story.xaml?id=9"),
            None,
        ),
    );
    push(
        &mut s,
        &toast("Quiet", "", Some("?tab=2"), Some(Sound::Silent)),
    );
    push(
        &mut s,
        &toast(
            "Ping",
            "New \"story\"",
            None,
            Some(Sound::Path("Audio/ding.wav".into())),
        ),
    );
    s
}

#[test]
fn a_busy_shell_renders_tiles_in_key_order_pending_images_and_the_tray() {
    let text = render_text(&busy_shell());
    let primary = text.find("[primary tile]").unwrap();
    let bergen = text
        .find("[secondary tile /City.xaml?name=Bergen]")
        .unwrap();
    let oslo = text.find("[secondary tile /City.xaml?name=Oslo]").unwrap();
    assert!(primary < bergen && bergen < oslo, "{text}");
    snapshot("phone_shell_busy", &text);
}

/// Reads the whole SVG with quick-xml; returns the text nodes (unescaped, one per run of text
/// and entity references), the element count and the root's name.
fn parse_svg(svg: &str) -> (Vec<String>, usize, String) {
    let mut reader = Reader::from_str(svg);
    let mut texts = Vec::new();
    let mut run: Option<String> = None;
    let mut elements = 0;
    let mut root = String::new();
    let mut depth = 0usize;
    loop {
        let event = reader.read_event();
        match &event {
            Ok(Event::Text(_) | Event::GeneralRef(_)) => {}
            _ => texts.extend(run.take()),
        }
        match event {
            Ok(Event::Start(e)) => {
                if elements == 0 {
                    root = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                }
                elements += 1;
                depth += 1;
            }
            Ok(Event::Empty(_)) => elements += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Text(t)) => run
                .get_or_insert_with(String::new)
                .push_str(&t.decode().unwrap()),
            Ok(Event::GeneralRef(r)) => {
                let name = String::from_utf8(r.to_vec()).unwrap();
                let ch = match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity &{other};"),
                };
                run.get_or_insert_with(String::new).push_str(ch);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "SVG is not well formed at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "every element closed");
    (texts, elements, root)
}

#[test]
fn the_svg_picture_is_well_formed_and_shows_tiles_badges_and_the_latest_toast() {
    let shell = busy_shell();
    let svg = render_svg(&shell);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(dir.join("phone_shell_busy.svg"), &svg).unwrap();
    for (name, s) in [
        ("standard", standard_shell()),
        ("flip", flip_shell()),
        ("iconic", iconic_shell()),
        ("cycle", cycle_shell()),
    ] {
        let svg = render_svg(&s);
        std::fs::write(dir.join(format!("phone_shell_{name}.svg")), &svg).unwrap();
        parse_svg(&svg);
    }

    let (texts, elements, root) = parse_svg(&svg);
    assert_eq!(root, "svg");
    assert!(elements > 50, "{elements} elements");
    let all = texts.join("\n");
    // The latest toast is the banner; earlier ones are not drawn.
    assert!(texts.iter().any(|t| t == "Ping"), "{all}");
    assert!(texts.iter().any(|t| t.contains("New \"story\"")), "{all}");
    assert!(!all.contains("Breaking"), "{all}");
    // Escaped text comes back as written.
    assert!(all.contains("Markets up \"3%\" <today> & more"), "{all}");
    // Badges: Oslo's 3; the flip tile's count was set to 0, so no 12.
    assert!(texts.iter().any(|t| t == "3"), "{all}");
    assert!(!texts.iter().any(|t| t == "12"), "{all}");
    // Images are labelled with their URI; the remote one is not shown before it is fetched.
    assert!(
        all.contains("isostore:/Shared/ShellContent/wide.png"),
        "{all}"
    );
    assert!(!all.contains("bergen.png"), "{all}");
    assert!(
        all.contains("secondary tile /City.xaml?name=Oslo · Standard"),
        "{all}"
    );
    assert!(!svg.contains("href"), "no external resources");
}

#[test]
fn an_empty_shell_renders_too() {
    let shell = Shell::new("Empty <app>", "/MainPage.xaml");
    let (texts, _, root) = parse_svg(&render_svg(&shell));
    assert_eq!(root, "svg");
    assert!(texts.iter().any(|t| t == "no tile pinned"));
    assert!(texts.iter().any(|t| t == "Start screen · Empty <app>"));
    snapshot("phone_shell_empty", &render_text(&shell));
}
