//! The device's visible state in words (stable, for snapshots) and as an SVG picture (for
//! people): the banner, the notification center, badges and, on Windows 10, Start tiles.

use std::fmt::Write;

use super::{PowerState, WindowsDevice, WindowsVersion};

fn power_words(p: PowerState) -> &'static str {
    match p {
        PowerState::PluggedIn => "plugged in",
        PowerState::BatteryScreenOn => "on battery, screen on",
        PowerState::BatteryScreenOff => "on battery, screen off",
        PowerState::BatterySaver => "battery saver",
    }
}

fn version_words(v: WindowsVersion) -> &'static str {
    match v {
        WindowsVersion::Windows10 => "Windows 10",
        WindowsVersion::Windows11 => "Windows 11",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

impl WindowsDevice {
    /// The visible state as stable text.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "{} \"{}\" · {}\n",
            version_words(self.version()),
            self.name(),
            power_words(self.power())
        );
        match self.banner() {
            Some((app, t)) => {
                let _ = writeln!(out, "Banner: [{app}] {}", t.texts.join(" — "));
            }
            None => out.push_str("Banner: none\n"),
        }
        out.push_str("Notification center:\n");
        if self.center().is_empty() {
            out.push_str("  (empty)\n");
        }
        for t in self.center() {
            let mut line = format!("  [{}] {}", t.app, t.view.texts.join(" — "));
            if let Some(tag) = &t.tag {
                let _ = write!(line, " · tag {tag}");
            }
            if let Some(group) = &t.group {
                let _ = write!(line, " · group {group}");
            }
            for b in &t.view.buttons {
                let _ = write!(line, " [{b}]");
            }
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("Badges:");
        if self.badges().is_empty() {
            out.push_str(" none");
        }
        for (app, v) in self.badges() {
            let _ = write!(out, " {app}={v}");
        }
        out.push('\n');
        match self.version() {
            WindowsVersion::Windows11 => out.push_str("Start tiles: none (Windows 11)\n"),
            WindowsVersion::Windows10 => {
                out.push_str("Start tiles:\n");
                if self.tiles().is_empty() {
                    out.push_str("  (no live content)\n");
                }
                for ((app, secondary), views) in self.tiles() {
                    let name = match secondary {
                        Some(s) => format!("{app}/{s}"),
                        None => app.clone(),
                    };
                    for v in views {
                        let _ = writeln!(out, "  [{name}] {}: {}", v.template, v.texts.join(" · "));
                    }
                }
            }
        }
        if self.held() > 0 {
            let _ = writeln!(out, "Held for power: {}", self.held());
        }
        out
    }

    /// The visible state as an SVG document: plain SVG 1.1, text escaped, no external resources.
    pub fn render_svg(&self) -> String {
        const W: u32 = 480;
        let mut body = String::new();
        let mut y = 20;
        let _ = write!(
            body,
            r##"<text x="16" y="{y}" font-size="14" fill="#DDDDDD">{}</text>"##,
            esc(&format!(
                "{} · {} · {}",
                version_words(self.version()),
                self.name(),
                power_words(self.power())
            ))
        );
        y += 16;
        if let Some((app, t)) = self.banner() {
            let _ = write!(
                body,
                r##"<g class="banner"><rect x="16" y="{y}" width="{}" height="60" rx="6" fill="#2B2B2B" stroke="#5B9BD5"/><text x="28" y="{}" font-size="11" fill="#AAAAAA">{}</text><text x="28" y="{}" font-size="14" font-weight="bold" fill="#FFFFFF">{}</text><text x="28" y="{}" font-size="13" fill="#DDDDDD">{}</text></g>"##,
                W - 32,
                y + 16,
                esc(&fit(app, 50)),
                y + 34,
                esc(&fit(t.texts.first().map_or("", String::as_str), 50)),
                y + 51,
                esc(&fit(&t.texts[1..].join(" "), 60)),
            );
            y += 72;
        }
        let _ = write!(
            body,
            r##"<text x="16" y="{}" font-size="13" fill="#FFFFFF">Notification center</text>"##,
            y + 14
        );
        y += 22;
        for t in self.center().iter().rev() {
            let _ = write!(
                body,
                r##"<g class="toast"><rect x="16" y="{y}" width="{}" height="40" rx="4" fill="#333333"/><text x="28" y="{}" font-size="12" fill="#FFFFFF"><tspan font-weight="bold">{}</tspan> {}</text><text x="28" y="{}" font-size="10" fill="#999999">{}</text></g>"##,
                W - 32,
                y + 17,
                esc(&fit(t.view.texts.first().map_or("", String::as_str), 30)),
                esc(&fit(&t.view.texts[1..].join(" "), 40)),
                y + 32,
                esc(&fit(&t.app, 60)),
            );
            y += 46;
        }
        for (app, v) in self.badges() {
            let _ = write!(
                body,
                r##"<g class="badge"><circle cx="28" cy="{}" r="10" fill="#E81123"/><text x="28" y="{}" font-size="10" fill="#FFFFFF" text-anchor="middle">{}</text><text x="46" y="{}" font-size="12" fill="#DDDDDD">{}</text></g>"##,
                y + 12,
                y + 16,
                esc(&fit(v, 4)),
                y + 16,
                esc(&fit(app, 50)),
            );
            y += 28;
        }
        for ((app, _), views) in self.tiles() {
            if let Some(v) = views.first() {
                let _ = write!(
                    body,
                    r##"<g class="tile"><rect x="16" y="{y}" width="150" height="150" fill="#0063B1"/><text x="24" y="{}" font-size="12" fill="#FFFFFF">{}</text><text x="24" y="{}" font-size="10" fill="#CCE4F7">{}</text></g>"##,
                    y + 20,
                    esc(&fit(&v.texts.join(" "), 22)),
                    y + 142,
                    esc(&fit(app, 24)),
                );
                y += 158;
            }
        }
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{}" viewBox="0 0 {W} {}"><rect width="100%" height="100%" fill="#1F1F1F"/>{body}</svg>"##,
            y + 16,
            y + 16
        )
    }
}
