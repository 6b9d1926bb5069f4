//! The app's screens as stable text, for snapshots (the service's URL replaced by `<service>`,
//! since its port changes from run to run).

use std::fmt::Write as _;

use super::app::PushPatterns;
use super::{NUMBER_IMAGES, TILE_SCHEDULE};

impl PushPatterns {
    /// The app's screen as stable text (service URL shown as `<service>`), for snapshots.
    pub fn render_text(&self) -> String {
        let m = self.model();
        let on = |b: bool| if b { "on" } else { "off" };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Push Patterns on {:?} · screen {:?} · user {}",
            self.inner.app.phone().name(),
            m.screen,
            m.user_name
                .as_deref()
                .map_or_else(|| "(none)".to_owned(), |u| format!("{u:?}"))
        );
        let s = m.settings;
        let _ = writeln!(
            out,
            "settings: push {}, tile {}, toast {}, raw {} · show AskToPin again: {}",
            on(s.push),
            on(s.tile),
            on(s.toast),
            on(s.raw),
            if m.show_ask_again { "yes" } else { "no" }
        );
        let _ = writeln!(
            out,
            "registered: {} · registrations accepted: {}",
            if m.registered_uri.is_some() {
                "yes"
            } else {
                "no"
            },
            m.registrations
        );
        match &m.server_info {
            Some(i) => {
                let _ = writeln!(
                    out,
                    "active push pattern: {} · counter: {}",
                    i.push_pattern, i.counter
                );
            }
            None => {
                let _ = writeln!(out, "active push pattern: (not read)");
            }
        }
        match &m.prompt {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "popup {:?}: {:?} [{}] Show this message again",
                    p.title,
                    p.text,
                    if p.show_again { "x" } else { " " }
                );
            }
            None => {
                let _ = writeln!(out, "popup: none (shown {} time(s))", m.prompts_shown);
            }
        }
        let _ = writeln!(out, "raw messages (last on top): {}", m.inbox.len());
        for r in &m.inbox {
            let _ = writeln!(out, "  {r:?}");
        }
        if m.server_info
            .as_ref()
            .is_some_and(|i| i.push_pattern == TILE_SCHEDULE)
        {
            let _ = writeln!(
                out,
                "schedule panel: number0.png..number{}.png, selected number{}.png",
                NUMBER_IMAGES - 1,
                m.selected
            );
        }
        let _ = writeln!(out, "errors: {}", m.errors.len());
        for e in &m.errors {
            let _ = writeln!(out, "  {e}");
        }
        out.replace(&self.inner.base, "<service>")
    }
}
