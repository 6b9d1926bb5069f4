//! The `tile_requests` table: the "Test Now" requests of the Tile Schedule pattern, recorded
//! whatever the active pattern.

use std::time::SystemTime;

use super::db::{args, Row, Sql};
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
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the write fails.
    pub fn record_tile_request(
        &self,
        user_name: &str,
        channel_uri: &str,
        number: u8,
        image_uri: &str,
        at: SystemTime,
    ) -> Result<TileRequest, StoreError> {
        let id = self.tx(|tx| {
            tx.query_one(
                &Sql::same(
                    "INSERT INTO tile_requests (user_name, channel_uri, number, image_uri, at)
                     VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                ),
                args![user_name, channel_uri, number, image_uri, to_millis(at)],
            )?
            .int(0)
        })?;
        Ok(TileRequest {
            id,
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
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn tile_requests(&self) -> Result<Vec<TileRequest>, StoreError> {
        self.tx(|tx| {
            tx.query(
                &Sql::same(
                    "SELECT id, user_name, channel_uri, number, image_uri, at FROM tile_requests ORDER BY id",
                ),
                &[],
            )?
            .iter()
            .map(row_to_request)
            .collect()
        })
    }

    /// The `limit` most recent "Test Now" requests, newest first. The `LIMIT` is in the query so
    /// that a caller showing the last few (the console) reads only those rows, however many are
    /// stored.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn latest_tile_requests(&self, limit: usize) -> Result<Vec<TileRequest>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.tx(|tx| {
            tx.query(
                &Sql::same(
                    "SELECT id, user_name, channel_uri, number, image_uri, at FROM tile_requests
                     ORDER BY id DESC LIMIT ?1",
                ),
                args![limit],
            )?
            .iter()
            .map(row_to_request)
            .collect()
        })
    }
}

fn row_to_request(r: &Row) -> Result<TileRequest, StoreError> {
    Ok(TileRequest {
        id: r.int(0)?,
        user_name: r.text(1)?,
        channel_uri: r.text(2)?,
        number: r.small(3)?,
        image_uri: r.text(4)?,
        at: from_millis(r.int(5)?),
    })
}
