//! The sandbox's phones run the real Push Patterns app (`mpns_harness::PushPatterns`):
//! it logs in, registers its channel with the service over HTTP, keeps the raw inbox, shows the
//! AskToPin prompt and runs the Tile Schedule panel, exactly as in the end-to-end tests. This
//! module only puts each app in its starting situation.

use mpns_harness::push_patterns::Settings;
use mpns_harness::{Phone, PushPatterns};

use super::Situation;

/// Installs the app on `phone`, turns push (tile, toast, raw) on, logs in as `user` (which
/// opens and binds the channel and registers it with the service at `service_url`), then puts
/// the app where `situation` says.
pub(crate) async fn start(
    phone: &Phone,
    service_url: &str,
    user: &str,
    situation: Situation,
) -> Result<PushPatterns, String> {
    let app = PushPatterns::install(phone, service_url).map_err(|e| format!("install: {e}"))?;
    if situation != Situation::NotPinned {
        app.pin().map_err(|e| format!("pin: {e}"))?;
    }
    app.launch().await.map_err(|e| format!("launch: {e}"))?;
    app.set_settings(Settings::all_on())
        .await
        .map_err(|e| format!("push settings: {e}"))?;
    app.login(user).await.map_err(|e| format!("login: {e}"))?;
    app.settle().await;
    if let Some(error) = app.errors().first() {
        return Err(format!("login: {error}"));
    }
    match situation {
        Situation::PinnedInBackground => app
            .send_to_background()
            .map_err(|e| format!("background: {e}"))?,
        Situation::NotPinned => app.close(),
        Situation::Foreground => {}
    }
    Ok(app)
}
