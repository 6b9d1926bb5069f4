//! `mpns` without a subcommand runs the sandbox: it prints the console's URL first, serves the
//! console and the service on that port, and exits with 0 on SIGTERM and SIGINT (after at
//! most --drain-deadline of draining; a second signal exits at once with 130).
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
    assert!(
        subscribers.contains("\"count\":4"),
        "three phones and the Windows PC: {subscribers}"
    );
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

type StderrLines = tokio::io::Lines<BufReader<tokio::process::ChildStderr>>;

/// Starts `mpns sandbox ARGS` (quiet, on a free port, in a fresh data folder) with stderr piped;
/// returns it, the console's `HOST:PORT`, its stderr lines and the data folder to keep alive.
async fn start_watching_stderr(args: &[&str]) -> (Child, String, StderrLines, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["sandbox", "--port", "0", "-q", "--data"])
        .arg(data.path())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the mpns binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    within(
        "the sandbox to print its console URL",
        stdout.read_line(&mut line),
    )
    .await
    .unwrap();
    let addr = line
        .strip_prefix("mpns sandbox console on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end()
        .trim_end_matches('/')
        .to_owned();
    let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    (child, addr, stderr, data)
}

/// Opens a connection and leaves a registration half-sent: its headers ask for 100-continue
/// and announce a 1000-byte body, and the server's `100 Continue` (sent once the handler reads
/// the body) proves the request is being served; then only 10 bytes of the body follow.
async fn hang_a_registration(addr: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = within(
        "a connection to the sandbox",
        tokio::net::TcpStream::connect(addr),
    )
    .await
    .unwrap();
    let head = format!(
        "POST /api/registrations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        let n = within("the sandbox to answer 100 Continue", stream.read(&mut byte))
            .await
            .unwrap();
        assert_eq!(n, 1, "the connection closed after {got:?}");
        got.push(byte[0]);
    }
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 100"), "not 100 Continue: {got:?}");
    stream.write_all(b"{\"user\":\"d").await.unwrap();
    stream
}

async fn send_signal(child: &Child, sig: &str) {
    let pid = child.id().expect("still running").to_string();
    let status = Command::new("kill")
        .args([sig, &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
}

/// Reads stderr lines until the sandbox says it is draining.
async fn wait_for_the_drain(stderr: &mut StderrLines) {
    within("the sandbox to say it is draining", async {
        loop {
            let line = stderr.next_line().await.unwrap();
            let line = line.unwrap_or_else(|| panic!("stderr closed before the drain line"));
            if line.contains("mpns sandbox: stopping") {
                return;
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_half_sent_request_holds_sigterm_only_until_the_drain_deadline_then_the_sandbox_exits_0()
{
    let (mut child, addr, mut stderr, _data) =
        start_watching_stderr(&["--drain-deadline", "1"]).await;
    let _hung = hang_a_registration(&addr).await;
    send_signal(&child, "-TERM").await;
    wait_for_the_drain(&mut stderr).await;
    let started = std::time::Instant::now();
    let status = within("the sandbox to exit after the drain deadline", child.wait())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(status.code(), Some(0));
    assert!(
        took >= Duration::from_millis(800),
        "exited after {took:?}: the half-sent request was not waited for"
    );
    assert!(
        took < Duration::from_secs(4),
        "took {took:?} with --drain-deadline 1"
    );
}

#[tokio::test]
async fn a_second_signal_during_the_sandbox_drain_exits_at_once_with_code_130() {
    let (mut child, addr, mut stderr, _data) = start_watching_stderr(&[]).await;
    let _hung = hang_a_registration(&addr).await;
    send_signal(&child, "-TERM").await;
    wait_for_the_drain(&mut stderr).await;
    let started = std::time::Instant::now();
    send_signal(&child, "-TERM").await;
    let status = within("the sandbox to exit on the second signal", child.wait())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(status.code(), Some(130));
    assert!(
        took < Duration::from_secs(2),
        "took {took:?} though the default drain deadline is 10 s"
    );
}

/// Beyond loopback without a token the sandbox does not start: exit code 2 and a message that
/// names both ways out (nothing is bound: the refusal comes before the listener).
#[tokio::test]
async fn a_public_listen_address_without_a_token_exits_2() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["sandbox", "--listen", "0.0.0.0", "--port", "0", "--data"])
        .arg(data.path())
        .env("RUST_LOG", "off")
        .env_remove("MPNS_OPERATOR_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot listen on 0.0.0.0:0"), "{stderr}");
    assert!(stderr.contains("--operator-token"), "{stderr}");
    assert!(stderr.contains("--insecure-no-operator-auth"), "{stderr}");
    assert!(!stderr.contains("pick another --port"), "{stderr}");
}

/// Raw HTTP/1.1 on a fresh connection: the status and whether `WWW-Authenticate` came.
async fn status_with(addr: &str, path: &str, headers: &str) -> (u16, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    within("an answer", stream.read_to_end(&mut answer))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    (status, text.contains("www-authenticate: bearer"))
}

/// The token from --operator-token-file (and from MPNS_OPERATOR_TOKEN) guards the operator's
/// routes of the running binary; the phones' routes and the console page stay open.
#[tokio::test]
async fn the_operator_token_from_a_file_or_the_environment_guards_the_operator_routes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "file-token-1\n").unwrap();
    let file = file.to_str().unwrap().to_owned();
    for (args, env_token, token) in [
        (vec!["--operator-token-file", &*file], None, "file-token-1"),
        (vec![], Some("env-token-2"), "env-token-2"),
    ] {
        let data = tempfile::tempdir().unwrap();
        let mut command = Command::new(BIN);
        command
            .args(["sandbox", "--port", "0", "-q", "--data"])
            .arg(data.path())
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        match env_token {
            Some(t) => command.env("MPNS_OPERATOR_TOKEN", t),
            None => command.env_remove("MPNS_OPERATOR_TOKEN"),
        };
        let mut child = command.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        within("the console URL", stdout.read_line(&mut line))
            .await
            .unwrap();
        let addr = line
            .trim_end()
            .trim_start_matches("mpns sandbox console on http://")
            .trim_end_matches('/')
            .to_owned();
        let bearer = format!("Authorization: Bearer {token}\r\n");
        assert_eq!(
            status_with(&addr, "/api/subscribers", "").await,
            (401, true)
        );
        assert_eq!(
            status_with(
                &addr,
                "/console/api/state",
                "Authorization: Bearer nope\r\n"
            )
            .await,
            (401, true)
        );
        assert_eq!(status_with(&addr, "/api/subscribers", &bearer).await.0, 200);
        assert_eq!(
            status_with(&addr, "/console/api/state", &bearer).await.0,
            200
        );
        let events = format!("/console/api/events?access_token={token}");
        assert_eq!(status_with(&addr, "/api/server-info", "").await.0, 200);
        assert_eq!(status_with(&addr, "/", "").await.0, 200);
        // The event stream takes the token in its query (EventSource sends no headers): its
        // answer is a stream, so only the head is read here.
        {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let request = format!("GET {events} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut head = [0u8; 12];
            within("the event stream's head", stream.read_exact(&mut head))
                .await
                .unwrap();
            assert_eq!(&head, b"HTTP/1.1 200");
        }
        assert_eq!(signal_and_wait(child, "-TERM").await, Some(0));
    }
}

/// --header-timeout reaches the listener: a connection that sends nothing is closed after
/// about the second it was given.
#[tokio::test]
async fn header_timeout_flag_closes_a_silent_connection() {
    use tokio::io::AsyncReadExt;
    let (child, addr, _stderr, _data) = start_watching_stderr(&["--header-timeout", "1"]).await;
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 64];
    let n = within(
        "the server to close a silent connection",
        stream.read(&mut buf),
    )
    .await
    .unwrap_or(0);
    let closed = started.elapsed();
    println!("mpns sandbox --header-timeout 1: silent connection closed after {closed:?}");
    assert_eq!(n, 0);
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
    assert!(closed < Duration::from_secs(3), "{closed:?}");
    assert_eq!(signal_and_wait(child, "-TERM").await, Some(0));
}

/// Starts the sandbox and reads its banner: the console URL and the fake MPNS's URL.
async fn start_with_fake(args: &[&str]) -> (Child, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the mpns binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut console, mut fake) = (None, None);
    while fake.is_none() {
        let mut line = String::new();
        within("the sandbox's banner", stdout.read_line(&mut line))
            .await
            .unwrap();
        assert!(!line.is_empty(), "the banner ended early");
        if let Some(url) = line.strip_prefix("mpns sandbox console on ") {
            console = Some(url.trim_end().to_owned());
        }
        if let Some(url) = line.trim().strip_prefix("fake MPNS:") {
            fake = Some(url.trim().trim_end_matches("/_fake/").to_owned());
        }
    }
    (
        child,
        console.expect("the console line first"),
        fake.unwrap(),
    )
}

async fn json_request(method: reqwest::Method, url: &str, body: &str) -> serde_json::Value {
    let r = reqwest::Client::new()
        .request(method, url)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn after_a_restart_on_the_same_data_nothing_is_sent_to_the_old_fakes_port() {
    let data = tempfile::tempdir().unwrap();
    let data_arg = data.path().to_str().unwrap();
    let args = ["--port", "0", "--data", data_arg, "-q"];
    let (first, url, old_fake) = start_with_fake(&args).await;
    for i in 0..20 {
        let channel = json_request(
            reqwest::Method::POST,
            &format!("{old_fake}/_fake/channels"),
            "{}",
        )
        .await;
        let body = serde_json::json!({
            "user_name": format!("extra{i:02}"),
            "channel_uri": channel["uri"],
            "os_version": "8.0",
        });
        json_request(
            reqwest::Method::POST,
            &format!("{url}api/registrations"),
            &body.to_string(),
        )
        .await;
    }
    assert_eq!(signal_and_wait(first, "-TERM").await, Some(0));

    let (second, url, new_fake) = start_with_fake(&args).await;
    assert_ne!(old_fake, new_fake, "each start has a fake on a new port");
    let subscribers = reqwest::get(format!("{url}api/subscribers"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        subscribers.contains("\"count\":4"),
        "only the three phones and the Windows PC, registered again on the new fakes: {subscribers}"
    );
    let sent = json_request(
        reqwest::Method::POST,
        &format!("{url}api/patterns/one-time/send"),
        r#"{"tile": false, "raw": false}"#,
    )
    .await;
    assert_eq!(sent["subscribers"], 4);
    let batches = format!("{url}api/batches?limit=1");
    within("the send to finish", async {
        loop {
            let b = json_request(reqwest::Method::GET, &batches, "").await;
            let b = &b["batches"][0];
            if b["queued"] == 0 && b["in_flight"] == 0 && b["waiting"] == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let log = json_request(
        reqwest::Method::GET,
        &format!("{url}api/status-log?limit=1000"),
        "",
    )
    .await;
    let old_host = old_fake.trim_start_matches("http://");
    let rows = log["entries"].as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let channel = row["channel_uri"].as_str().unwrap();
        assert!(
            !channel.contains(old_host),
            "a send went to the old fake's port: {row}"
        );
    }
    assert_eq!(signal_and_wait(second, "-TERM").await, Some(0));
}
