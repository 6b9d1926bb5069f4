//! Property, through the whole World: after generated Custom Tile sends (text of printable ASCII
//! and Latin-1, size 8 to 48, text and background colours) to a generated population, every
//! pinned phone on a normal battery shows the last tile sent, whose image it downloaded from the
//! service; that image decodes, is 173×173, has exactly the background and text colours asked
//! for, and the text drawn on it is the text sent (drawn again and compared pixel for pixel,
//! `support/tile_image.rs`). Other phones keep their tile (docs/push-recipe.md §2.4, §9.3;
//! docs/mpns-protocol.md §5.7, §6.3). Bounded: 1 to 3 phones, 1 or 2 sends, 8 cases.

use crate::support::e2e as e2e_support;
use crate::support::props as props_support;
use crate::support::tile_image;

use e2e_support::Scene;
use mpns_harness::phone::{fetch_image, Outcome, PowerLevel};
use props_support::{check_wire, fault, phone_spec, runtime, shown, Fault, Front};
use props_support::{PhoneSpec, Population};
use proptest::prelude::*;
use serde_json::json;

#[derive(Debug, Clone)]
struct Send {
    text: String,
    size: u32,
    color: [u8; 3],
    background: [u8; 3],
    /// Colours written `#rrggbb` or `rrggbb`, as the endpoint takes both.
    hash: bool,
    count: Option<u8>,
    title: Option<&'static str>,
}

impl Send {
    fn colour(&self, rgb: [u8; 3]) -> String {
        let hex = format!("{:02x}{:02X}{:02x}", rgb[0], rgb[1], rgb[2]);
        if self.hash {
            format!("#{hex}")
        } else {
            hex
        }
    }

    fn body(&self) -> serde_json::Value {
        json!({
            "text": self.text,
            "size": self.size,
            "color": self.colour(self.color),
            "background": self.colour(self.background),
            "count": self.count,
            "title": self.title,
        })
    }
}

fn send() -> impl Strategy<Value = Send> {
    (
        "[ -~\u{a0}-\u{ff}]{0,24}",
        8u32..=48,
        any::<[u8; 3]>(),
        any::<[u8; 3]>(),
        any::<bool>(),
        prop::option::of(0u8..=99),
        prop::option::of(prop::sample::select(&["Custom", "A & <B>", "Ünïcode"][..])),
    )
        .prop_map(|(text, size, color, background, hash, count, title)| Send {
            text,
            size,
            color,
            background,
            hash,
            count,
            title,
        })
}

async fn run_case(specs: Vec<PhoneSpec>, sends: Vec<Send>, fault: Option<Fault>) {
    let scene = Scene::start().await;
    let population = Population::start(&scene, specs, "custom-tile").await;
    population.inject(fault);
    for s in &sends {
        scene.send("custom-tile", s.body()).await;
        population.drain(&scene).await;
    }

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for (i, (spec, app)) in population.specs.iter().zip(&population.apps).enumerate() {
        let name = format!("p{i} {spec:?}");
        let tile = shown(app);
        if !spec.pinned {
            assert_eq!(tile, None, "{name}");
            continue;
        }
        let tile = tile.unwrap();
        if spec.power != PowerLevel::Normal {
            assert_eq!(tile, Front::pinned(), "{name}: the tile is as pinned");
            continue;
        }
        let last = sends.last().unwrap();
        let badge = sends
            .iter()
            .rev()
            .find_map(|s| s.count)
            .and_then(Front::badge);
        let title = sends
            .iter()
            .rev()
            .find_map(|s| s.title)
            .unwrap_or("Push Patterns");
        assert_eq!(
            (tile.badge, tile.title.as_deref()),
            (badge, Some(title)),
            "{name}: count and title as last set"
        );
        let applied = app
            .app()
            .deliveries()
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::ImagesApplied { .. }))
            .count();
        assert_eq!(
            applied,
            sends.len(),
            "{name}: the phone downloaded each tile's image"
        );

        let url = tile.image.expect("a BackgroundImage");
        let parsed = reqwest::Url::parse(&url).unwrap();
        assert_eq!(
            url.split_once('?').map(|(path, _)| path),
            Some(format!("{}/images/custom.png", scene.base_url()).as_str()),
            "{name}"
        );
        let query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        let want = [
            ("text", last.text.clone()),
            ("size", last.size.to_string()),
            ("color", last.colour(last.color)),
            ("background", last.colour(last.background)),
        ]
        .map(|(k, v)| (k.to_owned(), v));
        assert_eq!(query, want, "{name}: the image URL carries what was sent");
        // What the phone fetched: the same URL, by the phone's rules (80 KB, PNG or JPEG).
        let png = fetch_image(&http, scene.world.clock(), &url).await.unwrap();
        let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
            .expect("the tile image decodes as PNG")
            .to_rgb8();
        tile_image::check(&img, &last.text, last.size, last.color, last.background);
    }
    check_wire(&scene, &population);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn custom_tile_phones_show_an_image_of_the_text_size_and_colours_sent(
        specs in prop::collection::vec(phone_spec(), 1..=3),
        sends in prop::collection::vec(send(), 1..=2),
        fault in fault(),
    ) {
        runtime().block_on(run_case(specs, sends, fault));
    }
}
