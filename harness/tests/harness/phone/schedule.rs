//! `ShellTileSchedule` on a virtual clock: runs by interval, one time, start time, max update
//! count, three failures in a row, start/stop, and what each run does to the tile.

use crate::support::client::client;
use crate::support::images::{png, ImageServer, Reply};
use crate::support::snapshots::snapshot_settings;
use crate::support::wait::within;
use mpns_harness::phone::{
    render_text, FetchError, ScheduleError, ScheduleState, ScheduleStatus, Shell, ShellError,
    ShellTileSchedule, TileImageUpdate, TileKey, TileSchedule, UpdateInterval, UpdateRecurrence,
};
use mpns_harness::protocol::Template;
use mpns_harness::Clock;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);
const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

/// A News app with its primary FlipTile pinned, showing a package image.
fn news_shell() -> Arc<Mutex<Shell>> {
    let mut shell = Shell::new("News", "/MainPage.xaml");
    shell
        .pin(
            TileKey::Primary,
            Template::FlipTile,
            &[("Title", "News"), ("BackgroundImage", "/Assets/start.png")],
        )
        .unwrap();
    Arc::new(Mutex::new(shell))
}

struct Setup {
    clock: Clock,
    server: ImageServer,
    shell: Arc<Mutex<Shell>>,
    /// The due time of each applied update, in order.
    applied: Arc<Mutex<Vec<Duration>>>,
    schedule: TileSchedule,
}

impl Setup {
    /// A schedule of `/script/tile` on a fresh server, edited by `edit`, applying to the
    /// News shell. Not started.
    async fn new(edit: impl FnOnce(&mut ShellTileSchedule)) -> Setup {
        let clock = Clock::virtual_clock();
        let server = ImageServer::start(clock.clone()).await;
        let mut settings = ShellTileSchedule::new(server.url("/script/tile"));
        edit(&mut settings);
        let shell = news_shell();
        let applied = Arc::new(Mutex::new(Vec::new()));
        let (s, a) = (shell.clone(), applied.clone());
        let schedule = TileSchedule::new(settings, clock.clone(), client(), move |u| {
            u.apply_to(&mut s.lock().unwrap())
                .expect("the update applies");
            a.lock().unwrap().push(u.due);
        });
        Setup {
            clock,
            server,
            shell,
            applied,
            schedule,
        }
    }

    /// Advances the clock and waits until every run that became due has happened.
    async fn advance(&self, by: Duration) -> ScheduleStatus {
        self.clock.advance(by);
        self.settled().await
    }

    async fn settled(&self) -> ScheduleStatus {
        tokio::time::timeout(Duration::from_secs(20), self.schedule.settled())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the schedule did not settle within 20 s: {:?}",
                    self.schedule.status()
                )
            })
    }

    fn render(&self) -> String {
        render_text(&self.shell.lock().unwrap())
    }

    fn applied(&self) -> Vec<Duration> {
        self.applied.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn hourly_schedule_fetches_168_times_over_a_virtual_week() {
    let t = Setup::new(|s| s.start_time = Some(HOUR)).await;
    t.schedule.start().unwrap();
    let status = t.advance(WEEK).await;
    assert_eq!(t.server.hits(), 168);
    assert_eq!(status.runs, 168);
    assert_eq!(status.successes, 168);
    assert_eq!(
        status.state,
        ScheduleState::Waiting {
            next_run: WEEK + HOUR
        }
    );
    let expected: Vec<Duration> = (1..=168).map(|h| HOUR * h).collect();
    assert_eq!(t.applied(), expected);
    // Nothing more without time passing.
    assert_eq!(t.advance(HOUR - Duration::from_secs(1)).await.runs, 168);
    assert_eq!(t.server.hits(), 168);
}

#[tokio::test]
async fn first_run_is_at_start_when_no_start_time_is_set() {
    let t = Setup::new(|_| {}).await;
    t.clock.advance(HOUR * 5 / 2);
    t.schedule.start().unwrap();
    let status = t.settled().await;
    assert_eq!(status.runs, 1);
    assert_eq!(t.applied(), vec![HOUR * 5 / 2]);
    assert_eq!(
        status.state,
        ScheduleState::Waiting {
            next_run: HOUR * 7 / 2
        }
    );
}

#[tokio::test]
async fn daily_schedule_runs_once_a_day() {
    let t = Setup::new(|s| s.interval = UpdateInterval::EveryDay).await;
    t.schedule.start().unwrap();
    t.advance(DAY * 6).await;
    assert_eq!(t.server.hits(), 7);
    assert_eq!(t.applied(), (0..7).map(|d| DAY * d).collect::<Vec<_>>());
    t.advance(DAY - Duration::from_secs(1)).await;
    assert_eq!(t.server.hits(), 7);
}

#[tokio::test]
async fn weekly_schedule_runs_once_a_week() {
    let t = Setup::new(|s| s.interval = UpdateInterval::EveryWeek).await;
    t.schedule.start().unwrap();
    t.advance(WEEK * 4).await;
    assert_eq!(t.applied(), (0..5).map(|w| WEEK * w).collect::<Vec<_>>());
}

#[tokio::test]
async fn monthly_schedule_runs_every_30_days() {
    let t = Setup::new(|s| s.interval = UpdateInterval::EveryMonth).await;
    t.schedule.start().unwrap();
    t.advance(DAY * 89).await;
    assert_eq!(t.applied(), vec![Duration::ZERO, DAY * 30, DAY * 60]);
    t.advance(DAY).await;
    assert_eq!(t.applied().last(), Some(&(DAY * 90)));
    assert_eq!(t.server.hits(), 4);
}

#[tokio::test]
async fn one_time_schedule_runs_once_and_ignores_max_update_count() {
    let t = Setup::new(|s| {
        s.recurrence = UpdateRecurrence::OneTime;
        s.max_update_count = 5;
        s.start_time = Some(HOUR * 2);
    })
    .await;
    t.schedule.start().unwrap();
    let status = t.advance(DAY * 40).await;
    assert_eq!(t.applied(), vec![HOUR * 2]);
    assert_eq!(t.server.hits(), 1);
    assert_eq!(status.state, ScheduleState::Finished);
}

#[tokio::test]
async fn max_update_count_stops_the_schedule_after_that_many_runs() {
    let t = Setup::new(|s| s.max_update_count = 5).await;
    t.schedule.start().unwrap();
    let status = t.advance(DAY).await;
    assert_eq!(t.server.hits(), 5);
    assert_eq!(status.runs, 5);
    assert_eq!(status.state, ScheduleState::Finished);
    assert!(!status.is_running());
}

#[tokio::test]
async fn failed_runs_count_toward_max_update_count() {
    let t = Setup::new(|s| s.max_update_count = 3).await;
    t.server.script([Reply::Status(500)]);
    t.schedule.start().unwrap();
    let status = t.advance(DAY).await;
    assert_eq!(t.server.hits(), 3);
    assert_eq!((status.failures, status.successes), (1, 2));
    assert_eq!(status.state, ScheduleState::Finished);
}

#[tokio::test]
async fn negative_or_zero_max_update_count_is_indefinite() {
    for max in [0, -1] {
        let t = Setup::new(|s| s.max_update_count = max).await;
        t.schedule.start().unwrap();
        t.advance(DAY * 2).await;
        assert_eq!(t.server.hits(), 49, "max {max}");
    }
}

#[tokio::test]
async fn start_time_in_the_future_delays_the_first_run() {
    let t = Setup::new(|s| s.start_time = Some(HOUR * 10)).await;
    t.schedule.start().unwrap();
    let status = t.advance(HOUR * 10 - Duration::from_secs(60)).await;
    assert_eq!(t.server.hits(), 0);
    assert_eq!(
        status.state,
        ScheduleState::Waiting {
            next_run: HOUR * 10
        }
    );
    t.advance(Duration::from_secs(60)).await;
    assert_eq!(t.server.hits(), 1);
    assert_eq!(t.applied(), vec![HOUR * 10]);
}

#[tokio::test]
async fn three_failures_in_a_row_stop_the_schedule_until_started_again() {
    let t = Setup::new(|_| {}).await;
    t.server
        .script([Reply::Status(404), Reply::Status(404), Reply::Status(503)]);
    let before = t.render();
    t.schedule.start().unwrap();
    let status = t.advance(HOUR * 10).await;
    assert_eq!(t.server.hits(), 3, "runs at 0, 1 and 2 h, then stopped");
    assert_eq!(status.state, ScheduleState::StoppedAfterFailures);
    assert_eq!(status.failures_in_a_row, 3);
    assert_eq!(
        status.last_error,
        Some(FetchError::Status {
            host: t.server.host(),
            status: 503
        })
    );
    assert_eq!(t.render(), before, "failed runs leave the tile as it was");
    t.advance(WEEK).await;
    assert_eq!(t.server.hits(), 3);

    t.schedule.start().unwrap();
    let status = t.settled().await;
    assert_eq!(t.server.hits(), 4);
    assert_eq!(status.runs, 1, "start() counts runs anew");
    assert_eq!(status.failures_in_a_row, 0);
    assert_eq!((status.total_runs, status.successes), (4, 1));
    assert_eq!(t.applied(), vec![HOUR * 10 + WEEK]);
    assert!(status.is_running());
    t.advance(HOUR).await;
    assert_eq!(t.server.hits(), 5);
}

#[tokio::test]
async fn a_success_between_failures_resets_the_count() {
    let t = Setup::new(|_| {}).await;
    t.server.script([
        Reply::Png(100),
        Reply::Status(404),
        Reply::Status(404),
        Reply::Png(100),
        Reply::Status(500),
        Reply::Status(500),
        Reply::Png(100),
    ]);
    t.schedule.start().unwrap();
    let status = t.advance(HOUR * 6).await;
    assert_eq!(t.server.hits(), 7);
    assert_eq!((status.successes, status.failures), (3, 4));
    assert_eq!(status.failures_in_a_row, 0);
    assert!(status.is_running(), "{status:?}");
}

#[tokio::test]
async fn stop_stops_the_schedule() {
    let t = Setup::new(|_| {}).await;
    t.schedule.start().unwrap();
    t.advance(HOUR * 3).await;
    assert_eq!(t.server.hits(), 4);
    t.schedule.stop();
    let status = t.advance(WEEK).await;
    assert_eq!(t.server.hits(), 4);
    assert_eq!(status.state, ScheduleState::Stopped);
    assert_eq!(t.schedule.status().state, ScheduleState::Stopped);
}

#[tokio::test]
async fn stop_abandons_a_download_in_flight() {
    let t = Setup::new(|_| {}).await;
    t.server.script([Reply::Hold]);
    t.schedule.start().unwrap();
    t.server.wait_for_hits(1).await;
    assert!(matches!(
        t.schedule.status().state,
        ScheduleState::Fetching { due } if due == Duration::ZERO
    ));
    t.schedule.stop();
    let status = t.advance(DAY).await;
    assert_eq!(status.state, ScheduleState::Stopped);
    assert_eq!(status.total_runs, 0);
    assert_eq!(t.server.hits(), 1);
}

#[tokio::test]
async fn dropping_the_schedule_stops_it() {
    let t = Setup::new(|_| {}).await;
    t.schedule.start().unwrap();
    t.advance(HOUR).await;
    assert_eq!(t.server.hits(), 2);
    let Setup {
        clock,
        server,
        schedule,
        ..
    } = t;
    drop(schedule);
    clock.advance(DAY);
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    // A request of our own goes through: had the dropped schedule fetched again (on this
    // single-threaded runtime it would have had its turns by now), it would show first.
    let extra = client().get(server.url("/png/100")).send().await.unwrap();
    assert!(extra.status().is_success());
    assert_eq!(server.paths(), ["/script/tile", "/script/tile", "/png/100"]);
}

#[tokio::test]
async fn start_while_running_begins_anew() {
    let t = Setup::new(|s| s.max_update_count = 3).await;
    t.schedule.start().unwrap();
    t.advance(HOUR * 2 + HOUR / 2).await;
    assert_eq!(t.server.hits(), 3);
    assert_eq!(t.schedule.status().state, ScheduleState::Finished);
    t.schedule.start().unwrap();
    t.advance(DAY).await;
    assert_eq!(t.server.hits(), 6);
    assert_eq!(
        t.applied(),
        vec![
            Duration::ZERO,
            HOUR,
            HOUR * 2,
            HOUR * 5 / 2,
            HOUR * 7 / 2,
            HOUR * 9 / 2
        ]
    );
}

#[tokio::test]
async fn a_run_shows_the_new_image_on_the_tile() {
    let t = Setup::new(|_| {}).await;
    let before = t.render();
    assert!(before.contains("/Assets/start.png"), "{before}");
    t.schedule.start().unwrap();
    t.settled().await;
    let after = t.render();
    let url = t.server.url("/script/tile");
    assert!(after.contains(&url), "{after}");
    assert!(!after.contains("/Assets/start.png"), "{after}");
    let stable = after.replace(&t.server.host(), "127.0.0.1:PORT");
    snapshot_settings().bind(|| insta::assert_snapshot!("phone_schedule_tile_after_run", stable));
}

#[tokio::test]
async fn a_failed_run_leaves_the_tile_as_it_was() {
    let t = Setup::new(|_| {}).await;
    t.server.script([Reply::Png(90 * 1024)]);
    let before = t.render();
    t.schedule.start().unwrap();
    let status = t.settled().await;
    assert_eq!(status.failures, 1);
    assert!(
        matches!(status.last_error, Some(FetchError::TooLarge { .. })),
        "{status:?}"
    );
    assert_eq!(t.render(), before);
    assert!(t.applied().is_empty());
}

#[tokio::test]
async fn a_run_fails_when_the_image_takes_15_virtual_seconds() {
    let t = Setup::new(|_| {}).await;
    t.server.script([Reply::Hold]);
    t.schedule.start().unwrap();
    t.server.wait_for_hits(1).await;
    t.clock.advance(Duration::from_secs(14));
    assert!(matches!(
        t.schedule.status().state,
        ScheduleState::Fetching { .. }
    ));
    let status = t.advance(Duration::from_secs(1)).await;
    assert_eq!(status.failures, 1);
    assert_eq!(
        status.last_error.as_ref().map(FetchError::rule),
        Some("timeout")
    );
    assert_eq!(status.state, ScheduleState::Waiting { next_run: HOUR });
    let status = t.advance(HOUR).await;
    assert_eq!(status.successes, 1);
    assert_eq!(t.applied(), vec![HOUR]);
}

#[tokio::test]
async fn a_schedule_needs_no_channel_binding_and_reaches_any_host() {
    // The shell's tile binding is "local images only"; the schedule still updates the tile.
    let t = Setup::new(|_| {}).await;
    t.schedule.start().unwrap();
    t.settled().await;
    let shell = t.shell.lock().unwrap();
    let tile = shell.tile(&TileKey::Primary).unwrap();
    let text = mpns_harness::phone::render_tile_text(&TileKey::Primary, tile);
    assert!(text.contains(&t.server.url("/script/tile")), "{text}");
}

#[tokio::test]
async fn secondary_tile_schedule_updates_only_that_tile() {
    let clock = Clock::virtual_clock();
    let server = ImageServer::start(clock.clone()).await;
    let shell = news_shell();
    let city = TileKey::Secondary("/City.xaml?name=Oslo".into());
    shell
        .lock()
        .unwrap()
        .pin(city.clone(), Template::FlipTile, &[("Title", "Oslo")])
        .unwrap();
    let mut settings = ShellTileSchedule::new(server.url("/png/500"));
    settings.tile = city.clone();
    let s = shell.clone();
    let schedule = TileSchedule::new(settings, clock.clone(), client(), move |u| {
        assert!(u.apply_to(&mut s.lock().unwrap()).unwrap());
    });
    schedule.start().unwrap();
    within("the schedule to settle", schedule.settled()).await;
    let shell = shell.lock().unwrap();
    let primary = format!("{:?}", shell.tile(&TileKey::Primary).unwrap());
    let oslo = format!("{:?}", shell.tile(&city).unwrap());
    assert!(oslo.contains(&server.url("/png/500")), "{oslo}");
    assert!(!primary.contains(&server.url("/png/500")), "{primary}");
}

#[tokio::test]
async fn the_update_carries_the_downloaded_image() {
    let clock = Clock::virtual_clock();
    let server = ImageServer::start(clock.clone()).await;
    let got = Arc::new(Mutex::new(None));
    let g = got.clone();
    let schedule = TileSchedule::new(
        ShellTileSchedule::new(server.url("/png/1234")),
        clock,
        client(),
        move |u| *g.lock().unwrap() = Some(u),
    );
    schedule.start().unwrap();
    within("the schedule to settle", schedule.settled()).await;
    let u: TileImageUpdate = got.lock().unwrap().clone().expect("one update");
    assert_eq!(u.image.as_ref(), png(1234).as_slice());
    assert_eq!(
        (u.run, u.property, u.tile),
        (1, "BackgroundImage", TileKey::Primary)
    );
}

#[tokio::test]
async fn start_refuses_a_remote_image_uri_that_is_not_absolute_http() {
    let schedule = TileSchedule::new(
        ShellTileSchedule::new("/Images/tile.png"),
        Clock::virtual_clock(),
        client(),
        |_| {},
    );
    let err = schedule.start().unwrap_err();
    assert!(matches!(err, ScheduleError::BadRemoteImageUri { .. }));
    assert!(err.to_string().contains("'/Images/tile.png'"), "{err}");
    assert_eq!(schedule.status().state, ScheduleState::NotStarted);
}

#[test]
fn start_outside_a_runtime_is_an_error_not_a_panic() {
    let schedule = TileSchedule::new(
        ShellTileSchedule::new("http://127.0.0.1:9/t.png"),
        Clock::virtual_clock(),
        client(),
        |_| {},
    );
    assert_eq!(schedule.start(), Err(ScheduleError::NoRuntime));
}

#[test]
fn applying_to_a_template_without_background_image_is_refused_and_changes_nothing() {
    let mut shell = Shell::new("Mail", "/MainPage.xaml");
    shell
        .pin(
            TileKey::Primary,
            Template::IconicTile,
            &[("IconImage", "/Assets/mail.png")],
        )
        .unwrap();
    let before = render_text(&shell);
    let update = TileImageUpdate {
        tile: TileKey::Primary,
        property: "BackgroundImage",
        url: "http://127.0.0.1:9/t.png".into(),
        image: png(100).into(),
        run: 1,
        due: Duration::ZERO,
    };
    assert!(matches!(
        update.apply_to(&mut shell),
        Err(ShellError::UnknownProperty { .. })
    ));
    assert_eq!(render_text(&shell), before);
}

#[test]
fn applying_to_an_unpinned_tile_changes_nothing() {
    let mut shell = Shell::new("Mail", "/MainPage.xaml");
    let update = TileImageUpdate {
        tile: TileKey::Primary,
        property: "BackgroundImage",
        url: "http://127.0.0.1:9/t.png".into(),
        image: png(100).into(),
        run: 1,
        due: Duration::ZERO,
    };
    assert_eq!(update.apply_to(&mut shell), Ok(false));
    assert_eq!(shell.tiles().count(), 0);
}

#[tokio::test]
async fn a_panicking_callback_stops_the_schedule_instead_of_hanging_it() {
    let clock = Clock::virtual_clock();
    let server = ImageServer::start(clock.clone()).await;
    let schedule = TileSchedule::new(
        ShellTileSchedule::new(server.url("/png/100")),
        clock.clone(),
        client(),
        |_| panic!("the test's callback panics on purpose"),
    );
    schedule.start().unwrap();
    let status = within("the schedule to settle", schedule.settled()).await;
    assert_eq!(status.state, ScheduleState::Stopped);
    clock.advance(DAY);
    let status = within("the stopped schedule to settle", schedule.settled()).await;
    assert_eq!(status.total_runs, 1);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn advancing_hour_by_hour_gives_the_same_runs_as_one_jump() {
    let jump = Setup::new(|s| s.interval = UpdateInterval::EveryHour).await;
    jump.schedule.start().unwrap();
    jump.advance(DAY * 2).await;

    let steps = Setup::new(|s| s.interval = UpdateInterval::EveryHour).await;
    steps.schedule.start().unwrap();
    for _ in 0..48 {
        steps.advance(HOUR).await;
    }
    assert_eq!(steps.applied(), jump.applied());
    assert_eq!(steps.applied().len(), 49);
    assert_eq!(steps.schedule.status(), jump.schedule.status());
}
