//! The emulated Windows device: each kind of notification by app state, the silent drops WNS
//! cannot see, priority against power, the notification center's tag and group, and renders.

use std::time::{Duration, SystemTime};

use mpns_harness::windows::{
    AppState, Delivery, DeviceOutcome, DropReason, EventLog, PowerState, WindowsDevice,
    WindowsVersion, WnsKind,
};

use crate::support::snapshots::snapshot_settings;

const APP: &str = "contoso.chat";

/// Whether a drop reason is the one a case expects.
type IsReason = fn(&DropReason) -> bool;

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn toast(title: &str, body: &str) -> Vec<u8> {
    format!(r#"<toast launch="open"><visual><binding template="ToastGeneric"><text>{title}</text><text>{body}</text></binding></visual><actions><action content="Reply" arguments="r"/></actions></toast>"#).into_bytes()
}

fn pc(version: WindowsVersion) -> WindowsDevice {
    let mut pc = WindowsDevice::new("ann-pc", version);
    pc.install(APP);
    pc
}

#[test]
fn a_toast_gets_a_banner_unless_the_app_is_on_screen_and_stays_in_the_center_either_way() {
    let mut pc = pc(WindowsVersion::Windows11);
    assert_eq!(
        pc.deliver(
            APP,
            Delivery::new(WnsKind::Toast, toast("Ann", "Lunch?")),
            t(0)
        ),
        DeviceOutcome::Toast { replaced: false }
    );
    assert_eq!(
        pc.banner().map(|(_, v)| v.texts.clone()),
        Some(vec!["Ann".to_owned(), "Lunch?".to_owned()])
    );
    pc.set_app_state(APP, AppState::Foreground);
    pc.deliver(
        APP,
        Delivery::new(WnsKind::Toast, toast("Bob", "Here")),
        t(1),
    );
    assert_eq!(pc.banner(), None, "the app on screen handles it itself");
    assert_eq!(pc.notification_center().len(), 2);
}

#[test]
fn a_toast_with_the_same_tag_and_group_replaces_the_older_one_and_removal_goes_by_tag_or_group() {
    let mut pc = pc(WindowsVersion::Windows10);
    let tagged = |tag: &str, group: &str, title: &str| Delivery {
        tag: Some(tag.into()),
        group: Some(group.into()),
        ..Delivery::new(WnsKind::Toast, toast(title, "x"))
    };
    pc.deliver(APP, tagged("a", "chats", "first"), t(0));
    pc.deliver(APP, tagged("b", "chats", "second"), t(1));
    assert_eq!(
        pc.deliver(APP, tagged("a", "chats", "third"), t(2)),
        DeviceOutcome::Toast { replaced: true }
    );
    assert_eq!(
        pc.deliver(APP, tagged("a", "mail", "fourth"), t(3)),
        DeviceOutcome::Toast { replaced: false }
    );
    let titles: Vec<String> = pc
        .notification_center()
        .iter()
        .map(|(_, v)| v.texts[0].clone())
        .collect();
    assert_eq!(titles, ["third", "second", "fourth"]);
    assert_eq!(pc.remove_toasts(APP, None, Some("chats")), 2);
    assert_eq!(pc.remove_toasts(APP, Some("a"), None), 1);
    assert!(pc.notification_center().is_empty());
}

#[test]
fn the_center_keeps_twenty_toasts_per_app_dropping_the_oldest() {
    let mut pc = pc(WindowsVersion::Windows11);
    for i in 0..25 {
        pc.deliver(
            APP,
            Delivery::new(WnsKind::Toast, toast(&format!("n{i}"), "x")),
            t(i),
        );
    }
    let titles: Vec<String> = pc
        .notification_center()
        .iter()
        .map(|(_, v)| v.texts[0].clone())
        .collect();
    assert_eq!(titles.len(), 20);
    assert_eq!(titles[0], "n5");
    assert_eq!(titles[19], "n24");
}

#[test]
fn tiles_update_on_windows_10_and_are_dropped_on_windows_11() {
    let tile = br#"<tile><visual><binding template="TileMedium"><text>21&#176;</text></binding><binding template="TileWide"><text>Monday</text><image src="ms-appx:///sun.png" placement="peek"/></binding></visual></tile>"#;
    let mut ten = pc(WindowsVersion::Windows10);
    assert_eq!(
        ten.deliver(APP, Delivery::new(WnsKind::Tile, &tile[..]), t(0)),
        DeviceOutcome::TileUpdated
    );
    let views = ten.tile(APP, None).unwrap();
    assert_eq!(views[0].texts, ["21°"]);
    assert_eq!(views[1].images, ["ms-appx:///sun.png"]);
    let mut eleven = pc(WindowsVersion::Windows11);
    assert_eq!(
        eleven.deliver(APP, Delivery::new(WnsKind::Tile, &tile[..]), t(0)),
        DeviceOutcome::Dropped(DropReason::NoLiveTiles)
    );
    let last = eleven.events().last().unwrap();
    assert_eq!((last.log, last.app.as_str()), (EventLog::Shell, APP));
}

#[test]
fn badges_show_numbers_up_to_99_then_99_plus_glyphs_and_clear_on_zero_or_none() {
    let mut pc = pc(WindowsVersion::Windows11);
    let badge = |v: &str| Delivery::new(WnsKind::Badge, format!(r#"<badge value="{v}"/>"#));
    let mut seen = Vec::new();
    for v in ["7", "150", "newMessage", "0", "alert", "none"] {
        assert_eq!(
            pc.deliver(APP, badge(v), t(0)),
            DeviceOutcome::BadgeUpdated,
            "{v}"
        );
        seen.push(pc.badge(APP).map(str::to_owned));
    }
    assert_eq!(
        seen,
        [
            Some("7".into()),
            Some("99+".into()),
            Some("newMessage".into()),
            None,
            Some("alert".into()),
            None
        ]
    );
    assert!(matches!(
        pc.deliver(APP, badge("-1"), t(0)),
        DeviceOutcome::Dropped(DropReason::BadXml(_))
    ));
    assert!(matches!(
        pc.deliver(APP, badge("sparkles"), t(0)),
        DeviceOutcome::Dropped(DropReason::BadXml(_))
    ));
}

#[test]
fn raw_goes_to_the_app_on_screen_else_its_background_task_else_nowhere() {
    let mut pc = pc(WindowsVersion::Windows11);
    let raw = |b: &[u8]| Delivery::new(WnsKind::Raw, b);
    assert_eq!(
        pc.deliver(APP, raw(b"one"), t(0)),
        DeviceOutcome::Dropped(DropReason::AppNotRunning)
    );
    pc.set_background_task(APP, true);
    assert_eq!(
        pc.deliver(APP, raw(b"two"), t(1)),
        DeviceOutcome::RawToBackgroundTask
    );
    pc.set_app_state(APP, AppState::Foreground);
    assert_eq!(
        pc.deliver(APP, raw(b"three"), t(2)),
        DeviceOutcome::RawToApp
    );
    assert_eq!(
        pc.deliver(APP, raw(b""), t(3)),
        DeviceOutcome::Dropped(DropReason::EmptyRaw)
    );
    let (app, task) = pc.raw_received(APP);
    assert_eq!((app, task), (vec![&b"three"[..]], vec![&b"two"[..]]));
}

#[test]
fn what_wns_accepts_and_the_device_drops_silently_is_logged_with_its_reason() {
    let mut pc = pc(WindowsVersion::Windows10);
    let cases: Vec<(Delivery, IsReason)> = vec![
        (Delivery::new(WnsKind::Toast, &br#"<badge value="1"/>"#[..]), |r| matches!(r, DropReason::TypeMismatch { wns_type: "wns/toast", root } if root == "badge")),
        (Delivery::new(WnsKind::Toast, &br#"<Toast><visual><binding template="ToastGeneric"><text>a</text></binding></visual></Toast>"#[..]), |r| matches!(r, DropReason::CaseError(_))),
        (Delivery::new(WnsKind::Toast, &br#"<toast><visual><binding template="ToastGeneric"><text>a</text><image src="C:\pics\a.png"/></binding></visual></toast>"#[..]), |r| matches!(r, DropReason::BadImage(s) if s == r"C:\pics\a.png")),
        (Delivery::new(WnsKind::Toast, &b"<toast><visual>"[..]), |r| matches!(r, DropReason::BadXml(_))),
        (Delivery { expires_at: Some(t(10)), ..Delivery::new(WnsKind::Toast, toast("late", "x")) }, |r| *r == DropReason::Expired),
        (Delivery { secondary_tile: Some("weather".into()), ..Delivery::new(WnsKind::Toast, toast("a", "b")) }, |r| *r == DropReason::NotForSecondaryTile),
        (Delivery { secondary_tile: Some("weather".into()), ..Delivery::new(WnsKind::Badge, &br#"<badge value="1"/>"#[..]) }, |r| *r == DropReason::TileNotPinned),
    ];
    let n = cases.len();
    for (i, (d, expected)) in cases.into_iter().enumerate() {
        match pc.deliver(APP, d, t(10)) {
            DeviceOutcome::Dropped(r) => assert!(expected(&r), "case {i}: {r:?}"),
            other => panic!("case {i}: {other:?}"),
        }
    }
    assert!(pc.notification_center().is_empty());
    assert_eq!(pc.events().len(), n);
    assert!(pc
        .events()
        .iter()
        .all(|e| e.message.starts_with("dropped:")));
    assert_eq!(
        pc.deliver("nobody.app", Delivery::new(WnsKind::Raw, &b"x"[..]), t(0)),
        DeviceOutcome::Dropped(DropReason::UnknownApp)
    );
    pc.pin_secondary_tile(APP, "weather");
    let b = Delivery {
        secondary_tile: Some("weather".into()),
        ..Delivery::new(WnsKind::Badge, &br#"<badge value="1"/>"#[..])
    };
    assert_eq!(pc.deliver(APP, b, t(0)), DeviceOutcome::BadgeUpdated);
}

#[test]
fn priority_against_power_decides_what_waits_and_what_waited_goes_out_in_order() {
    let mut pc = pc(WindowsVersion::Windows11);
    pc.install("other.app");
    pc.set_background_task(APP, true);
    pc.set_power(PowerState::BatteryScreenOff, t(0));
    let with = |p: u8, title: &str| Delivery {
        priority: Some(p),
        ..Delivery::new(WnsKind::Toast, toast(title, "x"))
    };
    assert_eq!(
        pc.deliver(APP, with(1, "high"), t(1)),
        DeviceOutcome::Toast { replaced: false }
    );
    assert_eq!(
        pc.deliver(APP, with(2, "medium"), t(2)),
        DeviceOutcome::Held
    );
    assert_eq!(
        pc.deliver(APP, Delivery::new(WnsKind::Raw, &b"sync"[..]), t(3)),
        DeviceOutcome::Held,
        "raw is priority 3 by default"
    );
    assert_eq!(
        pc.deliver(APP, with(4, "very low"), t(4)),
        DeviceOutcome::Held
    );
    let late = Delivery {
        expires_at: Some(t(100)),
        ..with(2, "expires")
    };
    assert_eq!(pc.deliver(APP, late, t(5)), DeviceOutcome::Held);
    // Exempt: medium and low go out, very low still waits.
    let released = pc.set_exempt(APP, true, t(6));
    assert_eq!(
        released.iter().map(|(_, o)| o.clone()).collect::<Vec<_>>(),
        [
            DeviceOutcome::Toast { replaced: false },
            DeviceOutcome::RawToBackgroundTask,
            DeviceOutcome::Toast { replaced: false },
        ]
    );
    assert_eq!(pc.held(), 1);
    // Battery saver holds a non-exempt app's high priority too.
    pc.set_power(PowerState::BatterySaver, t(7));
    assert_eq!(
        pc.deliver("other.app", with(1, "saver"), t(8)),
        DeviceOutcome::Held
    );
    // Plugged in, everything goes; what expired meanwhile is dropped.
    let late2 = Delivery {
        expires_at: Some(t(50)),
        ..with(3, "too late")
    };
    assert_eq!(pc.deliver("other.app", late2, t(9)), DeviceOutcome::Held);
    let released = pc.set_power(PowerState::PluggedIn, t(60));
    assert_eq!(
        released
            .iter()
            .map(|(a, o)| (a.as_str(), o.clone()))
            .collect::<Vec<_>>(),
        [
            (APP, DeviceOutcome::Toast { replaced: false }),
            ("other.app", DeviceOutcome::Toast { replaced: false }),
            ("other.app", DeviceOutcome::Dropped(DropReason::Expired)),
        ]
    );
    assert_eq!(pc.held(), 0);
}

#[test]
fn the_device_renders_as_text_and_as_well_formed_svg() {
    let mut ten = pc(WindowsVersion::Windows10);
    ten.deliver(
        APP,
        Delivery {
            tag: Some("l1".into()),
            group: Some("chats".into()),
            ..Delivery::new(WnsKind::Toast, toast("Ann &amp; Bob", "Lunch &lt;1pm&gt;?"))
        },
        t(0),
    );
    ten.deliver(
        APP,
        Delivery::new(WnsKind::Badge, &br#"<badge value="3"/>"#[..]),
        t(1),
    );
    ten.deliver(APP, Delivery::new(WnsKind::Tile, &br#"<tile><visual><binding template="TileMedium"><text>Mon</text><text>21</text></binding></visual></tile>"#[..]), t(2));
    ten.set_power(PowerState::BatteryScreenOff, t(3));
    ten.deliver(
        APP,
        Delivery {
            priority: Some(4),
            ..Delivery::new(WnsKind::Toast, toast("later", "x"))
        },
        t(4),
    );
    let mut eleven = pc(WindowsVersion::Windows11);
    eleven.deliver(
        APP,
        Delivery::new(WnsKind::Toast, toast("Hi", "there")),
        t(0),
    );
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("windows_device_10", ten.render_text());
        insta::assert_snapshot!("windows_device_11", eleven.render_text());
    });
    for svg in [ten.render_svg(), eleven.render_svg()] {
        let mut reader = quick_xml::Reader::from_str(&svg);
        let mut depth = 0i32;
        loop {
            match reader.read_event().expect("well-formed SVG") {
                quick_xml::events::Event::Start(_) => depth += 1,
                quick_xml::events::Event::End(_) => depth -= 1,
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    }
    assert!(ten.render_svg().contains("Ann &amp; Bob"));
}
