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

/// Microsoft's examples go through the fake WNS without a lint finding, and the emulated
/// Windows 10 device shows them: the sender and the fake agree on the same golden files.
#[tokio::test]
async fn the_golden_payloads_pass_the_fake_wns_and_show_on_its_device() {
    use mpns_harness::fake_wns::{ChannelRequest, Flow};
    use mpns_harness::windows::WindowsVersion;
    use mpns_harness::FakeWns;
    use wns::{Client, Credentials};

    let fake = FakeWns::start().await;
    let app = fake.register_app("contoso", Flow::Store).unwrap();
    fake.add_device("pc", WindowsVersion::Windows10).unwrap();
    let channel: wns::ChannelUri = fake
        .create_channel(&ChannelRequest::new("contoso", "pc"))
        .unwrap()
        .uri
        .parse()
        .unwrap();
    let client = Client::builder(
        Credentials::store(app.client_id, app.client_secret).with_token_url(app.token_url),
    )
    .allow_host(fake.addr().to_string())
    .build()
    .unwrap();
    let toast = Toast::new().text("Title").text("Body").build().unwrap();
    assert_eq!(
        toast.body().as_ref(),
        fixture("quickstart-toast.xml").as_slice()
    );
    let badge = Badge::glyph(Glyph::NewMessage).build().unwrap();
    for n in [&toast, &badge] {
        assert!(client.send(&channel, n).await.unwrap().is_received());
    }
    assert!(
        fake.records().iter().all(|r| r.lint.is_empty()),
        "{:?}",
        fake.records()
    );
    let text = fake.device("pc", |d, _| d.render_text()).unwrap();
    assert!(text.contains("[contoso] Title — Body"), "{text}");
    assert!(text.contains("contoso=newMessage"), "{text}");
}
