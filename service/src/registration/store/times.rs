//! Instants as the store keeps them (milliseconds since the Unix epoch) and as the JSON shows
//! them (RFC 3339, UTC, milliseconds).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (negative before it), as stored.
pub(super) fn to_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

pub(super) fn from_millis(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

pub(super) fn serialize_time<S: serde::Serializer>(
    t: &SystemTime,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// `2026-11-26T12:54:26.123Z`; times before 1970 are shown as the epoch, times after 9999 as
/// its last millisecond.
///
/// The `time` crate rather than `httpdate` (also in the lock file): that one writes HTTP's
/// IMF-fixdate (`Thu, 26 Nov 2026 12:54:26 GMT`), not RFC 3339. The format is spelled out
/// instead of `time`'s `Rfc3339`, which drops trailing zeros of the fraction: the JSON always
/// has exactly three digits of milliseconds.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let at = i128::try_from(ms)
        .ok()
        .and_then(|ms| time::OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).ok())
        .unwrap_or_else(|| time::PrimitiveDateTime::MAX.assume_utc());
    at.format(FORMAT)
        .expect("every field of the format is in an OffsetDateTime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_renders_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_millis(951_782_400_123); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.123Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_698_866);
        assert_eq!(rfc3339(t), "2026-11-26T13:14:26.000Z");
    }

    #[test]
    fn millis_round_trip_on_both_sides_of_the_epoch() {
        for ms in [-86_400_001_i64, -1, 0, 1, 1_795_698_866_123] {
            assert_eq!(to_millis(from_millis(ms)), ms);
        }
    }
}
