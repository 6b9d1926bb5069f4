//! Every payload variant and one full request per kind, as named insta snapshots under the
//! top-level `snapshots/` folder. Review a changed snapshot as a change to the wire format.

use mpns::{
    ChannelUri, CycleTile, FlipTile, IconicTile, Message, NotificationClass, OsVersion, Raw, Tile,
    Toast, WireRequest,
};
use uuid::Uuid;

fn snap(name: &str, value: &str) {
    crate::support::snapshots().bind(|| {
        insta::assert_snapshot!(name, value);
    });
}

fn body(message: &Message) -> String {
    String::from_utf8(message.body().to_vec()).expect("payloads are UTF-8")
}

fn snap_payload(name: &str, message: Result<Message, mpns::MessageError>) {
    let message = message.unwrap_or_else(|e| panic!("{name} should build: {e}"));
    snap(name, &body(&message));
}

/// The request as text, CRLF shown as plain line ends (the golden files keep the CRLF bytes).
fn snap_request(name: &str, request: &WireRequest) {
    let text = String::from_utf8(request.to_http_bytes()).expect("these bodies are UTF-8");
    snap(name, &text.replace("\r\n", "\n"));
}

fn channel() -> ChannelUri {
    "http://127.0.0.1:9/throttledthirdparty/01.00/AAFbc87n_Myc"
        .parse()
        .unwrap()
}

#[test]
fn toast_payloads_match_their_snapshots() {
    snap_payload(
        "payload_toast_plain",
        Toast::new().text1("Hi").text2("There").build(),
    );
    snap_payload(
        "payload_toast_minimal",
        Toast::new().text2("Only text 2").build(),
    );
    snap_payload(
        "payload_toast_param",
        Toast::new()
            .text1("Hi")
            .text2("There")
            .param("/Page2.xaml?a=1&b=2")
            .build(),
    );
    snap_payload(
        "payload_toast_sound",
        Toast::new()
            .text1("Ding")
            .param("?from=toast")
            .sound("Audio/ding.wav")
            .build(),
    );
    snap_payload(
        "payload_toast_silent",
        Toast::new().text1("Shh").text2("quiet").silent().build(),
    );
    snap_payload(
        "payload_toast_escaped",
        Toast::new()
            .text1("Tom & Jerry's <\"show\">")
            .text2("Ünïcødé ✓ 🎉\tline\r\nnext")
            .build(),
    );
}

#[test]
fn standard_tile_payloads_match_their_snapshots() {
    snap_payload("payload_tile_minimal", Tile::new().count(5).build());
    snap_payload(
        "payload_tile_primary",
        Tile::new()
            .background_image("/Images/front.png")
            .count(12)
            .title("Oslo")
            .build(),
    );
    snap_payload(
        "payload_tile_secondary_full",
        Tile::new()
            .id("/SecondaryPage.xaml?city=Oslo&units=C")
            .background_image("http://img.example.com/f.png")
            .count(99)
            .title("Oslo")
            .back_background_image("isostore:/Shared/ShellContent/back.png")
            .back_title("Back")
            .back_content("Rain, 4°C")
            .build(),
    );
    snap_payload(
        "payload_tile_clears",
        Tile::new()
            .clear_background_image()
            .clear_count()
            .clear_title()
            .clear_back_background_image()
            .clear_back_title()
            .clear_back_content()
            .build(),
    );
}

fn full_flip() -> FlipTile {
    FlipTile::new()
        .id("/Weather.xaml?city=Oslo")
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
}

#[test]
fn flip_tile_payloads_match_their_snapshots() {
    snap_payload("payload_flip_full", full_flip().build());
    snap_payload(
        "payload_flip_full_without_version",
        full_flip().omit_version().build(),
    );
    snap_payload(
        "payload_flip_minimal",
        FlipTile::new().title("Oslo").build(),
    );
    snap_payload(
        "payload_flip_minimal_without_version",
        FlipTile::new().title("Oslo").omit_version().build(),
    );
    snap_payload(
        "payload_flip_clears",
        FlipTile::new()
            .clear_small_background_image()
            .clear_wide_background_image()
            .clear_wide_back_background_image()
            .clear_wide_back_content()
            .clear_background_image()
            .clear_count()
            .clear_title()
            .clear_back_background_image()
            .clear_back_title()
            .clear_back_content()
            .build(),
    );
}

fn full_iconic() -> IconicTile {
    IconicTile::new()
        .id("/Mail.xaml?account=1")
        .small_icon_image("/Assets/Tiles/icon-small.png")
        .icon_image("/Assets/Tiles/icon.png")
        .wide_content1("Row 1")
        .wide_content2("Row 2")
        .wide_content3("Row 3")
        .count(42)
        .title("Mail")
        .background_color("#FF1BA1E2")
}

#[test]
fn iconic_tile_payloads_match_their_snapshots() {
    snap_payload("payload_iconic_full", full_iconic().build());
    snap_payload(
        "payload_iconic_full_without_version",
        full_iconic().omit_version().build(),
    );
    snap_payload("payload_iconic_minimal", IconicTile::new().count(1).build());
    snap_payload(
        "payload_iconic_clears",
        IconicTile::new()
            .clear_small_icon_image()
            .clear_wide_content1()
            .clear_wide_content2()
            .clear_wide_content3()
            .clear_count()
            .clear_title()
            .clear_background_color()
            .build(),
    );
}

fn full_cycle() -> CycleTile {
    CycleTile::new()
        .id("/Photos.xaml?album=7")
        .small_background_image("/Assets/Tiles/small.png")
        .images((1..=9).map(|i| format!("/Assets/Photos/{i}.jpg")))
        .count(9)
        .title("Photos")
}

#[test]
fn cycle_tile_payloads_match_their_snapshots() {
    snap_payload("payload_cycle_full", full_cycle().build());
    snap_payload(
        "payload_cycle_full_without_version",
        full_cycle().omit_version().build(),
    );
    snap_payload(
        "payload_cycle_minimal",
        CycleTile::new()
            .image(1, "isostore:/Shared/ShellContent/1.jpg")
            .build(),
    );
    snap_payload(
        "payload_cycle_clears",
        CycleTile::new()
            .clear_small_background_image()
            .clear_image(1)
            .clear_image(9)
            .clear_count()
            .clear_title()
            .build(),
    );
}

#[test]
fn raw_payload_is_the_bytes_given() {
    let raw = Raw::new(&b"Update Info <not parsed> & not escaped"[..])
        .build()
        .unwrap();
    assert_eq!(raw.body(), b"Update Info <not parsed> & not escaped");
    snap("payload_raw", &body(&raw));
}

#[test]
fn one_full_request_per_kind_matches_its_snapshot() {
    let id = Uuid::parse_str("5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11").unwrap();
    let toast = Toast::new()
        .text1("Hi")
        .text2("There")
        .param("/Page2.xaml?id=7")
        .os(OsVersion::V7_1)
        .build()
        .unwrap();
    snap_request(
        "request_toast",
        &WireRequest::notification(&channel(), &toast, id),
    );
    let tile = Tile::new()
        .count(5)
        .title("Oslo")
        .class(NotificationClass::Within450s)
        .build()
        .unwrap();
    snap_request(
        "request_tile",
        &WireRequest::notification(&channel(), &tile, id),
    );
    let flip = FlipTile::new()
        .title("Oslo")
        .class(NotificationClass::Within900s)
        .build()
        .unwrap();
    snap_request(
        "request_flip",
        &WireRequest::notification(&channel(), &flip, id),
    );
    let raw = Raw::new(&b"Update Info"[..])
        .class(NotificationClass::Within900s)
        .build()
        .unwrap();
    snap_request(
        "request_raw",
        &WireRequest::notification(&channel(), &raw, id),
    );
    let authenticated: ChannelUri = "https://127.0.0.1:9/unthrottledthirdparty/01.00/AAEecz4f"
        .parse()
        .unwrap();
    let callback = WireRequest::callback(
        &authenticated,
        "https://svc.example.com/cb?user=42",
        &b"user 42"[..],
    )
    .unwrap();
    snap_request("request_callback", &callback);
}
