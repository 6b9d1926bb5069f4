//! Several `mpns serve` processes on one PostgreSQL database (the real binary; a fake MPNS in
//! this test's process, which no kill touches): they share one send, each claiming jobs the
//! others skip, and when one is killed with SIGKILL the others send its jobs once its leases
//! have run out. Needs `MPNS_TEST_DATABASE_URL` (see `support::pg`); skips loudly without it.
#![cfg(unix)]

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::json;
use tokio::process::Child;

use super::crash::{
    batch, channels, kill9, post, recorded, start_serve, stop, unfinished, until, CONCURRENCY,
    HELD_PER_SLOT,
};
use crate::support::pg::{self, FreshDatabase};
use mpns_harness::fake::NotificationRecord;
use mpns_harness::FakeMpns;
use mpns_service::registration::Store;

const SUBSCRIBERS: usize = 20_000;

/// How long a claim lasts (`--lease`): short, so the takeover comes within seconds; long
/// beside the few milliseconds a claimed job waits for its request slot.
const LEASE_SECS: &str = "2";

async fn start_service(data: &Path, database: &str, fake: &str) -> (Child, String) {
    start_serve(data, fake, &["--database", database, "--lease", LEASE_SECS]).await
}

/// Registers one subscriber per channel (`u00000`, ...) in one statement: 20,000 registrations
/// through the API would take longer than the sends.
fn seed_subscribers(url: &str, channels: &[(u64, String)]) {
    // Migrates the fresh database.
    drop(Store::connect(url).unwrap());
    let names: Vec<String> = (0..channels.len()).map(|i| format!("u{i:05}")).collect();
    let uris: Vec<String> = channels.iter().map(|(_, u)| u.clone()).collect();
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let n = client
        .execute(
            "INSERT INTO registrations (user_name, channel_uri, os_version, registered_at)
             SELECT n, u, '8.0', 0 FROM unnest($1::text[], $2::text[]) AS x(n, u)",
            &[&names, &uris],
        )
        .unwrap();
    assert_eq!(n as usize, channels.len());
}

/// Delivered jobs of a batch per process (the job's `owner` is the process that made its last
/// attempt).
fn delivered_by_owner(url: &str, batch: i64) -> Vec<i64> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .query(
            "SELECT COUNT(*) FROM send_jobs WHERE batch_id = $1 AND state = 3 GROUP BY owner",
            &[&batch],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Status-log rows per channel, and how many say a request was taken over from a dead process.
fn status_log(url: &str) -> (HashMap<String, usize>, usize) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let mut rows = HashMap::new();
    for r in client
        .query(
            "SELECT channel_uri, COUNT(*) FROM status_log GROUP BY channel_uri",
            &[],
        )
        .unwrap()
    {
        rows.insert(r.get::<_, String>(0), r.get::<_, i64>(1) as usize);
    }
    let taken_over: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM status_log WHERE error LIKE 'no answer recorded%'",
            &[],
        )
        .unwrap()
        .get(0);
    (rows, taken_over as usize)
}

/// The fake's records per channel id.
fn records_by_channel(fake: &FakeMpns) -> HashMap<u64, Vec<NotificationRecord>> {
    let mut by_channel: HashMap<u64, Vec<NotificationRecord>> = HashMap::new();
    for r in fake.notifications(None).unwrap() {
        by_channel
            .entry(r.channel.expect("every request went to a known channel").0)
            .or_default()
            .push(r);
    }
    by_channel
}

async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_one_postgres_database_share_a_send_and_take_over_a_killed_ones_jobs() {
    let Some(server) = pg::server(
        "three_processes_on_one_postgres_database_share_a_send_and_take_over_a_killed_ones_jobs",
    ) else {
        return;
    };
    let db = blocking(move || FreshDatabase::create(&server)).await;
    let data = tempfile::tempdir().unwrap();
    let fake_server = FakeMpns::start().await;
    let fake = fake_server.uri().to_owned();
    let chans = channels(&fake_server, SUBSCRIBERS);
    let (url, seeded) = (db.url.clone(), chans.clone());
    blocking(move || seed_subscribers(&url, &seeded)).await;
    let mut services = Vec::new();
    for _ in 0..3 {
        services.push(start_service(data.path(), &db.url, &fake).await);
    }

    // One send, accepted by the first process, shared by all three: exactly once each.
    let sent = post(
        format!("{}/api/patterns/one-time/send", services[0].1),
        json!({"tile": false, "raw": false}),
    )
    .await;
    assert_eq!(sent["subscribers"], SUBSCRIBERS);
    let first = sent["batch"].as_i64().expect("the batch's id");
    let other = services[1].1.as_str();
    until("the first send to finish", || async move {
        unfinished(&batch(other).await) == 0
    })
    .await;
    let done = batch(other).await;
    assert_eq!(done["delivered"], SUBSCRIBERS, "{done}");
    let url = db.url.clone();
    let owners = blocking(move || delivered_by_owner(&url, first)).await;
    assert_eq!(owners.len(), 3, "every process sent some: {owners:?}");
    assert!(owners.iter().all(|&n| n > 0), "{owners:?}");
    assert_eq!(owners.iter().sum::<i64>(), SUBSCRIBERS as i64);
    let by_channel = records_by_channel(&fake_server);
    for (id, _) in &chans {
        let got = by_channel.get(id).map_or(0, Vec::len);
        assert_eq!(got, 1, "channel {id}: {got} requests for one send");
    }
    eprintln!("three processes, one send of {SUBSCRIBERS}: delivered per process {owners:?}");

    // A second send; one process is killed mid-way: the other two send its jobs once its
    // leases run out, each repeat under the same X-MessageID.
    fake_server.clear_notifications(None).unwrap();
    let sent = post(
        format!("{}/api/patterns/one-time/send", services[1].1),
        json!({"tile": false, "raw": false}),
    )
    .await;
    let second = sent["batch"].as_i64().unwrap();
    let watcher = services[0].1.clone();
    let w = watcher.as_str();
    until("a quarter of the second send", || async move {
        recorded(w).await >= SUBSCRIBERS as u64 / 4
    })
    .await;
    let at_kill = recorded(w).await;
    let (mut victim, _) = services.pop().unwrap();
    kill9(&mut victim).await;
    until(
        "the second send to finish without the killed process",
        || async move { unfinished(&batch(w).await) == 0 },
    )
    .await;
    let done = batch(w).await;
    assert_eq!(done["delivered"], SUBSCRIBERS, "{done}");

    let by_channel = records_by_channel(&fake_server);
    let mut duplicates = 0;
    for (id, _) in &chans {
        let got = by_channel.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let accepted = got.iter().filter(|r| r.response.status == 200).count();
        assert!(accepted >= 1, "channel {id}: the second send never arrived");
        duplicates += accepted - 1;
        let ids: BTreeSet<_> = got.iter().map(|r| r.message_id.as_bytes()).collect();
        assert_eq!(ids.len(), 1, "channel {id}: X-MessageIDs {ids:?}");
    }
    let held = (CONCURRENCY * HELD_PER_SLOT) as usize;
    assert!(
        duplicates <= held,
        "{duplicates} repeats from one kill of a process holding at most {held} jobs"
    );
    let url = db.url.clone();
    let (log_rows, taken_over) = blocking(move || status_log(&url)).await;
    assert!(
        taken_over >= 1,
        "the killed process had jobs in flight, and another took them over"
    );
    for (id, uri) in &chans {
        let got = by_channel.get(id).map_or(0, Vec::len);
        let logged = log_rows.get(uri).copied().unwrap_or(0);
        assert!(
            logged > got,
            "channel {id}: the fake received {got} request(s) of the second send, the log has \
             {logged} row(s) for both"
        );
    }
    let url = db.url.clone();
    let owners = blocking(move || delivered_by_owner(&url, second)).await;
    eprintln!(
        "second send: killed after {at_kill} answers; {taken_over} jobs taken over, \
         {duplicates} repeats; delivered per process {owners:?}"
    );
    for (service, _) in services {
        stop(service).await;
    }
    drop(db);
}

#[tokio::test]
async fn serve_with_a_bad_or_unreachable_database_url_exits_with_an_error_naming_it_and_no_password(
) {
    let data = tempfile::tempdir().unwrap();
    for (url, expected) in [
        (
            "postgres://ann:s3cret@127.0.0.1:notaport/mpns",
            "mpns serve: bad PostgreSQL URL postgres://ann:***@127.0.0.1:notaport/mpns: ",
        ),
        (
            // Port 1 on loopback: nothing listens there.
            "postgres://ann:s3cret@127.0.0.1:1/mpns",
            "mpns serve: could not connect to PostgreSQL at postgres://ann:***@127.0.0.1:1/mpns: ",
        ),
    ] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_mpns"))
            .args(["serve", "--port", "0", "--data"])
            .arg(data.path())
            .args(["--database", url])
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.starts_with(expected), "{stderr}");
        assert!(!stderr.contains("s3cret"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing listened");
    }
}
