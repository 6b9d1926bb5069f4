//! Memory and CPU time from the kernel's accounting (`/proc/<pid>/status` and `/proc/<pid>/stat`),
//! read for this process or for a child by pid, so the sender's figures and the fake's are read
//! apart, and CPU time does not depend on how the cores happened to be shared.

/// A `kB` field of `/proc/<pid>/status` (`VmHWM`: peak resident set; `VmRSS`: now), in MB.
pub(crate) fn proc_mb(pid: Option<u32>, field: &str) -> Option<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// CPU time used so far, user and system, in seconds: the process's own (`pid`, or this one),
/// and that of its children that have ended and been waited for. From `/proc/<pid>/stat`, whose
/// times are in clock ticks of 1/100 s (`USER_HZ` on Linux).
pub(crate) fn cpu_secs(pid: Option<u32>) -> Option<(f64, f64)> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    // After the command name (which may hold spaces) in parentheses: fields 3 onwards.
    let fields: Vec<&str> = text.get(text.rfind(')')? + 2..)?.split(' ').collect();
    let tick = |i: usize| fields.get(i - 3)?.parse::<f64>().ok().map(|t| t / 100.0);
    Some((tick(14)? + tick(15)?, tick(16)? + tick(17)?))
}

/// `CPU time ÷ count` in µs, or `?`.
pub(crate) fn us_per(cpu: Option<f64>, count: f64) -> String {
    cpu.map_or("?".into(), |secs| format!("{:.1}", secs * 1e6 / count))
}

pub(crate) fn mb_text(mb: Option<f64>) -> String {
    mb.map_or("unreadable".into(), |m| format!("{m:.1} MB"))
}
