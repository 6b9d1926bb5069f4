//! Tile images drawn on request: the Custom Tile pattern's text over a background, and the
//! Tile Schedule pattern's number images. Everything is drawn from parameters into a fresh
//! 173×173 bitmap with the `font8x8` glyphs; no file is ever read, so no parameter can reach
//! outside the image set (the recipe joined the parameter into a file path).

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, Rgb, RgbImage};

use super::field::FieldError;

/// Tile images are 173×173 pixels (WP7 medium tile).
pub const TILE_SIZE: u32 = 173;
/// The number images: `0..=MAX_NUMBER`.
pub const MAX_NUMBER: u8 = 99;
/// Text sizes accepted by the custom image, in pixels per character cell.
pub(super) const TEXT_SIZES: std::ops::RangeInclusive<u32> = 8..=48;
/// The text size when none is given (the recipe's default).
pub(super) const DEFAULT_TEXT_SIZE: u32 = 20;
/// The longest custom text, in characters.
pub(super) const MAX_TEXT_CHARS: usize = 60;

const MARGIN: u32 = 8;
const NUMBER_BACKGROUND: Rgb<u8> = Rgb([0x1B, 0xA1, 0xE2]);
const NUMBER_GLYPH_SIZE: u32 = 72;

/// A background: a flat colour or one of the built-in gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Background {
    Flat(Rgb<u8>),
    Gradient(Rgb<u8>, Rgb<u8>),
}

/// What the custom image shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CustomImage {
    pub text: String,
    pub size: u32,
    pub color: Rgb<u8>,
    pub background: Background,
}

impl CustomImage {
    /// Reads the query parameters. A `background` that is neither a colour nor a built-in
    /// name is the field error `background`/`unknown` (the image route answers it 404: not in
    /// the image set); bad `text`, `size` or `color` are field errors too.
    pub(crate) fn from_params(
        text: Option<&str>,
        size: Option<&str>,
        color: Option<&str>,
        background: Option<&str>,
    ) -> Result<CustomImage, FieldError> {
        let background = match background {
            None => Background::Gradient(Rgb([0x1B, 0xA1, 0xE2]), Rgb([0x00, 0x50, 0xEF])),
            Some(name) => parse_background(name).ok_or_else(|| {
                FieldError::new(
                    "background",
                    "unknown",
                    format!(
                        "no background {name:?}; use tile1, tile2, tile3, a colour name or #rrggbb"
                    ),
                )
            })?,
        };
        let text = text.unwrap_or("").to_owned();
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(FieldError::new(
                "text",
                "too_long",
                format!("text is {chars} characters long; the limit is {MAX_TEXT_CHARS}"),
            ));
        }
        if let Some(bad) = text.chars().find(|&c| glyph(c).is_none()) {
            return Err(FieldError::new(
                "text",
                "bad_character",
                format!(
                    "text contains U+{:04X}, which the tile font cannot draw (it has printable ASCII and Latin-1)",
                    bad as u32
                ),
            ));
        }
        let size = match size {
            None => DEFAULT_TEXT_SIZE,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if TEXT_SIZES.contains(&n) && s.len() <= 2 => n,
                _ => {
                    return Err(FieldError::new(
                        "size",
                        "out_of_range",
                        format!(
                            "size {s:?} is not a whole number in range {}..={}",
                            TEXT_SIZES.start(),
                            TEXT_SIZES.end()
                        ),
                    ))
                }
            },
        };
        let color = match color {
            None => Rgb([0xFF, 0xFF, 0xFF]),
            Some(c) => parse_color(c).ok_or_else(|| {
                FieldError::new(
                    "color",
                    "unknown",
                    format!(
                        "color {c:?} is not #rrggbb or one of: {}",
                        COLOR_NAMES.join(", ")
                    ),
                )
            })?,
        };
        Ok(CustomImage {
            text,
            size,
            color,
            background,
        })
    }

    /// The PNG.
    pub(crate) fn render(&self) -> image::ImageResult<Vec<u8>> {
        let mut img = RgbImage::new(TILE_SIZE, TILE_SIZE);
        paint_background(&mut img, self.background);
        let lines = wrap(&self.text, (TILE_SIZE - 2 * MARGIN) / self.size);
        let line_height = self.size + self.size / 4;
        let max_lines = ((TILE_SIZE - 2 * MARGIN + self.size / 4) / line_height) as usize;
        let lines = &lines[..lines.len().min(max_lines)];
        // Centre the ink, not the cells: font8x8 glyphs leave their right column and bottom
        // row blank, which would shift the text up and left. The block's ink runs from the
        // top of the first line's ink to the bottom of the last line's, each at its own line.
        let rows = lines
            .iter()
            .enumerate()
            .filter_map(|(k, l)| {
                let b = ink_bounds(l)?;
                let at = k as u32 * line_height;
                Some((
                    at + b.top * self.size / 8,
                    at + (b.bottom + 1) * self.size / 8,
                ))
            })
            .fold(None, |acc, (top, bottom)| {
                let (t, b) = acc.unwrap_or((top, bottom));
                Some((t.min(top), b.max(bottom)))
            });
        if let Some((top, bottom)) = rows {
            let mut y = centred(bottom - top, top);
            for line in lines {
                if let Some(b) = ink_bounds(line) {
                    let (left, right) = (b.left * self.size / 8, (b.right + 1) * self.size / 8);
                    let x = centred(right - left, left);
                    draw_text(&mut img, line, x, y, self.size, self.color);
                }
                y += i64::from(line_height);
            }
        }
        encode(&img)
    }
}

/// The number image for the Tile Schedule pattern; `None` outside `0..=MAX_NUMBER`.
pub(crate) fn number_png(n: u8) -> Option<image::ImageResult<Vec<u8>>> {
    if n > MAX_NUMBER {
        return None;
    }
    let mut img = RgbImage::new(TILE_SIZE, TILE_SIZE);
    paint_background(&mut img, Background::Flat(NUMBER_BACKGROUND));
    let text = n.to_string();
    let size = NUMBER_GLYPH_SIZE;
    if let Some(b) = ink_bounds(&text) {
        let (left, right) = (b.left * size / 8, (b.right + 1) * size / 8);
        let (top, bottom) = (b.top * size / 8, (b.bottom + 1) * size / 8);
        let (x, y) = (centred(right - left, left), centred(bottom - top, top));
        draw_text(&mut img, &text, x, y, size, Rgb([0xFF; 3]));
    }
    Some(encode(&img))
}

/// Reads a number image name: canonical decimal (`0`, `7`, `42`; no sign, no leading zero)
/// within the set. Anything else is not an image of the set.
pub(crate) fn parse_number(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse::<u8>().ok().filter(|&n| n <= MAX_NUMBER)
}

const COLOR_NAMES: &[&str] = &[
    "white", "black", "red", "green", "blue", "yellow", "orange", "purple", "magenta", "cyan",
    "lime", "gray", "brown",
];

fn parse_color(s: &str) -> Option<Rgb<u8>> {
    let named = match s.to_ascii_lowercase().as_str() {
        "white" => Some([0xFF, 0xFF, 0xFF]),
        "black" => Some([0x00, 0x00, 0x00]),
        "red" => Some([0xE5, 0x14, 0x00]),
        "green" => Some([0x00, 0x8A, 0x00]),
        "blue" => Some([0x00, 0x50, 0xEF]),
        "yellow" => Some([0xE3, 0xC8, 0x00]),
        "orange" => Some([0xFA, 0x68, 0x00]),
        "purple" => Some([0xAA, 0x00, 0xFF]),
        "magenta" => Some([0xD8, 0x00, 0x73]),
        "cyan" => Some([0x1B, 0xA1, 0xE2]),
        "lime" => Some([0xA4, 0xC4, 0x00]),
        "gray" | "grey" => Some([0x76, 0x60, 0x8A]),
        "brown" => Some([0xA0, 0x50, 0x00]),
        _ => None,
    };
    if let Some(rgb) = named {
        return Some(Rgb(rgb));
    }
    let hex = s.strip_prefix('#').unwrap_or(s);
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(Rgb([byte(0)?, byte(2)?, byte(4)?]))
}

fn parse_background(s: &str) -> Option<Background> {
    match s {
        "tile1" => Some(Background::Gradient(
            Rgb([0x1B, 0xA1, 0xE2]),
            Rgb([0x00, 0x50, 0xEF]),
        )),
        "tile2" => Some(Background::Gradient(
            Rgb([0x60, 0xA9, 0x17]),
            Rgb([0x00, 0x6A, 0x00]),
        )),
        "tile3" => Some(Background::Gradient(
            Rgb([0xFA, 0x68, 0x00]),
            Rgb([0xB0, 0x10, 0x00]),
        )),
        other => parse_color(other).map(Background::Flat),
    }
}

fn paint_background(img: &mut RgbImage, background: Background) {
    match background {
        Background::Flat(c) => img.pixels_mut().for_each(|p| *p = c),
        Background::Gradient(top, bottom) => {
            let h = img.height().max(2) - 1;
            for (_, y, p) in img.enumerate_pixels_mut() {
                let mix =
                    |a: u8, b: u8| ((u32::from(a) * (h - y) + u32::from(b) * y + h / 2) / h) as u8;
                *p = Rgb([
                    mix(top[0], bottom[0]),
                    mix(top[1], bottom[1]),
                    mix(top[2], bottom[2]),
                ]);
            }
        }
    }
}

/// The 8×8 glyph for a character: printable ASCII and Latin-1 (U+00A0..=U+00FF).
fn glyph(c: char) -> Option<[u8; 8]> {
    match c as u32 {
        0x20..=0x7E => Some(font8x8::legacy::BASIC_LEGACY[c as usize]),
        0xA0..=0xFF => Some(font8x8::legacy::LATIN_LEGACY[c as usize - 0xA0]),
        _ => None,
    }
}

/// Draws `text` on one line from (x, y), each character a `size`×`size` cell; the 8×8 glyph
/// is scaled by nearest neighbour, so any size works. Pixels outside the image are skipped
/// (the line may start left of or above the image: a character without ink, such as a soft
/// hyphen, can lead it).
fn draw_text(img: &mut RgbImage, text: &str, x: i64, y: i64, size: u32, color: Rgb<u8>) {
    for (i, c) in text.chars().enumerate() {
        let Some(rows) = glyph(c) else { continue };
        let cell_x = x + i64::from(i as u32 * size);
        for dy in 0..size {
            let row = rows[(dy * 8 / size) as usize];
            for dx in 0..size {
                // Bit 0 is the leftmost pixel in font8x8.
                if row >> (dx * 8 / size) & 1 == 1 {
                    let (px, py) = (cell_x + i64::from(dx), y + i64::from(dy));
                    if let (Ok(px), Ok(py)) = (u32::try_from(px), u32::try_from(py)) {
                        if px < img.width() && py < img.height() {
                            img.put_pixel(px, py, color);
                        }
                    }
                }
            }
        }
    }
}

/// Where to start drawing so that `ink` pixels of ink, which begin `offset` pixels into what
/// is drawn, are centred on the tile.
fn centred(ink: u32, offset: u32) -> i64 {
    i64::from(TILE_SIZE.saturating_sub(ink) / 2) - i64::from(offset)
}

/// Where a line's glyphs have ink, in 8×8 glyph-bit units (column 8·i + bit for character i).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InkBounds {
    left: u32,
    right: u32,
    top: u32,
    bottom: u32,
}

fn ink_bounds(text: &str) -> Option<InkBounds> {
    let mut bounds: Option<InkBounds> = None;
    for (i, c) in text.chars().enumerate() {
        let Some(rows) = glyph(c) else { continue };
        for (row, bits) in rows.iter().enumerate() {
            for bit in 0..8 {
                if bits >> bit & 1 == 1 {
                    let (x, y) = (i as u32 * 8 + bit, row as u32);
                    let b = bounds.get_or_insert(InkBounds {
                        left: x,
                        right: x,
                        top: y,
                        bottom: y,
                    });
                    b.left = b.left.min(x);
                    b.right = b.right.max(x);
                    b.top = b.top.min(y);
                    b.bottom = b.bottom.max(y);
                }
            }
        }
    }
    bounds
}

/// Greedy word wrap to lines of at most `width` characters; longer words are split.
fn wrap(text: &str, width: u32) -> Vec<String> {
    let width = width.max(1) as usize;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn encode(img: &RgbImage) -> image::ImageResult<Vec<u8>> {
    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Best, FilterType::Adaptive)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_on_spaces_and_splits_long_words() {
        assert_eq!(wrap("hello big world", 9), vec!["hello big", "world"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("  ", 4), Vec::<String>::new());
        assert_eq!(wrap("ab abcdefgh", 4), vec!["ab", "abcd", "efgh"]);
    }

    #[test]
    fn number_names_are_canonical_decimal_in_the_set() {
        assert_eq!(parse_number("0"), Some(0));
        assert_eq!(parse_number("99"), Some(99));
        for bad in ["", "00", "07", "100", "-1", "+1", "1e1", " 1", "９"] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn colours_are_names_or_six_hex_digits() {
        assert_eq!(parse_color("#ff0000"), Some(Rgb([255, 0, 0])));
        assert_eq!(parse_color("00FF00"), Some(Rgb([0, 255, 0])));
        assert_eq!(parse_color("White"), Some(Rgb([255, 255, 255])));
        for bad in ["", "#fff", "#gg0000", "../x", "#ff00001"] {
            assert_eq!(parse_color(bad), None, "{bad:?}");
        }
    }
}
