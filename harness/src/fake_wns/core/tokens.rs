//! Apps and the token endpoints of both flows: credentials made up at registration, tokens
//! bound to an app and expiring on the fake's clock, OAuth errors as WNS's endpoints give them.

use std::collections::VecDeque;
use std::time::Duration;

use rand::RngExt;

use super::{random_chars, random_hex, Answer, App, Core, Issued};
use crate::fake_wns::model::{AppCredentials, Flow};
use crate::lock::MutexExt;

impl Core {
    /// Registers an app and makes up its credentials.
    pub(crate) fn register_app(&self, name: &str, flow: Flow) -> Result<AppCredentials, String> {
        if name.is_empty() || name.len() > 256 {
            return Err("an app name is 1 to 256 characters".into());
        }
        if let Flow::Entra { tenant } = &flow {
            if tenant.is_empty()
                || !tenant
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                return Err(format!(
                    "the tenant {tenant:?} is not a directory id or domain"
                ));
            }
        }
        let mut s = self.state.locked();
        if s.apps.contains_key(name) {
            return Err(format!("the app {name:?} is already registered"));
        }
        let (client_id, token_url) = match &flow {
            Flow::Store => (
                format!(
                    "ms-app://s-1-15-2-{}",
                    s.rng.random_range(1_000_000_000u64..9_999_999_999)
                ),
                format!("{}/accesstoken.srf", self.base_url),
            ),
            Flow::Entra { tenant } => {
                let h = random_hex(&mut s.rng, 32).to_ascii_lowercase();
                (
                    format!(
                        "{}-{}-{}-{}-{}",
                        &h[..8],
                        &h[8..12],
                        &h[12..16],
                        &h[16..20],
                        &h[20..]
                    ),
                    format!("{}/{tenant}/oauth2/v2.0/token", self.base_url),
                )
            }
        };
        let creds = AppCredentials {
            name: name.to_owned(),
            flow,
            client_id,
            client_secret: random_chars(&mut s.rng, 32),
            token_url,
        };
        s.apps.insert(
            name.to_owned(),
            App {
                creds: creds.clone(),
                window: VecDeque::new(),
                sent: 0,
            },
        );
        Ok(creds)
    }

    /// Answers a token request: `tenant` is `None` on the Store endpoint.
    pub(crate) fn token(&self, tenant: Option<&str>, form: &[(String, String)]) -> Answer {
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let oauth_error = |error: &str, description: &str| {
            Answer::new(400)
                .header("Content-Type", "application/json")
                .header("Cache-Control", "no-store")
                .body(
                    serde_json::json!({"error": error, "error_description": description})
                        .to_string(),
                )
        };
        if field("grant_type") != Some("client_credentials") {
            return oauth_error(
                "unsupported_grant_type",
                "grant_type must be client_credentials",
            );
        }
        let (Some(client_id), Some(secret)) = (field("client_id"), field("client_secret")) else {
            return oauth_error(
                "invalid_request",
                "client_id and client_secret are required",
            );
        };
        let now = self.now();
        let mut s = self.state.locked();
        let lifetime = s.settings.token_lifetime_secs;
        let found = s
            .apps
            .values()
            .find(|a| a.creds.client_id == client_id)
            .map(|a| {
                (
                    a.creds.name.clone(),
                    a.creds.client_secret.clone(),
                    a.creds.flow.clone(),
                )
            });
        let Some((app, expected_secret, flow)) = found else {
            return oauth_error("invalid_client", "Invalid client id")
                .header("x-wlid-error", "0x80045A78");
        };
        match (&flow, tenant) {
            (Flow::Store, None) => {
                if field("scope") != Some("notify.windows.com") {
                    return oauth_error("invalid_scope", "scope must be notify.windows.com");
                }
            }
            (Flow::Entra { tenant: t }, Some(asked)) if t == asked => {
                let scope_ok = field("scope") == Some("https://wns.windows.com/.default")
                    || field("resource") == Some("https://wns.windows.com/");
                if !scope_ok {
                    return oauth_error(
                        "invalid_scope",
                        "scope must be https://wns.windows.com/.default",
                    );
                }
            }
            _ => {
                return oauth_error(
                    "invalid_client",
                    "the app is not registered for this token endpoint",
                )
            }
        }
        if secret != expected_secret {
            return oauth_error("invalid_client", "Invalid client secret");
        }
        let (value, body) = match flow {
            Flow::Store => {
                let value = format!("EgAcAQMAAAAALYAAY{}=", random_chars(&mut s.rng, 120));
                let body = serde_json::json!({"token_type": "bearer", "access_token": value, "expires_in": lifetime});
                (value, body)
            }
            Flow::Entra { .. } => {
                let value = format!(
                    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.{}.{}",
                    random_chars(&mut s.rng, 200),
                    random_chars(&mut s.rng, 86)
                );
                let l = lifetime.saturating_sub(1).max(1).to_string();
                let body = serde_json::json!({"token_type": "Bearer", "expires_in": l, "ext_expires_in": l, "access_token": value});
                (value, body)
            }
        };
        s.tokens.insert(
            value,
            Issued {
                app,
                expires_at: now + Duration::from_secs(lifetime),
            },
        );
        Answer::new(200)
            .header("Content-Type", "application/json")
            .header("Cache-Control", "no-store")
            .body(body.to_string())
    }
}
