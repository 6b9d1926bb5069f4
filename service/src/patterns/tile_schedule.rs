//! Tile Schedule: a passive pattern. The phone schedules its own tile image updates (the
//! service serves the number images); "Test Now" asks the service, through
//! `POST /api/tile-update`, for one tile at once. While this pattern is active, each such
//! request is answered with a tile whose BackgroundImage is the selected number image, the URL
//! the image endpoint really serves (the recipe's schedule asked with `?uri=` while the service
//! read `?parameter=`). Only the BackgroundImage is set; Count and Title stay as they are (the
//! recipe's library could not leave them out and sent `0` and an empty title).

use crate::registration::{JobData, NewJob, Platform, Registration, TileRequest};

/// The job that answers a "Test Now" request: the tile with the chosen number image, shaped
/// for the OS of the user's registration when it is on the same channel (7.0 otherwise).
pub(crate) fn job(request: &TileRequest, registration: Option<&Registration>) -> NewJob {
    let same_channel = registration.filter(|r| r.channel_uri == request.channel_uri);
    let os_version = same_channel.map_or_else(|| "7.0".to_owned(), |r| r.os_version.clone());
    NewJob {
        user_name: request.user_name.clone(),
        channel_uri: request.channel_uri.clone(),
        os_version,
        platform: same_channel.map_or(Platform::Mpns, |r| r.platform),
        step: "tile",
        data: JobData::Text(request.image_uri.clone()),
    }
}
