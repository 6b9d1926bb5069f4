//! The shell's visible state as stable, readable text, for snapshots and failure messages.
//!
//! Deterministic: tiles in key order (primary first, then secondaries by navigation URI),
//! faces in layout order, toasts in arrival order, text values quoted with escapes.

use super::image::classify_image;
use super::shell::Shell;
use super::tile::{badge_for, opaque_color, parse_count, template_name, Face, Role, Side, Size};
use super::tile::{Tile, TileKey};
use super::toast::ToastSound;
use std::fmt::Write;

/// Renders everything the user could see of the app: each pinned tile with its template and
/// faces (images with their source, badge, titles, texts, colour), the updates waiting for
/// remote images, and the toast tray.
pub fn render_text(shell: &Shell) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "app: {:?}", shell.app_name());
    let _ = writeln!(out, "start page: {}", shell.start_page());
    let n = shell.tiles().count();
    let _ = writeln!(out, "pinned tiles: {n}");
    let pending = shell.pending_fetches();
    for (key, tile) in shell.tiles() {
        out.push('\n');
        out.push_str(&render_tile_text(key, tile));
        for f in pending.iter().filter(|f| &f.tile == key) {
            let _ = writeln!(out, "  waiting for image: {} <- {}", f.property, f.url);
        }
    }
    out.push('\n');
    let _ = writeln!(out, "toast tray: {}", shell.toasts().len());
    for (i, t) in shell.toasts().iter().enumerate() {
        let sound = match &t.sound {
            ToastSound::Default => "default sound".to_owned(),
            ToastSound::Silent => "silent".to_owned(),
            ToastSound::Custom(p) => format!("sound {p}"),
        };
        let target = t.launch_target(shell.start_page()).uri();
        let _ = writeln!(
            out,
            "  #{i} {:?} {:?} -> {target} ({sound})",
            t.text1, t.text2
        );
    }
    out
}

/// Renders one tile as [`render_text`] does.
pub fn render_tile_text(key: &TileKey, tile: &Tile) -> String {
    let mut out = String::new();
    let name = match key {
        TileKey::Primary => "primary tile".to_owned(),
        TileKey::Secondary(id) => format!("secondary tile {id}"),
    };
    let _ = writeln!(out, "[{name}] {}", template_name(tile.template()));
    for face in tile.faces() {
        render_face(&mut out, &face);
    }
    out
}

fn render_face(out: &mut String, face: &Face<'_>) {
    let size = match face.size {
        Size::Small => "small",
        Size::Medium => "medium",
        Size::Wide => "wide",
    };
    let side = match face.side {
        Side::Front => "front",
        Side::Back => "back",
    };
    if !face.is_shown() {
        let _ = writeln!(out, "  {size} {side}: empty, the tile does not flip");
        return;
    }
    let _ = writeln!(out, "  {size} {side}");
    let mut i = 0;
    while i < face.slots.len() {
        let role = face.slots[i].role;
        let group: Vec<_> = face.slots[i..]
            .iter()
            .take_while(|s| s.role == role)
            .collect();
        i += group.len();
        if group.len() > 1 {
            let set: Vec<_> = group.iter().filter(|s| s.value.is_some()).collect();
            if set.is_empty() {
                let _ = writeln!(out, "    {}s: -", word(role));
            }
            for s in set {
                let _ = writeln!(out, "    {}: {}", s.property, value(role, s.value));
            }
        } else {
            let s = group[0];
            let _ = writeln!(out, "    {}: {}", word(role), value(role, s.value));
        }
    }
}

fn word(role: Role) -> &'static str {
    match role {
        Role::Image => "image",
        Role::Count => "badge",
        Role::Title => "title",
        Role::Content => "content",
        Role::Color => "color",
    }
}

fn value(role: Role, v: Option<&str>) -> String {
    match (role, v) {
        (Role::Count, v) => {
            let n = v.and_then(|c| parse_count(c).ok()).unwrap_or(0);
            match badge_for(n) {
                None => "none".to_owned(),
                Some(b) if u64::from(b) == n => b.to_string(),
                Some(b) => format!("{b} (Count {n})"),
            }
        }
        (Role::Color, None) => "theme".to_owned(),
        (Role::Color, Some(c)) => match opaque_color(c) {
            Some(rgb) => rgb,
            None => format!("theme ({c:?} is not #FFRRGGBB)"),
        },
        (_, None) => "-".to_owned(),
        (Role::Image, Some(uri)) => match classify_image(uri) {
            Ok(src) => format!("{uri} ({})", src.word()),
            Err(_) => format!("{uri:?} (invalid)"),
        },
        (_, Some(text)) => format!("{text:?}"),
    }
}
