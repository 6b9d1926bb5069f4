//! The tile images: drawn on request, 173×173 PNG, well under the 80 KB MPNS allows, cached
//! sensibly, and refused clearly when a drawing parameter is wrong.

use crate::support::service as service_support;

use axum::http::StatusCode;
use image::{GenericImageView, Rgba};
use service_support::App;

const LIMIT: usize = 80 * 1024;

fn decode(png: &[u8]) -> image::DynamicImage {
    image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("a valid PNG")
}

fn count_pixels(img: &image::DynamicImage, colour: [u8; 3]) -> usize {
    img.pixels()
        .filter(|(_, _, Rgba([r, g, b, _]))| [*r, *g, *b] == colour)
        .count()
}

#[tokio::test]
async fn the_custom_image_is_a_173_square_png_with_the_text_in_its_colour() {
    let app = App::new();
    let reply = app
        .get("/images/custom.png?text=Game%20on%21&size=24&color=%23ff0000&background=white")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "image/png");
    assert_eq!(reply.header("cache-control"), "public, max-age=3600");
    assert_eq!(reply.header("x-content-type-options"), "nosniff");
    assert!(reply.body.len() < LIMIT, "{} bytes", reply.body.len());
    if let Ok(dir) = std::env::var("MPNS_IMAGE_DUMP") {
        std::fs::write(format!("{dir}/custom.png"), &reply.body).unwrap();
    }

    let img = decode(&reply.body);
    assert_eq!(img.dimensions(), (173, 173));
    let red = count_pixels(&img, [255, 0, 0]);
    let white = count_pixels(&img, [255, 255, 255]);
    assert!(red > 200, "the text is drawn in red ({red} pixels)");
    assert_eq!(red + white, 173 * 173, "only text and background colours");
    // The text is centred: as much red left of the middle as right of it, give or take a glyph.
    let left = img
        .pixels()
        .filter(|(x, _, Rgba([r, g, _, _]))| *x < 86 && *r == 255 && *g == 0)
        .count();
    assert!(left * 3 > red && left * 3 < red * 2, "left {left} of {red}");
}

#[tokio::test]
async fn the_largest_custom_image_is_well_under_80_kb() {
    let app = App::new();
    let text: String = "W#@%&M".repeat(10);
    for background in ["tile1", "tile2", "tile3", "%23123456"] {
        for size in [8, 20, 48] {
            let reply = app
                .get(&format!(
                    "/images/custom.png?text={}&size={size}&color=yellow&background={background}",
                    text.replace('%', "%25")
                        .replace('#', "%23")
                        .replace('&', "%26")
                ))
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{background} {size}");
            assert!(
                reply.body.len() < LIMIT / 4,
                "{background} {size}: {} bytes",
                reply.body.len()
            );
        }
    }
}

#[tokio::test]
async fn the_custom_image_has_defaults_for_every_parameter() {
    let app = App::new();
    let reply = app.get("/images/custom.png").await;
    assert_eq!(reply.status, StatusCode::OK);
    let img = decode(&reply.body);
    assert_eq!(img.dimensions(), (173, 173));
    // The default background is a vertical gradient: top and bottom rows differ.
    assert_ne!(img.get_pixel(0, 0), img.get_pixel(0, 172));

    let reply = app
        .get("/images/custom.png?text=Custom%20Tile%20by%20the%20server&size=20&background=tile3")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let img = decode(&reply.body);
    assert_ne!(img.get_pixel(0, 0), img.get_pixel(0, 172));
    assert!(
        count_pixels(&img, [255, 255, 255]) > 300,
        "white text by default"
    );
    if let Ok(dir) = std::env::var("MPNS_IMAGE_DUMP") {
        std::fs::write(format!("{dir}/custom-tile3.png"), &reply.body).unwrap();
    }
}

#[tokio::test]
async fn long_text_wraps_onto_several_lines() {
    let app = App::new();
    let one = decode(
        &app.get("/images/custom.png?text=HI&size=16&background=black")
            .await
            .body,
    );
    let many = decode(
        &app.get("/images/custom.png?text=HI%20HI%20HI%20HI%20HI%20HI%20HI%20HI&size=16&background=black")
            .await
            .body,
    );
    let rows_with_text = |img: &image::DynamicImage| {
        (0..173)
            .filter(|&y| (0..173).any(|x| img.get_pixel(x, y)[0] == 255))
            .count()
    };
    assert!(rows_with_text(&many) >= 2 * rows_with_text(&one));
}

#[tokio::test]
async fn wrong_drawing_parameters_are_refused_with_the_rule() {
    let app = App::new();
    let cases = [
        ("size=7", "size", "size \"7\" is not a whole number in range 8..=48"),
        ("size=49", "size", "size \"49\" is not a whole number in range 8..=48"),
        ("size=big", "size", "size \"big\" is not a whole number in range 8..=48"),
        ("color=%23ff00", "color", "color \"#ff00\" is not #rrggbb or one of: white, black, red, green, blue, yellow, orange, purple, magenta, cyan, lime, gray, brown"),
        ("text=%E2%9C%93", "text", "text contains U+2713, which the tile font cannot draw (it has printable ASCII and Latin-1)"),
    ];
    for (query, field, message) in cases {
        let reply = app.get(&format!("/images/custom.png?{query}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let body = reply.json();
        assert_eq!(body["error"]["field"], field, "{query}");
        assert_eq!(body["error"]["message"], message, "{query}");
    }
    let long = "x".repeat(61);
    let reply = app.get(&format!("/images/custom.png?text={long}")).await;
    assert_eq!(
        reply.json()["error"]["message"],
        "text is 61 characters long; the limit is 60"
    );
}

#[tokio::test]
async fn every_number_image_is_a_distinct_small_png() {
    let app = App::new();
    let mut seen = std::collections::HashSet::new();
    for n in 0..=99u8 {
        let reply = app.get(&format!("/images/numbers/{n}.png")).await;
        assert_eq!(reply.status, StatusCode::OK, "{n}");
        assert_eq!(reply.header("cache-control"), "public, max-age=86400");
        assert!(reply.body.len() < LIMIT, "{n}: {} bytes", reply.body.len());
        let img = decode(&reply.body);
        assert_eq!(img.dimensions(), (173, 173));
        assert!(
            count_pixels(&img, [255, 255, 255]) > 500,
            "{n} has a white number"
        );
        assert!(
            seen.insert(reply.body.clone()),
            "{n} looks like another number"
        );
        if n == 42 {
            if let Ok(dir) = std::env::var("MPNS_IMAGE_DUMP") {
                std::fs::write(format!("{dir}/number42.png"), &reply.body).unwrap();
            }
        }
    }
}

#[tokio::test]
async fn text_led_by_a_character_without_ink_is_still_centred() {
    // A soft hyphen (U+00AD) draws nothing; before the fix the line could not start left of the
    // tile, so the ink sat 54 px from the left edge and 44 px from the right (found by the
    // Custom Tile property).
    let app = App::new();
    let reply = app
        .get("/images/custom.png?text=%C2%AD.%C2%A7&size=43&color=%23ff0000&background=white")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let img = decode(&reply.body);
    let red: Vec<u32> = img
        .pixels()
        .filter(|(_, _, Rgba([r, g, _, _]))| *r == 255 && *g == 0)
        .map(|(x, _, _)| x)
        .collect();
    let (left, right) = (red.iter().min().unwrap(), 172 - red.iter().max().unwrap());
    assert!(
        left.abs_diff(right) <= 2,
        "{left} px left, {right} px right"
    );
}

#[tokio::test]
async fn a_block_whose_last_line_is_short_is_centred_on_its_own_ink() {
    // "!¡a'" at size 40 wraps to "!¡a" and "'": the block ends with the apostrophe's ink, not
    // where a full line would; before the fix it sat 44 px from the top and 64 px from the
    // bottom (found by the Custom Tile property).
    let app = App::new();
    let reply = app
        .get("/images/custom.png?text=%21%C2%A1a%27&size=40&color=%23ff0000&background=white")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let img = decode(&reply.body);
    let red: Vec<u32> = img
        .pixels()
        .filter(|(_, _, Rgba([r, g, _, _]))| *r == 255 && *g == 0)
        .map(|(_, y, _)| y)
        .collect();
    let (top, bottom) = (red.iter().min().unwrap(), 172 - red.iter().max().unwrap());
    assert!(
        top.abs_diff(bottom) <= 7,
        "{top} px above, {bottom} px below"
    );
}
