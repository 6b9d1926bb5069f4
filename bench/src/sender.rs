//! Items 1 and 2 of the benchmark brief (issue 7): the sender's throughput, latency and memory
//! against one fake channel, and the ceiling: the same fake loaded by wrk with the same request.
//! Their ratio says how much of the fake's capacity the sender uses.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mpns::ChannelUri;

use crate::fake::FakeProcess;
use crate::load::{client, toast};
use crate::procfs::{cpu_secs, mb_text, proc_mb, us_per};
use crate::report::{emit, fmt_num, percentile, Row};
use crate::wrk::{wrk, wrk_available};
use crate::{Args, Res};

pub(crate) async fn sender(args: &Args) -> Res<()> {
    let (n, c) = (args.n.max(1), args.concurrency.max(1));
    let mut fake = FakeProcess::start(1, true, args.rss_guard_mb).await?;
    let url = fake
        .uris
        .first()
        .cloned()
        .ok_or("the fake made no channel")?;
    let channel: ChannelUri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    let client = client(c)?;
    let message = toast();

    // Warm-up: open the connections.
    let warm: Vec<_> = client
        .send_bulk(&message, std::iter::repeat_n(channel.clone(), c * 20))
        .collect()
        .await;
    if let Some((_, Err(e))) = warm.iter().find(|(_, r)| r.is_err()) {
        return Err(format!("warm-up send failed: {e}"));
    }

    // Throughput through the bulk API.
    eprintln!("  sending {n} toasts through send_bulk at concurrency {c} ...");
    let (sender_cpu0, fake_cpu0) = (cpu_secs(None), cpu_secs(fake.pid()));
    let t0 = Instant::now();
    let mut results = client.send_bulk(&message, std::iter::repeat_n(channel.clone(), n));
    let mut other = 0usize;
    while let Some((_, result)) = results.next().await {
        if !matches!(result, Ok(o) if o.status == 200) {
            other += 1;
        }
    }
    let bulk_secs = t0.elapsed().as_secs_f64();
    let bulk_rate = n as f64 / bulk_secs;
    let used = |before: Option<(f64, f64)>, after: Option<(f64, f64)>| Some(after?.0 - before?.0);
    let bulk_sender_cpu = used(sender_cpu0, cpu_secs(None));
    let bulk_fake_cpu = used(fake_cpu0, cpu_secs(fake.pid()));

    // Latency: the same concurrency, each send timed on its own.
    eprintln!("  sending {n} toasts one by one, {c} in flight, timing each ...");
    let t0 = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(0..n)
        .map(|_| {
            let (client, channel, message) = (client.clone(), channel.clone(), message.clone());
            async move {
                let t = Instant::now();
                let r = client.send(&channel, &message).await;
                (t.elapsed(), matches!(r, Ok(o) if o.status == 200))
            }
        })
        .buffer_unordered(c)
        .map(|(d, good)| {
            if !good {
                other += 1;
            }
            d
        })
        .collect()
        .await;
    let timed_rate = n as f64 / t0.elapsed().as_secs_f64();
    latencies.sort();
    let sender_hwm = proc_mb(None, "VmHWM");
    let fake_hwm = proc_mb(fake.pid(), "VmHWM");

    emit(Row::info(
        format!("sender: toasts/s, send_bulk, {n} toasts, concurrency {c}"),
        fmt_num(bulk_rate),
    ));
    emit(Row::info(
        "sender: CPU per toast, send_bulk: sender / fake MPNS",
        format!(
            "{} / {} µs",
            us_per(bulk_sender_cpu, n as f64),
            us_per(bulk_fake_cpu, n as f64)
        ),
    ));
    emit(Row::info(
        format!("sender: toasts/s, timed sends, concurrency {c}"),
        fmt_num(timed_rate),
    ));
    emit(Row::info(
        "sender: latency p50 / p99",
        format!(
            "{:.2} / {:.2} ms",
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3
        ),
    ));
    emit(Row::info(
        "sender: answers other than 200 (of 2 × N)",
        other.to_string(),
    ));
    emit(Row::info(
        "sender process: peak memory (VmHWM)",
        mb_text(sender_hwm),
    ));
    emit(Row::info(
        "fake MPNS process: peak memory (VmHWM)",
        mb_text(fake_hwm),
    ));

    if !wrk_available() {
        eprintln!("!!! wrk is not installed: the ceiling is NOT measured (apt-get install -y wrk)");
        emit(Row::info("ceiling (wrk)", "NOT MEASURED: wrk absent"));
        return Ok(());
    }
    eprintln!(
        "  wrk: {c} connections, {} s, same request ...",
        args.duration
    );
    let (wrk_cpu0, fake_cpu0) = (cpu_secs(None), cpu_secs(fake.pid()));
    let run = wrk(&url, c, args.duration, args.wrk_threads).await?;
    // wrk has ended and been waited for: its time is in this process's children's.
    let wrk_cpu = cpu_secs(None)
        .zip(wrk_cpu0)
        .map(|(after, before)| after.1 - before.1);
    let wrk_fake_cpu = used(fake_cpu0, cpu_secs(fake.pid()));
    emit(Row::info(
        format!(
            "ceiling: wrk requests/s, {c} connections, {} thread(s)",
            args.wrk_threads
        ),
        fmt_num(run.rps),
    ));
    emit(Row::info(
        "ceiling: CPU per request: wrk / fake MPNS",
        format!(
            "{} / {} µs",
            us_per(wrk_cpu, run.requests),
            us_per(wrk_fake_cpu, run.requests)
        ),
    ));
    emit(Row::info(
        "ceiling: wrk latency p50 / p99",
        format!(
            "{} / {} ms",
            run.p50_ms.map_or("?".into(), |v| format!("{v:.2}")),
            run.p99_ms.map_or("?".into(), |v| format!("{v:.2}"))
        ),
    ));
    if run.non_2xx > 0 || !run.errors.is_empty() {
        emit(Row::info(
            "ceiling: wrk non-2xx / socket errors",
            format!("{} / {}", run.non_2xx, run.errors),
        ));
    }
    emit(Row::ratio(
        "sender / ceiling (send_bulk toasts/s ÷ wrk requests/s)",
        bulk_rate / run.rps,
        0.7,
    ));
    drop(fake.stdin);
    let _ = fake.child.wait().await;
    Ok(())
}
