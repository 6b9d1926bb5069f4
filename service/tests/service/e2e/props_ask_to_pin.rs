//! Property, through the whole World: under generated Ask to Pin sends, relaunches (each one a
//! registration) and pins and unpins on a generated population, a phone is asked to pin (sent
//! the raw `AskToPin`) exactly when its tile was suppressed, so a pinned phone on a normal
//! battery never is; the popup shows where the app runs in the foreground; a registration
//! re-sends the user's stored tile; and each pinned tile shows the last tile that reached it
//! (docs/push-recipe.md §2.3, §9.3; docs/mpns-protocol.md §6.3, §6.4). A pinned phone on a low
//! battery is asked too: MPNS answers Suppressed for both, and the sender cannot tell them
//! apart (§6.3). Bounded: 1 to 4 phones, 1 to 4 actions, 10 cases.

use crate::support::e2e as e2e_support;
use crate::support::patterns::tile_props;
use crate::support::props as props_support;

use e2e_support::Scene;
use mpns_harness::phone::{PowerLevel, TileKey};
use mpns_service::patterns::{ASK_TO_PIN, TILE_BACKGROUNDS};
use props_support::{check_wire, content, fault, phone_spec, runtime, shown, Enter, Fault, Front};
use props_support::{PhoneSpec, Population, Run};
use proptest::prelude::*;
use serde_json::json;

/// A tile as Ask to Pin sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    background: &'static str,
    count: u8,
    title: &'static str,
}

impl Sent {
    /// The pattern's defaults, which answer a registration before any send.
    const DEFAULT: Sent = Sent {
        background: TILE_BACKGROUNDS[2],
        count: 1,
        title: "Game Update",
    };

    fn front(self) -> Front {
        Front {
            image: Some(self.background.into()),
            badge: Front::badge(self.count),
            title: Some(self.title.into()),
        }
    }

    fn props(self) -> Vec<String> {
        let mut props = vec![
            format!("BackgroundImage={}", self.background),
            format!("Count={}", self.count),
            format!("Title={}", self.title),
        ];
        props.sort();
        props
    }
}

#[derive(Debug, Clone)]
enum Action {
    /// The operator sends this tile to everyone.
    Send(Sent),
    /// Phone `i`'s app is closed and launched again: it registers.
    Relaunch(usize),
    /// The user pins phone `i`'s tile, or unpins it.
    TogglePin(usize),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (
            prop::sample::select(&TILE_BACKGROUNDS[..]),
            0u8..=99,
            prop::sample::select(&["Pin me", "Q&A <now>", "Ünïcode"][..]),
        )
            .prop_map(|(background, count, title)| Action::Send(Sent {
                background,
                count,
                title
            })),
        2 => (0usize..8).prop_map(Action::Relaunch),
        1 => (0usize..8).prop_map(Action::TogglePin),
    ]
}

/// What one phone must show, and how often it must have been asked.
#[derive(Debug)]
struct Model {
    pinned: bool,
    front: Front,
    asks: usize,
    prompts: u32,
}

impl Model {
    /// A tile reaches the phone (the app in the foreground or not).
    fn tile(&mut self, spec: &PhoneSpec, sent: Sent, foreground: bool) {
        let suppressed = !self.pinned || spec.power != PowerLevel::Normal;
        if suppressed {
            self.asks += 1;
            if foreground && spec.power != PowerLevel::CriticalLow {
                self.prompts += 1;
            }
        } else {
            self.front = sent.front();
        }
    }
}

/// The tiles sent to phone `i` with status 200, as sorted `name=value` lists.
fn tiles_sent(scene: &Scene, population: &Population, i: usize) -> Vec<Vec<String>> {
    population
        .records(scene, i)
        .iter()
        .filter(|r| r.response.status == 200 && content(r)["type"] == "tile")
        .map(|r| {
            let mut props = tile_props(r);
            props.sort();
            props
        })
        .collect()
}

async fn run_case(specs: Vec<PhoneSpec>, actions: Vec<Action>, fault: Option<Fault>) {
    let scene = Scene::start().await;
    let population = Population::start(&scene, specs, "ask-to-pin").await;
    population.inject(fault);
    let n = population.apps.len();
    let mut models: Vec<Model> = population
        .specs
        .iter()
        .map(|s| Model {
            pinned: s.pinned,
            front: Front::pinned(),
            asks: 0,
            prompts: 0,
        })
        .collect();
    let mut settings = Sent::DEFAULT;
    let mut stored: Vec<Option<Sent>> = vec![None; n];

    for action in &actions {
        match *action {
            Action::Send(sent) => {
                settings = sent;
                let body = json!({"background_image": sent.background, "count": sent.count, "title": sent.title});
                scene.send("ask-to-pin", body).await;
                population.drain(&scene).await;
                for (i, spec) in population.specs.iter().enumerate() {
                    stored[i] = Some(sent);
                    models[i].tile(spec, sent, spec.run == Run::Foreground);
                }
            }
            Action::Relaunch(i) => {
                let i = i % n;
                let (spec, app) = (&population.specs[i], &population.apps[i]);
                app.close();
                app.launch().await.unwrap();
                population.drain(&scene).await;
                let again = stored[i].unwrap_or(settings);
                models[i].tile(spec, again, true);
                assert_eq!(
                    tiles_sent(&scene, &population, i).last(),
                    Some(&again.props()),
                    "p{i}: the registration re-sends the stored tile"
                );
                app.enter(spec.run);
            }
            Action::TogglePin(i) => {
                let i = i % n;
                let app = &population.apps[i];
                if models[i].pinned {
                    assert!(app.app().unpin(&TileKey::Primary));
                } else {
                    app.pin().unwrap();
                    models[i].front = Front::pinned();
                }
                models[i].pinned = !models[i].pinned;
            }
        }
        // The user presses OK, leaving "Show this message again" checked.
        for app in &population.apps {
            app.dismiss_prompt(true);
        }
    }

    for (i, (spec, app)) in population.specs.iter().zip(&population.apps).enumerate() {
        let model = &models[i];
        let name = format!("p{i} {spec:?}, finally pinned: {}", model.pinned);
        let asks = population
            .records(&scene, i)
            .iter()
            .filter(|r| r.response.status == 200 && r.body.as_ref() == ASK_TO_PIN.as_bytes())
            .count();
        assert_eq!(asks, model.asks, "{name}: asked to pin");
        assert_eq!(app.prompts_shown(), model.prompts, "{name}: popups");
        assert_eq!(
            shown(app),
            model.pinned.then(|| model.front.clone()),
            "{name}: the tile"
        );
    }
    check_wire(&scene, &population);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn ask_to_pin_asks_exactly_the_phones_whose_tile_was_suppressed(
        specs in prop::collection::vec(phone_spec(), 1..=4),
        actions in prop::collection::vec(action(), 1..=4),
        fault in fault(),
    ) {
        runtime().block_on(run_case(specs, actions, fault));
    }
}
