//! The whole app-state × notification-type × power table (docs/mpns-protocol.md §6.3, §6.4), end to end:
//! each notification is sent over real HTTP to a channel URI on the fake MPNS, and both the
//! fake's answer and what the phone then shows are checked.

use crate::support::client::client;
use crate::support::phone::*;
use crate::support::requests::answer;
use crate::support::xml::{flip_xml, tile_xml};
use mpns_harness::phone::{AppState, PhoneEvent, PowerLevel, TileKey};
use mpns_harness::protocol::Template;
use mpns_harness::{App, Phone, World};

/// Three apps on one phone: "idle" (not running), "back" (background), "front" (foreground),
/// each with a channel bound to toast and tile and a pinned primary FlipTile.
async fn three_apps(power: PowerLevel) -> (World, Phone, [App; 3]) {
    let world = World::start().await;
    let phone = world.add_phone("lumia", "8.0").unwrap();
    let mut apps = Vec::new();
    for name in ["idle", "back", "front"] {
        let app = phone.install(name).unwrap();
        app.pin_primary(Template::FlipTile, &[("Title", name)])
            .unwrap();
        app.launch();
        app.open_channel("push").unwrap();
        app.bind_toast().unwrap();
        app.bind_tile().unwrap();
        apps.push(app);
    }
    apps[0].close();
    phone.set_power(power);
    let apps: [App; 3] = apps.try_into().unwrap();
    assert_eq!(
        apps.each_ref().map(App::state),
        [
            AppState::NotRunning,
            AppState::Background,
            AppState::Foreground
        ]
    );
    (world, phone, apps)
}

/// Sends one notification of `kind` to `app` and says what the user or app saw:
/// `tray`, `event`, `tile`, `raw`, or `nothing`.
async fn try_one(
    world: &World,
    phone: &Phone,
    app: &App,
    kind: &str,
    n: usize,
) -> (String, String) {
    let uri = uri(app);
    let mut events = phone.events();
    let toasts = app.toasts().len();
    let raws = app.raw_inbox().len();
    let count = (n % 90 + 1).to_string();
    let answer = match kind {
        "toast" => send_toast(&uri, "Hello", &format!("n{n}"), None).await,
        "tile" => send_tile(&uri, &flip_xml(&[("Count", Some(&count))])).await,
        "unpinned tile" => {
            let body = tile_xml(
                Some("FlipTile"),
                Some("/Nope.xaml"),
                &[("Count", Some("1"))],
            );
            send_tile(&uri, &body).await
        }
        "raw" => send_raw(&uri, &format!("<raw n=\"{n}\"/>")).await,
        _ => unreachable!(),
    };
    world.settle().await;
    let mut seen = Vec::new();
    if app.toasts().len() > toasts {
        seen.push("tray");
    }
    if app.raw_inbox().len() > raws {
        seen.push("raw");
    }
    for e in events.drain() {
        match e {
            PhoneEvent::ShellToastNotificationReceived { ref toast, .. } => {
                assert_eq!(toast.text2, format!("n{n}"));
                seen.push("event");
            }
            PhoneEvent::HttpNotificationReceived { ref body, .. } => {
                assert_eq!(body.as_ref(), format!("<raw n=\"{n}\"/>").as_bytes());
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    if kind == "tile" {
        let badge = app.tile(&TileKey::Primary).unwrap().badge();
        if badge.map(|b| b.to_string()) == Some(count) {
            seen.push("tile");
        }
    }
    let seen = if seen.is_empty() {
        "nothing".to_owned()
    } else {
        seen.join("+")
    };
    let short = answer.trim_end_matches(" Connected Active").to_owned();
    (short, seen)
}

/// Row: kind, then MPNS's answer and what was seen for [not running, background, foreground].
type Row = (&'static str, [&'static str; 3], [&'static str; 3]);

async fn check(power: PowerLevel, rows: &[Row]) {
    let (world, phone, apps) = three_apps(power).await;
    let mut n = 0;
    let mut got = Vec::new();
    let mut want = Vec::new();
    for (kind, answers, seen) in rows {
        for ((app, answer), expected) in apps.iter().zip(answers).zip(seen) {
            n += 1;
            let (a, s) = try_one(&world, &phone, app, kind, n).await;
            got.push(format!("{power:?} {kind} to {:?}: {a} -> {s}", app.state()));
            want.push(format!(
                "{power:?} {kind} to {:?}: {answer} -> {expected}",
                app.state()
            ));
        }
    }
    assert_eq!(got, want);
}

#[tokio::test]
async fn at_normal_power_toasts_pop_up_unless_in_foreground_tiles_update_and_raw_needs_the_foreground(
) {
    check(
        PowerLevel::Normal,
        &[
            ("toast", ["200 Received"; 3], ["tray", "tray", "event"]),
            ("tile", ["200 Received"; 3], ["tile", "tile", "tile"]),
            ("unpinned tile", ["200 Suppressed"; 3], ["nothing"; 3]),
            // MPNS knows the app is not running and says so (see the fake's answer module).
            (
                "raw",
                ["200 Suppressed", "200 Received", "200 Received"],
                ["nothing", "nothing", "raw"],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn at_low_power_only_raw_gets_through() {
    check(
        PowerLevel::Low,
        &[
            ("toast", ["200 Suppressed"; 3], ["nothing"; 3]),
            ("tile", ["200 Suppressed"; 3], ["nothing"; 3]),
            ("unpinned tile", ["200 Suppressed"; 3], ["nothing"; 3]),
            (
                "raw",
                ["200 Suppressed", "200 Received", "200 Received"],
                ["nothing", "nothing", "raw"],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn at_critically_low_power_nothing_gets_through() {
    check(
        PowerLevel::CriticalLow,
        &[
            ("toast", ["200 Suppressed"; 3], ["nothing"; 3]),
            ("tile", ["200 Suppressed"; 3], ["nothing"; 3]),
            ("unpinned tile", ["200 Suppressed"; 3], ["nothing"; 3]),
            ("raw", ["200 Suppressed"; 3], ["nothing"; 3]),
        ],
    )
    .await;
}

#[tokio::test]
async fn raw_for_a_background_app_reaches_the_phone_but_is_discarded_there() {
    let (world, _phone, apps) = three_apps(PowerLevel::Normal).await;
    let [idle, back, _] = &apps;
    send_raw(&uri(back), "<x/>").await;
    send_raw(&uri(idle), "<x/>").await;
    world.settle().await;
    let outcome = back.deliveries().pop().unwrap().outcome.to_string();
    assert_eq!(outcome, "discarded (AppInBackground)");
    assert!(
        idle.deliveries().is_empty(),
        "MPNS discards raw for an app that is not running before it reaches the phone"
    );
    let records = world
        .fake()
        .notifications(Some(idle.channel().unwrap().id))
        .unwrap();
    assert_eq!(
        records.last().unwrap().response.notification,
        Some(mpns_harness::fake::NotificationStatus::Suppressed),
        "and tells the sender so"
    );
}

#[tokio::test]
async fn a_raw_notification_carries_its_body_and_request_headers() {
    let (world, phone, apps) = three_apps(PowerLevel::Normal).await;
    let front = &apps[2];
    let r = client()
        .post(uri(front))
        .header("Content-Type", "text/xml")
        .header("X-NotificationClass", "3")
        .header("X-MessageID", "11111111-2222-3333-4444-555555555555")
        .body("<stock sym=\"MSFT\">31.2</stock>")
        .send()
        .await
        .unwrap();
    assert_eq!(answer(r).await, "200 Received Connected Active");
    world.settle().await;
    let e = phone
        .wait_for(|e| matches!(e, PhoneEvent::HttpNotificationReceived { .. }))
        .await;
    let PhoneEvent::HttpNotificationReceived {
        app, body, headers, ..
    } = e
    else {
        unreachable!()
    };
    assert_eq!(app, "front");
    assert_eq!(body.as_ref(), b"<stock sym=\"MSFT\">31.2</stock>");
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        header("x-messageid"),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(header("content-type"), Some("text/xml"));
    assert_eq!(front.raw_inbox().len(), 1);
}

#[tokio::test]
async fn a_toast_for_an_unbound_app_is_suppressed_by_mpns_and_never_shown() {
    let (world, _phone, apps) = three_apps(PowerLevel::Normal).await;
    let back = &apps[1];
    back.unbind_toast().unwrap();
    assert_eq!(
        send_toast(&uri(back), "a", "b", None).await,
        "200 Suppressed Connected Active"
    );
    world.settle().await;
    assert!(back.toasts().is_empty());
}
