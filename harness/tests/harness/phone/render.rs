//! The whole phone rendered after a scenario: stable text (named insta snapshots, reviewed) and
//! an SVG picture that is well-formed XML.

use std::time::Duration;

use crate::support::phone::*;
use crate::support::snapshots::snapshot_settings;
use crate::support::xml::{flip_xml, tile_xml, toast_xml};
use mpns_harness::fake::Connection;
use mpns_harness::phone::PowerLevel;
use mpns_harness::protocol::Template;
use mpns_harness::{Phone, World};

fn snapshot(name: &str, text: &str) {
    snapshot_settings().bind(|| insta::assert_snapshot!(name, text));
}

/// Two apps on a 8.0 phone after toasts, tiles, raw, a refused push and a power change.
async fn scenario() -> (World, Phone) {
    let world = World::start().await;
    let phone = world.add_phone("lumia-920", "8.0").unwrap();
    let weather = phone.install("weather").unwrap();
    weather
        .pin_primary(Template::FlipTile, &[("Title", "Weather")])
        .unwrap();
    weather
        .pin_secondary(
            "/City.xaml?name=Oslo",
            Template::FlipTile,
            &[("Title", "Oslo")],
        )
        .unwrap();
    weather.launch();
    weather.open_channel("weather-push").unwrap();
    weather.bind_toast().unwrap();
    weather.bind_tile().unwrap();
    weather.close();
    let stocks = phone.install("stocks").unwrap();
    stocks
        .pin_primary(Template::IconicTile, &[("Title", "Stocks")])
        .unwrap();
    stocks.launch();
    stocks.open_channel("ticks").unwrap();
    stocks.bind_tile().unwrap();

    let w = uri(&weather);
    let s = uri(&stocks);
    send_toast(&w, "Rain", "from 5 pm", Some("/City.xaml?name=Oslo")).await;
    send_tile(
        &w,
        &flip_xml(&[
            ("Count", Some("3")),
            ("BackTitle", Some("Tomorrow")),
            ("BackContent", Some("Sunny, 21°")),
        ]),
    )
    .await;
    send_tile(
        &w,
        &tile_xml(
            Some("FlipTile"),
            Some("/City.xaml?name=Oslo"),
            &[("Count", Some("120")), ("Title", None)],
        ),
    )
    .await;
    send(&w, Some("toast"), 12, &toast_xml("Later", "batched", None)).await;
    send_raw(&s, "<tick sym=\"MSFT\">31.2</tick>").await;
    send_tile(
        &s,
        &tile_xml(Some("FlipTile"), None, &[("Count", Some("1"))]),
    )
    .await;
    send_tile(
        &s,
        &tile_xml(
            Some("IconicTile"),
            None,
            &[("Count", Some("5")), ("WideContent1", Some("MSFT 31.2"))],
        ),
    )
    .await;
    world.advance(Duration::from_secs(450)).await;
    phone.set_power(PowerLevel::Low);
    phone.set_connection(Connection::TempDisconnected);
    world.settle().await;
    (world, phone)
}

#[tokio::test]
async fn a_phone_after_a_scenario_renders_as_stable_text() {
    let (_world, phone) = scenario().await;
    let text = phone.render_text();
    assert!(text.contains("connection: TempDisconnected"), "{text}");
    assert!(
        text.contains("#0 \"Rain\" \"from 5 pm\" -> /City.xaml?name=Oslo"),
        "{text}"
    );
    assert!(
        text.contains("\"<tick sym=\\\"MSFT\\\">31.2</tick>\""),
        "{text}"
    );
    assert!(text.contains("Template type mismatch"), "{text}");
    snapshot("phone_render_scenario", &text);
}

#[tokio::test]
async fn the_same_scenario_renders_the_same_text_twice() {
    let (_w1, a) = scenario().await;
    let (_w2, b) = scenario().await;
    assert_eq!(a.render_text(), b.render_text());
}

#[tokio::test]
async fn a_phone_renders_as_well_formed_svg_with_every_app() {
    let (_world, phone) = scenario().await;
    let svg = phone.render_svg();
    assert!(svg.starts_with("<svg "), "{svg}");
    let mut reader = quick_xml::Reader::from_str(&svg);
    let mut depth = 0i32;
    let mut svgs = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                depth += 1;
                if e.name().as_ref() == b"svg" {
                    svgs += 1;
                }
            }
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("the SVG is not well-formed: {e}\n{svg}"),
        }
    }
    assert_eq!(depth, 0);
    assert_eq!(
        svgs, 3,
        "the phone's picture holds one shell picture per app"
    );
    for needle in [
        "lumia-920",
        "weather",
        "stocks",
        "TempDisconnected",
        "Later",
    ] {
        assert!(svg.contains(needle), "{needle} missing");
    }
}

#[tokio::test]
async fn a_fresh_phone_renders_its_status_only() {
    let world = World::start().await;
    let phone = world.add_phone("omnia", "7.1").unwrap();
    snapshot("phone_render_fresh", &phone.render_text());
}
