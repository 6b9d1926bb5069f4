//! The fake WNS's control API, https with its test CA and a public URL, and the standalone
//! binary.

use super::*;

#[tokio::test]
async fn the_control_api_sets_up_a_whole_scenario_in_json_and_refuses_other_content_types() {
    let fake = FakeWns::start().await;
    let base = fake.url().to_owned();
    let post =
        |path: &str, body: serde_json::Value| client().post(format!("{base}{path}")).json(&body);
    let app: AppCredentials = json(post(
        "/_fake/apps",
        serde_json::json!({"name": APP, "flow": "store"}),
    ))
    .await;
    assert_eq!(
        post(
            "/_fake/devices",
            serde_json::json!({"name": PC, "version": "windows10"})
        )
        .send()
        .await
        .unwrap()
        .status(),
        201
    );
    let ch: WnsChannel = json(post(
        "/_fake/channels",
        serde_json::json!({"app": APP, "device": PC, "token": "fixed%2btoken"}),
    ))
    .await;
    assert_eq!(ch.uri, format!("{base}/?token=fixed%2btoken"));
    let patch = client().patch(format!("{base}/_fake/devices/{PC}")).json(&serde_json::json!({"app": APP, "app_state": "foreground", "power": "battery_screen_off"})).send().await.unwrap();
    assert_eq!(patch.status(), 200);
    let t = bearer(&app).await;
    assert_eq!(send(&ch.uri, &t, "wns/tile", r#"<tile><visual><binding template="TileMedium"><text>Hi</text></binding></visual></tile>"#, &[]).await.0, 200);
    let device: serde_json::Value = json(client().get(format!("{base}/_fake/devices/{PC}"))).await;
    assert!(
        device["text"]
            .as_str()
            .unwrap()
            .contains("Held for power: 1"),
        "{device}"
    );
    let text_plain = client()
        .post(format!("{base}/_fake/apps"))
        .header("Content-Type", "text/plain")
        .body(r#"{"name":"x","flow":"store"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(text_plain.status(), 415);
    let array = client()
        .post(format!("{base}/_fake/faults"))
        .json(&serde_json::json!([{"status": 500}]))
        .send()
        .await
        .unwrap();
    assert_eq!(array.status(), 400);
    // serde would read a struct from an array by position: [503] as {"status": 503}.
    let by_position = client()
        .post(format!("{base}/_fake/faults"))
        .json(&serde_json::json!([503]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_position.status(), 400);
    let e: serde_json::Value = by_position.json().await.unwrap();
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("expected a JSON object"),
        "{e}"
    );
    let faults: Vec<serde_json::Value> = json(client().get(format!("{base}/_fake/faults"))).await;
    assert!(
        faults.is_empty(),
        "no fault rule came of the array: {faults:?}"
    );
    let unknown = client()
        .get(format!("{base}/_fake/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let e: serde_json::Value = unknown.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("/_fake/nothing"));
    let bad_setting = client()
        .patch(format!("{base}/_fake/settings"))
        .json(&serde_json::json!({"token_lifetime": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_setting.status(), 400);
    let advanced: serde_json::Value = json(post(
        "/_fake/clock/advance",
        serde_json::json!({"seconds": 90}),
    ))
    .await;
    assert_eq!(advanced["now_secs"], 90);
}

#[tokio::test]
async fn https_with_the_test_ca_and_a_public_url_in_the_uris() {
    let fake = FakeWns::builder()
        .https()
        .public_url("https://wns.example:8443")
        .start()
        .await
        .unwrap();
    let app = fake.register_app(APP, Flow::Store).unwrap();
    fake.add_device(PC, WindowsVersion::Windows11).unwrap();
    let ch = fake.create_channel(&ChannelRequest::new(APP, PC)).unwrap();
    assert!(ch.uri.starts_with("https://wns.example:8443/?token="));
    assert_eq!(app.token_url, "https://wns.example:8443/accesstoken.srf");
    // Reached at its bound address, trusting its CA.
    let ca = reqwest::Certificate::from_pem(fake.ca_pem().unwrap().as_bytes()).unwrap();
    let https = reqwest::Client::builder()
        .add_root_certificate(ca)
        .no_proxy()
        .build()
        .unwrap();
    let url = format!("https://127.0.0.1:{}/accesstoken.srf", fake.addr().port());
    assert_eq!(
        token_request(&https, &url, &app, ("scope", "notify.windows.com"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(FakeWns::builder()
        .public_url("https://wns.example/path")
        .start()
        .await
        .is_err());
}

#[tokio::test]
async fn the_fake_wns_binary_prints_its_address_serves_a_whole_send_and_exits_0_on_sigterm() {
    let dir = tempdir();
    let ca = dir.join("ca.pem");
    let (mut child, base) = crate::support::process::start_printing(
        env!("CARGO_BIN_EXE_fake-wns"),
        &[
            "--listen",
            "127.0.0.1:0",
            "--https",
            "--ca-out",
            ca.to_str().unwrap(),
            "--virtual-clock",
            "--seed",
            "1",
        ],
        "fake-wns listening on ",
        false,
    )
    .await;
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let pem = std::fs::read(&ca).expect("the CA was written before the first line");
    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .no_proxy()
        .build()
        .unwrap();
    let post =
        |path: &str, body: serde_json::Value| https.post(format!("{base}{path}")).json(&body);
    let app: AppCredentials = json(post(
        "/_fake/apps",
        serde_json::json!({"name": APP, "flow": "store"}),
    ))
    .await;
    post(
        "/_fake/devices",
        serde_json::json!({"name": PC, "version": "windows11"}),
    )
    .send()
    .await
    .unwrap();
    let ch: WnsChannel = json(post(
        "/_fake/channels",
        serde_json::json!({"app": APP, "device": PC}),
    ))
    .await;
    let tok: serde_json::Value = json(token_request(
        &https,
        &app.token_url,
        &app,
        ("scope", "notify.windows.com"),
    ))
    .await;
    let sent = https
        .post(&ch.uri)
        .header(
            "Authorization",
            format!("Bearer {}", tok["access_token"].as_str().unwrap()),
        )
        .header("Content-Type", "text/xml")
        .header("X-WNS-Type", "wns/toast")
        .body(TOAST)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let device: serde_json::Value = json(https.get(format!("{base}/_fake/devices/{PC}"))).await;
    assert!(device["text"].as_str().unwrap().contains("Ann — Lunch?"));
    let pid = child.id().unwrap().to_string();
    assert!(tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap()
        .success());
    let status = crate::support::wait::within("fake-wns to exit", child.wait())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_fake_wns_binary_refuses_a_bad_public_url_with_exit_code_2() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_fake-wns"))
        .args(["--listen", "127.0.0.1:0", "--public-url", "ftp://x"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--public-url"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tempdir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("fake-wns-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
