//! Properties of the fake WNS over generated sends.

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Toast,
    Badge,
    Raw,
}

fn step() -> impl Strategy<Value = (Kind, Option<&'static str>, u8)> {
    (
        prop_oneof![Just(Kind::Toast), Just(Kind::Badge), Just(Kind::Raw)],
        prop_oneof![Just(None), Just(Some("cache")), Just(Some("no-cache"))],
        1u8..=50,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever is sent while the device is offline, it gets on its return exactly the latest
    /// cached one of each kind: toasts and badges unless sent with no-cache, raw only with cache.
    #[test]
    fn the_offline_cache_keeps_the_latest_of_each_kind(steps in prop::collection::vec(step(), 1..12)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let s = setup().await;
            let t = bearer(&s.app).await;
            s.fake.device(PC, |d, _| d.set_background_task(APP, true)).unwrap();
            s.fake.set_connection(s.channel.id, Connection::Disconnected).unwrap();
            let (mut toast, mut badge, mut raw) = (None, None, None);
            for (kind, policy, n) in &steps {
                let extra: Vec<(&str, &str)> = policy.map(|p| ("X-WNS-Cache-Policy", p)).into_iter().collect();
                let (wns_type, body) = match kind {
                    Kind::Toast => ("wns/toast", TOAST.replace("Ann", &format!("t{n}"))),
                    Kind::Badge => ("wns/badge", format!(r#"<badge value="{n}"/>"#)),
                    Kind::Raw => ("wns/raw", format!("r{n}")),
                };
                assert_eq!(send(&s.channel.uri, &t, wns_type, &body, &extra).await.0, 200);
                let kept = match kind {
                    Kind::Raw => *policy == Some("cache"),
                    _ => *policy != Some("no-cache"),
                };
                if kept {
                    match kind {
                        Kind::Toast => toast = Some(format!("t{n}")),
                        Kind::Badge => badge = Some(n.to_string()),
                        Kind::Raw => raw = Some(format!("r{n}").into_bytes()),
                    }
                }
            }
            let expected = [toast.is_some(), badge.is_some(), raw.is_some()].iter().filter(|k| **k).count();
            assert_eq!(s.fake.channel(s.channel.id).unwrap().cached, expected);
            s.fake.set_connection(s.channel.id, Connection::Connected).unwrap();
            let (titles, shown_badge, raws) = s.fake.device(PC, |d, _| {
                (
                    d.notification_center().iter().map(|(_, v)| v.texts[0].clone()).collect::<Vec<_>>(),
                    d.badge(APP).map(str::to_owned),
                    d.raw_received(APP).1.iter().map(|b| b.to_vec()).collect::<Vec<_>>(),
                )
            }).unwrap();
            assert_eq!(titles, toast.into_iter().collect::<Vec<_>>());
            assert_eq!(shown_badge, badge);
            assert_eq!(raws, raw.into_iter().collect::<Vec<_>>());
        });
    }
}
