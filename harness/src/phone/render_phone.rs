//! A whole phone as stable text (for insta snapshots) and as an SVG picture (for people): the
//! phone's status (OS, clock, connection, power, channel quota), then each app with its state,
//! channel, shell (the shell's own renderings), tile schedules (only for an app with some), raw
//! inbox, what became of its notifications and the events its channel raised.
//!
//! Channel URIs are left out of the text (they hold a random token and a port); remote image
//! URLs of tiles and schedules are kept, so snapshots of those need an insta filter for the
//! port.

use std::fmt::Write;

use super::events::preview;
use super::schedule::{ScheduleState, MAX_FAILURES_IN_A_ROW};
use super::schedule_settings::{UpdateInterval, UpdateRecurrence};
use super::state::AppData;
use super::state::PhoneInner;
use crate::screen::image::TileBinding;
use crate::screen::render_svg::render_svg;
use crate::screen::render_text::render_text;

/// How many delivery records and events of each app the text shows (the last ones).
const SHOWN: usize = 20;

/// Renders the whole visible state of the phone as text.
pub(crate) fn render_phone_text(phone: &PhoneInner) -> String {
    let mut out = String::new();
    let st = phone.lock();
    let now = phone.clock.now();
    let _ = writeln!(
        out,
        "phone {:?} · Windows Phone {} · clock {}",
        phone.name,
        phone.os,
        secs(now)
    );
    let _ = writeln!(out, "connection: {}", st.connection.as_str());
    let _ = writeln!(out, "power: {:?}", st.power);
    let held = st.apps.values().filter(|a| a.channel.is_some()).count();
    let _ = writeln!(out, "channels: {held} of {} apps", phone.os.channel_quota());
    if st.lost_deliveries > 0 {
        let _ = writeln!(out, "lost deliveries: {}", st.lost_deliveries);
    }
    let events = phone.events.all();
    for (name, a) in &st.apps {
        out.push('\n');
        let launched = a
            .launched_at
            .as_ref()
            .map(|t| format!(", last launched at {}", t.uri()))
            .unwrap_or_default();
        let _ = writeln!(out, "== app {name:?}: {:?}{launched}", a.state);
        match &a.channel {
            None => {
                let _ = writeln!(out, "channel: none");
            }
            Some(c) => {
                let auth = match &c.service_name {
                    Some(s) => format!("authenticated as {s:?}"),
                    None => "unauthenticated".to_owned(),
                };
                let toast = if c.toast {
                    "toast bound"
                } else {
                    "toast not bound"
                };
                let tile = match &c.tile {
                    None => "tile not bound".to_owned(),
                    Some(TileBinding::LocalImagesOnly) => "tile bound (local images)".to_owned(),
                    Some(TileBinding::RemoteFrom(list)) => format!(
                        "tile bound (remote images from {} base URI(s))",
                        list.uris().count()
                    ),
                };
                let _ = writeln!(
                    out,
                    "channel {:?}: {auth}, {toast}, {tile}, URI given {} time(s)",
                    c.name, c.uri_updates
                );
            }
        }
        for line in render_text(&a.shell).lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "  {line}");
            }
        }
        render_schedules(&mut out, a);
        let _ = writeln!(out, "  raw inbox: {}", a.raw_inbox.len());
        for (i, r) in a.raw_inbox.iter().enumerate() {
            let _ = writeln!(
                out,
                "    #{i} {:?} ({} bytes)",
                preview(&r.body),
                r.body.len()
            );
        }
        let n = a.records.len();
        let _ = writeln!(out, "  notifications: {n}");
        if n > SHOWN {
            let _ = writeln!(out, "    ... {} earlier", n - SHOWN);
        }
        for r in a.records.iter().skip(n.saturating_sub(SHOWN)) {
            let _ = writeln!(out, "    {} {}: {}", secs(r.at), r.kind, r.outcome);
        }
        let mine: Vec<_> = events.iter().filter(|e| e.app() == name).collect();
        let n = mine.len();
        let _ = writeln!(out, "  events: {n}");
        if n > SHOWN {
            let _ = writeln!(out, "    ... {} earlier", n - SHOWN);
        }
        for e in mine.iter().skip(n.saturating_sub(SHOWN)) {
            let d = e.describe();
            let d = d.split_once(": ").map_or(d.as_str(), |(_, rest)| rest);
            let _ = writeln!(out, "    {d}");
        }
    }
    out
}

/// The app's tile schedules (nothing when it has none): per tile its settings, then its state,
/// runs and what the shell showed.
fn render_schedules(out: &mut String, a: &AppData) {
    if a.schedules.is_empty() {
        return;
    }
    let _ = writeln!(out, "  tile schedules: {}", a.schedules.len());
    for (tile, e) in &a.schedules {
        let s = e.schedule.settings();
        let when = match s.recurrence {
            UpdateRecurrence::OneTime => "one time".to_owned(),
            UpdateRecurrence::Interval => {
                let every = match s.interval {
                    UpdateInterval::EveryHour => "every hour",
                    UpdateInterval::EveryDay => "every day",
                    UpdateInterval::EveryWeek => "every week",
                    UpdateInterval::EveryMonth => "every month (30 days)",
                };
                match s.max_update_count {
                    n if n < 1 => format!("{every}, indefinitely"),
                    n => format!("{every}, at most {n} run(s)"),
                }
            }
        };
        let start = match s.start_time {
            Some(t) => format!("start time {}", secs(t)),
            None => "start time: when started".to_owned(),
        };
        let _ = writeln!(
            out,
            "    {tile}: {when}, {start}, image {}",
            s.remote_image_uri
        );
        let st = e.schedule.status();
        let state = match st.state {
            ScheduleState::NotStarted => "not started".to_owned(),
            ScheduleState::Waiting { next_run } => {
                format!("waiting, next run at {}", secs(next_run))
            }
            ScheduleState::Fetching { due } => format!("downloading the run due at {}", secs(due)),
            ScheduleState::Stopped => "stopped".to_owned(),
            ScheduleState::StoppedAfterFailures => {
                format!("stopped after {MAX_FAILURES_IN_A_ROW} failures in a row")
            }
            ScheduleState::Finished => "finished".to_owned(),
        };
        let _ = writeln!(
            out,
            "      {state} · runs since start {}, in all {} ({} ok, {} failed) · images shown {}, not shown {}",
            st.runs, st.total_runs, st.successes, st.failures, e.shown, e.not_shown
        );
        if let Some(err) = &st.last_error {
            let _ = writeln!(out, "      last failure: {err}");
        }
        if let Some(why) = &e.last_not_shown {
            let _ = writeln!(out, "      last image not shown: {why}");
        }
    }
}

fn secs(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.3} s", d.as_secs_f64())
    }
}

/// Renders the phone as one SVG: a status bar, then each app's start screen and latest toast
/// (the shell's picture) under a caption with its state and channel.
pub(crate) fn render_phone_svg(phone: &PhoneInner) -> String {
    const WIDTH: u32 = 760;
    let st = phone.lock();
    let mut body = String::new();
    let status = format!(
        "{} · Windows Phone {} · {} · power {:?} · clock {}",
        phone.name,
        phone.os,
        st.connection.as_str(),
        st.power,
        secs(phone.clock.now())
    );
    let _ = write!(
        body,
        r##"<rect x="0" y="0" width="{WIDTH}" height="32" fill="#222222"/><text x="20" y="21" font-size="14" fill="#FFFFFF">{}</text>"##,
        esc(&status)
    );
    let mut y = 40;
    for (name, a) in &st.apps {
        let channel = match &a.channel {
            None => "no channel".to_owned(),
            Some(c) => format!(
                "channel {}{}{}",
                c.name,
                if c.toast { " · toast" } else { "" },
                if c.tile.is_some() { " · tile" } else { "" }
            ),
        };
        let schedules = match a.schedules.len() {
            0 => String::new(),
            n => format!(" · {n} tile schedule(s)"),
        };
        let caption = format!(
            "{name} · {:?} · {channel} · raw {}{schedules}",
            a.state,
            a.raw_inbox.len()
        );
        let _ = write!(
            body,
            r##"<text x="20" y="{}" font-size="14" fill="#BBBBBB">{}</text>"##,
            y + 16,
            esc(&caption)
        );
        y += 24;
        let shell = render_svg(&a.shell);
        let h = height_of(&shell).unwrap_or(200);
        let _ = write!(body, r##"<g transform="translate(0,{y})">{shell}</g>"##);
        y += h + 8;
    }
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" viewBox="0 0 {WIDTH} {y}" font-family="Segoe UI, Helvetica, Arial, sans-serif"><rect x="0" y="0" width="{WIDTH}" height="{y}" fill="#000000"/>{body}</svg>"##
    )
}

/// The `height` of an `<svg ...>` element.
fn height_of(svg: &str) -> Option<u32> {
    let start = svg.find(" height=\"")? + " height=\"".len();
    let rest = &svg[start..];
    rest[..rest.find('"')?].parse().ok()
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
