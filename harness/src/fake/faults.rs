//! Fault injection: rules that make MPNS misbehave the way senders saw it misbehave (503s,
//! slow answers, dropped connections, no answer at all), matched by channel, target and class,
//! counted ("the next 2 get 503") or random — random only with an explicit seed, so a failing
//! test can be replayed.
//!
//! The request path checks one atomic flag when no rule is installed; with rules it takes a
//! short read lock on the rule list. A counted rule leaves that list when its count is used up,
//! so spent rules add no work to later requests; the newest [`SPENT_KEPT`] of them are still
//! listed (with `remaining: 0`) until removed, cleared or pushed out by newer ones.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::model::ChannelId;
use crate::lock::{MutexExt, RwLockExt};
use crate::protocol::{Batching, Target};

/// What a matching rule does to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer `503 Service Unavailable` with no MPNS headers (the notification is not taken).
    #[serde(rename = "status_503")]
    Status503,
    /// Wait `delay_ms` of wall-clock time, then answer normally. Wall clock, not the injected
    /// clock: this fault exercises a sender's HTTP timeouts.
    Delay,
    /// Close the connection without answering.
    DropConnection,
    /// Never answer (until the client gives up or the server shuts down).
    NeverAnswer,
}

/// Which notification type a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetFilter {
    /// Tile notifications (`token`).
    #[serde(alias = "token")]
    Tile,
    /// Toasts.
    Toast,
    /// Raw notifications.
    Raw,
}

/// A fault rule. Every filter that is set must match; unset filters match anything.
///
/// JSON (`POST /_fake/faults`): `{"action":"status_503","count":2}`,
/// `{"action":"delay","delay_ms":1500,"target":"toast"}`,
/// `{"action":"drop_connection","channel":3}`,
/// `{"action":"status_503","probability":0.1,"seed":42}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// What to do.
    pub action: FaultAction,
    /// Only requests to this channel.
    #[serde(default)]
    pub channel: Option<ChannelId>,
    /// Only this notification type.
    #[serde(default)]
    pub target: Option<TargetFilter>,
    /// Only this `X-NotificationClass` value (1-3, 11-13, 21-23; absent header counts as 1-3).
    #[serde(default)]
    pub class: Option<u8>,
    /// Apply to the next `count` matching requests only (default: every matching request).
    #[serde(default)]
    pub count: Option<u64>,
    /// For [`FaultAction::Delay`]: how long, in ms.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Apply to each matching request with this probability (0.0..=1.0); needs `seed`.
    #[serde(default)]
    pub probability: Option<f64>,
    /// Seed of the random draws for `probability`.
    #[serde(default)]
    pub seed: Option<u64>,
}

impl FaultRule {
    /// A rule with `action` and no filters, applying to every request.
    pub fn new(action: FaultAction) -> Self {
        Self {
            action,
            channel: None,
            target: None,
            class: None,
            count: None,
            delay_ms: None,
            probability: None,
            seed: None,
        }
    }

    /// "The next `n` requests get 503."
    pub fn next_503(n: u64) -> Self {
        Self {
            count: Some(n),
            ..Self::new(FaultAction::Status503)
        }
    }

    /// Checks the rule's fields against each other.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(c) = self.class {
            if !matches!(c, 1..=3 | 11..=13 | 21..=23) {
                return Err(format!(
                    "class {c} is not an X-NotificationClass value (1-3, 11-13, 21-23)"
                ));
            }
        }
        match (self.action, self.delay_ms) {
            (FaultAction::Delay, None) => {
                return Err("action \"delay\" needs delay_ms (milliseconds, 0..=600000)".into())
            }
            (FaultAction::Delay, Some(ms)) if ms > 600_000 => {
                return Err(format!("delay_ms {ms} is out of range 0..=600000"))
            }
            (FaultAction::Delay, _) => {}
            (other, Some(_)) => {
                return Err(format!(
                    "delay_ms is only allowed with action \"delay\", not {other:?}"
                ))
            }
            _ => {}
        }
        match (self.probability, self.seed) {
            (Some(p), _) if !(0.0..=1.0).contains(&p) => {
                Err(format!("probability {p} is out of range 0.0..=1.0"))
            }
            (Some(_), None) => Err(
                "probability needs an explicit seed (e.g. \"seed\": 42) so the run can be replayed"
                    .into(),
            ),
            (None, Some(_)) => Err("seed is only meaningful with probability".into()),
            _ => Ok(()),
        }
    }
}

/// An installed rule, as listed by `GET /_fake/faults`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FaultStatus {
    /// Its id (for `DELETE /_fake/faults/{id}`).
    pub id: u64,
    /// The rule.
    #[serde(flatten)]
    pub rule: FaultRule,
    /// How many more requests it applies to (`None`: unlimited).
    pub remaining: Option<u64>,
    /// How many requests it has applied to.
    pub applied: u64,
}

struct Installed {
    id: u64,
    rule: FaultRule,
    remaining: Option<AtomicU64>,
    applied: AtomicU64,
    rng: Option<Mutex<StdRng>>,
}

/// What the request path must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Status503,
    Delay(Duration),
    DropConnection,
    NeverAnswer,
}

/// How many used-up counted rules are still listed (the newest ones), after they stop being
/// checked.
pub const SPENT_KEPT: usize = 64;

#[derive(Default)]
pub(crate) struct Faults {
    any: AtomicBool,
    next_id: AtomicU64,
    /// The rules requests are checked against.
    rules: RwLock<Vec<Arc<Installed>>>,
    /// Counted rules whose count is used up, oldest first, at most [`SPENT_KEPT`]: listed,
    /// never checked.
    spent: Mutex<VecDeque<Arc<Installed>>>,
}

impl Faults {
    pub(crate) fn add(&self, rule: FaultRule) -> Result<u64, String> {
        rule.validate()?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let rule_count_is_zero = rule.count == Some(0);
        let installed = Installed {
            id,
            remaining: rule.count.map(AtomicU64::new),
            applied: AtomicU64::new(0),
            rng: rule.seed.map(|s| Mutex::new(StdRng::seed_from_u64(s))),
            rule,
        };
        let mut rules = self.rules.write_locked();
        rules.push(Arc::new(installed));
        self.any.store(true, Ordering::Release);
        drop(rules);
        if rule_count_is_zero {
            self.retire(id);
        }
        Ok(id)
    }

    pub(crate) fn list(&self) -> Vec<FaultStatus> {
        let mut all: Vec<Arc<Installed>> = self.rules.read_locked().clone();
        all.extend(self.spent.locked().iter().cloned());
        all.sort_by_key(|r| r.id);
        all.iter()
            .map(|r| FaultStatus {
                id: r.id,
                rule: r.rule.clone(),
                remaining: r.remaining.as_ref().map(|a| a.load(Ordering::Relaxed)),
                applied: r.applied.load(Ordering::Relaxed),
            })
            .collect()
    }

    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.write_locked();
        let before = rules.len();
        rules.retain(|r| r.id != id);
        self.any.store(!rules.is_empty(), Ordering::Release);
        let mut spent = self.spent.locked();
        let spent_before = spent.len();
        spent.retain(|r| r.id != id);
        rules.len() != before || spent.len() != spent_before
    }

    pub(crate) fn clear(&self) {
        let mut rules = self.rules.write_locked();
        rules.clear();
        self.spent.locked().clear();
        self.any.store(false, Ordering::Release);
    }

    /// Moves rule `id`, whose count is used up, from the checked rules to the listed spent ones.
    fn retire(&self, id: u64) {
        let mut rules = self.rules.write_locked();
        let Some(i) = rules.iter().position(|r| r.id == id) else {
            return; // Removed or cleared meanwhile.
        };
        let rule = rules.remove(i);
        self.any.store(!rules.is_empty(), Ordering::Release);
        let mut spent = self.spent.locked();
        spent.push_back(rule);
        while spent.len() > SPENT_KEPT {
            spent.pop_front();
        }
    }

    /// The first rule that matches and still applies, consuming one of its count.
    pub(crate) fn check(
        &self,
        channel: Option<ChannelId>,
        target: Target,
        batching: Batching,
    ) -> Option<(u64, Fault)> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let class = class_of(target, batching);
        let rules = self.rules.read_locked();
        let mut used_up = None;
        let mut found = None;
        for r in rules.iter() {
            let f = &r.rule;
            if f.channel.is_some() && f.channel != channel {
                continue;
            }
            if let Some(t) = f.target {
                let same = matches!(
                    (t, target),
                    (TargetFilter::Tile, Target::Tile)
                        | (TargetFilter::Toast, Target::Toast)
                        | (TargetFilter::Raw, Target::Raw)
                );
                if !same {
                    continue;
                }
            }
            if f.class.is_some_and(|c| c != class) {
                continue;
            }
            if let (Some(p), Some(rng)) = (f.probability, &r.rng) {
                let hit = rng.locked().random_bool(p);
                if !hit {
                    continue;
                }
            }
            if let Some(rem) = &r.remaining {
                match rem.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)) {
                    Ok(1) => used_up = Some(r.id),
                    Ok(_) => {}
                    // Used up by a request racing this one, which retires it.
                    Err(_) => continue,
                }
            }
            r.applied.fetch_add(1, Ordering::Relaxed);
            let fault = match f.action {
                FaultAction::Status503 => Fault::Status503,
                FaultAction::Delay => Fault::Delay(Duration::from_millis(f.delay_ms.unwrap_or(0))),
                FaultAction::DropConnection => Fault::DropConnection,
                FaultAction::NeverAnswer => Fault::NeverAnswer,
            };
            found = Some((r.id, fault));
            break;
        }
        drop(rules);
        if let Some(id) = used_up {
            self.retire(id);
        }
        found
    }
}

/// The `X-NotificationClass` value of a type and interval.
pub(crate) fn class_of(target: Target, batching: Batching) -> u8 {
    let base = match target {
        Target::Tile => 1,
        Target::Toast => 2,
        Target::Raw => 3,
    };
    base + match batching {
        Batching::Immediate => 0,
        Batching::Within450s => 10,
        Batching::Within900s => 20,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_two_503_then_nothing() {
        let f = Faults::default();
        f.add(FaultRule::next_503(2)).unwrap();
        let hit = || f.check(None, Target::Toast, Batching::Immediate);
        assert_eq!(hit().map(|x| x.1), Some(Fault::Status503));
        assert_eq!(hit().map(|x| x.1), Some(Fault::Status503));
        assert_eq!(hit(), None);
        assert_eq!(f.list()[0].remaining, Some(0));
    }

    #[test]
    fn filters_on_target_and_class() {
        let f = Faults::default();
        f.add(FaultRule {
            target: Some(TargetFilter::Tile),
            class: Some(11),
            ..FaultRule::new(FaultAction::DropConnection)
        })
        .unwrap();
        assert_eq!(f.check(None, Target::Tile, Batching::Immediate), None);
        assert_eq!(f.check(None, Target::Toast, Batching::Within450s), None);
        assert!(f.check(None, Target::Tile, Batching::Within450s).is_some());
    }

    #[test]
    fn probability_without_seed_is_refused_with_the_fix() {
        let err = FaultRule {
            probability: Some(0.5),
            ..FaultRule::new(FaultAction::Status503)
        }
        .validate()
        .unwrap_err();
        assert!(err.contains("seed"), "{err}");
    }

    #[test]
    fn seeded_probability_replays_identically() {
        let draws = || {
            let f = Faults::default();
            f.add(FaultRule {
                probability: Some(0.3),
                seed: Some(42),
                ..FaultRule::new(FaultAction::Status503)
            })
            .unwrap();
            (0..64)
                .map(|_| f.check(None, Target::Raw, Batching::Immediate).is_some())
                .collect::<Vec<_>>()
        };
        let a = draws();
        assert_eq!(a, draws());
        let hits = a.iter().filter(|h| **h).count();
        assert!((5..40).contains(&hits), "{hits} hits of 64 at p=0.3");
    }
}
