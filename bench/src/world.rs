//! Item 6 of the benchmark brief (issue 7), second part: how long a `World` takes to start, as
//! every end-to-end test starts one.

use std::time::Instant;

use mpns_harness::World;

use crate::report::{emit, percentile, Row};
use crate::{Args, Res};

pub(crate) async fn world(args: &Args) -> Res<()> {
    let n = args.starts.max(1);
    // One start first, so that the first-time costs of the process are not counted.
    drop(World::start().await);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let w = World::start().await;
        times.push(t.elapsed());
        drop(w);
    }
    times.sort();
    emit(Row::at_most(
        &format!("World::start, p50 of {n}"),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        "ms",
        20.0,
    ));
    emit(Row::info(
        format!("World::start, p99 of {n}"),
        format!("{:.3} ms", percentile(&times, 0.99).as_secs_f64() * 1e3),
    ));
    let with_phone = {
        let t = Instant::now();
        let w = World::start().await;
        w.add_phone("lumia", "8.0").map_err(|e| e.to_string())?;
        let d = t.elapsed();
        drop(w);
        d
    };
    emit(Row::info(
        "World::start + add_phone, once",
        format!("{:.3} ms", with_phone.as_secs_f64() * 1e3),
    ));
    // The fake WNS starts on first use (its https listener makes a test CA), so World::start
    // above does not pay for it; a World with a Windows device does, once.
    let with_pc = {
        let t = Instant::now();
        let w = World::start().await;
        w.add_windows_device("pc", mpns_harness::windows::WindowsVersion::Windows11)
            .await
            .map_err(|e| e.to_string())?;
        let d = t.elapsed();
        drop(w);
        d
    };
    emit(Row::info(
        "World::start + add_windows_device (starts the fake WNS), once",
        format!("{:.3} ms", with_pc.as_secs_f64() * 1e3),
    ));
    Ok(())
}
