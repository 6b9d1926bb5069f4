//! Property, through the whole World: Counter sends from the operator and logins from phones,
//! all at once, never lose a registration or an increment, and no counter (nor badge) passes 99.
//! Bounded: at most 3 phones already there, 2 newcomers and 4 sends per case, 8 cases.

use crate::support::e2e as e2e_support;

use std::collections::BTreeSet;

use e2e_support::Scene;
use futures_util::future::join_all;
use futures_util::FutureExt;
use mpns_harness::phone::TileKey;
use mpns_harness::push_patterns::Settings;
use mpns_service::registration::PatternKind;
use proptest::prelude::*;
use serde_json::json;

async fn run_case(seeds: Vec<u8>, sends: usize, newcomers: usize) {
    let scene = Scene::start().await;
    let store = scene.service.state().store().clone();
    // Phones whose app is closed (its tile-bound channel stays open): each probe is answered
    // Suppressed, so every send counts each of them up.
    let mut apps = Vec::new();
    for (i, seed) in seeds.iter().enumerate() {
        let user = format!("u{i}");
        let app = scene.logged_in(&format!("p{i}"), "7.1", &user).await;
        app.close();
        for _ in 0..*seed {
            store
                .increment_counter(PatternKind::Counter, &user)
                .unwrap();
        }
        apps.push(app);
    }
    scene.activate("counter").await;
    let fresh: Vec<_> = (0..newcomers)
        .map(|i| {
            let app = scene.phone(&format!("n{i}"), "8.0");
            app.pin().unwrap();
            app
        })
        .collect();

    let mut tasks = Vec::new();
    for _ in 0..sends {
        tasks.push(scene.send("counter", json!({})).boxed());
    }
    for (i, app) in fresh.iter().enumerate() {
        tasks.push(
            async move {
                app.launch().await.unwrap();
                app.set_settings(Settings::all_on()).await.unwrap();
                app.login(&format!("n{i}")).await.unwrap();
            }
            .boxed(),
        );
    }
    join_all(tasks).await;
    scene.quiesce().await;

    let mut expected: BTreeSet<String> = (0..seeds.len()).map(|i| format!("u{i}")).collect();
    expected.extend((0..newcomers).map(|i| format!("n{i}")));
    let names: BTreeSet<String> = scene.subscribers().into_iter().collect();
    assert_eq!(names, expected, "no registration lost");

    for (i, (seed, app)) in seeds.iter().zip(&apps).enumerate() {
        let user = format!("u{i}");
        let count = store.counter(PatternKind::Counter, &user).unwrap();
        let want = (usize::from(*seed) + sends).min(99);
        assert_eq!(
            usize::from(count),
            want,
            "{user}: seeded {seed}, {sends} sends"
        );
        let badge = app.app().tile(&TileKey::Primary).unwrap().badge();
        assert!(
            badge.is_some_and(|b| (1..=99).contains(&b)),
            "{user}: {badge:?}"
        );
    }
    for (i, app) in fresh.iter().enumerate() {
        let user = format!("n{i}");
        let count = store.counter(PatternKind::Counter, &user).unwrap();
        assert!(usize::from(count) <= sends.min(99), "{user}: {count}");
        // The newcomer runs: its probes read "running", so it is never counted after its login.
        assert!(app.errors().is_empty(), "{user}: {:?}", app.errors());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn concurrent_logins_and_counter_sends_through_the_world_lose_nothing_and_stop_at_99(
        seeds in prop::collection::vec(prop_oneof![0u8..3, 96u8..=99], 1..=3),
        sends in 1usize..=4,
        newcomers in 0usize..=2,
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run_case(seeds, sends, newcomers));
    }
}
