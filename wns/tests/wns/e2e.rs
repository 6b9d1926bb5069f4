//! The sender against the harness's fake WNS over https, and what the emulated Windows device
//! then shows: tokens, a 401 from a clock the sender does not share, header profiles, and
//! throttling answered by waiting on the fake's clock.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use mpns_harness::fake_wns::{ChannelRequest, Flow, HeaderProfile, Settings, ThrottleAnswer};
use mpns_harness::windows::WindowsVersion;
use mpns_harness::FakeWns;
use wns::{Badge, ChannelUri, Client, Credentials, NotificationStatus, RetryPolicy, Toast};

use crate::support::FakeClock;

struct Setup {
    fake: FakeWns,
    client: Client,
    channel: ChannelUri,
    clock: FakeClock,
}

async fn setup(shared_clock: bool) -> Setup {
    let fake = FakeWns::builder().https().seed(3).start().await.unwrap();
    let app = fake.register_app("contoso.chat", Flow::Store).unwrap();
    fake.add_device("ann-pc", WindowsVersion::Windows11)
        .unwrap();
    let channel = fake
        .create_channel(&ChannelRequest::new("contoso.chat", "ann-pc"))
        .unwrap();
    let mut builder = Client::builder(
        Credentials::store(app.client_id, app.client_secret).with_token_url(app.token_url),
    )
    .allow_host(fake.addr().to_string())
    .add_root_certificate_pem(fake.ca_pem().unwrap().as_bytes())
    .retry_policy(RetryPolicy {
        max_retries: 3,
        first_backoff: Duration::from_secs(1),
        max_delay: Duration::from_secs(3600),
    });
    let clock = FakeClock {
        clock: fake.clock().clone(),
        sleeps: Arc::default(),
    };
    if shared_clock {
        builder = builder.clock(Arc::new(clock.clone()));
    }
    Setup {
        client: builder.build().unwrap(),
        channel: channel.uri.parse().unwrap(),
        fake,
        clock,
    }
}

#[tokio::test]
async fn a_toast_and_a_badge_reach_the_windows_11_device_over_https() {
    let s = setup(true).await;
    let toast = Toast::new()
        .text("Ann")
        .text("Lunch at 1?")
        .build()
        .unwrap();
    let outcome = s.client.send(&s.channel, &toast).await.unwrap();
    assert!(outcome.is_received(), "{outcome:?}");
    assert_eq!(outcome.message_id.as_deref().map(str::len), Some(16));
    s.client
        .send(&s.channel, &Badge::number(120).build().unwrap())
        .await
        .unwrap();
    let text = s.fake.device("ann-pc", |d, _| d.render_text()).unwrap();
    assert!(
        text.contains("Banner: [contoso.chat] Ann — Lunch at 1?"),
        "{text}"
    );
    assert!(text.contains("contoso.chat=99+"), "{text}");
    assert!(
        s.fake.records().iter().all(|r| r.lint.is_empty()),
        "the sender's requests lint clean"
    );
}

#[tokio::test]
async fn on_the_fakes_clock_the_token_is_replaced_before_it_expires_so_no_send_meets_a_401() {
    let s = setup(true).await;
    s.fake
        .set_settings(Settings {
            token_lifetime_secs: 3600,
            ..Settings::default()
        })
        .unwrap();
    let toast = Toast::new().text("tick").build().unwrap();
    for _ in 0..4 {
        assert_eq!(s.client.send(&s.channel, &toast).await.unwrap().status, 200);
        s.fake.clock().advance(Duration::from_secs(1800));
    }
    assert_eq!(
        s.client.token_fetches(),
        2,
        "one token per hour of the fake's clock"
    );
    assert!(s.fake.records().iter().all(|r| r.status == 200));
}

#[tokio::test]
async fn a_token_the_fake_considers_expired_is_refreshed_once_and_the_send_goes_through() {
    // The sender on the real clock, the fake's clock a day ahead: the sender's token looks fresh
    // to it and expired to the fake.
    let s = setup(false).await;
    let toast = Toast::new().text("hello").build().unwrap();
    assert_eq!(s.client.send(&s.channel, &toast).await.unwrap().status, 200);
    s.fake.clock().advance(Duration::from_secs(86_400));
    let outcome = s.client.send(&s.channel, &toast).await.unwrap();
    assert_eq!(outcome.status, 200);
    let statuses: Vec<u16> = s.fake.records().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 401, 200]);
    assert_eq!(s.client.token_fetches(), 2);
}

#[tokio::test]
async fn the_outcome_reads_whichever_status_header_the_fake_sends() {
    let s = setup(true).await;
    let toast = Toast::new().text("x").build().unwrap();
    for profile in [
        HeaderProfile::Both,
        HeaderProfile::Documented,
        HeaderProfile::Legacy,
    ] {
        s.fake
            .set_settings(Settings {
                header_profile: profile,
                ..Settings::default()
            })
            .unwrap();
        let o = s.client.send(&s.channel, &toast).await.unwrap();
        assert_eq!(
            o.notification_status(),
            Some(&NotificationStatus::Received),
            "{profile:?}"
        );
    }
}

#[tokio::test]
async fn a_bulk_send_throttled_with_429_waits_retry_after_on_the_fakes_clock_then_delivers() {
    let s = setup(true).await;
    s.fake
        .set_settings(Settings {
            app_limit_per_minute: Some(2),
            throttle_answer: ThrottleAnswer::Observed429,
            retry_after_secs: 60,
            ..Settings::default()
        })
        .unwrap();
    let mut channels = vec![s.channel.clone()];
    for _ in 0..3 {
        let c = s
            .fake
            .create_channel(&ChannelRequest::new("contoso.chat", "ann-pc"))
            .unwrap();
        channels.push(c.uri.parse().unwrap());
    }
    let toast = Toast::new().text("news").build().unwrap();
    let mut results = s.client.send_bulk(&toast, channels);
    let clock = s.clock.clone();
    let mut done = Vec::new();
    let drive = async {
        while let Some(r) = results.next().await {
            done.push(r);
        }
    };
    // Two go at once; two wait 60 s of the fake's clock, then go.
    let advance = async {
        while clock.sleeps.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        clock.clock.advance(Duration::from_secs(60));
    };
    tokio::time::timeout(
        Duration::from_secs(10),
        futures_util::future::join(drive, advance),
    )
    .await
    .expect("within 10 s");
    assert_eq!(done.len(), 4);
    assert!(done
        .iter()
        .all(|r| r.result.as_ref().unwrap().is_received()));
    let mut attempts: Vec<u32> = done.iter().map(|r| r.attempts).collect();
    attempts.sort();
    assert_eq!(attempts, [1, 1, 2, 2]);
    assert_eq!(
        s.fake.records().iter().filter(|r| r.status == 429).count(),
        2
    );
}

mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

        /// However many sends run at once, the sender fetches exactly one token per lifetime of
        /// the fake's clock, and no send meets a 401.
        #[test]
        fn exactly_one_token_per_expiry_under_hundreds_of_concurrent_sends(
            rounds in 1u64..4,
            sends in 100usize..400,
        ) {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async {
                let s = setup(true).await;
                s.fake.set_settings(Settings { token_lifetime_secs: 3600, ..Settings::default() }).unwrap();
                let toast = Toast::new().text("x").build().unwrap();
                for round in 1..=rounds {
                    let all = (0..sends).map(|_| {
                        let client = s.client.clone();
                        let channel = s.channel.clone();
                        let toast = toast.clone();
                        async move { client.send(&channel, &toast).await.unwrap().status }
                    });
                    let statuses = futures_util::future::join_all(all).await;
                    assert!(statuses.iter().all(|s| *s == 200));
                    assert_eq!(s.client.token_fetches(), round);
                    // Past the refresh point (5 minutes before expiry).
                    s.fake.clock().advance(Duration::from_secs(3600 - 299));
                }
                assert!(s.fake.records().iter().all(|r| r.status == 200));
            });
        }
    }
}
