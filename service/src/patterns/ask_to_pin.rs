//! Ask to Pin: only the user can pin a tile, so the service sends the tile and, when MPNS answers
//! that it was suppressed (the tile is not pinned, docs/mpns-protocol.md §6.4), sends the raw `AskToPin`,
//! which makes the running app ask the user to pin it.
//!
//! The last tile sent to each user is stored (in the service's database, so a restart keeps
//! it); a registration re-sends it, or the current settings' tile if there is none, and asks
//! again if it is still not pinned. The decision is on the tile's final answer: a tile MPNS asked
//! to retry (412, 503, QueueFull, 406) is retried first, then judged.
//!
//! Only the primary tile is used, on every OS. A secondary tile (`Id`, 7.1+) exists only once
//! the app has created it on the phone, so the server cannot "pin" one; asking the user is the
//! pattern. 8.0 devices get the same front as a Flip tile.

use serde::{Deserialize, Serialize};

use super::sender::Jobs;
use super::tiles::{self, check_count, TileFront};
use super::{Ctx, JobFuture};
use crate::registration::{FieldError, PatternKind, Registration};
use mpns::NotificationStatus;

/// The raw text the phone app reacts to with its "please pin" prompt (the recipe's, exactly).
pub const ASK_TO_PIN: &str = "AskToPin";

/// What the operator sends with Ask to Pin. The defaults are the recipe's.
///
/// Each subscriber's tile is stored (a registration sends it again) and sent; when its final
/// answer, after any retries MPNS asked for, is `Suppressed` (the tile is not pinned), the raw
/// [`ASK_TO_PIN`] follows. The primary tile on every OS: a secondary tile exists only once the
/// app has created it, so the server cannot pin one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AskToPin {
    /// The tile's BackgroundImage.
    pub background_image: String,
    /// The tile's Count, `0..=99`.
    pub count: i64,
    /// The tile's Title.
    pub title: String,
}

impl Default for AskToPin {
    fn default() -> Self {
        AskToPin {
            background_image: super::TILE_BACKGROUNDS[2].to_owned(),
            count: 1,
            title: "Game Update".into(),
        }
    }
}

impl AskToPin {
    pub(crate) fn check(&self) -> Result<TileFront, FieldError> {
        let count = check_count("count", self.count)?;
        tiles::check_front_fields(&self.background_image, &self.title)?;
        Ok(TileFront {
            background_image: Some(self.background_image.clone()),
            count: Some(count),
            title: Some(self.title.clone()),
        })
    }
}

/// Sends `front` as the user's tile, then asks to pin when it was suppressed.
async fn send_and_check(ctx: Ctx, reg: Registration, front: TileFront) {
    let Some(channel) = super::channel(&reg) else {
        return;
    };
    let tile = match tiles::tile(reg.os(), &front) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "Ask to Pin tile not built");
            return;
        }
    };
    let sent = ctx
        .sender
        .send_settled(PatternKind::AskToPin, &channel, &tile)
        .await;
    let suppressed = sent
        .outcome()
        .is_some_and(|o| o.status == 200 && o.notification == Some(NotificationStatus::Suppressed));
    if suppressed {
        match tiles::raw(ASK_TO_PIN) {
            Ok(ask) => {
                ctx.sender
                    .send_settled(PatternKind::AskToPin, &channel, &ask)
                    .await;
            }
            Err(e) => tracing::error!(error = %e, "AskToPin raw not built"),
        }
    }
}

/// An Ask to Pin send: each subscriber's registration, without its last outcome. Every user's
/// tile is stored, even one whose channel no longer parses (logged when its job runs).
pub(crate) struct Plan {
    front: TileFront,
    targets: Vec<Registration>,
}

impl Plan {
    pub(crate) fn new(front: TileFront) -> Plan {
        Plan {
            front,
            targets: Vec::new(),
        }
    }
}

impl super::Plan for Plan {
    fn add(&mut self, reg: Registration) {
        self.targets.push(Registration {
            last_outcome: None,
            ..reg
        });
    }

    fn into_jobs(self: Box<Self>, ctx: &Ctx) -> Jobs {
        let Plan { front, targets } = *self;
        let (ctx, jobs) = (ctx.clone(), targets.len());
        let each = targets.into_iter().map(move |reg| -> JobFuture {
            Box::pin(store_and_send(ctx.clone(), reg, front.clone()))
        });
        Jobs::new(jobs, each)
    }
}

/// One subscriber's share: its tile is stored, then sent (and the question asked if needed).
async fn store_and_send(ctx: Ctx, reg: Registration, front: TileFront) {
    let stored = serde_json::to_value(&front).unwrap_or_default();
    let user = reg.user_name.clone();
    let at = ctx.sender.clock().now();
    if let Err(e) = ctx
        .sender
        .store()
        .run(move |s| s.set_last_tile(PatternKind::AskToPin, &user, &stored, at))
        .await
    {
        tracing::error!(error = %e, "Ask to Pin tile not stored");
    }
    send_and_check(ctx, reg, front).await;
}

/// A registration while Ask to Pin is active: the stored tile again (or the current settings'),
/// and the question if it is still not pinned.
pub(crate) fn on_registered(ctx: &Ctx, fallback: TileFront, reg: &Registration) -> JobFuture {
    let (ctx, reg) = (ctx.clone(), reg.clone());
    Box::pin(async move {
        let user = reg.user_name.clone();
        let stored = ctx
            .sender
            .store()
            .run(move |s| s.last_tile(PatternKind::AskToPin, &user))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "Ask to Pin stored tile unreadable");
                None
            });
        let front = stored
            .and_then(|v| serde_json::from_value::<TileFront>(v).ok())
            .unwrap_or(fallback);
        send_and_check(ctx, reg, front).await;
    })
}
