//! `mpns fake-mpns` is the harness's `fake-mpns` command: the same flags, the same behaviour.

use std::collections::BTreeSet;

use clap::CommandFactory;
use mpns_harness::cli::FakeMpnsArgs;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mpns");

/// Every flag a `--help` text lists (`-v`, `--verbose`, `--listen`, ...).
fn flags(help: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in help.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        for word in line.split([',', ' ']).filter(|w| !w.is_empty()) {
            if !word.starts_with('-') {
                break;
            }
            let name = word.split(['=', '.', '<']).next().unwrap_or(word);
            out.insert(name.to_owned());
        }
    }
    out
}

#[tokio::test]
async fn mpns_fake_mpns_takes_exactly_the_flags_of_the_fake_mpns_command() {
    let out = Command::new(BIN)
        .args(["fake-mpns", "--help"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let subcommand = flags(&String::from_utf8(out.stdout).unwrap());
    // The standalone `fake-mpns` binary's whole command line is `FakeMpnsArgs::parse()`
    // (harness/src/bin/fake-mpns.rs); its own --help is checked in the harness's tests.
    let standalone = flags(&FakeMpnsArgs::command().render_long_help().to_string());
    assert!(
        standalone.contains("--public-url") && standalone.contains("-q"),
        "{standalone:?}"
    );
    assert_eq!(subcommand, standalone);
}
