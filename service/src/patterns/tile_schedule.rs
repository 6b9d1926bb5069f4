//! Tile Schedule: a passive pattern. The phone schedules its own tile image updates (the
//! service serves the number images); "Test Now" asks the service, through
//! `POST /api/tile-update`, for one tile at once. While this pattern is active, each such
//! request is answered with a tile whose BackgroundImage is the selected number image, the URL
//! the image endpoint really serves (the recipe's schedule asked with `?uri=` while the service
//! read `?parameter=`). Only the BackgroundImage is set; Count and Title stay as they are (the
//! recipe's library could not leave them out and sent `0` and an empty title).

use super::tiles::{self, TileFront};
use super::{Ctx, JobFuture};
use crate::registration::{PatternKind, TileRequest};
use mpns::OsVersion;

pub(crate) fn on_tile_request(ctx: &Ctx, request: &TileRequest) -> Option<JobFuture> {
    let channel = match request.channel_uri.parse() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "Tile Schedule request with an unusable channel");
            return None;
        }
    };
    let (ctx, request) = (ctx.clone(), request.clone());
    Some(Box::pin(async move {
        let user = request.user_name.clone();
        let os = ctx
            .sender
            .store()
            .run(move |s| s.registration(&user))
            .await
            .ok()
            .flatten()
            .filter(|r| r.channel_uri == request.channel_uri)
            .map_or(OsVersion::V7_0, |r| r.os());
        let front = TileFront {
            background_image: Some(request.image_uri.clone()),
            count: None,
            title: None,
        };
        match tiles::tile(os, &front) {
            Ok(tile) => {
                ctx.sender
                    .send_settled(PatternKind::TileSchedule, &channel, &tile)
                    .await;
            }
            Err(e) => tracing::error!(error = %e, "Tile Schedule tile not built"),
        }
    }))
}
