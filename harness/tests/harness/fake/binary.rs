//! The standalone `fake-mpns` binary: its first line, that it serves, `--help`, and a clean
//! exit on SIGTERM and SIGINT; a half-sent request holds the exit only until
//! --drain-deadline, and a second signal exits at once.

use std::process::Stdio;

use crate::support::client::{client, json};
use crate::support::process::start_printing;
use crate::support::requests::*;
use crate::support::wait::within;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_fake-mpns");

/// Starts the binary and returns it with the base URI read from its first line.
pub(crate) async fn start(args: &[&str]) -> (Child, String) {
    let (child, uri) = start_printing(BIN, args, "fake-mpns listening on ", false).await;
    let port: u16 = uri
        .strip_prefix("http://127.0.0.1:")
        .expect("http://127.0.0.1:PORT")
        .parse()
        .expect("a port number");
    assert_ne!(port, 0, "port 0 is replaced by the bound port");
    (child, uri)
}

async fn signal(child: &Child, sig: &str) {
    let pid = child.id().expect("still running").to_string();
    let status = Command::new("kill")
        .args([sig, &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn the_binary_prints_its_address_serves_and_exits_cleanly_on_sigterm() {
    let (mut child, uri) = start(&["--listen", "127.0.0.1:0", "--daily-limit", "1"]).await;
    let c = client();
    let created: serde_json::Value = json(
        c.post(format!("{uri}/_fake/channels"))
            .header("x-requested-with", "test"),
    )
    .await;
    let channel = created["uri"].as_str().unwrap();
    assert_eq!(send(toast(&c, channel, 2)).await.status, 200);
    assert_eq!(
        send(toast(&c, channel, 2)).await.status,
        406,
        "--daily-limit 1"
    );
    // The web view is the binary's too: `/` leads to it, and it draws the accepted toast.
    let page = c.get(format!("{uri}/")).send().await.unwrap();
    assert_eq!(page.url().path(), "/_fake/ui");
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("<title>fake MPNS</title>"));
    let id = created["id"].as_u64().unwrap();
    let first: Vec<serde_json::Value> =
        json(c.get(format!("{uri}/_fake/channels/{id}/notifications"))).await;
    let drawn = c
        .get(format!(
            "{uri}/_fake/channels/{id}/notifications/{}/render",
            first[0]["seq"]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(drawn.status().as_u16(), 200);
    assert!(drawn.text().await.unwrap().starts_with("<svg "));
    signal(&child, "-TERM").await;
    let status = within("fake-mpns to exit on SIGTERM", child.wait())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn the_binary_exits_cleanly_on_sigint() {
    let (mut child, _uri) = start(&["--strict", "--seed", "3", "--queue-capacity", "1"]).await;
    signal(&child, "-INT").await;
    let status = within("fake-mpns to exit on SIGINT", child.wait())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn help_documents_every_flag_with_an_example() {
    let out = Command::new(BIN).arg("--help").output().await.unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--listen",
        "--strict",
        "--seed",
        "--queue-capacity",
        "--daily-limit",
        "--virtual-clock",
        "--allow-authenticated-over-http",
        "--tls-cert",
        "--tls-key",
        "--tls-client-ca",
        "--tls-listen",
        "--drain-deadline",
        "--public-url",
        "--public-tls-url",
        "--control-listen",
        "--scenario",
    ] {
        let at = help
            .find(&format!("{flag} "))
            .or_else(|| help.find(&format!("{flag}\n")))
            .unwrap_or_else(|| panic!("{flag} missing from --help:\n{help}"));
        let rest = &help[at..];
        let section = rest[2..].find("\n  -").map_or(rest, |end| &rest[..end + 2]);
        assert!(
            section.contains(&format!("Example: {flag}")),
            "{flag} has no example:\n{section}"
        );
    }
}

#[tokio::test]
async fn a_busy_address_is_a_clear_error_and_exit_code_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["--listen", &addr])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot start on"), "{err}");
    assert!(err.contains(&addr), "{err}");
}

#[tokio::test]
async fn a_missing_tls_file_is_a_clear_error_and_exit_code_2() {
    let out = Command::new(BIN)
        .args([
            "--tls-cert",
            "/nonexistent/cert.pem",
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/cert.pem"), "{err}");
}

/// Starts the binary with stderr piped and returns it, its address and its stderr lines.
async fn start_watching_stderr(
    args: &[&str],
) -> (
    Child,
    String,
    tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
) {
    let (mut child, addr) = start_printing(BIN, args, "fake-mpns listening on http://", true).await;
    let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    (child, addr, stderr)
}

/// Opens a connection and leaves a request half-sent: its headers ask for 100-continue and
/// announce a 1000-byte body, and the server's `100 Continue` (sent once the handler reads the
/// body) proves the request is being served; then only 10 bytes of the body follow.
async fn hang_a_request(addr: &str, path: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = within(
        "a connection to fake-mpns",
        tokio::net::TcpStream::connect(addr),
    )
    .await
    .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        let n = within("fake-mpns to answer 100 Continue", stream.read(&mut byte))
            .await
            .unwrap();
        assert_eq!(n, 1, "the connection closed after {got:?}");
        got.push(byte[0]);
    }
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 100"), "not 100 Continue: {got:?}");
    stream.write_all(b"{\"action\":").await.unwrap();
    stream
}

/// Reads stderr lines until one contains `needle`.
async fn wait_for_stderr(
    stderr: &mut tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    what: &str,
    needle: &str,
) {
    within(what, async {
        loop {
            let line = stderr.next_line().await.unwrap();
            let line = line.unwrap_or_else(|| panic!("stderr closed before {needle:?}"));
            if line.contains(needle) {
                return;
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_half_sent_request_holds_sigterm_only_until_the_drain_deadline_then_the_binary_exits_0() {
    let (mut child, addr, mut stderr) = start_watching_stderr(&["--drain-deadline", "1"]).await;
    let _hung = hang_a_request(&addr, "/_fake/faults").await;
    signal(&child, "-TERM").await;
    wait_for_stderr(&mut stderr, "fake-mpns to start draining", "stopping").await;
    let started = std::time::Instant::now();
    let status = within("fake-mpns to exit after the drain deadline", child.wait())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(status.code(), Some(0));
    assert!(
        took >= std::time::Duration::from_millis(800),
        "exited after {took:?}: the half-sent request was not waited for"
    );
    assert!(
        took < std::time::Duration::from_secs(4),
        "took {took:?} with --drain-deadline 1"
    );
}

#[tokio::test]
async fn a_second_signal_during_the_drain_exits_at_once_with_code_130() {
    let (mut child, addr, mut stderr) = start_watching_stderr(&[]).await;
    let _hung = hang_a_request(&addr, "/_fake/faults").await;
    signal(&child, "-TERM").await;
    wait_for_stderr(&mut stderr, "fake-mpns to start draining", "stopping").await;
    let started = std::time::Instant::now();
    signal(&child, "-INT").await;
    let status = within("fake-mpns to exit on the second signal", child.wait())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(status.code(), Some(130));
    assert!(
        took < std::time::Duration::from_secs(2),
        "took {took:?} though the default drain deadline is 10 s"
    );
}

/// Issue 14, finding 6: the binary takes the caps on the command line: past --max-channels a
/// new channel gets 507; --log-bytes bounds the records (dropped ones counted in a header).
#[tokio::test]
async fn max_channels_and_log_bytes_are_taken_from_the_command_line() {
    let (mut child, uri) = start(&["--max-channels", "1", "--log-bytes", "20000"]).await;
    let c = client();
    let created = c
        .post(format!("{uri}/_fake/channels"))
        .header("X-Requested-With", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let refused = c
        .post(format!("{uri}/_fake/channels"))
        .header("X-Requested-With", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 507);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("maximum of 1 channels"),
        "{body}"
    );
    // Refused requests of about 2.5 KB each (a 2 KB path kept): 20 of them pass 20 000 bytes.
    let unknown = format!("{uri}/throttledthirdparty/01.00/{}", "n".repeat(2400));
    for _ in 0..20 {
        assert_eq!(send(toast(&c, &unknown, 2)).await.status, 400);
    }
    let listed = c
        .get(format!("{uri}/_fake/notifications"))
        .send()
        .await
        .unwrap();
    let dropped: u64 = listed.headers()["x-fake-records-dropped"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let kept = listed.json::<Vec<serde_json::Value>>().await.unwrap().len() as u64;
    assert!(dropped > 0, "{kept} kept");
    assert_eq!(kept + dropped, 20);
    signal(&child, "-TERM").await;
    within("fake-mpns to exit on SIGTERM", child.wait())
        .await
        .unwrap();
}

/// Starts the binary and returns it with every stdout line that starts with `fake-mpns `
/// (the listening lines), read until `lines` of them came.
async fn start_with_lines(args: &[&str], lines: usize) -> (Child, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the fake-mpns binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut got = Vec::new();
    while got.len() < lines {
        let line = within("fake-mpns to print its addresses", stdout.next_line())
            .await
            .unwrap()
            .expect("a line on stdout");
        got.push(line);
    }
    (child, got)
}

#[tokio::test]
async fn with_a_public_url_the_binary_hands_out_channel_uris_on_that_base() {
    let (mut child, lines) = start_with_lines(
        &[
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "http://fake.example:8080",
        ],
        1,
    )
    .await;
    let uri = lines[0].strip_prefix("fake-mpns listening on ").unwrap();
    assert!(
        uri.starts_with("http://127.0.0.1:"),
        "the bound address: {uri}"
    );
    let c = client();
    let created: serde_json::Value = json(
        c.post(format!("{uri}/_fake/channels"))
            .header("X-Requested-With", "test"),
    )
    .await;
    let channel = created["uri"].as_str().unwrap();
    let path = channel
        .strip_prefix("http://fake.example:8080/throttledthirdparty/01.00/")
        .unwrap_or_else(|| panic!("{channel} is not on the public base"));
    let reached = format!("{uri}/throttledthirdparty/01.00/{path}");
    assert_eq!(send(toast(&c, &reached, 2)).await.status, 200);
    signal(&child, "-TERM").await;
    let status = within("fake-mpns to exit", child.wait()).await.unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn a_bad_public_url_is_a_clear_error_and_exit_code_2() {
    let out = Command::new(BIN)
        .args(["--public-url", "fake.example:8080"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--public-url"), "{err}");
    assert!(err.contains("must start with http:// or https://"), "{err}");
}

#[tokio::test]
async fn with_control_listen_the_control_api_is_on_its_own_socket_and_not_on_the_notification_one()
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut child, lines) = start_with_lines(&["--control-listen", "127.0.0.1:0"], 2).await;
    let notify = lines[0]
        .strip_prefix("fake-mpns listening on http://")
        .unwrap()
        .to_owned();
    let control = lines[1]
        .strip_prefix("fake-mpns control listening on http://")
        .unwrap_or_else(|| panic!("second line {:?}", lines[1]))
        .to_owned();
    assert_ne!(notify, control);
    // One raw HTTP/1.1 request on a fresh connection; the whole answer as text.
    async fn ask(addr: &str, head: &str) -> String {
        let mut s = within("a connection", tokio::net::TcpStream::connect(addr))
            .await
            .unwrap();
        s.write_all(
            format!("{head}\r\nHost: {addr}\r\nX-Requested-With: test\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
        let mut out = Vec::new();
        within("the answer", s.read_to_end(&mut out)).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }
    let created = ask(&control, "POST /_fake/channels HTTP/1.1").await;
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    let on_notify = ask(&notify, "POST /_fake/channels HTTP/1.1").await;
    assert!(on_notify.starts_with("HTTP/1.1 400"), "{on_notify}");
    assert!(
        on_notify.to_ascii_lowercase().contains("x-messageid:"),
        "answered as a channel URI, not by the control API: {on_notify}"
    );
    assert!(!on_notify.contains("\"id\""), "{on_notify}");
    let listed = ask(&notify, "GET /_fake/channels HTTP/1.1").await;
    assert!(listed.starts_with("HTTP/1.1 400"), "{listed}");
    let token = created
        .split("/throttledthirdparty/01.00/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a channel URI in the answer");
    assert!(
        created.contains(&format!("http://{notify}/throttledthirdparty/")),
        "{created}"
    );
    let on_control = ask(
        &control,
        &format!("POST /throttledthirdparty/01.00/{token} HTTP/1.1"),
    )
    .await;
    assert!(on_control.starts_with("HTTP/1.1 404"), "{on_control}");
    assert!(
        on_control.contains("not a control API path"),
        "{on_control}"
    );
    signal(&child, "-TERM").await;
    let status = within("fake-mpns to exit", child.wait()).await.unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn the_binary_loads_the_example_scenario_file() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/scenarios/example.toml"
    );
    let (mut child, uri) = start(&["--scenario", example]).await;
    let c = client();
    let weather = format!("{uri}/throttledthirdparty/01.00/weather-lumia");
    assert_eq!(
        send(toast(&c, &weather, 2)).await.status,
        503,
        "the scenario's fault rule"
    );
    let settings: serde_json::Value = json(c.get(format!("{uri}/_fake/settings"))).await;
    assert_eq!(
        settings,
        serde_json::json!({"daily_limit": 3, "queue_capacity": 5})
    );
    signal(&child, "-TERM").await;
    let status = within("fake-mpns to exit", child.wait()).await.unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn a_scenario_that_does_not_apply_is_exit_code_2_naming_the_file_and_the_entry() {
    let dir = std::env::temp_dir().join(format!("h15-bin-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("twice.json");
    std::fs::write(&path, r#"{"channels": [{"token": "t"}, {"token": "t"}]}"#).unwrap();
    let out = Command::new(BIN)
        .arg("--scenario")
        .arg(&path)
        .output()
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "it never said it listens");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("twice.json"), "{err}");
    assert!(err.contains("channels[1]"), "{err}");
}
