//! The `tile_requests` table: the "Test Now" requests of the Tile Schedule pattern, recorded
//! whatever the active pattern.

use std::time::SystemTime;

use rusqlite::params;

use super::times::{from_millis, serialize_time, to_millis};
use super::{Store, StoreError};

/// A "Test Now" request of the Tile Schedule pattern, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TileRequest {
    /// The row id.
    pub id: i64,
    /// Who asked.
    pub user_name: String,
    /// Their channel at the time.
    pub channel_uri: String,
    /// The number image asked for.
    pub number: u8,
    /// The image URI the tile points at.
    pub image_uri: String,
    /// When.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub at: SystemTime,
}

impl Store {
    /// Records a "Test Now" request and returns it with its id.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the write fails.
    pub fn record_tile_request(
        &self,
        user_name: &str,
        channel_uri: &str,
        number: u8,
        image_uri: &str,
        at: SystemTime,
    ) -> Result<TileRequest, StoreError> {
        let conn = self.lock();
        conn.execute(
            "INSERT INTO tile_requests (user_name, channel_uri, number, image_uri, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![user_name, channel_uri, number, image_uri, to_millis(at)],
        )?;
        Ok(TileRequest {
            id: conn.last_insert_rowid(),
            user_name: user_name.to_owned(),
            channel_uri: channel_uri.to_owned(),
            number,
            image_uri: image_uri.to_owned(),
            at: from_millis(to_millis(at)),
        })
    }

    /// Recorded "Test Now" requests, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn tile_requests(&self) -> Result<Vec<TileRequest>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, user_name, channel_uri, number, image_uri, at FROM tile_requests ORDER BY id",
        )?;
        let rows = stmt.query_map([], row_to_request)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The `limit` most recent "Test Now" requests, newest first. The `LIMIT` is in the query so
    /// that a caller showing the last few (the console) reads only those rows, however many are
    /// stored.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the read fails.
    pub fn latest_tile_requests(&self, limit: usize) -> Result<Vec<TileRequest>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, user_name, channel_uri, number, image_uri, at FROM tile_requests
             ORDER BY id DESC LIMIT ?1",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![limit], row_to_request)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn row_to_request(r: &rusqlite::Row<'_>) -> rusqlite::Result<TileRequest> {
    Ok(TileRequest {
        id: r.get(0)?,
        user_name: r.get(1)?,
        channel_uri: r.get(2)?,
        number: r.get(3)?,
        image_uri: r.get(4)?,
        at: from_millis(r.get(5)?),
    })
}
