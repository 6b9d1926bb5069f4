//! The handlers: read and check the request, one store call on the blocking pool, JSON out.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::error::ServiceError;
use super::images::{self, CustomImage};
use super::store::{Platform, Registration};
use super::validate::{check_os_version, check_user_name, check_windows_version, nfc};
use super::{ServiceEvent, ServiceState};

const DEFAULT_LOG_LIMIT: u32 = 100;
const MAX_LOG_LIMIT: u32 = 1000;

/// The service's routes and `extra` (the operator's), under one fallback and body limit.
pub(super) fn routes(state: ServiceState, extra: Router) -> Router {
    let limit = state.inner.body_limit;
    Router::new()
        .route("/api/registrations", post(register))
        .route("/api/registrations/{user}", delete(unregister))
        .route("/api/server-info", get(server_info))
        .route("/api/subscribers", get(subscribers))
        .route("/api/status-log", get(status_log))
        .route("/api/tile-update", post(tile_update))
        .route("/images/custom.png", get(custom_image))
        .route("/images/numbers/{file}", get(number_image))
        .route("/ImageService/GetTileImage", get(recipe_image))
        .with_state(state)
        .merge(extra)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
}

type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// The body as `T`, which must be a JSON object: serde would take an array such as
/// `["ann", "http://…", "7.1"]` for a struct's fields in order, which no client means.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    state: &ServiceState,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<T> {
    let Json(value) =
        body.map_err(|r| ServiceError::from_json_rejection(r, state.inner.body_limit))?;
    if !value.is_object() {
        let kind = match value {
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(ServiceError::BadRequest {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "not_an_object",
            message: format!("the request body must be a JSON object {{...}}, not {kind}"),
        });
    }
    // Read again through axum's extractor, whose errors name the field (`user_name: invalid
    // type ...`). The position it gives is in the re-serialized text, not the client's: cut.
    let bytes = serde_json::to_vec(&value).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Json::<T>::from_bytes(&bytes).map(|Json(v)| v).map_err(|r| {
        match ServiceError::from_json_rejection(r, state.inner.body_limit) {
            ServiceError::BadRequest {
                status,
                code,
                message,
            } => ServiceError::BadRequest {
                status,
                code,
                message: without_position(&message).to_owned(),
            },
            other => other,
        }
    })
}

/// `... expected a string at line 1 column 111` -> `... expected a string`.
fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at)
            if message[at + 9..]
                .split(" column ")
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            &message[..at]
        }
        _ => message,
    }
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T> {
    q.map(|Query(v)| v)
        .map_err(ServiceError::from_query_rejection)
}

#[derive(Deserialize)]
struct RegisterBody {
    user_name: String,
    channel_uri: String,
    os_version: String,
    /// `mpns` (the default, so that every existing client keeps working) or `wns`.
    #[serde(default)]
    platform: Platform,
}

async fn register(
    State(state): State<ServiceState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response> {
    let mut body: RegisterBody = json_body(&state, body)?;
    body.user_name = nfc(&body.user_name);
    check_user_name("user_name", &body.user_name)?;
    let channel = match body.platform {
        Platform::Mpns => {
            let channel = state.inner.allowed_hosts.check(&body.channel_uri)?;
            check_os_version(&body.os_version)?;
            channel.as_str().to_owned()
        }
        Platform::Wns => {
            let channel = state.inner.allowed_hosts.check_wns(&body.channel_uri)?;
            check_windows_version(&body.os_version)?;
            channel.as_str().to_owned()
        }
    };
    let registration = Registration {
        user_name: body.user_name,
        channel_uri: channel,
        os_version: body.os_version,
        registered_at: state.now(),
        last_outcome: None,
        platform: body.platform,
    };
    let stored = registration.clone();
    let replaced = state.store().run(move |s| s.register(&stored)).await?;
    tracing::info!(user = %registration.user_name, replaced, "phone registered");
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = json!({ "registration": registration, "replaced": replaced });
    state.emit(ServiceEvent::Registered(registration));
    Ok((status, Json(body)).into_response())
}

async fn unregister(
    State(state): State<ServiceState>,
    user: Result<Path<String>, PathRejection>,
) -> Result<StatusCode> {
    let Path(user) = user.map_err(|e| ServiceError::BadRequest {
        status: StatusCode::BAD_REQUEST,
        code: "bad_path",
        message: e.body_text(),
    })?;
    let user = nfc(&user);
    check_user_name("user", &user)?;
    let name = user.clone();
    if state.store().run(move |s| s.unregister(&name)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ServiceError::NotFound(format!(
            "user {user:?} is not registered"
        )))
    }
}

#[derive(Deserialize)]
struct ServerInfoQuery {
    user: Option<String>,
}

async fn server_info(
    State(state): State<ServiceState>,
    q: Result<Query<ServerInfoQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>> {
    let mut q = query(q)?;
    q.user = q.user.as_deref().map(nfc);
    if let Some(user) = &q.user {
        check_user_name("user", user)?;
    }
    let (pattern, counter) = state
        .store()
        .run(move |s| {
            let pattern = s.active_pattern()?;
            let counter = match &q.user {
                Some(user) => s.counter(pattern, user)?,
                None => 0,
            };
            Ok((pattern, counter))
        })
        .await?;
    Ok(Json(json!({
        "push_pattern": pattern.display_name(),
        "pattern": pattern.id(),
        "counter": counter,
    })))
}

#[derive(Deserialize)]
struct SubscribersQuery {
    after: Option<String>,
    limit: Option<u32>,
}

async fn subscribers(
    State(state): State<ServiceState>,
    q: Result<Query<SubscribersQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(DEFAULT_SUBSCRIBERS_LIMIT);
    if !(1..=MAX_SUBSCRIBERS_LIMIT).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            "out_of_range",
            format!("limit {limit} is out of range 1..={MAX_SUBSCRIBERS_LIMIT}"),
        ));
    }
    // The cursor is a user name: normalised like the stored ones (NFC), so that it finds its place.
    let after = q.after.map(|a| nfc(&a));
    let (page, total) = state
        .store()
        .run(move |s| s.subscribers_page(after.as_deref(), limit))
        .await?;
    // A full page may have more after it; the last name is where the next page starts.
    let next = if page.len() == limit as usize {
        page.last().map(|r| r.user_name.clone())
    } else {
        None
    };
    Ok(Json(
        json!({ "count": total, "subscribers": page, "next": next }),
    ))
}

/// `GET /api/subscribers`' page size when none is given, and the largest allowed.
const DEFAULT_SUBSCRIBERS_LIMIT: u32 = 100;
const MAX_SUBSCRIBERS_LIMIT: u32 = 1000;

#[derive(Deserialize)]
struct LogQuery {
    after: Option<i64>,
    limit: Option<u32>,
}

async fn status_log(
    State(state): State<ServiceState>,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<serde_json::Value>> {
    let q = query(q)?;
    let limit = q.limit.unwrap_or(DEFAULT_LOG_LIMIT);
    if !(1..=MAX_LOG_LIMIT).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            "out_of_range",
            format!("limit {limit} is out of range 1..={MAX_LOG_LIMIT}"),
        ));
    }
    let after = q.after.unwrap_or(0);
    let entries = state
        .store()
        .run(move |s| s.status_log(after, limit))
        .await?;
    Ok(Json(json!({ "entries": entries })))
}

#[derive(Deserialize)]
struct TileUpdateBody {
    user_name: String,
    number: i64,
}

async fn tile_update(
    State(state): State<ServiceState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response> {
    let mut body: TileUpdateBody = json_body(&state, body)?;
    body.user_name = nfc(&body.user_name);
    check_user_name("user_name", &body.user_name)?;
    let number = u8::try_from(body.number)
        .ok()
        .filter(|&n| n <= images::MAX_NUMBER)
        .ok_or_else(|| {
            ServiceError::invalid(
                "number",
                "out_of_range",
                format!(
                    "number {} is out of range 0..={}",
                    body.number,
                    images::MAX_NUMBER
                ),
            )
        })?;
    let image_uri = state
        .number_image_uri(number)
        .ok_or_else(|| ServiceError::Internal(format!("no image URI for {number}")))?;
    let at = state.now();
    let user = body.user_name.clone();
    let uri = image_uri.clone();
    let request = state
        .store()
        .run(move |s| match s.registration(&user)? {
            Some(reg) => s
                .record_tile_request(&user, &reg.channel_uri, number, &uri, at)
                .map(Some),
            None => Ok(None),
        })
        .await?
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "user {:?} is not registered; register before asking for a tile update",
                body.user_name
            ))
        })?;
    let body = json!({ "request": request, "image_uri": image_uri });
    state.emit(ServiceEvent::TileUpdateRequested(request));
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[derive(Deserialize)]
struct CustomQuery {
    text: Option<String>,
    size: Option<String>,
    color: Option<String>,
    background: Option<String>,
}

async fn custom_image(q: Result<Query<CustomQuery>, QueryRejection>) -> Result<Response> {
    let q = query(q)?;
    let image = CustomImage::from_params(
        q.text.as_deref(),
        q.size.as_deref(),
        q.color.as_deref(),
        q.background.as_deref(),
    )
    .map_err(|e| match e.field {
        // A background outside the set is not an image of the set.
        "background" => ServiceError::NotFound(e.message),
        _ => e.into(),
    })?;
    let png = tokio::task::spawn_blocking(move || image.render())
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(png_failed)?;
    Ok(png_response(png, "public, max-age=3600"))
}

async fn number_image(file: Result<Path<String>, PathRejection>) -> Result<Response> {
    // A segment that is not even UTF-8 is not an image name either.
    let Path(file) = file.map_err(|_| no_such_image("(not UTF-8)"))?;
    let n = file
        .strip_suffix(".png")
        .and_then(images::parse_number)
        .ok_or_else(|| no_such_image(&file))?;
    number_response(n)
}

#[derive(Deserialize)]
struct RecipeQuery {
    parameter: Option<String>,
    uri: Option<String>,
}

/// The recipe's image URL. Its schedule asked with `?uri=` while the service read
/// `?parameter=`; both keys work here, and only `number<n>.png` names of the set.
async fn recipe_image(q: Result<Query<RecipeQuery>, QueryRejection>) -> Result<Response> {
    let Query(q) = q.map_err(|_| no_such_image("(unreadable query)"))?;
    let name = q.parameter.or(q.uri).unwrap_or_default();
    let n = name
        .strip_prefix("number")
        .and_then(|rest| rest.strip_suffix(".png"))
        .and_then(images::parse_number)
        .ok_or_else(|| no_such_image(&name))?;
    number_response(n)
}

fn number_response(n: u8) -> Result<Response> {
    let png = images::number_png(n)
        .ok_or_else(|| no_such_image(&n.to_string()))?
        .map_err(png_failed)?;
    Ok(png_response(png, "public, max-age=86400"))
}

fn png_failed(e: image::ImageError) -> ServiceError {
    ServiceError::Internal(format!("PNG encoding failed: {e}"))
}

fn no_such_image(name: &str) -> ServiceError {
    let shown: String = name.chars().take(80).collect();
    ServiceError::NotFound(format!(
        "no image {shown:?}; number images are 0..={} (for example /images/numbers/7.png)",
        images::MAX_NUMBER
    ))
}

fn png_response(png: Vec<u8>, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        png,
    )
        .into_response()
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ServiceError {
    let path: String = uri.path().chars().take(200).collect();
    ServiceError::BadRequest {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: format!("{path} does not take {method}"),
    }
}

async fn not_found(uri: axum::http::Uri) -> ServiceError {
    let path: String = uri.path().chars().take(200).collect();
    ServiceError::NotFound(format!("no route {path}"))
}
