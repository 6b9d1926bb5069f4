//! The parent: one child process per item, then the table. A fresh process per item is what
//! makes each peak-memory figure (`VmHWM`) that item's alone; the children report their rows as
//! JSON lines on stdout, and anything else they print passes through to stderr.

use std::process::{ExitCode, Stdio};

use tokio::process::Command;

use crate::report::{markdown_table, Row};
use crate::{item_name, Args, Item};

pub(crate) async fn parent(args: Args) -> ExitCode {
    let mut items: Vec<Item> = if args.items.is_empty() {
        vec![Item::All]
    } else {
        args.items.clone()
    };
    if items.contains(&Item::All) {
        items.retain(|i| *i != Item::All);
        items.extend([
            Item::Payload,
            Item::World,
            Item::Sender,
            Item::Wns,
            Item::Overhead,
            Item::Fanout,
            Item::Faults,
            Item::Scale,
        ]);
    }
    items.sort();
    items.dedup();
    let exe = std::env::current_exe().expect("the path of this program");
    let mut rows = Vec::new();
    let mut failed = false;
    for item in items {
        eprintln!("== {}", item_name(item));
        let mut cmd = Command::new(&exe);
        cmd.arg(item_name(item))
            .args(["--role", "item"])
            .args(["--n", &args.n.to_string()])
            .args(["--concurrency", &args.concurrency.to_string()])
            .args(["--registrations", &args.registrations.to_string()])
            .args(["--channels", &args.channels.to_string()])
            .args(["--starts", &args.starts.to_string()])
            .args(["--duration", &args.duration.to_string()])
            .args(["--wrk-threads", &args.wrk_threads.to_string()])
            .args(["--rss-guard-mb", &args.rss_guard_mb.to_string()])
            .args(
                args.database_url
                    .iter()
                    .flat_map(|u| ["--database-url", u.as_str()]),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let out = match cmd.output().await {
            Ok(o) => o,
            Err(e) => {
                eprintln!("bench: cannot run the {} item: {e}", item_name(item));
                failed = true;
                continue;
            }
        };
        if !out.status.success() {
            eprintln!(
                "bench: the {} item failed ({})",
                item_name(item),
                out.status
            );
            failed = true;
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            match serde_json::from_str::<Row>(line) {
                Ok(row) => rows.push(row),
                Err(_) => eprintln!("{line}"),
            }
        }
    }
    let table = markdown_table(&rows);
    println!("{table}");
    if let Some(path) = &args.markdown {
        if let Err(e) = std::fs::write(path, &table) {
            eprintln!("bench: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
