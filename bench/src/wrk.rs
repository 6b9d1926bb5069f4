//! wrk, the independent load generator: it replays the exact request the sender makes, so its
//! rate is the ceiling the sender and the fake are compared with. Absent wrk, the items that need
//! it say so loudly and skip their figures.

use std::fmt::Write as _;

use mpns::{ChannelUri, WireRequest};
use tokio::process::Command;

use crate::load::toast;
use crate::Res;

/// What a wrk run reported.
pub(crate) struct WrkRun {
    pub(crate) rps: f64,
    /// Requests completed.
    pub(crate) requests: f64,
    pub(crate) p50_ms: Option<f64>,
    pub(crate) p99_ms: Option<f64>,
    pub(crate) non_2xx: u64,
    pub(crate) errors: String,
}

pub(crate) fn wrk_available() -> bool {
    std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok()
}

/// Loads `url` with the exact request the sender makes (same headers, same body), over
/// `connections` keep-alive connections for `seconds`.
pub(crate) async fn wrk(
    url: &str,
    connections: usize,
    seconds: u64,
    threads: usize,
) -> Res<WrkRun> {
    let channel: ChannelUri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    let request = WireRequest::notification(&channel, &toast(), uuid::Uuid::new_v4());
    let body = String::from_utf8(request.body.to_vec()).map_err(|e| e.to_string())?;
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    wrk_post(url, &headers, &body, connections, seconds, threads).await
}

/// Loads `url` with a POST of `body` carrying `headers`.
pub(crate) async fn wrk_post(
    url: &str,
    headers: &[(String, String)],
    body: &str,
    connections: usize,
    seconds: u64,
    threads: usize,
) -> Res<WrkRun> {
    let mut lua = String::from("wrk.method = \"POST\"\n");
    let _ = writeln!(lua, "wrk.body = [==[{body}]==]");
    for (name, value) in headers {
        let _ = writeln!(lua, "wrk.headers[\"{name}\"] = \"{value}\"");
    }
    let script = std::env::temp_dir().join(format!("mpns-bench-{}.lua", std::process::id()));
    std::fs::write(&script, lua).map_err(|e| format!("{}: {e}", script.display()))?;
    let threads = threads.clamp(1, connections.max(1));
    let out = Command::new("wrk")
        .args(["-t", &threads.to_string()])
        .args(["-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s")])
        .arg("--latency")
        .arg("-s")
        .arg(&script)
        .arg(url)
        .output()
        .await
        .map_err(|e| format!("wrk: {e}"))?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .map(|l| l.trim_start()[prefix.len()..].trim().to_owned())
    };
    let rps: f64 = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("wrk printed no Requests/sec:\n{text}"))?;
    let latency = |p: &str| field(p).and_then(|v| parse_wrk_duration(&v));
    // "  123456 requests in 5.00s, 9.87MB read"
    let requests = text
        .lines()
        .find_map(|l| l.trim_start().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .ok_or_else(|| format!("wrk printed no request count:\n{text}"))?;
    Ok(WrkRun {
        rps,
        requests,
        p50_ms: latency("50%"),
        p99_ms: latency("99%"),
        non_2xx: field("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        errors: field("Socket errors:").unwrap_or_default(),
    })
}

/// `"512.00us"`, `"1.20ms"`, `"2.01s"` as milliseconds.
fn parse_wrk_duration(v: &str) -> Option<f64> {
    let (num, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    num.trim().parse::<f64>().ok().map(|n| n * scale)
}
