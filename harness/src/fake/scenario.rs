//! Scenario files: the state a test wants the fake to start in (channels with fixed tokens, so
//! their URIs are known in advance, device states, fault rules, the daily limit and the queue
//! capacity), written once as JSON or TOML and loaded with `fake-mpns --scenario FILE`, with
//! [`FakeMpnsBuilder::scenario`](crate::FakeMpnsBuilder::scenario) or at run time with
//! `POST /_fake/scenario`.
//!
//! Unknown fields are refused everywhere (a misspelt field would otherwise be a silently
//! ignored setting), and errors name the file, the line and the field.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::{path_error, FakeError};
use super::faults::FaultRule;
use super::model::{ChannelOptions, DeviceId, DeviceUpdate};

/// A scenario: what the fake holds before the first request.
///
/// TOML (`fixtures/scenarios/example.toml` in the repository is a complete example):
///
/// ```toml
/// daily_limit = 3
/// queue_capacity = 5
///
/// [[channels]]
/// token = "weather-lumia"           # URI: http://HOST:PORT/throttledthirdparty/01.00/weather-lumia
/// device = "lumia"
/// app = "weather"
/// device_state = { bound_toast = false }
///
/// [devices.lumia]                   # device-level state: connection, power, queue_capacity
/// power = "LowPowerMode"
///
/// [[faults]]
/// action = "status_503"
/// count = 2
/// ```
///
/// ```
/// use mpns_harness::fake::Scenario;
///
/// let s = Scenario::from_toml("daily_limit = 3\n[[channels]]\ntoken = \"abc\"\n").unwrap();
/// assert_eq!(s.daily_limit, Some(3));
/// assert_eq!(s.channels[0].token.as_deref(), Some("abc"));
/// let e = Scenario::from_toml("daily_limt = 3\n").unwrap_err();
/// assert!(e.to_string().contains("daily_limt"), "{e}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Notifications an unauthenticated channel takes per day before MPNS answers 406.
    pub daily_limit: Option<u32>,
    /// Notifications that may wait in a device queue before MPNS answers QueueFull (every
    /// device, and those created later).
    #[schema(maximum = 1_000_000)]
    pub queue_capacity: Option<usize>,
    /// Channels to create, in order (ids 1, 2, ... on a fresh fake); give `token` to know the
    /// URI in advance.
    pub channels: Vec<ChannelOptions>,
    /// Device-level state (`connection`, `power`, `queue_capacity`) by device name, applied
    /// after the channels are created.
    pub devices: BTreeMap<DeviceId, DeviceUpdate>,
    /// Fault rules to install, in order.
    pub faults: Vec<FaultRule>,
}

impl Scenario {
    /// Reads a scenario file: TOML when its name ends in `.toml`, JSON otherwise. The error
    /// names the file, and the line and field at fault.
    pub fn from_file(path: &Path) -> Result<Self, FakeError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            FakeError::Invalid(format!("cannot read scenario file {}: {e}", path.display()))
        })?;
        let toml = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("toml"));
        let parsed = if toml {
            Self::from_toml(&text)
        } else {
            Self::from_json(&text)
        };
        parsed.map_err(|e| FakeError::Invalid(format!("scenario file {}: {e}", path.display())))
    }

    /// Reads a scenario from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, FakeError> {
        // toml's message already says "TOML parse error at line L, column C" and shows the line.
        toml::from_str(text).map_err(|e| FakeError::Invalid(e.to_string().trim_end().to_owned()))
    }

    /// Reads a scenario from JSON text.
    pub fn from_json(text: &str) -> Result<Self, FakeError> {
        if !text.trim_start().starts_with('{') {
            return Err(FakeError::Invalid(
                "invalid JSON: a scenario is a JSON object ({...})".into(),
            ));
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de)
            .map_err(|e| FakeError::Invalid(format!("invalid JSON: {}", path_error(&e))))
    }
}
