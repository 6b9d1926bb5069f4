//! The tile schedule panel: the number images the user picks, scheduled on the shell's
//! `ShellTileSchedule` and tried at once with "Test Now".

use super::app::PushPatterns;
use super::error::AppError;
use crate::phone::{ScheduleStatus, ShellTileSchedule, TileKey};

/// Which schedule call [`PushPatterns::schedule_backend`] makes.
pub(super) enum ScheduleOp {
    Start(ShellTileSchedule),
    Stop,
    Status,
    Settled,
}

impl PushPatterns {
    /// "Schedule": starts an hourly `ShellTileSchedule` on the primary tile (from now,
    /// indefinitely) pointing at the selected number image. Like "Test Now" it can be called
    /// whether the panel shows or not (the service answers "Test Now" only while Tile Schedule is
    /// active).
    ///
    /// # Errors
    /// [`AppError::NotRunning`], or the schedule's refusal.
    pub async fn schedule(&self) -> Result<(), AppError> {
        self.require_running("schedule the tile")?;
        let url = self.number_image_url(self.selected_number());
        self.schedule_backend(ScheduleOp::Start(ShellTileSchedule::new(url)))
            .await
            .map(|_| ())
    }

    /// Stops the tile schedule (nothing if none runs).
    pub async fn stop_schedule(&self) {
        let _ = self.schedule_backend(ScheduleOp::Stop).await;
    }

    /// What the tile schedule has done, if one was started.
    pub async fn schedule_status(&self) -> Option<ScheduleStatus> {
        self.schedule_backend(ScheduleOp::Status)
            .await
            .ok()
            .flatten()
    }

    /// "Test Now": `POST /api/tile-update` with the selected number; the service sends the tile
    /// (while Tile Schedule is active). Returns the image URI the service named.
    ///
    /// # Errors
    /// [`AppError::NotLoggedIn`], [`AppError::NotRunning`], [`AppError::Service`] (e.g. 404
    /// when the user is not registered).
    pub async fn test_now(&self) -> Result<String, AppError> {
        self.require_running("test the tile now")?;
        let (user, number) = {
            let m = self.model();
            (m.user_name.clone(), m.selected)
        };
        let user = user.ok_or(AppError::NotLoggedIn {
            action: "test the tile now",
        })?;
        let body = serde_json::json!({ "user_name": user, "number": number });
        let value = self
            .call(
                "UpdateTile",
                self.inner
                    .http
                    .post(format!("{}/api/tile-update", self.inner.base))
                    .header("content-type", "application/json")
                    .body(body.to_string()),
            )
            .await?;
        Ok(value["image_uri"].as_str().unwrap_or_default().to_owned())
    }

    /// The only code that touches tile schedules: the app's one schedule, on its primary tile.
    pub(super) async fn schedule_backend(
        &self,
        op: ScheduleOp,
    ) -> Result<Option<ScheduleStatus>, AppError> {
        let app = &self.inner.app;
        match op {
            ScheduleOp::Start(settings) => app
                .start_tile_schedule(settings)
                .map(|()| None)
                .map_err(AppError::Phone),
            ScheduleOp::Stop => {
                app.stop_tile_schedule(&TileKey::Primary);
                Ok(None)
            }
            ScheduleOp::Status => Ok(app.tile_schedule(&TileKey::Primary)),
            ScheduleOp::Settled => {
                // The phone settles its schedules with its deliveries.
                app.phone().settle().await;
                Ok(None)
            }
        }
    }
}
