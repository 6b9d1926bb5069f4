//! Reading back a Custom Tile image: the service draws (`service/src/registration/images.rs`)
//! on a 173×173 flat background the text in `font8x8`'s 8×8 glyphs, each scaled by nearest
//! neighbour to a `size`-pixel cell, wrapped greedily on white space (a word too long for a line
//! is split) to the lines that fit inside an 8-pixel margin, `size + size / 4` apart, the block
//! and each line centred. [`check`] draws the expected lines again from the parameters and finds
//! each one, pixel for pixel, in the image; only the centring is allowed a little rounding.

use std::collections::BTreeSet;

use image::{Rgb, RgbImage};

const TILE: u32 = 173;
const MARGIN: u32 = 8;

/// The glyph of a character of the tile font (printable ASCII and Latin-1).
fn glyph(c: char) -> [u8; 8] {
    match c as u32 {
        0x20..=0x7E => font8x8::legacy::BASIC_LEGACY[c as usize],
        0xA0..=0xFF => font8x8::legacy::LATIN_LEGACY[c as usize - 0xA0],
        _ => panic!("{c:?} is not in the tile font"),
    }
}

/// Greedy wrap to lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line: Vec<char> = Vec::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(line.drain(..).collect());
        }
        if !line.is_empty() {
            line.push(' ');
        }
        while line.len() + word.len() > width {
            let rest = word.split_off(width - line.len());
            line.append(&mut word);
            lines.push(line.drain(..).collect());
            word = rest;
        }
        line.append(&mut word);
    }
    if !line.is_empty() {
        lines.push(line.into_iter().collect());
    }
    lines
}

/// The lit pixels of one line drawn from (0, 0) in `size`-pixel cells.
fn line_pixels(line: &str, size: u32) -> BTreeSet<(u32, u32)> {
    let mut lit = BTreeSet::new();
    for (i, c) in line.chars().enumerate() {
        let rows = glyph(c);
        for dy in 0..size {
            let row = rows[(dy * 8 / size) as usize];
            for dx in 0..size {
                if row >> (dx * 8 / size) & 1 == 1 {
                    lit.insert((i as u32 * size + dx, dy));
                }
            }
        }
    }
    lit
}

fn shift(pixels: &BTreeSet<(u32, u32)>) -> BTreeSet<(u32, u32)> {
    let x0 = pixels.iter().map(|p| p.0).min().unwrap_or(0);
    let y0 = pixels.iter().map(|p| p.1).min().unwrap_or(0);
    pixels.iter().map(|&(x, y)| (x - x0, y - y0)).collect()
}

/// Checks that `img` is the Custom Tile image of `text` at `size` in `color` on `background`.
///
/// # Panics
/// With what differs.
pub(crate) fn check(img: &RgbImage, text: &str, size: u32, color: [u8; 3], background: [u8; 3]) {
    assert_eq!(img.dimensions(), (TILE, TILE), "the tile image's size");
    let (fg, bg) = (Rgb(color), Rgb(background));
    let mut ink = BTreeSet::new();
    for (x, y, p) in img.enumerate_pixels() {
        if *p != bg {
            assert_eq!(
                *p, fg,
                "pixel ({x}, {y}) is neither the background nor the text colour"
            );
            ink.insert((x, y));
        }
    }
    let line_height = size + size / 4;
    let max_lines = ((TILE - 2 * MARGIN + size / 4) / line_height) as usize;
    let mut lines = wrap(text, ((TILE - 2 * MARGIN) / size) as usize);
    lines.truncate(max_lines);
    let expected: Vec<BTreeSet<(u32, u32)>> = lines.iter().map(|l| line_pixels(l, size)).collect();
    if fg == bg || expected.iter().all(BTreeSet::is_empty) {
        assert!(
            ink.is_empty() || fg == bg,
            "ink on a tile without text: {lines:?}"
        );
        return;
    }
    // The block's top: the first line with ink starts where the ink starts, less its own top.
    let (first, first_pixels) = expected
        .iter()
        .enumerate()
        .find(|(_, p)| !p.is_empty())
        .unwrap();
    let first_top = first_pixels.iter().map(|p| p.1).min().unwrap();
    let ink_top = ink.iter().map(|p| p.1).min().unwrap();
    let top = ink_top - first_top - first as u32 * line_height;
    let mut found = 0;
    for (k, want) in expected.iter().enumerate() {
        let band = top + k as u32 * line_height..top + k as u32 * line_height + size;
        let got: BTreeSet<(u32, u32)> = ink
            .iter()
            .filter(|p| band.contains(&p.1))
            .map(|&(x, y)| (x, y - band.start))
            .collect();
        found += got.len();
        assert!(
            shift(&got) == shift(want),
            "line {k} of {lines:?} is not drawn as {:?} at size {size} ({} pixels lit, {} expected)",
            lines[k],
            got.len(),
            want.len()
        );
        if let (Some(left), Some(right)) =
            (got.iter().map(|p| p.0).min(), got.iter().map(|p| p.0).max())
        {
            let (l, r) = (left, TILE - 1 - right);
            assert!(
                l.abs_diff(r) <= size / 8 + 2,
                "line {k} {:?} is not centred: {l} px left, {r} px right",
                lines[k]
            );
        }
    }
    assert_eq!(found, ink.len(), "ink outside the lines of {lines:?}");
    let bottom = TILE - 1 - ink.iter().map(|p| p.1).max().unwrap();
    assert!(
        ink_top.abs_diff(bottom) <= size / 8 + 2,
        "the text block is not centred: {ink_top} px above, {bottom} px below"
    );
}
