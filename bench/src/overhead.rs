//! Item 3 of the benchmark brief (issue 7): the fake against a bare server, both under wrk. The
//! same stack without the fake's work is the fake's ceiling; their ratio is its overhead.

use crate::bare::start_bare;
use crate::fake::FakeProcess;
use crate::report::{emit, fmt_num, Row};
use crate::wrk::{wrk, wrk_available};
use crate::{Args, Res};

pub(crate) async fn overhead(args: &Args) -> Res<()> {
    if !wrk_available() {
        eprintln!(
            "!!! wrk is not installed: the overhead is NOT measured (apt-get install -y wrk)"
        );
        emit(Row::info(
            "fake / bare server (wrk)",
            "NOT MEASURED: wrk absent",
        ));
        return Ok(());
    }
    let c = args.concurrency.max(1);
    let fake = FakeProcess::start(1, true, args.rss_guard_mb).await?;
    let url = fake
        .uris
        .first()
        .cloned()
        .ok_or("the fake made no channel")?;
    let (_bare, bare_base) = start_bare().await?;
    // The bare server answers any path; give it the fake's path so the request is identical.
    let path = url
        .strip_prefix(&fake.base)
        .ok_or("channel URI outside the fake's base")?;
    let bare_url = format!("{bare_base}{path}");
    // Alternate, so a drift of the machine's speed hits both alike.
    let rounds = 3;
    let (mut fake_rps, mut bare_rps) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        eprintln!("  round {round}/{rounds}: wrk on the fake, then on the bare server ...");
        fake_rps.push(wrk(&url, c, args.duration, args.wrk_threads).await?.rps);
        bare_rps.push(
            wrk(&bare_url, c, args.duration, args.wrk_threads)
                .await?
                .rps,
        );
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (f, b) = (median(&mut fake_rps), median(&mut bare_rps));
    emit(Row::info(
        format!("fake MPNS: wrk requests/s (median of {rounds})"),
        fmt_num(f),
    ));
    emit(Row::info(
        format!("bare hyper/axum server: wrk requests/s (median of {rounds})"),
        fmt_num(b),
    ));
    emit(Row::ratio("fake MPNS / bare server", f / b, 0.8));
    Ok(())
}
