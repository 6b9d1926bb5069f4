//! When to send again, as a pure function of the last result and the attempt number, plus a
//! small driver that waits on an injected [`Clock`].
//!
//! The schedule follows docs/mpns-protocol.md (§3.2, §4): exponential back-off in minutes for a
//! full queue, 5xx answers and transport failures; at most once an hour for 406 (daily limit,
//! for up to a day) and 412 (device away; MPNS may block senders that retry faster); never for
//! an expired channel, a malformed request, a credentials problem, a suppressed notification or
//! an answer nobody documented.

use std::time::Duration;

use uuid::Uuid;

use super::clock::Clock;
use super::error::{TransportError, TransportErrorKind};
use super::Client;
use crate::message::Message;
use crate::wire::{Action, ChannelUri, Outcome, RetryReason};

/// What to do after an attempt.
///
/// ```
/// use mpns::{Action, Outcome, Retry, RetryPolicy, Stop};
///
/// let expired = Outcome::from_parts(404, [("X-SubscriptionStatus", "Expired")]);
/// assert_eq!(
///     RetryPolicy::default().for_outcome(&expired, 1),
///     Retry::Never(Stop::NotRetryable(Action::RemoveChannel)),
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Send again after this delay.
    After(Duration),
    /// Do not send again, for this reason.
    Never(Stop),
}

/// Why a [`RetryPolicy`] says [`Retry::Never`].
///
/// ```
/// use mpns::{Outcome, Retry, RetryPolicy, Stop};
///
/// let ok = Outcome::from_parts(200, [("X-NotificationStatus", "Received")]);
/// assert_eq!(RetryPolicy::default().for_outcome(&ok, 1), Retry::Never(Stop::Accepted));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// MPNS accepted the notification (delivered or queued): nothing to retry.
    Accepted,
    /// The answer's action is not one that waiting can fix.
    NotRetryable(Action),
    /// The transport failure is a configuration or request problem (TLS, invalid request).
    Permanent(TransportErrorKind),
    /// The policy allowed no more retries; `attempts` sends were made.
    Exhausted {
        /// How many sends were made in all.
        attempts: u32,
    },
}

/// The retry schedule: pure and cheap to clone.
///
/// `attempt` counts sends from 1: after the first send fails, ask with `attempt = 1`.
///
/// Defaults:
/// - back-off (QueueFull, 429, 5xx, transport failures other than TLS and invalid requests):
///   1, 2, 4, 8, 16, 32 minutes, then the cap of 60 minutes, for at most 8 retries;
/// - 406 and 412: every hour, for at most 24 retries (a day);
/// - anything else: never.
///
/// ```
/// use std::time::Duration;
/// use mpns::{Outcome, Retry, RetryPolicy, Stop};
///
/// let policy = RetryPolicy::default();
/// let queue_full = Outcome::from_parts(200, [("X-NotificationStatus", "QueueFull")]);
/// assert_eq!(policy.for_outcome(&queue_full, 1), Retry::After(Duration::from_secs(60)));
/// assert_eq!(policy.for_outcome(&queue_full, 3), Retry::After(Duration::from_secs(240)));
/// assert_eq!(policy.for_outcome(&queue_full, 9), Retry::Never(Stop::Exhausted { attempts: 9 }));
///
/// let over_quota = Outcome::from_parts(406, [("X-NotificationStatus", "Dropped")]);
/// assert_eq!(policy.for_outcome(&over_quota, 24), Retry::After(Duration::from_secs(3600)));
/// assert!(matches!(policy.for_outcome(&over_quota, 25), Retry::Never(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    first_backoff: Duration,
    backoff_cap: Duration,
    max_backoff_retries: u32,
    max_hourly_retries: u32,
}

/// The interval for 406 and 412, which MPNS asks senders not to shorten.
const HOUR: Duration = Duration::from_secs(3600);

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_backoff: Duration::from_secs(60),
            backoff_cap: Duration::from_secs(3600),
            max_backoff_retries: 8,
            max_hourly_retries: 24,
        }
    }
}

impl RetryPolicy {
    /// The default schedule.
    pub fn new() -> RetryPolicy {
        RetryPolicy::default()
    }

    /// Back-off doubles from `first` and stays at `cap` once it gets there (a `cap` below
    /// `first` is raised to `first`).
    #[must_use]
    pub fn backoff(mut self, first: Duration, cap: Duration) -> RetryPolicy {
        self.first_backoff = first;
        self.backoff_cap = cap.max(first);
        self
    }

    /// How many back-off retries at most (after which: [`Stop::Exhausted`]).
    #[must_use]
    pub fn max_backoff_retries(mut self, retries: u32) -> RetryPolicy {
        self.max_backoff_retries = retries;
        self
    }

    /// How many hourly retries at most for 406 and 412 (24 by default: one day).
    #[must_use]
    pub fn max_hourly_retries(mut self, retries: u32) -> RetryPolicy {
        self.max_hourly_retries = retries;
        self
    }

    /// The longest delay this policy ever asks for.
    pub fn max_delay(&self) -> Duration {
        self.backoff_cap.max(HOUR)
    }

    /// After an MPNS answer.
    pub fn for_outcome(&self, outcome: &Outcome, attempt: u32) -> Retry {
        match outcome.action() {
            Action::Delivered | Action::Queued => Retry::Never(Stop::Accepted),
            Action::Retry(RetryReason::QueueFull | RetryReason::ServiceUnavailable) => {
                self.backoff_after(attempt)
            }
            Action::Retry(RetryReason::DailyLimit | RetryReason::DeviceUnreachable) => {
                self.hourly_after(attempt)
            }
            action @ (Action::RemoveChannel
            | Action::FixRequest
            | Action::CheckCredentials
            | Action::Suppressed
            | Action::Unknown) => Retry::Never(Stop::NotRetryable(action)),
        }
    }

    /// After a transport failure: back off, except for TLS and invalid requests, which waiting
    /// does not fix. A request that timed out may have reached MPNS, so retrying can deliver a
    /// notification twice.
    pub fn for_error(&self, error: &TransportError, attempt: u32) -> Retry {
        match error.kind() {
            kind @ (TransportErrorKind::Tls | TransportErrorKind::InvalidRequest) => {
                Retry::Never(Stop::Permanent(kind))
            }
            _ => self.backoff_after(attempt),
        }
    }

    /// After either.
    pub fn decide(&self, result: &Result<Outcome, TransportError>, attempt: u32) -> Retry {
        match result {
            Ok(outcome) => self.for_outcome(outcome, attempt),
            Err(error) => self.for_error(error, attempt),
        }
    }

    fn backoff_after(&self, attempt: u32) -> Retry {
        let attempt = attempt.max(1);
        if attempt > self.max_backoff_retries {
            return Retry::Never(Stop::Exhausted { attempts: attempt });
        }
        let delay = 2u32
            .checked_pow(attempt - 1)
            .and_then(|factor| self.first_backoff.checked_mul(factor))
            .map_or(self.backoff_cap, |d| d.min(self.backoff_cap));
        Retry::After(delay)
    }

    fn hourly_after(&self, attempt: u32) -> Retry {
        let attempt = attempt.max(1);
        if attempt > self.max_hourly_retries {
            Retry::Never(Stop::Exhausted { attempts: attempt })
        } else {
            Retry::After(HOUR)
        }
    }
}

/// How [`send_with_retry`] ended: the last result, how many sends it took, and why it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retried {
    /// The last answer or failure.
    pub result: Result<Outcome, TransportError>,
    /// How many sends were made.
    pub attempts: u32,
    /// Why no further send was made.
    pub stop: Stop,
}

/// Sends `message` to `channel`, and again as long as `policy` says so, waiting on `clock`
/// between attempts. Every attempt carries the same `X-MessageID` (the message's own, or one
/// generated for the first attempt), so the retries are recognisably one notification.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use mpns::{send_with_retry, Client, RetryPolicy, Stop, TokioClock};
///
/// let client = Client::new();
/// let channel = "http://db3.notify.live.net/throttledthirdparty/01.00/AAF".parse()?;
/// let message = mpns::Toast::new().text1("Hi").build()?;
/// let done = send_with_retry(&client, &TokioClock, &RetryPolicy::default(), &channel, &message).await;
/// if done.stop == Stop::Accepted {
///     println!("accepted after {} attempt(s)", done.attempts);
/// }
/// # Ok(()) }
/// ```
pub async fn send_with_retry(
    client: &Client,
    clock: &dyn Clock,
    policy: &RetryPolicy,
    channel: &ChannelUri,
    message: &Message,
) -> Retried {
    let id = message.message_id().unwrap_or_else(Uuid::new_v4);
    let mut attempt = 1;
    loop {
        let result = client.send_with_id(channel, message, id).await;
        match policy.decide(&result, attempt) {
            Retry::After(delay) => {
                tracing::debug!(attempt, ?delay, "retrying notification");
                clock.sleep(delay).await;
                attempt += 1;
            }
            Retry::Never(stop) => {
                return Retried {
                    result,
                    attempts: attempt,
                    stop,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transport_failure_backs_off_except_tls_and_invalid_requests() {
        let policy = RetryPolicy::default();
        let kinds = [
            (TransportErrorKind::Timeout, true),
            (TransportErrorKind::ConnectionRefused, true),
            (TransportErrorKind::ConnectionReset, true),
            (TransportErrorKind::IncompleteResponse, true),
            (TransportErrorKind::InvalidResponse, true),
            (TransportErrorKind::Connect, true),
            (TransportErrorKind::Other, true),
            (TransportErrorKind::Tls, false),
            (TransportErrorKind::InvalidRequest, false),
        ];
        for (kind, retried) in kinds {
            let error = TransportError::new(kind, "test");
            let decision = policy.for_error(&error, 2);
            if retried {
                assert_eq!(decision, Retry::After(Duration::from_secs(120)), "{kind:?}");
            } else {
                assert_eq!(decision, Retry::Never(Stop::Permanent(kind)), "{kind:?}");
            }
        }
    }

    #[test]
    fn a_huge_attempt_number_saturates_at_the_cap_without_overflow() {
        let policy = RetryPolicy::default().max_backoff_retries(u32::MAX);
        let error = TransportError::new(TransportErrorKind::Timeout, "test");
        assert_eq!(
            policy.for_error(&error, u32::MAX),
            Retry::After(Duration::from_secs(3600))
        );
        assert_eq!(
            policy.for_error(&error, 0),
            Retry::After(Duration::from_secs(60)),
            "attempt 0 counts as the first"
        );
    }
}
