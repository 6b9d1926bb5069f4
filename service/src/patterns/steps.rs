//! What a queued job sends, and what its answer adds: the patterns' side of the durable queue.
//!
//! A job stores only its step name (`tile`, `toast`, `raw`, `probe`, `ask`, `update_info`),
//! the subscriber's channel and OS version, and sometimes a few bytes of data (a counter, a
//! stored tile, an image URI); its batch stores the pattern's settings once. So the message is
//! built again from them on every attempt, exactly as it was planned, after any restart.
//!
//! | Pattern | Steps | Follow-up |
//! |---|---|---|
//! | any (Activate) | `update_info`: the raw `Update Info` | – |
//! | One Time | `tile`, `toast`, `raw` from the batch's request | – |
//! | Counter | `probe` (raw); `tile` with the count in the job's data | on the probe's first answer, when it does not show the app running: the counter goes up (same transaction) and `tile` follows |
//! | Ask to Pin | `tile` (the front in the job's data, or the batch's); `ask` (raw `AskToPin`) | on the tile's final answer, when `Suppressed`: `ask` follows |
//! | Custom Tile | `tile` from the batch's front | – |
//! | Tile Schedule | `tile` with the image URI in the job's data | – |

use super::counter::{self, Probe};
use super::tiles::{self, TileFront};
use super::{ask_to_pin, Counter, OneTime, ASK_TO_PIN, UPDATE_INFO};
use crate::registration::{BatchSpec, ClaimedJob, JobData, NewJob, PatternKind};
use mpns::{Message, OsVersion, Outcome, TransportError};

/// The step of Activate's `Update Info`, in every pattern.
pub(crate) const UPDATE_INFO_STEP: &str = "update_info";

fn settings<T: serde::de::DeserializeOwned>(json: Option<&str>) -> Result<T, String> {
    let json = json.ok_or("the settings are missing")?;
    serde_json::from_str(json).map_err(|e| format!("the settings are unreadable: {e}"))
}

/// The job's message, built from its batch's settings and its own data.
pub(crate) fn message(
    spec: &BatchSpec,
    job: &ClaimedJob,
    os: OsVersion,
) -> Result<Message, String> {
    let batch = spec.spec.as_deref();
    let data = job.data.as_deref();
    let built = match (spec.pattern, job.step.as_str()) {
        (_, UPDATE_INFO_STEP) => tiles::raw(UPDATE_INFO),
        (PatternKind::OneTime, step) => {
            let checked = settings::<OneTime>(batch)?
                .check()
                .map_err(|e| e.message.clone())?;
            match checked.message(step, os) {
                Some(m) => m,
                None => return Err(format!("unknown One Time step {step:?}")),
            }
        }
        (PatternKind::Counter, "probe") => counter::probe(&settings::<Counter>(batch)?),
        (PatternKind::Counter, "tile") => {
            let count = data
                .and_then(|d| d.parse::<u8>().ok())
                .ok_or("the counted tile has no count")?;
            counter::tile(&settings::<Counter>(batch)?, os, count)
        }
        (PatternKind::AskToPin, "tile") => {
            let front: TileFront = settings(data.or(batch))?;
            tiles::tile(os, &front)
        }
        (PatternKind::AskToPin, "ask") => tiles::raw(ASK_TO_PIN),
        (PatternKind::CustomTile, "tile") => tiles::tile(os, &settings::<TileFront>(batch)?),
        (PatternKind::TileSchedule, "tile") => {
            let front = TileFront {
                background_image: Some(data.ok_or("the tile has no image")?.to_owned()),
                count: None,
                title: None,
            };
            tiles::tile(os, &front)
        }
        (pattern, step) => return Err(format!("{} has no step {step:?}", pattern.id())),
    };
    built.map_err(|e| e.to_string())
}

/// What a job to a WNS registration sends: One Time's steps and Activate's `Update Info` have
/// WNS equivalents ([`OneTime`]'s `wns_notification`), and so has Counter: its probe is the same
/// raw, its counted tile a badge number. Ask to Pin, Custom Tile and Tile Schedule are not sent
/// to Windows devices (their tiles have no Windows 11 equivalent), and the job is given up with
/// a status-log row that says so.
pub(crate) fn wns_message(
    spec: &BatchSpec,
    job: &ClaimedJob,
) -> Result<(wns::Notification, &'static str), String> {
    let (built, message_type) = match (spec.pattern, job.step.as_str()) {
        (_, UPDATE_INFO_STEP) => (
            wns::Raw::new(UPDATE_INFO.as_bytes().to_vec()).build(),
            "Raw",
        ),
        (PatternKind::OneTime, step) => {
            let checked = settings::<OneTime>(spec.spec.as_deref())?
                .check()
                .map_err(|e| e.message.clone())?;
            checked
                .wns_notification(step)
                .ok_or_else(|| format!("unknown One Time step {step:?}"))?
        }
        (PatternKind::Counter, "probe") => {
            let raw = settings::<Counter>(spec.spec.as_deref())?.raw_message;
            (wns::Raw::new(raw.into_bytes()).build(), "Raw")
        }
        (PatternKind::Counter, "tile") => {
            let count = job
                .data
                .as_deref()
                .and_then(|d| d.parse::<u32>().ok())
                .ok_or("the counted badge has no count")?;
            (wns::Badge::number(count).build(), "Badge")
        }
        (pattern, _) => {
            return Err(format!(
                "{} is not sent to Windows devices (WNS); only One Time and Counter are",
                pattern.display_name()
            ))
        }
    };
    Ok((built.map_err(|e| e.to_string())?, message_type))
}

/// The jobs a WNS answer adds: Counter's probe, accepted on its first attempt, is followed by
/// the counted badge (the counter goes up in the same transaction). WNS cannot say whether the
/// app runs, as MPNS's probe answer did, so every accepted probe counts.
pub(crate) fn wns_follow_ups(
    pattern: PatternKind,
    job: &ClaimedJob,
    accepted: bool,
    attempt: u32,
) -> Vec<NewJob> {
    if pattern == PatternKind::Counter && job.step == "probe" && accepted && attempt == 1 {
        vec![NewJob {
            user_name: job.user_name.clone(),
            channel_uri: job.channel_uri.clone(),
            os_version: job.os_version.clone(),
            platform: job.platform,
            step: "tile",
            data: JobData::IncrementedCounter(PatternKind::Counter),
        }]
    } else {
        Vec::new()
    }
}

/// The status log's message type of a WNS job's step (One Time's tile goes as a badge).
pub(crate) fn wns_message_type(step: &str) -> &'static str {
    match step {
        "tile" => "Badge",
        "toast" => "Toast",
        _ => "Raw",
    }
}

/// The status log's message type of a step (before its message is built).
pub(crate) fn message_type(step: &str) -> &'static str {
    match step {
        "tile" => "Tile",
        "toast" => "Toast",
        _ => "Raw",
    }
}

/// The jobs an answer adds to its batch (see the module's table).
pub(crate) fn follow_ups(
    pattern: PatternKind,
    job: &ClaimedJob,
    result: &Result<Outcome, TransportError>,
    attempt: u32,
    is_final: bool,
) -> Vec<NewJob> {
    let next = |step: &'static str, data: JobData| NewJob {
        user_name: job.user_name.clone(),
        channel_uri: job.channel_uri.clone(),
        os_version: job.os_version.clone(),
        platform: job.platform,
        step,
        data,
    };
    let Ok(outcome) = result else {
        // The recipe only logged a failed probe or tile; so does this (it is in the log).
        return Vec::new();
    };
    match (pattern, job.step.as_str()) {
        (PatternKind::Counter, "probe")
            if attempt == 1 && counter::read_probe(outcome) == Probe::NotRunning =>
        {
            vec![next(
                "tile",
                JobData::IncrementedCounter(PatternKind::Counter),
            )]
        }
        (PatternKind::AskToPin, "tile") if is_final && ask_to_pin::suppressed(outcome) => {
            vec![next("ask", JobData::None)]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn job(step: &str, data: Option<&str>) -> ClaimedJob {
        ClaimedJob {
            id: 1,
            batch_id: 1,
            user_name: "ann".into(),
            channel_uri: "http://127.0.0.1:1/c".into(),
            os_version: "8.0".into(),
            step: step.into(),
            data: data.map(str::to_owned),
            attempts: 0,
            platform: crate::registration::Platform::Mpns,
        }
    }

    fn spec(pattern: PatternKind, json: Option<String>) -> BatchSpec {
        BatchSpec {
            pattern,
            uuid: Uuid::nil(),
            spec: json,
        }
    }

    #[test]
    fn every_step_of_every_pattern_builds_from_what_the_queue_stores() {
        let one_time = spec(
            PatternKind::OneTime,
            Some(serde_json::to_string(&OneTime::default()).unwrap()),
        );
        for step in ["tile", "toast", "raw", UPDATE_INFO_STEP] {
            assert!(message(&one_time, &job(step, None), OsVersion::V8_0).is_ok());
        }
        let counter = spec(
            PatternKind::Counter,
            Some(serde_json::to_string(&Counter::default()).unwrap()),
        );
        let tile = message(&counter, &job("tile", Some("7")), OsVersion::V7_0).unwrap();
        assert!(String::from_utf8_lossy(tile.body()).contains(">7<"));
        assert!(message(&counter, &job("probe", None), OsVersion::V7_0).is_ok());
        let schedule = spec(PatternKind::TileSchedule, None);
        let tile = message(
            &schedule,
            &job("tile", Some("http://localhost:8000/images/numbers/3.png")),
            OsVersion::V7_0,
        )
        .unwrap();
        assert!(String::from_utf8_lossy(tile.body()).contains("numbers/3.png"));
    }

    #[test]
    fn a_step_the_build_does_not_know_is_a_clear_error_not_a_panic() {
        let custom = spec(PatternKind::CustomTile, None);
        let e = message(&custom, &job("tile", None), OsVersion::V8_0).unwrap_err();
        assert_eq!(e, "the settings are missing");
        let e = message(&custom, &job("toast", None), OsVersion::V8_0).unwrap_err();
        assert_eq!(e, "custom-tile has no step \"toast\"");
    }
}
