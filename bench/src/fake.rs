//! The fake MPNS in a process of its own: the child's side (`--role fake`: the same `FakeMpns`
//! the `fake-mpns` command serves, driven by commands on stdin) and the parent's handle on it
//! ([`FakeProcess`]). Apart from the item's process, so the sender's memory and CPU time and the
//! fake's are measured apart.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{ExitCode, Stdio};
use std::time::Instant;

use mpns_harness::fake::{ChannelOptions, Fate, FaultRule};
use mpns_harness::FakeMpns;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::procfs::proc_mb;
use crate::{Args, Res};

/// Commands on stdin, one per line: `fault <FaultRule JSON>` (answers `ok` or `error ...`),
/// `count` (answers one [`Count`] JSON line), `mark` (the fake's clock now, in ms),
/// `first-after MS` (when the first request at or after MS arrived, in ms, or `none`); end of
/// input stops it.
pub(crate) async fn fake_child(args: Args) -> ExitCode {
    let fake = FakeMpns::builder()
        .clock(mpns_harness::Clock::real())
        // One channel takes the whole throughput run: no daily limit in the way.
        .daily_limit(u32::MAX)
        // Every request of a million-subscriber run and its restart stays countable (records
        // of about 1 KB each; the default budget of 256 MiB would forget the oldest).
        .log_bytes(16 << 30)
        .seed(7)
        .start()
        .await;
    let mut uris = Vec::new();
    let mut created = 0;
    let t0 = Instant::now();
    let mut guard_hit = false;
    for i in 0..args.channels {
        let info = match fake.create_channel(ChannelOptions::default()) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("fake: channel {i} not created: {e}");
                return ExitCode::FAILURE;
            }
        };
        created += 1;
        if args.print_uris {
            uris.push(info.uri);
        }
        if i % 10_000 == 9_999 && proc_mb(None, "VmRSS").unwrap_or(0.0) > args.rss_guard_mb as f64 {
            guard_hit = true;
            break;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "ready {} {created} {secs:.3} {}",
            fake.uri(),
            if guard_hit { "guard" } else { "all" }
        );
        for u in &uris {
            let _ = writeln!(out, "{u}");
        }
        let _ = writeln!(out, "end");
        let _ = out.flush();
    }
    drop(uris);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Ok(Some(line)) = lines.next_line().await {
        let reply = if let Some(json) = line.strip_prefix("fault ") {
            match serde_json::from_str::<FaultRule>(json)
                .map_err(|e| e.to_string())
                .and_then(|r| fake.add_fault(r).map_err(|e| e.to_string()))
            {
                Ok(_) => "ok".to_owned(),
                Err(e) => format!("error {e}"),
            }
        } else if line == "count" {
            serde_json::to_string(&count(&fake, created)).expect("counts as JSON")
        } else if line == "mark" {
            fake.clock().now().as_millis().to_string()
        } else if let Some(ms) = line.strip_prefix("first-after ") {
            match ms.parse::<u64>() {
                Ok(ms) => first_after(&fake, ms).map_or("none".into(), |t| t.to_string()),
                Err(e) => format!("error {ms:?}: {e}"),
            }
        } else {
            format!("error unknown command {line:?}")
        };
        let _ = stdout.write_all(format!("{reply}\n").as_bytes()).await;
        let _ = stdout.flush().await;
    }
    fake.shutdown().await;
    ExitCode::SUCCESS
}

/// What the fake took, per channel (channels by creation index).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Count {
    /// Requests recorded (refused ones included; dropped connections leave no record).
    pub(crate) requests: usize,
    /// Requests by answer status.
    pub(crate) by_status: BTreeMap<u16, usize>,
    /// Channels that took at least one notification for delivery.
    pub(crate) delivered_channels: usize,
    /// Channels that took none: their creation indexes.
    pub(crate) missing: Vec<usize>,
    /// Notifications taken beyond the first, per channel, summed.
    pub(crate) duplicates: usize,
    /// Of those, taken again with an `X-MessageID` already taken on that channel (a retry).
    pub(crate) duplicate_same_id: usize,
    /// Records the fake forgot to stay within its log budget: non-zero, the counts are short.
    pub(crate) dropped: u64,
}

/// Channel ids count from 1 in creation order, so channel `id` is creation index `id - 1`.
fn count(fake: &FakeMpns, created: usize) -> Count {
    let records = fake.notifications(None).unwrap_or_default();
    let mut c = Count {
        requests: records.len(),
        dropped: fake.records_dropped(None).unwrap_or(0),
        ..Count::default()
    };
    let mut taken: BTreeMap<usize, Vec<Vec<u8>>> = BTreeMap::new();
    for r in &records {
        *c.by_status.entry(r.response.status).or_default() += 1;
        if r.fate == Some(Fate::Accepted) {
            if let Some(id) = r.channel {
                let i = usize::try_from(id.0).unwrap_or(usize::MAX).wrapping_sub(1);
                taken
                    .entry(i)
                    .or_default()
                    .push(r.message_id.as_bytes().to_vec());
            }
        }
    }
    c.delivered_channels = taken.len();
    c.missing = (0..created).filter(|i| !taken.contains_key(i)).collect();
    for ids in taken.values_mut() {
        c.duplicates += ids.len() - 1;
        let n = ids.len();
        ids.sort();
        ids.dedup();
        c.duplicate_same_id += n - ids.len();
    }
    c
}

/// When the first request at or after `ms` (the fake's clock) arrived.
fn first_after(fake: &FakeMpns, ms: u64) -> Option<u64> {
    let records = fake.notifications(None).unwrap_or_default();
    records
        .iter()
        .map(|r| r.received_at_ms)
        .filter(|&t| t >= ms)
        .min()
}

/// A running fake process: its base URI, its channels, its pid and its command line.
pub(crate) struct FakeProcess {
    pub(crate) child: Child,
    pub(crate) stdin: ChildStdin,
    pub(crate) lines: tokio::io::Lines<BufReader<ChildStdout>>,
    pub(crate) base: String,
    pub(crate) uris: Vec<String>,
    pub(crate) created: usize,
    pub(crate) create_secs: f64,
    pub(crate) guard_hit: bool,
}

impl FakeProcess {
    pub(crate) async fn start(
        channels: usize,
        print_uris: bool,
        rss_guard_mb: u64,
    ) -> Res<FakeProcess> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(exe);
        cmd.args(["--role", "fake", "--channels", &channels.to_string()])
            .args(["--rss-guard-mb", &rss_guard_mb.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if print_uris {
            cmd.arg("--print-uris");
        }
        let mut child = cmd.spawn().map_err(|e| format!("fake not started: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        let ready = next_line(&mut lines).await?;
        let parts: Vec<&str> = ready.split_whitespace().collect();
        let [_, base, created, secs, how] = parts[..] else {
            return Err(format!("fake: unexpected first line {ready:?}"));
        };
        let mut uris = Vec::new();
        loop {
            let line = next_line(&mut lines).await?;
            if line == "end" {
                break;
            }
            uris.push(line);
        }
        Ok(FakeProcess {
            base: base.to_owned(),
            created: created.parse().map_err(|_| "fake: channel count")?,
            create_secs: secs.parse().map_err(|_| "fake: creation time")?,
            guard_hit: how == "guard",
            child,
            stdin,
            lines,
            uris,
        })
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    async fn ask(&mut self, command: &str) -> Res<String> {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        self.stdin.flush().await.map_err(|e| e.to_string())?;
        next_line(&mut self.lines).await
    }

    pub(crate) async fn fault(&mut self, rule: &FaultRule) -> Res<()> {
        let reply = self
            .ask(&format!(
                "fault {}",
                serde_json::to_string(rule).expect("a rule")
            ))
            .await?;
        (reply == "ok").then_some(()).ok_or(reply)
    }

    /// The fake's clock now, in ms.
    pub(crate) async fn mark(&mut self) -> Res<u64> {
        let reply = self.ask("mark").await?;
        reply.parse().map_err(|_| format!("fake mark: {reply:?}"))
    }

    /// When the first request at or after `ms` (from [`FakeProcess::mark`]) arrived.
    pub(crate) async fn first_after(&mut self, ms: u64) -> Res<Option<u64>> {
        let reply = self.ask(&format!("first-after {ms}")).await?;
        if reply == "none" {
            return Ok(None);
        }
        reply
            .parse()
            .map(Some)
            .map_err(|_| format!("fake first-after: {reply:?}"))
    }

    pub(crate) async fn count(&mut self) -> Res<Count> {
        let reply = self.ask("count").await?;
        serde_json::from_str(&reply).map_err(|e| format!("fake count {reply:?}: {e}"))
    }
}

pub(crate) async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
) -> Res<String> {
    lines
        .next_line()
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "child process ended early".to_owned())
}
