//! Tile schedules of apps on a phone in a World: `App::start_tile_schedule`, runs driven by
//! `World::advance`, what they do to pinned, unpinned and secondary tiles, failures, stop and
//! restart, and that no push channel is involved.

use crate::support::images::{ImageServer, Reply};
use crate::support::snapshots::snapshot_settings;
use mpns_harness::phone::{
    ScheduleError, ScheduleState, ShellTileSchedule, TileKey, UpdateInterval, UpdateRecurrence,
};
use mpns_harness::protocol::Template;
use mpns_harness::{App, Phone, PhoneError, World};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

struct Setup {
    world: World,
    server: ImageServer,
    phone: Phone,
    app: App,
}

/// A World with one 8.0 phone and a News app (not running, no channel, nothing pinned), and an
/// image server on the World's clock.
async fn setup() -> Setup {
    let world = World::start().await;
    let server = ImageServer::start(world.clock().clone()).await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let app = phone.install("News").unwrap();
    Setup {
        world,
        server,
        phone,
        app,
    }
}

impl Setup {
    fn pin_primary(&self) {
        self.app
            .pin_primary(
                Template::FlipTile,
                &[("Title", "News"), ("BackgroundImage", "/Assets/start.png")],
            )
            .unwrap();
    }

    /// An hourly schedule of `path` for the primary tile, first due one hour from now.
    fn hourly(&self, path: &str) -> ShellTileSchedule {
        let mut s = ShellTileSchedule::new(self.server.url(path));
        s.start_time = Some(self.world.now() + HOUR);
        s
    }

    fn background(&self, tile: &TileKey) -> Option<String> {
        self.app
            .tile(tile)
            .and_then(|t| t.get("BackgroundImage").map(str::to_owned))
    }

    fn state(&self, tile: &TileKey) -> ScheduleState {
        self.app.tile_schedule(tile).expect("a schedule").state
    }
}

#[tokio::test]
async fn an_hourly_schedule_shows_the_image_one_hour_later_after_one_download() {
    let t = setup().await;
    t.pin_primary();
    let settings = t.hourly("/png/1000");
    let url = settings.remote_image_uri.clone();
    t.app.start_tile_schedule(settings).unwrap();
    t.world.settle().await;
    assert_eq!(t.server.hits(), 0);
    assert_eq!(
        t.background(&TileKey::Primary).as_deref(),
        Some("/Assets/start.png")
    );

    t.world.advance(HOUR).await;
    assert_eq!(t.background(&TileKey::Primary), Some(url));
    assert_eq!(t.server.hits(), 1);
    let status = t.app.tile_schedule(&TileKey::Primary).unwrap();
    assert_eq!(status.state, ScheduleState::Waiting { next_run: 2 * HOUR });
    assert_eq!((status.runs, status.successes, status.failures), (1, 1, 0));
}

#[tokio::test]
async fn an_hourly_schedule_downloads_168_times_over_a_virtual_week() {
    let t = setup().await;
    t.pin_primary();
    t.app.start_tile_schedule(t.hourly("/png/1000")).unwrap();
    // Six days in one-day steps, the last day in one jump of a day: the same count either way.
    for _ in 0..7 {
        t.world.advance(DAY).await;
    }
    assert_eq!(t.server.hits(), 168);
    let status = t.app.tile_schedule(&TileKey::Primary).unwrap();
    assert_eq!((status.runs, status.successes), (168, 168));
    assert_eq!(
        status.state,
        ScheduleState::Waiting {
            next_run: 7 * DAY + HOUR
        }
    );
}

#[tokio::test]
async fn three_failed_runs_in_a_row_stop_the_schedule_and_starting_again_resumes_it() {
    let t = setup().await;
    t.pin_primary();
    t.server
        .script([Reply::Status(500), Reply::Status(503), Reply::Status(404)]);
    let settings = t.hourly("/script/tile");
    let url = settings.remote_image_uri.clone();
    t.app.start_tile_schedule(settings.clone()).unwrap();

    t.world.advance(3 * HOUR).await;
    assert_eq!(t.server.hits(), 3);
    let status = t.app.tile_schedule(&TileKey::Primary).unwrap();
    assert_eq!(status.state, ScheduleState::StoppedAfterFailures);
    assert_eq!((status.failures, status.failures_in_a_row), (3, 3));
    assert_eq!(
        t.background(&TileKey::Primary).as_deref(),
        Some("/Assets/start.png")
    );
    let text = t.phone.render_text();
    assert!(text.contains("stopped after 3 failures in a row"), "{text}");

    t.world.advance(5 * HOUR).await;
    assert_eq!(t.server.hits(), 3, "a stopped schedule does not run");

    // The same settings: Start() again on the same schedule. Its start time is past, so the
    // first run is now.
    t.app.start_tile_schedule(settings).unwrap();
    t.world.settle().await;
    assert_eq!(t.server.hits(), 4);
    assert_eq!(t.background(&TileKey::Primary), Some(url));
    let status = t.app.tile_schedule(&TileKey::Primary).unwrap();
    assert_eq!(
        (status.runs, status.total_runs, status.failures_in_a_row),
        (1, 4, 0)
    );
    assert!(status.is_running(), "{status:?}");
}

#[tokio::test]
async fn stop_tile_schedule_stops_the_runs_and_says_whether_it_was_running() {
    let t = setup().await;
    t.pin_primary();
    assert!(!t.app.stop_tile_schedule(&TileKey::Primary), "no schedule");
    t.app.start_tile_schedule(t.hourly("/png/1000")).unwrap();
    t.world.advance(2 * HOUR).await;
    assert_eq!(t.server.hits(), 2);

    assert!(t.app.stop_tile_schedule(&TileKey::Primary));
    assert!(
        !t.app.stop_tile_schedule(&TileKey::Primary),
        "already stopped"
    );
    t.world.advance(5 * HOUR).await;
    assert_eq!(t.server.hits(), 2);
    assert_eq!(t.state(&TileKey::Primary), ScheduleState::Stopped);
}

#[tokio::test]
async fn a_secondary_tile_has_its_own_schedule_which_ends_when_the_tile_is_unpinned() {
    let t = setup().await;
    t.pin_primary();
    let item = TileKey::Secondary("/Item.xaml?id=7".to_owned());
    t.app
        .pin_secondary(
            "/Item.xaml?id=7",
            Template::FlipTile,
            &[("Title", "Item 7")],
        )
        .unwrap();
    let primary = t.hourly("/png/1000");
    let mut secondary = t.hourly("/png/2000");
    secondary.tile = item.clone();
    secondary.interval = UpdateInterval::EveryDay;
    t.app.start_tile_schedule(primary.clone()).unwrap();
    t.app.start_tile_schedule(secondary.clone()).unwrap();

    t.world.advance(HOUR).await;
    assert_eq!(
        t.background(&TileKey::Primary),
        Some(primary.remote_image_uri)
    );
    assert_eq!(t.background(&item), Some(secondary.remote_image_uri));
    let mut paths = t.server.paths();
    paths.sort();
    assert_eq!(paths, ["/png/1000", "/png/2000"]);

    assert!(t.app.unpin(&item));
    assert_eq!(t.app.tile_schedule(&item), None);
    t.world.advance(DAY).await;
    // The primary schedule goes on hourly; the secondary one is gone with its tile.
    assert_eq!(t.server.hits(), 2 + 24);
    assert!(!t.server.paths()[2..].contains(&"/png/2000".to_owned()));
}

#[tokio::test]
async fn a_schedule_for_a_secondary_tile_that_is_not_pinned_is_refused() {
    let t = setup().await;
    let mut settings = t.hourly("/png/1000");
    settings.tile = TileKey::Secondary("/Item.xaml?id=1".to_owned());
    let err = t.app.start_tile_schedule(settings).unwrap_err();
    assert!(matches!(err, PhoneError::TileNotPinned { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("'/Item.xaml?id=1'"), "{message}");
    assert!(message.contains("not pinned"), "{message}");
    assert_eq!(
        t.app
            .tile_schedule(&TileKey::Secondary("/Item.xaml?id=1".to_owned())),
        None
    );
}

#[tokio::test]
async fn a_schedule_on_the_unpinned_primary_tile_downloads_and_shows_nothing_until_pinned() {
    let t = setup().await;
    let settings = t.hourly("/png/1000");
    let url = settings.remote_image_uri.clone();
    t.app.start_tile_schedule(settings).unwrap();
    t.world.advance(HOUR).await;
    assert_eq!(t.server.hits(), 1);
    assert!(t.app.tile(&TileKey::Primary).is_none());
    let text = t.phone.render_text();
    assert!(text.contains("images shown 0, not shown 1"), "{text}");
    assert!(
        text.contains("last image not shown: the primary tile is not pinned"),
        "{text}"
    );

    t.pin_primary();
    t.world.advance(HOUR).await;
    assert_eq!(t.server.hits(), 2);
    assert_eq!(t.background(&TileKey::Primary), Some(url));

    // Unpinning the primary tile does not stop its schedule.
    assert!(t.app.unpin(&TileKey::Primary));
    t.world.advance(HOUR).await;
    assert_eq!(t.server.hits(), 3);
    assert!(t.app.tile_schedule(&TileKey::Primary).unwrap().is_running());
}

#[tokio::test]
async fn a_one_time_schedule_runs_once_at_its_future_start_time() {
    let t = setup().await;
    t.pin_primary();
    let mut settings = t.hourly("/png/1000");
    settings.recurrence = UpdateRecurrence::OneTime;
    settings.start_time = Some(3 * HOUR);
    settings.max_update_count = 5; // ignored for OneTime
    let url = settings.remote_image_uri.clone();
    t.app.start_tile_schedule(settings).unwrap();

    t.world.advance(2 * HOUR).await;
    assert_eq!(t.server.hits(), 0);
    assert_eq!(
        t.state(&TileKey::Primary),
        ScheduleState::Waiting { next_run: 3 * HOUR }
    );
    t.world.advance(HOUR).await;
    assert_eq!(t.server.hits(), 1);
    assert_eq!(t.background(&TileKey::Primary), Some(url));
    assert_eq!(t.state(&TileKey::Primary), ScheduleState::Finished);
    t.world.advance(7 * DAY).await;
    assert_eq!(t.server.hits(), 1);
}

#[tokio::test]
async fn a_schedule_needs_no_channel_does_not_count_toward_the_quota_and_survives_closing_the_app()
{
    let t = setup().await;
    t.pin_primary();
    t.app.launch();
    let settings = t.hourly("/png/1000");
    let url = settings.remote_image_uri.clone();
    t.app.start_tile_schedule(settings).unwrap();
    t.app.close();

    t.world.advance(HOUR).await;
    assert_eq!(t.background(&TileKey::Primary), Some(url));
    assert!(t.app.channel().is_none());
    assert_eq!(t.phone.channels_held(), (0, 30));
    assert!(t.world.fake().channels().is_empty());
    assert!(
        t.phone.all_events().is_empty(),
        "{:?}",
        t.phone.all_events()
    );
}

#[tokio::test]
async fn starting_a_schedule_with_other_settings_replaces_the_one_of_that_tile() {
    let t = setup().await;
    t.pin_primary();
    t.app.start_tile_schedule(t.hourly("/png/1000")).unwrap();
    t.world.advance(2 * HOUR).await;
    let mut daily = t.hourly("/jpeg/3000");
    daily.interval = UpdateInterval::EveryDay;
    let url = daily.remote_image_uri.clone();
    t.app.start_tile_schedule(daily).unwrap();

    t.world.advance(DAY).await;
    assert_eq!(t.server.paths(), ["/png/1000", "/png/1000", "/jpeg/3000"]);
    assert_eq!(t.background(&TileKey::Primary), Some(url));
    let status = t.app.tile_schedule(&TileKey::Primary).unwrap();
    assert_eq!((status.runs, status.total_runs), (1, 1), "a new history");
}

#[tokio::test]
async fn a_remote_image_uri_that_is_not_absolute_http_is_refused_and_changes_nothing() {
    let t = setup().await;
    t.pin_primary();
    t.app.start_tile_schedule(t.hourly("/png/1000")).unwrap();
    let err = t
        .app
        .start_tile_schedule(ShellTileSchedule::new("/Images/tile.png"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            PhoneError::Schedule(ScheduleError::BadRemoteImageUri { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("'/Images/tile.png'"), "{err}");
    t.world.advance(HOUR).await;
    assert_eq!(
        t.server.paths(),
        ["/png/1000"],
        "the old schedule still runs"
    );
}

#[tokio::test]
async fn a_template_without_background_image_refuses_each_image_and_the_schedule_goes_on() {
    let t = setup().await;
    t.app
        .pin_primary(Template::IconicTile, &[("Title", "News")])
        .unwrap();
    t.app.start_tile_schedule(t.hourly("/png/1000")).unwrap();
    t.world.advance(2 * HOUR).await;
    assert_eq!(t.server.hits(), 2);
    assert!(t.app.tile_schedule(&TileKey::Primary).unwrap().is_running());
    assert_eq!(t.background(&TileKey::Primary), None);
    let text = t.phone.render_text();
    assert!(text.contains("images shown 0, not shown 2"), "{text}");
    assert!(text.contains("BackgroundImage"), "{text}");
}

#[tokio::test]
async fn advance_waits_for_the_schedules_of_every_phone() {
    let world = World::start().await;
    let server = ImageServer::start(world.clock().clone()).await;
    let mut apps = Vec::new();
    for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
        let phone = world.add_phone(name, "8.0").unwrap();
        let app = phone.install("News").unwrap();
        app.pin_primary(Template::FlipTile, &[]).unwrap();
        let mut s = ShellTileSchedule::new(server.url(&format!("/png/{}", 1000 + i)));
        s.start_time = Some(HOUR);
        app.start_tile_schedule(s).unwrap();
        apps.push(app);
    }
    world.advance(HOUR).await;
    for (i, app) in apps.iter().enumerate() {
        let tile = app.tile(&TileKey::Primary).unwrap();
        let want = server.url(&format!("/png/{}", 1000 + i));
        assert_eq!(tile.get("BackgroundImage"), Some(want.as_str()));
    }
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn a_phone_with_tile_schedules_renders_them_as_text() {
    let t = setup().await;
    t.pin_primary();
    t.app
        .pin_secondary(
            "/Item.xaml?id=7",
            Template::FlipTile,
            &[("Title", "Item 7")],
        )
        .unwrap();
    t.server.script([Reply::Status(500)]);
    t.app.start_tile_schedule(t.hourly("/script/tile")).unwrap();
    let mut weekly = t.hourly("/png/2000");
    weekly.tile = TileKey::Secondary("/Item.xaml?id=7".to_owned());
    weekly.interval = UpdateInterval::EveryWeek;
    weekly.max_update_count = 4;
    t.app.start_tile_schedule(weekly).unwrap();
    let other = t.phone.install("Weather").unwrap();
    let mut once = ShellTileSchedule::new(t.server.url("/png/3000"));
    once.recurrence = UpdateRecurrence::OneTime;
    once.start_time = Some(DAY);
    other.start_tile_schedule(once).unwrap();

    t.world.advance(3 * HOUR).await;
    let text = t.phone.render_text();
    let stable = text.replace(&t.server.host(), "127.0.0.1:PORT");
    snapshot_settings().bind(|| insta::assert_snapshot!("phone_schedule_app_render", stable));
    let svg = t.phone.render_svg();
    assert!(
        svg.contains("News · NotRunning · no channel · raw 0 · 2 tile schedule(s)"),
        "{svg}"
    );
}
