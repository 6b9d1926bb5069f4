//! Item 7 of the benchmark brief (issue 7): the wall time of `cargo test --workspace` after a
//! build. Only when named, since it builds and runs the whole suite.

use std::process::Stdio;
use std::time::Instant;

use tokio::process::Command;

use crate::report::{emit, Row};
use crate::Res;

pub(crate) async fn suite() -> Res<()> {
    let root = env!("CARGO_MANIFEST_DIR");
    eprintln!("  building the tests first (not timed): cargo test --workspace --no-run ...");
    let build = Command::new("cargo")
        .args(["test", "--workspace", "--no-run", "--quiet"])
        .current_dir(root)
        .stdout(Stdio::null())
        .status()
        .await
        .map_err(|e| format!("cargo: {e}"))?;
    if !build.success() {
        return Err(format!("the test build failed ({build})"));
    }
    eprintln!("  timing cargo test --workspace ...");
    let t0 = Instant::now();
    let out = Command::new("cargo")
        .args(["test", "--workspace", "--quiet"])
        .current_dir(root)
        .output()
        .await
        .map_err(|e| format!("cargo: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout);
    let (mut passed, mut failed) = (0u64, 0u64);
    for line in text.lines().filter(|l| l.starts_with("test result:")) {
        let num = |word: &str| {
            line.split(';')
                .find(|p| p.trim().ends_with(word))
                .and_then(|p| p.split_whitespace().rev().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        };
        passed += num("passed");
        failed += num("failed");
    }
    emit(Row::at_most(
        "suite: cargo test --workspace after a build, wall time",
        secs,
        "s",
        60.0,
    ));
    emit(Row::info(
        "suite: tests passed / failed",
        format!(
            "{passed} / {failed}{}",
            if out.status.success() {
                ""
            } else {
                " (exit status not 0)"
            }
        ),
    ));
    Ok(())
}
