//! The WNS sender against the fake WNS (issue 18, point 6): its throughput and CPU per toast
//! through `send_bulk`, what token handling costs per send, and the ceiling: the same fake
//! loaded by wrk with the same request. The fake WNS runs in a process of its own
//! (`--role fake-wns`), as the fake MPNS does for the `sender` item.

use std::io::Write as _;
use std::process::{ExitCode, Stdio};
use std::time::Instant;

use futures_util::StreamExt;
use mpns_harness::fake_wns::{ChannelRequest, Flow};
use mpns_harness::windows::WindowsVersion;
use mpns_harness::{Clock, FakeWns};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use wns::{ChannelUri, Client, Credentials, Toast, WireRequest};

use crate::procfs::{cpu_secs, mb_text, proc_mb, us_per};
use crate::report::{emit, fmt_num, Row};
use crate::wrk::{wrk_available, wrk_post};
use crate::{Args, Res};

/// The child: a fake WNS on the real clock with one app, one Windows 11 device and one channel;
/// prints `ready CHANNEL TOKEN_URL CLIENT_ID SECRET`, then serves until stdin closes.
pub(crate) async fn fake_wns_child() -> ExitCode {
    let fake = match FakeWns::builder()
        .clock(Clock::real())
        .seed(7)
        .start()
        .await
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let set_up = (|| {
        let app = fake.register_app("bench.app", Flow::Store)?;
        fake.add_device("bench-pc", WindowsVersion::Windows11)?;
        let channel = fake.create_channel(&ChannelRequest::new("bench.app", "bench-pc"))?;
        Ok::<_, mpns_harness::fake_wns::FakeWnsError>((app, channel))
    })();
    let (app, channel) = match set_up {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "ready {} {} {} {}",
            channel.uri, app.token_url, app.client_id, app.client_secret
        );
        let _ = out.flush();
    }
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(_)) = lines.next_line().await {}
    fake.shutdown().await;
    ExitCode::SUCCESS
}

pub(crate) async fn wns(args: &Args) -> Res<()> {
    let (n, c) = (args.n.max(1), args.concurrency.max(1));
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(["--role", "fake-wns"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("the fake WNS process: {e}"))?;
    let fake_pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?)
        .read_line(&mut line)
        .await
        .map_err(|e| e.to_string())?;
    let parts: Vec<&str> = line.split_whitespace().collect();
    let ["ready", uri, token_url, client_id, secret] = parts[..] else {
        return Err(format!("the fake WNS said {line:?}"));
    };
    let channel: ChannelUri = uri.parse().map_err(|e| format!("{uri}: {e}"))?;
    let authority = channel.authority();
    let client = Client::builder(Credentials::store(client_id, secret).with_token_url(token_url))
        .allow_host(authority)
        .concurrency(c)
        .build()
        .map_err(|e| e.to_string())?;
    let toast = Toast::new()
        .text("Bench")
        .text("A toast through the fake WNS")
        .build()
        .map_err(|e| e.to_string())?;

    // Warm-up: the token and the connections.
    let warm: Vec<_> = client
        .send_bulk(&toast, std::iter::repeat_n(channel.clone(), c * 20))
        .collect()
        .await;
    if let Some(bad) = warm
        .iter()
        .find(|r| !matches!(&r.result, Ok(o) if o.status == 200))
    {
        return Err(format!("warm-up send failed: {:?}", bad.result));
    }

    eprintln!("  sending {n} WNS toasts through send_bulk at concurrency {c} ...");
    let (sender_cpu0, fake_cpu0) = (cpu_secs(None), cpu_secs(fake_pid));
    let t0 = Instant::now();
    let mut results = client.send_bulk(&toast, std::iter::repeat_n(channel.clone(), n));
    let mut other = 0usize;
    while let Some(r) = results.next().await {
        if !matches!(r.result, Ok(o) if o.status == 200) {
            other += 1;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let rate = n as f64 / secs;
    let used = |before: Option<(f64, f64)>, after: Option<(f64, f64)>| Some(after?.0 - before?.0);
    let sender_cpu = used(sender_cpu0, cpu_secs(None));
    let fake_cpu = used(fake_cpu0, cpu_secs(fake_pid));

    // What token handling costs a send: the cached token's lookup, as every send does it.
    let lookups = 1_000_000u32;
    let t0 = Instant::now();
    for _ in 0..lookups {
        let token = client.bearer().await.map_err(|e| e.to_string())?;
        std::hint::black_box(token);
    }
    let lookup_ns = t0.elapsed().as_secs_f64() * 1e9 / f64::from(lookups);

    emit(Row::info(
        format!("wns sender: toasts/s, send_bulk, {n} toasts, concurrency {c}"),
        fmt_num(rate),
    ));
    emit(Row::info(
        "wns sender: CPU per toast: sender / fake WNS",
        format!(
            "{} / {} µs",
            us_per(sender_cpu, n as f64),
            us_per(fake_cpu, n as f64)
        ),
    ));
    emit(Row::info(
        "wns sender: token handling per send (cached token lookup)",
        format!("{lookup_ns:.0} ns"),
    ));
    emit(Row::info(
        "wns sender: tokens fetched / answers other than 200",
        format!("{} / {other}", client.token_fetches()),
    ));
    emit(Row::info(
        "wns sender process: peak memory (VmHWM)",
        mb_text(proc_mb(None, "VmHWM")),
    ));

    if !wrk_available() {
        eprintln!(
            "!!! wrk is not installed: the WNS ceiling is NOT measured (apt-get install -y wrk)"
        );
        emit(Row::info("wns ceiling (wrk)", "NOT MEASURED: wrk absent"));
        return Ok(());
    }
    let token = client.bearer().await.map_err(|e| e.to_string())?;
    let wire = WireRequest::notification(&channel, &toast, token.value());
    let headers: Vec<(String, String)> = wire
        .headers()
        .iter()
        .filter(|(n, _)| *n != "Host")
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    let body = String::from_utf8(wire.body().to_vec()).map_err(|e| e.to_string())?;
    eprintln!(
        "  wrk: {c} connections, {} s, same request ...",
        args.duration
    );
    let run = wrk_post(uri, &headers, &body, c, args.duration, args.wrk_threads).await?;
    emit(Row::info(
        format!("wns ceiling: wrk requests/s, {c} connections"),
        fmt_num(run.rps),
    ));
    if run.non_2xx > 0 || !run.errors.is_empty() {
        emit(Row::info(
            "wns ceiling: wrk non-2xx / socket errors",
            format!("{} / {}", run.non_2xx, run.errors),
        ));
    }
    emit(Row::ratio(
        "wns sender / ceiling (send_bulk toasts/s ÷ wrk requests/s)",
        rate / run.rps,
        0.7,
    ));
    drop(child.stdin.take());
    let _ = child.wait().await;
    Ok(())
}
