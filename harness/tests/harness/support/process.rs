//! The standalone binaries under test: started as child processes that print where they
//! listen on their first line.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::wait::within;

/// Starts `program` with `args` (stdout piped, stderr too when `stderr` is set; killed when
/// dropped) and reads its first line, which must be whole and start with `prefix`. Returns the
/// child and the rest of that line.
pub(crate) async fn start_printing(
    program: &str,
    args: &[&str],
    prefix: &str,
    stderr: bool,
) -> (Child, String) {
    let mut command = Command::new(program);
    command.args(args).stdout(Stdio::piped()).kill_on_drop(true);
    if stderr {
        command.stderr(Stdio::piped());
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{program} does not start: {e}"));
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    within(
        "the binary to print its address",
        stdout.read_line(&mut line),
    )
    .await
    .unwrap();
    assert!(line.ends_with('\n'), "a whole first line: {line:?}");
    let rest = line
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end()
        .to_owned();
    (child, rest)
}
