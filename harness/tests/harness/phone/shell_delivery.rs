//! The whole app-state × notification-type × power table of docs/mpns-protocol.md §6.3/§6.4.

use mpns_harness::phone::{decide, AppState, Bindings, DeliveryFate, Incoming, PowerLevel, Why};

const APPS: [AppState; 3] = [
    AppState::NotRunning,
    AppState::Background,
    AppState::Foreground,
];
const KINDS: [Incoming; 4] = [
    Incoming::Toast,
    Incoming::Tile { pinned: true },
    Incoming::Tile { pinned: false },
    Incoming::Raw,
];

fn bindings() -> [Bindings; 4] {
    [
        Bindings {
            toast: false,
            tile: false,
        },
        Bindings {
            toast: true,
            tile: false,
        },
        Bindings {
            toast: false,
            tile: true,
        },
        Bindings {
            toast: true,
            tile: true,
        },
    ]
}

/// At normal power: (kind, toast bound, tile bound) → fate for [not running, background,
/// foreground], written out row by row from the table of docs/mpns-protocol.md §6.4.
fn normal_power_rows() -> Vec<(Incoming, bool, bool, [DeliveryFate; 3])> {
    use DeliveryFate::*;
    let toast_shown = [ShownInTray, ShownInTray, ToastEvent];
    let toast_unbound = [Suppressed(Why::ToastNotBound); 3];
    let tile_updated = [TileUpdated; 3];
    let tile_unbound = [Suppressed(Why::TileNotBound); 3];
    let tile_unpinned = [Suppressed(Why::TileNotPinned); 3];
    let raw = [
        Discarded(Why::AppNotRunning),
        Discarded(Why::AppInBackground),
        RawDelivered,
    ];
    let pinned = Incoming::Tile { pinned: true };
    let unpinned = Incoming::Tile { pinned: false };
    vec![
        (Incoming::Toast, false, false, toast_unbound),
        (Incoming::Toast, false, true, toast_unbound),
        (Incoming::Toast, true, false, toast_shown),
        (Incoming::Toast, true, true, toast_shown),
        (pinned, false, false, tile_unbound),
        (pinned, true, false, tile_unbound),
        (pinned, false, true, tile_updated),
        (pinned, true, true, tile_updated),
        (unpinned, false, false, tile_unbound),
        (unpinned, true, false, tile_unbound),
        (unpinned, false, true, tile_unpinned),
        (unpinned, true, true, tile_unpinned),
        (Incoming::Raw, false, false, raw),
        (Incoming::Raw, true, false, raw),
        (Incoming::Raw, false, true, raw),
        (Incoming::Raw, true, true, raw),
    ]
}

#[test]
fn at_normal_power_every_row_of_the_app_state_table_holds() {
    let rows = normal_power_rows();
    assert_eq!(rows.len(), KINDS.len() * bindings().len());
    for (kind, toast, tile, fates) in rows {
        for (app, want) in APPS.into_iter().zip(fates) {
            let got = decide(kind, app, PowerLevel::Normal, Bindings { toast, tile });
            assert_eq!(
                got, want,
                "{kind:?}, toast bound {toast}, tile bound {tile}, {app:?}"
            );
        }
    }
}

#[test]
fn at_low_power_only_raw_gets_through_as_at_normal_power() {
    let mut checked = 0;
    for (kind, toast, tile, fates) in normal_power_rows() {
        for (app, normal) in APPS.into_iter().zip(fates) {
            let b = Bindings { toast, tile };
            let got = decide(kind, app, PowerLevel::Low, b);
            let want = if kind == Incoming::Raw {
                normal
            } else {
                DeliveryFate::Suppressed(Why::LowPower)
            };
            assert_eq!(got, want, "{kind:?}, {b:?}, {app:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 48);
}

#[test]
fn at_critically_low_power_nothing_gets_through() {
    for kind in KINDS {
        for app in APPS {
            for b in bindings() {
                assert_eq!(
                    decide(kind, app, PowerLevel::CriticalLow, b),
                    DeliveryFate::Suppressed(Why::CriticalLowPower),
                    "{kind:?}, {b:?}, {app:?}"
                );
            }
        }
    }
}

#[test]
fn a_foreground_app_never_gets_a_toast_in_the_tray_and_only_it_gets_raw() {
    for power in [PowerLevel::Normal, PowerLevel::Low, PowerLevel::CriticalLow] {
        for b in bindings() {
            for app in APPS {
                let toast = decide(Incoming::Toast, app, power, b);
                let raw = decide(Incoming::Raw, app, power, b);
                if app == AppState::Foreground {
                    assert_ne!(toast, DeliveryFate::ShownInTray);
                } else {
                    assert_ne!(raw, DeliveryFate::RawDelivered);
                }
            }
        }
    }
}
