//! Values MPNS itself would pass on but the phone would not show as the sender meant: a toast
//! `Param` that is not a page or a query, a `Count` outside 0..=99, an Iconic colour the phone
//! replaces with the theme colour, a remote Cycle image. MPNS did not read values, so these are
//! notes in both modes, never refusals; the emulated phone applies its own rules to them.

use super::text::shorten;
use super::{Content, Findings, Sound, Template, TileContent, TileValue, ToastContent};

pub(super) fn values(content: &Content, f: &mut Findings) {
    match content {
        Content::Toast(toast) => toast_values(toast, f),
        Content::Tile(tile) => tile_values(tile, f),
        Content::Raw { .. } => {}
    }
}

fn toast_values(toast: &ToastContent, f: &mut Findings) {
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
    if blank(&toast.text1) && blank(&toast.text2) {
        f.note("The toast has neither Text1 nor Text2: the phone shows nothing worth reading.");
    }
    if let Some(param) = &toast.param {
        if !param.starts_with('/') && !param.starts_with('?') {
            f.note(format!(
                "Param '{}' starts with neither '/' (a page) nor '?' (a query for the start page): the phone cannot launch it.",
                shorten(param)
            ));
        }
    }
    if let Some(Sound::Path(path)) = &toast.sound {
        if path.trim().is_empty() {
            f.note("Sound is empty: write <wp:Sound Silent=\"true\"/> for a silent toast.");
        }
    }
}

fn tile_values(tile: &TileContent, f: &mut Findings) {
    if let Some(id) = &tile.id {
        if !id.starts_with('/') {
            f.note(format!(
                "Tile Id '{}' is not a navigation URI starting with '/': it can match no secondary tile.",
                shorten(id)
            ));
        }
    }
    for (name, value) in &tile.properties {
        let TileValue::Set(value) = value else {
            continue;
        };
        match name.as_str() {
            "Count" => count(value, f),
            "BackgroundColor" if tile.template == Template::IconicTile => color(value, f),
            n if tile.template == Template::CycleTile
                && n.starts_with("CycleImage")
                && is_remote(value) =>
            {
                f.note(format!(
                    "{n} '{}' is remote: Cycle tile images must be local (package or isostore:/Shared/ShellContent).",
                    shorten(value)
                ));
            }
            _ => {}
        }
    }
}

fn count(value: &str, f: &mut Findings) {
    let digits = value.trim();
    if digits.is_empty() {
        return; // an empty element reads as a clear on the phone
    }
    let number = (digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse::<u64>().unwrap_or(u64::MAX));
    match number {
        Some(n) if n <= 99 => {}
        Some(_) => f.note(format!(
            "Count {} is over 99: the phone shows 99.",
            shorten(digits)
        )),
        None => f.note(format!(
            "Count '{}' is not a whole number 0..=99: the phone rejects the update.",
            shorten(value)
        )),
    }
}

fn color(value: &str, f: &mut Findings) {
    let hex = value.strip_prefix('#').unwrap_or("");
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        f.note(format!(
            "BackgroundColor '{}' is not #AARRGGBB: the phone uses the theme colour.",
            shorten(value)
        ));
    } else if !hex[..2].eq_ignore_ascii_case("ff") {
        f.note(format!(
            "BackgroundColor '{value}' has alpha {} instead of FF: the phone uses the theme colour.",
            &hex[..2]
        ));
    }
}

fn is_remote(uri: &str) -> bool {
    let lower = uri
        .trim_start()
        .get(..8)
        .unwrap_or(uri)
        .to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}
