//! Item 6 of the benchmark brief (issue 7), first part: the fake's memory with many channels,
//! read from its own process once it has created them, with a guard so an unexpected growth
//! stops the run instead of the machine.

use crate::fake::FakeProcess;
use crate::procfs::{mb_text, proc_mb};
use crate::report::{emit, fmt_num, Row};
use crate::{Args, Res};

pub(crate) async fn scale(args: &Args) -> Res<()> {
    let n = args.channels.max(1);
    eprintln!(
        "  fake creating {n} channels (stops past {} MB resident) ...",
        args.rss_guard_mb
    );
    let mut fake = FakeProcess::start(n, false, args.rss_guard_mb).await?;
    let hwm = proc_mb(fake.pid(), "VmHWM");
    if fake.guard_hit {
        emit(Row {
            figure: format!("scale: fake MPNS memory with {n} channels"),
            value: format!("stopped at {} channels, {}", fake.created, mb_text(hwm)),
            target: "< 512 MB".into(),
            verdict: "MISSED".into(),
        });
    } else {
        emit(Row::at_most(
            &format!("scale: fake MPNS peak memory with {n} channels (VmHWM)"),
            hwm.unwrap_or(f64::NAN),
            "MB",
            512.0,
        ));
    }
    if let Some(h) = hwm {
        emit(Row::info(
            "scale: bytes per channel (peak ÷ channels)",
            fmt_num(h * 1024.0 * 1024.0 / fake.created.max(1) as f64),
        ));
    }
    emit(Row::info(
        format!("scale: {} channels created in", fake.created),
        format!("{:.2} s", fake.create_secs),
    ));
    drop(fake.stdin);
    let _ = fake.child.wait().await;
    let _ = &mut fake.lines;
    Ok(())
}
