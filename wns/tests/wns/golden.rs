//! Microsoft's documented payloads (fixtures/wns/), byte for byte from the builders.

use wns::{Badge, Glyph, Toast};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/wns/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_quickstart_toast_is_what_the_builder_writes() {
    let toast = Toast::new().text("Title").text("Body").build().unwrap();
    assert_eq!(
        toast.body().as_ref(),
        fixture("quickstart-toast.xml").as_slice()
    );
}

#[test]
fn the_badge_page_glyph_is_what_the_builder_writes() {
    let badge = Badge::glyph(Glyph::NewMessage).build().unwrap();
    assert_eq!(badge.body().as_ref(), fixture("badge-glyph.xml").as_slice());
}
