//! Property, through the whole World: after One Time sends to a generated population (OS 7.0 to
//! 8.1, pinned or not, app closed, in the background or in the foreground, battery normal, low
//! or critically low, some phones away for the first send, 503s for one of them), each phone
//! shows exactly the parts its state allows, in the shape its OS gets: a Flip tile from 8.0, the
//! standard tile on 7.x, no toast `Param` on 7.0 (docs/push-recipe.md §2.1, §9.3;
//! docs/mpns-protocol.md §5.9, §6.3, §6.4). Bounded: 1 to 4 phones, 1 or 2 sends, 10 cases.

use crate::support::e2e as e2e_support;
use crate::support::props as props_support;

use e2e_support::Scene;
use mpns_harness::phone::{Outcome, PowerLevel};
use mpns_service::patterns::{TILE_BACKGROUNDS, UPDATE_INFO};
use props_support::{check_wire, content, fault, phone_spec, runtime, shown, Fault, Front};
use props_support::{PhoneSpec, Population, Run};
use proptest::prelude::*;
use serde_json::json;

/// One operator Send of One Time.
#[derive(Debug, Clone)]
struct Send {
    tile: bool,
    toast: bool,
    raw: bool,
    background: &'static str,
    count: u8,
    title: &'static str,
    toast_title: &'static str,
    toast_subtitle: &'static str,
    param: Option<&'static str>,
    raw_message: &'static str,
}

impl Send {
    fn body(&self) -> serde_json::Value {
        json!({
            "tile": self.tile,
            "toast": self.toast,
            "raw": self.raw,
            "background_image": self.background,
            "count": self.count,
            "title": self.title,
            "toast_title": self.toast_title,
            "toast_subtitle": self.toast_subtitle,
            "toast_param": self.param,
            "raw_message": self.raw_message,
        })
    }
}

fn send() -> impl Strategy<Value = Send> {
    (
        (any::<bool>(), any::<bool>(), any::<bool>()),
        prop::sample::select(&TILE_BACKGROUNDS[..]),
        0u8..=99,
        prop::sample::select(&["Game Update", "Q&A <live>", "Café ünïcode", "7"][..]),
        prop::sample::select(
            &[
                ("Game Update", "Game has been released"),
                ("Tom & Jerry", "<b>not bold</b>"),
                ("Ça va", "ok"),
            ][..],
        ),
        prop::option::of(prop::sample::select(
            &["/MainPage.xaml?level=2&x=y", "?from=push"][..],
        )),
        prop::sample::select(&["Game has been released", "A & B <c>", "né"][..]),
    )
        .prop_map(
            |(
                (tile, toast, raw),
                background,
                count,
                title,
                (toast_title, toast_subtitle),
                param,
                raw_message,
            )| Send {
                // At least one part: the service refuses a send of nothing.
                tile: tile || !(toast || raw),
                toast,
                raw,
                background,
                count,
                title,
                toast_title,
                toast_subtitle,
                param,
                raw_message,
            },
        )
}

/// What phone `spec` must show after `sends`.
fn expected_tile(spec: &PhoneSpec, sends: &[Send]) -> Option<Front> {
    if !spec.pinned {
        return None;
    }
    let mut front = Front::pinned();
    if spec.power == PowerLevel::Normal {
        for s in sends.iter().filter(|s| s.tile) {
            front = Front {
                image: Some(s.background.into()),
                badge: Front::badge(s.count),
                title: Some(s.title.into()),
            };
        }
    }
    Some(front)
}

fn expected_toasts(spec: &PhoneSpec, sends: &[Send]) -> Vec<(String, String, Option<String>)> {
    if spec.power != PowerLevel::Normal || spec.run == Run::Foreground {
        return Vec::new();
    }
    sends
        .iter()
        .filter(|s| s.toast)
        .map(|s| {
            (
                s.toast_title.to_owned(),
                s.toast_subtitle.to_owned(),
                s.param.filter(|_| spec.takes_param()).map(str::to_owned),
            )
        })
        .collect()
}

fn expected_inbox(spec: &PhoneSpec, sends: &[Send]) -> Vec<String> {
    let mut inbox = vec![UPDATE_INFO.to_owned()];
    match spec.run {
        Run::Closed => return Vec::new(),
        Run::Background => return inbox,
        Run::Foreground => {}
    }
    if spec.power != PowerLevel::CriticalLow {
        for s in sends.iter().filter(|s| s.raw) {
            inbox.insert(0, s.raw_message.to_owned());
        }
    }
    inbox
}

async fn run_case(specs: Vec<PhoneSpec>, sends: Vec<Send>, fault: Option<Fault>) {
    let scene = Scene::start().await;
    let population = Population::start(&scene, specs, "one-time").await;
    population.inject(fault);
    for s in &sends {
        scene.send("one-time", s.body()).await;
        population.drain(&scene).await;
    }

    for (i, (spec, app)) in population.specs.iter().zip(&population.apps).enumerate() {
        let name = format!("p{i} {spec:?}");
        assert_eq!(shown(app), expected_tile(spec, &sends), "{name}: the tile");
        let toasts: Vec<_> = app
            .app()
            .toasts()
            .into_iter()
            .map(|t| (t.text1, t.text2, t.param))
            .collect();
        assert_eq!(
            toasts,
            expected_toasts(spec, &sends),
            "{name}: the toast tray"
        );
        assert_eq!(
            app.inbox(),
            expected_inbox(spec, &sends),
            "{name}: the inbox"
        );
        for d in app.app().deliveries() {
            assert!(
                !matches!(d.outcome, Outcome::Refused { .. }),
                "{name}: the phone refused #{}: {}",
                d.seq,
                d.outcome
            );
        }
        // The shape its OS gets, on every request to it.
        for r in population.records(&scene, i) {
            let c = content(&r);
            match c["type"].as_str() {
                Some("tile") => {
                    let (template, v2) = if spec.flip() {
                        ("FlipTile", true)
                    } else {
                        ("Standard", false)
                    };
                    assert_eq!(
                        (c["template"].as_str(), c["version2"].as_bool()),
                        (Some(template), Some(v2)),
                        "{name}: {c}"
                    );
                }
                Some("toast") if !spec.takes_param() => {
                    assert!(c["param"].is_null(), "{name}: 7.0 got a Param: {c}");
                }
                _ => {}
            }
        }
    }
    check_wire(&scene, &population);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn one_time_shows_each_phone_exactly_what_its_os_and_state_allow(
        specs in prop::collection::vec(phone_spec(), 1..=4),
        sends in prop::collection::vec(send(), 1..=2),
        fault in fault(),
    ) {
        runtime().block_on(run_case(specs, sends, fault));
    }
}
