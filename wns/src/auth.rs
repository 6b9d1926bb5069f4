//! OAuth tokens for WNS: the two ways to get one (the Store's client-credentials request to
//! `login.live.com`, and Microsoft Entra ID), reading the answer, and a cache that refreshes
//! before expiry, once, however many sends are waiting.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use serde::Deserialize;

/// The legacy (UWP, Store) token endpoint.
pub const STORE_TOKEN_URL: &str = "https://login.live.com/accesstoken.srf";
/// The scope of a Store token.
pub const STORE_SCOPE: &str = "notify.windows.com";
/// The scope of an Entra ID token.
pub const ENTRA_SCOPE: &str = "https://wns.windows.com/.default";

/// Who the sender is, and where it gets tokens.
///
/// ```
/// let store = wns::Credentials::store("ms-app://s-1-15-2-1", "secret");
/// assert_eq!(store.token_url(), "https://login.live.com/accesstoken.srf");
/// let entra = wns::Credentials::entra("contoso.onmicrosoft.com", "11111111-2222-3333-4444-555555555555", "secret")?;
/// assert_eq!(entra.token_url(), "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
/// # Ok::<(), wns::AuthError>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    secret: String,
    scope: &'static str,
    token_url: String,
}

impl Credentials {
    /// The Store (legacy UWP) flow: the package SID (`ms-app://s-1-15-2-...`) and the secret
    /// from Partner Center, scope `notify.windows.com`.
    pub fn store(package_sid: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            client_id: package_sid.into(),
            secret: secret.into(),
            scope: STORE_SCOPE,
            token_url: STORE_TOKEN_URL.to_owned(),
        }
    }

    /// The Microsoft Entra ID flow (Windows App SDK apps): the directory (tenant) id or domain,
    /// the application (client) id and a client secret, scope `https://wns.windows.com/.default`.
    pub fn entra(
        tenant: &str,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Result<Credentials, AuthError> {
        if tenant.is_empty()
            || !tenant
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(AuthError::Config(format!(
                "the tenant {tenant:?} is not a directory id or domain"
            )));
        }
        Ok(Credentials {
            client_id: client_id.into(),
            secret: secret.into(),
            scope: ENTRA_SCOPE,
            token_url: format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
        })
    }

    /// Gets tokens from `url` instead (a fake's token endpoint in tests).
    pub fn with_token_url(mut self, url: impl Into<String>) -> Credentials {
        self.token_url = url.into();
        self
    }

    /// Where tokens come from.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// The `scope` sent.
    pub fn scope(&self) -> &str {
        self.scope
    }

    /// The token request's form body, every value URL-encoded.
    pub fn form_body(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", &self.secret)
            .append_pair("scope", self.scope)
            .finish()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("secret", &"<hidden>")
            .field("scope", &self.scope)
            .field("token_url", &self.token_url)
            .finish()
    }
}

/// An access token and when it expires (unknown when the answer had no `expires_in`: then it is
/// used until WNS refuses it).
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    value: String,
    expires_at: Option<SystemTime>,
    lifetime: Option<Duration>,
}

impl Token {
    /// The bearer value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// When it expires, if the endpoint said.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether it is still good at `now` with `margin` to spare; the margin is at most a tenth
    /// of the token's lifetime, so a short-lived token is still used.
    pub(crate) fn fresh_at(&self, now: SystemTime, margin: Duration) -> bool {
        match (self.expires_at, self.lifetime) {
            (Some(at), Some(lifetime)) => {
                let margin = margin.min(lifetime / 10);
                now.checked_add(margin).is_some_and(|t| t < at)
            }
            _ => true,
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field(
                "value",
                &format_args!("{}…", &self.value[..self.value.len().min(6)]),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why no token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint refused the credentials (usually `400` with `invalid_client`).
    #[error("the token endpoint answered {status}: {}{}", error.as_deref().unwrap_or("no error code"), description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The OAuth `error` field.
        error: Option<String>,
        /// The OAuth `error_description` field.
        description: Option<String>,
    },
    /// The endpoint answered 200 with something that is not a token.
    #[error("the token endpoint's answer is not a token: {0}")]
    BadAnswer(String),
    /// The credentials themselves are malformed.
    #[error("bad credentials: {0}")]
    Config(String),
    /// The token endpoint could not be reached.
    #[error("the token endpoint could not be reached: {0}")]
    Unreachable(String),
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: Option<String>,
    error_description: Option<String>,
}

/// Reads a token endpoint's answer. `expires_in` may be a number (`login.live.com`) or a string
/// (Entra's documented sample); absent, the token is used until refused.
///
/// ```
/// use std::time::{Duration, SystemTime};
///
/// let now = SystemTime::UNIX_EPOCH;
/// let token = wns::parse_token_answer(200, br#"{"token_type":"Bearer","expires_in":"86399","access_token":"eyJ0"}"#, now)?;
/// assert_eq!(token.value(), "eyJ0");
/// assert_eq!(token.expires_at(), Some(now + Duration::from_secs(86399)));
/// # Ok::<(), wns::AuthError>(())
/// ```
pub fn parse_token_answer(status: u16, body: &[u8], now: SystemTime) -> Result<Token, AuthError> {
    if status != 200 {
        let e: Option<ErrorAnswer> = serde_json::from_slice(body).ok();
        return Err(AuthError::Refused {
            status,
            error: e.as_ref().and_then(|e| e.error.clone()),
            description: e.and_then(|e| e.error_description),
        });
    }
    let answer: TokenAnswer =
        serde_json::from_slice(body).map_err(|e| AuthError::BadAnswer(e.to_string()))?;
    let value = answer
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AuthError::BadAnswer("no access_token".into()))?;
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AuthError::BadAnswer(
            "the access_token has characters a header cannot carry".into(),
        ));
    }
    if let Some(t) = &answer.token_type {
        if !t.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::BadAnswer(format!(
                "token_type {t:?}, expected bearer"
            )));
        }
    }
    let lifetime = match answer.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => Some(n.as_u64().ok_or_else(|| {
            AuthError::BadAnswer(format!("expires_in {n} is not a whole number of seconds"))
        })?),
        Some(serde_json::Value::String(s)) => Some(s.trim().parse::<u64>().map_err(|_| {
            AuthError::BadAnswer(format!("expires_in {s:?} is not a whole number of seconds"))
        })?),
        Some(other) => {
            return Err(AuthError::BadAnswer(format!(
                "expires_in {other} is not a number"
            )))
        }
    }
    .map(Duration::from_secs);
    Ok(Token {
        value,
        expires_at: lifetime.and_then(|l| now.checked_add(l)),
        lifetime,
    })
}

/// The current token, refreshed by one task at a time: every sender that finds it stale waits
/// for the one refresh; a 401 replaces it only if no one has already.
pub(crate) struct TokenCache {
    current: RwLock<Option<Arc<Token>>>,
    refreshing: tokio::sync::Mutex<()>,
    margin: Duration,
    fetches: AtomicU64,
}

impl TokenCache {
    pub(crate) fn new(margin: Duration) -> TokenCache {
        TokenCache {
            current: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            margin,
            fetches: AtomicU64::new(0),
        }
    }

    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn fresh(&self, now: SystemTime) -> Option<Arc<Token>> {
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        current.clone().filter(|t| t.fresh_at(now, self.margin))
    }

    /// A fresh token: the cached one, or one fetched by `fetch` (by one caller at a time).
    pub(crate) async fn get<Fut>(
        &self,
        now: impl Fn() -> SystemTime,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<Arc<Token>, AuthError>
    where
        Fut: Future<Output = Result<Token, AuthError>>,
    {
        if let Some(t) = self.fresh(now()) {
            return Ok(t);
        }
        let _one = self.refreshing.lock().await;
        if let Some(t) = self.fresh(now()) {
            return Ok(t);
        }
        self.store(fetch().await?)
    }

    /// A token other than `refused`: the one another caller fetched meanwhile, or a new one.
    pub(crate) async fn replace<Fut>(
        &self,
        refused: &Token,
        now: impl Fn() -> SystemTime,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<Arc<Token>, AuthError>
    where
        Fut: Future<Output = Result<Token, AuthError>>,
    {
        let _one = self.refreshing.lock().await;
        if let Some(t) = self.fresh(now()) {
            if t.value != refused.value {
                return Ok(t);
            }
        }
        self.store(fetch().await?)
    }

    fn store(&self, token: Token) -> Result<Arc<Token>, AuthError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let token = Arc::new(token);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: SystemTime = SystemTime::UNIX_EPOCH;

    #[test]
    fn expires_in_as_number_string_or_absent() {
        let n = parse_token_answer(200, br#"{"access_token":"a","expires_in":86400}"#, T0).unwrap();
        assert_eq!(n.expires_at(), Some(T0 + Duration::from_secs(86400)));
        let s =
            parse_token_answer(200, br#"{"access_token":"a","expires_in":" 60 "}"#, T0).unwrap();
        assert_eq!(s.expires_at(), Some(T0 + Duration::from_secs(60)));
        let none =
            parse_token_answer(200, br#"{"access_token":"a","token_type":"bearer"}"#, T0).unwrap();
        assert_eq!(none.expires_at(), None);
        assert!(none.fresh_at(
            T0 + Duration::from_secs(10_000_000),
            Duration::from_secs(300)
        ));
        for bad in [
            &br#"{"access_token":"a","expires_in":"soon"}"#[..],
            br#"{"access_token":"a","expires_in":-5}"#,
            br#"{"access_token":"a","expires_in":[1]}"#,
            br#"{"access_token":""}"#,
            br#"{"access_token":"a b"}"#,
            br#"{"access_token":"a","token_type":"mac"}"#,
            b"not json",
        ] {
            assert!(
                matches!(
                    parse_token_answer(200, bad, T0),
                    Err(AuthError::BadAnswer(_))
                ),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_refusal_keeps_the_oauth_error_fields() {
        let e = parse_token_answer(
            400,
            br#"{"error":"invalid_client","error_description":"Invalid client id"}"#,
            T0,
        )
        .unwrap_err();
        assert_eq!(
            e,
            AuthError::Refused {
                status: 400,
                error: Some("invalid_client".into()),
                description: Some("Invalid client id".into())
            }
        );
        assert_eq!(
            e.to_string(),
            "the token endpoint answered 400: invalid_client (Invalid client id)"
        );
    }

    #[test]
    fn the_margin_refreshes_early_but_never_more_than_a_tenth_of_the_lifetime() {
        let day =
            parse_token_answer(200, br#"{"access_token":"a","expires_in":86400}"#, T0).unwrap();
        let margin = Duration::from_secs(300);
        assert!(day.fresh_at(T0 + Duration::from_secs(86_099), margin));
        assert!(!day.fresh_at(T0 + Duration::from_secs(86_100), margin));
        let minute =
            parse_token_answer(200, br#"{"access_token":"a","expires_in":60}"#, T0).unwrap();
        assert!(minute.fresh_at(T0 + Duration::from_secs(53), margin));
        assert!(!minute.fresh_at(T0 + Duration::from_secs(54), margin));
    }

    #[test]
    fn the_form_body_is_url_encoded() {
        let c = Credentials::store("ms-app://s-1-15-2-1", "a+b/c=");
        assert_eq!(
            c.form_body(),
            "grant_type=client_credentials&client_id=ms-app%3A%2F%2Fs-1-15-2-1&client_secret=a%2Bb%2Fc%3D&scope=notify.windows.com"
        );
        assert!(format!("{c:?}").contains("<hidden>") && !format!("{c:?}").contains("a+b"));
    }
}
