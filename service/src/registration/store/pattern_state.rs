//! What the push patterns keep: the active pattern, per-user counters, the last tile sent to
//! each user, and the settings of each pattern's last send (so a restarted service answers
//! registrations as before).

use std::time::SystemTime;

use super::db::{args, Arg, Sql, Tx};
use super::times::to_millis;
use super::{Store, StoreError};
use crate::registration::PatternKind;

/// The highest counter value: a tile's Count is 0..=99, so the counter stops there.
pub const MAX_COUNTER: u8 = 99;

/// Adds one to a counter, stopping at [`MAX_COUNTER`]: `MIN` of two values is SQLite's,
/// `LEAST` PostgreSQL's.
pub(super) const INCREMENT: Sql = Sql::each(
    "INSERT INTO counters (pattern, user_name, count) VALUES (?1, ?2, 1)
     ON CONFLICT (pattern, user_name) DO UPDATE SET count = MIN(counters.count + 1, ?3)
     RETURNING count",
    "INSERT INTO counters (pattern, user_name, count) VALUES ($1, $2, 1)
     ON CONFLICT (pattern, user_name) DO UPDATE SET count = LEAST(counters.count + 1, $3)
     RETURNING count",
);

/// Makes a pattern the active one.
pub(super) const SET_ACTIVE: Sql = Sql::same(
    "INSERT INTO active_pattern (id, pattern) VALUES (1, ?1)
     ON CONFLICT (id) DO UPDATE SET pattern = excluded.pattern",
);

/// Stores a pattern's settings.
pub(super) const SET_SETTINGS: Sql = Sql::same(
    "INSERT INTO pattern_settings (pattern, settings_json, updated_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (pattern) DO UPDATE SET
       settings_json = excluded.settings_json, updated_at = excluded.updated_at",
);

/// The active pattern's id, in a transaction.
pub(super) fn active_in(tx: &mut Tx<'_>) -> Result<PatternKind, StoreError> {
    let name = tx
        .query_opt(
            &Sql::same("SELECT pattern FROM active_pattern WHERE id = 1"),
            &[],
        )?
        .map(|r| r.text(0))
        .transpose()?;
    Ok(name
        .and_then(|n| PatternKind::from_id(&n))
        .unwrap_or(PatternKind::OneTime))
}

impl Store {
    /// The pattern phones are told about; One Time until one is set.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn active_pattern(&self) -> Result<PatternKind, StoreError> {
        self.tx(active_in)
    }

    /// Makes `pattern` the active one.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the write fails.
    pub fn set_active_pattern(&self, pattern: PatternKind) -> Result<(), StoreError> {
        self.tx(|tx| tx.execute(&SET_ACTIVE, args![pattern.id()]))?;
        Ok(())
    }

    /// A user's counter for a pattern; 0 when there is none.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn counter(&self, pattern: PatternKind, user_name: &str) -> Result<u8, StoreError> {
        let count = self.tx(|tx| {
            tx.query_opt(
                &Sql::same("SELECT count FROM counters WHERE pattern = ?1 AND user_name = ?2"),
                args![pattern.id(), user_name],
            )?
            .map(|r| r.small::<u8>(0))
            .transpose()
        })?;
        Ok(count.unwrap_or(0))
    }

    /// Adds one to a user's counter, stopping at [`MAX_COUNTER`], and returns the new value.
    /// A counter that did not exist becomes 1. One statement, so concurrent increments are
    /// never lost.
    ///
    /// ```
    /// use mpns_service::registration::{PatternKind, Store};
    /// let store = Store::in_memory().unwrap();
    /// assert_eq!(store.increment_counter(PatternKind::Counter, "ann").unwrap(), 1);
    /// for _ in 0..200 { store.increment_counter(PatternKind::Counter, "ann").unwrap(); }
    /// assert_eq!(store.counter(PatternKind::Counter, "ann").unwrap(), 99);
    /// ```
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the write fails.
    pub fn increment_counter(
        &self,
        pattern: PatternKind,
        user_name: &str,
    ) -> Result<u8, StoreError> {
        self.tx(|tx| {
            tx.query_one(&INCREMENT, args![pattern.id(), user_name, MAX_COUNTER])?
                .small(0)
        })
    }

    /// Forgets a user's counter (it reads 0 again).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the write fails.
    pub fn reset_counter(&self, pattern: PatternKind, user_name: &str) -> Result<(), StoreError> {
        self.tx(|tx| {
            tx.execute(
                &Sql::same("DELETE FROM counters WHERE pattern = ?1 AND user_name = ?2"),
                args![pattern.id(), user_name],
            )
        })?;
        Ok(())
    }

    /// The last tile a pattern sent a user, as the JSON the pattern stored.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn last_tile(
        &self,
        pattern: PatternKind,
        user_name: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.json_column(
            &Sql::same("SELECT tile_json FROM last_tiles WHERE pattern = ?1 AND user_name = ?2"),
            args![pattern.id(), user_name],
        )
    }

    /// The JSON text column the query's one row holds, if there is a row.
    fn json_column(
        &self,
        sql: &Sql,
        args: &[Arg<'_>],
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let text = self.tx(|tx| tx.query_opt(sql, args)?.map(|r| r.text(0)).transpose())?;
        // Only this program writes these columns, always from a `Value`.
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Remembers the last tile a pattern sent a user (replacing the previous one).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the write fails.
    pub fn set_last_tile(
        &self,
        pattern: PatternKind,
        user_name: &str,
        tile: &serde_json::Value,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        let tile = tile.to_string();
        self.tx(|tx| {
            tx.execute(
                &Sql::same(
                    "INSERT INTO last_tiles (pattern, user_name, tile_json, updated_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (pattern, user_name) DO UPDATE SET
                       tile_json = excluded.tile_json, updated_at = excluded.updated_at",
                ),
                args![pattern.id(), user_name, &tile, to_millis(at)],
            )
        })?;
        Ok(())
    }

    /// The settings of a pattern's last send, as the JSON the patterns stored.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the read fails.
    pub fn pattern_settings(
        &self,
        pattern: PatternKind,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.json_column(
            &Sql::same("SELECT settings_json FROM pattern_settings WHERE pattern = ?1"),
            args![pattern.id()],
        )
    }

    /// Remembers the settings of a pattern's last send (replacing the previous ones).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Postgres`] if the write fails.
    pub fn set_pattern_settings(
        &self,
        pattern: PatternKind,
        settings: &serde_json::Value,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        let settings = settings.to_string();
        self.tx(|tx| tx.execute(&SET_SETTINGS, args![pattern.id(), &settings, to_millis(at)]))?;
        Ok(())
    }
}
