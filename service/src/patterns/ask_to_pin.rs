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

use super::tiles::{self, check_count, TileFront};
use crate::registration::FieldError;
use mpns::{NotificationStatus, Outcome};

/// The raw text the phone app reacts to with its "please pin" prompt (the recipe's, exactly).
pub const ASK_TO_PIN: &str = "AskToPin";

/// What the operator sends with Ask to Pin. The defaults are the recipe's.
///
/// Each subscriber's tile is stored (a registration sends it again) and sent; when its final
/// answer, after any retries MPNS asked for, is `Suppressed` (the tile is not pinned), the raw
/// [`ASK_TO_PIN`] follows. The primary tile on every OS: a secondary tile exists only once the
/// app has created it, so the server cannot pin one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// Whether the tile's final answer asks for the raw [`ASK_TO_PIN`]: 200 `Suppressed`.
pub(crate) fn suppressed(outcome: &Outcome) -> bool {
    outcome.status == 200 && outcome.notification == Some(NotificationStatus::Suppressed)
}
