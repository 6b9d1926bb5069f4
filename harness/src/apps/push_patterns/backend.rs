//! The app's client of the registration service: login, registration of the channel URI,
//! server info, and turning push on and off. JSON over HTTP only, like the recipe's phone app,
//! so it exercises the service's real routes.

use super::app::PushPatterns;
use super::error::AppError;
use super::model::{Screen, ServerInfo, Settings};
use super::CHANNEL_NAME;
use crate::phone::AppState;

impl PushPatterns {
    /// Logs in as `user` (saved for later launches): with push on, connects (opens or finds the
    /// channel, binds it as the settings say) and registers user name, channel URI and OS
    /// version; then reads the server info and shows the inbox.
    ///
    /// # Errors
    /// [`AppError::BadUserName`], [`AppError::NotRunning`], [`AppError::ChannelOpenFailed`],
    /// and the service's or the phone's refusal; the error is also kept in
    /// [`errors`](Self::errors).
    pub async fn login(&self, user: &str) -> Result<(), AppError> {
        let result = self.try_login(user).await;
        if let Err(e) = &result {
            self.model().errors.push(format!("Login: {e}"));
        }
        result
    }

    pub(super) async fn try_login(&self, user: &str) -> Result<(), AppError> {
        if user.trim().is_empty() {
            return Err(AppError::BadUserName);
        }
        self.require_running("log in")?;
        let push = {
            let mut m = self.model();
            m.user_name = Some(user.to_owned());
            m.settings.push
        };
        if push {
            self.connect().await?;
        }
        self.refresh_server_info().await?;
        self.model().screen = Screen::Inbox;
        Ok(())
    }

    /// Opens (or finds) the channel, binds it, and registers its URI.
    pub(super) async fn connect(&self) -> Result<(), AppError> {
        let _guard = self.inner.registering.lock().await;
        let app = &self.inner.app;
        if app.find_channel(CHANNEL_NAME).is_none() {
            app.open_channel(CHANNEL_NAME)?;
        }
        let Some(channel) = app.find_channel(CHANNEL_NAME) else {
            return Err(AppError::ChannelOpenFailed);
        };
        self.update_bindings()?;
        self.register(&channel.uri).await
    }

    /// Binds or unbinds tile and toast as the settings say (push off unbinds both).
    pub(super) fn update_bindings(&self) -> Result<(), AppError> {
        let app = &self.inner.app;
        let Some(channel) = app.find_channel(CHANNEL_NAME) else {
            return Ok(());
        };
        let s = self.model().settings;
        let want_tile = s.push && s.tile;
        let want_toast = s.push && s.toast;
        match (want_tile, channel.tile_binding.is_some()) {
            (true, false) => app.bind_tile_with([format!("{}/", self.inner.base)])?,
            (false, true) => app.unbind_tile()?,
            _ => {}
        }
        match (want_toast, channel.toast_bound) {
            (true, false) => app.bind_toast()?,
            (false, true) => app.unbind_toast()?,
            _ => {}
        }
        Ok(())
    }

    /// `POST /api/registrations`; call with `registering` held.
    pub(super) async fn register(&self, uri: &str) -> Result<(), AppError> {
        let user = self
            .model()
            .user_name
            .clone()
            .ok_or(AppError::NotLoggedIn { action: "register" })?;
        let body = serde_json::json!({
            "user_name": user,
            "channel_uri": uri,
            "os_version": self.inner.app.phone().os().as_str(),
        });
        self.call(
            "Register",
            self.inner
                .http
                .post(format!("{}/api/registrations", self.inner.base))
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await?;
        let mut m = self.model();
        m.registered_uri = Some(uri.to_owned());
        m.registrations += 1;
        Ok(())
    }

    /// Sends a request; a non-2xx answer is [`AppError::Service`] with the service's message.
    pub(super) async fn call(
        &self,
        call: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<serde_json::Value, AppError> {
        let http = |e: reqwest::Error| AppError::Http {
            call,
            message: e.to_string(),
        };
        let response = request.send().await.map_err(http)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(http)?;
        let value: serde_json::Value = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| AppError::Http {
                call,
                message: format!("the answer is not JSON ({e})"),
            })?
        };
        if !(200..300).contains(&status) {
            let message = value["error"]["message"]
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            return Err(AppError::Service {
                call,
                status,
                message,
            });
        }
        Ok(value)
    }

    /// `GET /api/server-info?user=`: the active pattern and the user's counter, shown in the
    /// inbox (and deciding whether the schedule panel shows).
    ///
    /// # Errors
    /// [`AppError::Http`] or [`AppError::Service`].
    pub async fn refresh_server_info(&self) -> Result<ServerInfo, AppError> {
        let mut url = reqwest::Url::parse(&format!("{}/api/server-info", self.inner.base))
            .map_err(|e| AppError::Http {
                call: "GetServerInfo",
                message: e.to_string(),
            })?;
        if let Some(user) = self.model().user_name.clone() {
            url.query_pairs_mut().append_pair("user", &user);
        }
        let value = self.call("GetServerInfo", self.inner.http.get(url)).await?;
        let info = ServerInfo {
            push_pattern: value["push_pattern"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            counter: value["counter"].as_i64().unwrap_or_default(),
        };
        self.model().server_info = Some(info.clone());
        Ok(info)
    }

    /// Changes the settings (kept across launches). While the app runs: tile and toast are bound
    /// or unbound at once; push turned on connects and registers (when logged in); push turned
    /// off unbinds, closes the channel and unregisters.
    ///
    /// # Errors
    /// The phone's or the service's refusal; the settings are changed anyway (as a toggle
    /// switch would be) and the error is kept in [`errors`](Self::errors).
    pub async fn set_settings(&self, settings: Settings) -> Result<(), AppError> {
        let (was, user) = {
            let mut m = self.model();
            let was = m.settings;
            m.settings = settings;
            (was, m.user_name.clone())
        };
        if self.inner.app.state() == AppState::NotRunning {
            return Ok(());
        }
        let result = match (was.push, settings.push, user) {
            (false, true, Some(_)) => self.connect().await,
            (true, false, user) => self.disconnect(user).await,
            _ => self.update_bindings(),
        };
        if let Err(e) = &result {
            self.model().errors.push(format!("Settings: {e}"));
        }
        result
    }

    /// Unbinds, closes the channel and unregisters the user.
    pub(super) async fn disconnect(&self, user: Option<String>) -> Result<(), AppError> {
        let _guard = self.inner.registering.lock().await;
        let app = &self.inner.app;
        if app.find_channel(CHANNEL_NAME).is_some() {
            self.update_bindings()?;
            app.close_channel()?;
        }
        self.model().registered_uri = None;
        let Some(user) = user else { return Ok(()) };
        let mut url = reqwest::Url::parse(&format!("{}/api/registrations", self.inner.base))
            .map_err(|e| AppError::Http {
                call: "Unregister",
                message: e.to_string(),
            })?;
        url.path_segments_mut()
            .map_err(|()| AppError::Http {
                call: "Unregister",
                message: "the service URL cannot take a path".into(),
            })?
            .push(&user);
        match self.call("Unregister", self.inner.http.delete(url)).await {
            // Not registered (pruned, or never): nothing to undo.
            Ok(_) | Err(AppError::Service { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
