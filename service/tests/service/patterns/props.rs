//! Property: Counter sends and registrations running at the same time never lose a
//! registration or an increment, and no counter passes 99.

use crate::support::patterns as patterns_support;
use crate::support::within;

use std::collections::BTreeSet;

use futures_util::future::join_all;
use futures_util::FutureExt;
use mpns_harness::fake::{DeviceUpdate, Power};
use mpns_service::patterns::{Counter, SendRequest};
use mpns_service::registration::PatternKind;
use patterns_support::World;
use proptest::prelude::*;

/// A phone whose every notification is suppressed (battery critical): each probe reads as
/// "not running", so each Counter send increments every user it reaches.
fn critical() -> DeviceUpdate {
    DeviceUpdate {
        power: Some(Power::CriticalLow),
        ..DeviceUpdate::default()
    }
}

async fn run_case(seeds: Vec<u8>, sends: usize, newcomers: Vec<u8>) {
    let world = World::new().await;
    let store = world.state().store().clone();
    // Users registered before Counter is active, their counters seeded near or at the ceiling.
    let mut phones = Vec::new();
    for (i, seed) in seeds.iter().enumerate() {
        let user = format!("u{i}");
        let phone = world.channel("7.1", critical());
        world.register(&user, &phone, "7.1").await;
        for _ in 0..*seed {
            store
                .increment_counter(PatternKind::Counter, &user)
                .unwrap();
        }
        phones.push(phone);
    }
    world.activate("counter").await;
    let newcomer_phones: Vec<_> = newcomers
        .iter()
        .map(|_| world.channel("8.0", critical()))
        .collect();

    // Sends and registrations, all at once.
    let mut tasks = Vec::new();
    for _ in 0..sends {
        let patterns = world.patterns.clone();
        tasks.push(
            async move {
                let batch = patterns
                    .send(SendRequest::Counter(Counter::default()))
                    .await
                    .unwrap();
                within("a Counter batch to finish", batch.finished()).await;
            }
            .boxed(),
        );
    }
    for (name, phone) in newcomers.iter().zip(&newcomer_phones) {
        let world = &world;
        let user = format!("n{name}");
        tasks.push(async move { world.register(&user, phone, "8.0").await }.boxed());
    }
    join_all(tasks).await;
    world.wait_idle().await;

    let mut expected: BTreeSet<String> = (0..seeds.len()).map(|i| format!("u{i}")).collect();
    expected.extend(newcomers.iter().map(|n| format!("n{n}")));
    let names: BTreeSet<String> = world.subscriber_names().into_iter().collect();
    assert_eq!(names, expected, "no registration lost");

    for (i, seed) in seeds.iter().enumerate() {
        let count = store
            .counter(PatternKind::Counter, &format!("u{i}"))
            .unwrap();
        let want = (usize::from(*seed) + sends).min(99);
        assert_eq!(
            usize::from(count),
            want,
            "u{i}: seeded {seed}, {sends} sends"
        );
    }
    for n in &newcomers {
        let count = store
            .counter(PatternKind::Counter, &format!("n{n}"))
            .unwrap();
        assert!(usize::from(count) <= sends.min(99), "n{n}: {count}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn concurrent_registrations_and_counter_sends_lose_nothing_and_stop_at_99(
        seeds in prop::collection::vec(prop_oneof![0u8..5, 95u8..=99], 1..4),
        sends in 1usize..6,
        newcomers in prop::collection::vec(0u8..3, 0..4),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run_case(seeds, sends, newcomers));
    }
}
