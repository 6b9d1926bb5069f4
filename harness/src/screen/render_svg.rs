//! The shell's visible state as an SVG picture, for people: the latest toast as a banner at the
//! top, then each pinned tile with all its faces side by side (sizes to scale: small, medium,
//! wide; back faces beside their fronts). Images are placeholder boxes labelled with their URI.
//! Plain SVG 1.1, all text escaped, no external resources.

use super::image::classify_image;
use super::shell::Shell;
use super::tile::{badge_for, opaque_color, parse_count, template_name, Face, Role, Side, Size};
use super::tile::{Tile, TileKey};
use std::fmt::Write;

const WIDTH: u32 = 760;
const MARGIN: u32 = 20;
const GAP: u32 = 12;
const CAPTION: u32 = 18;
const ACCENT: &str = "#1BA1E2";
const BACK: &str = "#1478A8";

/// Renders the shell as an SVG document (a complete `<svg>` element).
pub fn render_svg(shell: &Shell) -> String {
    let mut body = String::new();
    let mut y = MARGIN;
    if let Some(t) = shell.toasts().last() {
        let n = shell.toasts().len();
        let _ = write!(
            body,
            r##"<g class="toast"><rect x="0" y="0" width="{WIDTH}" height="64" fill="#333333"/><rect x="{MARGIN}" y="16" width="32" height="32" fill="{ACCENT}"/><text x="{}" y="30" font-size="12" fill="#BBBBBB">{}</text><text x="{}" y="50" font-size="16" fill="#FFFFFF"><tspan font-weight="bold">{}</tspan> {}</text><text x="{}" y="30" font-size="12" fill="#BBBBBB" text-anchor="end">{}</text></g>"##,
            MARGIN + 44,
            esc(&fit(shell.app_name(), 40)),
            MARGIN + 44,
            esc(&fit(&t.text1, 40)),
            esc(&fit(&t.text2, 47)),
            WIDTH - MARGIN,
            esc(&format!(
                "toast {n} of {n} · tap → {}",
                fit(&t.launch_target(shell.start_page()).uri(), 40)
            )),
        );
        y = 64 + MARGIN;
    }
    let _ = write!(
        body,
        r##"<text x="{MARGIN}" y="{}" font-size="20" fill="#FFFFFF">{}</text>"##,
        y + 20,
        esc(&format!("Start screen · {}", fit(shell.app_name(), 50)))
    );
    y += 36;
    if shell.tiles().next().is_none() {
        let _ = write!(
            body,
            r##"<text x="{MARGIN}" y="{}" font-size="14" fill="#999999">no tile pinned</text>"##,
            y + 14
        );
        y += 30;
    }
    let pending = shell.pending_fetches();
    for (key, tile) in shell.tiles() {
        let waiting = pending.iter().filter(|f| &f.tile == key).count();
        y = tile_card(&mut body, key, tile, waiting, y) + GAP * 2;
    }
    let height = y + MARGIN;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Segoe UI, Helvetica, Arial, sans-serif"><rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#000000"/>{body}</svg>"##
    )
}

fn dims(size: Size) -> (u32, u32) {
    match size {
        Size::Small => (80, 80),
        Size::Medium => (160, 160),
        Size::Wide => (330, 160),
    }
}

/// Draws one tile's label and faces from `y`; returns the y below it. `waiting` is how many
/// remote images an update of this tile waits for.
fn tile_card(out: &mut String, key: &TileKey, tile: &Tile, waiting: usize, y: u32) -> u32 {
    let mut label = match key {
        TileKey::Primary => "primary tile".to_owned(),
        TileKey::Secondary(id) => format!("secondary tile {}", fit(id, 60)),
    };
    label = format!("{label} · {}", template_name(tile.template()));
    if waiting > 0 {
        label.push_str(&format!(" · update waiting for {waiting} remote image(s)"));
    }
    let _ = write!(
        out,
        r##"<text x="{MARGIN}" y="{}" font-size="14" fill="#DDDDDD">{}</text>"##,
        y + 14,
        esc(&label)
    );
    let top = y + 24;
    let (mut x, mut row_y, mut row_h) = (MARGIN, top, 0);
    for face in tile.faces() {
        let (w, h) = dims(face.size);
        if x + w > WIDTH - MARGIN && x > MARGIN {
            x = MARGIN;
            row_y += row_h + GAP;
            row_h = 0;
        }
        draw_face(out, &face, x, row_y, w, h);
        x += w + GAP;
        row_h = row_h.max(h + CAPTION);
    }
    row_y + row_h
}

fn draw_face(out: &mut String, face: &Face<'_>, x: u32, y: u32, w: u32, h: u32) {
    let size = match face.size {
        Size::Small => "small",
        Size::Medium => "medium",
        Size::Wide => "wide",
    };
    let side = match face.side {
        Side::Front => "front",
        Side::Back => "back",
    };
    let _ = write!(
        out,
        r##"<text x="{x}" y="{}" font-size="11" fill="#999999">{size} {side}</text>"##,
        y + h + 13
    );
    if !face.is_shown() {
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="none" stroke="#555555" stroke-dasharray="4 4"/><text x="{}" y="{}" font-size="11" fill="#777777" text-anchor="middle">no back: does not flip</text>"##,
            x + w / 2,
            y + h / 2
        );
        return;
    }
    let value = |role: Role| {
        face.slots
            .iter()
            .find(|s| s.role == role)
            .and_then(|s| s.value)
    };
    let fill = match value(Role::Color).and_then(opaque_color) {
        Some(c) => c,
        None if face.side == Side::Back => BACK.to_owned(),
        None => ACCENT.to_owned(),
    };
    let _ = write!(
        out,
        r##"<g class="face"><rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"/>"##
    );
    // Image placeholder: the first image that is set, with how many are set (cycle tiles).
    let images: Vec<_> = face
        .slots
        .iter()
        .filter(|s| s.role == Role::Image && s.value.is_some())
        .collect();
    let count = value(Role::Count)
        .and_then(|c| parse_count(c).ok())
        .unwrap_or(0);
    let badge = badge_for(count);
    // The box leaves the top-right corner to the badge: beside it, or below it on small faces.
    let (img_y, img_w, img_h) = match (face.size, badge) {
        (Size::Small, Some(_)) => (y + 34, w - 12, 40),
        (Size::Small, None) => (y + 6, w - 12, 40),
        (_, Some(_)) => (y + 6, w - 12 - 32, 70),
        (_, None) => (y + 6, w - 12, 70),
    };
    let chars = ((img_w - 8) / 6) as usize;
    if let Some(first) = images.first() {
        let uri = first.value.unwrap_or_default();
        let kind = classify_image(uri).map_or("invalid", |s| s.word());
        let label = if images.len() > 1 {
            format!("{} · {kind} · 1 of {}", first.property, images.len())
        } else {
            format!("{} · {kind}", first.property)
        };
        let _ = write!(
            out,
            r##"<rect x="{}" y="{img_y}" width="{img_w}" height="{img_h}" fill="#FFFFFF" fill-opacity="0.15" stroke="#FFFFFF" stroke-dasharray="3 3"/><text x="{}" y="{}" font-size="10" fill="#FFFFFF">{}</text><text x="{}" y="{}" font-size="10" fill="#FFFFFF">{}</text>"##,
            x + 6,
            x + 10,
            img_y + 14,
            esc(&fit(&label, chars)),
            x + 10,
            img_y + 28,
            esc(&fit(uri, chars)),
        );
    }
    // Body text: back content or wide content rows.
    let mut line_y = img_y + img_h + 18;
    for s in face.slots.iter().filter(|s| s.role == Role::Content) {
        if let Some(text) = s.value {
            let _ = write!(
                out,
                r##"<text x="{}" y="{line_y}" font-size="13" fill="#FFFFFF">{}</text>"##,
                x + 8,
                esc(&fit(text, ((w - 16) / 7) as usize))
            );
            line_y += 16;
        }
    }
    if let Some(title) = value(Role::Title) {
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" font-size="14" fill="#FFFFFF">{}</text>"##,
            x + 8,
            y + h - 8,
            esc(&fit(title, ((w - 16) / 8) as usize))
        );
    }
    if let Some(badge) = badge {
        let r = 14;
        let _ = write!(
            out,
            r##"<circle cx="{}" cy="{}" r="{r}" fill="#FFFFFF"/><text x="{}" y="{}" font-size="12" font-weight="bold" fill="#000000" text-anchor="middle">{badge}</text>"##,
            x + w - r - 4,
            y + r + 4,
            x + w - r - 4,
            y + r + 8
        );
    }
    out.push_str("</g>");
}

/// At most `n` characters, with `…` when cut.
fn fit(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// XML-escapes text, dropping characters XML 1.0 cannot carry.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
