//! The retry policy as data (every table row, every transport failure, properties), and the
//! retry driver on a manual clock: hours of retries in virtual time, no wall-clock sleeps.

use std::time::{Duration, SystemTime};

use mpns::{
    send_with_retry, Action, Client, Clock, ManualClock, Outcome, Retried, Retry, RetryPolicy,
    RetryReason, Stop, Toast, TransportErrorKind,
};
use proptest::prelude::*;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{within, WAIT_LIMIT};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

fn table() -> Vec<(usize, Outcome, String)> {
    include_str!("../../../fixtures/responses/status-table.csv")
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            let headers: Vec<(&str, &str)> = [
                ("X-NotificationStatus", f[1]),
                ("X-DeviceConnectionStatus", f[2]),
                ("X-SubscriptionStatus", f[3]),
            ]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
            (
                i + 1,
                Outcome::from_parts(f[0].parse().unwrap(), headers),
                f[4].to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_table_row_gets_the_first_retry_its_action_asks_for_or_none() {
    let policy = RetryPolicy::default();
    for (line, outcome, action) in table() {
        let decision = policy.for_outcome(&outcome, 1);
        match (action.as_str(), outcome.action()) {
            ("retry", Action::Retry(reason)) => {
                let expected = match reason {
                    RetryReason::QueueFull | RetryReason::ServiceUnavailable => MINUTE,
                    RetryReason::DailyLimit | RetryReason::DeviceUnreachable => HOUR,
                };
                assert_eq!(decision, Retry::After(expected), "line {line}");
            }
            ("delivered" | "queued", _) => {
                assert_eq!(decision, Retry::Never(Stop::Accepted), "line {line}")
            }
            (_, other) => assert_eq!(
                decision,
                Retry::Never(Stop::NotRetryable(other)),
                "line {line}"
            ),
        }
    }
}

#[test]
fn queue_full_backs_off_1_2_4_8_16_32_then_60_minutes_then_gives_up() {
    let policy = RetryPolicy::default();
    let full = Outcome::from_parts(200, [("X-NotificationStatus", "QueueFull")]);
    let delays: Vec<Retry> = (1..=9).map(|a| policy.for_outcome(&full, a)).collect();
    let minutes = [1, 2, 4, 8, 16, 32, 60, 60];
    for (i, m) in minutes.iter().enumerate() {
        assert_eq!(delays[i], Retry::After(MINUTE * *m), "attempt {}", i + 1);
    }
    assert_eq!(delays[8], Retry::Never(Stop::Exhausted { attempts: 9 }));
}

#[test]
fn a_503_backs_off_like_a_full_queue() {
    let policy = RetryPolicy::default();
    let busy = Outcome::from_parts(503, Vec::<(&str, &str)>::new());
    assert_eq!(policy.for_outcome(&busy, 2), Retry::After(2 * MINUTE));
}

#[test]
fn a_406_is_retried_hourly_for_a_day_then_given_up() {
    let policy = RetryPolicy::default();
    let quota = Outcome::from_parts(406, [("X-NotificationStatus", "Dropped")]);
    for attempt in 1..=24 {
        assert_eq!(policy.for_outcome(&quota, attempt), Retry::After(HOUR));
    }
    assert_eq!(
        policy.for_outcome(&quota, 25),
        Retry::Never(Stop::Exhausted { attempts: 25 })
    );
}

#[test]
fn a_412_is_never_retried_sooner_than_an_hour_even_with_a_fast_backoff() {
    let policy = RetryPolicy::default().backoff(Duration::from_secs(1), Duration::from_secs(2));
    let away = Outcome::from_parts(412, [("X-DeviceConnectionStatus", "Inactive")]);
    for attempt in 1..=24 {
        assert_eq!(policy.for_outcome(&away, attempt), Retry::After(HOUR));
    }
}

#[test]
fn a_custom_backoff_doubles_from_its_first_delay_and_stays_at_its_cap() {
    let policy = RetryPolicy::default().backoff(Duration::from_secs(10), Duration::from_secs(45));
    let full = Outcome::from_parts(200, [("X-NotificationStatus", "QueueFull")]);
    let seconds = [10, 20, 40, 45, 45, 45, 45, 45];
    for (i, s) in seconds.iter().enumerate() {
        let attempt = i as u32 + 1;
        assert_eq!(
            policy.for_outcome(&full, attempt),
            Retry::After(Duration::from_secs(*s)),
            "attempt {attempt}"
        );
    }
    assert_eq!(
        policy.for_outcome(&full, 9),
        Retry::Never(Stop::Exhausted { attempts: 9 }),
        "the number of back-off retries is still the default 8"
    );
    assert_eq!(policy.max_delay(), HOUR, "406 and 412 still wait an hour");
}

#[test]
fn a_backoff_cap_below_the_first_delay_is_raised_to_the_first_delay() {
    let policy = RetryPolicy::default().backoff(2 * HOUR, MINUTE);
    let busy = Outcome::from_parts(503, Vec::<(&str, &str)>::new());
    for attempt in 1..=8 {
        assert_eq!(
            policy.for_outcome(&busy, attempt),
            Retry::After(2 * HOUR),
            "attempt {attempt}"
        );
    }
    assert_eq!(policy.max_delay(), 2 * HOUR);
}

#[test]
fn a_custom_number_of_backoff_retries_is_kept() {
    let policy = RetryPolicy::default().max_backoff_retries(3);
    let full = Outcome::from_parts(200, [("X-NotificationStatus", "QueueFull")]);
    assert_eq!(policy.for_outcome(&full, 3), Retry::After(4 * MINUTE));
    assert_eq!(
        policy.for_outcome(&full, 4),
        Retry::Never(Stop::Exhausted { attempts: 4 })
    );
}

#[test]
fn a_custom_limit_of_hourly_retries_is_kept_for_406_and_412() {
    let policy = RetryPolicy::new().max_hourly_retries(2);
    let quota = Outcome::from_parts(406, [("X-NotificationStatus", "Dropped")]);
    let away = Outcome::from_parts(412, [("X-DeviceConnectionStatus", "Inactive")]);
    for outcome in [quota, away] {
        assert_eq!(policy.for_outcome(&outcome, 1), Retry::After(HOUR));
        assert_eq!(policy.for_outcome(&outcome, 2), Retry::After(HOUR));
        assert_eq!(
            policy.for_outcome(&outcome, 3),
            Retry::Never(Stop::Exhausted { attempts: 3 }),
            "{}",
            outcome.status
        );
    }
}

#[test]
fn the_new_policy_is_the_default_one() {
    assert_eq!(RetryPolicy::new(), RetryPolicy::default());
}

#[test]
fn decide_reads_answers_and_failures_alike() {
    let policy = RetryPolicy::default();
    let quota = Outcome::from_parts(406, [("X-NotificationStatus", "Dropped")]);
    assert_eq!(policy.decide(&Ok(quota), 1), Retry::After(HOUR));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let invalid = rt.block_on(async {
        let ch = "http://127.0.0.1:9/x".parse().unwrap();
        Client::new()
            .register_callback(&ch, "not a url", Vec::new())
            .await
            .unwrap_err()
    });
    assert_eq!(
        policy.decide(&Err(invalid), 1),
        Retry::Never(Stop::Permanent(TransportErrorKind::InvalidRequest))
    );
}

#[test]
fn a_refused_connection_backs_off_and_an_invalid_request_is_never_retried() {
    let policy = RetryPolicy::default();
    // Real errors of two kinds, produced without a server.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let refused = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let ch = format!("http://{addr}/x").parse().unwrap();
        Client::new()
            .send(&ch, &Toast::new().text1("a").build().unwrap())
            .await
            .unwrap_err()
    });
    assert_eq!(refused.kind(), TransportErrorKind::ConnectionRefused);
    assert_eq!(policy.for_error(&refused, 1), Retry::After(MINUTE));
    let invalid = rt.block_on(async {
        let ch = "http://127.0.0.1:9/x".parse().unwrap();
        Client::new()
            .register_callback(&ch, "not a url", Vec::new())
            .await
            .unwrap_err()
    });
    assert_eq!(invalid.kind(), TransportErrorKind::InvalidRequest);
    assert_eq!(
        policy.for_error(&invalid, 1),
        Retry::Never(Stop::Permanent(TransportErrorKind::InvalidRequest))
    );
}

fn any_outcome() -> impl Strategy<Value = Outcome> {
    let status = prop::sample::select(vec![
        200u16, 400, 401, 403, 404, 405, 406, 412, 429, 500, 503,
    ]);
    let notification =
        prop::sample::select(vec!["", "Received", "Dropped", "QueueFull", "Suppressed"]);
    let device = prop::sample::select(vec![
        "",
        "Connected",
        "TempDisconnected",
        "Disconnected",
        "Inactive",
    ]);
    let subscription = prop::sample::select(vec!["", "Active", "Expired"]);
    (status, notification, device, subscription).prop_map(|(s, n, d, sub)| {
        let headers: Vec<(&str, &str)> = [
            ("X-NotificationStatus", n),
            ("X-DeviceConnectionStatus", d),
            ("X-SubscriptionStatus", sub),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        Outcome::from_parts(s, headers)
    })
}

fn any_policy() -> impl Strategy<Value = RetryPolicy> {
    (1u64..7200, 1u64..20_000, 0u32..40, 0u32..40).prop_map(|(first, cap, backoff, hourly)| {
        RetryPolicy::default()
            .backoff(Duration::from_secs(first), Duration::from_secs(cap))
            .max_backoff_retries(backoff)
            .max_hourly_retries(hourly)
    })
}

proptest! {
    #[test]
    fn delays_never_decrease_with_the_attempt_and_never_exceed_the_cap(
        policy in any_policy(),
        outcome in any_outcome(),
    ) {
        let mut last = Duration::ZERO;
        for attempt in 1..=64u32 {
            match policy.for_outcome(&outcome, attempt) {
                Retry::After(delay) => {
                    prop_assert!(delay >= last, "attempt {attempt}: {delay:?} < {last:?}");
                    prop_assert!(delay <= policy.max_delay());
                    if let Action::Retry(reason) = outcome.action() {
                        if matches!(reason, RetryReason::DailyLimit | RetryReason::DeviceUnreachable) {
                            prop_assert_eq!(delay, HOUR);
                        }
                    }
                    last = delay;
                }
                Retry::Never(_) => {
                    // Once it stops, it stays stopped.
                    prop_assert!(matches!(policy.for_outcome(&outcome, attempt + 1), Retry::Never(_)));
                    break;
                }
            }
        }
    }

    #[test]
    fn a_404_expired_is_never_retried(
        policy in any_policy(),
        attempt in 0u32..1000,
        notification in prop::sample::select(vec!["", "Dropped", "Received"]),
        device in prop::sample::select(vec!["", "Connected", "TempDisconnected", "Disconnected"]),
    ) {
        let mut headers = vec![("X-SubscriptionStatus", "Expired")];
        if !notification.is_empty() { headers.push(("X-NotificationStatus", notification)); }
        if !device.is_empty() { headers.push(("X-DeviceConnectionStatus", device)); }
        let outcome = Outcome::from_parts(404, headers);
        prop_assert_eq!(
            policy.for_outcome(&outcome, attempt),
            Retry::Never(Stop::NotRetryable(Action::RemoveChannel))
        );
    }
}

// ---- the driver on a manual clock ------------------------------------------------------------

fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_400_000_000)
}

/// Waits until the retry is parked on the clock with its deadline at `at`: at most
/// [`WAIT_LIMIT`] of wall-clock time, then the test fails saying what the clock holds instead.
async fn wait_for_deadline(clock: &ManualClock, at: SystemTime) {
    let parked = async {
        loop {
            clock.wait_for_sleepers(1).await;
            if clock.next_deadline() == Some(at) {
                return;
            }
            // A sleeper with another deadline: let the retry move on (and the deadline run).
            tokio::task::yield_now().await;
        }
    };
    if tokio::time::timeout(WAIT_LIMIT, parked).await.is_err() {
        panic!(
            "waited {WAIT_LIMIT:?} (wall clock) for a retry parked on the clock until {:?}s; \
             the clock's next deadline is {:?} with {} sleeper(s), at {:?}s",
            secs(at),
            clock.next_deadline().map(secs),
            clock.sleepers(),
            secs(clock.now()),
        );
    }
}

/// Seconds since [`start`], for messages.
fn secs(at: SystemTime) -> u64 {
    at.duration_since(start()).map_or(0, |d| d.as_secs())
}

#[tokio::test]
async fn send_with_retry_waits_on_the_clock_and_resends_the_same_message_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-NotificationStatus", "QueueFull"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-NotificationStatus", "Received")
                .insert_header("X-DeviceConnectionStatus", "Connected"),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let clock = ManualClock::new(start());
    let client = Client::new();
    let channel = format!("{}/throttledthirdparty/01.00/AAF", server.uri())
        .parse()
        .unwrap();
    let message = Toast::new().text1("retry me").build().unwrap();
    let task = tokio::spawn({
        let clock = clock.clone();
        async move {
            send_with_retry(&client, &clock, &RetryPolicy::default(), &channel, &message).await
        }
    });

    within(
        "the first retry parked on the clock",
        clock.wait_for_sleepers(1),
    )
    .await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert_eq!(clock.next_deadline(), Some(start() + MINUTE));
    clock.advance(MINUTE - Duration::from_secs(1));
    assert_eq!(clock.sleepers(), 1, "not due yet");
    clock.advance(Duration::from_secs(1));

    // The second answer is QueueFull again: now two minutes.
    wait_for_deadline(&clock, start() + 3 * MINUTE).await;
    clock.advance(2 * MINUTE);

    let done = within("send_with_retry to end after the third send", task)
        .await
        .unwrap();
    assert_eq!(done.attempts, 3);
    assert_eq!(done.stop, Stop::Accepted);
    assert_eq!(done.result.unwrap().action(), Action::Delivered);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    let ids: Vec<_> = requests
        .iter()
        .map(|r| r.headers["x-messageid"].clone())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
}

#[tokio::test]
async fn an_expired_channel_is_sent_to_once_and_never_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("X-NotificationStatus", "Dropped")
                .insert_header("X-SubscriptionStatus", "Expired"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new(start());
    let channel = format!("{}/throttledthirdparty/01.00/AAF", server.uri())
        .parse()
        .unwrap();
    let message = Toast::new().text1("gone").build().unwrap();
    let done = within(
        "send_with_retry to give up on an expired channel",
        send_with_retry(
            &Client::new(),
            &clock,
            &RetryPolicy::default(),
            &channel,
            &message,
        ),
    )
    .await;
    assert_eq!(done.attempts, 1);
    assert_eq!(done.stop, Stop::NotRetryable(Action::RemoveChannel));
    assert_eq!(clock.now(), start(), "no time passed");
    server.verify().await;
}

/// Drives `send_with_retry` against a server that always gives `answer`, advancing the clock an
/// hour at a time through `hours` hourly retries; checks the server got `hours + 1` sends and
/// the clock stopped at the last retry.
async fn retried_hourly(answer: ResponseTemplate, policy: RetryPolicy, hours: u32) -> Retried {
    let sends = u64::from(hours) + 1;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .expect(sends)
        .mount(&server)
        .await;
    let clock = ManualClock::new(start());
    let channel = format!("{}/throttledthirdparty/01.00/AAF", server.uri())
        .parse()
        .unwrap();
    let message = Toast::new().text1("hourly").build().unwrap();
    let task = tokio::spawn({
        let clock = clock.clone();
        async move { send_with_retry(&Client::new(), &clock, &policy, &channel, &message).await }
    });
    for hour in 1..=hours {
        wait_for_deadline(&clock, start() + HOUR * hour).await;
        clock.advance(HOUR);
    }
    let done = within(
        &format!("send_with_retry to give up after {sends} sends"),
        task,
    )
    .await
    .unwrap();
    assert_eq!(clock.now(), start() + hours * HOUR);
    server.verify().await;
    done
}

#[tokio::test]
async fn a_daily_limit_is_retried_hourly_for_a_day_of_virtual_time_then_given_up() {
    let answer = ResponseTemplate::new(406)
        .insert_header("X-NotificationStatus", "Dropped")
        .insert_header("X-SubscriptionStatus", "Active");
    let done = retried_hourly(answer, RetryPolicy::default(), 24).await;
    assert_eq!(done.attempts, 25);
    assert_eq!(done.stop, Stop::Exhausted { attempts: 25 });
    assert_eq!(done.result.unwrap().status, 406);
}

#[tokio::test]
async fn a_custom_limit_of_hourly_retries_ends_the_driver_after_that_many() {
    let answer = ResponseTemplate::new(412)
        .insert_header("X-NotificationStatus", "Dropped")
        .insert_header("X-DeviceConnectionStatus", "Inactive")
        .insert_header("X-SubscriptionStatus", "Active");
    let done = retried_hourly(answer, RetryPolicy::default().max_hourly_retries(2), 2).await;
    assert_eq!(done.attempts, 3);
    assert_eq!(done.stop, Stop::Exhausted { attempts: 3 });
    assert_eq!(done.result.unwrap().status, 412);
}
