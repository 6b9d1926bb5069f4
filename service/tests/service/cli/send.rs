//! The `mpns` command as a user runs it: `mpns send` against a fake MPNS, its output, its exit
//! codes, and its refusals before anything is sent.

use std::process::Output;

use mpns_harness::fake::{ChannelOptions, DeviceUpdate};
use mpns_harness::FakeMpns;
use tokio::process::Command;

async fn mpns(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpns"))
        .args(args)
        .output()
        .await
        .expect("the mpns binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn a_delivered_toast_prints_the_answer_and_exits_zero() {
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let out = mpns(&[
        "send",
        "toast",
        "--channel",
        &ch.uri,
        "--text1",
        "A & B",
        "--param",
        "/P.xaml?a=1&b=2",
        "--message-id",
        "5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11",
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "200 notification=Received device=Connected subscription=Active message-id=5f0c2e2a-9a53-4bb7-9a3c-2f5d6b0f4a11\naction: delivered\n"
    );
    let got = fake.notifications(Some(ch.id)).unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].diagnostics.is_empty(), "{:?}", got[0].diagnostics);
    let content = serde_json::to_value(&*got[0].content.clone().unwrap()).unwrap();
    assert_eq!(content["text1"], "A & B");
    assert_eq!(content["param"], "/P.xaml?a=1&b=2");
}

#[tokio::test]
async fn json_output_carries_the_statuses_and_the_action() {
    let fake = FakeMpns::start().await;
    let ch = fake
        .create_channel(ChannelOptions {
            device_state: Some(DeviceUpdate {
                primary_tile_pinned: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        })
        .unwrap();
    let out = mpns(&[
        "send",
        "flip",
        "--channel",
        &ch.uri,
        "--title",
        "Oslo",
        "--count",
        "5",
        "--set",
        "widebackcontent=Rain",
        "--clear",
        "BackTitle",
        "--json",
    ])
    .await;
    assert_eq!(out.status.code(), Some(4), "suppressed: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["notification"], "Suppressed");
    assert_eq!(v["action"], "suppressed");
    let got = fake.notifications(Some(ch.id)).unwrap();
    let content = serde_json::to_value(&*got[0].content.clone().unwrap()).unwrap();
    assert_eq!(content["template"], "FlipTile");
    assert_eq!(
        content["properties"],
        serde_json::json!([["WideBackContent", {"set": "Rain"}], ["Count", {"set": "5"}], ["Title", {"set": "Oslo"}], ["BackTitle", "clear"]])
    );
}

#[tokio::test]
async fn an_expired_channel_exits_with_the_remove_channel_code() {
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    let gone = format!("{}x", ch.uri);
    let out = mpns(&["send", "raw", "--channel", &gone, "--data", "Update Info"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("action: remove_channel"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn invalid_messages_are_refused_before_anything_is_sent() {
    let fake = FakeMpns::start().await;
    let ch = fake.create_channel(ChannelOptions::default()).unwrap();
    for (args, says) in [
        (
            vec!["tile", "--count", "120"],
            "Count 120 is out of range 0..=99",
        ),
        (
            vec!["tile", "--set", "Foo=1"],
            "Tile has no element \"Foo\"; it takes BackgroundImage",
        ),
        (
            vec!["iconic", "--clear", "IconImage"],
            "IconicTile cannot clear IconImage",
        ),
        (
            vec![
                "toast", "--text1", "Hi", "--param", "/P.xaml", "--os", "7.0",
            ],
            "7.0",
        ),
        (
            vec!["cycle", "--set", "CycleImage1=http://x/a.png"],
            "CycleImage1",
        ),
    ] {
        let mut full = vec!["send"];
        full.push(args[0]);
        full.extend(["--channel", &ch.uri]);
        full.extend(&args[1..]);
        let out = mpns(&full).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    assert!(
        fake.notifications(Some(ch.id)).unwrap().is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn no_answer_is_a_transport_error_with_exit_code_one() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let uri = format!("http://127.0.0.1:{port}/throttledthirdparty/01.00/AAF");
    let out = mpns(&["send", "raw", "--channel", &uri, "--data", "x", "--json"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no answer from MPNS"),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert!(v["error"].as_str().unwrap().contains("refused"), "{v}");
}

#[tokio::test]
async fn help_lists_every_message_kind_with_an_example() {
    let out = mpns(&["send", "--help"]).await;
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for kind in ["toast", "tile", "flip", "iconic", "cycle", "raw"] {
        assert!(
            help.contains(&format!("Example: mpns send {kind} ")),
            "{kind}: {help}"
        );
    }
    assert!(help.contains("Exit codes"), "{help}");
}

#[tokio::test]
async fn ports_out_of_range_and_uris_http_cannot_carry_exit_2_before_anything_is_sent() {
    // Each of these once went out to port 80, or failed as a transport error (exit 1).
    let cases = [
        (
            "http://127.0.0.1:99999/throttledthirdparty/01.00/AAF",
            "port 99999 is out of range 1..=65535",
        ),
        (
            "http://127.0.0.1:65616/throttledthirdparty/01.00/AAF",
            "port 65616 is out of range 1..=65535",
        ),
        (
            "http://127.0.0.1:0/throttledthirdparty/01.00/AAF",
            "port 0 is out of range 1..=65535",
        ),
        (
            "http://127.0.0.1:/throttledthirdparty/01.00/AAF",
            "port \"\" is not a number in 1..=65535",
        ),
        (
            "http://[::1/throttledthirdparty/01.00/AAF",
            "is not a host and port HTTP can send to",
        ),
    ];
    for (uri, why) in cases {
        let out = mpns(&["send", "raw", "--channel", uri, "--data", "x"]).await;
        assert_eq!(out.status.code(), Some(2), "{uri}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{uri}: {}", stderr(&out));
        assert!(
            stdout(&out).is_empty(),
            "{uri}: nothing was sent: {}",
            stdout(&out)
        );
    }
}

#[tokio::test]
async fn a_timeout_out_of_range_exits_2_naming_the_range() {
    for timeout in ["18446744073709551615", "0", "86401"] {
        let out = mpns(&[
            "send",
            "raw",
            "--channel",
            "http://127.0.0.1:9/throttledthirdparty/01.00/AAF",
            "--data",
            "x",
            "--timeout",
            timeout,
        ])
        .await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "--timeout {timeout}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("--timeout"),
            "{timeout}: {}",
            stderr(&out)
        );
    }
}

#[tokio::test]
async fn a_body_file_larger_than_mpns_takes_is_refused_without_being_read_whole() {
    // /dev/zero never ends: reading it whole would never finish.
    let out = mpns(&[
        "send",
        "raw",
        "--channel",
        "http://127.0.0.1:9/throttledthirdparty/01.00/AAF",
        "--file",
        "/dev/zero",
    ])
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--file /dev/zero: the file is larger than the limit of 3072 bytes"),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("huge.pem");
    std::fs::write(&cert, vec![b'A'; 1024 * 1024 + 1]).unwrap();
    let out = mpns(&[
        "send",
        "raw",
        "--channel",
        "https://127.0.0.1:9/throttledthirdparty/01.00/AAF",
        "--data",
        "x",
        "--cert",
        cert.to_str().unwrap(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("larger than the limit of 1048576 bytes"),
        "{}",
        stderr(&out)
    );
}
