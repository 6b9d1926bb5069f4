//! `mpns send wns-*` as a user runs it: against the harness's fake WNS over https (its test CA
//! trusted with --root-ca), credentials from the environment, the typed outcome printed and the
//! exit code by action.

use std::process::Output;

use mpns_harness::fake_wns::{ChannelRequest, Flow, WnsFault};
use mpns_harness::windows::WindowsVersion;
use mpns_harness::FakeWns;
use tokio::process::Command;

struct Fake {
    fake: FakeWns,
    channel: String,
    client_id: String,
    client_secret: String,
    token_url: String,
    ca: tempfile::NamedTempFile,
}

async fn fake() -> Fake {
    let fake = FakeWns::builder().https().start().await.unwrap();
    let app = fake.register_app("contoso.chat", Flow::Store).unwrap();
    fake.add_device("ann-pc", WindowsVersion::Windows11)
        .unwrap();
    let channel = fake
        .create_channel(&ChannelRequest::new("contoso.chat", "ann-pc"))
        .unwrap();
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), fake.ca_pem().unwrap()).unwrap();
    Fake {
        channel: channel.uri,
        client_id: app.client_id,
        client_secret: app.client_secret,
        token_url: app.token_url,
        fake,
        ca,
    }
}

/// `mpns send KIND --channel ... ARGS` against the fake, the credentials in the environment.
async fn send(f: &Fake, kind: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpns"))
        .args(["send", kind, "--channel", &f.channel])
        .args(["--token-url", &f.token_url])
        .args(["--allow-host", &f.fake.addr().to_string()])
        .arg("--root-ca")
        .arg(f.ca.path())
        .args(args)
        .env("WNS_CLIENT_ID", &f.client_id)
        .env("WNS_CLIENT_SECRET", &f.client_secret)
        .output()
        .await
        .expect("the mpns binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn wns_toast_and_badge_reach_the_fakes_windows_device_and_exit_zero() {
    let f = fake().await;
    let out = send(&f, "wns-toast", &["--text", "Ann", "--text", "Lunch at 1?"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("200 notification=received device=- message-id="),
        "{stdout}"
    );
    assert!(stdout.ends_with("action: done\n"), "{stdout}");
    assert!(!stdout.contains(&f.client_secret) && !text(&out.stderr).contains(&f.client_secret));

    let out = send(&f, "wns-badge", &["--number", "3", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], 200);
    assert_eq!(json["action"], "done");

    let shown = f.fake.device("ann-pc", |d, _| d.render_text()).unwrap();
    assert!(
        shown.contains("[contoso.chat] Ann — Lunch at 1?"),
        "{shown}"
    );
    assert!(shown.contains("Badges: contoso.chat=3"), "{shown}");
    assert!(f.fake.records().iter().all(|r| r.lint.is_empty()));
}

#[tokio::test]
async fn wns_answers_choose_the_exit_code_and_bad_input_is_refused_before_sending() {
    let f = fake().await;
    f.fake
        .add_fault(WnsFault {
            status: 503,
            times: 1,
            channel: None,
            retry_after_secs: Some(30),
            description: None,
        })
        .unwrap();
    let out = send(&f, "wns-raw", &["--data", "sync:42"]).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "back off: {}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("action: back off (not before 30 s)"));

    f.fake
        .add_fault(WnsFault {
            status: 410,
            times: 1,
            channel: None,
            retry_after_secs: None,
            description: None,
        })
        .unwrap();
    let out = send(&f, "wns-tile", &["--text", "Oslo"]).await;
    assert_eq!(out.status.code(), Some(5), "forget: {}", text(&out.stdout));
    assert!(text(&out.stdout).contains("action: forget the channel"));

    let sent = f.fake.records().len();
    let out = send(&f, "wns-badge", &["--number", "3", "--glyph", "alert"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_mpns"))
        .args(["send", "wns-toast", "--channel", &f.channel, "--text", "x"])
        .env_remove("WNS_CLIENT_ID")
        .env_remove("WNS_CLIENT_SECRET")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("give --client-id or set WNS_CLIENT_ID"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(f.fake.records().len(), sent, "nothing was sent");
}
