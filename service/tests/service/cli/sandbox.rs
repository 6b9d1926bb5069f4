//! `mpns` without a subcommand runs the sandbox: it prints the console's URL first, serves the
//! console and the service on that port, and exits with 0 on SIGTERM and SIGINT.
#![cfg(unix)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::within;

const BIN: &str = env!("CARGO_BIN_EXE_mpns");

/// Starts `mpns ARGS` and returns it with the console URL read from its first line.
async fn start(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the mpns binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(stdout);
    within(
        "the sandbox to print its console URL",
        stdout.read_line(&mut line),
    )
    .await
    .unwrap();
    let url = line
        .strip_prefix("mpns sandbox console on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        !url.starts_with("http://127.0.0.1:0/"),
        "port 0 is replaced by the bound port"
    );
    (child, url)
}

async fn signal_and_wait(mut child: Child, sig: &str) -> Option<i32> {
    let pid = child.id().expect("still running").to_string();
    let status = Command::new("kill")
        .args([sig, &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the sandbox exits within 20 s of the signal")
        .unwrap()
        .code()
}

#[tokio::test]
async fn mpns_without_a_subcommand_serves_the_console_and_exits_cleanly_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().to_str().unwrap();
    let (child, url) = start(&["--port", "0", "--data", data_arg, "-q"]).await;
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>MPNS sandbox</title>"), "{html}");
    let subscribers = reqwest::get(format!("{url}api/subscribers"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(subscribers.contains("\"count\":3"), "{subscribers}");
    assert_eq!(signal_and_wait(child, "-TERM").await, Some(0));
    assert!(data.path().join(mpns_service::sandbox::DB_FILE).is_file());
}

#[tokio::test]
async fn mpns_sandbox_exits_cleanly_on_sigint() {
    let data = tempfile::tempdir().unwrap();
    let (child, _url) = start(&[
        "sandbox",
        "--port",
        "0",
        "--data",
        data.path().to_str().unwrap(),
    ])
    .await;
    assert_eq!(signal_and_wait(child, "-INT").await, Some(0));
}

#[tokio::test]
async fn a_taken_port_is_a_clear_error_with_exit_code_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "sandbox",
            "--port",
            &port,
            "--data",
            data.path().to_str().unwrap(),
        ])
        .env("RUST_LOG", "off")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")) && stderr.contains("--port"),
        "{stderr}"
    );
}
