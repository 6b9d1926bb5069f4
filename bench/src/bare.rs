//! The bare server (`--role bare`): the same HTTP stack as the fake (hyper through axum), the
//! same answer headers, nothing parsed, no state. What wrk gets from it is the stack's own
//! ceiling, against which the fake's overhead is read.

use std::process::{ExitCode, Stdio};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::fake::next_line;
use crate::Res;

pub(crate) async fn bare_child() -> ExitCode {
    use axum::http::{HeaderMap, HeaderValue};
    async fn answer(headers: HeaderMap, _body: axum::body::Bytes) -> axum::response::Response {
        let mut r = axum::response::Response::new(axum::body::Body::empty());
        let h = r.headers_mut();
        h.insert("x-notificationstatus", HeaderValue::from_static("Received"));
        h.insert(
            "x-deviceconnectionstatus",
            HeaderValue::from_static("Connected"),
        );
        h.insert("x-subscriptionstatus", HeaderValue::from_static("Active"));
        let id = headers
            .get("x-messageid")
            .cloned()
            .unwrap_or(HeaderValue::from_static(
                "00000000-0000-0000-0000-000000000000",
            ));
        h.insert("x-messageid", id);
        r
    }
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bare: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().expect("a bound address");
    println!("ready http://{addr} 0 0 all\nend");
    let app = axum::Router::new().fallback(answer);
    let server = axum::serve(listener, app);
    // End of stdin (the parent gone or done) stops the server.
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    tokio::select! {
        _ = server => {}
        _ = async { while let Ok(Some(_)) = lines.next_line().await {} } => {}
    }
    ExitCode::SUCCESS
}

pub(crate) async fn start_bare() -> Res<(Child, String)> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(["--role", "bare"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("bare server not started: {e}"))?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let ready = next_line(&mut lines).await?;
    let base = ready
        .split_whitespace()
        .nth(1)
        .ok_or("bare: no address")?
        .to_owned();
    Ok((child, base))
}
