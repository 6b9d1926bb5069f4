//! The golden request files under `fixtures/wire/`: the exact bytes this crate sends for one
//! message of each kind. The fake MPNS reads the same files, so both sides agree on the wire
//! through data, not shared code. `MPNS_BLESS=1 cargo test -p mpns --test payload_golden`
//! rewrites them; review the diff before committing.

use std::path::PathBuf;

use mpns::{
    ChannelUri, CycleTile, FlipTile, IconicTile, NotificationClass, OsVersion, Raw, Tile, Toast,
    WireRequest,
};
use uuid::Uuid;

fn channel(token: &str) -> ChannelUri {
    format!("http://127.0.0.1:9/throttledthirdparty/01.00/{token}")
        .parse()
        .unwrap()
}

fn id(n: u128) -> Uuid {
    // 5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a1N: the id of the example in docs/mpns-protocol.md §2, last digit varied.
    Uuid::from_u128(0x5f0c2e2a_9a53_4bb7_9a3c_2f5d6b0f4a10 + n)
}

/// Every golden file: its name (without `.http`) and the request it holds.
fn golden_requests() -> Vec<(&'static str, WireRequest)> {
    let send = |token: &str, message: mpns::Message, n: u128| {
        WireRequest::notification(&channel(token), &message, id(n))
    };
    vec![
        (
            "toast",
            send(
                "AAFtoast0",
                Toast::new().text1("Hi").text2("There").build().unwrap(),
                1,
            ),
        ),
        (
            "toast-param-sound",
            send(
                "AAFtoast1",
                Toast::new()
                    .text1("Game Update")
                    .text2("Level 2 & <more>, café")
                    .param("/Page2.xaml?a=1&b=2")
                    .sound("Audio/ding.wav")
                    .class(NotificationClass::Within450s)
                    .os(OsVersion::V8_0Gdr3)
                    .build()
                    .unwrap(),
                2,
            ),
        ),
        (
            "tile",
            send(
                "AAFtile0",
                Tile::new()
                    .background_image("/Images/front.png")
                    .count(5)
                    .title("Oslo")
                    .os(OsVersion::V7_0)
                    .build()
                    .unwrap(),
                3,
            ),
        ),
        (
            "tile-secondary-clear",
            send(
                "AAFtile1",
                Tile::new()
                    .id("/SecondaryPage.xaml?city=Oslo&units=C")
                    .background_image("/Images/oslo.png")
                    .clear_count()
                    .title("Oslo")
                    .clear_back_background_image()
                    .back_title("Back")
                    .back_content("Rain, 4°C")
                    .class(NotificationClass::Within900s)
                    .os(OsVersion::V7_1)
                    .build()
                    .unwrap(),
                4,
            ),
        ),
        (
            "flip",
            send(
                "AAFflip0",
                FlipTile::new()
                    .small_background_image("/Assets/Tiles/small.png")
                    .wide_background_image("/Assets/Tiles/wide.png")
                    .wide_back_background_image("/Assets/Tiles/wide-back.png")
                    .wide_back_content("Wide back content")
                    .background_image("/Assets/Tiles/medium.png")
                    .count(3)
                    .title("Oslo")
                    .back_background_image("/Assets/Tiles/medium-back.png")
                    .back_title("Back title")
                    .back_content("Back content")
                    .os(OsVersion::V8_0)
                    .build()
                    .unwrap(),
                5,
            ),
        ),
        (
            "iconic",
            send(
                "AAFiconic0",
                IconicTile::new()
                    .small_icon_image("/Assets/Tiles/icon-small.png")
                    .icon_image("/Assets/Tiles/icon.png")
                    .wide_content1("Row 1")
                    .wide_content2("Row 2")
                    .wide_content3("Row 3")
                    .count(42)
                    .title("Mail")
                    .background_color("#FF1BA1E2")
                    .os(OsVersion::V8_0)
                    .build()
                    .unwrap(),
                6,
            ),
        ),
        (
            "cycle",
            send(
                "AAFcycle0",
                CycleTile::new()
                    .id("/Photos.xaml?album=7")
                    .small_background_image("/Assets/Tiles/small.png")
                    .images([
                        "/Assets/Photos/1.jpg",
                        "/Assets/Photos/2.jpg",
                        "isostore:/Shared/ShellContent/3.jpg",
                    ])
                    .count(9)
                    .title("Photos")
                    .os(OsVersion::V7_8)
                    .build()
                    .unwrap(),
                7,
            ),
        ),
        (
            "raw",
            send(
                "AAFraw0",
                Raw::new(&b"Update Info"[..])
                    .class(NotificationClass::Within450s)
                    .build()
                    .unwrap(),
                8,
            ),
        ),
        (
            "callback",
            WireRequest::callback(
                &"https://127.0.0.1:9/unthrottledthirdparty/01.00/AAEcallback0"
                    .parse()
                    .unwrap(),
                "https://svc.example.com/mpns/callback?user=42",
                &b"user=42&device=7"[..],
            )
            .unwrap(),
        ),
    ]
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/wire")
}

#[test]
fn golden_request_files_are_byte_identical_to_what_the_sender_builds() {
    let bless = std::env::var_os("MPNS_BLESS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (name, request) in golden_requests() {
        let path = fixtures_dir().join(format!("{name}.http"));
        let bytes = request.to_http_bytes();
        if bless {
            std::fs::write(&path, &bytes).unwrap();
            continue;
        }
        match std::fs::read(&path) {
            Ok(on_disk) if on_disk == bytes => {}
            Ok(_) => stale.push(format!("{} differs", path.display())),
            Err(e) => stale.push(format!("{} unreadable: {e}", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "golden wire files out of date (run with MPNS_BLESS=1 and review the diff): {stale:#?}"
    );
}

#[test]
fn golden_files_declare_the_length_of_their_body_and_use_crlf() {
    for (name, _) in golden_requests() {
        let path = fixtures_dir().join(format!("{name}.http"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("{name}: no blank line after the headers"));
        let head = std::str::from_utf8(&bytes[..split]).unwrap();
        let body = &bytes[split + 4..];
        assert!(
            !head.replace("\r\n", "").contains('\n'),
            "{name}: bare LF in the head"
        );
        let lines: Vec<&str> = head.split("\r\n").collect();
        assert!(
            lines[0].starts_with("POST /") && lines[0].ends_with(" HTTP/1.1"),
            "{name}"
        );
        assert_eq!(lines[1], "Host: 127.0.0.1:9", "{name}");
        let length = lines
            .last()
            .unwrap()
            .strip_prefix("Content-Length: ")
            .unwrap();
        assert_eq!(length.parse::<usize>().unwrap(), body.len(), "{name}");
    }
}
