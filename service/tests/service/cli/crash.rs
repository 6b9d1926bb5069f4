//! The durable send queue at the process level: the real `mpns serve` binary, killed with
//! SIGKILL and started again on the same `--data`, against a fake MPNS that outlives every
//! kill: the real `mpns fake-mpns` in a process of its own for the 412 test, and for the
//! 20,000-subscriber test a `FakeMpns` in this test's process (only the service is killed), so
//! that its 20,000 channels are made and its 20,000 records read without 40,000 HTTP calls to
//! a debug build: that alone took a quarter of the test's time.
//!
//! The service runs on its hidden `--virtual-clock` (kept in the data folder), so retries
//! parked for minutes or an hour are moved on by the test, and survive the restarts at their
//! virtual time.
#![cfg(unix)]

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use mpns_harness::fake::{ChannelOptions, NotificationRecord};
use mpns_harness::FakeMpns;
use mpns_service::registration::{Registration, Store, DEFAULT_DB_FILE};

const BIN: &str = env!("CARGO_BIN_EXE_mpns");

/// The longest any step of these tests may take (wall clock); they fail with a message then.
const STEP_LIMIT: Duration = Duration::from_secs(120);

/// How often a condition on another process is read again while waiting for it.
const POLL: Duration = Duration::from_millis(20);

/// The service's request slots (`--concurrency`) and the jobs its worker holds per slot: a
/// kill can leave at most this many requests whose answer was not committed.
pub(super) const CONCURRENCY: u64 = 16;
pub(super) const HELD_PER_SLOT: u64 = 16;

/// Starts `mpns ARGS`, returns it with the URL its first stdout line ends with.
pub(super) async fn start(args: &[&str], prefix: &str) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the mpns binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(STEP_LIMIT, stdout.read_line(&mut line))
        .await
        .expect("the binary prints its URL")
        .unwrap();
    let url = line
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end()
        .trim_end_matches('/')
        .to_owned();
    // Keep reading stdout so the process never blocks on a full pipe.
    tokio::spawn(async move {
        let mut rest = String::new();
        while stdout.read_line(&mut rest).await.is_ok_and(|n| n > 0) {
            rest.clear();
        }
    });
    (child, url)
}

pub(super) async fn start_fake() -> (Child, String) {
    start(
        &["fake-mpns", "--listen", "127.0.0.1:0", "-q"],
        "fake-mpns listening on ",
    )
    .await
}

/// `mpns serve` on `data` against `fake`, with this module's request slots and `extra` flags.
pub(super) async fn start_serve(data: &Path, fake: &str, extra: &[&str]) -> (Child, String) {
    let host = fake.trim_start_matches("http://");
    let concurrency = CONCURRENCY.to_string();
    let mut args = vec![
        "serve",
        "--data",
        data.to_str().unwrap(),
        "--port",
        "0",
        "--allow-host",
        host,
        "--concurrency",
        &concurrency,
        "-q",
    ];
    args.extend_from_slice(extra);
    start(&args, "mpns service on ").await
}

async fn start_service(data: &Path, fake: &str) -> (Child, String) {
    start_serve(data, fake, &["--virtual-clock"]).await
}

pub(super) async fn kill9(child: &mut Child) {
    child.start_kill().unwrap();
    tokio::time::timeout(STEP_LIMIT, child.wait())
        .await
        .expect("a killed process ends")
        .unwrap();
}

pub(super) async fn stop(mut child: Child) {
    let pid = child.id().unwrap().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().await;
    assert!(status.unwrap().success());
    let code = tokio::time::timeout(STEP_LIMIT, child.wait())
        .await
        .expect("the service stops on SIGTERM")
        .unwrap()
        .code();
    assert_eq!(code, Some(0));
}

pub(super) async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> Value {
    let client = reqwest::Client::new();
    let mut request = client.request(method, &url);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    assert!(
        status.is_success(),
        "{url}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    }
}

pub(super) async fn get(url: String) -> Value {
    call(reqwest::Method::GET, url, None).await
}

pub(super) async fn post(url: String, body: Value) -> Value {
    call(reqwest::Method::POST, url, Some(body)).await
}

/// Waits until `condition` (read again every [`POLL`]) holds; fails after [`STEP_LIMIT`].
pub(super) async fn until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + STEP_LIMIT;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {STEP_LIMIT:?} for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Jobs of the newest batch whose answer the service has recorded (delivered, given up, or
/// waiting for a retry).
pub(super) async fn recorded(service: &str) -> u64 {
    let b = batch(service).await;
    ["delivered", "given_up", "waiting"]
        .iter()
        .map(|k| b[k].as_u64().unwrap())
        .sum()
}

/// The newest batch's job counts.
pub(super) async fn batch(service: &str) -> Value {
    let list = get(format!("{service}/api/batches?limit=1")).await;
    list["batches"][0].clone()
}

pub(super) fn unfinished(batch: &Value) -> u64 {
    ["queued", "in_flight", "waiting"]
        .iter()
        .map(|k| batch[k].as_u64().unwrap())
        .sum()
}

/// A small seeded generator (xorshift64*): the kill moments are drawn from it, so a failing
/// seed can be run again.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Creates `n` channels on the in-process fake; returns their URIs by id.
pub(super) fn channels(fake: &FakeMpns, n: usize) -> Vec<(u64, String)> {
    (0..n)
        .map(|_| {
            let c = fake.create_channel(ChannelOptions::default()).unwrap();
            (c.id.0, c.uri)
        })
        .collect()
}

/// Registers one subscriber per channel straight into the database file (the service is not
/// running yet): `u00000`, `u00001`, ...
fn seed_subscribers(data: &Path, channels: &[(u64, String)]) {
    let store = Store::open(data.join(DEFAULT_DB_FILE)).unwrap();
    for (i, (_, uri)) in channels.iter().enumerate() {
        store
            .register(&Registration {
                user_name: format!("u{i:05}"),
                channel_uri: uri.clone(),
                os_version: "8.0".into(),
                registered_at: std::time::SystemTime::now(),
                last_outcome: None,
                platform: mpns_service::registration::Platform::Mpns,
            })
            .unwrap();
    }
}

/// Every status-log row of the database, after the service stopped.
fn status_log(data: &Path) -> Vec<mpns_service::registration::StatusEntry> {
    let store = Store::open(data.join(DEFAULT_DB_FILE)).unwrap();
    let mut rows = Vec::new();
    loop {
        let after = rows
            .last()
            .map_or(0, |r: &mpns_service::registration::StatusEntry| r.id);
        let page = store.status_log(after, 10_000).unwrap();
        if page.is_empty() {
            return rows;
        }
        rows.extend(page);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_time_send_killed_at_seeded_moments_reaches_every_subscriber_with_repeats_only_from_the_kills(
) {
    const SUBSCRIBERS: usize = 20_000;
    const SEED: u64 = 0x5EED_0013;
    let mut rng = Rng(SEED);
    let data = tempfile::tempdir().unwrap();
    let fake_server = FakeMpns::start().await;
    let fake = fake_server.uri().to_owned();
    let chans = channels(&fake_server, SUBSCRIBERS);
    seed_subscribers(data.path(), &chans);
    // Retries to wait on: the first 300 requests get 503 (back-off in minutes), and 40
    // devices are Inactive (412, hourly) until the end.
    post(
        format!("{fake}/_fake/faults"),
        json!({"action": "status_503", "count": 300}),
    )
    .await;
    let inactive: Vec<u64> = (0..40)
        .map(|_| chans[rng.below(SUBSCRIBERS as u64) as usize].0)
        .collect();
    for id in &inactive {
        call(
            reqwest::Method::PATCH,
            format!("{fake}/_fake/channels/{id}/device"),
            Some(json!({"connection": "Inactive"})),
        )
        .await;
    }

    // Kill 1: as soon as the send is accepted, before (or at) its first requests.
    // One Time is the active pattern of a new database: its toast is the only message.
    let (mut service, url) = start_service(data.path(), &fake).await;
    let sent = post(
        format!("{url}/api/patterns/one-time/send"),
        json!({"tile": false, "raw": false}),
    )
    .await;
    assert_eq!(sent["subscribers"], SUBSCRIBERS);
    kill9(&mut service).await;
    let mut kills = 1;
    // How many answers the service had recorded at each kill.
    let mut at_kills = vec![0];

    // Kills 2 and 3: mid-way, once the service recorded a seeded number of answers.
    let mut target = 0;
    for _ in 0..2 {
        let (mut service, url) = start_service(data.path(), &fake).await;
        target += 3_000 + rng.below(5_000);
        let u = url.as_str();
        until("the kill's number of answers", || async move {
            recorded(u).await >= target
        })
        .await;
        at_kills.push(recorded(u).await);
        kill9(&mut service).await;
        kills += 1;
    }

    // Kill 4: once every first attempt is done and only retries wait (503 and 412).
    let (mut service, url) = start_service(data.path(), &fake).await;
    let u = url.as_str();
    until(
        "only retries to be left, parked on the clock",
        || async move {
            let b = batch(u).await;
            b["queued"] == 0 && b["in_flight"] == 0 && b["waiting"].as_u64() > Some(0)
        },
    )
    .await;
    let parked = batch(u).await["waiting"].as_u64().unwrap();
    at_kills.push(recorded(u).await);
    kill9(&mut service).await;
    kills += 1;

    // The last start: the devices come back, and the clock moves an hour at a time while
    // only retries are left, until the batch is done.
    for id in &inactive {
        call(
            reqwest::Method::PATCH,
            format!("{fake}/_fake/channels/{id}/device"),
            Some(json!({"connection": "Connected"})),
        )
        .await;
    }
    let (service, url) = start_service(data.path(), &fake).await;
    let u = url.as_str();
    for _ in 0..24 {
        until("the batch to finish or park its retries", || async move {
            let b = batch(u).await;
            b["queued"] == 0 && b["in_flight"] == 0
        })
        .await;
        if unfinished(&batch(&url).await) == 0 {
            break;
        }
        post(
            format!("{url}/_test/clock/advance"),
            json!({"seconds": 3600}),
        )
        .await;
    }
    let done = batch(&url).await;
    assert_eq!(unfinished(&done), 0, "the batch finished: {done}");
    assert_eq!(done["delivered"], SUBSCRIBERS, "{done}");
    stop(service).await;

    // At the fake: every subscriber got the toast, under one X-MessageID per subscriber.
    let records = fake_server.notifications(None).unwrap();
    let mut by_channel: HashMap<u64, Vec<&NotificationRecord>> = HashMap::new();
    for r in &records {
        by_channel
            .entry(r.channel.expect("every request went to a known channel").0)
            .or_default()
            .push(r);
    }
    let mut lost = 0;
    let mut duplicates = 0;
    for (id, _) in &chans {
        let got = by_channel.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let accepted = got.iter().filter(|r| r.response.status == 200).count();
        if accepted == 0 {
            lost += 1;
        }
        duplicates += accepted.saturating_sub(1);
        let ids: std::collections::BTreeSet<_> =
            got.iter().map(|r| r.message_id.as_bytes()).collect();
        assert!(ids.len() <= 1, "channel {id}: several X-MessageIDs {ids:?}");
    }
    let repeats = get(format!("{fake}/_fake/repeats")).await;
    let held = CONCURRENCY * HELD_PER_SLOT;
    eprintln!(
        "seed {SEED:#x}: {kills} kills (answers recorded at each: {at_kills:?}), {parked} retries parked at the 4th, \
         {} requests in all, {duplicates} duplicate deliveries, {} repeated ids (retries included), lost {lost}",
        records.len(),
        repeats["total"]
    );
    assert_eq!(lost, 0, "every subscriber got the toast");
    assert!(
        duplicates <= (kills * held) as usize,
        "{duplicates} duplicates from {kills} kills of at most {held} unrecorded requests each"
    );
    assert!(parked > 0, "the fourth kill came while retries waited");

    // The status log: a row for every request the fake received, per channel.
    let log = status_log(data.path());
    let mut rows: HashMap<&str, usize> = HashMap::new();
    for e in &log {
        *rows.entry(e.channel_uri.as_str()).or_default() += 1;
    }
    for (id, uri) in &chans {
        let got = by_channel.get(id).map_or(0, Vec::len);
        let logged = rows.get(uri.as_str()).copied().unwrap_or(0);
        assert!(
            logged >= got,
            "channel {id}: the fake received {got} request(s), the log has {logged} row(s)"
        );
    }
}

#[tokio::test]
async fn a_412_at_ten_survives_a_restart_at_ten_twenty_and_is_retried_at_eleven() {
    let data = tempfile::tempdir().unwrap();
    let (_fake_process, fake) = start_fake().await;
    let channel = post(format!("{fake}/_fake/channels"), json!({})).await;
    let (id, uri) = (channel["id"].as_u64().unwrap(), channel["uri"].clone());
    call(
        reqwest::Method::PATCH,
        format!("{fake}/_fake/channels/{id}/device"),
        Some(json!({"connection": "Inactive"})),
    )
    .await;
    let (mut service, url) = start_service(data.path(), &fake).await;
    assert_eq!(
        get(format!("{url}/_test/clock")).await["now_ms"],
        1_767_261_600_000u64,
        "the virtual clock starts at 2026-01-01T10:00:00Z"
    );
    // Activated before the phone registers: its only message is the toast.
    post(
        format!("{url}/api/patterns/active"),
        json!({"pattern": "one-time"}),
    )
    .await;
    post(
        format!("{url}/api/registrations"),
        json!({"user_name": "ann", "channel_uri": uri, "os_version": "8.0"}),
    )
    .await;
    post(
        format!("{url}/api/patterns/one-time/send"),
        json!({"tile": false, "raw": false}),
    )
    .await;
    let log = |url: String| async move {
        let v = get(format!("{url}/api/status-log")).await;
        v["entries"].as_array().unwrap().clone()
    };
    let u = url.as_str();
    until("the 412 to be logged", || async move {
        log(u.to_owned())
            .await
            .iter()
            .any(|e| e["http_status"] == 412)
    })
    .await;
    let first = log(url.clone()).await;
    let toast_412 = first.iter().find(|e| e["http_status"] == 412).unwrap();
    assert_eq!(toast_412["at"], "2026-01-01T10:00:00.000Z");
    until("the retry to be parked", || async move {
        batch(u).await["waiting"] == 1
    })
    .await;
    assert_eq!(
        batch(&url).await["waiting_until"],
        "2026-01-01T11:00:00.000Z"
    );
    post(
        format!("{url}/_test/clock/advance"),
        json!({"seconds": 1200}),
    )
    .await;
    kill9(&mut service).await;

    // 10:20, a new process; the device is back, but the retry waits for its hour.
    call(
        reqwest::Method::PATCH,
        format!("{fake}/_fake/channels/{id}/device"),
        Some(json!({"connection": "Connected"})),
    )
    .await;
    let (service, url) = start_service(data.path(), &fake).await;
    assert_eq!(
        get(format!("{url}/_test/clock")).await["now_ms"],
        1_767_261_600_000u64 + 1_200_000,
        "the restart is at 10:20"
    );
    let waiting = batch(&url).await;
    assert_eq!(waiting["waiting"], 1, "{waiting}");
    assert_eq!(waiting["waiting_until"], "2026-01-01T11:00:00.000Z");
    post(
        format!("{url}/_test/clock/advance"),
        json!({"seconds": 2399}),
    )
    .await;
    let early = batch(&url).await;
    assert_eq!(early["waiting"], 1, "not a second early: {early}");
    post(format!("{url}/_test/clock/advance"), json!({"seconds": 1})).await;
    let u = url.as_str();
    until("the retry to be delivered", || async move {
        batch(u).await["delivered"] == 1
    })
    .await;
    let entries = log(url.clone()).await;
    let retry = entries.last().unwrap();
    assert_eq!(retry["http_status"], 200);
    assert_eq!(retry["at"], "2026-01-01T11:00:00.000Z");
    assert_eq!(
        retry["message_id"], toast_412["message_id"],
        "the retry carries the same X-MessageID"
    );
    let records = get(format!("{fake}/_fake/channels/{id}/notifications")).await;
    let statuses: Vec<_> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["response"]["status"].clone(), r["repeat"].clone()))
        .collect();
    assert_eq!(statuses, [(json!(412), json!(0)), (json!(200), json!(1))]);
    stop(service).await;
}
