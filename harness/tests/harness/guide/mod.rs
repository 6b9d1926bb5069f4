//! The guide `docs/testing-with-the-fake.md` ("Test your MPNS sender with the fake"): every
//! `sh` block runs, in order, in one bash against the real `fake-mpns` binary and prints what
//! the `text` block after it shows; the scenario file and the Rust example it shows are the
//! repository's files as they are; the service container's command line starts the binary.
//!
//! The shell blocks need `curl` (7.84 or later) and `jq`: without them the test says so and
//! passes, except under `CI`, where it fails (`.ci/run` installs both).

mod reqwest_sender;

use std::path::Path;
use std::process::Stdio;

use crate::support::client::{client, json};
use crate::support::wait::within;
use mpns_harness::fake::Scenario;
use tokio::process::Command;

const GUIDE: &str = include_str!("../../../../docs/testing-with-the-fake.md");
const SCENARIO: &str = include_str!("../../../../fixtures/scenarios/ci-guide.toml");
const SCENARIO_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/scenarios/ci-guide.toml"
);
const EXAMPLE: &str = include_str!("reqwest_sender.rs");
const CI_RUN: &str = include_str!("../../../../.ci/run");
const BIN: &str = env!("CARGO_BIN_EXE_fake-mpns");

/// The guide's fenced blocks in order: (info string, text).
fn blocks() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in GUIDE.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some("")) => out.extend(open.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "the guide has a fence that is not closed");
    out
}

/// Lines without trailing whitespace (an absent MPNS header prints as nothing after a space),
/// without trailing empty lines.
fn normalized(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    lines[..end].join("\n")
}

fn have(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

const MARKER: &str = "@@guide-block ";

#[tokio::test]
async fn every_shell_block_of_the_guide_runs_and_prints_what_the_guide_shows() {
    let missing: Vec<&str> = ["curl", "jq", "bash"]
        .into_iter()
        .filter(|p| !have(p))
        .collect();
    if !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the guide's shell blocks need {missing:?}, which CI must install (.ci/run does)"
        );
        eprintln!(
            "SKIPPED: the guide's shell blocks were not run: {missing:?} not installed (CI fails instead)"
        );
        return;
    }
    let blocks = blocks();
    // (block, the output the guide shows after it, if any)
    let mut runs: Vec<(&str, Option<&str>)> = Vec::new();
    for (i, (info, text)) in blocks.iter().enumerate() {
        if info != "sh" {
            continue;
        }
        if text.starts_with("cargo install ") {
            // Too slow for a test; `.ci/run` installs the fake with this line (in a throwaway
            // root, reusing the test build) and starts the installed binary.
            assert_eq!(text.trim(), "cargo install --locked --path harness");
            assert!(CI_RUN.contains("cargo install --locked --debug --path harness"));
            continue;
        }
        let shown = blocks
            .get(i + 1)
            .filter(|(info, _)| info == "text")
            .map(|(_, t)| t.as_str());
        runs.push((text, shown));
    }
    assert!(runs.len() >= 8, "the guide's shell blocks: {}", runs.len());

    let dir = tempfile_dir();
    std::fs::copy(SCENARIO_PATH, dir.join("scenario.toml")).unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    // The test's own lines: stop on the first failing command, and never leave the fake behind.
    let mut script = String::from("set -eu\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n");
    for (i, (block, _)) in runs.iter().enumerate() {
        script.push_str(&format!("echo '{MARKER}{i}'\n{block}"));
    }
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = within(
        "the guide's shell blocks to finish",
        Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(&dir)
            .env("PATH", path)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the guide's shell blocks failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let printed: Vec<&str> = stdout.split(MARKER).skip(1).collect();
    assert_eq!(printed.len(), runs.len(), "{stdout}");
    for (i, ((block, shown), printed)) in runs.iter().zip(printed).enumerate() {
        let printed = printed.split_once('\n').map_or("", |(_, rest)| rest);
        match shown {
            Some(shown) => assert_eq!(
                normalized(printed),
                normalized(shown),
                "shell block {i} of the guide printed something else than the guide shows:\n{block}"
            ),
            None => assert_eq!(
                normalized(printed),
                "",
                "shell block {i} of the guide printed output the guide does not show:\n{block}"
            ),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh folder under the system's temp folder for the shell blocks' files.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mpns-guide-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_guide_shows_the_scenario_fixture_and_the_rust_example_as_they_are() {
    let blocks = blocks();
    assert!(
        blocks
            .iter()
            .any(|(info, text)| info == "toml" && text == SCENARIO),
        "the guide's scenario is not fixtures/scenarios/ci-guide.toml as it is: copy it again"
    );
    assert!(
        blocks.iter().any(|(info, text)| info == "rust" && text == EXAMPLE),
        "the guide's Rust example is not harness/tests/harness/guide/reqwest_sender.rs as it is: copy it again"
    );
    // The fixture is a scenario the fake takes: seven channels, the 503 rule.
    let scenario = Scenario::from_toml(SCENARIO).unwrap();
    assert_eq!(scenario.channels.len(), 7);
    assert_eq!(scenario.faults.len(), 1);
    // The guide's links lead to files that exist.
    for link in [
        "../fixtures/scenarios/ci-guide.toml",
        "../harness/tests/harness/guide/reqwest_sender.rs",
        "openapi/fake-mpns.json",
        "mpns-protocol.md",
    ] {
        assert!(GUIDE.contains(&format!("({link}")), "{link}");
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs")
            .join(link);
        assert!(file.exists(), "{}", file.display());
    }
}

#[tokio::test]
async fn the_service_containers_fake_mpns_command_starts_the_binary() {
    let yaml = blocks()
        .into_iter()
        .find(|(info, _)| info == "yaml")
        .expect("the guide's service container")
        .1;
    let command = yaml
        .lines()
        .find_map(|l| l.split_once("exec fake-mpns "))
        .expect("a `command:` that execs fake-mpns")
        .1
        .trim_end()
        .trim_end_matches('\'');
    let args: Vec<String> = command
        .split_whitespace()
        .map(|a| match a {
            "0.0.0.0:8080" => "127.0.0.1:0".to_owned(),
            "/scenario.toml" => SCENARIO_PATH.to_owned(),
            other => other.to_owned(),
        })
        .collect();
    assert!(
        args.windows(2)
            .any(|w| w[0] == "--public-url" && w[1] == "http://fake-mpns:8080"),
        "{args:?}"
    );
    assert!(yaml.contains("FAKE: http://fake-mpns:8080"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (mut child, control) = crate::fake::binary::start(&args).await;
    let channels: serde_json::Value = json(client().get(format!("{control}/_fake/channels"))).await;
    assert_eq!(
        channels[0]["uri"], "http://fake-mpns:8080/throttledthirdparty/01.00/lumia-weather",
        "the scenario's channels carry the public URL"
    );
    child.kill().await.unwrap();
}
