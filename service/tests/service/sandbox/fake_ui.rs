//! The fake MPNS's web view (`/_fake/ui`) in a real browser (see `support::browser`), on a
//! `FakeMpns` started in this process: one browser session proves that notifications appear
//! live with their headers, lint and drawing, that a hostile payload is shown as text, that
//! fault rules added and removed in the page change what the next send gets, and that device
//! state follows the event stream.

use fantoccini::{Client, Locator};
use mpns_harness::fake::{ChannelOptions, Connection, DeviceId, DeviceUpdate};
use mpns_harness::FakeMpns;
use serde_json::json;

use crate::support::browser::{browser_on, click, type_text, wait_for, wait_until_js};

/// POSTs `body` to the channel URI as a sender would; the status the fake answered.
async fn send(
    uri: &str,
    target: Option<&str>,
    class: u8,
    headers: &[(&str, &str)],
    body: &str,
) -> u16 {
    let mut req = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(uri)
        .header("X-NotificationClass", class.to_string());
    if let Some(t) = target {
        req = req.header("X-WindowsPhone-Target", t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The text the page shows in the element at `css`.
async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

const TOAST: &str = r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Storm</wp:Text1><wp:Text2>at 5 pm</wp:Text2></wp:Toast></wp:Notification>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_mpns_web_view_shows_notifications_live_as_text_and_drives_fault_rules() {
    let fake = FakeMpns::start().await;
    let channel = fake
        .create_channel(ChannelOptions {
            device: Some(DeviceId::from("lumia-920")),
            app: Some("Weather".into()),
            ..Default::default()
        })
        .unwrap();
    let id = channel.id;
    // `/` leads to the page.
    let Some(b) = browser_on(&format!("{}/", fake.uri())).await else {
        return;
    };
    let c = &b.client;
    wait_for(c, "//span[@id='conn' and normalize-space(.)='live']").await;
    wait_for(
        c,
        &format!("//ul[@id='channels']//button[@data-channel='{id}' and contains(., 'Connected')]"),
    )
    .await;
    click(c, &format!("#channels button[data-channel='{id}']")).await;
    wait_for(
        c,
        "//h2[@id='channel-title' and contains(., 'Weather on lumia-920')]",
    )
    .await;
    wait_for(
        c,
        "//p[@id='notes-note' and .='Nothing sent to this channel yet.']",
    )
    .await;
    // Marks this page load: a reload would lose it.
    c.execute("window.loadMark = 'still here';", vec![])
        .await
        .unwrap();

    // A toast whose Content-Type names no charset (a lint diagnostic) and a header value that
    // would be markup, sent while the page is open, appears without a reload.
    let evil_header = r#"<img src=x onerror="window.pwned=1">"#;
    let status = send(
        &channel.uri,
        Some("toast"),
        2,
        &[("Content-Type", "text/xml"), ("X-Evil", evil_header)],
        TOAST,
    )
    .await;
    assert_eq!(status, 200);
    let seq = fake.notifications(Some(id)).unwrap()[0].seq;
    let note = format!("#note-{seq}");
    wait_for(c, &format!("//article[@id='note-{seq}']//span[@class='answer' and .='200 Received Connected Active']")).await;
    wait_for(
        c,
        &format!(
            "//article[@id='note-{seq}']//table//tr[td[1]='x-evil' and td[2]='{evil_header}']"
        ),
    )
    .await;
    wait_for(
        c,
        &format!(
            "//article[@id='note-{seq}']//ul[@class='lint']/li[contains(., 'names no charset')]"
        ),
    )
    .await;
    // The payload indented, one element a line.
    wait_until_js(c, &format!("document.querySelector('{note} pre.xml')?.textContent.includes('\\n    <wp:Text1>Storm</wp:Text1>')")).await;
    // The toast drawn by the phone's renderer, loaded as an image.
    wait_until_js(
        c,
        &format!("document.querySelector('{note} .screen img')?.naturalWidth === 760"),
    )
    .await;
    assert_eq!(
        c.execute("return window.loadMark;", vec![]).await.unwrap(),
        json!("still here"),
        "the notification arrived without a reload"
    );

    // A raw payload that is markup and script is shown as text, byte for byte in hex, and runs
    // nothing.
    let hostile =
        r#"<script>window.pwned='script'</script><img src=x onerror="window.pwned='img'">"#;
    assert_eq!(send(&channel.uri, None, 3, &[], hostile).await, 200);
    let raw_seq = fake.notifications(Some(id)).unwrap()[1].seq;
    let raw = format!("#note-{raw_seq}");
    wait_until_js(
        c,
        &format!(
            "document.querySelector('{raw} pre.text')?.textContent === {}",
            json!(hostile)
        ),
    )
    .await;
    wait_until_js(c, &format!("document.querySelector('{raw} pre.hex')?.textContent.startsWith('00000000  3c 73 63 72 69 70 74 3e')")).await;
    wait_for(
        c,
        &format!("//article[@id='note-{raw_seq}']//p[contains(., 'is raw')]"),
    )
    .await;
    let ran = c
        .execute(
            "return [window.pwned === undefined, document.scripts.length, \
             document.querySelectorAll('#notes img:not([src^=\"blob:\"])').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        ran,
        json!([true, 1, 0]),
        "no payload or header became markup"
    );
    // Newest first.
    assert_eq!(
        c.execute("return [...document.querySelectorAll('#notes article')].map(a => Number(a.dataset.seq));", vec![]).await.unwrap(),
        json!([raw_seq, seq])
    );

    // A fault rule added in the page answers the next send; removing it restores 200.
    let rule_json = format!(r#"{{"action": "status_503", "channel": {id}}}"#);
    type_text(c, "#fault-json", &rule_json).await;
    click(c, "#fault-form button[type=submit]").await;
    wait_for(
        c,
        "//p[@id='status' and starts-with(., 'Added fault rule')]",
    )
    .await;
    wait_for(c, &format!("//ul[@id='faults']/li[contains(., 'status_503') and contains(., 'channel {id}') and contains(., 'every request')]")).await;
    let toast = || {
        send(
            &channel.uri,
            Some("toast"),
            2,
            &[("Content-Type", "text/xml; charset=utf-8")],
            TOAST,
        )
    };
    assert_eq!(toast().await, 503);
    wait_for(
        c,
        "//article[@data-status='503']//span[@class='answer' and .='503']",
    )
    .await;
    wait_for(c, "//ul[@id='faults']/li[contains(., 'applied 1')]").await;
    // The list was drawn anew when the rule applied: its button is found again.
    click(c, "#faults li button[data-fault]").await;
    wait_for(
        c,
        "//p[@id='status' and starts-with(., 'Removed fault rule')]",
    )
    .await;
    wait_for(c, "//ul[@id='faults' and not(li)]").await;
    assert_eq!(toast().await, 200);
    assert!(fake.faults().is_empty());

    // A rule the API refuses is refused with its words; Clear all empties the list.
    type_text(c, "#fault-json", r#"{"action": "explode"}"#).await;
    click(c, "#fault-form button[type=submit]").await;
    wait_for(
        c,
        "//p[@id='status' and contains(., 'refused the rule') and contains(., 'unknown variant')]",
    )
    .await;
    type_text(
        c,
        "#fault-json",
        r#"{"action": "drop_connection", "count": 2}"#,
    )
    .await;
    click(c, "#fault-form button[type=submit]").await;
    wait_for(c, "//ul[@id='faults']/li[contains(., 'drop_connection')]").await;
    click(c, "#faults-clear").await;
    wait_for(c, "//p[@id='status' and .='Cleared every fault rule.']").await;
    wait_for(c, "//ul[@id='faults' and not(li)]").await;
    assert!(fake.faults().is_empty());

    // Delivery and device state follow the event stream: the toast reached the connected
    // device at once (the fake announces that before the notification itself).
    wait_for(
        c,
        &format!("//article[@id='note-{seq}']//dd[@data-field='delivery' and starts-with(., 'delivered at')]"),
    )
    .await;
    fake.update_device(id, &DeviceUpdate::connection(Connection::TempDisconnected))
        .unwrap();
    wait_for(
        c,
        "//dl[@id='device']/dd[@data-field='connection' and .='TempDisconnected']",
    )
    .await;
    assert!(text(c, &format!("#channels button[data-channel='{id}']"))
        .await
        .contains("TempDisconnected"));

    b.finish("fake-mpns-web-view.png").await;
}
