//! The answer table: what WNS answers a notification request, checked in the fake's order,
//! and the optional headers it reads on the way.

use std::time::Duration;

use super::{Answer, Core, Incoming, State, MAX_BODY};
use crate::fake_wns::model::{Connection, Platform, ThrottleAnswer, CHANNEL_LIFETIME};
use crate::windows::{Delivery, DeviceOutcome, WnsKind};

impl Core {
    /// The answer table, in the order the fake checks (WNS does not document its order).
    pub(super) fn answer(
        &self,
        s: &mut State,
        req: &Incoming<'_>,
        channel: Option<u64>,
        now: Duration,
        lint: &mut Vec<String>,
        outcome: &mut Option<String>,
    ) -> Answer {
        let status_dropped = |a: Answer| a.header("X-WNS-Status", "dropped");
        if req.method != "POST" && req.method != "DELETE" {
            return Answer::new(405).header("Allow", "POST, DELETE");
        }
        if req
            .header("Transfer-Encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
        {
            return Answer::new(400).header(
                "X-WNS-Error-Description",
                "Chunked transfer encoding is not supported; send Content-Length",
            );
        }
        if req.header("Content-Length").is_none() {
            return Answer::new(411)
                .header("X-WNS-Error-Description", "Content-Length is required");
        }
        // Who is sending.
        let bearer = req.header("Authorization").and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        let Some(issued) = bearer.and_then(|t| s.tokens.get(t)) else {
            return Answer::new(401).header(
                "WWW-Authenticate",
                "Bearer error=\"invalid_request\",error_description=\"Invalid token\"",
            );
        };
        if now >= issued.expires_at {
            return Answer::new(401).header(
                "WWW-Authenticate",
                "Bearer error=\"invalid_request\",error_description=\"Token expired\"",
            );
        }
        let app = issued.app.clone();
        if s.settings.domain_blocked {
            return Answer::new(410).header("X-WNS-Error-Description", "Domain Blocked");
        }
        // To which channel.
        let Some(id) = channel else {
            return Answer::new(404);
        };
        let ch = s.channels.get(&id).expect("by_token points at a channel");
        if ch.info.app != app {
            return status_dropped(Answer::new(403)).header(
                "X-WNS-Error-Description",
                "Channel URL incompatible with caller app",
            );
        }
        if now >= ch.created + CHANNEL_LIFETIME {
            return Answer::new(410);
        }
        let phone = ch.info.platform == Platform::WindowsPhone81;
        // Scripted answers.
        if let Some(i) = s
            .faults
            .iter()
            .position(|f| f.channel.is_none_or(|c| c == id))
        {
            let f = &mut s.faults[i];
            let mut a = Answer::new(f.status);
            if let Some(r) = f.retry_after_secs {
                a = a.header("Retry-After", r.to_string());
            }
            if let Some(d) = &f.description {
                a = a.header("X-WNS-Error-Description", d.clone());
            }
            f.times -= 1;
            if f.times == 0 {
                s.faults.remove(i);
            }
            return a;
        }
        if req.method == "DELETE" {
            if !phone {
                return Answer::new(405).header(
                    "X-WNS-Error-Description",
                    "DELETE is for Windows Phone channels only",
                );
            }
            let Some(m) = req.header("X-WNS-Match").and_then(parse_match) else {
                return Answer::new(400).header(
                    "X-WNS-Error-Description",
                    "X-WNS-Match is missing or malformed",
                );
            };
            let (device, app_name) = (ch.info.device.clone(), ch.info.app.clone());
            let removed = s
                .devices
                .get_mut(&device)
                .map(|d| d.remove_toasts(&app_name, m.0.as_deref(), m.1.as_deref()))
                .unwrap_or(0);
            *outcome = Some(format!("removed {removed} toast(s)"));
            return Answer::new(200).with_status(s.settings.header_profile, "received");
        }
        // What it is.
        let Some(kind) = req.header("X-WNS-Type").and_then(WnsKind::parse) else {
            return Answer::new(400).header(
                "X-WNS-Error-Description",
                "X-WNS-Type must be wns/toast, wns/tile, wns/badge or wns/raw",
            );
        };
        let content_type = req
            .header("Content-Type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let content_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if kind == WnsKind::Raw && content_type != "application/octet-stream" {
            return status_dropped(Answer::new(400)).header(
                "X-WNS-Error-Description",
                "Content-Type should be application/octet-stream",
            );
        }
        if kind != WnsKind::Raw && content_type != "text/xml" {
            return status_dropped(Answer::new(400))
                .header("X-WNS-Error-Description", "Content-Type should be text/xml");
        }
        let mut delivery = Delivery::new(kind, req.body.to_vec());
        match read_options(req, kind, phone, now, &mut delivery) {
            Ok(()) => {}
            Err(why) => {
                return status_dropped(Answer::new(400)).header("X-WNS-Error-Description", why)
            }
        }
        if req.body.len() > MAX_BODY {
            return Answer::new(413);
        }
        // How much.
        let minute = Duration::from_secs(60);
        let settings = s.settings.clone();
        let a = s.apps.get_mut(&app).expect("a token's app exists");
        while a.window.front().is_some_and(|t| *t + minute <= now) {
            a.window.pop_front();
        }
        if settings.monthly_quota.is_some_and(|q| a.sent >= q) {
            return Answer::new(429).header("X-WNS-Error-Description", "Monthly Quota Exceeded");
        }
        if settings
            .app_limit_per_minute
            .is_some_and(|l| a.window.len() >= l as usize)
        {
            let retry = settings.retry_after_secs.to_string();
            return match settings.throttle_answer {
                ThrottleAnswer::Documented406 => Answer::new(406).header("Retry-After", retry),
                ThrottleAnswer::Observed429 => Answer::new(429)
                    .header("Retry-After", retry)
                    .header("X-WNS-Error-Description", "App is throttled. Wait for the seconds of the value in Retry-After header and try again"),
            };
        }
        a.window.push_back(now);
        a.sent += 1;
        let ch = s.channels.get_mut(&id).expect("looked up above");
        while ch.window.front().is_some_and(|t| *t + minute <= now) {
            ch.window.pop_front();
        }
        if settings
            .channel_limit_per_minute
            .is_some_and(|l| ch.window.len() >= l as usize)
        {
            return Answer::new(200)
                .with_status(settings.header_profile, "channelthrottled")
                .header("Retry-After", settings.retry_after_secs.to_string());
        }
        ch.window.push_back(now);
        let cache_policy = req
            .header("X-WNS-Cache-Policy")
            .map(str::to_ascii_lowercase);
        let offline = ch.info.connection != Connection::Connected;
        let cached = offline
            && match kind {
                WnsKind::Raw => cache_policy.as_deref() == Some("cache"),
                _ => cache_policy.as_deref() != Some("no-cache"),
            };
        // Offline and not cached: WNS says "dropped" (its table: a notification the device
        // cannot get now and that is not kept).
        let status = if offline && !cached {
            "dropped"
        } else {
            "received"
        };
        let mut answer = Answer::new(200).with_status(settings.header_profile, status);
        if req
            .header("X-WNS-RequestForStatus")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            let words = match ch.info.connection {
                Connection::Connected => "connected",
                Connection::Disconnected => "disconnected",
                Connection::TempDisconnected => "tempdisconnected",
            };
            answer = answer.header("X-WNS-DeviceConnectionStatus", words);
        }
        if offline {
            if cached {
                ch.cache.retain(|d| d.kind != kind);
                ch.cache.push(delivery);
                *outcome = Some("cached until the device is back".into());
            } else {
                *outcome = Some("dropped: the device is offline and it is not cached".into());
            }
            ch.info.cached = ch.cache.len();
            return answer;
        }
        let (device, app_name) = (ch.info.device.clone(), ch.info.app.clone());
        let dev = s
            .devices
            .get_mut(&device)
            .expect("a channel's device exists");
        let result = dev.deliver(&app_name, delivery, Self::date(now));
        if let DeviceOutcome::Dropped(reason) = &result {
            lint.push(format!(
                "WNS accepted it, but the device dropped it: {reason:?}"
            ));
        }
        *outcome = Some(format!("{result:?}"));
        answer
    }
}

/// `X-WNS-Match`: `type:wns/toast;all`, `;tag=…`, `;group=…`, or both: (tag, group).
fn parse_match(v: &str) -> Option<(Option<String>, Option<String>)> {
    let rest = v.strip_prefix("type:wns/toast;")?;
    if rest == "all" {
        return Some((None, None));
    }
    let (mut tag, mut group) = (None, None);
    for part in rest.split(';') {
        match part.split_once('=')? {
            ("tag", t) if valid_label(t) => tag = Some(t.to_owned()),
            ("group", g) if valid_label(g) => group = Some(g.to_owned()),
            _ => return None,
        }
    }
    (tag.is_some() || group.is_some()).then_some((tag, group))
}

fn valid_label(v: &str) -> bool {
    !v.is_empty() && v.len() <= 16 && v.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Reads the optional headers into the delivery, refusing what WNS answers 400 to.
fn read_options(
    req: &Incoming<'_>,
    kind: WnsKind,
    phone: bool,
    now: Duration,
    d: &mut Delivery,
) -> Result<(), String> {
    if let Some(v) = req.header("X-WNS-Cache-Policy") {
        if !v.eq_ignore_ascii_case("cache") && !v.eq_ignore_ascii_case("no-cache") {
            return Err(format!("X-WNS-Cache-Policy {v:?}: cache or no-cache"));
        }
    }
    if let Some(v) = req.header("X-WNS-TTL") {
        let secs: u64 = v
            .trim()
            .parse()
            .map_err(|_| format!("X-WNS-TTL {v:?} is not a number of seconds"))?;
        d.expires_at = Some(Core::date(now + Duration::from_secs(secs)));
    }
    if let Some(v) = req.header("X-WNS-Tag") {
        if !valid_label(v) {
            return Err(format!("X-WNS-Tag {v:?}: 1 to 16 letters and digits"));
        }
        d.tag = Some(v.to_owned());
    }
    if let Some(v) = req.header("X-WNS-Group") {
        if !valid_label(v) {
            return Err(format!("X-WNS-Group {v:?}: 1 to 16 letters and digits"));
        }
        d.group = Some(v.to_owned());
    }
    if let Some(v) = req.header("X-WNS-PRIORITY") {
        match v.trim().parse::<u8>() {
            Ok(p @ 1..=4) => d.priority = Some(p),
            _ => return Err(format!("X-WNS-PRIORITY {v:?}: 1 to 4")),
        }
    }
    if req.header("X-WNS-SuppressPopup").is_some() {
        if !phone {
            return Err("X-WNS-SuppressPopup is for Windows Phone channels only".into());
        }
        if kind != WnsKind::Toast {
            return Err("X-WNS-SuppressPopup is for toasts only".into());
        }
    }
    Ok(())
}
