//! Property, through the whole World: under generated "Schedule", "Test Now" and "Stop" taps on
//! a generated population and advances of the virtual clock, after every step each pinned phone's
//! tile shows the number image last chosen, whether by its hourly schedule or by Test Now (which
//! reaches it only on a normal battery, and sets nothing but the BackgroundImage); an unpinned
//! phone shows nothing (docs/push-recipe.md §2.5, §9.3; docs/mpns-protocol.md §6.3, §6.6).
//!
//! Time is kept in steps of ten minutes, and a Test Now that meets a 503 is retried a minute at a
//! time (its retries come 1 and 3 minutes later) before the clock is brought back to the next
//! ten minutes: so no schedule run is ever due at the moment a retry lands, and the order of
//! what the tile shows is the order of the clock. Bounded: 1 to 3 phones, 1 to 6 actions, 10
//! cases.

use crate::support::e2e as e2e_support;
use crate::support::patterns::tile_props;
use crate::support::props as props_support;

use std::time::Duration;

use e2e_support::{Scene, HOUR};
use mpns_harness::fake::Connection;
use mpns_harness::phone::PowerLevel;
use props_support::{check_wire, content, fault, phone_spec, runtime, shown, Enter, Fault, Front};
use props_support::{PhoneSpec, Population, Run};
use proptest::prelude::*;

const STEP: Duration = Duration::from_secs(600);
const MINUTE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
enum Action {
    /// Phone `i`'s user selects a number and taps Test Now.
    TestNow(usize, u8),
    /// Phone `i`'s user selects a number and taps Schedule.
    Schedule(usize, u8),
    /// Phone `i`'s schedule stops.
    Stop(usize),
    /// The clock moves by this many ten-minute steps.
    Advance(u32),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0usize..8, 0u8..10).prop_map(|(i, n)| Action::TestNow(i, n)),
        2 => (0usize..8, 0u8..10).prop_map(|(i, n)| Action::Schedule(i, n)),
        1 => (0usize..8).prop_map(Action::Stop),
        3 => (1u32..=15).prop_map(Action::Advance),
    ]
}

/// Phones are away (if at all) for the first step only; Inactive would park Test Now for an
/// hour, across schedule runs, so the population here is connected or briefly away.
fn tile_schedule_phone() -> impl Strategy<Value = PhoneSpec> {
    phone_spec().prop_map(|mut spec| {
        if spec.away == Connection::Inactive {
            spec.away = Connection::TempDisconnected;
        }
        spec
    })
}

/// What one phone's tile must show.
#[derive(Debug, Default)]
struct Model {
    /// The number shown, `None` for the pinned image.
    shown: Option<u8>,
    /// The running schedule: when it started and its number.
    schedule: Option<(Duration, u8)>,
}

impl Model {
    /// The clock moved from `from` to `to`: a schedule run due in between shows its number.
    fn advance(&mut self, from: Duration, to: Duration) {
        if let Some((start, n)) = self.schedule {
            let runs = |t: Duration| (t.saturating_sub(start)).as_secs() / HOUR.as_secs();
            if runs(to) > runs(from) {
                self.shown = Some(n);
            }
        }
    }
}

/// Settles, brings every phone back, lets queued notifications arrive.
async fn settle_and_heal(scene: &Scene, population: &Population) {
    scene.settle_until_parked().await;
    population.heal(scene).await;
}

/// Moves the clock and every model.
async fn advance(scene: &Scene, models: &mut [Model], by: Duration) {
    let from = scene.world.now();
    scene.world.advance(by).await;
    scene.settle_until_parked().await;
    for m in models {
        m.advance(from, from + by);
    }
}

fn check(scene: &Scene, population: &Population, models: &[Model], after: &Action) {
    for (i, (spec, app)) in population.specs.iter().zip(&population.apps).enumerate() {
        let want = spec.pinned.then(|| Front {
            image: Some(models[i].shown.map_or_else(
                || Front::pinned().image.unwrap(),
                |n| app.number_image_url(n),
            )),
            ..Front::pinned()
        });
        assert_eq!(
            shown(app),
            want,
            "p{i} {spec:?} after {after:?} at {:?}",
            scene.world.now()
        );
    }
}

async fn run_case(specs: Vec<PhoneSpec>, actions: Vec<Action>, fault: Option<Fault>) {
    let scene = Scene::start().await;
    let population = Population::start(&scene, specs, "tile-schedule").await;
    population.inject(fault);
    let n = population.apps.len();
    let mut models: Vec<Model> = (0..n).map(|_| Model::default()).collect();

    for action in &actions {
        match *action {
            Action::TestNow(i, number) | Action::Schedule(i, number) => {
                let i = i % n;
                let (spec, app) = (&population.specs[i], &population.apps[i]);
                if spec.run == Run::Closed {
                    app.launch().await.unwrap();
                }
                app.select_number(number).unwrap();
                if matches!(action, Action::TestNow(..)) {
                    let uri = app.test_now().await.unwrap();
                    assert_eq!(uri, app.number_image_url(number));
                    settle_and_heal(&scene, &population).await;
                    if spec.pinned && spec.power == PowerLevel::Normal {
                        models[i].shown = Some(number);
                    }
                    // A 503 parks the tile for a minute, then two: move a minute at a time.
                    let mut waited = Duration::ZERO;
                    while scene.patterns.in_flight() > 0 {
                        assert!(waited < STEP, "Test Now still retrying after {waited:?}");
                        advance(&scene, &mut models, MINUTE).await;
                        waited += MINUTE;
                    }
                    if waited > Duration::ZERO {
                        advance(&scene, &mut models, STEP - waited).await;
                    }
                } else {
                    app.schedule().await.unwrap();
                    app.settle().await;
                    models[i].schedule = Some((scene.world.now(), number));
                    if spec.pinned {
                        models[i].shown = Some(number);
                    }
                    settle_and_heal(&scene, &population).await;
                }
                if spec.run == Run::Closed {
                    app.enter(Run::Closed);
                }
            }
            Action::Stop(i) => {
                let i = i % n;
                population.apps[i].stop_schedule().await;
                models[i].schedule = None;
                settle_and_heal(&scene, &population).await;
            }
            Action::Advance(steps) => {
                advance(&scene, &mut models, STEP * steps).await;
            }
        }
        check(&scene, &population, &models, action);
    }

    // Test Now sets the BackgroundImage only.
    for i in 0..n {
        for r in population.records(&scene, i) {
            if content(&r)["type"] == "tile" {
                let props = tile_props(&r);
                assert!(
                    props.len() == 1 && props[0].starts_with("BackgroundImage="),
                    "p{i}: {props:?}"
                );
            }
        }
    }
    check_wire(&scene, &population);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn tile_schedule_tiles_show_the_number_last_chosen_by_schedule_or_test_now(
        specs in prop::collection::vec(tile_schedule_phone(), 1..=3),
        actions in prop::collection::vec(action(), 1..=6),
        fault in fault(),
    ) {
        runtime().block_on(run_case(specs, actions, fault));
    }
}
